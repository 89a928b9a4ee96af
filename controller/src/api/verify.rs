//! `POST /v1/verify` (reference §4.7, §7.2): can the controller open every encrypted value of
//! this SealedSecret?
//!
//! Follows upstream after PR #2019: only `encryptedData` (and legacy `spec.data`, which is
//! ciphertext too) is checked; `spec.template.data` is never rendered, so a crafted template
//! cannot turn the endpoint into a decryption oracle over someone else's values.

use kubeseal_sealing::{Fingerprint, KeyRef, KeyRing};

use super::{Limits, Rejected, parse};
use crate::sealed::plan::label_for;

/// The result of a verify request. Carries no plaintext and does not say which value or key
/// failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Every value opens: `200`.
    Ok,
    /// At least one value does not open (bad base64, bad envelope, no key): `409`.
    CannotDecrypt,
    /// The body is not one JSON SealedSecret: `400`. Upstream answers `500` for a decode error;
    /// `400` says it is the client's fault, and `kubeseal --validate` treats both as failure.
    Malformed,
    /// The body exceeds [`Limits::max_body`] or [`Limits::max_items`]: `413`.
    TooLarge,
}

impl VerifyOutcome {
    /// The HTTP status code. Upstream sends every verify response with an empty body.
    pub fn status(self) -> u16 {
        match self {
            VerifyOutcome::Ok => 200,
            VerifyOutcome::CannotDecrypt => 409,
            VerifyOutcome::Malformed => 400,
            VerifyOutcome::TooLarge => 413,
        }
    }
}

impl From<Rejected> for VerifyOutcome {
    fn from(r: Rejected) -> Self {
        match r {
            Rejected::Malformed => VerifyOutcome::Malformed,
            Rejected::TooLarge => VerifyOutcome::TooLarge,
        }
    }
}

