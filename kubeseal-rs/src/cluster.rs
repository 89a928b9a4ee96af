//! Everything that reads kubeconfig or talks to the API server: the client namespace, and
//! requests to the controller through the API server's service proxy (reference §4.7, §5.2).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kubeseal_crds::k8s::k8s_openapi::api::core::v1::Service;

use crate::seal::ClientNamespace;

/// How to reach the cluster and the controller.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// `--kubeconfig` (empty: `$KUBECONFIG` or `~/.kube/config`).
    pub kubeconfig: String,
    /// `--context`.
    pub context: String,
    /// `--cluster`.
    pub cluster: String,
    /// `--user`.
    pub user: String,
    /// `-n/--namespace`.
    pub namespace: Option<String>,
    /// `--controller-name`.
    pub controller_name: String,
    /// `--controller-namespace`.
    pub controller_namespace: String,
    /// kubectl's connection overrides (`--server`, `--token`, `--as`, TLS, timeouts, ...).
    pub connection: Connection,
}

/// kubectl's connection flags, applied over what the kubeconfig says, as client-go's override
/// set does for kubeseal. `Debug` redacts `--token` and `--password`.
#[derive(Default, Clone)]
pub struct Connection {
    /// `-s/--server`.
    pub server: Option<String>,
    /// `--token`.
    pub token: Option<String>,
    /// `--as`.
    pub impersonate: Option<String>,
    /// `--as-group`.
    pub impersonate_groups: Vec<String>,
    /// `--certificate-authority`.
    pub certificate_authority: Option<std::path::PathBuf>,
    /// `--client-certificate`.
    pub client_certificate: Option<std::path::PathBuf>,
    /// `--client-key`.
    pub client_key: Option<std::path::PathBuf>,
    /// `--insecure-skip-tls-verify`.
    pub insecure_skip_tls_verify: bool,
    /// `--tls-server-name`.
    pub tls_server_name: Option<String>,
    /// `--request-timeout`, parsed.
    pub request_timeout: Option<std::time::Duration>,
    /// `--username`.
    pub username: Option<String>,
    /// `--password`.
    pub password: Option<String>,
    /// `-v`: 6 and above print each request to the controller on stderr.
    pub verbosity: u8,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Connection")
            .field("server", &self.server)
            .field("token", &redacted(&self.token))
            .field("impersonate", &self.impersonate)
            .field("impersonate_groups", &self.impersonate_groups)
            .field("certificate_authority", &self.certificate_authority)
            .field("client_certificate", &self.client_certificate)
            .field("client_key", &self.client_key)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("tls_server_name", &self.tls_server_name)
            .field("request_timeout", &self.request_timeout)
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("verbosity", &self.verbosity)
            .finish()
    }
}

impl Connection {
    fn apply(&self, config: &mut kube::Config) -> Result<()> {
        if let Some(server) = &self.server {
            config.cluster_url = server.parse().map_err(|e| anyhow!("invalid --server {server:?}: {e}"))?;
        }
        let auth = &mut config.auth_info;
        if let Some(token) = &self.token {
            auth.token = Some(token.clone().into());
            auth.token_file = None;
            auth.exec = None;
            auth.auth_provider = None;
        }
        if let Some(user) = &self.impersonate {
            auth.impersonate = Some(user.clone());
        }
        if !self.impersonate_groups.is_empty() {
            auth.impersonate_groups = Some(self.impersonate_groups.clone());
        }
        if let Some(path) = &self.client_certificate {
            auth.client_certificate = Some(path.display().to_string());
            auth.client_certificate_data = None;
        }
        if let Some(path) = &self.client_key {
            auth.client_key = Some(path.display().to_string());
            auth.client_key_data = None;
        }
        if let Some(username) = &self.username {
            auth.username = Some(username.clone());
        }
        if let Some(password) = &self.password {
            auth.password = Some(password.clone().into());
        }
        if let Some(path) = &self.certificate_authority {
            config.root_cert_file = Some(path.clone());
            config.root_cert = None;
        }
        if self.insecure_skip_tls_verify {
            config.accept_invalid_certs = true;
        }
        if let Some(name) = &self.tls_server_name {
            config.tls_server_name = Some(name.clone());
        }
        if let Some(timeout) = self.request_timeout {
            config.read_timeout = Some(timeout);
            config.write_timeout = Some(timeout);
            config.connect_timeout = Some(timeout);
        }
        Ok(())
    }
}

