//! `--key-cutoff-time`: RFC 1123 timestamps with a numeric zone (Go's `time.RFC1123Z`, the output
//! of `date -R`), e.g. `Mon, 02 Jan 2006 15:04:05 -0700`.

use std::time::{Duration, SystemTime};

/// Why an RFC 1123Z timestamp was rejected. Each variant names the part that was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The text does not have the `Mon, 02 Jan 2006 15:04:05 -0700` shape.
    #[error("expected RFC 1123 with a numeric zone, like \"Mon, 02 Jan 2006 15:04:05 -0700\" (date -R)")]
    Layout,
    /// The weekday is not one of `Mon` .. `Sun`.
    #[error("unknown weekday")]
    Weekday,
    /// The month is not one of `Jan` .. `Dec`.
    #[error("unknown month")]
    Month,
    /// The day does not exist in that month.
    #[error("day out of range")]
    Day,
    /// Hour, minute or second out of range.
    #[error("time of day out of range")]
    TimeOfDay,
    /// The zone is not `+hhmm` or `-hhmm` within range.
    #[error("zone offset must be +hhmm or -hhmm")]
    Zone,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Parses `Mon, 02 Jan 2006 15:04:05 -0700` into a point in time.
///
/// As Go's `time.Parse` does: weekday and month names match case-insensitively, the weekday is
/// checked to be a weekday name but not against the date, the day must exist in the month, and
/// a fractional second (`15:04:05.123`) is accepted. Slightly more lenient than Go: the day may
/// have one digit (`2 Jan`).
pub fn parse_rfc1123z(s: &str) -> Result<SystemTime, TimestampError> {
    let (weekday, rest) = s.split_once(", ").ok_or(TimestampError::Layout)?;
    if !WEEKDAYS.iter().any(|w| weekday.eq_ignore_ascii_case(w)) {
        return Err(TimestampError::Weekday);
    }
    let mut parts = rest.split(' ');
    let (Some(day), Some(month), Some(year), Some(clock), Some(zone), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TimestampError::Layout);
    };

    let day = number(day, 1..=2).ok_or(TimestampError::Layout)?;
    let month = MONTHS.iter().position(|m| month.eq_ignore_ascii_case(m)).ok_or(TimestampError::Month)? as u32 + 1;
    let year = i64::from(number(year, 4..=4).ok_or(TimestampError::Layout)?);
    if day == 0 || day > days_in_month(year, month) {
        return Err(TimestampError::Day);
    }

    let (clock, nanos) = match clock.split_once('.') {
        Some((clock, fraction)) => (clock, fraction_nanos(fraction).ok_or(TimestampError::Layout)?),
        None => (clock, 0),
    };
    let mut hms = clock.split(':');
    let (Some(hour), Some(minute), Some(second), None) = (hms.next(), hms.next(), hms.next(), hms.next()) else {
        return Err(TimestampError::Layout);
    };
    let hour = number(hour, 1..=2).ok_or(TimestampError::Layout)?;
    let minute = number(minute, 2..=2).ok_or(TimestampError::Layout)?;
    let second = number(second, 2..=2).ok_or(TimestampError::Layout)?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(TimestampError::TimeOfDay);
    }

    let offset = zone_offset_seconds(zone)?;
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second) - offset;
    let instant = if seconds >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds.unsigned_abs()))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs()))
    };
    instant.and_then(|t| t.checked_add(Duration::from_nanos(nanos))).ok_or(TimestampError::Layout)
}

