//! Sealing and opening through the public API: every scope, both envelopes, RSA 2048/3072/4096,
//! plaintexts from 0 bytes to 1 MiB, and the failures that must happen.

mod common;

use common::{other_rsa, plaintexts, rsa, x25519};
use kubeseal_sealing::format::{self, Envelope, V2_MAGIC};
use kubeseal_sealing::{Error, Label, RsaKeySize, Scope, open_v1, open_v2, seal_v1, seal_v2};
use secrecy::ExposeSecret;

const SIZES: [RsaKeySize; 3] = [RsaKeySize::Rsa2048, RsaKeySize::Rsa3072, RsaKeySize::Rsa4096];

#[test]
fn v1_round_trips_for_every_scope_key_size_and_plaintext_size() {
    for size in SIZES {
        let key = rsa(size);
        for scope in Scope::ALL {
            let label = scope.label("team-a", "db-credentials");
            for plaintext in plaintexts() {
                let sealed = seal_v1(key.public_key(), &label, &plaintext).unwrap();
                let k = key.public_key().modulus_len();
                assert_eq!(sealed.len(), 2 + k + plaintext.len() + 16, "{size:?} {scope}");
                assert_eq!(u16::from_be_bytes([sealed[0], sealed[1]]) as usize, k);
                let opened = open_v1(key, &label, &sealed).unwrap();
                assert_eq!(opened.expose_secret(), plaintext.as_slice(), "{size:?} {scope} {}", plaintext.len());
            }
        }
    }
}

#[test]
fn v2_round_trips_for_every_scope_and_plaintext_size() {
    let key = &x25519()[0];
    for scope in Scope::ALL {
        let label = scope.label("team-a", "db-credentials");
        for plaintext in plaintexts() {
            let sealed = seal_v2(key.public_key(), &label, &plaintext).unwrap();
            assert_eq!(sealed.len(), 3 + 8 + 32 + plaintext.len() + 16);
            let opened = open_v2(key, &label, &sealed).unwrap();
            assert_eq!(opened.expose_secret(), plaintext.as_slice(), "{scope} {}", plaintext.len());
        }
    }
}

#[test]
fn base64_text_starts_as_upstream_describes() {
    let label = Scope::Strict.label("ns", "name");
    let b64 = |size| format::encode_base64(&seal_v1(rsa(size).public_key(), &label, b"abc").unwrap());
    assert!(b64(RsaKeySize::Rsa4096).starts_with("Ag"));
    assert!(b64(RsaKeySize::Rsa2048).starts_with("AQ"));
    // 3 bytes sealed to RSA-4096: 533 bytes, 712 base64 characters (reference §1.1).
    assert_eq!(b64(RsaKeySize::Rsa4096).len(), 712);
    let v2 = format::encode_base64(&seal_v2(x25519()[0].public_key(), &label, b"abc").unwrap());
    assert!(v2.starts_with("SSv2"), "{v2}");
}

#[test]
fn every_sealing_is_fresh() {
    let label = Scope::Strict.label("ns", "name");
    let key = rsa(RsaKeySize::Rsa2048);
    let a = seal_v1(key.public_key(), &label, b"same").unwrap();
    let b = seal_v1(key.public_key(), &label, b"same").unwrap();
    assert_ne!(a, b);
    let x = x25519()[0].public_key();
    assert_ne!(seal_v2(x, &label, b"same").unwrap(), seal_v2(x, &label, b"same").unwrap());
}

/// Labels a value sealed for `team-a/db` under `scope` must not open under.
fn wrong_labels(scope: Scope) -> Vec<Label> {
    let mut wrong = vec![
        Scope::Strict.label("team-b", "db"),
        Scope::Strict.label("team-a", "db2"),
        Scope::NamespaceWide.label("team-b", "db"),
        Scope::Strict.label("team-a/db", ""),
    ];
    wrong.extend(Scope::ALL.into_iter().filter(|s| *s != scope).map(|s| s.label("team-a", "db")));
    // Renaming within the namespace is allowed for namespace-wide values, anything for
    // cluster-wide ones, so only keep labels that really differ.
    let right = scope.label("team-a", "db");
    wrong.retain(|l| *l != right);
    wrong
}

#[test]
fn wrong_namespace_name_or_scope_never_opens() {
    for scope in Scope::ALL {
        let label = scope.label("team-a", "db");
        let v1 = seal_v1(rsa(RsaKeySize::Rsa2048).public_key(), &label, b"secret").unwrap();
        let v2 = seal_v2(x25519()[0].public_key(), &label, b"secret").unwrap();
        for wrong in wrong_labels(scope) {
            assert_eq!(open_v1(rsa(RsaKeySize::Rsa2048), &wrong, &v1).err(), Some(Error::DecryptionFailed));
            assert_eq!(open_v2(&x25519()[0], &wrong, &v2).err(), Some(Error::DecryptionFailed));
        }
    }
}

