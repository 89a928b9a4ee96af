//! ESO's PKCS#12 functions. Reading accepts what `p12-keystore` decrypts: PBES2 (PBKDF2 with
//! AES-CBC) and the legacy PBES1 schemes (RC2-40, 3DES) that older `openssl pkcs12 -export` and
//! Windows produce, with any SHA-1/SHA-2 MAC. Writing follows go-pkcs12's `Modern` encoder:
//! PBES2 with PBKDF2-HMAC-SHA-256 and AES-256-CBC for keys and certificates, an HMAC-SHA-256 MAC,
//! 2048 iterations each.
//!
//! Archives are binary: pass them as `Bytes`, or as a `String` only when they happen to be valid
//! UTF-8 (see the module docs of [`crate::crypto`]). Outputs of the `*ToPkcs12*` functions are
//! base64 text, as in ESO.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p12_keystore::{Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, Pkcs12Archive};
use p12_keystore::{PrivateKey, PrivateKeyChain};
use zeroize::Zeroizing;

use super::pem::{CERTIFICATE, CertInfo, decode, decode_all, encode_plain, order_certs};
use super::{arity, bytes_arg, check_size, der, str_arg};
use crate::func::{FuncEnv, FuncError};
use crate::value::Value;

/// Iterations for key derivation and the MAC, as go-pkcs12's `Modern` encoder uses.
const ITERATIONS: u32 = 2048;

/// go-pkcs12's `DecodeChain`: the single private key (PKCS#8 DER), the first certificate and the
/// remaining certificates, in bag order.
/// A decoded archive: the PKCS#8 key and the certificates' DER.
type KeyAndCerts = (Zeroizing<Vec<u8>>, Vec<Vec<u8>>);

fn decode_chain(data: &[u8], pass: &str) -> Result<KeyAndCerts, String> {
    let archive = Pkcs12Archive::from_pkcs12(data, pass).map_err(|e| format!("pkcs12: {e}"))?;
    if archive.keys.len() > 1 {
        return Err("pkcs12: expected exactly one key bag".into());
    }
    let certs: Vec<Vec<u8>> = archive.certs.iter().map(|b| b.cert.as_der().to_vec()).collect();
    if certs.is_empty() {
        return Err("pkcs12: certificate missing".into());
    }
    let key = archive.keys.first().ok_or("pkcs12: private key missing")?;
    Ok((Zeroizing::new(key.key.as_der().to_vec()), certs))
}

fn key_impl(name: &str, env: &FuncEnv, pass: &str, input: &[u8]) -> Result<Value, FuncError> {
    let (key, _) = decode_chain(input, pass)
        .map_err(|e| FuncError::new(name, format!("unable to decode pkcs12 with password: {e}")))?;
    let pem = encode_plain("PRIVATE KEY", &key);
    check_size(name, env, pem.len())?;
    Ok(Value::String(pem.to_string()))
}

fn cert_impl(name: &str, env: &FuncEnv, pass: &str, input: &[u8]) -> Result<Value, FuncError> {
    let (_, certs) = decode_chain(input, pass)
        .map_err(|e| FuncError::new(name, format!("unable to decode pkcs12 certificate with password: {e}")))?;
    let as_found: String = certs.iter().map(|c| encode_plain(CERTIFICATE, c).to_string()).collect();
    let parsed: Result<Vec<CertInfo>, String> = certs.iter().map(|c| CertInfo::parse(c)).collect();
    let out = match parsed.and_then(order_certs) {
        Ok(ordered) => ordered.iter().map(|c| encode_plain(CERTIFICATE, &c.der).to_string()).collect(),
        Err(_) => as_found,
    };
    check_size(name, env, out.len())?;
    Ok(Value::String(out))
}

/// `pkcs12key archive`: the private key of a password-less PKCS#12 archive as PKCS#8 PEM.
pub fn pkcs12key(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("pkcs12key", args, 1)?;
    key_impl("pkcs12key", env, "", bytes_arg("pkcs12key", args, 0)?)
}

