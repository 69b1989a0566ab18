//! Small conversions shared by the services: timestamps and field masks.

use kompis_domain::FieldError;
use prost_types::{FieldMask, Timestamp};
use time::OffsetDateTime;

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
