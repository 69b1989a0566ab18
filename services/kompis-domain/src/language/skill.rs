//! The languages a person speaks, with levels.

use std::collections::HashSet;

use super::{LanguageCode, LanguageLevel};
use crate::FieldError;

/// One language a person speaks, and how well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LanguageSkill {
    /// The language.
    pub code: LanguageCode,
    /// How well the person speaks it.
    pub level: LanguageLevel,
}

impl LanguageSkill {
    /// A skill from its parts (both already valid).
    pub fn new(code: LanguageCode, level: LanguageLevel) -> Self {
        Self { code, level }
    }
}

/// A person's languages: 1 to 20 skills, no language twice (`sv` and `swe` count as the
/// same language). Order is kept as given; by convention the first is the person's
/// strongest or first language.
///
/// # Examples
///
/// ```
/// use kompis_domain::{LanguageCode, LanguageLevel, LanguageSkill, LanguageSkills};
///
/// let skills = LanguageSkills::new(vec![
///     LanguageSkill::new("prs".parse()?, LanguageLevel::Native),
///     LanguageSkill::new("sv".parse()?, LanguageLevel::A2),
/// ])?;
/// assert_eq!(skills.level_of(&"swe".parse()?), Some(LanguageLevel::A2));
///
/// let twice = vec![
///     LanguageSkill::new("sv".parse()?, LanguageLevel::A2),
///     LanguageSkill::new("swe".parse()?, LanguageLevel::B1),
/// ];
/// assert!(LanguageSkills::new(twice).is_err());
/// assert!(LanguageSkills::new(vec![]).is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageSkills(Vec<LanguageSkill>);

impl LanguageSkills {
    /// Most skills a person may list.
    pub const MAX: usize = 20;

    /// Validates a list of skills.
    pub fn new(skills: Vec<LanguageSkill>) -> Result<Self, FieldError> {
        if skills.is_empty() {
            return Err(FieldError::new("must list at least one language"));
        }
        if skills.len() > Self::MAX {
            return Err(FieldError::new(format!(
                "must list at most {} languages",
                Self::MAX
            )));
        }
        let mut seen = HashSet::with_capacity(skills.len());
        for skill in &skills {
            if !seen.insert(skill.code) {
                return Err(FieldError::new(format!(
                    "lists the language \"{}\" more than once",
                    skill.code.alpha3()
                )));
            }
        }
        Ok(Self(skills))
    }

    /// The skills, in the order given.
    pub fn as_slice(&self) -> &[LanguageSkill] {
        &self.0
    }

    /// Iterates over the skills.
    pub fn iter(&self) -> std::slice::Iter<'_, LanguageSkill> {
        self.0.iter()
    }

    /// Number of skills (at least 1).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: the list holds at least one skill. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The level in `code`, if the person speaks it.
    pub fn level_of(&self, code: &LanguageCode) -> Option<LanguageLevel> {
        self.0.iter().find(|s| s.code == *code).map(|s| s.level)
    }

    /// The languages both people speak, with this person's and the other's level, in
    /// this list's order. O(n·m) with n, m ≤ 20.
    pub fn shared_with<'a>(
        &'a self,
        other: &'a LanguageSkills,
    ) -> impl Iterator<Item = (LanguageCode, LanguageLevel, LanguageLevel)> + 'a {
        self.0
            .iter()
            .filter_map(|s| other.level_of(&s.code).map(|theirs| (s.code, s.level, theirs)))
    }

    /// Consumes the list and returns the skills.
    pub fn into_vec(self) -> Vec<LanguageSkill> {
        self.0
    }
}

impl<'a> IntoIterator for &'a LanguageSkills {
    type Item = &'a LanguageSkill;
    type IntoIter = std::slice::Iter<'a, LanguageSkill>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(code: &str, level: LanguageLevel) -> LanguageSkill {
        LanguageSkill::new(code.parse().unwrap(), level)
    }

    #[test]
    fn accepts_one_to_twenty_distinct_languages() {
        let codes: Vec<&str> = table_codes().into_iter().take(21).collect();
        let twenty: Vec<_> = codes[..20].iter().map(|c| skill(c, LanguageLevel::B1)).collect();
        assert_eq!(LanguageSkills::new(twenty).unwrap().len(), 20);
        let twenty_one: Vec<_> = codes.iter().map(|c| skill(c, LanguageLevel::B1)).collect();
        assert!(LanguageSkills::new(twenty_one).is_err());
        assert!(LanguageSkills::new(vec![skill("som", LanguageLevel::Native)]).is_ok());
    }

    fn table_codes() -> Vec<&'static str> {
        vec![
            "ara", "swe", "eng", "som", "tir", "prs", "ckb", "kmr", "fas", "pus", "ukr", "rus", "amh", "fra",
            "deu", "spa", "tur", "pol", "bos", "hrv", "srp",
        ]
    }

    #[test]
    fn a_language_may_not_be_listed_twice_under_either_code() {
        let err = LanguageSkills::new(vec![
            skill("ar", LanguageLevel::Native),
            skill("en", LanguageLevel::B1),
            skill("ara", LanguageLevel::C1),
        ])
        .unwrap_err();
        assert!(err.description().contains("\"ara\""), "{err}");
    }

    #[test]
    fn shared_languages_carry_both_levels() {
        let newcomer = LanguageSkills::new(vec![
            skill("tir", LanguageLevel::Native),
            skill("en", LanguageLevel::B1),
            skill("sv", LanguageLevel::A2),
        ])
        .unwrap();
        let resident = LanguageSkills::new(vec![
            skill("swe", LanguageLevel::Native),
            skill("eng", LanguageLevel::C1),
        ])
        .unwrap();
        let shared: Vec<_> = newcomer
            .shared_with(&resident)
            .map(|(c, mine, theirs)| (c.alpha3(), mine, theirs))
            .collect();
        assert_eq!(
            shared,
            [
                ("eng", LanguageLevel::B1, LanguageLevel::C1),
                ("swe", LanguageLevel::A2, LanguageLevel::Native)
            ]
        );
    }
}
