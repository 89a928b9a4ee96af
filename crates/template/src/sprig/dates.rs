//! Date functions, on [`Value::Time`] (Go's `time.Time`).
//!
//! Sprig's argument rules: `date`, `dateInZone`, `htmlDate` and `htmlDateInZone` take a time,
//! or Unix seconds as an `int`/`int64`, and use the current time for anything else (a string
//! is not parsed); `ago` likewise; `dateModify`, `mustDateModify` and `unixEpoch` need a time
//! (anything else is a call error, as Go's reflection reports); `duration` takes seconds as a
//! string or `int64` (an `int` gives `0s`, as in Sprig v3.3); `durationRound` takes a Go
//! duration string, nanoseconds as `int64`, or a time (its age).
//!
//! Zones: no time-zone database is bundled. `Local` is UTC (what a controller container runs
//! in); `UTC`, `""`, `GMT`, the fixed `Etc/GMT±N` zones and `EST`/`MST`/`HST` work; another
//! name that looks like an IANA zone (`Europe/Paris`) or a zone with summer time (`CET`) is an
//! error rather than a silently wrong time; any other name falls back to UTC as Sprig does for
//! zones Go cannot load.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{arg_str, arity};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::{Time, TimeZone, Value};

/// The date functions, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("now", now),
        ("date", date),
        ("date_in_zone", date_in_zone),
        ("dateInZone", date_in_zone),
        ("htmlDate", html_date),
        ("htmlDateInZone", html_date_in_zone),
        ("dateModify", date_modify),
        ("date_modify", date_modify),
        ("mustDateModify", must_date_modify),
        ("must_date_modify", must_date_modify),
        ("ago", ago),
        ("duration", duration),
        ("durationRound", duration_round),
        ("toDate", to_date),
        ("mustToDate", must_to_date),
        ("unixEpoch", unix_epoch),
    ]
}

const NANOS: i128 = 1_000_000_000;

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Broken-down local fields.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    weekday: usize,
    yday: u32,
}

fn fields(unix_secs: i64, offset: i32) -> Fields {
    // Keep clear of the edges of i64 so the calendar arithmetic cannot overflow.
    let local = unix_secs.clamp(-(1 << 56), 1 << 56) + i64::from(offset);
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Fields {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        min: (rem % 3600 / 60) as u32,
        sec: (rem % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as usize,
        yday: (days - days_from_civil(year, 1, 1) + 1) as u32,
    }
}

fn unix_nanos(t: &Time) -> i128 {
    i128::from(t.unix_secs) * NANOS + i128::from(t.nanos)
}

/// `t` moved to an instant given in nanoseconds since the epoch (clamped to what fits).
fn with_unix_nanos(t: &Time, n: i128) -> Time {
    let secs = n.div_euclid(NANOS).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Time { unix_secs: secs, nanos: n.rem_euclid(NANOS) as u32, ..t.clone() }
}

/// The monotonic clock reading Go's `time.Now()` attaches: nanoseconds since this process
/// first asked for the time (Go counts from process start).
fn monotonic_now() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX).saturating_add(1)
}

/// `time.Now()`: the current time in `Local`, with a monotonic reading.
pub(crate) fn now_time() -> Time {
    let monotonic = monotonic_now();
    let n = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    };
    with_unix_nanos(&Time { unix_secs: 0, nanos: 0, zone: TimeZone::Local, monotonic: Some(monotonic) }, n)
}

