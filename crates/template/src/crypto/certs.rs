//! Sprig's certificate functions: `genCA`, `genCAWithKey`, `genSelfSignedCert`,
//! `genSelfSignedCertWithKey`, `genSignedCert`, `genSignedCertWithKey` and `buildCustomCert`.
//!
//! Sprig returns a struct with the fields `Cert` and `Key`; these return a [`Value::Map`] with the
//! same two keys, both PEM text, so `.Cert` and `.Key` read the same and the map can be passed as
//! the `ca` argument of `genSignedCert`.
//!
//! What the certificates hold, as Sprig builds them:
//!
//! - subject: only the common name (none when it is empty), as a PrintableString when Go would
//!   choose one, else a UTF8String; a random 128-bit serial number;
//! - validity from now to now plus `days` times 24 hours;
//! - key usage digital signature and key encipherment (plus certificate signing for a CA), extended
//!   key usage server and client authentication, basic constraints (`CA:TRUE` without a path
//!   length for a CA, `CA:FALSE` otherwise);
//! - subject alternative names: the DNS names, then the IP addresses (IPv4-mapped IPv6 addresses
//!   are written as IPv4, as Go does);
//! - a CA gets a subject key identifier (SHA-1 of its public key, Go's method); a certificate
//!   signed by a CA with one gets it as authority key identifier;
//! - generated keys are RSA 2048 (`RSA PRIVATE KEY`, PKCS#1). A key passed to a `*WithKey`
//!   function is read as Sprig reads it (the first PEM block: `PRIVATE KEY`, `RSA PRIVATE KEY`
//!   or `EC PRIVATE KEY`) and returned re-encoded the way Sprig encodes that kind of key;
//! - signatures: SHA-256 with RSA, ECDSA with SHA-256/384/512 for P-256/384/521, or Ed25519,
//!   following the signing key.
//!
//! Differences from Sprig: DSA keys are refused (Go cannot put them in a certificate either, so
//! Sprig fails later with another message); RSA keys shorter than 2048 bits are refused (the
//! aws-lc-rs backend will not sign with them); a `days` so large that Go's duration arithmetic
//! would wrap around is an error instead of a strange date; and a CA whose subject name cannot be
//! copied exactly (multi-valued RDNs, a repeated attribute type) is refused, because the issuer
//! name of the new certificate would not match it. Errors name the step that failed, never the
//! arguments.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rcgen::string::{Ia5String, PrintableString};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose,
    IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;
use zeroize::Zeroizing;

use super::pem::{CERTIFICATE, decode, encode_plain};
use super::sprig::pkcs8_inner;
use super::{arity, bytes_arg, der, go_string, int_arg, str_arg};
use crate::func::{FuncEnv, FuncError};
use crate::sprig::encoding::base64_decode;
use crate::value::Value;

/// A private key ready to sign, with its PEM text as Sprig prints it.
struct SprigKey {
    pair: Zeroizing<KeyPair>,
    pem: Zeroizing<String>,
}

/// A new RSA 2048 key, as Sprig's certificate functions generate.
fn generate_key(name: &str) -> Result<SprigKey, FuncError> {
    let fail = || FuncError::new(name, "failed to generate an RSA key");
    let pair = Zeroizing::new(KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(|_| fail())?);
    let pkcs1 = pkcs8_inner(pair.serialized_der()).ok_or_else(fail)?;
    let pem = encode_plain("RSA PRIVATE KEY", &pkcs1);
    Ok(SprigKey { pair, pem })
}

