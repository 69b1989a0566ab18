//! The participant's buddies: the privacy-safe profile of each live match and the
//! answer to a proposal.
//!
//! A buddy is shown by first name, district, how they want to meet and what the two
//! share (languages and interests, all marked shared by being the only ones listed).
//! No age, no other languages or interests, and none of the engine's explanation texts,
//! which are written for coordinators and reveal the other person's family situation,
//! waiting time and Swedish level. Contact details only once both have accepted.

use kompis_domain::{AgreementChannel, DeclineCause, ParticipantRole, ProposalAnswer, Slug, Violations};
use kompis_proto::v1 as pb;
use kompis_store::matches::{self, Acceptance, BuddyReader, Decline, LiveBuddy, Match};
use kompis_store::participants::{self, Participant, StoredLanguage};
use kompis_store::{StoreError, Tx, places};
use tonic::Request;

use super::{BuddyApp, caller_id, not_signed_up, refuse_unless_own};
use crate::auth::Principal;
use crate::kit::RequestId;
use crate::kit::audit::Named;
use crate::kit::convert::timestamp;
use crate::kit::errors::{ApiError, ApiResult};
use crate::matchmaking;
use crate::parse::person::contact_pb;
use crate::parse::profile::meeting_preference_pb;
use crate::views::matching::{answer_pb, parse_answer, parse_match_name, state_pb};
use crate::views::participant::role_pb;

/// Longest reason a participant may give when declining.
const REASON_MAX: usize = 500;

