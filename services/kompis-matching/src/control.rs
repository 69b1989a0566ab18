//! Observing and cancelling a long round from another thread.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Progress of a round, readable from another thread while the round runs, and a way
/// to cancel it. Share one by reference with [`crate::matching_round_observed`].
///
/// Progress is in per mille (0 to 1000) and only grows; it follows the round's steps
/// (candidates and scores up to 600, the exact assignment and the checks against every
/// admissible pair up to 950, reasons and explanations up to 1000), not wall-clock
/// time. Reading it or cancelling costs one atomic operation; the round looks at the
/// cancel flag after each small unit of work (a few dozen newcomers) and between
/// steps, so it stops within milliseconds, except inside one assignment solve
/// (well under a second nationally).
///
/// # Examples
///
/// ```
/// use kompis_matching::{matching_round_observed, Config, Exclusions, Progress};
/// let progress = Progress::new();
/// let round = matching_round_observed(&[], &[], &Config::default(), &Exclusions::default(), &progress);
/// assert!(round.is_ok());
/// assert_eq!(progress.permille(), 1000);
///
/// progress.cancel();
/// let again = matching_round_observed(&[], &[], &Config::default(), &Exclusions::default(), &progress);
/// assert!(again.is_err());
/// ```
#[derive(Debug, Default)]
pub struct Progress {
    permille: AtomicU32,
    cancelled: AtomicBool,
}

impl Progress {
    /// At 0, not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// How far the round is, 0 to 1000. Cost: O(1).
    pub fn permille(&self) -> u32 {
        self.permille.load(Ordering::Relaxed)
    }

    /// Asks the round to stop; it returns [`Cancelled`] soon after. Cost: O(1).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`Progress::cancel`] was called. Cost: O(1).
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Raises the progress to `permille` (never lowers it).
    pub(crate) fn advance(&self, permille: u32) {
        self.permille.fetch_max(permille.min(1000), Ordering::Relaxed);
    }

    /// `Err(Cancelled)` once cancelled.
    pub(crate) fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// A round stopped because its [`Progress`] was cancelled; nothing was proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the matching round was cancelled")
    }
}

impl std::error::Error for Cancelled {}