/// Sprig's `parsePrivateKeyPEM`: the first PEM block, read according to its type.
fn parse_key(name: &str, what: &str, pem: &[u8]) -> Result<SprigKey, FuncError> {
    let fail = |why: &str| FuncError::new(name, format!("{what}: {why}"));
    let (Some(block), _) = decode(pem) else { return Err(fail("no PEM data")) };
    let pkcs8 = match block.typ.as_str() {
        "PRIVATE KEY" => block.bytes.clone(),
        "RSA PRIVATE KEY" => der::pkcs8_from_pkcs1(&block.bytes),
        "EC PRIVATE KEY" => {
            der::pkcs8_from_sec1(&block.bytes).ok_or_else(|| fail("not an EC private key with a named curve"))?
        }
        "DSA PRIVATE KEY" => return Err(fail("DSA keys are not supported; use rsa, ecdsa or ed25519")),
        t if t.ends_with(" PRIVATE KEY") => return Err(fail("unsupported private key type")),
        _ => return Err(fail("the PEM block is not a private key")),
    };
    let pair = Zeroizing::new(
        KeyPair::try_from(pkcs8.as_slice())
            .map_err(|_| fail("unreadable or unsupported key (RSA of 2048 bits or more, P-256/384/521, Ed25519)"))?,
    );
    let unreadable = || fail("unreadable private key");
    let alg = pair.algorithm();
    let pem = if alg == &rcgen::PKCS_RSA_SHA256 {
        encode_plain("RSA PRIVATE KEY", &pkcs8_inner(&pkcs8).ok_or_else(unreadable)?)
    } else if alg == &rcgen::PKCS_ED25519 {
        let kp = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).map_err(|_| unreadable())?;
        encode_plain("PRIVATE KEY", kp.to_pkcs8v1().map_err(|_| unreadable())?.as_ref())
    } else {
        use aws_lc_rs::encoding::{AsDer, EcPrivateKeyRfc5915Der};
        use aws_lc_rs::signature::{
            ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1_SIGNING,
            EcdsaKeyPair,
        };
        let kp = [&ECDSA_P256_SHA256_ASN1_SIGNING, &ECDSA_P384_SHA384_ASN1_SIGNING, &ECDSA_P521_SHA512_ASN1_SIGNING]
            .into_iter()
            .find_map(|a| EcdsaKeyPair::from_pkcs8(a, &pkcs8).ok())
            .ok_or_else(unreadable)?;
        let sec1 = AsDer::<EcPrivateKeyRfc5915Der>::as_der(&kp.private_key()).map_err(|_| unreadable())?;
        encode_plain("EC PRIVATE KEY", sec1.as_ref())
    };
    Ok(SprigKey { pair, pem })
}

/// The `int` argument `days` as the validity window, starting now.
fn validity(name: &str, days: i64) -> Result<(time::OffsetDateTime, time::OffsetDateTime), FuncError> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let now = i64::try_from(now).map_err(|_| FuncError::new(name, "the system clock is out of range"))?;
    let out_of_range = || FuncError::new(name, "the validity in days is out of range");
    let end = days.checked_mul(86_400).and_then(|s| s.checked_add(now)).ok_or_else(out_of_range)?;
    let not_before = time::OffsetDateTime::from_unix_timestamp(now).map_err(|_| out_of_range())?;
    let not_after = time::OffsetDateTime::from_unix_timestamp(end).map_err(|_| out_of_range())?;
    Ok((not_before, not_after))
}

/// Go's choice of string type for a name attribute: PrintableString when every character allows
/// it (`*` and `&` excluded), UTF8String otherwise.
fn go_dn_value(s: &str) -> DnValue {
    match PrintableString::try_from(s) {
        Ok(p) if !s.contains(['*', '&']) => DnValue::PrintableString(p),
        _ => DnValue::Utf8String(s.to_string()),
    }
}

/// The subject Go writes for a common name, DER-encoded (for comparing with a CA's subject).
fn subject_der(cn: &str) -> Vec<u8> {
    if cn.is_empty() {
        return der::seq(&[]).to_vec();
    }
    const OID_CN: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];
    let tag = if matches!(go_dn_value(cn), DnValue::PrintableString(_)) { 0x13 } else { 0x0C };
    let atv = der::seq(&[OID_CN, &der::tlv(tag, cn.as_bytes())]);
    der::seq(&[&der::tlv(0x31, &atv)]).to_vec()
}

/// The arguments `cn ips dnsNames days` of the leaf functions, as certificate parameters.
fn leaf_params(name: &str, args: &[Value]) -> Result<CertificateParams, FuncError> {
    let cn = str_arg(name, args, 0)?;
    let ips = string_list(name, args, 1, "ip")?;
    let dns = string_list(name, args, 2, "dns name")?;
    base_params(name, cn, &ips, &dns, int_arg(name, args, 3)?)
}

/// A list argument of strings (Go `[]interface{}`); `nil` is an empty list.
fn string_list<'a>(name: &str, args: &'a [Value], i: usize, what: &str) -> Result<Vec<&'a str>, FuncError> {
    match args.get(i) {
        Some(Value::Nil) => Ok(Vec::new()),
        Some(Value::List(items)) => items
            .iter()
            .enumerate()
            .map(|(n, v)| match v {
                Value::String(s) => Ok(s.as_str()),
                other => Err(FuncError::new(name, format!("{what} {n} is not a string but {}", other.type_name()))),
            })
            .collect(),
        Some(v) => Err(FuncError::new(name, format!("argument {} must be a list, not {}", i + 1, v.type_name()))),
        None => Err(FuncError::new(name, format!("missing argument {}", i + 1))),
    }
}

