//! Encodings and hashes, paths and URLs, random values, semantic versions, and ESO's YAML
//! helpers.
//!
//! `b64dec` and `b32dec` do not fail: like Sprig they return Go's error text as the value
//! (`illegal base64 data at input byte 4`). That text carries a position, never input bytes.

use super::{arg_int, arg_map, arg_str, arity, check_size};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;
use sha1::Digest as _;
use std::collections::BTreeMap;

/// The encoding, path, URL, random, semver and YAML functions, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("b64enc", b64enc),
        ("b64dec", b64dec),
        ("b32enc", b32enc),
        ("b32dec", b32dec),
        ("sha1sum", sha1sum),
        ("sha256sum", sha256sum),
        ("sha512sum", sha512sum),
        ("adler32sum", adler32sum),
        ("base", base),
        ("dir", dir),
        ("clean", clean),
        ("ext", ext),
        ("isAbs", is_abs),
        ("osBase", base),
        ("osDir", dir),
        ("osClean", clean),
        ("osExt", ext),
        ("osIsAbs", is_abs),
        ("urlParse", url_parse),
        ("urlJoin", url_join),
        ("uuidv4", uuidv4),
        ("randAlphaNum", rand_alpha_num),
        ("randAlpha", rand_alpha),
        ("randAscii", rand_ascii),
        ("randNumeric", rand_numeric),
        ("randInt", rand_int),
        ("randBytes", rand_bytes),
        ("semver", semver::semver),
        ("semverCompare", semver::semver_compare),
        ("toYaml", yaml::to_yaml),
        ("fromYaml", yaml::from_yaml),
    ]
}

use super::{semver, yaml};

fn one_str<'a>(name: &str, args: &'a [Value]) -> Result<&'a str, FuncError> {
    arity(name, args, 1)?;
    arg_str(name, &args[0])
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Standard base64 with padding (Go's `base64.StdEncoding`).
pub(crate) fn base64_std(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base64.StdEncoding.DecodeString`, including where it reports the first error.
pub(crate) fn base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let decode = |c: u8| B64.iter().position(|&x| x == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    loop {
        let mut dbuf = [0u32; 4];
        let mut dlen = 4usize;
        let mut j = 0usize;
        let mut trailing_error = None;
        let mut finished = false;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // Standard encoding requires padding.
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = decode(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            // Padding: the end of the data.
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing_error = Some(si);
            }
            dlen = j;
            finished = true;
            break;
        }
        let val = (dbuf[0] << 18) | (dbuf[1] << 12) | (dbuf[2] << 6) | dbuf[3];
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing_error {
            return Err(at);
        }
        if finished {
            return Ok(out);
        }
    }
}

fn base32_std(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut b = [0u8; 5];
        b[..chunk.len()].copy_from_slice(chunk);
        let n = b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(B32[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString` (newlines are removed first, as Go does).
fn base32_decode(input: &[u8]) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = input.iter().copied().filter(|&c| c != b'\n' && c != b'\r').collect();
    let olen = src.len();
    let mut rest: &[u8] = &src;
    let mut out = Vec::new();
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut dbuf = [0u8; 8];
        let mut dlen = 8usize;
        let mut j = 0usize;
        while j < 8 {
            if rest.is_empty() {
                return Err(olen - rest.len() - j);
            }
            let c = rest[0];
            rest = &rest[1..];
            if c == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Err(olen);
                }
                for k in 0..7 - j {
                    if rest.len() > k && rest[k] != b'=' {
                        return Err(olen - rest.len() + k - 1);
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return Err(olen - rest.len() - 1);
                }
                break;
            }
            match B32.iter().position(|&x| x == c) {
                Some(p) => dbuf[j] = p as u8,
                None => return Err(olen - rest.len() - 1),
            }
            j += 1;
        }
        let n = dbuf.iter().fold(0u64, |a, &x| (a << 5) | u64::from(x));
        let bytes = [(n >> 32) as u8, (n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8];
        let produced = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&bytes[..produced]);
    }
    Ok(out)
}

fn b64enc(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(base64_std(one_str("b64enc", args)?.as_bytes())))
}

/// Decoded bytes as a Go string; invalid UTF-8 becomes U+FFFD (a [`Value::String`] is UTF-8).
fn bytes_string(b: Vec<u8>) -> Value {
    Value::String(String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn b64dec(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let input = one_str("b64dec", args)?;
    Ok(match base64_decode(input.as_bytes()) {
        Ok(b) => bytes_string(b),
        Err(at) => Value::String(format!("illegal base64 data at input byte {at}")),
    })
}

fn b32enc(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(base32_std(one_str("b32enc", args)?.as_bytes())))
}

fn b32dec(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let input = one_str("b32dec", args)?;
    Ok(match base32_decode(input.as_bytes()) {
        Ok(b) => bytes_string(b),
        Err(at) => Value::String(format!("illegal base32 data at input byte {at}")),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha1sum(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(hex(&sha1::Sha1::digest(one_str("sha1sum", args)?.as_bytes()))))
}

fn sha256sum(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(hex(&sha2::Sha256::digest(one_str("sha256sum", args)?.as_bytes()))))
}

fn sha512sum(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(hex(&sha2::Sha512::digest(one_str("sha512sum", args)?.as_bytes()))))
}

/// Adler-32 (RFC 1950), printed in decimal as Sprig does.
fn adler32sum(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let data = one_str("adler32sum", args)?.as_bytes();
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    Ok(Value::String(((b << 16) | a).to_string()))
}

// ---------------------------------------------------------------------------------------------
// Paths (Go's `path`; `filepath` on Linux is the same).

/// Go's `path.Clean`.
pub(crate) fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn base(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let p = one_str("base", args)?;
    if p.is_empty() {
        return Ok(Value::from("."));
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Value::from("/"));
    }
    Ok(Value::from(trimmed.rsplit('/').next().unwrap_or(trimmed)))
}

