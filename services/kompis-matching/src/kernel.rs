//! The pair kernel: a participant compacted to what the hard rules and the score read,
//! and the functions that check a pair and score it. Every path (one pair, a round, a
//! suggestion list) goes through them, so the rules have one implementation.

use crate::config::Config;
use crate::model::{Gender, MeetingPreference, Participant, Role, Strength, WishKind};
use crate::score::{Criterion, Points, Violation};

/// Gender bits of [`Row::traits`], one-hot; "not stated" has none.
const WOMAN: u8 = 1;
const MAN: u8 = 2;
const NON_BINARY: u8 = 4;
const GENDER: u8 = WOMAN | MAN | NON_BINARY;
/// Has children living at home.
const CHILDREN: u8 = 8;
/// Every bit of [`Row::traits`].
const TRAITS: u8 = GENDER | CHILDREN;
/// A bit nobody has: a hard wish that can never be met (a same-gender wish of someone
/// whose gender is not stated, a family match wished by someone without children).
const NEVER: u8 = 16;

/// Wish bits of [`Row::soft`], [`Row::hard`] and of the per-pair "met" mask.
const SOFT_GENDER: u8 = 1;
const SOFT_AGE: u8 = 2;
const SOFT_FAMILY: u8 = 4;
const SOFT_CHILDREN: u8 = 8;

/// Where [`Row::soft`] keeps the number of soft wishes.
const SOFT_COUNT: u32 = 4;

/// `SOFT_MET[soft_key << 4 | buddy traits]`: how many of the soft wishes about traits
/// (gender, family, children) that [`Row::soft_key`] describes a buddy with those
/// traits meets.
const SOFT_MET: [u8; 1024] = soft_met_table();

const fn soft_met_table() -> [u8; 1024] {
    let mut table = [0u8; 1024];
    let mut x = 0;
    while x < 1024 {
        let (key, buddy) = ((x >> 4) as u8, (x & 15) as u8);
        let own_gender = [0, WOMAN, MAN, NON_BINARY][(key >> 3 & 3) as usize];
        let own_children = key & 32 != 0;
        let gender = key & 1 != 0 && own_gender != 0 && buddy & GENDER == own_gender;
        let family = key & 2 != 0 && own_children && buddy & CHILDREN != 0;
        let children = key & 4 != 0 && buddy & CHILDREN != 0;
        table[x] = gender as u8 + family as u8 + children as u8;
        x += 1;
    }
    table
}

/// The number of bits set in a 4-bit value.
const BITS4: [u8; 16] = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/// Meeting bits: 1 accepts meeting in person, 2 accepts meeting online.
const IN_PERSON: u8 = 1;
const ONLINE: u8 = 2;

/// A participant as the kernel reads them (24 bytes, so that a scan over many
/// candidates stays in cache). Languages and interests live beside it as bit sets.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Row {
    availability: u32,
    age: u16,
    /// Waiting days, capped at the rules' `waiting_days_for_full`.
    wait: u16,
    /// Requirements on the buddy from hard wishes: the buddy's `traits & hard_mask`
    /// must equal `hard_value`, and the buddy's age must lie in `hard_age`.
    hard_age: (u16, u16),
    soft_age: (u16, u16),
    traits: u8,
    meeting: u8,
    swedish_rank: u8,
    hard_mask: u8,
    hard_value: u8,
    /// Which soft wishes the participant has (soft-wish bits), and their number
    /// shifted by [`SOFT_COUNT`].
    soft: u8,
    /// The index of this participant's soft wishes about traits (gender, family,
    /// children) and their own gender and children, into [`SOFT_MET`].
    soft_key: u8,
    /// Which hard wishes the participant has (the same bits), to name an unmet one.
    hard: u8,
}

impl Row {
    /// This row with `days` waited instead of the participant's own waiting days,
    /// capped as [`Row::new`] caps them.
    pub fn with_waiting_days(mut self, days: u32, cfg: &Config) -> Self {
        self.wait = days
            .min(cfg.rules.waiting_days_for_full.max(1))
            .min(u32::from(u16::MAX)) as u16;
        self
    }