/// Sprig's base template: subject `cn`, the SANs, `days` of validity, leaf usages, `CA:FALSE`.
fn base_params(name: &str, cn: &str, ips: &[&str], dns: &[&str], days: i64) -> Result<CertificateParams, FuncError> {
    let (not_before, not_after) = validity(name, days)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    if !cn.is_empty() {
        params.distinguished_name.push(DnType::CommonName, go_dn_value(cn));
    }
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|_| FuncError::new(name, "the system random generator failed"))?;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.not_before = not_before;
    params.not_after = not_after;
    for (n, d) in dns.iter().enumerate() {
        let d = Ia5String::try_from(*d)
            .map_err(|_| FuncError::new(name, format!("dns name {n} cannot be encoded as an IA5String")))?;
        params.subject_alt_names.push(SanType::DnsName(d));
    }
    for (n, ip) in ips.iter().enumerate() {
        let ip: IpAddr = ip.parse().map_err(|_| FuncError::new(name, format!("ip {n} is not an IP address")))?;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    // Go writes basic constraints (critical, `CA:FALSE`) without a subject key identifier, which
    // rcgen's `IsCa::ExplicitNoCa` would add; so the extension is written by hand.
    params.is_ca = IsCa::NoCa;
    let mut bc = CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x00]);
    bc.set_criticality(true);
    params.custom_extensions = vec![bc];
    Ok(params)
}

/// The `{Cert, Key}` map Sprig's functions return.
fn cert_and_key(cert_der: &[u8], key: &SprigKey) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Cert".to_string(), Value::String(encode_plain(CERTIFICATE, cert_der).to_string()));
    m.insert("Key".to_string(), Value::String(key.pem.to_string()));
    Value::Map(m)
}

fn ca_impl(name: &str, args: &[Value], key: SprigKey) -> Result<Value, FuncError> {
    let cn = str_arg(name, args, 0)?;
    let mut params = base_params(name, cn, &[], &[], int_arg(name, args, 1)?)?;
    params.key_usages.push(KeyUsagePurpose::KeyCertSign);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.custom_extensions.clear();
    params.key_identifier_method = KeyIdMethod::PreSpecified(go_key_id(&key.pair));
    let cert = params.self_signed(&*key.pair).map_err(|_| FuncError::new(name, "failed to create the certificate"))?;
    Ok(cert_and_key(cert.der(), &key))
}

/// Go's subject key identifier: SHA-1 of the subject public key bits.
fn go_key_id(pair: &KeyPair) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, pair.public_key_raw()).as_ref().to_vec()
}

/// `genCA cn days`: a self-signed CA certificate with a new RSA 2048 key.
pub fn gen_ca(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "genCA";
    arity(NAME, args, 2)?;
    let key = generate_key(NAME)?;
    ca_impl(NAME, args, key)
}

/// `genCAWithKey cn days key`: a self-signed CA certificate for the given PEM private key.
pub fn gen_ca_with_key(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "genCAWithKey";
    arity(NAME, args, 3)?;
    let key = parse_key(NAME, "parsing private key", bytes_arg(NAME, args, 2)?)?;
    ca_impl(NAME, args, key)
}

fn self_signed_impl(name: &str, args: &[Value], key: SprigKey) -> Result<Value, FuncError> {
    let params = leaf_params(name, args)?;
    let cert = params.self_signed(&*key.pair).map_err(|_| FuncError::new(name, "failed to create the certificate"))?;
    Ok(cert_and_key(cert.der(), &key))
}

/// `genSelfSignedCert cn ips dnsNames days`: a self-signed certificate with a new RSA 2048 key.
pub fn gen_self_signed_cert(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "genSelfSignedCert";
    arity(NAME, args, 4)?;
    let key = generate_key(NAME)?;
    self_signed_impl(NAME, args, key)
}

/// `genSelfSignedCertWithKey cn ips dnsNames days key`: a self-signed certificate for the given
/// PEM private key.
pub fn gen_self_signed_cert_with_key(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "genSelfSignedCertWithKey";
    arity(NAME, args, 5)?;
    let key = parse_key(NAME, "parsing private key", bytes_arg(NAME, args, 4)?)?;
    self_signed_impl(NAME, args, key)
}

