//! The key ring: v2 opens by key id, v1 tries newest first or the hinted key first, and it says
//! which key opened a value without saying why others failed.

mod common;

use std::time::{Duration, SystemTime};

use common::x25519;
use kubeseal_sealing::{
    Error, Fingerprint, KeyRef, KeyRing, RsaKeySize, RsaPrivateKey, Scope, X25519PrivateKey, format, seal_v1, seal_v2,
};
use secrecy::ExposeSecret;

fn day(n: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + n * 86_400)
}

/// A ring of `n` fresh 2048-bit keys created a day apart (key i on day i), and their public keys.
fn ring_of(n: u64) -> (KeyRing, Vec<kubeseal_sealing::RsaPublicKey>) {
    let mut ring = KeyRing::new();
    let mut publics = Vec::new();
    for i in 0..n {
        let key = RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap();
        publics.push(key.public_key().clone());
        assert!(ring.add_rsa(key, day(i)));
    }
    (ring, publics)
}

#[test]
fn v1_tries_newest_first_and_the_hint_first_when_given() {
    let (ring, publics) = ring_of(5);
    let label = Scope::Strict.label("ns", "name");
    let newest = seal_v1(&publics[4], &label, b"new").unwrap();
    let oldest = seal_v1(&publics[0], &label, b"old").unwrap();

    let opened = ring.open(&label, &newest, None).unwrap();
    assert_eq!((opened.private_key_operations, opened.plaintext.expose_secret()), (1, &b"new"[..]));

    let opened = ring.open(&label, &oldest, None).unwrap();
    assert_eq!(opened.private_key_operations, 5);
    assert_eq!(opened.key, KeyRef::Rsa(publics[0].fingerprint().clone()));

    // The fingerprint the last open reported is the hint for the next one.
    let KeyRef::Rsa(hint) = opened.key else { panic!("v1 value opened by a non-RSA key") };
    let again = ring.open(&label, &oldest, Some(&hint)).unwrap();
    assert_eq!((again.private_key_operations, again.plaintext.expose_secret()), (1, &b"old"[..]));

    // A stale hint (a key no longer in the ring, or the wrong key) costs nothing extra.
    let stale = Fingerprint::from_string("SHA256:not-a-key-we-have");
    assert_eq!(ring.open(&label, &newest, Some(&stale)).unwrap().private_key_operations, 1);
    let wrong = publics[4].fingerprint().clone();
    assert_eq!(ring.open(&label, &oldest, Some(&wrong)).unwrap().private_key_operations, 5);
}

#[test]
fn keys_added_out_of_order_are_still_tried_newest_first() {
    let mut ring = KeyRing::new();
    let keys: Vec<_> = (0..3).map(|_| RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap()).collect();
    let publics: Vec<_> = keys.iter().map(|k| k.public_key().clone()).collect();
    for (key, created) in keys.into_iter().zip([day(5), day(9), day(1)]) {
        ring.add_rsa(key, created);
    }
    let order: Vec<_> = ring.rsa_keys().map(|k| k.public_key().fingerprint().clone()).collect();
    let expected: Vec<_> = [1, 0, 2].iter().map(|i| publics[*i].fingerprint().clone()).collect();
    assert_eq!(order, expected);
}

#[test]
fn keys_of_another_size_cost_no_private_key_operation() {
    let mut ring = KeyRing::new();
    let big = RsaPrivateKey::generate(RsaKeySize::Rsa4096).unwrap();
    let big_public = big.public_key().clone();
    ring.add_rsa(big, day(0));
    for i in 1..=3 {
        ring.add_rsa(RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap(), day(i));
    }
    let label = Scope::ClusterWide.label("", "");
    let sealed = seal_v1(&big_public, &label, b"v").unwrap();
    assert_eq!(ring.open(&label, &sealed, None).unwrap().private_key_operations, 1);
}