fn dir(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let p = one_str("dir", args)?;
    let d = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    Ok(Value::String(path_clean(d)))
}

fn clean(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(path_clean(one_str("clean", args)?)))
}

fn ext(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let p = one_str("ext", args)?;
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return Ok(Value::from(&p[i..]));
        }
    }
    Ok(Value::from(""))
}

fn is_abs(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(one_str("isAbs", args)?.starts_with('/')))
}

// ---------------------------------------------------------------------------------------------
// URLs (Go's `net/url`, for the URL shapes templates meet).

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = unhex(*b.get(i + 1)?)?;
            let lo = unhex(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `shouldEscape` for paths (`encodePath`) and fragments (`encodeFragment`).
fn percent_encode(s: &str, fragment: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        let keep = c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'_' | b'.' | b'~' | b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@')
            || (fragment && matches!(c, b'!' | b'(' | b')' | b'*' | b'?'));
        if keep {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn url_error() -> FuncError {
    FuncError::new("urlParse", "unable to parse url")
}

fn url_parse(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let raw = one_str("urlParse", args)?;
    if raw.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err(url_error());
    }
    let (rest, fragment) = match raw.split_once('#') {
        Some((a, f)) => (a, percent_decode(f).ok_or_else(url_error)?),
        None => (raw, String::new()),
    };
    let mut scheme = String::new();
    let mut rest = rest;
    if let Some(i) = rest.find(':') {
        let cand = &rest[..i];
        let valid = cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if valid {
            scheme = cand.to_ascii_lowercase();
            rest = &rest[i + 1..];
        } else if i == 0 {
            return Err(url_error());
        }
    }
    let (rest, query) = match rest.split_once('?') {
        Some((a, q)) => (a, q.to_string()),
        None => (rest, String::new()),
    };
    let mut m = BTreeMap::new();
    let (mut host, mut userinfo, mut path, mut opaque) = (String::new(), String::new(), String::new(), String::new());
    if !scheme.is_empty() && !rest.starts_with('/') {
        opaque = rest.to_string();
    } else if let Some(after) = rest.strip_prefix("//") {
        let (authority, p) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        match authority.rfind('@') {
            Some(i) => {
                userinfo = authority[..i].to_string();
                host = authority[i + 1..].to_string();
            }
            None => host = authority.to_string(),
        }
        path = percent_decode(p).ok_or_else(url_error)?;
    } else {
        path = percent_decode(rest).ok_or_else(url_error)?;
    }
    let hostname = if let Some(h) = host.strip_prefix('[') {
        h.split(']').next().unwrap_or("").to_string()
    } else {
        match host.rfind(':') {
            Some(i) => host[..i].to_string(),
            None => host.clone(),
        }
    };
    let userinfo = match userinfo.split_once(':') {
        Some((u, p)) => format!("{}:{}", percent_decode(u).unwrap_or_default(), percent_decode(p).unwrap_or_default()),
        None => percent_decode(&userinfo).unwrap_or_default(),
    };
    for (k, v) in [
        ("scheme", scheme),
        ("host", host),
        ("hostname", hostname),
        ("path", path),
        ("query", query),
        ("opaque", opaque),
        ("fragment", fragment),
        ("userinfo", userinfo),
    ] {
        m.insert(k.to_string(), Value::String(v));
    }
    Ok(Value::Map(m))
}

fn url_join(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("urlJoin", args, 1)?;
    let d = arg_map("urlJoin", &args[0])?;
    let field = |k: &str| -> Result<String, FuncError> {
        match d.get(k) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(FuncError::new("urlJoin", format!("unable to parse {k} field"))),
        }
    };
    let (scheme, host, path, query, opaque, fragment, userinfo) = (
        field("scheme")?,
        field("host")?,
        field("path")?,
        field("query")?,
        field("opaque")?,
        field("fragment")?,
        field("userinfo")?,
    );
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !userinfo.is_empty() {
            if !host.is_empty() || !path.is_empty() || !userinfo.is_empty() {
                out.push_str("//");
            }
            if !userinfo.is_empty() {
                out.push_str(&userinfo);
                out.push('@');
            }
            out.push_str(&host);
        }
        let ep = percent_encode(&path, false);
        if !ep.is_empty() && !ep.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&ep);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&percent_encode(&fragment, true));
    }
    Ok(Value::String(out))
}

