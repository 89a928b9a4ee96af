//! String functions: trimming, case, slicing, quoting, splitting and joining, regular
//! expressions.
//!
//! Sprig slices strings by byte (`substr`, `trunc`, `abbrev`, `wrap`), as Go does. Where a cut
//! falls inside a multi-byte character Go emits the partial bytes; here the partial character
//! becomes U+FFFD (a [`Value::String`] is UTF-8). Case mapping is per character (Go's simple
//! case mapping): a character whose full mapping has several characters (`ß`) is left as is.

use super::{arg_int, arg_str, arity, check_size, fmt_v, string_list, strval};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;
use std::collections::BTreeMap;

/// The string functions, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("hello", hello),
        ("abbrev", abbrev),
        ("abbrevboth", abbrevboth),
        ("trunc", trunc),
        ("trim", trim),
        ("upper", upper),
        ("lower", lower),
        ("title", title),
        ("untitle", untitle),
        ("substr", substr),
        ("repeat", repeat),
        ("trimall", trim_all),
        ("trimAll", trim_all),
        ("trimSuffix", trim_suffix),
        ("trimPrefix", trim_prefix),
        ("nospace", nospace),
        ("initials", initials),
        ("swapcase", swapcase),
        ("shuffle", shuffle),
        ("snakecase", snakecase),
        ("camelcase", camelcase),
        ("kebabcase", kebabcase),
        ("wrap", wrap),
        ("wrapWith", wrap_with),
        ("contains", contains),
        ("hasPrefix", has_prefix),
        ("hasSuffix", has_suffix),
        ("quote", quote),
        ("squote", squote),
        ("cat", cat),
        ("indent", indent),
        ("nindent", nindent),
        ("replace", replace),
        ("plural", plural),
        ("toString", to_string),
        ("toStrings", to_strings),
        ("split", split),
        ("splitList", split_list),
        ("splitn", splitn),
        ("join", join),
        ("sortAlpha", sort_alpha),
        ("regexMatch", regex_match),
        ("mustRegexMatch", must_regex_match),
        ("regexFind", regex_find),
        ("mustRegexFind", must_regex_find),
        ("regexFindAll", regex_find_all),
        ("mustRegexFindAll", must_regex_find_all),
        ("regexReplaceAll", regex_replace_all),
        ("mustRegexReplaceAll", must_regex_replace_all),
        ("regexReplaceAllLiteral", regex_replace_all_literal),
        ("mustRegexReplaceAllLiteral", must_regex_replace_all_literal),
        ("regexSplit", regex_split),
        ("mustRegexSplit", must_regex_split),
        ("regexQuoteMeta", regex_quote_meta),
    ]
}

fn s(v: impl Into<String>) -> Result<Value, FuncError> {
    Ok(Value::String(v.into()))
}

/// One string argument.
fn one_str<'a>(name: &str, args: &'a [Value]) -> Result<&'a str, FuncError> {
    arity(name, args, 1)?;
    arg_str(name, &args[0])
}

/// Two string arguments.
fn two_str<'a>(name: &str, args: &'a [Value]) -> Result<(&'a str, &'a str), FuncError> {
    arity(name, args, 2)?;
    Ok((arg_str(name, &args[0])?, arg_str(name, &args[1])?))
}

