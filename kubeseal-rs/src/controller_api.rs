//! `--validate` and `--re-encrypt`: SealedSecrets sent to the controller's `/v1/verify` and
//! `/v1/rotate` through the API server's service proxy (reference §4.7, §5.5).
//!
//! Upstream posts the whole input as one body; here every SealedSecret of the input is posted
//! on its own (as compact JSON), so multi-document input works with controllers that accept one
//! document per request, and errors name the object. Rate-limited replies (`429`) are retried,
//! honouring `Retry-After`, instead of failing: the controller limits both endpoints.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use kubeseal_crds::SealedSecret;
use serde_json::Value;

use crate::args::Args;
use crate::cluster::{ClusterOptions, Controller, Reply};
use crate::output::{self, Format};

/// Controller path that checks a SealedSecret opens.
pub const VERIFY_PATH: &str = "/v1/verify";
/// Controller path that re-encrypts a SealedSecret with the newest key.
pub const ROTATE_PATH: &str = "/v1/rotate";

/// Attempts per request when the controller keeps answering `429`.
const MAX_ATTEMPTS: u32 = 8;
/// Longest wait between two attempts, whatever `Retry-After` says.
const MAX_DELAY: Duration = Duration::from_secs(60);

/// How long to wait before attempt `attempt + 1` (counted from 0) after a `429`, or `None` when
/// it is time to give up. The wait is the longer of `Retry-After` and an exponential backoff
/// starting at half a second.
pub fn retry_delay(attempt: u32, retry_after_secs: Option<u64>) -> Option<Duration> {
    if attempt + 1 >= MAX_ATTEMPTS {
        return None;
    }
    let backoff = Duration::from_millis(500).saturating_mul(1 << attempt.min(16));
    let asked = Duration::from_secs(retry_after_secs.unwrap_or(0));
    Some(backoff.max(asked).min(MAX_DELAY))
}

/// POSTs `body` to `path`, retrying rate-limited (`429`) replies; `on_wait` hears of each wait.
/// Any other reply is returned.
pub async fn post(controller: &Controller, path: &str, body: &[u8], on_wait: &dyn Fn(Duration)) -> Result<Reply> {
    let mut attempt = 0;
    loop {
        let reply = controller.send(http::Method::POST, path, body.to_vec()).await?;
        if reply.status != http::StatusCode::TOO_MANY_REQUESTS {
            return Ok(reply);
        }
        match retry_delay(attempt, reply.retry_after) {
            Some(delay) => {
                on_wait(delay);
                tokio::time::sleep(delay).await;
            }
            None => return Ok(reply),
        }
        attempt += 1;
    }
}

/// One SealedSecret document of the input, as read.
#[derive(Debug)]
pub struct SealedDocument {
    /// The document, to be posted as compact JSON.
    pub value: Value,
    /// `metadata.name` (may be empty), for messages.
    pub name: String,
}

/// The SealedSecrets of `-f`/stdin: JSON or YAML documents, empty ones skipped. Unlike upstream
/// (which posts anything and reports a parse failure as "unable to decrypt"), a document that is
/// not a SealedSecret is refused here, naming it.
pub fn read_sealed_secrets(text: &[u8], source: &str) -> Result<Vec<SealedDocument>> {
    let text = std::str::from_utf8(text).map_err(|_| anyhow!("{source}: input is not valid UTF-8"))?;
    let documents = crate::input::parse_documents(text)
        .map_err(|e| anyhow!("{source}: cannot parse the input as JSON or YAML: {e:#}"))?;
    let mut out = Vec::new();
    for (i, value) in documents.into_iter().enumerate() {
        if value.is_null() {
            continue;
        }
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default();
        if kind != "SealedSecret" {
            let found = if kind.is_empty() { "no kind".to_owned() } else { format!("kind {kind:?}") };
            bail!("{source}: document {}: expected a SealedSecret, found {found}", i + 1);
        }
        let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
        out.push(SealedDocument { value, name });
    }
    if out.is_empty() {
        bail!("{source}: no SealedSecret found in the input");
    }
    Ok(out)
}

/// What a non-success status means, for error messages.
fn describe(reply: &Reply) -> String {
    let detail = match reply.status.as_u16() {
        400 => "the controller refused it as malformed".to_owned(),
        413 => "it is too large for the controller".to_owned(),
        429 => "the controller kept refusing it: rate limited".to_owned(),
        500 => "the controller could not open or re-seal its values".to_owned(),
        503 => format!("the controller is not reachable through its Service: {}", reply.text()),
        _ => reply.text(),
    };
    if detail.is_empty() { format!("HTTP {}", reply.status) } else { format!("{detail} (HTTP {})", reply.status) }
}

