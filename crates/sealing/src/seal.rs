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
use hpke::aead::{AeadTag, AesGcm256};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, OpModeR, OpModeS, Serializable as _};
use secrecy::SecretSlice;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{self, Envelope, TAG_LEN, V2_ENC_LEN, V2_HEADER_LEN};
use crate::keys::{RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey};
use crate::scope::Label;

type EncappedKey = <X25519HkdfSha256 as hpke::Kem>::EncappedKey;

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
    let mut seed = SeedRng::from_os()?;
    seal_v2_with_rng(key, label, plaintext, &mut seed)
}

fn seal_v2_with_rng(key: &X25519PublicKey, label: &Label, plaintext: &[u8], rng: &mut SeedRng) -> Result<Vec<u8>> {
    let header = format::v2_header(&key.key_id());
    let mut out = Vec::with_capacity(V2_HEADER_LEN + V2_ENC_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&header);
    out.resize(V2_HEADER_LEN + V2_ENC_LEN, 0);
    out.extend_from_slice(plaintext);
    let (enc, tag) = hpke::single_shot_seal_inout_detached_with_rng::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        key.hpke(),
        label.as_bytes(),
        (&mut out[V2_HEADER_LEN + V2_ENC_LEN..]).into(),
        &header,
        rng,
    )
    .map_err(|_| Error::EncryptionFailed)?;
    out[V2_HEADER_LEN..V2_HEADER_LEN + V2_ENC_LEN].copy_from_slice(&enc.to_bytes());
    out.extend_from_slice(&tag.to_bytes());
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
    let (ciphertext, tag) = aead_ciphertext.split_at(plaintext_len);
    let enc = EncappedKey::from_bytes(enc).map_err(|_| Error::DecryptionFailed)?;
    let tag = AeadTag::<AesGcm256>::from_bytes(tag).map_err(|_| Error::DecryptionFailed)?;
    let mut buf: Box<[u8]> = ciphertext.into();
    let opened = hpke::single_shot_open_inout_detached::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        key.hpke(),
        &enc,
        label.as_bytes(),
        (&mut buf[..]).into(),
        header,
        &tag,
    );
    match opened {
        Ok(()) => Ok(SecretSlice::from(buf)),
        Err(_) => Err(Error::DecryptionFailed),
    }
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

/// The randomness HPKE draws while sealing: 32 bytes of ephemeral key material (`Nsk`), taken
/// up front so that a failing OS generator is an error rather than a panic inside the HPKE
/// crate. Should more ever be asked for, further blocks are SHA-256(seed ‖ counter), which stays
/// unpredictable because the seed is.
pub(crate) struct SeedRng {
    seed: Zeroizing<[u8; 32]>,
    block: Zeroizing<[u8; 32]>,
    used: usize,
    counter: u64,
}

impl SeedRng {
    fn from_os() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(&mut seed[..]).map_err(|_| Error::EncryptionFailed)?;
        Ok(Self::from_seed(*seed))
    }

    /// A generator that first yields exactly `seed`, the `ikmE` HPKE derives the ephemeral key from.
    pub(crate) fn from_seed(seed: [u8; 32]) -> Self {
        let seed = Zeroizing::new(seed);
        Self { block: seed.clone(), seed, used: 0, counter: 0 }
    }

    fn refill(&mut self) {
        self.counter += 1;
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(&self.seed[..]);
        ctx.update(&self.counter.to_be_bytes());
        self.block.copy_from_slice(ctx.finish().as_ref());
        self.used = 0;
    }
}

