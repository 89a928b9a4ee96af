//! Pure key-management decisions (reference: sealed-secrets §2.2–§2.5, §4.1): which Secrets are
//! key Secrets, loading them into a [`KeyRing`], the active key, and when to generate a new one.
//!
//! Deviations from upstream, on purpose:
//! - A key Secret that fails to decode is skipped with a [`Problem`] (upstream before PR #2034
//!   panics at start-up).
//! - Key Secrets added while running are always picked up ([`Loaded::add_secret`]), as upstream
//!   does only with `--watch-for-secrets`.
//! - Renewal is due at `newest ordering time + period`. Upstream's timer fires first after
//!   `period − age(newest)`, then every `period` from then on; both agree unless someone adds a
//!   newer key while running, in which case ours waits a full period from that key.
//! - `--key-cutoff-time` forces a key only once the cutoff has passed (upstream also generates at
//!   each restart while the cutoff lies in the future, which a recurring check would turn into a
//!   loop).

use std::fmt;
use std::time::{Duration, SystemTime};

use kubeseal_crds::annotations;
use kubeseal_crds::k8s::Secret;
use kubeseal_sealing::{Certificate, Fingerprint, KeyId, KeyRing};

use super::secret::{self, GeneratedKey, KeySecret};

/// Upstream's `--key-order-priority`: what orders keys when choosing the active one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyOrder {
    /// The certificate's NotBefore (upstream default).
    #[default]
    CertNotBefore,
    /// The Secret's `creationTimestamp`.
    SecretCreationTimestamp,
}

/// What is known about one registered key, without its private half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key Secret's name (empty for a generated key not yet named by the API server).
    pub name: String,
    /// The RSA key's upstream fingerprint.
    pub fingerprint: Fingerprint,
    /// The certificate served at `/v1/cert.pem` when this key is active.
    pub cert: Certificate,
    /// The v2 key id, when the Secret carries an X25519 key pair.
    pub x25519: Option<KeyId>,
    /// Whether this controller created the Secret. When false, never modify or delete it.
    pub ours: bool,
    /// The time [`active_key`] and [`next_action`] compare ([`KeyOrder`]).
    pub ordering_time: SystemTime,
}

/// A key Secret that was skipped, and why. Names and reasons only, never key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `namespace/name` of the Secret.
    pub secret: String,
    /// Why it was skipped.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped key Secret {}: {}", self.secret, self.reason)
    }
}

/// The loaded keys: the ring for opening values, and per-key metadata in registration order.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every private key, for decryption.
    pub ring: KeyRing,
    /// Registered keys, in registration order (oldest `creationTimestamp` first).
    pub keys: Vec<KeyInfo>,
}

impl Loaded {
    /// Registers a key Secret seen while running (watch ADDED) or at load. Returns whether a
    /// new key was registered (`Ok(false)`: not a key Secret, or its key is already known).
    pub fn add_secret(
        &mut self,
        secret: &Secret,
        prefix: &str,
        order: KeyOrder,
        now: SystemTime,
    ) -> Result<bool, Problem> {
        if !is_key_secret(secret, prefix) {
            return Ok(false);
        }
        let key = secret::decode(secret).map_err(|e| Problem { secret: e.secret.clone(), reason: e.to_string() })?;
        let ordering_time = match order {
            KeyOrder::CertNotBefore => key.cert.not_before(),
            KeyOrder::SecretCreationTimestamp => key.created.unwrap_or(now),
        };
        Ok(self.register(key, ordering_time))
    }

    /// Registers a key this controller just generated and persisted as the Secret `name`.
    /// Runtime keys are ordered by `now`, as upstream does.
    pub fn add_generated(&mut self, key: GeneratedKey, name: impl Into<String>, now: SystemTime) -> bool {
        let key = KeySecret {
            name: name.into(),
            rsa: key.rsa,
            cert: key.cert,
            x25519: Some(key.x25519),
            ours: true,
            created: Some(now),
        };
        self.register(key, now)
    }

    fn register(&mut self, key: KeySecret, ordering_time: SystemTime) -> bool {
        let info = KeyInfo {
            name: key.name,
            fingerprint: key.rsa.public_key().fingerprint().clone(),
            cert: key.cert,
            x25519: key.x25519.as_ref().map(|k| k.public_key().key_id()),
            ours: key.ours,
            ordering_time,
        };
        if !self.ring.add_rsa(key.rsa, ordering_time) {
            return false;
        }
        if let Some(x) = key.x25519 {
            self.ring.add_x25519(x, ordering_time);
        }
        self.keys.push(info);
        true
    }

