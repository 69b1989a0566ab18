//! The follow-up report: the request parsed and scoped, the counts read from the event
//! log, filled out, suppressed for partner viewers, and turned into the contract's
//! figures.
//!
//! # Partner viewers
//!
//! A partner viewer (a municipality's official) reads aggregates of one municipality,
//! taken from their token when the request leaves `chapter` and `municipality` out
//! (see [`super::place`]), with every cell under 5 people suppressed. Suppression
//! inside one report is not enough: two overlapping requests could be subtracted from
//! one another (a period and the same period plus a day; everyone and everyone but
//! one gender; a district and its municipality). What a partner viewer can ask for is
//! therefore a fixed set of tables, suppressed together, so that no difference of two
//! of their reports recovers a suppressed cell:
//!
//! - **Periods are ended calendar years** (1 January 00:00 Europe/Stockholm to the
//!   next), or INVALID_ARGUMENT naming `start_time` or `end_time`. Two partner-viewer
//!   periods are the same or disjoint, never overlapping, and the figures of an ended
//!   year no longer change (events carry the time they happened, from the application
//!   clock), so asking again later tells nothing new. The report's months
//!   (`newcomers_matched` by `month`) are breakdowns inside it, suppressed with it.
//! - **No district** (INVALID_ARGUMENT): a district beside its municipality would be a
//!   difference.
//! - **No figures of "now"** (`waiting_now`, `free_places_now`): they change with every
//!   event, so two requests a day apart would give one day's changes away. The supply
//!   and demand at the end of the year (`newcomers_waiting_at_end`,
//!   `residents_ready_at_end`, by district and language) stand in for them.
//! - **Target groups are one criterion, one band**: one role, one gender, one source,
//!   or one of the age bands 0-24, 25-64 and 65 and over (open-ended at both ends, so
//!   that the bands partition everyone). Each criterion's bands partition the people of
//!   the unfiltered report exactly (every participant has a role, a gender, a birth
//!   year and a source), so the unfiltered table and the 12 banded ones form a family
//!   tied by equations: each unfiltered cell is the sum of that cell over the bands of
//!   each criterion. The whole family (13 reports) is computed and suppressed at once,
//!   with those equations beside each report's own, and the request gets its member.
//!   Any figure of a banded report whose complement in the unfiltered report (the
//!   other bands together) is under 5 is thus suppressed too: a shown total minus its
//!   shown parts never leaves under 5 ([`suppression`]). Two criteria at once, or
//!   another age range, answer INVALID_ARGUMENT. The price: a partner viewer's report
//!   runs the queries of 13 reports (a coordinator's runs those of one). Since the
//!   figures of an ended year no longer change, the family could be computed once per
//!   chapter, municipality and year and kept; it is not yet.
//! - Statistics (median and 90th percentile wait, share met within 35 days) are
//!   suppressed when computed over fewer than 5 people, and in a banded report also
//!   when the count they are computed over is suppressed.
//!
//! Coordinators and administrators get exact, unsuppressed figures for any period,
//! place and target group.
//!
//! Other decisions the contract leaves open:
//! - Breakdowns over a known set of keys (roles, months, reasons, answers, kinds, the
//!   scope's districts, the chapter's organisations and the languages of its participants ready
//!   before the period's end) list every key, 0 included, so that a missing key never
//!   stands for a 0 a partner viewer should not see.

use std::collections::BTreeMap;

use kompis_domain::suppression::{self, Equation};
use kompis_domain::{MatchEndReason, Role, Slug, Violations};
use kompis_proto::v1 as pb;
use kompis_store::participants;
use kompis_store::reports::{self as store, FollowUpQuery, Label};
use kompis_store::supply;
use time::{Duration, OffsetDateTime};

use super::place;
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
    /// For a partner viewer, the family of reports suppressed together (the unfiltered
    /// one first, then every band of every criterion, see [`family`]) and the index of
    /// the one asked for; empty for staff.
    pub family: Vec<FollowUpQuery>,
    /// The index of `query` in `family`.
    pub member: usize,
}

