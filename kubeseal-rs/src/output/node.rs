//! The value tree both printers read, and its construction from Kubernetes types in the field
//! order of upstream's Go structs, with Go's `omitempty` rules.

use std::collections::BTreeMap;

use kubeseal_crds::SealedSecret;
use kubeseal_crds::k8s::k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, OwnerReference};
use kubeseal_crds::k8s::{ObjectMeta, Time, jiff};

/// A JSON value whose maps keep the order they were built in.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Any other number, already in its JSON spelling.
    Number(String),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Node>),
    /// A map, in output order (JSON); the YAML printer sorts it.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string node.
    pub fn str(text: impl Into<String>) -> Self {
        Node::Str(text.into())
    }

    /// A map node from a sorted string map (Go sorts map keys byte-wise when marshalling).
    fn string_map(map: &BTreeMap<String, String>) -> Self {
        Node::Map(map.iter().map(|(k, v)| (k.clone(), Node::str(v))).collect())
    }

    /// Converts an arbitrary JSON value (serde_json sorts object keys, as Go does for maps).
    fn from_json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Node::Null,
            serde_json::Value::Bool(b) => Node::Bool(*b),
            serde_json::Value::Number(n) => n.as_i64().map_or_else(|| Node::Number(n.to_string()), Node::Int),
            serde_json::Value::String(s) => Node::str(s),
            serde_json::Value::Array(items) => Node::List(items.iter().map(Node::from_json).collect()),
            serde_json::Value::Object(map) => {
                Node::Map(map.iter().map(|(k, v)| (k.clone(), Node::from_json(v))).collect())
            }
        }
    }
}

/// Builds a map, leaving out the entries that Go's `omitempty` would drop.
#[derive(Default)]
struct MapBuilder(Vec<(String, Node)>);

impl MapBuilder {
    fn always(mut self, key: &str, value: Node) -> Self {
        self.0.push((key.to_owned(), value));
        self
    }

    fn string(self, key: &str, value: Option<&String>) -> Self {
        match value {
            Some(v) if !v.is_empty() => self.always(key, Node::str(v)),
            _ => self,
        }
    }

    fn int(self, key: &str, value: Option<i64>) -> Self {
        match value {
            Some(v) if v != 0 => self.always(key, Node::Int(v)),
            _ => self,
        }
    }

    fn pointer(self, key: &str, value: Option<Node>) -> Self {
        match value {
            Some(v) => self.always(key, v),
            None => self,
        }
    }

    fn string_map(self, key: &str, value: Option<&BTreeMap<String, String>>) -> Self {
        match value {
            Some(m) if !m.is_empty() => self.always(key, Node::string_map(m)),
            _ => self,
        }
    }

    fn list<T>(self, key: &str, value: Option<&Vec<T>>, item: impl Fn(&T) -> Node) -> Self {
        match value {
            Some(items) if !items.is_empty() => self.always(key, Node::List(items.iter().map(item).collect())),
            _ => self,
        }
    }

    fn time(self, key: &str, value: Option<&Time>) -> Self {
        self.pointer(key, value.map(time))
    }

    fn build(self) -> Node {
        Node::Map(self.0)
    }
}

/// `metav1.Time` as Go marshals it: RFC 3339 in UTC, whole seconds.
fn time(t: &Time) -> Node {
    let text = jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", t.0).unwrap_or_else(|_| t.0.to_string());
    Node::Str(text)
}

/// `metav1.ObjectMeta` in Go field order.
pub fn object_meta(meta: &ObjectMeta) -> Node {
    MapBuilder::default()
        .string("name", meta.name.as_ref())
        .string("generateName", meta.generate_name.as_ref())
        .string("namespace", meta.namespace.as_ref())
        .string("selfLink", meta.self_link.as_ref())
        .string("uid", meta.uid.as_ref())
        .string("resourceVersion", meta.resource_version.as_ref())
        .int("generation", meta.generation)
        .time("creationTimestamp", meta.creation_timestamp.as_ref())
        .time("deletionTimestamp", meta.deletion_timestamp.as_ref())
        .pointer("deletionGracePeriodSeconds", meta.deletion_grace_period_seconds.map(Node::Int))
        .string_map("labels", meta.labels.as_ref())
        .string_map("annotations", meta.annotations.as_ref())
        .list("ownerReferences", meta.owner_references.as_ref(), owner_reference)
        .list("finalizers", meta.finalizers.as_ref(), |f| Node::str(f))
        .list("managedFields", meta.managed_fields.as_ref(), managed_fields_entry)
        .build()
}

fn owner_reference(owner: &OwnerReference) -> Node {
    MapBuilder::default()
        .always("apiVersion", Node::str(&owner.api_version))
        .always("kind", Node::str(&owner.kind))
        .always("name", Node::str(&owner.name))
        .always("uid", Node::str(&owner.uid))
        .pointer("controller", owner.controller.map(Node::Bool))
        .pointer("blockOwnerDeletion", owner.block_owner_deletion.map(Node::Bool))
        .build()
}

fn managed_fields_entry(entry: &ManagedFieldsEntry) -> Node {
    MapBuilder::default()
        .string("manager", entry.manager.as_ref())
        .string("operation", entry.operation.as_ref())
        .string("apiVersion", entry.api_version.as_ref())
        .time("time", entry.time.as_ref())
        .string("fieldsType", entry.fields_type.as_ref())
        .pointer("fieldsV1", entry.fields_v1.as_ref().map(|f| Node::from_json(&f.0)))
        .string("subresource", entry.subresource.as_ref())
        .build()
}

/// A SealedSecret in upstream's field order: `kind`, `apiVersion`, `metadata`, `spec`.
pub fn sealed_secret(ss: &SealedSecret) -> Node {
    let template = &ss.spec.template;
    let template = MapBuilder::default()
        .always("metadata", template.metadata.as_ref().map_or_else(|| Node::Map(Vec::new()), object_meta))
        .string("type", template.type_.as_ref())
        .pointer("immutable", template.immutable.map(Node::Bool))
        .string_map("data", template.data.as_ref())
        .build();
    let spec = MapBuilder::default()
        .always("template", template)
        .pointer("data", ss.spec.data.as_ref().map(|d| Node::str(kubeseal_sealing::format::encode_base64(&d.0))))
        .always("encryptedData", Node::string_map(&ss.spec.encrypted_data))
        .build();
    MapBuilder::default()
        .always("kind", Node::str("SealedSecret"))
        .always("apiVersion", Node::str("bitnami.com/v1alpha1"))
        .always("metadata", object_meta(&ss.metadata))
        .always("spec", spec)
        .build()
}

/// A core/v1 Secret in Go field order: `kind`, `apiVersion`, `metadata`, `immutable`, `data`
/// (base64), `stringData`, `type`.
pub fn secret(secret: &kubeseal_crds::k8s::Secret) -> Node {
    let data = secret.data.as_ref().filter(|d| !d.is_empty()).map(|d| {
        Node::Map(
            d.iter().map(|(k, v)| (k.clone(), Node::str(kubeseal_sealing::format::encode_base64(&v.0)))).collect(),
        )
    });
    MapBuilder::default()
        .always("kind", Node::str("Secret"))
        .always("apiVersion", Node::str("v1"))
        .always("metadata", object_meta(&secret.metadata))
        .pointer("immutable", secret.immutable.map(Node::Bool))
        .pointer("data", data)
        .string_map("stringData", secret.string_data.as_ref())
        .string("type", secret.type_.as_ref())
        .build()
}
