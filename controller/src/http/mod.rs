//! The controller's two HTTP servers (reference §4.7, §4.8): the API (`:8080`) and metrics
//! (`:8081`). Plain hyper 1 over HTTP/1.1, no framework.
//!
//! API routes (methods are not restricted on any route, as upstream):
//!
//! | Path | Response |
//! |---|---|
//! | `/healthz` | `200 ok\n`; not instrumented |
//! | `/v1/cert.pem` | `200` PEM of the active certificate, or `500 cannot get certificate\n` |
//! | `/v1/verify` | [`crate::api::verify()`]: `200`, `409`, `400`, `413`, empty body; rate limited |
//! | `/v1/rotate` | [`crate::api::rotate()`]: `200` compact JSON, else empty `400`/`413`/`500`; rate limited |
//! | `/v2/x25519.pem` | `200` the v2 public key ([`V2_PUBLIC_KEY_PATH`]), or `404 no v2 key\n` |
//! | anything else | `404 404 page not found\n` |
//!
//! Differences from upstream, on purpose:
//!
//! - `/v1/rotate` is rate limited too, with the same quota as `/v1/verify` but its own buckets.
//!   Upstream leaves it open although every request costs private-key operations and anyone the
//!   API server proxy lets through can send one (reference §7.2).
//! - Request bodies are bounded by [`Limits::max_body`] (`413`); reading the body is bounded by
//!   [`Timeouts::read`] (`408`) and the whole request by `read + write` (`503`).
//! - Verify and rotate run on the blocking pool, at most one per CPU at a time, so a burst of
//!   expensive requests queues instead of starving the health and certificate routes.
//! - `/v1/rotate` answers `Content-Type: application/json` (upstream's header is lost and Go
//!   sniffs `text/plain`).
//!
//! The instrumented routes (`/v1/cert.pem`, `/v1/verify`, `/v1/rotate`, and our
//! `/v2/x25519.pem`) record `http_requests_total` and `http_request_duration_seconds`, including
//! refused (`429`) requests. Responses and logs never carry request bodies or plaintext.

pub mod ratelimit;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::api::{self, ActiveKeys, Limits, RotateOutcome};
use crate::keys::KeyStore;
use crate::metrics::Metrics;
use ratelimit::{Decision, Gcra, RateQuota};

/// Path of the v2 public key: the X25519 key (PEM `PUBLIC KEY`, DER SubjectPublicKeyInfo) that
/// v2 (HPKE) envelopes are sealed to, i.e. [`KeyStore::v2_public_key`].
///
/// This is the interface the CLI uses to seal v2 values, the v2 counterpart of `/v1/cert.pem`:
/// `GET` (any method works) through the API server's service proxy answers `200` with
/// `Content-Type: application/x-pem-file` and one PEM block, or `404` with `no v2 key\n` when no
/// key has an X25519 half (only bring-your-own RSA keys), in which case the CLI must seal v1.
pub const V2_PUBLIC_KEY_PATH: &str = "/v2/x25519.pem";

const PEM: &str = "application/x-pem-file";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// Server timeouts, as upstream's `--read-timeout` and `--write-timeout` (both default 2 minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Reading the request headers, and separately the request body.
    pub read: Duration,
    /// Producing the response once the request is read; the whole request gets `read + write`.
    pub write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { read: Duration::from_secs(120), write: Duration::from_secs(120) }
    }
}

/// Everything the API handlers use. Build it once and share it as `Arc<ApiState>`.
#[derive(Debug)]
pub struct ApiState {
    keys: Arc<KeyStore>,
    metrics: Arc<Metrics>,
    limits: Limits,
    verify_limiter: Mutex<Gcra>,
    rotate_limiter: Mutex<Gcra>,
    timeouts: Timeouts,
    /// Origin of the rate limiters' clock.
    started: Instant,
    /// One permit per CPU for verify/rotate work on the blocking pool.
    crypto: Arc<Semaphore>,
    /// Verify/rotate requests being read or processed; beyond [`IN_FLIGHT_PER_CPU`] per CPU
    /// the answer is `503` before any body is read, so memory stays bounded (each may buffer up
    /// to `max_body`) whatever the rate limiter lets through.
    in_flight: Arc<Semaphore>,
}

/// Verify/rotate requests admitted at once, per CPU.
pub const IN_FLIGHT_PER_CPU: usize = 4;

