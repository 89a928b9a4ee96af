//! The three controllers a real control plane runs that API semantics depend on: the garbage
//! collector (ownerReferences with background, foreground and orphan propagation), the
//! namespace controller (empties a terminating namespace, then removes it) and CRD cleanup
//! (deletes a CRD's objects before the CRD). They run asynchronously, as on a real cluster, so
//! tests must wait for their effects.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::{delete_object, emit};
use crate::registry::{ResKey, ResourceType};
use crate::shared::{Shared, lock};
use crate::store::{EventType, State};

/// Runs the controllers until the emulator is dropped. They wake when a write could give them
/// work (a deletion, a deletion timestamp, ownerReferences: see `api::emit`), and poll while
/// something they wait for is pending (finalizers held by others); a store of plain objects
/// costs them nothing.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut pending = false;
    loop {
        if pending {
            tokio::select! {
                _ = shared.controllers.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        } else {
            shared.controllers.notified().await;
        }
        if *lock(&shared.controllers_paused) {
            pending = true;
            continue;
        }
        let work = std::mem::take(&mut *lock(&shared.gc_work));
        if !work.full && !pending {
            // Only owned objects were written: a pass is due only if one of them has an owner
            // that is missing, replaced (another uid) or being deleted.
            let st = shared.state();
            if !work.dependents.iter().any(|(res, ns, name)| owners_need_attention(&st, res, ns, name)) {
                continue;
            }
        }
        // A few passes settle chains (a namespace's objects, then the namespace).
        for _ in 0..4 {
            let mut st = shared.state();
            let changed = pass(&shared, &mut st);
            pending = has_pending_work(&st);
            if !changed {
                break;
            }
        }
    }
}

/// Whether the owner references of one object need the garbage collector: an owner that does
/// not resolve (absent, another uid, a kind not served, a namespaced owner of a cluster-scoped
/// object) or is being deleted, or the object itself is being deleted.
fn owners_need_attention(st: &State, res: &ResKey, ns: &str, name: &str) -> bool {
    let Some(obj) = st.get(res, ns, name) else { return false };
    if deleting(obj) {
        return true;
    }
    let refs = obj["metadata"]["ownerReferences"].as_array().map(Vec::as_slice).unwrap_or_default();
    refs.iter().any(|r| {
        let api_version = r["apiVersion"].as_str().unwrap_or_default();
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let kind = r["kind"].as_str().unwrap_or_default();
        let Some(rt) = st.registry.all().find(|rt| rt.group == group && rt.kind == kind) else { return true };
        let owner_ns = if rt.namespaced { ns } else { "" };
        match st.get(&rt.key(), owner_ns, r["name"].as_str().unwrap_or_default()) {
            Some(owner) => owner["metadata"]["uid"] != r["uid"] || deleting(owner),
            None => true,
        }
    })
}

/// Whether any object is being deleted: its finalizers may be removed by someone else later,
/// after which a controller has more to do.
fn has_pending_work(st: &State) -> bool {
    st.objects.values().flat_map(|m| m.values()).any(|o| deleting(o))
}

fn deleting(o: &Value) -> bool {
    o["metadata"].get("deletionTimestamp").is_some_and(|d| !d.is_null())
}

fn finalizers(o: &Value) -> Vec<String> {
    o["metadata"]["finalizers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect()
}

fn s<'a>(o: &'a Value, k: &str) -> &'a str {
    o["metadata"][k].as_str().unwrap_or_default()
}

/// Removes one finalizer (or the namespace's spec finalizer); deletes the object when it was the
/// last one on an object being deleted.
fn strip_finalizer(shared: &Shared, st: &mut State, rt: &ResourceType, obj: &Value, finalizer: &str) {
    let mut new = obj.clone();
    let remaining: Vec<String> = finalizers(obj).into_iter().filter(|f| f != finalizer).collect();
    if let Some(m) = new["metadata"].as_object_mut() {
        if remaining.is_empty() {
            m.remove("finalizers");
        } else {
            m.insert("finalizers".into(), json!(remaining));
        }
    }
    write_back(shared, st, rt, obj, new);
}

