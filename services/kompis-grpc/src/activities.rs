//! `kompis.v1.ActivityService`: coordinators plan group activities and buddy-meeting
//! evenings, invite by audience, follow answers and the waitlist, and record who came.
//!
//! Seats, the waitlist and the fan-out of invitations are the store's
//! ([`kompis_store::activities`]): each change is one store function that locks the
//! activity, writes the rows, their events and their notifications in one transaction.

use kompis_domain::{
    ActivityKind, FieldError, FreeText, LanguageCode, MAX_GUESTS_PER_INVITATION, Role, Rsvp, Slug, Violations,
};
use kompis_proto::v1 as pb;
use kompis_proto::v1::activity_service_server::ActivityService;
use kompis_store::Tx;
use kompis_store::activities::{self, Activity, Audience, Invited, NewActivity, Recorded};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::audit::{Action, Named};
use crate::kit::convert::{from_timestamp, update_paths};
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::kit::scope;
use crate::kit::{Kit, RequestId, names, respond};
use crate::parse::profile::{check_district, parse_district_name};
use crate::views::activity::{
    ANSWERS, KINDS, RECORDED_ATTENDANCES, RSVPS, STATES, activity_pb, invitation_pb, parse_activity_name,
    parse_interest_name, parse_invitation_name,
};
use crate::views::participant::{ROLES, STATES as PARTICIPANT_STATES, parse_participant_name};

type Description = FreeText<2000>;
type CancelReason = FreeText<500>;

/// Largest capacity an activity may have.
pub const MAX_CAPACITY: i32 = 100_000;
/// Most participants named in one invitation call, and attendance records in one call.
pub const MAX_NAMED: usize = 1000;
/// Most uninvited guests recorded at an activity.
pub const MAX_GUEST_COUNT: i32 = 1000;

/// The ActivityService implementation.
#[derive(Debug, Clone)]
pub struct Activities {
    kit: Kit,
}

impl Activities {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// Parses and authorises an activity name at `field`: the caller must manage its
/// chapter, otherwise it is NOT_FOUND as if it did not exist.
fn managed_activity(principal: &Principal, name: &str, field: &str) -> ApiResult<(Slug, Uuid)> {
    let (chapter, id) =
        parse_activity_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    scope::managed_chapter(principal, chapter.as_str(), name)?;
    Ok((chapter, id))
}

/// Parses and authorises an invitation name at `field`, like [`managed_activity`].
fn managed_invitation(principal: &Principal, name: &str, field: &str) -> ApiResult<(Slug, Uuid, Uuid)> {
    let parsed = parse_invitation_name(name).map_err(|e| ApiError::invalid(field, e.into_description()))?;
    scope::managed_chapter(principal, parsed.0.as_str(), name)?;
    Ok(parsed)
}

fn required_time(
    v: &mut Violations,
    field: String,
    t: Option<&prost_types::Timestamp>,
) -> Option<OffsetDateTime> {
    match t.map(from_timestamp) {
        None => {
            v.add(field, "is required");
            None
        }
        Some(None) => {
            v.add(field, "is not a valid time");
            None
        }
        Some(Some(t)) => Some(t),
    }
}

fn required_text<const MAX: usize>(v: &mut Violations, field: String, value: &str) -> Option<String> {
    let text = v.check(field.clone(), FreeText::<MAX>::parse(value))?;
    if text.is_empty() {
        v.add(field, "is required");
        return None;
    }
    Some(text.as_str().to_owned())
}

fn in_range(v: &mut Violations, field: String, value: i32, max: i32) -> Option<i32> {
    if (0..=max).contains(&value) {
        Some(value)
    } else {
        v.add(field, format!("must be 0 to {max}"));
        None
    }
}

fn parse_languages(v: &mut Violations, field: &str, codes: &[String]) -> Option<Vec<String>> {
    if codes.len() > 10 {
        v.add(field, "must list at most 10 languages");
        return None;
    }
    let mut ok = true;
    let mut parsed = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        match v.check(format!("{field}[{i}]"), LanguageCode::parse(code)) {
            Some(c) => parsed.push(c.as_str().to_owned()),
            None => ok = false,
        }
    }
    ok.then_some(parsed)
}

