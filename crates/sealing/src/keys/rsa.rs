//! RSA keys for the v1 envelope, backed by aws-lc-rs (constant-time RSA, see SECURITY.md).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey,
};
use base64::Engine as _;
use std::sync::Arc;

use der::Decode as _;
use der::asn1::UintRef;
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::Fingerprint;
use super::der as wire;
use super::pem;
use crate::error::{Error, Result};

/// The RSA key sizes this crate can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RsaKeySize {
    /// 2048 bits.
    Rsa2048,
    /// 3072 bits.
    Rsa3072,
    /// 4096 bits, upstream's default `--key-size`.
    #[default]
    Rsa4096,
    /// 8192 bits.
    Rsa8192,
}

impl RsaKeySize {
    /// The size for a `--key-size` value in bits.
    pub fn from_bits(bits: usize) -> Result<Self> {
        match bits {
            2048 => Ok(Self::Rsa2048),
            3072 => Ok(Self::Rsa3072),
            4096 => Ok(Self::Rsa4096),
            8192 => Ok(Self::Rsa8192),
            bits => Err(Error::UnsupportedKeySize { bits }),
        }
    }

    fn backend(self) -> KeySize {
        match self {
            Self::Rsa2048 => KeySize::Rsa2048,
            Self::Rsa3072 => KeySize::Rsa3072,
            Self::Rsa4096 => KeySize::Rsa4096,
            Self::Rsa8192 => KeySize::Rsa8192,
        }
    }
}

/// An RSA private key. It has no `Debug` that shows key material, and the backend zeroizes it
/// when dropped.
pub struct RsaPrivateKey {
    oaep: OaepPrivateDecryptingKey,
    backend: PrivateDecryptingKey,
    public: RsaPublicKey,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateKey").field("fingerprint", &self.public.fingerprint).finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// Generates a fresh key pair with public exponent 65537.
    pub fn generate(size: RsaKeySize) -> Result<Self> {
        let key = PrivateDecryptingKey::generate(size.backend()).map_err(|_| Error::KeyGeneration)?;
        Self::from_backend(key)
    }

    /// Reads the first RSA private key of a PEM text: a PKCS#1 `RSA PRIVATE KEY` or a PKCS#8
    /// `PRIVATE KEY` block, as upstream's key loader accepts.
    pub fn from_pem(text: &str) -> Result<Self> {
        let block = pem::first(text, &["RSA PRIVATE KEY", "PRIVATE KEY"], "RSA PRIVATE KEY or PRIVATE KEY")?;
        match block.label.as_str() {
            "RSA PRIVATE KEY" => Self::from_pkcs1_der(&block.der),
            _ => Self::from_pkcs8_der(&block.der),
        }
    }

    /// Reads a PKCS#1 `RSAPrivateKey` DER structure.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        let parsed: pkcs1::RsaPrivateKey<UintRef<'_>> =
            pkcs1::RsaPrivateKey::from_der(der).map_err(|_| invalid("not a PKCS#1 RSA private key"))?;
        check_size(bit_len(parsed.modulus.as_bytes()))?;
        let pkcs8 = wire::pkcs8(wire::RSA_ALGORITHM, der);
        let key = PrivateDecryptingKey::from_pkcs8(&pkcs8).map_err(|_| invalid("the key was rejected"))?;
        Self::from_backend(key)
    }

    /// Reads a PKCS#8 `PrivateKeyInfo` DER structure holding an RSA key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let pkcs1 = pkcs1_of_pkcs8(der)?;
        Self::from_pkcs1_der(pkcs1)
    }

    fn from_backend(backend: PrivateDecryptingKey) -> Result<Self> {
        let public = RsaPublicKey::from_backend(backend.public_key())?;
        let oaep = OaepPrivateDecryptingKey::new(backend.clone()).map_err(|_| invalid("the key was rejected"))?;
        Ok(Self { oaep, backend, public })
    }

    /// The public half.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// The PKCS#8 DER encoding, zeroized when dropped.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let der = self.backend.as_der().map_err(|_| invalid("the key could not be encoded"))?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }

    /// The PEM `RSA PRIVATE KEY` (PKCS#1) text that upstream stores in a key Secret's `tls.key`.
    pub fn to_pkcs1_pem(&self) -> Result<SecretString> {
        let pkcs8 = self.to_pkcs8_der()?;
        let pkcs1 = pkcs1_of_pkcs8(&pkcs8)?;
        let pem = pem::encode("RSA PRIVATE KEY", pkcs1);
        Ok(SecretString::from(pem.as_str()))
    }

    /// Recovers a v1 session key: 32 bytes from every known sealer, but 16 or 24 bytes open too,
    /// because upstream's `aes.NewCipher` accepts them. Any failure is [`Error::DecryptionFailed`].
    pub(crate) fn decrypt_session_key(&self, label: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if ciphertext.len() != self.public.modulus_len {
            return Err(Error::DecryptionFailed);
        }
        let mut out = Zeroizing::new(vec![0u8; self.oaep.min_output_size()]);
        let plain = self
            .oaep
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, Some(label))
            .map_err(|_| Error::DecryptionFailed)?;
        if !matches!(plain.len(), 16 | 24 | 32) {
            return Err(Error::DecryptionFailed);
        }
        Ok(Zeroizing::new(plain.to_vec()))
    }
}

/// An RSA public key with its upstream fingerprint.
#[derive(Clone)]
pub struct RsaPublicKey {
    oaep: Arc<OaepPublicEncryptingKey>,
    spki_der: Vec<u8>,
    fingerprint: Fingerprint,
    modulus_len: usize,
    bits: usize,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPublicKey").field("bits", &self.bits).field("fingerprint", &self.fingerprint).finish()
    }
}

