//! Key Secrets: a sealing key as a Kubernetes Secret, in upstream's exact format (reference:
//! sealed-secrets §2.2), so that upstream's controller loads the keys we create and we load the
//! keys upstream (or a user, §2.5) created: migration works both ways.
//!
//! Upstream's layout: namespace = the controller's, `generateName` = the key prefix (the API
//! server appends 5 characters, no dash), type `kubernetes.io/tls`, label
//! `sealedsecrets.bitnami.com/sealed-secrets-key: active`, `tls.key` = PEM `RSA PRIVATE KEY`
//! (PKCS#1), `tls.crt` = PEM `CERTIFICATE`.
//!
//! Our additions, which upstream ignores:
//! - `x25519.key` (PKCS#8 `PRIVATE KEY` PEM, RFC 8410) and `x25519.pub` (SPKI `PUBLIC KEY` PEM):
//!   the v2 key pair. Upstream's key loader reads only `data["tls.key"]` and `data["tls.crt"]` by
//!   name and never iterates the data map, so extra entries change nothing for it; Kubernetes
//!   allows any `[-._a-zA-Z0-9]+` data key in a `kubernetes.io/tls` Secret (checked against
//!   upstream's `pkg/controller/keys.go`, whose `readKey` takes those two entries only).
//! - the label [`CREATED_BY_LABEL`] set to [`CREATED_BY_VALUE`]: this controller created the Secret.
//!   A key Secret without it (upstream's, a user's) is loaded and used but never modified or
//!   deleted.
//!
//! Key material is copied into a `k8s::Secret` only in [`encode`]; decoding errors name the
//! Secret and the data key, never bytes of it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use kubeseal_crds::annotations;
use kubeseal_crds::k8s::{ByteString, ObjectMeta, Secret};
use kubeseal_sealing::{
    Certificate, CertificateParams, RsaKeySize, RsaPrivateKey, X25519PrivateKey, X25519PublicKey, generate_sealing_key,
};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

/// Upstream's default `--key-prefix`: the `generateName` of new key Secrets, and the name of the
/// pre-0.9 legacy single key Secret.
pub const DEFAULT_KEY_PREFIX: &str = "sealed-secrets-key";
/// The Secret type upstream writes.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";
/// Data key of the RSA private key (PEM PKCS#1 when we write it; PKCS#8 is read too).
pub const TLS_KEY: &str = "tls.key";
/// Data key of the certificate (PEM; the first `CERTIFICATE` block is used).
pub const TLS_CERT: &str = "tls.crt";
/// Our data key for the v2 X25519 private key (PKCS#8 PEM). Upstream ignores it.
pub const X25519_KEY: &str = "x25519.key";
/// Our data key for the v2 X25519 public key (SPKI PEM). Upstream ignores it.
pub const X25519_PUB: &str = "x25519.pub";
/// Label marking a key Secret this controller created.
pub const CREATED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`CREATED_BY_LABEL`] on key Secrets this controller created.
pub const CREATED_BY_VALUE: &str = "kubeseal-rs-controller";

/// A freshly generated key: RSA key and self-signed certificate (v1, upstream-compatible) plus
/// an X25519 key pair (v2). `Debug` shows only the fingerprint and key id.
pub struct GeneratedKey {
    /// The RSA private key.
    pub rsa: RsaPrivateKey,
    /// Its self-signed certificate.
    pub cert: Certificate,
    /// The v2 key pair.
    pub x25519: X25519PrivateKey,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("fingerprint", self.cert.public_key().fingerprint())
            .field("x25519", &self.x25519.public_key().key_id())
            .finish_non_exhaustive()
    }
}

impl GeneratedKey {
    /// Generates a key as upstream does at start-up and on renewal (RSA of `size`, production
    /// default 4096; certificate per `params`), plus an X25519 key pair.
    pub fn generate(size: RsaKeySize, params: &CertificateParams) -> kubeseal_sealing::Result<Self> {
        let (rsa, cert) = generate_sealing_key(size, params)?;
        let x25519 = X25519PrivateKey::generate()?;
        Ok(Self { rsa, cert, x25519 })
    }
}

/// Where and how new key Secrets are written (controller flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySecretOptions {
    /// The controller's namespace.
    pub namespace: String,
    /// `--key-prefix`, used as `generateName`.
    pub prefix: String,
    /// `--privatekey-labels`; a label equal to the key label is ignored, as upstream does.
    pub labels: BTreeMap<String, String>,
    /// `--privatekey-annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl KeySecretOptions {
    /// Upstream's defaults in `namespace`.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            prefix: DEFAULT_KEY_PREFIX.to_owned(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        }
    }
}

