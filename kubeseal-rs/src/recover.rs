//! `--recovery-unseal`: opening SealedSecrets offline with private keys from a backup
//! (reference §5.5), the way the controller opens them (§4.5).
//!
//! Key files are read as upstream reads them: a PEM private key (the first key block; PKCS#1
//! or PKCS#8 RSA, or a PKCS#8 X25519 key for the v2 envelope), otherwise a `kind: List` of
//! Secrets or one or more Secret documents (JSON or YAML, what `kubectl get secret -o yaml`
//! prints), each holding its key in `data["tls.key"]` and, for kubeseal-rs controllers, the v2
//! key in `data["x25519.key"]`.
//!
//! Unsealing follows the controller: the scope comes from the SealedSecret's top-level
//! annotations, `template.data` is rendered over the decrypted values, the legacy `spec.data`
//! format is accepted, and the Secret carries the controller's ownerReference. Errors name the
//! object and the keys that failed; nothing is printed unless every document opened.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};
use kubeseal_crds::annotations;
use kubeseal_crds::k8s::{ByteString, OwnerReference, Secret};
use kubeseal_crds::{SealedSecret, SecretTemplateSpec};
use kubeseal_sealing::{KeyRing, Label, RsaPrivateKey, Scope, X25519PrivateKey};
use kubeseal_template::{FunctionSet, Options, Template, Value as TemplateValue};
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::input;
use crate::output::{self, Format};

/// The Secret data key holding the RSA private key, in upstream's key Secrets.
const TLS_KEY: &str = "tls.key";
/// The Secret data key holding the X25519 private key, in kubeseal-rs key Secrets.
const X25519_KEY: &str = "x25519.key";
/// Replaces every template execution error text, which may quote a decrypted value.
const TEMPLATE_ERROR_WITHHELD: &str = "execution failed";

/// Reads every `--recovery-private-key` file into one key ring.
pub fn load_keys(paths: &[String]) -> Result<KeyRing> {
    let mut ring = KeyRing::new();
    for path in paths.iter().filter(|p| !p.is_empty()) {
        let bytes =
            Zeroizing::new(std::fs::read(path).with_context(|| format!("cannot read private key file {path:?}"))?);
        let text = std::str::from_utf8(&bytes).map_err(|_| anyhow!("{path}: private key file is not valid UTF-8"))?;
        add_keys_from_text(&mut ring, text).with_context(|| path.clone())?;
    }
    if ring.is_empty() {
        bail!("--recovery-unseal needs at least one --recovery-private-key");
    }
    Ok(ring)
}

fn add_keys_from_text(ring: &mut KeyRing, text: &str) -> Result<()> {
    // Every key gets the same creation time: the ring then tries them in the order given.
    let created = SystemTime::UNIX_EPOCH;
    if text.contains("-----BEGIN") {
        match (RsaPrivateKey::from_pem(text), X25519PrivateKey::from_pem(text)) {
            (Ok(key), _) => ring.add_rsa(key, created),
            (Err(_), Ok(key)) => ring.add_x25519(key, created),
            (Err(e), Err(_)) => bail!("no usable private key: {e}"),
        };
        return Ok(());
    }
    let documents = input::parse_documents(text).context("neither a PEM private key nor a JSON or YAML Secret")?;
    let mut secrets = Vec::new();
    for doc in documents.into_iter().filter(|d| !d.is_null()) {
        if doc.get("kind").and_then(Value::as_str) == Some("List") {
            secrets.extend(doc.get("items").and_then(Value::as_array).into_iter().flatten().cloned());
        } else {
            secrets.push(doc);
        }
    }
    if secrets.is_empty() {
        bail!("no private key found");
    }
    for secret in &secrets {
        let name = secret.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let data = |key: &str| -> Result<Option<String>> {
            let Some(value) = secret.get("data").and_then(|d| d.get(key)) else { return Ok(None) };
            let text = value.as_str().ok_or_else(|| anyhow!("Secret {name:?}: data[{key:?}] is not a string"))?;
            let bytes = kubeseal_sealing::format::decode_base64(text)
                .map_err(|_| anyhow!("Secret {name:?}: data[{key:?}] is not valid base64"))?;
            let pem = String::from_utf8(bytes).map_err(|_| anyhow!("Secret {name:?}: data[{key:?}] is not PEM"))?;
            Ok(Some(pem))
        };
        let rsa = data(TLS_KEY)?;
        let x25519 = data(X25519_KEY)?;
        if rsa.is_none() && x25519.is_none() {
            bail!("Secret {name:?} has no data[{TLS_KEY:?}] holding a private key");
        }
        if let Some(pem) = rsa {
            let key = RsaPrivateKey::from_pem(&pem).with_context(|| format!("Secret {name:?}: data[{TLS_KEY:?}]"))?;
            ring.add_rsa(key, created);
        }
        if let Some(pem) = x25519 {
            let key =
                X25519PrivateKey::from_pem(&pem).with_context(|| format!("Secret {name:?}: data[{X25519_KEY:?}]"))?;
            ring.add_x25519(key, created);
        }
    }
    Ok(())
}