fn parse_interests(
    v: &mut Violations,
    field: &str,
    names: &[String],
    chapter: &str,
    max: usize,
) -> Option<Vec<String>> {
    if names.len() > max {
        v.add(field, format!("must list at most {max} interests"));
        return None;
    }
    let mut ok = true;
    let mut parsed = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        match v.check(format!("{field}[{i}]"), parse_interest_name(name, chapter)) {
            Some(id) => parsed.push(id),
            None => ok = false,
        }
    }
    ok.then_some(parsed)
}

fn parse_district(v: &mut Violations, field: &str, name: &str) -> Option<Option<(Slug, Slug)>> {
    if name.is_empty() {
        return Some(None);
    }
    v.check(field, parse_district_name(name)).map(Some)
}

/// The checks that need the database: the district lies in the chapter, the interests
/// are in its taxonomy.
async fn check_places_and_interests(
    tx: &mut Tx,
    v: &mut Violations,
    path: &str,
    new: &NewActivity,
) -> ApiResult<()> {
    if let Some((m, d)) = &new.district {
        let district = (
            Slug::parse(m).map_err(|_| ApiError::bug("a parsed district"))?,
            Slug::parse(d).map_err(|_| ApiError::bug("a parsed district"))?,
        );
        check_district(tx, v, &format!("{path}.district"), &new.chapter_id, &district).await?;
    }
    if !new.interests.is_empty() {
        let known = kompis_store::participants::known_interests(&mut **tx, &new.chapter_id, &new.interests)
            .await
            .named(path)?;
        for (i, id) in new.interests.iter().enumerate() {
            if !known.contains(id) {
                v.add(
                    format!("{path}.interests[{i}]"),
                    "is not an interest in this chapter's taxonomy",
                );
            }
        }
    }
    Ok(())
}

/// Parses a new activity of `chapter` at `path`, every bad field recorded in `v`.
fn parse_new(v: &mut Violations, path: &str, a: &pb::Activity, chapter: &str) -> Option<NewActivity> {
    let kind = v.check(format!("{path}.kind"), KINDS.parse(a.kind));
    let title = required_text::<100>(v, format!("{path}.title"), &a.title);
    let description = v.check(format!("{path}.description"), Description::parse(&a.description));
    let start = required_time(v, format!("{path}.start_time"), a.start_time.as_ref());
    let end = required_time(v, format!("{path}.end_time"), a.end_time.as_ref());
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        v.add(format!("{path}.end_time"), "must be after start_time");
    }
    let location = required_text::<200>(v, format!("{path}.location"), &a.location);
    let district = parse_district(v, &format!("{path}.district"), &a.district);
    let capacity = in_range(v, format!("{path}.capacity"), a.capacity, MAX_CAPACITY);
    let max_guests = in_range(
        v,
        format!("{path}.max_guests_per_invitation"),
        a.max_guests_per_invitation,
        MAX_GUESTS_PER_INVITATION,
    );
    let languages = parse_languages(v, &format!("{path}.language_codes"), &a.language_codes);
    let interests = parse_interests(v, &format!("{path}.interests"), &a.interests, chapter, 20);
    if !v.is_empty() {
        return None;
    }
    Some(NewActivity {
        chapter_id: chapter.to_owned(),
        kind: kind?,
        title: title?,
        description: description?.as_str().to_owned(),
        start_time: start?,
        end_time: end?,
        location: location?,
        district: district?.map(|(m, d)| (m.into_string(), d.into_string())),
        free: a.free,
        capacity: capacity?,
        max_guests: max_guests?,
        language_codes: languages?,
        interests: interests?,
        pair_sign_up: a.pair_sign_up,
    })
}

/// The fields UpdateActivity may change.
const UPDATABLE: &[&str] = &[
    "title",
    "description",
    "start_time",
    "end_time",
    "location",
    "district",
    "free",
    "capacity",
    "language_codes",
    "interests",
    "max_guests_per_invitation",
];

/// The stored activity as a new one, to merge an update into.
fn as_new(a: &Activity) -> ApiResult<NewActivity> {
    let kind: ActivityKind = a
        .kind
        .parse()
        .map_err(|_| ApiError::from(kompis_store::StoreError::corrupt("activity kind", &a.kind)))?;
    Ok(NewActivity {
        chapter_id: a.chapter_id.clone(),
        kind,
        title: a.title.clone(),
        description: a.description.clone(),
        start_time: a.start_time,
        end_time: a.end_time,
        location: a.location.clone(),
        district: a.municipality_id.clone().zip(a.district_id.clone()),
        free: a.free,
        capacity: a.capacity,
        max_guests: a.max_guests,
        language_codes: a.language_codes.clone(),
        interests: a.interests.clone(),
        pair_sign_up: a.pair_sign_up,
    })
}