/// `--request-timeout`: `0` means no limit; a bare number is seconds; otherwise a Go duration
/// made of `h`, `m`, `s`, `ms` parts (`1m30s`).
pub fn parse_request_timeout(text: &str) -> Result<Option<std::time::Duration>> {
    let text = text.trim();
    if text.is_empty() || text == "0" {
        return Ok(None);
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Some(std::time::Duration::from_secs(secs)));
    }
    let invalid =
        || anyhow!("invalid --request-timeout {text:?}: use a number of seconds or a duration such as 30s or 1m");
    let mut total = std::time::Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
        let value: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "h" => std::time::Duration::from_secs(3600),
            "m" => std::time::Duration::from_secs(60),
            "s" => std::time::Duration::from_secs(1),
            "ms" => std::time::Duration::from_millis(1),
            _ => return Err(invalid()),
        };
        total += unit * u32::try_from(value).map_err(|_| invalid())?;
        rest = &rest[unit_len..];
    }
    Ok(Some(total).filter(|d| !d.is_zero()))
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.is_empty())
}

impl ClusterOptions {
    fn read_kubeconfig(&self) -> Result<Option<Kubeconfig>> {
        if !self.kubeconfig.is_empty() {
            let path = Path::new(&self.kubeconfig);
            return Kubeconfig::read_from(path)
                .map(Some)
                .map_err(|e| anyhow!("cannot read kubeconfig {}: {e}", path.display()));
        }
        // No explicit file: a missing default kubeconfig is fine, as with kubectl.
        match Kubeconfig::read() {
            Ok(k) => Ok(Some(k)),
            Err(kube::config::KubeconfigError::FindPath) => Ok(None),
            Err(kube::config::KubeconfigError::ReadConfig(e, _)) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(e) => Err(anyhow!("cannot read kubeconfig: {e}")),
        }
    }

    /// The namespace for Secrets that declare none: `-n`, else the kubeconfig context's, else
    /// `default`. Reads files only.
    pub fn client_namespace(&self) -> Result<ClientNamespace> {
        if let Some(ns) = self.namespace.as_deref().and_then(non_empty) {
            return Ok(ClientNamespace { name: ns, explicit: true });
        }
        let from_kubeconfig = self.read_kubeconfig()?.and_then(|config| {
            let context = non_empty(&self.context).or(config.current_context.clone())?;
            let named = config.contexts.iter().find(|c| c.name == context)?;
            named.context.as_ref()?.namespace.clone().filter(|ns| !ns.is_empty())
        });
        Ok(ClientNamespace { name: from_kubeconfig.unwrap_or_else(|| "default".to_owned()), explicit: false })
    }

