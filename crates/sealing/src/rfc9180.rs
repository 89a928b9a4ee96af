//! RFC 9180 HPKE, exactly the part the v2 envelope uses: base mode, single-shot, one suite,
//! DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, on aws-lc-rs primitives.
//!
//! Why not a general HPKE crate: the v2 open path must be far cheaper than an RSA-4096 open, and
//! the pure-Rust `hpke` crate measured 90 µs per open here (two X25519 scalar multiplications
//! on an untabled curve, RustCrypto AES-GCM), 16x faster than v1, where this module, on AWS-LC's
//! X25519, HMAC and AES-GCM, does one scalar multiplication (see `docs/benchmarks.md`). It is a
//! thin composition of those primitives, pinned by the RFC's published vectors for this suite
//! and cross-checked in both directions against the `hpke` crate and OpenSSL's HPKE in tests.
//!
//! Names follow the RFC: `LabeledExtract`, `LabeledExpand`, `ExtractAndExpand`, `KeySchedule`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, UnparsedPublicKey, X25519};
use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// `suite_id` of the KEM: "KEM" ‖ I2OSP(0x0020, 2).
const KEM_SUITE: &[u8] = b"KEM\x00\x20";
/// `suite_id` of HPKE: "HPKE" ‖ kem_id 0x0020 ‖ kdf_id 0x0001 ‖ aead_id 0x0002.
const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x02";
/// Nh, Nsecret and Nk of the suite.
const N: usize = 32;
/// Nn, the AEAD nonce size.
const NONCE_LEN: usize = 12;

/// HMAC-SHA256(key, parts concatenated) into `out`. The concatenation and the MAC are written
/// only to zeroizing buffers (aws-lc-rs's `hmac::Tag` is not zeroized on drop).
fn hmac_into(key: &[u8], parts: &[&[u8]], out: &mut [u8; N]) {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut data = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for part in parts {
        data.extend_from_slice(part);
    }
    // The output buffer has exactly SHA-256's size, so this cannot fail.
    let _ = hmac::sign_to_buffer(&key, &data, out);
}

/// `LabeledExtract(salt, label, ikm)` = HMAC-SHA256(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm).
/// An empty salt is HashLen zero bytes by RFC 5869, which HMAC's key padding makes identical.
fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new([0u8; N]);
    hmac_into(salt, &[b"HPKE-v1", suite, label, ikm], &mut out);
    out
}

/// `LabeledExpand(prk, label, info, L)` for `L <= Nh`: one HMAC block of
/// I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info ‖ 0x01.
fn labeled_expand(suite: &[u8], prk: &[u8; N], label: &[u8], info: &[u8], out: &mut [u8]) {
    debug_assert!(out.len() <= N);
    let len = (out.len() as u16).to_be_bytes();
    let mut block = Zeroizing::new([0u8; N]);
    hmac_into(prk, &[&len, b"HPKE-v1", suite, label, info, &[1u8]], &mut block);
    out.copy_from_slice(&block[..out.len()]);
}

/// `DeriveKeyPair(ikm)` for X25519: the private key bytes.
pub(crate) fn derive_private_key(ikm: &[u8]) -> Zeroizing<[u8; N]> {
    let dkp_prk = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm);
    let mut sk = Zeroizing::new([0u8; N]);
    labeled_expand(KEM_SUITE, &dkp_prk, b"sk", b"", &mut sk[..]);
    sk
}

/// X25519(sk, pk). An all-zero result (a low-order peer key) is refused, as RFC 9180 §7.1.4
/// requires; AWS-LC reports it as an error.
fn dh(sk: &agreement::PrivateKey, pk: &[u8; N]) -> Result<Zeroizing<[u8; N]>> {
    agreement::agree(sk, UnparsedPublicKey::new(&X25519, pk), Error::DecryptionFailed, |shared| {
        let mut out = Zeroizing::new([0u8; N]);
        if shared.len() != N || shared.iter().all(|b| *b == 0) {
            return Err(Error::DecryptionFailed);
        }
        out.copy_from_slice(shared);
        Ok(out)
    })
}

/// `ExtractAndExpand(dh, kem_context)` with `kem_context = enc ‖ pkR`.
fn shared_secret(dh: &[u8; N], enc: &[u8; N], pk_r: &[u8; N]) -> Zeroizing<[u8; N]> {
    let eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh);
    let mut kem_context = [0u8; 2 * N];
    kem_context[..N].copy_from_slice(enc);
    kem_context[N..].copy_from_slice(pk_r);
    let mut secret = Zeroizing::new([0u8; N]);
    labeled_expand(KEM_SUITE, &eae_prk, b"shared_secret", &kem_context, &mut secret[..]);
    secret
}