/// Merges the fields of `paths` from `a` into `new`, every bad one recorded in `v`.
fn merge(v: &mut Violations, paths: &[&str], a: &pb::Activity, new: &mut NewActivity) {
    let chapter = new.chapter_id.clone();
    for path in paths {
        let field = format!("activity.{path}");
        match *path {
            "title" => {
                if let Some(t) = required_text::<100>(v, field, &a.title) {
                    new.title = t;
                }
            }
            "description" => {
                if let Some(d) = v.check(field, Description::parse(&a.description)) {
                    new.description = d.as_str().to_owned();
                }
            }
            "start_time" => {
                if let Some(t) = required_time(v, field, a.start_time.as_ref()) {
                    new.start_time = t;
                }
            }
            "end_time" => {
                if let Some(t) = required_time(v, field, a.end_time.as_ref()) {
                    new.end_time = t;
                }
            }
            "location" => {
                if let Some(l) = required_text::<200>(v, field, &a.location) {
                    new.location = l;
                }
            }
            "district" => {
                if let Some(d) = parse_district(v, &field, &a.district) {
                    new.district = d.map(|(m, d)| (m.into_string(), d.into_string()));
                }
            }
            "free" => new.free = a.free,
            "capacity" => {
                if let Some(c) = in_range(v, field, a.capacity, MAX_CAPACITY) {
                    new.capacity = c;
                }
            }
            "language_codes" => {
                if let Some(l) = parse_languages(v, &field, &a.language_codes) {
                    new.language_codes = l;
                }
            }
            "interests" => {
                if let Some(i) = parse_interests(v, &field, &a.interests, &chapter, 20) {
                    new.interests = i;
                }
            }
            "max_guests_per_invitation" => {
                if let Some(g) = in_range(v, field, a.max_guests_per_invitation, MAX_GUESTS_PER_INVITATION) {
                    new.max_guests = g;
                }
            }
            _ => {}
        }
    }
    if new.end_time <= new.start_time {
        v.add("activity.end_time", "must be after start_time");
    }
}

/// Parses an invitation audience of `chapter`.
fn parse_audience(
    v: &mut Violations,
    req: &pb::InviteParticipantsRequest,
    chapter: &str,
) -> ApiResult<Option<Audience>> {
    let mut audience = Audience::default();
    if req.participants.len() > MAX_NAMED {
        v.add(
            "participants",
            format!("must list at most {MAX_NAMED} participants"),
        );
    }
    for (i, name) in req.participants.iter().enumerate() {
        if let Some((c, id)) = v.check(format!("participants[{i}]"), parse_participant_name(name)) {
            if c.as_str() != chapter {
                // A participant of another chapter is as unknown as one that does not exist.
                return Err(scope::not_found(name));
            }
            audience.participants.push(id.into_uuid());
        }
    }
    if let Some(a) = &req.audience {
        audience.select = true;
        audience.active_matches = a.only_active_matches;
        if a.states.is_empty() && !a.only_active_matches {
            v.add(
                "audience.states",
                "is required unless only_active_matches: the participant states to select, for example READY and MATCHED",
            );
        }
        for (i, s) in a.states.iter().enumerate() {
            if let Some(state) = v.check(format!("audience.states[{i}]"), PARTICIPANT_STATES.parse(*s)) {
                audience.states.push(state.as_str().to_owned());
            }
        }
        for (i, r) in a.roles.iter().enumerate() {
            if let Some(role) = v.check(format!("audience.roles[{i}]"), ROLES.parse(*r)) {
                audience.roles.push(role.as_str().to_owned());
            }
        }
        for (i, d) in a.districts.iter().enumerate() {
            if let Some((m, d)) = v.check(format!("audience.districts[{i}]"), parse_district_name(d)) {
                audience.districts.push((m.into_string(), d.into_string()));
            }
        }
        if let Some(l) = parse_languages(v, "audience.language_codes", &a.language_codes) {
            audience.language_codes = l;
        }
        if let Some(i) = parse_interests(v, "audience.interests", &a.interests, chapter, 50) {
            audience.interests = i;
        }
    }
    Ok(v.is_empty().then_some(audience))
}

