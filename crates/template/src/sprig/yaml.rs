//! ESO's `toYaml` and `fromYaml` (sigs.k8s.io/yaml, on go-yaml v2).
//!
//! `toYaml` goes through JSON as sigs.k8s.io/yaml does, so numbers print as JSON would decode
//! them (`1.0` prints `1`), byte strings as base64. The output is written by a small emitter
//! that follows go-yaml v2's choices byte for byte for block documents: keys in go-yaml's
//! natural order (`a2` before `a10`), sequences in mappings not indented, strings plain when
//! they cannot be read as anything else, double-quoted when they would be (`"true"`, `"1"`,
//! `""`), single-quoted when an indicator forbids plain style, literal (`|-`) when multi-line,
//! long plain lines folded at 80 columns. Errors give `""`; the trailing newline is trimmed.
//!
//! `fromYaml` parses with serde-saphyr and converts like sigs.k8s.io/yaml (numbers become
//! `float64`); a document that is not a mapping, or does not parse, yields a dict holding
//! only an `Error` message (serde-saphyr's wording, not go-yaml's).

use super::{arg_str, arity, defaults::json_float, go_float_shortest};
use crate::func::{FuncEnv, FuncError};
use crate::value::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;

const BEST_WIDTH: usize = 80;

/// The value as JSON-then-YAML would decode it: floats that JSON prints as integers become
/// integers, byte strings become base64 strings.
fn normalise(v: &Value) -> Result<Value, ()> {
    Ok(match v {
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(());
            }
            let text = json_float(*f);
            match text.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Float(text.parse::<f64>().map_err(|_| ())?),
            }
        }
        Value::Bytes(b) => Value::String(super::encoding::base64_std(b)),
        // ESO marshals through JSON: a time becomes its RFC 3339 string.
        Value::Time(t) => Value::String(super::dates::time_json(t).map_err(|_| ())?),
        Value::List(l) => Value::List(l.iter().map(normalise).collect::<Result<_, _>>()?),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| Ok((k.clone(), normalise(v)?))).collect::<Result<_, ()>>()?),
        other => other.clone(),
    })
}

/// go-yaml v2's key order (`keyList.Less`, with Go's wrapping `int64` digit runs): rune by rune; two letters by code point; a letter sorts after a
/// non-letter; runs of digits compare as numbers (then the shorter run first).
pub fn key_order(a: &str, b: &str) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl { Ordering::Less } else { Ordering::Greater };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Whether go-yaml v2 would read this plain scalar as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE", "n",
        "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE", ".nan", ".NaN", ".NAN", ".inf", ".Inf",
        ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let Some(first) = s.chars().next() else { return true };
    if !("+-.0123456789".contains(first)) {
        return false;
    }
    let plain = s.replace('_', "");
    if super::math::parse_go_int(&plain).is_some() || plain.parse::<u64>().is_ok() {
        return true;
    }
    let bin = plain.strip_prefix('-').unwrap_or(&plain);
    if let Some(b) = bin.strip_prefix("0b")
        && !b.is_empty()
        && b.chars().all(|c| c == '0' || c == '1')
    {
        return true;
    }
    if is_yaml_float(&plain) || is_base60_float(s) {
        return true;
    }
    is_timestamp(s)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    let mant_ok = match mant.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mant),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mant_ok && exp_ok
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (body, frac) = match s.split_once('.') {
        Some((b, f)) => (b, Some(f)),
        None => (s, None),
    };
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    let head_ok =
        head.chars().next().is_some_and(|c| c.is_ascii_digit()) && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    let rest: Vec<&str> = parts.collect();
    let rest_ok = !rest.is_empty()
        && rest.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        });
    head_ok && rest_ok && frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'))
}