fn bytes_to_string(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hello(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("hello", args, 0)?;
    s("Hello!")
}

/// Go's `len(s)`-based abbreviation (goutils `AbbreviateFull`).
fn abbreviate_full(st: &str, offset: i64, max_width: i64) -> String {
    let b = st.as_bytes();
    let len = b.len() as i64;
    if st.is_empty() || len <= max_width {
        return st.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return format!("{}...", bytes_to_string(&b[..(max_width - 3) as usize]));
    }
    if max_width < 7 {
        return st.to_string();
    }
    if offset + max_width - 3 < len {
        let rest = bytes_to_string(&b[offset as usize..]);
        return format!("...{}", abbreviate_full(&rest, 0, max_width - 3));
    }
    format!("...{}", bytes_to_string(&b[(len - (max_width - 3)) as usize..]))
}

fn abbrev(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("abbrev", args, 2)?;
    let width = arg_int("abbrev", &args[0])?;
    let st = arg_str("abbrev", &args[1])?;
    if width < 4 {
        return s(st);
    }
    s(abbreviate_full(st, 0, width))
}

fn abbrevboth(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("abbrevboth", args, 3)?;
    let left = arg_int("abbrevboth", &args[0])?;
    let right = arg_int("abbrevboth", &args[1])?;
    let st = arg_str("abbrevboth", &args[2])?;
    if right < 4 || (left > 0 && right < 7) {
        return s(st);
    }
    s(abbreviate_full(st, left, right))
}

fn trunc(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("trunc", args, 2)?;
    let c = arg_int("trunc", &args[0])?;
    let st = arg_str("trunc", &args[1])?;
    let b = st.as_bytes();
    let len = b.len() as i64;
    if c < 0 && len + c > 0 {
        return s(bytes_to_string(&b[(len + c) as usize..]));
    }
    if c >= 0 && len > c {
        return s(bytes_to_string(&b[..c as usize]));
    }
    s(st)
}

fn slice_error(name: &str, lo: i64, hi: i64) -> FuncError {
    FuncError::new(name, format!("runtime error: slice bounds out of range [{lo}:{hi}]"))
}

fn substr(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("substr", args, 3)?;
    let start = arg_int("substr", &args[0])?;
    let end = arg_int("substr", &args[1])?;
    let st = arg_str("substr", &args[2])?;
    let b = st.as_bytes();
    let len = b.len() as i64;
    let (lo, hi) = if start < 0 {
        (0, end)
    } else if end < 0 || end > len {
        (start, len)
    } else {
        (start, end)
    };
    if hi < 0 || hi > len {
        return Err(FuncError::new(
            "substr",
            format!("runtime error: slice bounds out of range [:{hi}] with length {len}"),
        ));
    }
    if lo > hi {
        return Err(slice_error("substr", lo, hi));
    }
    s(bytes_to_string(&b[lo as usize..hi as usize]))
}

fn trim(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    s(one_str("trim", args)?.trim())
}

/// Go's simple (one character to one character) case mapping.
fn map_char(c: char, upper: bool) -> char {
    let mut it_u;
    let mut it_l;
    let it: &mut dyn Iterator<Item = char> = if upper {
        it_u = c.to_uppercase();
        &mut it_u
    } else {
        it_l = c.to_lowercase();
        &mut it_l
    };
    match (it.next(), it.next()) {
        (Some(m), None) => m,
        _ => c,
    }
}

fn to_upper(st: &str) -> String {
    st.chars().map(|c| map_char(c, true)).collect()
}

fn to_lower(st: &str) -> String {
    st.chars().map(|c| map_char(c, false)).collect()
}

fn upper(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    s(to_upper(one_str("upper", args)?))
}

fn lower(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    s(to_lower(one_str("lower", args)?))
}

/// Go's `strings.Title` word separator rule.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphanumeric() {
        return false;
    }
    c.is_whitespace()
}

fn title(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let st = one_str("title", args)?;
    let mut prev = ' ';
    let out: String = st
        .chars()
        .map(|c| {
            let r = if is_separator(prev) { map_char(c, true) } else { c };
            prev = c;
            r
        })
        .collect();
    s(out)
}

fn untitle(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    // goutils.Uncapitalize: the first letter of every whitespace-separated word.
    let st = one_str("untitle", args)?;
    let mut next = true;
    let out = st
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                next = true;
                c
            } else if next {
                next = false;
                map_char(c, false)
            } else {
                c
            }
        })
        .collect::<String>();
    s(out)
}

fn repeat(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("repeat", args, 2)?;
    let count = arg_int("repeat", &args[0])?;
    let st = arg_str("repeat", &args[1])?;
    if count < 0 {
        return Err(FuncError::new("repeat", "strings: negative Repeat count"));
    }
    let total = (st.len() as u128) * (count as u128);
    check_size("repeat", env, usize::try_from(total).unwrap_or(usize::MAX))?;
    s(st.repeat(count as usize))
}

fn trim_all(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (cutset, st) = two_str("trimAll", args)?;
    s(st.trim_matches(|c| cutset.contains(c)))
}

fn trim_suffix(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (suffix, st) = two_str("trimSuffix", args)?;
    s(st.strip_suffix(suffix).unwrap_or(st))
}

fn trim_prefix(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (prefix, st) = two_str("trimPrefix", args)?;
    s(st.strip_prefix(prefix).unwrap_or(st))
}

