//! Defaults and flow control, JSON, and reflection.
//!
//! JSON output is Go's `encoding/json`: map keys sorted, `<`, `>` and `&` escaped as `\u003c`
//! and friends except in `toRawJson`, U+2028/U+2029 always escaped, floats in the shortest
//! form (`1` for 1.0, exponent form below 1e-6 and from 1e21 on), byte strings as base64.
//! Parsed JSON numbers are `float64`, as Go decodes them into `interface{}`.

use super::{arg_bool, arg_str, arity, arity_min, go_float_shortest, is_empty};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;
use std::collections::BTreeMap;

/// The defaults, JSON and reflection functions, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("default", default),
        ("empty", empty),
        ("coalesce", coalesce),
        ("all", all),
        ("any", any),
        ("ternary", ternary),
        ("fail", fail),
        ("toJson", to_json),
        ("mustToJson", must_to_json),
        ("toPrettyJson", to_pretty_json),
        ("mustToPrettyJson", must_to_pretty_json),
        ("toRawJson", to_raw_json),
        ("mustToRawJson", must_to_raw_json),
        ("fromJson", from_json),
        ("mustFromJson", must_from_json),
        ("typeOf", type_of),
        ("typeIs", type_is),
        ("typeIsLike", type_is_like),
        ("kindOf", kind_of),
        ("kindIs", kind_is),
        ("deepEqual", deep_equal),
    ]
}

fn default(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("default", args, 1)?;
    match args.get(1) {
        Some(given) if !is_empty(given) => Ok(given.clone()),
        _ => Ok(args[0].clone()),
    }
}

fn empty(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("empty", args, 1)?;
    Ok(Value::Bool(is_empty(&args[0])))
}

fn coalesce(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(args.iter().find(|v| !is_empty(v)).cloned().unwrap_or(Value::Nil))
}

fn all(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(args.iter().all(|v| !is_empty(v))))
}

fn any(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(args.iter().any(|v| !is_empty(v))))
}

fn ternary(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("ternary", args, 3)?;
    Ok(if arg_bool("ternary", &args[2])? { args[0].clone() } else { args[1].clone() })
}

/// `fail` is the one error that carries its argument: the template author's own message.
fn fail(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("fail", args, 1)?;
    Err(FuncError::new("fail", arg_str("fail", &args[0])?))
}

// ---------------------------------------------------------------------------------------------
// JSON.

/// Why a value cannot be encoded: the text after `json: ` in Go's error
/// (`unsupported value: NaN`).
#[derive(Debug)]
struct Unsupported(String);

/// Go's JSON string escaping.
pub(crate) fn json_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `encoding/json` float format.
pub(crate) fn json_float(f: f64) -> String {
    let abs = f.abs();
    let s = go_float_shortest(f, |exp, _| abs != 0.0 && (abs < 1e-6 || exp >= 21));
    // Go writes `1e-07` as `1e-7`.
    match s.find("e-0") {
        Some(i) if s.len() == i + 4 => format!("{}e-{}", &s[..i], &s[i + 3..]),
        _ => s,
    }
}

fn encode_json(out: &mut String, v: &Value, escape_html: bool, indent: Option<usize>) -> Result<(), Unsupported> {
    let newline = |out: &mut String, level: usize| {
        if indent.is_some() {
            out.push('\n');
            out.push_str(&"  ".repeat(level));
        }
    };
    let level = indent.unwrap_or(0);
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                let what = match (f.is_nan(), *f > 0.0) {
                    (true, _) => "NaN",
                    (false, true) => "+Inf",
                    (false, false) => "-Inf",
                };
                return Err(Unsupported(format!("unsupported value: {what}")));
            }
            out.push_str(&json_float(*f));
        }
        Value::String(s) => json_string(out, s, escape_html),
        Value::Bytes(b) => json_string(out, &super::encoding::base64_std(b), escape_html),
        // `time.Time` marshals itself: RFC 3339 with nanoseconds, in quotes.
        Value::Time(t) => match super::dates::time_json(t) {
            Ok(s) => json_string(out, &s, escape_html),
            Err(why) => return Err(Unsupported(format!("error calling MarshalJSON for type time.Time: {why}"))),
        },
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                encode_json(out, item, escape_html, indent.map(|n| n + 1))?;
            }
            newline(out, level);
            out.push(']');
        }
        Value::Map(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                json_string(out, k, escape_html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                encode_json(out, item, escape_html, indent.map(|n| n + 1))?;
            }
            newline(out, level);
            out.push('}');
        }
    }
    Ok(())
}

fn json_impl(name: &str, args: &[Value], escape_html: bool, pretty: bool, must: bool) -> Result<Value, FuncError> {
    arity(name, args, 1)?;
    let mut out = String::new();
    match encode_json(&mut out, &args[0], escape_html, pretty.then_some(0)) {
        Ok(()) => Ok(Value::String(out)),
        Err(Unsupported(what)) if must => Err(FuncError::new(name, format!("json: {what}"))),
        Err(_) => Ok(Value::String(String::new())),
    }
}

