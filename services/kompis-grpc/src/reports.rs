//! `kompis.v1.ReportService`: the read side of the append-only event log
//! (ListEvents). The follow-up and shortage reports, which will be computed from the
//! same log, answer UNIMPLEMENTED until they are built.
//!
//! Coordinators read their chapter's log, administrators every chapter's.

use kompis_domain::{FieldError, Role, Violations};
use kompis_proto::v1 as pb;
use kompis_proto::v1::report_service_server::ReportService;
use kompis_store::Store;
use kompis_store::events::{self, Event, EventFilter};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::convert::{from_timestamp, timestamp};
use crate::error::ApiError;
use crate::names;
use crate::page::Page;

/// The ReportService implementation.
#[derive(Debug, Clone)]
pub struct Reports {
    store: Store,
}

impl Reports {
    /// A service reading `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// The proto value of a stored state string for an enum whose value names are
/// `{prefix}_{STATE}`: stored states are the snake_case of the proto names
/// (`interview_booked` is `REFERRAL_STATE_INTERVIEW_BOOKED`). An empty or unknown
/// state is UNSPECIFIED (0).
fn state_value(prefix: &str, stored: &str, from_name: fn(&str) -> Option<i32>) -> i32 {
    if stored.is_empty() {
        return 0;
    }
    from_name(&format!("{prefix}_{}", stored.to_ascii_uppercase())).unwrap_or(0)
}

/// The typed transition of an event, chosen by the kind of its subject.
fn transition(event: &Event) -> Option<pb::event::Transition> {
    use pb::event::Transition;
    let (from, to) = (event.from_state.as_str(), event.to_state.as_str());
    let parts: Vec<&str> = event.subject.split('/').collect();
    Some(match parts.as_slice() {
        ["chapters", _, "referrals", _] => {
            let value = |s| {
                state_value("REFERRAL_STATE", s, |n| {
                    pb::ReferralState::from_str_name(n).map(|v| v as i32)
                })
            };
            Transition::Referral(pb::ReferralTransition {
                from_state: value(from),
                to_state: value(to),
            })
        }
        ["chapters", _, "participants", _] => {
            let value = |s| {
                state_value("PARTICIPANT_STATE", s, |n| {
                    pb::ParticipantState::from_str_name(n).map(|v| v as i32)
                })
            };
            Transition::Participant(pb::ParticipantTransition {
                from_state: value(from),
                to_state: value(to),
            })
        }
        ["chapters", _, "participants", _, "interviews", _] => {
            let value = |s| {
                state_value("INTERVIEW_STATE", s, |n| {
                    pb::InterviewState::from_str_name(n).map(|v| v as i32)
                })
            };
            Transition::Interview(pb::InterviewTransition {
                from_state: value(from),
                to_state: value(to),
            })
        }
        ["chapters", _, "matches", _] => {
            let value = |s| {
                state_value("MATCH_STATE", s, |n| {
                    pb::MatchState::from_str_name(n).map(|v| v as i32)
                })
            };
            Transition::Match(pb::MatchTransition {
                from_state: value(from),
                to_state: value(to),
            })
        }
        _ => return None,
    })
}

/// The proto form of a stored event.
pub fn event_pb(event: &Event) -> pb::Event {
    pb::Event {
        name: format!("chapters/{}/events/{}", event.chapter_id, event.id),
        subject: event.subject.clone(),
        actor: event.actor.clone(),
        event_time: timestamp(event.occur_time),
        transition: transition(event),
        reason: event.reason.clone(),
    }
}

/// What the follow-up and shortage reports answer until they are built.
fn not_yet() -> Status {
    Status::unimplemented("reports are not available yet")
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
        principal.require_role(&[Role::Coordinator, Role::Administrator])?;
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
        if !principal.manages_chapter(chapter.as_str()) {
            return Err(ApiError::PermissionDenied("OUT_OF_SCOPE").into());
        }
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
        let mut rows = events::list_filtered(self.store.pool(), &filter, after_id, page.fetch_limit())
            .await
            .map_err(|e| ApiError::from_store(e, &req.parent))?;
        let next_page_token = page.finish(&mut rows, |e| vec![e.id.to_string()]);
        Ok(Response::new(pb::ListEventsResponse {
            events: rows.iter().map(event_pb).collect(),
            next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(subject: &str, from: &str, to: &str) -> Event {
        Event {
            id: Uuid::now_v7(),
            chapter_id: "botkyrka".into(),
            subject: subject.into(),
            actor: "coordinator-1".into(),
            occur_time: OffsetDateTime::UNIX_EPOCH,
            from_state: from.into(),
            to_state: to.into(),
            reason: String::new(),
        }
    }

    #[test]
    fn stored_states_become_typed_transitions_by_subject() {
        use pb::event::Transition;
        let referral = event("chapters/botkyrka/referrals/x", "", "interview_booked");
        assert_eq!(
            transition(&referral),
            Some(Transition::Referral(pb::ReferralTransition {
                from_state: pb::ReferralState::Unspecified as i32,
                to_state: pb::ReferralState::InterviewBooked as i32,
            }))
        );
        let participant = event("chapters/botkyrka/participants/x", "applicant", "needs_follow_up");
        assert_eq!(
            transition(&participant),
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
        assert!(matches!(transition(&interview), Some(Transition::Interview(_))));
        assert_eq!(
            transition(&event("chapters/botkyrka/activities/z", "", "planned")),
            None
        );
    }

    #[test]
    fn every_referral_state_string_names_a_proto_value() {
        for state in kompis_domain::ReferralState::ALL {
            let value = state_value("REFERRAL_STATE", state.as_str(), |n| {
                pb::ReferralState::from_str_name(n).map(|v| v as i32)
            });
            assert_ne!(value, 0, "{state}");
        }
        for state in kompis_domain::ParticipantState::ALL {
            let value = state_value("PARTICIPANT_STATE", state.as_str(), |n| {
                pb::ParticipantState::from_str_name(n).map(|v| v as i32)
            });
            assert_ne!(value, 0, "{state}");
        }
    }
}
