//! Small conversions shared by the services: timestamps, field masks, request ids.

use kompis_domain::FieldError;
use prost_types::{FieldMask, Timestamp};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

/// A protobuf timestamp for a database time.
pub fn timestamp(t: OffsetDateTime) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    })
}

/// A database time for a protobuf timestamp; `None` when out of range.
pub fn from_timestamp(t: &Timestamp) -> Option<OffsetDateTime> {
    let nanos = i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// Parses a client-chosen `request_id`: a UUID, required.
pub fn request_id(value: &str) -> Result<Uuid, FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("is required: a UUID chosen by the client"));
    }
    Uuid::parse_str(value).map_err(|_| FieldError::new("must be a UUID"))
}

/// A fingerprint of a request, stored with its idempotency key to tell a true retry
/// from a reused `request_id`. Only the digest is stored, never the request.
pub fn request_hash<M: prost::Message>(request: &M) -> Vec<u8> {
    Sha256::digest(request.encode_to_vec()).to_vec()
}

/// The paths of a required update mask, each checked against `allowed`.
pub fn update_paths<'a>(mask: Option<&'a FieldMask>, allowed: &[&str]) -> Result<Vec<&'a str>, FieldError> {
    let mask = mask.ok_or_else(|| FieldError::new("is required: name the fields to update"))?;
    if mask.paths.is_empty() {
        return Err(FieldError::new("must name at least one field"));
    }
    let mut paths = Vec::with_capacity(mask.paths.len());
    for path in &mask.paths {
        if !allowed.contains(&path.as_str()) {
            return Err(FieldError::new(format!(
                "names `{path}`, which cannot be updated; allowed: {}",
                allowed.join(", ")
            )));
        }
        paths.push(path.as_str());
    }
    Ok(paths)
}
