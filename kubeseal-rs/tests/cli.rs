//! Golden tests of the `kubeseal-rs` binary: stdout, stderr and exit status. Ciphertext differs
//! on every run, so outputs are compared with each sealed value replaced by `<sealed>`, and every
//! value is then opened with the private key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use kubeseal_sealing::{Certificate, CertificateParams, KeyRing, RsaPrivateKey, Scope, X25519PrivateKey};
use secrecy::ExposeSecret;

const KEY_PEM: &str = include_str!("../../crates/sealing/tests/data/test-key-rsa2048.pem");

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

/// Runs the binary with no kubeconfig (HOME and KUBECONFIG point nowhere) unless `env` says so.
fn run_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
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
    for (k, v) in env {
        cmd.env(k, v);
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

fn run(args: &[&str], stdin: &str) -> Run {
    run_env(args, stdin, &[])
}

/// A fresh directory under the target's scratch area.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key() -> RsaPrivateKey {
    RsaPrivateKey::from_pem(KEY_PEM).unwrap()
}

/// Writes a certificate for the test key, valid from `not_before` for `validity`.
fn cert_file(not_before: SystemTime, validity: Duration) -> PathBuf {
    let params = CertificateParams { common_name: "test".into(), not_before, validity };
    let cert = Certificate::self_signed(&key(), &params).unwrap();
    let path = scratch("cert").join("cert.pem");
    std::fs::write(&path, cert.to_pem()).unwrap();
    path
}

fn valid_cert() -> PathBuf {
    cert_file(SystemTime::now() - Duration::from_secs(60), Duration::from_secs(86_400))
}

fn ring() -> KeyRing {
    let mut ring = KeyRing::new();
    ring.add_rsa(key(), SystemTime::now());
    ring
}

fn open(ring: &KeyRing, scope: Scope, ns: &str, name: &str, text: &str) -> String {
    let opened = ring.open_base64(&scope.label(ns, name), text, None).expect("the value opens");
    String::from_utf8(opened.plaintext.expose_secret().to_vec()).unwrap()
}

/// Replaces every sealed value (v1 `AQ...`, 2048-bit key) in JSON or YAML output.
fn redact(text: &str) -> (String, Vec<String>) {
    let mut values = Vec::new();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let sealed_at = line.find(": \"AQ").map(|i| i + 3).or_else(|| line.find(": AQ").map(|i| i + 2));
        match sealed_at {
            Some(start) if !trimmed.starts_with('"') || line.contains("\": \"AQ") => {
                let rest = &line[start..];
                let end = rest.find(['"', '\n']).unwrap_or(rest.len());
                values.push(rest[..end].to_owned());
                out.push_str(&line[..start]);
                out.push_str("<sealed>");
                out.push_str(&rest[end..]);
            }
            _ => out.push_str(line),
        }
    }
    (out, values)
}

const SECRET_YAML: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: db
  labels:
    tier: be
  annotations:
    note: a<b
    kubectl.kubernetes.io/last-applied-configuration: '{\"secret\": true}'
  uid: 0b5c1a1e-0000-4000-8000-000000000000
  resourceVersion: \"42\"
  creationTimestamp: \"2024-01-02T03:04:05Z\"
type: Opaque
data:
  user: YWRtaW4=
stringData:
  pass: hunter2
";

#[test]
fn default_mode_prints_upstreams_json() {
    let cert = valid_cert();
    let r = run(&["--cert", cert.to_str().unwrap(), "-n", "app"], SECRET_YAML);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let (redacted, values) = redact(&r.stdout);
    assert_eq!(
        redacted,
        r#"{
  "kind": "SealedSecret",
  "apiVersion": "bitnami.com/v1alpha1",
  "metadata": {
    "name": "db",
    "namespace": "app"
  },
  "spec": {
    "template": {
      "metadata": {
        "name": "db",
        "namespace": "app",
        "labels": {
          "tier": "be"
        },
        "annotations": {
          "note": "a\u003cb"
        }
      },
      "type": "Opaque"
    },
    "encryptedData": {
      "pass": "<sealed>",
      "user": "<sealed>"
    }
  }
}
"#
    );
    let ring = ring();
    assert_eq!(open(&ring, Scope::Strict, "app", "db", &values[0]), "hunter2");
    assert_eq!(open(&ring, Scope::Strict, "app", "db", &values[1]), "admin");
}