/// Go's `t.Sub(u)` as a `time.Duration` (monotonic readings used when both have one; clamped).
fn sub(t: &Time, u: &Time) -> i64 {
    let d = match (t.monotonic, u.monotonic) {
        (Some(a), Some(b)) => i128::from(a) - i128::from(b),
        _ => unix_nanos(t) - unix_nanos(u),
    };
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Go's `t.Add(d)`: the monotonic reading moves too, and is dropped if it would overflow.
fn add(t: &Time, d: i64) -> Time {
    let mut out = with_unix_nanos(t, unix_nanos(t) + i128::from(d));
    out.monotonic = t.monotonic.and_then(|m| m.checked_add(d));
    out
}

/// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`, plus ` m=±s.nnnnnnnnn`
/// for a monotonic reading.
pub(crate) fn time_string(t: &Time) -> String {
    let mut s = format_layout(t, "2006-01-02 15:04:05.999999999 -0700 MST");
    if let Some(m) = t.monotonic {
        let sign = if m < 0 { '-' } else { '+' };
        let m = m.unsigned_abs();
        s.push_str(&format!(" m={sign}{}.{:09}", m / 1_000_000_000, m % 1_000_000_000));
    }
    s
}

/// Go's `Time.GoString()` (`%#v`): `time.Date(2024, time.February, 29, 0, 0, 0, 0, time.UTC)`.
pub(crate) fn time_go_syntax(t: &Time) -> String {
    let f = fields(t.unix_secs, t.zone.offset_secs());
    let loc = match &t.zone {
        TimeZone::Utc => "time.UTC".to_string(),
        TimeZone::Local => "time.Local".to_string(),
        TimeZone::Fixed { name, .. } => format!("time.Location({})", crate::format::quote(name, false)),
    };
    let month = MONTHS.get(f.month as usize - 1).copied().unwrap_or("January");
    format!("time.Date({}, time.{month}, {}, {}, {}, {}, {}, {loc})", f.year, f.day, f.hour, f.min, f.sec, t.nanos)
}

/// Go's `Time.MarshalJSON` without the quotes: RFC 3339 with nanoseconds; years outside
/// 0..=9999 are an error.
pub(crate) fn time_json(t: &Time) -> Result<String, &'static str> {
    let year = fields(t.unix_secs, t.zone.offset_secs()).year;
    if !(0..10_000).contains(&year) {
        return Err("Time.MarshalJSON: year outside of range [0,9999]");
    }
    Ok(format_layout(t, "2006-01-02T15:04:05.999999999Z07:00"))
}

/// How a numeric zone offset is written.
#[derive(Clone, Copy)]
struct OffsetStyle {
    /// `Z` for UTC.
    z: bool,
    colon: bool,
    minutes: bool,
    seconds: bool,
}

/// `-0700`, which is also how `MST` prints a zone without a name.
const NUM_OFFSET: OffsetStyle = OffsetStyle { z: false, colon: false, minutes: true, seconds: false };