/// `pkcs12keyPass password archive`: as `pkcs12key`, decrypting with `password`.
pub fn pkcs12key_pass(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "pkcs12keyPass";
    arity(NAME, args, 2)?;
    key_impl(NAME, env, str_arg(NAME, args, 0)?, bytes_arg(NAME, args, 1)?)
}

/// `pkcs12cert archive`: every certificate as PEM, ordered leaf, intermediates, root when one
/// chain can be built from key identifiers, else in archive order (first certificate first).
pub fn pkcs12cert(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("pkcs12cert", args, 1)?;
    cert_impl("pkcs12cert", env, "", bytes_arg("pkcs12cert", args, 0)?)
}

/// `pkcs12certPass password archive`: as `pkcs12cert`, decrypting with `password`.
pub fn pkcs12cert_pass(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "pkcs12certPass";
    arity(NAME, args, 2)?;
    cert_impl(NAME, env, str_arg(NAME, args, 0)?, bytes_arg(NAME, args, 1)?)
}

/// A private key from the first PEM block, tried as PKCS#1, PKCS#8 then SEC1 whatever the block
/// type says (as ESO's `parsePrivateKey`), returned as PKCS#8 DER.
pub(crate) fn private_key_pkcs8(pem: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
    let (Some(block), _) = decode(pem) else { return Err("failed to decode PEM block".into()) };
    let bad = || "unable to parse private key type".to_string();
    let (0x30, body, _) = der::read(&block.bytes).ok_or_else(bad)? else { return Err(bad()) };
    let (_, _, rest) = der::read(body).ok_or_else(bad)?;
    let (second, _, _) = der::read(rest).ok_or_else(bad)?;
    let pkcs8 = match second {
        0x02 => der::pkcs8_from_pkcs1(&block.bytes),
        0x30 => block.bytes.clone(),
        0x04 => der::pkcs8_from_sec1(&block.bytes).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&pkcs8)
        .map(drop)
        .or_else(|_| {
            [
                &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            ]
            .iter()
            .chain([&aws_lc_rs::signature::ECDSA_P521_SHA512_ASN1_SIGNING].iter())
            .find_map(|alg| aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(alg, &pkcs8).ok())
            .map(drop)
            .ok_or(())
        })
        .or_else(|_| aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).map(drop))
        .map_err(|_| bad())?;
    Ok(pkcs8)
}

/// Every PEM block parsed as a certificate (ESO's `parseCaCerts`), as DER.
fn certs_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let (blocks, _) = decode_all(pem);
    blocks.iter().map(|b| CertInfo::parse(&b.bytes).map(|c| c.der)).collect::<Result<Vec<_>, _>>()
}

fn write(store: &KeyStore, pass: &str) -> Result<Vec<u8>, String> {
    store
        .writer(pass)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(ITERATIONS)
        .write()
        .map_err(|e| format!("pkcs12: {e}"))
}

/// Builds the keystore archive: key plus `certs` (leaf first), base64.
fn key_archive(key_pem: &[u8], certs: Vec<Vec<u8>>, pass: &str) -> Result<String, String> {
    let pkcs8 = private_key_pkcs8(key_pem)?;
    let key = PrivateKey::from_der(&pkcs8).map_err(|_| "unable to parse private key type".to_string())?;
    let leaf = certs.first().ok_or("no certificate")?;
    let local_key_id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, leaf).as_ref().to_vec();
    let certs = certs
        .iter()
        .map(|c| Certificate::from_der(c).map_err(|e| format!("x509: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut store = KeyStore::new();
    store.add_entry("1", KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certs)));
    Ok(STANDARD.encode(write(&store, pass)?))
}