/// The key Secret to CREATE for `key`. The API server picks the name from `generateName`.
pub fn encode(key: &GeneratedKey, options: &KeySecretOptions) -> kubeseal_sealing::Result<Secret> {
    let mut labels = options.labels.clone();
    labels.remove(annotations::SEALED_SECRETS_KEY);
    labels.insert(annotations::SEALED_SECRETS_KEY.to_owned(), annotations::SEALED_SECRETS_KEY_ACTIVE.to_owned());
    labels.insert(CREATED_BY_LABEL.to_owned(), CREATED_BY_VALUE.to_owned());

    // The one place key material is copied into a k8s object (grep: expose_secret).
    let rsa_pem = key.rsa.to_pkcs1_pem()?;
    let x25519_pem = key.x25519.to_pkcs8_pem()?;
    let data = BTreeMap::from([
        (TLS_KEY.to_owned(), ByteString(rsa_pem.expose_secret().as_bytes().to_vec())),
        (TLS_CERT.to_owned(), ByteString(key.cert.to_pem().into_bytes())),
        (X25519_KEY.to_owned(), ByteString(x25519_pem.expose_secret().as_bytes().to_vec())),
        (X25519_PUB.to_owned(), ByteString(key.x25519.public_key().to_pem().into_bytes())),
    ]);

    Ok(Secret {
        metadata: ObjectMeta {
            namespace: Some(options.namespace.clone()),
            generate_name: Some(options.prefix.clone()),
            labels: Some(labels),
            annotations: (!options.annotations.is_empty()).then(|| options.annotations.clone()),
            ..ObjectMeta::default()
        },
        type_: Some(TLS_SECRET_TYPE.to_owned()),
        data: Some(data),
        ..Secret::default()
    })
}

/// A decoded key Secret. `Debug` shows names, fingerprint and key id only.
pub struct KeySecret {
    /// `metadata.name`.
    pub name: String,
    /// The RSA private key from `tls.key`.
    pub rsa: RsaPrivateKey,
    /// The first certificate of `tls.crt`; its public key is that of `tls.key` (checked, unlike
    /// upstream).
    pub cert: Certificate,
    /// The v2 key pair, when the Secret carries one (ours do; upstream's and users' do not).
    pub x25519: Option<X25519PrivateKey>,
    /// Whether this controller created the Secret ([`CREATED_BY_LABEL`]).
    pub ours: bool,
    /// `metadata.creationTimestamp`.
    pub created: Option<SystemTime>,
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySecret")
            .field("name", &self.name)
            .field("fingerprint", self.cert.public_key().fingerprint())
            .field("x25519", &self.x25519.as_ref().map(|k| k.public_key().key_id()))
            .field("ours", &self.ours)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// Why a key Secret could not be decoded: the Secret, the data key and a reason, never bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key Secret {secret}: {field}: {reason}")]
pub struct DecodeError {
    /// `namespace/name` of the Secret.
    pub secret: String,
    /// The data key at fault.
    pub field: &'static str,
    /// What is wrong, from the sealing crate's error texts (which never hold key bytes).
    pub reason: String,
}

/// Whether the Secret carries our [`CREATED_BY_LABEL`].
pub fn is_ours(secret: &Secret) -> bool {
    secret.metadata.labels.as_ref().and_then(|l| l.get(CREATED_BY_LABEL)).is_some_and(|v| v == CREATED_BY_VALUE)
}

/// Decodes a key Secret: `tls.key` (PKCS#1 or PKCS#8 PEM), `tls.crt` (first certificate), and
/// optionally `x25519.key` (checked against `x25519.pub` when both are present).
pub fn decode(secret: &Secret) -> Result<KeySecret, DecodeError> {
    let meta = &secret.metadata;
    let name = meta.name.clone().unwrap_or_default();
    let full = format!("{}/{}", meta.namespace.as_deref().unwrap_or(""), name);
    let err = |field, reason: String| DecodeError { secret: full.clone(), field, reason };
    let data = secret.data.as_ref();
    let text = |field: &'static str| -> Result<Option<Zeroizing<String>>, DecodeError> {
        match data.and_then(|d| d.get(field)) {
            None => Ok(None),
            Some(bytes) => match std::str::from_utf8(&bytes.0) {
                Ok(s) => Ok(Some(Zeroizing::new(s.to_owned()))),
                Err(_) => Err(err(field, "not UTF-8 PEM text".to_owned())),
            },
        }
    };