#[test]
fn yaml_output_has_a_separator_before_every_document() {
    let cert = valid_cert();
    let input = format!(
        "{SECRET_YAML}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: other\n  namespace: ns2\nstringData:\n  enabled: \"true\"\n"
    );
    let r = run(&["--cert", cert.to_str().unwrap(), "--scope", "cluster-wide", "-o", "YAML"], &input);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let (redacted, values) = redact(&r.stdout);
    assert_eq!(
        redacted,
        "---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  annotations:
    sealedsecrets.bitnami.com/cluster-wide: \"true\"
  name: db
spec:
  encryptedData:
    pass: <sealed>
    user: <sealed>
  template:
    metadata:
      annotations:
        note: a<b
        sealedsecrets.bitnami.com/cluster-wide: \"true\"
      labels:
        tier: be
      name: db
    type: Opaque
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  annotations:
    sealedsecrets.bitnami.com/cluster-wide: \"true\"
  name: other
  namespace: ns2
spec:
  encryptedData:
    enabled: <sealed>
  template:
    metadata:
      annotations:
        sealedsecrets.bitnami.com/cluster-wide: \"true\"
      name: other
      namespace: ns2
"
    );
    let ring = ring();
    assert_eq!(open(&ring, Scope::ClusterWide, "", "", &values[2]), "true");
}

#[test]
fn namespace_comes_from_the_kubeconfig_context_and_env_maps_to_flags() {
    let cert = valid_cert();
    let dir = scratch("kubeconfig");
    let kubeconfig = dir.join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n    namespace: from-context\ncurrent-context: x\nusers:\n- name: u\n  user: {}\n",
    )
    .unwrap();
    let env = [("SEALED_SECRETS_CERT", cert.to_str().unwrap()), ("KUBECONFIG", kubeconfig.to_str().unwrap())];
    let r = run_env(&["-o", "yaml"], "metadata: {name: s}\nstringData: {k: v}\n", &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("  name: s\n  namespace: from-context\n"), "{}", r.stdout);
    let r = run_env(&["-n", "other"], "metadata: {name: s, namespace: mine}\nstringData: {k: v}\n", &env);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: stdin: namespace mismatch: input secret is in namespace \"mine\" but \"other\" was specified\n"
    );
}

#[test]
fn the_output_file_is_written_only_on_success_and_yaml_by_extension() {
    let cert = valid_cert();
    let dir = scratch("out");
    let out = dir.join("sealed.yaml");
    let r = run(&["--cert", cert.to_str().unwrap(), "-n", "app", "-w", out.to_str().unwrap()], SECRET_YAML);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with("---\napiVersion: bitnami.com/v1alpha1\n"), "{written}");

    let bad = format!("{SECRET_YAML}---\nkind: ConfigMap\nmetadata: {{name: c}}\n");
    let fresh = dir.join("never.json");
    let r = run(&["--cert", cert.to_str().unwrap(), "-w", fresh.to_str().unwrap()], &bad);
    assert_eq!(r.code, 1);
    assert!(!fresh.exists(), "nothing is written on error");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), written);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no partial file is left behind");

    // A new file is 0644; rewriting an existing one keeps its mode.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), 0o644);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = run(&["--cert", cert.to_str().unwrap(), "-n", "app", "-w", out.to_str().unwrap()], SECRET_YAML);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(mode(&out), 0o640);
}

#[test]
fn raw_mode_prints_only_the_ciphertext() {
    let cert = valid_cert();
    let cert = cert.to_str().unwrap();
    let r = run(&["--raw", "--cert", cert, "--name", "db", "-n", "app"], "s3cret");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(r.stdout.starts_with("AQ") && !r.stdout.ends_with('\n'), "{:?}", r.stdout);
    let ring = ring();
    assert_eq!(open(&ring, Scope::Strict, "app", "db", &r.stdout), "s3cret");

    let dir = scratch("raw");
    let value = dir.join("value.txt");
    std::fs::write(&value, "line\n").unwrap();
    let from_file = format!("ignored={}", value.display());
    let r = run(&["--raw", "--cert", cert, "--scope", "namespace-wide", "-n", "app", "--from-file", &from_file], "");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(open(&ring, Scope::NamespaceWide, "app", "", &r.stdout), "line\n");

    let r = run(&["--raw", "--cert", cert, "--scope", "cluster-wide"], "x");
    assert_eq!(open(&ring, Scope::ClusterWide, "", "", &r.stdout), "x");

    let r = run(&["--raw", "--cert", cert, "-n", "app"], "x");
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    assert_eq!(r.stderr, "error: must provide the --name flag with --raw and --scope strict\n");

    let r = run(&["--cert", cert, "--from-file", "x"], "");
    assert_eq!((r.code, r.stderr.as_str()), (1, "error: --from-file can only be used with --raw\n"));
}

