//! Go's predefined template functions that need no evaluator: `len`, `index`, `slice`, the
//! `print` family, the escapers, comparisons, `not` and `call`. (`and` and `or` short-circuit, so
//! the executor evaluates them.) Messages follow Go's wording and never include data values.

use std::fmt::Write as _;

use crate::format;
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;

/// The pure Go builtins, by name.
pub(crate) fn all() -> Vec<(&'static str, Function)> {
    vec![
        ("call", call),
        ("eq", eq),
        ("ge", ge),
        ("gt", gt),
        ("html", html),
        ("index", index),
        ("js", js),
        ("le", le),
        ("len", len),
        ("lt", lt),
        ("ne", ne),
        ("not", not),
        ("print", print),
        ("printf", printf),
        ("println", println),
        ("slice", slice),
        ("urlquery", urlquery),
    ]
}

fn arity(name: &str, args: &[Value], want: usize) -> Result<(), FuncError> {
    if args.len() != want {
        return Err(FuncError(format!("wrong number of args for {name}: want {want} got {}", args.len())));
    }
    Ok(())
}

fn limited(name: &str, env: &FuncEnv, s: String) -> Result<Value, FuncError> {
    if s.len() > env.max_bytes {
        return Err(FuncError::new(name, "result exceeds the size limit"));
    }
    Ok(Value::String(s))
}

fn len(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("len", args, 1)?;
    let n = match &args[0] {
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::Nil => return Err(FuncError::new("len", "len of nil pointer")),
        other => return Err(FuncError::new("len", format!("len of type {}", other.type_name()))),
    };
    Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Go's `indexArg`: an integer index in `0..=cap`.
fn index_arg(name: &str, v: &Value, cap: usize) -> Result<usize, FuncError> {
    let x = match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Nil => return Err(FuncError::new(name, "cannot index slice/array with nil")),
        other => {
            return Err(FuncError::new(name, format!("cannot index slice/array with type {}", other.type_name())));
        }
    };
    match usize::try_from(x) {
        Ok(u) if u <= cap => Ok(u),
        _ => Err(FuncError::new(name, format!("index out of range: {x}"))),
    }
}

/// The zero value of a `map[string]string` element.
static EMPTY_STRING: Value = Value::String(String::new());

fn index(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let Some((item, idx)) = args.split_first() else {
        return Err(FuncError("wrong number of args for index: want at least 1 got 0".to_string()));
    };
    if matches!(item, Value::Nil) {
        return Err(FuncError::new("index", "index of untyped nil"));
    }
    let mut cur = item;
    let mut byte_holder;
    for i in idx {
        match cur {
            Value::Nil => return Err(FuncError::new("index", "index of nil pointer")),
            Value::List(l) => {
                let x = index_arg("index", i, l.len())?;
                cur = l.get(x).ok_or_else(|| FuncError::new("index", "reflect: slice index out of range"))?;
            }
            Value::String(_) | Value::Bytes(_) => {
                let b = match cur {
                    Value::String(s) => s.as_bytes(),
                    Value::Bytes(b) => b.as_slice(),
                    _ => &[],
                };
                let x = index_arg("index", i, b.len())?;
                let byte = b.get(x).ok_or_else(|| FuncError::new("index", "reflect: string index out of range"))?;
                byte_holder = Value::Int(i64::from(*byte));
                cur = &byte_holder;
            }
            Value::Map(m) => {
                let key = match i {
                    Value::String(s) => s,
                    Value::Nil => return Err(FuncError::new("index", "value is nil; should be of type string")),
                    other => {
                        return Err(FuncError::new(
                            "index",
                            format!("value has type {}; should be string", other.type_name()),
                        ));
                    }
                };
                cur = m.get(key).unwrap_or(if env.string_maps { &EMPTY_STRING } else { &Value::Nil });
            }
            other => return Err(FuncError::new("index", format!("can't index item of type {}", other.type_name()))),
        }
    }
    Ok(cur.clone())
}

fn slice(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let Some((item, idx)) = args.split_first() else {
        return Err(FuncError("wrong number of args for slice: want at least 1 got 0".to_string()));
    };
    if matches!(item, Value::Nil) {
        return Err(FuncError::new("slice", "slice of untyped nil"));
    }
    if idx.len() > 3 {
        return Err(FuncError::new("slice", format!("too many slice indexes: {}", idx.len())));
    }
    let len = match item {
        Value::String(s) => {
            if idx.len() == 3 {
                return Err(FuncError::new("slice", "cannot 3-index slice a string"));
            }
            s.len()
        }
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        other => return Err(FuncError::new("slice", format!("can't slice item of type {}", other.type_name()))),
    };
    let mut bounds = [0, len, len];
    for (k, i) in idx.iter().enumerate() {
        bounds[k] = index_arg("slice", i, len)?;
    }
    if bounds[0] > bounds[1] {
        return Err(FuncError::new("slice", format!("invalid slice index: {} > {}", bounds[0], bounds[1])));
    }
    if idx.len() == 3 && bounds[1] > bounds[2] {
        return Err(FuncError::new("slice", format!("invalid slice index: {} > {}", bounds[1], bounds[2])));
    }
    let (a, b) = (bounds[0], bounds[1]);
    Ok(match item {
        Value::String(s) => Value::String(String::from_utf8_lossy(&s.as_bytes()[a..b]).into_owned()),
        Value::Bytes(v) => Value::Bytes(v[a..b].to_vec()),
        Value::List(l) => Value::List(l[a..b].to_vec()),
        _ => Value::Nil,
    })
}