    pub fn new(p: &Participant, cfg: &Config) -> Self {
        let gender = match p.gender {
            Gender::Woman => WOMAN,
            Gender::Man => MAN,
            Gender::NonBinary => NON_BINARY,
            Gender::Unspecified => 0,
        };
        let children = if p.has_children { CHILDREN } else { 0 };
        let mut row = Self {
            availability: p.availability.0 & crate::model::Availability::ALWAYS.0,
            age: p.age,
            wait: p
                .waiting_days
                .min(cfg.rules.waiting_days_for_full.max(1))
                .min(u32::from(u16::MAX)) as u16,
            hard_age: (0, u16::MAX),
            // An empty range: no soft age wish is met.
            soft_age: (1, 0),
            traits: gender | children,
            meeting: match p.meeting {
                MeetingPreference::InPerson => IN_PERSON,
                MeetingPreference::Online => ONLINE,
                MeetingPreference::Both => IN_PERSON | ONLINE,
            },
            swedish_rank: p.swedish.rank(),
            hard_mask: 0,
            hard_value: 0,
            soft: 0,
            soft_key: 0,
            hard: 0,
        };
        let w = &p.wishes;
        let mut require = |strength: Strength, soft_bit: u8, mask: u8, value: u8| match strength {
            Strength::Hard => {
                row.hard |= soft_bit;
                row.hard_mask |= mask;
                row.hard_value |= value;
            }
            Strength::Soft => row.soft |= soft_bit,
        };
        if let Some(s) = w.same_gender {
            let (m, v) = if gender == 0 {
                (NEVER, NEVER)
            } else {
                (GENDER, gender)
            };
            require(s, SOFT_GENDER, m, v);
        }
        if let Some(s) = w.family_match {
            let (m, v) = if p.has_children {
                (CHILDREN, CHILDREN)
            } else {
                (NEVER, NEVER)
            };
            require(s, SOFT_FAMILY, m, v);
        }
        if let Some(s) = w.buddy_has_children {
            require(s, SOFT_CHILDREN, CHILDREN, CHILDREN);
        }
        if let Some((range, s)) = w.age_range {
            match s {
                Strength::Hard => {
                    row.hard |= SOFT_AGE;
                    row.hard_age = (range.min, range.max);
                }
                Strength::Soft => {
                    row.soft |= SOFT_AGE;
                    row.soft_age = (range.min, range.max);
                }
            }
        }
        let own_gender = match p.gender {
            Gender::Woman => 1,
            Gender::Man => 2,
            Gender::NonBinary => 3,
            Gender::Unspecified => 0,
        };
        row.soft_key = u8::from(row.soft & SOFT_GENDER != 0)
            | u8::from(row.soft & SOFT_FAMILY != 0) << 1
            | u8::from(row.soft & SOFT_CHILDREN != 0) << 2
            | own_gender << 3
            | u8::from(p.has_children) << 5;
        row.soft |= BITS4[usize::from(row.soft)] << SOFT_COUNT;
        row
    }

    /// The free slots (bits of [`crate::Availability`]).
    pub fn availability(&self) -> u32 {
        self.availability
    }

    /// Gender and children bits, below 16.
    pub fn traits(&self) -> u8 {
        self.traits
    }

    pub fn age(&self) -> u16 {
        self.age
    }

    /// The ages a buddy must lie in (inclusive; `(0, u16::MAX)` without a hard age
    /// wish).
    pub fn hard_age(&self) -> (u16, u16) {
        self.hard_age
    }

    /// Whether this participant has a hard wish about the buddy's gender or children.
    pub fn has_hard_traits(&self) -> bool {
        self.hard_mask != 0
    }

    /// Whether a buddy with `traits` meets this participant's hard wishes about
    /// gender and children.
    #[inline(always)]
    pub fn hard_traits_met_by(&self, traits: u8) -> bool {
        traits & self.hard_mask == self.hard_value
    }

    pub fn meeting_online_only(&self) -> bool {
        self.meeting == ONLINE
    }

    pub fn accepts_online(&self) -> bool {
        self.meeting & ONLINE != 0
    }

    pub fn accepts_in_person(&self) -> bool {
        self.meeting & IN_PERSON != 0
    }

    /// Whether `buddy` meets every hard wish of this participant.
    #[inline(always)]
    fn hard_wishes_met_by(&self, buddy: &Self) -> bool {
        (buddy.traits & self.hard_mask == self.hard_value)
            & (self.hard_age.0 <= buddy.age)
            & (buddy.age <= self.hard_age.1)
    }