impl PartialEq for RsaPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for RsaPublicKey {}

impl RsaPublicKey {
    /// Reads a DER `SubjectPublicKeyInfo` holding an RSA key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki =
            spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| invalid_public("not a SubjectPublicKeyInfo"))?;
        if spki.algorithm.oid.to_string() != wire::RSA_OID {
            return Err(invalid_public("not an RSA key"));
        }
        let pkcs1 = spki.subject_public_key.as_bytes().ok_or(invalid_public("malformed key bits"))?;
        Self::from_pkcs1_der(pkcs1)
    }

    /// Reads a DER PKCS#1 `RSAPublicKey`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        let parsed: pkcs1::RsaPublicKey<UintRef<'_>> =
            pkcs1::RsaPublicKey::from_der(der).map_err(|_| invalid_public("not a PKCS#1 RSA public key"))?;
        check_size(bit_len(parsed.modulus.as_bytes()))?;
        let spki_der = wire::spki(wire::RSA_ALGORITHM, der);
        let key = PublicEncryptingKey::from_der(&spki_der).map_err(|_| invalid_public("the key was rejected"))?;
        Self::from_backend(key)
    }

    /// Reads a PEM `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1) block.
    pub fn from_pem(text: &str) -> Result<Self> {
        let block = pem::first(text, &["PUBLIC KEY", "RSA PUBLIC KEY"], "PUBLIC KEY or RSA PUBLIC KEY")?;
        match block.label.as_str() {
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(&block.der),
            _ => Self::from_spki_der(&block.der),
        }
    }

    fn from_backend(key: PublicEncryptingKey) -> Result<Self> {
        let spki_der = key.as_der().map_err(|_| invalid_public("the key could not be encoded"))?.as_ref().to_vec();
        let spki = spki::SubjectPublicKeyInfoRef::from_der(&spki_der)
            .map_err(|_| invalid_public("not a SubjectPublicKeyInfo"))?;
        let pkcs1 = spki.subject_public_key.as_bytes().ok_or(invalid_public("malformed key bits"))?;
        let parsed: pkcs1::RsaPublicKey<UintRef<'_>> =
            pkcs1::RsaPublicKey::from_der(pkcs1).map_err(|_| invalid_public("not a PKCS#1 RSA public key"))?;
        let fingerprint = ssh_fingerprint(parsed.public_exponent.as_bytes(), parsed.modulus.as_bytes());
        let bits = bit_len(parsed.modulus.as_bytes());
        let modulus_len = key.key_size_bytes();
        let oaep = Arc::new(OaepPublicEncryptingKey::new(key).map_err(|_| invalid_public("the key was rejected"))?);
        Ok(Self { oaep, spki_der, fingerprint, modulus_len, bits })
    }

    /// Upstream's fingerprint of this key.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The PEM `PUBLIC KEY` text.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki_der).as_str().to_owned()
    }

    /// The modulus size in bytes, which is also the size of every RSA ciphertext for this key.
    pub fn modulus_len(&self) -> usize {
        self.modulus_len
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Encrypts a v1 session key with RSA-OAEP (SHA-256, MGF1-SHA-256) under `label`.
    pub(crate) fn encrypt_session_key(&self, label: &[u8], session_key: &[u8], out: &mut [u8]) -> Result<()> {
        let written = self
            .oaep
            .encrypt(&OAEP_SHA256_MGF1SHA256, session_key, out, Some(label))
            .map_err(|_| Error::EncryptionFailed)?;
        if written.len() != self.modulus_len {
            return Err(Error::EncryptionFailed);
        }
        Ok(())
    }
}

fn pkcs1_of_pkcs8(der: &[u8]) -> Result<&[u8]> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|_| invalid("not a PKCS#8 private key"))?;
    if info.algorithm.oid.to_string() != wire::RSA_OID {
        return Err(invalid("not an RSA key"));
    }
    Ok(info.private_key.as_bytes())
}

fn check_size(bits: usize) -> Result<()> {
    if (2048..=8192).contains(&bits) { Ok(()) } else { Err(Error::UnsupportedKeySize { bits }) }
}

/// Bits in a big-endian unsigned integer without leading zero bytes.
fn bit_len(be: &[u8]) -> usize {
    match be.first() {
        None => 0,
        Some(first) => be.len() * 8 - first.leading_zeros() as usize,
    }
}

/// `SHA256:` + unpadded base64 of SHA-256 over the OpenSSH `ssh-rsa` public key blob.
fn ssh_fingerprint(exponent: &[u8], modulus: &[u8]) -> Fingerprint {
    fn string(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    fn mpint(out: &mut Vec<u8>, be: &[u8]) {
        let pad = be.first().is_some_and(|b| b & 0x80 != 0);
        out.extend_from_slice(&((be.len() + usize::from(pad)) as u32).to_be_bytes());
        if pad {
            out.push(0);
        }
        out.extend_from_slice(be);
    }
    let mut blob = Vec::with_capacity(modulus.len() + exponent.len() + 32);
    string(&mut blob, b"ssh-rsa");
    mpint(&mut blob, exponent);
    mpint(&mut blob, modulus);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &blob);
    Fingerprint(format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest.as_ref())))
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidKey { what: "RSA private key", reason }
}

fn invalid_public(reason: &'static str) -> Error {
    Error::InvalidKey { what: "RSA public key", reason }
}
