//! The `SealedSecret` custom resource (`bitnami.com/v1alpha1`), wire-compatible with Bitnami
//! Sealed Secrets (reference: sealed-secrets §3), and its CRD.
//!
//! # Secret hygiene
//!
//! A SealedSecret holds ciphertext only, but its `Debug` output still never shows
//! `encryptedData` values, the legacy `data` envelope or `template.data` (Go templates that may
//! embed literal values): only their keys and sizes. Do not format these fields one by one with
//! `{:?}` either.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::ByteString;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::{CustomResource, CustomResourceExt};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

/// The only condition type a SealedSecret carries.
pub const CONDITION_SYNCED: &str = "Synced";

/// The desired state of a [`SealedSecret`]: encrypted values and the template of the Secret to
/// produce.
#[derive(CustomResource, Serialize, Deserialize, Clone, PartialEq, Default)]
#[kube(
    group = "bitnami.com",
    version = "v1alpha1",
    kind = "SealedSecret",
    plural = "sealedsecrets",
    singular = "sealedsecret",
    namespaced,
    status = "SealedSecretStatus",
    schema = "manual",
    doc = "A Kubernetes Secret sealed (encrypted) with the controller's public key; only the controller can unseal it."
)]
#[kube(printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.conditions[0].message"}"#)]
#[kube(printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[0].status"}"#)]
#[kube(printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretSpec {
    /// The template of the Secret to produce (metadata, type, immutability, templated data).
    #[serde(default)]
    pub template: SecretTemplateSpec,
    /// Legacy (v1) format: one envelope whose plaintext is the whole Secret as JSON
    /// (reference §1.4). `format: byte`, so base64 once on the wire. Present (even empty)
    /// selects the legacy path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ByteString>,
    /// Per-key encrypted values (base64 envelopes). Decoding is lenient like upstream's: values
    /// that are not strings are dropped, not an error; `null` or absent is empty.
    #[serde(default, deserialize_with = "lenient_string_map")]
    pub encrypted_data: BTreeMap<String, String>,
}

/// The template of the Secret a [`SealedSecret`] produces.
#[derive(Serialize, Deserialize, Clone, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SecretTemplateSpec {
    /// Metadata of the produced Secret (name and namespace are forced to the SealedSecret's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ObjectMeta>,
    /// The Secret `type`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Whether the produced Secret is immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// Keys rendered with Go templates over the decrypted values (reference §4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<BTreeMap<String, String>>,
}

/// The most recently observed status of a [`SealedSecret`] (reference §3.2).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretStatus {
    /// `metadata.generation` of the object last processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The observations; upstream writes one condition, of type [`CONDITION_SYNCED`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<SealedSecretCondition>,
}

/// One observation of a [`SealedSecret`]'s state.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretCondition {
    /// The condition type: [`CONDITION_SYNCED`].
    #[serde(rename = "type")]
    pub type_: String,
    /// `"True"` or `"False"` (upstream never writes `"Unknown"`).
    pub status: String,
    /// When the condition was last evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    /// When `status` last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// Machine-readable reason (upstream never sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable details: empty on success, the error text on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Upstream's `SealedSecretEncryptedData.UnmarshalJSON`: an object whose non-string values are
/// silently dropped; `null` is empty. Anything but an object or `null` is still an error.
fn lenient_string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let raw: Option<BTreeMap<String, serde_json::Value>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect())
}

/// Keys and value sizes only.
struct Redacted<'a>(&'a BTreeMap<String, String>);

/// A value shown as its size.
struct Size(usize);

impl fmt::Debug for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(k, v)| (k, Size(v.len())))).finish()
    }
}

impl fmt::Debug for SealedSecretSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecretSpec")
            .field("template", &self.template)
            .field("data", &self.data.as_ref().map(|d| Size(d.0.len())))
            .field("encrypted_data", &Redacted(&self.encrypted_data))
            .finish()
    }
}

impl fmt::Debug for SecretTemplateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretTemplateSpec")
            .field("metadata", &self.metadata)
            .field("type_", &self.type_)
            .field("immutable", &self.immutable)
            .field("data", &self.data.as_ref().map(Redacted))
            .finish()
    }
}