    async fn client(&self) -> Result<kube::Client> {
        let options = KubeConfigOptions {
            context: non_empty(&self.context),
            cluster: non_empty(&self.cluster),
            user: non_empty(&self.user),
        };
        let mut config = match (self.read_kubeconfig()?, &self.connection.server) {
            (Some(kubeconfig), _) => kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| anyhow!("cannot use kubeconfig: {e}"))?,
            // `--server` alone is enough, as with kubectl.
            (None, Some(server)) => {
                kube::Config::new(server.parse().map_err(|e| anyhow!("invalid --server {server:?}: {e}"))?)
            }
            (None, None) => kube::Config::incluster().map_err(|_| {
                anyhow!(
                    "no kubeconfig found and not running in a cluster: pass --kubeconfig, or --cert to seal offline"
                )
            })?,
        };
        // kube retries 429/503/504 on its own, up to 15 times with waits growing to minutes: a
        // controller Service without endpoints (503) would hang the CLI. Rate-limited controller
        // calls are retried, with a bound, in `controller_api`.
        config.default_retry = false;
        self.connection.apply(&mut config)?;
        kube::Client::try_from(config).map_err(|e| anyhow!("cannot create a Kubernetes client: {e}"))
    }

    fn helm_hint(&self) -> String {
        format!(
            "the sealed-secrets controller Service {:?} was not found in namespace {:?}. The Helm chart names \
             it \"sealed-secrets\" by default: pass --controller-name=sealed-secrets (or set \
             SEALED_SECRETS_CONTROLLER_NAME), and --controller-namespace if the controller runs elsewhere; or seal \
             offline with --cert",
            self.controller_name, self.controller_namespace
        )
    }

    /// Looks up the controller's Service and returns a handle that sends requests to it through
    /// the API server's service proxy. A missing Service is reported with the Helm hint.
    pub async fn controller(&self) -> Result<Controller> {
        let client = self.client().await?;
        let (ns, name) = (&self.controller_namespace, &self.controller_name);
        let services: kube::Api<Service> = kube::Api::namespaced(client.clone(), ns);
        let service = match services.get(name).await {
            Ok(s) => s,
            Err(kube::Error::Api(status)) if status.code == 404 => bail!("{}", self.helm_hint()),
            Err(e) => return Err(anyhow!("cannot look up the controller Service {ns}/{name}: {e}")),
        };
        let port = service
            .spec
            .and_then(|s| s.ports)
            .and_then(|ports| ports.into_iter().next())
            .and_then(|p| p.name)
            .unwrap_or_default();
        Ok(Controller {
            client,
            base: format!("/api/v1/namespaces/{ns}/services/http:{name}:{port}/proxy"),
            display: format!("{ns}/{name}"),
            helm_hint: self.helm_hint(),
            verbosity: self.connection.verbosity,
        })
    }

    /// GETs `path` (such as `/v1/cert.pem`) from the controller through the service proxy.
    pub async fn controller_get(&self, path: &str) -> Result<Vec<u8>> {
        let controller = self.controller().await?;
        let reply = controller.send(http::Method::GET, path, Vec::new()).await?;
        if reply.status.is_success() {
            return Ok(reply.body);
        }
        let detail = reply.text();
        bail!(
            "cannot fetch {path} from the controller {}: HTTP {}{}{detail}",
            controller.display,
            reply.status,
            if detail.is_empty() { "" } else { ": " }
        )
    }
}

/// The controller, reached through the API server's service proxy.
pub struct Controller {
    client: kube::Client,
    /// `/api/v1/namespaces/<ns>/services/http:<name>:<port>/proxy`.
    base: String,
    /// `<ns>/<name>`, for messages.
    pub display: String,
    helm_hint: String,
    verbosity: u8,
}

/// A reply from the controller (the API server's own refusals are errors, not replies).
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: http::StatusCode,
    /// `Retry-After` in whole seconds, when the reply carries one.
    pub retry_after: Option<u64>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as trimmed text, for error messages: controller errors are short plain text; of
    /// an API server Status (such as "no endpoints available"), its message.
    pub fn text(&self) -> String {
        let status = serde_json::from_slice::<serde_json::Value>(&self.body).ok().filter(|v| v["kind"] == "Status");
        match status.as_ref().and_then(|v| v["message"].as_str()) {
            Some(message) => message.trim().to_owned(),
            None => String::from_utf8_lossy(&self.body).trim().to_owned(),
        }
    }
}