fn to_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    json_impl("toJson", args, true, false, false)
}

fn must_to_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    json_impl("mustToJson", args, true, false, true)
}

fn to_pretty_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    json_impl("toPrettyJson", args, true, true, false)
}

fn must_to_pretty_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    json_impl("mustToPrettyJson", args, true, true, true)
}

fn to_raw_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    json_impl("toRawJson", args, false, false, false)
}

fn must_to_raw_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    json_impl("mustToRawJson", args, false, false, true)
}

/// A parsed JSON document as a template value (numbers become `float64`).
pub(crate) fn from_serde_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::List(a.into_iter().map(from_serde_json).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.into_iter().map(|(k, v)| (k, from_serde_json(v))).collect::<BTreeMap<_, _>>())
        }
    }
}

fn parse_json(name: &str, args: &[Value]) -> Result<Result<Value, FuncError>, FuncError> {
    arity(name, args, 1)?;
    let text = arg_str(name, &args[0])?;
    Ok(serde_json::from_str::<serde_json::Value>(text)
        .map(from_serde_json)
        .map_err(|e| FuncError::new(name, format!("invalid JSON at line {} column {}", e.line(), e.column()))))
}

fn from_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(parse_json("fromJson", args)?.unwrap_or(Value::Nil))
}

fn must_from_json(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    parse_json("mustFromJson", args)?
}

// ---------------------------------------------------------------------------------------------
// Reflection.

fn type_of(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("typeOf", args, 1)?;
    Ok(Value::String(args[0].type_name().into()))
}

fn type_is(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("typeIs", args, 2)?;
    Ok(Value::Bool(arg_str("typeIs", &args[0])? == args[1].type_name()))
}

fn type_is_like(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("typeIsLike", args, 2)?;
    let target = arg_str("typeIsLike", &args[0])?;
    let t = args[1].type_name();
    // Sprig: `target == t || "*"+target == t`.
    Ok(Value::Bool(target == t || t.strip_prefix('*') == Some(target)))
}

fn kind_of(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("kindOf", args, 1)?;
    Ok(Value::String(super::lists::kind_name(&args[0]).into()))
}

fn kind_is(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("kindIs", args, 2)?;
    Ok(Value::Bool(arg_str("kindIs", &args[0])? == super::lists::kind_name(&args[1])))
}

fn deep_equal(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("deepEqual", args, 2)?;
    Ok(Value::Bool(args[0] == args[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
    }

    #[test]
    fn to_json_escapes_html_and_raw_json_does_not() {
        let v = Value::from("<a&b>");
        assert_eq!(call(to_json, std::slice::from_ref(&v)), Ok(Value::from("\"\\u003ca\\u0026b\\u003e\"")));
        assert_eq!(call(to_raw_json, &[v]), Ok(Value::from("\"<a&b>\"")));
    }

    #[test]
    fn json_floats_are_formatted_like_go() {
        assert_eq!(json_float(1.0), "1");
        assert_eq!(json_float(0.1), "0.1");
        assert_eq!(json_float(1e21), "1e+21");
        assert_eq!(json_float(1e20), "100000000000000000000");
        assert_eq!(json_float(1e-7), "1e-7");
        assert_eq!(json_float(0.000001), "0.000001");
        assert_eq!(json_float(1.5e-10), "1.5e-10");
    }

    #[test]
    fn pretty_json_indents_with_two_spaces_and_keeps_empty_containers_compact() {
        let v = Value::Map(BTreeMap::from([
            ("a".into(), Value::List(vec![Value::Int(1), Value::Int(2)])),
            ("b".into(), Value::Map(BTreeMap::new())),
        ]));
        let want = "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}";
        assert_eq!(call(to_pretty_json, &[v]), Ok(Value::from(want)));
    }

    #[test]
    fn to_json_of_nan_is_empty_and_must_to_json_fails() {
        assert_eq!(call(to_json, &[Value::Float(f64::NAN)]), Ok(Value::from("")));
        assert!(call(must_to_json, &[Value::Float(f64::NAN)]).is_err());
    }

    #[test]
    fn from_json_numbers_are_floats() {
        let v = call(from_json, &[Value::from("{\"a\":1,\"b\":[true,null]}")]).unwrap();
        let want = Value::Map(BTreeMap::from([
            ("a".into(), Value::Float(1.0)),
            ("b".into(), Value::List(vec![Value::Bool(true), Value::Nil])),
        ]));
        assert_eq!(v, want);
        assert_eq!(call(from_json, &[Value::from("{")]), Ok(Value::Nil));
        assert!(call(must_from_json, &[Value::from("{")]).is_err());
    }
}