fn offset_text(offset: i32, style: OffsetStyle) -> String {
    if style.z && offset == 0 {
        return "Z".into();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m, s) = (a / 3600, a % 3600 / 60, a % 60);
    let sep = if style.colon { ":" } else { "" };
    let mut out = format!("{sign}{h:02}");
    if style.minutes {
        out.push_str(&format!("{sep}{m:02}"));
    }
    if style.seconds {
        out.push_str(&format!("{sep}{s:02}"));
    }
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Go layout elements, longest first.
const ELEMENTS: &[&str] = &[
    "January",
    "Monday",
    "Z07:00:00",
    "-07:00:00",
    "Z070000",
    "-070000",
    "Z07:00",
    "-07:00",
    "Z0700",
    "-0700",
    "2006",
    "Jan",
    "Mon",
    "MST",
    "002",
    "__2",
    "Z07",
    "-07",
    "01",
    "02",
    "_2",
    "15",
    "03",
    "04",
    "05",
    "06",
    "PM",
    "pm",
    "1",
    "2",
    "3",
    "4",
    "5",
];

/// Splits a layout into literal text and elements (fractional seconds `.000`/`.999` included).
fn tokens(layout: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut i = 0;
    let b = layout.as_bytes();
    while i < layout.len() {
        let rest = &layout[i..];
        if (b[i] == b'.' || b[i] == b',') && i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') {
            let digit = b[i + 1];
            let mut j = i + 1;
            while j < b.len() && b[j] == digit {
                j += 1;
            }
            if !(j < b.len() && b[j].is_ascii_digit()) {
                out.push((true, layout[i..j].to_string()));
                i = j;
                continue;
            }
        }
        if let Some(e) = ELEMENTS.iter().find(|e| rest.starts_with(**e)) {
            // `Jan`/`Mon` must not swallow `January`-like words handled above; numbers stand alone.
            out.push((true, e.to_string()));
            i += e.len();
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        match out.last_mut() {
            Some((false, lit)) => lit.push(c),
            _ => out.push((false, c.to_string())),
        }
        i += c.len_utf8();
    }
    out
}

fn format_layout(t: &Time, layout: &str) -> String {
    let offset = t.zone.offset_secs();
    let f = fields(t.unix_secs, offset);
    let mut out = String::new();
    for (is_elem, tok) in tokens(layout) {
        if !is_elem {
            out.push_str(&tok);
            continue;
        }
        let h12 = if f.hour.is_multiple_of(12) { 12 } else { f.hour % 12 };
        let s = match tok.as_str() {
            "2006" if f.year < 0 => format!("-{:04}", f.year.unsigned_abs()),
            "2006" => format!("{:04}", f.year),
            "06" => format!("{:02}", f.year.rem_euclid(100)),
            "01" => format!("{:02}", f.month),
            "1" => f.month.to_string(),
            "January" => MONTHS[f.month as usize - 1].to_string(),
            "Jan" => MONTHS[f.month as usize - 1][..3].to_string(),
            "02" => format!("{:02}", f.day),
            "2" => f.day.to_string(),
            "_2" => format!("{:>2}", f.day),
            "002" => format!("{:03}", f.yday),
            "__2" => format!("{:>3}", f.yday),
            "15" => format!("{:02}", f.hour),
            "03" => format!("{h12:02}"),
            "3" => h12.to_string(),
            "04" => format!("{:02}", f.min),
            "4" => f.min.to_string(),
            "05" => format!("{:02}", f.sec),
            "5" => f.sec.to_string(),
            "PM" => (if f.hour >= 12 { "PM" } else { "AM" }).to_string(),
            "pm" => (if f.hour >= 12 { "pm" } else { "am" }).to_string(),
            "Monday" => DAYS[f.weekday].to_string(),
            "Mon" => DAYS[f.weekday][..3].to_string(),
            "MST" => match t.zone.abbreviation() {
                "" => offset_text(offset, NUM_OFFSET),
                name => name.to_string(),
            },
            "Z07:00:00" => offset_text(offset, OffsetStyle { z: true, colon: true, minutes: true, seconds: true }),
            "-07:00:00" => offset_text(offset, OffsetStyle { z: false, colon: true, minutes: true, seconds: true }),
            "Z070000" => offset_text(offset, OffsetStyle { z: true, colon: false, minutes: true, seconds: true }),
            "-070000" => offset_text(offset, OffsetStyle { z: false, colon: false, minutes: true, seconds: true }),
            "Z07:00" => offset_text(offset, OffsetStyle { z: true, colon: true, minutes: true, seconds: false }),
            "-07:00" => offset_text(offset, OffsetStyle { z: false, colon: true, minutes: true, seconds: false }),
            "Z0700" => offset_text(offset, OffsetStyle { z: true, colon: false, minutes: true, seconds: false }),
            "-0700" => offset_text(offset, NUM_OFFSET),
            "Z07" => offset_text(offset, OffsetStyle { z: true, colon: false, minutes: false, seconds: false }),
            "-07" => offset_text(offset, OffsetStyle { z: false, colon: false, minutes: false, seconds: false }),
            frac => {
                let digits = frac.len() - 1;
                let all = format!("{:09}", t.nanos);
                let mut d = all[..digits.min(9)].to_string();
                if frac.as_bytes()[1] == b'9' {
                    d = d.trim_end_matches('0').to_string();
                    if d.is_empty() {
                        continue;
                    }
                }
                format!("{}{d}", &frac[..1])
            }
        };
        out.push_str(&s);
    }
    out
}

/// Go's `time.ParseInLocation(layout, value, time.Local)` for the common layout elements.
fn parse_layout(layout: &str, value: &str) -> Option<Time> {
    let mut v = value;
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (1i64, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut offset: Option<i32> = None;
    let mut zulu = false;
    let mut zone_name: Option<String> = None;
    let mut pm: Option<bool> = None;
    let num = |v: &mut &str, min_len: usize, max_len: usize| -> Option<u32> {
        let n = v.bytes().take(max_len).take_while(u8::is_ascii_digit).count();
        if n < min_len {
            return None;
        }
        let r = v[..n].parse().ok();
        *v = &v[n..];
        r
    };
    let toks = tokens(layout);
    for (idx, (is_elem, tok)) in toks.iter().enumerate() {
        if !is_elem {
            v = v.strip_prefix(tok.as_str())?;
            continue;
        }
        match tok.as_str() {
            "2006" => year = i64::from(num(&mut v, 4, 4)?),
            "06" => {
                let yy = i64::from(num(&mut v, 2, 2)?);
                year = if yy >= 69 { 1900 + yy } else { 2000 + yy };
            }
            "01" => month = num(&mut v, 2, 2)?,
            "1" => month = num(&mut v, 1, 2)?,
            "January" | "Jan" => {
                let i = MONTHS.iter().position(|m| {
                    let name = if tok == "Jan" { &m[..3] } else { m };
                    v.get(..name.len()).is_some_and(|p| p.eq_ignore_ascii_case(name))
                })?;
                v = &v[if tok == "Jan" { 3 } else { MONTHS[i].len() }..];
                month = i as u32 + 1;
            }
            "Monday" | "Mon" => {
                let i = DAYS.iter().position(|d| {
                    let name = if tok == "Mon" { &d[..3] } else { d };
                    v.get(..name.len()).is_some_and(|p| p.eq_ignore_ascii_case(name))
                })?;
                v = &v[if tok == "Mon" { 3 } else { DAYS[i].len() }..];
            }
            "02" => day = num(&mut v, 2, 2)?,
            "2" => day = num(&mut v, 1, 2)?,
            "_2" => {
                v = v.strip_prefix(' ').unwrap_or(v);
                day = num(&mut v, 1, 2)?;
            }
            "15" => hour = num(&mut v, 1, 2)?,
            "03" => hour = num(&mut v, 2, 2)?,
            "3" => hour = num(&mut v, 1, 2)?,
            "04" => min = num(&mut v, 2, 2)?,
            "4" => min = num(&mut v, 1, 2)?,
            "05" => sec = num(&mut v, 2, 2)?,
            "5" => sec = num(&mut v, 1, 2)?,
            "PM" | "pm" => {
                let p = v.get(..2)?.to_ascii_uppercase();
                pm = Some(match p.as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return None,
                });
                v = &v[2..];
            }
            "MST" => {
                let n = zone_abbreviation_len(v)?;
                zone_name = Some(v[..n].to_string());
                v = &v[n..];
            }
            z if z.starts_with('Z') || z.starts_with('-') => {
                if z.starts_with('Z') && v.starts_with('Z') {
                    v = &v[1..];
                    zulu = true;
                    continue;
                }
                let sign = match v.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                v = &v[1..];
                let h = num(&mut v, 2, 2)?;
                let (mut m, mut sec_off) = (0, 0);
                let colon = z.contains(':');
                // Elements: Z07 / -07 (hours), Z0700 / -07:00 (minutes), Z070000 / -07:00:00.
                let fields = match z.trim_start_matches(['Z', '-']).len() {
                    2 => 1,
                    4 | 5 => 2,
                    _ => 3,
                };
                if fields >= 2 {
                    if colon {
                        v = v.strip_prefix(':')?;
                    }
                    m = num(&mut v, 2, 2)?;
                }
                if fields == 3 {
                    if colon {
                        v = v.strip_prefix(':')?;
                    }
                    sec_off = num(&mut v, 2, 2)?;
                }
                offset = Some(sign * (h as i32 * 3600 + m as i32 * 60 + sec_off as i32));
            }
            _ => {
                // Fractional seconds in the layout: digits must be present for `.000`.
                let sep = &tok[..1];
                if tok.as_bytes()[1] == b'0' || v.starts_with(sep) {
                    v = v.strip_prefix(sep)?;
                    let n = v.bytes().take_while(u8::is_ascii_digit).count();
                    let digits = format!("{:0<9}", &v[..n.min(9)]);
                    nanos = digits.parse().ok()?;
                    v = &v[n..];
                }
            }
        }
        // Go accepts fractional seconds after a seconds element even if the layout has none.
        if matches!(tok.as_str(), "05" | "5")
            && v.starts_with('.')
            && !toks.get(idx + 1).is_some_and(|(e, t)| *e && (t.starts_with('.') || t.starts_with(',')))
        {
            let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 {
                nanos = format!("{:0<9}", &v[1..1 + n.min(9)]).parse().ok()?;
                v = &v[1 + n..];
            }
        }
    }
    if !v.is_empty() {
        return None;
    }
    if let Some(p) = pm {
        if hour > 12 {
            return None;
        }
        hour = match (p, hour) {
            (true, h) if h < 12 => h + 12,
            (false, 12) => 0,
            (_, h) => h,
        };
    }
    let dim = [
        31,
        if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > dim[month as usize - 1] || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let wall = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + min * 60 + sec);
    // Go's choice of location: `Z` is UTC; an offset equal to Local's (0) with no other zone
    // name is Local, any other offset a nameless fixed zone; Local's abbreviation (`UTC`) is
    // Local; another abbreviation a fixed zone with offset 0 (or N hours for `GMT+N`) and the
    // wall time read as UTC; no zone at all is Local.
    let (unix_secs, zone) = if zulu {
        (wall, TimeZone::Utc)
    } else if let Some(off) = offset {
        let name = zone_name.unwrap_or_default();
        let zone = if off == 0 && (name.is_empty() || name == "UTC") {
            TimeZone::Local
        } else {
            TimeZone::Fixed { name, offset_secs: off }
        };
        (wall - i64::from(off), zone)
    } else if let Some(name) = zone_name {
        if name == "UTC" {
            (wall, TimeZone::Local)
        } else {
            let off = name.strip_prefix("GMT").and_then(|h| h.parse::<i32>().ok()).unwrap_or(0) * 3600;
            (wall, TimeZone::Fixed { name, offset_secs: off })
        }
    } else {
        (wall, TimeZone::Local)
    };
    Some(Time { unix_secs, nanos, zone, monotonic: None })
}

/// The length of a zone abbreviation at the start of `v`, by Go's rules: `GMT` with an optional
/// signed hour offset (`GMT+2`), `ChST`, `MeST`, or three upper-case letters, or four or five
/// ending in `T`.
fn zone_abbreviation_len(v: &str) -> Option<usize> {
    let b = v.as_bytes();
    if v.starts_with("ChST") || v.starts_with("MeST") {
        return Some(4);
    }
    if v.starts_with("GMT") {
        let rest = &b[3..];
        if let Some(&sign) = rest.first()
            && (sign == b'+' || sign == b'-')
        {
            let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            let hours: Option<i64> = std::str::from_utf8(&rest[1..1 + digits]).ok().and_then(|s| s.parse().ok());
            if hours.is_some_and(|h| h <= 23) {
                return Some(4 + digits);
            }
        }
        return Some(3);
    }
    let upper = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    match upper {
        3 => Some(3),
        4 if b[3] == b'T' || v.starts_with("WITA") => Some(4),
        5 if b[4] == b'T' => Some(5),
        _ => None,
    }
}

/// A date argument as Sprig's `dateInZone` reads it: a time, Unix seconds as an `int` or
/// `int64`, and the current time for anything else.
fn date_arg(v: &Value) -> Time {
    match v {
        Value::Time(t) => t.clone(),
        Value::Int(i) | Value::Int64(i) => Time::from_unix(*i, 0),
        _ => now_time(),
    }
}

/// A Go `time.Time` parameter.
fn time_arg<'a>(name: &str, v: &'a Value) -> Result<&'a Time, FuncError> {
    match v {
        Value::Time(t) => Ok(t),
        other => Err(super::wrong_type(name, "time.Time", other)),
    }
}