fn nospace(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    // goutils.DeleteWhiteSpace reads the string byte by byte, each byte as a rune: a multi-byte
    // character comes out as its bytes' Latin-1 characters (`é` becomes `Ã©`), and the bytes
    // 0x85 and 0xA0 count as spaces.
    let out = one_str("nospace", args)?.bytes().map(char::from).filter(|c| !c.is_whitespace()).collect::<String>();
    s(out)
}

fn initials(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let st = one_str("initials", args)?;
    let mut gap = true;
    let mut out = String::new();
    for c in st.chars() {
        if c.is_whitespace() {
            gap = true;
        } else if gap {
            out.push(c);
            gap = false;
        }
    }
    s(out)
}

/// Sprig's `shuffle`: the string's characters in a random order (xstrings.Shuffle, a
/// Fisher-Yates shuffle of runes), from the OS random generator.
fn shuffle(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let st = one_str("shuffle", args)?;
    let mut chars: Vec<char> = st.chars().collect();
    for i in (1..chars.len()).rev() {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|_| FuncError::new("shuffle", "the system random generator failed"))?;
        // The modulo bias is below 2^-50 for any string a template can hold.
        let j = (u64::from_le_bytes(b) % (i as u64 + 1)) as usize;
        chars.swap(i, j);
    }
    s(chars.into_iter().collect::<String>())
}

fn swapcase(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let st = one_str("swapcase", args)?;
    s(st.chars()
        .map(|c| {
            if c.is_uppercase() {
                map_char(c, false)
            } else if c.is_lowercase() {
                map_char(c, true)
            } else {
                c
            }
        })
        .collect::<String>())
}

// huandu/xstrings 1.3.3 (the version Sprig 3.2.3 pins): `ToSnakeCase`, `ToKebabCase` and
// `ToCamelCase`, ported rune for rune. Go decodes an invalid byte as U+FFFD; a Rust string has
// none, so a literal U+FFFD plays that part.

const RUNE_ERROR: char = '\u{FFFD}';

#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// A letter that is not a CJK ideograph (xstrings `isAlphabet`).
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic()
        && !(('\u{4E00}'..='\u{9FCC}').contains(&c)
            || ('\u{3400}'..='\u{4D85}').contains(&c)
            || ('\u{20000}'..='\u{2B81D}').contains(&c))
}

/// Go's `unicode.IsPunct` (general category P): exact for ASCII and Latin-1, the common
/// punctuation blocks beyond.
fn is_punct(c: char) -> bool {
    matches!(c,
        '!'..='#' | '%'..='*' | ','..='/' | ':' | ';' | '?' | '@' | '['..=']' | '_' | '{' | '}'
        | '\u{A1}' | '\u{A7}' | '\u{AB}' | '\u{B6}' | '\u{B7}' | '\u{BB}' | '\u{BF}'
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{2043}' | '\u{2045}'..='\u{2051}' | '\u{2053}'..='\u{205E}'
        | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}'
        | '\u{FF01}'..='\u{FF03}' | '\u{FF05}'..='\u{FF0A}' | '\u{FF0C}'..='\u{FF0F}' | '\u{FF1A}' | '\u{FF1B}'
        | '\u{FF1F}' | '\u{FF20}' | '\u{FF3B}'..='\u{FF3D}' | '\u{FF3F}' | '\u{FF5B}' | '\u{FF5D}')
}

/// xstrings `nextValidRune`: the first rune that is not U+FFFD and the bytes up to and including
/// it; `prev` and every byte when there is none.
fn next_valid(st: &str, prev: char) -> (char, usize) {
    let mut size = 0;
    for c in st.chars() {
        size += c.len_utf8();
        if c != RUNE_ERROR {
            return (c, size);
        }
    }
    (prev, size)
}

/// Advances over runes satisfying `keep`, from `offset`; returns the new offset and the rune that
/// stopped it.
fn scan(st: &str, mut offset: usize, mut r: char, keep: impl Fn(char, usize) -> bool) -> (usize, char) {
    while offset < st.len() {
        let (next, size) = next_valid(&st[offset..], r);
        r = next;
        if !keep(r, size) {
            break;
        }
        offset += size;
    }
    (offset, r)
}