    /// The active (sealing) key, see [`active_key`].
    pub fn active(&self) -> Option<&KeyInfo> {
        active_key(&self.keys)
    }
}

/// Whether upstream treats the Secret as a key Secret: labelled
/// `sealedsecrets.bitnami.com/sealed-secrets-key=active` (any other value, such as
/// `compromised`, means ignored), or named exactly `prefix` (pre-0.9 legacy single key).
pub fn is_key_secret(secret: &Secret, prefix: &str) -> bool {
    let labelled = secret
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(annotations::SEALED_SECRETS_KEY))
        .is_some_and(|v| v == annotations::SEALED_SECRETS_KEY_ACTIVE);
    labelled || secret.metadata.name.as_deref() == Some(prefix)
}

/// Loads key Secrets as upstream does at start-up: those [`is_key_secret`] selects, sorted by
/// `creationTimestamp` ascending (stable), each registered in turn. Secrets that fail to decode
/// are skipped with a [`Problem`]; a Secret repeating a known key is skipped silently.
pub fn load(secrets: &[Secret], prefix: &str, order: KeyOrder, now: SystemTime) -> (Loaded, Vec<Problem>) {
    let mut sorted: Vec<&Secret> = secrets.iter().collect();
    sorted.sort_by_key(|s| s.metadata.creation_timestamp.as_ref().map(|t| t.0));
    let mut loaded = Loaded::default();
    let mut problems = Vec::new();
    for s in sorted {
        if let Err(p) = loaded.add_secret(s, prefix, order, now) {
            problems.push(p);
        }
    }
    (loaded, problems)
}

/// The active key: strictly greatest ordering time; on ties the earlier registered key wins.
pub fn active_key(keys: &[KeyInfo]) -> Option<&KeyInfo> {
    keys.iter().fold(None, |best: Option<&KeyInfo>, k| match best {
        Some(b) if k.ordering_time <= b.ordering_time => Some(b),
        _ => Some(k),
    })
}

/// Why a new key must be generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerateReason {
    /// No key is registered (first start).
    NoKeys,
    /// The newest key is older than `--key-cutoff-time`.
    Cutoff,
    /// The newest key is `--key-renew-period` old.
    Renewal,
}

/// What to do about keys now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Nothing; check again at `recheck_at` (`None`: renewal disabled, nothing scheduled).
    None {
        /// When the next renewal is due.
        recheck_at: Option<SystemTime>,
    },
    /// Generate a key, persist it as a new key Secret, then register it.
    Generate {
        /// Why.
        reason: GenerateReason,
    },
}