impl ApiState {
    /// State for the API server: `quota` applies to `/v1/verify` and, separately, `/v1/rotate`.
    pub fn new(
        keys: Arc<KeyStore>,
        metrics: Arc<Metrics>,
        limits: Limits,
        quota: RateQuota,
        timeouts: Timeouts,
    ) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            keys,
            metrics,
            limits,
            verify_limiter: Mutex::new(Gcra::new(quota)),
            rotate_limiter: Mutex::new(Gcra::new(quota)),
            timeouts,
            started: Instant::now(),
            crypto: Arc::new(Semaphore::new(cpus)),
            in_flight: Arc::new(Semaphore::new(cpus * IN_FLIGHT_PER_CPU)),
        }
    }

    /// The metrics the handlers record into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    fn rate_limit(&self, limiter: &Mutex<Gcra>, req: &Request<Incoming>, path: &str) -> Decision {
        let forwarded = req.headers().get("x-forwarded-for").map(HeaderValue::as_bytes);
        let now = self.started.elapsed();
        let mut limiter = limiter.lock().unwrap_or_else(|e| e.into_inner());
        let key = limiter.bucket_key(forwarded, path);
        limiter.check(&key, now)
    }
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting, lets requests
/// in flight finish and returns.
pub async fn serve_api(
    listener: TcpListener,
    state: Arc<ApiState>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let timeouts = state.timeouts;
    serve(listener, timeouts, shutdown, move |req| handle_api(Arc::clone(&state), req)).await
}

/// Serves `GET /metrics` (any method, as upstream) on `listener` until `shutdown` completes; other
/// paths are `404`.
pub async fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    serve(listener, timeouts, shutdown, move |req| {
        let metrics = Arc::clone(&metrics);
        async move {
            if req.uri().path() == "/metrics" {
                respond(StatusCode::OK, Some(Metrics::CONTENT_TYPE), metrics.encode().into())
            } else {
                not_found()
            }
        }
    })
    .await
}

/// The accept loop shared by both servers.
async fn serve<H, F>(
    listener: TcpListener,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
    handler: H,
) -> io::Result<()>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(timeouts.read);
    let builder = Arc::new(builder);
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors and similar: back off instead of spinning.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let handler = handler.clone();
                let builder = Arc::clone(&builder);
                let mut stopped = stopped.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        let response = handler(req);
                        async move { Ok::<_, Infallible>(response.await) }
                    });
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let mut conn = std::pin::pin!(conn);
                    let result = tokio::select! {
                        result = conn.as_mut() => result,
                        _ = stopped.changed() => {
                            conn.as_mut().graceful_shutdown();
                            conn.await
                        }
                    };
                    if let Err(error) = result {
                        tracing::debug!(%error, "HTTP connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    // Receivers may all be gone already (no connection open); nothing to tell then.
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Healthz,
    Cert,
    Verify,
    Rotate,
    V2Key,
    NotFound,
}

impl Route {
    fn of(path: &str) -> Self {
        match path {
            "/healthz" => Route::Healthz,
            "/v1/cert.pem" => Route::Cert,
            "/v1/verify" => Route::Verify,
            "/v1/rotate" => Route::Rotate,
            V2_PUBLIC_KEY_PATH => Route::V2Key,
            _ => Route::NotFound,
        }
    }

    /// The `path` label, for instrumented routes.
    fn metric_path(self) -> Option<&'static str> {
        match self {
            Route::Cert => Some("/v1/cert.pem"),
            Route::Verify => Some("/v1/verify"),
            Route::Rotate => Some("/v1/rotate"),
            Route::V2Key => Some(V2_PUBLIC_KEY_PATH),
            Route::Healthz | Route::NotFound => None,
        }
    }
}

async fn handle_api(state: Arc<ApiState>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let route = Route::of(req.uri().path());
    let method = req.method().clone();
    let start = Instant::now();
    let budget = state.timeouts.read.saturating_add(state.timeouts.write);
    let response = match tokio::time::timeout(budget, dispatch(&state, route, req)).await {
        Ok(response) => response,
        Err(_) => respond(StatusCode::SERVICE_UNAVAILABLE, None, Bytes::new()),
    };
    if let Some(path) = route.metric_path() {
        state.metrics.observe_http(path, &method, response.status().as_u16(), start.elapsed());
    }
    response
}

