//! The SealedSecret reconciler: watches, fetches, calls [`plan()`](super::plan()) and applies
//! the result (reference: sealed-secrets §4.2–§4.3).
//!
//! Watches, per watched namespace (or cluster-wide):
//! - SealedSecrets, cached in a reflector store. Only spec changes (a new `generation`) and new
//!   objects trigger a pass, as upstream's update handler compares `spec`; status writes (ours
//!   included) do not.
//! - Secrets, **metadata only** and uncached: the stream remembers just the names of Secrets
//!   that a SealedSecret controls (or that carry `managed: "true"`), and a deletion of one of them
//!   triggers its SealedSecret, which recreates it. A re-list after a watch gap triggers those
//!   that vanished during the gap. Secret contents are fetched with a GET only when an object is
//!   reconciled, never cached.
//! - Key changes: objects that failed to unseal are retried when a key is registered.
//!
//! Reconciles run in parallel (`--workers`), never two for the same object. The plan's
//! CPU-bound unseal runs on the blocking pool. The RSA key that opened each object is remembered
//! (by UID) and tried first next time, so a steady-state v1 pass costs one private-key operation
//! per value whatever the number of keys.
//!
//! Retries: failed API requests (GET, CREATE, UPDATE, status) back off exponentially and are
//! retried until they succeed; dropping them as upstream does after `--max-unseal-retries` would
//! leave a Secret missing until the next restart. Unseal and ownership failures are retried
//! `--max-unseal-retries` times (they need a change to succeed), and unseal failures again
//! whenever a key is added. An immutable Secret that would change is never retried.

use std::collections::{HashMap, HashSet};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt, stream};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::utils::{PredicateConfig, predicates};
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};
use kubeseal_crds::annotations;
use kubeseal_crds::k8s::jiff::Timestamp;
use kubeseal_crds::k8s::{Secret, Time};
use kubeseal_crds::{SealedSecret, SealedSecretStatus};
use kubeseal_sealing::{Fingerprint, KeyRef};
use tokio::sync::mpsc;

use super::plan::{self, Inputs, Plan, PlanOptions, REASON_UPDATE_FAILED};
use crate::error::Error;
use crate::events::EventSink;
use crate::keys::KeyStore;
use crate::metrics::Metrics;

/// The text the API server ends an update of an immutable Secret with (upstream matches it too).
const IMMUTABLE_SUFFIX: &str = "field is immutable when `immutable` is set";

/// Which namespaces to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every namespace (`--all-namespaces`, the default).
    All,
    /// These namespaces only, one controller instance each.
    Namespaces(Vec<String>),
}

/// Reconciler settings, from the flags.
#[derive(Debug, Clone)]
pub struct Settings {
    /// What the plan needs (`--accept-deprecated-v1-data`, `--update-status`).
    pub plan: PlanOptions,
    /// `--label-selector` for the SealedSecret and Secret watches.
    pub label_selector: Option<String>,
    /// `--old-gc-behavior`: delete the Secret when its SealedSecret is deleted.
    pub old_gc_behavior: bool,
    /// `--skip-recreate`: no Secret watch; deleted Secrets come back only on a spec change.
    pub skip_recreate: bool,
    /// `--max-unseal-retries`: retries of unseal and ownership failures.
    pub max_unseal_retries: u32,
    /// `--metrics-omit-secret-labels`: do not maintain `condition_info`.
    pub metrics_omit_secret_labels: bool,
    /// `--workers`: parallel reconciles (at least one).
    pub workers: u16,
    /// `--resync-period`: look at every object again this often (with jitter); `None`: never.
    pub resync: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            plan: PlanOptions::default(),
            label_selector: None,
            old_gc_behavior: false,
            skip_recreate: false,
            max_unseal_retries: 5,
            metrics_omit_secret_labels: false,
            workers: 8,
            resync: Some(Duration::from_secs(3600)),
        }
    }
}

