//! Field validation with the API server's rules and wording.
//!
//! Every check here returns [`Cause`]s whose `field` and `message` read like the real server's
//! `details.causes[]`: `metadata.name` / `Invalid value: "Foo": a lowercase RFC 1123 subdomain
//! must consist of ...`. An empty list means the value is valid. The rules follow the Kubernetes
//! apimachinery sources (name formats, label and annotation rules, owner references, finalizers)
//! and the core API's Secret and ConfigMap validation; the messages are rebuilt from those rules,
//! including their quirks (the ConfigMap size cause sits on the field `[]`, a generated-name prefix
//! has its trailing dash masked by dropping two bytes).
//!
//! Length limits count bytes, as the server does. Messages say `must be no more than N bytes`,
//! the wording of apimachinery's current `validate/content` package (older servers said
//! "characters").
//!
//! Secret and ConfigMap bodies also go through the steps the server runs before validation:
//! base64 decoding (a failure there is a 400 `BadRequest`, not a 422 cause), merging
//! `stringData`, defaulting `type`, and re-encoding `data` canonically.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::cause::Cause;

/// The largest total size of a Secret's `data` or a ConfigMap's `data` plus `binaryData`.
const MAX_DATA_SIZE: usize = 1024 * 1024;
/// The largest total size of all annotation keys and values.
const MAX_ANNOTATIONS_SIZE: usize = 256 * 1024;
const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const LABEL_NAME_MAX: usize = 63;
const LABEL_VALUE_MAX: usize = 63;
/// The characters a generated-name suffix is drawn from (no vowels, no confusable digits).
const NAME_SUFFIX_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";
/// A generated name is at most 63 bytes: the base keeps at most 58 of them, then 5 random ones.
const MAX_GENERATED_BASE_LEN: usize = 58;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', \
     and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
     characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', \
     start with an alphabetic character, and end with an alphanumeric character";
const LABEL_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', \
     and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, \
     '-', '_' or '.', and must start and end with an alphanumeric character";
const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

const IMMUTABLE_MSG: &str = "field is immutable";
const FROZEN_MSG: &str = "field is immutable when `immutable` is set";
const REDACTED: &str = "<secret contents redacted>";

/// How an object's `metadata.name` (and `generateName`) must be formed; each kind has one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameRule {
    /// A DNS-1123 subdomain (≤253 bytes, lowercase alphanumerics, `-` and `.`): most kinds,
    /// ConfigMaps, Secrets, Deployments, custom resources.
    Subdomain,
    /// A DNS-1123 label (≤63 bytes, no dots): Namespaces.
    Label,
    /// A DNS-1035 label (a DNS-1123 label that starts with a letter): Services, unless the
    /// server runs with the `RelaxedServiceNameValidation` gate, which makes them [`NameRule::Label`].
    Dns1035Label,
    /// Anything that is safe as one URL path segment (not `.` or `..`, no `/` or `%`), with no
    /// length limit: RBAC roles and bindings, for example.
    PathSegment,
}

/// Checks that `value` is a DNS-1123 subdomain (≤253 bytes): one cause per broken rule, on `field`.
pub fn dns1123_subdomain(field: &str, value: &str) -> Vec<Cause> {
    invalid_each(field, value, dns1123_subdomain_messages(value))
}

/// Checks that `value` is a DNS-1123 label (≤63 bytes, no dots), the rule for Namespace names.
pub fn dns1123_label(field: &str, value: &str) -> Vec<Cause> {
    invalid_each(field, value, dns1123_label_messages(value))
}

/// Checks that `value` is a DNS-1035 label (a DNS-1123 label starting with a letter), the rule for
/// Service names.
pub fn dns1035_label(field: &str, value: &str) -> Vec<Cause> {
    invalid_each(field, value, dns1035_label_messages(value))
}

/// Checks that `value` can be used as one URL path segment: not `.` or `..`, no `/` or `%`.
/// As on the server, neither emptiness nor length is checked here.
pub fn path_segment_name(field: &str, value: &str) -> Vec<Cause> {
    invalid_each(field, value, path_segment_messages(value, false))
}

/// Validates an object's `metadata` on create or update, as the server's generic object-meta
/// validation does.
///
/// Call it after the name has been generated from `generateName` (the server generates first, then
/// validates), and after a cluster-scoped object's namespace has been cleared (the server drops it
/// silently; here a leftover namespace is `Forbidden`). Checks, in the server's order:
/// `generateName` as a name prefix, `name` (required, then `name_rule`), `namespace` (required and
/// a DNS-1123 label when `namespaced`), `generation` (not negative), `labels` (keys are qualified
/// names, values ≤63 bytes of `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?` or empty), `annotations`
/// (keys are qualified names, case-insensitively; keys and values together ≤256 KiB),
/// `ownerReferences` (`apiVersion` with a version, `kind`, `name` and `uid` set; no `v1 Event`
/// owner; at most one controller) and `finalizers` (qualified names; not both `orphan` and
/// `foregroundDeletion`). Built-in kinds also need [`builtin_finalizer_names`].
///
/// Map entries are checked in key order. A member of the wrong JSON type (a number where a string
/// belongs) gives a `FieldValueTypeInvalid` cause rather than passing unchecked.
pub fn object_meta(meta: &Value, namespaced: bool, name_rule: NameRule) -> Vec<Cause> {
    let mut causes = Vec::new();
    let empty = Map::new();
    let meta = match meta {
        Value::Object(map) => map,
        Value::Null => &empty,
        other => return vec![type_invalid("metadata", other, "object")],
    };

    let generate_name = meta_string(meta, "generateName", &mut causes);
    if !generate_name.is_empty() {
        for message in name_messages(name_rule, generate_name, true) {
            causes.push(invalid("metadata.generateName", generate_name, &message));
        }
    }
    let name = meta_string(meta, "name", &mut causes);
    if name.is_empty() {
        causes.push(required("metadata.name", "name or generateName is required"));
    } else {
        for message in name_messages(name_rule, name, false) {
            causes.push(invalid("metadata.name", name, &message));
        }
    }

    let namespace = meta_string(meta, "namespace", &mut causes);
    if namespaced {
        if namespace.is_empty() {
            causes.push(required("metadata.namespace", ""));
        } else {
            causes.extend(invalid_each(
                "metadata.namespace",
                namespace,
                name_messages(NameRule::Label, namespace, false),
            ));
        }
    } else if !namespace.is_empty() {
        causes.push(forbidden("metadata.namespace", "not allowed on this type"));
    }

    match meta.get("generation") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
            if let Some(generation) = n.as_i64().filter(|g| *g < 0) {
                causes.push(invalid_rendered(
                    "metadata.generation",
                    &generation.to_string(),
                    "must be greater than or equal to 0",
                ));
            }
        }
        Some(other) => causes.push(type_invalid("metadata.generation", other, "integer")),
    }

    labels("metadata.labels", meta.get("labels"), &mut causes);
    annotations("metadata.annotations", meta.get("annotations"), &mut causes);
    owner_references("metadata.ownerReferences", meta.get("ownerReferences"), &mut causes);
    finalizers("metadata.finalizers", meta.get("finalizers"), &mut causes);
    causes
}

