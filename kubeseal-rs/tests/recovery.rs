//! Golden tests of `--recovery-unseal` and `--merge-into`, run through the binary, with values
//! sealed by the independent Python implementations (PyPI `kubesealpy`, and `cryptography`
//! through the sealing crate's `tests/peers/peer.py`).
//!
//! The peers are required, never skipped: run `scripts/install-test-deps` and export the
//! `KUBESEAL_PEER_PYTHON` it prints (otherwise `$KUBESEAL_CACHE/venv/bin/python`, then
//! `~/.cache/kubeseal-rs/venv/bin/python` are tried). Without one these tests fail.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use kubeseal_sealing::format::encode_base64;
use kubeseal_sealing::{Certificate, CertificateParams, RsaPrivateKey};
use serde_json::{Value, json};

const KEY_PEM: &str = include_str!("../../crates/sealing/tests/data/test-key-rsa2048.pem");
const OTHER_KEY_PEM: &str = include_str!("../../crates/sealing/tests/data/test-key-rsa2048-other.pem");
const PEER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/sealing/tests/peers/peer.py");
const INSTALL_HINT: &str = "run `scripts/install-test-deps` (and export the KUBESEAL_PEER_PYTHON it prints); \
     these cross-checks are required, not optional";

// --- running things -----------------------------------------------------------------------------

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Runs the binary with no kubeconfig and no `SEALED_SECRETS_*` variables from the caller.
fn run(args: &[&str], stdin: &str) -> Run {
    let home = scratch("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubeseal-rs"));
    cmd.args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("SEALED_SECRETS_")) {
        cmd.env_remove(k);
    }
    let mut child = cmd.spawn().expect("run kubeseal-rs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "recovery-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The peer virtualenv's Python; panics with the install hint when there is none.
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
            panic!("no peer Python found (KUBESEAL_PEER_PYTHON unset; looked at {candidates:?}): {INSTALL_HINT}")
        })
    })
}

/// Runs a batch of peer operations in one Python process.
fn peer(ops: Vec<Value>) -> Vec<Value> {
    let request = serde_json::to_vec(&json!({ "ops": ops })).unwrap();
    let mut child = Command::new(python())
        .arg(PEER_SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}: {INSTALL_HINT}", python().display()));
    child.stdin.take().unwrap().write_all(&request).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "peer.py failed ({}): {}\nIf an import failed: {INSTALL_HINT}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    response["results"].as_array().unwrap().clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cert_pem(key_pem: &str) -> String {
    let key = RsaPrivateKey::from_pem(key_pem).unwrap();
    let params = CertificateParams {
        common_name: "test".into(),
        not_before: SystemTime::now() - Duration::from_secs(60),
        validity: Duration::from_secs(86_400),
    };
    Certificate::self_signed(&key, &params).unwrap().to_pem()
}

