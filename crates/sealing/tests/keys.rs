//! Key generation, certificates and PEM: what upstream's controller and kubeseal read and write.

mod common;

use std::time::{Duration, SystemTime};

use common::rsa;
use kubeseal_sealing::keys::DEFAULT_VALIDITY;
use kubeseal_sealing::{
    Certificate, CertificateParams, Error, RsaKeySize, RsaPrivateKey, RsaPublicKey, Scope, X25519PrivateKey,
    X25519PublicKey, generate_sealing_key, open_v1, seal_v1,
};
use secrecy::ExposeSecret;

#[test]
fn generated_sealing_key_is_rsa_4096_with_a_ten_year_certificate() {
    let before = SystemTime::now() - Duration::from_secs(1);
    let (key, cert) = generate_sealing_key(RsaKeySize::default(), &CertificateParams::default()).unwrap();
    assert_eq!(key.public_key().bits(), 4096);
    assert_eq!(cert.public_key(), key.public_key());
    assert_eq!(DEFAULT_VALIDITY, Duration::from_secs(87_600 * 3600));
    let validity = cert.not_after().duration_since(cert.not_before()).unwrap();
    assert_eq!(validity, DEFAULT_VALIDITY);
    assert!(cert.not_before() >= before && cert.not_before() <= SystemTime::now());
    assert!(!cert.is_expired_at(SystemTime::now()));
    assert!(cert.is_expired_at(cert.not_after() + Duration::from_secs(1)));
}

#[test]
fn certificate_round_trips_through_pem_and_seals_for_its_key() {
    let key = rsa(RsaKeySize::Rsa2048);
    let params = CertificateParams {
        common_name: "sealed-secrets".into(),
        not_before: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        validity: Duration::from_secs(3600),
    };
    let cert = Certificate::self_signed(key, &params).unwrap();
    let pem = cert.to_pem();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n") && pem.ends_with("-----END CERTIFICATE-----\n"));
    let again = Certificate::from_pem(&format!("leading junk\n{pem}trailing junk")).unwrap();
    assert_eq!(again, cert);
    assert_eq!(again.not_before(), params.not_before);
    assert_eq!(again.not_after(), params.not_before + params.validity);
    let label = Scope::Strict.label("ns", "n");
    let sealed = seal_v1(again.public_key(), &label, b"via cert").unwrap();
    assert_eq!(open_v1(key, &label, &sealed).unwrap().expose_secret(), b"via cert");
}

#[test]
fn two_certificates_for_one_key_differ_in_serial() {
    let key = rsa(RsaKeySize::Rsa2048);
    let a = Certificate::self_signed(key, &CertificateParams::default()).unwrap();
    let b = Certificate::self_signed(key, &CertificateParams::default()).unwrap();
    assert_ne!(a.der(), b.der());
}

#[test]
fn all_certificates_of_a_bundle_are_read_in_order() {
    let a = Certificate::self_signed(rsa(RsaKeySize::Rsa2048), &CertificateParams::default()).unwrap();
    let b = Certificate::self_signed(rsa(RsaKeySize::Rsa3072), &CertificateParams::default()).unwrap();
    let bundle = format!("{}{}", a.to_pem(), b.to_pem());
    assert_eq!(Certificate::all_from_pem(&bundle).unwrap(), vec![a.clone(), b]);
    assert_eq!(Certificate::from_pem(&bundle).unwrap(), a);
}

