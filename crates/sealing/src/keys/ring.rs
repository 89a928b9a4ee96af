//! The key ring: every private key a controller holds, and opening values with them.
//!
//! - v2 values name their key, so opening costs exactly one X25519 operation or fails at once.
//! - v1 values carry no key id. Keys are tried newest first, but a caller that remembers which
//!   key opened an object last time passes its fingerprint as a hint and that key goes first, so
//!   steady-state reconciles cost one RSA operation whatever the ring's size. Keys whose modulus
//!   size differs from the value's RSA ciphertext are skipped without a private-key operation.
//!
//! [`KeyRing::open`] reports which key opened a value and how many private-key operations it
//! took, never why a key failed.

use std::time::SystemTime;

use secrecy::SecretSlice;

use super::{Fingerprint, KeyId, RsaPrivateKey, X25519PrivateKey};
use crate::error::{Error, Result};
use crate::format::Envelope;
use crate::scope::Label;
use crate::seal::{open_v1_parts, open_v2_parts};

/// Which key opened a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyRef {
    /// An RSA key, by upstream fingerprint.
    Rsa(Fingerprint),
    /// An X25519 key, by key id.
    X25519(KeyId),
}

/// An opened value.
pub struct Opened {
    /// The plaintext, zeroized when dropped.
    pub plaintext: SecretSlice<u8>,
    /// The key that opened it; for v1 values, pass its fingerprint as the next hint.
    pub key: KeyRef,
    /// Private-key operations spent, successful or not.
    pub private_key_operations: usize,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("key", &self.key)
            .field("private_key_operations", &self.private_key_operations)
            .finish_non_exhaustive()
    }
}

struct Entry<K> {
    key: K,
    created: SystemTime,
}

/// Private keys, newest first within each kind.
#[derive(Default)]
pub struct KeyRing {
    rsa: Vec<Entry<RsaPrivateKey>>,
    x25519: Vec<Entry<X25519PrivateKey>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("rsa", &self.rsa.iter().map(|e| e.key.public_key().fingerprint()).collect::<Vec<_>>())
            .field("x25519", &self.x25519.iter().map(|e| e.key.public_key().key_id()).collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an RSA key created at `created`. A key already in the ring (same fingerprint) is
    /// not added twice. Returns whether the key was new.
    pub fn add_rsa(&mut self, key: RsaPrivateKey, created: SystemTime) -> bool {
        let fp = key.public_key().fingerprint();
        if self.rsa.iter().any(|e| e.key.public_key().fingerprint() == fp) {
            return false;
        }
        insert_newest_first(&mut self.rsa, Entry { key, created });
        true
    }

    /// Adds an X25519 key created at `created`. Returns whether the key was new.
    pub fn add_x25519(&mut self, key: X25519PrivateKey, created: SystemTime) -> bool {
        let id = key.public_key().key_id();
        if self.x25519.iter().any(|e| e.key.public_key().key_id() == id) {
            return false;
        }
        insert_newest_first(&mut self.x25519, Entry { key, created });
        true
    }

    /// RSA keys, newest first.
    pub fn rsa_keys(&self) -> impl Iterator<Item = &RsaPrivateKey> {
        self.rsa.iter().map(|e| &e.key)
    }

    /// X25519 keys, newest first.
    pub fn x25519_keys(&self) -> impl Iterator<Item = &X25519PrivateKey> {
        self.x25519.iter().map(|e| &e.key)
    }

    /// Number of keys of both kinds.
    pub fn len(&self) -> usize {
        self.rsa.len() + self.x25519.len()
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Opens raw envelope bytes bound to `label`. `hint` is the fingerprint of the RSA key that
    /// opened this object before, if known; it is tried first.
    pub fn open(&self, label: &Label, sealed: &[u8], hint: Option<&Fingerprint>) -> Result<Opened> {
        match Envelope::parse(sealed)? {
            Envelope::V2 { key_id, enc, aead_ciphertext, header } => {
                let entry = self
                    .x25519
                    .iter()
                    .find(|e| e.key.public_key().key_id() == key_id)
                    .ok_or(Error::DecryptionFailed)?;
                let plaintext = open_v2_parts(&entry.key, label, enc, aead_ciphertext, header)?;
                Ok(Opened { plaintext, key: KeyRef::X25519(key_id), private_key_operations: 1 })
            }
            Envelope::V1 { rsa_ciphertext, aead_ciphertext } => {
                let hinted = hint.and_then(|fp| self.rsa.iter().position(|e| e.key.public_key().fingerprint() == fp));
                let order = hinted.into_iter().chain((0..self.rsa.len()).filter(|i| Some(*i) != hinted));
                let mut operations = 0;
                for i in order {
                    let key = &self.rsa[i].key;
                    if key.public_key().modulus_len() != rsa_ciphertext.len() {
                        continue;
                    }
                    operations += 1;
                    if let Ok(plaintext) = open_v1_parts(key, label, rsa_ciphertext, aead_ciphertext) {
                        let key = KeyRef::Rsa(key.public_key().fingerprint().clone());
                        return Ok(Opened { plaintext, key, private_key_operations: operations });
                    }
                }
                Err(Error::DecryptionFailed)
            }
        }
    }

    /// Opens the base64 text of an `encryptedData` value.
    pub fn open_base64(&self, label: &Label, text: &str, hint: Option<&Fingerprint>) -> Result<Opened> {
        let bytes = crate::format::decode_base64(text)?;
        self.open(label, &bytes, hint)
    }
}

/// Newest first; among equal creation times the key added earlier stays first, as upstream keeps
/// the earlier registered key on ties.
fn insert_newest_first<K>(entries: &mut Vec<Entry<K>>, entry: Entry<K>) {
    let at = entries.iter().position(|e| e.created < entry.created).unwrap_or(entries.len());
    entries.insert(at, entry);
}