/// Shared state of the reconcilers.
pub struct Context {
    client: Client,
    keys: Arc<KeyStore>,
    metrics: Arc<Metrics>,
    events: EventSink,
    settings: Settings,
    /// The RSA key that last opened each object, by UID.
    hints: Mutex<HashMap<String, Fingerprint>>,
    /// Consecutive failures per object.
    failures: Mutex<HashMap<ObjectRef<SealedSecret>, u32>>,
    /// Objects whose last pass failed to unseal, retried when a key is added.
    waiting_for_keys: Mutex<HashSet<ObjectRef<SealedSecret>>>,
    /// The generation of the last successful pass that emitted `Unsealed`, by UID.
    announced: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("settings", &self.settings).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Context {
    /// A context for reconcilers sharing `keys`, `metrics` and `events`.
    pub fn new(
        client: Client,
        keys: Arc<KeyStore>,
        metrics: Arc<Metrics>,
        events: EventSink,
        settings: Settings,
    ) -> Self {
        Self {
            client,
            keys,
            metrics,
            events,
            settings,
            hints: Mutex::default(),
            failures: Mutex::default(),
            waiting_for_keys: Mutex::default(),
            announced: Mutex::default(),
        }
    }

    fn forget(&self, sealed: &SealedSecret) {
        let reference = ObjectRef::from_obj(sealed);
        lock(&self.failures).remove(&reference);
        lock(&self.waiting_for_keys).remove(&reference);
        if let Some(uid) = &sealed.metadata.uid {
            lock(&self.hints).remove(uid);
            lock(&self.announced).remove(uid);
        }
    }
}

/// Runs the reconcilers for `scope` until `shutdown` resolves (or a watch fails fatally).
pub async fn run(ctx: Arc<Context>, scope: Scope, shutdown: impl Future<Output = ()> + Send + Sync + 'static) {
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    let namespaces: Vec<Option<String>> = match scope {
        Scope::All => vec![None],
        Scope::Namespaces(list) => list.into_iter().map(Some).collect(),
    };
    let instances = namespaces.into_iter().map(|ns| run_instance(ctx.clone(), ns, shutdown.clone()));
    futures::future::join_all(instances).await;
}

async fn run_instance(
    ctx: Arc<Context>,
    namespace: Option<String>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let client = ctx.client.clone();
    let sealed_api: Api<SealedSecret> = match &namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let mut config = watcher::Config::default();
    if let Some(selector) = &ctx.settings.label_selector {
        config = config.labels(selector);
    }

    let (reader, writer) = reflector::store();
    let deletions = ctx.clone();
    let sealed_stream = watcher::watcher(sealed_api, config.clone())
        .default_backoff()
        // The cache holds every SealedSecret: drop what the controller never reads. managedFields
        // and kubectl's last-applied copy of the whole object are most of an object's size.
        .modify(slim)
        .reflect(writer)
        .filter_map(move |event| {
            let object = match event {
                Ok(Event::Apply(o) | Event::InitApply(o)) => Some(Ok(o)),
                Ok(Event::Delete(o)) => {
                    sealed_deleted(&deletions, &o);
                    None
                }
                Ok(Event::Init | Event::InitDone) => None,
                Err(e) => Some(Err(e)),
            };
            std::future::ready(object)
        })
        .predicate_filter(predicates::generation, PredicateConfig::default());

    let (retry_tx, retry_rx) = mpsc::unbounded_channel::<ObjectRef<SealedSecret>>();
    tokio::spawn(retry_on_key_change(ctx.clone(), namespace.clone(), retry_tx));
    let retries = tokio_stream_from(retry_rx);

    let mut controller = Controller::for_stream(sealed_stream, reader)
        .with_config(ControllerConfig::default().concurrency(ctx.settings.workers.max(1)))
        .reconcile_on(retries)
        .graceful_shutdown_on(shutdown);
    if !ctx.settings.skip_recreate {
        // `Api<PartialObjectMeta<_>>` asks for metadata only: no Secret data crosses the wire.
        let secret_api: Api<PartialObjectMeta<Secret>> = match &namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        let secret_events = watcher::watcher(secret_api, config).default_backoff();
        controller = controller.reconcile_on(deleted_secret_owners(secret_events));
    }
    let results = controller.run(reconcile, error_policy, ctx);
    let mut results = pin!(results);
    while let Some(result) = results.next().await {
        if let Err(e) = result {
            tracing::debug!(error = %e, "reconcile loop");
        }
    }
}

/// Removes the fields of a cached SealedSecret that no pass reads: `managedFields` and the
/// last-applied annotations (scope annotations, labels and everything else stay).
fn slim(sealed: &mut SealedSecret) {
    sealed.metadata.managed_fields = None;
    if let Some(annotations) = sealed.metadata.annotations.as_mut() {
        for key in annotations::STRIPPED_WHEN_SEALING {
            annotations.remove(*key);
        }
    }
}

/// An unbounded receiver as a stream.
fn tokio_stream_from<T: Send + 'static>(mut rx: mpsc::UnboundedReceiver<T>) -> impl Stream<Item = T> + Send {
    stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// A SealedSecret disappeared: forget it, drop its condition metric, and with
/// `--old-gc-behavior` delete its Secret (otherwise the garbage collector does, via the owner
/// reference).
fn sealed_deleted(ctx: &Arc<Context>, sealed: &SealedSecret) {
    let namespace = sealed.namespace().unwrap_or_default();
    let name = sealed.name_any();
    ctx.metrics.unseal_request();
    ctx.metrics.remove_condition(&namespace, &name);
    ctx.forget(sealed);
    if ctx.settings.old_gc_behavior {
        let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
        let owner_uid = sealed.metadata.uid.clone();
        tokio::spawn(async move { delete_produced_secret(api, namespace, name, owner_uid).await });
    }
}

/// `--old-gc-behavior`: deletes the Secret of a deleted SealedSecret, but only one the
/// controller would have written: controlled by that SealedSecret (same UID) or annotated
/// `managed: "true"`. Upstream deletes whatever Secret has the name, which lets anyone who may
/// create and delete SealedSecrets delete any Secret of the namespace. The delete carries a UID
/// precondition, so a Secret replaced meanwhile is left alone.
async fn delete_produced_secret(api: Api<Secret>, namespace: String, name: String, owner_uid: Option<String>) {
    let secret = match api.get_opt(&name).await {
        Ok(Some(s)) => s,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(namespace, name, error = %e, "could not read the Secret of a deleted SealedSecret");
            return;
        }
    };
    let controlled =
        secret.metadata.owner_references.iter().flatten().any(|o| {
            o.kind == plan::KIND && o.controller == Some(true) && owner_uid.as_deref() == Some(o.uid.as_str())
        });
    let managed =
        secret.metadata.annotations.as_ref().and_then(|a| a.get(annotations::MANAGED)).is_some_and(|v| v == "true");
    if !(controlled || managed) {
        tracing::info!(namespace, name, "kept a Secret the deleted SealedSecret did not manage");
        return;
    }
    let params = DeleteParams {
        preconditions: Some(kube::api::Preconditions { uid: secret.metadata.uid.clone(), resource_version: None }),
        ..DeleteParams::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => tracing::info!(namespace, name, "deleted the Secret of a deleted SealedSecret"),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
        Err(e) => tracing::warn!(namespace, name, error = %e, "could not delete the Secret of a deleted SealedSecret"),
    }
}

