//! `kompis.v1.ReportService`: the read side of the append-only event log
//! (ListEvents). The follow-up and shortage reports, which will be computed from the
//! same log, answer UNIMPLEMENTED until they are built.
//!
//! Coordinators read their chapter's log, administrators every chapter's.

use kompis_domain::{EventKind, FieldError, Role, Violations};
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
use crate::kit::{Kit, scope};

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

/// What the follow-up and shortage reports answer until they are built.
fn not_yet() -> Status {
    ApiError::Unimplemented("reports").into()
}

#[tonic::async_trait]
impl ReportService for Reports {
    #[tracing::instrument(skip_all, fields(rpc = "GetFollowUpReport"))]
    async fn get_follow_up_report(
        &self,
        _request: Request<pb::GetFollowUpReportRequest>,
    ) -> Result<Response<pb::GetFollowUpReportResponse>, Status> {
        Err(not_yet())
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetShortageReport"))]
    async fn get_shortage_report(
        &self,
        _request: Request<pb::GetShortageReportRequest>,
    ) -> Result<Response<pb::GetShortageReportResponse>, Status> {
        Err(not_yet())
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListEvents", chapter))]
    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        scope::require_role(principal, &[Role::Coordinator, Role::Administrator])?;
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
