//! The object store: every object as a JSON value, keyed by resource and `namespace/name`, one
//! global revision counter (like etcd's), and the event history that resumed watches replay.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use crate::registry::{Registry, ResKey};

/// A change, as watches see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed; the object is its last state with the deletion revision.
    Deleted,
}

/// One committed write.
#[derive(Debug)]
pub struct Event {
    /// The revision this write took.
    pub rv: u64,
    /// What happened.
    pub kind: EventType,
    /// Which resource.
    pub res: ResKey,
    /// Namespace (empty for cluster-scoped).
    pub namespace: String,
    /// The state before (for selector transitions), if any.
    pub old: Option<Arc<Value>>,
    /// The state after; for `Deleted`, the last state with the deletion revision. Shared with
    /// the store, so the history costs no copies.
    pub object: Arc<Value>,
}

/// (namespace, name); namespace is empty for cluster-scoped objects.
pub type ObjKey = (String, String);

/// Everything that lives under the store lock.
pub struct State {
    /// Served resources (built-ins and those of established CRDs).
    pub registry: Registry,
    /// Objects per resource, shared with the event history and watch fan-out.
    pub objects: BTreeMap<ResKey, BTreeMap<ObjKey, Arc<Value>>>,
    /// The current global revision.
    pub rev: u64,
    history: VecDeque<Arc<Event>>,
    capacity: usize,
    /// Events at or below this revision are no longer in the history.
    pub compacted: u64,
    /// Set by [`State::compact`]: the next watch that resumes from this revision or an older
    /// one gets 410, even from the newest revision (which a real server would still accept),
    /// so a test can force a re-list deterministically.
    pub expire_once: Option<u64>,
}

impl State {
    /// A store holding nothing, with a history of `capacity` events.
    pub fn new(registry: Registry, capacity: usize) -> Self {
        Self {
            registry,
            objects: BTreeMap::new(),
            rev: 1,
            history: VecDeque::new(),
            capacity: capacity.max(1),
            compacted: 0,
            expire_once: None,
        }
    }

    /// The object at `res`, `ns`, `name`.
    pub fn get(&self, res: &ResKey, ns: &str, name: &str) -> Option<&Value> {
        self.get_shared(res, ns, name).map(Arc::as_ref)
    }

    /// The object at `res`, `ns`, `name`, shared.
    pub fn get_shared(&self, res: &ResKey, ns: &str, name: &str) -> Option<&Arc<Value>> {
        self.objects.get(res)?.get(&(ns.to_string(), name.to_string()))
    }

    /// The objects of a resource, in key order, in one namespace or all.
    pub fn list<'a>(&'a self, res: &ResKey, ns: Option<&'a str>) -> impl Iterator<Item = (&'a ObjKey, &'a Value)> + 'a {
        self.list_shared(res, ns).map(|(k, v)| (k, v.as_ref()))
    }

    /// The same, shared.
    pub fn list_shared<'a>(
        &'a self,
        res: &ResKey,
        ns: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjKey, &'a Arc<Value>)> + 'a {
        self.objects
            .get(res)
            .into_iter()
            .flat_map(move |m| m.iter().filter(move |((n, _), _)| ns.is_none_or(|want| n == want)))
    }

    /// Takes the next revision.
    pub fn next_rev(&mut self) -> u64 {
        self.rev += 1;
        self.rev
    }

    /// Records an event in the history, dropping the oldest beyond capacity.
    pub fn record(&mut self, event: Arc<Event>) {
        if self.history.len() == self.capacity
            && let Some(old) = self.history.pop_front()
        {
            self.compacted = old.rv;
        }
        self.history.push_back(event);
    }

    /// Events after `rv`, or `None` if some of them were compacted away.
    pub fn since(&self, rv: u64) -> Option<impl Iterator<Item = &Arc<Event>>> {
        if rv < self.compacted {
            return None;
        }
        Some(self.history.iter().filter(move |e| e.rv > rv))
    }

    /// Forgets the whole history: every resume from an older revision gets 410.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rev;
        self.expire_once = Some(self.rev);
    }

    /// Stores `object` (whose metadata already carries its new revision) under `key`.
    pub fn put(&mut self, res: &ResKey, key: ObjKey, object: Arc<Value>) {
        self.objects.entry(res.clone()).or_default().insert(key, object);
    }

    /// Removes an object.
    pub fn remove(&mut self, res: &ResKey, key: &ObjKey) -> Option<Arc<Value>> {
        self.objects.get_mut(res)?.remove(key)
    }
}