fn lower_name(proto_name: &str, prefix: &str) -> String {
    proto_name.trim_start_matches(prefix).to_ascii_lowercase()
}

/// The target-group criteria a partner viewer may use, each a partition of everyone
/// into bands: roles, genders, age bands, sources.
const CRITERIA: usize = 4;
const GENDERS: [&str; 4] = ["female", "male", "non_binary", "undisclosed"];
const SOURCES: [&str; 3] = ["referral", "coordinator", "self_sign_up"];
/// Age bands (calendar year of the period's end minus birth year): the first is open
/// below, the last open above, so that they partition every birth year.
const AGE_BANDS: [(i32, i32); 3] = [(0, 24), (25, 64), (65, 120)];
/// How many bands each criterion has.
const BANDS: [usize; CRITERIA] = [ROLES.len(), GENDERS.len(), AGE_BANDS.len(), SOURCES.len()];

/// `base` (unfiltered) narrowed to one band of one criterion.
fn banded(base: &FollowUpQuery, criterion: usize, band: usize) -> FollowUpQuery {
    let mut q = base.clone();
    match criterion {
        0 => q.roles = vec![ROLES[band].to_owned()],
        1 => q.genders = vec![GENDERS[band].to_owned()],
        2 => {
            let year = q.end.map_or(0, |e| (e - Duration::SECOND).year());
            let (min, max) = AGE_BANDS[band];
            q.born_from = (band + 1 < AGE_BANDS.len()).then_some(year - max);
            q.born_to = (band > 0).then_some(year - min);
        }
        _ => q.sources = vec![SOURCES[band].to_owned()],
    }
    q
}

/// The family of a partner viewer's reports over `base` (unfiltered): `base` first,
/// then every band of every criterion in order. Member `1 + Σ BANDS[..c] + b` is band
/// `b` of criterion `c`.
fn family(base: &FollowUpQuery) -> Vec<FollowUpQuery> {
    let mut members = vec![base.clone()];
    for (criterion, &bands) in BANDS.iter().enumerate() {
        members.extend((0..bands).map(|band| banded(base, criterion, band)));
    }
    members
}

/// The family member of band `band` of `criterion`.
fn member_of(criterion: usize, band: usize) -> usize {
    1 + BANDS[..criterion].iter().sum::<usize>() + band
}

/// 1 January 00:00 Europe/Stockholm of `year`: always UTC+1, since summer time never
/// covers January.
fn new_year(year: i32) -> Option<OffsetDateTime> {
    Some(
        time::Date::from_calendar_date(year, time::Month::January, 1)
            .ok()?
            .midnight()
            .assume_offset(time::macros::offset!(+1)),
    )
}

/// A partner viewer's period must be one calendar year that has ended.
fn check_partner_period(v: &mut Violations, start: OffsetDateTime, end: OffsetDateTime, now: OffsetDateTime) {
    let year = start.to_offset(time::macros::offset!(+1)).year();
    if new_year(year) != Some(start) {
        v.add(
            "start_time",
            "must be 1 January 00:00 Europe/Stockholm: partner viewers get calendar years",
        );
    } else if new_year(year + 1) != Some(end) {
        v.add(
            "end_time",
            "must be 1 January 00:00 Europe/Stockholm of the next year: partner viewers get one calendar year",
        );
    } else if end > now {
        v.add(
            "end_time",
            "must have passed: partner viewers get the figures of years that have ended",
        );
    }
}

