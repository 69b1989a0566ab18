//! The pair rules as bit sets over the residents (one bit per grid position), so that
//! a newcomer tests 64 residents of a run against every pair rule (common free time,
//! a language both can talk in, the hard wishes of both) with a few word operations,
//! and the kernel scores only the residents whose bit survives.
//!
//! Each set answers one question about the residents: free at slot `s`; can talk in
//! language `b`; traits (gender, children) equal to `t`; whose hard wishes about
//! gender and children a buddy with traits `t` meets; whose hard age wish a buddy of
//! age `a` meets; aged at least / at most `a`. A newcomer's mask of a word is then
//! the union of their slots' sets, times the union of their languages' sets, times
//! the residents who accept them, times (for a newcomer with hard wishes) the
//! residents they accept. It equals [`crate::kernel::admissible`] for every pair
//! (the property tests compare the round's admissible pairs with `evaluate`'s).

use crate::kernel::Row;

/// Slots of the week (the availability word's bits).
const SLOTS: usize = 32;
/// Trait values (gender bits and the children bit).
const TRAITS: usize = 16;
/// Ages above this leave the bit sets unbuilt (the kernel tests every pair instead):
/// one set per age up to the oldest participant.
const MAX_AGE: u16 = 255;

/// The residents' bit sets; `words` words per set, set `k` of a family at
/// `k * words`.
#[derive(Debug)]
pub(crate) struct RuleBits {
    words: usize,
    slots: Vec<u64>,
    langs: Vec<u64>,
    traits: Vec<u64>,
    accept_traits: Vec<u64>,
    /// Ages `0..=oldest`, plus an empty set at `oldest + 1` for "at least" beyond it.
    oldest: usize,
    accept_age: Vec<u64>,
    at_least: Vec<u64>,
    at_most: Vec<u64>,
}

impl RuleBits {
    /// The sets for residents in grid order (`rows`, `talk` their language words),
    /// against newcomers as old as `oldest_newcomer` at most. `None` where the rules
    /// cannot be read this way: more than one common slot required, or an age above
    /// [`MAX_AGE`]. Cost: O(R · (32 + 64 + 16 + A)) time, O(R / 64 · (A + 128))
    /// words, for R residents and A the oldest age.
    pub fn new(
        rows: &[Row],
        talk: impl Iterator<Item = u64>,
        min_common_slots: u32,
        oldest_newcomer: u16,
    ) -> Option<Self> {
        let oldest = rows.iter().map(Row::age).max().unwrap_or(0).max(oldest_newcomer);
        if min_common_slots > 1 || oldest > MAX_AGE {
            return None;
        }
        let oldest = usize::from(oldest);
        let words = rows.len().div_ceil(64).max(1);
        let mut b = Self {
            words,
            slots: vec![0; SLOTS * words],
            langs: vec![0; 64 * words],
            traits: vec![0; TRAITS * words],
            accept_traits: vec![0; TRAITS * words],
            oldest,
            accept_age: vec![0; (oldest + 1) * words],
            at_least: vec![0; (oldest + 2) * words],
            at_most: vec![0; (oldest + 1) * words],
        };
        for ((pos, row), talk) in rows.iter().enumerate().zip(talk) {
            let (wi, bit) = (pos / 64, 1u64 << (pos % 64));
            let set = |family: &mut Vec<u64>, k: usize| family[k * words + wi] |= bit;
            for s in 0..SLOTS {
                if row.availability() >> s & 1 != 0 {
                    set(&mut b.slots, s);
                }
            }
            for l in 0..64 {
                if talk >> l & 1 != 0 {
                    set(&mut b.langs, l);
                }
            }
            set(&mut b.traits, usize::from(row.traits()));
            for t in 0..TRAITS as u8 {
                if row.hard_traits_met_by(t) {
                    set(&mut b.accept_traits, usize::from(t));
                }
            }
            let (lo, hi) = row.hard_age();
            for a in usize::from(lo)..=usize::from(hi).min(oldest) {
                set(&mut b.accept_age, a);
            }
            let age = usize::from(row.age());
            for a in 0..=age {
                set(&mut b.at_least, a);
            }
            for a in age..=oldest {
                set(&mut b.at_most, a);
            }
        }
        Some(b)
    }

