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
    // Go's time.Parse refuses a day past the month's end and a leap second (60).
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59 {
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
            let (oh, om) = (tz[1..3].parse::<i64>().ok()?, tz[4..6].parse::<i64>().ok()?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
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

/// Nanoseconds since the Unix epoch as a signed number, for durations.
pub fn now_nanos() -> i128 {
    i128::try_from(unix_nanos()).unwrap_or(i128::MAX)
}

/// Seconds from 0001-01-01T00:00:00Z (Go's zero `time.Time`) to the Unix epoch, negated.
const GO_ZERO_TIME: i64 = -62_135_596_800;

/// How long ago an RFC 3339 `Time` was, as the API server prints ages in tables
/// (`metatable.ConvertToHumanReadableDateType` after `metav1.Time.UnmarshalQueryParameter`):
/// an empty, `null` or zero time is `<unknown>`, an unparsable one `<invalid>`, anything else
/// [`human_duration`] of `now - t`.
pub fn age(timestamp: &str, now_nanos: i128) -> String {
    if timestamp.is_empty() || timestamp == "null" {
        return "<unknown>".into();
    }
    let Some((secs, micros)) = parse(timestamp) else { return "<invalid>".into() };
    if secs == GO_ZERO_TIME && micros == 0 {
        return "<unknown>".into();
    }
    let then = i128::from(secs) * 1_000_000_000 + i128::from(micros) * 1_000;
    human_duration(now_nanos - then)
}

/// The age of an optional JSON timestamp: absent or not a string counts as the zero time.
pub fn age_of(timestamp: Option<&serde_json::Value>, now_nanos: i128) -> String {
    age(timestamp.and_then(serde_json::Value::as_str).unwrap_or_default(), now_nanos)
}

/// Go's `duration.HumanDuration` (k8s.io/apimachinery/pkg/util/duration) of a signed duration in
/// nanoseconds: two or three significant figures, `<invalid>` when more than a second negative.
pub fn human_duration(nanos: i128) -> String {
    const SEC: i128 = 1_000_000_000;
    // Go's int(d.Seconds()) truncates toward zero, as integer division does.
    let seconds = nanos / SEC;
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = nanos / (60 * SEC);
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = nanos / (3600 * SEC);
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = hours / 24;
        let dy = days % 365;
        return if dy == 0 { format!("{}y", days / 365) } else { format!("{}y{dy}d", days / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
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
        assert_eq!(parse("2026-02-29T00:00:00Z"), None, "not a leap year");
        assert_eq!(parse("2028-02-29T00:00:00Z").map(|p| p.0), Some(1_835_395_200));
        assert_eq!(parse("2026-04-31T00:00:00Z"), None);
        assert_eq!(parse("2026-11-23T22:37:60Z"), None, "Go refuses leap seconds");
        assert_eq!(parse("2026-11-23T22:37:04+24:00"), None);
    }

    const S: i128 = 1_000_000_000;
    const M: i128 = 60 * S;
    const H: i128 = 60 * M;
    const D: i128 = 24 * H;
    const Y: i128 = 365 * D;

    #[test]
    fn human_duration_follows_every_branch_of_the_go_original() {
        let cases: &[(i128, &str)] = &[
            // More than a second in the future is a clock problem.
            (-2 * S, "<invalid>"),
            (-S - 1, "0s"),
            (-S, "0s"),
            (-S / 2, "0s"),
            (0, "0s"),
            (S - 1, "0s"),
            (S, "1s"),
            (119 * S + S / 2, "119s"),
            (2 * M, "2m"),
            (2 * M + 5 * S, "2m5s"),
            (9 * M + 59 * S, "9m59s"),
            (10 * M, "10m"),
            (10 * M + 30 * S, "10m"),
            (179 * M + 59 * S, "179m"),
            (3 * H, "3h"),
            (3 * H + 7 * M, "3h7m"),
            (7 * H + 59 * M, "7h59m"),
            (8 * H, "8h"),
            (47 * H + 59 * M, "47h"),
            (2 * D, "2d"),
            (2 * D + 5 * H, "2d5h"),
            (7 * D + 23 * H, "7d23h"),
            (8 * D, "8d"),
            (729 * D + 23 * H, "729d"),
            (2 * Y, "2y"),
            (2 * Y + 3 * D, "2y3d"),
            (7 * Y + 364 * D, "7y364d"),
            (8 * Y, "8y"),
            (8 * Y + 200 * D, "8y"),
            (123 * Y, "123y"),
        ];
        for (nanos, want) in cases {
            assert_eq!(human_duration(*nanos), *want, "{nanos} ns");
        }
    }

    #[test]
    fn ages_of_timestamps_handle_zero_unparsable_and_future_times() {
        let now = 1_795_473_424 * S;
        assert_eq!(age("2026-11-23T22:37:04Z", now), "0s");
        assert_eq!(age("2026-11-23T22:36:00Z", now), "64s");
        assert_eq!(age("2026-11-23T23:37:04+01:00", now + 3 * D), "3d");
        assert_eq!(age("2026-11-23T22:37:00.5Z", now), "3s");
        assert_eq!(age("2026-11-23T22:37:10Z", now), "<invalid>");
        assert_eq!(age("", now), "<unknown>");
        assert_eq!(age("null", now), "<unknown>");
        assert_eq!(age("0001-01-01T00:00:00Z", now), "<unknown>");
        assert_eq!(age("last tuesday", now), "<invalid>");
        assert_eq!(age_of(None, now), "<unknown>");
        assert_eq!(age_of(Some(&serde_json::json!("2026-11-23T22:37:04Z")), now + 90 * S), "90s");
    }
}