/// Decides whether a new key is due (reference §2.4): none registered; the newest key's ordering
/// time is before `cutoff` (once the cutoff has passed); or `renew_period` (`--key-renew-period`,
/// `None` or zero disables) has elapsed since the newest key's ordering time.
pub fn next_action(
    keys: &[KeyInfo],
    now: SystemTime,
    renew_period: Option<Duration>,
    cutoff: Option<SystemTime>,
) -> KeyAction {
    let Some(newest) = active_key(keys) else {
        return KeyAction::Generate { reason: GenerateReason::NoKeys };
    };
    if let Some(cutoff) = cutoff
        && cutoff <= now
        && newest.ordering_time < cutoff
    {
        return KeyAction::Generate { reason: GenerateReason::Cutoff };
    }
    let Some(period) = renew_period.filter(|p| !p.is_zero()) else {
        return KeyAction::None { recheck_at: None };
    };
    match newest.ordering_time.checked_add(period) {
        Some(due) if due <= now => KeyAction::Generate { reason: GenerateReason::Renewal },
        due => KeyAction::None { recheck_at: due },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kubeseal_crds::k8s::ByteString;

    use super::*;
    use crate::keys::secret::{DEFAULT_KEY_PREFIX, KeySecretOptions, TLS_KEY, encode};
    use crate::keys::testing::*;

    const DAY: Duration = Duration::from_secs(86_400);
    const RENEW: Option<Duration> = Some(Duration::from_secs(720 * 3600));

    fn load_default(secrets: &[Secret]) -> (Loaded, Vec<Problem>) {
        load(secrets, DEFAULT_KEY_PREFIX, KeyOrder::CertNotBefore, at(1_000 * 86_400))
    }

    /// One fixture key registered with ordering time `t`.
    fn one_key(t: SystemTime) -> Vec<KeyInfo> {
        load_default(&[fixture_secret("k1", FIXTURE_KEY, t, t)]).0.keys
    }

    #[test]
    fn with_no_keys_the_first_key_is_generated() {
        assert_eq!(next_action(&[], at(0), RENEW, None), KeyAction::Generate { reason: GenerateReason::NoKeys });
        assert_eq!(next_action(&[], at(0), None, None), KeyAction::Generate { reason: GenerateReason::NoKeys });
    }

    #[test]
    fn renewal_is_due_once_the_newest_key_is_a_renew_period_old() {
        let keys = one_key(at(0));
        let renewal = KeyAction::Generate { reason: GenerateReason::Renewal };
        assert_eq!(next_action(&keys, at(0) + 30 * DAY, RENEW, None), renewal);
        assert_eq!(next_action(&keys, at(0) + 400 * DAY, RENEW, None), renewal);
    }

    #[test]
    fn renewal_is_not_due_before_then_and_the_action_says_when_to_check_again() {
        let keys = one_key(at(0));
        assert_eq!(
            next_action(&keys, at(0) + 29 * DAY, RENEW, None),
            KeyAction::None { recheck_at: Some(at(0) + 30 * DAY) }
        );
    }

    #[test]
    fn a_renew_period_of_zero_or_none_disables_renewal() {
        let keys = one_key(at(0));
        let idle = KeyAction::None { recheck_at: None };
        assert_eq!(next_action(&keys, at(0) + 4_000 * DAY, Some(Duration::ZERO), None), idle);
        assert_eq!(next_action(&keys, at(0) + 4_000 * DAY, None, None), idle);
    }

    #[test]
    fn a_passed_cutoff_forces_a_key_when_the_newest_key_is_older_than_it() {
        let keys = one_key(at(0));
        let now = at(0) + 2 * DAY;
        let cutoff = KeyAction::Generate { reason: GenerateReason::Cutoff };
        assert_eq!(next_action(&keys, now, None, Some(at(0) + DAY)), cutoff);
        assert_eq!(next_action(&keys, now, RENEW, Some(at(0) + DAY)), cutoff);
        // The newest key is not older than the cutoff.
        assert_eq!(next_action(&keys, now, None, Some(at(0))), KeyAction::None { recheck_at: None });
        // A cutoff still in the future does nothing yet.
        assert_eq!(next_action(&keys, now, None, Some(at(0) + 3 * DAY)), KeyAction::None { recheck_at: None });
    }

    #[test]
    fn renewal_timing_follows_the_newest_key_not_the_oldest() {
        let (loaded, problems) = load_default(&[
            fixture_secret("old", FIXTURE_KEY, at(0), at(0)),
            fixture_secret("new", FIXTURE_KEY_OTHER, at(0) + 20 * DAY, at(0) + 20 * DAY),
        ]);
        assert!(problems.is_empty());
        assert_eq!(
            next_action(&loaded.keys, at(0) + 35 * DAY, RENEW, None),
            KeyAction::None { recheck_at: Some(at(0) + 50 * DAY) }
        );
    }

    #[test]
    fn a_user_added_key_is_loaded_and_becomes_active_if_newest_but_is_not_ours() {
        let ours = generated(at(0));
        let mut ours_secret = encode(&ours, &KeySecretOptions::new(NAMESPACE)).unwrap();
        ours_secret.metadata.name = Some("sealed-secrets-keyaaaaa".to_owned());
        ours_secret.metadata.creation_timestamp = Some(time(at(0)));
        let (mut loaded, problems) = load_default(&[ours_secret]);
        assert!(problems.is_empty());
        assert_eq!(loaded.active().unwrap().name, "sealed-secrets-keyaaaaa");
        assert!(loaded.active().unwrap().ours);

        // While running, a user brings their own certificate (reference §2.5).
        let byo = fixture_secret("my-byo-key", FIXTURE_KEY, at(0) + DAY, at(0) + DAY);
        assert_eq!(loaded.add_secret(&byo, DEFAULT_KEY_PREFIX, KeyOrder::CertNotBefore, at(0) + DAY), Ok(true));
        let active = loaded.active().unwrap();
        assert_eq!(active.name, "my-byo-key");
        assert!(!active.ours, "never modify or delete a key Secret we did not create");
        assert_eq!(active.x25519, None);
        assert_eq!(loaded.ring.rsa_keys().count(), 2);
        assert_eq!(loaded.ring.x25519_keys().count(), 1);
        // Seen again (resync): nothing new.
        assert_eq!(loaded.add_secret(&byo, DEFAULT_KEY_PREFIX, KeyOrder::CertNotBefore, at(0) + DAY), Ok(false));
        assert_eq!(loaded.keys.len(), 2);
    }

    #[test]
    fn bad_key_secrets_are_skipped_with_a_reason_and_unselected_secrets_are_ignored() {
        let good = fixture_secret("good", FIXTURE_KEY, at(0), at(0));
        let mut bad = fixture_secret("bad", FIXTURE_KEY_OTHER, at(0), at(1));
        bad.data.as_mut().unwrap().insert(TLS_KEY.to_owned(), ByteString(b"not pem".to_vec()));
        let mut compromised = fixture_secret("compromised", FIXTURE_KEY_OTHER, at(5), at(5));
        compromised
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .insert(kubeseal_crds::annotations::SEALED_SECRETS_KEY.to_owned(), "compromised".to_owned());
        let mut unlabelled = fixture_secret("other", FIXTURE_KEY_OTHER, at(5), at(5));
        unlabelled.metadata.labels = Some(BTreeMap::new());

        let (loaded, problems) = load_default(&[bad, compromised, unlabelled, good]);
        let names: Vec<_> = loaded.keys.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["good"]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].secret, "kube-system/bad");
        assert!(problems[0].reason.contains("tls.key"), "{}", problems[0]);
    }

    #[test]
    fn the_legacy_key_secret_named_exactly_the_prefix_is_loaded_without_the_label() {
        let mut legacy = fixture_secret(DEFAULT_KEY_PREFIX, FIXTURE_KEY, at(0), at(0));
        legacy.metadata.labels = None;
        let (loaded, problems) = load_default(&[legacy]);
        assert!(problems.is_empty());
        assert_eq!(loaded.keys.len(), 1);
    }

    #[test]
    fn the_active_key_is_the_newest_by_cert_not_before_by_default_or_by_creation_timestamp_on_request() {
        // "a" was created first but its certificate is newer.
        let secrets = [
            fixture_secret("a", FIXTURE_KEY, at(0) + 10 * DAY, at(0)),
            fixture_secret("b", FIXTURE_KEY_OTHER, at(0), at(0) + DAY),
        ];
        let by_cert = load(&secrets, DEFAULT_KEY_PREFIX, KeyOrder::CertNotBefore, at(0)).0;
        assert_eq!(by_cert.active().unwrap().name, "a");
        let by_creation = load(&secrets, DEFAULT_KEY_PREFIX, KeyOrder::SecretCreationTimestamp, at(0)).0;
        assert_eq!(by_creation.active().unwrap().name, "b");
        // Registration order is creationTimestamp ascending, whatever the input order.
        let names: Vec<_> = by_cert.keys.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn on_equal_ordering_times_the_earlier_registered_key_stays_active() {
        let secrets = [
            fixture_secret("second", FIXTURE_KEY_OTHER, at(0), at(1)),
            fixture_secret("first", FIXTURE_KEY, at(0), at(0)),
        ];
        let (loaded, _) = load_default(&secrets);
        assert_eq!(loaded.active().unwrap().name, "first");
        // The ring agrees: its first RSA key is the active one.
        assert_eq!(
            loaded.ring.rsa_keys().next().unwrap().public_key().fingerprint(),
            &loaded.active().unwrap().fingerprint
        );
    }

    #[test]
    fn a_generated_key_registered_at_runtime_becomes_active_and_renewal_restarts_from_it() {
        let (mut loaded, _) = load_default(&[fixture_secret("k1", FIXTURE_KEY, at(0), at(0))]);
        let now = at(0) + 30 * DAY;
        assert_eq!(
            next_action(&loaded.keys, now, RENEW, None),
            KeyAction::Generate { reason: GenerateReason::Renewal }
        );
        assert!(loaded.add_generated(generated(now), "sealed-secrets-keyzzzzz", now));
        let active = loaded.active().unwrap();
        assert_eq!((active.name.as_str(), active.ours, active.ordering_time), ("sealed-secrets-keyzzzzz", true, now));
        assert!(active.x25519.is_some());
        assert_eq!(next_action(&loaded.keys, now, RENEW, None), KeyAction::None { recheck_at: Some(now + 30 * DAY) });
    }

    #[test]
    fn debug_of_loaded_keys_shows_no_key_material() {
        let (loaded, _) = load_default(&[fixture_secret("k1", FIXTURE_KEY, at(0), at(0))]);
        let text = format!("{loaded:?} {loaded:#?}");
        for line in FIXTURE_KEY.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "Debug output contains key material: {text}");
        }
        assert!(text.contains("k1"));
    }
}