    /// What a newcomer (their row and language word) needs to read the sets.
    pub fn query(&self, n: &Row, talk: u64, min_common_slots: u32) -> Query {
        let w = self.words;
        let mut q = Query {
            any_time: min_common_slots == 0,
            slots: [0; SLOTS],
            n_slots: 0,
            langs: [0; 64],
            n_langs: 0,
            accept: usize::from(n.traits()) * w,
            age: usize::from(n.age()).min(self.oldest) * w,
            allowed: [0; TRAITS],
            n_allowed: 0,
            hard_traits: n.has_hard_traits(),
            hard_age: None,
        };
        for s in 0..SLOTS {
            if n.availability() >> s & 1 != 0 {
                q.slots[q.n_slots] = (s * w) as u32;
                q.n_slots += 1;
            }
        }
        for l in 0..64 {
            if talk >> l & 1 != 0 {
                q.langs[q.n_langs] = (l * w) as u32;
                q.n_langs += 1;
            }
        }
        if q.hard_traits {
            for t in 0..TRAITS as u8 {
                if n.hard_traits_met_by(t) {
                    q.allowed[q.n_allowed] = (usize::from(t) * w) as u32;
                    q.n_allowed += 1;
                }
            }
        }
        let (lo, hi) = n.hard_age();
        if (lo, hi) != (0, u16::MAX) {
            let lo = usize::from(lo).min(self.oldest + 1);
            let hi = usize::from(hi).min(self.oldest);
            q.hard_age = Some((lo * w, hi * w));
        }
        q
    }

    /// The residents among positions `64 * wi .. 64 * wi + 64` that pass every pair
    /// rule with the newcomer of `q`.
    #[inline(always)]
    pub fn mask(&self, q: &Query, wi: usize) -> u64 {
        let mut time = if q.any_time { !0 } else { 0 };
        for &s in &q.slots[..q.n_slots] {
            time |= self.slots[s as usize + wi];
        }
        let mut talk = 0;
        for &l in &q.langs[..q.n_langs] {
            talk |= self.langs[l as usize + wi];
        }
        let mut m = time & talk & self.accept_traits[q.accept + wi] & self.accept_age[q.age + wi];
        if q.hard_traits {
            let mut ok = 0;
            for &t in &q.allowed[..q.n_allowed] {
                ok |= self.traits[t as usize + wi];
            }
            m &= ok;
        }
        if let Some((lo, hi)) = q.hard_age {
            m &= self.at_least[lo + wi] & self.at_most[hi + wi];
        }
        m
    }
}

