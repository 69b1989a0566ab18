//! Phone numbers in international (E.164) form.

use std::fmt;
use std::str::FromStr;

use crate::FieldError;

/// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not zero
/// (a country code never starts with 0).
///
/// Input may group digits with spaces or hyphens, as people write numbers; they are
/// removed. A Swedish number in the national form (`070-123 45 67`: one leading 0, then
/// the area code) is the programme's everyday case and becomes `+46 70 123 45 67`.
/// Anything else is refused rather than guessed at: `0046...` (an international
/// prefix, of which country?), and parentheses, because `+46 (0)70...` would silently
/// gain a wrong digit.
///
/// Numbers are not checked against any numbering plan; an SMS that never arrives is the
/// real test.
///
/// # Examples
///
/// ```
/// use kompis_domain::PhoneNumber;
///
/// let phone = PhoneNumber::parse("+46 70-123 45 67")?;
/// assert_eq!(phone.as_str(), "+46701234567");
/// assert_eq!(PhoneNumber::parse("070-123 45 67")?.as_str(), "+46701234567");
/// assert!(PhoneNumber::parse("0046 70 123 45 67").is_err());
/// assert!(PhoneNumber::parse("+46 (0)70 123 45 67").is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Fewest digits after the `+`.
    pub const MIN_DIGITS: usize = 8;
    /// Most digits after the `+` (the E.164 maximum).
    pub const MAX_DIGITS: usize = 15;
    /// Sweden's country code, given to numbers written in the national form.
    pub const SWEDEN: &'static str = "46";

    /// Parses and normalises a phone number.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let mut normalised = String::with_capacity(1 + Self::MAX_DIGITS);
        normalised.push('+');
        let rest = if let Some(rest) = s.strip_prefix('+') {
            rest
        } else if let Some(national) = s
            .strip_prefix('0')
            .filter(|r| r.starts_with(|c: char| matches!(c, '1'..='9')))
        {
            // A Swedish national number: the leading 0 is the trunk prefix.
            normalised.push_str(Self::SWEDEN);
            national
        } else {
            return Err(FieldError::new(
                "must be in international form (+ and the country code, such as \
                 +46 70 123 45 67) or a Swedish number such as 070 123 45 67",
            ));
        };
        let mut previous_was_separator = true; // no separator directly after the `+`
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    normalised.push(c);
                    previous_was_separator = false;
                }
                ' ' | '-' if !previous_was_separator => previous_was_separator = true,
                ' ' | '-' => {
                    return Err(FieldError::new(
                        "may separate digits with single spaces or hyphens only",
                    ));
                }
                _ => {
                    return Err(FieldError::new(
                        "may contain only + followed by digits, spaces and hyphens",
                    ));
                }
            }
        }
        if previous_was_separator && !rest.is_empty() {
            return Err(FieldError::new("must end with a digit"));
        }
        let digits = &normalised[1..];
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(FieldError::new(format!(
                "must have {} to {} digits after the +",
                Self::MIN_DIGITS,
                Self::MAX_DIGITS
            )));
        }
        if digits.starts_with('0') {
            return Err(FieldError::new(
                "must start with a country code after the +; country codes never start with 0",
            ));
        }
        Ok(Self(normalised))
    }

    /// The number in E.164 form, such as `+46701234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PhoneNumber {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings() {
        for (input, expected) in [
            ("+46701234567", "+46701234567"),
            ("+46 70-123 45 67", "+46701234567"),
            ("+46 70 123 45 67", "+46701234567"),
            ("+46-70-1234567", "+46701234567"),
            ("  +46701234567\n", "+46701234567"), // surrounding whitespace is trimmed
            ("+46 70 123 45 67 ", "+46701234567"),
            ("+252 61 234 5678", "+252612345678"),
            ("070-123 45 67", "+46701234567"), // Swedish national form
            ("0701234567", "+46701234567"),
            ("08-123 456 78", "+46812345678"),        // a Stockholm landline
            ("+12345678", "+12345678"),               // 8 digits: the minimum
            ("+123456789012345", "+123456789012345"), // 15 digits: the E.164 maximum
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), expected, "{input:?}");
        }
    }

    #[test]
    fn refuses_what_e164_does_not_allow() {
        for bad in [
            "",
            "+",
            "46701234567",       // no +
            "0046701234567",     // international prefix instead of +: of which country?
            "00701234567",       // two zeros: not a Swedish national number
            "070",               // too short even as +4670
            "0 70 123 45 67",    // separator straight after the trunk 0
            "+1234567",          // 7 digits
            "+1234567890123456", // 16 digits
            "+0701234567",       // country codes never start with 0
            "++46701234567",
            "+46 (0)70 123 45 67", // the (0) would become a wrong digit
            "+46.70.123.45.67",
            "+46  70 123 45 67", // double separator
            "+ 46 70 123 45 67", // separator after +
            "+46701234567-",     // trailing hyphen
            "+46\u{a0}70 123 45 67",
            "+٤٦٧٠١٢٣٤٥٦٧", // Arabic-Indic digits
            "+46 70 123 45 6x",
            "tel:+46701234567",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?}");
        }
    }
}
