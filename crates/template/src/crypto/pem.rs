//! ESO's PEM helpers (`filterPEM`, `filterCertChain`, `certSANs`) and a PEM codec that decodes
//! and encodes exactly as Go's `encoding/pem` does, so that junk, headers, `\r\n` line ends and
//! malformed blocks are treated the way ESO treats them.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer as _;
use zeroize::Zeroizing;

use super::{arity, bytes_arg, check_size, str_arg};
use crate::func::{FuncEnv, FuncError};
use crate::value::Value;

/// Go's `base64.StdEncoding`: padded, and lenient about non-zero trailing bits.
const GO_STD: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

/// The PEM type of certificates.
pub(crate) const CERTIFICATE: &str = "CERTIFICATE";

/// One PEM block, as Go's `pem.Block`. The contents are wiped when dropped (they are often keys).
#[derive(Clone)]
pub struct Block {
    /// The type from the `-----BEGIN TYPE-----` line.
    pub typ: String,
    /// RFC 1421 headers (`Proc-Type`, `DEK-Info`, ...).
    pub headers: BTreeMap<String, String>,
    /// The decoded contents.
    pub bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Block({}, <{} bytes>)", self.typ, self.bytes.len())
    }
}

/// Go's `getLine`: one line without its `\n`, a `\r` before it, and trailing spaces and tabs.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (mut line, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    if data.len() > line.len() && line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    while let Some((b' ' | b'\t', init)) = line.split_last() {
        line = init;
    }
    (line, rest)
}

fn trim_space(mut s: &[u8]) -> &[u8] {
    while let Some((c, rest)) = s.split_first() {
        if !c.is_ascii_whitespace() && *c != 0x0B {
            break;
        }
        s = rest;
    }
    while let Some((c, init)) = s.split_last() {
        if !c.is_ascii_whitespace() && *c != 0x0B {
            break;
        }
        s = init;
    }
    s
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Go's `pem.Decode`: the next block and the input after it, or `None` and the whole input when
/// no further block can be decoded.
pub fn decode(data: &[u8]) -> (Option<Block>, &[u8]) {
    const START: &[u8] = b"\n-----BEGIN ";
    const END: &[u8] = b"\n-----END ";
    const EOL: &[u8] = b"-----";
    let mut rest = data;
    loop {
        if rest.starts_with(&START[1..]) {
            rest = &rest[START.len() - 1..];
        } else if let Some(i) = find(rest, START) {
            rest = &rest[i + START.len()..];
        } else {
            return (None, data);
        }
        let (type_line, after) = get_line(rest);
        rest = after;
        let Some(typ) = type_line.strip_suffix(EOL) else { continue };
        let mut headers = BTreeMap::new();
        loop {
            if rest.is_empty() {
                return (None, data);
            }
            let (line, next) = get_line(rest);
            let Some(colon) = line.iter().position(|b| *b == b':') else { break };
            let key = String::from_utf8_lossy(trim_space(&line[..colon])).into_owned();
            let val = String::from_utf8_lossy(trim_space(&line[colon + 1..])).into_owned();
            headers.insert(key, val);
            rest = next;
        }
        let (end_index, trailer_index) = if headers.is_empty() && rest.starts_with(&END[1..]) {
            (0, END.len() - 1)
        } else {
            match find(rest, END) {
                Some(i) => (i, i + END.len()),
                None => continue,
            }
        };
        let trailer = &rest[trailer_index..];
        let trailer_len = typ.len() + EOL.len();
        if trailer.len() < trailer_len {
            continue;
        }
        let (end_trailer, rest_of_end_line) = trailer.split_at(trailer_len);
        if !end_trailer.starts_with(typ) || !end_trailer.ends_with(EOL) {
            continue;
        }
        if !get_line(rest_of_end_line).0.is_empty() {
            continue;
        }
        let b64: Zeroizing<Vec<u8>> = Zeroizing::new(
            rest[..end_index].iter().copied().filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')).collect(),
        );
        let Ok(bytes) = GO_STD.decode(b64.as_slice()) else { continue };
        let block = Block { typ: String::from_utf8_lossy(typ).into_owned(), headers, bytes: Zeroizing::new(bytes) };
        let (_, after) = get_line(&rest[end_index + END.len() - 1..]);
        return (Some(block), after);
    }
}

/// Every block Go's `pem.Decode` finds, in order, and what is left after the last one.
pub fn decode_all(mut data: &[u8]) -> (Vec<Block>, &[u8]) {
    let mut blocks = Vec::new();
    loop {
        match decode(data) {
            (Some(b), rest) => {
                blocks.push(b);
                data = rest;
            }
            (None, rest) => return (blocks, rest),
        }
    }
}

/// Go's `pem.Encode`: headers (`Proc-Type` first), base64 in 64-column lines.
pub fn encode(typ: &str, headers: &BTreeMap<String, String>, bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 4 / 3 + typ.len() * 2 + 40));
    out.push_str("-----BEGIN ");
    out.push_str(typ);
    out.push_str("-----\n");
    if !headers.is_empty() {
        if let Some(v) = headers.get("Proc-Type") {
            out.push_str("Proc-Type: ");
            out.push_str(v);
            out.push('\n');
        }
        for (k, v) in headers.iter().filter(|(k, _)| k.as_str() != "Proc-Type") {
            out.push_str(k);
            out.push_str(": ");
            out.push_str(v);
            out.push('\n');
        }
        out.push('\n');
    }
    let b64 = Zeroizing::new(GO_STD.encode(bytes));
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(typ);
    out.push_str("-----\n");
    out
}