/// A newcomer's offsets into the sets of [`RuleBits`].
#[derive(Debug)]
pub(crate) struct Query {
    any_time: bool,
    slots: [u32; SLOTS],
    n_slots: usize,
    langs: [u32; 64],
    n_langs: usize,
    accept: usize,
    age: usize,
    allowed: [u32; TRAITS],
    n_allowed: usize,
    hard_traits: bool,
    hard_age: Option<(usize, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::kernel::{self, Fixed, Tables};
    use crate::model::*;
    use crate::prep::{self, Dict, Side};

    /// A participant from seeded draws, with the edge cases of every pair rule: no
    /// free slot, no language to talk in, a same-gender wish with no gender stated, a
    /// family match wished without children, age ranges ending at an age present,
    /// beyond everyone's age, or empty.
    fn person(draw: &mut impl FnMut(u64) -> u64, role: Role) -> Participant {
        let strength = |x: u64| if x < 2 { Strength::Hard } else { Strength::Soft };
        let mut wishes = Wishes::default();
        if draw(3) == 0 {
            wishes.same_gender = Some(strength(draw(3)));
        }
        if draw(3) == 0 {
            let (min, max) = [(18, 30), (25, 25), (40, 300), (0, 17), (35, 20)][draw(5) as usize];
            wishes.age_range = Some((AgeRange { min, max }, strength(draw(3))));
        }
        if draw(4) == 0 {
            wishes.family_match = Some(strength(draw(3)));
        }
        if draw(4) == 0 {
            wishes.buddy_has_children = Some(strength(draw(3)));
        }
        let langs = ["ar", "ti", "en", "so"];
        Participant {
            id: ParticipantId(0),
            role,
            eligible: true,
            languages: (0..draw(3))
                .map(|_| Language {
                    code: LanguageCode::new(langs[draw(4) as usize]).expect("valid code"),
                    level: [
                        Proficiency::Basic,
                        Proficiency::Conversational,
                        Proficiency::Native,
                    ][draw(3) as usize],
                })
                .collect(),
            swedish: match role {
                Role::Newcomer => {
                    [SwedishLevel::None, SwedishLevel::SfiA, SwedishLevel::B1][draw(3) as usize]
                }
                Role::Resident => SwedishLevel::Native,
            },
            gender: [Gender::Woman, Gender::Man, Gender::NonBinary, Gender::Unspecified][draw(4) as usize],
            age: 18 + draw(50) as u16,
            has_children: draw(2) == 0,
            wishes,
            availability: Availability(match draw(4) {
                0 => 0,
                1 => Availability::ALWAYS.0,
                _ => draw(1 << 21) as u32 & draw(1 << 21) as u32,
            }),
            meeting: MeetingPreference::Both,
            location: GeoPoint { lat: 59.0, lon: 18.0 },
            interests: (0..draw(4)).map(|_| draw(8) as u32).collect(),
            capacity: 1,
            active_matches: 0,
            waiting_days: 0,
        }
    }

    #[test]
    fn the_bit_sets_pass_exactly_the_pairs_the_kernel_admits() {
        let mut state = 7u64;
        let mut draw = move |n: u64| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((u128::from(z ^ (z >> 31)) * u128::from(n)) >> 64) as u64
        };
        let (mut pairs, mut admitted) = (0, 0);
        for round in 0..200 {
            let ns: Vec<Participant> = (0..1 + draw(20))
                .map(|_| person(&mut draw, Role::Newcomer))
                .collect();
            // Up to three words of residents, so that sets span word boundaries.
            let rs: Vec<Participant> = (0..1 + draw(190))
                .map(|_| person(&mut draw, Role::Resident))
                .collect();
            let mut config = Config::default();
            config.rules.min_common_slots = (round % 2) as u32;
            let dict = Dict::new(ns.iter(), rs.iter());
            assert_eq!(prep::kernel_words(dict.words), 1);
            let t = Tables::new(&config, 1);
            let n = Side::new(ns.iter(), &dict, 1, &config);
            let r = Side::new(rs.iter(), &dict, 1, &config);
            let oldest = ns.iter().map(|p| p.age).max().unwrap_or(0);
            let bits = RuleBits::new(
                &r.rows,
                (0..rs.len()).map(|pos| r.bits_of(pos)[0]),
                config.rules.min_common_slots,
                oldest,
            )
            .expect("one common slot at most, ages below 256");
            for i in 0..ns.len() {
                let q = bits.query(&n.rows[i], n.bits_of(i)[0], config.rules.min_common_slots);
                for pos in 0..rs.len() {
                    let by_bits = bits.mask(&q, pos / 64) >> (pos % 64) & 1 == 1;
                    let by_kernel = kernel::admissible(
                        &t,
                        Fixed::<1>,
                        &n.rows[i],
                        n.bits_of(i),
                        &r.rows[pos],
                        r.bits_of(pos),
                    );
                    assert_eq!(by_bits, by_kernel, "round {round}, newcomer {i}, resident {pos}");
                    pairs += 1;
                    admitted += usize::from(by_kernel);
                }
            }
        }
        // Both outcomes occur often, so the comparison can fail either way.
        assert!(
            admitted > pairs / 20 && admitted < pairs / 2,
            "{admitted} of {pairs}"
        );
    }

    #[test]
    fn the_bit_sets_are_not_built_where_they_cannot_hold_the_rules() {
        let rows = [Row::default()];
        assert!(RuleBits::new(&rows, [1].into_iter(), 2, 30).is_none());
        assert!(RuleBits::new(&rows, [1].into_iter(), 1, 256).is_none());
        assert!(RuleBits::new(&rows, [1].into_iter(), 1, 255).is_some());
    }
}
