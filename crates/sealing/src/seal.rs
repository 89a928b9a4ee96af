//! Sealing and opening single values with the v1 (Bitnami) and v2 (HPKE) envelopes.
//!
//! v1 is byte-compatible with upstream `HybridEncrypt`: a fresh 32-byte AES-256 key per value,
//! wrapped with RSA-OAEP(SHA-256, MGF1-SHA-256, label), then AES-256-GCM with an all-zero nonce
//! and no associated data. The zero nonce is safe only because the key is never reused, which is
//! why this module draws a new key for every call and never accepts one from outside.
//!
//! v2 is RFC 9180 HPKE in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//! AES-256-GCM, `info` = the label and the envelope header as associated data.

use aws_lc_rs::aead::{AES_128_GCM, AES_192_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, X25519};
use secrecy::SecretSlice;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{self, Envelope, TAG_LEN, V2_ENC_LEN, V2_HEADER_LEN};
use crate::keys::{RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey};
use crate::rfc9180;
use crate::scope::Label;

/// A public key to seal to: RSA for v1 envelopes, X25519 for v2.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'a> {
    /// Seal a Bitnami-compatible v1 envelope.
    V1(&'a RsaPublicKey),
    /// Seal a v2 HPKE envelope.
    V2(&'a X25519PublicKey),
}

impl Recipient<'_> {
    /// Seals `plaintext` for this recipient under `label`; returns the raw envelope bytes.
    pub fn seal(&self, label: &Label, plaintext: &[u8]) -> Result<Vec<u8>> {
        match self {
            Recipient::V1(key) => seal_v1(key, label, plaintext),
            Recipient::V2(key) => seal_v2(key, label, plaintext),
        }
    }

    /// Seals and encodes as the base64 text that goes into `encryptedData`.
    pub fn seal_base64(&self, label: &Label, plaintext: &[u8]) -> Result<String> {
        self.seal(label, plaintext).map(|bytes| format::encode_base64(&bytes))
    }
}

/// Seals one value in the v1 envelope: `u16 BE length ‖ RSA-OAEP(session key) ‖ AES-GCM`.
pub fn seal_v1(key: &RsaPublicKey, label: &Label, plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut session_key = Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::fill(&mut session_key[..]).map_err(|_| Error::EncryptionFailed)?;

    let k = key.modulus_len();
    let prefix = u16::try_from(k).map_err(|_| Error::EncryptionFailed)?;
    let mut out = Vec::with_capacity(2 + k + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&prefix.to_be_bytes());
    out.resize(2 + k, 0);
    key.encrypt_session_key(label.as_bytes(), &session_key[..], &mut out[2..])?;

    let aead = aes_key(&session_key[..])?;
    out.extend_from_slice(plaintext);
    let tag = aead
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key([0; 12]), Aad::empty(), &mut out[2 + k..])
        .map_err(|_| Error::EncryptionFailed)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Opens one v1 value with one key. Every failure after framing is [`Error::DecryptionFailed`].
pub fn open_v1(key: &RsaPrivateKey, label: &Label, sealed: &[u8]) -> Result<SecretSlice<u8>> {
    match Envelope::parse(sealed)? {
        Envelope::V1 { rsa_ciphertext, aead_ciphertext } => open_v1_parts(key, label, rsa_ciphertext, aead_ciphertext),
        Envelope::V2 { .. } => Err(Error::DecryptionFailed),
    }
}

pub(crate) fn open_v1_parts(
    key: &RsaPrivateKey,
    label: &Label,
    rsa_ciphertext: &[u8],
    aead_ciphertext: &[u8],
) -> Result<SecretSlice<u8>> {
    let session_key = key.decrypt_session_key(label.as_bytes(), rsa_ciphertext)?;
    let plaintext_len = aead_ciphertext.len().checked_sub(TAG_LEN).ok_or(Error::DecryptionFailed)?;
    let aead = aes_key(&session_key).map_err(|_| Error::DecryptionFailed)?;
    let mut buf = Zeroizing::new(aead_ciphertext.to_vec());
    aead.open_in_place(Nonce::assume_unique_for_key([0; 12]), Aad::empty(), &mut buf)
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(exact_secret(&buf[..plaintext_len]))
}