/// xstrings `nextWord`: the type of the next word, the word, and the rest.
fn next_word(st: &str) -> (Word, &str, &str) {
    if st.is_empty() {
        return (Word::Invalid, "", "");
    }
    let (r, size) = next_valid(st, RUNE_ERROR);
    let mut offset = size;
    if r == RUNE_ERROR {
        return (Word::Invalid, &st[..offset], &st[offset..]);
    }
    let wt = if is_connector(r) {
        offset = scan(st, offset, r, |c, _| is_connector(c)).0;
        Word::Connector
    } else if is_punct(r) {
        offset = scan(st, offset, r, |c, _| is_punct(c)).0;
        Word::Punct
    } else if r.is_uppercase() {
        if offset < st.len() {
            let (next, size) = next_valid(&st[offset..], r);
            if next.is_uppercase() {
                // An upper-case run; its last letter starts the next word when a letter follows
                // (`HTTPServer` is `HTTP`, `Server`).
                let mut prev_size = size;
                offset += size;
                let mut r = next;
                while offset < st.len() {
                    let (n, sz) = next_valid(&st[offset..], r);
                    r = n;
                    if !r.is_uppercase() {
                        break;
                    }
                    prev_size = sz;
                    offset += sz;
                }
                if offset < st.len() && is_alphabet(r) {
                    offset -= prev_size;
                }
            } else if is_alphabet(next) {
                offset += size;
                offset = scan(st, offset, next, |c, _| is_alphabet(c) && !c.is_uppercase()).0;
            }
        }
        Word::Upper
    } else if is_alphabet(r) {
        offset = scan(st, offset, r, |c, _| is_alphabet(c) && !c.is_uppercase()).0;
        Word::Alphabet
    } else if r.is_numeric() {
        offset = scan(st, offset, r, |c, _| c.is_numeric()).0;
        Word::Number
    } else {
        offset = scan(st, offset, r, |c, size| {
            !(size == 0 || is_connector(c) || is_alphabet(c) || c.is_numeric() || is_punct(c))
        })
        .0;
        Word::Other
    };
    (wt, &st[..offset], &st[offset..])
}

/// xstrings `toLower`: upper-case and connector words are lowered, connectors replaced.
fn push_lower(buf: &mut String, wt: Word, word: &str, connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        buf.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            buf.push(connector);
        } else if c.is_uppercase() {
            buf.push(map_char(c, false));
        } else {
            buf.push(c);
        }
    }
}

/// xstrings `camelCaseToLowerCase`.
fn delimited(st: &str, connector: char) -> String {
    let mut buf = String::with_capacity(st.len() + 8);
    if st.is_empty() {
        return buf;
    }
    let (mut wt, mut word, mut remaining) = next_word(st);
    while !remaining.is_empty() {
        if wt != Word::Connector {
            push_lower(&mut buf, wt, word, connector);
        }
        let (prev, last) = (wt, word);
        (wt, word, remaining) = next_word(remaining);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    push_lower(&mut buf, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if !matches!(wt, Word::Invalid | Word::Punct | Word::Connector) {
                    buf.push(connector);
                }
            }
            Word::Connector => push_lower(&mut buf, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if !matches!(wt, Word::Connector | Word::Punct) {
                        buf.push(connector);
                    }
                } else if !remaining.is_empty() {
                    let number = word;
                    (wt, word, remaining) = next_word(remaining);
                    if wt == Word::Alphabet {
                        buf.push(connector);
                        push_lower(&mut buf, Word::Number, number, connector);
                        while wt == Word::Alphabet || wt == Word::Number {
                            push_lower(&mut buf, wt, word, connector);
                            (wt, word, remaining) = next_word(remaining);
                        }
                        if !matches!(wt, Word::Invalid | Word::Connector | Word::Punct) {
                            buf.push(connector);
                        }
                    } else {
                        push_lower(&mut buf, Word::Number, number, connector);
                        if !matches!(wt, Word::Connector | Word::Punct) {
                            buf.push(connector);
                        }
                    }
                }
            }
        }
    }
    push_lower(&mut buf, wt, word, connector);
    buf
}

fn snakecase(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    s(delimited(one_str("snakecase", args)?, '_'))
}

fn kebabcase(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    s(delimited(one_str("kebabcase", args)?, '-'))
}