/// `--validate`: every SealedSecret must open; stops at the first that does not. Prints nothing.
pub async fn validate(args: &Args, cluster: &ClusterOptions) -> Result<Vec<u8>> {
    let (text, source) = crate::read_input(&args.secret_file)?;
    let documents = read_sealed_secrets(&text, &source)?;
    let controller = cluster.controller().await?;
    for doc in &documents {
        let reply = post(&controller, VERIFY_PATH, doc.value.to_string().as_bytes(), &|_| {}).await?;
        match reply.status.as_u16() {
            200 => {}
            409 => bail!("unable to decrypt sealed secret: {}", doc.name),
            _ => bail!("cannot validate sealed secret: {}: {}", doc.name, describe(&reply)),
        }
    }
    Ok(Vec::new())
}

/// `--re-encrypt`/`--rotate`: every SealedSecret re-encrypted by the controller, printed in the
/// selected format.
pub async fn re_encrypt(args: &Args, format: Format, cluster: &ClusterOptions) -> Result<Vec<u8>> {
    let (text, source) = crate::read_input(&args.secret_file)?;
    let documents = read_sealed_secrets(&text, &source)?;
    let controller = cluster.controller().await?;
    let mut out = String::new();
    for doc in &documents {
        let rotated = rotate(&controller, &doc.value, &|_| {}).await.map_err(|e| anyhow!("{}: {e:#}", doc.name))?;
        format.write_document(&output::sealed_secret(&rotated), &mut out);
    }
    Ok(out.into_bytes())
}

/// Re-encrypts one SealedSecret through `/v1/rotate`. As upstream, the server-set
/// creationTimestamp, deletionTimestamp and generation are cleared from the answer.
pub async fn rotate(controller: &Controller, value: &Value, on_wait: &dyn Fn(Duration)) -> Result<SealedSecret> {
    let reply = post(controller, ROTATE_PATH, value.to_string().as_bytes(), on_wait).await?;
    match reply.status.as_u16() {
        200 => parse_rotated(&reply.body),
        409 => bail!("unable to rotate secret"),
        _ => bail!("cannot re-encrypt secret: {}", describe(&reply)),
    }
}

/// Decodes a `/v1/rotate` answer: upstream's controller leaves out `apiVersion`/`kind`, ours
/// keeps them; either way the output re-adds them.
pub fn parse_rotated(body: &[u8]) -> Result<SealedSecret> {
    let mut sealed: SealedSecret = serde_json::from_slice(body)
        .map_err(|e| anyhow!("cannot re-encrypt secret: the controller's answer is not a SealedSecret: {e}"))?;
    sealed.metadata.creation_timestamp = None;
    sealed.metadata.deletion_timestamp = None;
    sealed.metadata.generation = None;
    Ok(sealed)
}

/// Upstream rewrites the input file in place when `--re-encrypt` reads `-f` and no `-w` is
/// given (so `-f x.yaml` also selects YAML output).
pub fn in_place_output(args: &mut Args) {
    if (args.re_encrypt || args.rotate) && args.sealed_secret_file.is_empty() && !args.secret_file.is_empty() {
        args.sealed_secret_file = args.secret_file.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_honour_retry_after() {
        assert_eq!(retry_delay(0, None), Some(Duration::from_millis(500)));
        assert_eq!(retry_delay(2, None), Some(Duration::from_secs(2)));
        assert_eq!(retry_delay(0, Some(3)), Some(Duration::from_secs(3)));
        assert_eq!(retry_delay(6, Some(3600)), Some(MAX_DELAY));
        assert_eq!(retry_delay(MAX_ATTEMPTS - 1, Some(1)), None);
    }

    #[test]
    fn only_sealed_secrets_are_accepted() {
        let ok = "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\n---\n";
        let docs = read_sealed_secrets(ok.as_bytes(), "stdin").unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].name, "a");
        let err = |t: &str| read_sealed_secrets(t.as_bytes(), "in").unwrap_err().to_string();
        assert_eq!(err("kind: Secret\n"), "in: document 1: expected a SealedSecret, found kind \"Secret\"");
        assert_eq!(err("{}"), "in: document 1: expected a SealedSecret, found no kind");
        assert_eq!(err("---\n"), "in: no SealedSecret found in the input");
    }

    #[test]
    fn rotated_answers_with_or_without_type_fields_decode_and_lose_server_fields() {
        let ours = br#"{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{"name":"a","namespace":"n","generation":3,"creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"template":{"metadata":{"name":"a"}},"encryptedData":{"k":"AgA="}}}"#;
        let upstream = br#"{"metadata":{"name":"a","namespace":"n"},"spec":{"template":{"metadata":{"name":"a"}},"encryptedData":{"k":"AgA="}}}"#;
        let a = parse_rotated(ours).unwrap();
        let b = parse_rotated(upstream).unwrap();
        assert_eq!(a.metadata.generation, None);
        assert_eq!(a.metadata.creation_timestamp, None);
        assert!(a.metadata == b.metadata && a.spec == b.spec);
    }
}