impl Controller {
    /// Sends one request to `path` on the controller. Fails when the API server cannot be
    /// reached, or says the Service does not exist (with the Helm hint).
    pub async fn send(&self, method: http::Method, path: &str, body: Vec<u8>) -> Result<Reply> {
        let uri = format!("{}{path}", self.base);
        let mut request = http::Request::builder().method(method.clone()).uri(&uri);
        request = if method == http::Method::GET {
            request.header(http::header::ACCEPT, "application/x-pem-file, */*")
        } else {
            request.header(http::header::CONTENT_TYPE, "application/json").header(http::header::ACCEPT, "*/*")
        };
        let request = request.body(kube::client::Body::from(body)).context("cannot build the proxy request")?;
        if self.verbosity >= 6 {
            eprintln!("{method} {uri}");
        }
        let response = self
            .client
            .send(request)
            .await
            .map_err(|e| anyhow!("cannot reach the controller through the API server ({}): {e}", self.display))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = response.into_body().collect_bytes().await.map_err(|e| anyhow!("reading the reply: {e}"))?;
        // A Kubernetes Status body means the API server itself refused (no such Service); plain
        // text comes from the controller.
        let from_api_server = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .is_some_and(|v| v.get("kind").and_then(|k| k.as_str()) == Some("Status"));
        if status == http::StatusCode::NOT_FOUND && from_api_server {
            bail!("{}", self.helm_hint);
        }
        Ok(Reply { status, retry_after, body: body.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn debug_redacts_the_token_and_password() {
        let conn = Connection {
            token: Some("token-MARKER".into()),
            username: Some("admin".into()),
            password: Some("password-MARKER".into()),
            ..Connection::default()
        };
        let debug = format!("{conn:?} {conn:#?}");
        assert!(!debug.contains("MARKER"), "{debug}");
        assert!(debug.contains("<redacted>") && debug.contains("admin"), "{debug}");
    }

    #[test]
    fn request_timeouts_are_seconds_or_go_durations() {
        assert_eq!(parse_request_timeout("0").unwrap(), None);
        assert_eq!(parse_request_timeout("").unwrap(), None);
        assert_eq!(parse_request_timeout("15").unwrap(), Some(Duration::from_secs(15)));
        assert_eq!(parse_request_timeout("1m30s").unwrap(), Some(Duration::from_secs(90)));
        assert_eq!(parse_request_timeout("250ms").unwrap(), Some(Duration::from_millis(250)));
        assert_eq!(parse_request_timeout("2h").unwrap(), Some(Duration::from_secs(7200)));
        for bad in ["soon", "5d", "m", "1.5s", "-3s"] {
            assert!(parse_request_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn connection_flags_override_the_kubeconfig() {
        let mut config = kube::Config::new("https://from-kubeconfig:6443".parse().unwrap());
        config.auth_info.token_file = Some("/var/run/token".into());
        let connection = Connection {
            server: Some("https://override:8443".into()),
            token: Some("t0ken".into()),
            impersonate: Some("jane".into()),
            impersonate_groups: vec!["devs".into(), "ops".into()],
            certificate_authority: Some("/etc/ca.pem".into()),
            insecure_skip_tls_verify: true,
            tls_server_name: Some("api.internal".into()),
            request_timeout: Some(Duration::from_secs(30)),
            username: Some("admin".into()),
            ..Connection::default()
        };
        connection.apply(&mut config).unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://override:8443/");
        assert!(config.auth_info.token.is_some() && config.auth_info.token_file.is_none());
        assert_eq!(config.auth_info.impersonate.as_deref(), Some("jane"));
        assert_eq!(config.auth_info.impersonate_groups, Some(vec!["devs".into(), "ops".into()]));
        assert_eq!(config.root_cert_file.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert!(config.accept_invalid_certs);
        assert_eq!(config.tls_server_name.as_deref(), Some("api.internal"));
        assert_eq!(config.read_timeout, Some(Duration::from_secs(30)));
        assert_eq!(config.auth_info.username.as_deref(), Some("admin"));
    }
}