/// The extra finalizer rule of built-in kinds (everything except custom resources, for which the
/// server only warns): a finalizer without a `/` must be one of the standard names `kubernetes`,
/// `orphan` or `foregroundDeletion`. Causes sit on `metadata.finalizers[i]`.
pub fn builtin_finalizer_names(meta: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let Some(Value::Array(list)) = meta.get("finalizers") else {
        return causes;
    };
    for (i, finalizer) in list.iter().enumerate() {
        let Some(finalizer) = finalizer.as_str() else { continue };
        if !finalizer.contains('/') && !matches!(finalizer, "kubernetes" | "orphan" | "foregroundDeletion") {
            causes.push(invalid(
                &format!("metadata.finalizers[{i}]"),
                finalizer,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    causes
}

/// The update rule for objects being deleted: once the stored object has a `deletionTimestamp`, an
/// update may remove finalizers but not add any (`metadata.finalizers` `Forbidden`).
pub fn no_new_finalizers_while_deleting(new_meta: &Value, old_meta: &Value) -> Vec<Cause> {
    if old_meta.get("deletionTimestamp").is_none_or(Value::is_null) {
        return Vec::new();
    }
    let names = |meta: &Value| -> BTreeSet<String> {
        meta.get("finalizers")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let old = names(old_meta);
    let added: Vec<String> = names(new_meta).into_iter().filter(|f| !old.contains(f)).collect();
    if added.is_empty() {
        return Vec::new();
    }
    vec![forbidden(
        "metadata.finalizers",
        &format!(
            "no new finalizers can be added if the object is being deleted, found new finalizers {}",
            go_string_slice(&added)
        ),
    )]
}

/// The 5-character suffix the server appends to `generateName`, drawn from
/// `bcdfghjklmnpqrstvwxz2456789`. The caller supplies the randomness, one byte per character
/// (taken modulo 27, so the distribution is very slightly uneven).
pub fn generate_name_suffix(random: [u8; 5]) -> String {
    random.iter().map(|b| char::from(NAME_SUFFIX_ALPHABET[usize::from(*b) % NAME_SUFFIX_ALPHABET.len()])).collect()
}

/// The name the server generates from `generate_name`: the prefix cut to its first 58 bytes (at a
/// character boundary), then [`generate_name_suffix`], so the result is at most 63 bytes.
pub fn generated_name(generate_name: &str, random: [u8; 5]) -> String {
    let mut end = generate_name.len().min(MAX_GENERATED_BASE_LEN);
    while !generate_name.is_char_boundary(end) {
        end -= 1;
    }
    let mut name = generate_name[..end].to_owned();
    name.push_str(&generate_name_suffix(random));
    name
}

/// Normalizes a Secret body the way the server decodes and defaults it, then validates it.
///
/// Normalization, in place: `data` values are base64-decoded with Go's rules (padding required,
/// `\r` and `\n` ignored, unused trailing bits tolerated) and re-encoded canonically; `stringData`
/// entries overwrite `data` entries of the same key and `stringData` is removed; `type` defaults to
/// `Opaque`; an empty `data` is dropped.
///
/// `Ok` carries the 422 causes. With `old` (the stored Secret, on update), `type` is immutable, and
/// `immutable: true` freezes `data` and cannot be unset. Always: `data` keys must match
/// `[-._a-zA-Z0-9]+` (≤253 bytes, not `.`, `..` or `..`-prefixed), all values together are at most
/// 1 MiB, and typed Secrets need their keys (`kubernetes.io/tls`: `tls.crt` and `tls.key`;
/// `kubernetes.io/basic-auth`: `username` or `password`; `kubernetes.io/ssh-auth`: a non-empty
/// `ssh-privatekey`; `kubernetes.io/dockercfg` and `kubernetes.io/dockerconfigjson`: their key,
/// holding a JSON object; `kubernetes.io/service-account-token`: the
/// `kubernetes.io/service-account.name` annotation). `metadata` is not checked here: use
/// [`object_meta`].
///
/// # Errors
///
/// The 400 `BadRequest` message for a body the server cannot decode (bad base64 or a member of
/// the wrong JSON type), e.g. `Secret in version "v1" cannot be handled as a Secret: illegal
/// base64 data at input byte 4`.
pub fn normalize_and_validate_secret(new: &mut Value, old: Option<&Value>) -> Result<Vec<Cause>, String> {
    const KIND: &str = "Secret";
    let shape = json_kind(new);
    let Value::Object(body) = new else {
        return Err(decode_error(KIND, &format!("json: cannot unmarshal {shape} into Go value of type v1.Secret")));
    };

    let mut data = decode_bytes_map(KIND, "data", body.get("data"))?;
    match body.remove("stringData") {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (key, value) in entries {
                match value {
                    Value::String(text) => data.insert(key, text.into_bytes()),
                    Value::Null => data.insert(key, Vec::new()),
                    other => return Err(type_error(KIND, "stringData", &other, "string")),
                };
            }
        }
        Some(other) => return Err(type_error(KIND, "stringData", &other, "map[string]string")),
    }
    let secret_type = match body.get("type") {
        None | Some(Value::Null) => "Opaque".to_owned(),
        Some(Value::String(t)) if t.is_empty() => "Opaque".to_owned(),
        Some(Value::String(t)) => t.clone(),
        Some(other) => return Err(type_error(KIND, "type", other, "v1.SecretType")),
    };
    let immutable = optional_bool(KIND, body.get("immutable"))?;

    body.insert("type".to_owned(), Value::String(secret_type.clone()));
    if data.is_empty() {
        body.remove("data");
    } else {
        let encoded = data.iter().map(|(k, v)| (k.clone(), Value::String(STANDARD.encode(v)))).collect();
        body.insert("data".to_owned(), Value::Object(encoded));
    }

    let mut causes = Vec::new();
    if let Some(old) = old {
        let old_type = old.get("type").and_then(Value::as_str).filter(|t| !t.is_empty()).unwrap_or("Opaque");
        if secret_type != old_type {
            causes.push(invalid("type", &secret_type, IMMUTABLE_MSG));
        }
        if old.get("immutable").and_then(Value::as_bool) == Some(true) {
            if immutable != Some(true) {
                causes.push(forbidden("immutable", FROZEN_MSG));
            }
            if decode_bytes_map(KIND, "data", old.get("data")).ok().as_ref() != Some(&data) {
                causes.push(forbidden("data", FROZEN_MSG));
            }
        }
    }

    for key in data.keys() {
        causes.extend(invalid_each(&format!("data[{key}]"), key, config_key_messages(key)));
    }
    if data.values().map(Vec::len).sum::<usize>() > MAX_DATA_SIZE {
        causes.push(too_long("data", MAX_DATA_SIZE));
    }
    causes.extend(typed_secret_keys(&secret_type, &data, new));
    Ok(causes)
}

/// Normalizes a ConfigMap body the way the server decodes it, then validates it.
///
/// Normalization, in place: `binaryData` values are base64-decoded with Go's rules and re-encoded
/// canonically, `null` `data` values become `""`, and empty `data`/`binaryData` maps are dropped.
///
/// `Ok` carries the 422 causes: with `old` (on update) `immutable: true` freezes `data` and
/// `binaryData` and cannot be unset; keys of both maps follow the Secret key rule, no key may be
/// in both, and all values together are at most 1 MiB (that cause sits on the field `[]`, as on
/// the server). `metadata` is not checked here: use [`object_meta`].
///
/// # Errors
///
/// The 400 `BadRequest` message for an undecodable body (bad base64 in `binaryData`, or a member
/// of the wrong JSON type): `ConfigMap in version "v1" cannot be handled as a ConfigMap: ...`.
pub fn normalize_and_validate_config_map(new: &mut Value, old: Option<&Value>) -> Result<Vec<Cause>, String> {
    const KIND: &str = "ConfigMap";
    let shape = json_kind(new);
    let Value::Object(body) = new else {
        return Err(decode_error(KIND, &format!("json: cannot unmarshal {shape} into Go value of type v1.ConfigMap")));
    };
    let data = decode_string_map(KIND, "data", body.get("data"))?;
    let binary = decode_bytes_map(KIND, "binaryData", body.get("binaryData"))?;
    let immutable = optional_bool(KIND, body.get("immutable"))?;

    if data.is_empty() {
        body.remove("data");
    } else {
        let entries = data.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        body.insert("data".to_owned(), Value::Object(entries));
    }
    if binary.is_empty() {
        body.remove("binaryData");
    } else {
        let entries = binary.iter().map(|(k, v)| (k.clone(), Value::String(STANDARD.encode(v)))).collect();
        body.insert("binaryData".to_owned(), Value::Object(entries));
    }

    let mut causes = Vec::new();
    if let Some(old) = old
        && old.get("immutable").and_then(Value::as_bool) == Some(true)
    {
        if immutable != Some(true) {
            causes.push(forbidden("immutable", FROZEN_MSG));
        }
        if decode_string_map(KIND, "data", old.get("data")).ok().as_ref() != Some(&data) {
            causes.push(forbidden("data", FROZEN_MSG));
        }
        if decode_bytes_map(KIND, "binaryData", old.get("binaryData")).ok().as_ref() != Some(&binary) {
            causes.push(forbidden("binaryData", FROZEN_MSG));
        }
    }

    for key in data.keys() {
        let field = format!("data[{key}]");
        causes.extend(invalid_each(&field, key, config_key_messages(key)));
        if binary.contains_key(key) {
            causes.push(invalid(&field, key, "duplicate of key present in binaryData"));
        }
    }
    for key in binary.keys() {
        causes.extend(invalid_each(&format!("binaryData[{key}]"), key, config_key_messages(key)));
    }
    let total = data.values().map(String::len).sum::<usize>() + binary.values().map(Vec::len).sum::<usize>();
    if total > MAX_DATA_SIZE {
        // The server builds this path from an empty name, which prints as `[]`.
        causes.push(too_long("[]", MAX_DATA_SIZE));
    }
    Ok(causes)
}

// ----------------------------------------------------------------------------------------------
// Messages of the format checks (apimachinery's `validate/content` wording).

pub(crate) fn dns1123_label_messages(value: &str) -> Vec<String> {
    let mut messages = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        messages.push(max_len_message(DNS1123_LABEL_MAX));
    }
    if !is_dns1123_label(value) {
        if is_dns1123_subdomain(value) {
            messages.push("must not contain dots".to_owned());
        } else {
            messages.push(regex_message(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, &["my-name", "123-abc"]));
        }
    }
    messages
}

pub(crate) fn dns1123_subdomain_messages(value: &str) -> Vec<String> {
    let mut messages = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        messages.push(max_len_message(DNS1123_SUBDOMAIN_MAX));
    }
    if !is_dns1123_subdomain(value) {
        messages.push(regex_message(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, &["example.com"]));
    }
    messages
}

fn dns1035_label_messages(value: &str) -> Vec<String> {
    let mut messages = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        messages.push(max_len_message(DNS1123_LABEL_MAX));
    }
    let bytes = value.as_bytes();
    let valid = bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.last().is_some_and(|b| is_lower_alnum(*b))
        && bytes.iter().all(|b| is_lower_alnum(*b) || *b == b'-');
    if !valid {
        messages.push(regex_message(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, &["my-name", "abc-123"]));
    }
    messages
}

fn path_segment_messages(value: &str, prefix: bool) -> Vec<String> {
    if !prefix && (value == "." || value == "..") {
        return vec![format!("may not be '{value}'")];
    }
    ["/", "%"].iter().filter(|bad| value.contains(**bad)).map(|bad| format!("may not contain '{bad}'")).collect()
}

/// The messages for a label key, also called a qualified name: an optional DNS-1123 subdomain
/// prefix and `/`, then a name of at most 63 bytes.
pub(crate) fn label_key_messages(value: &str) -> Vec<String> {
    let mut messages = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                messages.push("prefix part must be non-empty".to_owned());
            } else {
                messages.extend(dns1123_subdomain_messages(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            *name
        }
        _ => {
            let shape = regex_message(LABEL_NAME_MSG, LABEL_NAME_FMT, &["MyName", "my.name", "123-abc"]);
            return vec![format!(
                "a valid label key {shape} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            )];
        }
    };
    if name.is_empty() {
        messages.push("name part must be non-empty".to_owned());
    } else if name.len() > LABEL_NAME_MAX {
        messages.push(format!("name part {}", max_len_message(LABEL_NAME_MAX)));
    }
    if !is_label_name(name) {
        messages.push(format!(
            "name part {}",
            regex_message(LABEL_NAME_MSG, LABEL_NAME_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    messages
}

/// The messages for a label value: empty, or at most 63 bytes of `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
pub(crate) fn label_value_messages(value: &str) -> Vec<String> {
    let mut messages = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        messages.push(max_len_message(LABEL_VALUE_MAX));
    }
    if !value.is_empty() && !is_label_name(value) {
        messages.push(regex_message(LABEL_VALUE_MSG, LABEL_VALUE_FMT, &["MyValue", "my_value", "12345"]));
    }
    messages
}

fn config_key_messages(value: &str) -> Vec<String> {
    let mut messages = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        messages.push(max_len_message(DNS1123_SUBDOMAIN_MAX));
    }
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        messages.push(regex_message(CONFIG_KEY_MSG, CONFIG_KEY_FMT, &["key.name", "KEY_NAME", "key-name"]));
    }
    if value == "." {
        messages.push("must not be '.'".to_owned());
    } else if value == ".." {
        messages.push("must not be '..'".to_owned());
    } else if value.starts_with("..") {
        messages.push("must not start with '..'".to_owned());
    }
    messages
}

fn name_messages(rule: NameRule, name: &str, prefix: bool) -> Vec<String> {
    let masked;
    let name = if prefix && rule != NameRule::PathSegment {
        masked = mask_trailing_dash(name);
        masked.as_str()
    } else {
        name
    };
    match rule {
        NameRule::Subdomain => dns1123_subdomain_messages(name),
        NameRule::Label => dns1123_label_messages(name),
        NameRule::Dns1035Label => dns1035_label_messages(name),
        NameRule::PathSegment => path_segment_messages(name, prefix),
    }
}

/// The server checks a name prefix by replacing a trailing `-` so that the rest can pass the name
/// rule, but it drops the last *two* bytes before appending `a` (`"foo-"` is checked as `"foa"`).
fn mask_trailing_dash(name: &str) -> String {
    if !name.ends_with('-') {
        return name.to_owned();
    }
    match name.len().checked_sub(2).and_then(|end| name.get(..end)) {
        Some(kept) => format!("{kept}a"),
        // A lone `-` (the server's slicing would fail), or a multi-byte character before the dash
        // (which fails the format anyway): keep everything but the dash.
        None => format!("{}a", &name[..name.len() - 1]),
    }
}

fn max_len_message(max: usize) -> String {
    format!("must be no more than {max} bytes")
}

fn regex_message(message: &str, format: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{message} (regex used for validation is '{format}')");
    }
    // The server separates examples with "', " followed by " or ", hence the double space.
    let examples: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!("{message} (e.g. {}regex used for validation is '{format}')", examples.join(" or "))
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_dns1123_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.first().is_some_and(|b| is_lower_alnum(*b))
        && bytes.last().is_some_and(|b| is_lower_alnum(*b))
        && bytes.iter().all(|b| is_lower_alnum(*b) || *b == b'-')
}

fn is_dns1123_subdomain(value: &str) -> bool {
    value.split('.').all(is_dns1123_label)
}

fn is_label_name(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

// ----------------------------------------------------------------------------------------------
// Metadata parts.

fn meta_string<'a>(meta: &'a Map<String, Value>, key: &str, causes: &mut Vec<Cause>) -> &'a str {
    match meta.get(key) {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            causes.push(type_invalid(&format!("metadata.{key}"), other, "string"));
            ""
        }
    }
}

fn labels(field: &str, labels: Option<&Value>, causes: &mut Vec<Cause>) {
    let Some(map) = string_map_entries(field, labels, causes) else { return };
    for (key, value) in map {
        causes.extend(invalid_each(field, key, label_key_messages(key)));
        causes.extend(invalid_each(field, value, label_value_messages(value)));
    }
}

fn annotations(field: &str, annotations: Option<&Value>, causes: &mut Vec<Cause>) {
    let Some(map) = string_map_entries(field, annotations, causes) else { return };
    let mut size = 0usize;
    for (key, value) in map {
        // Annotation keys are qualified names compared case-insensitively; the cause shows the key as sent.
        causes.extend(invalid_each(field, key, label_key_messages(&key.to_lowercase())));
        size += key.len() + value.len();
    }
    if size > MAX_ANNOTATIONS_SIZE {
        causes.push(too_long(field, MAX_ANNOTATIONS_SIZE));
    }
}

/// The entries of a `map[string]string` member in key order; wrong JSON types become causes.
fn string_map_entries<'a>(
    field: &str,
    value: Option<&'a Value>,
    causes: &mut Vec<Cause>,
) -> Option<Vec<(&'a String, &'a str)>> {
    let map = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Object(map)) => map,
        Some(other) => {
            causes.push(type_invalid(field, other, "object"));
            return None;
        }
    };
    let mut entries = Vec::with_capacity(map.len());
    for (key, value) in map {
        match value {
            Value::String(s) => entries.push((key, s.as_str())),
            Value::Null => entries.push((key, "")),
            other => causes.push(type_invalid(&format!("{field}[{key}]"), other, "string")),
        }
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    Some(entries)
}

