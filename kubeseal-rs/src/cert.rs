//! Where the sealing key comes from (reference §5.2): `--cert` (a file, or a `file://`,
//! `http://` or `https://` URL), `--v2-key`, or the controller through the API server.

use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use kubeseal_crds::k8s::jiff;
use kubeseal_sealing::{Certificate, X25519PublicKey};

use crate::cluster::ClusterOptions;

/// Controller path of the v1 certificate.
pub const CERT_PATH: &str = "/v1/cert.pem";
/// Controller path of the kubeseal-rs v2 (X25519) public key.
pub const V2_KEY_PATH: &str = "/v2/x25519.pem";

/// The most a certificate URL may return: a PEM certificate is a few KiB.
const MAX_CERT_BODY: usize = 64 * 1024;

/// `source` for error messages: a URL's `user:password@` is dropped.
fn redacted(source: &str) -> String {
    let Some((scheme, rest)) = source.split_once("://") else { return source.to_owned() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => source.to_owned(),
    }
}

/// Reads the bytes of `--cert`: a local path (no scheme, or a one-letter Windows drive), a
/// `file://` URL, or an `http://` URL. Errors name the source without its userinfo.
pub async fn read_cert_source(source: &str) -> Result<Vec<u8>> {
    read_cert_source_named(source, &redacted(source)).await
}

async fn read_cert_source_named(source: &str, shown: &str) -> Result<Vec<u8>> {
    match source.split_once("://") {
        Some(("http", _)) => http_get(source, shown).await,
        Some(("https", _)) => https_get(source, shown).await,
        Some(("file", rest)) => {
            let path = rest.split_once('/').map_or("/", |(_, p)| p);
            let path = format!("/{path}");
            std::fs::read(&path).with_context(|| format!("cannot read certificate {shown:?}"))
        }
        Some((scheme, _)) if scheme.len() > 1 => bail!("cannot fetch {shown:?}: unsupported URL scheme {scheme:?}"),
        _ => std::fs::read(source).with_context(|| format!("cannot read certificate file {source:?}")),
    }
}

/// Collects a response body, refusing one over [`MAX_CERT_BODY`].
async fn read_body<B>(body: B, shown: &str) -> Result<Bytes>
where
    B: hyper::body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match http_body_util::Limited::new(body, MAX_CERT_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            bail!("cannot fetch {shown:?}: the response is larger than {} KiB", MAX_CERT_BODY / 1024)
        }
        Err(e) => bail!("cannot fetch {shown:?}: {e}"),
    }
}

/// A plain HTTP/1.1 GET; anything but 200 is an error like upstream's.
async fn http_get(uri: &str, shown: &str) -> Result<Vec<u8>> {
    let parsed: hyper::Uri = uri.parse().with_context(|| format!("invalid certificate URL {shown:?}"))?;
    let host = parsed.host().ok_or_else(|| anyhow!("invalid certificate URL {shown:?}: no host"))?.to_owned();
    let port = parsed.port_u16().unwrap_or(80);
    let fetch = async {
        let stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let path = parsed.path_and_query().map_or("/", |p| p.as_str());
        // The Host header never carries the URL's userinfo.
        let authority =
            parsed.authority().map_or(host.clone(), |a| a.as_str().rsplit('@').next().unwrap_or_default().to_owned());
        let request = http::Request::get(path)
            .header(http::header::HOST, authority)
            .header(http::header::ACCEPT, "application/x-pem-file, */*")
            .body(Empty::<Bytes>::new())?;
        anyhow::Ok(sender.send_request(request).await?)
    };
    let response = fetch.await.map_err(|e| anyhow!("cannot fetch {shown:?}: {e}"))?;
    let status = response.status();
    if status != http::StatusCode::OK {
        bail!("cannot fetch {shown:?}: {status}");
    }
    Ok(read_body(response.into_body(), shown).await?.to_vec())
}

/// A GET over TLS, verified against the platform's trust store; anything but 200 is an error.
async fn https_get(uri: &str, shown: &str) -> Result<Vec<u8>> {
    let parsed: hyper::Uri = uri.parse().with_context(|| format!("invalid certificate URL {shown:?}"))?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .try_with_platform_verifier()
        .map_err(|e| anyhow!("cannot set up TLS to fetch {shown:?}: {e}"))?
        .https_only()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Empty<Bytes>>(connector);
    let request = http::Request::get(parsed)
        .header(http::header::ACCEPT, "application/x-pem-file, */*")
        .body(Empty::<Bytes>::new())?;
    let response = client.request(request).await.map_err(|e| anyhow!("cannot fetch {shown:?}: {e}"))?;
    let status = response.status();
    if status != http::StatusCode::OK {
        bail!("cannot fetch {shown:?}: {status}");
    }
    Ok(read_body(response.into_body(), shown).await?.to_vec())
}

