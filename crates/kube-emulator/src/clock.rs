//! Wall-clock timestamps in the two shapes the API server writes: `Time` (RFC 3339, whole
//! seconds, `Z`) and `MicroTime` (six fractional digits), without a date-time dependency.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `Time`: `2026-11-23T22:17:04Z`.
pub fn now() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    format(since.as_secs(), None)
}

/// `MicroTime`: `2026-11-23T22:17:04.123456Z`.
pub fn now_micro() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    format(since.as_secs(), Some(since.subsec_micros()))
}

/// Seconds since the epoch, for `generateName`-style uniqueness and event names.
pub fn unix_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_nanos()
}

/// Formats seconds since the Unix epoch (UTC) as RFC 3339.
pub fn format(secs: u64, micros: Option<u32>) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    match micros {
        Some(us) => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{us:06}Z"),
        None => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
    }
}

/// Parses an RFC 3339 timestamp with any offset and optional fraction into seconds since the
/// epoch (UTC) and microseconds. `None` if it is not RFC 3339.
pub fn parse(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't') || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &s[start..i.min(start + 6)];
        micros = frac.parse::<u32>().ok()? * 10u32.pow(6 - frac.len() as u32);
    }
    let offset = match s.get(i..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (tz[1..3].parse::<i64>().ok()? * 3600 + tz[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + se - offset, micros))
}

/// Re-serialises an RFC 3339 MicroTime with any offset as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn normalize_micro(s: &str) -> Option<String> {
    let (secs, micros) = parse(s)?;
    Some(format(u64::try_from(secs).ok()?, Some(micros)))
}

/// Re-serialises an RFC 3339 Time with any offset as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn normalize(s: &str) -> Option<String> {
    let (secs, _) = parse(s)?;
    Some(format(u64::try_from(secs).ok()?, None))
}

// Howard Hinnant's days-from-civil algorithms (public domain), proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format(0, None), "1970-01-01T00:00:00Z");
        assert_eq!(format(951_782_400, None), "2000-02-29T00:00:00Z");
        assert_eq!(format(1_795_473_424, Some(42)), "2026-11-23T22:37:04.000042Z");
    }

    #[test]
    fn parses_offsets_and_fractions_back_to_utc() {
        assert_eq!(parse("2026-11-23T22:37:04Z"), Some((1_795_473_424, 0)));
        assert_eq!(parse("2026-11-23T23:37:04.5+01:00"), Some((1_795_473_424, 500_000)));
        assert_eq!(
            normalize_micro("2026-11-23T22:37:04.123456789+00:00").as_deref(),
            Some("2026-11-23T22:37:04.123456Z")
        );
        assert_eq!(parse("2026-13-23T22:37:04Z"), None);
        assert_eq!(parse("yesterday"), None);
    }
}
