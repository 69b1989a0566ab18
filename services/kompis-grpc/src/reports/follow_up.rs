//! The follow-up report: the request parsed and scoped, the counts read from the event
//! log, filled out, suppressed for partner viewers, and turned into the contract's
//! figures.
//!
//! Decisions the contract leaves open:
//! - A partner viewer sees one municipality of their chapter (its only one by default)
//!   and no district: a district's figures beside its municipality's would let a small
//!   cell be recovered by subtraction. Target-group filters are allowed; figures of two
//!   overlapping requests (two periods, two age bands) can still be subtracted from one
//!   another, which suppression within one report does not prevent.
//! - Breakdowns over a known set of keys (roles, months, reasons, answers, kinds, the
//!   scope's districts and the chapter's organisations) list every key, 0 included, so
//!   that a missing key never stands for a 0 a partner viewer should not see.

use std::collections::BTreeMap;

use kompis_domain::suppression::{self, Equation};
use kompis_domain::{MatchEndReason, Role, Slug, Violations};
use kompis_proto::v1 as pb;
use kompis_store::participants;
use kompis_store::reports::{self as store, FollowUpQuery, Label};
use time::Duration;

use crate::auth::Principal;
use crate::kit::Kit;
use crate::kit::convert::from_timestamp;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::{names, scope};

/// The longest period a report covers.
const MAX_PERIOD: Duration = Duration::days(3653);

/// A parsed, authorised request.
#[derive(Debug, Clone)]
pub struct Request {
    /// What the store counts.
    pub query: FollowUpQuery,
    /// Whether small cells are suppressed (the caller is a partner viewer).
    pub suppress: bool,
    /// The request's chapter name, for NOT_FOUND.
    pub chapter_name: String,
}

fn lower_name(proto_name: &str, prefix: &str) -> String {
    proto_name.trim_start_matches(prefix).to_ascii_lowercase()
}