/// xstrings `ToCamelCase`: connectors (`-`, `_`, spaces) are dropped and the next rune upper-cased,
/// other runes lowered; leading connectors, a run's extra connectors and a trailing connector stay.
fn camelcase(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let st = one_str("camelcase", args)?;
    let mut out = String::with_capacity(st.len());
    let mut chars = st.chars();
    let mut r0 = None;
    for c in chars.by_ref() {
        if !is_connector(c) {
            r0 = Some(map_char(c, true));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = r0 else {
        // Only connectors: Go writes the last one a second time.
        if let Some(last) = st.chars().last() {
            out.push(last);
        }
        return s(out);
    };
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = map_char(r0, true);
        } else {
            r0 = map_char(r0, false);
            out.push(r1);
        }
    }
    out.push(r0);
    s(out)
}

/// goutils `WrapCustom`, byte-based like the original.
fn wrap_custom(st: &str, width: i64, newline: &str, long_words: bool) -> String {
    if st.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let b = st.as_bytes();
    let len = b.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(len + 32);
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        if let Some(pos) = b[offset..end].iter().rposition(|&c| c == b' ') {
            let at = offset + pos;
            out.extend_from_slice(&b[offset..at]);
            out.extend_from_slice(newline.as_bytes());
            offset = at + 1;
        } else if long_words {
            out.extend_from_slice(&b[offset..offset + width]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|&c| c == b' ') {
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = len;
                }
                Some(idx) => {
                    let at = idx + end;
                    out.extend_from_slice(&b[offset..at]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = at + 1;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    bytes_to_string(&out)
}

fn wrap(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("wrap", args, 2)?;
    let width = arg_int("wrap", &args[0])?;
    s(wrap_custom(arg_str("wrap", &args[1])?, width, "", false))
}

fn wrap_with(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("wrapWith", args, 3)?;
    let width = arg_int("wrapWith", &args[0])?;
    let sep = arg_str("wrapWith", &args[1])?;
    s(wrap_custom(arg_str("wrapWith", &args[2])?, width, sep, true))
}

fn contains(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (sub, st) = two_str("contains", args)?;
    Ok(Value::Bool(st.contains(sub)))
}

fn has_prefix(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (p, st) = two_str("hasPrefix", args)?;
    Ok(Value::Bool(st.starts_with(p)))
}

fn has_suffix(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (p, st) = two_str("hasSuffix", args)?;
    Ok(Value::Bool(st.ends_with(p)))
}

/// Go's `unicode.IsPrint` for characters outside ASCII, closely enough: letters, marks,
/// numbers, punctuation and symbols; not spaces other than U+0020, controls or format
/// characters.
fn is_go_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
        || ('\u{e000}'..='\u{f8ff}').contains(&c)
        || ('\u{f0000}'..).contains(&c))
}

/// Go's `strconv.Quote` (`%q`).
pub(crate) fn go_quote(st: &str) -> String {
    let mut out = String::with_capacity(st.len() + 2);
    out.push('"');
    for c in st.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn quote(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args.iter().filter(|v| !matches!(v, Value::Nil)).map(|v| go_quote(&strval(v))).collect();
    s(parts.join(" "))
}

fn squote(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> =
        args.iter().filter(|v| !matches!(v, Value::Nil)).map(|v| format!("'{}'", fmt_v(v))).collect();
    s(parts.join(" "))
}

fn cat(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args.iter().filter(|v| !matches!(v, Value::Nil)).map(fmt_v).collect();
    s(parts.join(" "))
}

fn indent_str(env: &FuncEnv, name: &str, args: &[Value]) -> Result<String, FuncError> {
    arity(name, args, 2)?;
    let spaces = arg_int(name, &args[0])?;
    let st = arg_str(name, &args[1])?;
    // Go's strings.Repeat panics on a negative count.
    let spaces = usize::try_from(spaces).map_err(|_| FuncError::new(name, "strings: negative Repeat count"))?;
    let lines = st.matches('\n').count() + 1;
    check_size(name, env, st.len().saturating_add(spaces.saturating_mul(lines)))?;
    let pad = " ".repeat(spaces);
    Ok(format!("{pad}{}", st.replace('\n', &format!("\n{pad}"))))
}

fn indent(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    s(indent_str(env, "indent", args)?)
}

fn nindent(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    s(format!("\n{}", indent_str(env, "nindent", args)?))
}

fn replace(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("replace", args, 3)?;
    let old = arg_str("replace", &args[0])?;
    let new = arg_str("replace", &args[1])?;
    let src = arg_str("replace", &args[2])?;
    let count = if old.is_empty() { src.chars().count() + 1 } else { src.matches(old).count() };
    check_size("replace", env, src.len().saturating_add(count.saturating_mul(new.len())))?;
    s(src.replace(old, new))
}

fn plural(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("plural", args, 3)?;
    let one = arg_str("plural", &args[0])?;
    let many = arg_str("plural", &args[1])?;
    let count = arg_int("plural", &args[2])?;
    s(if count == 1 { one } else { many })
}

fn to_string(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("toString", args, 1)?;
    s(strval(&args[0]))
}

/// Sprig's `strslice`: a list's non-nil items as strings; nil is an empty list; anything else
/// a one-item list.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.iter().filter(|i| !matches!(i, Value::Nil)).map(strval).collect(),
        Value::Bytes(b) => b.iter().map(u8::to_string).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

fn to_strings(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("toStrings", args, 1)?;
    Ok(string_list(strslice(&args[0])))
}

/// Go's `strings.SplitN` (`n < 0` for all).
fn go_split(st: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<&str> = st.char_indices().map(|(i, c)| &st[i..i + c.len_utf8()]).collect();
        if n < 0 || chars.len() <= n as usize {
            return chars.into_iter().map(String::from).collect();
        }
        let n = n as usize;
        let mut out: Vec<String> = chars[..n - 1].iter().map(|c| c.to_string()).collect();
        out.push(chars[n - 1..].concat());
        return out;
    }
    if n < 0 {
        st.split(sep).map(String::from).collect()
    } else {
        st.splitn(n as usize, sep).map(String::from).collect()
    }
}

fn numbered(parts: Vec<String>) -> Value {
    Value::Map(
        parts.into_iter().enumerate().map(|(i, p)| (format!("_{i}"), Value::String(p))).collect::<BTreeMap<_, _>>(),
    )
}

fn split(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (sep, st) = two_str("split", args)?;
    Ok(numbered(go_split(st, sep, -1)))
}

fn split_list(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let (sep, st) = two_str("splitList", args)?;
    Ok(string_list(go_split(st, sep, -1)))
}

fn splitn(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("splitn", args, 3)?;
    let sep = arg_str("splitn", &args[0])?;
    let n = arg_int("splitn", &args[1])?;
    let st = arg_str("splitn", &args[2])?;
    Ok(numbered(go_split(st, sep, n)))
}

fn join(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("join", args, 2)?;
    let sep = arg_str("join", &args[0])?;
    s(strslice(&args[1]).join(sep))
}

fn sort_alpha(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("sortAlpha", args, 1)?;
    match &args[0] {
        v @ (Value::List(_) | Value::Bytes(_)) => {
            let mut items = strslice(v);
            items.sort();
            Ok(string_list(items))
        }
        other => Ok(string_list([strval(other)])),
    }
}

// ---------------------------------------------------------------------------------------------
// Regular expressions.

/// Translates Go RE2 syntax to the `regex` crate's: Go's Perl classes (`\d`, `\w`, `\s`, `\b`)
/// are ASCII-only, the crate's are Unicode-aware unless told otherwise.
fn translate_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(n) = chars.next() else {
                out.push(c);
                break;
            };
            let repl = match (n, in_class) {
                ('d', false) => Some("[0-9]"),
                ('D', _) => Some("[^0-9]"),
                ('w', false) => Some("[0-9A-Za-z_]"),
                ('W', _) => Some("[^0-9A-Za-z_]"),
                ('s', false) => Some("[\\t\\n\\f\\r ]"),
                ('S', _) => Some("[^\\t\\n\\f\\r ]"),
                ('d', true) => Some("0-9"),
                ('w', true) => Some("0-9A-Za-z_"),
                ('s', true) => Some("\\t\\n\\f\\r "),
                ('b', false) => Some("(?-u:\\b)"),
                ('B', false) => Some("(?-u:\\B)"),
                _ => None,
            };
            match repl {
                Some(r) => out.push_str(r),
                None => {
                    out.push('\\');
                    out.push(n);
                }
            }
            class_start = false;
            continue;
        }
        if in_class {
            if c == '[' && chars.peek() == Some(&':') {
                // POSIX class `[:alpha:]`: copy through the closing `:]`.
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
                class_start = false;
                continue;
            }
            if c == '[' {
                // A literal `[` inside a Go class; the regex crate would read a nested class.
                out.push_str("\\[");
                class_start = false;
                continue;
            }
            if c == ']' && !class_start {
                in_class = false;
            }
            if c == '^' && class_start {
                out.push(c);
                continue;
            }
            if c == '&' || c == '~' || c == '-' && chars.peek() == Some(&'-') {
                // Set operators in the regex crate, plain characters in Go.
                out.push('\\');
                out.push(c);
                class_start = false;
                continue;
            }
            out.push(c);
            class_start = false;
            continue;
        }
        if c == '[' {
            in_class = true;
            class_start = true;
        }
        out.push(c);
    }
    out
}

