//! The live key state shared by the reconciler, the HTTP API and the key manager.
//!
//! One [`KeyStore`] per process. Readers (every unseal, every HTTP request) take a read lock for
//! the duration of a synchronous operation and never across an `.await`; the key manager is the
//! only writer and registers a key only after its Secret was persisted. Every change bumps a
//! version that watchers (e.g. the reconciler, to retry objects that failed for want of a key)
//! can subscribe to.

use std::sync::{RwLock, RwLockReadGuard};

use kubeseal_sealing::X25519PublicKey;
use tokio::sync::watch;

use super::plan::{KeyInfo, Loaded};

/// The controller's keys, behind a lock, with a change counter.
#[derive(Debug)]
pub struct KeyStore {
    loaded: RwLock<Loaded>,
    version: watch::Sender<u64>,
}

impl Default for KeyStore {
    fn default() -> Self {
        Self::new(Loaded::default())
    }
}

impl KeyStore {
    /// A store holding `loaded`.
    pub fn new(loaded: Loaded) -> Self {
        Self { loaded: RwLock::new(loaded), version: watch::Sender::new(0) }
    }

    /// Read access. Hold it only for synchronous work (an unseal, building a response).
    pub fn read(&self) -> RwLockReadGuard<'_, Loaded> {
        // A panic while holding the write lock cannot leave `Loaded` half-updated in a way that
        // matters (registration pushes last), so a poisoned lock is still usable.
        self.loaded.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the keys and notifies subscribers when `change` reports that it changed something.
    pub fn update(&self, change: impl FnOnce(&mut Loaded) -> bool) -> bool {
        let changed = {
            let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
            change(&mut guard)
        };
        if changed {
            self.version.send_modify(|v| *v += 1);
        }
        changed
    }

    /// A receiver that sees the version change whenever a key is registered.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Number of registered keys.
    pub fn len(&self) -> usize {
        self.read().keys.len()
    }

    /// Whether no key is registered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// PEM of the active (sealing) key's certificate, as `/v1/cert.pem` serves it.
    pub fn active_cert_pem(&self) -> Option<String> {
        self.read().active().map(|k| k.cert.to_pem())
    }

    /// The X25519 public key v2 sealing should use: the one of the newest key that has one (a
    /// bring-your-own RSA key has none, and must not switch v2 sealing off).
    pub fn v2_public_key(&self) -> Option<X25519PublicKey> {
        let loaded = self.read();
        let newest = newest_with_x25519(&loaded.keys)?;
        let id = newest.x25519.as_ref()?;
        loaded.ring.x25519_keys().map(|k| k.public_key()).find(|p| &p.key_id() == id).cloned()
    }
}

/// The key with the greatest ordering time among those carrying an X25519 key; ties keep the
/// earlier registered one, as for the active key.
fn newest_with_x25519(keys: &[KeyInfo]) -> Option<&KeyInfo> {
    keys.iter().filter(|k| k.x25519.is_some()).fold(None, |best: Option<&KeyInfo>, k| match best {
        Some(b) if k.ordering_time <= b.ordering_time => Some(b),
        _ => Some(k),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::testing::*;
    use crate::keys::{DEFAULT_KEY_PREFIX, KeyOrder};

    #[test]
    fn v2_key_is_the_newest_key_with_one_and_updates_notify() {
        let store = KeyStore::default();
        assert!(store.active_cert_pem().is_none());
        assert!(store.v2_public_key().is_none());
        let mut rx = store.subscribe();

        let first = generated(at(100));
        let first_pub = first.x25519.public_key().clone();
        assert!(store.update(|l| l.add_generated(first, "k1", at(100))));
        assert!(rx.has_changed().unwrap());
        rx.mark_unchanged();
        assert_eq!(store.v2_public_key().as_ref(), Some(&first_pub));

        // A newer key without X25519 (bring your own) becomes active but v2 keeps the old key.
        let byo = fixture_secret("byo", FIXTURE_KEY, at(200), at(200));
        assert!(store.update(|l| l.add_secret(&byo, DEFAULT_KEY_PREFIX, KeyOrder::CertNotBefore, at(300)).unwrap()));
        assert_eq!(store.read().active().unwrap().name, "byo");
        assert_eq!(store.v2_public_key().as_ref(), Some(&first_pub));
        assert!(rx.has_changed().unwrap());
        rx.mark_unchanged();

        // A no-op update does not notify.
        assert!(!store.update(|_| false));
        assert!(!rx.has_changed().unwrap());
    }
}
