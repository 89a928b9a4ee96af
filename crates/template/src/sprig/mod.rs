//! The Sprig v3.3 function library (Masterminds/sprig), as ExternalSecret (engine v2) and
//! SealedSecret templates see it, plus ESO's `toYaml`/`fromYaml`.
//!
//! Left out on purpose: `env`, `expandenv`, `getHostByName` (removed upstream by ESO and Sealed
//! Secrets), and the crypto family (`bcrypt`, `htpasswd`, `genPrivateKey`, `genCA`, ...), which
//! lives elsewhere.
//!
//! Argument handling follows Go's `text/template` calling rules for Sprig's Go signatures: a
//! `string` parameter accepts only a string; an `int` parameter accepts any integer (Go would
//! also accept only an untyped literal or an exact `int`, but the engine no longer knows which
//! integers were literals); `interface{}` parameters accept anything. Errors name the function
//! and the problem, never the argument values.
//!
//! Times are [`Value::Time`] (Go's `time.Time`); see [`dates`].

pub mod dates;
pub mod defaults;
pub mod dicts;
pub mod encoding;
pub mod lists;
pub mod math;
mod semver;
pub mod strings;
pub(crate) mod yaml;

use crate::func::{FuncError, Function};
use crate::value::Value;

/// Every function of this library, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    let mut all = Vec::new();
    all.extend(strings::functions());
    all.extend(lists::functions());
    all.extend(dicts::functions());
    all.extend(defaults::functions());
    all.extend(math::functions());
    all.extend(encoding::functions());
    all.extend(dates::functions());
    all
}

/// Fails unless exactly `n` arguments were given (Go checks the count before calling).
pub(crate) fn arity(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(FuncError::new(name, format!("wrong number of args: want {n} got {}", args.len())))
    }
}

/// Fails unless at least `n` arguments were given (variadic Go functions).
pub(crate) fn arity_min(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() >= n {
        Ok(())
    } else {
        Err(FuncError::new(name, format!("wrong number of args: want at least {n} got {}", args.len())))
    }
}

pub(crate) fn wrong_type(name: &str, expected: &str, got: &Value) -> FuncError {
    match got {
        Value::Nil => FuncError::new(name, format!("invalid value; expected {expected}")),
        other => FuncError::new(name, format!("wrong type for value; expected {expected}; got {}", other.type_name())),
    }
}

/// A Go `string` parameter.
pub(crate) fn arg_str<'a>(name: &str, v: &'a Value) -> Result<&'a str, FuncError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(name, "string", other)),
    }
}

/// A Go `int` parameter (any integer kind accepted, see the module documentation).
pub(crate) fn arg_int(name: &str, v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i) | Value::Int64(i) => Ok(*i),
        other => Err(wrong_type(name, "int", other)),
    }
}

/// A Go `bool` parameter.
pub(crate) fn arg_bool(name: &str, v: &Value) -> Result<bool, FuncError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type(name, "bool", other)),
    }
}

/// A Go `map[string]interface{}` parameter.
pub(crate) fn arg_map<'a>(
    name: &str,
    v: &'a Value,
) -> Result<&'a std::collections::BTreeMap<String, Value>, FuncError> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(wrong_type(name, "map[string]interface {}", other)),
    }
}

/// Sprig's `strval`: strings and byte strings as they are, everything else as Go's `%v`.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => fmt_v(other),
    }
}

/// Go's `fmt.Sprintf("%v", v)` for template values (the engine's own formatter).
pub(crate) fn fmt_v(v: &Value) -> String {
    crate::format::sprintf("%v", std::slice::from_ref(v))
}

/// The shortest round-trip decimal digits of a finite, non-zero float and its decimal exponent:
/// `("15", 2)` is 1.5e2.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest round-trip digits, like Go's precision -1.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Go's `strconv.FormatFloat(f, 'e', -1, 64)`-or-`'f'` choice made by a predicate on the decimal
/// exponent (`encoding/json`'s choice).
pub(crate) fn go_float_shortest(f: f64, use_exp: impl Fn(i32, usize) -> bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    let (digits, exp) = shortest_digits(f);
    if use_exp(exp, digits.len()) {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() { first.to_string() } else { format!("{first}.{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    } else if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            let (a, b) = digits.split_at(int_len);
            format!("{sign}{a}.{b}")
        }
    }
}

/// Sprig's `empty`: Go's zero value test.
pub(crate) fn is_empty(v: &Value) -> bool {
    !v.truthy()
}

/// Fails when a result would exceed the render's size limit.
pub(crate) fn check_size(name: &str, env: &crate::func::FuncEnv, bytes: usize) -> Result<(), FuncError> {
    if bytes > env.max_bytes {
        Err(FuncError::new(name, format!("result would exceed the limit of {} bytes", env.max_bytes)))
    } else {
        Ok(())
    }
}

/// A list of strings as a template value.
pub(crate) fn string_list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
    Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go_percent_v() {
        assert_eq!(fmt_v(&Value::Float(1.0)), "1");
        assert_eq!(fmt_v(&Value::Float(1.5)), "1.5");
        assert_eq!(fmt_v(&Value::Float(123456.0)), "123456");
        assert_eq!(fmt_v(&Value::Float(1234567.0)), "1.234567e+06");
        assert_eq!(fmt_v(&Value::Float(0.0001)), "0.0001");
        assert_eq!(fmt_v(&Value::Float(0.00001)), "1e-05");
        assert_eq!(fmt_v(&Value::Float(-2.5)), "-2.5");
        assert_eq!(fmt_v(&Value::Float(1e21)), "1e+21");
    }

    #[test]
    fn maps_and_lists_print_like_go_percent_v() {
        let v = Value::List(vec![Value::Int(1), "a".into(), Value::Nil]);
        assert_eq!(fmt_v(&v), "[1 a <nil>]");
        let m = Value::string_map([("b", "2"), ("a", "1")]);
        assert_eq!(fmt_v(&m), "map[a:1 b:2]");
    }

    #[test]
    fn function_names_are_unique() {
        let mut names: Vec<&str> = functions().into_iter().map(|(n, _)| n).collect();
        let before = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn excluded_functions_are_absent() {
        let names: Vec<&str> = functions().into_iter().map(|(n, _)| n).collect();
        for banned in ["env", "expandenv", "getHostByName"] {
            assert!(!names.contains(&banned), "{banned}");
        }
    }
}