fn request_id(v: &mut Violations, value: &str) -> Option<RequestId> {
    v.check("request_id", RequestId::parse(value)).flatten()
}

fn offset_of(page: &Page) -> ApiResult<i64> {
    match page.after_first() {
        None => Ok(0),
        Some(k) => k.parse().map_err(|_| crate::views::participant::bad_page_token()),
    }
}

/// Cuts `rows` to the page and returns the next token: the offset of the next page.
fn finish<T>(page: &Page, offset: i64, rows: &mut Vec<T>) -> String {
    let next = offset + page.size;
    page.finish(rows, |_| vec![next.to_string()])
}

#[tonic::async_trait]
impl ActivityService for Activities {
    #[tracing::instrument(skip_all, fields(rpc = "CreateActivity"))]
    async fn create_activity(
        &self,
        request: Request<pb::CreateActivityRequest>,
    ) -> Result<Response<pb::CreateActivityResponse>, Status> {
        respond(
            async {
                let principal = Principal::from_request(&request)?;
                let req = request.get_ref();
                let chapter = names::parse_one(&req.parent, "chapters")
                    .map_err(|e| ApiError::invalid("parent", e.into_description()))?;
                scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
                let mut v = Violations::new();
                let rid = request_id(&mut v, &req.request_id);
                let new = match &req.activity {
                    None => {
                        v.add("activity", "is required");
                        None
                    }
                    Some(a) => parse_new(&mut v, "activity", a, chapter.as_str()),
                };
                v.into_result()?;
                let new = new.ok_or(ApiError::bug("a parsed activity"))?;
                let now = self.kit.now();
                self.kit
                    .mutate(principal, "CreateActivity", rid, req, async |tx| {
                        let mut v = Violations::new();
                        check_places_and_interests(tx, &mut v, "activity", &new).await?;
                        v.into_result()?;
                        let activity = activities::create(tx, &new, &principal.subject, now)
                            .await
                            .created_under("activity", &req.parent)?;
                        Ok(pb::CreateActivityResponse {
                            activity: Some(activity_pb(&activity)?),
                        })
                    })
                    .await
            }
            .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetActivity"))]
    async fn get_activity(
        &self,
        request: Request<pb::GetActivityRequest>,
    ) -> Result<Response<pb::GetActivityResponse>, Status> {
        respond(
            async {
                let principal = Principal::from_request(&request)?;
                let name = &request.get_ref().name;
                let (chapter, id) = managed_activity(principal, name, "name")?;
                let activity = activities::get(self.kit.store().pool(), chapter.as_str(), id)
                    .await
                    .named(name)?;
                Ok(pb::GetActivityResponse {
                    activity: Some(activity_pb(&activity)?),
                })
            }
            .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListActivities"))]
    async fn list_activities(
        &self,
        request: Request<pb::ListActivitiesRequest>,
    ) -> Result<Response<pb::ListActivitiesResponse>, Status> {
        respond(
            async {
                let principal = Principal::from_request(&request)?;
                let req = request.get_ref();
                let chapter_id = match names::parse_parent_or_wildcard(&req.parent, "chapters") {
                    Err(e) => return Err(ApiError::invalid("parent", e.into_description())),
                    Ok(None) if principal.role == Role::Administrator => None,
                    Ok(None) => principal.chapter.as_ref().map(|c| c.as_str().to_owned()),
                    Ok(Some(chapter)) => {
                        scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
                        Some(chapter.into_string())
                    }
                };
                let mut v = Violations::new();
                let kind = (req.kind != 0)
                    .then(|| v.check("kind", KINDS.parse(req.kind)))
                    .flatten();
                let state = (req.state != 0)
                    .then(|| v.check("state", STATES.parse(req.state)))
                    .flatten();
                let after = req.start_time_after.as_ref().and_then(|t| {
                    v.check(
                        "start_time_after",
                        from_timestamp(t).ok_or(FieldError::new("is not a valid time")),
                    )
                });
                let before = req.start_time_before.as_ref().and_then(|t| {
                    v.check(
                        "start_time_before",
                        from_timestamp(t).ok_or(FieldError::new("is not a valid time")),
                    )
                });
                let filters = format!(
                    "{:?}",
                    (
                        &req.parent,
                        req.kind,
                        req.state,
                        &req.start_time_after,
                        &req.start_time_before
                    )
                );
                let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &filters);
                v.into_result()?;
                let page = page.ok_or(ApiError::bug("a parsed page"))?;
                let offset = offset_of(&page)?;
                let filter = activities::ActivityFilter {
                    chapter_id,
                    kind: kind.map(|k| k.as_str().to_owned()),
                    state: state.map(|s| s.as_str().to_owned()),
                    start_after: after,
                    start_before: before,
                };
                let mut rows =
                    activities::list(self.kit.store().pool(), &filter, offset, page.fetch_limit()).await?;
                let next_page_token = finish(&page, offset, &mut rows);
                Ok(pb::ListActivitiesResponse {
                    activities: rows.iter().map(activity_pb).collect::<ApiResult<_>>()?,
                    next_page_token,
                })
            }
            .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateActivity"))]
    async fn update_activity(
        &self,
        request: Request<pb::UpdateActivityRequest>,
    ) -> Result<Response<pb::UpdateActivityResponse>, Status> {
        respond(
            async {
                let principal = Principal::from_request(&request)?;
                let req = request.get_ref();
                let Some(a) = &req.activity else {
                    return Err(ApiError::invalid("activity", "is required"));
                };
                let (chapter, id) = managed_activity(principal, &a.name, "activity.name")?;
                let paths = update_paths(req.update_mask.as_ref(), UPDATABLE)
                    .map_err(|e| ApiError::invalid("update_mask", e.into_description()))?;
                let now = self.kit.now();
                self.kit
                    .mutate(principal, "UpdateActivity", None, req, async |tx| {
                        let current = activities::get(&mut **tx, chapter.as_str(), id)
                            .await
                            .named(&a.name)?;
                        let mut new = as_new(&current)?;
                        let mut v = Violations::new();
                        merge(&mut v, &paths, a, &mut new);
                        v.into_result()?;
                        let mut v = Violations::new();
                        check_places_and_interests(tx, &mut v, "activity", &new).await?;
                        v.into_result()?;
                        let activity = activities::update(tx, id, &new, &principal.subject, now)
                            .await
                            .named(&a.name)?;
                        Ok(pb::UpdateActivityResponse {
                            activity: Some(activity_pb(&activity)?),
                        })
                    })
                    .await
            }
            .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "CancelActivity"))]
    async fn cancel_activity(
        &self,
        request: Request<pb::CancelActivityRequest>,
    ) -> Result<Response<pb::CancelActivityResponse>, Status> {
        respond(
            async {
                let principal = Principal::from_request(&request)?;
                let req = request.get_ref();
                let (chapter, id) = managed_activity(principal, &req.name, "name")?;
                let mut v = Violations::new();
                let reason = v.check("reason", CancelReason::parse(&req.reason));
                let rid = request_id(&mut v, &req.request_id);
                v.into_result()?;
                let reason = reason.ok_or(ApiError::bug("a parsed reason"))?;
                let now = self.kit.now();
                self.kit
                    .mutate(principal, "CancelActivity", rid, req, async |tx| {
                        let activity = activities::cancel(
                            tx,
                            chapter.as_str(),
                            id,
                            reason.as_str(),
                            &principal.subject,
                            now,
                        )
                        .await
                        .named(&req.name)?;
                        Ok(pb::CancelActivityResponse {
                            activity: Some(activity_pb(&activity)?),
                        })
                    })
                    .await
            }
            .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "InviteParticipants", created))]
    async fn invite_participants(
        &self,
        request: Request<pb::InviteParticipantsRequest>,
    ) -> Result<Response<pb::InviteParticipantsResponse>, Status> {
        respond(
            async {
                let principal = Principal::from_request(&request)?;
                let req = request.get_ref();
                let (chapter, id) = managed_activity(principal, &req.activity, "activity")?;
                let mut v = Violations::new();
                let rid = request_id(&mut v, &req.request_id);
                let audience = parse_audience(&mut v, req, chapter.as_str())?;
                v.into_result()?;
                let audience = audience.ok_or(ApiError::bug("a parsed audience"))?;
                if req.validate_only {
                    // AIP-163: what the call would do, read in a transaction that is
                    // dropped (rolled back); no idempotency record, as nothing happened.
                    let mut tx = self.kit.begin().await?;
                    let counted = activities::audience_size(&mut tx, chapter.as_str(), id, &audience)
                        .await
                        .named(&req.activity)?;
                    return invited_pb(&chapter, counted);
                }
                let now = self.kit.now();
                let response = self
                    .kit
                    .mutate(principal, "InviteParticipants", rid, req, async |tx| {
                        let invited =
                            activities::invite(tx, chapter.as_str(), id, &audience, &principal.subject, now)
                                .await
                                .named(&req.activity)?;
                        invited_pb(&chapter, invited)
                    })
                    .await?;
                tracing::Span::current().record("created", response.created_count);
                Ok(response)
            }
            .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetInvitation"))]
    async fn get_invitation(
        &self,
        request: Request<pb::GetInvitationRequest>,
    ) -> Result<Response<pb::GetInvitationResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Invitation(request.get_ref().name.clone());
        let outcome: Result<Response<pb::GetInvitationResponse>, Status> = async {
            respond(
                async {
                    let principal = Principal::from_request(&request)?;
                    let name = &request.get_ref().name;
                    let (chapter, activity, id) = managed_invitation(principal, name, "name")?;
                    let invitation =
                        activities::get_invitation(self.kit.store().pool(), chapter.as_str(), activity, id)
                            .await
                            .named(name)?;
                    Ok(pb::GetInvitationResponse {
                        invitation: Some(invitation_pb(&invitation)?),
                    })
                }
                .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "GetInvitation", named, Action::Read, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListInvitations"))]
    async fn list_invitations(
        &self,
        request: Request<pb::ListInvitationsRequest>,
    ) -> Result<Response<pb::ListInvitationsResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let outcome: Result<Response<pb::ListInvitationsResponse>, Status> = async {
            respond(
                async {
                    let principal = Principal::from_request(&request)?;
                    let req = request.get_ref();
                    let (chapter, id) = managed_activity(principal, &req.parent, "parent")?;
                    let mut v = Violations::new();
                    let rsvp: Option<Rsvp> = (req.rsvp != 0)
                        .then(|| v.check("rsvp", RSVPS.parse(req.rsvp)))
                        .flatten();
                    let filters = format!("{}|{}", req.parent, req.rsvp);
                    let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &filters);
                    v.into_result()?;
                    let page = page.ok_or(ApiError::bug("a parsed page"))?;
                    let offset = offset_of(&page)?;
                    let pool = self.kit.store().pool();
                    // An activity that is not there (or not the caller's) is NOT_FOUND, not empty.
                    activities::get(pool, chapter.as_str(), id)
                        .await
                        .named(&req.parent)?;
                    let mut rows = activities::list_invitations(
                        pool,
                        chapter.as_str(),
                        id,
                        rsvp,
                        offset,
                        page.fetch_limit(),
                    )
                    .await?;
                    let next_page_token = finish(&page, offset, &mut rows);
                    Ok(pb::ListInvitationsResponse {
                        invitations: rows.iter().map(invitation_pb).collect::<ApiResult<_>>()?,
                        next_page_token,
                    })
                }
                .await,
            )
        }
        .await;
        self.kit
            .audit_shown(&audit_principal, "ListInvitations", outcome, |r| {
                r.invitations
                    .iter()
                    .map(|i| (i.participant.clone(), i.name.clone()))
                    .collect()
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordRsvp"))]
    async fn record_rsvp(
        &self,
        request: Request<pb::RecordRsvpRequest>,
    ) -> Result<Response<pb::RecordRsvpResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let named = Named::Invitation(request.get_ref().name.clone());
        let outcome: Result<Response<pb::RecordRsvpResponse>, Status> = async {
            respond(
                async {
                    let principal = Principal::from_request(&request)?;
                    let req = request.get_ref();
                    let (chapter, activity, id) = managed_invitation(principal, &req.name, "name")?;
                    let mut v = Violations::new();
                    let rsvp = v.check("rsvp", ANSWERS.parse(req.rsvp));
                    let guests = in_range(&mut v, "guests".into(), req.guests, MAX_GUESTS_PER_INVITATION);
                    let rid = request_id(&mut v, &req.request_id);
                    v.into_result()?;
                    let (rsvp, guests) = rsvp.zip(guests).ok_or(ApiError::bug("a parsed answer"))?;
                    let now = self.kit.now();
                    self.kit
                        .mutate(principal, "RecordRsvp", rid, req, async |tx| {
                            let answer = activities::Answer {
                                chapter: chapter.as_str(),
                                activity,
                                invitation: id,
                                participant: None,
                                rsvp,
                                guests,
                                actor: &principal.subject,
                                at: now,
                            };
                            let invitation = activities::respond(tx, &answer).await.named(&req.name)?;
                            Ok(pb::RecordRsvpResponse {
                                invitation: Some(invitation_pb(&invitation)?),
                            })
                        })
                        .await
                }
                .await,
            )
        }
        .await;
        self.kit
            .audit_call(&principal, "RecordRsvp", named, Action::Change, outcome)
            .await
    }

    #[tracing::instrument(skip_all, fields(rpc = "RecordAttendance"))]
    async fn record_attendance(
        &self,
        request: Request<pb::RecordAttendanceRequest>,
    ) -> Result<Response<pb::RecordAttendanceResponse>, Status> {
        let audit_principal = Principal::from_request(&request)?.clone();
        let named = Named::Invitations(
            request
                .get_ref()
                .records
                .iter()
                .map(|r| r.invitation.clone())
                .collect(),
        );
        let outcome: Result<Response<pb::RecordAttendanceResponse>, Status> = async {
            respond(
                async {
                    let principal = Principal::from_request(&request)?;
                    let req = request.get_ref();
                    let (chapter, id) = managed_activity(principal, &req.activity, "activity")?;
                    let mut v = Violations::new();
                    if req.records.len() > MAX_NAMED {
                        v.add("records", format!("must list at most {MAX_NAMED} records"));
                    }
                    let mut records = Vec::with_capacity(req.records.len());
                    for (i, r) in req.records.iter().enumerate() {
                        let field = format!("records[{i}].invitation");
                        let invitation = match v.check(field.clone(), parse_invitation_name(&r.invitation)) {
                            Some((c, a, invitation)) if c == chapter && a == id => Some(invitation),
                            Some(_) => {
                                v.add(field, "is not an invitation to this activity");
                                None
                            }
                            None => None,
                        };
                        let attendance = v.check(
                            format!("records[{i}].attendance"),
                            RECORDED_ATTENDANCES.parse(r.attendance),
                        );
                        if let (Some(invitation), Some(attendance)) = (invitation, attendance) {
                            records.push((invitation, attendance));
                        }
                    }
                    let guest_count =
                        in_range(&mut v, "guest_count".into(), req.guest_count, MAX_GUEST_COUNT);
                    let rid = request_id(&mut v, &req.request_id);
                    v.into_result()?;
                    let guest_count = guest_count.ok_or(ApiError::bug("a parsed guest count"))?;
                    let now = self.kit.now();
                    self.kit
                        .mutate(principal, "RecordAttendance", rid, req, async |tx| {
                            let recorded = activities::record_attendance(
                                tx,
                                chapter.as_str(),
                                id,
                                &records,
                                guest_count,
                                &principal.subject,
                                now,
                            )
                            .await
                            .named(&req.activity)?;
                            match recorded {
                                Recorded::Done(activity) => Ok(pb::RecordAttendanceResponse {
                                    activity: Some(activity_pb(&activity)?),
                                }),
                                Recorded::Unknown(ids) => Err(scope::not_found(&format!(
                                    "{}/invitations/{}",
                                    req.activity, ids[0]
                                ))),
                            }
                        })
                        .await
                }
                .await,
            )
        }
        .await;
        self.kit
            .audit_call(
                &audit_principal,
                "RecordAttendance",
                named,
                Action::Change,
                outcome,
            )
            .await
    }
}

/// The answer to InviteParticipants for what was (or, validating only, would be) done:
/// a named participant outside the chapter answers like a missing one.
fn invited_pb(
    chapter: &impl std::fmt::Display,
    invited: Invited,
) -> ApiResult<pb::InviteParticipantsResponse> {
    match invited {
        Invited::Done { created, already } => Ok(pb::InviteParticipantsResponse {
            created_count: created as i32,
            already_invited_count: already as i32,
        }),
        Invited::Unknown(ids) => Err(scope::not_found(&format!(
            "chapters/{chapter}/participants/{}",
            ids[0]
        ))),
    }
}
