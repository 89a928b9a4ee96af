//! Date functions.
//!
//! [`Value`] has no time variant, so a Go `time.Time` is a [`Value::String`] in RFC 3339 with
//! nanoseconds (`2024-01-02T03:04:05.123456789Z`, offset kept): `now` returns one, `toDate`
//! and `dateModify` build one, and the functions taking a date accept one (plus Unix seconds as
//! an integer, as Sprig does). Printing such a value directly shows RFC 3339, where Go prints
//! `2024-01-02 03:04:05.123456789 +0000 UTC`; a dedicated `Value::Time` would fix that.
//!
//! Zones: no time-zone database is bundled. `Local` is UTC (what a controller container
//! runs in); `UTC`, `""` and the fixed `Etc/GMT±N` zones work; another name that looks like an
//! IANA zone (`Europe/Paris`) is an error rather than a silently wrong time; any other name
//! falls back to UTC as Go does for unknown zones.

use super::{arg_str, arity};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;

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

/// An instant with the offset it is shown in.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Time {
    secs: i64,
    nanos: u32,
    offset: i32,
}

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

impl Time {
    fn fields(&self) -> Fields {
        let local = self.secs + i64::from(self.offset);
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

    fn rfc3339(&self) -> String {
        let f = self.fields();
        let frac = if self.nanos == 0 {
            String::new()
        } else {
            format!(".{:09}", self.nanos).trim_end_matches('0').to_string()
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{}",
            f.year,
            f.month,
            f.day,
            f.hour,
            f.min,
            f.sec,
            offset_text(self.offset, true, true, true)
        )
    }

    fn now() -> Self {
        let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Self { secs: d.as_secs() as i64, nanos: d.subsec_nanos(), offset: 0 }
    }

    fn add_nanos(self, n: i128) -> Self {
        let total = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos) + n;
        Self {
            secs: total.div_euclid(1_000_000_000) as i64,
            nanos: total.rem_euclid(1_000_000_000) as u32,
            offset: self.offset,
        }
    }

    fn nanos_since_epoch(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }
}