/// The schema upstream ships (reference §3.1), by hand: kube-derive's `schema = "manual"` uses
/// it in [`CustomResourceExt::crd`]. A derived schema would differ (nullable on every optional
/// field, no preserve-unknown-fields on `encryptedData`/`template.metadata`).
impl JsonSchema for SealedSecret {
    fn schema_name() -> Cow<'static, str> {
        "SealedSecret".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let string_map = || json_schema!({"type": "object", "additionalProperties": {"type": "string"}});
        json_schema!({
            "description": "A Secret encrypted for the controller's public key; only the controller can turn it back into a Secret.",
            "type": "object",
            "required": ["spec"],
            "properties": {
                "apiVersion": {
                    "description": "The group and version of this object's schema (bitnami.com/v1alpha1).",
                    "type": "string"
                },
                "kind": {
                    "description": "The kind of this object (SealedSecret).",
                    "type": "string"
                },
                "metadata": {"type": "object"},
                "spec": {
                    "description": "What to unseal and the shape of the Secret to produce.",
                    "type": "object",
                    "required": ["encryptedData"],
                    "properties": {
                        "data": {
                            "description": "Legacy: a whole Secret sealed as one value. Deprecated; use encryptedData.",
                            "type": "string",
                            "format": "byte"
                        },
                        "encryptedData": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "x-kubernetes-preserve-unknown-fields": true
                        },
                        "template": {
                            "description": "Metadata, type and extra data of the Secret the controller creates.",
                            "type": "object",
                            "properties": {
                                "data": {
                                    "description": "Extra keys whose values are Go templates rendered over the decrypted values.",
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                    "nullable": true
                                },
                                "immutable": {
                                    "description": "When true, the produced Secret is immutable: its data can no longer change.",
                                    "type": "boolean"
                                },
                                "metadata": {
                                    "description": "Labels, annotations and finalizers to put on the produced Secret.",
                                    "type": "object",
                                    "nullable": true,
                                    "properties": {
                                        "annotations": string_map(),
                                        "finalizers": {"type": "array", "items": {"type": "string"}},
                                        "labels": string_map(),
                                        "name": {"type": "string"},
                                        "namespace": {"type": "string"}
                                    },
                                    "x-kubernetes-preserve-unknown-fields": true
                                },
                                "type": {
                                    "description": "The type of the produced Secret (Opaque when empty).",
                                    "type": "string"
                                }
                            }
                        }
                    }
                },
                "status": {
                    "description": "What the controller last observed and did.",
                    "type": "object",
                    "properties": {
                        "conditions": {
                            "description": "Conditions of this object; the controller writes only Synced.",
                            "type": "array",
                            "items": {
                                "description": "One condition of the object.",
                                "type": "object",
                                "required": ["status", "type"],
                                "properties": {
                                    "lastTransitionTime": {
                                        "description": "When the status last changed.",
                                        "type": "string",
                                        "format": "date-time"
                                    },
                                    "lastUpdateTime": {
                                        "description": "When the condition was last written.",
                                        "type": "string",
                                        "format": "date-time"
                                    },
                                    "message": {
                                        "description": "Why the status is what it is (the error text when unsealing failed).",
                                        "type": "string"
                                    },
                                    "reason": {
                                        "description": "A machine-readable reason (not set by the controller).",
                                        "type": "string"
                                    },
                                    "status": {
                                        "description": "True, False or Unknown.",
                                        "type": "string"
                                    },
                                    "type": {
                                        "description": "The condition type: Synced.",
                                        "type": "string"
                                    }
                                }
                            }
                        },
                        "observedGeneration": {
                            "description": "The metadata.generation the controller last processed.",
                            "type": "integer",
                            "format": "int64"
                        }
                    }
                }
            }
        })
    }
}