/// Re-triggers objects that failed to unseal whenever a key is registered.
async fn retry_on_key_change(
    ctx: Arc<Context>,
    namespace: Option<String>,
    tx: mpsc::UnboundedSender<ObjectRef<SealedSecret>>,
) {
    let mut changes = ctx.keys.subscribe();
    while changes.changed().await.is_ok() {
        let waiting: Vec<_> = lock(&ctx.waiting_for_keys)
            .iter()
            .filter(|r| namespace.is_none() || r.namespace == namespace)
            .cloned()
            .collect();
        for reference in waiting {
            lock(&ctx.failures).remove(&reference);
            if tx.send(reference).is_err() {
                return;
            }
        }
    }
}

/// Whether a deleted Secret is one a SealedSecret would recreate (upstream's recreate handler):
/// controlled by a SealedSecret, or annotated `managed: "true"`.
fn recreated_on_delete(meta: &kube::core::ObjectMeta) -> bool {
    let controlled = meta
        .owner_references
        .iter()
        .flatten()
        .any(|o| o.kind == plan::KIND && o.api_version.starts_with("bitnami.com/") && o.controller == Some(true));
    let managed = meta.annotations.as_ref().and_then(|a| a.get(annotations::MANAGED)).is_some_and(|v| v == "true");
    controlled || managed
}

