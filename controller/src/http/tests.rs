//! The servers over real TCP, with a minimal blocking HTTP/1.1 client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::num::NonZeroU32;

use kubeseal_crds::SealedSecret;
use kubeseal_sealing::{KeyRing, Recipient};
use secrecy::ExposeSecret;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;
use crate::api::testing::{MARKER, body, new_rsa, old_rsa, sealed, secret_value, strict_label, x25519};
use crate::keys::testing::{FIXTURE_KEY, FIXTURE_KEY_OTHER, at, fixture_secret, generated};
use crate::keys::{DEFAULT_KEY_PREFIX, KeyOrder};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    raw: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request with `Connection: close` and reads the reply to EOF. `raw_body` is sent as
/// is after the headers (`headers` must then say how it is framed).
async fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], raw_body: &[u8]) -> Reply {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(raw_body);
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        // The server may answer (and close) before it has read everything, e.g. on 413.
        let _ = stream.write_all(&bytes);
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
                Err(_) if !raw.is_empty() => break,
                Err(e) => panic!("reading the reply failed: {e}"),
            }
        }
        parse(raw)
    })
    .await
    .unwrap()
}

async fn call(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let length = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Content-Length", &length));
    send(addr, method, path, &all, body).await
}

fn parse(raw: Vec<u8>) -> Reply {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete header block");
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let body = raw[end + 4..].to_vec();
    Reply { status, headers, body, raw }
}

struct Server {
    addr: SocketAddr,
    state: Arc<ApiState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Server {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task.take().unwrap()).await.unwrap().unwrap().unwrap();
    }
}

async fn start_with(keys: KeyStore, limits: Limits, quota: RateQuota) -> Server {
    let state = Arc::new(ApiState::new(
        Arc::new(keys),
        Arc::new(Metrics::new()),
        limits,
        quota,
        Timeouts { read: Duration::from_secs(10), write: Duration::from_secs(10) },
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_api(listener, Arc::clone(&state), async move {
        let _ = stopped.await;
    }));
    Server { addr, state, stop: Some(stop), task: Some(task) }
}

async fn start(keys: KeyStore) -> Server {
    start_with(keys, Limits::default(), generous()).await
}

fn generous() -> RateQuota {
    RateQuota { per_second: NonZeroU32::new(1000).unwrap(), burst: 1000 }
}

/// The fixture RSA key (old, certificate from 0) and the other fixture key (new, from 100,
/// active); no X25519 keys.
fn two_rsa_keys() -> KeyStore {
    let store = KeyStore::default();
    for (name, pem, t) in [("old", FIXTURE_KEY, at(0)), ("new", FIXTURE_KEY_OTHER, at(100))] {
        let secret = fixture_secret(name, pem, t, t);
        assert!(store.update(|l| l.add_secret(&secret, DEFAULT_KEY_PREFIX, KeyOrder::CertNotBefore, t).unwrap()));
    }
    store
}

fn assert_rate_limit_headers(reply: &Reply) {
    for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert!(reply.header(name).is_some(), "missing {name}");
    }
}

#[tokio::test]
async fn healthz_answers_ok_with_any_method() {
    let server = start(KeyStore::default()).await;
    for method in ["GET", "POST", "DELETE"] {
        let reply = call(server.addr, method, "/healthz", &[], b"").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "ok\n");
        assert_eq!(reply.header("content-type"), Some("text/plain; charset=utf-8"));
    }
    // Not instrumented.
    assert!(!server.state.metrics().encode().contains("healthz"));
    server.stop().await;
}