fn compile(name: &str, pattern: &str) -> Result<regex::Regex, FuncError> {
    regex::RegexBuilder::new(&translate_regex(pattern))
        .size_limit(1 << 22)
        .build()
        .map_err(|_| FuncError::new(name, "error parsing regexp: invalid or unsupported syntax"))
}

fn regex_match_impl(name: &str, args: &[Value]) -> Result<Result<bool, FuncError>, FuncError> {
    let (pattern, st) = two_str(name, args)?;
    Ok(compile(name, pattern).map(|r| r.is_match(st)))
}

fn regex_match(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(regex_match_impl("regexMatch", args)?.unwrap_or(false)))
}

fn must_regex_match(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(regex_match_impl("mustRegexMatch", args)??))
}

fn regex_find_impl(name: &str, args: &[Value]) -> Result<Value, FuncError> {
    let (pattern, st) = two_str(name, args)?;
    let r = compile(name, pattern)?;
    s(r.find(st).map(|m| m.as_str()).unwrap_or(""))
}

fn regex_find(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_find_impl("regexFind", args)
}

fn must_regex_find(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_find_impl("mustRegexFind", args)
}

fn regex_find_all_impl(name: &str, args: &[Value]) -> Result<Value, FuncError> {
    arity(name, args, 3)?;
    let pattern = arg_str(name, &args[0])?;
    let st = arg_str(name, &args[1])?;
    let n = arg_int(name, &args[2])?;
    let r = compile(name, pattern)?;
    let limit = if n < 0 { usize::MAX } else { n as usize };
    Ok(string_list(go_find_all(&r, st, limit).into_iter().map(|(a, b)| &st[a..b])))
}