/// Opens every SealedSecret of `text` and returns the Secrets, printed in `format`.
pub fn unseal_documents(text: &[u8], source: &str, keys: &KeyRing, format: Format) -> Result<Vec<u8>> {
    let sealed = read_sealed_secrets(text, source)?;
    let count = sealed.len();
    let mut out = String::new();
    for (i, ss) in sealed.iter().enumerate() {
        let secret = unseal(ss, keys).map_err(|e| {
            let what = format!("cannot unseal SealedSecret {:?}", object_name(ss));
            if count > 1 {
                anyhow!("{source}: document {}: {what}: {e}", i + 1)
            } else {
                anyhow!("{source}: {what}: {e}")
            }
        })?;
        format.write_document(&output::secret(&secret), &mut out);
    }
    Ok(out.into_bytes())
}

/// `namespace/name`, or just the name for an object without a namespace.
fn object_name(ss: &SealedSecret) -> String {
    let name = ss.metadata.name.as_deref().unwrap_or_default();
    match ss.metadata.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    }
}

/// Decodes SealedSecret documents (JSON or YAML, several allowed).
pub fn read_sealed_secrets(text: &[u8], source: &str) -> Result<Vec<SealedSecret>> {
    let text = std::str::from_utf8(text).map_err(|_| anyhow!("{source}: input is not valid UTF-8"))?;
    let documents =
        input::parse_documents(text).with_context(|| format!("{source}: cannot parse the input as JSON or YAML"))?;
    let mut sealed = Vec::new();
    for (i, doc) in documents.into_iter().enumerate().filter(|(_, d)| !d.is_null()) {
        sealed.push(sealed_secret_from_value(doc).with_context(|| format!("{source}: document {}", i + 1))?);
    }
    if sealed.is_empty() {
        bail!("{source}: no SealedSecret found in the input");
    }
    Ok(sealed)
}

/// Decodes one SealedSecret; `kind` and `apiVersion` must say so, as upstream's decoder requires.
pub fn sealed_secret_from_value(doc: Value) -> Result<SealedSecret> {
    if !doc.is_object() {
        bail!("expected a SealedSecret object");
    }
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    let version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    if kind != "SealedSecret" || version != "bitnami.com/v1alpha1" {
        bail!("expected apiVersion \"bitnami.com/v1alpha1\" and kind \"SealedSecret\", found {version:?} and {kind:?}");
    }
    // serde's text can quote the offending value (a ciphertext, a template): only its kind.
    serde_json::from_value(doc).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "a field has the wrong type or a required field is missing",
            _ => "it cannot be decoded",
        };
        anyhow!("not a valid SealedSecret: {what}")
    })
}

/// The label the values are bound to, from the SealedSecret's own name, namespace and top-level
/// scope annotations.
pub fn scope_of(ss: &SealedSecret) -> Scope {
    let get = |key: &str| ss.metadata.annotations.as_ref().and_then(|a| a.get(key)).map(String::as_str);
    Scope::from_annotation_values(get(annotations::CLUSTER_WIDE), get(annotations::NAMESPACE_WIDE))
}

fn label_of(ss: &SealedSecret) -> Label {
    scope_of(ss).label(ss.metadata.namespace.as_deref().unwrap_or(""), ss.metadata.name.as_deref().unwrap_or(""))
}

/// Failures grouped by message, `<message> (<key>, <key>)`, one line per message, as upstream
/// groups them (its order is random; here it is sorted).
#[derive(Default)]
struct Failures(BTreeMap<String, BTreeSet<String>>);

impl Failures {
    fn add(&mut self, key: &str, message: impl ToString) {
        self.0.entry(message.to_string()).or_default().insert(key.to_owned());
    }

    fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = self
            .0
            .into_iter()
            .map(|(message, keys)| format!("{message} ({})", keys.into_iter().collect::<Vec<_>>().join(", ")))
            .collect();
        Err(anyhow!(lines.join("\n")))
    }
}

