//! `semver` and `semverCompare` (Masterminds/semver v3).
//!
//! `semver` returns a dict with `Major`, `Minor`, `Patch` (int64), `Prerelease`, `Metadata` and
//! `Original`, so `(semver "1.2.3").Major` works as a key lookup; Go returns a struct pointer
//! whose methods (`.Compare`, `.IncMajor`) are not available here.
//!
//! Constraints: `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards (`1.2.x`, `*`), hyphen
//! ranges (`1.2 - 1.4.5`), `,` or space for AND and `||` for OR. A pre-release version only
//! satisfies a constraint that itself names a pre-release.

use super::{arg_str, arity};
use crate::func::{FuncEnv, FuncError};
use crate::value::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    meta: String,
}

fn parse_version(s: &str) -> Option<Version> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let (s, meta) = match s.split_once('+') {
        Some((a, m)) => (a, m.to_string()),
        None => (s, String::new()),
    };
    let (core, pre) = match s.split_once('-') {
        Some((a, p)) => (a, p.to_string()),
        None => (s, String::new()),
    };
    let valid_ids = |x: &str| {
        x.is_empty() || x.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    if !valid_ids(&pre) || !valid_ids(&meta) {
        return None;
    }
    let mut nums = core.split('.');
    let mut num = |required: bool| -> Option<u64> {
        match nums.next() {
            Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
                if n.len() > 1 && n.starts_with('0') {
                    return None;
                }
                n.parse().ok()
            }
            None if !required => Some(0),
            _ => None,
        }
    };
    let major = num(true)?;
    let minor = num(false)?;
    let patch = num(false)?;
    if nums.next().is_some() {
        return None;
    }
    Some(Version { major, minor, patch, pre, meta })
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (mut ia, mut ib) = (a.split('.'), b.split('.'));
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

fn cmp(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch).cmp(&(b.major, b.minor, b.patch)).then_with(|| cmp_pre(&a.pre, &b.pre))
}

/// A constraint version with wildcards: how many leading parts were given.
struct Partial {
    v: Version,
    /// 0 for `*`, 1 for `1`/`1.x`, 2 for `1.2`/`1.2.x`, 3 for `1.2.3`.
    given: u8,
}