/// A partner viewer's target group: none (`Some(None)`), or one band of one criterion;
/// `None` with violations otherwise.
fn partner_band(v: &mut Violations, group: &pb::TargetGroup) -> Option<Option<(usize, usize)>> {
    let used = [
        !group.roles.is_empty(),
        !group.genders.is_empty(),
        group.age_range.is_some(),
        !group.sources.is_empty(),
    ];
    let Some(criterion) = used.iter().position(|&u| u) else {
        return Some(None);
    };
    if used.iter().filter(|&&u| u).count() > 1 {
        v.add(
            "target_group",
            "partner viewers use one criterion at a time: roles, genders, age_range or sources",
        );
        return None;
    }
    let one = |v: &mut Violations, field: &str, values: &[i32], bands: &[&str], prefix: &str| {
        if values.len() != 1 {
            v.add(
                format!("target_group.{field}"),
                "must name one value for partner viewers",
            );
            return None;
        }
        let name = |value: i32| -> Option<String> {
            let name = match field {
                "roles" => pb::ParticipantRole::try_from(value).ok()?.as_str_name(),
                "genders" => pb::Gender::try_from(value).ok()?.as_str_name(),
                _ => pb::ParticipantSource::try_from(value).ok()?.as_str_name(),
            };
            Some(lower_name(name, prefix))
        };
        // Unknown values are reported by the general checks.
        name(values[0]).and_then(|n| bands.iter().position(|b| *b == n))
    };
    let band = match criterion {
        0 => one(v, "roles", &group.roles, &ROLES, "PARTICIPANT_ROLE_"),
        1 => one(v, "genders", &group.genders, &GENDERS, "GENDER_"),
        2 => {
            let ages = group.age_range.as_ref()?;
            let band = AGE_BANDS
                .iter()
                .position(|&(min, max)| (ages.min_age, ages.max_age) == (min, max));
            if band.is_none() {
                v.add(
                    "target_group.age_range",
                    "must be 0-24, 25-64 or 65-120 for partner viewers",
                );
            }
            band
        }
        _ => one(v, "sources", &group.sources, &SOURCES, "PARTICIPANT_SOURCE_"),
    };
    band.map(|b| Some((criterion, b)))
}