fn offset_text(offset: i32, z: bool, colon: bool, minutes: bool) -> String {
    if z && offset == 0 {
        return "Z".into();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.abs();
    let (h, m) = (a / 3600, a % 3600 / 60);
    match (minutes, colon) {
        (false, _) => format!("{sign}{h:02}"),
        (true, true) => format!("{sign}{h:02}:{m:02}"),
        (true, false) => format!("{sign}{h:02}{m:02}"),
    }
}

/// Parses our own time representation (RFC 3339).
fn parse_rfc3339(s: &str) -> Option<Time> {
    parse_layout("2006-01-02T15:04:05Z07:00", s, 0)
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
    let f = t.fields();
    let mut out = String::new();
    for (is_elem, tok) in tokens(layout) {
        if !is_elem {
            out.push_str(&tok);
            continue;
        }
        let h12 = if f.hour.is_multiple_of(12) { 12 } else { f.hour % 12 };
        let s = match tok.as_str() {
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
            "MST" => {
                if t.offset == 0 {
                    "UTC".to_string()
                } else {
                    offset_text(t.offset, false, false, t.offset % 3600 != 0)
                }
            }
            "Z07:00" | "Z07:00:00" => offset_text(t.offset, true, true, true),
            "-07:00" | "-07:00:00" => offset_text(t.offset, false, true, true),
            "Z0700" | "Z070000" => offset_text(t.offset, true, false, true),
            "-0700" | "-070000" => offset_text(t.offset, false, false, true),
            "Z07" => offset_text(t.offset, true, false, false),
            "-07" => offset_text(t.offset, false, false, false),
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

/// Go's `time.Parse` for the common layout elements; `default_offset` applies when the layout
/// has no zone.
fn parse_layout(layout: &str, value: &str, default_offset: i32) -> Option<Time> {
    let mut v = value;
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (1i64, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut offset: Option<i32> = None;
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
                let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                if n < 3 {
                    return None;
                }
                if &v[..n] == "UTC" || &v[..n] == "GMT" {
                    offset = Some(0);
                }
                v = &v[n..];
            }
            z if z.starts_with('Z') || z.starts_with('-') => {
                if z.starts_with('Z') && v.starts_with('Z') {
                    v = &v[1..];
                    offset = Some(0);
                    continue;
                }
                let sign = match v.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                v = &v[1..];
                let h = num(&mut v, 2, 2)?;
                let mut m = 0;
                if z.contains(':') {
                    v = v.strip_prefix(':')?;
                    m = num(&mut v, 2, 2)?;
                } else if z.len() > 3 {
                    m = num(&mut v, 2, 2)?;
                }
                offset = Some(sign * (h as i32 * 3600 + m as i32 * 60));
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
    let offset = offset.unwrap_or(default_offset);
    let local = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + min * 60 + sec);
    Some(Time { secs: local - i64::from(offset), nanos, offset })
}

/// A date argument: our time strings or Unix seconds; anything else is "now", as in Sprig.
fn date_arg(v: &Value) -> Time {
    match v {
        Value::String(s) => parse_rfc3339(s).unwrap_or_else(Time::now),
        Value::Int(i) | Value::Int64(i) => Time { secs: *i, nanos: 0, offset: 0 },
        _ => Time::now(),
    }
}

/// A date argument that must be a `time.Time` (Go rejects anything else).
fn time_arg(name: &str, v: &Value) -> Result<Time, FuncError> {
    match v {
        Value::String(s) => {
            parse_rfc3339(s).ok_or_else(|| FuncError::new(name, "wrong type for value; expected time.Time; got string"))
        }
        other => Err(super::wrong_type(name, "time.Time", other)),
    }
}

fn zone_offset(name: &str, zone: &str) -> Result<i32, FuncError> {
    match zone {
        "" | "UTC" | "Local" => Ok(0),
        z => {
            if let Some(n) = z.strip_prefix("Etc/GMT") {
                if n.is_empty() {
                    return Ok(0);
                }
                let h: i32 = n.parse().map_err(|_| FuncError::new(name, "unknown time zone"))?;
                if (-14..=12).contains(&h) {
                    return Ok(-h * 3600);
                }
            }
            if z.contains('/') {
                Err(FuncError::new(name, "time zone not available (no time zone database)"))
            } else {
                Ok(0)
            }
        }
    }
}

fn in_zone(name: &str, t: Time, zone: &str) -> Result<Time, FuncError> {
    Ok(Time { offset: zone_offset(name, zone)?, ..t })
}

fn now(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("now", args, 0)?;
    Ok(Value::String(Time::now().rfc3339()))
}

fn date(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("date", args, 2)?;
    let layout = arg_str("date", &args[0])?;
    let t = in_zone("date", date_arg(&args[1]), "Local")?;
    Ok(Value::String(format_layout(&t, layout)))
}

fn date_in_zone(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("dateInZone", args, 3)?;
    let layout = arg_str("dateInZone", &args[0])?;
    let zone = arg_str("dateInZone", &args[2])?;
    let t = in_zone("dateInZone", date_arg(&args[1]), zone)?;
    Ok(Value::String(format_layout(&t, layout)))
}

fn html_date(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("htmlDate", args, 1)?;
    Ok(Value::String(format_layout(&date_arg(&args[0]), "2006-01-02")))
}

fn html_date_in_zone(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("htmlDateInZone", args, 2)?;
    let zone = arg_str("htmlDateInZone", &args[1])?;
    let t = in_zone("htmlDateInZone", date_arg(&args[0]), zone)?;
    Ok(Value::String(format_layout(&t, "2006-01-02")))
}

/// Go's `time.ParseDuration`, in nanoseconds.
fn parse_duration(s: &str) -> Option<i128> {
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
            None => exact += number.parse::<i128>().ok()? * scale,
            Some((a, b)) => {
                if a.is_empty() && b.is_empty() {
                    return None;
                }
                let int: i128 = if a.is_empty() { 0 } else { a.parse().ok()? };
                exact += int * scale;
                if !b.is_empty() {
                    total += format!("0.{b}").parse::<f64>().ok()? * scale as f64;
                }
            }
        }
    }
    let v = exact + total as i128;
    if v > i128::from(i64::MAX) {
        return None;
    }
    Some(if neg { -v } else { v })
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
        Some(n) => Ok(Value::String(t.add_nanos(n).rfc3339())),
        None if must => Err(FuncError::new(name, "time: invalid duration")),
        None => Ok(Value::String(t.rfc3339())),
    }
}

fn date_modify(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    date_modify_impl("dateModify", args, false)
}

fn must_date_modify(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    date_modify_impl("mustDateModify", args, true)
}

fn ago(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("ago", args, 1)?;
    let t = date_arg(&args[0]);
    let d = Time::now().nanos_since_epoch() - t.nanos_since_epoch();
    // Round half away from zero to whole seconds, as time.Duration.Round does.
    let s = 1_000_000_000i128;
    let r = if d >= 0 { (d + s / 2) / s * s } else { -((-d + s / 2) / s * s) };
    Ok(Value::String(format_duration(r)))
}

fn duration(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("duration", args, 1)?;
    let n: i64 = match &args[0] {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    };
    Ok(Value::String(format_duration(i128::from(n) * 1_000_000_000)))
}

fn duration_round(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("durationRound", args, 1)?;
    let d: i128 = match &args[0] {
        Value::String(s) => match parse_rfc3339(s) {
            Some(t) => Time::now().nanos_since_epoch() - t.nanos_since_epoch(),
            None => parse_duration(s).unwrap_or(0),
        },
        Value::Int64(i) => i128::from(*i),
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
            let suffix = if suffix == "mo" { "m" } else { suffix };
            return Ok(Value::String(format!("{}{suffix}", u / size)));
        }
    }
    Ok(Value::String("0s".into()))
}