/// A `Cert` or `Key` entry of a CA map: text, or bytes from `buildCustomCert`.
fn ca_field<'a>(name: &str, ca: &'a BTreeMap<String, Value>, field: &str) -> Result<&'a [u8], FuncError> {
    match ca.get(field) {
        Some(Value::String(s)) => Ok(s.as_bytes()),
        Some(Value::Bytes(b)) => Ok(b),
        _ => Err(FuncError::new(name, format!("the CA has no {field} string (pass the result of genCA)"))),
    }
}

fn signed_impl(name: &str, args: &[Value], key: SprigKey) -> Result<Value, FuncError> {
    let cn = str_arg(name, args, 0)?;
    let ca = match args.get(4) {
        Some(Value::Map(m)) => m,
        Some(v) => {
            return Err(FuncError::new(name, format!("argument 5 must be a CA (Cert and Key), not {}", v.type_name())));
        }
        None => return Err(FuncError::new(name, "missing argument 5")),
    };
    let (Some(block), _) = decode(ca_field(name, ca, "Cert")?) else {
        return Err(FuncError::new(name, "the CA certificate is not PEM"));
    };
    let bad_ca = || FuncError::new(name, "the CA certificate cannot be parsed");
    let (rest, ca_cert) = X509Certificate::from_der(&block.bytes).map_err(|_| bad_ca())?;
    if !rest.is_empty() {
        return Err(bad_ca());
    }
    let ca_key = parse_key(name, "parsing the CA private key", ca_field(name, ca, "Key")?)?;
    if ca_cert.public_key().subject_public_key.data.as_ref() != ca_key.pair.public_key_raw() {
        return Err(FuncError::new(name, "the CA private key does not match the CA certificate"));
    }
    let mut params = leaf_params(name, args)?;
    let ca_subject = ca_cert.subject().as_raw();
    let ca_has_key_id =
        ca_cert.iter_extensions().any(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_SUBJECT_KEY_IDENTIFIER);
    params.use_authority_key_identifier_extension = ca_has_key_id && ca_subject != subject_der(cn).as_slice();
    let unusable_name = || FuncError::new(name, "the CA's subject name cannot be copied exactly as issuer name");
    let issuer =
        Issuer::from_ca_cert_der(&block.bytes.as_slice().into(), &*ca_key.pair).map_err(|_| unusable_name())?;
    let cert =
        params.signed_by(&*key.pair, &issuer).map_err(|_| FuncError::new(name, "failed to create the certificate"))?;
    let (_, made) =
        X509Certificate::from_der(cert.der()).map_err(|_| FuncError::new(name, "failed to create the certificate"))?;
    if made.issuer().as_raw() != ca_subject {
        return Err(unusable_name());
    }
    Ok(cert_and_key(cert.der(), &key))
}

/// `genSignedCert cn ips dnsNames days ca`: a certificate with a new RSA 2048 key, signed by `ca`
/// (a `genCA` or `buildCustomCert` result).
pub fn gen_signed_cert(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "genSignedCert";
    arity(NAME, args, 5)?;
    let key = generate_key(NAME)?;
    signed_impl(NAME, args, key)
}

/// `genSignedCertWithKey cn ips dnsNames days ca key`: a certificate for the given PEM private
/// key, signed by `ca`.
pub fn gen_signed_cert_with_key(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "genSignedCertWithKey";
    arity(NAME, args, 6)?;
    let key = parse_key(NAME, "parsing private key", bytes_arg(NAME, args, 5)?)?;
    signed_impl(NAME, args, key)
}

/// `buildCustomCert base64Cert base64Key`: a `{Cert, Key}` map from a base64-encoded PEM
/// certificate and private key, both checked, returned as decoded.
pub fn build_custom_cert(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "buildCustomCert";
    arity(NAME, args, 2)?;
    let cert = base64_decode(bytes_arg(NAME, args, 0)?)
        .map_err(|_| FuncError::new(NAME, "the certificate is not valid base64"))?;
    let key = Zeroizing::new(
        base64_decode(bytes_arg(NAME, args, 1)?)
            .map_err(|_| FuncError::new(NAME, "the private key is not valid base64"))?,
    );
    let (Some(block), _) = decode(&cert) else {
        return Err(FuncError::new(NAME, "the certificate is not PEM"));
    };
    match X509Certificate::from_der(&block.bytes) {
        Ok(([], _)) => {}
        _ => return Err(FuncError::new(NAME, "the certificate cannot be parsed")),
    }
    parse_key(NAME, "parsing private key", &key)?;
    let mut m = BTreeMap::new();
    m.insert("Cert".to_string(), go_string(cert));
    m.insert("Key".to_string(), go_string(key.to_vec()));
    Ok(Value::Map(m))
}

