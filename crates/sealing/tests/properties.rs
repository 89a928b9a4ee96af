//! Property tests: round trips for arbitrary values and names, wrong labels always failing, and
//! arbitrary input never panicking a parser. This is also CI's stand-in for the fuzz targets.

mod common;

use common::{rsa, x25519};
use kubeseal_sealing::format::{self, Envelope};
use kubeseal_sealing::{
    Certificate, KeyRing, Label, RsaKeySize, RsaPrivateKey, RsaPublicKey, Scope, X25519PrivateKey, X25519PublicKey,
    open_v1, open_v2, seal_v1, seal_v2,
};
use proptest::prelude::*;
use secrecy::ExposeSecret;

fn scope() -> impl Strategy<Value = Scope> {
    prop::sample::select(Scope::ALL.to_vec())
}

/// Kubernetes-ish names, plus the odd characters a label must still bind.
fn name() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9.-]{0,20}|[^/]{0,8}"
}

fn ring() -> &'static KeyRing {
    static RING: std::sync::OnceLock<KeyRing> = std::sync::OnceLock::new();
    RING.get_or_init(|| {
        let mut ring = KeyRing::new();
        let now = std::time::SystemTime::now();
        ring.add_rsa(RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap(), now);
        ring.add_x25519(X25519PrivateKey::generate().unwrap(), now);
        ring
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_value_round_trips_in_both_envelopes(
        plaintext in prop::collection::vec(any::<u8>(), 0..4096),
        scope in scope(), ns in name(), n in name(),
    ) {
        let label = scope.label(&ns, &n);
        let key = rsa(RsaKeySize::Rsa2048);
        let v1 = seal_v1(key.public_key(), &label, &plaintext).unwrap();
        let opened = open_v1(key, &label, &v1).unwrap();
        prop_assert_eq!(opened.expose_secret(), plaintext.as_slice());
        let x = &x25519()[0];
        let v2 = seal_v2(x.public_key(), &label, &plaintext).unwrap();
        let opened = open_v2(x, &label, &v2).unwrap();
        prop_assert_eq!(opened.expose_secret(), plaintext.as_slice());
    }

    #[test]
    fn a_different_label_never_opens(
        plaintext in prop::collection::vec(any::<u8>(), 0..256),
        a in prop::collection::vec(any::<u8>(), 0..40),
        b in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        prop_assume!(a != b);
        let (a, b) = (Label::from_bytes(a), Label::from_bytes(b));
        let key = rsa(RsaKeySize::Rsa2048);
        let v1 = seal_v1(key.public_key(), &a, &plaintext).unwrap();
        prop_assert!(open_v1(key, &b, &v1).is_err());
        let x = &x25519()[0];
        let v2 = seal_v2(x.public_key(), &a, &plaintext).unwrap();
        prop_assert!(open_v2(x, &b, &v2).is_err());
    }

    #[test]
    fn flipping_any_bit_breaks_a_value(plaintext in prop::collection::vec(any::<u8>(), 1..64), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let label = Scope::Strict.label("ns", "n");
        let key = rsa(RsaKeySize::Rsa2048);
        let mut v1 = seal_v1(key.public_key(), &label, &plaintext).unwrap();
        let i = pos.index(v1.len());
        v1[i] ^= 1 << bit;
        prop_assert!(open_v1(key, &label, &v1).is_err());
        let x = &x25519()[0];
        let mut v2 = seal_v2(x.public_key(), &label, &plaintext).unwrap();
        let i = pos.index(v2.len());
        v2[i] ^= 1 << bit;
        prop_assert!(open_v2(x, &label, &v2).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_envelope_parser_or_the_ring(bytes in prop::collection::vec(any::<u8>(), 0..1200)) {
        let label = Scope::Strict.label("ns", "n");
        if let Ok(Envelope::V1 { rsa_ciphertext, .. }) = Envelope::parse(&bytes) {
            prop_assert_eq!(rsa_ciphertext.len(), u16::from_be_bytes([bytes[0], bytes[1]]) as usize);
        }
        prop_assert!(ring().open(&label, &bytes, None).is_err());
    }

    #[test]
    fn v2_prefixed_bytes_are_never_taken_for_v1(rest in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = format::V2_MAGIC[..2].to_vec();
        bytes.extend(rest);
        let is_v1 = matches!(Envelope::parse(&bytes), Ok(Envelope::V1 { .. }));
        prop_assert!(!is_v1);
    }

    #[test]
    fn arbitrary_text_never_panics_base64_or_pem_parsers(text in ".{0,400}") {
        let _ = format::decode_base64(&text);
        let wrapped = format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n");
        // Random text in a certificate block never makes a certificate.
        prop_assert!(Certificate::from_pem(&wrapped).is_err());
        let _ = Certificate::from_pem(&text);
        let _ = RsaPrivateKey::from_pem(&text);
        let _ = RsaPublicKey::from_pem(&text);
        let _ = X25519PrivateKey::from_pem(&text);
        let _ = X25519PublicKey::from_pem(&text);
    }

    #[test]
    fn arbitrary_der_never_panics_key_or_certificate_parsers(der in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Certificate::from_der(&der);
        let _ = RsaPrivateKey::from_pkcs1_der(&der);
        let _ = RsaPrivateKey::from_pkcs8_der(&der);
        let _ = RsaPublicKey::from_spki_der(&der);
        let _ = RsaPublicKey::from_pkcs1_der(&der);
        let _ = X25519PrivateKey::from_pkcs8_der(&der);
        let _ = X25519PublicKey::from_spki_der(&der);
    }
}