/// Turns a metadata-only Secret watch into triggers for the SealedSecrets whose Secret was
/// deleted. Remembers only the names of Secrets that `recreated_on_delete` selects; after a
/// re-list, those that are gone are reported too (their deletion events were missed).
pub fn deleted_secret_owners(
    events: impl Stream<Item = Result<Event<PartialObjectMeta<Secret>>, watcher::Error>> + Send + 'static,
) -> impl Stream<Item = ObjectRef<SealedSecret>> + Send {
    let mut tracked: HashSet<(String, String)> = HashSet::new();
    let mut relisted: Option<HashSet<(String, String)>> = None;
    events
        .map(move |event| {
            let mut triggers = Vec::new();
            match event {
                Ok(Event::Init) => relisted = Some(HashSet::new()),
                Ok(Event::InitApply(o)) => {
                    let key = key_of(&o);
                    if recreated_on_delete(&o.metadata) {
                        tracked.insert(key.clone());
                    } else {
                        tracked.remove(&key);
                    }
                    if let Some(seen) = relisted.as_mut() {
                        seen.insert(key);
                    }
                }
                Ok(Event::InitDone) => {
                    if let Some(seen) = relisted.take() {
                        let gone: Vec<_> = tracked.iter().filter(|k| !seen.contains(*k)).cloned().collect();
                        for key in gone {
                            tracked.remove(&key);
                            triggers.push(owner_ref(key));
                        }
                    }
                }
                Ok(Event::Apply(o)) => {
                    let key = key_of(&o);
                    if recreated_on_delete(&o.metadata) {
                        tracked.insert(key);
                    } else {
                        tracked.remove(&key);
                    }
                }
                Ok(Event::Delete(o)) => {
                    let key = key_of(&o);
                    if tracked.remove(&key) || recreated_on_delete(&o.metadata) {
                        triggers.push(owner_ref(key));
                    }
                }
                Err(e) => tracing::debug!(error = %e, "Secret watch"),
            }
            stream::iter(triggers)
        })
        .flatten()
}

fn key_of(o: &PartialObjectMeta<Secret>) -> (String, String) {
    (o.metadata.namespace.clone().unwrap_or_default(), o.metadata.name.clone().unwrap_or_default())
}

fn owner_ref((namespace, name): (String, String)) -> ObjectRef<SealedSecret> {
    ObjectRef::new(&name).within(&namespace)
}

/// The outcome of one pass, for status, events and metrics.
struct Outcome {
    /// The condition message when the pass failed.
    failure: Option<String>,
    error: Option<Error>,
}

/// One pass over one SealedSecret (§4.3).
pub async fn reconcile(sealed: Arc<SealedSecret>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = sealed.namespace().unwrap_or_default();
    let name = sealed.name_any();
    ctx.metrics.unseal_request();
    let outcome = unseal_and_write(&sealed, &ctx, &namespace, &name).await;

    if ctx.settings.plan.update_status {
        let now = Time(Timestamp::now());
        if let Some(status) = plan::status_for(&sealed, outcome.failure.as_deref(), &now)
            && let Err(e) = write_status(&ctx.client, &namespace, &name, &status).await
        {
            tracing::warn!(namespace, name, error = %e, "could not update the SealedSecret status");
            ctx.metrics.unseal_error(Error::Status.kind(), &namespace);
        }
    }
    if !ctx.settings.metrics_omit_secret_labels {
        let instance = sealed.labels().get(annotations::APP_INSTANCE).map(String::as_str).unwrap_or("");
        ctx.metrics.set_condition(&namespace, &name, instance, Some(outcome.failure.is_none()));
    }
    let reference = ObjectRef::from_obj(sealed.as_ref());
    match outcome.error {
        None => {
            lock(&ctx.failures).remove(&reference);
            lock(&ctx.waiting_for_keys).remove(&reference);
            Ok(match ctx.settings.resync {
                Some(period) => Action::requeue(jittered(period, &reference)),
                None => Action::await_change(),
            })
        }
        Some(error) => {
            ctx.metrics.unseal_error(error.kind(), &namespace);
            if error == Error::Unseal {
                lock(&ctx.waiting_for_keys).insert(reference);
            }
            Err(error)
        }
    }
}

