//! What the fuzz targets and the seed writer share: the fixed test keys the envelope target's
//! ring holds, the label seeds are sealed under, and the only plaintexts any seed carries.
//!
//! The keys here are public test fixtures. They exist so that committed seed envelopes open in
//! the fuzzer, which then checks every invariant of a successful open; they seal nothing real.

#![forbid(unsafe_code)]

use kubeseal_sealing::{Label, RsaPrivateKey, Scope, X25519PrivateKey};

/// The ring's fixed RSA-2048 key, PKCS#1 PEM, written by `write_seeds --new-rsa-key`.
/// TEST ONLY: it is committed, so nothing it seals is secret.
pub const RSA_TEST_KEY_PEM: &str = include_str!("../fixtures/rsa-2048-test-only.pem");

/// Input keying material of the ring's fixed X25519 key (RFC 9180 `DeriveKeyPair`).
pub const X25519_TEST_IKM: &[u8] = b"kubeseal-fuzz fixed X25519 test key, never use for real values";

/// The namespace and name every opening seed is sealed for, under [`Scope::Strict`].
pub const NAMESPACE: &str = "fuzz-ns";
/// See [`NAMESPACE`].
pub const NAME: &str = "fuzz-name";

/// Every plaintext the seed writer seals. An open that yields anything else means a value the
/// fuzzer made up was accepted, which must never happen.
pub const PLAINTEXTS: &[&[u8]] = &[b"", b"hunter2", b"kubeseal-fuzz seed \x00\x01\xfe\xff"];

/// The label seeds open under.
pub fn label() -> Label {
    Scope::Strict.label(NAMESPACE, NAME)
}

/// The fixed RSA test key.
///
/// # Panics
///
/// If the committed fixture no longer parses: a broken checkout, not a finding.
pub fn rsa_test_key() -> RsaPrivateKey {
    match RsaPrivateKey::from_pem(RSA_TEST_KEY_PEM) {
        Ok(key) => key,
        Err(e) => panic!("fixtures/rsa-2048-test-only.pem does not parse: {e}"),
    }
}

/// The fixed X25519 test key.
pub fn x25519_test_key() -> X25519PrivateKey {
    X25519PrivateKey::derive(X25519_TEST_IKM).expect("derive the X25519 test key")
}
