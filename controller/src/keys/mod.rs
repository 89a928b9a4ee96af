//! The key-management feature: the controller's sealing keys, stored as Kubernetes Secrets in
//! upstream's format (reference: sealed-secrets §2, §4.1).
//!
//! - [`secret`]: a generated key as a key Secret and back, byte-compatible with Bitnami Sealed
//!   Secrets in both directions, plus the v2 X25519 key pair in extra data keys upstream ignores.
//! - [`mod@plan`]: pure decisions: which Secrets are keys, loading them into a [`KeyRing`], which key
//!   is active, and when a new key is due.
//!
//! The reconcile step (list/watch the key Secrets, create new ones) is added separately. It never
//! modifies or deletes a key Secret: upstream never does, and a Secret without our
//! [`CREATED_BY_LABEL`] marker was put there by someone else.
//!
//! [`KeyRing`]: kubeseal_sealing::KeyRing

pub mod manager;
pub mod plan;
pub mod secret;
pub mod store;

pub use plan::{
    GenerateReason, KeyAction, KeyInfo, KeyOrder, Loaded, Problem, active_key, is_key_secret, load, next_action,
};
pub use secret::{
    CREATED_BY_LABEL, CREATED_BY_VALUE, DEFAULT_KEY_PREFIX, DecodeError, GeneratedKey, KeySecret, KeySecretOptions,
    TLS_CERT, TLS_KEY, TLS_SECRET_TYPE, X25519_KEY, X25519_PUB, decode, encode, is_ours,
};
pub use store::KeyStore;

#[cfg(test)]
pub(crate) mod testing;