impl BuddyApp {
    /// The caller's live matches; sets `named` to the caller's record as read (the
    /// access record's object), so that naming it needs no statement of its own.
    pub(super) async fn my_buddies(
        &self,
        request: Request<pb::GetMyBuddyRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::GetMyBuddyResponse> {
        // One statement: the caller and every live match with the other person's view
        // (no transaction: one statement is one snapshot).
        let principal = Principal::from_request(&request)?;
        let found =
            matches::buddies_of_account(self.kit.store().pool(), caller_id(principal)?, &principal.subject)
                .await?;
        let Some((me, live)) = found else {
            return Err(not_signed_up());
        };
        *named = Named::own(principal, me.id, &me.chapter_id);
        refuse_unless_own(principal, me.account_subject.as_deref(), me.erased)?;
        let buddies = live
            .iter()
            .map(|b| live_buddy_pb(&me, b))
            .collect::<ApiResult<_>>()?;
        Ok(pb::GetMyBuddyResponse { buddies })
    }

    pub(super) async fn answer_proposal(
        &self,
        request: Request<pb::RespondToProposalRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::RespondToProposalResponse> {
        let principal = Principal::from_request(&request)?;
        let me = self.me_named(principal, named).await?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let name = v.check("match", parse_match_name(&req.r#match));
        let answer = v.check("response", parse_answer(req.response));
        if req.reason.chars().count() > REASON_MAX {
            v.add("reason", format!("must be at most {REASON_MAX} characters"));
        }
        v.into_result()?;
        let (Some(rid), Some((_, id)), Some(answer)) = (rid, name, answer) else {
            return Err(ApiError::bug("a checked field is missing"));
        };
        let side: ParticipantRole = me
            .role
            .parse()
            .map_err(|_| StoreError::corrupt("participant role", me.role.as_str()))?;
        let now = self.kit.now();
        let response = self
            .kit
            .mutate(principal, "RespondToProposal", rid, req, async |tx| {
                // Someone else's match answers like one that does not exist.
                let m = match matches::get_match(&mut **tx, id).await {
                    Ok(m) if m.newcomer_id == me.id || m.resident_id == me.id => m,
                    Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::NotFound(req.r#match.clone())),
                    Err(e) => return Err(e.into()),
                };
                let changed = match answer {
                    ProposalAnswer::Accepted => {
                        matches::accept(
                            tx,
                            &Acceptance {
                                match_id: m.id,
                                side,
                                channel: AgreementChannel::App,
                                recorded_by: &principal.subject,
                                at: now,
                            },
                        )
                        .await??
                    }
                    _ => {
                        let cause = match side {
                            ParticipantRole::Newcomer => DeclineCause::Newcomer,
                            ParticipantRole::EstablishedResident => DeclineCause::EstablishedResident,
                        };
                        matches::decline(
                            tx,
                            &Decline {
                                match_id: m.id,
                                cause,
                                reason: req.reason.trim(),
                                actor: &principal.subject,
                                at: now,
                            },
                        )
                        .await??
                    }
                };
                Ok(pb::RespondToProposalResponse {
                    buddy: Some(my_buddy(tx, &me, &changed).await?),
                })
            })
            .await?;
        if answer == ProposalAnswer::Declined {
            matchmaking::offer_next_after(self.kit.store(), id, now).await;
        }
        Ok(response)
    }
}

/// One live match as `me` sees it, from the one-statement read of GetMyBuddy; the same
/// view as [`my_buddy`] gives.
fn live_buddy_pb(me: &BuddyReader, b: &LiveBuddy) -> ApiResult<pb::MyBuddy> {
    let m = &b.pair;
    let my_role = if m.newcomer_id == me.id {
        ParticipantRole::Newcomer
    } else {
        ParticipantRole::EstablishedResident
    };
    let state = m.parsed_state()?;
    let proposed = state == kompis_domain::MatchState::Proposed;
    let display_name = if b.other_display_name.is_empty() {
        b.other_given_name.clone()
    } else {
        b.other_display_name.clone()
    };
    let mut shared_interests = b.shared_interest_names.clone();
    shared_interests.extend(
        b.other_free_tags
            .iter()
            .filter(|t| me.free_tags.contains(t))
            .cloned(),
    );
    Ok(pb::MyBuddy {
        r#match: m.resource_name(),
        state: state_pb(state),
        my_response: answer_pb(m.response_of(my_role)?),
        buddy: Some(pb::BuddyProfile {
            display_name,
            role: role_pb(&b.other_role)?,
            district_display_name: b.district_display_name.clone(),
            meeting_preference: meeting_preference_pb(b.other_meeting_preference.as_deref()),
            contact: state
                .releases_contact()
                .then(|| contact_pb(b.other_phone.as_deref(), b.other_email.as_deref())),
            shared_languages: shared_languages(&me.languages, &b.other_languages.0),
            shared_interests,
        }),
        create_time: timestamp(m.create_time),
        deadline_time: if proposed {
            timestamp(m.deadline_time)
        } else {
            None
        },
    })
}

/// The language codes both people speak, sorted, each once.
fn shared_languages(mine: &[StoredLanguage], other: &[StoredLanguage]) -> Vec<String> {
    let mut shared: Vec<String> = other
        .iter()
        .filter(|l| mine.iter().any(|m| m.code == l.code))
        .map(|l| l.code.clone())
        .collect();
    shared.sort();
    shared.dedup();
    shared
}

/// One match as `me` sees it.
async fn my_buddy(tx: &mut Tx, me: &Participant, m: &Match) -> ApiResult<pb::MyBuddy> {
    let my_role = if m.newcomer_id == me.id {
        ParticipantRole::Newcomer
    } else {
        ParticipantRole::EstablishedResident
    };
    let other_id = if my_role == ParticipantRole::Newcomer {
        m.resident_id
    } else {
        m.newcomer_id
    };
    let other = participants::get_participant(&mut **tx, other_id).await?;
    let state = m.parsed_state()?;
    let proposed = state == kompis_domain::MatchState::Proposed;
    Ok(pb::MyBuddy {
        r#match: m.resource_name(),
        state: state_pb(state),
        my_response: answer_pb(m.response_of(my_role)?),
        buddy: Some(buddy_profile(tx, me, &other, state.releases_contact()).await?),
        create_time: timestamp(m.create_time),
        deadline_time: if proposed {
            timestamp(m.deadline_time)
        } else {
            None
        },
    })
}

/// The privacy-safe profile of `other` as `me` sees it.
async fn buddy_profile(
    tx: &mut Tx,
    me: &Participant,
    other: &Participant,
    contact: bool,
) -> ApiResult<pb::BuddyProfile> {
    let first_name = if other.display_name.is_empty() {
        other.given_name.clone()
    } else {
        other.display_name.clone()
    };
    let shared_languages = shared_languages(&me.languages.0, &other.languages.0);
    let shared_ids: Vec<String> = other
        .interests
        .iter()
        .filter(|i| me.interests.contains(i))
        .cloned()
        .collect();
    let mut shared_interests: Vec<String> =
        matches::interest_names(&mut **tx, &other.chapter_id, &shared_ids)
            .await?
            .into_iter()
            .map(|(_, name)| name)
            .collect();
    shared_interests.extend(
        other
            .free_tags
            .iter()
            .filter(|t| me.free_tags.contains(t))
            .cloned(),
    );
    let slug = |s: &str| Slug::parse(s).map_err(|_| StoreError::corrupt("district", s));
    let district = places::get_district(
        &mut **tx,
        &slug(&other.municipality_id)?,
        &slug(&other.district_id)?,
    )
    .await?;
    Ok(pb::BuddyProfile {
        display_name: first_name,
        role: role_pb(&other.role)?,
        district_display_name: district.display_name,
        meeting_preference: meeting_preference_pb(other.meeting_preference.as_deref()),
        contact: contact.then(|| contact_pb(other.phone.as_deref(), other.email.as_deref())),
        shared_languages,
        shared_interests,
    })
}
