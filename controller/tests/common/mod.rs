//! End-to-end fixtures: the emulator in the test process, the real `kubeseal-controller` binary
//! as a child process pointed at it with a kubeconfig, the real kubectl, and sealing with the
//! `kubeseal-sealing` crate against the certificate the controller serves through the API
//! server's service proxy (the path `kubeseal --fetch-cert` takes).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use kube_emulator::{Config, Emulator};
use kubeseal_crds::k8s::k8s_openapi::api::core::v1::{Secret, Service};
use kubeseal_sealing::{Recipient, RsaPublicKey, Scope, X25519PublicKey};
use serde_json::{Value, json};

/// The controller's namespace and Service, upstream's defaults.
pub const CONTROLLER_NS: &str = "kube-system";
/// The controller Service name kubeseal looks for by default.
pub const SERVICE: &str = "sealed-secrets-controller";
/// The CRD as shipped.
pub const CRD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/crds/sealedsecrets.bitnami.com.yaml");

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh scratch directory under the target dir.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kubeseal-e2e-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Polls `f` until it returns true, for at most `secs` seconds.
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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {secs} s waiting until {what}");
}

/// The emulator, a kube client, kubectl, and a scratch directory.
pub struct Cluster {
    pub emu: Emulator,
    pub client: Client,
    pub kubectl: Kubectl,
    pub dir: PathBuf,
}

impl Cluster {
    /// An emulator with the SealedSecret CRD applied by kubectl and the controller Service.
    pub async fn start() -> Self {
        let emu = Emulator::start_with(Config::default(), 0).await.expect("start the emulator");
        let client = Client::new(emu.service(), "default");
        let dir = scratch_dir("cluster");
        let kubectl = Kubectl::new(&emu, &dir);
        kubectl.ok(&["apply", "-f", CRD], None).await;
        kubectl
            .ok(&["wait", "--for=condition=Established", "crd/sealedsecrets.bitnami.com", "--timeout=20s"], None)
            .await;
        let service: Service = serde_json::from_value(json!({
            "metadata": {"name": SERVICE, "namespace": CONTROLLER_NS},
            "spec": {"ports": [{"name": "http", "port": 8080}]}
        }))
        .expect("service");
        Api::<Service>::namespaced(client.clone(), CONTROLLER_NS)
            .create(&PostParams::default(), &service)
            .await
            .expect("create the controller Service");
        Self { emu, client, kubectl, dir }
    }

    /// Starts a controller replica named `name` with `args` added to the test defaults.
    pub async fn controller(&self, name: &str, args: &[&str]) -> Controller {
        Controller::start(self, name, args).await
    }

    /// The Secret `ns/name`, if it exists.
    /// Retries server errors: fault-injection tests make the emulator fail requests.
    pub async fn secret(&self, ns: &str, name: &str) -> Option<Secret> {
        let api = Api::<Secret>::namespaced(self.client.clone(), ns);
        for _ in 0..20 {
            match api.get_opt(name).await {
                Ok(s) => return s,
                Err(kube::Error::Api(s)) if s.code >= 500 => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("get secret {ns}/{name}: {e}"),
            }
        }
        panic!("get secret {ns}/{name}: still failing")
    }

    /// The SealedSecret `ns/name` as JSON.
    pub async fn sealed(&self, ns: &str, name: &str) -> Value {
        let out = self.kubectl.ok(&["get", "sealedsecret", name, "-n", ns, "-o", "json"], None).await;
        serde_json::from_str(&out).expect("sealedsecret json")
    }

    /// The `Synced` condition's status of `ns/name` ("True", "False") and message.
    pub async fn synced(&self, ns: &str, name: &str) -> Option<(String, String)> {
        let s = self.sealed(ns, name).await;
        let c = s["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == "Synced")?.clone();
        Some((c["status"].as_str()?.to_string(), c["message"].as_str().unwrap_or("").to_string()))
    }

    /// Events in `ns` as (type, reason, message, involved object name).
    pub async fn events(&self, ns: &str) -> Vec<(String, String, String, String)> {
        let out = self.kubectl.ok(&["get", "events", "-n", ns, "-o", "json"], None).await;
        let list: Value = serde_json::from_str(&out).expect("events json");
        list["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|e| {
                        let s = |v: &Value| v.as_str().unwrap_or("").to_string();
                        (s(&e["type"]), s(&e["reason"]), s(&e["message"]), s(&e["involvedObject"]["name"]))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Creates a namespace (with apply: `kubectl create namespace` sends protobuf).
    pub async fn namespace(&self, name: &str) {
        self.apply(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})).await;
    }

    /// `kubectl apply -f -` of a manifest.
    pub async fn apply(&self, manifest: &Value) {
        self.kubectl.ok(&["apply", "-f", "-"], Some(&manifest.to_string())).await;
    }

    /// The active certificate, fetched through the API server's service proxy as kubeseal does.
    pub async fn fetch_cert(&self) -> RsaPublicKey {
        let path = format!("/api/v1/namespaces/{CONTROLLER_NS}/services/http:{SERVICE}:/proxy/v1/cert.pem");
        let pem = self.kubectl.ok(&["get", "--raw", &path], None).await;
        let cert = kubeseal_sealing::Certificate::from_pem(&pem).expect("cert.pem parses");
        cert.public_key().clone()
    }

    /// The v2 public key, through the service proxy.
    pub async fn fetch_v2_key(&self) -> X25519PublicKey {
        let path = format!("/api/v1/namespaces/{CONTROLLER_NS}/services/http:{SERVICE}:/proxy/v2/x25519.pem");
        let pem = self.kubectl.ok(&["get", "--raw", &path], None).await;
        X25519PublicKey::from_pem(&pem).expect("x25519.pem parses")
    }
}

/// A SealedSecret manifest (strict scope) with `items` sealed to `recipient`.
pub fn seal(recipient: Recipient, ns: &str, name: &str, items: &[(&str, &str)]) -> Value {
    seal_with(recipient, ns, name, items, Scope::Strict, json!({}))
}

/// The same with a scope and a template.
pub fn seal_with(
    recipient: Recipient,
    ns: &str,
    name: &str,
    items: &[(&str, &str)],
    scope: Scope,
    template: Value,
) -> Value {
    let label = scope.label(ns, name);
    let encrypted: BTreeMap<&str, String> =
        items.iter().map(|(k, v)| (*k, recipient.seal_base64(&label, v.as_bytes()).expect("seal"))).collect();
    let mut annotations = serde_json::Map::new();
    match scope {
        Scope::ClusterWide => {
            annotations.insert("sealedsecrets.bitnami.com/cluster-wide".into(), "true".into());
        }
        Scope::NamespaceWide => {
            annotations.insert("sealedsecrets.bitnami.com/namespace-wide".into(), "true".into());
        }
        Scope::Strict => {}
    }
    let mut template = template;
    let meta = template["metadata"].as_object().cloned().unwrap_or_default();
    let mut meta = meta;
    meta.insert("name".into(), name.into());
    meta.insert("namespace".into(), ns.into());
    if !annotations.is_empty() {
        let mut a = meta.get("annotations").and_then(Value::as_object).cloned().unwrap_or_default();
        a.extend(annotations.clone());
        meta.insert("annotations".into(), Value::Object(a));
    }
    template["metadata"] = Value::Object(meta);
    json!({
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations},
        "spec": {"encryptedData": encrypted, "template": template}
    })
}

