//! Client-chosen resource ids for municipalities, districts, chapters and organisations.

use std::fmt;
use std::str::FromStr;

use crate::FieldError;

/// A client-chosen resource id such as `botkyrka` or `alby`: `^[a-z][a-z0-9-]{1,62}$`
/// with no trailing hyphen and no two hyphens in a row (2 to 63 characters).
///
/// The shape follows the resource-id rules of Google's API improvement proposals
/// (AIP-122): safe in URLs and resource names, and stable once chosen.
///
/// # Examples
///
/// ```
/// use kompis_domain::Slug;
///
/// let district: Slug = "norra-botkyrka".parse()?;
/// assert_eq!(district.as_str(), "norra-botkyrka");
/// assert!(Slug::parse("Alby").is_err());
/// assert!(Slug::parse("alby-").is_err());
/// assert!(Slug::parse("a--b").is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slug(String);

impl Slug {
    /// Shortest accepted length.
    pub const MIN_LEN: usize = 2;
    /// Longest accepted length.
    pub const MAX_LEN: usize = 63;

    /// Parses a slug; the input must already be in canonical form (no trimming or
    /// lowercasing, so that an id has exactly one spelling).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let bytes = s.as_bytes();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(FieldError::new(format!(
                "must be {} to {} characters long",
                Self::MIN_LEN,
                Self::MAX_LEN
            )));
        }
        if !bytes[0].is_ascii_lowercase() {
            return Err(FieldError::new("must start with a lowercase letter a-z"));
        }
        if !bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err(FieldError::new(
                "may contain only lowercase letters a-z, digits and hyphens",
            ));
        }
        if bytes.ends_with(b"-") {
            return Err(FieldError::new("must not end with a hyphen"));
        }
        if s.contains("--") {
            return Err(FieldError::new("must not contain two hyphens in a row"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The slug as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the slug and returns the string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Slug {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        for ok in ["ab", "alby", "botkyrka", "sfi-alby-2", "a1", &"a".repeat(63)] {
            assert_eq!(Slug::parse(ok).unwrap().as_str(), ok, "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "a",
            &"a".repeat(64),
            "1alby",
            "-alby",
            "Alby",
            "alby-",
            "al--by",
            "al_by",
            "al by",
            " alby",
            "vårsta",
            "alby\n",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn round_trips_through_display_and_from_str() {
        let slug: Slug = "tumba".parse().unwrap();
        assert_eq!(slug.to_string().parse::<Slug>().unwrap(), slug);
    }
}