fn owner_references(field: &str, refs: Option<&Value>, causes: &mut Vec<Cause>) {
    let list = match refs {
        None | Some(Value::Null) => return,
        Some(Value::Array(list)) => list,
        Some(other) => {
            causes.push(type_invalid(field, other, "array"));
            return;
        }
    };
    let mut first_controller: Option<String> = None;
    for (i, reference) in list.iter().enumerate() {
        let Value::Object(reference) = reference else {
            causes.push(type_invalid(&format!("{field}[{i}]"), reference, "object"));
            continue;
        };
        let text = |key: &str, causes: &mut Vec<Cause>| -> String {
            match reference.get(key) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    causes.push(type_invalid(&format!("{field}[{i}].{key}"), other, "string"));
                    String::new()
                }
            }
        };
        let api_version = text("apiVersion", causes);
        let kind = text("kind", causes);
        let name = text("name", causes);
        let uid = text("uid", causes);
        let flag = |key: &str| reference.get(key).and_then(Value::as_bool);
        let (controller, block) = (flag("controller"), flag("blockOwnerDeletion"));

        // The server parses `apiVersion` into group and version (a third `/` yields neither), and
        // reports every cause of one reference on the unindexed `ownerReferences` path.
        let (group, version) = match api_version.matches('/').count() {
            _ if api_version.is_empty() || api_version == "/" => ("", ""),
            0 => ("", api_version.as_str()),
            1 => api_version.split_once('/').unwrap_or(("", "")),
            _ => ("", ""),
        };
        if version.is_empty() {
            causes.push(invalid(&format!("{field}.apiVersion"), &api_version, "version must not be empty"));
        }
        if kind.is_empty() {
            causes.push(invalid(&format!("{field}.kind"), &kind, "must not be empty"));
        }
        if name.is_empty() {
            causes.push(invalid(&format!("{field}.name"), &name, "must not be empty"));
        }
        if uid.is_empty() {
            causes.push(invalid(&format!("{field}.uid"), &uid, "must not be empty"));
        }
        if group.is_empty() && version == "v1" && kind == "Event" {
            let rendered = format!(
                "&OwnerReference{{APIVersion:{api_version},Kind:{kind},Name:{name},UID:{uid},Controller:{},\
                 BlockOwnerDeletion:{},}}",
                go_bool_pointer(controller),
                go_bool_pointer(block)
            );
            causes.push(invalid_rendered(
                field,
                &rendered,
                &format!("{group}/{version}, Kind={kind} is disallowed from being an owner"),
            ));
        }
        if controller == Some(true) {
            let current = format!("{kind}/{name}");
            match &first_controller {
                Some(first) => {
                    let rendered = go_owner_references(list);
                    let detail = format!(
                        "Only one reference can have Controller set to true. \
                         Found \"true\" in references for {first} and {current}"
                    );
                    causes.push(invalid_rendered(field, &rendered, &detail));
                }
                None => first_controller = Some(current),
            }
        }
    }
}