    let key_pem = text(TLS_KEY)?.ok_or_else(|| err(TLS_KEY, "missing".to_owned()))?;
    let rsa = RsaPrivateKey::from_pem(&key_pem).map_err(|e| err(TLS_KEY, e.to_string()))?;
    let cert_pem = text(TLS_CERT)?.ok_or_else(|| err(TLS_CERT, "missing".to_owned()))?;
    let cert = Certificate::from_pem(&cert_pem).map_err(|e| err(TLS_CERT, e.to_string()))?;
    // Upstream does not check this: a mismatched (bring-your-own) certificate makes it publish
    // a key it cannot open, and lets anyone who may only create Secrets in the controller
    // namespace redirect every new seal to a key they hold. Such a Secret is skipped.
    if cert.public_key().fingerprint() != rsa.public_key().fingerprint() {
        return Err(err(TLS_CERT, format!("certificate does not belong to the private key in {TLS_KEY}")));
    }

    let x25519 = match text(X25519_KEY)? {
        None => None,
        Some(pem) => {
            let key = X25519PrivateKey::from_pem(&pem).map_err(|e| err(X25519_KEY, e.to_string()))?;
            if let Some(public) = text(X25519_PUB)? {
                let public = X25519PublicKey::from_pem(&public).map_err(|e| err(X25519_PUB, e.to_string()))?;
                if &public != key.public_key() {
                    return Err(err(X25519_PUB, format!("does not match {X25519_KEY}")));
                }
            }
            Some(key)
        }
    };