/// Opens one SealedSecret into the Secret the controller would create.
pub fn unseal(ss: &SealedSecret, keys: &KeyRing) -> Result<Secret> {
    let label = label_of(ss);
    let template = &ss.spec.template;
    let mut secret = if let Some(legacy) = &ss.spec.data {
        if !ss.spec.encrypted_data.is_empty() {
            bail!("SealedSecret sets both the deprecated 'data' field and 'encryptedData'");
        }
        let opened = keys.open(&label, &legacy.0, None)?;
        serde_json::from_slice::<Secret>(opened.plaintext.expose_secret())
            .map_err(|_| anyhow!("deprecated 'data' field does not hold a valid Secret"))?
    } else {
        let mut failures = Failures::default();
        let mut items: BTreeMap<String, SecretSlice<u8>> = BTreeMap::new();
        let mut hint = None;
        for (key, text) in &ss.spec.encrypted_data {
            match keys.open_base64(&label, text, hint.as_ref()) {
                Ok(opened) => {
                    if let kubeseal_sealing::KeyRef::Rsa(fp) = &opened.key {
                        hint = Some(fp.clone());
                    }
                    items.insert(key.clone(), opened.plaintext);
                }
                Err(e) => failures.add(key, e),
            }
        }
        if let Some(templates) = template.data.as_ref().filter(|t| !t.is_empty()) {
            render_templates(templates, &ss.spec.encrypted_data, &mut items, &mut failures);
        }
        failures.into_result()?;
        secret_from_items(template, items)
    };
    secret.metadata.namespace = ss.metadata.namespace.clone();
    secret.metadata.name = ss.metadata.name.clone();
    let template_annotations = template.metadata.as_ref().and_then(|m| m.annotations.as_ref());
    if !annotations::is_true(template_annotations, annotations::SKIP_SET_OWNER_REFERENCES) {
        secret.metadata.owner_references = Some(vec![OwnerReference {
            api_version: "bitnami.com/v1alpha1".to_owned(),
            kind: "SealedSecret".to_owned(),
            name: ss.metadata.name.clone().unwrap_or_default(),
            uid: ss.metadata.uid.clone().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: None,
        }]);
    }
    Ok(secret)
}

/// The Secret from the template and the opened values: the plaintext is copied out of its
/// zeroizing buffers here and nowhere else.
fn secret_from_items(template: &SecretTemplateSpec, items: BTreeMap<String, SecretSlice<u8>>) -> Secret {
    let data: BTreeMap<String, ByteString> =
        items.iter().map(|(k, v)| (k.clone(), ByteString(v.expose_secret().to_vec()))).collect();
    Secret {
        metadata: template.metadata.clone().unwrap_or_default(),
        type_: template.type_.clone().filter(|t| !t.is_empty()),
        immutable: template.immutable,
        data: Some(data).filter(|d| !d.is_empty()),
        string_data: None,
    }
}

