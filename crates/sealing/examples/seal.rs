//! Seals the values of an env-style file (KEY=value lines) for a SealedSecret, with both
//! envelopes, then opens them again with the controller-side key ring to prove the round trip.
//!
//! ```text
//! cargo run --release -p kubeseal-sealing --example seal -- examples/db-credentials.env [namespace] [name]
//! ```
//!
//! A fresh controller key pair (RSA-4096 with its certificate, and X25519) is generated for the
//! run, as the controller does on first start. Plaintext is never printed.

use std::time::{Instant, SystemTime};

use anyhow::{Context, bail};
use kubeseal_sealing::{
    CertificateParams, KeyRing, Recipient, RsaKeySize, Scope, X25519PrivateKey, generate_sealing_key,
};
use secrecy::ExposeSecret;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().context("usage: seal FILE [namespace] [name]")?;
    let namespace = args.next().unwrap_or_else(|| "demo".into());
    let name = args.next().unwrap_or_else(|| "db-credentials".into());
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let mut values = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("{path}:{}: expected KEY=value", n + 1);
        };
        values.push((key.trim().to_owned(), value.as_bytes().to_vec()));
    }

    let started = Instant::now();
    let (rsa, cert) = generate_sealing_key(RsaKeySize::Rsa4096, &CertificateParams::default())?;
    let x25519 = X25519PrivateKey::generate()?;
    eprintln!(
        "controller keys: RSA-4096 {} (certificate valid for {} days), X25519 key id {} ({:.2?})",
        rsa.public_key().fingerprint(),
        cert.not_after().duration_since(cert.not_before()).map(|d| d.as_secs() / 86_400).unwrap_or(0),
        x25519.public_key().key_id(),
        started.elapsed()
    );

    let label = Scope::Strict.label(&namespace, &name);
    let v1 = Recipient::V1(cert.public_key());
    let v2 = Recipient::V2(x25519.public_key());
    let mut sealed = Vec::new();
    println!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  encryptedData:"
    );
    for (key, value) in &values {
        let a = v1.seal_base64(&label, value)?;
        let b = v2.seal_base64(&label, value)?;
        println!("    {key}: {a}");
        println!("    {key}-v2: {b}");
        sealed.push((key, value, a, b));
    }

    let mut ring = KeyRing::new();
    ring.add_rsa(rsa, SystemTime::now());
    ring.add_x25519(x25519, SystemTime::now());
    for (key, value, a, b) in &sealed {
        for (envelope, text) in [("v1", a), ("v2", b)] {
            let started = Instant::now();
            let opened = ring.open_base64(&label, text, None)?;
            anyhow::ensure!(opened.plaintext.expose_secret() == value.as_slice(), "{key} did not round-trip");
            eprintln!("opened {key} ({envelope}, {} bytes) in {:.2?}", text.len(), started.elapsed());
        }
    }
    eprintln!("all {} values sealed for {namespace}/{name} and opened again", values.len());
    Ok(())
}