fn write_back(shared: &Shared, st: &mut State, rt: &ResourceType, old: &Value, mut new: Value) {
    if &new == old {
        return;
    }
    let ns = s(old, "namespace").to_string();
    let key = (ns.clone(), s(old, "name").to_string());
    let rv = st.next_rev();
    new["metadata"]["resourceVersion"] = json!(rv.to_string());
    let spec_finalizers_done = !(rt.group.is_empty() && rt.plural == "namespaces")
        || new["spec"]["finalizers"].as_array().is_none_or(Vec::is_empty);
    if deleting(&new) && finalizers(&new).is_empty() && spec_finalizers_done {
        st.remove(&rt.key(), &key);
        emit(shared, st, EventType::Deleted, rt, &ns, Some(Arc::new(old.clone())), Arc::new(new.clone()));
        if rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions" {
            let gk = (
                new["spec"]["group"].as_str().unwrap_or_default().to_string(),
                new["spec"]["names"]["plural"].as_str().unwrap_or_default().to_string(),
            );
            st.registry.remove(&gk);
            st.objects.remove(&gk);
        }
    } else {
        let new = Arc::new(new);
        st.put(&rt.key(), key, new.clone());
        emit(shared, st, EventType::Modified, rt, &ns, Some(Arc::new(old.clone())), new);
    }
}

/// One pass of every controller; true if it changed anything.
fn pass(shared: &Shared, st: &mut State) -> bool {
    let before = st.rev;
    namespaces(shared, st);
    crd_cleanup(shared, st);
    garbage_collect(shared, st);
    st.rev != before
}

fn namespaces(shared: &Shared, st: &mut State) {
    let ns_key: ResKey = (String::new(), "namespaces".into());
    let Some(ns_rt) = st.registry.by_key(&ns_key) else { return };
    let terminating: Vec<Value> = st.list(&ns_key, None).map(|(_, v)| v).filter(|v| deleting(v)).cloned().collect();
    for ns in terminating {
        let name = s(&ns, "name").to_string();
        let namespaced: Vec<Arc<ResourceType>> = st.registry.all().filter(|rt| rt.namespaced).cloned().collect();
        let mut left = 0;
        for rt in &namespaced {
            let objs: Vec<Value> = st.list(&rt.key(), Some(&name)).map(|(_, v)| v.clone()).collect();
            left += objs.len();
            for o in objs.into_iter().filter(|o| !deleting(o)) {
                delete_object(shared, st, rt, o, None, false);
            }
        }
        if left == 0 {
            let mut new = ns.clone();
            new["spec"]["finalizers"] = json!([]);
            if let Some(m) = new["spec"].as_object_mut() {
                m.remove("finalizers");
            }
            write_back(shared, st, &ns_rt, &ns, new);
        }
    }
}

fn crd_cleanup(shared: &Shared, st: &mut State) {
    const CLEANUP: &str = "customresourcecleanup.apiextensions.k8s.io";
    let key: ResKey = ("apiextensions.k8s.io".into(), "customresourcedefinitions".into());
    let Some(crd_rt) = st.registry.by_key(&key) else { return };
    let crds: Vec<Value> = st
        .list(&key, None)
        .map(|(_, v)| v)
        .filter(|v| deleting(v) && finalizers(v).iter().any(|f| f == CLEANUP))
        .cloned()
        .collect();
    for crd in crds {
        let gk = (
            crd["spec"]["group"].as_str().unwrap_or_default().to_string(),
            crd["spec"]["names"]["plural"].as_str().unwrap_or_default().to_string(),
        );
        let objs: Vec<Value> = st.list(&gk, None).map(|(_, v)| v.clone()).collect();
        if objs.is_empty() {
            strip_finalizer(shared, st, &crd_rt, &crd, CLEANUP);
            continue;
        }
        if let Some(rt) = st.registry.by_key(&gk) {
            for o in objs.into_iter().filter(|o| !deleting(o)) {
                delete_object(shared, st, &rt, o, None, false);
            }
        }
    }
}

