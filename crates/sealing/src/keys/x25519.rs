//! X25519 keys for the v2 (HPKE) envelope, stored as RFC 8410 PKCS#8 / SPKI PEM.

use aws_lc_rs::agreement::{self, X25519};
use aws_lc_rs::encoding::AsBigEndian;
use der::Decode as _;
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::KeyId;
use super::der as wire;
use super::pem;
use crate::error::{Error, Result};
use crate::rfc9180;

/// An X25519 private key. Its `Debug` shows only the key id; AWS-LC zeroizes the scalar when the
/// key is dropped.
pub struct X25519PrivateKey {
    secret: agreement::PrivateKey,
    public: X25519PublicKey,
}

impl std::fmt::Debug for X25519PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X25519PrivateKey").field("key_id", &self.public.key_id).finish_non_exhaustive()
    }
}

impl X25519PrivateKey {
    /// Generates a key pair from the operating system's randomness.
    pub fn generate() -> Result<Self> {
        let secret = agreement::PrivateKey::generate(&X25519).map_err(|_| Error::KeyGeneration)?;
        Self::from_backend(secret).map_err(|_| Error::KeyGeneration)
    }

    /// The key pair RFC 9180 `DeriveKeyPair` gives for `ikm`.
    pub fn derive(ikm: &[u8]) -> Result<Self> {
        Self::from_raw(&rfc9180::derive_private_key(ikm))
    }

    /// A key from its 32 raw private bytes (RFC 7748 encoding, as in RFC 8410 and RFC 9180).
    pub fn from_raw(bytes: &[u8; 32]) -> Result<Self> {
        let secret = agreement::PrivateKey::from_private_key(&X25519, bytes)
            .map_err(|_| invalid("not an X25519 private key"))?;
        Self::from_backend(secret)
    }

    fn from_backend(secret: agreement::PrivateKey) -> Result<Self> {
        let public = secret.compute_public_key().map_err(|_| invalid("the key was rejected"))?;
        let bytes: &[u8; 32] = public.as_ref().try_into().map_err(|_| invalid("the key was rejected"))?;
        Ok(Self { public: X25519PublicKey::from_bytes(*bytes), secret })
    }

    /// Reads a PKCS#8 `PrivateKeyInfo` (RFC 8410) DER structure.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|_| invalid("not a PKCS#8 private key"))?;
        if info.algorithm.oid.to_string() != wire::X25519_OID {
            return Err(invalid("not an X25519 key"));
        }
        // CurvePrivateKey ::= OCTET STRING, inside the PKCS#8 privateKey OCTET STRING.
        let inner = info.private_key.as_bytes();
        let [0x04, 0x20, raw @ ..] = inner else {
            return Err(invalid("malformed CurvePrivateKey"));
        };
        let raw: &[u8; 32] = raw.try_into().map_err(|_| invalid("malformed CurvePrivateKey"))?;
        Self::from_raw(raw)
    }

    /// Reads the first `PRIVATE KEY` block of a PEM text that holds an X25519 key.
    pub fn from_pem(text: &str) -> Result<Self> {
        let block = pem::first(text, &["PRIVATE KEY"], "PRIVATE KEY")?;
        Self::from_pkcs8_der(&block.der)
    }

    /// The PKCS#8 (RFC 8410) PEM text, as OpenSSL writes it.
    pub fn to_pkcs8_pem(&self) -> Result<SecretString> {
        let raw: aws_lc_rs::encoding::Curve25519SeedBin<'static> =
            self.secret.as_be_bytes().map_err(|_| invalid("the key could not be encoded"))?;
        let mut inner = Zeroizing::new(Vec::with_capacity(34));
        wire::tlv(&mut inner, 0x04, raw.as_ref());
        let der = wire::pkcs8(wire::X25519_ALGORITHM, &inner);
        Ok(SecretString::from(pem::encode("PRIVATE KEY", &der).as_str()))
    }

    /// The public half.
    pub fn public_key(&self) -> &X25519PublicKey {
        &self.public
    }

    pub(crate) fn backend(&self) -> &agreement::PrivateKey {
        &self.secret
    }
}

/// An X25519 public key and its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct X25519PublicKey {
    bytes: [u8; 32],
    key_id: KeyId,
}

impl std::fmt::Debug for X25519PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X25519PublicKey").field("key_id", &self.key_id).finish()
    }
}

impl X25519PublicKey {
    fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { key_id: KeyId::of_x25519(&bytes), bytes }
    }

    /// A key from its 32 raw bytes. Any 32 bytes are an X25519 public key (RFC 7748); a
    /// low-order one simply never opens anything.
    pub fn from_raw(bytes: &[u8; 32]) -> Self {
        Self::from_bytes(*bytes)
    }

    /// Reads a DER `SubjectPublicKeyInfo` (RFC 8410) holding an X25519 key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let spki =
            spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| invalid_public("not a SubjectPublicKeyInfo"))?;
        if spki.algorithm.oid.to_string() != wire::X25519_OID {
            return Err(invalid_public("not an X25519 key"));
        }
        let raw = spki.subject_public_key.as_bytes().ok_or(invalid_public("malformed key bits"))?;
        let raw: &[u8; 32] = raw.try_into().map_err(|_| invalid_public("wrong length"))?;
        Ok(Self::from_raw(raw))
    }

    /// Reads the first `PUBLIC KEY` block of a PEM text that holds an X25519 key.
    pub fn from_pem(text: &str) -> Result<Self> {
        let block = pem::first(text, &["PUBLIC KEY"], "PUBLIC KEY")?;
        Self::from_spki_der(&block.der)
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Vec<u8> {
        wire::spki(wire::X25519_ALGORITHM, &self.bytes)
    }

    /// The PEM `PUBLIC KEY` text.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.to_spki_der()).as_str().to_owned()
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The id that v2 envelopes sealed to this key carry.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidKey { what: "X25519 private key", reason }
}

fn invalid_public(reason: &'static str) -> Error {
    Error::InvalidKey { what: "X25519 public key", reason }
}