/// Go's `FindAll*`: an empty match right after a previous match is skipped.
fn go_find_all(r: &regex::Regex, st: &str, limit: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut prev_end: Option<usize> = None;
    for m in r.find_iter(st) {
        if out.len() >= limit {
            break;
        }
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        prev_end = Some(m.end());
        out.push((m.start(), m.end()));
    }
    out
}

fn regex_find_all(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_find_all_impl("regexFindAll", args)
}

fn must_regex_find_all(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_find_all_impl("mustRegexFindAll", args)
}

fn regex_replace_impl(env: &FuncEnv, name: &str, args: &[Value], literal: bool) -> Result<Value, FuncError> {
    arity(name, args, 3)?;
    let pattern = arg_str(name, &args[0])?;
    let st = arg_str(name, &args[1])?;
    let repl = arg_str(name, &args[2])?;
    let r = compile(name, pattern)?;
    let out = if literal { r.replace_all(st, regex::NoExpand(repl)) } else { r.replace_all(st, repl) };
    check_size(name, env, out.len())?;
    s(out.into_owned())
}

fn regex_replace_all(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_replace_impl(env, "regexReplaceAll", args, false)
}

fn must_regex_replace_all(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_replace_impl(env, "mustRegexReplaceAll", args, false)
}

fn regex_replace_all_literal(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_replace_impl(env, "regexReplaceAllLiteral", args, true)
}

fn must_regex_replace_all_literal(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_replace_impl(env, "mustRegexReplaceAllLiteral", args, true)
}