/// Renders `template.data` (reference §4.5 steps 4–5): the context holds the decrypted values
/// and, for keys not in `encryptedData`, the raw template texts; keys also in `encryptedData`
/// keep their decrypted value.
fn render_templates(
    templates: &BTreeMap<String, String>,
    encrypted: &BTreeMap<String, String>,
    items: &mut BTreeMap<String, SecretSlice<u8>>,
    failures: &mut Failures,
) {
    let options = Options { string_maps: true, ..Options::default() };
    let funcs = FunctionSet::sprig();
    let decrypted: Vec<Zeroizing<String>> =
        items.values().map(|v| Zeroizing::new(String::from_utf8_lossy(v.expose_secret()).into_owned())).collect();
    let mut context: BTreeMap<String, String> =
        items.keys().zip(&decrypted).map(|(k, v)| (k.clone(), v.as_str().to_owned())).collect();
    for (key, text) in templates {
        context.entry(key.clone()).or_insert_with(|| text.clone());
    }
    let context = TemplateValue::string_map(context);
    for (key, text) in templates.iter().filter(|(k, _)| !encrypted.contains_key(*k)) {
        match Template::parse(key, text, &options, &funcs).and_then(|t| t.render(&context)) {
            Ok(out) => {
                items.insert(key.clone(), SecretSlice::from(out.into_bytes()));
            }
            // Parse errors and limits describe the template text, which is not secret; an
            // execution error can carry a value in any transformed form (`fail (b64enc .x)`).
            Err(e @ (kubeseal_template::Error::Parse { .. } | kubeseal_template::Error::Limit { .. })) => {
                failures.add(key, e.to_string());
            }
            Err(_) => failures.add(key, format!("template: {key}: {TEMPLATE_ERROR_WITHHELD}")),
        }
    }
    if let TemplateValue::Map(map) = context {
        for (_, value) in map {
            if let TemplateValue::String(s) = value {
                drop(Zeroizing::new(s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeseal_crds::SealedSecretSpec;
    use kubeseal_crds::k8s::ObjectMeta;
    use kubeseal_sealing::Recipient;

    fn sealed(key: &X25519PrivateKey, items: &[(&str, &str)], templates: &[(&str, &str)]) -> SealedSecret {
        let label = Scope::Strict.label("ns", "app");
        let encrypted_data = items
            .iter()
            .map(|(k, v)| (k.to_string(), Recipient::V2(key.public_key()).seal_base64(&label, v.as_bytes()).unwrap()))
            .collect();
        let template = SecretTemplateSpec {
            metadata: Some(ObjectMeta { labels: Some([("a".into(), "b".into())].into()), ..ObjectMeta::default() }),
            type_: Some("Opaque".into()),
            immutable: None,
            data: Some(templates.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        };
        SealedSecret {
            metadata: ObjectMeta { name: Some("app".into()), namespace: Some("ns".into()), ..ObjectMeta::default() },
            spec: SealedSecretSpec { template, data: None, encrypted_data },
            status: None,
        }
    }

    fn data(secret: &Secret) -> BTreeMap<String, String> {
        secret.data.iter().flatten().map(|(k, v)| (k.clone(), String::from_utf8(v.0.clone()).unwrap())).collect()
    }

    #[test]
    fn templates_render_over_the_decrypted_values_and_encrypted_values_win() {
        let key = X25519PrivateKey::generate().unwrap();
        let copy = X25519PrivateKey::from_pem(key.to_pkcs8_pem().unwrap().expose_secret()).unwrap();
        let mut ring = KeyRing::new();
        ring.add_x25519(copy, SystemTime::UNIX_EPOCH);
        let ss = sealed(&key, &[("user", "admin"), ("pass", "pw")], &[("url", "db://{{ .user }}@host"), ("pass", "x")]);
        let secret = unseal(&ss, &ring).unwrap();
        let expected: BTreeMap<String, String> =
            [("pass", "pw"), ("url", "db://admin@host"), ("user", "admin")].map(|(k, v)| (k.into(), v.into())).into();
        assert_eq!(data(&secret), expected);
        assert_eq!(secret.metadata.name.as_deref(), Some("app"));
        assert_eq!(secret.metadata.owner_references.unwrap()[0].controller, Some(true));
    }

    #[test]
    fn template_execution_errors_never_carry_a_value_in_any_form() {
        let key = X25519PrivateKey::generate().unwrap();
        let copy = X25519PrivateKey::from_pem(key.to_pkcs8_pem().unwrap().expose_secret()).unwrap();
        let mut ring = KeyRing::new();
        ring.add_x25519(copy, SystemTime::UNIX_EPOCH);
        let value = "hunter2-MARKER";
        let b64 = kubeseal_sealing::format::encode_base64(value.as_bytes());
        for template in ["{{ fail (b64enc .password) }}", "{{ fail (upper .password) }}", "{{ fail .password }}"] {
            let ss = sealed(&key, &[("password", value)], &[("out", template)]);
            let err = format!("{:#}", unseal(&ss, &ring).unwrap_err());
            assert!(
                !err.contains("MARKER") && !err.contains(&b64) && !err.contains(b64.trim_end_matches('=')),
                "{err}"
            );
            assert!(err.contains("template: out: execution failed"), "{err}");
        }
        let ss = sealed(&key, &[("password", value)], &[("out", "{{ .password ")]);
        let err = format!("{:#}", unseal(&ss, &ring).unwrap_err());
        assert!(err.starts_with("template: out:1: "), "parse errors describe the template text: {err}");
    }

    #[test]
    fn a_wrong_key_fails_naming_every_key() {
        let key = X25519PrivateKey::generate().unwrap();
        let mut ring = KeyRing::new();
        ring.add_x25519(X25519PrivateKey::generate().unwrap(), SystemTime::UNIX_EPOCH);
        let err = unseal(&sealed(&key, &[("b", "1"), ("a", "2")], &[]), &ring).unwrap_err();
        assert_eq!(err.to_string(), "no key could decrypt secret (a, b)");
    }

    #[test]
    fn key_secrets_in_a_list_are_read() {
        let key = X25519PrivateKey::generate().unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let b64 = kubeseal_sealing::format::encode_base64(pem.expose_secret().as_bytes());
        let list = format!("apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  data:\n    x25519.key: {b64}\n");
        let mut ring = KeyRing::new();
        add_keys_from_text(&mut ring, &list).unwrap();
        assert_eq!(ring.x25519_keys().count(), 1);
        let err = add_keys_from_text(&mut ring, "kind: Secret\nmetadata: {name: k}\ndata: {}\n").unwrap_err();
        assert!(err.to_string().contains("Secret \"k\" has no data[\"tls.key\"]"), "{err}");
    }
}
