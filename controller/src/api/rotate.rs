//! `POST /v1/rotate` (reference §4.7, §7.2): re-encrypts every value of a SealedSecret with the
//! controller's newest key.
//!
//! Security (CVE-2026-22728, GHSA-465p-v42x-3fmj): the scope is taken ONLY from the
//! SealedSecret's top-level `metadata.annotations`, namespace and name — the same label the
//! values were opened with is used to re-seal them, so rotation can never widen (or otherwise
//! change) the scope. `spec.template.metadata` is never trusted: its scope annotations are
//! overwritten with the top-level ones so the produced Secret does not claim a scope it lacks.
//! Templates are never executed (upstream PR #2049): `spec.template.data` is copied through
//! unchanged and stays a template, instead of being rendered into `encryptedData` as upstream
//! did before that fix.
//!
//! Each value keeps its envelope version: v1 values are re-sealed to the active RSA key, v2
//! values to the active X25519 key. Plaintext lives only in the zeroizing buffer returned by the
//! key ring and is dropped right after re-sealing.

use std::fmt;

use kubeseal_crds::annotations;
use kubeseal_crds::k8s::ByteString;
use kubeseal_sealing::format::{self, Envelope};
use kubeseal_sealing::{Fingerprint, KeyRef, KeyRing, Label, Recipient, RsaPublicKey, X25519PublicKey};
use secrecy::ExposeSecret;

use super::{Limits, Rejected, parse};
use crate::sealed::plan::label_for;

/// The public keys to re-seal to: the active (newest) sealing key.
#[derive(Debug, Clone, Copy)]
pub struct ActiveKeys<'a> {
    /// The active RSA key (the public key of `/v1/cert.pem`); v1 values are sealed to it.
    pub rsa: &'a RsaPublicKey,
    /// The active X25519 key; v2 values are sealed to it. `None` makes a request holding a v2
    /// value fail.
    pub x25519: Option<&'a X25519PublicKey>,
}

/// The result of a rotate request. Carries no plaintext and does not say which value or key
/// failed.
#[derive(Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// `200` with this body: the re-encrypted SealedSecret as compact JSON. Unlike upstream it
    /// keeps `apiVersion`/`kind`, so the body is a complete manifest; `status` is dropped.
    Rotated(Vec<u8>),
    /// The body is not one JSON SealedSecret: `400` (upstream: `500`).
    Malformed,
    /// The body exceeds [`Limits::max_body`] or [`Limits::max_items`]: `413`.
    TooLarge,
    /// A value does not open, or cannot be re-sealed (a v2 value and no active X25519 key):
    /// `500` with an empty body, as upstream answers every rotate error.
    Failed,
}

impl RotateOutcome {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            RotateOutcome::Rotated(_) => 200,
            RotateOutcome::Malformed => 400,
            RotateOutcome::TooLarge => 413,
            RotateOutcome::Failed => 500,
        }
    }
}

impl fmt::Debug for RotateOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RotateOutcome::Rotated(body) => write!(f, "Rotated(<{} bytes>)", body.len()),
            RotateOutcome::Malformed => f.write_str("Malformed"),
            RotateOutcome::TooLarge => f.write_str("TooLarge"),
            RotateOutcome::Failed => f.write_str("Failed"),
        }
    }
}

impl From<Rejected> for RotateOutcome {
    fn from(r: Rejected) -> Self {
        match r {
            Rejected::Malformed => RotateOutcome::Malformed,
            Rejected::TooLarge => RotateOutcome::TooLarge,
        }
    }
}

/// Rotation failed; deliberately without detail.
struct Failed;

/// Re-encrypts every value of one SealedSecret body with `active`; see the module docs.
pub fn rotate(body: &[u8], keys: &KeyRing, active: &ActiveKeys, limits: &Limits) -> RotateOutcome {
    let mut sealed = match parse(body, limits) {
        Ok(s) => s,
        Err(r) => return r.into(),
    };
    // Top-level metadata only (CVE-2026-22728); used both to open and to re-seal.
    let label = label_for(&sealed);
    let mut hint = None;

    let resealed = (|| -> Result<_, Failed> {
        let data = match &sealed.spec.data {
            Some(data) => Some(ByteString(reseal(&data.0, keys, active, &label, &mut hint)?)),
            None => None,
        };
        let mut encrypted = sealed.spec.encrypted_data.clone();
        for text in encrypted.values_mut() {
            let bytes = format::decode_base64(text).map_err(|_| Failed)?;
            *text = format::encode_base64(&reseal(&bytes, keys, active, &label, &mut hint)?);
        }
        Ok((data, encrypted))
    })();
    let Ok((data, encrypted)) = resealed else {
        return RotateOutcome::Failed;
    };
    sealed.spec.data = data;
    sealed.spec.encrypted_data = encrypted;
    align_template_scope(&mut sealed);
    sealed.status = None;
    match serde_json::to_vec(&sealed) {
        Ok(json) => RotateOutcome::Rotated(json),
        Err(_) => RotateOutcome::Failed,
    }
}

