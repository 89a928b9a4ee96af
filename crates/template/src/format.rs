//! Go's `fmt` for template values: `print`, `println`, `printf` and how an action prints its
//! result. Covers the verbs templates use: `%v %+v %#v %s %q %d %x %X %o %b %c %U %e %E %f %F
//! %g %G %t %T %%`, flags `+ - # 0 space`, width and precision (including `*`).

use std::fmt::Write as _;

use crate::value::Value;

/// `fmt.Sprint`: operands formatted with `%v`, a space between two operands when neither is a
/// string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        format_value(&mut out, a, &Spec::verb('v'), true);
        prev_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: operands with `%v`, always separated by spaces, then a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        format_value(&mut out, a, &Spec::verb('v'), true);
    }
    out.push('\n');
    out
}

/// How an action prints its final value (`{{.}}`): `%v`, with nil printed as `<no value>`.
pub(crate) fn print_action(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        _ => format_value(out, v, &Spec::verb('v'), true),
    }
}

#[derive(Clone, Default)]
struct Spec {
    verb: char,
    plus: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

impl Spec {
    fn verb(verb: char) -> Self {
        Self { verb, ..Self::default() }
    }
}

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut arg = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        // Flags.
        while let Some(&f) = chars.peek() {
            match f {
                '+' => spec.plus = true,
                '-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                '#' => spec.sharp = true,
                '0' => spec.zero = !spec.minus,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        // Width.
        if chars.peek() == Some(&'*') {
            chars.next();
            match args.get(arg) {
                Some(Value::Int(n) | Value::Int64(n)) => {
                    if *n < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX).min(1 << 20));
                }
                _ => out.push_str("%!(BADWIDTH)"),
            }
            arg += 1;
        } else {
            spec.width = read_num(&mut chars);
        }
        // Precision.
        if chars.peek() == Some(&'.') {
            chars.next();
            if chars.peek() == Some(&'*') {
                chars.next();
                match args.get(arg) {
                    Some(Value::Int(n) | Value::Int64(n)) if *n >= 0 => {
                        spec.prec = Some(usize::try_from(*n).unwrap_or(usize::MAX).min(1 << 20));
                    }
                    _ => out.push_str("%!(BADPREC)"),
                }
                arg += 1;
            } else {
                spec.prec = Some(read_num(&mut chars).unwrap_or(0));
            }
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        spec.verb = verb;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(a) = args.get(arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        arg += 1;
        if verb == 'v' {
            if spec.sharp {
                let mut s = String::new();
                go_syntax(&mut s, a, true);
                pad(&mut out, &s, &Spec { zero: false, ..spec });
                continue;
            }
            // `%+v` only matters for structs; for our values it prints as `%v`.
            spec.plus = false;
        }
        format_value(&mut out, a, &spec, true);
    }
    if arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args.iter().enumerate().skip(arg) {
            if i > arg {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", a.type_name());
            format_value(&mut out, a, &Spec::verb('v'), true);
        }
        out.push(')');
    }
    out
}

fn read_num(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize).min(1 << 20));
    }
    n
}

/// Pads `s` to the spec's width (counted in characters).
fn pad(out: &mut String, s: &str, spec: &Spec) {
    let len = s.chars().count();
    let width = spec.width.unwrap_or(0);
    if len >= width {
        out.push_str(s);
        return;
    }
    let fill = width - len;
    if spec.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', fill));
    } else {
        out.extend(std::iter::repeat_n(if spec.zero { '0' } else { ' ' }, fill));
        out.push_str(s);
    }
}