/// The raw bytes of the certificate (or v2 key, with `v2`), from the flags or the controller.
pub async fn fetch(
    cert: &str,
    v2: bool,
    v2_key: Option<&std::path::Path>,
    cluster: &ClusterOptions,
) -> Result<Vec<u8>> {
    if v2 {
        if let Some(path) = v2_key {
            return std::fs::read(path).with_context(|| format!("cannot read v2 key file {:?}", path.display()));
        }
        if !cert.is_empty() {
            bail!(
                "--envelope v2 seals with the controller's X25519 key: pass it with --v2-key (--cert is the v1 RSA certificate)"
            );
        }
        return cluster.controller_get(V2_KEY_PATH).await.map_err(|e| {
            if e.to_string().contains("no v2 key") {
                anyhow!(
                    "the controller has no v2 key: it must be a kubeseal-rs controller with v2 keys enabled ({e:#})"
                )
            } else {
                e
            }
        });
    }
    if !cert.is_empty() {
        return read_cert_source(cert).await;
    }
    cluster.controller_get(CERT_PATH).await
}

/// Parses the first certificate and refuses an expired one.
pub fn parse_certificate(pem: &[u8], now: SystemTime) -> Result<Certificate> {
    let text = std::str::from_utf8(pem).map_err(|_| anyhow!("the certificate is not PEM text"))?;
    let certs = Certificate::all_from_pem(text).map_err(|e| anyhow!("cannot read the certificate: {e}"))?;
    let cert = certs.into_iter().next().ok_or_else(|| anyhow!("no certificate found in the PEM data"))?;
    if cert.is_expired_at(now) {
        let date = jiff::Timestamp::try_from(cert.not_after())
            .ok()
            .and_then(|t| jiff::fmt::strtime::format("%B %-d, %Y", t).ok())
            .unwrap_or_else(|| "an earlier date".to_owned());
        bail!(
            "failed to encrypt using an expired certificate on {date}: fetch the controller's current certificate with \
             --fetch-cert, or ask its operators for a renewed one"
        );
    }
    Ok(cert)
}

/// Parses the v2 X25519 public key.
pub fn parse_v2_key(pem: &[u8]) -> Result<X25519PublicKey> {
    let text = std::str::from_utf8(pem).map_err(|_| anyhow!("the v2 key is not PEM text"))?;
    X25519PublicKey::from_pem(text).map_err(|e| anyhow!("cannot read the v2 key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn userinfo_is_dropped_from_shown_urls() {
        assert_eq!(redacted("https://user:pw@host:8443/cert.pem"), "https://host:8443/cert.pem");
        assert_eq!(redacted("http://a@b@host"), "http://host");
        assert_eq!(redacted("http://host/p@th"), "http://host/p@th");
        assert_eq!(redacted("/etc/cert.pem"), "/etc/cert.pem");
    }

    /// Serves one response with a `len`-byte body on 127.0.0.1; returns its port.
    async fn serve_once(len: usize) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf).await;
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n");
            let _ = conn.write_all(head.as_bytes()).await;
            let _ = conn.write_all(&vec![b'a'; len]).await;
        });
        port
    }

    #[tokio::test]
    async fn errors_never_show_the_urls_credentials() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        for url in [format!("http://user:pw-MARKER@127.0.0.1:{port}/cert.pem"), "ftp://u:pw-MARKER@host/x".into()] {
            let err = format!("{:#}", read_cert_source(&url).await.unwrap_err());
            assert!(!err.contains("MARKER") && err.starts_with("cannot fetch "), "{err}");
        }
    }

    #[tokio::test]
    async fn response_bodies_are_capped_at_64_kib() {
        let port = serve_once(MAX_CERT_BODY).await;
        let body = read_cert_source(&format!("http://127.0.0.1:{port}/cert.pem")).await.unwrap();
        assert_eq!(body.len(), MAX_CERT_BODY);
        let port = serve_once(MAX_CERT_BODY + 1).await;
        let err = read_cert_source(&format!("http://127.0.0.1:{port}/cert.pem")).await.unwrap_err();
        assert!(err.to_string().contains("larger than 64 KiB"), "{err:#}");
    }
}
