//! Watch streams: one JSON event per line, replayed from the history or synthesised from the
//! current state, then live; bookmarks, selector transitions, `sendInitialEvents`, and 410
//! delivered as an `ERROR` event (never as an HTTP 410, which kube's watcher would retry forever).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::api::Filter;
use crate::body::Body;
use crate::cause::Cause;
use crate::present::{self, Repr};
use crate::registry::ResourceType;
use crate::route::Query;
use crate::shared::Shared;
use crate::status::ApiError;
use crate::store::{Event, EventType};

struct Watch {
    rt: Arc<ResourceType>,
    version: String,
    namespace: Option<String>,
    filter: Filter,
    repr: Repr,
}

impl Watch {
    fn line(&self, kind: &str, obj: &Value) -> Bytes {
        // Serialised straight from the stored object: a hot watch with many watchers never
        // copies it.
        let mut s = match self.repr {
            Repr::Json => {
                let served = self.rt.api_version(&self.version);
                let object = present::Typed { obj, type_meta: Some((&served, &self.rt.kind)) };
                serde_json::to_vec(&WatchLine { kind, object }).unwrap_or_default()
            }
            Repr::Table => serde_json::to_vec(
                &json!({"type": kind, "object": present::table_of_one(obj, &self.rt, &self.version)}),
            )
            .unwrap_or_default(),
            Repr::Metadata => serde_json::to_vec(
                &json!({"type": kind, "object": present::object(obj, &self.rt, &self.version, Repr::Metadata, false)}),
            )
            .unwrap_or_default(),
        };
        s.push(b'\n');
        Bytes::from(s)
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let (kind, api_version) = match self.repr {
            Repr::Metadata => ("PartialObjectMetadata".to_string(), "meta.k8s.io/v1".to_string()),
            _ => (self.rt.kind.clone(), self.rt.api_version(&self.version)),
        };
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let mut s = serde_json::to_string(
            &json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version, "metadata": meta}}),
        )
        .unwrap_or_default();
        s.push('\n');
        Bytes::from(s)
    }

    fn in_scope(&self, ev: &Event) -> bool {
        ev.res == self.rt.key() && self.namespace.as_ref().is_none_or(|ns| ns.is_empty() || *ns == ev.namespace)
    }

    /// The line an event becomes for this watch, after selector transitions.
    fn event_line(&self, ev: &Event) -> Option<Bytes> {
        if !self.in_scope(ev) {
            return None;
        }
        let now = self.filter.matches(&ev.object);
        match ev.kind {
            EventType::Added => now.then(|| self.line("ADDED", &ev.object)),
            EventType::Deleted => now.then(|| self.line("DELETED", &ev.object)),
            EventType::Modified => {
                let before = ev.old.as_ref().is_some_and(|o| self.filter.matches(o));
                match (before, now) {
                    (true, true) => Some(self.line("MODIFIED", &ev.object)),
                    (false, true) => Some(self.line("ADDED", &ev.object)),
                    (true, false) => {
                        // Left the selection: the old content, at the new revision.
                        let mut gone: Value = ev.old.as_deref().unwrap_or(&ev.object).clone();
                        gone["metadata"]["resourceVersion"] = ev.object["metadata"]["resourceVersion"].clone();
                        Some(self.line("DELETED", &gone))
                    }
                    (false, false) => None,
                }
            }
        }
    }
}

/// `{"type": ..., "object": ...}` without building a value tree.
struct WatchLine<'a> {
    kind: &'a str,
    object: present::Typed<'a>,
}

impl serde::Serialize for WatchLine<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", self.kind)?;
        m.serialize_entry("object", &self.object)?;
        m.end()
    }
}

/// Whether `ev` is about the CRD that defines `rt`.
fn is_crd_of(ev: &Event, rt: &ResourceType) -> bool {
    ev.res.0 == "apiextensions.k8s.io"
        && ev.res.1 == "customresourcedefinitions"
        && ev.object["spec"]["group"] == rt.group.as_str()
        && ev.object["spec"]["names"]["plural"] == rt.plural.as_str()
}

fn expired_line(rv: u64, oldest: u64) -> Bytes {
    let status = ApiError::expired(format!("too old resource version: {rv} ({oldest})")).to_status();
    let mut s = serde_json::to_string(&json!({"type": "ERROR", "object": status})).unwrap_or_default();
    s.push('\n');
    Bytes::from(s)
}

