//! Pair sign-up: the caller answers YES together with their buddy (`with_buddy`).
//! Seats, the waitlist and who the buddy is are the store's
//! ([`kompis_store::activities::pairs`]).

use kompis_domain::Rsvp;
use kompis_proto::v1 as pb;
use kompis_store::activities::{Answer, pairs};
use kompis_store::participants::Participant;
use time::OffsetDateTime;
use uuid::Uuid;

use super::BuddyApp;
use crate::auth::Principal;
use crate::kit::RequestId;
use crate::kit::errors::{ApiResult, StoreResultExt};
use crate::views::activity::invitation_pb;

impl BuddyApp {
    /// Signs up `me` and their buddy for the activity of the invitation
    /// `(activity, invitation)`, after the request has been parsed.
    pub(super) async fn answer_with_buddy(
        &self,
        principal: &Principal,
        me: &Participant,
        (activity, invitation): (Uuid, Uuid),
        rid: Option<RequestId>,
        req: &pb::RespondToInvitationRequest,
        now: OffsetDateTime,
    ) -> ApiResult<pb::RespondToInvitationResponse> {
        self.kit
            .mutate(principal, "RespondToInvitation", rid, req, async |tx| {
                let answer = Answer {
                    chapter: &me.chapter_id,
                    activity,
                    invitation,
                    participant: Some(me.id),
                    rsvp: Rsvp::Yes,
                    guests: req.guests,
                    actor: &principal.subject,
                    at: now,
                };
                let (mine, theirs) = pairs::respond_as_pair(tx, &answer).await.named(&req.invitation)?;
                Ok(pb::RespondToInvitationResponse {
                    invitation: Some(invitation_pb(&mine)?),
                    buddy_invitation: Some(invitation_pb(&theirs)?),
                })
            })
            .await
    }
}