    Ok(KeySecret {
        name,
        rsa,
        cert,
        x25519,
        ours: is_ours(secret),
        created: meta.creation_timestamp.as_ref().map(|t| SystemTime::from(t.0)),
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use kubeseal_crds::k8s::Secret;
    use kubeseal_sealing::{Recipient, Scope};

    use super::*;
    use crate::keys::testing::*;

    fn data_text(secret: &Secret, key: &str) -> String {
        String::from_utf8(secret.data.as_ref().unwrap()[key].0.clone()).unwrap()
    }

    #[test]
    fn a_generated_key_round_trips_through_its_key_secret() {
        let key = generated(at(0));
        let mut secret = encode(&key, &KeySecretOptions::new(NAMESPACE)).unwrap();
        secret.metadata.name = Some("sealed-secrets-keyabcde".to_owned());
        let decoded = decode(&secret).unwrap();

        assert_eq!(decoded.name, "sealed-secrets-keyabcde");
        assert!(decoded.ours);
        assert_eq!(decoded.rsa.public_key(), key.rsa.public_key());
        assert_eq!(decoded.cert, key.cert);
        let x = decoded.x25519.as_ref().unwrap();
        assert_eq!(x.public_key(), key.x25519.public_key());

        // The decoded private keys open what the originals' public keys sealed.
        let label = Scope::Strict.label("app", "db");
        let mut ring = kubeseal_sealing::KeyRing::new();
        ring.add_rsa(decoded.rsa, at(0));
        ring.add_x25519(decoded.x25519.unwrap(), at(0));
        for recipient in [Recipient::V1(key.cert.public_key()), Recipient::V2(key.x25519.public_key())] {
            let sealed = recipient.seal_base64(&label, b"hunter2").unwrap();
            let opened = ring.open_base64(&label, &sealed, None).unwrap();
            assert_eq!(opened.plaintext.expose_secret(), b"hunter2");
        }
    }

    #[test]
    fn an_encoded_key_secret_has_upstreams_layout_plus_our_x25519_entries_and_marker() {
        let key = generated(at(0));
        let mut options = KeySecretOptions::new(NAMESPACE);
        options.labels.insert(annotations::SEALED_SECRETS_KEY.to_owned(), "compromised".to_owned());
        options.labels.insert("team".to_owned(), "platform".to_owned());
        options.annotations.insert("note".to_owned(), "x".to_owned());
        let secret = encode(&key, &options).unwrap();

        let meta = &secret.metadata;
        assert_eq!(meta.name, None);
        assert_eq!(meta.generate_name.as_deref(), Some("sealed-secrets-key"));
        assert_eq!(meta.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
        let labels = meta.labels.as_ref().unwrap();
        assert_eq!(labels[annotations::SEALED_SECRETS_KEY], "active", "a user label cannot override the key label");
        assert_eq!(labels["team"], "platform");
        assert_eq!(labels[CREATED_BY_LABEL], CREATED_BY_VALUE);
        assert_eq!(meta.annotations.as_ref().unwrap()["note"], "x");

        let keys: Vec<_> = secret.data.as_ref().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["tls.crt", "tls.key", "x25519.key", "x25519.pub"]);
        assert!(data_text(&secret, TLS_KEY).starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(data_text(&secret, TLS_CERT).starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(data_text(&secret, TLS_CERT).matches("BEGIN").count(), 1);
        assert!(data_text(&secret, X25519_KEY).starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(data_text(&secret, X25519_PUB).starts_with("-----BEGIN PUBLIC KEY-----\n"));
    }

    #[test]
    fn a_key_secret_in_upstreams_format_made_by_hand_decodes_and_is_not_ours() {
        let secret = fixture_secret("sealed-secrets-key5rxd9", FIXTURE_KEY, at(10), at(20));
        let decoded = decode(&secret).unwrap();
        let fixture = RsaPrivateKey::from_pem(FIXTURE_KEY).unwrap();
        assert_eq!(decoded.rsa.public_key(), fixture.public_key());
        assert_eq!(decoded.cert.not_before(), at(10));
        assert_eq!(decoded.created, Some(at(20)));
        assert!(decoded.x25519.is_none());
        assert!(!decoded.ours);
    }

    #[test]
    fn a_pkcs8_tls_key_and_a_certificate_chain_are_accepted() {
        let fixture = RsaPrivateKey::from_pem(FIXTURE_KEY).unwrap();
        let der = fixture.to_pkcs8_der().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_slice());
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        let pkcs8 = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"));
        let other = RsaPrivateKey::from_pem(FIXTURE_KEY_OTHER).unwrap();
        let chain = format!("{}{}", cert_for(&fixture, at(0)).to_pem(), cert_for(&other, at(0)).to_pem());

        let decoded = decode(&upstream_secret("byo", &pkcs8, &chain, at(0))).unwrap();
        assert_eq!(decoded.rsa.public_key(), fixture.public_key());
        assert_eq!(decoded.cert.public_key(), fixture.public_key(), "the first certificate is used");
    }

    #[test]
    fn decode_errors_name_the_secret_and_the_field_but_no_key_material() {
        let good = fixture_secret("k1", FIXTURE_KEY, at(0), at(0));

        let mut no_cert = good.clone();
        no_cert.data.as_mut().unwrap().remove(TLS_CERT);
        let err = decode(&no_cert).unwrap_err();
        assert_eq!(err.to_string(), "key Secret kube-system/k1: tls.crt: missing");

        let mut bad_key = good.clone();
        let truncated = FIXTURE_KEY.replace(&pem_body(FIXTURE_KEY)[..64], "");
        bad_key.data.as_mut().unwrap().insert(TLS_KEY.to_owned(), ByteString(truncated.into_bytes()));
        let err = decode(&bad_key).unwrap_err();
        assert_eq!((err.secret.as_str(), err.field), ("kube-system/k1", TLS_KEY));
        let text = format!("{err} {err:?}");
        for line in FIXTURE_KEY.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "error output contains key material: {text}");
        }

        let mut binary = good;
        binary.data.as_mut().unwrap().insert(TLS_KEY.to_owned(), ByteString(vec![0xff, 0xfe]));
        assert_eq!(decode(&binary).unwrap_err().to_string(), "key Secret kube-system/k1: tls.key: not UTF-8 PEM text");
    }

    #[test]
    fn an_x25519_public_key_that_does_not_match_the_private_key_is_rejected() {
        let mut secret = encode(&generated(at(0)), &KeySecretOptions::new(NAMESPACE)).unwrap();
        let other = X25519PrivateKey::generate().unwrap();
        secret
            .data
            .as_mut()
            .unwrap()
            .insert(X25519_PUB.to_owned(), ByteString(other.public_key().to_pem().into_bytes()));
        let err = decode(&secret).unwrap_err();
        assert_eq!(err.field, X25519_PUB);
        assert!(err.reason.contains("does not match"));
    }

    #[test]
    fn a_certificate_for_another_key_is_rejected() {
        let other = RsaPrivateKey::from_pem(FIXTURE_KEY_OTHER).unwrap();
        let secret = upstream_secret("byo", FIXTURE_KEY, &cert_for(&other, at(0)).to_pem(), at(0));
        let err = decode(&secret).unwrap_err();
        assert_eq!(err.field, TLS_CERT);
        assert!(err.reason.contains("does not belong to the private key"), "{}", err.reason);
        // The matching pair loads.
        assert!(decode(&fixture_secret("byo", FIXTURE_KEY, at(0), at(0))).is_ok());
    }

    #[test]
    fn debug_of_generated_and_decoded_keys_shows_no_key_material() {
        let key = generated(at(0));
        let secret = encode(&key, &KeySecretOptions::new(NAMESPACE)).unwrap();
        let decoded = decode(&secret).unwrap();
        let text = format!("{key:?} {decoded:?} {:#?}", decoded);
        for field in [TLS_KEY, X25519_KEY] {
            let pem = data_text(&secret, field);
            for line in pem.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!text.contains(line), "Debug output contains {field} material: {text}");
            }
        }
        assert!(text.contains(key.cert.public_key().fingerprint().as_str()));
    }
}