/// A run of ASCII digits whose length is within `len`.
fn number(s: &str, len: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Nanoseconds from the digits after the decimal point (at most 9 significant).
fn fraction_nanos(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = digits.bytes().chain(std::iter::repeat(b'0')).take(9);
    Some(padded.fold(0u64, |nanos, b| nanos * 10 + u64::from(b - b'0')))
}

/// `+hhmm` / `-hhmm` as seconds east of UTC.
fn zone_offset_seconds(zone: &str) -> Result<i64, TimestampError> {
    let (sign, digits) = match zone.as_bytes().first() {
        Some(b'+') => (1, &zone[1..]),
        Some(b'-') => (-1, &zone[1..]),
        _ => return Err(TimestampError::Zone),
    };
    let hhmm = number(digits, 4..=4).ok_or(TimestampError::Zone)?;
    let (hours, minutes) = (hhmm / 100, hhmm % 100);
    if hours > 24 || minutes > 59 {
        return Err(TimestampError::Zone);
    }
    Ok(sign * i64::from(hours * 3_600 + minutes * 60))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the era-based civil-from-days inverse).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = i64::from((month + 9) % 12); // March = 0
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(s: &str) -> i64 {
        let t = parse_rfc1123z(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        }
    }

    #[test]
    fn go_reference_time_parses_with_its_zone() {
        // 2006-01-02T22:04:05Z
        assert_eq!(unix("Mon, 02 Jan 2006 15:04:05 -0700"), 1_136_239_445);
        assert_eq!(unix("Mon, 02 Jan 2006 22:04:05 +0000"), 1_136_239_445);
        assert_eq!(unix("Tue, 03 Jan 2006 03:34:05 +0530"), 1_136_239_445);
    }

    #[test]
    fn epoch_leap_days_and_pre_epoch_dates_parse() {
        assert_eq!(unix("Thu, 01 Jan 1970 00:00:00 +0000"), 0);
        assert_eq!(unix("Thu, 29 Feb 2024 12:00:00 +0000"), 1_709_208_000);
        assert_eq!(unix("Wed, 31 Dec 1969 23:59:59 +0000"), -1);
        assert_eq!(unix("Sat, 01 Jan 2000 00:00:00 +0000"), 946_684_800);
    }

    #[test]
    fn names_match_case_insensitively_and_weekday_is_checked_loosely() {
        assert_eq!(unix("MON, 02 JAN 2006 22:04:05 +0000"), 1_136_239_445);
        // Wrong weekday for the date: accepted, as Go does.
        assert_eq!(unix("Fri, 02 Jan 2006 22:04:05 +0000"), 1_136_239_445);
        assert_eq!(unix("Mon, 2 Jan 2006 22:04:05 +0000"), 1_136_239_445);
    }

    #[test]
    fn fractional_seconds_are_kept() {
        let t = parse_rfc1123z("Thu, 01 Jan 1970 00:00:01.25 +0000").unwrap();
        assert_eq!(t.duration_since(SystemTime::UNIX_EPOCH).unwrap(), Duration::from_millis(1250));
    }

    #[test]
    fn malformed_timestamps_name_the_bad_part() {
        use TimestampError::*;
        let cases = [
            ("", Layout),
            ("2006-01-02T15:04:05Z", Layout),
            ("Mon, 02 Jan 2006 15:04:05 MST", Zone),
            ("Mon, 02 Jan 2006 15:04:05 Z", Zone),
            ("Mon, 02 Jan 2006 15:04:05 +07:00", Zone),
            ("Mon, 02 Jan 2006 15:04:05 +2500", Zone),
            ("Mon, 02 Jan 2006 15:04:05", Layout),
            ("Mon, 02 Jan 06 15:04:05 -0700", Layout),
            ("Mon, 02 Jan 2006 15:04 -0700", Layout),
            ("Mon, 02 Jan 2006  15:04:05 -0700", Layout),
            ("Xyz, 02 Jan 2006 15:04:05 -0700", Weekday),
            ("Mon, 02 Foo 2006 15:04:05 -0700", Month),
            ("Mon, 30 Feb 2024 15:04:05 -0700", Day),
            ("Mon, 29 Feb 2023 15:04:05 -0700", Day),
            ("Mon, 00 Jan 2006 15:04:05 -0700", Day),
            ("Mon, 02 Jan 2006 24:00:00 -0700", TimeOfDay),
            ("Mon, 02 Jan 2006 15:60:05 -0700", TimeOfDay),
            ("Mon, 02 Jan 2006 15:04:5 -0700", Layout),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_rfc1123z(input), Err(expected), "{input:?}");
        }
    }
}
