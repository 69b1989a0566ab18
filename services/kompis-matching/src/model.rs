//! What the intake interview records about a participant, as the engine sees it.
//!
//! These types are the engine's own: the matching service converts its domain values
//! into them at the edge, so the engine depends on no other crate.

use std::collections::HashSet;
use std::fmt;

/// A participant's identifier (for example a UUID as `u128`). Ties are broken by it,
/// so results do not depend on the order of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParticipantId(pub u128);

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// Which side of the programme a participant is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// New in Sweden.
    Newcomer,
    /// Established resident.
    Resident,
}

/// An ISO 639 language code of two or three lowercase ASCII letters
/// (`"ar"`/`"ara"`), compared verbatim; Swedish is recognised as `"sv"` or `"swe"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LanguageCode([u8; 3]);

impl LanguageCode {
    /// Swedish (`"swe"`).
    pub const SWEDISH: Self = Self(*b"swe");

    /// Parses a code; `None` unless it is two or three ASCII letters (case is folded).
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_matching::LanguageCode;
    /// assert_eq!(LanguageCode::new("AR").unwrap().as_str(), "ar");
    /// assert!(LanguageCode::new("sv").unwrap().is_swedish());
    /// assert!(LanguageCode::new("arabic").is_none());
    /// ```
    pub fn new(code: &str) -> Option<Self> {
        let b = code.as_bytes();
        if !(2..=3).contains(&b.len()) || !b.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let mut out = [0u8; 3];
        for (o, c) in out.iter_mut().zip(b) {
            *o = c.to_ascii_lowercase();
        }
        Some(Self(out))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        let len = if self.0[2] == 0 { 2 } else { 3 };
        std::str::from_utf8(&self.0[..len]).unwrap_or("??")
    }

    /// Whether this is Swedish (`sv` or `swe`).
    pub fn is_swedish(&self) -> bool {
        self.0 == *b"swe" || self.0 == [b's', b'v', 0]
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How well someone speaks a language other than Swedish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proficiency {
    /// A few words; not enough to talk in.
    Basic,
    /// Can hold a conversation.
    Conversational,
    /// Fluent.
    Fluent,
    /// Mother tongue.
    Native,
}

/// A language and how well it is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Language {
    /// The language.
    pub code: LanguageCode,
    /// The level.
    pub level: Proficiency,
}

/// A level of Swedish: an SFI course (A-D), a CEFR level (A1-C2), or native.
///
/// [`SwedishLevel::rank`] puts both scales on one CEFR-based scale: SFI A ≈ A1,
/// B ≈ A2, C ≈ A2, D ≈ B1 (SFI course D ends at about B1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SwedishLevel {
    /// No Swedish yet.
    None,
    /// SFI course A.
    SfiA,
    /// SFI course B.
    SfiB,
    /// SFI course C.
    SfiC,
    /// SFI course D.
    SfiD,
    /// CEFR A1.
    A1,
    /// CEFR A2.
    A2,
    /// CEFR B1.
    B1,
    /// CEFR B2.
    B2,
    /// CEFR C1.
    C1,
    /// CEFR C2.
    C2,
    /// Mother tongue.
    Native,
}

impl SwedishLevel {
    /// Position on a common scale: 0 none, 1 A1, 2 A2, 3 B1, 4 B2, 5 C1, 6 C2, 7 native.
    pub fn rank(self) -> u8 {
        match self {
            Self::None => 0,
            Self::SfiA | Self::A1 => 1,
            Self::SfiB | Self::SfiC | Self::A2 => 2,
            Self::SfiD | Self::B1 => 3,
            Self::B2 => 4,
            Self::C1 => 5,
            Self::C2 => 6,
            Self::Native => 7,
        }
    }

    /// C1 or above: what the programme asks of an established resident.
    pub fn is_fluent(self) -> bool {
        self.rank() >= 5
    }
}

impl fmt::Display for SwedishLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::SfiA => "SFI A",
            Self::SfiB => "SFI B",
            Self::SfiC => "SFI C",
            Self::SfiD => "SFI D",
            Self::A1 => "A1",
            Self::A2 => "A2",
            Self::B1 => "B1",
            Self::B2 => "B2",
            Self::C1 => "C1",
            Self::C2 => "C2",
            Self::Native => "native",
        })
    }
}

/// Gender as recorded at the intake interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// Woman.
    Woman,
    /// Man.
    Man,
    /// Non-binary.
    NonBinary,
    /// Not stated. Never satisfies a same-gender wish.
    Unspecified,
}

/// Whether a wish must be met (a hard constraint) or only counts in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strength {
    /// Counts in the "soft wishes" criterion.
    Soft,
    /// A pair that does not meet it is never proposed.
    Hard,
}

/// An inclusive range of ages wished for in a buddy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgeRange {
    /// Youngest acceptable age.
    pub min: u16,
    /// Oldest acceptable age.
    pub max: u16,
}

impl AgeRange {
    /// Whether `age` lies in the range.
    pub fn contains(&self, age: u16) -> bool {
        (self.min..=self.max).contains(&age)
    }
}