#[test]
fn bad_input_fails_with_a_clear_message_and_no_output() {
    let cert = valid_cert();
    let cert = cert.to_str().unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (&[], "metadata: {name: a\n", "error: stdin: cannot parse the input as JSON or YAML: "),
        (
            &[],
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n",
            "error: stdin: document 1: kind is \"ConfigMap\", expected \"Secret\"\n",
        ),
        (
            &[],
            "metadata: {name: a}\ndata: {k: not base64}\n",
            "error: stdin: document 1: data[\"k\"]: value is not valid base64 (use stringData for plain text)\n",
        ),
        (
            &[],
            "metadata: {name: a}\n",
            "error: stdin: Secret \"a\" has no data or stringData: nothing to seal (pass --allow-empty-data to seal it anyway)\n",
        ),
        (&[], "stringData: {k: v}\n", "error: stdin: missing metadata.name in input Secret\n"),
        (&[], "", "error: stdin: no Secret found in the input (expected a Secret as JSON or YAML)\n"),
        (
            &["-f", "/nonexistent/secret.yaml"],
            "",
            "error: cannot read input file \"/nonexistent/secret.yaml\": No such file or directory (os error 2)\n",
        ),
        (&["-o", "xml"], "", "error: unsupported output format: xml (expected json or yaml)\n"),
        (
            &["--scope", "global"],
            "",
            "error: unknown scope \"global\": expected strict, namespace-wide or cluster-wide\n",
        ),
    ];
    for (extra, stdin, want) in cases {
        let mut args = vec!["--cert", cert, "-n", "app"];
        args.extend_from_slice(extra);
        let r = run(&args, stdin);
        assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{stdin:?}");
        assert!(r.stderr.starts_with(want), "{stdin:?}: {}", r.stderr);
    }
}

/// Parser errors quote the input by default (serde-saphyr prints the offending lines): a
/// malformed Secret must be reported by source and position only, never with its values.
#[test]
fn malformed_input_is_reported_by_position_without_its_values() {
    let cert = valid_cert();
    let cert = cert.to_str().unwrap();
    let cases = [
        (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-MARKER\n  user: \"admin\n",
            "error: stdin: cannot parse the input as JSON or YAML: not valid YAML (syntax error at line ",
        ),
        (
            "{\"metadata\": {\"name\": \"db\"}, \"stringData\": {\"password\": \"hunter2-MARKER\" \"x\": 1}}",
            "error: stdin: cannot parse the input as JSON or YAML: not valid JSON (syntax error at line 1, column ",
        ),
    ];
    for (stdin, want) in cases {
        let r = run(&["--cert", cert, "-n", "app"], stdin);
        assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{stdin:?}");
        assert!(r.stderr.starts_with(want), "{stdin:?}: {}", r.stderr);
        assert!(!r.stderr.contains("MARKER") && !r.stderr.contains("hunter2"), "{}", r.stderr);
    }
}

#[test]
fn an_expired_certificate_is_refused() {
    let year = 365 * 86_400;
    let cert = cert_file(SystemTime::UNIX_EPOCH + Duration::from_secs(50 * year), Duration::from_secs(86_400));
    let r = run(&["--cert", cert.to_str().unwrap(), "-n", "app"], SECRET_YAML);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    assert_eq!(
        r.stderr,
        "error: failed to encrypt using an expired certificate on December 21, 2019: fetch the controller's current \
         certificate with --fetch-cert, or ask its operators for a renewed one\n"
    );
    let missing = run(&["--cert", "/nonexistent/cert.pem", "-n", "app"], SECRET_YAML);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.starts_with("error: cannot read certificate file \"/nonexistent/cert.pem\""),
        "{}",
        missing.stderr
    );
}

