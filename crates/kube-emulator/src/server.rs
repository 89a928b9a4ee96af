//! The emulator handle: an HTTP listener on 127.0.0.1, the same handler as a `tower::Service`,
//! the background controllers, a kubeconfig writer, and the test hooks (fault injection, request
//! log, watch dropping, history compaction, service proxies).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::body::Body;
use crate::shared::{Config, FaultRule, RequestRecord, Shared, lock};
use crate::{api, controllers};

/// A running emulator. Dropping it stops the listener and the controllers.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        // End open watches so their connections close.
        self.shared.watch_epoch.send_modify(|e| *e += 1);
    }
}

impl Emulator {
    /// Starts on an ephemeral port of 127.0.0.1 with default settings.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(Config::default(), 0).await
    }

    /// Starts on `port` of 127.0.0.1 (0 for an ephemeral one).
    pub async fn start_with(config: Config, port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let addr = listener.local_addr()?;
        let mut emu = Self::in_process(config);
        let _ = emu.shared.addr.set(addr);
        emu.addr = Some(addr);
        let shared = emu.shared.clone();
        emu.tasks.push(tokio::spawn(accept_loop(listener, shared)));
        Ok(emu)
    }

    /// An emulator reachable only through [`Emulator::service`] (no listener). Needs a tokio
    /// runtime, for the controllers.
    pub fn in_process(config: Config) -> Self {
        let shared = Shared::new(config);
        crate::api::seed(&shared);
        let tasks = vec![tokio::spawn(controllers::run(shared.clone()))];
        Self { shared, addr: None, tasks }
    }

    /// `http://127.0.0.1:<port>`, if listening.
    pub fn url(&self) -> Option<String> {
        self.addr.map(|a| format!("http://{a}"))
    }

    /// The listening address.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// The handler as a `tower::Service`, for `kube::Client::new(emulator.service(), "default")`.
    pub fn service(&self) -> EmulatorService {
        EmulatorService { shared: self.shared.clone() }
    }

    /// A kubeconfig (YAML) pointing at the listener, context `kube-emulator`, namespace
    /// `default`, with a dummy token (every request is allowed).
    pub fn kubeconfig(&self) -> Option<String> {
        let url = self.url()?;
        Some(format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-emulator\n  cluster:\n    server: {url}\ncontexts:\n- name: kube-emulator\n  context:\n    cluster: kube-emulator\n    user: kube-emulator\n    namespace: default\ncurrent-context: kube-emulator\nusers:\n- name: kube-emulator\n  user:\n    token: kube-emulator\npreferences: {{}}\n"
        ))
    }

    /// Writes [`Emulator::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> io::Result<()> {
        let cfg = self.kubeconfig().ok_or_else(|| io::Error::other("the emulator is not listening on a port"))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        // Written aside and renamed, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, cfg)?;
        std::fs::rename(&partial, path)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }

    /// How many requests had this verb (`get`, `list`, `watch`, `create`, `update`, `patch`,
    /// `delete`, `deletecollection`) on this resource (`configmaps`, `deployments/status`).
    pub fn request_count(&self, verb: &str, resource: &str) -> usize {
        lock(&self.shared.log).iter().filter(|r| r.verb == verb && r.resource == resource).count()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Fails the next `count` requests matching `verb` and `resource` (`None` matches any) with
    /// `code` and its usual reason (429 `TooManyRequests`, 503 `ServiceUnavailable`, ...).
    pub fn fail_next(&self, verb: Option<&str>, resource: Option<&str>, count: u32, code: u16) {
        lock(&self.shared.faults).rules.push(FaultRule {
            verb: verb.map(Into::into),
            resource: resource.map(Into::into),
            remaining: count,
            code,
        });
    }

    /// Delays every request by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared.faults).latency = latency;
    }

    /// Ends every open watch stream (clients see the stream end and re-watch).
    pub fn drop_watches(&self) {
        self.shared.watch_epoch.send_modify(|e| *e += 1);
    }

    /// Forgets the event history: a watch or list from an older resourceVersion gets 410, and so
    /// does the next watch that resumes from the current one (a deterministic re-list for tests).
    pub fn compact_history(&self) {
        self.shared.state().compact();
    }

    /// Stops (or resumes) the garbage collector and the namespace and CRD cleanup controllers.
    pub fn pause_controllers(&self, paused: bool) {
        *lock(&self.shared.controllers_paused) = paused;
        self.shared.wake_controllers();
    }

    /// Routes `services/proxy` requests for Service `namespace/name` to `addr`.
    pub fn register_service_proxy(&self, namespace: &str, name: &str, addr: SocketAddr) {
        lock(&self.shared.proxies).insert((namespace.to_string(), name.to_string()), addr);
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.state().rev
    }

    /// A stored object, as stored (storage version), by group, plural, namespace and name.
    pub fn object(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        self.shared.state().get(&(group.to_string(), plural.to_string()), namespace, name).cloned()
    }

    /// How many objects of a resource are stored.
    pub fn count(&self, group: &str, plural: &str) -> usize {
        self.shared.state().objects.get(&(group.to_string(), plural.to_string())).map_or(0, |m| m.len())
    }
}

/// Starts the dev cluster: the emulator on a fixed port of 127.0.0.1, state in memory, and a
/// kubeconfig written to `kubeconfig`.
pub async fn dev_cluster(port: u16, kubeconfig: &Path) -> io::Result<Emulator> {
    let emu = Emulator::start_with(Config::default(), port).await?;
    emu.write_kubeconfig(kubeconfig)?;
    Ok(emu)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle_any(&shared, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

async fn handle_any<B>(shared: &Arc<Shared>, req: Request<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => return api::error(&crate::status::ApiError::bad_request(format!("reading the request body: {e}"))),
    };
    api::handle(shared, Request::from_parts(parts, bytes)).await
}

/// The emulator as a `tower::Service`: in-process clients reach the same handler as HTTP ones.
#[derive(Clone)]
pub struct EmulatorService {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EmulatorService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorService").finish_non_exhaustive()
    }
}

impl<B> tower_service::Service<Request<B>> for EmulatorService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { Ok(handle_any(&shared, req).await) })
    }
}