async fn unseal_and_write(sealed: &Arc<SealedSecret>, ctx: &Arc<Context>, namespace: &str, name: &str) -> Outcome {
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let existing = match secrets.get_opt(name).await {
        Ok(existing) => existing,
        Err(e) => return api_failure(ctx, sealed, namespace, name, "get", &e),
    };

    let started = Instant::now();
    let decided = {
        let sealed = sealed.clone();
        let keys = ctx.keys.clone();
        let hint = sealed.metadata.uid.as_ref().and_then(|uid| lock(&ctx.hints).get(uid).cloned());
        let options = ctx.settings.plan.clone();
        tokio::task::spawn_blocking(move || {
            let ring = keys.read();
            plan::plan(&Inputs {
                sealed: &sealed,
                existing: existing.as_ref(),
                keys: &ring.ring,
                hint: hint.as_ref(),
                options: &options,
            })
        })
        .await
    };
    let decided = match decided {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(namespace, name, error = %e, "unseal task failed");
            return Outcome { failure: Some("internal error while unsealing".into()), error: Some(Error::Unseal) };
        }
    };
    let envelope = match decided.opened_with() {
        Some(KeyRef::Rsa(fingerprint)) => {
            if let Some(uid) = &sealed.metadata.uid {
                lock(&ctx.hints).insert(uid.clone(), fingerprint.clone());
            }
            "v1"
        }
        Some(KeyRef::X25519(_)) => "v2",
        None => "none",
    };
    ctx.metrics.observe_unseal(envelope, started.elapsed());
    tracing::debug!(namespace, name, plan = ?decided, "planned");

    let event = decided.event();
    let failure = match &decided {
        Plan::Write { secret, create: true, .. } => {
            if let Err(e) = secrets.create(&PostParams::default(), secret).await {
                return api_failure(ctx, sealed, namespace, name, "create", &e);
            }
            tracing::info!(namespace, name, "created Secret");
            None
        }
        Plan::Write { secret, create: false, .. } => {
            if let Err(e) = secrets.replace(name, &PostParams::default(), secret).await {
                return api_failure(ctx, sealed, namespace, name, "update", &e);
            }
            tracing::info!(namespace, name, "updated Secret");
            None
        }
        Plan::Unchanged { .. } => {
            tracing::debug!(namespace, name, "Secret already up to date");
            None
        }
        Plan::Refuse { condition_message, .. } | Plan::Fail { condition_message, .. } => {
            tracing::warn!(namespace, name, reason = event.reason, message = %condition_message, "not unsealed");
            Some(condition_message.clone())
        }
    };
    if announce(ctx, sealed, &decided) {
        ctx.events.emit(sealed, event.warning, event.reason, event.message);
    }
    Outcome { failure, error: decided.error() }
}

/// Whether this pass's event is worth emitting. Failures and writes always are. Upstream emits
/// `Unsealed` on every pass, which with it means once per object per start and per spec change;
/// we keep exactly that and stay quiet on periodic passes that found nothing to do.
fn announce(ctx: &Context, sealed: &SealedSecret, decided: &Plan) -> bool {
    let Some(uid) = &sealed.metadata.uid else { return true };
    let generation = sealed.metadata.generation.unwrap_or_default();
    let mut announced = lock(&ctx.announced);
    match decided {
        Plan::Unchanged { .. } => announced.insert(uid.clone(), generation) != Some(generation),
        Plan::Write { .. } => {
            announced.insert(uid.clone(), generation);
            true
        }
        Plan::Refuse { .. } | Plan::Fail { .. } => {
            announced.remove(uid);
            true
        }
    }
}

/// A failed API request: Warning `ErrUpdateFailed` with the API server's text (it names objects
/// and fields, never values), condition False with the same text.
fn api_failure(
    ctx: &Context,
    sealed: &SealedSecret,
    namespace: &str,
    name: &str,
    verb: &str,
    error: &kube::Error,
) -> Outcome {
    let immutable = matches!(error, kube::Error::Api(s) if s.message.ends_with(IMMUTABLE_SUFFIX));
    let message = if immutable {
        format!(
            "Secret \"{name}\" is immutable and its data would change; delete the Secret so that it can be \
             recreated from the SealedSecret"
        )
    } else {
        format!("failed to {verb} Secret \"{name}\": {}", api_message(error))
    };
    let rejected = matches!(error, kube::Error::Api(s) if s.code == 422 || s.code == 400);
    tracing::warn!(
        namespace,
        name,
        verb,
        code = status_code(error),
        message = api_message(error),
        "Secret request failed"
    );
    if let Some(uid) = &sealed.metadata.uid {
        lock(&ctx.announced).remove(uid);
    }
    ctx.events.emit(sealed, true, REASON_UPDATE_FAILED, &message);
    let kind = if immutable {
        Error::Immutable
    } else if rejected {
        Error::Rejected
    } else {
        Error::Api
    };
    Outcome { failure: Some(message), error: Some(kind) }
}

