//! The partnership's goals per period: set by administrators and the chapter's
//! coordinators, read by them and by the chapter's partner viewers. Setting a goal is
//! an upsert on (chapter, municipality, period, metric), so repeating the call is
//! harmless and needs no request id.

use kompis_domain::{Role, Violations};
use kompis_proto::v1 as pb;
use kompis_store::reports::{self as store, Goal};

use super::follow_up;
use super::place;
use crate::auth::Principal;
use crate::kit::convert::{from_timestamp, timestamp};
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::{Kit, names, scope};

/// The metrics a goal may be set on: the totals of the follow-up report.
pub const METRICS: &[&str] = &[
    "referrals_received",
    "recruited",
    "interviewed",
    "approved",
    "matched",
    "newcomers_matched",
    "matches_made",
    "matches_ended",
    "matches_live_at_end",
    "check_ins",
    "activities_held",
    "invitations_sent",
    "invitations_accepted",
    "became_ready_newcomer",
    "became_ready_established_resident",
];

/// The proto form of a stored goal.
pub fn goal_pb(g: &Goal) -> pb::ReportGoal {
    pb::ReportGoal {
        chapter: names::chapter(&g.chapter_id),
        municipality: if g.municipality_id.is_empty() {
            String::new()
        } else {
            names::municipality(&g.municipality_id)
        },
        start_time: timestamp(g.start_time),
        end_time: timestamp(g.end_time),
        metric: g.metric.clone(),
        target: g.target,
        update_time: timestamp(g.update_time),
    }
}

/// SetReportGoal.
pub async fn set(
    kit: &Kit,
    principal: &Principal,
    req: &pb::SetReportGoalRequest,
) -> ApiResult<pb::SetReportGoalResponse> {
    let goal = req.goal.clone().unwrap_or_default();
    let mut v = Violations::new();
    let chapter = v.check("goal.chapter", names::parse_one(&goal.chapter, "chapters"));
    let municipality = place::optional_municipality(&mut v, "goal.municipality", &goal.municipality);
    let start = v
        .require("goal.start_time", goal.start_time.as_ref().map(from_timestamp))
        .flatten();
    let end = v
        .require("goal.end_time", goal.end_time.as_ref().map(from_timestamp))
        .flatten();
    if let (Some(s), Some(e)) = (start, end)
        && (e <= s || e - s > time::Duration::days(3653))
    {
        v.add("goal.end_time", "must be after start_time, at most 10 years");
    }
    if !METRICS.contains(&goal.metric.as_str()) {
        v.add("goal.metric", format!("must be one of {}", METRICS.join(", ")));
    }
    if !(0..=1_000_000).contains(&goal.target) {
        v.add("goal.target", "must be 0 to 1000000");
    }
    v.into_result().map_err(ApiError::InvalidArgument)?;
    let (Some(chapter), Some(municipality), Some(start), Some(end)) = (chapter, municipality, start, end)
    else {
        return Err(ApiError::bug("a valid goal did not parse"));
    };
    let Some((chapter, covered)) =
        follow_up::authorize(kit, principal, Some(&chapter), &goal.chapter).await?
    else {
        return Err(ApiError::bug("a chapter was named"));
    };
    if let Some(m) = &municipality
        && !covered.iter().any(|c| c == m.as_str())
    {
        return Err(scope::not_found(&goal.municipality));
    }
    let stored = store::set_goal(
        kit.store().pool(),
        &Goal {
            chapter_id: chapter,
            municipality_id: municipality.map(|m| m.as_str().to_owned()).unwrap_or_default(),
            start_time: start,
            end_time: end,
            metric: goal.metric.clone(),
            target: goal.target,
            update_time: kit.now(),
            updated_by: principal.subject.clone(),
        },
    )
    .await
    .named(&goal.chapter)?;
    Ok(pb::SetReportGoalResponse {
        goal: Some(goal_pb(&stored)),
    })
}

/// ListReportGoals.
pub async fn list(
    kit: &Kit,
    principal: &Principal,
    req: &pb::ListReportGoalsRequest,
) -> ApiResult<pb::ListReportGoalsResponse> {
    let mut v = Violations::new();
    let chapter_name = place::chapter_name(principal, &req.chapter);
    let chapter = v.check("chapter", names::parse_one(&chapter_name, "chapters"));
    let municipality = place::optional_municipality(&mut v, "municipality", &req.municipality);
    let start = match &req.start_time {
        None => Some(None),
        Some(t) => v.require("start_time", from_timestamp(t)).map(Some),
    };
    let end = match &req.end_time {
        None => Some(None),
        Some(t) => v.require("end_time", from_timestamp(t)).map(Some),
    };
    v.into_result().map_err(ApiError::InvalidArgument)?;
    let (Some(chapter), Some(municipality), Some(start), Some(end)) = (chapter, municipality, start, end)
    else {
        return Err(ApiError::bug("a valid goal listing did not parse"));
    };
    let Some((chapter, covered)) =
        follow_up::authorize(kit, principal, Some(&chapter), &chapter_name).await?
    else {
        return Err(ApiError::bug("a chapter was named"));
    };
    let municipality = place::municipality_in_scope(
        principal,
        &covered,
        municipality.as_ref(),
        "municipality",
        &req.municipality,
        &chapter_name,
    )?;
    // A partner viewer who names no municipality sees their municipality's goals and
    // the whole chapter's.
    let (asked, with_chapter_wide) = match municipality {
        Some(m) if principal.role == Role::PartnerViewer && req.municipality.is_empty() => (Some(m), true),
        m => (m, false),
    };
    let filter = if with_chapter_wide { None } else { asked.as_deref() };
    let goals = store::goals(kit.store().pool(), &chapter, filter, start, end)
        .await
        .named(&chapter_name)?;
    let goals: Vec<Goal> = goals
        .into_iter()
        .filter(|g| {
            !with_chapter_wide || g.municipality_id.is_empty() || Some(&g.municipality_id) == asked.as_ref()
        })
        .collect();
    Ok(pb::ListReportGoalsResponse {
        goals: goals.iter().map(goal_pb).collect(),
    })
}