/// Parses `req` into a query (every bad field at once) and checks the caller's scope.
pub async fn parse(
    kit: &Kit,
    principal: &Principal,
    req: &pb::GetFollowUpReportRequest,
) -> ApiResult<Request> {
    let mut v = Violations::new();
    let chapter = v.check(
        "chapter",
        names::parse_parent_or_wildcard(&req.chapter, "chapters"),
    );
    let municipality = if req.municipality.is_empty() {
        Some(None)
    } else {
        v.check(
            "municipality",
            names::parse_one(&req.municipality, "municipalities"),
        )
        .map(Some)
    };
    let district = if req.district.is_empty() {
        Some(None)
    } else {
        v.check(
            "district",
            names::parse_two(&req.district, "municipalities", "districts"),
        )
        .map(Some)
    };
    if principal.role == Role::PartnerViewer && !req.district.is_empty() {
        v.add(
            "district",
            "is not available to partner viewers: ask for the municipality",
        );
    }
    let start = v.require("start_time", req.start_time.as_ref().map(from_timestamp));
    let end = v.require("end_time", req.end_time.as_ref().map(from_timestamp));
    let (start, end) = match (start.flatten(), end.flatten()) {
        (Some(s), Some(e)) if e <= s => {
            v.add("end_time", "must be after start_time");
            (None, None)
        }
        (Some(s), Some(e)) if e - s > MAX_PERIOD => {
            v.add("end_time", "must be at most 10 years after start_time");
            (None, None)
        }
        (s, e) => (s, e),
    };
    if let (Some(m), Some(Some((dm, _)))) = (&municipality, &district)
        && let Some(m) = m
        && m != dm
    {
        v.add("district", "must lie in the municipality");
    }
    let group = req.target_group.clone().unwrap_or_default();
    let mut roles = Vec::new();
    for (i, &r) in group.roles.iter().enumerate() {
        match pb::ParticipantRole::try_from(r) {
            Ok(r) if r != pb::ParticipantRole::Unspecified => {
                roles.push(lower_name(r.as_str_name(), "PARTICIPANT_ROLE_"));
            }
            _ => v.add(
                format!("target_group.roles[{i}]"),
                "must be NEWCOMER or ESTABLISHED_RESIDENT",
            ),
        }
    }
    let mut genders = Vec::new();
    for (i, &g) in group.genders.iter().enumerate() {
        match pb::Gender::try_from(g) {
            Ok(g) if g != pb::Gender::Unspecified => genders.push(lower_name(g.as_str_name(), "GENDER_")),
            _ => v.add(
                format!("target_group.genders[{i}]"),
                "must be one of the Gender values",
            ),
        }
    }
    let mut sources = Vec::new();
    for (i, &s) in group.sources.iter().enumerate() {
        match pb::ParticipantSource::try_from(s) {
            Ok(s) if s != pb::ParticipantSource::Unspecified => {
                sources.push(lower_name(s.as_str_name(), "PARTICIPANT_SOURCE_"));
            }
            _ => v.add(
                format!("target_group.sources[{i}]"),
                "must be one of the ParticipantSource values",
            ),
        }
    }
    let (mut born_from, mut born_to) = (None, None);
    if let Some(ages) = &group.age_range {
        if !(0..=120).contains(&ages.min_age) {
            v.add("target_group.age_range.min_age", "must be 0 to 120");
        } else if !(ages.min_age..=120).contains(&ages.max_age) {
            v.add("target_group.age_range.max_age", "must be min_age to 120");
        } else if let Some(end) = end {
            // Age is the calendar year of the period's end minus the birth year.
            let year = (end - Duration::SECOND).year();
            born_from = Some(year - ages.max_age);
            born_to = Some(year - ages.min_age);
        }
    }
    v.into_result().map_err(ApiError::InvalidArgument)?;
    let (Some(chapter), Some(mut municipality), Some(district), Some(start), Some(end)) =
        (chapter, municipality, district, start, end)
    else {
        return Err(ApiError::bug("a valid report request did not parse"));
    };
    let chapter = authorize(kit, principal, chapter.as_ref(), &req.chapter).await?;
    if let Some((m, _)) = &district {
        municipality = Some(m.clone());
    }
    let municipality = match (chapter.as_ref(), municipality) {
        (Some((_, covered)), Some(m)) => {
            if !covered.iter().any(|c| c == m.as_str()) {
                return Err(scope::not_found(&req.municipality));
            }
            Some(m.as_str().to_owned())
        }
        (Some((_, covered)), None) if principal.role == Role::PartnerViewer => match covered.as_slice() {
            [only] => Some(only.clone()),
            _ => {
                return Err(ApiError::invalid(
                    "municipality",
                    "is required: the chapter covers several municipalities",
                ));
            }
        },
        (_, m) => m.map(|m| m.as_str().to_owned()),
    };
    Ok(Request {
        query: FollowUpQuery {
            chapter: chapter.map(|(c, _)| c),
            municipality,
            district: district.map(|(_, d)| d.as_str().to_owned()),
            start: Some(start),
            end: Some(end),
            roles,
            genders,
            born_from,
            born_to,
            sources,
        },
        suppress: principal.role == Role::PartnerViewer,
        chapter_name: req.chapter.clone(),
    })
}

/// The chapter (with the municipalities it covers) if the caller may read its figures;
/// `None` for every chapter (administrators). NOT_FOUND otherwise.
pub async fn authorize(
    kit: &Kit,
    principal: &Principal,
    chapter: Option<&Slug>,
    name: &str,
) -> ApiResult<Option<(String, Vec<String>)>> {
    let Some(chapter) = chapter else {
        return if principal.role == Role::Administrator {
            Ok(None)
        } else {
            Err(scope::not_found(name))
        };
    };
    let allowed = match principal.role {
        Role::PartnerViewer => principal.chapter.as_ref() == Some(chapter),
        _ => principal.manages_chapter(chapter.as_str()),
    };
    if !allowed {
        return Err(scope::not_found(name));
    }
    let stored = kompis_store::chapters::get_chapter(kit.store().pool(), chapter)
        .await
        .named(name)?;
    Ok(Some((chapter.as_str().to_owned(), stored.municipalities)))
}