/// A block without headers, encoded.
pub(crate) fn encode_plain(typ: &str, bytes: &[u8]) -> Zeroizing<String> {
    encode(typ, &BTreeMap::new(), bytes)
}

/// `filterPEM type input`: the blocks of `type` (case-insensitive), re-encoded and concatenated.
/// Fails, as ESO does, when nothing matched and undecodable data is left over.
pub fn filter_pem(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "filterPEM";
    arity(NAME, args, 2)?;
    let typ = str_arg(NAME, args, 0)?;
    let input = bytes_arg(NAME, args, 1)?;
    let (blocks, rest) = decode_all(input);
    let mut out = String::new();
    for b in blocks.iter().filter(|b| b.typ.eq_ignore_ascii_case(typ) || unicode_eq_fold(&b.typ, typ)) {
        out.push_str(&encode(&b.typ, &b.headers, &b.bytes));
        check_size(NAME, env, out.len())?;
    }
    if out.is_empty() && !rest.is_empty() {
        return Err(FuncError::new(NAME, "error filtering pem: found junk"));
    }
    Ok(Value::String(out))
}

/// Go's `strings.EqualFold` beyond ASCII (simple case folding, approximated by lowercasing).
fn unicode_eq_fold(a: &str, b: &str) -> bool {
    a.chars().count() == b.chars().count()
        && a.chars().zip(b.chars()).all(|(x, y)| x == y || x.to_lowercase().eq(y.to_lowercase()))
}

/// What ESO reads from a certificate: its DER and key identifiers.
pub(crate) struct CertInfo {
    pub(crate) der: Vec<u8>,
    /// The authority key identifier's `keyIdentifier`, `None` when absent (Go's nil).
    pub(crate) aki: Option<Vec<u8>>,
    /// The subject key identifier, `None` when absent.
    pub(crate) ski: Option<Vec<u8>>,
}

/// Go's `bytes.Equal` on possibly-nil slices (nil equals empty).
fn same_id(a: &Option<Vec<u8>>, b: &Option<Vec<u8>>) -> bool {
    a.as_deref().unwrap_or_default() == b.as_deref().unwrap_or_default()
}

impl CertInfo {
    /// Parses a DER certificate (strictly: trailing data is an error, as in Go).
    pub(crate) fn parse(der: &[u8]) -> Result<Self, String> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| format!("x509: malformed certificate: {e}"))?;
        if !rest.is_empty() {
            return Err("x509: trailing data".into());
        }
        let mut info = Self { der: der.to_vec(), aki: None, ski: None };
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    info.aki = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                ParsedExtension::SubjectKeyIdentifier(ski) => info.ski = Some(ski.0.to_vec()),
                _ => {}
            }
        }
        Ok(info)
    }

    /// ESO's `isRootCertificate`: no authority key id, or one equal to the subject key id.
    fn is_root(&self) -> bool {
        self.aki.is_none() || same_id(&self.aki, &self.ski)
    }
}