/// Pads a number: zero padding goes after the sign.
fn pad_number(out: &mut String, s: &str, spec: &Spec) {
    if spec.zero && !spec.minus && spec.prec.is_none() {
        let width = spec.width.unwrap_or(0);
        let len = s.chars().count();
        if len < width {
            let (sign, digits) = match s.chars().next() {
                Some(c @ ('+' | '-' | ' ')) => (Some(c), &s[1..]),
                _ => (None, s),
            };
            if let Some(c) = sign {
                out.push(c);
            }
            out.extend(std::iter::repeat_n('0', width - len));
            out.push_str(digits);
            return;
        }
    }
    pad(out, s, &Spec { zero: false, ..spec.clone() });
}

fn bad_verb(out: &mut String, v: &Value, verb: char) {
    let _ = write!(out, "%!{verb}(");
    match v {
        Value::Nil => out.push_str("<nil>"),
        _ => {
            let _ = write!(out, "{}=", v.type_name());
            format_value(out, v, &Spec::verb('v'), true);
        }
    }
    out.push(')');
}

/// Formats one value with one verb, as `fmt.Printf` does. `top` is false for elements of
/// lists and maps (where a nil prints `<nil>` whatever the verb).
fn format_value(out: &mut String, v: &Value, spec: &Spec, top: bool) {
    if spec.verb == 'T' {
        pad(out, v.type_name(), &Spec { zero: false, ..spec.clone() });
        return;
    }
    match v {
        Value::Nil => {
            if spec.verb == 'v' || !top {
                pad(out, "<nil>", &Spec { zero: false, ..spec.clone() });
            } else {
                bad_verb(out, v, spec.verb);
            }
        }
        Value::Bool(b) => match spec.verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, &Spec { zero: false, ..spec.clone() }),
            _ => bad_verb(out, v, spec.verb),
        },
        Value::Int(i) | Value::Int64(i) => format_int(out, v, *i, spec),
        Value::Float(f) => format_float(out, v, *f, spec),
        Value::String(s) => format_bytes(out, v, s.as_bytes(), spec),
        Value::Bytes(b) => match spec.verb {
            's' | 'q' | 'x' | 'X' => format_bytes(out, v, b, spec),
            _ => {
                out.push('[');
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    format_int(out, &Value::Int(i64::from(*byte)), i64::from(*byte), spec);
                }
                out.push(']');
            }
        },
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_value(out, item, spec, false);
            }
            out.push(']');
        }
        // `time.Time` is a `fmt.Stringer`: `%v %s %q %x %X` format its `String()`; other verbs
        // would print the struct's private fields, which we do not model (see the README).
        Value::Time(t) => match spec.verb {
            'v' | 's' | 'q' | 'x' | 'X' => format_bytes(out, v, crate::sprig::dates::time_string(t).as_bytes(), spec),
            _ => bad_verb(out, v, spec.verb),
        },
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_bytes(out, &Value::Nil, k.as_bytes(), spec);
                out.push(':');
                format_value(out, item, spec, false);
            }
            out.push(']');
        }
        #[allow(unreachable_patterns)]
        _ => out.push('?'),
    }
}

fn format_bytes(out: &mut String, v: &Value, b: &[u8], spec: &Spec) {
    match spec.verb {
        'v' | 's' => {
            let s = String::from_utf8_lossy(b);
            let s = match spec.prec {
                Some(p) => s.chars().take(p).collect::<String>(),
                None => s.into_owned(),
            };
            pad(out, &s, spec);
        }
        'q' => {
            let s = String::from_utf8_lossy(b);
            let s = match spec.prec {
                Some(p) => s.chars().take(p).collect::<String>(),
                None => s.into_owned(),
            };
            let q = if spec.sharp && !s.contains('`') && !s.chars().any(|c| c.is_control() && c != '\t') {
                format!("`{s}`")
            } else {
                quote(&s, spec.plus)
            };
            pad(out, &q, spec);
        }
        'x' | 'X' => {
            let b = match spec.prec {
                Some(p) => &b[..p.min(b.len())],
                None => b,
            };
            let mut s = String::with_capacity(b.len() * 3);
            for (i, byte) in b.iter().enumerate() {
                if spec.space && i > 0 {
                    s.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    s.push_str(if spec.verb == 'x' { "0x" } else { "0X" });
                }
                if spec.verb == 'x' {
                    let _ = write!(s, "{byte:02x}");
                } else {
                    let _ = write!(s, "{byte:02X}");
                }
            }
            pad(out, &s, spec);
        }
        _ => {
            bad_verb(out, v, spec.verb);
        }
    }
}