/// The `sealedsecrets.bitnami.com` CRD as upstream ships it: [`CustomResourceExt::crd`] without
/// the `title` schemars adds to the root schema. Install this one.
pub fn crd() -> CustomResourceDefinition {
    let mut crd = SealedSecret::crd();
    for v in &mut crd.spec.versions {
        if let Some(s) = v.schema.as_mut().and_then(|s| s.open_api_v3_schema.as_mut()) {
            s.title = None;
        }
    }
    crd
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(spec: serde_json::Value) -> SealedSecret {
        serde_json::from_value(json!({
            "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
            "metadata": {"name": "s", "namespace": "n"}, "spec": spec,
        }))
        .expect("parses")
    }

    #[test]
    fn non_string_encrypted_values_are_dropped() {
        let s =
            parse(json!({"encryptedData": {"a": "AgB", "b": 1, "c": null, "d": {"x": "y"}, "e": ["f"], "g": true}}));
        assert_eq!(s.spec.encrypted_data, BTreeMap::from([("a".to_string(), "AgB".to_string())]));
    }

    #[test]
    fn null_or_absent_encrypted_data_is_empty() {
        assert!(parse(json!({"encryptedData": null})).spec.encrypted_data.is_empty());
        assert!(parse(json!({})).spec.encrypted_data.is_empty());
    }

    #[test]
    fn encrypted_data_that_is_not_an_object_is_an_error() {
        let r: Result<SealedSecret, _> = serde_json::from_value(json!({
            "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
            "metadata": {}, "spec": {"encryptedData": "x"},
        }));
        assert!(r.is_err());
    }

    #[test]
    fn legacy_data_is_base64_once() {
        let s = parse(json!({"data": "aGVsbG8=", "encryptedData": {}}));
        assert_eq!(s.spec.data, Some(ByteString(b"hello".to_vec())));
        let back = serde_json::to_value(&s).expect("serialises");
        assert_eq!(back["spec"]["data"], "aGVsbG8=");
    }

    #[test]
    fn round_trips_a_kubeseal_document() {
        let doc = json!({
            "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
            "metadata": {"name": "s", "namespace": "n"},
            "spec": {
                "encryptedData": {"k": "AgBy"},
                "template": {"metadata": {"name": "s", "namespace": "n", "labels": {"a": "b"}},
                             "type": "Opaque", "immutable": true, "data": {"t": "{{ .k }}"}},
            },
            "status": {"observedGeneration": 2, "conditions": [{"type": "Synced", "status": "True",
                "lastUpdateTime": "2024-01-01T00:00:00Z", "lastTransitionTime": "2024-01-01T00:00:00Z", "message": ""}]},
        });
        let s: SealedSecret = serde_json::from_value(doc.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&s).expect("serialises"), doc);
    }

    #[test]
    fn debug_hides_values() {
        let s = parse(json!({"data": "c2VjcmV0LWVudmVsb3Bl", "encryptedData": {"key1": "CIPHERTEXT"},
            "template": {"data": {"tkey": "LITERAL-IN-TEMPLATE"}}}));
        let out = format!("{s:?}");
        assert!(out.contains("key1") && out.contains("tkey"), "{out}");
        for secret in ["CIPHERTEXT", "LITERAL-IN-TEMPLATE", "c2VjcmV0", "secret-envelope"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
    }

    #[test]
    fn crd_names_and_columns() {
        let crd = crd();
        assert_eq!(crd.metadata.name.as_deref(), Some("sealedsecrets.bitnami.com"));
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.short_names, None);
        assert_eq!(crd.spec.names.categories, None);
        assert_eq!(crd.spec.names.list_kind, None);
        let v = &crd.spec.versions[0];
        let cols: Vec<_> = v
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| (c.name.as_str(), c.type_.as_str(), c.json_path.as_str()))
            .collect();
        assert_eq!(
            cols,
            [
                ("Status", "string", ".status.conditions[0].message"),
                ("Synced", "string", ".status.conditions[0].status"),
                ("Age", "date", ".metadata.creationTimestamp"),
            ]
        );
        assert!(v.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some());
        assert!(v.subresources.as_ref().and_then(|s| s.scale.as_ref()).is_none());
        let schema = serde_json::to_value(v.schema.as_ref().and_then(|s| s.open_api_v3_schema.as_ref())).expect("json");
        assert!(schema.get("title").is_none());
        let enc = &schema["properties"]["spec"]["properties"]["encryptedData"];
        assert_eq!(enc["x-kubernetes-preserve-unknown-fields"], true);
        assert_eq!(enc["additionalProperties"]["type"], "string");
        assert_eq!(schema["properties"]["spec"]["properties"]["template"]["properties"]["metadata"]["nullable"], true);
    }
}
