//! Turning an input Secret into a SealedSecret (reference §5.3). Pure apart from the randomness
//! of the envelopes: the namespace and the recipient key are resolved by the caller.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use kubeseal_crds::annotations::{self, CLUSTER_WIDE, NAMESPACE_WIDE};
use kubeseal_crds::k8s::ObjectMeta;
use kubeseal_crds::{SealedSecret, SealedSecretSpec, SecretTemplateSpec};
use kubeseal_sealing::{Recipient, Scope};

use crate::input::InputSecret;

/// The namespace to give Secrets that declare none, and whether the user asked for it with
/// `-n/--namespace` (then a Secret in another namespace is an error).
#[derive(Debug, Clone)]
pub struct ClientNamespace {
    /// The namespace.
    pub name: String,
    /// Given with `-n`/`SEALED_SECRETS_NAMESPACE` rather than taken from kubeconfig or defaulted.
    pub explicit: bool,
}

/// Applies `--scope` to the Secret's annotations (only when not strict, as upstream) and returns
/// the scope the annotations then select.
pub fn apply_scope(secret: &mut InputSecret, scope_flag: Scope) -> Scope {
    if scope_flag != Scope::Strict {
        let annotations = secret.metadata.annotations.get_or_insert_with(BTreeMap::new);
        set_scope_annotation(annotations, scope_flag);
    }
    effective_scope(&secret.metadata)
}

fn effective_scope(meta: &ObjectMeta) -> Scope {
    let get = |key: &str| meta.annotations.as_ref().and_then(|a| a.get(key)).map(String::as_str);
    Scope::from_annotation_values(get(CLUSTER_WIDE), get(NAMESPACE_WIDE))
}

fn set_scope_annotation(annotations: &mut BTreeMap<String, String>, scope: Scope) {
    annotations.remove(CLUSTER_WIDE);
    annotations.remove(NAMESPACE_WIDE);
    match scope {
        Scope::ClusterWide => annotations.insert(CLUSTER_WIDE.to_owned(), "true".to_owned()),
        Scope::NamespaceWide => annotations.insert(NAMESPACE_WIDE.to_owned(), "true".to_owned()),
        _ => None,
    };
}

