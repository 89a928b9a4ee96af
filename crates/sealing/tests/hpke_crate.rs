//! v2 against a second, independent RFC 9180 implementation, the pure-Rust `hpke` crate: what
//! we seal it opens, what it seals we open, and neither accepts the other's value under another
//! label or header.

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _};
use kubeseal_sealing::format::{Envelope, V2_MAGIC};
use kubeseal_sealing::{Error, KeyRing, Label, Scope, X25519PrivateKey, open_v2, seal_v2};
use secrecy::ExposeSecret;

type Kem = X25519HkdfSha256;

/// Our key's raw private bytes, read back from its PKCS#8 PEM (the last 32 bytes of the DER).
fn raw_private(key: &X25519PrivateKey) -> [u8; 32] {
    use base64::Engine as _;
    let pem = key.to_pkcs8_pem().unwrap();
    let body: String = pem.expose_secret().lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    der[der.len() - 32..].try_into().unwrap()
}

#[test]
fn values_we_seal_open_in_the_hpke_crate() {
    let key = X25519PrivateKey::generate().unwrap();
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(&raw_private(&key)).unwrap();
    assert_eq!(Kem::sk_to_pk(&sk).to_bytes().as_slice(), key.public_key().as_bytes());
    for scope in Scope::ALL {
        let label = scope.label("team-a", "db");
        for plaintext in [&b""[..], b"hunter2", &[0xA5; 5000]] {
            let sealed = seal_v2(key.public_key(), &label, plaintext).unwrap();
            let Ok(Envelope::V2 { enc, aead_ciphertext, header, .. }) = Envelope::parse(&sealed) else {
                panic!("not a v2 envelope");
            };
            let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).unwrap();
            let open = |info: &[u8], aad: &[u8]| {
                hpke::single_shot_open::<AesGcm256, HkdfSha256, Kem>(
                    &OpModeR::Base,
                    &sk,
                    &enc,
                    info,
                    aead_ciphertext,
                    aad,
                )
            };
            assert_eq!(open(label.as_bytes(), header).unwrap(), plaintext, "{scope}");
            assert!(open(b"team-b/db", header).is_err());
            assert!(open(label.as_bytes(), &V2_MAGIC).is_err());
        }
    }
}

#[test]
fn values_the_hpke_crate_seals_open_here() {
    let key = X25519PrivateKey::generate().unwrap();
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(key.public_key().as_bytes()).unwrap();
    let mut header = V2_MAGIC.to_vec();
    header.extend_from_slice(key.public_key().key_id().as_bytes());
    let mut ring = KeyRing::new();
    let id = key.public_key().key_id();
    ring.add_x25519(
        X25519PrivateKey::from_pem(key.to_pkcs8_pem().unwrap().expose_secret()).unwrap(),
        std::time::SystemTime::now(),
    );
    for scope in Scope::ALL {
        let label = scope.label("team-a", "db");
        let (enc, ciphertext) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, Kem>(
            &OpModeS::Base,
            &pk,
            label.as_bytes(),
            b"from hpke",
            &header,
        )
        .unwrap();
        let mut sealed = header.clone();
        sealed.extend_from_slice(&enc.to_bytes());
        sealed.extend_from_slice(&ciphertext);
        assert_eq!(open_v2(&key, &label, &sealed).unwrap().expose_secret(), b"from hpke");
        let opened = ring.open(&label, &sealed, None).unwrap();
        assert_eq!(opened.key, kubeseal_sealing::KeyRef::X25519(id));
        let elsewhere = Label::from_bytes(b"team-b/db".to_vec());
        assert_eq!(open_v2(&key, &elsewhere, &sealed).err(), Some(Error::DecryptionFailed));
    }
}
