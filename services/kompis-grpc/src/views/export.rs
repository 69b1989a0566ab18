//! A participant's personal data export (`PersonalDataExport`), the same document for
//! the participant in the app and for a coordinator answering their request. What it
//! holds is described in `kompis_store::export`.

use kompis_proto::v1 as pb;
use uuid::Uuid;

use crate::kit::convert::timestamp;
use crate::kit::{ApiError, ApiResult, Kit, StoreResultExt};

/// The export of `participant`, made now.
pub async fn export_pb(kit: &Kit, participant: Uuid) -> ApiResult<pb::PersonalDataExport> {
    let document = kompis_store::export::participant_export(kit.store().pool(), participant)
        .await
        .named("participant")?;
    let json = serde_json::to_string(&document).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(pb::PersonalDataExport {
        json,
        export_time: timestamp(kit.now()),
    })
}