fn regex_split_impl(name: &str, args: &[Value]) -> Result<Value, FuncError> {
    arity(name, args, 3)?;
    let pattern = arg_str(name, &args[0])?;
    let st = arg_str(name, &args[1])?;
    let n = arg_int(name, &args[2])?;
    let r = compile(name, pattern)?;
    if n == 0 {
        return Ok(Value::List(Vec::new()));
    }
    if !pattern.is_empty() && st.is_empty() {
        return Ok(string_list([""]));
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let matches = go_find_all(&r, st, limit);
    let mut out: Vec<&str> = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for (a, b) in matches {
        if n > 0 && out.len() == limit - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(&st[beg..end]);
        }
        beg = b;
    }
    if end != st.len() {
        out.push(&st[beg..]);
    }
    Ok(string_list(out))
}

fn regex_split(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_split_impl("regexSplit", args)
}

fn must_regex_split(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    regex_split_impl("mustRegexSplit", args)
}

fn regex_quote_meta(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let st = one_str("regexQuoteMeta", args)?;
    let mut out = String::with_capacity(st.len() * 2);
    for c in st.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    s(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_permutes_the_characters() {
        let out = shuffle(&FuncEnv::default(), &[Value::from("héllo wörld")]).unwrap();
        let Value::String(out) = out else { panic!("not a string") };
        let mut a: Vec<char> = out.chars().collect();
        let mut b: Vec<char> = "héllo wörld".chars().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert!(shuffle(&FuncEnv::default(), &[Value::Int(1)]).is_err());
    }

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
    }

    fn st(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn substr_counts_bytes_not_characters() {
        assert_eq!(call(substr, &[Value::Int(0), Value::Int(2), st("héllo")]), Ok(st("h\u{fffd}")));
        assert_eq!(call(substr, &[Value::Int(1), Value::Int(3), st("héllo")]), Ok(st("é")));
    }

    #[test]
    fn substr_out_of_range_is_an_error_like_a_go_panic() {
        assert!(call(substr, &[Value::Int(4), Value::Int(2), st("hello")]).is_err());
        assert!(call(substr, &[Value::Int(-1), Value::Int(9), st("hello")]).is_err());
        assert_eq!(call(substr, &[Value::Int(2), Value::Int(99), st("hello")]), Ok(st("llo")));
    }

    #[test]
    fn upper_rejects_a_number_like_go_text_template() {
        let err = call(upper, &[Value::Int(5)]).unwrap_err();
        assert_eq!(err.0, "upper: wrong type for value; expected string; got int");
    }

    #[test]
    fn simple_case_mapping_keeps_sharp_s() {
        assert_eq!(call(upper, &[st("straße")]), Ok(st("STRAßE")));
    }

    #[test]
    fn quote_escapes_like_go_percent_q() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é\u{a0}"), "\"a\\\"b\\\\c\\n\\x01é\\u00a0\"");
    }

    #[test]
    fn go_perl_classes_stay_ascii() {
        assert_eq!(call(regex_match, &[st("^\\d+$"), st("١٢")]), Ok(Value::Bool(false)));
        assert_eq!(call(regex_match, &[st("^[\\d]+$"), st("12")]), Ok(Value::Bool(true)));
        assert_eq!(call(regex_match, &[st("[[:alpha:]]"), st("a")]), Ok(Value::Bool(true)));
    }

    #[test]
    fn regex_split_follows_go_split() {
        let r = call(regex_split, &[st("z+"), st("pizza"), Value::Int(-1)]);
        assert_eq!(r, Ok(string_list(["pi", "a"])));
        let r = call(regex_split, &[st(""), st("abc"), Value::Int(-1)]);
        assert_eq!(r, Ok(string_list(["a", "b", "c"])));
    }

    #[test]
    fn repeat_is_bounded_by_the_size_limit() {
        let env = FuncEnv { max_bytes: 10, ..FuncEnv::default() };
        assert!(repeat(&env, &[Value::Int(11), st("x")]).is_err());
        assert_eq!(repeat(&env, &[Value::Int(10), st("x")]), Ok(st("xxxxxxxxxx")));
    }

    #[test]
    fn wrap_keeps_long_words_and_wrap_with_breaks_them() {
        assert_eq!(wrap_custom("Lorem ipsum dolor", 5, "", false), "Lorem\nipsum\ndolor");
        assert_eq!(wrap_custom("abcdefgh ij", 3, "<br>", true), "abc<br>def<br>gh<br>ij");
        assert_eq!(wrap_custom("abcdefgh ij", 3, "\n", false), "abcdefgh\nij");
    }
}