/// go-yaml v2's timestamp forms: `2006-1-2`, optionally followed by `T`/`t`/space and a time.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let take_digits = |min: usize, max: usize, i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        *i - start >= min
    };
    if !(take_digits(4, 4, &mut i) && b.get(i) == Some(&b'-')) {
        return false;
    }
    i += 1;
    if !(take_digits(1, 2, &mut i) && b.get(i) == Some(&b'-')) {
        return false;
    }
    i += 1;
    if !take_digits(1, 2, &mut i) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    matches!(b[i], b'T' | b't' | b' ') && take_digits(1, 2, &mut { i + 1 }) && s[i + 1..].contains(':')
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0a
        || (0x20..=0x7e).contains(&u)
        || u == 0x85
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
        || (0x10000..=0x10ffff).contains(&u)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<&char>) -> bool {
    c.is_none_or(|c| *c == ' ' || *c == '\t' || is_break(*c))
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// libyaml's scalar analysis: which styles the text allows in block context.
struct Analysis {
    block_plain: bool,
    single: bool,
    block: bool,
    multiline: bool,
}

fn analyze(s: &str) -> Analysis {
    let chars: Vec<char> = s.chars().collect();
    let (mut block_ind, mut line_breaks, mut special) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break, mut prev_space, mut prev_break) = (false, false, false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
    }
    let mut preceded_by_ws = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = is_blank_or_end(chars.get(i + 1));
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                block_ind = true;
            }
            if (c == '?' || c == ':' || c == '-') && followed_by_ws {
                block_ind = true;
            }
        } else {
            if c == ':' && followed_by_ws {
                block_ind = true;
            }
            if c == '#' && preceded_by_ws {
                block_ind = true;
            }
        }
        if !is_printable(c) || (i == 0 && c == '\u{feff}') {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == chars.len() {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == chars.len() {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = c == ' ' || c == '\t' || is_break(c);
    }
    let mut a = Analysis { block_plain: true, single: true, block: true, multiline: line_breaks };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.block_plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks || block_ind {
        a.block_plain = false;
    }
    a
}

/// The output and the current line's column, for folding.
struct Out {
    text: String,
    column: usize,
}

impl Out {
    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn push(&mut self, c: char) {
        self.text.push(c);
        if c == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
    }

    fn indent_line(&mut self, indent: usize) {
        self.push('\n');
        self.push_str(&" ".repeat(indent));
    }
}

fn choose_style(s: &str, key: bool) -> Style {
    let mut style = if resolves_to_non_string(s) {
        Style::Double
    } else if s.contains('\n') {
        Style::Literal
    } else {
        Style::Plain
    };
    let a = analyze(s);
    if style == Style::Plain && (!a.block_plain || (key && a.multiline)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block || key) {
        style = Style::Double;
    }
    style
}

/// Writes a string scalar; `indent` is where continuation lines start.
fn write_string(out: &mut Out, s: &str, indent: usize, key: bool) {
    let chars: Vec<char> = s.chars().collect();
    let allow_breaks = !key;
    match choose_style(s, key) {
        Style::Plain => {
            let mut spaces = false;
            for (i, &c) in chars.iter().enumerate() {
                if c == ' ' {
                    if allow_breaks && !spaces && out.column > BEST_WIDTH && chars.get(i + 1) != Some(&' ') {
                        out.indent_line(indent);
                    } else {
                        out.push(c);
                    }
                    spaces = true;
                } else {
                    out.push(c);
                    spaces = false;
                }
            }
        }
        Style::Single => {
            out.push('\'');
            let mut spaces = false;
            for (i, &c) in chars.iter().enumerate() {
                if c == ' ' {
                    if allow_breaks
                        && !spaces
                        && out.column > BEST_WIDTH
                        && i != 0
                        && i + 1 != chars.len()
                        && chars.get(i + 1) != Some(&' ')
                    {
                        out.indent_line(indent);
                    } else {
                        out.push(c);
                    }
                    spaces = true;
                } else {
                    if c == '\'' {
                        out.push('\'');
                    }
                    out.push(c);
                    spaces = false;
                }
            }
            out.push('\'');
        }
        Style::Double => {
            out.push('"');
            let mut spaces = false;
            for (i, &c) in chars.iter().enumerate() {
                if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                    let esc = match c {
                        '\0' => "\\0".to_string(),
                        '\u{7}' => "\\a".into(),
                        '\u{8}' => "\\b".into(),
                        '\t' => "\\t".into(),
                        '\n' => "\\n".into(),
                        '\u{b}' => "\\v".into(),
                        '\u{c}' => "\\f".into(),
                        '\r' => "\\r".into(),
                        '\u{1b}' => "\\e".into(),
                        '"' => "\\\"".into(),
                        '\\' => "\\\\".into(),
                        '\u{85}' => "\\N".into(),
                        '\u{a0}' => "\\_".into(),
                        '\u{2028}' => "\\L".into(),
                        '\u{2029}' => "\\P".into(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    out.push_str(&esc);
                    spaces = false;
                } else if c == ' ' {
                    if allow_breaks && !spaces && out.column > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                        out.indent_line(indent);
                        if chars.get(i + 1) == Some(&' ') {
                            out.push('\\');
                        }
                    } else {
                        out.push(c);
                    }
                    spaces = true;
                } else {
                    out.push(c);
                    spaces = false;
                }
            }
            out.push('"');
        }
        Style::Literal => {
            out.push('|');
            if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
                out.push('2');
            }
            let n = chars.len();
            if n == 0 || !is_break(chars[n - 1]) {
                out.push('-');
            } else if n == 1 || is_break(chars[n - 2]) {
                out.push('+');
            }
            out.push('\n');
            let mut breaks = true;
            for &c in &chars {
                if is_break(c) {
                    out.push('\n');
                    breaks = true;
                } else {
                    if breaks {
                        out.push_str(&" ".repeat(indent));
                    }
                    out.push(c);
                    breaks = false;
                }
            }
            // The emitter's next write starts a new line; drop our own trailing break.
            if out.text.ends_with('\n') {
                out.text.pop();
                out.column = 1;
            }
        }
    }
}

