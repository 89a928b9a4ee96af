//! Key-management I/O: load the key Secrets, watch for new ones, generate and persist keys.
//!
//! - [`load`] lists the key Secrets at start-up as upstream does (the `active` label in the
//!   controller namespace, plus the legacy Secret named exactly `--key-prefix`).
//! - [`watch`] registers key Secrets added while running (a user bringing their own
//!   certificate, a restored backup, a key the leader generated), on every replica, without a
//!   restart. Updates and deletions are not applied: a key is never forgotten while running.
//! - [`renew`] (leader only) generates a key when none exists, at `--key-cutoff-time`, and every
//!   `--key-renew-period`; it writes the Secret first and registers the key only if the write
//!   succeeded. It never modifies or deletes a key Secret.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use kube::api::{Api, ListParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};
use kubeseal_crds::annotations;
use kubeseal_crds::k8s::Secret;
use kubeseal_sealing::{CertificateParams, RsaKeySize};
use tokio::sync::watch as signal;

use super::plan::{self, GenerateReason, KeyAction, KeyOrder, Loaded};
use super::secret::{GeneratedKey, KeySecretOptions, encode};
use super::store::KeyStore;

/// Key settings, from the flags.
#[derive(Debug, Clone)]
pub struct KeyConfig {
    /// Namespace, prefix, labels and annotations of new key Secrets.
    pub secret: KeySecretOptions,
    /// `--key-size`.
    pub size: RsaKeySize,
    /// `--key-ttl`.
    pub validity: Duration,
    /// `--my-cn`.
    pub common_name: String,
    /// `--key-order-priority`.
    pub order: KeyOrder,
    /// `--key-renew-period` (`None`: disabled).
    pub renew_period: Option<Duration>,
    /// `--key-cutoff-time`.
    pub cutoff: Option<SystemTime>,
}

/// Why key I/O failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Listing or reading key Secrets failed.
    #[error("cannot read key Secrets in namespace {namespace}: {source}")]
    Read {
        /// The controller namespace.
        namespace: String,
        /// The API error.
        source: kube::Error,
    },
    /// Generating a key failed.
    #[error("cannot generate a sealing key: {0}")]
    Generate(String),
    /// Writing the new key Secret failed; the key was not registered.
    #[error("cannot create a key Secret in namespace {namespace}: {source}")]
    Write {
        /// The controller namespace.
        namespace: String,
        /// The API error.
        source: kube::Error,
    },
}

fn label_selector() -> String {
    format!("{}={}", annotations::SEALED_SECRETS_KEY, annotations::SEALED_SECRETS_KEY_ACTIVE)
}

/// Loads the key Secrets into `store` (start-up). Secrets that cannot be decoded are logged and
/// skipped: one broken Secret must not stop the controller from opening everything else.
pub async fn load(client: &Client, config: &KeyConfig, store: &KeyStore) -> Result<usize, KeyError> {
    let namespace = &config.secret.namespace;
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let read_error = |source| KeyError::Read { namespace: namespace.clone(), source };
    let mut secrets = api.list(&ListParams::default().labels(&label_selector())).await.map_err(read_error)?.items;
    if let Some(legacy) = api.get_opt(&config.secret.prefix).await.map_err(read_error)?
        && !secrets.iter().any(|s| s.metadata.uid == legacy.metadata.uid)
    {
        secrets.push(legacy);
    }
    let (loaded, problems) = plan::load(&secrets, &config.secret.prefix, config.order, SystemTime::now());
    for problem in &problems {
        tracing::error!(secret = problem.secret, reason = problem.reason, "skipped a key Secret that cannot be used");
    }
    let count = loaded.keys.len();
    store.update(|current| {
        *current = loaded;
        true
    });
    tracing::info!(namespace, keys = count, "loaded sealing keys");
    Ok(count)
}

/// Registers key Secrets created while running. Runs until the watch stream ends.
pub async fn watch(client: Client, config: KeyConfig, store: Arc<KeyStore>) {
    let api: Api<Secret> = Api::namespaced(client, &config.secret.namespace);
    let events = watcher::watcher(api, watcher::Config::default().labels(&label_selector())).default_backoff();
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        let secret = match event {
            Ok(Event::Apply(s) | Event::InitApply(s)) => s,
            Ok(_) => continue,
            Err(e) => {
                tracing::debug!(error = %e, "key Secret watch");
                continue;
            }
        };
        let name = secret.name_any();
        let mut outcome = Ok(false);
        store.update(|loaded| {
            outcome = loaded.add_secret(&secret, &config.secret.prefix, config.order, SystemTime::now());
            matches!(outcome, Ok(true))
        });
        match outcome {
            Ok(true) => tracing::info!(secret = name, keys = store.len(), "registered a new sealing key"),
            Ok(false) => {}
            Err(problem) => tracing::error!(secret = problem.secret, reason = problem.reason, "skipped a key Secret"),
        }
    }
}

/// Generates, persists and registers one key. Returns the new Secret's name.
pub async fn generate(
    client: &Client,
    config: &KeyConfig,
    store: &KeyStore,
    reason: GenerateReason,
) -> Result<String, KeyError> {
    let now = SystemTime::now();
    let params =
        CertificateParams { common_name: config.common_name.clone(), not_before: now, validity: config.validity };
    let size = config.size;
    // RSA-4096 generation takes around half a second: keep it off the async workers.
    let key = tokio::task::spawn_blocking(move || GeneratedKey::generate(size, &params))
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))?
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let secret = encode(&key, &config.secret).map_err(|e| KeyError::Generate(e.to_string()))?;
    let namespace = &config.secret.namespace;
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let created = api
        .create(&PostParams::default(), &secret)
        .await
        .map_err(|source| KeyError::Write { namespace: namespace.clone(), source })?;
    let name = created.name_any();
    let cert_pem = key.cert.to_pem();
    store.update(|loaded: &mut Loaded| loaded.add_generated(key, name.clone(), now));
    // Upstream logs the new certificate (public) when it generates a key; operators copy it from there.
    tracing::info!(secret = name, ?reason, certificate = cert_pem, "generated a new sealing key");
    Ok(name)
}

/// The leader's key loop: generates keys when due, until `leading` turns false or closes.
/// A failed generation is retried after a minute.
pub async fn renew(client: Client, config: KeyConfig, store: Arc<KeyStore>, mut leading: signal::Receiver<bool>) {
    loop {
        if !*leading.borrow_and_update() {
            return;
        }
        let action = {
            let loaded = store.read();
            plan::next_action(&loaded.keys, SystemTime::now(), config.renew_period, config.cutoff)
        };
        let wait = match action {
            KeyAction::Generate { reason } => match generate(&client, &config, &store, reason).await {
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = %e, "key generation failed; retrying in a minute");
                    Duration::from_secs(60)
                }
            },
            KeyAction::None { recheck_at: Some(at) } => {
                at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO).min(Duration::from_secs(3600))
            }
            KeyAction::None { recheck_at: None } => Duration::from_secs(3600),
        };
        if wait.is_zero() {
            continue;
        }
        let mut keys_changed = store.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = keys_changed.changed() => {}
            changed = leading.changed() => if changed.is_err() { return },
        }
    }
}