impl rand_core::TryRng for SeedRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for byte in dst {
            if self.used == self.block.len() {
                self.refill();
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for SeedRng {}

#[cfg(test)]
pub(crate) mod testing {
    //! Deterministic sealing, so tests can predict the encapsulated key.
    use super::*;

    pub(crate) fn seal_v2_seeded(key: &X25519PublicKey, label: &Label, plaintext: &[u8], seed: [u8; 32]) -> Vec<u8> {
        seal_v2_with_rng(key, label, plaintext, &mut SeedRng::from_seed(seed)).expect("seal")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
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

    #[test]
    fn rfc9180_private_keys_give_the_published_public_keys() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        assert_eq!(recipient.public_key().as_bytes().to_vec(), v.hex("pkRm"));
        let ephemeral = X25519PrivateKey::from_raw(&v.array32("skEm")).expect("skEm");
        assert_eq!(ephemeral.public_key().as_bytes().to_vec(), v.hex("pkEm"));
    }

    #[test]
    fn rfc9180_receiver_opens_every_published_ciphertext_in_sequence() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        let enc = EncappedKey::from_bytes(&v.hex("pkEm")).expect("enc");
        let mut ctx = hpke::setup_receiver::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            recipient.hpke(),
            &enc,
            &v.hex("info"),
        )
        .expect("setup");
        let encryptions = v.list("encryptions");
        assert!(encryptions.len() >= 10);
        for (seq, e) in encryptions.iter().enumerate() {
            let pt = ctx.open(&hexv(e, "ciphertext"), &hexv(e, "aad")).unwrap_or_else(|_| panic!("seq {seq}"));
            assert_eq!(pt, hexv(e, "plaintext"), "seq {seq}");
        }
    }

    #[test]
    fn rfc9180_first_ciphertext_opens_through_the_single_shot_path_and_not_with_another_info() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        let enc = EncappedKey::from_bytes(&v.hex("pkEm")).expect("enc");
        let first = &v.list("encryptions")[0];
        let open = |info: &[u8]| {
            hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
                &OpModeR::Base,
                recipient.hpke(),
                &enc,
                info,
                &hexv(first, "ciphertext"),
                &hexv(first, "aad"),
            )
        };
        assert_eq!(open(&v.hex("info")).expect("open"), hexv(first, "plaintext"));
        assert!(open(b"another label").is_err());
    }

    #[test]
    fn v2_envelope_opens_for_the_rfc9180_recipient_only_under_its_label() {
        let v = Vector::load();
        let recipient = X25519PrivateKey::from_raw(&v.array32("skRm")).expect("skRm");
        let label = Label::from_bytes(v.hex("info"));
        let sealed = seal_v2_seeded(recipient.public_key(), &label, b"value", [3u8; 32]);
        assert_eq!(&sealed[..3], &format::V2_MAGIC);
        assert_eq!(&sealed[3..V2_HEADER_LEN], recipient.public_key().key_id().as_bytes());
        // The encapsulated key is the public key RFC 9180 DeriveKeyPair gives for the seed.
        let ephemeral = X25519PrivateKey::derive(&[3u8; 32]);
        assert_eq!(&sealed[V2_HEADER_LEN..V2_HEADER_LEN + V2_ENC_LEN], ephemeral.public_key().as_bytes());
        assert_eq!(sealed.len(), V2_HEADER_LEN + V2_ENC_LEN + 5 + TAG_LEN);
        assert_eq!(open_v2(&recipient, &label, &sealed).expect("open").expose_secret(), b"value");
        assert!(open_v2(&recipient, &Label::from_bytes(b"other".to_vec()), &sealed).is_err());
    }

    #[test]
    fn v2_header_is_authenticated() {
        let key = X25519PrivateKey::derive(&[7u8; 32]);
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

    #[test]
    fn seed_rng_yields_the_seed_then_keeps_going() {
        use rand_core::TryRng as _;
        let mut rng = SeedRng::from_seed([9u8; 32]);
        let mut first = [0u8; 32];
        rng.try_fill_bytes(&mut first).expect("infallible");
        assert_eq!(first, [9u8; 32]);
        let mut more = [0u8; 32];
        rng.try_fill_bytes(&mut more).expect("infallible");
        assert_ne!(more, [9u8; 32]);
        assert_ne!(more, [0u8; 32]);
    }
}
