//! Representations a client can ask for with `Accept`: the object as JSON,
//! `PartialObjectMetadata`, or a `Table` for `kubectl get`.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

use crate::registry::ResourceType;
use crate::status::ApiError;
use crate::{clock, printer};

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
    // One clock reading per response, as the server's printers take time.Now() per table.
    let now = clock::now_nanos();
    let (defs, rows): (Vec<Value>, Vec<Vec<Value>>) = if rt.custom {
        custom_table(items, rt.printer_columns.get(version).map(Vec::as_slice).unwrap_or_default(), now)
    } else if let Some(cols) = printer::columns(&rt.group, &rt.plural) {
        let rows = items.iter().map(|o| printer::cells(&rt.group, &rt.plural, o, now)).collect();
        (cols.iter().map(printer::Column::definition).collect(), rows)
    } else {
        // rest.DefaultTableConvertor: the creation time as RFC 3339, not an age.
        let defs = vec![
            printer::NAME.definition(),
            json!({"name": "Created At", "type": "date", "format": "", "description": "Time the object was created.", "priority": 0}),
        ];
        let rows = items
            .iter()
            .map(|o| vec![o["metadata"]["name"].clone(), o["metadata"]["creationTimestamp"].clone()])
            .collect();
        (defs, rows)
    };
    let rows: Vec<Value> = items
        .iter()
        .zip(rows)
        .map(|(o, cells)| json!({"cells": cells, "object": object(o, rt, version, Repr::Metadata, true)}))
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": defs, "rows": rows})
}

/// The apiextensions-apiserver table convertor: Name, then the CRD's printer columns (the API
/// defaults an `Age` column of type `date` when a version declares none).
fn custom_table(items: &[Value], printer_columns: &[Value], now: i128) -> (Vec<Value>, Vec<Vec<Value>>) {
    let default_age = [
        json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp", "description": "Time the object was created."}),
    ];
    let cols = if printer_columns.is_empty() { &default_age[..] } else { printer_columns };
    let mut defs = vec![printer::NAME.definition()];
    defs.extend(cols.iter().map(|c| {
        let path = c["jsonPath"].as_str().unwrap_or_default();
        let description = match c["description"].as_str().filter(|d| !d.is_empty()) {
            Some(d) => d.to_string(),
            None => format!("Custom resource definition column (in JSONPath format): {path}"),
        };
        json!({
            "name": c["name"], "type": c.get("type").cloned().unwrap_or(json!("string")),
            "format": c.get("format").cloned().unwrap_or(json!("")), "description": description,
            "priority": c.get("priority").cloned().unwrap_or(json!(0)),
        })
    }));
    let rows = items
        .iter()
        .map(|o| {
            let mut cells = vec![o["metadata"]["name"].clone()];
            cells.extend(cols.iter().map(|c| {
                let ty = c["type"].as_str().unwrap_or("string");
                json_path(o, c["jsonPath"].as_str().unwrap_or_default())
                    .map_or(Value::Null, |v| custom_cell(ty, v, now))
            }));
            cells
        })
        .collect();
    (defs, rows)
}

/// `cellForJSONValue`: a found value as the column type shows it; a value of the wrong type is
/// an empty cell, and a `date` becomes an age.
fn custom_cell(ty: &str, v: &Value, now: i128) -> Value {
    match (ty, v) {
        (_, Value::Null) => Value::Null,
        // String columns print whatever the path found, as the JSONPath printer would.
        ("string", v) => json!(go_text(v)),
        ("integer", Value::Number(n)) => {
            n.as_i64().map_or_else(|| n.as_f64().map_or(Value::Null, |f| json!(f.trunc() as i64)), |i| json!(i))
        }
        ("number", Value::Number(n)) => n.as_i64().map_or_else(|| json!(n.as_f64()), |i| json!(i)),
        ("boolean", Value::Bool(b)) => json!(b),
        ("date", Value::String(s)) => json!(clock::age(s, now)),
        _ => Value::Null,
    }
}

/// A JSON value as Go's `fmt.Print` shows the decoded form (the JSONPath text printer).
fn go_text(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        Value::Array(a) => format!("[{}]", a.iter().map(go_text).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            format!(
                "map[{}]",
                keys.iter().map(|k| format!("{k}:{}", go_text(&m[k.as_str()]))).collect::<Vec<_>>().join(" ")
            )
        }
    }
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
    fn custom_cells_follow_the_column_type() {
        let now = 1_795_473_424 * 1_000_000_000;
        assert_eq!(custom_cell("date", &json!("2026-11-23T22:36:04Z"), now), json!("60s"));
        assert_eq!(custom_cell("date", &json!("2026-11-23T21:34:25Z"), now), json!("62m"));
        assert_eq!(custom_cell("date", &json!("not a time"), now), json!("<invalid>"));
        assert_eq!(custom_cell("date", &json!(""), now), json!("<unknown>"));
        assert_eq!(custom_cell("date", &json!(5), now), Value::Null);
        assert_eq!(custom_cell("integer", &json!(2.7), now), json!(2));
        assert_eq!(custom_cell("integer", &json!("2"), now), Value::Null);
        assert_eq!(custom_cell("number", &json!(1.5), now), json!(1.5));
        assert_eq!(custom_cell("boolean", &json!(true), now), json!(true));
        assert_eq!(custom_cell("boolean", &json!("true"), now), Value::Null);
        assert_eq!(custom_cell("string", &json!(3), now), json!("3"));
        assert_eq!(custom_cell("string", &json!({"b": [1, "x"], "a": true}), now), json!("map[a:true b:[1 x]]"));
    }

    #[test]
    fn json_path_filters_conditions() {
        let o = json!({"status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}});
        assert_eq!(json_path(&o, ".status.conditions[?(@.type==\"Ready\")].status"), Some(&json!("True")));
        assert_eq!(json_path(&o, ".status.conditions[0].type"), Some(&json!("Synced")));
        assert_eq!(json_path(&o, ".spec.missing"), None);
    }
}
