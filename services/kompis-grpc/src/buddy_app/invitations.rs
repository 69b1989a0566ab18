//! The participant's invitations: list them with their activities, and answer (accept,
//! decline, or cancel an answer given before). Seats and the waitlist are the store's
//! ([`kompis_store::activities::respond`]).

use kompis_domain::{MAX_GUESTS_PER_INVITATION, Rsvp, Violations};
use kompis_proto::v1 as pb;
use kompis_store::activities::{self, Answer};
use kompis_store::participants::Participant;
use tonic::Request;
use uuid::Uuid;

use super::BuddyApp;
use crate::auth::Principal;
use crate::kit::RequestId;
use crate::kit::audit::Named;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::views::activity::{ANSWERS, invitation_pb, invitee_activity_pb, parse_invitation_name};

/// The activity and invitation ids of the caller's invitation named `name`; one of
/// another chapter is NOT_FOUND, like one that does not exist (the store checks the
/// invitee).
fn own_invitation(me: &Participant, name: &str) -> ApiResult<(Uuid, Uuid)> {
    let (chapter, activity, id) =
        parse_invitation_name(name).map_err(|e| ApiError::invalid("invitation", e.into_description()))?;
    if chapter.as_str() != me.chapter_id {
        return Err(ApiError::NotFound(name.to_owned()));
    }
    Ok((activity, id))
}

impl BuddyApp {
    pub(super) async fn list_invitations(
        &self,
        request: Request<pb::ListMyInvitationsRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::ListMyInvitationsResponse> {
        let me = self.me_named(Principal::from_request(&request)?, named).await?;
        let req = request.get_ref();
        let page = Page::parse(
            req.page_size,
            &req.page_token,
            &format!("past={}", req.include_past),
        )?;
        let offset: i64 = match page.after_first() {
            None => 0,
            Some(k) => k
                .parse()
                .map_err(|_| crate::views::participant::bad_page_token())?,
        };
        let pool = self.kit.store().pool();
        let mut rows = activities::list_for_participant(
            pool,
            me.id,
            req.include_past,
            self.kit.now(),
            offset,
            page.fetch_limit(),
        )
        .await?;
        let next = offset + page.size;
        let next_page_token = page.finish(&mut rows, |_| vec![next.to_string()]);
        let mut invitations = Vec::with_capacity(rows.len());
        for invitation in &rows {
            let activity = activities::get(pool, &invitation.chapter_id, invitation.activity_id).await?;
            invitations.push(pb::MyInvitation {
                invitation: Some(invitation_pb(invitation)?),
                activity: Some(invitee_activity_pb(&activity)?),
            });
        }
        Ok(pb::ListMyInvitationsResponse {
            invitations,
            next_page_token,
        })
    }

    pub(super) async fn answer_invitation(
        &self,
        request: Request<pb::RespondToInvitationRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::RespondToInvitationResponse> {
        let principal = Principal::from_request(&request)?;
        let me = self.me_named(principal, named).await?;
        let req = request.get_ref();
        let (activity, id) = own_invitation(&me, &req.invitation)?;
        let mut v = Violations::new();
        let rsvp = v.check("rsvp", ANSWERS.parse(req.rsvp));
        if !(0..=MAX_GUESTS_PER_INVITATION).contains(&req.guests) {
            v.add("guests", format!("must be 0 to {MAX_GUESTS_PER_INVITATION}"));
        }
        if req.with_buddy && rsvp.is_some_and(|r| r != Rsvp::Yes) {
            v.add(
                "with_buddy",
                "applies to YES only; a NO from either of a pair cancels both",
            );
        }
        let rid = v.check("request_id", RequestId::parse(&req.request_id)).flatten();
        v.into_result()?;
        let rsvp = rsvp.ok_or(ApiError::bug("a parsed answer"))?;
        let now = self.kit.now();
        if req.with_buddy {
            return self
                .answer_with_buddy(principal, &me, (activity, id), rid, req, now)
                .await;
        }
        self.kit
            .mutate(principal, "RespondToInvitation", rid, req, async |tx| {
                let answer = Answer {
                    chapter: &me.chapter_id,
                    activity,
                    invitation: id,
                    participant: Some(me.id),
                    rsvp,
                    guests: req.guests,
                    actor: &principal.subject,
                    at: now,
                };
                let invitation = activities::respond(tx, &answer).await.named(&req.invitation)?;
                Ok(pb::RespondToInvitationResponse {
                    invitation: Some(invitation_pb(&invitation)?),
                    buddy_invitation: None,
                })
            })
            .await
    }
}