fn finalizers(field: &str, finalizers: Option<&Value>, causes: &mut Vec<Cause>) {
    let list = match finalizers {
        None | Some(Value::Null) => return,
        Some(Value::Array(list)) => list,
        Some(other) => {
            causes.push(type_invalid(field, other, "array"));
            return;
        }
    };
    let mut names = Vec::with_capacity(list.len());
    for (i, finalizer) in list.iter().enumerate() {
        match finalizer.as_str() {
            Some(name) => {
                causes.extend(invalid_each(field, name, label_key_messages(name)));
                names.push(name.to_owned());
            }
            None => causes.push(type_invalid(&format!("{field}[{i}]"), finalizer, "string")),
        }
    }
    if names.iter().any(|f| f == "orphan") && names.iter().any(|f| f == "foregroundDeletion") {
        causes.push(invalid_rendered(
            field,
            &go_string_slice(&names),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
}

// ----------------------------------------------------------------------------------------------
// Secret and ConfigMap decoding.

fn typed_secret_keys(secret_type: &str, data: &BTreeMap<String, Vec<u8>>, secret: &Value) -> Vec<Cause> {
    let need = |key: &str| -> Vec<Cause> {
        if data.contains_key(key) { Vec::new() } else { vec![required(&format!("data[{key}]"), "")] }
    };
    match secret_type {
        "kubernetes.io/service-account-token" => {
            const ANNOTATION: &str = "kubernetes.io/service-account.name";
            let named = secret
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(ANNOTATION))
                .and_then(Value::as_str)
                .is_some_and(|name| !name.is_empty());
            if named { Vec::new() } else { vec![required(&format!("metadata.annotations[{ANNOTATION}]"), "")] }
        }
        "kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson" => {
            let key = if secret_type == "kubernetes.io/dockercfg" { ".dockercfg" } else { ".dockerconfigjson" };
            match data.get(key) {
                None => need(key),
                Some(bytes) => match go_json_object_error(bytes) {
                    Some(message) => vec![invalid(&format!("data[{key}]"), REDACTED, &message)],
                    None => Vec::new(),
                },
            }
        }
        "kubernetes.io/basic-auth" => {
            if data.contains_key("username") || data.contains_key("password") {
                Vec::new()
            } else {
                vec![required("data[username]", ""), required("data[password]", "")]
            }
        }
        "kubernetes.io/ssh-auth" => {
            if data.get("ssh-privatekey").is_some_and(|k| !k.is_empty()) {
                Vec::new()
            } else {
                vec![required("data[ssh-privatekey]", "")]
            }
        }
        "kubernetes.io/tls" => [need("tls.crt"), need("tls.key")].concat(),
        _ => Vec::new(),
    }
}

/// Decodes a `map[string][]byte` member (values base64 in JSON); a missing or `null` map is empty.
fn decode_bytes_map(kind: &str, member: &str, value: Option<&Value>) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let map = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(type_error(kind, member, other, "map[string][]uint8")),
    };
    let mut decoded = BTreeMap::new();
    for (key, value) in map {
        let bytes = match value {
            Value::String(text) => go_base64_decode(text.as_bytes())
                .map_err(|at| decode_error(kind, &format!("illegal base64 data at input byte {at}")))?,
            Value::Null => Vec::new(),
            other => return Err(type_error(kind, member, other, "[]uint8")),
        };
        decoded.insert(key.clone(), bytes);
    }
    Ok(decoded)
}

/// Decodes a `map[string]string` member; a missing or `null` map is empty and `null` values are `""`.
fn decode_string_map(kind: &str, member: &str, value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    let map = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(type_error(kind, member, other, "map[string]string")),
    };
    let mut decoded = BTreeMap::new();
    for (key, value) in map {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => return Err(type_error(kind, member, other, "string")),
        };
        decoded.insert(key.clone(), text);
    }
    Ok(decoded)
}

fn optional_bool(kind: &str, value: Option<&Value>) -> Result<Option<bool>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(type_error(kind, "immutable", other, "bool")),
    }
}

fn decode_error(kind: &str, detail: &str) -> String {
    format!("{kind} in version \"v1\" cannot be handled as a {kind}: {detail}")
}

fn type_error(kind: &str, member: &str, value: &Value, go_type: &str) -> String {
    decode_error(
        kind,
        &format!("json: cannot unmarshal {} into Go struct field {kind}.{member} of type {go_type}", json_kind(value)),
    )
}

/// Go's `encoding/base64` standard decoding, which the server's JSON decoder uses for `[]byte`:
/// padding is required, `\r` and `\n` are skipped anywhere, and unused trailing bits are ignored.
/// `Err` is the byte offset Go reports (`illegal base64 data at input byte N`).
fn go_base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let is_newline = |c: u8| c == b'\n' || c == b'\r';
    let len = src.len();
    let mut out = Vec::with_capacity(len / 4 * 3);
    let mut si = 0;
    while si < len {
        let mut quantum = [0u32; 4];
        let mut filled = 4;
        let mut trailing_garbage = None;
        let mut j = 0;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            };
            si += 1;
            if let Some(v) = sextet(c) {
                quantum[j] = v;
                j += 1;
                continue;
            }
            if is_newline(c) {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                // A second `=` must follow, possibly after line breaks.
                while src.get(si).is_some_and(|c| is_newline(*c)) {
                    si += 1;
                }
                match src.get(si) {
                    None => return Err(len),
                    Some(b'=') => si += 1,
                    Some(_) => return Err(si - 1),
                }
            }
            while src.get(si).is_some_and(|c| is_newline(*c)) {
                si += 1;
            }
            if si < len {
                trailing_garbage = Some(si);
            }
            filled = j;
            break;
        }
        let value = quantum[0] << 18 | quantum[1] << 12 | quantum[2] << 6 | quantum[3];
        let bytes = [(value >> 16) as u8, (value >> 8) as u8, value as u8];
        out.extend_from_slice(&bytes[..filled - 1]);
        if let Some(at) = trailing_garbage {
            return Err(at);
        }
    }
    Ok(out)
}

