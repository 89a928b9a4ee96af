//! Envelope framing and opening.
//!
//! Each input is used twice: as raw envelope bytes (`Envelope::parse`, `KeyRing::open`) and, read
//! as lossy UTF-8, as the base64 text of an `encryptedData` value (`decode_base64`,
//! `KeyRing::open_base64`). Checked besides "never panics":
//!
//! - `parse` matches an independent model of FORMAT.md exactly, both the result and the split:
//!   a v2 magic prefix is never read as v1, and every part is the slice the layout says.
//! - `open` passes framing errors through unchanged and turns every other failure into the one
//!   coarse `DecryptionFailed`.
//! - Nothing opens unless the seed writer sealed it: an opened plaintext is one of
//!   `kubeseal_fuzz::PLAINTEXTS`. When a (seed) value does open, the opening key and operation
//!   count are checked, and flipping any bit, truncating, extending or changing the label makes
//!   it fail again.
//! - base64 decoding accepts only canonical padding and round-trips.

#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use kubeseal_fuzz::{PLAINTEXTS, label, rsa_test_key, x25519_test_key};
use kubeseal_sealing::format::{self, Envelope, TAG_LEN, V2_ENC_LEN, V2_HEADER_LEN, V2_MAGIC};
use kubeseal_sealing::{
    Error, Fingerprint, KeyId, KeyRef, KeyRing, Label, Opened, Result, RsaKeySize, RsaPrivateKey, Scope,
    X25519PrivateKey,
};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret as _;

struct Setup {
    /// The fixed RSA-2048 and X25519 test keys (seeds open with them), plus a fresh RSA-3072 and
    /// X25519 key each run, so lookups by modulus size and by key id have something to skip.
    ring: KeyRing,
    label: Label,
    other_labels: [Label; 3],
    rsa_fixture: Fingerprint,
    rsa_fixture_len: usize,
    x25519_fixture: KeyId,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let now = SystemTime::now();
        let rsa = rsa_test_key();
        let x25519 = x25519_test_key();
        let rsa_fixture = rsa.public_key().fingerprint().clone();
        let rsa_fixture_len = rsa.public_key().modulus_len();
        let x25519_fixture = x25519.public_key().key_id();
        let fresh_rsa = RsaPrivateKey::generate(RsaKeySize::Rsa3072).expect("RSA key generation");
        let fresh_x25519 = X25519PrivateKey::generate().expect("X25519 key generation");

        let mut ring = KeyRing::new();
        // The fixture is older, so the fresh key comes first when no hint is given.
        assert!(ring.add_rsa(rsa, now - Duration::from_secs(3600)));
        assert!(ring.add_rsa(fresh_rsa, now));
        assert!(ring.add_x25519(x25519, now - Duration::from_secs(3600)));
        assert!(ring.add_x25519(fresh_x25519, now));

        let ns = kubeseal_fuzz::NAMESPACE;
        let name = kubeseal_fuzz::NAME;
        Setup {
            ring,
            label: label(),
            other_labels: [
                Scope::NamespaceWide.label(ns, name),
                Scope::ClusterWide.label(ns, name),
                Scope::Strict.label(ns, "other-name"),
            ],
            rsa_fixture,
            rsa_fixture_len,
            x25519_fixture,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    check_raw(s, data);
    check_text(s, data);
});

/// What FORMAT.md says `parse` must return, computed independently of the crate.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    V1 { rsa_len: usize },
    V2,
}

fn model(data: &[u8]) -> Result<Expected> {
    if data.len() >= 2 && data[..2] == V2_MAGIC[..2] {
        return match data.get(2) {
            None => Err(Error::Truncated),
            Some(&v) if v != V2_MAGIC[2] => Err(Error::UnsupportedVersion(v)),
            Some(_) if data.len() < V2_HEADER_LEN + V2_ENC_LEN + TAG_LEN => Err(Error::Truncated),
            Some(_) => Ok(Expected::V2),
        };
    }
    let [hi, lo, rest @ ..] = data else {
        return Err(Error::Truncated);
    };
    match usize::from(u16::from_be_bytes([*hi, *lo])) {
        0 => Err(Error::BadLength),
        n if rest.len() < n => Err(Error::Truncated),
        n => Ok(Expected::V1 { rsa_len: n }),
    }
}

fn check_raw(s: &Setup, data: &[u8]) {
    let parsed = Envelope::parse(data);
    check_framing(data, &parsed);
    // An odd length passes the fixture key as the hint; an even one passes none.
    let hint = (data.len() % 2 == 1).then_some(&s.rsa_fixture);
    let opened = s.ring.open(&s.label, data, hint);
    check_open(s, data, &parsed, opened, Depth::Thorough);
}

fn check_framing(data: &[u8], parsed: &Result<Envelope<'_>>) {
    match (model(data), parsed) {
        (Err(want), Err(got)) => assert_eq!(want, *got, "framing error differs from FORMAT.md"),
        (Ok(Expected::V1 { rsa_len }), Ok(Envelope::V1 { rsa_ciphertext, aead_ciphertext })) => {
            assert!(data[..2] != V2_MAGIC[..2], "a v2 magic prefix was parsed as v1");
            assert_eq!(*rsa_ciphertext, &data[2..2 + rsa_len]);
            assert_eq!(*aead_ciphertext, &data[2 + rsa_len..]);
        }
        (Ok(Expected::V2), Ok(Envelope::V2 { key_id, enc, aead_ciphertext, header })) => {
            assert!(data.starts_with(&V2_MAGIC));
            assert_eq!(&header[..], &data[..V2_HEADER_LEN]);
            assert_eq!(&key_id.as_bytes()[..], &data[V2_MAGIC.len()..V2_HEADER_LEN]);
            assert_eq!(&enc[..], &data[V2_HEADER_LEN..V2_HEADER_LEN + V2_ENC_LEN]);
            assert_eq!(*aead_ciphertext, &data[V2_HEADER_LEN + V2_ENC_LEN..]);
            assert!(aead_ciphertext.len() >= TAG_LEN);
        }
        (want, got) => panic!("parse disagrees with FORMAT.md: want {want:?}, got {got:?}"),
    }
}