/// Starts a watch and answers with its stream.
pub(crate) fn serve(
    shared: Arc<Shared>,
    rt: Arc<ResourceType>,
    version: String,
    namespace: Option<String>,
    query: Query,
    repr: Repr,
) -> Result<Response<Body>, ApiError> {
    let filter = Filter::parse(&rt, &query)?;
    let timeout = match query.non_empty("timeoutSeconds") {
        Some(t) => Duration::from_secs(
            t.parse::<u64>().map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds {t:?}")))?,
        ),
        None => shared.config.max_watch,
    };
    let bookmarks = query.flag("allowWatchBookmarks");
    let send_initial = query.get("sendInitialEvents").is_some_and(|v| v == "true");
    let rv_param = query.non_empty("resourceVersion");
    if query.get("sendInitialEvents").is_none() && query.non_empty("resourceVersionMatch").is_some() {
        return Err(ApiError::invalid_options(
            "ListOptions",
            &[Cause::new(
                "FieldValueForbidden",
                "resourceVersionMatch",
                "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            )],
        ));
    }
    if query.get("sendInitialEvents").is_some()
        && !(bookmarks && query.get("resourceVersionMatch") == Some("NotOlderThan"))
    {
        return Err(ApiError::invalid_options(
            "ListOptions",
            &[Cause::new(
                "FieldValueForbidden",
                "sendInitialEvents",
                "Forbidden: sendInitialEvents is forbidden for watch unless allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan",
            )],
        ));
    }
    let w = Watch { rt, version, namespace, filter, repr };
    let mut initial = Vec::new();
    let mut close_after_initial = false;
    let (rx, cursor) = {
        let mut st = shared.state();
        let rx = shared.events.subscribe();
        let synthetic = send_initial || rv_param.is_none_or(|rv| rv == "0");
        if synthetic {
            let ns = w.namespace.as_deref().filter(|n| !n.is_empty());
            for (_, obj) in st.list(&w.rt.key(), ns) {
                if w.filter.matches(obj) {
                    initial.push(w.line("ADDED", obj));
                }
            }
            if send_initial {
                initial.push(w.bookmark(st.rev, true));
            }
        } else {
            let rv: u64 = rv_param.unwrap_or_default().parse().map_err(|_| {
                ApiError::bad_request(format!("invalid resource version: {}", rv_param.unwrap_or_default()))
            })?;
            let forced = st.expire_once.is_some_and(|upto| rv <= upto);
            if forced {
                st.expire_once = None;
            }
            match st.since(rv).filter(|_| !forced) {
                Some(events) => initial.extend(events.filter_map(|e| w.event_line(e))),
                None => {
                    initial.push(expired_line(rv, st.compacted + 1));
                    close_after_initial = true;
                }
            }
        }
        (rx, st.rev)
    };
    let (tx, body_rx) = mpsc::channel::<Bytes>(1024);
    let interval = shared.config.bookmark_interval;
    let epoch = shared.watch_epoch.subscribe();
    tokio::spawn(async move {
        for line in initial {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        if close_after_initial {
            return;
        }
        stream(w, rx, tx, epoch, cursor, timeout, bookmarks.then_some(interval)).await;
    });
    let mut resp = Response::new(Body::Stream(body_rx));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

async fn stream(
    w: Watch,
    mut rx: broadcast::Receiver<Arc<Event>>,
    tx: mpsc::Sender<Bytes>,
    mut epoch: tokio::sync::watch::Receiver<u64>,
    mut seen: u64,
    timeout: Duration,
    bookmarks: Option<Duration>,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + bookmarks.unwrap_or(Duration::from_secs(3600)),
        bookmarks.unwrap_or(Duration::from_secs(3600)),
    );
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    seen = seen.max(ev.rv);
                    if w.rt.custom && ev.kind == EventType::Deleted && is_crd_of(&ev, &w.rt) {
                        // The resource's storage is gone with its CRD: end the stream.
                        return;
                    }
                    if let Some(line) = w.event_line(&ev)
                        && tx.send(line).await.is_err()
                    {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Too slow to keep up: the client must re-list, as with a real server's cacher.
                    let _ = tx.send(expired_line(seen, seen)).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick(), if bookmarks.is_some() => {
                if tx.send(w.bookmark(seen, false)).await.is_err() {
                    return;
                }
            }
            _ = epoch.changed() => return,
            _ = tokio::time::sleep_until(deadline) => {
                if bookmarks.is_some() {
                    let _ = tx.send(w.bookmark(seen, false)).await;
                }
                return;
            }
            _ = tx.closed() => return,
        }
    }
}
