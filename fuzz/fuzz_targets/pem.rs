//! PEM and DER parsing of keys and certificates.
//!
//! Each input goes, as lossy UTF-8 text, to every PEM reader and, as raw bytes, to every DER
//! reader. Checked besides "never panics":
//!
//! - Errors are of the kinds a reader may report (no crypto or framing error leaks out).
//! - Whatever parses re-encodes and parses back to the same key or certificate; RSA keys are
//!   within the supported sizes; a certificate keeps its DER byte for byte.
//! - `Certificate::all_from_pem` succeeds only with at least one certificate, the first of
//!   which is what `Certificate::from_pem` reads.

#![no_main]

use kubeseal_sealing::{
    Certificate, Error, KeyId, Result, RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey,
};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret as _;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check_pem(&text);
    check_der(data);
});

fn check_pem(text: &str) {
    if let Ok(key) = reader_result(RsaPrivateKey::from_pem(text)) {
        check_rsa_private(&key);
    }
    if let Ok(key) = reader_result(RsaPublicKey::from_pem(text)) {
        check_rsa_public(&key);
    }
    let first = reader_result(Certificate::from_pem(text));
    if let Ok(cert) = &first {
        check_certificate(cert);
    }
    match reader_result(Certificate::all_from_pem(text)) {
        Ok(all) => {
            assert!(!all.is_empty(), "all_from_pem returned no certificate");
            assert_eq!(first.as_ref().ok(), all.first(), "from_pem is not the first of all");
            all.iter().for_each(check_certificate);
        }
        Err(_) => assert!(
            first.is_err() || text.matches("CERTIFICATE-----").count() > 2,
            "all_from_pem failed on a single readable certificate"
        ),
    }
    if let Ok(key) = reader_result(X25519PrivateKey::from_pem(text)) {
        check_x25519_private(&key);
    }
    if let Ok(key) = reader_result(X25519PublicKey::from_pem(text)) {
        check_x25519_public(&key);
    }
}

fn check_der(der: &[u8]) {
    if let Ok(key) = reader_result(RsaPrivateKey::from_pkcs1_der(der)) {
        check_rsa_private(&key);
    }
    if let Ok(key) = reader_result(RsaPrivateKey::from_pkcs8_der(der)) {
        check_rsa_private(&key);
    }
    if let Ok(key) = reader_result(RsaPublicKey::from_spki_der(der)) {
        check_rsa_public(&key);
    }
    if let Ok(key) = reader_result(RsaPublicKey::from_pkcs1_der(der)) {
        check_rsa_public(&key);
    }
    if let Ok(cert) = reader_result(Certificate::from_der(der)) {
        assert_eq!(cert.der(), der, "a certificate did not keep its DER");
        check_certificate(&cert);
    }
    if let Ok(key) = reader_result(X25519PrivateKey::from_pkcs8_der(der)) {
        check_x25519_private(&key);
    }
    if let Ok(key) = reader_result(X25519PublicKey::from_spki_der(der)) {
        check_x25519_public(&key);
    }
}

/// Passes a reader's result on after checking that an error is one a reader may report.
fn reader_result<T>(result: Result<T>) -> Result<T> {
    if let Err(e) = &result {
        assert!(
            matches!(
                e,
                Error::InvalidKey { .. }
                    | Error::UnsupportedKeySize { .. }
                    | Error::MissingPem { .. }
                    | Error::InvalidCertificate { .. }
            ),
            "unexpected reader error: {e:?}"
        );
    }
    result
}

fn check_rsa_private(key: &RsaPrivateKey) {
    let public = key.public_key();
    check_rsa_public(public);
    let pem = key.to_pkcs1_pem().expect("re-encoding a parsed RSA key as PKCS#1");
    let again = RsaPrivateKey::from_pem(pem.expose_secret()).expect("reading PKCS#1 back");
    assert_eq!(again.public_key(), public);
    let der = key.to_pkcs8_der().expect("re-encoding a parsed RSA key as PKCS#8");
    let again = RsaPrivateKey::from_pkcs8_der(&der).expect("reading PKCS#8 back");
    assert_eq!(again.public_key(), public);
}

fn check_rsa_public(key: &RsaPublicKey) {
    assert!((2048..=8192).contains(&key.bits()), "RSA key of {} bits", key.bits());
    assert_eq!(key.modulus_len(), key.bits().div_ceil(8));
    assert!(key.fingerprint().as_str().starts_with("SHA256:"));
    let again = RsaPublicKey::from_spki_der(key.to_spki_der()).expect("reading SPKI back");
    assert_eq!(&again, key);
    assert_eq!(again.fingerprint(), key.fingerprint());
    let again = RsaPublicKey::from_pem(&key.to_pem()).expect("reading PEM back");
    assert_eq!(&again, key);
}

fn check_certificate(cert: &Certificate) {
    check_rsa_public(cert.public_key());
    let again = Certificate::from_der(cert.der()).expect("reading a certificate's DER back");
    assert_eq!(&again, cert);
    let again = Certificate::from_pem(&cert.to_pem()).expect("reading a certificate's PEM back");
    assert_eq!(&again, cert);
}

fn check_x25519_private(key: &X25519PrivateKey) {
    check_x25519_public(key.public_key());
    let again = X25519PrivateKey::from_pem(key.to_pkcs8_pem().expect("encode X25519 key").expose_secret())
        .expect("reading an X25519 private key back");
    assert_eq!(again.public_key(), key.public_key());
}

fn check_x25519_public(key: &X25519PublicKey) {
    assert_eq!(key.key_id(), KeyId::of_x25519(key.as_bytes()));
    let again = X25519PublicKey::from_spki_der(&key.to_spki_der()).expect("reading SPKI back");
    assert_eq!(&again, key);
    let again = X25519PublicKey::from_pem(&key.to_pem()).expect("reading PEM back");
    assert_eq!(&again, key);
}