/// Opens one envelope and seals its plaintext again under the same label and envelope version.
/// The plaintext is a `SecretSlice`, zeroized when it drops at the end of this function.
fn reseal(
    envelope: &[u8],
    keys: &KeyRing,
    active: &ActiveKeys,
    label: &Label,
    hint: &mut Option<Fingerprint>,
) -> Result<Vec<u8>, Failed> {
    let recipient = match Envelope::parse(envelope).map_err(|_| Failed)? {
        Envelope::V1 { .. } => Recipient::V1(active.rsa),
        Envelope::V2 { .. } => Recipient::V2(active.x25519.ok_or(Failed)?),
    };
    let opened = keys.open(label, envelope, hint.as_ref()).map_err(|_| Failed)?;
    if let KeyRef::Rsa(fp) = &opened.key {
        *hint = Some(fp.clone());
    }
    recipient.seal(label, opened.plaintext.expose_secret()).map_err(|_| Failed)
}

/// Makes the template's scope annotations equal the top-level ones (set or removed), so the
/// produced Secret never claims a scope the values are not sealed with. Other template metadata
/// (labels, annotations for the Secret) is kept: only the scope is security-relevant, and the
/// controller forces the Secret's namespace and name to the SealedSecret's anyway.
fn align_template_scope(sealed: &mut kubeseal_crds::SealedSecret) {
    let top = sealed.metadata.annotations.clone().unwrap_or_default();
    let Some(template) = sealed.spec.template.metadata.as_mut() else {
        return;
    };
    for key in [annotations::CLUSTER_WIDE, annotations::NAMESPACE_WIDE] {
        match top.get(key) {
            Some(value) => {
                template.annotations.get_or_insert_with(Default::default).insert(key.to_owned(), value.clone());
            }
            None => {
                if let Some(a) = template.annotations.as_mut() {
                    a.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kubeseal_crds::SealedSecret;
    use kubeseal_crds::k8s::ByteString;
    use kubeseal_sealing::{KeyRing, Recipient, Scope};
    use secrecy::ExposeSecret;

    use super::super::testing::*;
    use super::super::verify::{VerifyOutcome, verify};
    use super::*;
    use crate::keys::testing::at;

    fn rotated(outcome: RotateOutcome) -> SealedSecret {
        match outcome {
            RotateOutcome::Rotated(json) => serde_json::from_slice(&json).unwrap(),
            other => panic!("expected Rotated, got {other:?}"),
        }
    }

    fn open_with_only(key: KeyRing, label: &Label, text: &str) -> Option<String> {
        let opened = key.open_base64(label, text, None).ok()?;
        Some(String::from_utf8(opened.plaintext.expose_secret().to_vec()).unwrap())
    }

    fn only_rsa(key: kubeseal_sealing::RsaPrivateKey) -> KeyRing {
        let mut r = KeyRing::new();
        r.add_rsa(key, at(0));
        r
    }

    fn only_x25519(key: kubeseal_sealing::X25519PrivateKey) -> KeyRing {
        let mut r = KeyRing::new();
        r.add_x25519(key, at(0));
        r
    }

    #[test]
    fn rotate_preserves_values_and_moves_them_to_the_newest_key() {
        let (old, new) = (old_rsa(), new_rsa());
        let values: Vec<String> = (0..3).map(secret_value).collect();
        let items: Vec<(&str, &str)> = vec![("a", &values[0]), ("b", &values[1]), ("c", &values[2])];
        let s = sealed(Recipient::V1(old.public_key()), &items);
        let active = ActiveKeys { rsa: new.public_key(), x25519: None };
        let out = rotated(rotate(&body(&s), &ring(), &active, &Limits::default()));
        assert_eq!(out.spec.encrypted_data.len(), 3);
        for (key, value) in items {
            let text = &out.spec.encrypted_data[key];
            assert_ne!(text, &s.spec.encrypted_data[key]);
            assert_eq!(open_with_only(only_rsa(new_rsa()), &strict_label(), text).as_deref(), Some(value));
            assert_eq!(
                open_with_only(only_rsa(old_rsa()), &strict_label(), text),
                None,
                "still opens with the old key"
            );
        }
        assert_eq!(out.metadata.name.as_deref(), Some(NAME));
        assert_eq!(out.metadata.namespace.as_deref(), Some(NS));
    }

    #[test]
    fn rotate_keeps_v1_values_as_v1_and_v2_values_as_v2() {
        let (old, new, x_old, x_new) = (old_rsa(), new_rsa(), x25519(1), x25519(2));
        let mut s = sealed(Recipient::V1(old.public_key()), &[("v1", "one")]);
        let v2 = sealed(Recipient::V2(x_old.public_key()), &[("v2", "two")]);
        s.spec.encrypted_data.extend(v2.spec.encrypted_data);
        let active = ActiveKeys { rsa: new.public_key(), x25519: Some(x_new.public_key()) };
        let out = rotated(rotate(&body(&s), &ring(), &active, &Limits::default()));

        let v1_bytes = format::decode_base64(&out.spec.encrypted_data["v1"]).unwrap();
        assert!(matches!(Envelope::parse(&v1_bytes).unwrap(), Envelope::V1 { .. }));
        let v2_bytes = format::decode_base64(&out.spec.encrypted_data["v2"]).unwrap();
        assert!(matches!(Envelope::parse(&v2_bytes).unwrap(), Envelope::V2 { .. }));
        let label = strict_label();
        assert_eq!(open_with_only(only_rsa(new_rsa()), &label, &out.spec.encrypted_data["v1"]).as_deref(), Some("one"));
        assert_eq!(
            open_with_only(only_x25519(x25519(2)), &label, &out.spec.encrypted_data["v2"]).as_deref(),
            Some("two")
        );
        assert_eq!(open_with_only(only_x25519(x25519(1)), &label, &out.spec.encrypted_data["v2"]), None);
    }

    #[test]
    fn rotate_fails_on_a_v2_value_without_an_active_x25519_key() {
        let x = x25519(1);
        let s = sealed(Recipient::V2(x.public_key()), &[("a", "one")]);
        let new = new_rsa();
        let active = ActiveKeys { rsa: new.public_key(), x25519: None };
        let outcome = rotate(&body(&s), &ring(), &active, &Limits::default());
        assert_eq!(outcome, RotateOutcome::Failed);
        assert_eq!(outcome.status(), 500);
    }

    #[test]
    fn rotate_reseals_legacy_data_and_keeps_the_template_unrendered() {
        let (old, new) = (old_rsa(), new_rsa());
        let mut s = sealed(Recipient::V1(old.public_key()), &[("a", "one")]);
        let legacy = Recipient::V1(old.public_key()).seal(&strict_label(), br#"{"data":{}}"#).unwrap();
        s.spec.data = Some(ByteString(legacy));
        let templates = BTreeMap::from([("t".to_owned(), "{{ fail .a }}".to_owned())]);
        s.spec.template.data = Some(templates.clone());
        let active = ActiveKeys { rsa: new.public_key(), x25519: None };
        let out = rotated(rotate(&body(&s), &ring(), &active, &Limits::default()));
        assert_eq!(out.spec.template.data, Some(templates));
        let opened = only_rsa(new_rsa()).open(&strict_label(), &out.spec.data.unwrap().0, None).unwrap();
        assert_eq!(opened.plaintext.expose_secret(), br#"{"data":{}}"#);
    }

    #[test]
    fn rotate_refuses_bodies_over_the_limits_and_malformed_bodies() {
        let (old, new) = (old_rsa(), new_rsa());
        let s = sealed(Recipient::V1(old.public_key()), &[("a", "one"), ("b", "two")]);
        let b = body(&s);
        let active = ActiveKeys { rsa: new.public_key(), x25519: None };
        let small = Limits { max_body: b.len() - 1, ..Limits::default() };
        assert_eq!(rotate(&b, &ring(), &active, &small), RotateOutcome::TooLarge);
        assert_eq!(rotate(&b, &ring(), &active, &small).status(), 413);
        let few = Limits { max_items: 1, ..Limits::default() };
        assert_eq!(rotate(&b, &ring(), &active, &few), RotateOutcome::TooLarge);
        assert_eq!(rotate(b"{", &ring(), &active, &Limits::default()).status(), 400);
    }

    #[test]
    fn rotate_fails_when_a_value_does_not_open() {
        let (old, new) = (old_rsa(), new_rsa());
        let s = sealed(Recipient::V1(old.public_key()), &[("a", "one")]);
        let active = ActiveKeys { rsa: new.public_key(), x25519: None };
        assert_eq!(rotate(&body(&s), &only_rsa(new_rsa()), &active, &Limits::default()), RotateOutcome::Failed);
    }

    /// CVE-2026-22728: a strict SealedSecret whose template metadata claims cluster-wide (and
    /// another namespace) must come back strict, openable only at its own namespace/name.
    #[test]
    fn rotate_cannot_widen_scope_through_template_metadata_cve_2026_22728() {
        let (old, new) = (old_rsa(), new_rsa());
        let mut s = sealed(Recipient::V1(old.public_key()), &[("password", "hunter2")]);
        let template = s.spec.template.metadata.as_mut().unwrap();
        template.annotations = Some(cluster_wide_annotations());
        template.namespace = Some("attacker".to_owned());
        template.name = Some("stolen".to_owned());
        let active = ActiveKeys { rsa: new.public_key(), x25519: None };
        let out = rotated(rotate(&body(&s), &ring(), &active, &Limits::default()));

        let text = &out.spec.encrypted_data["password"];
        assert_eq!(open_with_only(only_rsa(new_rsa()), &strict_label(), text).as_deref(), Some("hunter2"));
        for wider in [
            Scope::ClusterWide.label("", ""),
            Scope::NamespaceWide.label(NS, ""),
            Scope::Strict.label("attacker", "stolen"),
        ] {
            assert_eq!(open_with_only(only_rsa(new_rsa()), &wider, text), None, "scope was widened");
        }
        assert_eq!(out.metadata.annotations.as_ref().and_then(|a| a.get(annotations::CLUSTER_WIDE)), None);
        let template_annotations = out.spec.template.metadata.clone().unwrap().annotations.unwrap_or_default();
        assert!(!template_annotations.contains_key(annotations::CLUSTER_WIDE));

        // Moving the result elsewhere does not help either: it does not verify there.
        let mut moved = out.clone();
        moved.metadata.namespace = Some("attacker".to_owned());
        moved.metadata.annotations = Some(cluster_wide_annotations());
        assert_eq!(verify(&body(&moved), &ring(), &Limits::default()), VerifyOutcome::CannotDecrypt);
    }

    #[test]
    fn rotate_keeps_a_cluster_wide_scope_declared_at_the_top_level() {
        let (old, new) = (old_rsa(), new_rsa());
        let label = Scope::ClusterWide.label("", "");
        let mut s = sealed(Recipient::V1(old.public_key()), &[]);
        s.metadata.annotations = Some(cluster_wide_annotations());
        s.spec
            .encrypted_data
            .insert("a".to_owned(), Recipient::V1(old.public_key()).seal_base64(&label, b"x").unwrap());
        let active = ActiveKeys { rsa: new.public_key(), x25519: None };
        let out = rotated(rotate(&body(&s), &ring(), &active, &Limits::default()));
        assert_eq!(open_with_only(only_rsa(new_rsa()), &label, &out.spec.encrypted_data["a"]).as_deref(), Some("x"));
        let template_annotations = out.spec.template.metadata.unwrap().annotations.unwrap();
        assert_eq!(template_annotations.get(annotations::CLUSTER_WIDE).map(String::as_str), Some("true"));
    }

    #[test]
    fn no_outcome_shows_plaintext_in_debug_or_body() {
        let (old, new, x) = (old_rsa(), new_rsa(), x25519(1));
        let values: Vec<String> = (0..2).map(secret_value).collect();
        let mut s = sealed(Recipient::V1(old.public_key()), &[("a", &values[0])]);
        let v2 = sealed(Recipient::V2(x.public_key()), &[("b", &values[1])]);
        s.spec.encrypted_data.extend(v2.spec.encrypted_data);
        let b = body(&s);
        let x_new = x25519(2);
        let with_x = ActiveKeys { rsa: new.public_key(), x25519: Some(x_new.public_key()) };
        let without_x = ActiveKeys { rsa: new.public_key(), x25519: None };
        let rotate_outcomes = [
            rotate(&b, &ring(), &with_x, &Limits::default()),
            rotate(&b, &ring(), &without_x, &Limits::default()),
            rotate(&b, &ring(), &with_x, &Limits { max_items: 1, ..Limits::default() }),
            rotate(&b[1..], &ring(), &with_x, &Limits::default()),
        ];
        assert!(matches!(rotate_outcomes[0], RotateOutcome::Rotated(_)));
        for outcome in &rotate_outcomes {
            let debug = format!("{outcome:?}");
            assert!(!debug.contains(MARKER), "{debug}");
            if let RotateOutcome::Rotated(json) = outcome {
                assert!(!String::from_utf8_lossy(json).contains(MARKER));
            }
        }
        for outcome in [verify(&b, &ring(), &Limits::default()), verify(&b, &KeyRing::new(), &Limits::default())] {
            assert!(!format!("{outcome:?}").contains(MARKER));
        }
    }
}
