//! Reading input Secrets: JSON (concatenated objects) when the first non-space byte is `{`,
//! otherwise YAML documents separated by `---`; empty documents are skipped (reference §5.3).

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use kubeseal_crds::k8s::ObjectMeta;
use serde_json::Value;
use zeroize::Zeroizing;

/// A core/v1 Secret as read from the input, with `data` decoded. The values are plaintext: they
/// are zeroized on drop and `Debug` shows keys and sizes only.
#[derive(Default)]
pub struct InputSecret {
    /// Metadata as given.
    pub metadata: ObjectMeta,
    /// `data`, decoded from base64; values never printed.
    pub data: BTreeMap<String, Zeroizing<Vec<u8>>>,
    /// `stringData`; values never printed.
    pub string_data: BTreeMap<String, Zeroizing<String>>,
    /// `type`.
    pub type_: Option<String>,
    /// `immutable`.
    pub immutable: Option<bool>,
}

impl std::fmt::Debug for InputSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes =
            |m: Vec<(&String, usize)>| m.into_iter().map(|(k, n)| format!("{k}: {n} bytes")).collect::<Vec<_>>();
        f.debug_struct("InputSecret")
            .field("name", &self.metadata.name)
            .field("namespace", &self.metadata.namespace)
            .field("data", &sizes(self.data.iter().map(|(k, v)| (k, v.len())).collect()))
            .field("string_data", &sizes(self.string_data.iter().map(|(k, v)| (k, v.len())).collect()))
            .field("type_", &self.type_)
            .field("immutable", &self.immutable)
            .finish_non_exhaustive()
    }
}

/// Splits `text` into documents and decodes each as a Secret. `source` names the input in errors.
pub fn read_secrets(text: &[u8], source: &str) -> Result<Vec<InputSecret>> {
    let text = std::str::from_utf8(text).map_err(|_| anyhow!("{source}: input is not valid UTF-8"))?;
    let documents =
        parse_documents(text).with_context(|| format!("{source}: cannot parse the input as JSON or YAML"))?;
    let mut secrets = Vec::new();
    for (i, doc) in documents.into_iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        let what = format!("{source}: document {}", i + 1);
        secrets.push(secret_from_value(doc).with_context(|| what)?);
    }
    if secrets.is_empty() {
        bail!("{source}: no Secret found in the input (expected a Secret as JSON or YAML)");
    }
    Ok(secrets)
}

/// Why an input could not be parsed: the format and the position only. Parser messages are
/// never passed on, since they can quote the input (serde-saphyr prints a snippet of the
/// offending lines by default), and inputs hold plaintext values and private keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    /// `"JSON"` or `"YAML"`.
    pub format: &'static str,
    /// 1-based line and column, when the parser knows them.
    pub position: Option<(u64, u64)>,
}

impl ParseError {
    /// The error of a JSON parser, without its message.
    pub fn json(e: &serde_json::Error) -> Self {
        let position = (e.line() > 0).then(|| (e.line() as u64, e.column() as u64));
        Self { format: "JSON", position }
    }

    /// The error of a YAML parser, without its message.
    pub fn yaml(e: &serde_saphyr::Error) -> Self {
        let position = e.location().filter(|l| l.line() > 0).map(|l| (l.line(), l.column()));
        Self { format: "YAML", position }
    }

