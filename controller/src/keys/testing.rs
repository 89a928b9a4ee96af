//! Test fixtures for key Secrets: the sealing crate's RSA-2048 PEM fixtures and Secrets built
//! by hand in upstream's format.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kubeseal_crds::annotations;
use kubeseal_crds::k8s::{ByteString, ObjectMeta, Secret, Time, jiff};
use kubeseal_sealing::{Certificate, CertificateParams, RsaKeySize, RsaPrivateKey};

use super::secret::{GeneratedKey, TLS_CERT, TLS_KEY, TLS_SECRET_TYPE};

/// PKCS#1 `RSA PRIVATE KEY` PEM fixtures (RSA-2048).
pub const FIXTURE_KEY: &str = include_str!("../../../crates/sealing/tests/data/test-key-rsa2048.pem");
pub const FIXTURE_KEY_OTHER: &str = include_str!("../../../crates/sealing/tests/data/test-key-rsa2048-other.pem");

pub const NAMESPACE: &str = "kube-system";

/// `secs` seconds after an arbitrary fixed instant (2024-01-01T00:00:00Z).
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_704_067_200 + secs)
}

pub fn time(t: SystemTime) -> Time {
    Time(jiff::Timestamp::try_from(t).unwrap())
}

/// A certificate for `key` valid from `not_before`.
pub fn cert_for(key: &RsaPrivateKey, not_before: SystemTime) -> Certificate {
    let params = CertificateParams { not_before, ..CertificateParams::default() };
    Certificate::self_signed(key, &params).unwrap()
}

/// A freshly generated RSA-2048 key (tests only; production uses 4096).
pub fn generated(not_before: SystemTime) -> GeneratedKey {
    let params = CertificateParams { not_before, ..CertificateParams::default() };
    GeneratedKey::generate(RsaKeySize::Rsa2048, &params).unwrap()
}

/// A key Secret exactly as upstream's controller writes it (or as a user brings their own,
/// reference §2.5): no X25519 entries, no created-by marker.
pub fn upstream_secret(name: &str, key_pem: &str, cert_pem: &str, created: SystemTime) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(NAMESPACE.to_owned()),
            generate_name: Some("sealed-secrets-key".to_owned()),
            creation_timestamp: Some(time(created)),
            labels: Some(BTreeMap::from([(
                annotations::SEALED_SECRETS_KEY.to_owned(),
                annotations::SEALED_SECRETS_KEY_ACTIVE.to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some(TLS_SECRET_TYPE.to_owned()),
        data: Some(BTreeMap::from([
            (TLS_KEY.to_owned(), ByteString(key_pem.as_bytes().to_vec())),
            (TLS_CERT.to_owned(), ByteString(cert_pem.as_bytes().to_vec())),
        ])),
        ..Secret::default()
    }
}

/// The upstream-format Secret for the fixture key `pem`, certificate valid from `not_before`.
pub fn fixture_secret(name: &str, pem: &str, not_before: SystemTime, created: SystemTime) -> Secret {
    let key = RsaPrivateKey::from_pem(pem).unwrap();
    upstream_secret(name, pem, &cert_for(&key, not_before).to_pem(), created)
}

/// The PEM body (base64 of the DER) of the first block of `pem`, to check Debug output does not
/// contain it.
pub fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}
