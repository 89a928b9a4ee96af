//! Cross-checks against independent implementations: PyPI `cryptography` (OpenSSL) and
//! `kubesealpy`, driven through `tests/peers/peer.py`, plus OpenSSH's `ssh-keygen` for
//! fingerprints.
//!
//! Every check runs in both directions where it can: what we seal opens there, what they seal
//! opens here, and a value bound to one namespace, name or scope opens nowhere else. The
//! certificate we generate is read back by `cryptography` and compared with upstream's fields.
//!
//! The peers are required, never skipped: run `scripts/install-test-deps` (it prints
//! `export KUBESEAL_PEER_PYTHON=...`). Without that variable the tests look for
//! `$KUBESEAL_CACHE/venv/bin/python`, then `~/.cache/kubeseal-rs/venv/bin/python`.
//!
//! Each test makes one call to the peer with a batch of operations where it can, because
//! starting Python and importing kubesealpy costs about half a second. The RSA keys are
//! generated once per test process.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kubeseal_sealing::format::{decode_base64, encode_base64};
use kubeseal_sealing::{
    Certificate, CertificateParams, Error, KeyRef, KeyRing, RsaKeySize, RsaPrivateKey, RsaPublicKey, Scope,
    X25519PrivateKey, X25519PublicKey, generate_sealing_key, open_v1, open_v2, seal_v1, seal_v2,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};

const PEER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/peer.py");
const INSTALL_HINT: &str = "run `scripts/install-test-deps` (and export the \
    KUBESEAL_PEER_PYTHON it prints); these cross-checks are required, not optional";

/// Where values are sealed to in the round trips: `(namespace, name)`.
const HOME: (&str, &str) = ("team-a", "db-credentials");
/// The same name in another namespace, and another name in the same namespace.
const OTHER_NAMESPACE: (&str, &str) = ("team-b", "db-credentials");
const OTHER_NAME: (&str, &str) = ("team-a", "api-token");

// --- the peer process ---------------------------------------------------------------------------

/// The Python interpreter of the peer virtualenv. Panics with the install hint if there is none.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Some(explicit) = std::env::var_os("KUBESEAL_PEER_PYTHON") {
            let path = PathBuf::from(explicit);
            assert!(path.exists(), "KUBESEAL_PEER_PYTHON={} does not exist: {INSTALL_HINT}", path.display());
            return path;
        }
        let mut candidates = Vec::new();
        if let Some(cache) = std::env::var_os("KUBESEAL_CACHE") {
            candidates.push(PathBuf::from(cache).join("venv/bin/python"));
        }
        if let Some(home) = std::env::var_os("HOME") {
            candidates.push(PathBuf::from(home).join(".cache/kubeseal-rs/venv/bin/python"));
        }
        candidates.iter().find(|p| p.exists()).cloned().unwrap_or_else(|| {
            panic!(
                "no peer Python found (KUBESEAL_PEER_PYTHON unset; looked at {candidates:?}): \
                     {INSTALL_HINT}"
            )
        })
    })
}

/// Runs a batch of operations in one peer process and returns their results, in order.
fn peer(ops: Vec<Value>) -> Vec<Value> {
    let count = ops.len();
    let request = serde_json::to_vec(&json!({ "ops": ops })).unwrap();
    let mut child = Command::new(python())
        .arg(PEER_SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}: {INSTALL_HINT}", python().display()));
    // The peer reads all of stdin before it writes anything, so this cannot deadlock.
    child.stdin.take().unwrap().write_all(&request).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "peer.py failed ({}): {}\nIf an import failed: {INSTALL_HINT}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = response["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), count, "one result per operation");
    results
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("peer result has no string field {field:?}"))
}

fn texts(value: &Value, field: &str) -> Vec<String> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("peer result has no array field {field:?}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The peer's outcome for each value of an `open_*` operation: the plaintext, or its error.
fn opened(value: &Value) -> Vec<Result<Vec<u8>, String>> {
    value["opened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            if item["ok"] == json!(true) {
                Ok(hex::decode(text(item, "plaintext_hex")).unwrap())
            } else {
                Err(text(item, "error").to_owned())
            }
        })
        .collect()
}

