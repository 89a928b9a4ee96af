//! The `services/proxy` subresource: requests to `.../services/[scheme:]name[:port]/proxy/...`
//! are forwarded to a local address a test registered for that Service, so clients that reach a
//! controller through the API server (`kubeseal --fetch-cert`) work against the emulator.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use crate::body::Body;
use crate::route::ResourcePath;
use crate::shared::{Shared, lock};
use crate::status::ApiError;

/// The Service name inside `http:name:port`, `name:port` or `name`.
fn service_name(segment: &str) -> &str {
    let parts: Vec<&str> = segment.split(':').collect();
    match parts.as_slice() {
        [_, name, _] => name,
        [name, _] => name,
        _ => segment,
    }
}

fn unavailable(name: &str) -> ApiError {
    ApiError {
        code: 503,
        reason: "ServiceUnavailable",
        message: format!("no endpoints available for service \"{name}\""),
        details: None,
    }
}

pub(crate) async fn forward(
    shared: &Arc<Shared>,
    p: &ResourcePath,
    req: Request<Bytes>,
) -> Result<Response<Body>, ApiError> {
    let ns = p.namespace.clone().unwrap_or_default();
    let name = service_name(p.name.as_deref().unwrap_or_default()).to_string();
    {
        let st = shared.state();
        if st.get(&(String::new(), "services".into()), &ns, &name).is_none() {
            return Err(ApiError::not_found(crate::status::Subject {
                group: "",
                plural: "services",
                kind: "Service",
                name: &name,
            }));
        }
    }
    let addr = lock(&shared.proxies).get(&(ns, name.clone())).copied().ok_or_else(|| unavailable(&name))?;
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|_| unavailable(&name))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|_| unavailable(&name))?;
    tokio::spawn(conn);
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{}?{q}", p.rest),
        None => p.rest.clone(),
    };
    let (parts, body) = req.into_parts();
    let mut out = Request::builder().method(parts.method).uri(path_and_query);
    for (k, v) in &parts.headers {
        if k != header::HOST && k != header::CONNECTION {
            out = out.header(k, v);
        }
    }
    let out = out
        .header(header::HOST, addr.to_string())
        .body(Full::new(body))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let resp = sender.send_request(out).await.map_err(|_| unavailable(&name))?;
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.map_err(|_| unavailable(&name))?.to_bytes();
    let mut r = Response::new(Body::full(bytes));
    *r.status_mut() = StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    for (k, v) in &parts.headers {
        if k != header::TRANSFER_ENCODING && k != header::CONNECTION && k != header::CONTENT_LENGTH {
            r.headers_mut().append(k, v.clone());
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    #[test]
    fn service_names_inside_proxy_segments() {
        assert_eq!(super::service_name("http:sealed-secrets-controller:"), "sealed-secrets-controller");
        assert_eq!(super::service_name("web:8080"), "web");
        assert_eq!(super::service_name("web"), "web");
    }
}