/// Seals `values` with kubesealpy's `Sealer.seal` to the certificate of `key_pem`; returns the
/// `encryptedData` texts (keys `value-0`, `value-1`, ...) and the top-level annotations.
fn kubesealpy_seal(key_pem: &str, scope: &str, namespace: &str, name: &str, values: &[&str]) -> (Vec<String>, Value) {
    let op = json!({
        "op": "seal_kubesealpy", "api": "seal", "cert_pem": cert_pem(key_pem), "scope": scope,
        "namespace": namespace, "name": name,
        "values_hex": values.iter().map(|v| hex(v.as_bytes())).collect::<Vec<_>>(),
    });
    let result = peer(vec![op]).remove(0);
    let sealed = result["sealed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    (sealed, result["annotations"].clone())
}

// --- recovery-unseal ----------------------------------------------------------------------------

/// A namespace-wide SealedSecret sealed by kubesealpy (`username`, `password`, and a template
/// that renders `url` from them) and a strict one sealed by `cryptography` to a fresh PKCS#8
/// key; two key files given once comma-separated and once as repeated flags.
#[test]
fn recovery_unseal_opens_values_sealed_by_the_python_peers() {
    let (sealed, annotations) = kubesealpy_seal(KEY_PEM, "namespace-wide", "team-a", "db", &["admin", "s3cr<t"]);
    assert_eq!(annotations, json!({"sealedsecrets.bitnami.com/namespace-wide": "true"}));
    let generated = peer(vec![json!({
        "op": "generate_rsa", "bits": 2048, "format": "pkcs8",
        "seal": [{"scope": "strict", "namespace": "team-b", "name": "api", "value_hex": hex(b"tok\nen")}],
    })])
    .remove(0);
    let pkcs8_pem = generated["private_key_pem"].as_str().unwrap();
    assert!(pkcs8_pem.starts_with("-----BEGIN PRIVATE KEY-----"), "a PKCS#8 key: {pkcs8_pem}");
    let token = generated["sealed"][0].as_str().unwrap();

    let input = format!(
        "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: team-a\n  \
         uid: 0b7d\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\nspec:\n  encryptedData:\n    \
         username: {}\n    password: {}\n  template:\n    metadata:\n      labels:\n        tier: be\n    type: Opaque\n    \
         data:\n      url: 'db://{{{{ .username }}}}@host'\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n\
         metadata:\n  name: api\n  namespace: team-b\nspec:\n  encryptedData:\n    token: {token}\n",
        sealed[0], sealed[1]
    );
    let dir = scratch("keys");
    let first = write(&dir, "main.key", KEY_PEM);
    let second = write(&dir, "pkcs8.key", pkcs8_pem);
    let expected = r#"{
  "kind": "Secret",
  "apiVersion": "v1",
  "metadata": {
    "name": "db",
    "namespace": "team-a",
    "labels": {
      "tier": "be"
    },
    "ownerReferences": [
      {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "name": "db",
        "uid": "0b7d",
        "controller": true
      }
    ]
  },
  "data": {
    "password": "czNjcjx0",
    "url": "ZGI6Ly9hZG1pbkBob3N0",
    "username": "YWRtaW4="
  },
  "type": "Opaque"
}
{
  "kind": "Secret",
  "apiVersion": "v1",
  "metadata": {
    "name": "api",
    "namespace": "team-b",
    "ownerReferences": [
      {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "name": "api",
        "uid": "",
        "controller": true
      }
    ]
  },
  "data": {
    "token": "dG9rCmVu"
  }
}
"#;
    let comma = format!("{first},{second}");
    for args in [
        vec!["--recovery-unseal", "--recovery-private-key", comma.as_str()],
        vec!["--recovery-unseal", "--recovery-private-key", &second, "--recovery-private-key", &first],
    ] {
        let out = run(&args, &input);
        assert_eq!((out.stderr.as_str(), out.code), ("", 0), "{args:?}");
        assert_eq!(out.stdout, expected, "{args:?}");
    }
}

/// The key as a backup made with `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key
/// -o yaml` (a List of key Secrets), the input from `-f`, the output as YAML.
#[test]
fn recovery_unseal_reads_key_secrets_and_prints_yaml() {
    let (sealed, _) = kubesealpy_seal(KEY_PEM, "cluster-wide", "", "shared", &["v"]);
    let dir = scratch("list");
    let keys = write(
        &dir,
        "backup.yaml",
        &format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: other-key\n  \
             data:\n    tls.key: {}\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: main-key\n  data:\n    \
             tls.crt: ''\n    tls.key: {}\n",
            encode_base64(OTHER_KEY_PEM.as_bytes()),
            encode_base64(KEY_PEM.as_bytes())
        ),
    );
    let input = write(
        &dir,
        "sealed.json",
        &format!(
            r#"{{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{{"name":"shared","annotations":{{"sealedsecrets.bitnami.com/cluster-wide":"true"}}}},"spec":{{"template":{{"metadata":{{"annotations":{{"sealedsecrets.bitnami.com/cluster-wide":"true"}}}}}},"encryptedData":{{"value-0":"{}"}}}}}}"#,
            sealed[0]
        ),
    );
    let out = run(&["--recovery-unseal", "--recovery-private-key", &keys, "-f", &input, "-o", "yaml"], "");
    assert_eq!((out.stderr.as_str(), out.code), ("", 0));
    assert_eq!(
        out.stdout,
        "---\napiVersion: v1\ndata:\n  value-0: dg==\nkind: Secret\nmetadata:\n  annotations:\n    \
         sealedsecrets.bitnami.com/cluster-wide: \"true\"\n  name: shared\n  ownerReferences:\n  - apiVersion: \
         bitnami.com/v1alpha1\n    controller: true\n    kind: SealedSecret\n    name: shared\n    uid: \"\"\n"
    );
    // With -w the plaintext goes to a file only its owner can read, even over a 0644 one.
    use std::os::unix::fs::PermissionsExt;
    let out_file = dir.join("recovered.yaml");
    std::fs::write(&out_file, "old").unwrap();
    std::fs::set_permissions(&out_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let written = run(
        &["--recovery-unseal", "--recovery-private-key", &keys, "-f", &input, "-w", out_file.to_str().unwrap()],
        "",
    );
    assert_eq!((written.stderr.as_str(), written.code), ("", 0));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), out.stdout);
    assert_eq!(std::fs::metadata(&out_file).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_wrong_key_fails_clearly_and_writes_nothing() {
    let (sealed, _) = kubesealpy_seal(KEY_PEM, "strict", "team-a", "db", &["a", "b"]);
    let input = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: db, namespace: team-a}}\n\
         spec:\n  encryptedData:\n    username: {}\n    password: {}\n",
        sealed[0], sealed[1]
    );
    let dir = scratch("wrong");
    let other = write(&dir, "other.pem", OTHER_KEY_PEM);
    let out_file = dir.join("out.json");
    let out = run(&["--recovery-unseal", "--recovery-private-key", &other, "-w", out_file.to_str().unwrap()], &input);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: stdin: cannot unseal SealedSecret \"team-a/db\": no key could decrypt secret (password, username)\n"
    );
    assert!(!out_file.exists(), "nothing is written on failure");

    // The right key but the object moved to another namespace: the strict label no longer fits.
    let key = write(&dir, "key.pem", KEY_PEM);
    let moved = input.replace("namespace: team-a", "namespace: team-b");
    let out = run(&["--recovery-unseal", "--recovery-private-key", &key], &moved);
    assert_eq!((out.stdout.as_str(), out.code), ("", 1));
    assert!(out.stderr.contains("\"team-b/db\": no key could decrypt secret (password, username)"), "{}", out.stderr);
}