/// `SHA256:` fingerprint and bit count as printed by `ssh-keygen -l`, computed from our SPKI PEM
/// through `ssh-keygen -i -m PKCS8` (so without `cryptography` in the loop).
fn ssh_keygen_fingerprint(public_pem: &str) -> (usize, String) {
    let run = |args: &[&str], input: &[u8]| {
        let mut child = Command::new("ssh-keygen")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "ssh-keygen is required for the fingerprint cross-check ({e}); \
                     install openssh-client"
                )
            });
        child.stdin.take().unwrap().write_all(input).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "ssh-keygen {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let openssh = run(&["-i", "-m", "PKCS8", "-f", "/dev/stdin"], public_pem.as_bytes());
    let listing = run(&["-l", "-f", "-"], openssh.as_bytes());
    let mut fields = listing.split_whitespace();
    let bits = fields.next().unwrap().parse().unwrap();
    (bits, fields.next().unwrap().to_owned())
}

// --- fixtures -----------------------------------------------------------------------------------

/// A sealing key and its certificate, made as the controller makes them.
struct Sealing {
    bits: usize,
    key: RsaPrivateKey,
    cert: Certificate,
}

impl Sealing {
    fn pkcs1_pem(&self) -> SecretString {
        self.key.to_pkcs1_pem().unwrap()
    }

    fn fingerprint(&self) -> &str {
        self.cert.public_key().fingerprint().as_str()
    }
}

/// RSA-2048 and RSA-4096 sealing keys with `CertificateParams::default()`, generated once.
fn sealing_keys() -> &'static [Sealing; 2] {
    static KEYS: OnceLock<[Sealing; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let make = |size, bits| {
            let (key, cert) = generate_sealing_key(size, &CertificateParams::default()).unwrap();
            Sealing { bits, key, cert }
        };
        std::thread::scope(|s| {
            let big = s.spawn(|| make(RsaKeySize::Rsa4096, 4096));
            let small = make(RsaKeySize::Rsa2048, 2048);
            [small, big.join().unwrap()]
        })
    })
}

/// A ring holding both sealing keys, read back from their PKCS#1 PEM.
fn ring_of_both() -> KeyRing {
    let mut ring = KeyRing::new();
    for (i, sealing) in sealing_keys().iter().enumerate() {
        let key = RsaPrivateKey::from_pem(sealing.pkcs1_pem().expose_secret()).unwrap();
        let created = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i as u64);
        assert!(ring.add_rsa(key, created));
    }
    ring
}