/// Go's `time.LoadLocation` for the zones we can resolve without a database; `Ok(None)` where
/// Go fails to load the name (Sprig then uses UTC).
fn load_location(name: &str, zone: &str) -> Result<Option<TimeZone>, FuncError> {
    let fixed = |abbr: &str, hours: i32| TimeZone::Fixed { name: abbr.to_string(), offset_secs: hours * 3600 };
    Ok(Some(match zone {
        "" | "UTC" => TimeZone::Utc,
        "Local" => TimeZone::Local,
        "GMT" | "GMT0" | "GMT+0" | "GMT-0" | "Greenwich" | "Etc/GMT" | "Etc/GMT0" | "Etc/GMT+0" | "Etc/GMT-0"
        | "Etc/Greenwich" => fixed("GMT", 0),
        "UCT" | "Universal" | "Zulu" | "Etc/UTC" | "Etc/UCT" | "Etc/Universal" | "Etc/Zulu" => fixed("UTC", 0),
        "EST" => fixed("EST", -5),
        "MST" => fixed("MST", -7),
        "HST" => fixed("HST", -10),
        z => {
            if let Some(n) = z.strip_prefix("Etc/GMT")
                && (n.starts_with('+') || n.starts_with('-'))
                && let Ok(h) = n.parse::<i32>()
                && (-14..=12).contains(&h)
            {
                // POSIX sign: Etc/GMT-2 is two hours east of UTC, abbreviated `+02`.
                return Ok(Some(TimeZone::Fixed {
                    name: format!("{}{:02}", if h > 0 { '-' } else { '+' }, h.abs()),
                    offset_secs: -h * 3600,
                }));
            }
            let with_dst = ["CET", "EET", "WET", "MET", "CST6CDT", "EST5EDT", "MST7MDT", "PST8PDT"];
            if z.contains('/') || with_dst.contains(&z) {
                return Err(FuncError::new(name, "time zone not available (no time zone database)"));
            }
            return Ok(None);
        }
    }))
}

