//! Pure cores of the controller's HTTP API handlers `POST /v1/verify` and `POST /v1/rotate`
//! (reference: sealed-secrets §4.7, §7.2): the request body in, an outcome carrying the HTTP
//! status (and for rotate the response body) out. No server, no I/O.
//!
//! Both endpoints are unauthenticated in practice (anyone the API server proxy lets through), so
//! both follow the post-CVE-2026-22728 rules on purpose:
//!
//! - The scope (OAEP label / HPKE info) comes ONLY from the SealedSecret's top-level
//!   `metadata.annotations`, namespace and name, exactly as the reconciler opens values.
//!   `spec.template.metadata` never influences it.
//! - Templates (`spec.template.data`) are never executed, so neither endpoint is a decryption
//!   oracle over crafted templates (upstream PRs #2019, #2049).
//! - Outcomes are coarse: they never say which item or key failed, and never hold plaintext.
//!
//! Bodies are one JSON or YAML document, as upstream accepts (`kubeseal --validate` posts the
//! file as it is). YAML is parsed with a budget derived from the limits: no anchors or aliases,
//! one document, bounded depth, nodes and scalar bytes.

pub mod rotate;
pub mod verify;

pub use rotate::{ActiveKeys, RotateOutcome, rotate};
pub use verify::{VerifyOutcome, verify};

use kubeseal_crds::SealedSecret;

use crate::sealed::plan::{API_VERSION, KIND};

/// Request limits, checked before any private-key operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted body, in bytes. Default [`Limits::DEFAULT_MAX_BODY`] (2 MiB): a Secret
    /// holds at most 1 MiB of data, which base64 and per-value envelope overhead grow to about
    /// 1.4 MiB, so every SealedSecret the API server can store fits.
    pub max_body: usize,
    /// Most encrypted values (`encryptedData` entries plus legacy `spec.data`) in one request.
    /// Default [`Limits::DEFAULT_MAX_ITEMS`]. Each value costs up to one RSA private-key
    /// operation per controller key, so this bounds the CPU one request can burn.
    pub max_items: usize,
}

impl Limits {
    /// Default [`Limits::max_body`]: 2 MiB.
    pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024;
    /// Default [`Limits::max_items`].
    pub const DEFAULT_MAX_ITEMS: usize = 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_body: Self::DEFAULT_MAX_BODY, max_items: Self::DEFAULT_MAX_ITEMS }
    }
}

/// Why a body was rejected before any decryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Not one JSON or YAML SealedSecret with `apiVersion: bitnami.com/v1alpha1`, `kind: SealedSecret`.
    Malformed,
    /// Over [`Limits::max_body`] or [`Limits::max_items`].
    TooLarge,
}

/// YAML parsing bounded by the request limits: aliases cannot expand a small body into a large
/// tree (a 2 MiB alias bomb would otherwise grow to the parser's 64 MiB default budget).
fn yaml_options(limits: &Limits) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_total_scalar_bytes = limits.max_body;
    budget.max_aliases = 0;
    budget.max_anchors = 0;
    budget.max_documents = 1;
    budget.max_depth = 32;
    budget.max_nodes = limits.max_items.saturating_mul(4).saturating_add(256);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Checks the size, parses the body and checks apiVersion/kind and the item count. Parse errors