/// Empty, short, binary, non-ASCII and multi-KiB values.
fn plaintexts() -> Vec<Vec<u8>> {
    let mut state: u32 = 0x9E37_79B9;
    let noise: Vec<u8> = (0..70_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    vec![
        Vec::new(),
        b"hunter2".to_vec(),
        (0..=255).collect(),
        "pässwörd ✓ 秘密".as_bytes().to_vec(),
        noise[..4099].to_vec(),
        noise,
    ]
}

fn hexes(values: &[Vec<u8>]) -> Vec<String> {
    values.iter().map(hex::encode).collect()
}

/// Every `(scope, namespace, name)` an opener may try: each scope at home, in another
/// namespace and under another name.
fn openers() -> Vec<(Scope, &'static str, &'static str)> {
    Scope::ALL
        .into_iter()
        .flat_map(|scope| [HOME, OTHER_NAMESPACE, OTHER_NAME].into_iter().map(move |(ns, name)| (scope, ns, name)))
        .collect()
}

fn seal_here(key: &RsaPublicKey, scope: Scope, (ns, name): (&str, &str), value: &[u8]) -> String {
    encode_base64(&seal_v1(key, &scope.label(ns, name), value).unwrap())
}

// --- labels and v1 values -----------------------------------------------------------------------

#[test]
fn peers_are_the_versions_install_test_deps_pins() {
    let versions = &peer(vec![json!({"op": "versions"})])[0];
    assert_eq!(versions["cryptography"], "50.0.2", "stale virtualenv: {INSTALL_HINT}");
    assert_eq!(versions["kubesealpy"], "1.0.1", "stale virtualenv: {INSTALL_HINT}");
}

#[test]
fn labels_agree_with_kubesealpy_for_every_scope() {
    let places = [HOME, ("kube-system", "sealed-secrets-key"), ("a", "b/c"), ("ns", ""), ("名前空間", "秘密")];
    let cases: Vec<(Scope, &str, &str)> =
        Scope::ALL.into_iter().flat_map(|scope| places.into_iter().map(move |(ns, name)| (scope, ns, name))).collect();
    let results = peer(
        cases
            .iter()
            .map(|(scope, ns, name)| json!({"op": "label", "scope": scope.as_str(), "namespace": ns, "name": name}))
            .collect(),
    );
    for ((scope, ns, name), result) in cases.iter().zip(&results) {
        assert_eq!(
            hex::encode(scope.label(ns, name).as_bytes()),
            text(result, "label_hex"),
            "{scope} label of {ns}/{name}"
        );
    }
}

#[test]
fn our_v1_values_open_in_cryptography_and_kubesealpy() {
    let values = plaintexts();
    let mut ops = Vec::new();
    let mut cases = Vec::new();
    for sealing in sealing_keys() {
        let public = sealing.cert.public_key();
        let k = public.modulus_len();
        for scope in Scope::ALL {
            let sealed: Vec<String> = values.iter().map(|v| seal_here(public, scope, HOME, v)).collect();
            for (text, value) in sealed.iter().zip(&values) {
                // Upstream's sizes: 2 + k + n + 16 bytes, standard padded base64, no wrapping.
                assert_eq!(text.len(), (2 + k + value.len() + 16).div_ceil(3) * 4);
                assert!(!text.contains(['\n', '-', '_']));
                let prefix = if sealing.bits == 2048 { "AQ" } else { "Ag" };
                assert!(text.starts_with(prefix), "{} bits: {prefix}", sealing.bits);
            }
            let key_pem = sealing.pkcs1_pem();
            let (ns, name) = HOME;
            ops.push(json!({
                "op": "open_cryptography", "private_key_pem": key_pem.expose_secret(),
                "label_hex": hex::encode(scope.label(ns, name).as_bytes()), "sealed": sealed,
            }));
            for api in ["unseal_value", "unseal"] {
                ops.push(json!({
                    "op": "open_kubesealpy", "api": api, "private_key_pem": key_pem.expose_secret(),
                    "scope": scope.as_str(), "namespace": ns, "name": name, "sealed": sealed,
                }));
            }
            for opener in ["cryptography", "kubesealpy unseal_value", "kubesealpy unseal"] {
                cases.push((sealing.bits, scope, opener));
            }
        }
    }
    let results = peer(ops);
    for ((bits, scope, opener), result) in cases.iter().zip(&results) {
        let outcomes = opened(result);
        assert_eq!(outcomes.len(), values.len());
        for (i, (outcome, value)) in outcomes.iter().zip(&values).enumerate() {
            let plaintext =
                outcome.as_ref().unwrap_or_else(|e| panic!("{opener}, RSA-{bits}, {scope}, value {i}: {e}"));
            assert!(plaintext == value, "{opener}, RSA-{bits}, {scope}, value {i}: wrong plaintext");
        }
        if *opener == "cryptography" {
            // Python re-encodes the bytes it decoded; our text must be the canonical encoding.
            for item in result["opened"].as_array().unwrap() {
                assert_eq!(item["canonical_base64"], json!(true));
            }
        }
    }
}

#[test]
fn kubesealpy_and_cryptography_values_open_here() {
    let values = plaintexts();
    let (ns, name) = HOME;
    let mut ops = Vec::new();
    let mut cases = Vec::new();
    for sealing in sealing_keys() {
        let cert_pem = sealing.cert.to_pem();
        for scope in Scope::ALL {
            for api in ["seal_value", "seal"] {
                ops.push(json!({
                    "op": "seal_kubesealpy", "api": api, "cert_pem": cert_pem,
                    "scope": scope.as_str(), "namespace": ns, "name": name,
                    "values_hex": hexes(&values),
                }));
                cases.push((sealing, scope, api));
            }
            ops.push(json!({
                "op": "seal_cryptography", "cert_pem": cert_pem,
                "label_hex": hex::encode(scope.label(ns, name).as_bytes()),
                "values_hex": hexes(&values),
            }));
            cases.push((sealing, scope, "cryptography"));
        }
    }
    let results = peer(ops);
    let ring = ring_of_both();
    for ((sealing, scope, sealer), result) in cases.iter().zip(&results) {
        let label = scope.label(ns, name);
        let sealed = texts(result, "sealed");
        assert_eq!(sealed.len(), values.len());
        for (i, (text, value)) in sealed.iter().zip(&values).enumerate() {
            let what = format!("{sealer}, RSA-{}, {scope}, value {i}", sealing.bits);
            // Their text is what we would have written: the same padded standard base64.
            assert_eq!(encode_base64(&decode_base64(text).unwrap()), *text, "{what}");
            let opened = ring.open_base64(&label, text, None).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(opened.plaintext.expose_secret() == value.as_slice(), "{what}: wrong plaintext");
            assert_eq!(opened.key, KeyRef::Rsa(sealing.cert.public_key().fingerprint().clone()), "{what}");
            // The other key's modulus size differs, so it costs no private-key operation.
            assert_eq!(opened.private_key_operations, 1, "{what}");
        }
        if *sealer == "seal" {
            let annotations = result["annotations"].as_object().unwrap();
            let expected: Vec<&str> = match scope {
                Scope::Strict => vec![],
                Scope::NamespaceWide => vec!["sealedsecrets.bitnami.com/namespace-wide"],
                Scope::ClusterWide => vec!["sealedsecrets.bitnami.com/cluster-wide"],
            };
            let keys: Vec<&str> = annotations.keys().map(String::as_str).collect();
            assert_eq!(keys, expected, "kubesealpy annotations for {scope}");
            assert!(annotations.values().all(|v| v == "true"));
        }
    }
}

// --- binding to namespace, name and scope -------------------------------------------------------

#[test]
fn values_sealed_by_peers_open_here_only_where_their_label_matches() {
    let (ns, name) = HOME;
    let mut ops = Vec::new();
    let mut cases = Vec::new();
    for sealing in sealing_keys() {
        for scope in Scope::ALL {
            ops.push(json!({
                "op": "seal_kubesealpy", "api": "seal_value", "cert_pem": sealing.cert.to_pem(),
                "scope": scope.as_str(), "namespace": ns, "name": name,
                "values_hex": [hex::encode(b"bound")],
            }));
            cases.push((sealing, scope));
        }
    }
    let results = peer(ops);
    let ring = ring_of_both();
    let mut refusals = 0;
    for ((sealing, sealed_scope), result) in cases.iter().zip(&results) {
        let text = &texts(result, "sealed")[0];
        let sealed_label = sealed_scope.label(ns, name);
        for (scope, other_ns, other_name) in openers() {
            let label = scope.label(other_ns, other_name);
            let what = format!(
                "RSA-{} sealed {sealed_scope} for {ns}/{name}, \
                 opened {scope} as {other_ns}/{other_name}",
                sealing.bits
            );
            match ring.open_base64(&label, text, None) {
                Ok(opened) => {
                    assert_eq!(label, sealed_label, "{what}: must not open");
                    assert_eq!(opened.plaintext.expose_secret(), b"bound", "{what}");
                }
                Err(e) => {
                    assert_ne!(label, sealed_label, "{what}: must open, got {e}");
                    assert_eq!(e, Error::DecryptionFailed, "{what}");
                    refusals += 1;
                }
            }
        }
    }
    // Per key size, of the 9 openers: a strict value opens for 1, a namespace-wide value for 2
    // (any name in its namespace), a cluster-wide value for the 3 cluster-wide ones.
    assert_eq!(refusals, 2 * (8 + 7 + 6));
}

#[test]
fn our_values_open_in_peers_only_where_their_label_matches() {
    let (ns, name) = HOME;
    let mut ops = Vec::new();
    let mut cases = Vec::new();
    for sealing in sealing_keys() {
        let key_pem = sealing.pkcs1_pem();
        for sealed_scope in Scope::ALL {
            let text = seal_here(sealing.cert.public_key(), sealed_scope, HOME, b"bound");
            for (scope, other_ns, other_name) in openers() {
                ops.push(json!({
                    "op": "open_cryptography", "private_key_pem": key_pem.expose_secret(),
                    "label_hex": hex::encode(scope.label(other_ns, other_name).as_bytes()),
                    "sealed": [text],
                }));
                for api in ["unseal_value", "unseal"] {
                    ops.push(json!({
                        "op": "open_kubesealpy", "api": api,
                        "private_key_pem": key_pem.expose_secret(), "scope": scope.as_str(),
                        "namespace": other_ns, "name": other_name, "sealed": [text],
                    }));
                }
                let should_open = scope.label(other_ns, other_name) == sealed_scope.label(ns, name);
                let what = format!(
                    "RSA-{} sealed {sealed_scope} for {ns}/{name}, \
                     opened {scope} as {other_ns}/{other_name}",
                    sealing.bits
                );
                for opener in ["cryptography", "kubesealpy unseal_value", "kubesealpy unseal"] {
                    cases.push((format!("{opener}: {what}"), should_open));
                }
            }
        }
    }
    let results = peer(ops);
    let mut refusals = 0;
    for ((what, should_open), result) in cases.iter().zip(&results) {
        match &opened(result)[0] {
            Ok(plaintext) => {
                assert!(should_open, "{what}: must not open");
                assert_eq!(plaintext, b"bound", "{what}");
            }
            Err(e) => {
                assert!(!should_open, "{what}: must open, got {e}");
                refusals += 1;
            }
        }
    }
    assert_eq!(refusals, 3 * 2 * (8 + 7 + 6));
}

// --- certificates and fingerprints --------------------------------------------------------------

fn extension<'a>(info: &'a Value, oid: &str) -> &'a Value {
    info["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["oid"] == oid)
        .unwrap_or_else(|| panic!("no extension {oid} in {}", info["extensions"]))
}

