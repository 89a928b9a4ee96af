//! Representations a client can ask for with `Accept`: the object as JSON,
//! `PartialObjectMetadata`, or a `Table` for `kubectl get`.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

use crate::registry::ResourceType;
use crate::status::ApiError;

/// The representation a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    /// The object (or list) itself.
    Json,
    /// `PartialObjectMetadata[List]` of `meta.k8s.io/v1`.
    Metadata,
    /// `Table` of `meta.k8s.io/v1`.
    Table,
}

/// Picks the first supported alternative of an `Accept` header; 406 if none is.
pub fn negotiate(accept: Option<&str>) -> Result<Repr, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else { return Ok(Repr::Json) };
    for alt in accept.split(',') {
        let mut parts = alt.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        if !matches!(media.as_str(), "application/json" | "*/*" | "application/*") {
            continue;
        }
        let mut as_ = None;
        let mut g = None;
        let mut v = None;
        for p in parts {
            match p.split_once('=') {
                Some(("as", x)) => as_ = Some(x),
                Some(("g", x)) => g = Some(x),
                Some(("v", x)) => v = Some(x),
                _ => {}
            }
        }
        match (as_, g, v) {
            (None, _, _) => return Ok(Repr::Json),
            (Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io"), Some("v1")) => {
                return Ok(Repr::Metadata);
            }
            (Some("Table"), Some("meta.k8s.io"), Some("v1")) => return Ok(Repr::Table),
            _ => continue,
        }
    }
    Err(ApiError::not_acceptable(accept))
}

/// The stored object as served at `version`, in or outside a list.
pub fn object(obj: &Value, rt: &ResourceType, version: &str, repr: Repr, in_list: bool) -> Value {
    match repr {
        Repr::Metadata => {
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"].clone()})
        }
        Repr::Json | Repr::Table => {
            let mut o = obj.clone();
            if let Some(m) = o.as_object_mut() {
                if in_list && !rt.custom {
                    // Built-in list items carry neither apiVersion nor kind, as on a real server.
                    m.remove("apiVersion");
                    m.remove("kind");
                } else {
                    m.insert("apiVersion".into(), json!(rt.api_version(version)));
                    m.insert("kind".into(), json!(rt.kind));
                }
            }
            o
        }
    }
}

/// A list response, serialised.
pub fn list(
    items: &[&Value],
    rt: &ResourceType,
    version: &str,
    repr: Repr,
    rv: u64,
    cont: Option<String>,
    remaining: Option<usize>,
) -> Vec<u8> {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    if let Some(r) = remaining {
        meta["remainingItemCount"] = json!(r);
    }
    let (kind, api_version) = match repr {
        Repr::Table => {
            let owned: Vec<Value> = items.iter().map(|v| (*v).clone()).collect();
            return serde_json::to_vec(&table(&owned, rt, version, meta)).unwrap_or_default();
        }
        Repr::Metadata => ("PartialObjectMetadataList".to_string(), "meta.k8s.io/v1".to_string()),
        Repr::Json => (rt.list_kind.clone(), rt.api_version(version)),
    };
    let served = rt.api_version(version);
    let list = ListBody { kind: &kind, api_version: &api_version, metadata: &meta, items, rt, served: &served, repr };
    serde_json::to_vec(&list).unwrap_or_default()
}

/// A list, serialised without copying its items.
struct ListBody<'a> {
    kind: &'a str,
    api_version: &'a str,
    metadata: &'a Value,
    items: &'a [&'a Value],
    rt: &'a ResourceType,
    served: &'a str,
    repr: Repr,
}

impl Serialize for ListBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("kind", self.kind)?;
        m.serialize_entry("apiVersion", self.api_version)?;
        m.serialize_entry("metadata", self.metadata)?;
        m.serialize_entry("items", &Items(self))?;
        m.end()
    }
}

struct Items<'a>(&'a ListBody<'a>);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut seq = s.serialize_seq(Some(l.items.len()))?;
        for item in l.items {
            match l.repr {
                Repr::Metadata => seq.serialize_element(&PartialMeta(item))?,
                // Built-in list items carry neither apiVersion nor kind, as on a real server.
                _ if !l.rt.custom => seq.serialize_element(&Typed { obj: item, type_meta: None })?,
                _ => seq.serialize_element(&Typed { obj: item, type_meta: Some((l.served, &l.rt.kind)) })?,
            }
        }
        seq.end()
    }
}