// ---------------------------------------------------------------------------------------------
// Randomness (the operating system's generator).

fn random_bytes(name: &str, n: usize) -> Result<Vec<u8>, FuncError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|_| FuncError::new(name, "the system random generator failed"))?;
    Ok(buf)
}

/// A uniformly random index below `n` (rejection sampling, no modulo bias).
fn random_below(name: &str, n: u64) -> Result<u64, FuncError> {
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let b = random_bytes(name, 8)?;
        let mut arr = [0u8; 8];
        arr.copy_from_slice(&b);
        let x = u64::from_le_bytes(arr);
        if x < zone {
            return Ok(x % n);
        }
    }
}

fn uuidv4(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("uuidv4", args, 0)?;
    let mut b = random_bytes("uuidv4", 16)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(Value::String(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])))
}

fn random_string(env: &FuncEnv, name: &str, args: &[Value], alphabet: &[u8]) -> Result<Value, FuncError> {
    arity(name, args, 1)?;
    let count = arg_int(name, &args[0])?;
    // goutils refuses a negative count; Sprig ignores the error and prints "".
    let Ok(count) = usize::try_from(count) else {
        return Ok(Value::from(""));
    };
    check_size(name, env, count)?;
    let mut out = String::with_capacity(count);
    for _ in 0..count {
        out.push(alphabet[random_below(name, alphabet.len() as u64)? as usize] as char);
    }
    Ok(Value::String(out))
}

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NUMERIC: &[u8] = b"0123456789";

fn rand_alpha_num(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    random_string(env, "randAlphaNum", args, ALNUM)
}

fn rand_alpha(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    random_string(env, "randAlpha", args, ALPHA)
}

fn rand_ascii(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let printable: Vec<u8> = (32u8..127).collect();
    random_string(env, "randAscii", args, &printable)
}

fn rand_numeric(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    random_string(env, "randNumeric", args, NUMERIC)
}

fn rand_int(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("randInt", args, 2)?;
    let min = arg_int("randInt", &args[0])?;
    let max = arg_int("randInt", &args[1])?;
    let span =
        max.checked_sub(min).filter(|s| *s > 0).ok_or_else(|| FuncError::new("randInt", "invalid argument to Intn"))?;
    Ok(Value::Int(min + random_below("randInt", span as u64)? as i64))
}

fn rand_bytes(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("randBytes", args, 1)?;
    let count = arg_int("randBytes", &args[0])?;
    let count = usize::try_from(count).map_err(|_| FuncError::new("randBytes", "negative count"))?;
    check_size("randBytes", env, count.saturating_mul(4) / 3)?;
    Ok(Value::String(base64_std(&random_bytes("randBytes", count)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
    }

    #[test]
    fn b64dec_returns_go_error_text_as_the_value() {
        assert_eq!(call(b64dec, &[Value::from("abc")]), Ok(Value::from("illegal base64 data at input byte 0")));
        assert_eq!(call(b64dec, &[Value::from("ab!c")]), Ok(Value::from("illegal base64 data at input byte 2")));
        assert_eq!(call(b64dec, &[Value::from("YQ=")]), Ok(Value::from("illegal base64 data at input byte 3")));
        assert_eq!(call(b64dec, &[Value::from("YQ==YQ==")]), Ok(Value::from("illegal base64 data at input byte 4")));
        assert_eq!(call(b64dec, &[Value::from("YWJj\nZGVm")]), Ok(Value::from("abcdef")));
    }

    #[test]
    fn base32_round_trips_every_tail_length() {
        for s in ["", "a", "ab", "abc", "abcd", "abcde", "abcdef"] {
            let enc = base32_std(s.as_bytes());
            assert_eq!(base32_decode(enc.as_bytes()).unwrap(), s.as_bytes(), "{enc}");
        }
    }

    #[test]
    fn random_values_have_the_requested_shape() {
        let Value::String(s) = call(rand_alpha_num, &[Value::Int(40)]).unwrap() else { panic!() };
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()));
        let Value::String(u) = call(uuidv4, &[]).unwrap() else { panic!() };
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let Value::Int(i) = call(rand_int, &[Value::Int(5), Value::Int(7)]).unwrap() else { panic!() };
        assert!((5..7).contains(&i));
        assert!(call(rand_int, &[Value::Int(5), Value::Int(5)]).is_err());
        assert!(rand_alpha(&FuncEnv { max_bytes: 5, ..FuncEnv::default() }, &[Value::Int(6)]).is_err());
    }

    #[test]
    fn paths_follow_go_path_package() {
        assert_eq!(path_clean("a//b/../c/."), "a/c");
        assert_eq!(path_clean("/../a"), "/a");
        assert_eq!(path_clean("../../a"), "../../a");
        assert_eq!(call(dir, &[Value::from("foo")]), Ok(Value::from(".")));
        assert_eq!(call(base, &[Value::from("/a/b/")]), Ok(Value::from("b")));
    }
}
