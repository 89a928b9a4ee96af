//! YAML as upstream writes it: `sigs.k8s.io/yaml` turns the JSON into go-yaml v2 values and
//! go-yaml v2 (a port of libyaml's emitter) prints them. Reproduced here for the value shapes a
//! Kubernetes object has:
//!
//! - mapping keys sorted in go-yaml's "natural" order ([`key_order`], shared with the template crate's `toYaml`);
//! - two-space indentation; a list under a key is not indented relative to the key;
//! - strings plain when that reads back as the same string, otherwise single-quoted (indicator
//!   characters, leading or trailing spaces, `: `, ` #`) or double-quoted (would resolve to
//!   another type, such as `"true"`, `"123"` or `""`; control or non-BMP characters);
//! - strings with a newline as literal blocks (`|`, `|-`, `|+`);
//! - long plain and quoted scalars folded at spaces once past column 80.

pub use kubeseal_template::yaml_key_order as key_order;

use super::Node;

/// go-yaml v2's preferred line width.
const BEST_WIDTH: usize = 80;
/// go-yaml v2's indentation step.
const BEST_INDENT: usize = 2;

/// Appends `node` (normally a map) to `out`, ending with a newline.
pub fn write(node: &Node, out: &mut String) {
    let mut w = Writer { out, column: 0 };
    match node {
        Node::Map(entries) if !entries.is_empty() => w.map(entries, 0, false),
        Node::List(items) if !items.is_empty() => w.list(items, 0, false),
        other => {
            w.inline_value(other, 0, false);
            w.newline();
        }
    }
}

struct Writer<'a> {
    out: &'a mut String,
    /// Characters written on the current line (libyaml counts characters, not bytes).
    column: usize,
}

impl Writer<'_> {
    fn push(&mut self, c: char) {
        self.out.push(c);
        if c == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
    }

    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn newline(&mut self) {
        self.push('\n');
    }

    fn pad_to(&mut self, indent: usize) {
        while self.column < indent {
            self.push(' ');
        }
    }

    /// A block mapping whose keys sit at column `indent`. With `inline`, the first key continues
    /// the current line (after `- `).
    fn map(&mut self, entries: &[(String, Node)], indent: usize, inline: bool) {
        let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
        sorted.sort_by(|a, b| key_order(&a.0, &b.0));
        for (i, (key, value)) in sorted.into_iter().enumerate() {
            if i > 0 || !inline {
                self.pad_to(indent);
            }
            self.scalar_string(key, indent + BEST_INDENT, true);
            self.push(':');
            match value {
                Node::Map(inner) if !inner.is_empty() => {
                    self.newline();
                    self.map(inner, indent + BEST_INDENT, false);
                }
                Node::List(items) if !items.is_empty() => {
                    self.newline();
                    self.list(items, indent, false);
                }
                other => {
                    self.push(' ');
                    self.inline_value(other, indent + BEST_INDENT, false);
                    self.end_line();
                }
            }
        }
    }

    /// A block sequence whose dashes sit at column `indent`.
    fn list(&mut self, items: &[Node], indent: usize, inline: bool) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !inline {
                self.pad_to(indent);
            }
            self.push_str("- ");
            match item {
                Node::Map(inner) if !inner.is_empty() => self.map(inner, indent + BEST_INDENT, true),
                Node::List(inner) if !inner.is_empty() => self.list(inner, indent + BEST_INDENT, true),
                other => {
                    self.inline_value(other, indent + BEST_INDENT, false);
                    self.end_line();
                }
            }
        }
    }

    /// Ends the line unless a literal block already did.
    fn end_line(&mut self) {
        if self.column != 0 {
            self.newline();
        }
    }

    /// A scalar or an empty container on the current line.
    fn inline_value(&mut self, node: &Node, indent: usize, key: bool) {
        match node {
            Node::Null => self.push_str("null"),
            Node::Bool(b) => self.push_str(if *b { "true" } else { "false" }),
            Node::Int(i) => self.push_str(&i.to_string()),
            Node::Number(n) => self.push_str(n),
            Node::Str(s) => self.scalar_string(s, indent, key),
            Node::List(_) => self.push_str("[]"),
            Node::Map(_) => self.push_str("{}"),
        }
    }

    /// A string; `indent` is where continuation lines of a folded or literal scalar start.
    fn scalar_string(&mut self, s: &str, indent: usize, key: bool) {
        match choose_style(s, key) {
            Style::Plain => self.plain(s, indent, !key),
            Style::Single => self.single_quoted(s, indent, !key),
            Style::Double => self.double_quoted(s, indent, !key),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn break_line(&mut self, indent: usize) {
        self.newline();
        self.pad_to(indent);
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_is_space {
                    self.break_line(indent);
                } else {
                    self.push(c);
                }
                spaces = true;
            } else {
                self.push(c);
                spaces = false;
            }
        }
    }

    fn single_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        self.push('\'');
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < chars.len() && !next_is_space
                {
                    self.break_line(indent);
                } else {
                    self.push(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.push('\'');
                }
                self.push(c);
                spaces = false;
            }
        }
        self.push('\'');
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        self.push('"');
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.push('\\');
                match c {
                    '\0' => self.push('0'),
                    '\u{7}' => self.push('a'),
                    '\u{8}' => self.push('b'),
                    '\t' => self.push('t'),
                    '\n' => self.push('n'),
                    '\u{b}' => self.push('v'),
                    '\u{c}' => self.push('f'),
                    '\r' => self.push('r'),
                    '\u{1b}' => self.push('e'),
                    '"' => self.push('"'),
                    '\\' => self.push('\\'),
                    '\u{85}' => self.push('N'),
                    '\u{a0}' => self.push('_'),
                    '\u{2028}' => self.push('L'),
                    '\u{2029}' => self.push('P'),
                    c if (c as u32) <= 0xff => self.push_str(&format!("x{:02X}", c as u32)),
                    c if (c as u32) <= 0xffff => self.push_str(&format!("u{:04X}", c as u32)),
                    c => self.push_str(&format!("U{:08X}", c as u32)),
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < chars.len() {
                    self.break_line(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.push('\\');
                    }
                } else {
                    self.push(c);
                }
                spaces = true;
            } else {
                self.push(c);
                spaces = false;
            }
        }
        self.push('"');
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.push('|');
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.push_str(&BEST_INDENT.to_string());
        }
        let trailing_breaks = s.chars().rev().take_while(|&c| is_break(c)).count();
        if trailing_breaks == 0 {
            self.push('-');
        } else if trailing_breaks >= 2 || s.chars().count() == 1 {
            self.push('+');
        }
        self.newline();
        let mut at_line_start = true;
        for c in s.chars() {
            if is_break(c) {
                self.newline();
                at_line_start = true;
            } else {
                if at_line_start {
                    self.pad_to(indent);
                    at_line_start = false;
                }
                self.push(c);
            }
        }
        self.end_line();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// go-yaml v2's choice for a string: what the encoder asks for, downgraded by what the emitter's
