//! Arithmetic and conversions.
//!
//! Integer arithmetic converts its operands with spf13/cast's rules (strings are parsed with
//! Go's base prefixes, floats truncate, booleans are 0/1, anything else is 0) and returns Go
//! `int64`. The `*f` functions go through shopspring/decimal as Sprig does: each operand is
//! the shortest decimal that round-trips its float, the operation is exact in decimal
//! (division rounds half away from zero at 16 decimal places) and the result is converted back
//! to the nearest float, so `addf 1.1 2.2` is 3.3, not 3.3000000000000003.

use super::{arg_int, arg_str, arity, arity_min, fmt_v};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;

/// The math functions, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("add1", add1),
        ("add", add),
        ("sub", sub),
        ("div", div),
        ("mod", modulo),
        ("mul", mul),
        ("max", max),
        ("biggest", max),
        ("min", min),
        ("add1f", add1f),
        ("addf", addf),
        ("subf", subf),
        ("mulf", mulf),
        ("divf", divf),
        ("maxf", maxf),
        ("minf", minf),
        ("ceil", ceil),
        ("floor", floor),
        ("round", round),
        ("atoi", atoi),
        ("int", int),
        ("int64", int64),
        ("float64", float64),
        ("toDecimal", to_decimal),
    ]
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`, `0o`, `0b` or a leading `0` (octal)
/// prefix; underscores only after a prefix.
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    let digits = if prefixed {
        if digits.starts_with("__") || digits.ends_with('_') || digits.contains("__") {
            return None;
        }
        digits.replace('_', "")
    } else {
        digits
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 { Some((mag as i64).wrapping_neg()) } else { None }
    } else {
        i64::try_from(mag).ok()
    }
}

/// spf13/cast's `trimZeroDecimal`: `"12.000"` becomes `"12"`.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=b.len()).rev() {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// spf13/cast `ToInt64` (errors become 0).
pub(crate) fn cast_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => go_f64_to_i64(*f),
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// Go's `int64(f)` conversion: truncation (out-of-range values are platform-defined in Go;
/// amd64 gives the minimum integer, which is what this returns).
fn go_f64_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) { i64::MIN } else { f as i64 }
}

/// Go's `strconv.ParseFloat(s, 64)`, as far as common inputs go.
fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let lower = t.to_ascii_lowercase();
    let lower_body = lower.strip_prefix('-').unwrap_or(&lower);
    if matches!(lower_body, "inf" | "infinity") {
        return Some(if lower.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    if lower_body.is_empty()
        || !lower_body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'-' | b'+'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

/// spf13/cast `ToFloat64` (errors become 0).
pub(crate) fn cast_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

fn i64v(i: i64) -> Result<Value, FuncError> {
    Ok(Value::Int64(i))
}

fn add1(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("add1", args, 1)?;
    i64v(cast_int64(&args[0]).wrapping_add(1))
}

fn add(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    i64v(args.iter().fold(0i64, |a, b| a.wrapping_add(cast_int64(b))))
}

fn sub(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("sub", args, 2)?;
    i64v(cast_int64(&args[0]).wrapping_sub(cast_int64(&args[1])))
}

fn div(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("div", args, 2)?;
    let b = cast_int64(&args[1]);
    if b == 0 {
        return Err(FuncError::new("div", "runtime error: integer divide by zero"));
    }
    i64v(cast_int64(&args[0]).wrapping_div(b))
}

fn modulo(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("mod", args, 2)?;
    let b = cast_int64(&args[1]);
    if b == 0 {
        return Err(FuncError::new("mod", "runtime error: integer divide by zero"));
    }
    i64v(cast_int64(&args[0]).wrapping_rem(b))
}

fn mul(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("mul", args, 1)?;
    i64v(args[1..].iter().fold(cast_int64(&args[0]), |a, b| a.wrapping_mul(cast_int64(b))))
}

fn max(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("max", args, 1)?;
    i64v(args.iter().map(cast_int64).max().unwrap_or(0))
}

fn min(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("min", args, 1)?;
    i64v(args.iter().map(cast_int64).min().unwrap_or(0))
}

/// A decimal `mantissa × 10^exp`, as shopspring/decimal holds it.
#[derive(Clone, Copy)]
struct Decimal {
    mantissa: i128,
    exp: i32,
}

impl Decimal {
    fn from_f64(f: f64) -> Option<Self> {
        if !f.is_finite() {
            return None;
        }
        if f == 0.0 {
            return Some(Self { mantissa: 0, exp: 0 });
        }
        let s = format!("{:e}", f);
        let (mant, e) = s.split_once('e')?;
        let e: i32 = e.parse().ok()?;
        let neg = mant.starts_with('-');
        let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        let m: i128 = digits.parse().ok()?;
        Some(Self { mantissa: if neg { -m } else { m }, exp: e - (digits.len() as i32 - 1) })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mantissa, self.exp).parse().unwrap_or(f64::NAN)
    }

    fn pow10(n: u32) -> Option<i128> {
        10i128.checked_pow(n)
    }

    /// Both at the smaller exponent.
    fn align(a: Self, b: Self) -> Option<(i128, i128, i32)> {
        let exp = a.exp.min(b.exp);
        let am = a.mantissa.checked_mul(Self::pow10((a.exp - exp) as u32)?)?;
        let bm = b.mantissa.checked_mul(Self::pow10((b.exp - exp) as u32)?)?;
        Some((am, bm, exp))
    }

    fn add(a: Self, b: Self) -> Option<Self> {
        let (am, bm, exp) = Self::align(a, b)?;
        Some(Self { mantissa: am.checked_add(bm)?, exp })
    }

    fn sub(a: Self, b: Self) -> Option<Self> {
        let (am, bm, exp) = Self::align(a, b)?;
        Some(Self { mantissa: am.checked_sub(bm)?, exp })
    }

    fn mul(a: Self, b: Self) -> Option<Self> {
        Some(Self { mantissa: a.mantissa.checked_mul(b.mantissa)?, exp: a.exp.checked_add(b.exp)? })
    }

    /// Division rounded half away from zero to 16 decimal places.
    fn div(a: Self, b: Self) -> Option<Self> {
        if b.mantissa == 0 {
            return None;
        }
        // a/b = (am / bm) × 10^(ae - be); scale so the quotient has 17 places, then round one.
        let shift = a.exp - b.exp + 17;
        let (num, den) = if shift >= 0 {
            (a.mantissa.checked_mul(Self::pow10(shift as u32)?)?, b.mantissa)
        } else {
            (a.mantissa, b.mantissa.checked_mul(Self::pow10((-shift) as u32)?)?)
        };
        let q = num / den;
        let last = q % 10;
        let mut rounded = q / 10;
        if last.abs() >= 5 {
            rounded += q.signum();
        }
        Some(Self { mantissa: rounded, exp: -16 })
    }
}

type DecOp = fn(Decimal, Decimal) -> Option<Decimal>;

fn decimal_op(
    name: &str,
    first: &Value,
    rest: &[Value],
    op: DecOp,
    float_op: fn(f64, f64) -> f64,
) -> Result<Value, FuncError> {
    let mut acc_f = cast_float64(first);
    let mut acc =
        Decimal::from_f64(acc_f).ok_or_else(|| FuncError::new(name, "cannot represent a non-finite number"))?;
    let mut exact = true;
    for x in rest {
        let xf = cast_float64(x);
        let dx = Decimal::from_f64(xf).ok_or_else(|| FuncError::new(name, "cannot represent a non-finite number"))?;
        if exact {
            match op(acc, dx) {
                Some(d) => acc = d,
                None if name == "divf" && dx.mantissa == 0 => {
                    return Err(FuncError::new(name, "decimal division by 0"));
                }
                None => {
                    exact = false;
                    acc_f = acc.to_f64();
                }
            }
        }
        if !exact {
            acc_f = float_op(acc_f, xf);
        }
    }
    Ok(Value::Float(if exact { acc.to_f64() } else { acc_f }))
}

fn add1f(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("add1f", args, 1)?;
    decimal_op("add1f", &args[0], &[Value::Int(1)], Decimal::add, |a, b| a + b)
}

fn addf(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    decimal_op("addf", &Value::Float(0.0), args, Decimal::add, |a, b| a + b)
}

fn subf(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("subf", args, 1)?;
    decimal_op("subf", &args[0], &args[1..], Decimal::sub, |a, b| a - b)
}

fn mulf(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("mulf", args, 1)?;
    decimal_op("mulf", &args[0], &args[1..], Decimal::mul, |a, b| a * b)
}

fn divf(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("divf", args, 1)?;
    decimal_op("divf", &args[0], &args[1..], Decimal::div, |a, b| a / b)
}

/// Go's `math.Max`/`math.Min`: NaN wins; +0 beats -0 for max.
fn maxf(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("maxf", args, 1)?;
    let mut a = cast_float64(&args[0]);
    for b in &args[1..] {
        let b = cast_float64(b);
        a = if a.is_nan() || b.is_nan() {
            f64::NAN
        } else if b > a || (a == 0.0 && b == 0.0 && a.is_sign_negative()) {
            b
        } else {
            a
        };
    }
    Ok(Value::Float(a))
}

fn minf(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("minf", args, 1)?;
    let mut a = cast_float64(&args[0]);
    for b in &args[1..] {
        let b = cast_float64(b);
        a = if a.is_nan() || b.is_nan() {
            f64::NAN
        } else if b < a || (a == 0.0 && b == 0.0 && b.is_sign_negative()) {
            b
        } else {
            a
        };
    }
    Ok(Value::Float(a))
}

fn ceil(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("ceil", args, 1)?;
    Ok(Value::Float(cast_float64(&args[0]).ceil()))
}

fn floor(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("floor", args, 1)?;
    Ok(Value::Float(cast_float64(&args[0]).floor()))
}

fn round(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("round", args, 2)?;
    if args.len() > 3 {
        return Err(FuncError::new("round", format!("wrong number of args: want at most 3 got {}", args.len())));
    }
    let val = cast_float64(&args[0]);
    let places = arg_int("round", &args[1])? as f64;
    let round_on = match args.get(2) {
        Some(Value::Float(f)) => *f,
        Some(Value::Int(i) | Value::Int64(i)) => *i as f64,
        Some(other) => return Err(super::wrong_type("round", "float64", other)),
        None => 0.5,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let frac = digit.fract();
    let r = if frac >= round_on { digit.ceil() } else { digit.floor() };
    Ok(Value::Float(r / pow))
}

fn atoi(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("atoi", args, 1)?;
    let s = arg_str("atoi", &args[0])?;
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok = !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit());
    Ok(Value::Int(if ok { s.parse::<i64>().unwrap_or(0) } else { 0 }))
}

fn int(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("int", args, 1)?;
    Ok(Value::Int(cast_int64(&args[0])))
}

fn int64(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("int64", args, 1)?;
    Ok(Value::Int64(cast_int64(&args[0])))
}

fn float64(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("float64", args, 1)?;
    Ok(Value::Float(cast_float64(&args[0])))
}

fn to_decimal(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("toDecimal", args, 1)?;
    let s = match &args[0] {
        Value::String(s) => s.clone(),
        other => fmt_v(other),
    };
    let body = s.strip_prefix(['+', '-']).unwrap_or(&s);
    let ok = !body.is_empty() && body.bytes().all(|c| (b'0'..=b'7').contains(&c));
    Ok(Value::Int64(if ok { i64::from_str_radix(&s, 8).unwrap_or(0) } else { 0 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
    }

    #[test]
    fn cast_parses_go_prefixes_and_zero_decimals() {
        assert_eq!(cast_int64(&"0x1F".into()), 31);
        assert_eq!(cast_int64(&"010".into()), 8);
        assert_eq!(cast_int64(&"08".into()), 0);
        assert_eq!(cast_int64(&"12.00".into()), 12);
        assert_eq!(cast_int64(&"12.5".into()), 0);
        assert_eq!(cast_int64(&Value::Float(-3.9)), -3);
        assert_eq!(cast_int64(&Value::Bool(true)), 1);
    }

    #[test]
    fn float_arithmetic_is_decimal() {
        assert_eq!(call(addf, &[Value::Float(1.1), Value::Float(2.2)]), Ok(Value::Float(3.3)));
        assert_eq!(call(subf, &[Value::Float(0.3), Value::Float(0.1)]), Ok(Value::Float(0.2)));
        assert_eq!(call(divf, &[Value::Int(1), Value::Int(3)]), Ok(Value::Float(0.3333333333333333)));
        assert_eq!(call(divf, &[Value::Int(2), Value::Int(3)]), Ok(Value::Float(0.6666666666666667)));
        assert!(call(divf, &[Value::Int(1), Value::Int(0)]).is_err());
    }

    #[test]
    fn integer_division_by_zero_fails() {
        assert!(call(div, &[Value::Int(1), Value::Int(0)]).is_err());
        assert!(call(modulo, &[Value::Int(1), Value::Int(0)]).is_err());
    }
}
