//! The participant steps back in the app: cancels their booked intake interview, or
//! withdraws from the programme. Both are the coordinators' own transitions
//! (`kompis_store::intake`), with the participant as the actor, so the event log, the
//! notifications and a later return work as when a coordinator acts.

use kompis_domain::{FreeText, Violations};
use kompis_proto::v1 as pb;
use kompis_store::{intake, interviews, participants};
use tonic::Request;

use super::BuddyApp;
use crate::auth::Principal;
use crate::kit::RequestId;
use crate::kit::audit::Named;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::views::participant::{View, participant_pb};

/// The reason recorded when the participant cancels their interview: fixed text, so
/// that nothing personal reaches the event log this way.
const CANCELLED_IN_APP: &str = "cancelled by the participant in the app";

/// The participant's own reason for withdrawing: at most 500 characters, shown to
/// coordinators only.
type WithdrawalReason = FreeText<500>;

impl BuddyApp {
    pub(super) async fn cancel_own_interview(
        &self,
        request: Request<pb::CancelMyInterviewRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::CancelMyInterviewResponse> {
        let principal = Principal::from_request(&request)?;
        let me = self.me_named(principal, named).await?;
        let req = request.get_ref();
        let rid = RequestId::parse(&req.request_id)
            .map_err(|e| ApiError::invalid("request_id", e.into_description()))?;
        let now = self.kit.now();
        self.kit
            .mutate(principal, "CancelMyInterview", rid, req, async |tx| {
                let current = participants::lock_participant(tx, me.id)
                    .await
                    .named("participant")?;
                let booked = interviews::booked_interview(&mut **tx, me.id)
                    .await
                    .named("interview")?
                    .ok_or_else(|| ApiError::NotFound("the caller's booked interview".into()))?;
                intake::cancel(tx, &current, &booked, CANCELLED_IN_APP, &principal.subject, now)
                    .await
                    .named("interview")?;
                tracing::info!(participant = %me.id, interview = %booked.id, "interview cancelled in the app");
                Ok(pb::CancelMyInterviewResponse {})
            })
            .await
    }

    pub(super) async fn withdraw_self(
        &self,
        request: Request<pb::WithdrawFromProgrammeRequest>,
        named: &mut Named,
    ) -> ApiResult<pb::WithdrawFromProgrammeResponse> {
        let principal = Principal::from_request(&request)?;
        let me = self.me_named(principal, named).await?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let reason = v.check("reason", WithdrawalReason::parse(&req.reason));
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(reason), Some(rid)) = (reason, rid) else {
            return Err(ApiError::Internal("a checked field is missing".into()));
        };
        let reason = if reason.is_empty() {
            "withdrawn by the participant in the app"
        } else {
            reason.as_str()
        };
        let now = self.kit.now();
        self.kit
            .mutate(principal, "WithdrawFromProgramme", rid, req, async |tx| {
                let current = participants::lock_participant(tx, me.id)
                    .await
                    .named("participant")?;
                let updated = intake::withdraw(tx, &current, reason, &principal.subject, now)
                    .await
                    .named("participant")?;
                tracing::info!(participant = %me.id, "participant withdrew in the app");
                Ok(pb::WithdrawFromProgrammeResponse {
                    participant: Some(participant_pb(&updated, View::Own)?),
                })
            })
            .await
    }
}
