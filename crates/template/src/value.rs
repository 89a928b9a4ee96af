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
        }
    }

    /// A map of strings: the root object ExternalSecret and SealedSecret templates receive.
    pub fn string_map<K: Into<String>, V: Into<String>>(entries: impl IntoIterator<Item = (K, V)>) -> Self {
        Self::Map(entries.into_iter().map(|(k, v)| (k.into(), Self::String(v.into()))).collect())
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
