//! The X.509 certificate that publishes a controller's RSA public key.
//!
//! Only the public key and the validity period matter to clients; the certificate is
//! self-signed and never used for TLS. Generation follows upstream's controller: empty subject
//! unless a common name is given, a random 128-bit serial, `keyUsage = encipherOnly` (critical),
//! `basicConstraints CA:TRUE` (critical), SHA-256 with RSA, ten years of validity by default.

use std::time::{Duration, SystemTime};

use der::{Decode as _, Encode as _};

use super::pem;
use super::{RsaKeySize, RsaPrivateKey, RsaPublicKey};
use crate::error::{Error, Result};

/// Upstream's default `--key-ttl`: 87600 hours.
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(87_600 * 3600);

/// How to make a self-signed sealing certificate.
#[derive(Debug, Clone)]
pub struct CertificateParams {
    /// The subject and issuer common name (upstream `--my-cn`); empty means an empty name.
    pub common_name: String,
    /// Validity starts here (upstream: now).
    pub not_before: SystemTime,
    /// And lasts this long (upstream `--key-ttl`).
    pub validity: Duration,
}

impl Default for CertificateParams {
    fn default() -> Self {
        Self { common_name: String::new(), not_before: SystemTime::now(), validity: DEFAULT_VALIDITY }
    }
}

/// A parsed X.509 certificate holding an RSA public key.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    public_key: RsaPublicKey,
    not_before: SystemTime,
    not_after: SystemTime,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("fingerprint", self.public_key.fingerprint())
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Reads a DER certificate whose subject key is RSA.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| Error::InvalidCertificate { reason: "not a DER X.509 certificate" })?;
        let tbs = cert.tbs_certificate();
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|_| Error::InvalidCertificate { reason: "unreadable public key" })?;
        let public_key = RsaPublicKey::from_spki_der(&spki).map_err(|e| match e {
            Error::UnsupportedKeySize { .. } => e,
            _ => Error::InvalidCertificate { reason: "the public key is not a usable RSA key" },
        })?;
        Ok(Self {
            der: der.to_vec(),
            public_key,
            not_before: tbs.validity().not_before.to_system_time(),
            not_after: tbs.validity().not_after.to_system_time(),
        })
    }

    /// Reads the first `CERTIFICATE` block of a PEM text, as upstream does.
    pub fn from_pem(text: &str) -> Result<Self> {
        let block = pem::first(text, &["CERTIFICATE"], "CERTIFICATE")?;
        Self::from_der(&block.der)
    }

    /// Every `CERTIFICATE` block of a PEM text, in order.
    pub fn all_from_pem(text: &str) -> Result<Vec<Self>> {
        let certs = pem::blocks(text)
            .into_iter()
            .filter(|b| b.label == "CERTIFICATE")
            .map(|b| Self::from_der(&b.der))
            .collect::<Result<Vec<_>>>()?;
        if certs.is_empty() {
            return Err(Error::MissingPem { expected: "CERTIFICATE" });
        }
        Ok(certs)
    }

    /// Makes a self-signed certificate for `key`, as upstream's controller does.
    pub fn self_signed(key: &RsaPrivateKey, params: &CertificateParams) -> Result<Self> {
        let gen_err = |_| Error::CertificateGeneration;
        let pkcs8 = key.to_pkcs8_der()?;
        let signer = rcgen::KeyPair::try_from(pkcs8.as_slice()).map_err(gen_err)?;

        let mut serial = [0u8; 16];
        aws_lc_rs::rand::fill(&mut serial).map_err(|_| Error::CertificateGeneration)?;
        let not_after = params.not_before.checked_add(params.validity).ok_or(Error::CertificateGeneration)?;

        let mut cert = rcgen::CertificateParams::default();
        cert.distinguished_name = rcgen::DistinguishedName::new();
        if !params.common_name.is_empty() {
            cert.distinguished_name.push(rcgen::DnType::CommonName, params.common_name.as_str());
        }
        cert.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        cert.not_before = params.not_before.into();
        cert.not_after = not_after.into();
        cert.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        cert.key_usages = vec![rcgen::KeyUsagePurpose::EncipherOnly];
        let der = cert.self_signed(&signer).map_err(gen_err)?.der().to_vec();
        Self::from_der(&der)
    }

    /// The PEM text served at `/v1/cert.pem` and stored in a key Secret's `tls.crt`.
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der).as_str().to_owned()
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The RSA public key that values are sealed to.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    /// Start of validity.
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// End of validity; kubeseal refuses to seal with a certificate past it.
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// Whether the certificate has expired at `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now > self.not_after
    }
}

/// Generates a sealing key pair and its certificate, as upstream's controller does at start-up
/// and on every renewal.
pub fn generate_sealing_key(size: RsaKeySize, params: &CertificateParams) -> Result<(RsaPrivateKey, Certificate)> {
    let key = RsaPrivateKey::generate(size)?;
    let cert = Certificate::self_signed(&key, params)?;
    Ok((key, cert))
}
