//! One reason a request was refused, as it appears in a Kubernetes `Status`'s
//! `details.causes[]`.

use serde_json::{Value, json};

/// A field-level cause of a 422 `Invalid` (or a 409 SSA conflict).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`, `FieldValueTooLong`,
    /// `FieldValueForbidden`, `FieldValueDuplicate`, `FieldValueTypeInvalid`, `FieldManagerConflict`, ...
    pub reason: &'static str,
    /// The field path as the API server writes it: `metadata.name`, `spec.ports[0].port`,
    /// `data[key]`, `.spec.replicas` for SSA conflicts.
    pub field: String,
    /// The human-readable message, as the API server words it, e.g.
    /// `Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of ...`.
    pub message: String,
}

impl Cause {
    /// A cause from its three parts.
    pub fn new(reason: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { reason, field: field.into(), message: message.into() }
    }

    /// `details.causes[]` entry: `{"reason", "message", "field"}` (`type` for field-manager conflicts,
    /// as the API server spells it there).
    pub fn to_json(&self) -> Value {
        if self.reason == "FieldManagerConflict" {
            json!({"type": self.reason, "message": self.message, "field": self.field})
        } else {
            json!({"reason": self.reason, "message": self.message, "field": self.field})
        }
    }
}