fn format_int(out: &mut String, v: &Value, i: i64, spec: &Spec) {
    let neg = i < 0;
    let u = i.unsigned_abs();
    let digits = match spec.verb {
        'v' | 'd' => u.to_string(),
        'b' => format!("{u:b}"),
        'o' | 'O' => format!("{u:o}"),
        'x' => format!("{u:x}"),
        'X' => format!("{u:X}"),
        'c' => {
            let c = u32::try_from(i).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
            pad(out, &c.to_string(), spec);
            return;
        }
        'q' => {
            let c = u32::try_from(i).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
            let q = if c == '\'' {
                "'\\''".to_string()
            } else if c == '"' {
                "'\"'".to_string()
            } else {
                let inner = quote(&c.to_string(), spec.plus);
                format!("'{}'", &inner[1..inner.len() - 1])
            };
            pad(out, &q, spec);
            return;
        }
        'U' => {
            let mut s = format!("U+{u:04X}");
            if spec.sharp
                && let Some(c) = u32::try_from(i).ok().and_then(char::from_u32)
                && !c.is_control()
            {
                let _ = write!(s, " '{c}'");
            }
            pad(out, &s, spec);
            return;
        }
        _ => {
            bad_verb(out, v, spec.verb);
            return;
        }
    };
    let mut digits = digits;
    if let Some(p) = spec.prec {
        if p == 0 && u == 0 {
            digits.clear();
        } else if digits.len() < p {
            digits = format!("{}{digits}", "0".repeat(p - digits.len()));
        }
    }
    let mut s = String::new();
    if neg {
        s.push('-');
    } else if spec.plus {
        s.push('+');
    } else if spec.space {
        s.push(' ');
    }
    if spec.sharp {
        match spec.verb {
            'b' => s.push_str("0b"),
            'o' if !digits.starts_with('0') => s.push('0'),
            'x' => s.push_str("0x"),
            'X' => s.push_str("0X"),
            _ => {}
        }
    }
    if spec.verb == 'O' {
        s.push_str("0o");
    }
    s.push_str(&digits);
    pad_number(out, &s, spec);
}