    /// How many of this participant's soft wishes `buddy` meets.
    #[inline(always)]
    fn soft_wishes_met_by(&self, buddy: &Self) -> u8 {
        let traits = SOFT_MET[usize::from(self.soft_key) << 4 | usize::from(buddy.traits & TRAITS)];
        traits + u8::from((self.soft_age.0 <= buddy.age) & (buddy.age <= self.soft_age.1))
    }

    /// The number of soft wishes.
    #[inline(always)]
    fn soft_count(&self) -> usize {
        usize::from(self.soft >> SOFT_COUNT)
    }
}

/// Whether the distance limit is waived for a pair (when the rules allow it): one
/// wants to meet online only and the other accepts meeting online.
#[inline(always)]
pub(crate) fn online_pair(a: &Row, b: &Row) -> bool {
    a.meeting & b.meeting & ONLINE != 0 && (a.meeting == ONLINE || b.meeting == ONLINE)
}

/// How many 64-bit words a bit set of languages or interests takes; a compile-time
/// constant for the common sizes, so that the kernel's loops unroll.
pub(crate) trait Words: Copy + Send + Sync {
    fn n(self) -> usize;
}

/// A fixed number of words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fixed<const N: usize>;

impl<const N: usize> Words for Fixed<N> {
    #[inline(always)]
    fn n(self) -> usize {
        N
    }
}

/// A number of words known only at run time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dynamic(pub usize);

impl Words for Dynamic {
    #[inline(always)]
    fn n(self) -> usize {
        self.0
    }
}

/// Lookup tables of the points, computed once per configuration (integer division
/// out of the inner loop).
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    /// [`crate::Rules::online_beyond_distance`].
    pub online_beyond_distance: bool,
    min_common_slots: u32,
    /// Shared interests that give full points (at least 1).
    interests_full: usize,
    interests: Vec<i32>,
    age: Vec<i32>,
    wait: Vec<i32>,
    /// `soft[total * 9 + met]`.
    soft: [i32; 81],
    swedish: [i32; 8],
    family: i32,
    meeting: i32,
    distance: i32,
    max_m: i64,
}

impl Tables {
    /// Tables for bit sets of `words` words.
    pub fn new(cfg: &Config, words: usize) -> Self {
        let w = &cfg.weights;
        let r = &cfg.rules;
        let full = i64::from(r.interests_for_full_score.max(1));
        let interests = (0..=64 * words as i64)
            .map(|s| (i64::from(w.shared_interests) * s.min(full) / full) as i32)
            .collect();
        let span = i64::from(r.age_gap_for_zero.max(1));
        let age = (0..=span)
            .map(|gap| (i64::from(w.age_closeness) * (span - gap) / span) as i32)
            .collect();
        let cap = i64::from(r.waiting_days_for_full.max(1).min(u32::from(u16::MAX)));
        let wait = (0..=2 * cap)
            .map(|waited| (i64::from(w.waiting) * waited / (2 * cap)) as i32)
            .collect();
        let mut soft = [0i32; 81];
        for total in 0..9i64 {
            for met in 0..=total {
                soft[(total * 9 + met) as usize] = if total == 0 {
                    w.soft_wishes as i32
                } else {
                    (i64::from(w.soft_wishes) * met / total) as i32
                };
            }
        }
        let mut swedish = [0i32; 8];
        for (rank, s) in swedish.iter_mut().enumerate() {
            *s = if rank >= 3 {
                w.swedish_fit as i32
            } else {
                (i64::from(w.swedish_fit) * rank as i64 / 3) as i32
            };
        }
        Self {
            online_beyond_distance: r.online_beyond_distance,
            min_common_slots: r.min_common_slots,
            interests_full: full as usize,
            interests,
            age,
            wait,
            soft,
            swedish,
            family: w.family as i32,
            meeting: w.meeting as i32,
            distance: w.distance as i32,
            max_m: crate::geo::km_to_m(r.max_distance_km).max(1),
        }
    }

