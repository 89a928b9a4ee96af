//! X25519 keys for the v2 (HPKE) envelope, stored as RFC 8410 PKCS#8 / SPKI PEM.

use der::Decode as _;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, Kem as _, Serializable as _};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::KeyId;
use super::der as wire;
use super::pem;
use crate::error::{Error, Result};

type HpkePrivateKey = <X25519HkdfSha256 as hpke::Kem>::PrivateKey;
type HpkePublicKey = <X25519HkdfSha256 as hpke::Kem>::PublicKey;

/// An X25519 private key. Its `Debug` shows only the key id; the HPKE backend zeroizes the
/// scalar when dropped.
pub struct X25519PrivateKey {
    secret: HpkePrivateKey,
    public: X25519PublicKey,
}

impl std::fmt::Debug for X25519PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X25519PrivateKey").field("key_id", &self.public.key_id).finish_non_exhaustive()
    }
}

impl X25519PrivateKey {
    /// Generates a key pair from 32 bytes of the operating system's randomness, through the
    /// HPKE `DeriveKeyPair` of RFC 9180.
    pub fn generate() -> Result<Self> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(&mut ikm[..]).map_err(|_| Error::KeyGeneration)?;
        Ok(Self::derive(&ikm[..]))
    }

    /// The key pair RFC 9180 `DeriveKeyPair` gives for `ikm` (used by the RFC's test vectors).
    pub fn derive(ikm: &[u8]) -> Self {
        let (secret, public) = X25519HkdfSha256::derive_keypair(ikm);
        Self { secret, public: X25519PublicKey::from_hpke(public) }
    }

    /// A key from its 32 raw private bytes.
    pub fn from_raw(bytes: &[u8; 32]) -> Result<Self> {
        let secret = HpkePrivateKey::from_bytes(bytes).map_err(|_| invalid("not an X25519 private key"))?;
        let public = X25519PublicKey::from_hpke(X25519HkdfSha256::sk_to_pk(&secret));
        Ok(Self { secret, public })
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
    pub fn to_pkcs8_pem(&self) -> SecretString {
        let mut raw = Zeroizing::new([0u8; 32]);
        self.secret.write_exact(&mut raw[..]);
        let mut inner = Zeroizing::new(Vec::with_capacity(34));
        wire::tlv(&mut inner, 0x04, &raw[..]);
        let der = wire::pkcs8(wire::X25519_ALGORITHM, &inner);
        SecretString::from(pem::encode("PRIVATE KEY", &der).as_str())
    }

    /// The public half.
    pub fn public_key(&self) -> &X25519PublicKey {
        &self.public
    }

    pub(crate) fn hpke(&self) -> &HpkePrivateKey {
        &self.secret
    }
}

/// An X25519 public key and its key id.
#[derive(Clone)]
pub struct X25519PublicKey {
    hpke: HpkePublicKey,
    bytes: [u8; 32],
    key_id: KeyId,
}

impl std::fmt::Debug for X25519PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X25519PublicKey").field("key_id", &self.key_id).finish()
    }
}

impl PartialEq for X25519PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for X25519PublicKey {}

impl X25519PublicKey {
    fn from_hpke(hpke: HpkePublicKey) -> Self {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&hpke.to_bytes());
        let key_id = KeyId::of_x25519(&bytes);
        Self { hpke, bytes, key_id }
    }

    /// A key from its 32 raw bytes.
    pub fn from_raw(bytes: &[u8; 32]) -> Result<Self> {
        let hpke = HpkePublicKey::from_bytes(bytes).map_err(|_| invalid_public("not an X25519 public key"))?;
        Ok(Self::from_hpke(hpke))
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
        Self::from_raw(raw)
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

    pub(crate) fn hpke(&self) -> &HpkePublicKey {
        &self.hpke
    }
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidKey { what: "X25519 private key", reason }
}

fn invalid_public(reason: &'static str) -> Error {
    Error::InvalidKey { what: "X25519 public key", reason }
}