/// What Go's `json.Unmarshal` into a `map[string]interface{}` says about `bytes`, or `None` when it
/// accepts them (a JSON object, or `null`). Syntax errors are worded like Go's for the common cases.
fn go_json_object_error(bytes: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(_) | Value::Null) => None,
        Ok(other) => Some(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(error) if error.is_eof() => Some("unexpected end of JSON input".to_owned()),
        Err(error) => {
            let offending = nth_char_at(bytes, error.line(), error.column());
            let context = if error.to_string().starts_with("trailing characters") {
                "after top-level value"
            } else {
                "looking for beginning of value"
            };
            Some(match offending {
                Some('\'') => format!("invalid character '\\'' {context}"),
                Some(c) => format!("invalid character '{c}' {context}"),
                None => format!("invalid character {context}"),
            })
        }
    }
}

/// The character at a 1-based line and column of `bytes`, as `serde_json` reports error positions.
fn nth_char_at(bytes: &[u8], line: usize, column: usize) -> Option<char> {
    let text = String::from_utf8_lossy(bytes);
    text.split('\n').nth(line.checked_sub(1)?)?.chars().nth(column.checked_sub(1)?)
}

// ----------------------------------------------------------------------------------------------
// Causes and Go-style value rendering.

fn invalid_each(field: &str, value: &str, messages: Vec<String>) -> Vec<Cause> {
    messages.into_iter().map(|message| invalid(field, value, &message)).collect()
}

fn invalid(field: &str, value: &str, detail: &str) -> Cause {
    invalid_rendered(field, &crate::golang::quote(value), detail)
}

fn invalid_rendered(field: &str, rendered: &str, detail: &str) -> Cause {
    Cause::new("FieldValueInvalid", field, with_detail(&format!("Invalid value: {rendered}"), detail))
}

fn required(field: &str, detail: &str) -> Cause {
    Cause::new("FieldValueRequired", field, with_detail("Required value", detail))
}

fn forbidden(field: &str, detail: &str) -> Cause {
    Cause::new("FieldValueForbidden", field, with_detail("Forbidden", detail))
}

fn too_long(field: &str, max: usize) -> Cause {
    Cause::new("FieldValueTooLong", field, format!("Too long: must have at most {max} bytes"))
}

fn type_invalid(field: &str, value: &Value, expected: &str) -> Cause {
    Cause::new(
        "FieldValueTypeInvalid",
        field,
        format!("Invalid value: \"{}\": {field} must be of type {expected}", json_kind(value)),
    )
}

fn with_detail(head: &str, detail: &str) -> String {
    if detail.is_empty() { head.to_owned() } else { format!("{head}: {detail}") }
}