#[test]
fn namespace_wide_and_cluster_wide_values_survive_renames_as_upstream() {
    let key = rsa(RsaKeySize::Rsa2048);
    let ns_wide = seal_v1(key.public_key(), &Scope::NamespaceWide.label("team-a", "db"), b"v").unwrap();
    assert!(open_v1(key, &Scope::NamespaceWide.label("team-a", "renamed"), &ns_wide).is_ok());
    let cluster = seal_v1(key.public_key(), &Scope::ClusterWide.label("team-a", "db"), b"v").unwrap();
    assert!(open_v1(key, &Scope::ClusterWide.label("elsewhere", "x"), &cluster).is_ok());
}

#[test]
fn wrong_key_never_opens_and_says_only_upstreams_words() {
    let label = Scope::Strict.label("ns", "name");
    let v1 = seal_v1(rsa(RsaKeySize::Rsa2048).public_key(), &label, b"secret").unwrap();
    let err = open_v1(other_rsa(), &label, &v1).unwrap_err();
    assert_eq!(err, Error::DecryptionFailed);
    assert_eq!(err.to_string(), "no key could decrypt secret");
    // A key of another size cannot even try.
    assert_eq!(open_v1(rsa(RsaKeySize::Rsa4096), &label, &v1).err(), Some(Error::DecryptionFailed));
    let [a, b] = x25519();
    let v2 = seal_v2(a.public_key(), &label, b"secret").unwrap();
    assert_eq!(open_v2(b, &label, &v2).err(), Some(Error::DecryptionFailed));
}

#[test]
fn tampering_anywhere_in_a_v1_value_is_detected() {
    let key = rsa(RsaKeySize::Rsa2048);
    let label = Scope::Strict.label("ns", "name");
    let sealed = seal_v1(key.public_key(), &label, b"0123456789").unwrap();
    // The length prefix, the RSA part, the GCM ciphertext and the tag.
    for i in [0usize, 1, 2, 100, 257, 258, 262, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[i] ^= 0x80;
        assert!(open_v1(key, &label, &bad).is_err(), "byte {i}");
    }
    assert_eq!(open_v1(key, &label, &sealed[..sealed.len() - 1]).err(), Some(Error::DecryptionFailed));
    assert_eq!(open_v1(key, &label, &sealed[..100]).err(), Some(Error::Truncated));
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(open_v1(key, &label, &longer).is_err());
}

#[test]
fn base64_with_line_breaks_opens_as_in_go() {
    let key = rsa(RsaKeySize::Rsa2048);
    let label = Scope::Strict.label("ns", "name");
    let text = format::encode_base64(&seal_v1(key.public_key(), &label, b"wrapped").unwrap());
    let wrapped: String =
        text.as_bytes().chunks(76).map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap())).collect();
    let bytes = format::decode_base64(&wrapped).unwrap();
    assert_eq!(open_v1(key, &label, &bytes).unwrap().expose_secret(), b"wrapped");
    assert_eq!(format::decode_base64("not base64!").err(), Some(Error::InvalidBase64));
}

/// Every RSA modulus size from 1024 to 16384 bits, in bytes.
fn modulus_sizes() -> std::ops::RangeInclusive<usize> {
    1024 / 8..=16384 / 8
}

#[test]
fn no_v2_value_reads_as_v1_for_any_rsa_key_from_1024_to_16384_bits() {
    let sealed = seal_v2(x25519()[0].public_key(), &Scope::Strict.label("ns", "n"), b"x").unwrap();
    let announced = u16::from_be_bytes([sealed[0], sealed[1]]) as usize;
    for k in modulus_sizes() {
        // A v1 reader takes the first two bytes as the RSA ciphertext length; it must equal the
        // key's modulus size for that key to even try.
        assert_ne!(announced, k, "a {}-bit key would try this v2 value", k * 8);
    }
    assert!(matches!(Envelope::parse(&sealed), Ok(Envelope::V2 { .. })));
}

#[test]
fn no_v1_value_reads_as_v2_for_any_rsa_key_from_1024_to_16384_bits() {
    for k in modulus_sizes() {
        let mut v1 = Vec::with_capacity(2 + k + 16);
        v1.extend_from_slice(&(k as u16).to_be_bytes());
        v1.resize(2 + k + 16, 0xA5);
        assert_ne!(v1[..2], V2_MAGIC[..2], "{} bits", k * 8);
        match Envelope::parse(&v1) {
            Ok(Envelope::V1 { rsa_ciphertext, aead_ciphertext }) => {
                assert_eq!((rsa_ciphertext.len(), aead_ciphertext.len()), (k, 16));
            }
            other => panic!("{} bits: {other:?}", k * 8),
        }
    }
    // And with real keys: a v1 value given to the v2 opener fails before any X25519 work.
    let v1 = seal_v1(rsa(RsaKeySize::Rsa4096).public_key(), &Scope::Strict.label("ns", "n"), b"x").unwrap();
    assert_eq!(open_v2(&x25519()[0], &Scope::Strict.label("ns", "n"), &v1).err(), Some(Error::DecryptionFailed));
}
