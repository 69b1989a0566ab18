//! `kompis.v1.ReportService`: the partnership's follow-up figures (counted from the
//! event log, see [`follow_up`]), as gRPC, CSV or a one-page HTML report ([`render`]);
//! its goals ([`goals`]); the shortage of established residents now; and the read side
//! of the append-only event log (ListEvents).
//!
//! Coordinators read their chapter, administrators every chapter; partner viewers read
//! suppressed follow-up figures and the goals of their chapter's municipality.

mod follow_up;
mod goals;
mod place;
pub mod render;

use kompis_domain::{EventKind, FieldError, Violations};
use kompis_proto::v1 as pb;
use kompis_proto::v1::report_service_server::ReportService;
use kompis_store::StoreError;
use kompis_store::events::{self, Event, EventFilter};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::convert::{from_timestamp, timestamp};
use crate::kit::enums::EnumTable;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::names;
use crate::kit::page::Page;
use crate::kit::{Kit, respond, scope};

/// The ReportService implementation.
#[derive(Debug, Clone)]
pub struct Reports {
    kit: Kit,
}

impl Reports {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// Event kinds.
const KINDS: EnumTable<pb::EventKind, EventKind> = EnumTable::new(
    "must be one of the EventKind values",
    &[
        (pb::EventKind::Referral, EventKind::Referral),
        (pb::EventKind::Participant, EventKind::Participant),
        (pb::EventKind::Interview, EventKind::Interview),
        (pb::EventKind::Match, EventKind::Match),
        (pb::EventKind::CheckIn, EventKind::CheckIn),
        (pb::EventKind::Activity, EventKind::Activity),
        (pb::EventKind::Invitation, EventKind::Invitation),
        (pb::EventKind::MatchingRound, EventKind::MatchingRound),
        (pb::EventKind::Attendance, EventKind::Attendance),
        (pb::EventKind::PairAttendance, EventKind::PairAttendance),
    ],
);

/// The proto value of a stored state string for an enum whose value names are
/// `{prefix}_{STATE}`: stored states are the snake_case of the proto names
/// (`interview_booked` is `REFERRAL_STATE_INTERVIEW_BOOKED`). Empty (a creation) is
/// UNSPECIFIED (0); a state the contract does not know is corrupt data, an error.
fn state_value(prefix: &str, stored: &str, from_name: fn(&str) -> Option<i32>) -> Result<i32, StoreError> {
    if stored.is_empty() {
        return Ok(0);
    }
    from_name(&format!("{prefix}_{}", stored.to_ascii_uppercase()))
        .ok_or_else(|| StoreError::corrupt("event state", stored))
}

/// The typed transition of an event, chosen by its kind.
fn transition(event: &Event) -> Result<Option<pb::event::Transition>, StoreError> {
    use pb::event::Transition;
    let kind: EventKind = event
        .kind
        .parse()
        .map_err(|_| StoreError::corrupt("event kind", &event.kind))?;
    let (from, to) = (event.from_state.as_str(), event.to_state.as_str());
    macro_rules! states {
        ($prefix:literal, $enum:ty) => {{
            let value = |s| state_value($prefix, s, |n| <$enum>::from_str_name(n).map(|v| v as i32));
            (value(from)?, value(to)?)
        }};
    }
    Ok(Some(match kind {
        EventKind::Referral => {
            let (from_state, to_state) = states!("REFERRAL_STATE", pb::ReferralState);
            Transition::Referral(pb::ReferralTransition { from_state, to_state })
        }
        EventKind::Participant => {
            let (from_state, to_state) = states!("PARTICIPANT_STATE", pb::ParticipantState);
            Transition::Participant(pb::ParticipantTransition { from_state, to_state })
        }
        EventKind::Interview => {
            let (from_state, to_state) = states!("INTERVIEW_STATE", pb::InterviewState);
            Transition::Interview(pb::InterviewTransition { from_state, to_state })
        }
        EventKind::Match => {
            let (from_state, to_state) = states!("MATCH_STATE", pb::MatchState);
            Transition::Match(pb::MatchTransition { from_state, to_state })
        }
        EventKind::Activity => {
            let (from_state, to_state) = states!("ACTIVITY_STATE", pb::ActivityState);
            Transition::Activity(pb::ActivityTransition { from_state, to_state })
        }
        EventKind::Invitation => {
            let (from_rsvp, to_rsvp) = states!("RSVP", pb::Rsvp);
            Transition::Invitation(pb::InvitationTransition { from_rsvp, to_rsvp })
        }
        // A check-in is recorded, not a state change of its own.
        EventKind::CheckIn => return Ok(None),
        // A round's steps are read on the round itself (GetMatchingRound).
        EventKind::MatchingRound => return Ok(None),
        // Attendance is not a state of the contract's transitions: the kind says it.
        EventKind::Attendance | EventKind::PairAttendance => return Ok(None),
    }))
}

/// The proto form of a stored event.
pub fn event_pb(event: &Event) -> ApiResult<pb::Event> {
    let kind: EventKind = event
        .kind
        .parse()
        .map_err(|_| StoreError::corrupt("event kind", &event.kind))?;
    Ok(pb::Event {
        name: format!("chapters/{}/events/{}", event.chapter_id, event.id),
        subject: event.subject.clone(),
        actor: event.actor.clone(),
        event_time: timestamp(event.occur_time),
        transition: transition(event)?,
        reason: event.reason.clone(),
        kind: KINDS.to_pb(kind),
    })
}

/// The shortage now, from the participants as they are.
async fn shortage(
    kit: &Kit,
    principal: &Principal,
    req: &pb::GetShortageReportRequest,
) -> ApiResult<pb::GetShortageReportResponse> {
    let mut v = Violations::new();
    let chapter = v.check("chapter", names::parse_one(&req.chapter, "chapters"));
    let municipality = place::optional_municipality(&mut v, "municipality", &req.municipality);
    v.into_result().map_err(ApiError::InvalidArgument)?;
    let (Some(chapter), Some(municipality)) = (chapter, municipality) else {
        return Err(ApiError::bug("a valid shortage request did not parse"));
    };
    scope::managed_chapter(principal, chapter.as_str(), &req.chapter)?;
    let stored = kompis_store::chapters::get_chapter(kit.store().pool(), &chapter)
        .await
        .named(&req.chapter)?;
    if let Some(m) = &municipality
        && !stored.municipalities.iter().any(|c| c == m.as_str())
    {
        return Err(scope::not_found(&req.municipality));
    }
    let pool = kit.store().pool();
    let districts = kompis_store::participants::shortage_by_district(pool, chapter.as_str())
        .await
        .named(&req.chapter)?;
    let languages = kompis_store::participants::shortage_by_language(pool, chapter.as_str())
        .await
        .named(&req.chapter)?;
    let districts: Vec<_> = districts
        .into_iter()
        .filter(|s| {
            municipality
                .as_ref()
                .is_none_or(|m| s.key.split('/').next() == Some(m.as_str()))
        })
        .collect();
    let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(pb::GetShortageReportResponse {
        waiting_newcomers: count(districts.iter().map(|s| s.waiting_newcomers).sum()),
        free_resident_places: count(districts.iter().map(|s| s.free_resident_places).sum()),
        districts: districts
            .iter()
            .map(|s| {
                let (m, d) = s.key.split_once('/').unwrap_or((&s.key, ""));
                pb::ShortageCount {
                    key: Some(pb::shortage_count::Key::District(names::district(m, d))),
                    waiting_newcomers: count(s.waiting_newcomers),
                    free_resident_places: count(s.free_resident_places),
                    ..Default::default()
                }
            })
            .collect(),
        languages: languages
            .iter()
            .map(|s| pb::ShortageCount {
                key: Some(pb::shortage_count::Key::LanguageCode(s.key.clone())),
                waiting_newcomers: count(s.waiting_newcomers),
                free_resident_places: count(s.free_resident_places),
                ..Default::default()
            })
            .collect(),
        compute_time: timestamp(kit.now()),
    })
}

/// ExportFollowUpReport: the figures rendered as a file.
async fn export(
    kit: &Kit,
    principal: &Principal,
    req: &pb::ExportFollowUpReportRequest,
) -> ApiResult<pb::ExportFollowUpReportResponse> {
    let query = req.query.clone().unwrap_or_default();
    let mut v = Violations::new();
    let format = match pb::ReportFormat::try_from(req.format) {
        Ok(f @ (pb::ReportFormat::Csv | pb::ReportFormat::Html)) => Some(f),
        _ => {
            v.add("format", "is required: CSV or HTML");
            None
        }
    };
    let lang = match req.language_code.as_str() {
        "" | "sv" => Some(render::Lang::Sv),
        "en" => Some(render::Lang::En),
        _ => {
            v.add("language_code", "must be sv or en");
            None
        }
    };
    // The query's own violations are reported under `query.`.
    let parsed = follow_up::parse(kit, principal, &query).await;
    let parsed = match parsed {
        Err(ApiError::InvalidArgument(violations)) => {
            for fv in violations {
                v.add(format!("query.{}", fv.field), fv.description);
            }
            None
        }
        other => Some(other?),
    };
    v.into_result().map_err(ApiError::InvalidArgument)?;
    let (Some(format), Some(lang), Some(request)) = (format, lang, parsed) else {
        return Err(ApiError::bug("a valid export request did not parse"));
    };
    let report = follow_up::compute(kit, &request).await?;
    let (start, end) = (
        request.query.start.unwrap_or(kit.now()),
        request.query.end.unwrap_or(kit.now()),
    );
    let period = format!("{}-{}", start.date(), (end - time::Duration::SECOND).date());
    Ok(match format {
        pb::ReportFormat::Csv => pb::ExportFollowUpReportResponse {
            content_type: "text/csv; charset=utf-8".into(),
            content: render::csv(&report).into_bytes(),
            file_name: format!("follow-up-{period}.csv"),
        },
        _ => {
            let q = &request.query;
            let place = match (&q.district, &q.municipality, &q.chapter) {
                (Some(d), Some(m), _) => format!("{m} / {d}"),
                (None, Some(m), _) => m.clone(),
                (None, None, Some(c)) => c.clone(),
                _ => "*".into(),
            };
            let heading = render::Heading { place, start, end };
            pb::ExportFollowUpReportResponse {
                content_type: "text/html; charset=utf-8".into(),
                content: render::html(&report, &heading, lang).into_bytes(),
                file_name: format!("follow-up-{period}.html"),
            }
        }
    })
}

#[tonic::async_trait]
impl ReportService for Reports {
    #[tracing::instrument(skip_all, fields(rpc = "GetFollowUpReport"))]
    async fn get_follow_up_report(
        &self,
        request: Request<pb::GetFollowUpReportRequest>,
    ) -> Result<Response<pb::GetFollowUpReportResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let result = async {
            let parsed = follow_up::parse(&self.kit, principal, request.get_ref()).await?;
            let report = follow_up::compute(&self.kit, &parsed).await?;
            Ok(pb::GetFollowUpReportResponse {
                report: Some(report),
                compute_time: timestamp(self.kit.now()),
            })
        }
        .await;
        respond(result)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ExportFollowUpReport"))]
    async fn export_follow_up_report(
        &self,
        request: Request<pb::ExportFollowUpReportRequest>,
    ) -> Result<Response<pb::ExportFollowUpReportResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        respond(export(&self.kit, principal, request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "SetReportGoal"))]
    async fn set_report_goal(
        &self,
        request: Request<pb::SetReportGoalRequest>,
    ) -> Result<Response<pb::SetReportGoalResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        respond(goals::set(&self.kit, principal, request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListReportGoals"))]
    async fn list_report_goals(
        &self,
        request: Request<pb::ListReportGoalsRequest>,
    ) -> Result<Response<pb::ListReportGoalsResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        respond(goals::list(&self.kit, principal, request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetShortageReport"))]
    async fn get_shortage_report(
        &self,
        request: Request<pb::GetShortageReportRequest>,
    ) -> Result<Response<pb::GetShortageReportResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        respond(shortage(&self.kit, principal, request.get_ref()).await)
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListEvents", chapter))]
    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let chapter = v.check("parent", names::parse_one(&req.parent, "chapters"));
        let mut parse_time = |field: &str, t: Option<&prost_types::Timestamp>| match t {
            None => Some(None),
            Some(t) => v
                .check(
                    field,
                    from_timestamp(t).ok_or_else(|| FieldError::new("is not a valid time")),
                )
                .map(Some),
        };
        let after = parse_time("event_time_after", req.event_time_after.as_ref());
        let before = parse_time("event_time_before", req.event_time_before.as_ref());
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(chapter), Some(after), Some(before)) = (chapter, after, before) else {
            return Err(ApiError::Internal("a valid request did not parse".into()).into());
        };
        tracing::Span::current().record("chapter", chapter.as_str());
        scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
        let filters = format!(
            "{}|{}|{:?}|{:?}",
            chapter.as_str(),
            req.subject,
            after.map(OffsetDateTime::unix_timestamp_nanos),
            before.map(OffsetDateTime::unix_timestamp_nanos),
        );
        let page = Page::parse(req.page_size, &req.page_token, &filters)?;
        let after_id = match page.after_first() {
            None => None,
            Some(id) => Some(
                Uuid::parse_str(id)
                    .map_err(|_| ApiError::invalid("page_token", "is not a token this service issued"))?,
            ),
        };
        let filter = EventFilter {
            chapter_id: chapter.as_str(),
            subject: (!req.subject.is_empty()).then_some(req.subject.as_str()),
            occurred_at_or_after: after,
            occurred_before: before,
        };
        let mut rows = events::list_filtered(self.kit.store().pool(), &filter, after_id, page.fetch_limit())
            .await
            .named(&req.parent)?;
        let next_page_token = page.finish(&mut rows, |e| vec![e.id.to_string()]);
        Ok(Response::new(pb::ListEventsResponse {
            events: rows.iter().map(event_pb).collect::<ApiResult<_>>()?,
            next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(subject: &str, from: &str, to: &str) -> Event {
        let kind = match subject.split('/').collect::<Vec<_>>().as_slice() {
            [_, _, "referrals", _] => "referral",
            [_, _, "participants", _] => "participant",
            [_, _, "participants", _, "interviews", _] => "interview",
            _ => "activity",
        };
        Event {
            id: Uuid::now_v7(),
            chapter_id: "botkyrka".into(),
            subject: subject.into(),
            kind: kind.into(),
            actor: "coordinator-1".into(),
            occur_time: OffsetDateTime::UNIX_EPOCH,
            from_state: from.into(),
            to_state: to.into(),
            reason: String::new(),
            participant_role: None,
            referral_source: None,
            organization_id: None,
            municipality_id: None,
            district_id: None,
            gender: None,
            birth_year: None,
            end_reason: None,
            match_id: None,
            activity_id: None,
            activity_kind: None,
            waited_seconds: None,
            activity_free: None,
            languages: None,
        }
    }

    #[test]
    fn stored_states_become_typed_transitions_by_kind() {
        use pb::event::Transition;
        let referral = event("chapters/botkyrka/referrals/x", "", "interview_booked");
        assert_eq!(
            transition(&referral).unwrap(),
            Some(Transition::Referral(pb::ReferralTransition {
                from_state: pb::ReferralState::Unspecified as i32,
                to_state: pb::ReferralState::InterviewBooked as i32,
            }))
        );
        let participant = event("chapters/botkyrka/participants/x", "applicant", "needs_follow_up");
        assert_eq!(
            transition(&participant).unwrap(),
            Some(Transition::Participant(pb::ParticipantTransition {
                from_state: pb::ParticipantState::Applicant as i32,
                to_state: pb::ParticipantState::NeedsFollowUp as i32,
            }))
        );
        let interview = event(
            "chapters/botkyrka/participants/x/interviews/y",
            "booked",
            "recorded",
        );
        assert!(matches!(
            transition(&interview).unwrap(),
            Some(Transition::Interview(_))
        ));
        assert!(
            transition(&event("chapters/botkyrka/activities/z", "", "no_such_state")).is_err(),
            "a stored state the contract does not know is an error, not UNSPECIFIED"
        );
    }

    #[test]
    fn every_referral_state_string_names_a_proto_value() {
        for state in kompis_domain::ReferralState::ALL {
            let value = state_value("REFERRAL_STATE", state.as_str(), |n| {
                pb::ReferralState::from_str_name(n).map(|v| v as i32)
            });
            assert_ne!(value.unwrap(), 0, "{state}");
        }
        for state in kompis_domain::ParticipantState::ALL {
            let value = state_value("PARTICIPANT_STATE", state.as_str(), |n| {
                pb::ParticipantState::from_str_name(n).map(|v| v as i32)
            });
            assert_ne!(value.unwrap(), 0, "{state}");
        }
    }
}