/// An object with its apiVersion and kind replaced (or dropped when `type_meta` is `None`).
pub struct Typed<'a> {
    /// The stored object.
    pub obj: &'a Value,
    /// `(apiVersion, kind)` to write, or nothing.
    pub type_meta: Option<(&'a str, &'a str)>,
}

impl Serialize for Typed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(fields) = self.obj.as_object() else { return self.obj.serialize(s) };
        let mut m = s.serialize_map(None)?;
        if let Some((api_version, kind)) = self.type_meta {
            m.serialize_entry("apiVersion", api_version)?;
            m.serialize_entry("kind", kind)?;
        }
        for (k, v) in fields {
            if k != "apiVersion" && k != "kind" {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

struct PartialMeta<'a>(&'a Value);

impl Serialize for PartialMeta<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("kind", "PartialObjectMetadata")?;
        m.serialize_entry("apiVersion", "meta.k8s.io/v1")?;
        m.serialize_entry("metadata", &self.0["metadata"])?;
        m.end()
    }
}

/// A one-row table for a single object.
pub fn table_of_one(obj: &Value, rt: &ResourceType, version: &str) -> Value {
    table(
        std::slice::from_ref(obj),
        rt,
        version,
        json!({"resourceVersion": obj["metadata"]["resourceVersion"].clone()}),
    )
}

fn table(items: &[Value], rt: &ResourceType, version: &str, meta: Value) -> Value {
    let custom_cols = rt.printer_columns.get(version).cloned().unwrap_or_default();
    let mut defs = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    let columns: Vec<(String, i64)> = if rt.custom {
        if custom_cols.is_empty() {
            defs.push(json!({"name": "Age", "type": "date", "format": "", "description": "Time since creation", "priority": 0}));
            vec![(".metadata.creationTimestamp".into(), 0)]
        } else {
            custom_cols
                .iter()
                .map(|c| {
                    defs.push(json!({
                        "name": c["name"], "type": c.get("type").cloned().unwrap_or(json!("string")), "format": c.get("format").cloned().unwrap_or(json!("")),
                        "description": c.get("description").cloned().unwrap_or(json!("")), "priority": c.get("priority").cloned().unwrap_or(json!(0)),
                    }));
                    (c["jsonPath"].as_str().unwrap_or_default().to_string(), c["priority"].as_i64().unwrap_or(0))
                })
                .collect()
        }
    } else {
        defs.push(json!({"name": "Created At", "type": "date", "format": "", "description": "Time since creation", "priority": 0}));
        vec![(".metadata.creationTimestamp".into(), 0)]
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let mut cells = vec![o["metadata"]["name"].clone()];
            cells.extend(columns.iter().map(|(path, _)| json_path(o, path).cloned().unwrap_or(Value::Null)));
            json!({"cells": cells, "object": object(o, rt, version, Repr::Metadata, true)})
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": defs, "rows": rows})
}

/// Evaluates the simple JSONPath forms printer columns use: `.a.b`, `.a[0].b`,
/// `.a[?(@.type=="Ready")].status`. Borrows: field selectors run this on every object of a list
/// or watch.
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    let mut rest = path.trim().trim_start_matches('{').trim_end_matches('}').trim_start_matches('$');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            cur = cur.get(&r[..end])?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = &r[..end];
            rest = &r[end + 1..];
            if let Ok(i) = inner.parse::<usize>() {
                cur = cur.get(i)?;
            } else if let Some(f) = inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (field, want) = f.split_once("==")?;
                let want = want.trim().trim_matches(['"', '\'']);
                cur = cur.as_array()?.iter().find(|e| e.get(field.trim()).and_then(Value::as_str) == Some(want))?;
            } else {
                return None;
            }
        } else {
            return None;
        }
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_the_accept_list_order() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(kubectl)).ok(), Some(Repr::Table));
        assert_eq!(
            negotiate(Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")).ok(),
            Some(Repr::Metadata)
        );
        assert_eq!(negotiate(Some("application/vnd.kubernetes.protobuf,application/json")).ok(), Some(Repr::Json));
        assert_eq!(negotiate(Some("application/vnd.kubernetes.protobuf")).map_err(|e| e.code), Err(406));
    }

    #[test]
    fn json_path_filters_conditions() {
        let o = json!({"status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}});
        assert_eq!(json_path(&o, ".status.conditions[?(@.type==\"Ready\")].status"), Some(&json!("True")));
        assert_eq!(json_path(&o, ".status.conditions[0].type"), Some(&json!("Synced")));
        assert_eq!(json_path(&o, ".spec.missing"), None);
    }
}