/// scalar analysis allows (always block context here; keys are simple keys).
fn choose_style(s: &str, key: bool) -> Style {
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if !resolves_to_string(s) || is_base60_float(s) {
        Style::Double
    } else {
        Style::Plain
    };
    let a = analyze(s);
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || key) {
        style = Style::Double;
    }
    style
}

struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<char>) -> bool {
    c.is_none_or(|c| c == ' ' || c == '\t' || is_break(c) || c == '\0')
}

/// libyaml's `is_printable` as go-yaml v2 tests it on UTF-8 bytes: note that characters outside
/// the Basic Multilingual Plane are not "printable" there.
fn is_printable(c: char) -> bool {
    let v = c as u32;
    v == 0x0a
        || (0x20..=0x7e).contains(&v)
        || (0xa0..=0xd7ff).contains(&v)
        || ((0xe000..=0xfffd).contains(&v) && v != 0xfeff)
}

/// libyaml's `yaml_emitter_analyze_scalar`, block-context flags only.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis { block_plain_allowed: true, single_quoted_allowed: true, block_allowed: false };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut special = false;
    let (mut line_breaks, mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) = (false, false, false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = is_blank_or_end(chars.get(i + 1).copied());
        let last = i + 1 == chars.len();
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                    block_indicators = true
                }
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank_or_end(Some(c));
    }
    let mut a = Analysis { block_plain_allowed: true, single_quoted_allowed: true, block_allowed: true };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    // Quoting of U+2028/U+2029 inside single quotes needs line handling this emitter leaves out;
    // double quotes escape them, which reads back the same.
    if s.contains(['\u{2028}', '\u{2029}']) {
        a.single_quoted_allowed = false;
    }
    a
}