#[test]
fn v2_opens_by_key_id_with_one_operation() {
    let mut ring = KeyRing::new();
    let [a, b] = x25519();
    let a = X25519PrivateKey::from_pem(a.to_pkcs8_pem().unwrap().expose_secret()).unwrap();
    let b_public = b.public_key().clone();
    let b = X25519PrivateKey::from_pem(b.to_pkcs8_pem().unwrap().expose_secret()).unwrap();
    ring.add_x25519(a, day(1));
    ring.add_x25519(b, day(0));
    let label = Scope::Strict.label("ns", "name");
    let sealed = seal_v2(&b_public, &label, b"hpke").unwrap();
    let opened = ring.open(&label, &sealed, None).unwrap();
    assert_eq!(opened.key, KeyRef::X25519(b_public.key_id()));
    assert_eq!((opened.private_key_operations, opened.plaintext.expose_secret()), (1, &b"hpke"[..]));
    // A value for a key the ring does not hold fails without trying anything.
    let stranger = X25519PrivateKey::generate().unwrap();
    let foreign = seal_v2(stranger.public_key(), &label, b"x").unwrap();
    assert_eq!(ring.open(&label, &foreign, None).err(), Some(Error::DecryptionFailed));
}

#[test]
fn a_ring_holds_both_kinds_and_opens_base64_text() {
    let (mut ring, publics) = ring_of(1);
    let x = X25519PrivateKey::generate().unwrap();
    let x_public = x.public_key().clone();
    ring.add_x25519(x, day(0));
    assert_eq!(ring.len(), 2);
    let label = Scope::NamespaceWide.label("ns", "");
    let v1 = format::encode_base64(&seal_v1(&publics[0], &label, b"one").unwrap());
    let v2 = format::encode_base64(&seal_v2(&x_public, &label, b"two").unwrap());
    assert_eq!(ring.open_base64(&label, &v1, None).unwrap().plaintext.expose_secret(), b"one");
    assert_eq!(ring.open_base64(&label, &v2, None).unwrap().plaintext.expose_secret(), b"two");
    assert_eq!(ring.open_base64(&label, "%%%", None).err(), Some(Error::InvalidBase64));
}

#[test]
fn adding_a_key_twice_keeps_one_copy() {
    let key = RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap();
    let pem = key.to_pkcs1_pem().unwrap();
    let mut ring = KeyRing::new();
    assert!(ring.add_rsa(key, day(0)));
    assert!(!ring.add_rsa(RsaPrivateKey::from_pem(pem.expose_secret()).unwrap(), day(3)));
    assert_eq!(ring.len(), 1);
}

#[test]
fn an_empty_ring_opens_nothing() {
    let ring = KeyRing::new();
    assert!(ring.is_empty());
    let key = RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap();
    let label = Scope::Strict.label("ns", "n");
    let sealed = seal_v1(key.public_key(), &label, b"v").unwrap();
    assert_eq!(ring.open(&label, &sealed, None).err(), Some(Error::DecryptionFailed));
}

#[test]
fn debug_output_never_shows_key_material_or_plaintext() {
    let (mut ring, publics) = ring_of(1);
    let x = X25519PrivateKey::generate().unwrap();
    let x_pem = x.to_pkcs8_pem().unwrap();
    ring.add_x25519(x, day(0));
    let rsa_pem = ring.rsa_keys().next().unwrap().to_pkcs1_pem().unwrap();
    let label = Scope::Strict.label("ns", "n");
    let plaintext = b"correct horse battery staple";
    let opened = ring.open(&label, &seal_v1(&publics[0], &label, plaintext).unwrap(), None).unwrap();

    let debug = format!(
        "{ring:?} {:?} {:?} {opened:?} {:?} {:?}",
        ring.rsa_keys().next().unwrap(),
        ring.x25519_keys().next().unwrap(),
        x_pem,
        rsa_pem
    );
    assert!(!debug.contains("correct horse"), "{debug}");
    for pem in [x_pem.expose_secret(), rsa_pem.expose_secret()] {
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!debug.contains(line), "key material in Debug: {debug}");
        }
    }
    assert!(debug.contains("SHA256:"), "Debug should still name keys by fingerprint: {debug}");
}