    /// The most points a pair can have on every criterion but waiting time, for a
    /// participant who can share at most `interests` interests: an upper bound of a
    /// pair's total without its waiting points, so that a scan in order of waiting
    /// time can stop at the first candidate who could not reach a score it already
    /// has. Cost: O(interests + age gap for zero).
    pub fn best_besides_waiting(&self, interests: usize) -> i32 {
        let most = |t: &[i32]| t.iter().copied().max().unwrap_or(0).max(0);
        let shared = interests.min(self.interests_full).min(self.interests.len() - 1);
        most(&self.interests[..=shared])
            + self.distance.max(0)
            + most(&self.age)
            + most(&self.soft)
            + most(&self.swedish)
            + self.family.max(0)
            + self.meeting.max(0)
    }

    /// The waiting-time points of a pair (as [`points_of_admissible`] gives them).
    #[inline(always)]
    pub fn waiting_points(&self, n: &Row, r: &Row) -> i32 {
        self.wait[usize::from(n.wait) + usize::from(r.wait)]
    }

    /// Whether the distance limit is waived for the pair.
    #[inline]
    pub fn waived(&self, a: &Row, b: &Row) -> bool {
        self.online_beyond_distance && online_pair(a, b)
    }

    /// Distance points of a pair `distance_m` apart: full at 0, none at the limit and
    /// beyond (pairs beyond it are admissible only under the online waiver).
    #[inline]
    pub fn distance_points(&self, distance_m: u32) -> i32 {
        let d = i64::from(distance_m).min(self.max_m);
        (i64::from(self.distance) * (self.max_m - d) / self.max_m) as i32
    }
}

/// A resident as [`Scorer`] reads them (32 bytes): what the score needs beyond the
/// pair rules, precomputed for bit sets of one word and ages below 256, the case where
/// the pair rules' bit sets are built (`filter`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Lean {
    interests: u64,
    /// Languages to talk in besides Swedish.
    others: u64,
    /// At bits `2t..2t + 2`: how many of this resident's soft wishes about traits a
    /// buddy with traits `t` meets.
    met_by: u32,
    /// The soft age wish as `age - lo <= width` (wrapping; an empty range has a `lo`
    /// above every age).
    soft_lo: u16,
    soft_width: u16,
    wait: u16,
    age: u8,
    /// The number of soft wishes times 9 (a row of [`Tables`]'s soft points).
    soft9: u8,
    /// Traits and meeting bits: `traits | meeting << 4`, below 64.
    key: u8,
}

/// A soft age wish `(lo, hi)` as `(lo, width)` for ages below 256: an age `a` meets it
/// when `a - lo` (wrapping) is at most `width`.
fn age_window((lo, hi): (u16, u16)) -> (u16, u16) {
    let hi = hi.min(255);
    if lo > hi { (u16::MAX, 0) } else { (lo, hi - lo) }
}

impl Lean {
    /// A resident's row and bit sets (one word of languages, one of interests), or
    /// `None` for an age above 255. Cost: O(1).
    pub fn new(r: &Row, bits: &[u64]) -> Option<Self> {
        let age = u8::try_from(r.age).ok()?;
        let mut met_by = 0u32;
        for t in 0..16usize {
            met_by |= u32::from(SOFT_MET[usize::from(r.soft_key) << 4 | t]) << (2 * t);
        }
        let (soft_lo, soft_width) = age_window(r.soft_age);
        Some(Self {
            interests: bits[1],
            others: bits[0] & !1,
            met_by,
            soft_lo,
            soft_width,
            wait: r.wait,
            age,
            soft9: (r.soft_count() * 9) as u8,
            key: (r.traits & TRAITS) | r.meeting << 4,
        })
    }
}

/// Tables of [`Scorer`], computed once per pool from [`Tables`].
#[derive(Debug, Clone)]
pub(crate) struct LeanTables {
    /// `age[256 + buddy - own]`: the age points of a pair.
    age: Vec<i32>,
    /// `fit[class << 6 | key]`, for a newcomer's class (soft-wish key and meeting
    /// bits) and a resident's [`Lean::key`]: family and meeting points shifted left
    /// by 2, plus how many of the newcomer's soft wishes about traits they meet.
    fit: Vec<i32>,
}