/// How much work a successful open is worth. Raw inputs open only when they are a seed, byte
/// for byte; text inputs also open after harmless edits (an inserted line break, a tolerated
/// trailing bit), which libFuzzer finds often, so they get the cheap checks only.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    Thorough,
    Cheap,
}

fn check_open(s: &Setup, data: &[u8], parsed: &Result<Envelope<'_>>, opened: Result<Opened>, depth: Depth) {
    match (parsed, opened) {
        (Err(framing), Err(e)) => assert_eq!(*framing, e, "open changed a framing error"),
        (Err(framing), Ok(_)) => panic!("opened a value that does not parse ({framing})"),
        (Ok(_), Err(e)) => assert_eq!(e, Error::DecryptionFailed, "open leaked a fine error"),
        (Ok(envelope), Ok(opened)) => check_success(s, data, envelope, &opened, depth),
    }
}

/// A value opened. Only seeds sealed to the fixture keys may get here.
fn check_success(s: &Setup, data: &[u8], envelope: &Envelope<'_>, opened: &Opened, depth: Depth) {
    let plaintext = opened.plaintext.expose_secret();
    assert!(PLAINTEXTS.contains(&plaintext), "opened a value the seed writer never sealed ({} bytes)", plaintext.len());
    assert_eq!(opened.private_key_operations, 1);
    match envelope {
        Envelope::V1 { rsa_ciphertext, aead_ciphertext } => {
            assert_eq!(opened.key, KeyRef::Rsa(s.rsa_fixture.clone()));
            assert_eq!(rsa_ciphertext.len(), s.rsa_fixture_len);
            assert_eq!(plaintext.len() + TAG_LEN, aead_ciphertext.len());
        }
        Envelope::V2 { key_id, aead_ciphertext, .. } => {
            assert_eq!(opened.key, KeyRef::X25519(*key_id));
            assert_eq!(*key_id, s.x25519_fixture);
            assert_eq!(plaintext.len() + TAG_LEN, aead_ciphertext.len());
        }
    }
    if depth == Depth::Cheap {
        return;
    }

    // The same bytes open with either hint, and with a hint the ring does not know.
    let unknown = Fingerprint::from_string("SHA256:not-a-key-in-the-ring");
    for hint in [None, Some(&s.rsa_fixture), Some(&unknown)] {
        let again = s.ring.open(&s.label, data, hint).expect("reopening with another hint");
        assert_eq!(again.plaintext.expose_secret(), plaintext);
        assert_eq!(again.key, opened.key);
    }
    // Bound to the label: every other scope or name fails.
    for other in &s.other_labels {
        assert_must_fail(s, other, data, "under another label");
    }
    // Authenticated end to end: a bit flip in any byte, truncation or extension fails. v2
    // tries every bit (an X25519 operation is cheap; this includes the top bit of `enc`, which
    // X25519 itself ignores); v1 one bit per byte, as each try costs an RSA decryption.
    let bits: &[u8] = match envelope {
        Envelope::V1 { .. } => &[0],
        Envelope::V2 { .. } => &[0, 1, 2, 3, 4, 5, 6, 7],
    };
    let mut mutated = data.to_vec();
    for i in 0..mutated.len() {
        for bit in bits {
            let mask = 1u8 << ((usize::from(*bit) + i) % 8);
            mutated[i] ^= mask;
            assert_must_fail(s, &s.label, &mutated, "after a bit flip");
            mutated[i] ^= mask;
        }
    }
    assert_must_fail(s, &s.label, &data[..data.len() - 1], "truncated");
    assert_must_fail(s, &s.label, &[data, &[0]].concat(), "extended");
}

fn assert_must_fail(s: &Setup, label: &Label, data: &[u8], how: &str) {
    if s.ring.open(label, data, None).is_ok() {
        panic!("a sealed value still opened {how}");
    }
}

fn check_text(s: &Setup, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let decoded = format::decode_base64(&text);
    if let Ok(bytes) = &decoded {
        // Canonical padding: re-encoding gives the same length, and at most the last symbol
        // before the padding differs (Go tolerates non-zero trailing bits).
        let compact: Vec<u8> = text.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
        let encoded = format::encode_base64(bytes);
        assert_eq!(encoded.len(), compact.len(), "non-canonical base64 was accepted");
        let differing = encoded.bytes().zip(&compact).filter(|(a, b)| a != *b).count();
        assert!(differing <= 1, "decoding changed {differing} symbols");
        assert_eq!(format::decode_base64(&encoded).as_ref(), Ok(bytes));
    }
    let opened = s.ring.open_base64(&s.label, &text, None);
    match decoded {
        Err(e) => {
            assert_eq!(e, Error::InvalidBase64);
            assert!(matches!(opened, Err(Error::InvalidBase64)));
        }
        Ok(bytes) => {
            let parsed = Envelope::parse(&bytes);
            check_framing(&bytes, &parsed);
            check_open(s, &bytes, &parsed, opened, Depth::Cheap);
        }
    }
}