/// Wishes about the buddy, each soft or hard, all optional.
///
/// A wish is met when:
///
/// | wish | met when | contract (`WishKind`) |
/// |---|---|---|
/// | `same_gender` | both have the same stated gender ([`Gender::Unspecified`] never meets it) | `WISH_KIND_SAME_GENDER` |
/// | `age_range` | the buddy's age lies in the range | `WISH_KIND_AGE_RANGE` |
/// | `family_match` | a family matched with a family: **both** have children living with them (so it cannot be met for someone without children) | `WISH_KIND_FAMILY_MATCH` |
/// | `buddy_has_children` | the buddy has children living with them, whatever the wisher's own situation | `WISH_KIND_HAS_CHILDREN` |
///
/// A hard wish rules out every buddy who does not meet it; a soft one counts in the
/// soft-wishes criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Wishes {
    /// A buddy of the same gender (for example a woman who wants a female buddy).
    pub same_gender: Option<Strength>,
    /// A buddy whose age is in this range.
    pub age_range: Option<(AgeRange, Strength)>,
    /// A family matched with a family: both have children.
    pub family_match: Option<Strength>,
    /// A buddy who has children.
    pub buddy_has_children: Option<Strength>,
}

/// A kind of wish, to name the one a pair fails ([`crate::Violation::Wish`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WishKind {
    /// [`Wishes::same_gender`].
    SameGender,
    /// [`Wishes::age_range`].
    AgeRange,
    /// [`Wishes::family_match`].
    FamilyMatch,
    /// [`Wishes::buddy_has_children`].
    BuddyHasChildren,
}

/// Part of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayPart {
    /// Morning.
    Morning = 0,
    /// Afternoon.
    Afternoon = 1,
    /// Evening.
    Evening = 2,
}

/// When someone is free: a bitmask of weekday (Monday = 0 … Sunday = 6) × day part;
/// bit `3 * day + part`.
///
/// # Examples
///
/// ```
/// use kompis_matching::{Availability, DayPart};
/// let a = Availability::EMPTY.with(0, DayPart::Evening).with(5, DayPart::Morning);
/// let b = Availability::EMPTY.with(5, DayPart::Morning);
/// assert_eq!(a.overlap(b).count(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Availability(pub u32);

impl Availability {
    /// Never free.
    pub const EMPTY: Self = Self(0);
    /// Free at every time (all 21 slots).
    pub const ALWAYS: Self = Self((1 << 21) - 1);

    /// Adds a slot. `day` is 0 (Monday) to 6 (Sunday); larger values are ignored.
    pub fn with(self, day: u8, part: DayPart) -> Self {
        if day > 6 {
            return self;
        }
        Self(self.0 | 1 << (3 * u32::from(day) + part as u32))
    }

    /// The slots both are free.
    pub fn overlap(self, other: Self) -> Self {
        Self(self.0 & other.0 & Self::ALWAYS.0)
    }

    /// The number of slots.
    pub fn count(self) -> u32 {
        (self.0 & Self::ALWAYS.0).count_ones()
    }
}

/// How someone wants to meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingPreference {
    /// In person only.
    InPerson,
    /// Online only.
    Online,
    /// Either.
    Both,
}

/// A point on the earth: the coordinates of a participant's district, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

/// An interest, as an identifier the service maps to a name.
pub type InterestId = u32;

/// One participant, newcomer or established resident, as recorded at intake.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    /// Identifier; ties are broken by it.
    pub id: ParticipantId,
    /// Newcomer or established resident.
    pub role: Role,
    /// Ready to be matched (intake done, consent given, not paused).
    pub eligible: bool,
    /// Languages other than Swedish, with levels.
    pub languages: Vec<Language>,
    /// Level of Swedish.
    pub swedish: SwedishLevel,
    /// Gender.
    pub gender: Gender,
    /// Age in years.
    pub age: u16,
    /// Has children living at home.
    pub has_children: bool,
    /// Wishes about the buddy.
    pub wishes: Wishes,
    /// When the participant is free.
    pub availability: Availability,
    /// How the participant wants to meet.
    pub meeting: MeetingPreference,
    /// The district's coordinates.
    pub location: GeoPoint,
    /// Interests (any order; the engine sorts a copy).
    pub interests: Vec<InterestId>,
    /// How many buddies a resident can have at once (1..n); ignored for newcomers,
    /// who have one buddy.
    pub capacity: u8,
    /// Matches currently active.
    pub active_matches: u8,
    /// Days since the participant became ready to be matched.
    pub waiting_days: u32,
}

impl Participant {
    /// How many more buddies this participant can take now.
    pub fn free_capacity(&self) -> u8 {
        let cap = match self.role {
            Role::Newcomer => 1,
            Role::Resident => self.capacity,
        };
        cap.saturating_sub(self.active_matches)
    }
}

/// Pairs never to propose again (declined, ended, or otherwise ruled out), stored as
/// `(newcomer, resident)`.
///
/// # Examples
///
/// ```
/// use kompis_matching::{Exclusions, ParticipantId};
/// let mut ex = Exclusions::default();
/// ex.insert(ParticipantId(1), ParticipantId(2));
/// assert!(ex.contains(ParticipantId(1), ParticipantId(2)));
/// assert!(!ex.contains(ParticipantId(2), ParticipantId(1)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions(HashSet<(ParticipantId, ParticipantId)>);

impl Exclusions {
    /// Adds the pair `(newcomer, resident)`. Cost: O(1) expected.
    pub fn insert(&mut self, newcomer: ParticipantId, resident: ParticipantId) {
        self.0.insert((newcomer, resident));
    }

    /// Whether the pair is excluded. Cost: O(1) expected.
    pub fn contains(&self, newcomer: ParticipantId, resident: ParticipantId) -> bool {
        !self.0.is_empty() && self.0.contains(&(newcomer, resident))
    }

    /// The excluded pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ParticipantId, ParticipantId)> + '_ {
        self.0.iter().copied()
    }

    /// The number of excluded pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no pair is excluded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(ParticipantId, ParticipantId)> for Exclusions {
    fn from_iter<T: IntoIterator<Item = (ParticipantId, ParticipantId)>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}
