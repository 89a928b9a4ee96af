//! `kubeseal-controller dev` as a newcomer runs it (README): the kubeconfig it writes, the
//! certificate through the service proxy with upstream's default Service name and namespace,
//! seal, `kubectl apply`, `kubectl wait`, read the Secret. And the plain command without any
//! cluster says how to start `dev`.

mod common;

use std::process::{Command, Stdio};

use common::*;
use kubeseal_sealing::Certificate;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_serves_the_readme_flow() {
    let dir = scratch_dir("dev");
    let port = free_port();
    let log = std::fs::File::create(dir.join("dev.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeseal-controller"))
        .args(["--key-size=2048", "--log-level=DEBUG", "dev", "--port", &port.to_string()])
        .current_dir(&dir)
        .env_remove("KUBECONFIG")
        .env_remove("POD_NAMESPACE")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start dev");
    let kubeconfig = dir.join(".kubeseal-dev/kubeconfig");
    let kubectl = |args: Vec<String>, stdin: Option<String>| {
        let kubeconfig = kubeconfig.clone();
        let dir = dir.clone();
        async move {
            let bin = std::env::var("KUBESEAL_KUBECTL").expect("KUBESEAL_KUBECTL: run scripts/install-test-deps");
            tokio::task::spawn_blocking(move || {
                let mut c = Command::new(bin)
                    .args(&args)
                    .env("KUBECONFIG", &kubeconfig)
                    .env("HOME", &dir)
                    .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                if let Some(input) = stdin {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
                }
                c.wait_with_output().unwrap()
            })
            .await
            .unwrap()
        }
    };
    let cert_path = "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:/proxy/v1/cert.pem";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let pem = loop {
        let out = kubectl(vec!["get".into(), "--raw".into(), cert_path.into()], None).await;
        if out.status.success() {
            break String::from_utf8_lossy(&out.stdout).into_owned();
        }
        assert!(std::time::Instant::now() < deadline, "dev never served the certificate through the service proxy");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    Certificate::from_pem(&pem).expect("dev serves a certificate");

    // kubectl builds the Secret client-side; kubeseal-rs seals it with the certificate it fetches
    // from the controller through the service proxy; kubectl applies the result.
    let out = kubectl(
        [
            "create",
            "secret",
            "generic",
            "db",
            "--from-literal=password=dev-secret-7c2e",
            "--dry-run=client",
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec(),
        None,
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli = kubeseal_rs();
    let sealed = {
        let mut c = Command::new(&cli)
            .args(["--format", "yaml"])
            .env("KUBECONFIG", &kubeconfig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubeseal-rs");
        use std::io::Write;
        c.stdin.take().unwrap().write_all(&out.stdout).unwrap();
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "kubeseal-rs: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(sealed.contains("kind: SealedSecret") && !sealed.contains("dev-secret-7c2e"), "{sealed}");
    // The CLI's certificate is the one the controller serves.
    let fetched = Command::new(&cli).arg("--fetch-cert").env("KUBECONFIG", &kubeconfig).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&fetched.stdout), pem);
    let out = kubectl(vec!["apply".into(), "-f".into(), "-".into()], Some(sealed)).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = kubectl(
        ["wait", "--for=condition=Synced", "sealedsecret/db", "--timeout=60s"].map(String::from).to_vec(),
        None,
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out =
        kubectl(["get", "secret", "db", "-o", "jsonpath={.data.password}"].map(String::from).to_vec(), None).await;
    use base64::Engine as _;
    let value = base64::engine::general_purpose::STANDARD.decode(out.stdout).unwrap();
    assert_eq!(value, b"dev-secret-7c2e");

    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "dev exits cleanly on SIGTERM: {status}");
    let logs = std::fs::read_to_string(dir.join("dev.log")).unwrap();
    assert!(logs.contains("export KUBECONFIG="), "dev prints how to use it");
    assert!(!logs.contains("dev-secret-7c2e"), "no plaintext in dev's logs");
}

/// The CLI binary, built beside this package's binary by `cargo test --workspace` (scripts/test).
fn kubeseal_rs() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_BIN_EXE_kubeseal-controller")).parent().unwrap().to_path_buf();
    let cli = dir.join("kubeseal-rs");
    assert!(
        cli.exists(),
        "{} is missing: build the workspace (`cargo test --workspace`, as scripts/test does, or `cargo build -p kubeseal-cli`)",
        cli.display()
    );
    cli
}

#[test]
fn without_a_cluster_the_plain_command_points_to_dev() {
    let dir = scratch_dir("nocluster");
    let out = Command::new(env!("CARGO_BIN_EXE_kubeseal-controller"))
        .env("KUBECONFIG", dir.join("missing-kubeconfig"))
        .env("HOME", &dir)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kubeseal-controller dev"), "{stderr}");
}