fn parse_partial(s: &str) -> Option<Partial> {
    let s = s.strip_prefix('v').unwrap_or(s);
    if matches!(s, "*" | "x" | "X" | "") {
        return Some(Partial {
            v: Version { major: 0, minor: 0, patch: 0, pre: String::new(), meta: String::new() },
            given: 0,
        });
    }
    let (core, tail) = match s.find(['-', '+']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let given = parts.iter().take_while(|p| !matches!(**p, "x" | "X" | "*")).count().min(3) as u8;
    let mut filled: Vec<&str> = parts.iter().take(given as usize).copied().collect();
    while filled.len() < 3 {
        filled.push("0");
    }
    let v = parse_version(&format!("{}{}", filled.join("."), tail))?;
    Some(Partial { v, given })
}

fn bump(v: &Version, part: u8) -> Version {
    let mut n = Version { major: v.major, minor: v.minor, patch: v.patch, pre: String::new(), meta: String::new() };
    match part {
        0 => {
            n.major += 1;
            n.minor = 0;
            n.patch = 0;
        }
        1 => {
            n.minor += 1;
            n.patch = 0;
        }
        _ => n.patch += 1,
    }
    n
}

/// One term: does `v` satisfy `op partial`?
fn check_term(op: &str, p: &Partial, v: &Version) -> bool {
    if !v.pre.is_empty() && p.v.pre.is_empty() {
        return false;
    }
    let lo = &p.v;
    let wildcard = p.given < 3;
    match op {
        "" | "=" => {
            if p.given == 0 {
                return true;
            }
            if wildcard {
                cmp(v, lo) != Ordering::Less && cmp(v, &bump(lo, p.given - 1)) == Ordering::Less
            } else {
                cmp(v, lo) == Ordering::Equal
            }
        }
        "!=" => {
            if wildcard {
                p.given != 0 && !(cmp(v, lo) != Ordering::Less && cmp(v, &bump(lo, p.given - 1)) == Ordering::Less)
            } else {
                cmp(v, lo) != Ordering::Equal
            }
        }
        ">" => {
            if p.given == 0 {
                false
            } else if wildcard {
                cmp(v, &bump(lo, p.given - 1)) != Ordering::Less
            } else {
                cmp(v, lo) == Ordering::Greater
            }
        }
        ">=" | "=>" => cmp(v, lo) != Ordering::Less,
        "<" => p.given != 0 && cmp(v, lo) == Ordering::Less,
        "<=" | "=<" => {
            if p.given == 0 {
                true
            } else if wildcard {
                cmp(v, &bump(lo, p.given - 1)) == Ordering::Less
            } else {
                cmp(v, lo) != Ordering::Greater
            }
        }
        "~" | "~>" => {
            let hi = if p.given <= 1 { bump(lo, 0) } else { bump(lo, 1) };
            cmp(v, lo) != Ordering::Less && cmp(v, &hi) == Ordering::Less
        }
        "^" => {
            let hi = if lo.major > 0 || p.given <= 1 {
                bump(lo, 0)
            } else if lo.minor > 0 || p.given == 2 {
                bump(lo, 1)
            } else {
                bump(lo, 2)
            };
            cmp(v, lo) != Ordering::Less && cmp(v, &hi) == Ordering::Less
        }
        _ => false,
    }
}

fn split_op(term: &str) -> (&str, &str) {
    for op in ["!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^"] {
        if let Some(rest) = term.strip_prefix(op) {
            return (op, rest.trim());
        }
    }
    ("", term)
}

/// Whether `v` satisfies the whole constraint; `None` if the constraint is malformed.
fn satisfies(constraint: &str, v: &Version) -> Option<bool> {
    let mut any = false;
    for alt in constraint.split("||") {
        // Normalise "op version" spacing, then split AND terms on commas and spaces.
        let mut tokens: Vec<String> = Vec::new();
        for raw in alt.split([',', ' ']).filter(|t| !t.is_empty()) {
            match tokens.last_mut() {
                Some(last) if split_op(last).1.is_empty() && !last.is_empty() => last.push_str(raw),
                _ => tokens.push(raw.to_string()),
            }
        }
        if tokens.is_empty() {
            return None;
        }
        let mut ok = true;
        let mut i = 0;
        while i < tokens.len() {
            if tokens.get(i + 1).map(String::as_str) == Some("-") {
                let lo = parse_partial(&tokens[i])?;
                let hi = parse_partial(tokens.get(i + 2)?)?;
                ok &= check_term(">=", &lo, v) && check_term("<=", &hi, v);
                i += 3;
                continue;
            }
            let (op, ver) = split_op(&tokens[i]);
            ok &= check_term(op, &parse_partial(ver)?, v);
            i += 1;
        }
        any |= ok;
    }
    Some(any)
}

pub(crate) fn semver(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("semver", args, 1)?;
    let s = arg_str("semver", &args[0])?;
    let v = parse_version(s).ok_or_else(|| FuncError::new("semver", "Invalid Semantic Version"))?;
    let m = BTreeMap::from([
        ("Major".to_string(), Value::Int64(v.major as i64)),
        ("Minor".to_string(), Value::Int64(v.minor as i64)),
        ("Patch".to_string(), Value::Int64(v.patch as i64)),
        ("Prerelease".to_string(), Value::String(v.pre)),
        ("Metadata".to_string(), Value::String(v.meta)),
        ("Original".to_string(), Value::String(s.to_string())),
    ]);
    Ok(Value::Map(m))
}

pub(crate) fn semver_compare(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("semverCompare", args, 2)?;
    let c = arg_str("semverCompare", &args[0])?;
    let v = arg_str("semverCompare", &args[1])?;
    let v = parse_version(v).ok_or_else(|| FuncError::new("semverCompare", "Invalid Semantic Version"))?;
    let ok = satisfies(c.trim(), &v).ok_or_else(|| FuncError::new("semverCompare", "improper constraint"))?;
    Ok(Value::Bool(ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(c: &str, v: &str) -> bool {
        semver_compare(&FuncEnv::default(), &[Value::from(c), Value::from(v)]) == Ok(Value::Bool(true))
    }

    #[test]
    fn common_constraint_forms_match_masterminds_semver() {
        assert!(sat("^1.2.0", "1.2.3"));
        assert!(!sat("^1.2.0", "2.0.0"));
        assert!(sat("~1.2.0", "1.2.9"));
        assert!(!sat("~1.2.0", "1.3.0"));
        assert!(sat(">=1.2.3, <2", "1.9.0"));
        assert!(sat(">= 1.2.3 < 2", "1.9.0"));
        assert!(sat("1.2.x", "1.2.7"));
        assert!(sat("<1.0 || >=2.0", "2.1.0"));
        assert!(sat("1.2 - 1.4.5", "1.4.5"));
        assert!(!sat(">=1.0.0", "1.2.0-beta"));
        assert!(sat(">=1.0.0-0", "1.2.0-beta"));
        assert!(sat("^0.2.3", "0.2.9"));
        assert!(!sat("^0.2.3", "0.3.0"));
        assert!(sat(">1.x", "2.0.0"));
        assert!(!sat(">1.x", "1.9.0"));
    }
}