/// One cell before suppression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    metric: String,
    dimension: String,
    key: String,
}

fn key(metric: &str, dimension: &str, k: &str) -> Key {
    Key {
        metric: metric.into(),
        dimension: dimension.into(),
        key: k.into(),
    }
}

const ROLES: [&str; 2] = ["newcomer", "established_resident"];
const WAIT_BUCKETS: [&str; 5] = ["0-30", "31-90", "91-180", "181-365", "366-"];
const ANSWERS: [&str; 3] = ["met", "not_yet", "wont_meet"];
const ACTIVITY_KINDS: [&str; 2] = ["group_activity", "buddy_meeting_evening"];
/// Metrics that count things, not people: never suppressed.
const NOT_PEOPLE: [&str; 1] = ["activities_held"];
/// Metrics broken down by the districts of the scope.
const BY_DISTRICT: [(&str, &str); 6] = [
    ("matched", "district"),
    ("newcomers_waiting_at_end", "district"),
    ("became_ready_newcomer", "district"),
    ("became_ready_established_resident", "district"),
    ("waiting_now", "district"),
    ("free_places_now", "district"),
];
/// A cell by metric, dimension and key.
type CellName = (&'static str, &'static str, &'static str);

/// Totals that count the same people (or nearly: treated as equal, which only
/// suppresses more).
const SAME_PEOPLE: [(CellName, CellName); 3] = [
    (("newcomers_matched", "", ""), ("matched", "role", "newcomer")),
    (("newcomers_wait", "", ""), ("newcomers_matched", "", "")),
    (("matches_made", "", ""), ("newcomers_matched", "", "")),
];

/// Computes the report of `request`.
pub async fn compute(kit: &Kit, request: &Request) -> ApiResult<pb::FollowUpReport> {
    let pool = kit.store().pool();
    let q = &request.query;
    let name = request.chapter_name.as_str();
    let mut counts: BTreeMap<Key, i64> = BTreeMap::new();
    let rows = store::follow_up(pool, q).await.named(name)?;
    let at_end = store::at_end(pool, q).await.named(name)?;
    for r in rows.into_iter().chain(at_end) {
        *counts.entry(key(&r.metric, &r.dimension, &r.key)).or_default() += r.count;
    }
    let labels = store::labels(pool, q.chapter.as_deref()).await.named(name)?;
    let districts: Vec<&Label> = labels
        .iter()
        .filter(|l| {
            l.municipality_id.is_some()
                && q.municipality
                    .as_ref()
                    .is_none_or(|m| l.municipality_id.as_ref() == Some(m))
                && q.district
                    .as_ref()
                    .is_none_or(|d| l.key.rsplit('/').next() == Some(d.as_str()))
        })
        .collect();
    // Supply and demand now, from the participants as they are (not a period figure).
    if let Some(chapter) = &q.chapter {
        let by_district = participants::shortage_by_district(pool, chapter)
            .await
            .named(name)?;
        let (mut waiting, mut free) = (0, 0);
        for s in by_district
            .iter()
            .filter(|s| districts.iter().any(|d| d.key == s.key))
        {
            waiting += s.waiting_newcomers;
            free += s.free_resident_places;
            counts.insert(key("waiting_now", "district", &s.key), s.waiting_newcomers);
            counts.insert(key("free_places_now", "district", &s.key), s.free_resident_places);
        }
        counts.insert(key("waiting_now", "", ""), waiting);
        counts.insert(key("free_places_now", "", ""), free);
        // Languages are counted over the chapter: only when that is the scope asked for.
        if q.district.is_none() && q.municipality.is_none() {
            for s in participants::shortage_by_language(pool, chapter)
                .await
                .named(name)?
            {
                counts.insert(key("waiting_now", "language", &s.key), s.waiting_newcomers);
                counts.insert(key("free_places_now", "language", &s.key), s.free_resident_places);
            }
        }
    }
    fill_known_keys(&mut counts, &labels, &districts);
    let cells: Vec<(Key, i64)> = counts.into_iter().collect();
    let hidden = if request.suppress {
        let (exempt, equations) = equations(&cells);
        let counts: Vec<i64> = cells.iter().map(|(_, n)| *n).collect();
        suppression::suppress(&counts, &exempt, &equations)
    } else {
        vec![false; cells.len()]
    };
    let label_of = |k: &Key| -> String {
        labels
            .iter()
            .find(|l| l.key == k.key)
            .map(|l| l.display_name.clone())
            .unwrap_or_default()
    };
    let figures: Vec<pb::Figure> = cells
        .iter()
        .zip(&hidden)
        .map(|((k, n), &hidden)| pb::Figure {
            metric: k.metric.clone(),
            dimension: k.dimension.clone(),
            key: public_key(&k.key),
            label: label_of(k),
            cell: Some(cell(*n, hidden)),
        })
        .collect();
    let total = |metric: &str| -> (i64, bool) {
        cells
            .iter()
            .zip(&hidden)
            .find(|((k, _), _)| k.metric == metric && k.dimension.is_empty())
            .map_or((0, false), |((_, n), h)| (*n, *h))
    };
    let waits = store::waits(pool, q).await.named(name)?;
    let small = |n: i64| request.suppress && n < suppression::THRESHOLD;
    let stat = |value: Option<f64>, over: i64| pb::Statistic {
        statistic: if small(over) {
            Some(pb::statistic::Statistic::Suppressed(true))
        } else {
            value.map(pb::statistic::Statistic::Value)
        },
    };
    let (made, _) = total("matches_made");
    let (met, met_hidden) = cells
        .iter()
        .zip(&hidden)
        .find(|((k, _), _)| {
            k.metric == "matches_made" && k.dimension == "met_within_35_days" && k.key == "yes"
        })
        .map_or((0, false), |((_, n), h)| (*n, *h));
    let share = (made > 0).then(|| met as f64 / made as f64);
    // The share times the total would give the met count away: hidden with it.
    let share = if met_hidden {
        pb::Statistic {
            statistic: Some(pb::statistic::Statistic::Suppressed(true)),
        }
    } else {
        stat(share, made)
    };
    let goals = goal_progress(kit, request, &total).await?;
    Ok(pb::FollowUpReport {
        figures,
        median_days_waited: Some(stat(waits.median_days, waits.newcomers)),
        p90_days_waited: Some(stat(waits.p90_days, waits.newcomers)),
        share_met_within_35_days: Some(share),
        goals,
        suppressed: request.suppress,
    })
}

/// The goals whose period is the report's, with the figure reached.
async fn goal_progress(
    kit: &Kit,
    request: &Request,
    total: &(dyn Fn(&str) -> (i64, bool) + Sync),
) -> ApiResult<Vec<pb::GoalProgress>> {
    let q = &request.query;
    let Some(chapter) = &q.chapter else {
        return Ok(Vec::new());
    };
    if q.district.is_some() {
        return Ok(Vec::new());
    }
    let municipality = q.municipality.clone().unwrap_or_default();
    let goals = store::goals(kit.store().pool(), chapter, Some(&municipality), q.start, q.end)
        .await
        .named(&request.chapter_name)?;
    Ok(goals
        .into_iter()
        .filter(|g| Some(g.start_time) == q.start && Some(g.end_time) == q.end)
        .map(|g| {
            let (reached, hidden) = total(&g.metric);
            let percent = (g.target > 0).then(|| 100.0 * reached as f64 / f64::from(g.target));
            pb::GoalProgress {
                goal: Some(super::goals::goal_pb(&g)),
                reached: Some(cell(reached, hidden)),
                percent: Some(pb::Statistic {
                    statistic: if hidden {
                        Some(pb::statistic::Statistic::Suppressed(true))
                    } else {
                        percent.map(pb::statistic::Statistic::Value)
                    },
                }),
            }
        })
        .collect())
}

fn cell(n: i64, hidden: bool) -> pb::Cell {
    pb::Cell {
        cell: Some(if hidden {
            pb::cell::Cell::Suppressed(true)
        } else {
            pb::cell::Cell::Value(n)
        }),
    }
}

/// A district's store key `{m}/{d}` as its resource name; other keys as they are.
fn public_key(k: &str) -> String {
    match k.split_once('/') {
        Some((m, d)) if m != "organizations" && !d.contains('/') => names::district(m, d),
        _ => k.to_owned(),
    }
}

/// Adds every known key of a breakdown with 0, so that a key without people is a cell
/// (suppressed for partner viewers) rather than a row left out.
fn fill_known_keys(counts: &mut BTreeMap<Key, i64>, labels: &[Label], districts: &[&Label]) {
    let mut zero = |m: &str, d: &str, k: &str| {
        counts.entry(key(m, d, k)).or_default();
    };
    for metric in ["recruited", "interviewed", "approved", "matched"] {
        zero(metric, "", "");
        for role in ROLES {
            zero(metric, "role", role);
        }
    }
    for org in labels.iter().filter(|l| l.municipality_id.is_none()) {
        zero("recruited", "source", &org.key);
        zero("referrals_received", "source", &org.key);
    }
    zero("recruited", "source", "coordinator");
    zero("recruited", "source", "self_sign_up");
    for bucket in WAIT_BUCKETS {
        zero("newcomers_wait", "days", bucket);
    }
    for yes in ["yes", "no"] {
        zero("matches_made", "met_within_35_days", yes);
    }
    for reason in MatchEndReason::ALL {
        zero("matches_ended", "end_reason", reason.as_str());
    }
    for answer in ANSWERS {
        zero("check_ins", "answer", answer);
    }
    for kind in ACTIVITY_KINDS {
        zero("activities_held", "kind", kind);
    }
    for free in ["free", "not_free"] {
        zero("activities_held", "free", free);
    }
    for (metric, dimension) in BY_DISTRICT {
        zero(metric, "", "");
        for d in districts {
            zero(metric, dimension, &d.key);
        }
    }
}

/// The cells exempt from suppression and the equations between cells: each total is the
/// sum of each of its breakdowns, and totals counting the same people are equal.
fn equations(cells: &[(Key, i64)]) -> (Vec<bool>, Vec<Equation>) {
    let index = |m: &str, d: &str, k: &str| {
        cells
            .iter()
            .position(|(c, _)| c.metric == m && c.dimension == d && c.key == k)
    };
    let exempt = cells
        .iter()
        .map(|(k, _)| NOT_PEOPLE.contains(&k.metric.as_str()))
        .collect();
    let mut breakdowns: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, (k, _)) in cells.iter().enumerate() {
        if !k.dimension.is_empty() {
            breakdowns.entry((&k.metric, &k.dimension)).or_default().push(i);
        }
    }
    let mut equations: Vec<Equation> = breakdowns
        .into_iter()
        .filter_map(|((metric, _), parts)| index(metric, "", "").map(|total| Equation { total, parts }))
        .collect();
    for ((m1, d1, k1), (m2, d2, k2)) in SAME_PEOPLE {
        if let (Some(a), Some(b)) = (index(m1, d1, k1), index(m2, d2, k2)) {
            equations.push(Equation {
                total: a,
                parts: vec![b],
            });
        }
    }
    (exempt, equations)
}
