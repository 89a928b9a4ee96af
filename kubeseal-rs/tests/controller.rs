//! End to end against the real controller, in process: the API-server emulator serves the
//! SealedSecret CRD and the controller's Service, `kubeseal_controller::run::run` serves the
//! HTTP API behind the emulator's service proxy, and the `kubeseal-rs` binary reaches it with a
//! kubeconfig, as it would a cluster.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser;
use kube::Client;
use kube::api::{Api, PostParams};
use kube_emulator::{Config, Emulator};
use kubeseal_crds::k8s::CustomResourceDefinition;
use kubeseal_crds::k8s::k8s_openapi::api::core::v1::Service;

const CONTROLLER_NS: &str = "kube-system";
const SERVICE: &str = "sealed-secrets-controller";

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

/// A fresh directory under the target's scratch area.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "controller-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary on a blocking thread (the emulator and the controller live on this runtime).
async fn run(args: &[&str], stdin: &str) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubeseal-rs"));
        cmd.args(&args)
            .env_remove("KUBECONFIG")
            .env("HOME", scratch("home"))
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
    })
    .await
    .unwrap()
}

/// The emulator with the CRD, optionally the controller Service and the controller behind it.
struct Cluster {
    emu: Arc<Emulator>,
    kubeconfig: String,
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Cluster {
    /// `flags` are added to the controller's command line.
    async fn start(with_controller: bool, flags: &[&str]) -> Self {
        let emu = Arc::new(Emulator::start_with(Config::default(), 0).await.unwrap());
        let client = Client::new(emu.service(), "default");
        Api::<CustomResourceDefinition>::all(client.clone())
            .create(&PostParams::default(), &kubeseal_crds::sealed_secret::crd())
            .await
            .unwrap();
        let kubeconfig = scratch("kubeconfig").join("config");
        emu.write_kubeconfig(&kubeconfig).unwrap();
        let kubeconfig = kubeconfig.to_str().unwrap().to_owned();
        let mut cluster = Self { emu, kubeconfig, _stop: None };
        if !with_controller {
            return cluster;
        }
        cluster.service().await;

        let mut command_line = vec![
            "kubeseal-controller",
            "--listen-addr=127.0.0.1:0",
            "--listen-metrics-addr=127.0.0.1:0",
            "--key-size=2048",
            "--leader-elect=false",
        ];
        command_line.extend_from_slice(flags);
        let settings = kubeseal_controller::config::Cli::try_parse_from(command_line)
            .unwrap()
            .flags
            .validate_in(CONTROLLER_NS.into())
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound_tx, bound) = tokio::sync::oneshot::channel();
        let proxy = cluster.emu.clone();
        tokio::spawn(async move {
            let on_bound = move |b: kubeseal_controller::run::Bound| {
                proxy.register_service_proxy(CONTROLLER_NS, SERVICE, b.api);
                let _ = bound_tx.send(());
            };
            let shutdown = async move {
                let _ = stopped.await;
            };
            kubeseal_controller::run::run(client, &settings, shutdown, on_bound).await.expect("the controller runs");
        });
        tokio::time::timeout(std::time::Duration::from_secs(60), bound).await.unwrap().unwrap();
        cluster._stop = Some(stop);
        // The API answers before the first key exists: wait for the certificate.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while cluster.cli(&["--fetch-cert"], "").await.code != 0 {
            assert!(std::time::Instant::now() < deadline, "the controller has no certificate after 60 s");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        cluster
    }

    /// Creates the controller's Service (port named `http`, as the static manifest has it).
    async fn service(&self) {
        let service: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": SERVICE, "namespace": CONTROLLER_NS},
            "spec": {"ports": [{"name": "http", "port": 8080}]}
        }))
        .unwrap();
        let client = Client::new(self.emu.service(), "default");
        Api::<Service>::namespaced(client, CONTROLLER_NS).create(&PostParams::default(), &service).await.unwrap();
    }

    async fn cli(&self, args: &[&str], stdin: &str) -> Run {
        let mut all = vec!["--kubeconfig", self.kubeconfig.as_str()];
        all.extend_from_slice(args);
        run(&all, stdin).await
    }

    /// Seals a one-value Secret with the CLI (certificate from the controller).
    async fn seal(&self, ns: &str, name: &str, format: &str) -> String {
        let secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {ns}}}\nstringData: {{password: s3cret-{name}, user: admin}}\n"
        );
        let r = self.cli(&["-o", format], &secret).await;
        assert_eq!((r.code, r.stderr.as_str()), (0, ""));
        r.stdout
    }
}