mod cluster {
    use super::*;
    use kube::api::{Api, PostParams};
    use kube_emulator::Emulator;
    use kubeseal_crds::k8s::k8s_openapi::api::core::v1::Service;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A stand-in for the controller's HTTP API: fixed bodies per path, 404 otherwise.
    async fn controller_stub(routes: Vec<(&'static str, String)>) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let routes = routes.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = s.read(&mut buf).await.unwrap();
                    let req = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = req.split_whitespace().nth(1).unwrap_or_default().to_owned();
                    let (status, body) = match routes.iter().find(|(p, _)| *p == path) {
                        Some((_, body)) => ("200 OK", body.clone()),
                        None => ("404 Not Found", "no v2 key\n".to_owned()),
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    s.write_all(resp.as_bytes()).await.unwrap();
                });
            }
        });
        addr
    }

    async fn emulator() -> (Emulator, PathBuf) {
        let emu = Emulator::start().await.unwrap();
        let kubeconfig = scratch("emu").join("kubeconfig");
        emu.write_kubeconfig(&kubeconfig).unwrap();
        (emu, kubeconfig)
    }

    async fn create_service(emu: &Emulator, ns: &str, name: &str) {
        let client = kube::Client::new(emu.service(), "default");
        let svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name}, "spec": {"ports": [{"port": 8080}]}
        }))
        .unwrap();
        Api::<Service>::namespaced(client, ns).create(&PostParams::default(), &svc).await.unwrap();
    }

    async fn run_async(args: Vec<String>, stdin: &'static str) -> Run {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&args, stdin)
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn fetch_cert_goes_through_the_service_proxy_and_seals_with_it() {
        let (emu, kubeconfig) = emulator().await;
        let cert_pem = std::fs::read_to_string(valid_cert()).unwrap();
        let v2 = X25519PrivateKey::generate().unwrap();
        let stub =
            controller_stub(vec![("/v1/cert.pem", cert_pem.clone()), ("/v2/x25519.pem", v2.public_key().to_pem())])
                .await;
        create_service(&emu, "kube-system", "sealed-secrets-controller").await;
        emu.register_service_proxy("kube-system", "sealed-secrets-controller", stub);
        let kc = kubeconfig.to_str().unwrap().to_owned();

        let r = run_async(vec!["--fetch-cert".into(), "--kubeconfig".into(), kc.clone()], "").await;
        assert_eq!((r.code, r.stderr.as_str()), (0, ""));
        assert_eq!(r.stdout, cert_pem, "the certificate is copied verbatim");

        let r = run_async(vec!["--kubeconfig".into(), kc.clone()], "metadata: {name: s}\nstringData: {k: v}\n").await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        let (_, values) = redact(&r.stdout);
        assert_eq!(open(&ring(), Scope::Strict, "default", "s", &values[0]), "v");

        let args = vec![
            "--raw".into(),
            "--envelope".into(),
            "v2".into(),
            "--name".into(),
            "s".into(),
            "--kubeconfig".into(),
            kc,
        ];
        let r = run_async(args, "v2 value").await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut v2_ring = KeyRing::new();
        v2_ring.add_x25519(v2, SystemTime::now());
        assert_eq!(open(&v2_ring, Scope::Strict, "default", "s", &r.stdout), "v2 value");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_missing_controller_service_suggests_the_helm_name() {
        let (_emu, kubeconfig) = emulator().await;
        let r = run_async(vec!["--fetch-cert".into(), "--kubeconfig".into(), kubeconfig.to_str().unwrap().into()], "")
            .await;
        assert_eq!((r.code, r.stdout.as_str()), (1, ""));
        assert_eq!(
            r.stderr,
            "error: the sealed-secrets controller Service \"sealed-secrets-controller\" was not found in namespace \
             \"kube-system\". The Helm chart names it \"sealed-secrets\" by default: pass \
             --controller-name=sealed-secrets (or set SEALED_SECRETS_CONTROLLER_NAME), and --controller-namespace if \
             the controller runs elsewhere; or seal offline with --cert\n"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_controller_without_a_v2_key_is_reported() {
        let (emu, kubeconfig) = emulator().await;
        let stub = controller_stub(vec![]).await;
        create_service(&emu, "default", "sealed-secrets").await;
        emu.register_service_proxy("default", "sealed-secrets", stub);
        let args = [
            "--fetch-cert",
            "--envelope",
            "v2",
            "--controller-name",
            "sealed-secrets",
            "--controller-namespace",
            "default",
            "--kubeconfig",
        ];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push(kubeconfig.to_str().unwrap().into());
        let r = run_async(args, "").await;
        assert_eq!((r.code, r.stdout.as_str()), (1, ""));
        assert!(r.stderr.starts_with("error: the controller has no v2 key"), "{}", r.stderr);
    }
}

#[test]
fn sealing_with_cert_touches_no_network() {
    // A kubeconfig whose API server is a listener that counts connections: sealing with --cert
    // (in every sealing mode) must never connect, even though a cluster is configured.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let kubeconfig = scratch("offline").join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {{server: \"{server}\"}}\n\
             contexts:\n- name: c\n  context: {{cluster: k, user: u, namespace: team}}\nusers:\n- name: u\n  user: {{token: t}}\n"
        ),
    )
    .unwrap();
    let cert = valid_cert();
    let cert = cert.to_str().unwrap();
    let kubeconfig = kubeconfig.to_str().unwrap();
    let env = [("KUBECONFIG", kubeconfig)];
    let r = run_env(&["--cert", cert], SECRET_YAML, &env);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = run_env(&["--cert", cert, "--raw", "--name", "db"], "value", &env);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = run_env(&["--cert", cert, "-o", "yaml", "--scope", "cluster-wide"], SECRET_YAML, &env);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let mut connections = 0;
    while listener.accept().is_ok() {
        connections += 1;
    }
    assert_eq!(connections, 0, "kubeseal-rs --cert connected to the API server");
}