/// Sprig's `dateInZone`: `date` shown in `zone` with a Go layout.
fn format_in_zone(name: &str, layout: &str, date: &Value, zone: &str) -> Result<Value, FuncError> {
    let t = date_arg(date);
    let zone = load_location(name, zone)?.unwrap_or(TimeZone::Utc);
    // `In` drops the monotonic reading; it does not show in a layout anyway.
    Ok(Value::String(format_layout(&Time { zone, monotonic: None, ..t }, layout)))
}

fn now(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("now", args, 0)?;
    Ok(Value::Time(now_time()))
}

fn date(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("date", args, 2)?;
    format_in_zone("date", arg_str("date", &args[0])?, &args[1], "Local")
}

fn date_in_zone(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("dateInZone", args, 3)?;
    let layout = arg_str("dateInZone", &args[0])?;
    let zone = arg_str("dateInZone", &args[2])?;
    format_in_zone("dateInZone", layout, &args[1], zone)
}

fn html_date(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("htmlDate", args, 1)?;
    format_in_zone("htmlDate", "2006-01-02", &args[0], "Local")
}

fn html_date_in_zone(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("htmlDateInZone", args, 2)?;
    let zone = arg_str("htmlDateInZone", &args[1])?;
    format_in_zone("htmlDateInZone", "2006-01-02", &args[0], zone)
}