/// Whether go-yaml v2's resolver reads the plain scalar `s` back as a string (`resolve("", s)`).
fn resolves_to_string(s: &str) -> bool {
    const NON_STRINGS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No", "NO", "false",
        "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf",
        ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ];
    let Some(first) = s.chars().next() else { return false };
    let hint = match first {
        '+' | '-' | '0'..='9' => 'D',
        'y' | 'Y' | 'n' | 'N' | 't' | 'T' | 'f' | 'F' | 'o' | 'O' | '~' => 'M',
        '.' => '.',
        _ => return true,
    };
    if NON_STRINGS.contains(&s) {
        return false;
    }
    match hint {
        '.' => !is_float(s),
        'D' => {
            if parse_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            !(is_int(&plain) || is_float(&plain))
        }
        _ => true,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds.
fn is_int(s: &str) -> bool {
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (Some('+'), &s[1..]),
        Some(b'-') => (Some('-'), &s[1..]),
        _ => (None, s),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() {
        return false;
    }
    let mut value: u128 = 0;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else { return false };
        value = value * u128::from(radix) + u128::from(d);
        if value > u128::from(u64::MAX) {
            return false;
        }
    }
    match sign {
        Some('-') => value <= 1 << 63,
        Some(_) => value < 1 << 63,
        None => true,
    }
}