fn write_scalar(out: &mut Out, v: &Value, indent: usize) {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            let s = if f.is_nan() {
                ".nan".to_string()
            } else if f.is_infinite() {
                if *f > 0.0 { ".inf".into() } else { "-.inf".into() }
            } else {
                go_float_shortest(*f, |exp, _| !(-4..6).contains(&exp))
            };
            out.push_str(&s);
        }
        Value::String(s) => write_string(out, s, indent, false),
        Value::List(_) => out.push_str("[]"),
        Value::Map(_) => out.push_str("{}"),
        Value::Bytes(_) => {}
        // `normalise` has turned times into strings.
        Value::Time(_) => {}
    }
}

fn is_block(v: &Value) -> bool {
    matches!(v, Value::List(l) if !l.is_empty()) || matches!(v, Value::Map(m) if !m.is_empty())
}

/// Writes a block node whose first line continues the current line (after `- ` or at the start
/// of the document); `indent` is the column of its entries.
fn write_block(out: &mut Out, v: &Value, indent: usize) {
    match v {
        Value::Map(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| key_order(a, b));
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.indent_line(indent);
                }
                write_string(out, k, indent, true);
                out.push(':');
                let item = &m[k];
                match item {
                    Value::Map(_) if is_block(item) => {
                        out.indent_line(indent + 2);
                        write_block(out, item, indent + 2);
                    }
                    Value::List(_) if is_block(item) => {
                        out.indent_line(indent);
                        write_block(out, item, indent);
                    }
                    _ => {
                        out.push(' ');
                        write_scalar(out, item, indent + 2);
                    }
                }
            }
        }
        Value::List(l) => {
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.indent_line(indent);
                }
                out.push('-');
                out.push(' ');
                if is_block(item) {
                    write_block(out, item, indent + 2);
                } else {
                    write_scalar(out, item, indent + 2);
                }
            }
        }
        other => write_scalar(out, other, indent + 2),
    }
}

/// The YAML text of a value, without the final newline; `None` when Go would fail.
pub(crate) fn to_yaml_string(v: &Value) -> Option<String> {
    let v = normalise(v).ok()?;
    let mut out = Out { text: String::new(), column: 0 };
    if is_block(&v) {
        write_block(&mut out, &v, 0);
    } else {
        // Scalars, and empty lists and maps (`[]`, `{}`).
        write_scalar(&mut out, &v, 2);
    }
    Some(out.text)
}

