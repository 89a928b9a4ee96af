//! The sealing formats and keys of kubeseal-rs, and nothing else.
//!
//! - **v1**: Bitnami Sealed Secrets' envelope, byte for byte: RSA-OAEP(SHA-256) of a fresh
//!   AES-256 key, then AES-256-GCM. Values sealed here open in upstream's controller and the
//!   other way round.
//! - **v2**: RFC 9180 HPKE (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM) with a key id,
//!   so opening costs one X25519 operation instead of up to one RSA operation per key.
//!
//! Both bind a value to where it may be unsealed through a [`Label`] derived from a [`Scope`].
//! The exact layouts are in `FORMAT.md`; the threat model and backend choices in `SECURITY.md`.
//!
//! ```
//! use kubeseal_sealing::{KeyRing, Recipient, Scope, X25519PrivateKey};
//! use std::time::SystemTime;
//!
//! let key = X25519PrivateKey::generate()?;
//! let label = Scope::Strict.label("app", "db");
//! let sealed = Recipient::V2(key.public_key()).seal_base64(&label, b"hunter2")?;
//!
//! let mut ring = KeyRing::new();
//! ring.add_x25519(key, SystemTime::now());
//! let opened = ring.open_base64(&label, &sealed, None)?;
//! # use secrecy::ExposeSecret;
//! assert_eq!(opened.plaintext.expose_secret(), b"hunter2");
//! # Ok::<(), kubeseal_sealing::Error>(())
//! ```
//!
//! This crate never touches Kubernetes, files, the environment or the network.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code returns errors; tests (and benches, examples) may panic, which is how they fail.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
pub mod format;
pub mod keys;
mod rfc9180;
pub mod scope;
pub mod seal;

pub use error::{Error, Result};
pub use keys::{
    Certificate, CertificateParams, Fingerprint, KeyId, KeyRef, KeyRing, Opened, RsaKeySize, RsaPrivateKey,
    RsaPublicKey, X25519PrivateKey, X25519PublicKey, generate_sealing_key,
};
pub use scope::{Label, Scope};
pub use seal::{Recipient, open_v1, open_v2, seal_v1, seal_v2};
