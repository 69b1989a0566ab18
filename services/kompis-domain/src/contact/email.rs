//! E-mail addresses, checked pragmatically.

use std::fmt;
use std::str::FromStr;

use crate::FieldError;

/// An e-mail address that is plausible to send to.
///
/// The check is pragmatic rather than the full RFC 5322 grammar, which allows forms no
/// one types into a sign-up form and many mail systems refuse:
///
/// - surrounding whitespace is trimmed; at most 254 bytes in all (the SMTP path limit);
/// - exactly one `@`;
/// - the local part is 1 to 64 bytes of letters, digits and ``!#$%&'*+/=?^_`{|}~-``,
///   with dots between them (no leading, trailing or double dot); no quoted strings,
///   comments or whitespace;
/// - the domain has at least two labels separated by dots, each 1 to 63 bytes of letters,
///   digits and hyphens, not starting or ending with a hyphen; the last label (the
///   top-level domain) is at least two characters and not all digits, which rules out
///   IP addresses. Address literals (`user@[192.0.2.1]`) are refused.
///
/// Non-ASCII letters are accepted in both parts (internationalised addresses). The domain
/// is lowercased, because domains are case-insensitive; the local part is kept as given,
/// because in principle only the receiving server may interpret its case.
///
/// # Examples
///
/// ```
/// use kompis_domain::Email;
///
/// let email = Email::parse(" Amina.Yusuf+kompis@Exempel.SE ")?;
/// assert_eq!(email.as_str(), "Amina.Yusuf+kompis@exempel.se");
/// assert_eq!(email.domain(), "exempel.se");
/// assert!(Email::parse("amina@localhost").is_err());
/// assert!(Email::parse("amina@@exempel.se").is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email {
    address: String,
    at: usize,
}

impl Email {
    /// Longest address, in bytes.
    pub const MAX_LEN: usize = 254;
    /// Longest local part, in bytes.
    pub const MAX_LOCAL_LEN: usize = 64;
    /// Longest domain label, in bytes.
    pub const MAX_LABEL_LEN: usize = 63;

    /// Parses an address, lowercasing its domain.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::new("must not be empty"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new("must not contain spaces or control characters"));
        }
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(FieldError::new("must contain exactly one @"));
        };
        check_local(local)?;
        let domain = domain.to_lowercase();
        check_domain(&domain)?;
        let address = format!("{local}@{domain}");
        if address.len() > Self::MAX_LEN {
            return Err(FieldError::new(format!(
                "must be at most {} characters",
                Self::MAX_LEN
            )));
        }
        Ok(Self {
            at: local.len(),
            address,
        })
    }

    /// The whole address, with its domain in lowercase.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The part before the `@`, as given.
    pub fn local_part(&self) -> &str {
        &self.address[..self.at]
    }

    /// The part after the `@`, in lowercase.
    pub fn domain(&self) -> &str {
        &self.address[self.at + 1..]
    }
}

fn check_local(local: &str) -> Result<(), FieldError> {
    if local.is_empty() {
        return Err(FieldError::new("must have a name before the @"));
    }
    if local.len() > Email::MAX_LOCAL_LEN {
        return Err(FieldError::new(format!(
            "must have at most {} characters before the @",
            Email::MAX_LOCAL_LEN
        )));
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+/=?^_`{|}~-.".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    if !local.chars().all(allowed) {
        return Err(FieldError::new(
            "may have only letters, digits, dots and !#$%&'*+/=?^_`{|}~- before the @",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(FieldError::new(
            "must not start or end with a dot, or have two dots in a row, before the @",
        ));
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), FieldError> {
    let invalid = || {
        FieldError::new(
            "must have a domain after the @ such as exempel.se: labels of letters, digits \
             and hyphens separated by dots",
        )
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(invalid());
    }
    for label in &labels {
        let well_formed = (1..=Email::MAX_LABEL_LEN).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c == '-' || c.is_alphanumeric());
        if !well_formed {
            return Err(invalid());
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.chars().count() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl FromStr for Email {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_unusual_but_valid_addresses() {
        for (input, expected) in [
            ("amina@exempel.se", "amina@exempel.se"),
            ("Amina@EXEMPEL.SE", "Amina@exempel.se"),
            ("first.last@sub.exempel.se", "first.last@sub.exempel.se"),
            ("a+tag@exempel.se", "a+tag@exempel.se"),
            ("o'brien@exempel.ie", "o'brien@exempel.ie"),
            ("x@a-b.se", "x@a-b.se"),
            ("x@1.se", "x@1.se"),
            ("åsa@räksmörgås.se", "åsa@räksmörgås.se"),
            ("user@exempel.xn--p1ai", "user@exempel.xn--p1ai"),
            ("  trimmed@exempel.se\t", "trimmed@exempel.se"),
        ] {
            assert_eq!(Email::parse(input).unwrap().as_str(), expected, "{input:?}");
        }
    }

    #[test]
    fn splits_into_local_part_and_domain() {
        let email = Email::parse("Amina@Exempel.se").unwrap();
        assert_eq!((email.local_part(), email.domain()), ("Amina", "exempel.se"));
    }

    #[test]
    fn length_limits_are_exact() {
        let local64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local64}@exempel.se")).is_ok());
        assert!(Email::parse(&format!("a{local64}@exempel.se")).is_err());

        let label63 = "b".repeat(63);
        assert!(Email::parse(&format!("a@{label63}.se")).is_ok());
        assert!(Email::parse(&format!("a@b{label63}.se")).is_err());

        // 64 + 1 + (63 + 1) * 2 + 61 = 254 bytes.
        let domain = format!("{label63}.{label63}.{}", "c".repeat(61));
        let at_limit = format!("{local64}@{domain}");
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{local64}@{label63}.{label63}.{}", "c".repeat(62));
        assert!(Email::parse(&over).is_err());
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "@",
            "amina",
            "amina@",
            "@exempel.se",
            "amina@@exempel.se",
            "a@b@exempel.se",
            "amina@localhost",
            "amina@exempel",
            "amina@exempel.",
            "amina@.exempel.se",
            "amina@exempel..se",
            "amina@-exempel.se",
            "amina@exempel-.se",
            "amina@exempel.s",
            "amina@192.168.0.1",
            "amina@[192.168.0.1]",
            "amina@exem_pel.se",
            ".amina@exempel.se",
            "amina.@exempel.se",
            "am..ina@exempel.se",
            "\"amina\"@exempel.se",
            "am ina@exempel.se",
            "amina@exem pel.se",
            "amina(comment)@exempel.se",
            "amina@exempel.se\u{0}",
            "Amina <amina@exempel.se>",
            "amina,bo@exempel.se",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