/// Seals one Secret whose scope annotations were already settled by [`apply_scope`].
/// `namespace` is needed unless the Secret is cluster-wide.
pub fn seal_secret(
    mut secret: InputSecret,
    namespace: Option<&ClientNamespace>,
    allow_empty_data: bool,
    recipient: Recipient<'_>,
) -> Result<SealedSecret> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    if secret.data.is_empty() && secret.string_data.is_empty() && !allow_empty_data {
        bail!("Secret {name:?} has no data or stringData: nothing to seal (pass --allow-empty-data to seal it anyway)");
    }
    if name.is_empty() {
        bail!("missing metadata.name in input Secret");
    }
    let scope = effective_scope(&secret.metadata);
    let meta = &mut secret.metadata;
    if scope != Scope::ClusterWide {
        let declared = meta.namespace.clone().unwrap_or_default();
        if let Some(ns) = namespace {
            if ns.explicit && !declared.is_empty() && declared != ns.name {
                bail!("namespace mismatch: input secret is in namespace {declared:?} but {:?} was specified", ns.name);
            }
            if declared.is_empty() {
                meta.namespace = Some(ns.name.clone());
            }
        }
    }
    meta.self_link = None;
    meta.uid = None;
    meta.resource_version = None;
    meta.generation = None;
    meta.creation_timestamp = None;
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
    let namespace = meta.namespace.clone().unwrap_or_default();
    if scope != Scope::ClusterWide && namespace.is_empty() {
        bail!("Secret {name:?} must declare a namespace");
    }

    let mut template_meta = meta.clone();
    template_meta.owner_references = None;
    if let Some(annotations) = template_meta.annotations.as_mut() {
        for key in annotations::STRIPPED_WHEN_SEALING {
            annotations.remove(*key);
        }
    }
    let mut top_annotations = BTreeMap::new();
    set_scope_annotation(&mut top_annotations, scope);
    let top_meta = ObjectMeta {
        name: Some(name.clone()),
        namespace: Some(namespace.clone()).filter(|n| !n.is_empty()),
        annotations: Some(top_annotations).filter(|a| !a.is_empty()),
        ..ObjectMeta::default()
    };

    let label = scope.label(&namespace, &name);
    let mut encrypted_data = BTreeMap::new();
    for (key, value) in &secret.data {
        encrypted_data.insert(key.clone(), recipient.seal_base64(&label, value)?);
    }
    for (key, value) in &secret.string_data {
        encrypted_data.insert(key.clone(), recipient.seal_base64(&label, value.as_bytes())?);
    }

    let spec = SealedSecretSpec {
        template: SecretTemplateSpec {
            metadata: Some(template_meta),
            type_: secret.type_.filter(|t| !t.is_empty()),
            immutable: secret.immutable,
            data: None,
        },
        data: None,
        encrypted_data,
    };
    Ok(SealedSecret { metadata: top_meta, spec, status: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeseal_sealing::X25519PrivateKey;

    fn secret(name: &str, ns: Option<&str>) -> InputSecret {
        let mut s = InputSecret::default();
        s.metadata.name = Some(name.to_owned());
        s.metadata.namespace = ns.map(str::to_owned);
        s.string_data.insert("k".into(), String::from("v").into());
        s
    }

    fn ns(name: &str, explicit: bool) -> ClientNamespace {
        ClientNamespace { name: name.to_owned(), explicit }
    }

    #[test]
    fn a_secret_without_namespace_gets_the_client_namespace() {
        let key = X25519PrivateKey::generate().unwrap();
        let ss =
            seal_secret(secret("a", None), Some(&ns("dev", false)), false, Recipient::V2(key.public_key())).unwrap();
        assert_eq!(ss.metadata.namespace.as_deref(), Some("dev"));
        assert_eq!(ss.spec.template.metadata.unwrap().namespace.as_deref(), Some("dev"));
    }

    #[test]
    fn an_explicit_namespace_must_match_the_secrets_own() {
        let key = X25519PrivateKey::generate().unwrap();
        let err = seal_secret(secret("a", Some("x")), Some(&ns("y", true)), false, Recipient::V2(key.public_key()));
        assert!(err.unwrap_err().to_string().contains("namespace mismatch"));
        let ok = seal_secret(secret("a", Some("x")), Some(&ns("y", false)), false, Recipient::V2(key.public_key()));
        assert_eq!(ok.unwrap().metadata.namespace.as_deref(), Some("x"), "the kubeconfig namespace never overrides");
    }

    #[test]
    fn scope_flag_replaces_annotations_but_strict_does_not() {
        let mut s = secret("a", None);
        s.metadata.annotations = Some([(NAMESPACE_WIDE.to_owned(), "true".to_owned())].into());
        assert_eq!(apply_scope(&mut s, Scope::Strict), Scope::NamespaceWide);
        assert_eq!(apply_scope(&mut s, Scope::ClusterWide), Scope::ClusterWide);
        let annotations = s.metadata.annotations.as_ref().unwrap();
        assert_eq!(annotations.len(), 1);
        assert_eq!(annotations[CLUSTER_WIDE], "true");
    }

    #[test]
    fn cluster_wide_secrets_keep_an_empty_namespace() {
        let key = X25519PrivateKey::generate().unwrap();
        let mut s = secret("a", None);
        apply_scope(&mut s, Scope::ClusterWide);
        let ss = seal_secret(s, None, false, Recipient::V2(key.public_key())).unwrap();
        assert_eq!(ss.metadata.namespace, None);
        assert_eq!(ss.metadata.annotations.unwrap()[CLUSTER_WIDE], "true");
    }

    #[test]
    fn empty_secrets_need_allow_empty_data() {
        let key = X25519PrivateKey::generate().unwrap();
        let mut s = secret("a", Some("x"));
        s.string_data.clear();
        let err = seal_secret(s, None, false, Recipient::V2(key.public_key())).unwrap_err();
        assert!(err.to_string().contains("--allow-empty-data"));
    }
}
