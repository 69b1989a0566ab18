//! Small-cell suppression of the figures given to partner viewers: no count under
//! [`THRESHOLD`] people is shown, and none can be recovered by subtracting shown counts
//! from a shown total.
//!
//! The figures are cells tied by equations: a total equals the sum of its breakdown
//! (`total = a + b + c`), and two cells that count the same people are equal
//! (`a = b`). One suppressed cell in an equation whose other cells are all shown is
//! recovered by arithmetic; two or more are not. So, after the primary suppression of
//! every cell under the threshold, each equation with exactly one suppressed cell gets a
//! second one (secondary, or complementary, suppression): the smallest shown part, or
//! the total when every part is suppressed already. This repeats until no equation has
//! exactly one, since a secondary suppression can leave another equation with one.
//!
//! Equations are treated as exact even where a breakdown may fall short of or exceed
//! its total (a participant without a district; a newcomer matched in two months):
//! that only suppresses more, never less.
//!
//! Cost: O(e · c) per pass over e equations of c cells, at most one pass per cell.

/// Counts below this are suppressed.
pub const THRESHOLD: i64 = 5;

/// A relation between cells (indexes into the counts): `total = Σ parts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equation {
    /// The cell that is the sum.
    pub total: usize,
    /// The cells that add up to it.
    pub parts: Vec<usize>,
}

/// Which of `counts` must be suppressed so that none under [`THRESHOLD`] is shown, no
/// suppressed cell can be recovered from a single equation, and no shown total minus
/// its shown parts leaves less than [`THRESHOLD`]. `exempt` cells (counts of
/// things, not people) are never suppressed and never chosen as a secondary.
///
/// # Examples
///
/// ```
/// use kompis_domain::suppression::{Equation, suppress};
///
/// // A total of 20 broken down into 17 and 3: the 3 is suppressed, and the 17 with it,
/// // or 20 - 17 would give it away.
/// let counts = [20, 17, 3];
/// let equations = [Equation { total: 0, parts: vec![1, 2] }];
/// assert_eq!(suppress(&counts, &[false; 3], &equations), [false, true, true]);
/// ```
pub fn suppress(counts: &[i64], exempt: &[bool], equations: &[Equation]) -> Vec<bool> {
    let mut hidden: Vec<bool> = counts
        .iter()
        .zip(exempt)
        .map(|(&n, &exempt)| !exempt && n < THRESHOLD)
        .collect();
    loop {
        let mut changed = false;
        for eq in equations {
            let cells = std::iter::once(eq.total).chain(eq.parts.iter().copied());
            let lone = cells.clone().filter(|&c| hidden[c]).count() == 1;
            // A shown total minus its shown parts is the sum of the suppressed parts:
            // under the threshold, it tells that those few people exist (or that none
            // do), which is what suppressing them was to hide.
            let hidden_parts: Vec<usize> = eq.parts.iter().copied().filter(|&c| hidden[c]).collect();
            let small_remainder = !hidden[eq.total]
                && !hidden_parts.is_empty()
                && hidden_parts.iter().map(|&c| counts[c]).sum::<i64>() < THRESHOLD;
            if !lone && !small_remainder {
                continue;
            }
            // The smallest shown part (ties by position), else the total.
            let pick = eq
                .parts
                .iter()
                .copied()
                .filter(|&c| !hidden[c] && !exempt[c])
                .min_by_key(|&c| (counts[c], c))
                .or((!hidden[eq.total] && !exempt[eq.total]).then_some(eq.total));
            if let Some(c) = pick {
                hidden[c] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(total: usize, parts: &[usize]) -> Equation {
        Equation {
            total,
            parts: parts.to_vec(),
        }
    }

    /// Whether some suppressed cell equals the total minus the shown parts of an
    /// equation in which it is the only suppressed cell.
    fn recoverable(hidden: &[bool], equations: &[Equation]) -> bool {
        equations.iter().any(|e| {
            std::iter::once(e.total)
                .chain(e.parts.iter().copied())
                .filter(|&c| hidden[c])
                .count()
                == 1
        })
    }

    #[test]
    fn large_counts_are_shown() {
        let counts = [30, 10, 20];
        assert_eq!(suppress(&counts, &[false; 3], &[eq(0, &[1, 2])]), [false; 3]);
    }

    #[test]
    fn every_count_under_five_is_suppressed_zero_included() {
        let counts = [0, 4, 5];
        assert_eq!(suppress(&counts, &[false; 3], &[]), [true, true, false]);
    }

    #[test]
    fn a_lone_small_part_takes_the_smallest_other_part_with_it() {
        // 40 = 25 + 12 + 3: 3 alone would be 40 - 25 - 12.
        let counts = [40, 25, 12, 3];
        let hidden = suppress(&counts, &[false; 4], &[eq(0, &[1, 2, 3])]);
        assert_eq!(hidden, [false, false, true, true]);
    }

    #[test]
    fn a_suppressed_total_with_shown_parts_takes_a_part_with_it() {
        // Equal cells: a = b with a = 3 and b = 3 both suppressed; then c = a + d.
        let counts = [3, 3, 9, 6];
        let equations = [eq(0, &[1]), eq(2, &[0, 3])];
        let hidden = suppress(&counts, &[false; 4], &equations);
        assert!(hidden[0] && hidden[1]);
        assert!(!recoverable(&hidden, &equations));
    }

    #[test]
    fn secondary_suppression_spreads_across_equations_until_nothing_is_recoverable() {
        // total 20 by role (17, 3) and by district (10, 10): 17 is chosen by the first
        // equation; the districts stay, since they share no cell with it.
        let counts = [20, 17, 3, 10, 10, 17];
        // Cell 5 counts the same people as cell 1 (17 newcomers, said twice).
        let equations = [eq(0, &[1, 2]), eq(0, &[3, 4]), eq(5, &[1])];
        let hidden = suppress(&counts, &[false; 6], &equations);
        assert_eq!(hidden, [false, true, true, false, false, true]);
        assert!(!recoverable(&hidden, &equations));
    }

    #[test]
    fn suppressed_parts_adding_up_to_under_five_take_another_part_with_them() {
        // 20 = 18 + 2 + 0: two suppressed cells, but 20 - 18 = 2 says how many are in
        // them together; the 18 goes too.
        let counts = [20, 18, 2, 0];
        let hidden = suppress(&counts, &[false; 4], &[eq(0, &[1, 2, 3])]);
        assert_eq!(hidden, [false, true, true, true]);
        // 12 = 7 + 5 + 0: the 0 alone is suppressed, 12 - 7 - 5 = 0 would say it: the
        // smallest shown part goes with it, and the remainder is then 5.
        let counts = [12, 7, 5, 0];
        let hidden = suppress(&counts, &[false; 4], &[eq(0, &[1, 2, 3])]);
        assert_eq!(hidden, [false, false, true, true]);
    }

    #[test]
    fn exempt_cells_are_never_suppressed() {
        let counts = [3, 1, 2];
        let hidden = suppress(&counts, &[true, true, true], &[eq(0, &[1, 2])]);
        assert_eq!(hidden, [false; 3]);
    }
}