struct Owner {
    res: ResKey,
    namespace: String,
    namespaced: bool,
    object: Arc<Value>,
}

fn garbage_collect(shared: &Shared, st: &mut State) {
    // Index every object by uid.
    let mut by_uid: HashMap<String, Owner> = HashMap::new();
    let mut dependents: Vec<(Arc<ResourceType>, Arc<Value>)> = Vec::new();
    for rt in st.registry.all().cloned().collect::<Vec<_>>() {
        for (_, o) in st.list_shared(&rt.key(), None) {
            by_uid.insert(
                s(o, "uid").to_string(),
                Owner {
                    res: rt.key(),
                    namespace: s(o, "namespace").to_string(),
                    namespaced: rt.namespaced,
                    object: o.clone(),
                },
            );
            if o["metadata"]["ownerReferences"].as_array().is_some_and(|r| !r.is_empty()) {
                dependents.push((rt.clone(), o.clone()));
            }
        }
    }
    let resolves = |dep_rt: &ResourceType, dep: &Value, uid: &str| -> Option<&Owner> {
        let owner = by_uid.get(uid)?;
        let valid = !owner.namespaced || (dep_rt.namespaced && owner.namespace == s(dep, "namespace"));
        valid.then_some(owner)
    };
    let mut orphaning: HashMap<String, usize> = HashMap::new();
    let mut blocking: HashMap<String, usize> = HashMap::new();
    for (rt, dep) in &dependents {
        let refs: Vec<Value> = dep["metadata"]["ownerReferences"].as_array().cloned().unwrap_or_default();
        let mut keep_refs = Vec::new();
        let mut live_owner = false;
        let mut foreground = false;
        for r in &refs {
            let uid = r["uid"].as_str().unwrap_or_default();
            match resolves(rt, dep, uid) {
                Some(owner) if deleting(&owner.object) && finalizers(&owner.object).iter().any(|f| f == "orphan") => {
                    // Orphan propagation: the reference goes, the dependent stays.
                    *orphaning.entry(uid.to_string()).or_default() += 1;
                }
                Some(owner) => {
                    live_owner = true;
                    if deleting(&owner.object) && finalizers(&owner.object).iter().any(|f| f == "foregroundDeletion") {
                        foreground = true;
                        if r["blockOwnerDeletion"] == json!(true) {
                            *blocking.entry(uid.to_string()).or_default() += 1;
                        }
                    }
                    keep_refs.push(r.clone());
                }
                None => keep_refs.push(r.clone()),
            }
        }
        // Shared, not copied: most dependents need nothing.
        let Some(current) = st.get_shared(&rt.key(), s(dep, "namespace"), s(dep, "name")).cloned() else { continue };
        if keep_refs.len() != refs.len() {
            let mut new = (*current).clone();
            new["metadata"]["ownerReferences"] = json!(keep_refs);
            if keep_refs.is_empty()
                && let Some(m) = new["metadata"].as_object_mut()
            {
                m.remove("ownerReferences");
            }
            write_back(shared, st, rt, &current, new);
            continue;
        }
        if (!live_owner || foreground) && !deleting(&current) {
            delete_object(shared, st, rt, (*current).clone(), None, false);
        }
    }
    // Owners whose dependents have been orphaned or deleted lose their propagation finalizer.
    let owners: Vec<(ResKey, Arc<Value>)> =
        by_uid.values().filter(|o| deleting(&o.object)).map(|o| (o.res.clone(), o.object.clone())).collect();
    for (res, owner) in owners {
        let uid = s(&owner, "uid").to_string();
        let Some(rt) = st.registry.by_key(&res) else { continue };
        let Some(current) = st.get(&res, s(&owner, "namespace"), s(&owner, "name")).cloned() else { continue };
        let fins = finalizers(&current);
        if fins.iter().any(|f| f == "orphan") && !orphaning.contains_key(&uid) {
            strip_finalizer(shared, st, &rt, &current, "orphan");
        } else if fins.iter().any(|f| f == "foregroundDeletion") && !blocking.contains_key(&uid) {
            strip_finalizer(shared, st, &rt, &current, "foregroundDeletion");
        }
    }
}