/// Go's `time.ParseDuration`, in nanoseconds.
fn parse_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    let mut exact: i128 = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|c| c.is_ascii_digit() || *c == b'.').count();
        if n == 0 {
            return None;
        }
        let number = &rest[..n];
        rest = &rest[n..];
        let u = rest.bytes().take_while(|c| !(c.is_ascii_digit() || *c == b'.')).count();
        let unit = &rest[..u];
        rest = &rest[u..];
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        match number.split_once('.') {
            None => exact = exact.checked_add(number.parse::<i128>().ok()?.checked_mul(scale)?)?,
            Some((a, b)) => {
                if a.is_empty() && b.is_empty() {
                    return None;
                }
                let int: i128 = if a.is_empty() { 0 } else { a.parse().ok()? };
                exact = exact.checked_add(int.checked_mul(scale)?)?;
                if !b.is_empty() {
                    total += format!("0.{b}").parse::<f64>().ok()? * scale as f64;
                }
            }
        }
    }
    let v = exact.checked_add(total as i128)?;
    i64::try_from(if neg { -v } else { v }).ok()
}

/// Go's `time.Duration.String`.
fn format_duration(d: i128) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    let frac = |v: u128, digits: u32| -> String {
        let p = 10u128.pow(digits);
        let (i, f) = (v / p, v % p);
        if f == 0 {
            i.to_string()
        } else {
            format!("{i}.{}", format!("{f:0width$}", width = digits as usize).trim_end_matches('0'))
        }
    };
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        return format!("{sign}{}µs", frac(u, 3));
    }
    if u < 1_000_000_000 {
        return format!("{sign}{}ms", frac(u, 6));
    }
    let secs_total = u / 1_000_000_000;
    let nanos = u % 1_000_000_000;
    let h = secs_total / 3600;
    let m = secs_total % 3600 / 60;
    let s = secs_total % 60;
    let sec = frac(s * 1_000_000_000 + nanos, 9);
    let mut out = sign.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{sec}s"));
    out
}

fn date_modify_impl(name: &str, args: &[Value], must: bool) -> Result<Value, FuncError> {
    arity(name, args, 2)?;
    let d = arg_str(name, &args[0])?;
    let t = time_arg(name, &args[1])?;
    match parse_duration(d) {
        Some(n) => Ok(Value::Time(add(t, n))),
        None if must => Err(FuncError::new(name, "time: invalid duration")),
        None => Ok(Value::Time(t.clone())),
    }
}