#[test]
fn bad_key_files_and_inputs_are_reported() {
    let dir = scratch("bad");
    let secret_without_key = write(&dir, "s.yaml", "kind: Secret\nmetadata:\n  name: k\ndata:\n  tls.crt: ''\n");
    let garbage = write(&dir, "g.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    let key = write(&dir, "key.pem", KEY_PEM);
    let cases: [(Vec<&str>, &str, &str); 5] = [
        (vec!["--recovery-unseal"], "", "error: --recovery-unseal needs at least one --recovery-private-key\n"),
        (
            vec!["--recovery-unseal", "--recovery-private-key", &secret_without_key],
            "",
            "Secret \"k\" has no data[\"tls.key\"] holding a private key",
        ),
        (vec!["--recovery-unseal", "--recovery-private-key", &garbage], "", "no usable private key"),
        (
            vec!["--recovery-unseal", "--recovery-private-key", &key],
            "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n",
            "error: stdin: document 1: expected apiVersion \"bitnami.com/v1alpha1\" and kind \"SealedSecret\", found \"v1\" and \"Secret\"\n",
        ),
        (
            vec!["--recovery-unseal", "--recovery-private-key", "/nonexistent/key.pem"],
            "",
            "cannot read private key file",
        ),
    ];
    for (args, stdin, expected) in cases {
        let out = run(&args, stdin);
        assert_eq!((out.stdout.as_str(), out.code), ("", 1), "{args:?}");
        assert!(out.stderr.contains(expected) && out.stderr.starts_with("error: "), "{args:?}: {}", out.stderr);
    }
}

/// A broken key backup is reported by file and line, without echoing the key material the
/// YAML parser would otherwise quote in its snippet.
#[test]
fn a_malformed_key_backup_is_reported_without_its_contents() {
    let dir = scratch("malformed-key");
    let backup = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed-secrets-key\ndata:\n  tls.key: S0VZLU1BVEVSSUFMLU1BUktFUg==\n  tls.crt: \"S0VZLU1BVEVSSUFMLU1BUktFUg\n";
    let path = write(&dir, "backup.yaml", backup);
    let out = run(&["--recovery-unseal", "--recovery-private-key", &path], "");
    assert_eq!((out.stdout.as_str(), out.code), ("", 1));
    assert!(!out.stderr.contains("S0VZLU1BVEVSSUFM"), "{}", out.stderr);
    assert!(out.stderr.starts_with(&format!("error: {path}: ")), "{}", out.stderr);
    assert!(out.stderr.contains("not valid YAML (syntax error at line "), "{}", out.stderr);
}

// --- merge-into ---------------------------------------------------------------------------------

/// A SealedSecret file made with kubesealpy gets a new value sealed by kubeseal-rs; recovery
/// then shows both, and the file keeps its other entries and metadata.
#[test]
fn merge_into_adds_a_value_that_recovery_then_shows() {
    let (sealed, _) = kubesealpy_seal(KEY_PEM, "strict", "team-a", "db", &["admin"]);
    let dir = scratch("merge");
    let cert = write(&dir, "cert.pem", &cert_pem(KEY_PEM));
    let key = write(&dir, "key.pem", KEY_PEM);
    let file = write(
        &dir,
        "db.yaml",
        &format!(
            "# comments are lost, as upstream\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  \
             name: db\n  namespace: team-a\nspec:\n  encryptedData:\n    username: {}\n  template:\n    metadata:\n      \
             labels:\n        keep: me\n",
            sealed[0]
        ),
    );
    // The input's own name and namespace are replaced by the file's.
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: other\n  labels:\n    added: yes-really\n\
                  stringData:\n  password: hunter2\n";
    let out = run(&["--cert", &cert, "--merge-into", &file, "-o", "yaml"], secret);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.code), ("", "", 0));
    let rewritten = std::fs::read_to_string(&file).unwrap();
    let password = rewritten.lines().find_map(|l| l.strip_prefix("    password: ")).unwrap();
    assert_eq!(
        rewritten.replace(password, "<sealed>").replace(&sealed[0], "<kubesealpy>"),
        "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: team-a\n\
         spec:\n  encryptedData:\n    password: <sealed>\n    username: <kubesealpy>\n  template:\n    metadata:\n      \
         labels:\n        added: yes-really\n        keep: me\n"
    );

    let out = run(&["--recovery-unseal", "--recovery-private-key", &key, "-f", &file, "-o", "yaml"], "");
    assert_eq!((out.stderr.as_str(), out.code), ("", 0));
    assert!(
        out.stdout.contains("data:\n  password: aHVudGVyMg==\n  username: YWRtaW4=\n"),
        "both values open: {}",
        out.stdout
    );

    // Without -o the file is rewritten as JSON, whatever its name (as upstream).
    let out = run(&["--cert", &cert, "--merge-into", &file], "stringData: {extra: x}\n");
    assert_eq!((out.stderr.as_str(), out.code), ("", 0));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let keys: Vec<&String> = json["spec"]["encryptedData"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["extra", "password", "username"]);
}