#[tokio::test]
async fn cert_pem_is_500_without_keys_and_the_active_certificate_with_one() {
    let server = start(KeyStore::default()).await;
    let reply = call(server.addr, "GET", "/v1/cert.pem", &[], b"").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.text(), "cannot get certificate\n");

    let key = generated(at(0));
    let expected = key.cert.to_pem();
    server.state.keys.update(|l| l.add_generated(key, "k1", at(0)));
    let reply = call(server.addr, "GET", "/v1/cert.pem", &[], b"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/x-pem-file"));
    assert_eq!(reply.text(), expected);
    assert_eq!(reply.text().matches("-----BEGIN CERTIFICATE-----").count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn v2_key_is_404_without_one_and_the_x25519_spki_pem_with_one() {
    let server = start(two_rsa_keys()).await;
    let reply = call(server.addr, "GET", V2_PUBLIC_KEY_PATH, &[], b"").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.text(), "no v2 key\n");

    let key = generated(at(200));
    let public = key.x25519.public_key().clone();
    server.state.keys.update(|l| l.add_generated(key, "k2", at(200)));
    let reply = call(server.addr, "GET", V2_PUBLIC_KEY_PATH, &[], b"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/x-pem-file"));
    assert!(reply.text().starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(kubeseal_sealing::X25519PublicKey::from_pem(&reply.text()).unwrap(), public);
    server.stop().await;
}

#[tokio::test]
async fn unknown_paths_are_go_style_404s() {
    let server = start(KeyStore::default()).await;
    for path in ["/", "/v1/cert", "/metrics", "/v1/verify/"] {
        let reply = call(server.addr, "GET", path, &[], b"").await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.text(), "404 page not found\n");
    }
    server.stop().await;
}