impl LeanTables {
    /// Cost: O(1) (about 17,000 entries).
    pub fn new(t: &Tables) -> Self {
        let age = (0..512i32)
            .map(|x: i32| t.age[((x - 256).unsigned_abs() as usize).min(t.age.len() - 1)])
            .collect();
        let mut fit = vec![0i32; 256 * 64];
        for class in 0..256usize {
            let (soft_key, meeting) = ((class & 63) as u8, (class >> 6) as u8);
            let own_children = soft_key & 32 != 0;
            for key in 0..64usize {
                let (traits, their_meeting) = ((key & 15) as u8, (key >> 4) as u8);
                let family = if own_children == (traits & CHILDREN != 0) {
                    t.family
                } else {
                    0
                };
                let meets = if meeting & their_meeting != 0 {
                    t.meeting
                } else {
                    0
                };
                let met = i32::from(SOFT_MET[usize::from(soft_key) << 4 | usize::from(traits)]);
                fit[class << 6 | key] = (family + meets) << 2 | met;
            }
        }
        Self { age, fit }
    }
}

/// One newcomer's side of [`score_of_admissible`] for bit sets of one word and ages
/// below 256, computed once and then applied to many residents ([`Lean`]s): the
/// newcomer's criteria read from per-newcomer rows of the tables, so that a pair
/// costs a few loads and additions. Gives exactly [`score_of_admissible`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scorer<'t> {
    t: &'t Tables,
    /// Shared-interest points by the count of shared interests up to four, where
    /// four or fewer give full points (else `None`: counted in full).
    interests: Option<[i32; 8]>,
    /// Age points by the resident's age.
    age: &'t [i32; 256],
    /// [`LeanTables::fit`]'s row of this newcomer.
    fit: &'t [i32; 64],
    /// Waiting points by the resident's waiting days.
    wait: &'t [i32],
    /// Soft points' row for this newcomer's number of soft wishes.
    soft: &'t [i32],
    interest_bits: u64,
    others: u64,
    swedish_bridge: i32,
    swedish_own: i32,
    /// `2 * traits`: where [`Lean::met_by`] holds this newcomer's count.
    met_shift: u32,
    age_own: u32,
    soft_lo: u32,
    soft_width: u32,
}

impl<'t> Scorer<'t> {
    /// The scorer of newcomer `n` (bit sets `bits`, one word of languages and one of
    /// interests; an age below 256). Cost: O(1).
    pub fn new(t: &'t Tables, lean: &'t LeanTables, n: &Row, bits: &[u64]) -> Self {
        let own = usize::from(n.age.min(255));
        let full = t.interests_full;
        let interests = (full <= 4).then(|| {
            let mut by = [0i32; 8];
            for (c, p) in by.iter_mut().enumerate().take(5) {
                *p = t.interests[c.min(full)];
            }
            by
        });
        let class = usize::from(n.soft_key) | usize::from(n.meeting) << 6;
        let (soft_lo, soft_width) = age_window(n.soft_age);
        Self {
            t,
            interests,
            age: lean.age[256 - own..512 - own].try_into().expect("256 entries"),
            fit: lean.fit[class << 6..(class + 1) << 6]
                .try_into()
                .expect("64 entries"),
            wait: &t.wait[usize::from(n.wait)..],
            soft: &t.soft[n.soft_count() * 9..],
            interest_bits: bits[1],
            others: bits[0] & !1,
            swedish_bridge: t.swedish[7],
            swedish_own: t.swedish[usize::from(n.swedish_rank.min(7))],
            met_shift: 2 * u32::from(n.traits & TRAITS),
            age_own: u32::from(n.age),
            soft_lo: u32::from(soft_lo),
            soft_width: u32::from(soft_width),
        }
    }

    /// The score of this newcomer with a resident the pair rules admit, `distance_points`
    /// apart: [`score_of_admissible`]'s. Cost: O(1).
    #[inline(always)]
    pub fn score(&self, r: &Lean, distance_points: i32) -> i32 {
        let shared = self.interest_bits & r.interests;
        let interests = match &self.interests {
            Some(by) => by[count_up_to_four(shared, 4) & 7],
            None => {
                let c = count_up_to_four(shared, self.t.interests_full).min(self.t.interests_full);
                self.t.interests[c]
            }
        };
        let fit = self.fit[usize::from(r.key & 63)];
        let met = (fit & 3) as usize
            + (r.met_by >> self.met_shift & 3) as usize
            + usize::from(u32::from(r.age).wrapping_sub(self.soft_lo) <= self.soft_width)
            + usize::from(self.age_own.wrapping_sub(u32::from(r.soft_lo)) <= u32::from(r.soft_width));
        let swedish = if self.others & r.others != 0 {
            self.swedish_bridge
        } else {
            self.swedish_own
        };
        interests
            + distance_points
            + self.age[usize::from(r.age)]
            + self.soft[usize::from(r.soft9) + met]
            + swedish
            + (fit >> 2)
            + self.wait[usize::from(r.wait)]
    }
}