/// The HTTP status of an API error (0 for transport errors).
fn status_code(error: &kube::Error) -> u16 {
    match error {
        kube::Error::Api(status) => status.code,
        _ => 0,
    }
}

/// The API server's message for a status error, else the client error's text.
fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// Writes the status subresource with a merge patch (no resourceVersion, so no conflicts with
/// a spec change racing this pass; the next pass corrects anything stale).
async fn write_status(client: &Client, namespace: &str, name: &str, status: &SealedSecretStatus) -> kube::Result<()> {
    let api: Api<SealedSecret> = Api::namespaced(client.clone(), namespace);
    let patch = serde_json::json!({ "status": status });
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await.map(|_| ())
}

/// How soon to retry after a failed pass.
fn error_policy(sealed: Arc<SealedSecret>, error: &Error, ctx: Arc<Context>) -> Action {
    let reference = ObjectRef::from_obj(sealed.as_ref());
    let attempts = {
        let mut failures = lock(&ctx.failures);
        let n = failures.entry(reference).or_insert(0);
        *n += 1;
        *n
    };
    let namespace = sealed.namespace().unwrap_or_default();
    let name = sealed.name_any();
    match error {
        Error::Immutable => Action::await_change(),
        e if e.is_transient() => Action::requeue(backoff(attempts)),
        _ if attempts <= ctx.settings.max_unseal_retries => Action::requeue(backoff(attempts)),
        _ => {
            tracing::info!(
                namespace,
                name,
                attempts,
                "giving up until the SealedSecret, its Secret or the keys change"
            );
            Action::await_change()
        }
    }
}

/// `period` plus up to 10% derived from the object's name, so that objects processed together
/// at start-up do not all come due in the same instant again.
fn jittered(period: Duration, reference: &ObjectRef<SealedSecret>) -> Duration {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    reference.hash(&mut hasher);
    let tenth = period.as_millis() / 10;
    let extra = if tenth == 0 { 0 } else { u128::from(hasher.finish()) % tenth };
    period + Duration::from_millis(u64::try_from(extra).unwrap_or(0))
}

/// Exponential backoff: 100 ms doubling per attempt, at most 5 minutes.
fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(12);
    Duration::from_millis(100u64 << exp).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::ObjectMeta;
    use kubeseal_crds::k8s::OwnerReference;

    fn meta(name: &str, owned: bool, managed: bool) -> PartialObjectMeta<Secret> {
        let mut m = ObjectMeta { name: Some(name.into()), namespace: Some("ns".into()), ..ObjectMeta::default() };
        if owned {
            m.owner_references = Some(vec![OwnerReference {
                api_version: "bitnami.com/v1alpha1".into(),
                kind: "SealedSecret".into(),
                name: name.into(),
                uid: "u".into(),
                controller: Some(true),
                ..OwnerReference::default()
            }]);
        }
        if managed {
            m.annotations = Some([(annotations::MANAGED.to_string(), "true".to_string())].into());
        }
        PartialObjectMeta { metadata: m, ..Default::default() }
    }

    async fn triggers(events: Vec<Event<PartialObjectMeta<Secret>>>) -> Vec<String> {
        deleted_secret_owners(stream::iter(events.into_iter().map(Ok)))
            .map(|r| format!("{}/{}", r.namespace.unwrap_or_default(), r.name))
            .collect()
            .await
    }

    #[tokio::test]
    async fn only_owned_or_managed_secret_deletions_trigger_and_relists_report_missed_deletions() {
        let got = triggers(vec![
            Event::Init,
            Event::InitApply(meta("owned", true, false)),
            Event::InitApply(meta("managed", false, true)),
            Event::InitApply(meta("foreign", false, false)),
            Event::InitApply(meta("gone-in-gap", true, false)),
            Event::InitDone,
            Event::Delete(meta("foreign", false, false)),
            Event::Delete(meta("owned", true, false)),
            // The watch broke; the re-list no longer shows `gone-in-gap` nor `managed`... but
            // `managed` lost its annotation first, so it is no longer ours to recreate.
            Event::Apply(meta("managed", false, false)),
            Event::Init,
            Event::InitApply(meta("managed", false, false)),
            Event::InitDone,
        ])
        .await;
        assert_eq!(got, ["ns/owned", "ns/gone-in-gap"]);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(2), Duration::from_millis(200));
        assert_eq!(backoff(4), Duration::from_millis(800));
        assert_eq!(backoff(100), Duration::from_secs(300));
    }
}