/// Decimal digits and decimal-point position of `|f|`: `digits` has no leading or trailing zeros
/// and the value is `0.digits × 10^dp`. `sig` rounds to that many significant digits; `None` is
/// the shortest representation that reads back exactly.
fn decimal(f: f64, sig: Option<usize>) -> (String, i32) {
    let s = match sig {
        Some(n) => format!("{:.*e}", n.saturating_sub(1), f.abs()),
        None => format!("{:e}", f.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0').to_string();
    if digits.is_empty() {
        return (String::new(), 0);
    }
    (digits, exp + 1)
}

/// `%e` from decimal digits with `prec` digits after the point.
fn fmt_e(digits: &str, dp: i32, prec: usize, e: char) -> String {
    let mut s = String::new();
    let mut d = digits.chars();
    s.push(d.next().unwrap_or('0'));
    if prec > 0 {
        s.push('.');
        let rest: String = d.collect();
        s.push_str(&rest);
        for _ in rest.len()..prec {
            s.push('0');
        }
    }
    let exp = if digits.is_empty() { 0 } else { dp - 1 };
    let _ = write!(s, "{e}{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    s
}

/// `%f` from decimal digits with `prec` digits after the point.
fn fmt_f(digits: &str, dp: i32, prec: usize) -> String {
    let mut s = String::new();
    let d = digits.as_bytes();
    if dp > 0 {
        for i in 0..dp as usize {
            s.push(d.get(i).map_or('0', |&b| b as char));
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 0..prec as i32 {
            let j = dp + i;
            s.push(if j >= 0 { d.get(j as usize).map_or('0', |&b| b as char) } else { '0' });
        }
    }
    s
}

fn format_float(out: &mut String, v: &Value, f: f64, spec: &Spec) {
    let verb = spec.verb;
    if !matches!(verb, 'v' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G') {
        bad_verb(out, v, verb);
        return;
    }
    let body = if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        "Inf".to_string()
    } else {
        match verb {
            'e' | 'E' => {
                let prec = spec.prec.unwrap_or(6);
                let (digits, dp) = decimal(f, Some(prec + 1));
                fmt_e(&digits, dp, prec, verb)
            }
            'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), f.abs()),
            _ => {
                let e = if verb == 'G' { 'E' } else { 'e' };
                let shortest = spec.prec.is_none();
                let (digits, dp) = match spec.prec {
                    Some(p) => decimal(f, Some(p.max(1))),
                    None => decimal(f, None),
                };
                let nd = digits.len() as i32;
                let mut prec = match spec.prec {
                    Some(p) => p.max(1) as i32,
                    None => nd,
                };
                let mut eprec = prec;
                if eprec > nd && nd >= dp {
                    eprec = nd;
                }
                if shortest {
                    eprec = 6;
                }
                let exp = dp - 1;
                if digits.is_empty() {
                    "0".to_string()
                } else if exp < -4 || exp >= eprec {
                    if prec > nd {
                        prec = nd;
                    }
                    fmt_e(&digits, dp, (prec - 1).max(0) as usize, e)
                } else {
                    if prec > dp {
                        prec = nd;
                    }
                    fmt_f(&digits, dp, (prec - dp).max(0) as usize)
                }
            }
        }
    };
    let mut s = String::new();
    if f.is_sign_negative() && !f.is_nan() {
        s.push('-');
    } else if spec.plus {
        s.push('+');
    } else if spec.space {
        s.push(' ');
    } else if f.is_infinite() {
        s.push('+');
    }
    s.push_str(&body);
    if f.is_finite() {
        pad_number(out, &s, &Spec { prec: None, ..spec.clone() });
    } else {
        pad(out, &s, &Spec { zero: false, ..spec.clone() });
    }
}

/// Go's `strconv.Quote` (or `QuoteToASCII` when `ascii`).
pub(crate) fn quote(s: &str, ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\u{FFFD}' => out.push_str("\\ufffd"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || (ascii && !c.is_ascii()) || is_unprintable(c) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters Go's `unicode.IsPrint` rejects besides controls (format characters and
/// separators other than the ASCII space).
fn is_unprintable(c: char) -> bool {
    matches!(c as u32, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB)
        || (c.is_whitespace() && c != ' ')
}

/// `%#v`: Go syntax.
fn go_syntax(out: &mut String, v: &Value, top: bool) {
    match v {
        Value::Nil => out.push_str(if top { "<nil>" } else { "interface {}(nil)" }),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Int64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => format_float(out, v, *f, &Spec::verb('g')),
        Value::String(s) => out.push_str(&quote(s, false)),
        Value::Bytes(b) => {
            out.push_str("[]byte{");
            for (i, byte) in b.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "0x{byte:x}");
            }
            out.push('}');
        }
        Value::List(l) => {
            out.push_str("[]interface {}{");
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                go_syntax(out, item, false);
            }
            out.push('}');
        }
        Value::Time(t) => out.push_str(&crate::sprig::dates::time_go_syntax(t)),
        Value::Map(m) => {
            out.push_str("map[string]interface {}{");
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote(k, false));
                out.push(':');
                go_syntax(out, item, false);
            }
            out.push('}');
        }
        #[allow(unreachable_patterns)]
        _ => {}
    }
}