/// `text` with every long base64 run (a ciphertext) replaced by `<sealed>`, and the runs.
fn redact(text: &str) -> (String, Vec<String>) {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let (mut out, mut runs, mut run) = (String::new(), Vec::new(), String::new());
    let mut flush = |run: &mut String, out: &mut String| {
        if run.len() >= 100 {
            out.push_str("<sealed>");
            runs.push(std::mem::take(run));
        } else {
            out.push_str(run);
            run.clear();
        }
    };
    for c in text.chars() {
        if is_b64(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    (out, runs)
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_cert_seal_validate_and_re_encrypt_round_trip() {
    let cluster = Cluster::start(true, &[]).await;

    let r = cluster.cli(&["--fetch-cert"], "").await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(r.stdout.starts_with("-----BEGIN CERTIFICATE-----\n"), "{}", r.stdout);

    let sealed = cluster.seal("app", "db", "yaml").await;
    let r = cluster.cli(&["--validate"], &sealed).await;
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));

    // Moved to another namespace, a strict SealedSecret no longer opens.
    let moved = sealed.replace("namespace: app", "namespace: elsewhere");
    let r = cluster.cli(&["--validate"], &moved).await;
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    assert_eq!(r.stderr, "error: unable to decrypt sealed secret: db\n");

    // Every document is checked; the first failure stops the run.
    let r = cluster.cli(&["--validate"], &format!("{sealed}{moved}")).await;
    assert_eq!((r.code, r.stderr.as_str()), (1, "error: unable to decrypt sealed secret: db\n"));
    let r = cluster.cli(&["--validate"], "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n").await;
    assert_eq!(r.stderr, "error: stdin: document 1: expected a SealedSecret, found kind \"Secret\"\n");

    // --re-encrypt prints the same object, in the chosen format, with new ciphertexts that open.
    let r = cluster.cli(&["--re-encrypt", "-o", "yaml"], &sealed).await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let (before, old) = redact(&sealed);
    let (after, new) = redact(&r.stdout);
    assert_eq!(after, before);
    assert_eq!(new.len(), 2);
    assert!(new.iter().all(|v| !old.contains(v)), "every value is re-encrypted");
    let r = cluster.cli(&["--validate"], &r.stdout).await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));

    let json = cluster.seal("app", "api", "json").await;
    let r = cluster.cli(&["--re-encrypt"], &json).await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(redact(&r.stdout).0, redact(&json).0, "JSON output is upstream's layout");

    // The deprecated --rotate with -f and no -w rewrites the input file (YAML by its extension).
    let dir = scratch("rotate");
    let file = dir.join("db.yaml");
    std::fs::write(&file, &sealed).unwrap();
    let r = cluster.cli(&["--rotate", "-f", file.to_str().unwrap()], "").await;
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    let rewritten = std::fs::read_to_string(&file).unwrap();
    assert_eq!(redact(&rewritten).0, before);
    assert_ne!(rewritten, sealed);

    let r = cluster.cli(&["--re-encrypt"], &moved).await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: db: cannot re-encrypt secret: "), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn reencrypt_dir_rewrites_only_the_ciphertexts() {
    let cluster = Cluster::start(true, &["--rate-limit=1", "--rate-limit-burst=0"]).await;
    let db = cluster.seal("app", "db", "yaml").await;
    let api = cluster.seal("app", "api", "yaml").await;
    let token = cluster.seal("app", "token", "json").await;
    let broken = cluster.seal("app", "broken", "yaml").await.replace("namespace: app", "namespace: moved");

    let root = scratch("tree");
    std::fs::create_dir_all(root.join("apps/app")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let multi = format!(
        "# Secrets of the app team. Ciphertexts only change through reencrypt-dir.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: app\ndata:\n  mode: \"production\"   # quoted on purpose\n{db}{api}"
    );
    let files = [
        ("apps/app/secrets.yaml", multi.clone()),
        ("apps/app/token.json", token.clone()),
        ("apps/broken.yml", broken.clone()),
        (".git/copy.yaml", db.clone()),
        ("apps/README.md", format!("An example:\n{db}")),
    ];
    for (path, text) in &files {
        std::fs::write(root.join(path), text).unwrap();
    }
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let dir = root.to_str().unwrap();

    let r = cluster.cli(&["reencrypt-dir", dir, "--dry-run"], "").await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    for (path, text) in &files {
        assert_eq!(&read(path), text, "--dry-run writes nothing ({path})");
    }
    assert!(r.stdout.contains("would rewrite ") && r.stdout.contains("secrets.yaml: 4 values in 2 SealedSecrets"));
    assert!(r.stderr.contains("(dry run: nothing written)"), "{}", r.stderr);

    let r = cluster.cli(&["reencrypt-dir", dir], "").await;
    assert_eq!(r.code, 1, "the broken SealedSecret fails the run: {}", r.stderr);
    for n in 1..=4 {
        assert!(r.stderr.contains(&format!("[{n}/4] ")), "progress line {n}: {}", r.stderr);
    }
    assert!(r.stderr.contains("  rate limited by the controller: retrying in "), "429 is retried: {}", r.stderr);
    assert!(r.stderr.contains("  failed: moved/broken: cannot re-encrypt secret: "), "{}", r.stderr);
    assert!(r.stderr.contains("re-encrypted 3 SealedSecrets (6 values) in 2 files; 1 failed\n"), "{}", r.stderr);
    assert!(
        r.stderr.ends_with(
            "error: 1 of 4 SealedSecrets could not be re-encrypted; files holding them were left unchanged\n"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(read("apps/broken.yml"), broken, "a file with a failure is left untouched");
    assert_eq!(read(".git/copy.yaml"), db, "hidden directories are skipped");
    assert_eq!(read("apps/README.md"), files[4].1, "only YAML and JSON files are read");

    for (path, original) in [("apps/app/secrets.yaml", &multi), ("apps/app/token.json", &token)] {
        let now = read(path);
        let (before, old) = redact(original);
        let (after, new) = redact(&now);
        assert_eq!(after, before, "{path}: only the ciphertexts changed");
        assert!(new.iter().all(|v| !old.contains(v)), "{path}: every ciphertext changed");
    }
    let now = read("apps/app/secrets.yaml");
    let sealed_docs = &now[now.find("---\n").unwrap()..];
    let r = cluster.cli(&["--validate"], sealed_docs).await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "the rewritten SealedSecrets open");
    let r = cluster.cli(&["--validate", "-f", root.join("apps/app/token.json").to_str().unwrap()], "").await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));

    // Without the broken file, the run succeeds.
    std::fs::remove_file(root.join("apps/broken.yml")).unwrap();
    let r = cluster.cli(&["reencrypt-dir", dir], "").await;
    assert_eq!((r.code, r.stdout.lines().count()), (0, 2), "{}", r.stderr);
    assert!(r.stderr.ends_with("re-encrypted 3 SealedSecrets (6 values) in 2 files\n"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_controller_service_shows_the_helm_hint() {
    let cluster = Cluster::start(false, &[]).await;
    let hint = "error: the sealed-secrets controller Service \"sealed-secrets-controller\" was not found in \
                namespace \"kube-system\". The Helm chart names it \"sealed-secrets\" by default: pass \
                --controller-name=sealed-secrets (or set SEALED_SECRETS_CONTROLLER_NAME), and \
                --controller-namespace if the controller runs elsewhere; or seal offline with --cert\n";
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, namespace: b}\nspec:\n  encryptedData: {k: AgBx}\n";
    let r = cluster.cli(&["--validate"], sealed).await;
    assert_eq!((r.code, r.stderr.as_str()), (1, hint));
    let r = cluster.cli(&["--re-encrypt"], sealed).await;
    assert_eq!((r.code, r.stderr.as_str()), (1, hint));
    let dir = scratch("nohelm");
    std::fs::write(dir.join("a.yaml"), sealed).unwrap();
    let r = cluster.cli(&["reencrypt-dir", dir.to_str().unwrap()], "").await;
    assert_eq!((r.code, r.stderr.as_str()), (1, hint));
    assert_eq!(std::fs::read_to_string(dir.join("a.yaml")).unwrap(), sealed);

    // A Service with no controller behind it fails at once (kube's own retries are off).
    cluster.service().await;
    let started = std::time::Instant::now();
    let r = cluster.cli(&["--validate"], sealed).await;
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "error: cannot validate sealed secret: a: the controller is not reachable through its Service: no \
             endpoints available for service \"sealed-secrets-controller\" (HTTP 503 Service Unavailable)\n"
        )
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[tokio::test]
async fn completions_are_generated_for_bash() {
    let r = run(&["completions", "bash"], "").await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(
        r.stdout.contains("kubeseal-rs") && r.stdout.contains("--re-encrypt") && r.stdout.contains("reencrypt-dir")
    );
    let r = run(&["completions", "tcsh"], "").await;
    assert_eq!(r.code, 2, "an unknown shell is a usage error");
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_connection_flags_reach_the_controller_without_a_kubeconfig() {
    let cluster = Cluster::start(true, &[]).await;
    let server = cluster.emu.url().expect("the emulator listens");
    // No kubeconfig at all: --server (and a token, which the emulator accepts) are enough; -v 6
    // prints the requests, as kubeseal's `-v` does through klog.
    let r = run(
        &["--server", &server, "--token", "not-a-real-token", "--request-timeout=30s", "-v", "6", "--fetch-cert"],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("-----BEGIN CERTIFICATE-----"), "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "GET /api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem"
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("not-a-real-token"), "the token is never printed");
    // A bad --request-timeout is refused before anything else happens.
    let r = run(&["--server", &server, "--request-timeout=soon", "--fetch-cert"], "").await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("invalid --request-timeout \"soon\""), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn https_certificate_urls_are_fetched_over_verified_tls() {
    // A server that does not speak TLS: the fetch must try a TLS handshake and fail clearly.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Read;
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\nstringData: {k: v}\n";
    let r = run(&["--cert", &format!("https://127.0.0.1:{port}/cert.pem")], secret).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("cannot fetch \"https://127.0.0.1:{port}/cert.pem\"")), "{}", r.stderr);
    assert!(!r.stderr.contains("not supported"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sealed_and_raw_values_are_unsealed_by_the_controller_once_applied() {
    use kubeseal_crds::SealedSecret;
    use kubeseal_crds::k8s::Secret;

    let cluster = Cluster::start(true, &[]).await;
    let client = Client::new(cluster.emu.service(), "default");
    let sealed_api: Api<SealedSecret> = Api::namespaced(client.clone(), "default");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");

    // Default mode: the CLI's JSON output is applied as it is.
    let json = cluster.seal("default", "whole", "json").await;
    let object: SealedSecret = serde_json::from_str(&json).expect("the CLI prints a SealedSecret");
    sealed_api.create(&PostParams::default(), &object).await.unwrap();

    // Raw mode: one value, put into a SealedSecret by hand (as people do in Helm templates).
    let r = cluster.cli(&["--raw", "--namespace", "default", "--name", "raw"], "raw-value-1").await;
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(!r.stdout.ends_with('\n'), "raw output has no trailing newline");
    let raw: SealedSecret = serde_json::from_value(serde_json::json!({
        "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": "raw", "namespace": "default"},
        "spec": {"encryptedData": {"token": r.stdout}, "template": {"metadata": {"name": "raw", "namespace": "default"}}}
    }))
    .unwrap();
    sealed_api.create(&PostParams::default(), &raw).await.unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let value = |s: &Secret, k: &str| {
        s.data.as_ref().and_then(|d| d.get(k)).map(|v| String::from_utf8_lossy(&v.0).into_owned())
    };
    loop {
        let whole = secrets.get_opt("whole").await.unwrap();
        let raw = secrets.get_opt("raw").await.unwrap();
        if let (Some(whole), Some(raw)) = (whole, raw) {
            assert_eq!(value(&whole, "password").as_deref(), Some("s3cret-whole"));
            assert_eq!(value(&whole, "user").as_deref(), Some("admin"));
            assert_eq!(value(&raw, "token").as_deref(), Some("raw-value-1"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the controller did not unseal both within 60 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
