//! Participants turned into kernel rows and bit sets, once per pool.

use crate::config::Config;
use crate::geo;
use crate::kernel::Row;
use crate::model::{InterestId, LanguageCode, Participant, Proficiency, Role};

/// Whether a participant's Swedish counts as a language to talk in: a newcomer's as
/// soon as they have some, a resident's at C1 and above.
fn swedish_usable(p: &Participant) -> bool {
    match p.role {
        Role::Newcomer => p.swedish.rank() >= 1,
        Role::Resident => p.swedish.is_fluent(),
    }
}

/// Languages other than Swedish a participant can talk in (Conversational and above).
fn talk_languages(p: &Participant) -> impl Iterator<Item = LanguageCode> + '_ {
    p.languages
        .iter()
        .filter(|l| l.level >= Proficiency::Conversational && !l.code.is_swedish())
        .map(|l| l.code)
}

/// Numbers the languages and interests that can be shared, so that each participant's
/// become bit sets. Swedish is bit 0 of the languages. Only what appears on both sides
/// is numbered: nothing else can be shared, and the sets stay one word wide.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dict {
    langs: Vec<LanguageCode>,
    interests: Vec<InterestId>,
    /// Words per bit set (languages and interests alike).
    pub words: usize,
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort_unstable();
    v.dedup();
    v
}

/// The distinct languages (besides Swedish) and interests of one side, sorted: what
/// it could share with the other.
#[derive(Debug, Clone, Default)]
pub(crate) struct SideSets {
    langs: Vec<LanguageCode>,
    interests: Vec<InterestId>,
}

impl SideSets {
    /// Cost: O((L + I) log(L + I)) over the side.
    pub fn new<'a>(side: impl Iterator<Item = &'a Participant> + Clone) -> Self {
        Self {
            langs: sorted(side.clone().flat_map(talk_languages).collect()),
            interests: sorted(side.flat_map(|p| p.interests.iter().copied()).collect()),
        }
    }
}

impl Dict {
    /// What `a` and `b` can share. Cost: O(L + I) log(L + I) over both sides.
    pub fn new<'a>(
        a: impl Iterator<Item = &'a Participant> + Clone,
        b: impl Iterator<Item = &'a Participant> + Clone,
    ) -> Self {
        Self::shared(SideSets::new(a), &SideSets::new(b))
    }

    /// What two sides whose sets are `a` and `b` can share (the sets of a large pool's
    /// two sides are computed on two threads).
    pub fn shared(a: SideSets, b: &SideSets) -> Self {
        let langs: Vec<_> = a
            .langs
            .into_iter()
            .filter(|l| b.langs.binary_search(l).is_ok())
            .collect();
        let interests: Vec<_> = a
            .interests
            .into_iter()
            .filter(|i| b.interests.binary_search(i).is_ok())
            .collect();
        Self::from_sets(langs, interests)
    }

    /// Everything one side has (for an index a participant of the other side is later
    /// compared with: what they do not share with anyone in it cannot count).
    pub fn one_side<'a>(a: impl Iterator<Item = &'a Participant> + Clone) -> Self {
        let SideSets { langs, interests } = SideSets::new(a);
        Self::from_sets(langs, interests)
    }

    fn from_sets(langs: Vec<LanguageCode>, interests: Vec<InterestId>) -> Self {
        let words = (langs.len() + 1)
            .div_ceil(64)
            .max(interests.len().div_ceil(64))
            .max(1);
        Self {
            langs,
            interests,
            words,
        }
    }

    /// Writes a participant's bit sets into `out` (`2 * words` words, zeroed).
    pub fn write_bits(&self, p: &Participant, out: &mut [u64]) {
        let mut set = |i: usize| out[i / 64] |= 1 << (i % 64);
        if swedish_usable(p) {
            set(0);
        }
        for l in talk_languages(p) {
            if let Ok(k) = self.langs.binary_search(&l) {
                set(k + 1);
            }
        }
        for i in &p.interests {
            if let Ok(k) = self.interests.binary_search(i) {
                set(self.words * 64 + k);
            }
        }
    }
}

/// One side of a pool (newcomers or residents), in some fixed order: kernel rows,
/// bit sets (`stride` words each) and locations with their trigonometry precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    pub rows: Vec<Row>,
    pub bits: Vec<u64>,
    pub points: Vec<geo::Point>,
    pub stride: usize,
}

impl Side {
    /// Cost: O(n · (L + I)).
    pub fn new<'a>(
        people: impl ExactSizeIterator<Item = &'a Participant>,
        dict: &Dict,
        words: usize,
        cfg: &Config,
    ) -> Self {
        let stride = 2 * words;
        let n = people.len();
        let mut side = Self {
            rows: Vec::with_capacity(n),
            bits: Vec::with_capacity(n * stride),
            points: Vec::with_capacity(n),
            stride,
        };
        for p in people {
            side.rows.push(Row::new(p, cfg));
            side.points.push(geo::Point::new(p.location));
            let at = side.bits.len();
            side.bits.resize(at + stride, 0);
            dict.write_bits(p, &mut side.bits[at..]);
        }
        side
    }

    #[inline(always)]
    pub fn bits_of(&self, i: usize) -> &[u64] {
        &self.bits[i * self.stride..(i + 1) * self.stride]
    }
}

/// The number of words the kernel is compiled for: 1, 2 or 4 (loops unrolled), or
/// any other number at run time.
pub(crate) fn kernel_words(words: usize) -> usize {
    match words {
        0 | 1 => 1,
        2 => 2,
        3 | 4 => 4,
        n => n,
    }
}
