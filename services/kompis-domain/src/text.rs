//! Human-written text: names and bounded free text.

use std::fmt;
use std::str::FromStr;

use crate::FieldError;

/// A name shown to other people: trimmed, 1 to 100 characters, no control characters.
///
/// Characters are Unicode scalar values, so "Åsa" is three. The name is stored as given
/// (after trimming); no case folding, because names are not identifiers.
///
/// # Examples
///
/// ```
/// use kompis_domain::DisplayName;
///
/// let name = DisplayName::parse("  Amina Yusuf ")?;
/// assert_eq!(name.as_str(), "Amina Yusuf");
/// assert!(DisplayName::parse("   ").is_err());
/// assert!(DisplayName::parse("a\u{7}b").is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims and validates a name.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::new("must not be empty"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(format!(
                "must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new("must not contain control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DisplayName {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Free text of at most `MAX` characters, trimmed, possibly empty. Line breaks and tabs
/// are allowed (notes span lines); other control characters are not.
///
/// # Examples
///
/// ```
/// use kompis_domain::{FreeText, Note};
///
/// let note = Note::parse(" Prefers meetings after SFI class.\nLikes football. ")?;
/// assert!(note.as_str().ends_with("football."));
/// assert!(Note::parse("").unwrap().is_empty());
/// assert!(FreeText::<5>::parse("too long").is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FreeText<const MAX: usize>(String);

/// A coordinator's note: free text of at most 2,000 characters.
pub type Note = FreeText<2000>;

impl<const MAX: usize> FreeText<MAX> {
    /// Longest accepted text, in characters.
    pub const MAX_CHARS: usize = MAX;

    /// Trims and validates the text.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.chars().count() > MAX {
            return Err(FieldError::new(format!("must be at most {MAX} characters")));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(FieldError::new(
                "must not contain control characters other than line breaks and tabs",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The empty text.
    pub fn empty() -> Self {
        Self(String::new())
    }

    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<const MAX: usize> fmt::Display for FreeText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> FromStr for FreeText<MAX> {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_name_is_trimmed_and_counted_in_characters() {
        assert_eq!(DisplayName::parse("\tÅsa\n").unwrap().as_str(), "Åsa");
        let hundred = "å".repeat(100);
        assert_eq!(DisplayName::parse(&hundred).unwrap().as_str(), hundred);
        assert!(DisplayName::parse(&"å".repeat(101)).is_err());
        assert_eq!(DisplayName::parse("محمد").unwrap().as_str(), "محمد");
    }

    #[test]
    fn display_name_rejects_empty_and_control_characters() {
        for bad in ["", " ", "\n\t", "a\nb", "a\u{0}b", "a\u{1b}[31mb", "a\u{85}b"] {
            assert!(DisplayName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn note_allows_empty_and_line_breaks_but_bounds_length() {
        assert!(Note::parse("  ").unwrap().is_empty());
        assert_eq!(Note::parse("a\r\nb\tc").unwrap().as_str(), "a\r\nb\tc");
        assert!(Note::parse(&"x".repeat(2000)).is_ok());
        assert!(Note::parse(&"x".repeat(2001)).is_err());
        assert!(Note::parse("a\u{0}").is_err());
        assert_eq!(Note::MAX_CHARS, 2000);
    }
}