/// Seals one value in the v2 envelope: `magic ‖ key id ‖ enc ‖ HPKE ciphertext ‖ tag`.
pub fn seal_v2(key: &X25519PublicKey, label: &Label, plaintext: &[u8]) -> Result<Vec<u8>> {
    let ephemeral = agreement::PrivateKey::generate(&X25519).map_err(|_| Error::EncryptionFailed)?;
    seal_v2_with_ephemeral(key, label, plaintext, &ephemeral)
}

fn seal_v2_with_ephemeral(
    key: &X25519PublicKey,
    label: &Label,
    plaintext: &[u8],
    ephemeral: &agreement::PrivateKey,
) -> Result<Vec<u8>> {
    let header = format::v2_header(&key.key_id());
    let (enc, mut ctx) = rfc9180::setup_sender(key.as_bytes(), label.as_bytes(), ephemeral)?;
    let mut out = Vec::with_capacity(V2_HEADER_LEN + V2_ENC_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&header);
    out.extend_from_slice(&enc);
    out.extend_from_slice(plaintext);
    let tag = ctx.seal_in_place(&header, &mut out[V2_HEADER_LEN + V2_ENC_LEN..])?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens one v2 value with one key. Every failure after framing is [`Error::DecryptionFailed`],
/// including a key id that is not this key's.
pub fn open_v2(key: &X25519PrivateKey, label: &Label, sealed: &[u8]) -> Result<SecretSlice<u8>> {
    match Envelope::parse(sealed)? {
        Envelope::V2 { key_id, enc, aead_ciphertext, header } if key_id == key.public_key().key_id() => {
            open_v2_parts(key, label, enc, aead_ciphertext, header)
        }
        _ => Err(Error::DecryptionFailed),
    }
}

pub(crate) fn open_v2_parts(
    key: &X25519PrivateKey,
    label: &Label,
    enc: &[u8; V2_ENC_LEN],
    aead_ciphertext: &[u8],
    header: &[u8; V2_HEADER_LEN],
) -> Result<SecretSlice<u8>> {
    let plaintext_len = aead_ciphertext.len().checked_sub(TAG_LEN).ok_or(Error::DecryptionFailed)?;
    let mut ctx = rfc9180::setup_receiver(enc, key.backend(), key.public_key().as_bytes(), label.as_bytes())?;
    let mut buf = Zeroizing::new(aead_ciphertext.to_vec());
    ctx.open_in_place(header, &mut buf)?;
    Ok(exact_secret(&buf[..plaintext_len]))
}

/// AES-GCM under a session key. Sealing always uses 32 bytes (AES-256); opening also takes the
/// 16- and 24-byte keys Go's `aes.NewCipher` accepts, so any value upstream opens opens here.
fn aes_key(session_key: &[u8]) -> Result<LessSafeKey> {
    let algorithm = match session_key.len() {
        16 => &AES_128_GCM,
        24 => &AES_192_GCM,
        32 => &AES_256_GCM,
        _ => return Err(Error::EncryptionFailed),
    };
    let unbound = UnboundKey::new(algorithm, session_key).map_err(|_| Error::EncryptionFailed)?;
    Ok(LessSafeKey::new(unbound))
}

/// Copies plaintext into an allocation of exactly its size, so no spare capacity holds a copy
/// that escapes zeroization.
fn exact_secret(plaintext: &[u8]) -> SecretSlice<u8> {
    let boxed: Box<[u8]> = plaintext.into();
    SecretSlice::from(boxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// The RFC 9180 vector for exactly the v2 suite, from `tests/data/`.
    struct Vector(serde_json::Value);

    impl Vector {
        fn load() -> Self {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc9180-x25519-sha256-aes256gcm.json");
            let text = std::fs::read_to_string(path).expect("vector file");
            Vector(serde_json::from_str(&text).expect("vector json"))
        }

        fn hex(&self, field: &str) -> Vec<u8> {
            hex::decode(self.0[field].as_str().expect(field)).expect(field)
        }

        fn array32(&self, field: &str) -> [u8; 32] {
            self.hex(field).try_into().expect(field)
        }

        fn list(&self, field: &str) -> Vec<serde_json::Value> {
            self.0[field].as_array().expect(field).clone()
        }
    }

    fn hexv(value: &serde_json::Value, field: &str) -> Vec<u8> {
        hex::decode(value[field].as_str().expect(field)).expect(field)
    }

    #[test]
    fn rfc9180_vector_is_for_the_v2_suite() {
        let v = Vector::load();
        assert_eq!((v.0["mode"].as_u64(), v.0["kem_id"].as_u64()), (Some(0), Some(0x20)));
        assert_eq!((v.0["kdf_id"].as_u64(), v.0["aead_id"].as_u64()), (Some(1), Some(2)));
    }

    fn private_key(hex: &[u8]) -> agreement::PrivateKey {
        agreement::PrivateKey::from_private_key(&X25519, hex).expect("X25519 private key")
    }

    #[test]
    fn rfc9180_private_keys_give_the_published_public_keys() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        assert_eq!(recipient.public_key().as_bytes().to_vec(), v.hex("pkRm"));
        let ephemeral = X25519PrivateKey::from_raw(&v.array32("skEm")).expect("skEm");
        assert_eq!(ephemeral.public_key().as_bytes().to_vec(), v.hex("pkEm"));
    }

    #[test]
    fn rfc9180_sender_reproduces_every_published_ciphertext_in_sequence() {
        let v = Vector::load();
        let pk_r: [u8; 32] = v.array32("pkRm");
        let (enc, mut ctx) = rfc9180::setup_sender(&pk_r, &v.hex("info"), &private_key(&v.hex("skEm"))).expect("setup");
        assert_eq!(enc.to_vec(), v.hex("pkEm"));
        let encryptions = v.list("encryptions");
        assert!(encryptions.len() >= 10);
        for (seq, e) in encryptions.iter().enumerate() {
            let mut buf = hexv(e, "plaintext");
            let tag = ctx.seal_in_place(&hexv(e, "aad"), &mut buf).expect("seal");
            buf.extend_from_slice(&tag);
            assert_eq!(buf, hexv(e, "ciphertext"), "seq {seq}");
        }
    }

    #[test]
    fn rfc9180_receiver_opens_every_published_ciphertext_in_sequence() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        let enc: [u8; 32] = v.array32("pkEm");
        let mut ctx =
            rfc9180::setup_receiver(&enc, recipient.backend(), recipient.public_key().as_bytes(), &v.hex("info"))
                .expect("setup");
        for (seq, e) in v.list("encryptions").iter().enumerate() {
            let mut buf = hexv(e, "ciphertext");
            let pt = ctx.open_in_place(&hexv(e, "aad"), &mut buf).unwrap_or_else(|_| panic!("seq {seq}"));
            assert_eq!(pt.to_vec(), hexv(e, "plaintext"), "seq {seq}");
        }
    }

    #[test]
    fn rfc9180_first_ciphertext_opens_only_under_its_info_and_aad() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        let enc: [u8; 32] = v.array32("pkEm");
        let first = &v.list("encryptions")[0];
        let open = |info: &[u8], aad: &[u8]| {
            let mut ctx = rfc9180::setup_receiver(&enc, recipient.backend(), recipient.public_key().as_bytes(), info)?;
            let mut buf = hexv(first, "ciphertext");
            ctx.open_in_place(aad, &mut buf).map(|pt| pt.to_vec())
        };
        assert_eq!(open(&v.hex("info"), &hexv(first, "aad")).expect("open"), hexv(first, "plaintext"));
        assert!(open(b"another label", &hexv(first, "aad")).is_err());
        assert!(open(&v.hex("info"), b"Count-1").is_err());
    }

    #[test]
    fn v2_envelope_is_the_rfc9180_single_shot_with_our_header_as_aad() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        let label = Label::from_bytes(v.hex("info"));
        let sealed = seal_v2_with_ephemeral(recipient.public_key(), &label, b"value", &private_key(&v.hex("skEm")))
            .expect("seal");
        assert_eq!(&sealed[..3], &format::V2_MAGIC);
        assert_eq!(&sealed[3..V2_HEADER_LEN], recipient.public_key().key_id().as_bytes());
        assert_eq!(sealed[V2_HEADER_LEN..V2_HEADER_LEN + V2_ENC_LEN].to_vec(), v.hex("pkEm"));
        assert_eq!(sealed.len(), V2_HEADER_LEN + V2_ENC_LEN + 5 + TAG_LEN);
        // The same key schedule as the published vector, so sealing the vector's first
        // plaintext with the vector's aad instead of our header gives the published ciphertext.
        let first = &v.list("encryptions")[0];
        let (_, mut ctx) =
            rfc9180::setup_sender(recipient.public_key().as_bytes(), &v.hex("info"), &private_key(&v.hex("skEm")))
                .expect("setup");
        let mut buf = hexv(first, "plaintext");
        let tag = ctx.seal_in_place(&hexv(first, "aad"), &mut buf).expect("seal");
        buf.extend_from_slice(&tag);
        assert_eq!(buf, hexv(first, "ciphertext"));
        assert_eq!(open_v2(&recipient, &label, &sealed).expect("open").expose_secret(), b"value");
        assert!(open_v2(&recipient, &Label::from_bytes(b"other".to_vec()), &sealed).is_err());
    }

    #[test]
    fn derive_key_pair_is_deterministic_and_seed_dependent() {
        let a = X25519PrivateKey::derive(&[1u8; 32]).expect("derive");
        let b = X25519PrivateKey::derive(&[1u8; 32]).expect("derive");
        let c = X25519PrivateKey::derive(&[2u8; 32]).expect("derive");
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), c.public_key());
    }

    #[test]
    fn v2_header_is_authenticated() {
        let key = X25519PrivateKey::derive(&[7u8; 32]).expect("derive");
        let label = Label::from_bytes(b"ns/name".to_vec());
        let sealed = seal_v2(key.public_key(), &label, b"value").expect("seal");
        // Flip every bit of the header and body in turn: nothing opens, nothing panics.
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(open_v2(&key, &label, &tampered).is_err(), "byte {i}");
        }
    }

    /// A v1 value made by hand with a session key of `len` bytes, as another sealer could.
    fn v1_with_session_key(key: &RsaPublicKey, label: &Label, len: usize, plaintext: &[u8]) -> Vec<u8> {
        let session_key = vec![0x5Au8; len];
        let k = key.modulus_len();
        let mut out = (k as u16).to_be_bytes().to_vec();
        out.resize(2 + k, 0);
        key.encrypt_session_key(label.as_bytes(), &session_key, &mut out[2..]).expect("rsa");
        let aead = aes_key(&session_key).expect("aes");
        let mut body = plaintext.to_vec();
        let tag = aead
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key([0; 12]), Aad::empty(), &mut body)
            .expect("gcm");
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        out
    }

    #[test]
    fn v1_opens_aes_128_and_192_session_keys_as_go_does() {
        let key = crate::RsaPrivateKey::generate(crate::RsaKeySize::Rsa2048).expect("key");
        let label = Label::from_bytes(b"ns/name".to_vec());
        for len in [16, 24, 32] {
            let sealed = v1_with_session_key(key.public_key(), &label, len, b"value");
            assert_eq!(open_v1(&key, &label, &sealed).expect("open").expose_secret(), b"value", "{len}");
        }
        // Go's aes.NewCipher refuses other lengths, and so do we.
        for len in [0, 20, 31] {
            let k = key.public_key().modulus_len();
            let mut sealed = (k as u16).to_be_bytes().to_vec();
            sealed.resize(2 + k, 0);
            key.public_key().encrypt_session_key(label.as_bytes(), &vec![1u8; len], &mut sealed[2..]).expect("rsa");
            sealed.extend_from_slice(&[0u8; 21]);
            assert_eq!(open_v1(&key, &label, &sealed).err(), Some(Error::DecryptionFailed), "{len}");
        }
    }
}
