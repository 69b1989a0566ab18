//! The application clock: where every business time the service writes comes from.
//!
//! Deadlines, schedules and waiting times depend on "now". Taking it from one injectable
//! clock, never from the database's `now()` or a scattered `now_utc()`, lets the tests
//! set and advance time instead of sleeping.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

/// A source of the current time. Cheap to clone; clones share the same time.
///
/// The system clock reads the operating system's clock; a manual clock
/// ([`ManualClock`]) stands still until it is set or advanced, for tests.
///
/// Times are truncated to whole microseconds, the precision PostgreSQL stores, so that
/// a time read back from the database equals the one written.
///
/// # Examples
///
/// ```
/// use kompis_domain::{Clock, ManualClock};
/// use time::{Duration, macros::datetime};
///
/// let manual = ManualClock::new(datetime!(2026-03-01 09:00 UTC));
/// let clock = Clock::from(manual.clone());
/// manual.advance(Duration::days(7));
/// assert_eq!(clock.now(), datetime!(2026-03-08 09:00 UTC));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<ManualClock>,
}

impl Clock {
    /// The operating system's clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// The current time, in UTC, to the microsecond.
    pub fn now(&self) -> OffsetDateTime {
        match &self.manual {
            Some(manual) => manual.now(),
            None => truncate(OffsetDateTime::now_utc()),
        }
    }

    /// The current calendar year, for age rules.
    pub fn year(&self) -> i32 {
        self.now().year()
    }

    /// Whether this clock is a manual one (tests).
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Self { manual: Some(manual) }
    }
}

/// A clock that tests set and advance. Clones share the same time, so a test keeps one
/// handle and gives a [`Clock`] made from another to the service.
///
/// [`ManualClock::new`] stands still until it is set or advanced;
/// [`ManualClock::running`] runs on with the system clock from wherever it was last set
/// or advanced, for tests that move business time forward while timers and deadlines
/// still pass as they would.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Shown>>,
}

/// What a manual clock shows: `at`, plus the time passed since `since` when running.
#[derive(Debug, Clone, Copy)]
struct Shown {
    at: OffsetDateTime,
    since: Option<std::time::Instant>,
}

impl Shown {
    fn now(&self) -> OffsetDateTime {
        match self.since {
            None => self.at,
            Some(since) => truncate(self.at + since.elapsed()),
        }
    }

    fn show(&mut self, at: OffsetDateTime) {
        self.at = truncate(at);
        if self.since.is_some() {
            self.since = Some(std::time::Instant::now());
        }
    }
}

impl ManualClock {
    /// A clock showing `start`, standing still.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(Shown {
                at: truncate(start),
                since: None,
            })),
        }
    }

    /// A clock showing the system's time and running with it, until it is set or
    /// advanced; it then runs on from the time it was given.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::ManualClock;
    /// use time::Duration;
    ///
    /// let clock = ManualClock::running();
    /// let before = clock.now();
    /// clock.advance(Duration::days(7));
    /// assert!(clock.now() >= before + Duration::days(7));
    /// ```
    pub fn running() -> Self {
        Self {
            now: Arc::new(Mutex::new(Shown {
                at: truncate(OffsetDateTime::now_utc()),
                since: Some(std::time::Instant::now()),
            })),
        }
    }

    /// The time it shows.
    pub fn now(&self) -> OffsetDateTime {
        self.lock().now()
    }

    /// Sets the time it shows. Time may be set backwards: a test decides.
    pub fn set(&self, now: OffsetDateTime) {
        self.lock().show(now);
    }

    /// Moves the time on by `by`.
    pub fn advance(&self, by: Duration) {
        let mut shown = self.lock();
        let now = shown.now() + by;
        shown.show(now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shown> {
        // A panic while holding the lock cannot leave a half-written time: the value is
        // replaced whole. Recover it rather than poison every later read.
        self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.replace_nanosecond(micros)
        .unwrap_or(t)
        .to_offset(time::UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_manual_clock_stands_still_until_advanced() {
        let manual = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
        let clock = Clock::from(manual.clone());
        assert_eq!(clock.now(), clock.now());
        manual.advance(Duration::hours(25));
        assert_eq!(clock.now(), datetime!(2026-01-02 01:00 UTC));
        manual.set(datetime!(2025-12-31 23:59 UTC));
        assert_eq!(clock.year(), 2025);
    }

    #[test]
    fn times_are_kept_to_the_microsecond_postgresql_stores() {
        let manual = ManualClock::new(datetime!(2026-01-01 00:00:00.123456789 UTC));
        assert_eq!(manual.now().nanosecond(), 123_456_000);
        assert_eq!(Clock::system().now().nanosecond() % 1_000, 0);
    }
}