fn to_date_impl(name: &str, args: &[Value], must: bool) -> Result<Value, FuncError> {
    arity(name, args, 2)?;
    let layout = arg_str(name, &args[0])?;
    let s = arg_str(name, &args[1])?;
    match parse_layout(layout, s, 0) {
        Some(t) => Ok(Value::String(t.rfc3339())),
        None if must => Err(FuncError::new(name, "parsing time: the value does not match the layout")),
        None => Ok(Value::String("0001-01-01T00:00:00Z".into())),
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
    Ok(Value::String(time_arg("unixEpoch", &args[0])?.secs.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
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
        let z = call(date_in_zone, &[Value::from("15:04 -07:00"), t, Value::from("Etc/GMT-2")]);
        assert_eq!(z, Ok(Value::from("17:04 +02:00")));
    }

    #[test]
    fn to_date_parses_and_unix_epoch_reads_back() {
        let d = call(to_date, &[Value::from("2006-01-02"), Value::from("2017-12-31")]).unwrap();
        assert_eq!(d, Value::from("2017-12-31T00:00:00Z"));
        assert_eq!(call(unix_epoch, &[d]), Ok(Value::from("1514678400")));
        assert_eq!(
            call(to_date, &[Value::from("2006-01-02"), Value::from("nope")]),
            Ok(Value::from("0001-01-01T00:00:00Z"))
        );
        assert!(call(must_to_date, &[Value::from("2006-01-02"), Value::from("nope")]).is_err());
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
    }

    #[test]
    fn date_modify_adds_a_go_duration() {
        let t = Value::from("2024-01-01T00:00:00Z");
        assert_eq!(call(date_modify, &[Value::from("-1.5h"), t.clone()]), Ok(Value::from("2023-12-31T22:30:00Z")));
        assert_eq!(call(date_modify, &[Value::from("bad"), t.clone()]), Ok(t.clone()));
        assert!(call(must_date_modify, &[Value::from("bad"), t]).is_err());
    }
}