/// Parses `req` into a query (every bad field at once) and checks the caller's scope.
pub async fn parse(
    kit: &Kit,
    principal: &Principal,
    req: &pb::GetFollowUpReportRequest,
) -> ApiResult<Request> {
    let partner = principal.role == Role::PartnerViewer;
    let chapter_name = place::chapter_name(principal, &req.chapter);
    let mut v = Violations::new();
    let chapter = v.check(
        "chapter",
        names::parse_parent_or_wildcard(&chapter_name, "chapters"),
    );
    let municipality = place::optional_municipality(&mut v, "municipality", &req.municipality);
    let district = if req.district.is_empty() {
        Some(None)
    } else {
        v.check(
            "district",
            names::parse_two(&req.district, "municipalities", "districts"),
        )
        .map(Some)
    };
    if partner && !req.district.is_empty() {
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
    if partner && let (Some(s), Some(e)) = (start, end) {
        check_partner_period(&mut v, s, e, kit.now());
    }
    if let (Some(m), Some(Some((dm, _)))) = (&municipality, &district)
        && let Some(m) = m
        && m != dm
    {
        v.add("district", "must lie in the municipality");
    }
    let group = req.target_group.clone().unwrap_or_default();
    let band = if partner {
        partner_band(&mut v, &group)
    } else {
        Some(None)
    };
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
    let (Some(chapter), Some(municipality), Some(district), Some(start), Some(end), Some(band)) =
        (chapter, municipality, district, start, end, band)
    else {
        return Err(ApiError::bug("a valid report request did not parse"));
    };
    let chapter = authorize(kit, principal, chapter.as_ref(), &chapter_name).await?;
    let municipality = match (&chapter, &district) {
        (_, Some((m, _))) => Some(m.clone()),
        _ => municipality,
    };
    let municipality = match &chapter {
        Some((_, covered)) => place::municipality_in_scope(
            principal,
            covered,
            municipality.as_ref(),
            "municipality",
            &req.municipality,
            &chapter_name,
        )?,
        None => municipality.map(|m| m.as_str().to_owned()),
    };
    let query = FollowUpQuery {
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
    };
    let (query, family, member) = if partner {
        let base = FollowUpQuery {
            roles: Vec::new(),
            genders: Vec::new(),
            born_from: None,
            born_to: None,
            sources: Vec::new(),
            ..query
        };
        let member = band.map_or(0, |(c, b)| member_of(c, b));
        let family = family(&base);
        (family[member].clone(), family, member)
    } else {
        (query, Vec::new(), 0)
    };
    Ok(Request {
        query,
        suppress: partner,
        chapter_name,
        family,
        member,
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
const BY_DISTRICT: [(&str, &str); 5] = [
    ("matched", "district"),
    ("newcomers_waiting_at_end", "district"),
    ("residents_ready_at_end", "district"),
    ("became_ready_newcomer", "district"),
    ("became_ready_established_resident", "district"),
];
/// Figures of now broken down by the districts of the scope.
const BY_DISTRICT_NOW: [(&str, &str); 2] = [("waiting_now", "district"), ("free_places_now", "district")];
/// Metrics broken down by the languages of the chapter's participants.
const BY_LANGUAGE: [&str; 2] = ["newcomers_waiting_at_end", "residents_ready_at_end"];
/// A cell by metric, dimension and key.
type CellName = (&'static str, &'static str, &'static str);

/// Totals that count the same people (or nearly: treated as equal, which only
/// suppresses more).
const SAME_PEOPLE: [(CellName, CellName); 3] = [
    (("newcomers_matched", "", ""), ("matched", "role", "newcomer")),
    (("newcomers_wait", "", ""), ("newcomers_matched", "", "")),
    (("matches_made", "", ""), ("newcomers_matched", "", "")),
];

/// The counts of one report over `q` before suppression, every known key filled in.
/// The figures of "now" only when `with_now` (not for partner viewers).
async fn counts(
    kit: &Kit,
    q: &FollowUpQuery,
    name: &str,
    labels: &[Label],
    languages: &[String],
    with_now: bool,
) -> ApiResult<BTreeMap<Key, i64>> {
    let pool = kit.store().pool();
    let mut counts: BTreeMap<Key, i64> = BTreeMap::new();
    // The parts are independent reads: run side by side, each on its own connection.
    let period = async {
        let mut tx = kit.store().begin().await?;
        store::follow_up(&mut tx, q).await
    };
    let (rows, made, at_end, supply_at_end) = tokio::try_join!(
        period,
        store::matches_made(pool, q),
        store::at_end(pool, q),
        supply::at_end(pool, q)
    )
    .named(name)?;
    for r in rows.into_iter().chain(made).chain(at_end).chain(supply_at_end) {
        *counts.entry(key(&r.metric, &r.dimension, &r.key)).or_default() += r.count;
    }
    let districts = scope_districts(labels, q);
    // Supply and demand now, from the participants as they are (not a period figure).
    if with_now && let Some(chapter) = &q.chapter {
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
        for (metric, dimension) in BY_DISTRICT_NOW {
            counts.entry(key(metric, "", "")).or_default();
            for d in &districts {
                counts.entry(key(metric, dimension, &d.key)).or_default();
            }
        }
    }
    fill_known_keys(&mut counts, labels, &districts, languages);
    Ok(counts)
}

/// The districts of the query's scope.
fn scope_districts<'a>(labels: &'a [Label], q: &FollowUpQuery) -> Vec<&'a Label> {
    labels
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
        .collect()
}

/// The cells of the report asked for and which of them are suppressed: none for
/// staff; for a partner viewer, those of its member of the family, the whole family
/// suppressed at once (see the module docs).
async fn suppressed_cells(
    kit: &Kit,
    request: &Request,
    labels: &[Label],
    languages: &[String],
) -> ApiResult<(Vec<(Key, i64)>, Vec<bool>)> {
    let name = request.chapter_name.as_str();
    if !request.suppress {
        let counts = counts(kit, &request.query, name, labels, languages, true).await?;
        let cells: Vec<(Key, i64)> = counts.into_iter().collect();
        let hidden = vec![false; cells.len()];
        return Ok((cells, hidden));
    }
    let mut members = Vec::with_capacity(request.family.len());
    for q in &request.family {
        members.push(counts(kit, q, name, labels, languages, false).await?);
    }
    // Every member gets every key any member has, so that cell k is the same figure in
    // each of them.
    let keys: Vec<Key> = members
        .iter()
        .flat_map(|m| m.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let n = keys.len();
    let member_cells: Vec<Vec<(Key, i64)>> = members
        .iter()
        .map(|m| {
            keys.iter()
                .map(|k| (k.clone(), m.get(k).copied().unwrap_or(0)))
                .collect()
        })
        .collect();
    let (exempt, own) = equations(&member_cells[0]);
    let mut all_counts = Vec::with_capacity(n * members.len());
    let mut all_exempt = Vec::with_capacity(n * members.len());
    let mut all_equations = Vec::new();
    for (i, cells) in member_cells.iter().enumerate() {
        all_counts.extend(cells.iter().map(|(_, c)| *c));
        all_exempt.extend(exempt.iter().copied());
        all_equations.extend(own.iter().map(|e| Equation {
            total: i * n + e.total,
            parts: e.parts.iter().map(|p| i * n + p).collect(),
        }));
    }
    // Each unfiltered cell is the sum of that cell over the bands of each criterion.
    for (criterion, &bands) in BANDS.iter().enumerate() {
        for k in (0..n).filter(|&k| !exempt[k]) {
            all_equations.push(Equation {
                total: k,
                parts: (0..bands).map(|b| member_of(criterion, b) * n + k).collect(),
            });
        }
    }
    let hidden = suppression::suppress(&all_counts, &all_exempt, &all_equations);
    let at = request.member * n;
    Ok((member_cells[request.member].clone(), hidden[at..at + n].to_vec()))
}

/// Computes the report of `request`.
pub async fn compute(kit: &Kit, request: &Request) -> ApiResult<pb::FollowUpReport> {
    let pool = kit.store().pool();
    let q = &request.query;
    let name = request.chapter_name.as_str();
    let (labels, languages, waits) = tokio::try_join!(
        store::labels(pool, q.chapter.as_deref()),
        supply::languages_before(pool, q.chapter.as_deref(), q.end),
        store::waits(pool, q)
    )
    .named(name)?;
    let (cells, hidden) = suppressed_cells(kit, request, &labels, &languages).await?;
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
    let small = |n: i64| request.suppress && n < suppression::THRESHOLD;
    let withheld = || pb::Statistic {
        statistic: Some(pb::statistic::Statistic::Suppressed(true)),
    };
    // In a banded report, a statistic goes with the count it is computed over: beside
    // the unfiltered one, it would otherwise tell about the few people outside the band.
    let banded = request.member != 0;
    let waits_hidden = banded && total("newcomers_wait").1;
    let stat = |value: Option<f64>, over: i64, hidden: bool| {
        if small(over) || hidden {
            withheld()
        } else {
            pb::Statistic {
                statistic: value.map(pb::statistic::Statistic::Value),
            }
        }
    };
    let (made, made_hidden) = total("matches_made");
    let (met, met_hidden) = cells
        .iter()
        .zip(&hidden)
        .find(|((k, _), _)| {
            k.metric == "matches_made" && k.dimension == "met_within_35_days" && k.key == "yes"
        })
        .map_or((0, false), |((_, n), h)| (*n, *h));
    let share = (made > 0).then(|| met as f64 / made as f64);
    // The share times the total would give the met count away: hidden with it.
    let share = stat(share, made, banded && made_hidden || met_hidden);
    let goals = goal_progress(kit, request, &total).await?;
    Ok(pb::FollowUpReport {
        figures,
        median_days_waited: Some(stat(waits.median_days, waits.newcomers, waits_hidden)),
        p90_days_waited: Some(stat(waits.p90_days, waits.newcomers, waits_hidden)),
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
fn fill_known_keys(
    counts: &mut BTreeMap<Key, i64>,
    labels: &[Label],
    districts: &[&Label],
    languages: &[String],
) {
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
    for metric in BY_LANGUAGE {
        for language in languages {
            zero(metric, "language", language);
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