/// An HPKE encryption context: the AEAD key, base nonce and sequence number.
pub(crate) struct Context {
    key: LessSafeKey,
    base_nonce: Zeroizing<[u8; NONCE_LEN]>,
    seq: u64,
}

impl Context {
    /// `KeySchedule(mode_base, shared_secret, info, "", "")`.
    fn schedule(shared_secret: &[u8; N], info: &[u8]) -> Result<Self> {
        let psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"");
        let info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info);
        let mut key_schedule_context = [0u8; 1 + 2 * N];
        key_schedule_context[0] = 0x00; // mode_base
        key_schedule_context[1..1 + N].copy_from_slice(&psk_id_hash[..]);
        key_schedule_context[1 + N..].copy_from_slice(&info_hash[..]);
        let secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"");
        let mut key = Zeroizing::new([0u8; N]);
        labeled_expand(HPKE_SUITE, &secret, b"key", &key_schedule_context, &mut key[..]);
        let mut base_nonce = Zeroizing::new([0u8; NONCE_LEN]);
        labeled_expand(HPKE_SUITE, &secret, b"base_nonce", &key_schedule_context, &mut base_nonce[..]);
        let unbound = UnboundKey::new(&AES_256_GCM, &key[..]).map_err(|_| Error::EncryptionFailed)?;
        Ok(Self { key: LessSafeKey::new(unbound), base_nonce, seq: 0 })
    }

    /// `ComputeNonce(seq)`, then the sequence number moves on.
    fn next_nonce(&mut self) -> Nonce {
        let mut nonce = *self.base_nonce;
        for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq += 1;
        Nonce::assume_unique_for_key(nonce)
    }

    /// `Seal(aad, pt)` in place; returns the tag.
    pub(crate) fn seal_in_place(&mut self, aad: &[u8], in_out: &mut [u8]) -> Result<[u8; 16]> {
        let nonce = self.next_nonce();
        let tag =
            self.key.seal_in_place_separate_tag(nonce, Aad::from(aad), in_out).map_err(|_| Error::EncryptionFailed)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// `Open(aad, ct)` in place over `ciphertext ‖ tag`; returns the plaintext part.
    pub(crate) fn open_in_place<'a>(&mut self, aad: &[u8], in_out: &'a mut [u8]) -> Result<&'a mut [u8]> {
        let nonce = self.next_nonce();
        self.key.open_in_place(nonce, Aad::from(aad), in_out).map_err(|_| Error::DecryptionFailed)
    }
}

/// `SetupBaseS(pkR, info)` with the given ephemeral key: returns `enc` and the context.
pub(crate) fn setup_sender(
    pk_r: &[u8; N],
    info: &[u8],
    ephemeral: &agreement::PrivateKey,
) -> Result<([u8; N], Context)> {
    let enc_key = ephemeral.compute_public_key().map_err(|_| Error::EncryptionFailed)?;
    let enc: [u8; N] = enc_key.as_ref().try_into().map_err(|_| Error::EncryptionFailed)?;
    let dh = dh(ephemeral, pk_r).map_err(|_| Error::EncryptionFailed)?;
    let secret = shared_secret(&dh, &enc, pk_r);
    Ok((enc, Context::schedule(&secret, info)?))
}

/// `SetupBaseR(enc, skR, info)`; `pk_r` is skR's public key, which the caller already holds.
pub(crate) fn setup_receiver(
    enc: &[u8; N],
    sk_r: &agreement::PrivateKey,
    pk_r: &[u8; N],
    info: &[u8],
) -> Result<Context> {
    let dh = dh(sk_r, enc)?;
    let secret = shared_secret(&dh, enc, pk_r);
    Context::schedule(&secret, info).map_err(|_| Error::DecryptionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expansion_length_is_part_of_the_label() {
        // L is part of the labelled info, so a 12-byte expansion is not a prefix of a 32-byte one.
        let prk = [7u8; N];
        let mut long = [0u8; N];
        let mut short = [0u8; NONCE_LEN];
        labeled_expand(HPKE_SUITE, &prk, b"x", b"", &mut long);
        labeled_expand(HPKE_SUITE, &prk, b"x", b"", &mut short);
        assert_ne!(&long[..NONCE_LEN], &short[..]);
    }

    #[test]
    fn low_order_peer_keys_are_refused() {
        let sk = agreement::PrivateKey::generate(&X25519).expect("generate");
        // The all-zero point and the point of order 8 with u = 1 give an all-zero shared secret.
        let mut one = [0u8; N];
        one[0] = 1;
        for bad in [[0u8; N], one] {
            assert_eq!(dh(&sk, &bad).err(), Some(Error::DecryptionFailed));
        }
    }
}