/// The points of an admissible pair per criterion, or `None` when a pair rule (common
/// time, hard wishes, a common language) fails. Distance and the per-person rules are
/// the caller's. `nb` and `rb` are the bit sets: `words` words of languages a person
/// can talk in (Swedish is bit 0), then `words` words of interests.
#[inline(always)]
pub(crate) fn points<W: Words>(
    t: &Tables,
    words: W,
    n: &Row,
    nb: &[u64],
    r: &Row,
    rb: &[u64],
    distance_points: i32,
) -> Option<Points> {
    if !admissible(t, words, n, nb, r, rb) {
        return None;
    }
    Some(points_of_admissible(t, words, n, nb, r, rb, distance_points))
}

/// Whether a pair passes the pair rules (common free time, the hard wishes of both,
/// a language both can talk in), without a branch: a scan tests a whole run of
/// residents with it first and scores only those that pass, so that the outcome,
/// hard to predict, costs no mispredicted jump per pair. Cost: O(words).
#[inline(always)]
pub(crate) fn admissible<W: Words>(t: &Tables, words: W, n: &Row, nb: &[u64], r: &Row, rb: &[u64]) -> bool {
    let k = words.n();
    // No population count where a test for zero will do (the portable target has no
    // popcount instruction).
    let slots = n.availability & r.availability;
    let time_ok = if t.min_common_slots <= 1 {
        (slots != 0) | (t.min_common_slots == 0)
    } else {
        slots.count_ones() >= t.min_common_slots
    };
    let wishes_ok = n.hard_wishes_met_by(r) & r.hard_wishes_met_by(n);
    let mut talk = 0u64;
    for q in 0..k {
        talk |= nb[q] & rb[q];
    }
    time_ok & wishes_ok & (talk != 0)
}

/// The total score of a pair that [`admissible`] accepted (the sum of
/// [`points_of_admissible`]). Cost: O(words).
#[inline(always)]
pub(crate) fn score_of_admissible<W: Words>(
    t: &Tables,
    words: W,
    n: &Row,
    nb: &[u64],
    r: &Row,
    rb: &[u64],
    distance_points: i32,
) -> i32 {
    points_of_admissible(t, words, n, nb, r, rb, distance_points)
        .iter()
        .sum()
}

/// The points per criterion of a pair that [`admissible`] accepted (for another pair
/// the values mean nothing). Cost: O(words).
#[inline(always)]
pub(crate) fn points_of_admissible<W: Words>(
    t: &Tables,
    words: W,
    n: &Row,
    nb: &[u64],
    r: &Row,
    rb: &[u64],
    distance_points: i32,
) -> Points {
    let k = words.n();
    let (nt, ni) = (&nb[..k], &nb[k..2 * k]);
    let (rt, ri) = (&rb[..k], &rb[k..2 * k]);
    // A language besides Swedish (bit 0) to explain in.
    let mut bridge = nt[0] & rt[0] & !1;
    for q in 1..k {
        bridge |= nt[q] & rt[q];
    }
    // Shared interests count only up to the number that gives full points.
    let mut shared = 0usize;
    for q in 0..k {
        shared += count_up_to_four(ni[q] & ri[q], t.interests_full);
    }
    let shared = shared.min(t.interests_full);
    let mut p: Points = [0; 8];
    p[Criterion::SharedInterests as usize] = t.interests[shared];
    p[Criterion::Distance as usize] = distance_points;
    let gap = usize::from(n.age.abs_diff(r.age)).min(t.age.len() - 1);
    p[Criterion::AgeCloseness as usize] = t.age[gap];
    let total = n.soft_count() + r.soft_count();
    let met = usize::from(n.soft_wishes_met_by(r) + r.soft_wishes_met_by(n));
    p[Criterion::SoftWishes as usize] = t.soft[total * 9 + met];
    p[Criterion::SwedishFit as usize] = if bridge != 0 {
        t.swedish[7]
    } else {
        t.swedish[usize::from(n.swedish_rank.min(7))]
    };
    p[Criterion::Family as usize] = if (n.traits ^ r.traits) & CHILDREN == 0 {
        t.family
    } else {
        0
    };
    p[Criterion::Meeting as usize] = if n.meeting & r.meeting != 0 { t.meeting } else { 0 };
    p[Criterion::Waiting as usize] = t.wait[usize::from(n.wait) + usize::from(r.wait)];
    p
}