async fn dispatch(state: &Arc<ApiState>, route: Route, req: Request<Incoming>) -> Response<Full<Bytes>> {
    match route {
        Route::Healthz => respond(StatusCode::OK, Some(TEXT), Bytes::from_static(b"ok\n")),
        Route::Cert => match state.keys.active_cert_pem() {
            Some(pem) => respond(StatusCode::OK, Some(PEM), pem.into()),
            None => text_error(StatusCode::INTERNAL_SERVER_ERROR, "cannot get certificate\n"),
        },
        Route::V2Key => match state.keys.v2_public_key() {
            Some(key) => respond(StatusCode::OK, Some(PEM), key.to_pem().into()),
            None => text_error(StatusCode::NOT_FOUND, "no v2 key\n"),
        },
        Route::Verify => {
            let decision = state.rate_limit(&state.verify_limiter, &req, "/v1/verify");
            let response = if decision.allowed { verify(state, req).await } else { limit_exceeded() };
            with_rate_limit_headers(response, &decision)
        }
        Route::Rotate => {
            let decision = state.rate_limit(&state.rotate_limiter, &req, "/v1/rotate");
            let response = if decision.allowed { rotate(state, req).await } else { limit_exceeded() };
            with_rate_limit_headers(response, &decision)
        }
        Route::NotFound => not_found(),
    }
}

async fn verify(state: &Arc<ApiState>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let Ok(_admitted) = Arc::clone(&state.in_flight).try_acquire_owned() else { return busy() };
    let body = match read_body(req, state.limits.max_body, state.timeouts.read).await {
        Ok(body) => body,
        Err(status) => return respond(status, None, Bytes::new()),
    };
    let shared = Arc::clone(state);
    let status = run_crypto(state, move || {
        let loaded = shared.keys.read();
        api::verify(&body, &loaded.ring, &shared.limits).status()
    })
    .await
    .unwrap_or(500);
    respond(status_code(status), None, Bytes::new())
}

async fn rotate(state: &Arc<ApiState>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let Ok(_admitted) = Arc::clone(&state.in_flight).try_acquire_owned() else { return busy() };
    let body = match read_body(req, state.limits.max_body, state.timeouts.read).await {
        Ok(body) => body,
        Err(status) => return respond(status, None, Bytes::new()),
    };
    let shared = Arc::clone(state);
    let outcome = run_crypto(state, move || {
        // Taken before the read guard: `v2_public_key` takes its own.
        let x25519 = shared.keys.v2_public_key();
        let loaded = shared.keys.read();
        let Some(active) = loaded.active() else {
            return RotateOutcome::Failed;
        };
        let keys = ActiveKeys { rsa: active.cert.public_key(), x25519: x25519.as_ref() };
        api::rotate(&body, &loaded.ring, &keys, &shared.limits)
    })
    .await
    .unwrap_or(RotateOutcome::Failed);
    match outcome {
        RotateOutcome::Rotated(json) => respond(StatusCode::OK, Some(JSON), json.into()),
        other => respond(status_code(other.status()), None, Bytes::new()),
    }
}

/// Runs private-key work on the blocking pool, at most one job per CPU at a time. `None` when the
/// job panicked.
async fn run_crypto<T: Send + 'static>(state: &ApiState, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let permit = Arc::clone(&state.crypto).acquire_owned().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        job()
    })
    .await
    .ok()
}

/// Reads the whole request body, keeping at most `max` bytes: `413` beyond that (announced by
/// `Content-Length` or found while reading), `400` when the body cannot be read, `408` when it
/// takes longer than `timeout`.
async fn read_body(req: Request<Incoming>, max: usize, timeout: Duration) -> Result<Vec<u8>, StatusCode> {
    let announced = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let mut body = req.into_body();
    let read = async {
        let mut buf = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
            if let Ok(data) = frame.into_data() {
                if buf.len().saturating_add(data.len()) > max {
                    return Err(StatusCode::PAYLOAD_TOO_LARGE);
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(buf)
    };
    tokio::time::timeout(timeout, read).await.unwrap_or(Err(StatusCode::REQUEST_TIMEOUT))
}

fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn respond(status: StatusCode, content_type: Option<&'static str>, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// A plain-text error as Go's `http.Error` writes it.
fn text_error(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    let mut response = respond(status, Some(TEXT), Bytes::from_static(message.as_bytes()));
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

fn not_found() -> Response<Full<Bytes>> {
    text_error(StatusCode::NOT_FOUND, "404 page not found\n")
}

/// `503` when too many verify/rotate requests are in flight; retry in a second.
fn busy() -> Response<Full<Bytes>> {
    let mut response = text_error(StatusCode::SERVICE_UNAVAILABLE, "busy\n");
    response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
    response
}

fn limit_exceeded() -> Response<Full<Bytes>> {
    text_error(StatusCode::TOO_MANY_REQUESTS, "limit exceeded\n")
}

fn with_rate_limit_headers(mut response: Response<Full<Bytes>>, decision: &Decision) -> Response<Full<Bytes>> {
    for (name, value) in decision.headers() {
        if let Ok(value) = HeaderValue::try_from(value) {
            response.headers_mut().insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests;