/// The real kubectl, pointed at the emulator.
pub struct Kubectl {
    bin: PathBuf,
    pub kubeconfig: PathBuf,
    home: PathBuf,
}

impl Kubectl {
    /// Fails the test when kubectl is not installed: CI never skips these.
    pub fn new(emu: &Emulator, dir: &Path) -> Self {
        let bin = std::env::var_os("KUBESEAL_KUBECTL").map(PathBuf::from).expect(
            "KUBESEAL_KUBECTL is not set: run `eval \"$(scripts/install-test-deps)\"` (scripts/test does) to install kubectl",
        );
        assert!(bin.exists(), "KUBESEAL_KUBECTL={} does not exist", bin.display());
        let home = dir.join("kubectl-home");
        std::fs::create_dir_all(&home).expect("kubectl home");
        let kubeconfig = dir.join("kubeconfig");
        emu.write_kubeconfig(&kubeconfig).expect("write kubeconfig");
        Self { bin, kubeconfig, home }
    }

    /// Runs kubectl off the async runtime's threads.
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

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A running `kubeseal-controller` child process.
pub struct Controller {
    child: Option<Child>,
    pub name: String,
    pub api: std::net::SocketAddr,
    pub metrics: std::net::SocketAddr,
    pub log: PathBuf,
}

impl Controller {
    async fn start(cluster: &Cluster, name: &str, args: &[&str]) -> Self {
        let api: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let metrics: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let log = cluster.dir.join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_kubeseal-controller"))
            .arg(format!("--listen-addr={api}"))
            .arg(format!("--listen-metrics-addr={metrics}"))
            .arg("--log-level=DEBUG")
            .arg("--key-size=2048")
            .args(args)
            .env("KUBECONFIG", &cluster.kubectl.kubeconfig)
            .env("POD_NAMESPACE", CONTROLLER_NS)
            .env("POD_NAME", name)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("spawn kubeseal-controller");
        let controller = Self { child: Some(child), name: name.to_string(), api, metrics, log };
        cluster.emu.register_service_proxy(CONTROLLER_NS, SERVICE, api);
        for path in ["/healthz", "/v1/cert.pem"] {
            let url = format!("http://{api}{path}");
            eventually(30, &format!("the controller answers {path}"), || {
                let url = url.clone();
                async move { http_get(&url).await.is_some_and(|(code, _)| code == 200) }
            })
            .await;
        }
        controller
    }

    /// The controller's log so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path` on the controller's API port.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(&format!("http://{}{path}", self.api)).await
    }

    /// `GET /metrics` on the metrics port.
    pub async fn metrics_text(&self) -> String {
        http_get(&format!("http://{}/metrics", self.metrics)).await.map(|(_, b)| b).unwrap_or_default()
    }

    /// Whether this replica reports itself as leader in its metrics.
    pub async fn is_leader(&self) -> bool {
        self.metrics_text().await.lines().any(|l| l.starts_with("kubeseal_rs_leader") && l.trim_end().ends_with(" 1"))
    }

    /// SIGKILL: the process dies without releasing anything (a crashed node).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait: a graceful shutdown.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A minimal HTTP/1.1 GET; `None` when the server cannot be reached.
pub async fn http_get(url: &str) -> Option<(u16, String)> {
    http("GET", url, "").await
}

/// A minimal HTTP/1.1 request returning status and body.
pub async fn http(method: &str, url: &str, body: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut s = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(host)).await.ok()?.ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text.get(9..12)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((code, body))
}

/// Decoded `data` of a Secret.
pub fn data_of(secret: &Secret) -> BTreeMap<String, String> {
    secret.data.iter().flatten().map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned())).collect()
}

/// Name of the controller owner reference of a Secret, if any.
pub fn controller_owner(secret: &Secret) -> Option<(String, String)> {
    secret.owner_references().iter().find(|o| o.controller == Some(true)).map(|o| (o.kind.clone(), o.name.clone()))
}