/// The number of bits set in `x`, exactly up to 4 and beyond that only if `limit`
/// asks for more; without branches in the common case (the portable target has no
/// population-count instruction, and a loop clearing bits mispredicts).
#[inline(always)]
fn count_up_to_four(x: u64, limit: usize) -> usize {
    let b = x & x.wrapping_sub(1);
    let c = b & b.wrapping_sub(1);
    let d = c & c.wrapping_sub(1);
    let four = usize::from(x != 0) + usize::from(b != 0) + usize::from(c != 0) + usize::from(d != 0);
    if limit > 4 && d != 0 {
        3 + count_beyond_three(d)
    } else {
        four
    }
}

/// `d.count_ones()`, out of line: a call is never computed ahead of its condition,
/// so the common case (full points at 4 shared interests or fewer) does not pay
/// for the portable target's population count on every pair.
#[cold]
#[inline(never)]
fn count_beyond_three(d: u64) -> usize {
    d.count_ones() as usize
}

/// The pair rule a pair fails, in the documented order: a common language, common
/// free time, the newcomer's hard wishes, the resident's. `None` if it fails none.
/// Slow (it names the wish); called only to explain a refusal.
pub(crate) fn pair_violation<W: Words>(
    t: &Tables,
    words: W,
    n: &Row,
    nb: &[u64],
    r: &Row,
    rb: &[u64],
) -> Option<Violation> {
    let k = words.n();
    if (0..k).all(|q| nb[q] & rb[q] == 0) {
        return Some(Violation::NoCommonLanguage);
    }
    let common_slots = (n.availability & r.availability).count_ones();
    if common_slots < t.min_common_slots {
        return Some(Violation::NoCommonTime);
    }
    for (holder, me, buddy) in [(Role::Newcomer, n, r), (Role::Resident, r, n)] {
        if let Some(wish) = unmet_hard_wish(me, buddy) {
            return Some(Violation::Wish { holder, wish });
        }
    }
    None
}

