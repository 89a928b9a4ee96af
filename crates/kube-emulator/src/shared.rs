//! State shared by the HTTP server, the tower service, the background controllers and the test
//! handle: the store under one lock, the watch fan-out, fault injection and the request log.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};

use crate::registry::Registry;
use crate::store::{Event, State};

/// Settings of one emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many events the history keeps for resumed watches (older resumes get 410).
    pub history: usize,
    /// How often a watch that asked for bookmarks gets one.
    pub bookmark_interval: Duration,
    /// The longest a watch stays open when the client gives no `timeoutSeconds`.
    pub max_watch: Duration,
    /// Buffered events per watcher before it is considered too slow (it then gets a 410).
    pub watch_buffer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            history: 10_000,
            bookmark_interval: Duration::from_secs(60),
            max_watch: Duration::from_secs(1800),
            watch_buffer: 100_000,
        }
    }
}

/// One request as the emulator received it, for tests that assert on traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// `Content-Type` of the body, if any.
    pub content_type: Option<String>,
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, or
    /// empty for non-resource paths.
    pub verb: String,
    /// Resource plural (with `/subresource`), or empty.
    pub resource: String,
}

/// A fault to inject: the next `remaining` requests that match fail with `code`.
#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    pub verb: Option<String>,
    pub resource: Option<String>,
    pub remaining: u32,
    pub code: u16,
}

#[derive(Default)]
pub(crate) struct Faults {
    pub rules: Vec<FaultRule>,
    pub latency: Duration,
}

/// Work for the controllers. Deletions (and deletion timestamps) need a pass over everything;
/// an object written with owner references only needs its owners checked, which is cheap, so a
/// burst of owned creations (a controller writing 10,000 Secrets) does not cost a full pass each.
#[derive(Debug, Default)]
pub(crate) struct GcWork {
    /// A full pass is due.
    pub full: bool,
    /// Objects written with owner references since the last pass: (resource, namespace, name).
    pub dependents: Vec<(crate::registry::ResKey, String, String)>,
}

impl Shared {
    /// Wakes the controllers for a full pass.
    pub fn wake_controllers(&self) {
        lock(&self.gc_work).full = true;
        self.controllers.notify_one();
    }

    /// Wakes the controllers to check the owners of one written object.
    pub fn wake_for_dependent(&self, res: crate::registry::ResKey, namespace: &str, name: &str) {
        lock(&self.gc_work).dependents.push((res, namespace.to_string(), name.to_string()));
        self.controllers.notify_one();
    }
}

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub events: broadcast::Sender<Arc<Event>>,
    /// Bumped to end every open watch.
    pub watch_epoch: watch::Sender<u64>,
    pub faults: Mutex<Faults>,
    pub log: Mutex<Vec<RequestRecord>>,
    pub config: Config,
    /// Wakes the garbage collector and the namespace and CRD cleanup controllers.
    pub controllers: Notify,
    /// What woke them: see [`GcWork`].
    pub gc_work: Mutex<GcWork>,
    pub controllers_paused: Mutex<bool>,
    pub proxies: Mutex<HashMap<(String, String), SocketAddr>>,
    pub addr: OnceLock<SocketAddr>,
}

impl Shared {
    pub fn new(config: Config) -> Arc<Self> {
        let (events, _) = broadcast::channel(config.watch_buffer.max(16));
        let (watch_epoch, _) = watch::channel(0);
        Arc::new(Self {
            state: Mutex::new(State::new(Registry::builtin(), config.history)),
            events,
            watch_epoch,
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(Vec::new()),
            config,
            controllers: Notify::new(),
            gc_work: Mutex::new(GcWork::default()),
            controllers_paused: Mutex::new(false),
            proxies: Mutex::new(HashMap::new()),
            addr: OnceLock::new(),
        })
    }

    /// The store. A poisoned lock (a panic while holding it) is taken over: every write is
    /// applied atomically, so the state is consistent.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Locks a mutex, taking over a poisoned one.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
