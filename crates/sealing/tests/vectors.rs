//! Committed v1 vectors sealed by an independent implementation (kubesealpy on OpenSSL), with
//! the outcome each must have here: opens in the right place, fails when renamed, moved, when
//! the scope annotation is flipped, with the wrong key, or when cut short. The file is
//! self-describing; `tests/data/make_v1_vectors.py` wrote it.

use std::path::Path;

use kubeseal_sealing::{Error, KeyRing, RsaPrivateKey, Scope};
use secrecy::ExposeSecret;
use serde_json::Value;

fn data(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ring_with(key_file: &str) -> KeyRing {
    let mut ring = KeyRing::new();
    ring.add_rsa(RsaPrivateKey::from_pem(&data(key_file)).unwrap(), std::time::SystemTime::now());
    ring
}

#[test]
fn every_v1_vector_has_its_expected_outcome() {
    let doc: Value = serde_json::from_str(&data("v1-vectors.json")).unwrap();
    let keys = &doc["keys"];
    let main = ring_with(keys["main"].as_str().unwrap());
    let other = ring_with(keys["other"].as_str().unwrap());
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "the vector file lost cases");
    let (mut opened, mut refused) = (0, 0);
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let open_as = &case["open_as"];
        let scope: Scope = open_as["scope"].as_str().unwrap().parse().unwrap();
        let label = scope.label(open_as["namespace"].as_str().unwrap(), open_as["name"].as_str().unwrap());
        let ring = if case["key"] == "main" { &main } else { &other };
        let result = ring.open_base64(&label, case["ciphertext"].as_str().unwrap(), None);
        let expect = &case["expect"];
        if let Some(hex) = expect["plaintext_hex"].as_str() {
            let got = result.unwrap_or_else(|e| panic!("{name}: expected to open, got {e}"));
            assert_eq!(hex::encode(got.plaintext.expose_secret()), hex, "{name}");
            opened += 1;
        } else {
            let want = match expect["error"].as_str().unwrap() {
                "DecryptionFailed" => Error::DecryptionFailed,
                "Truncated" => Error::Truncated,
                other => panic!("{name}: unknown expected error {other}"),
            };
            assert_eq!(result.err(), Some(want), "{name}");
            refused += 1;
        }
    }
    assert!(opened >= 12 && refused >= 15, "opened {opened}, refused {refused}");
}
