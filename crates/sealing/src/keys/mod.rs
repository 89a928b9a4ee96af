//! Keys, certificates and the key ring.
//!
//! - [`RsaPrivateKey`] / [`RsaPublicKey`]: the v1 (Bitnami) keys, backed by aws-lc-rs.
//! - [`X25519PrivateKey`] / [`X25519PublicKey`]: the v2 (HPKE) keys.
//! - [`Certificate`]: the self-signed X.509 certificate that publishes an RSA public key.
//! - [`KeyRing`]: every private key a controller holds, and opening values with them.
//!
//! Private key types have no `Debug` that shows key material, no `Serialize`, and zeroize what
//! they hold when dropped.

mod cert;
mod der;
pub(crate) mod pem;
mod ring;
mod rsa;
mod x25519;

use std::fmt;

pub use cert::{Certificate, CertificateParams, DEFAULT_VALIDITY, generate_sealing_key};
pub use ring::{KeyRef, KeyRing, Opened};
pub use rsa::{RsaKeySize, RsaPrivateKey, RsaPublicKey};
pub use x25519::{X25519PrivateKey, X25519PublicKey};

/// Identifies an X25519 recipient key inside a v2 envelope: the first 8 bytes of
/// SHA-256(`"kubeseal-rs v2 key id"` ‖ 0x00 ‖ public key).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KeyId::LEN]);

impl KeyId {
    /// Length of a key id in bytes.
    pub const LEN: usize = 8;

    /// A key id from its bytes, as read from an envelope.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        KeyId(bytes)
    }

    /// The key id of an X25519 public key.
    pub fn of_x25519(public: &[u8; 32]) -> Self {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(b"kubeseal-rs v2 key id\0");
        ctx.update(public);
        let digest = ctx.finish();
        let mut id = [0u8; Self::LEN];
        id.copy_from_slice(&digest.as_ref()[..Self::LEN]);
        KeyId(id)
    }

    /// The key id's bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    /// Lower-case hex, 16 characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// An RSA public key's fingerprint as upstream computes it: `SHA256:` followed by the unpadded
/// base64 of SHA-256 over the key's OpenSSH wire encoding (the same text `ssh-keygen -l` prints).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// A fingerprint from its text, for example one remembered in a status or annotation.
    pub fn from_string(text: impl Into<String>) -> Self {
        Fingerprint(text.into())
    }

    /// The fingerprint text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.0)
    }
}
