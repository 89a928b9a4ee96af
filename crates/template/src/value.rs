//! The values templates see and produce, modelled on the Go types `text/template` and Sprig
//! work with. Callers pass a [`Value::Map`] of strings (ExternalSecret data, SealedSecret
//! context); functions build lists, dicts, numbers and byte strings from there.

use std::collections::BTreeMap;
use std::fmt;

/// A dynamic template value.
///
/// Go distinguishes many numeric types; Sprig and ESO templates meet three in practice: `int`
/// (from literals, `len`, `atoi`, `add`), `int64` (from `int64`, `toDecimal`, `now | unixEpoch`) and
/// `float64` (from float literals, `float64`, `addf`, JSON numbers). Comparisons follow Go's rules
/// (`eq` of an `int` and an `int64` is allowed between basic kinds; `lt` on mismatched kinds is an
/// error), so the kind is kept.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// Go `nil` (an untyped nil, a nil interface, a missing map key under `missingkey=default`).
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (64-bit on the platforms Go templates run on).
    Int(i64),
    /// `int64`.
    Int64(i64),
    /// `float64`.
    Float(f64),
    /// `string`.
    String(String),
    /// `[]byte` (from `b64dec`-style functions in some helpers; printed as its bytes by `print`,
    /// as a byte list by `%v`).
    Bytes(Vec<u8>),
    /// `[]interface{}` (Sprig lists, `splitList`, JSON arrays).
    List(Vec<Value>),
    /// `map[string]interface{}` (the root data, Sprig dicts, JSON objects). Iteration and printing
    /// are in sorted key order, as Go's `range` and `fmt` do for maps.
    Map(BTreeMap<String, Value>),
    /// `time.Time` (from `now`, `toDate`, `dateModify`). Prints as Go's `Time.String()`
    /// (`2024-02-29 00:00:00 +0000 UTC`), is always true in `if`, and marshals to JSON as
    /// RFC 3339 with nanoseconds.
    Time(Time),
}

/// The location a [`Time`] is shown in: the part of Go's `*time.Location` templates can observe.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeZone {
    /// `time.UTC` (also the zone of the zero time, and of times parsed with a `Z`).
    Utc,
    /// `time.Local`, which is UTC on the servers templates render on: offset 0, shown as `UTC`.
    Local,
    /// `time.FixedZone(name, offset)`, as `time.Parse` builds for an offset (`+02:00`, name
    /// `""`) or an unknown abbreviation (`CET`, offset 0). An empty name prints as `+0200`.
    Fixed {
        /// The zone abbreviation (may be empty).
        name: String,
        /// Seconds east of UTC.
        offset_secs: i32,
    },
}

impl TimeZone {
    /// Seconds east of UTC.
    pub fn offset_secs(&self) -> i32 {
        match self {
            Self::Utc | Self::Local => 0,
            Self::Fixed { offset_secs, .. } => *offset_secs,
        }
    }

    /// The abbreviation Go's `MST` layout element and `Time.String()` print (`""` when a fixed
    /// zone has no name).
    pub fn abbreviation(&self) -> &str {
        match self {
            Self::Utc | Self::Local => "UTC",
            Self::Fixed { name, .. } => name,
        }
    }
}

/// A Go `time.Time`: an instant (`unix_secs` + `nanos`, nanos below 1e9) and the zone it is
/// shown in. `monotonic` is Go's monotonic clock reading (nanoseconds), which `time.Now()`
/// carries and `Time.String()` prints as ` m=+0.000123456`; equality compares it too, as Go's
/// `==` does (so `eq now now` is false).
#[derive(Clone, PartialEq)]
pub struct Time {
    /// Seconds since 1970-01-01T00:00:00Z (floor).
    pub unix_secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
    /// The zone the time is shown in.
    pub zone: TimeZone,
    /// The monotonic clock reading, if any.
    pub monotonic: Option<i64>,
}

impl Time {
    /// A UTC time from Unix seconds and nanoseconds (nanoseconds beyond a second carry over).
    pub fn from_unix(secs: i64, nanos: u32) -> Self {
        let carry = i64::from(nanos / 1_000_000_000);
        Self {
            unix_secs: secs.saturating_add(carry),
            nanos: nanos % 1_000_000_000,
            zone: TimeZone::Utc,
            monotonic: None,
        }
    }

    /// Go's zero `time.Time{}`: January 1, year 1, 00:00:00 UTC.
    pub fn zero() -> Self {
        Self::from_unix(-62_135_596_800, 0)
    }
}

impl Value {
    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Self::Nil => false,
            Self::Bool(b) => *b,
            Self::Int(i) | Self::Int64(i) => *i != 0,
            Self::Float(f) => *f != 0.0,
            Self::String(s) => !s.is_empty(),
            Self::Bytes(b) => !b.is_empty(),
            Self::List(l) => !l.is_empty(),
            Self::Map(m) => !m.is_empty(),
            // Go's `if` treats every struct as true, even the zero time.
            Self::Time(_) => true,
        }
    }

    /// The Go type name, as `printf "%T"` and `typeOf` print it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Nil => "<nil>",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Int64(_) => "int64",
            Self::Float(_) => "float64",
            Self::String(_) => "string",
            Self::Bytes(_) => "[]uint8",
            Self::List(_) => "[]interface {}",
            Self::Map(_) => "map[string]interface {}",
            Self::Time(_) => "time.Time",
        }
    }

    /// A map of strings: the root object ExternalSecret and SealedSecret templates receive.
    pub fn string_map<K: Into<String>, V: Into<String>>(entries: impl IntoIterator<Item = (K, V)>) -> Self {
        Self::Map(entries.into_iter().map(|(k, v)| (k.into(), Self::String(v.into()))).collect())
    }
}

/// Redacted like [`Value`]: a time can be data.
impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Time(..)")
    }
}

/// Never shows contents: template data is secret (STYLE.md, secret hygiene). Only the kind and
/// size are printed.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nil => f.write_str("Nil"),
            Self::Bool(_) => f.write_str("Bool(..)"),
            Self::Int(_) => f.write_str("Int(..)"),
            Self::Int64(_) => f.write_str("Int64(..)"),
            Self::Float(_) => f.write_str("Float(..)"),
            Self::String(s) => write!(f, "String(<{} bytes>)", s.len()),
            Self::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
            Self::List(l) => write!(f, "List(<{} items>)", l.len()),
            Self::Map(m) => write!(f, "Map(<{} keys>)", m.len()),
            Self::Time(_) => f.write_str("Time(..)"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}
