//! The error every parser in this crate returns, and the collector the gRPC edge uses to
//! report every bad field of a request at once.

use std::fmt;

/// Why one value could not be parsed into a domain type.
///
/// It carries only a human-readable description; the caller knows which field it parsed
/// and adds the field path itself (see [`Violations`]). Descriptions never echo more of
/// the rejected input than is needed to correct it, because inputs may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{description}")]
pub struct FieldError {
    description: String,
}

impl FieldError {
    /// Creates an error with the given description.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
        }
    }

    /// The human-readable description of what is wrong with the value.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Consumes the error and returns its description.
    pub fn into_description(self) -> String {
        self.description
    }
}

/// One bad field of a request: its path (for example `referral.contact.email`) and what
/// is wrong with it. Maps one to one onto `google.rpc.BadRequest.FieldViolation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request, dot-separated.
    pub field: String,
    /// Human-readable description of the problem.
    pub description: String,
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Collects the violations of a whole request, so that every bad field is reported at
/// once instead of the first one only.
///
/// # Examples
///
/// ```
/// use kompis_domain::{DisplayName, Slug, Violations};
///
/// let mut v = Violations::new();
/// let name = v.check("name", DisplayName::parse("Amina"));
/// let chapter = v.check("chapter_id", Slug::parse("Not A Slug"));
/// let district = v.check("district_id", "-".parse::<Slug>());
/// assert!(name.is_some());
/// assert!(chapter.is_none() && district.is_none());
///
/// let violations = v.into_result().unwrap_err();
/// assert_eq!(violations.len(), 2);
/// assert_eq!(violations[0].field, "chapter_id");
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations {
    violations: Vec<FieldViolation>,
}

impl Violations {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the parsed value, or records the error's description under `field` and
    /// returns `None`.
    pub fn check<T, E: fmt::Display>(&mut self, field: impl Into<String>, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    /// Records a violation found by the caller itself (for example a missing field).
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Records `field must be set` when `value` is `None`, and passes the value through.
    pub fn require<T>(&mut self, field: impl Into<String>, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "is required");
        }
        value
    }

    /// Moves the violations of `other` into this collector, prefixing each field path
    /// with `prefix.` (used when a nested message is validated by its own function).
    pub fn merge(&mut self, prefix: &str, other: Violations) {
        for violation in other.violations {
            let field = if prefix.is_empty() {
                violation.field
            } else {
                format!("{prefix}.{}", violation.field)
            };
            self.violations.push(FieldViolation {
                field,
                description: violation.description,
            });
        }
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// The violations recorded so far.
    pub fn as_slice(&self) -> &[FieldViolation] {
        &self.violations
    }

    /// `Ok(())` when nothing was recorded, otherwise every violation in the order found.
    pub fn into_result(self) -> Result<(), Vec<FieldViolation>> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(self.violations)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_collector_is_ok() {
        assert_eq!(Violations::new().into_result(), Ok(()));
    }

    #[test]
    fn every_error_is_kept_in_order_with_its_path() {
        let mut v = Violations::new();
        let a: Option<u8> = v.check("a", Err::<u8, _>(FieldError::new("bad a")));
        let b = v.check("b", Ok::<_, FieldError>(2));
        let c: Option<u8> = v.check("c", Err::<u8, _>(FieldError::new("bad c")));
        assert_eq!((a, b, c), (None, Some(2), None));
        let all = v.into_result().unwrap_err();
        assert_eq!(
            all,
            vec![
                FieldViolation {
                    field: "a".into(),
                    description: "bad a".into()
                },
                FieldViolation {
                    field: "c".into(),
                    description: "bad c".into()
                },
            ]
        );
    }

    #[test]
    fn require_records_a_missing_value() {
        let mut v = Violations::new();
        assert_eq!(v.require("x", Some(1)), Some(1));
        assert_eq!(v.require::<u8>("y", None), None);
        assert_eq!(v.as_slice()[0].field, "y");
        assert_eq!(v.as_slice().len(), 1);
    }

    #[test]
    fn merge_prefixes_nested_paths() {
        let mut inner = Violations::new();
        inner.add("email", "bad");
        let mut outer = Violations::new();
        outer.merge("contact", inner);
        assert_eq!(outer.as_slice()[0].field, "contact.email");
    }
}