/// ESO's chain ordering (`fetchX509CertChains`): every PEM block must be a certificate; links go
/// from authority key id to subject key id; exactly one certificate may be nobody's parent (the
/// leaf); the result runs leaf, intermediates, root.
pub(crate) fn order_chain(input: &[u8]) -> Result<Vec<CertInfo>, String> {
    let (blocks, _) = decode_all(input);
    let nodes = blocks.iter().map(|b| CertInfo::parse(&b.bytes)).collect::<Result<Vec<_>, _>>()?;
    order_certs(nodes)
}

/// [`order_chain`] on parsed certificates.
pub(crate) fn order_certs(nodes: Vec<CertInfo>) -> Result<Vec<CertInfo>, String> {
    let n = nodes.len();
    let mut parent: Vec<Option<usize>> = vec![None; n];
    let mut is_parent = vec![false; n];
    for i in 0..n {
        if let Some(j) = (0..n).find(|&j| j != i && same_id(&nodes[i].aki, &nodes[j].ski)) {
            is_parent[j] = true;
            parent[i] = Some(j);
        }
    }
    let mut leaves = (0..n).filter(|&i| !is_parent[i]);
    let leaf = leaves.next().ok_or("no leaf certificate found")?;
    if leaves.next().is_some() {
        return Err("found multiple leaf or disjunct certificates".into());
    }
    let mut order = Vec::with_capacity(n);
    let mut cur = Some(leaf);
    while let Some(i) = cur {
        if order.len() == n {
            return Err("constructing chain resulted in cycle".into());
        }
        order.push(i);
        cur = parent[i];
    }
    let mut slots: Vec<Option<CertInfo>> = nodes.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// `filterCertChain leaf|intermediate|root input`: one part of an ordered chain, as PEM; empty
/// when the chain has no such part (or the type is not one of the three).
pub fn filter_cert_chain(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "filterCertChain";
    arity(NAME, args, 2)?;
    let which = str_arg(NAME, args, 0)?;
    let input = bytes_arg(NAME, args, 1)?;
    let chain = order_chain(input).map_err(|e| FuncError::new(NAME, e))?;
    let pem = |c: &CertInfo| encode_plain(CERTIFICATE, &c.der).to_string();
    let out = match which {
        "leaf" => chain.first().filter(|c| c.aki.is_some() && !same_id(&c.aki, &c.ski)).map(pem).unwrap_or_default(),
        "intermediate" => chain.iter().skip(1).take_while(|c| !c.is_root()).map(pem).collect(),
        "root" => chain.last().filter(|c| c.is_root()).map(pem).unwrap_or_default(),
        _ => String::new(),
    };
    Ok(Value::String(out))
}

/// Go's `net.IP.String` for a SAN address: dotted quad for IPv4 (and IPv4-mapped IPv6), RFC 5952
/// for IPv6, `?` plus hex for other lengths.
fn ip_string(b: &[u8]) -> String {
    match b.len() {
        4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            let v6 = Ipv6Addr::from(a);
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            }
        }
        _ => format!("?{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
    }
}