fn unmet_hard_wish(me: &Row, buddy: &Row) -> Option<WishKind> {
    let mine = me.traits & GENDER;
    if me.hard & SOFT_GENDER != 0 && !(mine != 0 && buddy.traits & GENDER == mine) {
        return Some(WishKind::SameGender);
    }
    if me.hard & SOFT_AGE != 0 && !(me.hard_age.0..=me.hard_age.1).contains(&buddy.age) {
        return Some(WishKind::AgeRange);
    }
    if me.hard & SOFT_FAMILY != 0 && me.traits & buddy.traits & CHILDREN == 0 {
        return Some(WishKind::FamilyMatch);
    }
    if me.hard & SOFT_CHILDREN != 0 && buddy.traits & CHILDREN == 0 {
        return Some(WishKind::BuddyHasChildren);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::prep::{self, Dict, Side};

    /// A participant from seeded draws over every input the score reads: each gender,
    /// children or not, each meeting preference and Swedish level, every wish soft,
    /// hard or absent with age ranges that are empty or end beyond everyone's age,
    /// up to nine interests, waiting days beyond the cap, ages 0 to 255.
    fn person(draw: &mut impl FnMut(u64) -> u64, role: Role) -> Participant {
        let strength = |x: u64| if x == 0 { Strength::Hard } else { Strength::Soft };
        let mut wishes = Wishes::default();
        if draw(2) == 0 {
            wishes.same_gender = Some(strength(draw(2)));
        }
        if draw(2) == 0 {
            let (min, max) = [
                (18, 30),
                (25, 25),
                (40, 300),
                (0, 17),
                (35, 20),
                (256, 400),
                (0, 255),
            ][draw(7) as usize];
            wishes.age_range = Some((AgeRange { min, max }, strength(draw(2))));
        }
        if draw(2) == 0 {
            wishes.family_match = Some(strength(draw(2)));
        }
        if draw(2) == 0 {
            wishes.buddy_has_children = Some(strength(draw(2)));
        }
        let langs = ["ar", "ti", "en", "so", "fa"];
        let levels = [
            SwedishLevel::None,
            SwedishLevel::SfiA,
            SwedishLevel::SfiC,
            SwedishLevel::A1,
            SwedishLevel::B1,
            SwedishLevel::C1,
            SwedishLevel::Native,
        ];
        Participant {
            id: ParticipantId(0),
            role,
            eligible: true,
            languages: (0..draw(4))
                .map(|_| Language {
                    code: LanguageCode::new(langs[draw(5) as usize]).expect("valid code"),
                    level: [
                        Proficiency::Basic,
                        Proficiency::Conversational,
                        Proficiency::Native,
                    ][draw(3) as usize],
                })
                .collect(),
            swedish: levels[draw(7) as usize],
            gender: [Gender::Woman, Gender::Man, Gender::NonBinary, Gender::Unspecified][draw(4) as usize],
            age: [draw(256), 18 + draw(60)][draw(2) as usize] as u16,
            has_children: draw(2) == 0,
            wishes,
            availability: Availability(draw(1 << 21) as u32),
            meeting: [
                MeetingPreference::InPerson,
                MeetingPreference::Online,
                MeetingPreference::Both,
            ][draw(3) as usize],
            location: GeoPoint { lat: 59.0, lon: 18.0 },
            interests: (0..draw(10)).map(|_| draw(12) as u32).collect(),
            capacity: 1,
            active_matches: 0,
            waiting_days: draw(400) as u32,
        }
    }

    #[test]
    fn the_one_word_scorer_gives_the_kernels_score_for_every_pair() {
        let mut state = 11u64;
        let mut draw = move |n: u64| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((u128::from(z ^ (z >> 31)) * u128::from(n)) >> 64) as u64
        };
        let mut distinct = std::collections::BTreeSet::new();
        for round in 0..60 {
            let ns: Vec<Participant> = (0..1 + draw(30))
                .map(|_| person(&mut draw, Role::Newcomer))
                .collect();
            let rs: Vec<Participant> = (0..1 + draw(30))
                .map(|_| person(&mut draw, Role::Resident))
                .collect();
            let mut config = Config::default();
            // Full points for shared interests within four (a table) and beyond (counted).
            config.rules.interests_for_full_score = [3, 1, 4, 6, 100][round % 5];
            config.rules.age_gap_for_zero = [30, 5, 300][round % 3];
            config.rules.waiting_days_for_full = [90, 1, 365][round % 3];
            let dict = Dict::new(ns.iter(), rs.iter());
            assert_eq!(prep::kernel_words(dict.words), 1);
            let t = Tables::new(&config, 1);
            let lean_tables = LeanTables::new(&t);
            let n = Side::new(ns.iter(), &dict, 1, &config);
            let r = Side::new(rs.iter(), &dict, 1, &config);
            for i in 0..ns.len() {
                let scorer = Scorer::new(&t, &lean_tables, &n.rows[i], n.bits_of(i));
                for pos in 0..rs.len() {
                    let lean = Lean::new(&r.rows[pos], r.bits_of(pos)).expect("an age below 256");
                    let dist = draw(1000) as i32;
                    let kernel = score_of_admissible(
                        &t,
                        Fixed::<1>,
                        &n.rows[i],
                        n.bits_of(i),
                        &r.rows[pos],
                        r.bits_of(pos),
                        dist,
                    );
                    assert_eq!(
                        scorer.score(&lean, dist),
                        kernel,
                        "round {round}, newcomer {i}, resident {pos}"
                    );
                    distinct.insert(kernel - dist);
                }
            }
        }
        // The scores vary widely, so that a criterion read wrong shows.
        assert!(distinct.len() > 250, "{} distinct scores", distinct.len());
    }
}
