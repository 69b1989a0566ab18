//! Conversions between the proto messages that describe a person (name, contact,
//! gender, languages, Swedish level, consent) and the domain types.
//!
//! Parsers record every bad field in a [`Violations`] under the path they are given
//! (for example `referral.contact`) and return `None` for a bad value, so that a
//! handler can report every violation of a request at once.

use kompis_domain::{
    Contact, DisplayName, Email, FieldError, Gender, LanguageCode, LanguageLevel, LanguageSkill,
    LanguageSkills, PhoneNumber, SfiCourse, SwedishLevel, Violations,
};
use kompis_proto::v1 as pb;
use time::{Duration, OffsetDateTime};

use crate::kit::convert::{from_timestamp, timestamp};

/// A person's name, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    /// Given name.
    pub given: DisplayName,
    /// Family name.
    pub family: DisplayName,
    /// Preferred name, when given.
    pub display: Option<DisplayName>,
}

/// Parses a required `PersonName` at `path`.
pub fn parse_person_name(
    v: &mut Violations,
    path: &str,
    name: Option<&pb::PersonName>,
) -> Option<PersonName> {
    let name = v.require(path, name)?;
    let given = v.check(format!("{path}.given_name"), DisplayName::parse(&name.given_name));
    let family = v.check(
        format!("{path}.family_name"),
        DisplayName::parse(&name.family_name),
    );
    let display = if name.display_name.trim().is_empty() {
        Some(None)
    } else {
        v.check(
            format!("{path}.display_name"),
            DisplayName::parse(&name.display_name),
        )
        .map(Some)
    };
    Some(PersonName {
        given: given?,
        family: family?,
        display: display?,
    })
}

/// The proto form of a stored name.
pub fn person_name_pb(given: &str, family: &str, display: &str) -> pb::PersonName {
    pb::PersonName {
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        display_name: display.to_owned(),
    }
}

/// Parses a required `Contact` at `path`: phone (E.164) and/or e-mail.
pub fn parse_contact(v: &mut Violations, path: &str, contact: Option<&pb::Contact>) -> Option<Contact> {
    let contact = v.require(path, contact)?;
    let phone = if contact.phone.trim().is_empty() {
        Some(None)
    } else {
        v.check(format!("{path}.phone"), PhoneNumber::parse(&contact.phone))
            .map(Some)
    };
    let email = if contact.email.trim().is_empty() {
        Some(None)
    } else {
        v.check(format!("{path}.email"), Email::parse(&contact.email))
            .map(Some)
    };
    let (phone, email) = (phone?, email?);
    v.check(path, Contact::new(phone, email))
}

/// The proto form of a stored phone number and e-mail address.
pub fn contact_pb(phone: Option<&str>, email: Option<&str>) -> pb::Contact {
    pb::Contact {
        phone: phone.unwrap_or_default().to_owned(),
        email: email.unwrap_or_default().to_owned(),
    }
}

const GENDERS: [(pb::Gender, Gender); 4] = [
    (pb::Gender::Female, Gender::Female),
    (pb::Gender::Male, Gender::Male),
    (pb::Gender::NonBinary, Gender::NonBinary),
    (pb::Gender::Undisclosed, Gender::Undisclosed),
];

/// Parses a required gender.
pub fn parse_gender(value: i32) -> Result<Gender, FieldError> {
    GENDERS
        .iter()
        .find(|(p, _)| *p as i32 == value)
        .map(|(_, g)| *g)
        .ok_or_else(|| FieldError::new("is required: one of the Gender values"))
}

/// The proto value of a stored gender (`Gender::as_str`).
pub fn gender_pb(stored: &str) -> i32 {
    GENDERS
        .iter()
        .find(|(_, g)| g.as_str() == stored)
        .map_or(pb::Gender::Unspecified, |(p, _)| *p) as i32
}

const LEVELS: [(pb::LanguageLevel, LanguageLevel); 7] = [
    (pb::LanguageLevel::A1, LanguageLevel::A1),
    (pb::LanguageLevel::A2, LanguageLevel::A2),
    (pb::LanguageLevel::B1, LanguageLevel::B1),
    (pb::LanguageLevel::B2, LanguageLevel::B2),
    (pb::LanguageLevel::C1, LanguageLevel::C1),
    (pb::LanguageLevel::C2, LanguageLevel::C2),
    (pb::LanguageLevel::Native, LanguageLevel::Native),
];