#[test]
fn merge_into_refuses_a_scope_mismatch_and_bad_files_without_touching_them() {
    let dir = scratch("merge-bad");
    let cert = write(&dir, "cert.pem", &cert_pem(KEY_PEM));
    let original = "{\"apiVersion\":\"bitnami.com/v1alpha1\",\"kind\":\"SealedSecret\",\"metadata\":{\"name\":\"db\",\
                    \"namespace\":\"team-a\",\"annotations\":{\"sealedsecrets.bitnami.com/namespace-wide\":\"true\"}},\
                    \"spec\":{\"encryptedData\":{\"a\":\"AgA=\"}}}";
    let file = write(&dir, "db.json", original);
    let secret = "stringData: {b: x}\n";

    let out = run(&["--cert", &cert, "--merge-into", &file], secret);
    assert_eq!((out.stdout.as_str(), out.code), ("", 1));
    assert_eq!(
        out.stderr,
        format!(
            "error: {file} is sealed with scope namespace-wide but the input would be sealed with scope strict; \
             pass --scope namespace-wide (values sealed with another scope cannot be opened)\n"
        )
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    let out = run(&["--cert", &cert, "--merge-into", &file, "--scope", "namespace-wide"], "stringData: [\n");
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("error: stdin: cannot parse"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    let two = "stringData: {b: x}\n---\nstringData: {c: z}\n";
    let out = run(&["--cert", &cert, "--merge-into", &file, "--scope", "namespace-wide"], two);
    assert_eq!(out.stderr, "error: stdin: --merge-into takes exactly one Secret, the input has 2\n");

    let not_sealed = write(&dir, "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n");
    let out = run(&["--cert", &cert, "--merge-into", &not_sealed], secret);
    assert_eq!(
        out.stderr,
        format!(
            "error: {not_sealed}: expected apiVersion \"bitnami.com/v1alpha1\" and kind \"SealedSecret\", found \"v1\" \
             and \"Secret\"\n"
        )
    );
    let out = run(&["--cert", &cert, "--merge-into", &dir.join("missing.yaml").to_string_lossy()], secret);
    assert!(out.stderr.starts_with("error: cannot read --merge-into file"), "{}", out.stderr);

    let out = run(&["--cert", &cert, "--scope", "namespace-wide", "--merge-into", &file], secret);
    assert_eq!((out.stderr.as_str(), out.code), ("", 0));
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(merged["spec"]["encryptedData"]["a"], "AgA=", "other entries stay");
    assert!(merged["spec"]["encryptedData"]["b"].as_str().unwrap().len() > 300);
}
