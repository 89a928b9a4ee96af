//! Annotation and label keys (reference: sealed-secrets §3.3). Keys live only here.
//!
//! Every boolean annotation is true only when its value is exactly `"true"`: see [`is_true`].

use std::collections::BTreeMap;

/// On a SealedSecret (unsealing) or an input Secret (sealing): `"true"` selects the cluster-wide
/// scope (empty OAEP label).
pub const CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";

/// On a SealedSecret (unsealing) or an input Secret (sealing): `"true"` selects the
/// namespace-wide scope (the label is the namespace).
pub const NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";

/// On an existing target Secret: `"true"` lets the controller overwrite and adopt it.
pub const MANAGED: &str = "sealedsecrets.bitnami.com/managed";

/// On an existing target Secret: `"true"` merges the unsealed data into it instead of replacing
/// it; no adoption unless [`MANAGED`] is also set.
pub const PATCH: &str = "sealedsecrets.bitnami.com/patch";

/// In `spec.template.metadata.annotations`: `"true"` makes the produced Secret carry no
/// ownerReference.
pub const SKIP_SET_OWNER_REFERENCES: &str = "sealedsecrets.bitnami.com/skip-set-owner-references";

/// Label on the key Secrets in the controller namespace; see [`SEALED_SECRETS_KEY_ACTIVE`].
pub const SEALED_SECRETS_KEY: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";

/// The value of the [`SEALED_SECRETS_KEY`] label that marks a key Secret for discovery.
pub const SEALED_SECRETS_KEY_ACTIVE: &str = "active";

/// SealedSecret label copied into the `ss_app_kubernetes_io_instance` metric label.
pub const APP_INSTANCE: &str = "app.kubernetes.io/instance";

/// kubectl's last-applied annotation: stripped from the template when sealing, since it would
/// carry the plaintext Secret.
pub const KUBECTL_LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// kubecfg's last-applied annotation: stripped from the template when sealing, like
/// [`KUBECTL_LAST_APPLIED`].
pub const KUBECFG_LAST_APPLIED: &str = "kubecfg.ksonnet.io/last-applied-configuration";

/// The annotations stripped from a Secret's metadata before it becomes a SealedSecret template.
pub const STRIPPED_WHEN_SEALING: &[&str] = &[KUBECTL_LAST_APPLIED, KUBECFG_LAST_APPLIED];

/// Whether the boolean annotation (or label) `key` is set: its value must be exactly `"true"`
/// (not `"True"`, `"1"` or `"yes"`), as upstream compares.
pub fn is_true(map: Option<&BTreeMap<String, String>>, key: &str) -> bool {
    map.and_then(|m| m.get(key)).is_some_and(|v| v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_true_counts() {
        let mut m = BTreeMap::new();
        assert!(!is_true(None, CLUSTER_WIDE));
        assert!(!is_true(Some(&m), CLUSTER_WIDE));
        for v in ["True", "TRUE", "1", "yes", " true", "true ", ""] {
            m.insert(CLUSTER_WIDE.to_string(), v.to_string());
            assert!(!is_true(Some(&m), CLUSTER_WIDE), "{v:?}");
        }
        m.insert(CLUSTER_WIDE.to_string(), "true".to_string());
        assert!(is_true(Some(&m), CLUSTER_WIDE));
        assert!(!is_true(Some(&m), NAMESPACE_WIDE));
    }
}