fn parse_level(value: i32) -> Result<LanguageLevel, FieldError> {
    LEVELS
        .iter()
        .find(|(p, _)| *p as i32 == value)
        .map(|(_, l)| *l)
        .ok_or_else(|| FieldError::new("is required: one of A1 to C2 or NATIVE"))
}

fn level_pb(level: LanguageLevel) -> i32 {
    LEVELS
        .iter()
        .find(|(_, l)| *l == level)
        .map_or(pb::LanguageLevel::Unspecified, |(p, _)| *p) as i32
}

/// Parses the languages a person speaks at `path`: 1 to 20, each an ISO 639 code
/// from the real list and a level, Swedish excluded (it has its own field).
pub fn parse_languages(
    v: &mut Violations,
    path: &str,
    skills: &[pb::LanguageSkill],
) -> Option<LanguageSkills> {
    let mut parsed = Vec::with_capacity(skills.len());
    let mut all_valid = true;
    for (i, skill) in skills.iter().enumerate() {
        let code = v.check(
            format!("{path}[{i}].language_code"),
            LanguageCode::parse(&skill.language_code),
        );
        if code.is_some_and(|c| c.is_swedish()) {
            v.add(
                format!("{path}[{i}].language_code"),
                "is Swedish; give the level in Swedish in swedish_level instead",
            );
            all_valid = false;
        }
        let level = v.check(format!("{path}[{i}].level"), parse_level(skill.level));
        match (code, level) {
            (Some(code), Some(level)) => parsed.push(LanguageSkill::new(code, level)),
            _ => all_valid = false,
        }
    }
    if !all_valid {
        return None;
    }
    v.check(path, LanguageSkills::new(parsed))
}

/// The proto form of stored languages (codes and `LanguageLevel::as_str` strings).
pub fn languages_pb<'a>(stored: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<pb::LanguageSkill> {
    stored
        .into_iter()
        .map(|(code, level)| pb::LanguageSkill {
            language_code: code.to_owned(),
            level: level.parse().map_or(0, level_pb),
        })
        .collect()
}

const COURSES: [(pb::SfiCourse, SfiCourse); 4] = [
    (pb::SfiCourse::A, SfiCourse::A),
    (pb::SfiCourse::B, SfiCourse::B),
    (pb::SfiCourse::C, SfiCourse::C),
    (pb::SfiCourse::D, SfiCourse::D),
];

/// Parses a required Swedish level: an SFI course or a CEFR level.
pub fn parse_swedish_level(level: Option<&pb::SwedishLevel>) -> Result<SwedishLevel, FieldError> {
    use pb::swedish_level::Level;
    match level.and_then(|l| l.level) {
        Some(Level::SfiCourse(course)) => COURSES
            .iter()
            .find(|(p, _)| *p as i32 == course)
            .map(|(_, c)| SwedishLevel::Sfi(*c))
            .ok_or_else(|| FieldError::new("must be an SFI course A to D")),
        Some(Level::Cefr(level)) => parse_level(level).map(SwedishLevel::Cefr),
        None => Err(FieldError::new(
            "is required: an SFI course (A to D) or a CEFR level (A1 to C2, NATIVE)",
        )),
    }
}

/// The proto form of a stored Swedish level (`SwedishLevel::as_str`).
pub fn swedish_level_pb(stored: &str) -> Option<pb::SwedishLevel> {
    use pb::swedish_level::Level;
    let level = match stored.parse::<SwedishLevel>().ok()? {
        SwedishLevel::Sfi(course) => Level::SfiCourse(
            COURSES
                .iter()
                .find(|(_, c)| *c == course)
                .map_or(pb::SfiCourse::Unspecified, |(p, _)| *p) as i32,
        ),
        SwedishLevel::Cefr(level) => Level::Cefr(level_pb(level)),
    };
    Some(pb::SwedishLevel { level: Some(level) })
}

/// A person's recorded consent, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// Account id of who recorded it: the caller.
    pub given_by: String,
    /// When the person consented.
    pub give_time: OffsetDateTime,
    /// Version of the consent text, 1 to 32 characters.
    pub text_version: String,
}

/// How far in the future a consent time may lie, for clocks that run a little fast.
pub const CONSENT_CLOCK_SKEW: Duration = Duration::minutes(5);