fn date_modify(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    date_modify_impl("dateModify", args, false)
}

fn must_date_modify(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    date_modify_impl("mustDateModify", args, true)
}

/// Go's `Duration.Round(m)` for `m > 0`: halves away from zero, saturating.
fn round_duration(d: i64, m: i64) -> i64 {
    let (d, m) = (i128::from(d), i128::from(m));
    let r = d.abs() % m;
    let down = d.abs() - r;
    let mag = if r + r < m { down } else { down + m };
    let out = if d < 0 { -mag } else { mag };
    out.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

fn ago(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("ago", args, 1)?;
    // Sprig's `dateAgo` reads a time or Unix seconds (`int`, `int64`); anything else is now.
    let t = date_arg(&args[0]);
    let since = sub(&now_time(), &t);
    Ok(Value::String(format_duration(i128::from(round_duration(since, 1_000_000_000)))))
}

fn duration(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("duration", args, 1)?;
    // Sprig v3.3 reads a decimal string or an `int64`; any other type (an `int` too) is 0.
    let n: i64 = match &args[0] {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Int64(i) => *i,
        _ => 0,
    };
    // `time.Duration(n) * time.Second` wraps on overflow in Go.
    Ok(Value::String(format_duration(i128::from(n.wrapping_mul(1_000_000_000)))))
}

fn duration_round(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("durationRound", args, 1)?;
    let d: i128 = match &args[0] {
        Value::String(s) => parse_duration(s).map_or(0, i128::from),
        Value::Int64(i) => i128::from(*i),
        Value::Time(t) => i128::from(sub(&now_time(), t)),
        _ => 0,
    };
    let u = d.unsigned_abs();
    let hour = 3_600_000_000_000u128;
    let units = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    for (size, suffix) in units {
        if u > size {
            return Ok(Value::String(format!("{}{suffix}", u / size)));
        }
    }
    Ok(Value::String("0s".into()))
}

fn to_date_impl(name: &str, args: &[Value], must: bool) -> Result<Value, FuncError> {
    arity(name, args, 2)?;
    let layout = arg_str(name, &args[0])?;
    let s = arg_str(name, &args[1])?;
    match parse_layout(layout, s) {
        Some(t) => Ok(Value::Time(t)),
        None if must => Err(FuncError::new(name, "parsing time: the value does not match the layout")),
        None => Ok(Value::Time(Time::zero())),
    }
}

fn to_date(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    to_date_impl("toDate", args, false)
}

fn must_to_date(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    to_date_impl("mustToDate", args, true)
}

fn unix_epoch(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("unixEpoch", args, 1)?;
    Ok(Value::String(time_arg("unixEpoch", &args[0])?.unix_secs.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
    }

    fn time(v: Result<Value, FuncError>) -> Time {
        match v {
            Ok(Value::Time(t)) => t,
            other => panic!("not a time: {other:?}"),
        }
    }

    #[test]
    fn go_layouts_format_unix_seconds() {
        let t = Value::Int(1_136_214_245); // 2006-01-02T15:04:05Z
        assert_eq!(
            call(date, &[Value::from("2006-01-02 15:04:05"), t.clone()]),
            Ok(Value::from("2006-01-02 15:04:05"))
        );
        assert_eq!(
            call(date, &[Value::from("Mon Jan _2 3:4:5 PM MST 2006"), t.clone()]),
            Ok(Value::from("Mon Jan  2 3:4:5 PM UTC 2006"))
        );
        let z = call(date_in_zone, &[Value::from("15:04 MST -07:00"), t, Value::from("Etc/GMT-2")]);
        assert_eq!(z, Ok(Value::from("17:04 +02 +02:00")));
    }

    #[test]
    fn times_print_like_go_time_string() {
        let t = time(call(to_date, &[Value::from("2006-01-02"), Value::from("2024-02-29")]));
        assert_eq!(t.zone, TimeZone::Local);
        assert_eq!(time_string(&t), "2024-02-29 00:00:00 +0000 UTC");
        assert_eq!(time_go_syntax(&t), "time.Date(2024, time.February, 29, 0, 0, 0, 0, time.Local)");
        let layout = Value::from("2006-01-02T15:04:05Z07:00");
        let f = time(call(to_date, &[layout, Value::from("2024-02-29T10:00:00.5+02:00")]));
        assert_eq!(time_string(&f), "2024-02-29 10:00:00.5 +0200 +0200");
        assert_eq!(time_json(&f), Ok("2024-02-29T10:00:00.5+02:00".to_string()));
        let m = Time { monotonic: Some(1_500_000_001), ..Time::from_unix(0, 0) };
        assert_eq!(time_string(&m), "1970-01-01 00:00:00 +0000 UTC m=+1.500000001");
        assert_eq!(time_string(&Time::zero()), "0001-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn to_date_failures_give_the_zero_time_and_must_to_date_fails() {
        let bad = [Value::from("2006-01-02"), Value::from("nope")];
        assert_eq!(time(call(to_date, &bad)), Time::zero());
        assert!(call(must_to_date, &bad).is_err());
        let d = call(to_date, &[Value::from("2006-01-02"), Value::from("2017-12-31")]).unwrap();
        assert_eq!(call(unix_epoch, &[d]), Ok(Value::from("1514678400")));
    }

    #[test]
    fn strings_are_not_times() {
        // Sprig's date argument: a string means "now"; a time.Time parameter rejects it.
        assert!(call(unix_epoch, &[Value::from("2017-12-31T00:00:00Z")]).is_err());
        assert!(call(date_modify, &[Value::from("1h"), Value::from("2017-12-31T00:00:00Z")]).is_err());
        let year = call(date, &[Value::from("2006"), Value::from("1999-01-01T00:00:00Z")]).unwrap();
        assert_ne!(year, Value::from("1999"));
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(format_duration(95_000_000_000), "1m35s");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(-3_600_000_000_000), "-1h0m0s");
        assert_eq!(format_duration(1_500), "1.5µs");
        assert_eq!(parse_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_duration("-1.5h"), Some(-5_400_000_000_000));
        assert_eq!(parse_duration("1d"), None);
        assert_eq!(parse_duration("99999999999999999999999999999999999999h"), None);
        assert_eq!(call(duration, &[Value::Int(95)]), Ok(Value::from("0s")));
        assert_eq!(call(duration, &[Value::Int64(95)]), Ok(Value::from("1m35s")));
        assert_eq!(call(duration_round, &[Value::from("2400h5s")]), Ok(Value::from("3mo")));
        assert_eq!(round_duration(1_500_000_000, 1_000_000_000), 2_000_000_000);
        assert_eq!(round_duration(-1_500_000_000, 1_000_000_000), -2_000_000_000);
        assert_eq!(round_duration(-1_400_000_000, 1_000_000_000), -1_000_000_000);
    }

    #[test]
    fn date_modify_adds_a_go_duration_and_keeps_the_zone() {
        let t = Value::Time(Time::from_unix(1_704_067_200, 0)); // 2024-01-01T00:00:00Z
        let back = time(call(date_modify, &[Value::from("-1.5h"), t.clone()]));
        assert_eq!(time_string(&back), "2023-12-31 22:30:00 +0000 UTC");
        assert_eq!(call(date_modify, &[Value::from("bad"), t.clone()]), Ok(t.clone()));
        assert!(call(must_date_modify, &[Value::from("bad"), t]).is_err());
    }

    #[test]
    fn now_is_local_with_a_monotonic_reading() {
        let n = time(call(now, &[]));
        assert_eq!(n.zone, TimeZone::Local);
        assert!(n.monotonic.is_some());
        assert!(time_string(&n).contains(" +0000 UTC m=+"));
        assert_eq!(call(ago, &[Value::Time(n)]), Ok(Value::from("0s")));
    }

    #[test]
    fn zones_without_a_database() {
        assert!(call(date_in_zone, &[Value::from("15"), Value::Int(0), Value::from("Europe/Paris")]).is_err());
        let unknown = call(date_in_zone, &[Value::from("15 MST"), Value::Int(0), Value::from("foobar")]);
        assert_eq!(unknown, Ok(Value::from("00 UTC")));
        let est = call(date_in_zone, &[Value::from("15 MST"), Value::Int(0), Value::from("EST")]);
        assert_eq!(est, Ok(Value::from("19 EST")));
    }
}