fn to_pkcs12(name: &str, env: &FuncEnv, cert: &[u8], key: &[u8], pass: &str, full: bool) -> Result<Value, FuncError> {
    let fail = |e: String| FuncError::new(name, e);
    let (Some(first), rest) = decode(cert) else { return Err(fail("failed to decode PEM block".into())) };
    let mut certs = vec![CertInfo::parse(&first.bytes).map_err(fail)?.der];
    if full {
        certs.extend(certs_from_pem(rest).map_err(fail)?);
    }
    let out = key_archive(key, certs, pass).map_err(fail)?;
    check_size(name, env, out.len())?;
    Ok(Value::String(out))
}

/// `pemToPkcs12 cert key`: a password-less archive of the first certificate and the key, base64.
pub fn pem_to_pkcs12(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "pemToPkcs12";
    arity(NAME, args, 2)?;
    to_pkcs12(NAME, env, bytes_arg(NAME, args, 0)?, bytes_arg(NAME, args, 1)?, "", false)
}

/// `pemToPkcs12Pass cert key password`: as `pemToPkcs12`, encrypted with `password`.
pub fn pem_to_pkcs12_pass(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "pemToPkcs12Pass";
    arity(NAME, args, 3)?;
    to_pkcs12(NAME, env, bytes_arg(NAME, args, 0)?, bytes_arg(NAME, args, 1)?, str_arg(NAME, args, 2)?, false)
}

/// `fullPemToPkcs12 certs key`: as `pemToPkcs12`, with the further certificates as the CA chain.
pub fn full_pem_to_pkcs12(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "fullPemToPkcs12";
    arity(NAME, args, 2)?;
    to_pkcs12(NAME, env, bytes_arg(NAME, args, 0)?, bytes_arg(NAME, args, 1)?, "", true)
}

/// `fullPemToPkcs12Pass certs key password`: as `fullPemToPkcs12`, encrypted with `password`.
pub fn full_pem_to_pkcs12_pass(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "fullPemToPkcs12Pass";
    arity(NAME, args, 3)?;
    to_pkcs12(NAME, env, bytes_arg(NAME, args, 0)?, bytes_arg(NAME, args, 1)?, str_arg(NAME, args, 2)?, true)
}

fn truststore(name: &str, env: &FuncEnv, pem: &[u8], pass: &str) -> Result<Value, FuncError> {
    let fail = |e: String| FuncError::new(name, e);
    let certs = certs_from_pem(pem).map_err(fail)?;
    let mut store = KeyStore::new();
    for (i, der) in certs.iter().enumerate() {
        let cert = Certificate::from_der(der).map_err(|e| fail(format!("x509: {e}")))?;
        // Aliases sort in input order and never collide (subjects may repeat).
        store.add_entry(&format!("{i:06}"), KeyStoreEntry::Certificate(cert));
    }
    let out = STANDARD.encode(write(&store, pass).map_err(fail)?);
    check_size(name, env, out.len())?;
    Ok(Value::String(out))
}

/// `pemTruststoreToPKCS12 certs`: a password-less trust store of every certificate, base64.
pub fn pem_truststore_to_pkcs12(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "pemTruststoreToPKCS12";
    arity(NAME, args, 1)?;
    truststore(NAME, env, bytes_arg(NAME, args, 0)?, "")
}