/// The JSON type name Go's decoder uses in `cannot unmarshal <kind>` messages.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A string slice as Go's `%#v` prints it: `[]string{"a", "b"}`, or `[]string(nil)` when empty.
pub(crate) fn go_string_slice(values: &[String]) -> String {
    if values.is_empty() {
        return "[]string(nil)".to_owned();
    }
    let quoted: Vec<String> = values.iter().map(|v| crate::golang::quote(v)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn go_bool_pointer(value: Option<bool>) -> String {
    value.map_or_else(|| "nil".to_owned(), |b| format!("*{b}"))
}

/// Owner references as Go's `%#v` prints the slice. Go prints the address of each `*bool`; a fixed
/// placeholder stands in for it here.
fn go_owner_references(list: &[Value]) -> String {
    let text =
        |reference: &Value, key: &str| crate::golang::quote(reference.get(key).and_then(Value::as_str).unwrap_or(""));
    let pointer = |reference: &Value, key: &str| match reference.get(key).and_then(Value::as_bool) {
        Some(_) => "(*bool)(0xc000000000)",
        None => "(*bool)(nil)",
    };
    let items: Vec<String> = list
        .iter()
        .map(|r| {
            format!(
                "v1.OwnerReference{{APIVersion:{}, Kind:{}, Name:{}, UID:{}, Controller:{}, BlockOwnerDeletion:{}}}",
                text(r, "apiVersion"),
                text(r, "kind"),
                text(r, "name"),
                text(r, "uid"),
                pointer(r, "controller"),
                pointer(r, "blockOwnerDeletion")
            )
        })
        .collect();
    format!("[]v1.OwnerReference{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SUBDOMAIN_REGEX_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
        characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used \
        for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const LABEL_NAME_REGEX_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and \
        end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is \
        '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    fn messages(causes: &[Cause]) -> Vec<String> {
        causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect()
    }

    fn meta(value: Value) -> Vec<String> {
        messages(&object_meta(&value, true, NameRule::Subdomain))
    }

    fn secret(mut body: Value, old: Option<&Value>) -> (Value, Result<Vec<String>, String>) {
        let result = normalize_and_validate_secret(&mut body, old).map(|c| messages(&c));
        (body, result)
    }

    #[test]
    fn uppercase_name_gets_the_servers_subdomain_message() {
        let causes = dns1123_subdomain("metadata.name", "Foo");
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].reason, "FieldValueInvalid");
        assert_eq!(causes[0].field, "metadata.name");
        assert_eq!(causes[0].message, format!("Invalid value: \"Foo\": {SUBDOMAIN_REGEX_MSG}"));
    }

    #[test]
    fn subdomain_accepts_dotted_lowercase_names_up_to_253_bytes() {
        assert!(dns1123_subdomain("f", "my-app.example.com").is_empty());
        assert!(dns1123_subdomain("f", "0abc").is_empty());
        let long = format!("{}.{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
        assert_eq!(long.len(), 253);
        assert!(dns1123_subdomain("f", &long).is_empty());
    }

    #[test]
    fn subdomain_too_long_reports_length_only_when_format_is_fine() {
        let causes = dns1123_subdomain("metadata.name", &"a".repeat(254));
        assert_eq!(causes.len(), 1);
        assert!(causes[0].message.ends_with("\": must be no more than 253 bytes"));
    }

    #[test]
    fn subdomain_rejects_empty_segments_and_edge_dashes() {
        for bad in ["", "a..b", ".a", "a.", "-a", "a-", "a_b", "a.-b", "é"] {
            assert_eq!(dns1123_subdomain("f", bad).len(), 1, "{bad}");
        }
    }

    #[test]
    fn label_with_dots_says_it_must_not_contain_dots() {
        let causes = dns1123_label("metadata.name", "a.b");
        assert_eq!(messages(&causes), ["metadata.name: Invalid value: \"a.b\": must not contain dots"]);
    }

    #[test]
    fn label_rejects_bad_characters_with_two_examples() {
        let causes = dns1123_label("metadata.name", "A");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \
             '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used \
             for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        );
    }

    #[test]
    fn label_over_63_bytes_is_too_long() {
        assert!(dns1123_label("f", &"a".repeat(63)).is_empty());
        let causes = dns1123_label("f", &"a".repeat(64));
        assert_eq!(causes.len(), 1);
        assert!(causes[0].message.ends_with("must be no more than 63 bytes"));
    }

    #[test]
    fn dns1035_label_must_start_with_a_letter() {
        assert!(dns1035_label("f", "web-1").is_empty());
        let causes = dns1035_label("metadata.name", "1web");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', \
             start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or \
             'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        );
    }

    #[test]
    fn path_segment_names_refuse_dots_slashes_and_percent_only() {
        assert!(path_segment_name("f", "system:controller:Thing_1").is_empty());
        assert!(path_segment_name("f", "").is_empty());
        assert_eq!(messages(&path_segment_name("f", "..")), ["f: Invalid value: \"..\": may not be '..'"]);
        assert_eq!(messages(&path_segment_name("f", ".")), ["f: Invalid value: \".\": may not be '.'"]);
        assert_eq!(
            messages(&path_segment_name("f", "a/b%c")),
            ["f: Invalid value: \"a/b%c\": may not contain '/'", "f: Invalid value: \"a/b%c\": may not contain '%'"]
        );
    }

    #[test]
    fn missing_name_and_generate_name_is_required() {
        assert_eq!(
            meta(json!({"namespace": "default"})),
            ["metadata.name: Required value: name or generateName is required"]
        );
        let causes = object_meta(&json!({"namespace": "default"}), true, NameRule::Subdomain);
        assert_eq!(causes[0].reason, "FieldValueRequired");
    }

    #[test]
    fn valid_metadata_has_no_causes() {
        let value = json!({
            "name": "web", "namespace": "default", "generateName": "web-",
            "labels": {"app": "web", "example.com/tier": "", "a_b.c-d": "V_1.x"},
            "annotations": {"Example.COM/Note": "anything goes here"},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u", "controller": true}
            ],
            "finalizers": ["example.com/cleanup", "kubernetes"],
        });
        assert!(meta(value).is_empty());
    }

    #[test]
    fn namespaced_object_needs_a_label_namespace() {
        assert_eq!(meta(json!({"name": "a"})), ["metadata.namespace: Required value"]);
        assert_eq!(
            meta(json!({"name": "a", "namespace": "a.b"})),
            ["metadata.namespace: Invalid value: \"a.b\": must not contain dots"]
        );
    }

    #[test]
    fn cluster_scoped_object_must_not_keep_a_namespace() {
        let causes = object_meta(&json!({"name": "a", "namespace": "x"}), false, NameRule::Label);
        assert_eq!(messages(&causes), ["metadata.namespace: Forbidden: not allowed on this type"]);
        assert!(object_meta(&json!({"name": "a"}), false, NameRule::Label).is_empty());
    }

    #[test]
    fn namespace_names_follow_the_label_rule() {
        let causes = object_meta(&json!({"name": "kube.system"}), false, NameRule::Label);
        assert_eq!(messages(&causes), ["metadata.name: Invalid value: \"kube.system\": must not contain dots"]);
    }

    #[test]
    fn service_names_follow_the_dns1035_rule() {
        let causes = object_meta(&json!({"name": "1svc", "namespace": "d"}), true, NameRule::Dns1035Label);
        assert_eq!(causes.len(), 1);
        assert!(causes[0].message.starts_with("Invalid value: \"1svc\": a DNS-1035 label"));
    }

    #[test]
    fn path_segment_rule_applies_to_names_and_prefixes() {
        let causes =
            object_meta(&json!({"name": "a/b", "generateName": "x%", "namespace": "d"}), true, NameRule::PathSegment);
        assert_eq!(
            messages(&causes),
            [
                "metadata.generateName: Invalid value: \"x%\": may not contain '%'",
                "metadata.name: Invalid value: \"a/b\": may not contain '/'"
            ]
        );
        let ok =
            object_meta(&json!({"name": "..a", "generateName": "..", "namespace": "d"}), true, NameRule::PathSegment);
        assert!(ok.is_empty(), "a prefix may be '..': {ok:?}");
    }

    #[test]
    fn generate_name_with_trailing_dash_is_accepted_as_prefix() {
        assert!(meta(json!({"name": "web-x7k2p", "generateName": "web-", "namespace": "d"})).is_empty());
        assert!(meta(json!({"name": "ax7k2p", "generateName": "-", "namespace": "d"})).is_empty());
    }

    #[test]
    fn generate_name_is_checked_with_the_servers_two_byte_mask() {
        // "a.-" is masked to "aa" (the server drops the dot too), so it passes as a prefix.
        assert!(meta(json!({"name": "a.bcdfg", "generateName": "a.-", "namespace": "d"})).is_empty());
        let causes = meta(json!({"name": "ok", "generateName": "Web-", "namespace": "d"}));
        assert_eq!(causes, [format!("metadata.generateName: Invalid value: \"Web-\": {SUBDOMAIN_REGEX_MSG}")]);
    }

    #[test]
    fn negative_generation_is_invalid() {
        assert_eq!(
            meta(json!({"name": "a", "namespace": "d", "generation": -1})),
            ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"]
        );
    }

    #[test]
    fn bad_label_key_and_value_each_get_causes_on_the_labels_field() {
        let causes = meta(json!({"name": "a", "namespace": "d", "labels": {"-bad": "ok", "good": "bad value"}}));
        assert_eq!(
            causes,
            [
                format!("metadata.labels: Invalid value: \"-bad\": name part {LABEL_NAME_REGEX_MSG}"),
                "metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string or consist of \
                 alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character \
                 (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is \
                 '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn label_value_over_63_bytes_is_invalid() {
        let long = "v".repeat(64);
        assert_eq!(
            meta(json!({"name": "a", "namespace": "d", "labels": {"k": long}})),
            [format!("metadata.labels: Invalid value: \"{long}\": must be no more than 63 bytes")]
        );
    }

    #[test]
    fn label_key_prefix_errors_are_prefixed() {
        assert_eq!(label_key_messages("/a"), ["prefix part must be non-empty"]);
        assert_eq!(label_key_messages("Example.com/a"), [format!("prefix part {SUBDOMAIN_REGEX_MSG}")]);
        assert_eq!(
            label_key_messages("a/"),
            ["name part must be non-empty".to_owned(), format!("name part {LABEL_NAME_REGEX_MSG}")]
        );
        assert_eq!(label_key_messages(&"n".repeat(64)), ["name part must be no more than 63 bytes"]);
        assert!(label_key_messages(&format!("{}/n", "p".repeat(63))).is_empty());
    }

    #[test]
    fn label_key_with_two_slashes_gets_the_whole_key_message() {
        assert_eq!(
            label_key_messages("a/b/c"),
            [format!(
                "a valid label key {LABEL_NAME_REGEX_MSG} with an optional DNS subdomain prefix and '/' \
                 (e.g. 'example.com/MyName')"
            )]
        );
    }

    #[test]
    fn annotation_keys_are_case_insensitive_but_reported_as_sent() {
        assert!(meta(json!({"name": "a", "namespace": "d", "annotations": {"Example.COM/Key": "v"}})).is_empty());
        let causes = meta(json!({"name": "a", "namespace": "d", "annotations": {"Bad Key": "v"}}));
        assert_eq!(
            causes,
            [format!("metadata.annotations: Invalid value: \"Bad Key\": name part {LABEL_NAME_REGEX_MSG}")]
        );
    }

    #[test]
    fn annotations_over_256_kib_are_too_long() {
        let at_limit = "x".repeat(MAX_ANNOTATIONS_SIZE - 1);
        assert!(meta(json!({"name": "a", "namespace": "d", "annotations": {"k": at_limit}})).is_empty());
        let over = "x".repeat(MAX_ANNOTATIONS_SIZE);
        let causes =
            object_meta(&json!({"name": "a", "namespace": "d", "annotations": {"k": over}}), true, NameRule::Subdomain);
        assert_eq!(messages(&causes), ["metadata.annotations: Too long: must have at most 262144 bytes"]);
        assert_eq!(causes[0].reason, "FieldValueTooLong");
    }

    #[test]
    fn owner_reference_fields_are_required_on_the_unindexed_path() {
        let causes = meta(json!({"name": "a", "namespace": "d", "ownerReferences": [{"apiVersion": "apps/"}]}));
        assert_eq!(
            causes,
            [
                "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty",
                "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
                "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
                "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
            ]
        );
    }

    #[test]
    fn owner_reference_api_version_with_two_slashes_has_no_version() {
        let causes = meta(json!({"name": "a", "namespace": "d",
            "ownerReferences": [{"apiVersion": "a/b/c", "kind": "K", "name": "n", "uid": "u"}]}));
        assert_eq!(
            causes,
            ["metadata.ownerReferences.apiVersion: Invalid value: \"a/b/c\": version must not be empty"]
        );
    }

    #[test]
    fn events_cannot_own_objects() {
        let causes = meta(json!({"name": "a", "namespace": "d",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Event", "name": "e", "uid": "u", "controller": false}]}));
        assert_eq!(
            causes,
            ["metadata.ownerReferences: Invalid value: &OwnerReference{APIVersion:v1,Kind:Event,Name:e,UID:u,\
              Controller:*false,BlockOwnerDeletion:nil,}: /v1, Kind=Event is disallowed from being an owner"]
        );
    }

    #[test]
    fn only_one_owner_reference_may_be_the_controller() {
        let causes = object_meta(
            &json!({"name": "a", "namespace": "d", "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "x", "uid": "1", "controller": true},
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "y", "uid": "2", "controller": true},
            ]}),
            true,
            NameRule::Subdomain,
        );
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "metadata.ownerReferences");
        assert!(
            causes[0]
                .message
                .starts_with("Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"apps/v1\"")
        );
        assert!(causes[0].message.ends_with(
            ": Only one reference can have Controller set to true. \
             Found \"true\" in references for ReplicaSet/x and ReplicaSet/y"
        ));
    }

    #[test]
    fn finalizers_must_be_qualified_names_and_not_both_orphan_and_foreground() {
        let causes =
            meta(json!({"name": "a", "namespace": "d", "finalizers": ["orphan", "foregroundDeletion", "a b"]}));
        assert_eq!(
            causes,
            [
                format!("metadata.finalizers: Invalid value: \"a b\": name part {LABEL_NAME_REGEX_MSG}"),
                "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\", \"a b\"}: finalizer \
                 orphan and foregroundDeletion cannot be both set"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn builtin_kinds_refuse_unqualified_nonstandard_finalizers() {
        let value = json!({"finalizers": ["kubernetes", "orphan", "foregroundDeletion", "example.com/x", "mine"]});
        assert_eq!(
            messages(&builtin_finalizer_names(&value)),
            ["metadata.finalizers[4]: Invalid value: \"mine\": \
                 name is neither a standard finalizer name nor is it fully qualified"]
        );
        assert!(builtin_finalizer_names(&json!({})).is_empty());
    }

    #[test]
    fn deleting_object_may_drop_but_not_add_finalizers() {
        let old = json!({"deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["a/x", "a/y"]});
        assert!(no_new_finalizers_while_deleting(&json!({"finalizers": ["a/x"]}), &old).is_empty());
        assert_eq!(
            messages(&no_new_finalizers_while_deleting(&json!({"finalizers": ["a/z", "a/x", "a/b"]}), &old)),
            ["metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, \
                 found new finalizers []string{\"a/b\", \"a/z\"}"]
        );
        let live = json!({"finalizers": []});
        assert!(no_new_finalizers_while_deleting(&json!({"finalizers": ["a/z"]}), &live).is_empty());
    }

    #[test]
    fn wrong_json_types_in_metadata_are_type_invalid() {
        let causes = object_meta(&json!({"name": 5, "namespace": "d", "labels": {"a": 1}}), true, NameRule::Subdomain);
        assert_eq!(
            causes.iter().map(|c| (c.reason, c.field.as_str())).collect::<Vec<_>>(),
            [
                ("FieldValueTypeInvalid", "metadata.name"),
                ("FieldValueRequired", "metadata.name"),
                ("FieldValueTypeInvalid", "metadata.labels[a]")
            ]
        );
        assert_eq!(object_meta(&json!("x"), true, NameRule::Subdomain)[0].field, "metadata");
    }

    #[test]
    fn suffix_uses_the_servers_alphabet() {
        assert_eq!(generate_name_suffix([0, 1, 26, 27, 255]), "bc9bq");
        assert!(generate_name_suffix([7, 99, 200, 13, 42]).bytes().all(|b| NAME_SUFFIX_ALPHABET.contains(&b)));
    }

    #[test]
    fn generated_name_truncates_the_base_to_58_bytes() {
        assert_eq!(generated_name("web-", [0; 5]), "web-bbbbb");
        let name = generated_name(&"a".repeat(100), [1; 5]);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("aaccccc"));
        let multibyte = generated_name(&format!("{}é", "a".repeat(57)), [0; 5]);
        assert_eq!(multibyte, format!("{}bbbbb", "a".repeat(57)));
    }

    #[test]
    fn go_quote_escapes_like_go() {
        assert_eq!(
            crate::golang::quote("a\"b\\c\n\t\u{1}\u{7f}é\u{a0}\u{200b}😀"),
            "\"a\\\"b\\\\c\\n\\t\\x01\\x7fé\\u00a0\\u200b😀\""
        );
    }

    #[test]
    fn go_base64_matches_go_offsets_and_leniencies() {
        assert_eq!(go_base64_decode(b"").unwrap(), b"");
        assert_eq!(go_base64_decode(b"YWJj").unwrap(), b"abc");
        assert_eq!(go_base64_decode(b"YWI=").unwrap(), b"ab");
        assert_eq!(go_base64_decode(b"YQ==").unwrap(), b"a");
        assert_eq!(go_base64_decode(b"YR==").unwrap(), b"a", "non-zero trailing bits are ignored");
        assert_eq!(go_base64_decode(b"YW\r\nJj\n").unwrap(), b"abc", "line breaks are skipped");
        assert_eq!(go_base64_decode(b"YQ=\n=").unwrap(), b"a");
        assert_eq!(go_base64_decode(b"admin"), Err(4));
        assert_eq!(go_base64_decode(b"YQ"), Err(0));
        assert_eq!(go_base64_decode(b"YWJjZA"), Err(4));
        assert_eq!(go_base64_decode(b"YQ="), Err(3));
        assert_eq!(go_base64_decode(b"YQ=x"), Err(2));
        assert_eq!(go_base64_decode(b"YQ==YQ=="), Err(4));
        assert_eq!(go_base64_decode(b"Y==="), Err(1));
        assert_eq!(go_base64_decode(b"=YWJ"), Err(0));
        assert_eq!(go_base64_decode(b"YW Jj"), Err(2));
        assert_eq!(go_base64_decode(b"YWJj-_"), Err(4));
    }

    #[test]
    fn secret_string_data_is_merged_encoded_and_removed() {
        let (body, causes) = secret(
            json!({"metadata": {"name": "s"}, "data": {"a": "b2xk", "b": "eA=="}, "stringData": {"a": "new", "c": ""}}),
            None,
        );
        assert_eq!(causes, Ok(vec![]));
        assert_eq!(
            body,
            json!({"metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "bmV3", "b": "eA==", "c": ""}})
        );
    }

    #[test]
    fn secret_data_is_reencoded_canonically() {
        let (body, _) = secret(json!({"data": {"k": "YR\n=="}, "type": ""}), None);
        assert_eq!(body, json!({"data": {"k": "YQ=="}, "type": "Opaque"}));
        let (empty, _) = secret(json!({"data": {}, "stringData": null}), None);
        assert_eq!(empty, json!({"type": "Opaque"}));
    }

    #[test]
    fn secret_with_non_base64_data_is_a_bad_request() {
        let (_, result) = secret(json!({"data": {"username": "admin"}}), None);
        assert_eq!(
            result,
            Err("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 4"
                .to_owned())
        );
    }

    #[test]
    fn secret_members_of_the_wrong_type_are_bad_requests() {
        let (_, result) = secret(json!({"data": {"k": 1}}), None);
        assert_eq!(
            result,
            Err(
                "Secret in version \"v1\" cannot be handled as a Secret: json: cannot unmarshal number into Go struct \
                 field Secret.data of type []uint8"
                    .to_owned()
            )
        );
        assert!(secret(json!({"stringData": []}), None).1.is_err());
        assert!(secret(json!({"type": 3}), None).1.is_err());
        assert!(secret(json!({"immutable": "yes"}), None).1.is_err());
        assert!(normalize_and_validate_secret(&mut json!([]), None).is_err());
    }

    #[test]
    fn secret_keys_must_be_config_keys() {
        let (_, result) = secret(json!({"stringData": {"bad key": "x", "..": "y", "..a": "z"}}), None);
        assert_eq!(
            result,
            Ok(vec![
                "data[..]: Invalid value: \"..\": must not be '..'".to_owned(),
                "data[..a]: Invalid value: \"..a\": must not start with '..'".to_owned(),
                "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric \
                 characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for \
                 validation is '[-._a-zA-Z0-9]+')"
                    .to_owned(),
            ])
        );
        let (_, long) = secret(json!({"stringData": {"k".repeat(254): "x"}}), None);
        assert_eq!(long.map(|c| c.len()), Ok(1));
    }

    #[test]
    fn secret_data_over_one_mebibyte_is_too_long() {
        let (_, at_limit) = secret(json!({"stringData": {"k": "x".repeat(MAX_DATA_SIZE)}}), None);
        assert_eq!(at_limit, Ok(vec![]));
        let (_, over) = secret(json!({"stringData": {"k": "x".repeat(MAX_DATA_SIZE), "l": "y"}}), None);
        assert_eq!(over, Ok(vec!["data: Too long: must have at most 1048576 bytes".to_owned()]));
    }

    #[test]
    fn tls_secret_needs_both_keys() {
        let (_, result) = secret(json!({"type": "kubernetes.io/tls", "stringData": {"tls.crt": "c"}}), None);
        assert_eq!(result, Ok(vec!["data[tls.key]: Required value".to_owned()]));
        let (_, ok) = secret(json!({"type": "kubernetes.io/tls", "stringData": {"tls.crt": "", "tls.key": ""}}), None);
        assert_eq!(ok, Ok(vec![]));
    }

    #[test]
    fn basic_auth_secret_needs_username_or_password() {
        let (_, none) = secret(json!({"type": "kubernetes.io/basic-auth"}), None);
        assert_eq!(
            none,
            Ok(vec!["data[username]: Required value".to_owned(), "data[password]: Required value".to_owned()])
        );
        let (_, one) = secret(json!({"type": "kubernetes.io/basic-auth", "stringData": {"password": ""}}), None);
        assert_eq!(one, Ok(vec![]));
    }

    #[test]
    fn ssh_auth_secret_needs_a_non_empty_private_key() {
        let (_, empty) = secret(json!({"type": "kubernetes.io/ssh-auth", "stringData": {"ssh-privatekey": ""}}), None);
        assert_eq!(empty, Ok(vec!["data[ssh-privatekey]: Required value".to_owned()]));
    }

    #[test]
    fn docker_config_secrets_need_a_json_object() {
        let (_, missing) = secret(json!({"type": "kubernetes.io/dockerconfigjson"}), None);
        assert_eq!(missing, Ok(vec!["data[.dockerconfigjson]: Required value".to_owned()]));
        let (_, ok) = secret(
            json!({"type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": "{\"auths\":{}}"}}),
            None,
        );
        assert_eq!(ok, Ok(vec![]));
        let (_, array) = secret(json!({"type": "kubernetes.io/dockercfg", "stringData": {".dockercfg": "[]"}}), None);
        assert_eq!(
            array,
            Ok(vec![
                "data[.dockercfg]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into \
                     Go value of type map[string]interface {}"
                    .to_owned()
            ])
        );
        let (_, broken) = secret(json!({"type": "kubernetes.io/dockercfg", "stringData": {".dockercfg": "{"}}), None);
        assert_eq!(
            broken,
            Ok(vec![
                "data[.dockercfg]: Invalid value: \"<secret contents redacted>\": unexpected end of JSON input"
                    .to_owned()
            ])
        );
        let (_, garbage) = secret(json!({"type": "kubernetes.io/dockercfg", "stringData": {".dockercfg": "x"}}), None);
        assert_eq!(
            garbage,
            Ok(vec![
                "data[.dockercfg]: Invalid value: \"<secret contents redacted>\": \
                     invalid character 'x' looking for beginning of value"
                    .to_owned()
            ])
        );
    }

    #[test]
    fn service_account_token_secret_needs_the_account_annotation() {
        let (_, missing) = secret(json!({"type": "kubernetes.io/service-account-token"}), None);
        assert_eq!(
            missing,
            Ok(vec!["metadata.annotations[kubernetes.io/service-account.name]: Required value".to_owned()])
        );
        let named = json!({"type": "kubernetes.io/service-account-token",
            "metadata": {"annotations": {"kubernetes.io/service-account.name": "default"}}});
        assert_eq!(secret(named, None).1, Ok(vec![]));
    }

    #[test]
    fn secret_type_is_immutable_and_defaults_before_the_comparison() {
        let old = json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}});
        let (_, result) = secret(json!({"data": {"tls.crt": "", "tls.key": ""}}), Some(&old));
        assert_eq!(result, Ok(vec!["type: Invalid value: \"Opaque\": field is immutable".to_owned()]));
        let (_, same) =
            secret(json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}), Some(&old));
        assert_eq!(same, Ok(vec![]));
    }

    #[test]
    fn immutable_secret_freezes_data_and_cannot_be_unset() {
        let old = json!({"type": "Opaque", "immutable": true, "data": {"k": "YQ=="}});
        let (_, same) = secret(json!({"immutable": true, "data": {"k": "YR=="}}), Some(&old));
        assert_eq!(same, Ok(vec![]), "the same bytes, differently encoded, are not a change");
        let (_, changed) = secret(json!({"immutable": true, "stringData": {"k": "b"}}), Some(&old));
        assert_eq!(changed, Ok(vec!["data: Forbidden: field is immutable when `immutable` is set".to_owned()]));
        let (_, unset) = secret(json!({"data": {"k": "YQ=="}}), Some(&old));
        assert_eq!(unset, Ok(vec!["immutable: Forbidden: field is immutable when `immutable` is set".to_owned()]));
        let mutable_old = json!({"type": "Opaque", "data": {"k": "YQ=="}});
        assert_eq!(secret(json!({"immutable": true}), Some(&mutable_old)).1, Ok(vec![]));
    }

    fn config_map(mut body: Value, old: Option<&Value>) -> (Value, Result<Vec<String>, String>) {
        let result = normalize_and_validate_config_map(&mut body, old).map(|c| messages(&c));
        (body, result)
    }

    #[test]
    fn config_map_is_normalized_and_valid() {
        let (body, result) = config_map(json!({"data": {"a": "x", "n": null}, "binaryData": {"b": "AAE\n="}}), None);
        assert_eq!(result, Ok(vec![]));
        assert_eq!(body, json!({"data": {"a": "x", "n": ""}, "binaryData": {"b": "AAE="}}));
        let (empty, _) = config_map(json!({"data": {}, "binaryData": null}), None);
        assert_eq!(empty, json!({}));
    }

    #[test]
    fn config_map_key_in_data_and_binary_data_is_a_duplicate() {
        let (_, result) = config_map(json!({"data": {"k": "x"}, "binaryData": {"k": "eA=="}}), None);
        assert_eq!(
            result,
            Ok(vec!["data[k]: Invalid value: \"k\": duplicate of key present in binaryData".to_owned()])
        );
    }

    #[test]
    fn config_map_keys_follow_the_config_key_rule() {
        let (_, result) = config_map(json!({"data": {"a/b": "x"}, "binaryData": {".": ""}}), None);
        let result = result.unwrap();
        assert_eq!(result.len(), 2);
        assert!(result[0].starts_with("data[a/b]: Invalid value: \"a/b\": a valid config key"));
        assert_eq!(result[1], "binaryData[.]: Invalid value: \".\": must not be '.'");
    }

    #[test]
    fn config_map_over_one_mebibyte_is_too_long_on_the_empty_field() {
        let (_, result) =
            config_map(json!({"data": {"a": "x".repeat(MAX_DATA_SIZE)}, "binaryData": {"b": "eA=="}}), None);
        assert_eq!(result, Ok(vec!["[]: Too long: must have at most 1048576 bytes".to_owned()]));
    }

    #[test]
    fn config_map_bad_binary_data_or_types_are_bad_requests() {
        let (_, result) = config_map(json!({"binaryData": {"b": "!"}}), None);
        assert_eq!(
            result,
            Err("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: illegal base64 data at input byte 0"
                .to_owned())
        );
        let (_, number) = config_map(json!({"data": {"a": 1}}), None);
        assert_eq!(
            number,
            Err("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go \
                 struct field ConfigMap.data of type string"
                .to_owned())
        );
    }

    #[test]
    fn immutable_config_map_freezes_both_maps_and_the_flag() {
        let old = json!({"immutable": true, "data": {"a": "x"}, "binaryData": {"b": "eA=="}});
        assert_eq!(
            config_map(json!({"immutable": true, "data": {"a": "x"}, "binaryData": {"b": "eA=="}}), Some(&old)).1,
            Ok(vec![])
        );
        let (_, changed) = config_map(json!({"data": {"a": "y"}}), Some(&old));
        assert_eq!(
            changed,
            Ok(vec![
                "immutable: Forbidden: field is immutable when `immutable` is set".to_owned(),
                "data: Forbidden: field is immutable when `immutable` is set".to_owned(),
                "binaryData: Forbidden: field is immutable when `immutable` is set".to_owned(),
            ])
        );
        assert_eq!(config_map(json!({"data": {"a": "y"}}), Some(&json!({"data": {"a": "x"}}))).1, Ok(vec![]));
    }
}