/// go-yaml's float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, and a finite
/// value (Go's `ParseFloat` fails on overflow).
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len() && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// go-yaml's `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$` (YAML 1.1 sexagesimal).
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        match (b.get(i), b.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Whether go-yaml v2 reads `s` as a timestamp: Go's `time.Parse` with one of the layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`, `2006-1-2`.
fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut c = Cursor { b, i: 0 };
    let Some(year) = c.fixed(4) else { return false };
    if !c.eat(b'-') {
        return false;
    }
    let Some(month) = c.num12() else { return false };
    if !c.eat(b'-') {
        return false;
    }
    let Some(day) = c.num12() else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if c.done() {
        return true;
    }
    let sep = b[c.i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    c.i += 1;
    let time_ok = (|| {
        let h = c.num12()?;
        c.eat(b':').then_some(())?;
        let m = c.num12()?;
        c.eat(b':').then_some(())?;
        let sec = c.num12()?;
        (h < 24 && m < 60 && sec < 60).then_some(())
    })();
    if time_ok.is_none() {
        return false;
    }
    if matches!(c.peek(), Some(b'.' | b',')) && c.b.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
        c.i += 1;
        while c.peek().is_some_and(|d| d.is_ascii_digit()) {
            c.i += 1;
        }
    }
    if sep == b' ' {
        return c.done();
    }
    if c.eat(b'Z') {
        return c.done();
    }
    if !matches!(c.peek(), Some(b'+' | b'-')) {
        return false;
    }
    c.i += 1;
    let (Some(hh), true, Some(mm)) = (c.fixed(2), c.eat(b':'), c.fixed(2)) else { return false };
    hh <= 24 && mm <= 60 && c.done()
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }
    /// Exactly `n` digits.
    fn fixed(&mut self, n: usize) -> Option<u32> {
        let digits = self.b.get(self.i..self.i + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(digits.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }
    /// One or two digits (Go's non-fixed `getnum`).
    fn num12(&mut self) -> Option<u32> {
        let first = self.peek().filter(u8::is_ascii_digit)?;
        self.i += 1;
        let mut v = u32::from(first - b'0');
        if let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            self.i += 1;
            v = v * 10 + u32::from(d - b'0');
        }
        Some(v)
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn value(s: &str) -> String {
        let mut out = String::new();
        write(&Node::Map(vec![("k".into(), Node::str(s))]), &mut out);
        out.strip_prefix("k: ").map_or(out.clone(), str::to_owned).trim_end_matches('\n').to_owned()
    }

    #[test]
    fn ordinary_strings_are_plain() {
        for s in ["abc", "AgBy3i4OJSWK+PiTySYZZA==", "a b c", "a-b", "a:b", "a#b", "-a", "x.y/z", "é", "<<", "tru"] {
            assert_eq!(value(s), s, "{s:?}");
        }
    }

    #[test]
    fn strings_that_read_back_as_other_types_are_double_quoted() {
        for s in [
            "true",
            "True",
            "yes",
            "NO",
            "on",
            "off",
            "y",
            "n",
            "~",
            "null",
            "",
            "123",
            "-1",
            "+1",
            "0x1F",
            "0o17",
            "0b101",
            "017",
            "1_000",
            "1.5",
            "1e3",
            ".5",
            "-.inf",
            ".NaN",
            "2024-01-02",
            "2024-1-2T3:04:05Z",
            "2001-12-14 21:59:43.10",
            "1:20",
            "99999999999999999999",
        ] {
            assert_eq!(value(s), format!("\"{s}\""), "{s:?}");
        }
    }

    #[test]
    fn strings_that_only_look_typed_stay_plain() {
        for s in ["0x", "1e", "2024-13-01", "2024-02-30", "12:3a", "1.2.3", ".", "1e999", "0xFFFFFFFFFFFFFFFFFF", "+"] {
            assert_eq!(value(s), s, "{s:?}");
        }
    }

    #[test]
    fn indicators_and_edge_spaces_are_single_quoted() {
        for (s, want) in [
            (" a", "' a'"),
            ("a ", "'a '"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("a:", "'a:'"),
            ("- a", "'- a'"),
            ("-", "'-'"),
            ("*x", "'*x'"),
            ("&x", "'&x'"),
            ("!x", "'!x'"),
            ("%x", "'%x'"),
            ("@x", "'@x'"),
            ("`x", "'`x'"),
            ("{x", "'{x'"),
            ("[x]", "'[x]'"),
            ("#x", "'#x'"),
            ("it's", "it's"),
            ("'q'", "'''q'''"),
            ("\"q\"", "'\"q\"'"),
            ("---x", "'---x'"),
            ("? x", "'? x'"),
        ] {
            assert_eq!(value(s), want, "{s:?}");
        }
    }

    #[test]
    fn control_and_astral_characters_are_double_quoted_with_escapes() {
        assert_eq!(value("a\tb"), r#""a\tb""#);
        assert_eq!(value("a\u{1}"), r#""a\x01""#);
        assert_eq!(value("smile 😀"), r#""smile \U0001F600""#);
        assert_eq!(value("a\\b\t"), r#""a\\b\t""#);
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        assert_eq!(value("a\nb"), "|-\n  a\n  b");
        assert_eq!(value("a\nb\n"), "|\n  a\n  b");
        assert_eq!(value("a\n\n"), "|+\n  a", "the blank line is trimmed by the helper");
        assert_eq!(value(" a\nb"), "|2-\n   a\n  b");
        assert_eq!(value("a\n\nb"), "|-\n  a\n\n  b");
        assert_eq!(value("a \nb"), r#""a \nb""#, "space before a break");
        assert_eq!(value("a\nb "), r#""a\nb ""#, "trailing space");
    }

    #[test]
    fn long_plain_values_fold_after_column_80() {
        let words = "lorem ipsum dolor sit amet ".repeat(5);
        let text = words.trim_end();
        let mut out = String::new();
        write(&Node::Map(vec![("description".into(), Node::str(text))]), &mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].chars().count() > 80 && lines[1].starts_with("  "), "{out}");
        assert_eq!(format!("{} {}", lines[0].strip_prefix("description: ").unwrap(), lines[1].trim_start()), text);
        let long_base64 = "A".repeat(700);
        assert_eq!(value(&long_base64), long_base64, "nothing to fold at");
    }

    #[test]
    fn maps_and_lists_have_go_yaml_layout() {
        let node = Node::Map(vec![
            ("spec".into(), Node::Map(vec![("z".into(), Node::Int(1)), ("a".into(), Node::Bool(false))])),
            (
                "list".into(),
                Node::List(vec![
                    Node::str("x"),
                    Node::Map(vec![("b".into(), Node::Null), ("a".into(), Node::Map(vec![]))]),
                ]),
            ),
            ("empty".into(), Node::List(vec![])),
        ]);
        let mut out = String::new();
        write(&node, &mut out);
        assert_eq!(out, "empty: []\nlist:\n- x\n- a: {}\n  b: null\nspec:\n  a: false\n  z: 1\n");
    }

    #[test]
    fn keys_sort_in_natural_order() {
        let mut keys = vec!["b", "a", "k10", "k2", "a_b", "a-b", "aB", "ab", "A", "_x", "k02", "k1", "1", "10", "9"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(keys, ["_x", "1", "9", "10", "A", "a", "a-b", "a_b", "aB", "ab", "b", "k1", "k2", "k02", "k10"]);
        assert_eq!(key_order("apiVersion", "kind"), Ordering::Less);
        assert_eq!(key_order("encryptedData", "template"), Ordering::Less);
    }
}
