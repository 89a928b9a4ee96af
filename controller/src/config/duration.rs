//! Go duration strings (`time.ParseDuration`), as upstream's duration flags take them.

use std::time::Duration;

/// Why a Go duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// The string was empty.
    #[error("empty duration")]
    Empty,
    /// A leading `+` or `-`: Go accepts signs, but no duration flag here has a use for them.
    #[error("signed durations are not accepted")]
    Signed,
    /// Not of the form `<number><unit>...`.
    #[error("not a Go duration (expected e.g. 720h0m0s, 1h30m, 90s, 500ms or 0)")]
    Malformed,
    /// A number without a unit (only a bare `0` may omit it).
    #[error("missing unit (one of ns, us, µs, ms, s, m, h)")]
    MissingUnit,
    /// A unit Go does not know (there is no `d`).
    #[error("unknown unit {0:?} (one of ns, us, µs, ms, s, m, h)")]
    UnknownUnit(String),
    /// More than Go's limit of about 292 years (`i64::MAX` nanoseconds).
    #[error("duration too large")]
    Overflow,
}

/// Parses a Go duration: a sequence of decimal numbers, each with an optional fraction and a unit
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), such as `720h0m0s`, `1h30m`, `1.5h`, `90s` or
/// `500ms`; a bare `0` needs no unit.
///
/// Differences from Go's `time.ParseDuration`: a leading sign is rejected ([`DurationError::Signed`])
/// because negative periods, TTLs and timeouts mean nothing here. The limit is Go's: at most
/// `i64::MAX` nanoseconds.
pub fn parse_go_duration(s: &str) -> Result<Duration, DurationError> {
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    if s.starts_with(['+', '-']) {
        return Err(DurationError::Signed);
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    const LIMIT: u128 = i64::MAX as u128;
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        // Integer part.
        let int_len = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (int_digits, after) = rest.split_at(int_len);
        rest = after;
        // Fraction.
        let mut frac_digits = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_dot.len());
            (frac_digits, rest) = after_dot.split_at(frac_len);
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(DurationError::Malformed);
        }
        // Unit.
        let unit_len = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        let (unit, after) = rest.split_at(unit_len);
        rest = after;
        let nanos_per_unit: u128 = match unit {
            "" => return Err(DurationError::MissingUnit),
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            other => return Err(DurationError::UnknownUnit(other.to_owned())),
        };
        let mut int: u128 = 0;
        for digit in int_digits.bytes() {
            int = int * 10 + u128::from(digit - b'0');
            if int > LIMIT {
                return Err(DurationError::Overflow);
            }
        }
        // Fraction digits beyond what can matter at nanosecond resolution are dropped (Go does the same).
        let mut frac: u128 = 0;
        let mut scale: u128 = 1;
        for digit in frac_digits.bytes().take(20) {
            frac = frac * 10 + u128::from(digit - b'0');
            scale *= 10;
        }
        total = total
            .checked_add(int.checked_mul(nanos_per_unit).ok_or(DurationError::Overflow)?)
            .and_then(|t| t.checked_add(frac * nanos_per_unit / scale))
            .ok_or(DurationError::Overflow)?;
        if total > LIMIT {
            return Err(DurationError::Overflow);
        }
    }
    let nanos = u64::try_from(total).map_err(|_| DurationError::Overflow)?;
    Ok(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Duration {
        parse_go_duration(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn upstream_defaults_parse() {
        assert_eq!(ok("720h0m0s"), Duration::from_secs(720 * 3600));
        assert_eq!(ok("87600h0m0s"), Duration::from_secs(87_600 * 3600));
        assert_eq!(ok("2m0s"), Duration::from_secs(120));
    }

    #[test]
    fn every_unit_and_combinations_parse() {
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("0s"), Duration::ZERO);
        assert_eq!(ok("1ns"), Duration::from_nanos(1));
        assert_eq!(ok("1us"), Duration::from_micros(1));
        assert_eq!(ok("1µs"), Duration::from_micros(1));
        assert_eq!(ok("1\u{3bc}s"), Duration::from_micros(1));
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("90s"), Duration::from_secs(90));
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("1m1s1ms"), Duration::from_millis(61_001));
        assert_eq!(ok("30m1h"), Duration::from_secs(5400), "Go allows any unit order");
    }

    #[test]
    fn fractions_parse_like_go() {
        assert_eq!(ok("1.5h"), Duration::from_secs(5400));
        assert_eq!(ok(".5s"), Duration::from_millis(500));
        assert_eq!(ok("1.s"), Duration::from_secs(1));
        assert_eq!(ok("0.000000001s"), Duration::from_nanos(1));
        assert_eq!(ok("1.0000000019s"), Duration::from_nanos(1_000_000_001), "sub-nanosecond digits truncate");
    }

    #[test]
    fn malformed_durations_are_rejected() {
        assert_eq!(parse_go_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_go_duration("-1s"), Err(DurationError::Signed));
        assert_eq!(parse_go_duration("+1s"), Err(DurationError::Signed));
        assert_eq!(parse_go_duration("-0"), Err(DurationError::Signed));
        assert_eq!(parse_go_duration("10"), Err(DurationError::MissingUnit));
        assert_eq!(parse_go_duration("00"), Err(DurationError::MissingUnit));
        assert_eq!(parse_go_duration("1h30"), Err(DurationError::MissingUnit));
        assert_eq!(parse_go_duration("30d"), Err(DurationError::UnknownUnit("d".into())));
        assert_eq!(parse_go_duration("1 h"), Err(DurationError::UnknownUnit(" h".into())));
        assert_eq!(parse_go_duration("h"), Err(DurationError::Malformed));
        assert_eq!(parse_go_duration(".s"), Err(DurationError::Malformed));
        assert_eq!(parse_go_duration("1h."), Err(DurationError::Malformed));
    }

    #[test]
    fn durations_beyond_go_range_overflow() {
        assert_eq!(ok("2562047h47m16.854775807s"), Duration::from_nanos(i64::MAX as u64));
        assert_eq!(parse_go_duration("2562048h"), Err(DurationError::Overflow));
        assert_eq!(parse_go_duration("9223372036854775808ns"), Err(DurationError::Overflow));
        assert_eq!(parse_go_duration("99999999999999999999999999999999999999999h"), Err(DurationError::Overflow));
    }
}