#[tokio::test]
async fn verify_is_200_for_a_good_sealed_secret_and_409_for_a_foreign_one() {
    let server = start(two_rsa_keys()).await;
    let old = old_rsa();
    let good = sealed(Recipient::V1(old.public_key()), &[("a", &secret_value(0))]);
    let reply = call(server.addr, "POST", "/v1/verify", &[], &body(&good)).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    assert_rate_limit_headers(&reply);
    assert_eq!(reply.header("retry-after"), None);

    let stranger = x25519(9);
    let foreign = sealed(Recipient::V2(stranger.public_key()), &[("a", &secret_value(1))]);
    let reply = call(server.addr, "POST", "/v1/verify", &[], &body(&foreign)).await;
    assert_eq!(reply.status, 409);
    assert!(reply.body.is_empty());
    assert_rate_limit_headers(&reply);

    let reply = call(server.addr, "POST", "/v1/verify", &[], b"kind: SealedSecret\n").await;
    assert_eq!(reply.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn verify_is_refused_with_429_after_the_burst() {
    let quota = RateQuota { per_second: NonZeroU32::new(1).unwrap(), burst: 1 };
    let server = start_with(two_rsa_keys(), Limits::default(), quota).await;
    let old = old_rsa();
    let good = body(&sealed(Recipient::V1(old.public_key()), &[("a", "x")]));
    let client = [("X-Forwarded-For", "192.0.2.7")];

    let first = call(server.addr, "POST", "/v1/verify", &client, &good).await;
    assert_eq!(
        (first.status, first.header("x-ratelimit-limit"), first.header("x-ratelimit-remaining")),
        (200, Some("2"), Some("1"))
    );
    let second = call(server.addr, "POST", "/v1/verify", &client, &good).await;
    assert_eq!((second.status, second.header("x-ratelimit-remaining")), (200, Some("0")));
    let third = call(server.addr, "POST", "/v1/verify", &client, &good).await;
    assert_eq!(third.status, 429);
    assert_eq!(third.text(), "limit exceeded\n");
    assert_eq!(third.header("retry-after"), Some("1"));
    assert_rate_limit_headers(&third);

    // Another forwarded-for value is another bucket; rotate has its own buckets.
    let other = call(server.addr, "POST", "/v1/verify", &[("X-Forwarded-For", "192.0.2.8")], &good).await;
    assert_eq!(other.status, 200);
    let rotate = call(server.addr, "POST", "/v1/rotate", &client, &good).await;
    assert_eq!(rotate.status, 200);
    assert_rate_limit_headers(&rotate);

    let metrics = server.state.metrics().encode();
    assert!(
        metrics.contains(
            "sealed_secrets_controller_http_requests_total{path=\"/v1/verify\",code=\"429\",method=\"post\"} 1"
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn rotate_is_rate_limited_like_verify() {
    let quota = RateQuota { per_second: NonZeroU32::new(1).unwrap(), burst: 0 };
    let server = start_with(two_rsa_keys(), Limits::default(), quota).await;
    assert_eq!(call(server.addr, "POST", "/v1/rotate", &[], b"{}").await.status, 400);
    let refused = call(server.addr, "POST", "/v1/rotate", &[], b"{}").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.text(), "limit exceeded\n");
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_whether_announced_or_streamed() {
    let limits = Limits { max_body: 1000, ..Limits::default() };
    let server = start_with(two_rsa_keys(), limits, generous()).await;

    // Announced by Content-Length: refused before the body is read.
    let reply = send(server.addr, "POST", "/v1/verify", &[("Content-Length", "5000000")], b"{").await;
    assert_eq!(reply.status, 413);
    assert_rate_limit_headers(&reply);

    // Chunked, no length: refused once more than max_body bytes arrived.
    let mut chunked = format!("{:x}\r\n", 1001).into_bytes();
    chunked.extend_from_slice(&[b' '; 1001]);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    for path in ["/v1/verify", "/v1/rotate"] {
        let reply = send(server.addr, "POST", path, &[("Transfer-Encoding", "chunked")], &chunked).await;
        assert_eq!(reply.status, 413, "{path}");
    }

    // Exactly max_body is read (and is then just not a SealedSecret).
    let reply = call(server.addr, "POST", "/v1/verify", &[], &[b' '; 1000]).await;
    assert_eq!(reply.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn rotate_returns_json_resealed_to_the_active_key() {
    let server = start(two_rsa_keys()).await;
    let old = old_rsa();
    let value = secret_value(3);
    let original = sealed(Recipient::V1(old.public_key()), &[("a", &value)]);
    let reply = call(server.addr, "POST", "/v1/rotate", &[], &body(&original)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(!reply.text().contains('\n'), "compact JSON");
    let rotated: SealedSecret = serde_json::from_slice(&reply.body).unwrap();
    let text = &rotated.spec.encrypted_data["a"];
    assert_ne!(text, &original.spec.encrypted_data["a"]);

    let mut only_new = KeyRing::new();
    only_new.add_rsa(new_rsa(), at(100));
    let opened = only_new.open_base64(&strict_label(), text, None).unwrap();
    assert_eq!(opened.plaintext.expose_secret(), value.as_bytes());

    assert!(
        server.state.metrics().encode().contains(
            "sealed_secrets_controller_http_requests_total{path=\"/v1/rotate\",code=\"200\",method=\"post\"} 1"
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn rotate_without_keys_is_an_empty_500() {
    let server = start(KeyStore::default()).await;
    let old = old_rsa();
    let s = sealed(Recipient::V1(old.public_key()), &[("a", "x")]);
    let reply = call(server.addr, "POST", "/v1/rotate", &[], &body(&s)).await;
    assert_eq!(reply.status, 500);
    assert!(reply.body.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn no_plaintext_reaches_responses_or_metrics() {
    let server = start(two_rsa_keys()).await;
    let old = old_rsa();
    let stranger = x25519(9);
    let items = [("a", secret_value(0)), ("b", secret_value(1))];
    let items: Vec<(&str, &str)> = items.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bodies = [
        body(&sealed(Recipient::V1(old.public_key()), &items)),
        body(&sealed(Recipient::V2(stranger.public_key()), &items)),
    ];
    let mut seen = Vec::new();
    for b in &bodies {
        for path in ["/v1/verify", "/v1/rotate"] {
            let reply = call(server.addr, "POST", path, &[("X-Forwarded-For", MARKER)], b).await;
            assert!(matches!(reply.status, 200 | 409 | 500), "{path}: {}", reply.status);
            seen.push(reply.raw);
        }
    }
    let marker = MARKER.as_bytes();
    for raw in &seen {
        assert!(!raw.windows(marker.len()).any(|w| w == marker));
    }
    let metrics = server.state.metrics().encode();
    assert!(!metrics.contains(MARKER) && !metrics.contains(&MARKER.to_lowercase()));
    server.stop().await;
}

#[tokio::test]
async fn instrumented_routes_are_counted_with_upstream_labels() {
    let server = start(KeyStore::default()).await;
    call(server.addr, "GET", "/v1/cert.pem", &[], b"").await;
    call(server.addr, "GET", V2_PUBLIC_KEY_PATH, &[], b"").await;
    call(server.addr, "PUT", "/v1/verify", &[], b"{}").await;
    call(server.addr, "GET", "/nope", &[], b"").await;
    let text = server.state.metrics().encode();
    for line in [
        "sealed_secrets_controller_http_requests_total{path=\"/v1/cert.pem\",code=\"500\",method=\"get\"} 1",
        "sealed_secrets_controller_http_requests_total{path=\"/v2/x25519.pem\",code=\"404\",method=\"get\"} 1",
        "sealed_secrets_controller_http_requests_total{path=\"/v1/verify\",code=\"400\",method=\"put\"} 1",
        "sealed_secrets_controller_http_request_duration_seconds_count{path=\"/v1/verify\",method=\"put\"} 1",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    assert!(!text.contains("/nope"));
    server.stop().await;
}

#[tokio::test]
async fn metrics_server_serves_openmetrics_and_404_elsewhere() {
    let metrics = Arc::new(Metrics::new());
    metrics.unseal_request();
    metrics.set_condition("ns", "db", "", Some(true));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_metrics(listener, Arc::clone(&metrics), Timeouts::default(), async move {
        let _ = stopped.await;
    }));

    let reply = call(addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    let text = reply.text();
    assert!(text.contains("sealed_secrets_controller_unseal_requests_total 1\n"));
    assert!(text.contains("sealed_secrets_controller_condition_info{namespace=\"ns\",name=\"db\",condition=\"Synced\",ss_app_kubernetes_io_instance=\"\"} 1"));
    assert!(text.ends_with("# EOF\n"));
    assert_eq!(call(addr, "GET", "/healthz", &[], b"").await.status, 404);

    metrics.remove_condition("ns", "db");
    let text = call(addr, "GET", "/metrics", &[], b"").await.text();
    assert!(!text.contains("name=\"db\""));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_waits_for_an_open_idle_connection_to_close() {
    let server = start(KeyStore::default()).await;
    // An idle keep-alive connection must not hold shutdown up.
    let idle = TcpStream::connect(server.addr).unwrap();
    let reply = call(server.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(reply.status, 200);
    server.stop().await;
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_rotate_beyond_the_in_flight_cap_get_503_before_any_body_is_read() {
    let server = start(two_rsa_keys()).await;
    let cap = std::thread::available_parallelism().map_or(1, |n| n.get()) * IN_FLIGHT_PER_CPU;
    // `cap` slow clients announce a body and never send it: each holds a slot.
    let mut slow = Vec::new();
    for _ in 0..cap {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream.write_all(b"POST /v1/verify HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n{").unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply = call(server.addr, "POST", "/v1/rotate", &[], b"{}").await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.header("Retry-After"), Some("1"));
    assert_eq!(reply.text(), "busy\n");
    // Health and the public keys are not affected.
    assert_eq!(call(server.addr, "GET", "/healthz", &[], b"").await.status, 200);
    assert_eq!(call(server.addr, "GET", "/v1/cert.pem", &[], b"").await.status, 200);
    // Once the slow clients go away, requests are admitted again.
    drop(slow);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call(server.addr, "POST", "/v1/verify", &[], b"{}").await.status, 400);
    server.stop().await;
}