/// Longest consent text version, in characters.
pub const CONSENT_VERSION_MAX: usize = 32;

/// Parses a required consent at `path`, recorded by `caller` (the token's subject)
/// at `now`. Returns `Err(())` when the consent is missing or incomplete, after
/// recording each reason in `v`: the caller then answers CONSENT_MISSING.
#[allow(clippy::result_unit_err)]
pub fn parse_consent(
    v: &mut Violations,
    path: &str,
    consent: Option<&pb::Consent>,
    caller: &str,
    now: OffsetDateTime,
) -> Result<Consent, ()> {
    let Some(consent) = consent else {
        v.add(
            path,
            "is required: the learner's consent (who recorded it, when it was given, \
             which text version) must be recorded before a referral is sent",
        );
        return Err(());
    };
    let mut ok = true;
    // The server records the caller; a client may leave `given_by` empty. One that
    // names someone else is refused rather than silently replaced.
    if !consent.given_by.is_empty() && consent.given_by != caller {
        v.add(
            format!("{path}.given_by"),
            "must be empty or the caller's own account id (the token's subject): \
             the server records the caller as who recorded the consent",
        );
        ok = false;
    }
    let give_time = match consent.give_time.as_ref().map(from_timestamp) {
        None => {
            v.add(format!("{path}.give_time"), "is required");
            None
        }
        Some(None) => {
            v.add(format!("{path}.give_time"), "is not a valid time");
            None
        }
        Some(Some(t)) if t > now + CONSENT_CLOCK_SKEW => {
            v.add(format!("{path}.give_time"), "must not be in the future");
            None
        }
        Some(Some(t)) => Some(t),
    };
    let version = consent.text_version.trim();
    let version_ok = !version.is_empty()
        && version.chars().count() <= CONSENT_VERSION_MAX
        && !version.chars().any(char::is_control);
    if !version_ok {
        v.add(
            format!("{path}.text_version"),
            format!("is required: 1 to {CONSENT_VERSION_MAX} characters, such as 2026-01"),
        );
    }
    match give_time {
        Some(give_time) if ok && version_ok => Ok(Consent {
            given_by: caller.to_owned(),
            give_time,
            text_version: version.to_owned(),
        }),
        _ => Err(()),
    }
}

/// The proto form of a stored consent.
pub fn consent_pb(given_by: &str, give_time: OffsetDateTime, text_version: &str) -> pb::Consent {
    pb::Consent {
        given_by: given_by.to_owned(),
        give_time: timestamp(give_time),
        text_version: text_version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_not_a_language_code_and_swedish_has_its_own_field() {
        let mut v = Violations::new();
        let skills = [
            pb::LanguageSkill {
                language_code: "swedish".into(),
                level: pb::LanguageLevel::B1 as i32,
            },
            pb::LanguageSkill {
                language_code: "sv".into(),
                level: pb::LanguageLevel::A1 as i32,
            },
        ];
        assert!(parse_languages(&mut v, "languages", &skills).is_none());
        let fields: Vec<_> = v.as_slice().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["languages[0].language_code", "languages[1].language_code"]
        );
    }

    #[test]
    fn levels_and_genders_round_trip() {
        for (p, level) in LEVELS {
            assert_eq!(parse_level(p as i32).unwrap(), level);
        }
        for (p, gender) in GENDERS {
            assert_eq!(gender_pb(gender.as_str()), p as i32);
        }
        for stored in ["sfi_a", "sfi_d", "b2", "native"] {
            let level = swedish_level_pb(stored).unwrap();
            assert_eq!(parse_swedish_level(Some(&level)).unwrap().as_str(), stored);
        }
    }

    #[test]
    fn consent_must_be_recorded_by_the_caller_and_not_in_the_future() {
        let now = OffsetDateTime::now_utc();
        let mut v = Violations::new();
        assert!(parse_consent(&mut v, "consent", None, "u1", now).is_err());
        let consent = pb::Consent {
            given_by: "someone-else".into(),
            give_time: timestamp(now + Duration::hours(1)),
            text_version: String::new(),
        };
        let mut v = Violations::new();
        assert!(parse_consent(&mut v, "consent", Some(&consent), "u1", now).is_err());
        assert_eq!(v.as_slice().len(), 3);
    }
}