/// `pemTruststoreToPKCS12Pass certs password`: as `pemTruststoreToPKCS12`, with `password`.
pub fn pem_truststore_to_pkcs12_pass(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "pemTruststoreToPKCS12Pass";
    arity(NAME, args, 2)?;
    truststore(NAME, env, bytes_arg(NAME, args, 0)?, str_arg(NAME, args, 1)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::pem::tests::chain;

    fn fixture(name: &str) -> Vec<u8> {
        crate::crypto::tests_data(name)
    }

    fn call(f: crate::func::Function, args: Vec<Value>) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), &args)
    }

    fn s(v: Value) -> String {
        match v {
            Value::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn pem_to_pkcs12_pass_round_trips_through_pkcs12key_and_pkcs12cert() {
        let (root, int, leaf, key) = chain();
        let certs = format!("{leaf}{int}{root}");
        let b64 =
            s(call(full_pem_to_pkcs12_pass, vec![certs.as_str().into(), key.serialize_pem().into(), "s3cret".into()])
                .unwrap());
        let p12 = STANDARD.decode(b64).unwrap();
        let got_key = s(call(pkcs12key_pass, vec!["s3cret".into(), Value::Bytes(p12.clone())]).unwrap());
        assert_eq!(got_key, key.serialize_pem());
        let got_certs = s(call(pkcs12cert_pass, vec!["s3cret".into(), Value::Bytes(p12.clone())]).unwrap());
        assert_eq!(got_certs, certs);
        let err = call(pkcs12key_pass, vec!["wrong".into(), Value::Bytes(p12)]).unwrap_err();
        assert!(err.0.starts_with("pkcs12keyPass: unable to decode pkcs12 with password: "), "{err}");
    }

    #[test]
    fn pem_to_pkcs12_keeps_only_the_first_certificate() {
        let (root, _, leaf, key) = chain();
        let b64 = s(call(pem_to_pkcs12, vec![format!("{leaf}{root}").into(), key.serialize_pem().into()]).unwrap());
        let p12 = STANDARD.decode(b64).unwrap();
        assert_eq!(s(call(pkcs12cert, vec![Value::Bytes(p12)]).unwrap()), leaf);
    }

    #[test]
    fn pem_to_pkcs12_accepts_pkcs1_and_sec1_keys() {
        let pkcs1 = fixture("rsa-pkcs1.key.pem");
        let cert = fixture("rsa.crt.pem");
        assert!(call(pem_to_pkcs12, vec![Value::Bytes(cert), Value::Bytes(pkcs1)]).is_ok());
        let sec1 = fixture("ec-sec1.key.pem");
        let cert = fixture("ec.crt.pem");
        assert!(call(pem_to_pkcs12, vec![Value::Bytes(cert), Value::Bytes(sec1)]).is_ok());
    }

    #[test]
    fn pem_to_pkcs12_rejects_a_missing_key_without_echoing_it() {
        let (_, _, leaf, _) = chain();
        let err = call(pem_to_pkcs12, vec![leaf.into(), "hunter2".into()]).unwrap_err();
        assert_eq!(err.0, "pemToPkcs12: failed to decode PEM block");
    }

    #[test]
    fn openssl_legacy_archives_open_with_pkcs12key_and_pkcs12cert() {
        for (file, pass) in [
            ("openssl-legacy-3des.p12", "test"),
            ("openssl-legacy-rc2.p12", "test"),
            ("openssl-aes.p12", "test"),
            ("openssl-nopass.p12", ""),
        ] {
            let p12 = fixture(file);
            let key = s(call(pkcs12key_pass, vec![pass.into(), Value::Bytes(p12.clone())]).unwrap());
            assert!(key.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{file}");
            let certs = s(call(pkcs12cert_pass, vec![pass.into(), Value::Bytes(p12)]).unwrap());
            assert_eq!(certs, String::from_utf8(fixture("rsa.crt.pem")).unwrap(), "{file}");
        }
    }

    #[test]
    fn a_trust_store_holds_every_certificate_and_no_key() {
        let (root, int, _, _) = chain();
        let b64 = s(call(pem_truststore_to_pkcs12_pass, vec![format!("{int}{root}").into(), "pw".into()]).unwrap());
        let archive = Pkcs12Archive::from_pkcs12(&STANDARD.decode(b64).unwrap(), "pw").unwrap();
        assert_eq!(archive.certs.len(), 2);
        assert!(archive.keys.is_empty());
        assert!(archive.certs.iter().all(|c| c.trusted));
    }

    #[test]
    fn pkcs12key_of_a_trust_store_reports_the_missing_key() {
        let (root, ..) = chain();
        let b64 = s(call(pem_truststore_to_pkcs12, vec![root.into()]).unwrap());
        let err = call(pkcs12key, vec![Value::Bytes(STANDARD.decode(b64).unwrap())]).unwrap_err();
        assert_eq!(err.0, "pkcs12key: unable to decode pkcs12 with password: pkcs12: private key missing");
    }
}