#[cfg(test)]
mod tests {
    use x509_parser::der_parser::asn1_rs::Tag;
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    use x509_parser::public_key::PublicKey;

    use super::*;
    use crate::crypto::sprig::gen_private_key;

    fn call(f: crate::func::Function, args: Vec<Value>) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), &args)
    }

    /// The `Cert` and `Key` of a result.
    fn parts(v: &Value) -> (String, String) {
        let Value::Map(m) = v else { panic!("not a map: {v:?}") };
        assert_eq!(m.len(), 2);
        match (&m["Cert"], &m["Key"]) {
            (Value::String(c), Value::String(k)) => (c.clone(), k.clone()),
            other => panic!("not strings: {other:?}"),
        }
    }

    fn cert_der(pem: &str) -> Vec<u8> {
        let (Some(block), rest) = decode(pem.as_bytes()) else { panic!("no PEM") };
        assert_eq!(block.typ, CERTIFICATE);
        assert!(rest.is_empty());
        block.bytes.to_vec()
    }

    fn parse(der: &[u8]) -> X509Certificate<'_> {
        let (rest, cert) = X509Certificate::from_der(der).unwrap();
        assert!(rest.is_empty());
        cert
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::from(*s)).collect())
    }

    fn cn(cert: &X509Certificate<'_>) -> String {
        cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_string()
    }

    fn days_valid(cert: &X509Certificate<'_>) -> i64 {
        let v = cert.validity();
        assert!((v.not_before.timestamp() - time_now()).abs() < 60);
        (v.not_after.timestamp() - v.not_before.timestamp()) / 86_400
    }

    fn time_now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
    }

    fn ski(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
        cert.iter_extensions().find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
    }

    fn aki(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
        cert.iter_extensions().find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(k) => k.key_identifier.as_ref().map(|k| k.0.to_vec()),
            _ => None,
        })
    }

    fn rsa_bits(cert: &X509Certificate<'_>) -> usize {
        match cert.public_key().parsed().unwrap() {
            PublicKey::RSA(k) => k.key_size(),
            _ => panic!("not an RSA key"),
        }
    }

    /// Basic constraints: (critical, is_ca, path length).
    fn basic_constraints(cert: &X509Certificate<'_>) -> (bool, bool, Option<u32>) {
        let bc = cert.basic_constraints().unwrap().expect("basic constraints");
        (bc.critical, bc.value.ca, bc.value.path_len_constraint)
    }

    fn assert_leaf_usages(cert: &X509Certificate<'_>, ca: bool) {
        let ku = cert.key_usage().unwrap().expect("key usage");
        assert!(ku.critical);
        assert!(ku.value.digital_signature() && ku.value.key_encipherment());
        assert_eq!(ku.value.key_cert_sign(), ca);
        assert!(!ku.value.crl_sign() && !ku.value.non_repudiation() && !ku.value.data_encipherment());
        let eku = cert.extended_key_usage().unwrap().expect("extended key usage");
        assert!(eku.value.server_auth && eku.value.client_auth);
        assert!(!eku.value.any && eku.value.other.is_empty() && !eku.value.code_signing);
    }

    fn gen_key(kind: &str) -> String {
        match call(gen_private_key, vec![kind.into()]).unwrap() {
            Value::String(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gen_ca_is_a_self_signed_rsa_2048_ca_for_the_given_days() {
        let (cert_pem, key_pem) = parts(&call(gen_ca, vec!["my-ca".into(), Value::Int(365)]).unwrap());
        assert!(key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(
            cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n") && cert_pem.ends_with("-----END CERTIFICATE-----\n")
        );
        let der = cert_der(&cert_pem);
        let cert = parse(&der);
        assert_eq!(cn(&cert), "my-ca");
        assert_eq!(cert.subject().as_raw(), cert.issuer().as_raw());
        assert_eq!(cert.subject().iter().count(), 1);
        assert!(cert.is_ca());
        assert_eq!(basic_constraints(&cert), (true, true, None));
        assert_leaf_usages(&cert, true);
        assert_eq!(days_valid(&cert), 365);
        assert_eq!(rsa_bits(&cert), 2048);
        assert!(cert.subject_alternative_name().unwrap().is_none());
        assert!(cert.tbs_certificate.raw_serial().len() <= 17);
        assert_eq!(cert.signature_algorithm.algorithm, x509_parser::oid_registry::OID_PKCS1_SHA256WITHRSA);
        cert.verify_signature(None).unwrap();
        // Go's subject key identifier: SHA-1 of the public key bits; no authority key identifier.
        let bits = cert.public_key().subject_public_key.data.to_vec();
        let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &bits);
        assert_eq!(ski(&cert).unwrap(), sha1.as_ref());
        assert_eq!(aki(&cert), None);
        // The key is the certificate's.
        let key = parse_key("t", "k", key_pem.as_bytes()).unwrap();
        assert_eq!(key.pair.public_key_raw(), bits.as_slice());
    }

    #[test]
    fn gen_self_signed_cert_lists_dns_names_then_ips_and_is_not_a_ca() {
        let v = call(
            gen_self_signed_cert,
            vec![
                "foo.com".into(),
                list(&["10.0.0.1", "::ffff:10.0.0.2", "2001:db8::1"]),
                list(&["bar.com", "bat.com"]),
                Value::Int(30),
            ],
        )
        .unwrap();
        let (cert_pem, key_pem) = parts(&v);
        assert!(key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let der = cert_der(&cert_pem);
        let cert = parse(&der);
        assert_eq!(cn(&cert), "foo.com");
        assert!(!cert.is_ca());
        assert_eq!(basic_constraints(&cert), (true, false, None));
        assert_leaf_usages(&cert, false);
        assert_eq!(days_valid(&cert), 30);
        assert_eq!(rsa_bits(&cert), 2048);
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert!(!san.critical);
        let names: Vec<String> = san
            .value
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => format!("dns:{d}"),
                GeneralName::IPAddress(ip) => format!("ip:{}", ip.len()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["dns:bar.com", "dns:bat.com", "ip:4", "ip:4", "ip:16"]);
        assert_eq!(ski(&cert), None);
        assert_eq!(aki(&cert), None);
        cert.verify_signature(None).unwrap();
    }

    #[test]
    fn gen_signed_cert_is_issued_and_verified_by_its_ca() {
        let ca = call(gen_ca, vec!["my-ca".into(), Value::Int(365)]).unwrap();
        let (ca_pem, ca_key_pem) = parts(&ca);
        let v = call(
            gen_signed_cert,
            vec!["svc".into(), list(&["10.0.0.1"]), list(&["svc.local"]), Value::Int(30), ca.clone()],
        )
        .unwrap();
        let (cert_pem, key_pem) = parts(&v);
        assert_ne!(key_pem, ca_key_pem);
        let (ca_der, der) = (cert_der(&ca_pem), cert_der(&cert_pem));
        let (ca_cert, cert) = (parse(&ca_der), parse(&der));
        assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
        cert.verify_signature(Some(ca_cert.public_key())).unwrap();
        assert!(cert.verify_signature(None).is_err());
        assert_eq!(aki(&cert), ski(&ca_cert));
        assert_eq!(ski(&cert), None);
        assert_eq!(cn(&cert), "svc");
        assert!(!cert.is_ca());
        assert_leaf_usages(&cert, false);
        assert_eq!(days_valid(&cert), 30);
        assert_ne!(cert.tbs_certificate.raw_serial(), ca_cert.tbs_certificate.raw_serial());

        // nil lists mean no SANs.
        let v = call(gen_signed_cert, vec!["svc".into(), Value::Nil, Value::Nil, Value::Int(1), ca]).unwrap();
        let der = cert_der(&parts(&v).0);
        assert!(parse(&der).subject_alternative_name().unwrap().is_none());
    }

    #[test]
    fn with_key_functions_use_the_given_key_and_return_it_as_sprig_encodes_it() {
        // An ECDSA CA signing an Ed25519 leaf.
        let ec = gen_key("ecdsa");
        let ca = call(gen_ca_with_key, vec!["ec-ca".into(), Value::Int(10), ec.clone().into()]).unwrap();
        let (ca_pem, ca_key) = parts(&ca);
        assert_eq!(ca_key, ec);
        let ca_der = cert_der(&ca_pem);
        let ca_cert = parse(&ca_der);
        assert_eq!(ca_cert.signature_algorithm.algorithm, x509_parser::oid_registry::OID_SIG_ECDSA_WITH_SHA256);
        assert!(ca_cert.is_ca());
        ca_cert.verify_signature(None).unwrap();

        let ed = gen_key("ed25519");
        let v = call(
            gen_signed_cert_with_key,
            vec!["leaf".into(), Value::Nil, list(&["leaf.local"]), Value::Int(5), ca, ed.clone().into()],
        )
        .unwrap();
        let (leaf_pem, leaf_key) = parts(&v);
        assert_eq!(leaf_key, ed);
        let der = cert_der(&leaf_pem);
        let leaf = parse(&der);
        assert_eq!(leaf.issuer().as_raw(), ca_cert.subject().as_raw());
        leaf.verify_signature(Some(ca_cert.public_key())).unwrap();
        assert_eq!(
            leaf.public_key().subject_public_key.data.as_ref(),
            parse_key("t", "k", ed.as_bytes()).unwrap().pair.public_key_raw()
        );

        // An RSA key given as PKCS#8 comes back as PKCS#1, as Go re-encodes it.
        let rsa = gen_key("rsa");
        let pkcs8 = crate::crypto::pkcs12::private_key_pkcs8(rsa.as_bytes()).unwrap();
        let pkcs8_pem = encode_plain("PRIVATE KEY", &pkcs8).to_string();
        let v = call(
            gen_self_signed_cert_with_key,
            vec!["me".into(), list(&["127.0.0.1"]), Value::Nil, Value::Int(2), pkcs8_pem.into()],
        )
        .unwrap();
        let (cert_pem, key_pem) = parts(&v);
        assert_eq!(key_pem, rsa);
        let der = cert_der(&cert_pem);
        let cert = parse(&der);
        assert_eq!(rsa_bits(&cert), 4096);
        assert_eq!(days_valid(&cert), 2);
        cert.verify_signature(None).unwrap();
    }

    #[test]
    fn subject_names_use_the_string_type_go_would_and_issuers_match_them() {
        for (name, tag) in [("my ca", Tag::PrintableString), ("*.wild", Tag::Utf8String), ("café", Tag::Utf8String)] {
            let ca = call(gen_ca, vec![name.into(), Value::Int(1)]).unwrap();
            let ca_der = cert_der(&parts(&ca).0);
            let ca_cert = parse(&ca_der);
            let attr = ca_cert.subject().iter_common_name().next().unwrap();
            assert_eq!(attr.attr_value().header.tag(), tag, "{name}");
            assert_eq!(ca_cert.subject().as_raw(), subject_der(name).as_slice());
            let v = call(gen_signed_cert, vec![name.into(), Value::Nil, Value::Nil, Value::Int(1), ca]).unwrap();
            let der = cert_der(&parts(&v).0);
            let leaf = parse(&der);
            assert_eq!(leaf.issuer().as_raw(), ca_cert.subject().as_raw());
            leaf.verify_signature(Some(ca_cert.public_key())).unwrap();
            // Go omits the authority key identifier when issuer and subject names are equal.
            assert_eq!(aki(&leaf), None);
        }
        let v = call(gen_self_signed_cert, vec!["".into(), Value::Nil, list(&["x.local"]), Value::Int(1)]).unwrap();
        let der = cert_der(&parts(&v).0);
        let cert = parse(&der);
        assert_eq!(cert.subject().iter().count(), 0);
        assert!(cert.subject_alternative_name().unwrap().unwrap().critical);
    }

    #[test]
    fn bad_arguments_are_errors_that_do_not_echo_values() {
        let err = |f: crate::func::Function, args: Vec<Value>| call(f, args).unwrap_err().0;
        let e = err(gen_self_signed_cert, vec!["a".into(), list(&["10.0.0.300"]), Value::Nil, Value::Int(1)]);
        assert!(e.starts_with("genSelfSignedCert: ip 0") && !e.contains("10.0.0.300"), "{e}");
        let e =
            err(gen_self_signed_cert, vec!["a".into(), Value::List(vec![Value::Int(1)]), Value::Nil, Value::Int(1)]);
        assert!(e.contains("is not a string"), "{e}");
        let e = err(gen_self_signed_cert, vec!["a".into(), Value::Nil, list(&["ünï"]), Value::Int(1)]);
        assert!(e.contains("IA5String"), "{e}");
        let e = err(gen_self_signed_cert, vec!["a".into(), "10.0.0.1".into(), Value::Nil, Value::Int(1)]);
        assert!(e.contains("argument 2 must be a list"), "{e}");
        assert!(err(gen_ca, vec!["a".into(), Value::Int(i64::MAX / 2)]).contains("out of range"));
        assert!(err(gen_ca, vec!["a".into()]).contains("wrong number of args"));

        let secret = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END RSA PRIVATE KEY-----\n";
        let e = err(gen_ca_with_key, vec!["a".into(), Value::Int(1), secret.into()]);
        assert!(e.starts_with("genCAWithKey: parsing private key:") && !e.contains("c2VjcmV0"), "{e}");
        let dsa = "-----BEGIN DSA PRIVATE KEY-----\nAA==\n-----END DSA PRIVATE KEY-----\n";
        assert!(
            err(gen_ca_with_key, vec!["a".into(), Value::Int(1), dsa.into()]).contains("DSA keys are not supported")
        );
        let e = err(gen_ca_with_key, vec!["a".into(), Value::Int(1), "no pem".into()]);
        assert!(e.contains("no PEM data"), "{e}");

        // The CA must be a map with a Cert and the matching Key.
        let ca = call(gen_ca, vec!["ca".into(), Value::Int(1)]).unwrap();
        let leaf = |ca: Value| call(gen_signed_cert, vec!["l".into(), Value::Nil, Value::Nil, Value::Int(1), ca]);
        assert!(leaf("ca".into()).unwrap_err().0.contains("must be a CA"));
        let Value::Map(mut m) = ca.clone() else { unreachable!() };
        m.remove("Key");
        assert!(leaf(Value::Map(m)).unwrap_err().0.contains("no Key string"));
        let Value::Map(mut m) = ca else { unreachable!() };
        m.insert("Key".into(), gen_key("ecdsa").into());
        assert!(leaf(Value::Map(m)).unwrap_err().0.contains("does not match"));
    }

    #[test]
    fn build_custom_cert_round_trips_base64_inputs_and_rejects_bad_ones() {
        let ca = call(gen_ca, vec!["custom".into(), Value::Int(3)]).unwrap();
        let (cert, key) = parts(&ca);
        let b64 = |s: &str| Value::String(crate::sprig::encoding::base64_std(s.as_bytes()));
        let built = call(build_custom_cert, vec![b64(&cert), b64(&key)]).unwrap();
        assert_eq!(built, ca);
        // The result signs like genCA's.
        let v = call(gen_signed_cert, vec!["x".into(), Value::Nil, Value::Nil, Value::Int(1), built]).unwrap();
        let (ca_der, der) = (cert_der(&cert), cert_der(&parts(&v).0));
        parse(&der).verify_signature(Some(parse(&ca_der).public_key())).unwrap();
        // Go's decoder skips line breaks.
        let wrapped = |s: &str| {
            let Value::String(b) = b64(s) else { unreachable!() };
            Value::String(
                b.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n"),
            )
        };
        assert!(call(build_custom_cert, vec![wrapped(&cert), wrapped(&key)]).is_ok());

        let err = |c: Value, k: Value| call(build_custom_cert, vec![c, k]).unwrap_err().0;
        assert!(err("not base64!".into(), b64(&key)).contains("certificate is not valid base64"));
        assert!(err(b64(&cert), "####".into()).contains("private key is not valid base64"));
        assert!(err(b64("plain text"), b64(&key)).contains("certificate is not PEM"));
        let junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(err(b64(junk), b64(&key)).contains("cannot be parsed"));
        let e = err(b64(&cert), b64(&cert));
        assert!(e.contains("parsing private key: the PEM block is not a private key"), "{e}");
        // A key that does not belong to the certificate is accepted, as in Sprig (checked only
        // when signing).
        assert!(call(build_custom_cert, vec![b64(&cert), b64(&gen_key("ecdsa"))]).is_ok());
    }

    #[test]
    fn a_foreign_ca_with_a_multi_attribute_subject_signs_with_an_exactly_copied_issuer() {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::default();
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CountryName, DnValue::PrintableString("DE".try_into().unwrap()));
        p.distinguished_name.push(DnType::OrganizationName, "Ops & Co");
        p.distinguished_name.push(DnType::CommonName, "Foreign Root");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = p.self_signed(&key).unwrap();
        let b64 = |s: &str| Value::String(crate::sprig::encoding::base64_std(s.as_bytes()));
        let ca_pem = encode_plain(CERTIFICATE, ca_cert.der()).to_string();
        let key_pem = encode_plain("PRIVATE KEY", key.serialized_der()).to_string();
        let ca = call(build_custom_cert, vec![b64(&ca_pem), b64(&key_pem)]).unwrap();
        let v = call(gen_signed_cert, vec!["leaf".into(), Value::Nil, Value::Nil, Value::Int(1), ca]).unwrap();
        let der = cert_der(&parts(&v).0);
        let leaf = parse(&der);
        let ca_parsed = parse(ca_cert.der());
        assert_eq!(leaf.issuer().as_raw(), ca_parsed.subject().as_raw());
        leaf.verify_signature(Some(ca_parsed.public_key())).unwrap();
        assert_eq!(aki(&leaf), ski(&ca_parsed));
    }
}