/// `certSANs pem`: the subject alternative names of the first certificate in `pem`: DNS names,
/// then IP addresses, then email addresses, then URIs, each group in certificate order.
pub fn cert_sans(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "certSANs";
    arity(NAME, args, 1)?;
    let input = bytes_arg(NAME, args, 0)?;
    let (Some(block), _) = decode(input) else {
        return Err(FuncError::new(NAME, "failed to decode PEM block"));
    };
    let (rest, cert) = X509Certificate::from_der(&block.bytes)
        .map_err(|e| FuncError::new(NAME, format!("x509: malformed certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(FuncError::new(NAME, "x509: trailing data"));
    }
    let (mut dns, mut ips, mut emails, mut uris) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ext in cert.extensions() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
            for name in &san.general_names {
                match name {
                    GeneralName::DNSName(s) => dns.push(Value::String((*s).to_string())),
                    GeneralName::IPAddress(b) => ips.push(Value::String(ip_string(b))),
                    GeneralName::RFC822Name(s) => emails.push(Value::String((*s).to_string())),
                    GeneralName::URI(s) => uris.push(Value::String((*s).to_string())),
                    _ => {}
                }
            }
        }
    }
    dns.extend(ips);
    dns.extend(emails);
    dns.extend(uris);
    Ok(Value::List(dns))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, IsCa, KeyPair, SanType};

    /// A test-only chain: (root, intermediate, leaf) PEMs, each with key identifiers.
    pub(crate) fn chain() -> (String, String, String, KeyPair) {
        let root_key = KeyPair::generate().unwrap();
        let mut rp = CertificateParams::new(Vec::<String>::new()).unwrap();
        rp.distinguished_name.push(DnType::CommonName, "test root");
        rp.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        // rcgen leaves get no subject key id; a root without an authority key id would then
        // "link" to the leaf (nil equals nil in ESO's matching), so the root names itself.
        rp.use_authority_key_identifier_extension = true;
        let root = rp.self_signed(&root_key).unwrap();
        let root_issuer = rcgen::Issuer::new(rp, &root_key);

        let int_key = KeyPair::generate().unwrap();
        let mut ip = CertificateParams::new(Vec::<String>::new()).unwrap();
        ip.distinguished_name.push(DnType::CommonName, "test intermediate");
        ip.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ip.use_authority_key_identifier_extension = true;
        let int = ip.signed_by(&int_key, &root_issuer).unwrap();
        let int_issuer = rcgen::Issuer::new(ip, &int_key);

        let leaf_key = KeyPair::generate().unwrap();
        let mut lp = CertificateParams::new(vec!["a.example.com".to_string()]).unwrap();
        lp.subject_alt_names.push(SanType::IpAddress("10.0.0.1".parse().unwrap()));
        lp.subject_alt_names.push(SanType::IpAddress("2001:db8::1".parse().unwrap()));
        lp.subject_alt_names.push(SanType::Rfc822Name("ops@example.com".try_into().unwrap()));
        lp.subject_alt_names.push(SanType::URI("spiffe://example/x".try_into().unwrap()));
        lp.subject_alt_names.push(SanType::DnsName("b.example.com".try_into().unwrap()));
        lp.use_authority_key_identifier_extension = true;
        let leaf = lp.signed_by(&leaf_key, &int_issuer).unwrap();
        (root.pem(), int.pem(), leaf.pem(), leaf_key)
    }

    fn call(f: crate::func::Function, args: &[&str]) -> Result<Value, FuncError> {
        let args: Vec<Value> = args.iter().map(|s| Value::from(*s)).collect();
        f(&FuncEnv::default(), &args)
    }

    fn s(v: Value) -> String {
        match v {
            Value::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn decode_skips_junk_and_keeps_headers_like_go() {
        let input =
            b"junk\r\n-----BEGIN FOO-----\r\nProc-Type: 4,ENCRYPTED\r\nA: b\r\n\r\nAAEC\r\n-----END FOO-----\r\ntail";
        let (block, rest) = decode(input);
        let block = block.unwrap();
        assert_eq!(block.typ, "FOO");
        assert_eq!(block.bytes.as_slice(), &[0, 1, 2]);
        assert_eq!(block.headers.len(), 2);
        assert_eq!(rest, b"tail");
        assert_eq!(
            encode(&block.typ, &block.headers, &block.bytes).as_str(),
            "-----BEGIN FOO-----\nProc-Type: 4,ENCRYPTED\nA: b\n\nAAEC\n-----END FOO-----\n"
        );
    }

    #[test]
    fn decode_rejects_a_mismatched_end_line_and_reports_no_block() {
        let input = b"-----BEGIN A-----\nAAEC\n-----END B-----\n";
        let (block, rest) = decode(input);
        assert!(block.is_none());
        assert_eq!(rest, input);
    }

    #[test]
    fn encode_wraps_base64_at_64_columns() {
        let pem = encode_plain("X", &[0u8; 60]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 16);
    }

    #[test]
    fn filter_pem_returns_only_blocks_of_the_type_case_insensitively() {
        let (root, int, leaf, key) = chain();
        let input = format!("{}{leaf}{int}{root}", key.serialize_pem());
        let out = s(call(filter_pem, &["certificate", &input]).unwrap());
        assert_eq!(out, format!("{leaf}{int}{root}").replace("\r\n", "\n"));
        let keys = s(call(filter_pem, &["PRIVATE KEY", &input]).unwrap());
        assert_eq!(keys, key.serialize_pem());
    }

    #[test]
    fn filter_pem_fails_on_junk_only_when_nothing_matched() {
        assert_eq!(
            call(filter_pem, &["CERTIFICATE", "not pem"]).unwrap_err().0,
            "filterPEM: error filtering pem: found junk"
        );
        assert_eq!(s(call(filter_pem, &["CERTIFICATE", ""]).unwrap()), "");
        let (root, ..) = chain();
        let with_junk = format!("{root}trailing junk");
        assert_eq!(s(call(filter_pem, &["CERTIFICATE", &with_junk]).unwrap()), root);
        assert!(call(filter_pem, &["PRIVATE KEY", &with_junk]).is_err());
    }

    #[test]
    fn filter_cert_chain_orders_a_shuffled_chain_and_picks_each_part() {
        let (root, int, leaf, _) = chain();
        let shuffled = format!("{root}{leaf}{int}");
        assert_eq!(s(call(filter_cert_chain, &["leaf", &shuffled]).unwrap()), leaf);
        assert_eq!(s(call(filter_cert_chain, &["intermediate", &shuffled]).unwrap()), int);
        assert_eq!(s(call(filter_cert_chain, &["root", &shuffled]).unwrap()), root);
        assert_eq!(s(call(filter_cert_chain, &["other", &shuffled]).unwrap()), "");
    }

    #[test]
    fn filter_cert_chain_of_a_lone_root_has_no_leaf_and_no_intermediate() {
        let (root, ..) = chain();
        assert_eq!(s(call(filter_cert_chain, &["leaf", &root]).unwrap()), "");
        assert_eq!(s(call(filter_cert_chain, &["intermediate", &root]).unwrap()), "");
        assert_eq!(s(call(filter_cert_chain, &["root", &root]).unwrap()), root);
    }

    #[test]
    fn filter_cert_chain_rejects_two_leaves_and_non_certificates() {
        let (root, _, leaf, key) = chain();
        let err = call(filter_cert_chain, &["leaf", &format!("{leaf}{root}")]).unwrap_err();
        assert_eq!(err.0, "filterCertChain: found multiple leaf or disjunct certificates");
        let err = call(filter_cert_chain, &["leaf", &format!("{}{root}", key.serialize_pem())]).unwrap_err();
        assert!(err.0.starts_with("filterCertChain: x509:"), "{err}");
        assert!(call(filter_cert_chain, &["leaf", ""]).is_err());
    }

    #[test]
    fn a_root_without_authority_key_id_links_to_a_leaf_without_subject_key_id_as_in_eso() {
        let key = KeyPair::generate().unwrap();
        let mut rp = CertificateParams::new(Vec::<String>::new()).unwrap();
        rp.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let root = rp.self_signed(&key).unwrap().pem();
        let issuer = rcgen::Issuer::new(rp, &key);
        let mut lp = CertificateParams::new(vec!["x".to_string()]).unwrap();
        lp.use_authority_key_identifier_extension = true;
        let leaf = lp.signed_by(&key, &issuer).unwrap().pem();
        let err = call(filter_cert_chain, &["leaf", &format!("{leaf}{root}")]).unwrap_err();
        assert_eq!(err.0, "filterCertChain: no leaf certificate found");
    }

    #[test]
    fn cert_sans_lists_dns_then_ips_then_emails_then_uris() {
        let (_, _, leaf, _) = chain();
        let Value::List(sans) = call(cert_sans, &[&leaf]).unwrap() else { panic!("not a list") };
        let sans: Vec<String> = sans.into_iter().map(s).collect();
        assert_eq!(
            sans,
            ["a.example.com", "b.example.com", "10.0.0.1", "2001:db8::1", "ops@example.com", "spiffe://example/x"]
        );
    }

    #[test]
    fn cert_sans_prints_ipv4_mapped_addresses_as_go_does() {
        assert_eq!(ip_string(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]), "1.2.3.4");
        assert_eq!(ip_string(&[1, 2, 3]), "?010203");
    }

    #[test]
    fn cert_sans_fails_without_a_certificate() {
        assert_eq!(call(cert_sans, &["nothing"]).unwrap_err().0, "certSANs: failed to decode PEM block");
    }
}
