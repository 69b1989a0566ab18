//! Parsing a CreateReferralRequest into domain values, every bad field recorded.
//!
//! What needs the database (whether the district exists and lies in the chapter,
//! whether the organisation belongs to it) is checked by the handler afterwards, into
//! the same [`Violations`], so that a request is answered with all its faults at once.

use kompis_domain::{BirthYear, Contact, FreeText, Gender, LanguageSkills, Slug, SwedishLevel, Violations};
use kompis_proto::v1 as pb;
use time::OffsetDateTime;

use crate::kit::RequestId;
use crate::kit::names;
use crate::parse::person::{
    Consent, PersonName, parse_consent, parse_contact, parse_gender, parse_languages, parse_person_name,
    parse_swedish_level,
};

/// Longest referrer's note, in characters.
pub const REFERRAL_NOTE_MAX: usize = 500;

/// The parts of a CreateReferralRequest that need no database, parsed.
#[derive(Debug, Clone)]
pub struct ParsedReferral {
    /// The chapter named by `parent`.
    pub chapter: Slug,
    /// The client's request id.
    pub request_id: Option<RequestId>,
    /// The learner's name.
    pub name: PersonName,
    /// Phone and/or e-mail.
    pub contact: Contact,
    /// Year of birth.
    pub birth_year: BirthYear,
    /// Gender.
    pub gender: Gender,
    /// Municipality of the district.
    pub municipality: Slug,
    /// District.
    pub district: Slug,
    /// Languages other than Swedish.
    pub languages: LanguageSkills,
    /// Level in Swedish.
    pub swedish_level: SwedishLevel,
    /// The recorded consent.
    pub consent: Consent,
    /// The referrer's note.
    pub note: FreeText<REFERRAL_NOTE_MAX>,
}

/// The outcome of parsing: the values that parsed, whether the consent is missing
/// (the request is then answered CONSENT_MISSING), and what the database checks need
/// even when other fields are bad.
#[derive(Debug)]
pub struct Parse {
    /// Every field parsed.
    pub referral: Option<ParsedReferral>,
    /// The consent was absent or incomplete.
    pub consent_missing: bool,
    /// The chapter, when `parent` parsed.
    pub chapter: Option<Slug>,
    /// The district's municipality and slug, when `referral.district` parsed.
    pub district: Option<(Slug, Slug)>,
    /// `referral.organization`, when given and well-formed (coordinators and
    /// administrators name the referring organisation; a referrer's is their own).
    pub organization: Option<Slug>,
}

/// Parses `req` for `caller` (the token's subject) at `now`, recording violations in `v`.
pub fn parse(
    v: &mut Violations,
    req: &pb::CreateReferralRequest,
    caller: &str,
    now: OffsetDateTime,
) -> Parse {
    let chapter = v.check("parent", names::parse_one(&req.parent, "chapters"));
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    let Some(r) = req.referral.as_ref() else {
        v.add("referral", "is required");
        return Parse {
            referral: None,
            consent_missing: false,
            chapter,
            district: None,
            organization: None,
        };
    };
    let organization = if r.organization.is_empty() {
        Some(None)
    } else {
        v.check(
            "referral.organization",
            names::parse_one(&r.organization, "organizations"),
        )
        .map(Some)
    };
    let name = parse_person_name(v, "referral.learner_name", r.learner_name.as_ref());
    let contact = parse_contact(v, "referral.contact", r.contact.as_ref());
    let birth_year = v.check(
        "referral.birth_year",
        BirthYear::for_referral(r.birth_year, now.year()),
    );
    let gender = v.check("referral.gender", parse_gender(r.gender));
    let district = v.check(
        "referral.district",
        names::parse_two(&r.district, "municipalities", "districts"),
    );
    let languages = parse_languages(v, "referral.languages", &r.languages);
    let swedish_level = v.check(
        "referral.swedish_level",
        parse_swedish_level(r.swedish_level.as_ref()),
    );
    let consent = parse_consent(v, "referral.consent", r.consent.as_ref(), caller, now);
    let note = v.check("referral.note", FreeText::<REFERRAL_NOTE_MAX>::parse(&r.note));
    let consent_missing = consent.is_err();
    let organization = organization.flatten();
    let referral = (|| {
        let (municipality, district) = district.clone()?;
        Some(ParsedReferral {
            chapter: chapter.clone()?,
            request_id: rid?,
            name: name?,
            contact: contact?,
            birth_year: birth_year?,
            gender: gender?,
            municipality,
            district,
            languages: languages?,
            swedish_level: swedish_level?,
            consent: consent.ok()?,
            note: note?,
        })
    })();
    Parse {
        referral,
        consent_missing,
        chapter,
        district,
        organization,
    }
}