#[test]
fn private_keys_round_trip_through_pkcs1_and_pkcs8() {
    let key = rsa(RsaKeySize::Rsa3072);
    let pkcs1 = key.to_pkcs1_pem().unwrap();
    assert!(pkcs1.expose_secret().starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    let from_pkcs1 = RsaPrivateKey::from_pem(pkcs1.expose_secret()).unwrap();
    assert_eq!(from_pkcs1.public_key(), key.public_key());
    let pkcs8 = key.to_pkcs8_der().unwrap();
    let from_pkcs8 = RsaPrivateKey::from_pkcs8_der(&pkcs8).unwrap();
    assert_eq!(from_pkcs8.public_key().fingerprint(), key.public_key().fingerprint());
    let label = Scope::ClusterWide.label("", "");
    let sealed = seal_v1(key.public_key(), &label, b"k").unwrap();
    assert_eq!(open_v1(&from_pkcs1, &label, &sealed).unwrap().expose_secret(), b"k");
}

#[test]
fn public_keys_read_from_spki_pem() {
    let public = rsa(RsaKeySize::Rsa2048).public_key();
    let again = RsaPublicKey::from_pem(&public.to_pem()).unwrap();
    assert_eq!(&again, public);
    assert_eq!(again.fingerprint(), public.fingerprint());
    let fp = public.fingerprint().as_str();
    assert!(fp.starts_with("SHA256:") && fp.len() == 7 + 43 && !fp.ends_with('='), "{fp}");
}

#[test]
fn x25519_keys_round_trip_through_rfc8410_pem() {
    let key = X25519PrivateKey::generate().unwrap();
    let pem = key.to_pkcs8_pem().unwrap();
    assert!(pem.expose_secret().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let again = X25519PrivateKey::from_pem(pem.expose_secret()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    let public = X25519PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
    assert_eq!(public.key_id(), key.public_key().key_id());
    assert_eq!(public.key_id().to_string().len(), 16);
}

#[test]
fn key_kinds_are_not_confused() {
    let rsa_pem = rsa(RsaKeySize::Rsa2048).to_pkcs1_pem().unwrap();
    let x = X25519PrivateKey::generate().unwrap();
    // An X25519 PKCS#8 key is not an RSA key, and the other way round.
    let err = RsaPrivateKey::from_pem(x.to_pkcs8_pem().unwrap().expose_secret()).unwrap_err();
    assert_eq!(err, Error::InvalidKey { what: "RSA private key", reason: "not an RSA key" });
    assert!(X25519PrivateKey::from_pem(rsa_pem.expose_secret()).is_err());
    assert!(RsaPublicKey::from_pem(&x.public_key().to_pem()).is_err());
    assert!(Certificate::from_pem(rsa_pem.expose_secret()).is_err());
}

#[test]
fn bad_pem_gets_an_error_that_names_what_was_expected() {
    assert_eq!(
        Certificate::from_pem("not a certificate").unwrap_err().to_string(),
        "no PEM block of type CERTIFICATE found"
    );
    assert_eq!(
        RsaPrivateKey::from_pem("").unwrap_err().to_string(),
        "no PEM block of type RSA PRIVATE KEY or PRIVATE KEY found"
    );
    let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_eq!(
        Certificate::from_pem(garbage).unwrap_err().to_string(),
        "invalid certificate: not a DER X.509 certificate"
    );
    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert!(RsaPrivateKey::from_pem(encrypted).unwrap_err().to_string().contains("encrypted"));
}

/// DER of a PKCS#1 RSAPublicKey with a `bits`-bit modulus (all 0xFF bytes; never used to encrypt).
fn pkcs1_public_of_size(bits: usize) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 128 {
            out.push(len as u8);
        } else if len < 256 {
            out.extend_from_slice(&[0x81, len as u8]);
        } else {
            out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }
    let mut modulus = vec![0u8];
    modulus.extend(std::iter::repeat_n(0xFF, bits / 8));
    let mut body = tlv(0x02, &modulus);
    body.extend(tlv(0x02, &[0x01, 0x00, 0x01]));
    tlv(0x30, &body)
}

#[test]
fn rsa_keys_outside_2048_to_8192_bits_are_refused_by_size() {
    for bits in [1024, 16384] {
        assert_eq!(
            RsaPublicKey::from_pkcs1_der(&pkcs1_public_of_size(bits)).unwrap_err(),
            Error::UnsupportedKeySize { bits }
        );
    }
    assert_eq!(RsaKeySize::from_bits(1024).unwrap_err(), Error::UnsupportedKeySize { bits: 1024 });
    assert_eq!(RsaKeySize::from_bits(3072).unwrap(), RsaKeySize::Rsa3072);
    let msg = Error::UnsupportedKeySize { bits: 1024 }.to_string();
    assert_eq!(msg, "RSA key of 1024 bits is outside the supported range of 2048 to 8192 bits");
}
