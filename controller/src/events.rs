//! Kubernetes Events about SealedSecrets, written off the reconcile path.
//!
//! Upstream sends core `v1` Events through client-go's broadcaster with source component
//! `sealed-secrets` and the reasons `Unsealed`, `ErrUnsealFailed`, `ErrUpdateFailed`; `kubectl
//! describe sealedsecret` and `kubectl get events` show them. We write the same core Events.
//! Like the broadcaster, a repeat of the same event (same object, type, reason and message)
//! within [`AGGREGATE_WINDOW`] bumps `count` and `lastTimestamp` of the existing Event instead
//! of creating another, so a controller restart or a retry loop does not flood the namespace.
//!
//! Events are queued to a background task ([`EventSink::emit`] never waits on the API server);
//! when the queue is full the event is dropped and counted in the log. Messages are built by the
//! plan and never hold plaintext.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};
use kubeseal_crds::SealedSecret;
use kubeseal_crds::k8s::jiff::Timestamp;
use kubeseal_crds::k8s::k8s_openapi::api::core::v1::{EventSource, ObjectReference};
use kubeseal_crds::k8s::{Event, ObjectMeta, Time};
use tokio::sync::mpsc;

/// Upstream's event source component.
pub const COMPONENT: &str = "sealed-secrets";
/// How long a repeated event is folded into the existing one.
pub const AGGREGATE_WINDOW: Duration = Duration::from_secs(600);
/// Queue length between reconcilers and the writer task.
const QUEUE: usize = 4096;
/// Remembered events for aggregation; the map is cleared when it grows past this.
const REMEMBERED: usize = 16_384;

/// One event to write.
#[derive(Debug, Clone)]
struct Pending {
    object: ObjectReference,
    warning: bool,
    reason: &'static str,
    message: String,
}

/// Handle for emitting events; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Pending>,
}

impl EventSink {
    /// Starts the writer task. `instance` is this replica's name (`reportingInstance`).
    pub fn spawn(client: Client, instance: String) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_events(client, instance, rx));
        Self { tx }
    }

    /// Queues an event about `sealed`. Never blocks; drops the event if the queue is full.
    pub fn emit(&self, sealed: &SealedSecret, warning: bool, reason: &'static str, message: &str) {
        let object = ObjectReference {
            api_version: Some(SealedSecret::api_version(&()).into_owned()),
            kind: Some(SealedSecret::kind(&()).into_owned()),
            name: sealed.metadata.name.clone(),
            namespace: sealed.metadata.namespace.clone(),
            uid: sealed.metadata.uid.clone(),
            resource_version: sealed.metadata.resource_version.clone(),
            ..ObjectReference::default()
        };
        let pending = Pending { object, warning, reason, message: message.to_string() };
        if self.tx.try_send(pending).is_err() {
            tracing::debug!(
                namespace = sealed.namespace().unwrap_or_default(),
                name = sealed.name_any(),
                reason,
                "event queue full; event dropped"
            );
        }
    }
}

/// What we remember of a written event, to aggregate repeats.
struct Written {
    name: String,
    count: i32,
    at: Instant,
}

type EventKey = (String, bool, &'static str, String);

async fn write_events(client: Client, instance: String, mut rx: mpsc::Receiver<Pending>) {
    let mut written: HashMap<EventKey, Written> = HashMap::new();
    while let Some(event) = rx.recv().await {
        let namespace = event.object.namespace.clone().unwrap_or_default();
        let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
        let key = (event.object.uid.clone().unwrap_or_default(), event.warning, event.reason, event.message.clone());
        let now = Time(Timestamp::now());
        if let Some(previous) = written.get_mut(&key).filter(|w| w.at.elapsed() < AGGREGATE_WINDOW) {
            let count = previous.count + 1;
            let patch = serde_json::json!({ "count": count, "lastTimestamp": now });
            match api.patch(&previous.name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => {
                    previous.count = count;
                    continue;
                }
                // Deleted (events expire) or unreachable: write a new one below.
                Err(e) => tracing::debug!(error = %e, "could not update event; creating a new one"),
            }
        }
        let name = format!("{}.{:x}", event.object.name.as_deref().unwrap_or("sealedsecret"), unique_suffix());
        let body = Event {
            metadata: ObjectMeta { name: Some(name.clone()), namespace: Some(namespace), ..ObjectMeta::default() },
            involved_object: event.object,
            reason: Some(event.reason.to_string()),
            message: Some(event.message),
            type_: Some(if event.warning { "Warning" } else { "Normal" }.to_string()),
            source: Some(EventSource { component: Some(COMPONENT.to_string()), host: None }),
            reporting_component: Some(COMPONENT.to_string()),
            reporting_instance: Some(instance.clone()),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            count: Some(1),
            ..Event::default()
        };
        match api.create(&PostParams::default(), &body).await {
            Ok(_) => {
                if written.len() >= REMEMBERED {
                    written.clear();
                }
                written.insert(key, Written { name, count: 1, at: Instant::now() });
            }
            Err(e) => tracing::debug!(error = %e, "could not write event"),
        }
    }
}

/// A name suffix unique within this process and unlikely to collide across replicas, as
/// client-go's `<object>.<hex nanoseconds>` names are.
fn unique_suffix() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    nanos.wrapping_add(u128::from(SEQ.fetch_add(1, Ordering::Relaxed)))
}