/// are dropped on purpose: serde's text can quote body content.
pub(crate) fn parse(body: &[u8], limits: &Limits) -> Result<SealedSecret, Rejected> {
    if body.len() > limits.max_body {
        return Err(Rejected::TooLarge);
    }
    // Upstream accepts JSON or YAML (`kubeseal --validate` posts the file as it is); one document.
    let value: serde_json::Value = if body.trim_ascii_start().starts_with(b"{") {
        serde_json::from_slice(body).map_err(|_| Rejected::Malformed)?
    } else {
        serde_saphyr::from_slice_with_options(body, yaml_options(limits)).map_err(|_| Rejected::Malformed)?
    };
    let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
    if field("apiVersion") != Some(API_VERSION) || field("kind") != Some(KIND) {
        return Err(Rejected::Malformed);
    }
    let sealed: SealedSecret = serde_json::from_value(value).map_err(|_| Rejected::Malformed)?;
    let items = sealed.spec.encrypted_data.len() + usize::from(sealed.spec.data.is_some());
    if items > limits.max_items {
        return Err(Rejected::TooLarge);
    }
    Ok(sealed)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared fixtures for the API tests.

    use std::collections::BTreeMap;

    use kubeseal_crds::annotations;
    use kubeseal_crds::k8s::ObjectMeta;
    use kubeseal_crds::{SealedSecret, SealedSecretSpec};
    use kubeseal_sealing::{KeyRing, Label, Recipient, RsaPrivateKey, Scope, X25519PrivateKey};

    use crate::keys::testing::{FIXTURE_KEY, FIXTURE_KEY_OTHER, at};

    pub const NS: &str = "team-a";
    pub const NAME: &str = "db";
    /// Planted in every test plaintext; must never show up in an outcome.
    pub const MARKER: &str = "PLAINTEXT-MARKER-7f3a";

    pub fn old_rsa() -> RsaPrivateKey {
        RsaPrivateKey::from_pem(FIXTURE_KEY).unwrap()
    }

    pub fn new_rsa() -> RsaPrivateKey {
        RsaPrivateKey::from_pem(FIXTURE_KEY_OTHER).unwrap()
    }

    pub fn x25519(seed: u8) -> X25519PrivateKey {
        X25519PrivateKey::from_raw(&[seed; 32]).unwrap()
    }

    /// Old RSA key (created at 0), newer RSA key (created at 100), two X25519 keys likewise.
    pub fn ring() -> KeyRing {
        let mut ring = KeyRing::new();
        ring.add_rsa(old_rsa(), at(0));
        ring.add_rsa(new_rsa(), at(100));
        ring.add_x25519(x25519(1), at(0));
        ring.add_x25519(x25519(2), at(100));
        ring
    }

    pub fn strict_label() -> Label {
        Scope::Strict.label(NS, NAME)
    }

    /// A strict-scoped SealedSecret with `items` sealed for `recipient`.
    pub fn sealed(recipient: Recipient, items: &[(&str, &str)]) -> SealedSecret {
        let label = strict_label();
        let encrypted_data = items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), recipient.seal_base64(&label, v.as_bytes()).unwrap()))
            .collect();
        let mut s = SealedSecret::new(NAME, SealedSecretSpec { encrypted_data, ..SealedSecretSpec::default() });
        s.metadata.namespace = Some(NS.to_owned());
        s.spec.template.metadata =
            Some(ObjectMeta { name: Some(NAME.to_owned()), namespace: Some(NS.to_owned()), ..ObjectMeta::default() });
        s
    }

    pub fn body(sealed: &SealedSecret) -> Vec<u8> {
        serde_json::to_vec(sealed).unwrap()
    }

    pub fn cluster_wide_annotations() -> BTreeMap<String, String> {
        BTreeMap::from([(annotations::CLUSTER_WIDE.to_owned(), "true".to_owned())])
    }

    pub fn secret_value(i: usize) -> String {
        format!("{MARKER}-{i}")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use kubeseal_sealing::Recipient;

    #[test]
    fn parse_accepts_a_json_sealed_secret_within_limits() {
        let key = old_rsa();
        let s = sealed(Recipient::V1(key.public_key()), &[("a", "x")]);
        assert!(parse(&body(&s), &Limits::default()).is_ok());
    }

    #[test]
    fn parse_rejects_yaml_missing_kind_and_wrong_kind_as_malformed() {
        let key = old_rsa();
        let s = sealed(Recipient::V1(key.public_key()), &[("a", "x")]);
        let mut value = serde_json::to_value(&s).unwrap();
        value.as_object_mut().unwrap().remove("kind");
        let no_kind = serde_json::to_vec(&value).unwrap();
        value["kind"] = "Secret".into();
        let wrong_kind = serde_json::to_vec(&value).unwrap();
        let yaml = b"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n".to_vec();
        for b in [no_kind, wrong_kind, yaml, b"".to_vec()] {
            assert_eq!(parse(&b, &Limits::default()).unwrap_err(), Rejected::Malformed);
        }
    }

    #[test]
    fn parse_rejects_more_items_than_the_limit_as_too_large() {
        let key = old_rsa();
        let s = sealed(Recipient::V1(key.public_key()), &[("a", "x"), ("b", "y")]);
        let limits = Limits { max_items: 1, ..Limits::default() };
        assert_eq!(parse(&body(&s), &limits).unwrap_err(), Rejected::TooLarge);
    }
}