pub(crate) fn to_yaml(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("toYaml", args, 1)?;
    Ok(Value::String(to_yaml_string(&args[0]).unwrap_or_default()))
}

fn error_map(msg: &str) -> Value {
    Value::Map(BTreeMap::from([("Error".to_string(), Value::String(msg.to_string()))]))
}

pub(crate) fn from_yaml(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("fromYaml", args, 1)?;
    let text = arg_str("fromYaml", &args[0])?;
    if text.trim().is_empty() {
        return Ok(Value::Map(BTreeMap::new()));
    }
    let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(text);
    Ok(match parsed.map(super::defaults::from_serde_json) {
        Ok(Value::Map(m)) => Value::Map(m),
        Ok(Value::Nil) => Value::Map(BTreeMap::new()),
        Ok(other) => error_map(&format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            match other {
                Value::List(_) => "array",
                Value::String(_) => "string",
                Value::Bool(_) => "bool",
                _ => "number",
            }
        )),
        Err(_) => error_map("error converting YAML to JSON: yaml: invalid YAML document"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(v: Value) -> String {
        to_yaml_string(&v).unwrap()
    }

    #[test]
    fn nested_documents_render_like_go_yaml_v2() {
        let v = Value::Map(BTreeMap::from([
            ("b".into(), Value::List(vec!["x".into(), Value::Int(1)])),
            ("a".into(), Value::Map(BTreeMap::from([("c".into(), Value::Bool(true))]))),
            ("e".into(), Value::List(vec![])),
            (
                "d".into(),
                Value::List(vec![Value::Map(BTreeMap::from([("k".into(), "v".into()), ("l".into(), Value::Nil)]))]),
            ),
        ]));
        assert_eq!(y(v), "a:\n  c: true\nb:\n- x\n- 1\nd:\n- k: v\n  l: null\ne: []");
    }

    #[test]
    fn strings_are_quoted_only_when_needed() {
        let cases = [
            ("plain", "plain"),
            ("true", "\"true\""),
            ("123", "\"123\""),
            ("", "\"\""),
            ("1.5", "\"1.5\""),
            ("2001-12-14", "\"2001-12-14\""),
            ("- x", "'- x'"),
            ("a: b", "'a: b'"),
            ("it's", "it's"),
            ("#x", "'#x'"),
            ("tab\there", "\"tab\\there\""),
            (" lead", "' lead'"),
            ("a\nb", "|-\n  a\n  b"),
            ("a\nb\n", "|\n  a\n  b"),
        ];
        for (input, want) in cases {
            assert_eq!(y(Value::from(input)), want, "{input:?}");
        }
    }

    #[test]
    fn keys_use_natural_order() {
        assert_eq!(key_order("a2", "a10"), Ordering::Less);
        assert_eq!(key_order("_x", "B"), Ordering::Less);
    }

    #[test]
    fn floats_go_through_json() {
        assert_eq!(y(Value::Float(1.0)), "1");
        assert_eq!(y(Value::Float(1.5)), "1.5");
        assert_eq!(to_yaml_string(&Value::Float(f64::NAN)), None);
    }

    #[test]
    fn from_yaml_reports_errors_under_the_error_key() {
        let m = from_yaml(&FuncEnv::default(), &[Value::from("a: 1\nb: [x, u]")]).unwrap();
        let want = Value::Map(BTreeMap::from([
            ("a".into(), Value::Float(1.0)),
            ("b".into(), Value::List(vec!["x".into(), "u".into()])),
        ]));
        assert_eq!(super::super::fmt_v(&m), super::super::fmt_v(&want));
        assert_eq!(m, want);
        let Value::Map(e) = from_yaml(&FuncEnv::default(), &[Value::from("- a")]).unwrap() else { panic!() };
        assert!(e.contains_key("Error"));
    }
}