fn unix_seconds(t: SystemTime) -> i64 {
    i64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

#[test]
fn generated_certificates_read_in_cryptography_as_upstream_writes_them() {
    let started = unix_seconds(SystemTime::now()) - 600;
    let results = peer(
        sealing_keys().iter().map(|s| json!({"op": "inspect_certificate", "cert_pem": s.cert.to_pem()})).collect(),
    );
    for (sealing, info) in sealing_keys().iter().zip(&results) {
        let what = format!("RSA-{} certificate", sealing.bits);
        assert_eq!(info["version"], "v3", "{what}");
        // Empty subject and issuer DN when no common name is given.
        assert_eq!(info["subject_rfc4514"], "", "{what}");
        assert_eq!(info["issuer_rfc4514"], "", "{what}");
        assert_eq!(info["subject_attributes"], json!([]), "{what}");
        assert_eq!(info["issuer_attributes"], json!([]), "{what}");
        // Serial: a positive integer below 2^128.
        assert_eq!(info["serial_positive"], true, "{what}");
        assert!(info["serial_bits"].as_u64().unwrap() <= 128, "{what}");
        // Validity: now, for 87600 hours; the same instants we read ourselves.
        let not_before = info["not_before"].as_i64().unwrap();
        let not_after = info["not_after"].as_i64().unwrap();
        assert_eq!(not_after - not_before, 87_600 * 3600, "{what}");
        assert_eq!(not_before, unix_seconds(sealing.cert.not_before()), "{what}");
        assert_eq!(not_after, unix_seconds(sealing.cert.not_after()), "{what}");
        assert!(not_before >= started && not_before <= unix_seconds(SystemTime::now()));
        // sha256WithRSAEncryption, self-signed with the sealing key.
        assert_eq!(info["signature_algorithm_oid"], "1.2.840.113549.1.1.11", "{what}");
        assert_eq!(info["signature_hash"], "sha256", "{what}");
        assert_eq!(info["signature_valid"], true, "{what}");
        assert_eq!(
            text(&info["public_key"], "spki_der_hex"),
            hex::encode(sealing.cert.public_key().to_spki_der()),
            "{what}"
        );
        assert_eq!(
            text(&info["public_key"], "spki_der_hex"),
            hex::encode(sealing.key.public_key().to_spki_der()),
            "{what}"
        );
        assert_eq!(info["public_key"]["e"], 65537, "{what}");
        assert_eq!(info["public_key"]["bits"], sealing.bits, "{what}");
        // KeyUsage: encipherOnly alone, critical; the exact DER Go writes for it.
        let key_usage = extension(info, "2.5.29.15");
        assert_eq!(key_usage["critical"], true, "{what}");
        assert_eq!(key_usage["key_usage"], json!(["encipher_only"]), "{what}");
        assert_eq!(key_usage["value_hex"], "03020001", "{what}");
        // BasicConstraints: CA:TRUE, no path length, critical.
        let basic = extension(info, "2.5.29.19");
        assert_eq!(basic["critical"], true, "{what}");
        assert_eq!(basic["basic_constraints"], json!({"ca": true, "path_length": null}), "{what}");
        // Nothing else but, as recent Go adds for CA certificates, a subject key identifier
        // (non-critical, 160 bits). Only its method differs: Go 1.25+ hashes the key bits, rcgen
        // the whole SubjectPublicKeyInfo (RFC 7093 method 4); no client reads it.
        for ext in info["extensions"].as_array().unwrap() {
            assert!(
                ["2.5.29.15", "2.5.29.19", "2.5.29.14"].contains(&text(ext, "oid")),
                "{what}: unexpected extension {ext}"
            );
        }
        let key_id = extension(info, "2.5.29.14");
        assert_eq!(key_id["critical"], false, "{what}");
        assert_eq!(text(&key_id["subject_key_id"], "key_id_hex").len(), 40, "{what}");
        assert!(key_id["subject_key_id"]["method"].is_string(), "{what}: unknown key id method");
        // cryptography refuses to build its KeyUsage object for encipherOnly without
        // keyAgreement (a rule of its own, not of RFC 5280), so `cert.extensions` raises. Upstream
        // certificates carry the same bits; the assertion documents that refusal.
        let refusal = &info["cryptography_extensions"];
        assert_eq!(refusal["ok"], false, "{what}: {refusal}");
        assert!(text(refusal, "error").contains("key_agreement"), "{what}: {refusal}");
    }
}

#[test]
fn certificate_common_name_and_validity_are_written_as_given() {
    let sealing = &sealing_keys()[0];
    let not_before = UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
    let params = CertificateParams {
        common_name: "sealed-secrets-controller".to_owned(),
        not_before,
        validity: Duration::from_secs(24 * 3600),
    };
    let cert = Certificate::self_signed(&sealing.key, &params).unwrap();
    let defaults = Certificate::self_signed(&sealing.key, &CertificateParams::default()).unwrap();
    let results = peer(vec![
        json!({"op": "inspect_certificate", "cert_pem": cert.to_pem()}),
        json!({"op": "inspect_certificate", "cert_pem": defaults.to_pem()}),
    ]);
    let info = &results[0];
    let cn = json!([["2.5.4.3", "sealed-secrets-controller"]]);
    assert_eq!(info["subject_attributes"], cn);
    assert_eq!(info["issuer_attributes"], cn);
    assert_eq!(info["subject_rfc4514"], "CN=sealed-secrets-controller");
    assert_eq!(info["not_before"], 1_767_225_600);
    assert_eq!(info["not_after"], 1_767_225_600 + 24 * 3600);
    assert_eq!(info["signature_valid"], true);
    // Two certificates for one key still get different random serials.
    assert_ne!(info["serial_hex"], results[1]["serial_hex"]);
}

#[test]
fn fingerprints_match_openssh_blob_and_ssh_keygen() {
    let results = peer(
        sealing_keys()
            .iter()
            .flat_map(|s| {
                [
                    json!({"op": "ssh_fingerprint", "public_key_pem": s.key.public_key().to_pem()}),
                    json!({"op": "ssh_fingerprint", "cert_pem": s.cert.to_pem()}),
                ]
            })
            .collect(),
    );
    for (sealing, pair) in sealing_keys().iter().zip(results.chunks(2)) {
        let ours = sealing.fingerprint();
        assert_eq!(ours, sealing.key.public_key().fingerprint().as_str());
        for result in pair {
            // cryptography's OpenSSH `ssh-rsa` blob, hashed on the Python side.
            assert_eq!(text(result, "fingerprint"), ours, "RSA-{}", sealing.bits);
            assert!(text(result, "openssh").starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
            assert!(text(result, "blob_hex").starts_with("000000077373682d727361"));
        }
        assert!(ours.starts_with("SHA256:") && !ours.ends_with('='));
        assert_eq!(ours.len(), "SHA256:".len() + 43);
        let (bits, from_ssh_keygen) = ssh_keygen_fingerprint(&sealing.key.public_key().to_pem());
        assert_eq!(bits, sealing.bits);
        assert_eq!(from_ssh_keygen, ours, "ssh-keygen, RSA-{}", sealing.bits);
    }
}

// --- keys in both directions --------------------------------------------------------------------

#[test]
fn rsa_keys_from_cryptography_load_here_and_open_values_the_peer_sealed() {
    let (ns, name) = HOME;
    let seal: Vec<Value> = Scope::ALL
        .into_iter()
        .map(|scope| {
            json!({"scope": scope.as_str(), "namespace": ns, "name": name,
                   "value_hex": hex::encode(scope.as_str())})
        })
        .collect();
    let cases = [(2048, "pkcs1"), (2048, "pkcs8"), (4096, "pkcs1"), (4096, "pkcs8")];
    let results = peer(
        cases
            .iter()
            .map(|(bits, format)| json!({"op": "generate_rsa", "bits": bits, "format": format, "seal": seal}))
            .collect(),
    );
    for ((bits, format), generated) in cases.iter().zip(&results) {
        let what = format!("RSA-{bits} {format}");
        let pem = SecretString::from(text(generated, "private_key_pem"));
        let header = match *format {
            "pkcs1" => "-----BEGIN RSA PRIVATE KEY-----",
            _ => "-----BEGIN PRIVATE KEY-----",
        };
        assert!(pem.expose_secret().starts_with(header), "{what}");
        let key = RsaPrivateKey::from_pem(pem.expose_secret()).unwrap();
        let public = RsaPublicKey::from_pem(text(generated, "public_key_pem")).unwrap();
        assert_eq!(key.public_key(), &public, "{what}");
        assert_eq!(key.public_key().bits(), *bits, "{what}");
        assert_eq!(key.public_key().modulus_len(), bits / 8, "{what}");
        assert_eq!(hex::encode(key.public_key().to_spki_der()), text(generated, "spki_der_hex"), "{what}");
        assert_eq!(key.public_key().fingerprint().as_str(), text(generated, "fingerprint"), "{what}");
        let sealed = texts(generated, "sealed");
        for (scope, text) in Scope::ALL.into_iter().zip(&sealed) {
            let raw = decode_base64(text).unwrap();
            let plaintext = open_v1(&key, &scope.label(ns, name), &raw).unwrap();
            assert_eq!(plaintext.expose_secret(), scope.as_str().as_bytes(), "{what}");
        }
        // And the loaded key seals values that open under the key the peer still holds.
        let mut ring = KeyRing::new();
        ring.add_rsa(key, SystemTime::now());
        let ours = seal_here(&public, Scope::Strict, HOME, b"back");
        assert_eq!(
            ring.open_base64(&Scope::Strict.label(ns, name), &ours, None).unwrap().plaintext.expose_secret(),
            b"back"
        );
    }
}

#[test]
fn our_rsa_keys_load_in_cryptography_with_the_same_public_numbers() {
    let mut ops = Vec::new();
    for sealing in sealing_keys() {
        let pkcs1 = sealing.pkcs1_pem();
        assert!(pkcs1.expose_secret().starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let pkcs8 = sealing.key.to_pkcs8_der().unwrap();
        ops.push(json!({"op": "rsa_key_numbers", "private_key_pem": pkcs1.expose_secret()}));
        ops.push(json!({"op": "rsa_key_numbers", "private_key_der_hex": hex::encode(&*pkcs8)}));
        ops.push(json!({"op": "rsa_key_numbers", "public_key_pem": sealing.key.public_key().to_pem()}));
    }
    let results = peer(ops);
    for (sealing, triple) in sealing_keys().iter().zip(results.chunks(3)) {
        let spki = hex::encode(sealing.key.public_key().to_spki_der());
        for (form, numbers) in ["PKCS#1 PEM", "PKCS#8 DER", "SPKI PEM"].iter().zip(triple) {
            let what = format!("RSA-{} {form}", sealing.bits);
            assert_eq!(text(numbers, "spki_der_hex"), spki, "{what}");
            assert_eq!(numbers["e"], 65537, "{what}");
            assert_eq!(numbers["bits"], sealing.bits, "{what}");
            let n = text(numbers, "n_hex");
            assert_eq!(n.len(), sealing.bits / 4, "{what}: modulus has its top bit set");
            assert!(spki.contains(n), "{what}: modulus inside our SPKI");
        }
    }
}

#[test]
fn x25519_pems_are_interchangeable_with_cryptography() {
    let ours = X25519PrivateKey::generate().unwrap();
    let ours_private = ours.to_pkcs8_pem().unwrap();
    let results = peer(vec![
        json!({"op": "x25519_public", "private_key_pem": ours_private.expose_secret()}),
        json!({"op": "x25519_public", "public_key_pem": ours.public_key().to_pem()}),
        json!({"op": "generate_x25519"}),
    ]);
    let ours_hex = hex::encode(ours.public_key().as_bytes());
    assert_eq!(text(&results[0], "public_hex"), ours_hex);
    assert_eq!(text(&results[1], "public_hex"), ours_hex);

    let theirs = &results[2];
    let private_pem = SecretString::from(text(theirs, "private_key_pem"));
    let private = X25519PrivateKey::from_pem(private_pem.expose_secret()).unwrap();
    let public = X25519PublicKey::from_pem(text(theirs, "public_key_pem")).unwrap();
    let theirs_hex = text(theirs, "public_hex");
    assert_eq!(hex::encode(private.public_key().as_bytes()), theirs_hex);
    assert_eq!(hex::encode(public.as_bytes()), theirs_hex);
    assert_eq!(private.public_key(), &public);
    // Byte-identical PEM both ways: both write RFC 8410 DER with 64-column PEM.
    assert_eq!(public.to_pem(), text(theirs, "public_key_pem"));
    assert_eq!(private.to_pkcs8_pem().unwrap().expose_secret(), private_pem.expose_secret());
}

#[test]
fn v2_values_open_in_cryptography_hpke_and_back() {
    let values = plaintexts();
    let ours = X25519PrivateKey::generate().unwrap();
    let (ns, name) = HOME;
    let mut ops = Vec::new();
    for scope in Scope::ALL {
        let label = scope.label(ns, name);
        let sealed: Vec<String> =
            values.iter().map(|v| encode_base64(&seal_v2(ours.public_key(), &label, v).unwrap())).collect();
        for label_of in [scope.label(ns, name), Scope::Strict.label("elsewhere", name)] {
            ops.push(json!({
                "op": "open_hpke", "private_key_pem": ours.to_pkcs8_pem().unwrap().expose_secret(),
                "label_hex": hex::encode(label_of.as_bytes()), "sealed": sealed,
            }));
        }
        ops.push(json!({
            "op": "seal_hpke", "public_key_pem": ours.public_key().to_pem(),
            "label_hex": hex::encode(label.as_bytes()), "values_hex": hexes(&values),
        }));
    }
    let results = peer(ops);
    for (scope, triple) in Scope::ALL.into_iter().zip(results.chunks(3)) {
        let label = scope.label(ns, name);
        for (outcome, value) in opened(&triple[0]).iter().zip(&values) {
            assert!(outcome.as_ref().unwrap() == value, "{scope}: peer opens ours");
        }
        for outcome in opened(&triple[1]) {
            assert!(outcome.is_err(), "{scope}: peer must not open under another label");
        }
        for (text, value) in texts(&triple[2], "sealed").iter().zip(&values) {
            let raw = decode_base64(text).unwrap();
            let plaintext = open_v2(&ours, &label, &raw).unwrap();
            assert!(plaintext.expose_secret() == value.as_slice(), "{scope}: we open theirs");
            let elsewhere = Scope::Strict.label("elsewhere", name);
            assert_eq!(open_v2(&ours, &elsewhere, &raw).err(), Some(Error::DecryptionFailed));
        }
    }
}
