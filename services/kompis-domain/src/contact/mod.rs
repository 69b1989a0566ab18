//! How to reach a person: phone, e-mail, or both.

mod email;
mod phone;

pub use email::Email;
pub use phone::PhoneNumber;

use crate::FieldError;

/// How to reach a person: at least one of a phone number and an e-mail address.
///
/// # Examples
///
/// ```
/// use kompis_domain::{Contact, PhoneNumber};
///
/// let contact = Contact::new(Some(PhoneNumber::parse("+46701234567")?), None)?;
/// assert!(contact.email().is_none());
/// assert!(Contact::new(None, None).is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Contact {
    phone: Option<PhoneNumber>,
    email: Option<Email>,
}

impl Contact {
    /// A contact from its parts; refused when both are missing.
    pub fn new(phone: Option<PhoneNumber>, email: Option<Email>) -> Result<Self, FieldError> {
        if phone.is_none() && email.is_none() {
            return Err(FieldError::new("needs a phone number or an e-mail address"));
        }
        Ok(Self { phone, email })
    }

    /// The phone number, if any.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.phone.as_ref()
    }

    /// The e-mail address, if any.
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_at_least_one_way_to_reach_the_person() {
        let phone = PhoneNumber::parse("+46701234567").unwrap();
        let email = Email::parse("amina@exempel.se").unwrap();
        assert!(Contact::new(Some(phone.clone()), None).is_ok());
        assert!(Contact::new(None, Some(email.clone())).is_ok());
        let both = Contact::new(Some(phone), Some(email)).unwrap();
        assert!(both.phone().is_some() && both.email().is_some());
        assert!(Contact::new(None, None).is_err());
    }
}
