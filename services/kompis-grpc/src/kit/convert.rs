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

/// A database time for a protobuf timestamp; `None` when out of range: before the year
/// 1 or after 9999 (protobuf's own range, and within PostgreSQL's), or with nanos
/// outside 0..1e9.
pub fn from_timestamp(t: &Timestamp) -> Option<OffsetDateTime> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    let nanos = i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos);
    let time = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    (1..=9999).contains(&time.year()).then_some(time)
}

/// The paths of a required update mask, each checked against `allowed` (written in
/// snake_case, as the protos name fields).
///
/// Paths are accepted in snake_case (`schedule_time`, the protobuf form) and in
/// camelCase (`scheduleTime`, the form of a FieldMask in proto3 JSON, which JSON
/// clients send); each is returned as its entry of `allowed`.
pub fn update_paths<'s>(mask: Option<&FieldMask>, allowed: &[&'s str]) -> Result<Vec<&'s str>, FieldError> {
    let mask = mask.ok_or_else(|| FieldError::new("is required: name the fields to update"))?;
    if mask.paths.is_empty() {
        return Err(FieldError::new("must name at least one field"));
    }
    let mut paths = Vec::with_capacity(mask.paths.len());
    for path in &mask.paths {
        let snake = snake_case_path(path);
        let Some(known) = allowed.iter().find(|a| **a == snake) else {
            return Err(FieldError::new(format!(
                "names `{path}`, which cannot be updated; allowed (snake_case or camelCase): {}",
                allowed.join(", ")
            )));
        };
        paths.push(*known);
    }
    Ok(paths)
}

/// A field path in snake_case: `scheduleTime` -> `schedule_time`,
/// `personName.givenName` -> `person_name.given_name`; a snake_case path is unchanged.
pub fn snake_case_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_outside_the_years_1_to_9999_are_out_of_range() {
        let at = |seconds, nanos| from_timestamp(&Timestamp { seconds, nanos });
        assert!(at(0, 0).is_some());
        assert!(
            at(253_402_300_799, 999_999_999).is_some(),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert!(at(253_402_300_800, 0).is_none(), "10000-01-01");
        assert!(at(-62_135_596_800, 0).is_some(), "0001-01-01");
        assert!(at(-62_135_596_801, 0).is_none(), "year 0");
        assert!(at(-300_000_000_000, 0).is_none(), "far before PostgreSQL's range");
        assert!(at(0, -1).is_none());
        assert!(at(0, 1_000_000_000).is_none());
        assert!(at(i64::MAX, 0).is_none());
    }

    #[test]
    fn mask_paths_are_accepted_in_snake_case_and_in_camel_case() {
        let mask = FieldMask {
            paths: vec![
                "scheduleTime".into(),
                "video_link".into(),
                "personName.givenName".into(),
            ],
        };
        let allowed = ["schedule_time", "video_link", "person_name.given_name"];
        assert_eq!(update_paths(Some(&mask), &allowed).unwrap(), allowed);
        let unknown = FieldMask {
            paths: vec!["scheduleTimes".into()],
        };
        assert!(update_paths(Some(&unknown), &allowed).is_err());
    }
}
