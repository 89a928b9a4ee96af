//! Writes the seed corpora under `fuzz/seeds/<target>/` from the fixed test keys.
//!
//! ```text
//! cargo run --example write_seeds                  # rewrite seeds/ (new random session keys)
//! cargo run --example write_seeds -- --new-rsa-key # replace fixtures/rsa-2048-test-only.pem first
//! ```
//!
//! Run from `fuzz/` (stable is fine). After `--new-rsa-key`, run it once more without the flag,
//! so the seeds are sealed to the new key that the library now embeds.

#![forbid(unsafe_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, ensure};
use kubeseal_fuzz::{NAME, NAMESPACE, PLAINTEXTS, label, rsa_test_key, x25519_test_key};
use kubeseal_sealing::format::encode_base64;
use kubeseal_sealing::{
    Certificate, CertificateParams, KeyRing, Recipient, RsaKeySize, RsaPrivateKey, RsaPublicKey, Scope,
    X25519PrivateKey,
};
use secrecy::ExposeSecret as _;

fn main() -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if std::env::args().any(|a| a == "--new-rsa-key") {
        let key = RsaPrivateKey::generate(RsaKeySize::Rsa2048)?;
        let path = root.join("fixtures/rsa-2048-test-only.pem");
        fs::write(&path, key.to_pkcs1_pem()?.expose_secret()).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}; run again without --new-rsa-key", path.display());
        return Ok(());
    }
    envelope_seeds(&root.join("seeds/envelope"))?;
    pem_seeds(&root.join("seeds/pem"))?;
    Ok(())
}

fn envelope_seeds(dir: &Path) -> Result<()> {
    let rsa = rsa_test_key();
    let x25519 = x25519_test_key();
    let strict = label();
    let namespace_wide = Scope::NamespaceWide.label(NAMESPACE, NAME);
    let v1 = Recipient::V1(rsa.public_key());
    let v2 = Recipient::V2(x25519.public_key());
    let stranger = X25519PrivateKey::generate()?;

    let [empty, short, binary] = PLAINTEXTS else {
        anyhow::bail!("PLAINTEXTS changed; update write_seeds");
    };
    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        ("v1-strict-empty", v1.seal(&strict, empty)?),
        ("v1-strict-short", v1.seal(&strict, short)?),
        ("v1-strict-binary", v1.seal(&strict, binary)?),
        ("v1-namespace-wide", v1.seal(&namespace_wide, short)?),
        ("v2-strict-empty", v2.seal(&strict, empty)?),
        ("v2-strict-short", v2.seal(&strict, short)?),
        ("v2-strict-binary", v2.seal(&strict, binary)?),
        ("v2-namespace-wide", v2.seal(&namespace_wide, short)?),
        ("v2-unknown-key", Recipient::V2(stranger.public_key()).seal(&strict, short)?),
        ("v2-unknown-version", [&[0x49, 0x2B, 0xF7][..], &[0; 56]].concat()),
        ("v1-zero-length", vec![0, 0, 1]),
    ];
    // The text path (open_base64): one value per line break style Go's decoder ignores.
    let v1_text = encode_base64(&v1.seal(&strict, short)?);
    let v2_text = encode_base64(&v2.seal(&strict, binary)?);
    let (a, b) = v1_text.split_at(76);
    seeds.push(("v1-strict-short.b64", format!("{a}\r\n{b}").into_bytes()));
    seeds.push(("v2-strict-binary.b64", format!("{v2_text}\n").into_bytes()));

    // The envelope target relies on exactly the strict seeds opening with the fixture keys.
    let mut ring = KeyRing::new();
    ring.add_rsa(rsa_test_key(), SystemTime::now());
    ring.add_x25519(x25519_test_key(), SystemTime::now());
    for (name, bytes) in &seeds {
        let opened = match name.strip_suffix(".b64") {
            Some(_) => ring.open_base64(&strict, std::str::from_utf8(bytes)?, None),
            None => ring.open(&strict, bytes, None),
        };
        let should_open = name.contains("-strict-");
        ensure!(opened.is_ok() == should_open, "seed {name}: opened = {}", opened.is_ok());
    }
    write_all(dir, &seeds)
}