/// Verifies one SealedSecret body: decrypts every value in memory with the scope from the
/// top-level metadata and drops each plaintext (zeroized) at once. Stops at the first failure.
pub fn verify(body: &[u8], keys: &KeyRing, limits: &Limits) -> VerifyOutcome {
    let sealed = match parse(body, limits) {
        Ok(s) => s,
        Err(r) => return r.into(),
    };
    let label = label_for(&sealed);
    let mut hint: Option<Fingerprint> = None;
    if let Some(data) = &sealed.spec.data
        && keys.open(&label, &data.0, None).is_err()
    {
        return VerifyOutcome::CannotDecrypt;
    }
    for text in sealed.spec.encrypted_data.values() {
        match keys.open_base64(&label, text, hint.as_ref()) {
            Ok(opened) => {
                if let KeyRef::Rsa(fp) = opened.key {
                    hint = Some(fp);
                }
                // `opened.plaintext` is a SecretSlice, zeroized as it drops here.
            }
            Err(_) => return VerifyOutcome::CannotDecrypt,
        }
    }
    VerifyOutcome::Ok
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kubeseal_crds::k8s::ByteString;
    use kubeseal_sealing::{KeyRing, Recipient, RsaPrivateKey, Scope};

    use super::super::testing::*;
    use super::*;
    use crate::keys::testing::{FIXTURE_KEY_OTHER, at};

    #[test]
    fn verify_is_200_when_every_v1_and_v2_value_opens() {
        let (rsa, x) = (old_rsa(), x25519(1));
        let mut s = sealed(Recipient::V1(rsa.public_key()), &[("a", "one"), ("b", "two")]);
        let v2 = sealed(Recipient::V2(x.public_key()), &[("c", "three")]);
        s.spec.encrypted_data.extend(v2.spec.encrypted_data);
        let outcome = verify(&body(&s), &ring(), &Limits::default());
        assert_eq!(outcome, VerifyOutcome::Ok);
        assert_eq!(outcome.status(), 200);
    }

    #[test]
    fn verify_is_409_when_no_key_opens_a_value() {
        let rsa = old_rsa();
        let s = sealed(Recipient::V1(rsa.public_key()), &[("a", "one")]);
        let mut only_other = KeyRing::new();
        only_other.add_rsa(RsaPrivateKey::from_pem(FIXTURE_KEY_OTHER).unwrap(), at(0));
        let outcome = verify(&body(&s), &only_other, &Limits::default());
        assert_eq!(outcome, VerifyOutcome::CannotDecrypt);
        assert_eq!(outcome.status(), 409);
        assert_eq!(verify(&body(&s), &KeyRing::new(), &Limits::default()), VerifyOutcome::CannotDecrypt);
    }

    #[test]
    fn verify_is_409_when_a_value_is_not_base64_or_the_legacy_data_does_not_open() {
        let rsa = old_rsa();
        let mut s = sealed(Recipient::V1(rsa.public_key()), &[("a", "one")]);
        s.spec.encrypted_data.insert("b".to_owned(), "!!not base64!!".to_owned());
        assert_eq!(verify(&body(&s), &ring(), &Limits::default()), VerifyOutcome::CannotDecrypt);

        let mut legacy = sealed(Recipient::V1(rsa.public_key()), &[]);
        legacy.spec.data = Some(ByteString(vec![0, 1, 2, 3]));
        assert_eq!(verify(&body(&legacy), &ring(), &Limits::default()), VerifyOutcome::CannotDecrypt);
    }

    #[test]
    fn verify_takes_the_scope_from_top_level_annotations_not_the_template() {
        let rsa = old_rsa();
        // Sealed cluster-wide, but the top level claims strict: the label differs, so 409.
        let label = Scope::ClusterWide.label("", "");
        let mut s = sealed(Recipient::V1(rsa.public_key()), &[]);
        s.spec
            .encrypted_data
            .insert("a".to_owned(), Recipient::V1(rsa.public_key()).seal_base64(&label, b"x").unwrap());
        s.spec.template.metadata.as_mut().unwrap().annotations = Some(cluster_wide_annotations());
        assert_eq!(verify(&body(&s), &ring(), &Limits::default()), VerifyOutcome::CannotDecrypt);
        s.metadata.annotations = Some(cluster_wide_annotations());
        assert_eq!(verify(&body(&s), &ring(), &Limits::default()), VerifyOutcome::Ok);
    }

    #[test]
    fn verify_never_renders_templates() {
        let rsa = old_rsa();
        let mut s = sealed(Recipient::V1(rsa.public_key()), &[("a", "one")]);
        // Would fail if executed (`fail`), and would be an oracle on `a` if rendered.
        s.spec.template.data = Some(BTreeMap::from([("t".to_owned(), "{{ fail .a }}".to_owned())]));
        assert_eq!(verify(&body(&s), &ring(), &Limits::default()), VerifyOutcome::Ok);
    }

    #[test]
    fn verify_accepts_one_yaml_document_as_upstream_does() {
        let rsa = old_rsa();
        let s = sealed(Recipient::V1(rsa.public_key()), &[("a", "one")]);
        let json: serde_json::Value = serde_json::from_slice(&body(&s)).unwrap();
        let yaml = serde_saphyr::to_string(&json).unwrap();
        assert!(!yaml.trim_start().starts_with('{'), "{yaml}");
        assert_eq!(verify(yaml.as_bytes(), &ring(), &Limits::default()), VerifyOutcome::Ok);
        // Aliases are refused: 100 KiB anchored once and referenced 40 times would expand to
        // 4 MiB (twice the body limit) inside an otherwise valid SealedSecret.
        let big = "x".repeat(100 * 1024);
        let refs = vec!["*big"; 40].join(", ");
        let amplified = format!("{yaml}padding: &big \"{big}\"\nexpanded: [{refs}]\n");
        assert!(amplified.len() < Limits::DEFAULT_MAX_BODY);
        assert_eq!(verify(amplified.as_bytes(), &ring(), &Limits::default()), VerifyOutcome::Malformed);
        let without_aliases = format!("{yaml}padding: \"{big}\"\n");
        assert_eq!(verify(without_aliases.as_bytes(), &ring(), &Limits::default()), VerifyOutcome::Ok);
        // Two documents: refused, as upstream refuses them.
        let two = format!("{yaml}---\n{yaml}");
        assert_eq!(verify(two.as_bytes(), &ring(), &Limits::default()), VerifyOutcome::Malformed);
    }

    #[test]
    fn verify_is_400_for_a_body_that_is_not_a_json_sealed_secret() {
        for b in [&b"{not json"[..], b"[]", b"kind: SealedSecret\n", br#"{"apiVersion":"v1","kind":"Secret"}"#] {
            let outcome = verify(b, &ring(), &Limits::default());
            assert_eq!(outcome, VerifyOutcome::Malformed);
            assert_eq!(outcome.status(), 400);
        }
    }

    #[test]
    fn verify_is_413_for_a_body_over_the_limit_before_any_decryption() {
        let rsa = old_rsa();
        let s = sealed(Recipient::V1(rsa.public_key()), &[("a", "one")]);
        let b = body(&s);
        let outcome = verify(&b, &ring(), &Limits { max_body: b.len() - 1, ..Limits::default() });
        assert_eq!(outcome, VerifyOutcome::TooLarge);
        assert_eq!(outcome.status(), 413);
        assert_eq!(verify(&b, &ring(), &Limits { max_body: b.len(), ..Limits::default() }), VerifyOutcome::Ok);
    }
}
