//! Shared fixtures: an emulator with a kube client (in-process or over HTTP), a test CRD, and
//! the real kubectl pointed at the emulator.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, CustomResource, CustomResourceExt};
use kube_emulator::{Config, Emulator};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The test custom resource: namespaced, with a status subresource and printer columns.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema, PartialEq)]
#[kube(group = "example.com", version = "v1", kind = "Widget", namespaced, status = "WidgetStatus")]
#[kube(printcolumn = r#"{"name":"Size","type":"integer","jsonPath":".spec.size"}"#)]
pub struct WidgetSpec {
    pub size: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// Status of the test custom resource.
#[derive(Deserialize, Serialize, Clone, Debug, JsonSchema, PartialEq, Default)]
pub struct WidgetStatus {
    pub ready: bool,
}

/// An emulator on an ephemeral port, and a client that reaches it in-process.
pub async fn start() -> (Emulator, Client) {
    start_with(Config::default()).await
}

/// The same with settings.
pub async fn start_with(config: Config) -> (Emulator, Client) {
    let emu = Emulator::start_with(config, 0).await.expect("start the emulator");
    let client = Client::new(emu.service(), "default");
    (emu, client)
}

/// A client that reaches the emulator over HTTP through a kubeconfig, as a controller would.
pub async fn http_client(emu: &Emulator) -> Client {
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(&emu.kubeconfig().expect("listening")).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("kubeconfig loads");
    Client::try_from(config).expect("client from kubeconfig")
}

/// Installs the Widget CRD and waits until it is established.
pub async fn install_widget_crd(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Widget::crd()).await.expect("create the Widget CRD");
    tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(crds, "widgets.example.com", conditions::is_crd_established()),
    )
    .await
    .expect("CRD established in time")
    .expect("watch the CRD");
}

/// Polls `f` until it returns true, for at most `secs` seconds (controllers act asynchronously).
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {secs} s waiting until {what}");
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A fresh scratch directory under the system temp dir.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kube-emulator-{tag}-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch dir");
    dir
}

/// The real kubectl (v1.37.1 from scripts/install-test-deps), pointed at one emulator with its
/// own HOME and cache, so discovery caches never leak between tests.
pub struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    home: PathBuf,
}

impl Kubectl {
    /// Panics (fails the test) when kubectl is not installed: CI must never skip these.
    pub fn new(emu: &Emulator) -> Self {
        let bin = std::env::var_os("KUBESEAL_KUBECTL").map(PathBuf::from).expect(
            "KUBESEAL_KUBECTL is not set: run `eval \"$(scripts/install-test-deps)\"` (scripts/test does) to install kubectl v1.37.1",
        );
        assert!(bin.exists(), "KUBESEAL_KUBECTL={} does not exist", bin.display());
        let home = scratch_dir("kubectl");
        let kubeconfig = home.join("kubeconfig");
        emu.write_kubeconfig(&kubeconfig).expect("write kubeconfig");
        Self { bin, kubeconfig, home }
    }

    /// The kubeconfig path.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Runs kubectl with `args`, feeding `stdin`, off the async runtime's threads.
    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.home.join("cache"))
            .env("HOME", &self.home)
            .env_remove("KUBECONFIG")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let input = stdin.map(str::to_string);
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("spawn kubectl");
            if let Some(input) = input {
                use std::io::Write;
                child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
            }
            child.wait_with_output().expect("kubectl output")
        })
        .await
        .expect("kubectl task")
    }

    /// Runs kubectl and returns stdout, failing the test with stderr if it fails.
    pub async fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// A ConfigMap named `name` with one data key.
pub fn cm(name: &str) -> k8s_openapi::api::core::v1::ConfigMap {
    serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "data": {"k": "v"}})).expect("config map")
}

/// The `Status` of an API error, failing the test on any other error.
pub fn status_of(e: kube::Error) -> kube::core::Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other}"),
    }
}

/// A raw HTTP/1.1 exchange with the emulator, to see exactly what goes over the wire: the status
/// code and the body (chunk framing, if any, left in).
pub async fn raw(emu: &Emulator, method: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
    request(emu, method, path, &[("Content-Type", content_type)], body).await
}

/// The same with any headers.
pub async fn request(emu: &Emulator, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(emu.addr().expect("listening")).await.expect("connect");
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text[9..12].parse().expect("status code");
    (code, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}