fn print(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    limited("print", env, format::sprint(args))
}

fn println(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    limited("println", env, format::sprintln(args))
}

fn printf(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let Some((fmt, rest)) = args.split_first() else {
        return Err(FuncError("wrong number of args for printf: want at least 1 got 0".to_string()));
    };
    let Value::String(fmt) = fmt else {
        return Err(FuncError(format!("wrong type for value; expected string; got {}", fmt.type_name())));
    };
    // Bound what a width or precision can blow up to before formatting.
    let s = format::sprintf(fmt, rest);
    limited("printf", env, s)
}

/// Go's `evalArgs`: a lone string as is, otherwise `fmt.Sprint` with nil printed as
/// `<no value>`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.clone();
    }
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        // printableValue turns nil into the string "<no value>".
        let is_string = matches!(a, Value::String(_) | Value::Nil);
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        match a {
            Value::Nil => out.push_str("<no value>"),
            _ => out.push_str(&format::sprint(std::slice::from_ref(a))),
        }
        prev_string = is_string;
    }
    out
}

fn html(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let s = eval_args(args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    limited("html", env, out)
}

fn js(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let s = eval_args(args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if !c.is_ascii() && (c.is_control() || c == '\u{FFFD}') => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    limited("js", env, out)
}

fn urlquery(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let s = eval_args(args);
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    limited("urlquery", env, out)
}

fn not(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("not", args, 1)?;
    Ok(Value::Bool(!args[0].truthy()))
}

fn call(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    match args.first() {
        None => Err(FuncError("wrong number of args for call: want at least 1 got 0".to_string())),
        Some(Value::Nil) => Err(FuncError::new("call", "call of nil")),
        // The data model has no function values.
        Some(other) => Err(FuncError::new("call", format!("non-function of type {}", other.type_name()))),
    }
}

/// Go's `basicKind` classes.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Float,
    String,
    /// nil: compares only with `eq`/`ne`.
    Invalid,
    /// Lists, maps, byte slices: not comparable.
    Other,
    /// `time.Time`: not a basic kind, but comparable with `==` (`eq`, `ne` only).
    Struct,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        Value::Nil => Kind::Invalid,
        Value::Time(_) => Kind::Struct,
        _ => Kind::Other,
    }
}

const BAD_TYPE: &str = "invalid type for comparison";
const INCOMPATIBLE: &str = "incompatible types for comparison";

fn eq_pair(name: &str, a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (ka, kb) = (kind(a), kind(b));
    if ka == Kind::Other {
        return Err(FuncError::new(name, BAD_TYPE));
    }
    // Go: a struct and nil are unequal; two structs compare with `==`, which for times means
    // the same instant, zone and monotonic reading; a struct and a slice or map are not
    // comparable; a struct and a basic value are incompatible.
    if ka == Kind::Struct || kb == Kind::Struct {
        return match (ka, kb) {
            (Kind::Struct, Kind::Struct) => Ok(a == b),
            (Kind::Invalid, _) | (_, Kind::Invalid) => Ok(false),
            (_, Kind::Other) => {
                Err(FuncError::new(name, format!("non-comparable types {}, {}", a.type_name(), b.type_name())))
            }
            _ => Err(FuncError::new(name, INCOMPATIBLE)),
        };
    }
    if ka != kb {
        if ka != Kind::Invalid && kb != Kind::Invalid {
            return Err(FuncError::new(name, INCOMPATIBLE));
        }
        return Ok(false);
    }
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Nil, Value::Nil) => true,
        _ => false,
    })
}

fn eq(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let Some((a, rest)) = args.split_first() else {
        return Err(FuncError("wrong number of args for eq: want at least 1 got 0".to_string()));
    };
    if rest.is_empty() {
        return Err(FuncError::new("eq", "missing argument for comparison"));
    }
    for b in rest {
        if eq_pair("eq", a, b)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn ne(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("ne", args, 2)?;
    Ok(Value::Bool(!eq_pair("ne", &args[0], &args[1])?))
}

fn lt_pair(name: &str, a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (ka, kb) = (kind(a), kind(b));
    if matches!(ka, Kind::Invalid | Kind::Other) || matches!(kb, Kind::Invalid | Kind::Other) {
        return Err(FuncError::new(name, BAD_TYPE));
    }
    if ka != kb {
        return Err(FuncError::new(name, INCOMPATIBLE));
    }
    match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => Ok(x < y),
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        (Value::String(x), Value::String(y)) => Ok(x < y),
        _ => Err(FuncError::new(name, BAD_TYPE)),
    }
}

fn lt(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("lt", args, 2)?;
    Ok(Value::Bool(lt_pair("lt", &args[0], &args[1])?))
}

fn le_pair(name: &str, a: &Value, b: &Value) -> Result<bool, FuncError> {
    if lt_pair(name, a, b)? {
        return Ok(true);
    }
    eq_pair(name, a, b)
}

fn le(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("le", args, 2)?;
    Ok(Value::Bool(le_pair("le", &args[0], &args[1])?))
}

fn gt(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("gt", args, 2)?;
    Ok(Value::Bool(!le_pair("gt", &args[0], &args[1])?))
}

fn ge(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("ge", args, 2)?;
    Ok(Value::Bool(!lt_pair("ge", &args[0], &args[1])?))
}
