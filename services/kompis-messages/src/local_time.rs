//! Stockholm local time, for showing times to participants.
//!
//! Sweden keeps Central European Time (UTC+1) and, since 1996, the EU's summer time
//! (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
//! of October. The rule is written out here rather than read from a time-zone
//! database: it is one rule, and the programme only shows times, it never computes
//! with local time.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// The last Sunday of `month` in `year`, at 01:00 UTC.
fn last_sunday_0100_utc(year: i32, month: Month) -> OffsetDateTime {
    let days = month.length(year);
    let last = Date::from_calendar_date(year, month, days).expect("a valid date");
    let back = last.weekday().number_days_from_sunday();
    let sunday = last - time::Duration::days(i64::from(back));
    PrimitiveDateTime::new(sunday, Time::from_hms(1, 0, 0).expect("a valid time")).assume_utc()
}

/// Stockholm's offset from UTC at `t`: +2 in summer time, otherwise +1.
///
/// # Examples
///
/// ```
/// use kompis_messages::stockholm_offset;
/// use time::macros::datetime;
///
/// assert_eq!(stockholm_offset(datetime!(2026-01-15 12:00 UTC)).whole_hours(), 1);
/// assert_eq!(stockholm_offset(datetime!(2026-07-15 12:00 UTC)).whole_hours(), 2);
/// ```
pub fn stockholm_offset(t: OffsetDateTime) -> UtcOffset {
    let t = t.to_offset(UtcOffset::UTC);
    let summer = last_sunday_0100_utc(t.year(), Month::March) <= t
        && t < last_sunday_0100_utc(t.year(), Month::October);
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).expect("a valid offset")
}

/// `t` in Stockholm local time.
pub fn to_stockholm(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(stockholm_offset(t))
}

/// 1 for Monday to 7 for Sunday, as the catalogue's `weekday-N` messages number them.
pub(crate) fn weekday_number(weekday: Weekday) -> u8 {
    weekday.number_from_monday()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn summer_time_starts_and_ends_at_one_utc_on_the_last_sundays_of_march_and_october() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let hours = |t| stockholm_offset(t).whole_hours();
        assert_eq!(hours(datetime!(2026-03-29 00:59:59 UTC)), 1);
        assert_eq!(hours(datetime!(2026-03-29 01:00 UTC)), 2);
        assert_eq!(hours(datetime!(2026-10-25 00:59:59 UTC)), 2);
        assert_eq!(hours(datetime!(2026-10-25 01:00 UTC)), 1);
        // 2027: 28 March and 31 October.
        assert_eq!(hours(datetime!(2027-03-28 01:00 UTC)), 2);
        assert_eq!(hours(datetime!(2027-10-31 00:30 UTC)), 2);
        assert_eq!(hours(datetime!(2027-10-31 01:30 UTC)), 1);
    }

    #[test]
    fn a_time_is_shown_at_its_stockholm_wall_clock_time() {
        let local = to_stockholm(datetime!(2026-06-01 16:00 UTC));
        assert_eq!((local.hour(), local.minute()), (18, 0));
        assert_eq!(weekday_number(local.weekday()), 1, "a Monday");
    }
}
