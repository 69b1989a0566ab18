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
    /// Violations found past [`MAX_REPORTED_VIOLATIONS`]: counted, not kept.
    unlisted: usize,
}

/// The most violations one error reports. A request with many repeated bad elements
/// (ten thousand bad language codes, say) would otherwise be answered with an error
/// many times its own size, which costs the server memory and which no client can
/// read; past this many, the rest are counted in one closing violation.
pub const MAX_REPORTED_VIOLATIONS: usize = 20;

/// The longest field path or description reported, in characters; longer ones are cut
/// (a description may quote what the caller sent).
pub const MAX_VIOLATION_CHARS: usize = 300;

fn cut(mut text: String) -> String {
    if let Some((at, _)) = text.char_indices().nth(MAX_VIOLATION_CHARS) {
        text.truncate(at);
        text.push('…');
    }
    text
}

/// `violations` bounded for reporting: at most [`MAX_REPORTED_VIOLATIONS`], each cut to
/// [`MAX_VIOLATION_CHARS`], and when some were left out (`unlisted` more were found, plus
/// any past the limit here), a last violation on `request` saying how many.
pub fn bounded_violations(violations: Vec<FieldViolation>, unlisted: usize) -> Vec<FieldViolation> {
    let over = violations.len().saturating_sub(MAX_REPORTED_VIOLATIONS);
    let unlisted = unlisted + over;
    let mut out: Vec<FieldViolation> = violations
        .into_iter()
        .take(MAX_REPORTED_VIOLATIONS)
        .map(|v| FieldViolation {
            field: cut(v.field),
            description: cut(v.description),
        })
        .collect();
    if unlisted > 0 {
        out.push(FieldViolation {
            field: "request".to_owned(),
            description: format!(
                "has {unlisted} more invalid field(s) not listed here; correct the ones listed and send again"
            ),
        });
    }
    out
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
        if self.violations.len() >= MAX_REPORTED_VIOLATIONS {
            self.unlisted += 1;
            return;
        }
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
        self.unlisted += other.unlisted;
        for violation in other.violations {
            let field = if prefix.is_empty() {
                violation.field
            } else {
                format!("{prefix}.{}", violation.field)
            };
            self.add(field, violation.description);
        }
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty() && self.unlisted == 0
    }

    /// The violations recorded so far.
    pub fn as_slice(&self) -> &[FieldViolation] {
        &self.violations
    }

    /// `Ok(())` when nothing was recorded, otherwise the violations in the order found,
    /// bounded as [`bounded_violations`] says.
    pub fn into_result(self) -> Result<(), Vec<FieldViolation>> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(bounded_violations(self.violations, self.unlisted))
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
    fn many_violations_are_reported_up_to_the_limit_and_counted_past_it() {
        let mut v = Violations::new();
        for i in 0..10_000 {
            v.add(format!("languages[{i}]"), "x".repeat(10_000));
        }
        let reported = v.into_result().unwrap_err();
        assert_eq!(reported.len(), MAX_REPORTED_VIOLATIONS + 1);
        assert_eq!(reported[0].field, "languages[0]");
        assert_eq!(reported[0].description.chars().count(), MAX_VIOLATION_CHARS + 1);
        let last = reported.last().unwrap();
        assert_eq!(last.field, "request");
        assert!(
            last.description
                .starts_with(&format!("has {} more", 10_000 - MAX_REPORTED_VIOLATIONS))
        );
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