fn pem_seeds(dir: &Path) -> Result<()> {
    let rsa = rsa_test_key();
    let x25519 = x25519_test_key();
    let public = rsa.public_key();

    let pkcs1_pem = rsa.to_pkcs1_pem()?;
    let pkcs8_der = rsa.to_pkcs8_der()?;
    let pkcs1_der = pem_body(pkcs1_pem.expose_secret())?;
    let spki_der = public.to_spki_der();
    let public_pkcs1_der = rsa_public_pkcs1(spki_der)?;
    ensure!(RsaPublicKey::from_pkcs1_der(&public_pkcs1_der)? == *public);

    let params = CertificateParams {
        common_name: "kubeseal-fuzz".into(),
        not_before: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        ..CertificateParams::default()
    };
    let cert = Certificate::self_signed(&rsa, &params)?;
    let cert_empty_subject = Certificate::self_signed(
        &rsa,
        &CertificateParams { not_before: SystemTime::now(), ..CertificateParams::default() },
    )?;
    let x25519_private_pem = x25519.to_pkcs8_pem().expect("encode X25519 key");
    let x25519_private_der = pem_body(x25519_private_pem.expose_secret())?;

    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("rsa-private-pkcs1.pem", pkcs1_pem.expose_secret().into()),
        ("rsa-private-pkcs8.pem", pem("PRIVATE KEY", &pkcs8_der).into()),
        ("rsa-private-pkcs1.der", pkcs1_der),
        ("rsa-private-pkcs8.der", pkcs8_der.to_vec()),
        ("rsa-public-spki.pem", public.to_pem().into()),
        ("rsa-public-pkcs1.pem", pem("RSA PUBLIC KEY", &public_pkcs1_der).into()),
        ("rsa-public-spki.der", spki_der.to_vec()),
        ("cert.pem", cert.to_pem().into()),
        ("cert.der", cert.der().to_vec()),
        (
            "cert-bundle-crlf.pem",
            format!("junk before\n{}{}", cert.to_pem(), cert_empty_subject.to_pem())
                .replace('\n', "\r\n")
                .into(),
        ),
        ("x25519-private.pem", x25519_private_pem.expose_secret().into()),
        ("x25519-private.der", x25519_private_der),
        ("x25519-public.pem", x25519.public_key().to_pem().into()),
        ("x25519-public.der", x25519.public_key().to_spki_der()),
        (
            "encrypted.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n".into(),
        ),
    ];
    write_all(dir, &seeds)
}

/// PEM as Go writes it: 64-character lines, final newline.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = encode_base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER body of a single-block PEM text.
fn pem_body(text: &str) -> Result<Vec<u8>> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    Ok(kubeseal_sealing::format::decode_base64(&body)?)
}

/// The PKCS#1 `RSAPublicKey` inside an RSA SubjectPublicKeyInfo: the BIT STRING's content after
/// its unused-bits byte.
fn rsa_public_pkcs1(spki: &[u8]) -> Result<Vec<u8>> {
    let (_, body) = der_header(spki)?;
    let (algorithm_len, after_tag) = der_header(body)?;
    let bit_string = &after_tag[algorithm_len..];
    let (bits_len, bits) = der_header(bit_string)?;
    ensure!(bits.len() == bits_len && bits.first() == Some(&0), "unexpected SPKI shape");
    Ok(bits[1..].to_vec())
}

/// Skips one DER tag and length; returns the content length and everything after the header.
fn der_header(der: &[u8]) -> Result<(usize, &[u8])> {
    let [_, first, rest @ ..] = der else {
        anyhow::bail!("short DER");
    };
    if first & 0x80 == 0 {
        return Ok((usize::from(*first), rest));
    }
    let n = usize::from(first & 0x7f);
    ensure!(rest.len() >= n, "short DER length");
    let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Ok((len, &rest[n..]))
}

fn write_all(dir: &Path, seeds: &[(&str, Vec<u8>)]) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut total = 0;
    for (name, bytes) in seeds {
        let path = dir.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        total += bytes.len();
    }
    println!("{}: {} seeds, {total} bytes", dir.display(), seeds.len());
    Ok(())
}