    /// Moves the position down by `lines`, for a document parsed out of a larger text.
    #[must_use]
    pub fn shifted(mut self, lines: u64) -> Self {
        if let Some((line, _)) = &mut self.position {
            *line += lines;
        }
        self
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some((line, column)) => {
                write!(f, "not valid {} (syntax error at line {line}, column {column})", self.format)
            }
            None => write!(f, "not valid {}", self.format),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses YAML documents (empty ones become null) with serde-saphyr's source snippets off.
pub fn parse_yaml(text: &str) -> Result<Vec<Value>, ParseError> {
    let options = serde_saphyr::options! { with_snippet: false, crop_radius: 0 };
    serde_saphyr::from_multiple_with_options::<Value>(text, options).map_err(|e| ParseError::yaml(&e))
}

/// The one parser of every input (Secrets, SealedSecrets, key backups): concatenated JSON
/// objects when the first non-space byte is `{`, otherwise YAML documents. Errors carry the
/// position only, never input text.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, ParseError> {
    if text.trim_start().starts_with('{') {
        let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        return stream.collect::<Result<Vec<_>, _>>().map_err(|e| ParseError::json(&e));
    }
    parse_yaml(text)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Decodes one document. Unlike upstream (which decodes anything into a Secret), a document
/// that says it is another kind is refused.
fn secret_from_value(doc: Value) -> Result<InputSecret> {
    let Value::Object(mut obj) = doc else {
        bail!("expected a Secret object, found {}", type_name(&doc));
    };
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    if !kind.is_empty() && kind != "Secret" {
        let hint =
            if kind == "List" { " (kind List is not supported: pass the Secrets as separate documents)" } else { "" };
        bail!("kind is {kind:?}, expected \"Secret\"{hint}");
    }
    if let Some(version) = obj.get("apiVersion").and_then(Value::as_str).filter(|v| !v.is_empty() && *v != "v1") {
        bail!("apiVersion is {version:?}, expected \"v1\" for a Secret");
    }
    let metadata = match obj.remove("metadata") {
        None | Some(Value::Null) => ObjectMeta::default(),
        Some(meta) => serde_json::from_value(meta).map_err(|e| anyhow!("metadata: {e}"))?,
    };
    let mut data = BTreeMap::new();
    for (key, value) in string_map(obj.remove("data"), "data")? {
        let bytes = kubeseal_sealing::format::decode_base64(&value)
            .map_err(|_| anyhow!("data[{key:?}]: value is not valid base64 (use stringData for plain text)"))?;
        data.insert(key, Zeroizing::new(bytes));
    }
    let string_data =
        string_map(obj.remove("stringData"), "stringData")?.into_iter().map(|(k, v)| (k, Zeroizing::new(v))).collect();
    let type_ = match obj.remove("type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => bail!("type: expected a string, found {}", type_name(&other)),
    };
    let immutable = match obj.remove("immutable") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(other) => bail!("immutable: expected a boolean, found {}", type_name(&other)),
    };
    Ok(InputSecret { metadata, data, string_data, type_, immutable })
}

fn string_map(value: Option<Value>, field: &str) -> Result<BTreeMap<String, String>> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                Value::Null => Ok((k, String::new())),
                other => {
                    Err(anyhow!("{field}[{k:?}]: expected a string, found {} (quote the value)", type_name(&other)))
                }
            })
            .collect(),
        Some(other) => bail!("{field}: expected a map of strings, found {}", type_name(&other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_documents_are_split_and_empty_ones_skipped() {
        let text = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: dg==}\n---\n---\nmetadata:\n  name: b\nstringData:\n  k: v\n";
        let secrets = read_secrets(text.as_bytes(), "stdin").unwrap();
        assert_eq!(secrets.len(), 2);
        assert_eq!(secrets[0].data["k"].as_slice(), b"v");
        assert_eq!(secrets[1].metadata.name.as_deref(), Some("b"));
        assert_eq!(secrets[1].string_data["k"].as_str(), "v");
    }

    #[test]
    fn debug_shows_keys_and_sizes_but_no_values() {
        let text =
            "metadata: {name: db}\ndata: {token: aHVudGVyMi1NQVJLRVI=}\nstringData: {password: hunter2-MARKER}\n";
        let secrets = read_secrets(text.as_bytes(), "stdin").unwrap();
        let debug = format!("{:?} {:#?}", secrets[0], secrets[0]);
        assert!(!debug.contains("MARKER") && !debug.contains("104"), "{debug}");
        assert!(debug.contains("token: 14 bytes") && debug.contains("password: 14 bytes"), "{debug}");
    }

    #[test]
    fn concatenated_json_objects_are_read() {
        let text = r#" {"metadata":{"name":"a"},"data":{"k":"dg=="}}{"metadata":{"name":"b"},"type":"Opaque"}"#;
        let secrets = read_secrets(text.as_bytes(), "stdin").unwrap();
        assert_eq!(secrets.len(), 2);
        assert_eq!(secrets[1].type_.as_deref(), Some("Opaque"));
    }

    #[test]
    fn errors_name_the_document_and_field() {
        let err = |text: &str| format!("{:#}", read_secrets(text.as_bytes(), "in.yaml").unwrap_err());
        assert!(err("kind: ConfigMap\n").contains("in.yaml: document 1: kind is \"ConfigMap\""));
        assert!(
            err("kind: Secret\n---\ndata:\n  k: '!!!'\n")
                .contains("document 2: data[\"k\"]: value is not valid base64")
        );
        assert!(err("stringData:\n  port: 5432\n").contains("stringData[\"port\"]: expected a string, found a number"));
        assert!(err("").contains("no Secret found"));
        assert!(err("a: [").contains("cannot parse"));
    }
}
