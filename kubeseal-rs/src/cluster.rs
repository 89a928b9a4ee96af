//! Everything that reads kubeconfig or talks to the API server: the client namespace, and GETs
//! to the controller through the API server's service proxy (reference §5.2).

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
        let config = match self.read_kubeconfig()? {
            Some(kubeconfig) => kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| anyhow!("cannot use kubeconfig: {e}"))?,
            None => kube::Config::incluster().map_err(|_| {
                anyhow!(
                    "no kubeconfig found and not running in a cluster: pass --kubeconfig, or --cert to seal offline"
                )
            })?,
        };
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

    /// GETs `path` (such as `/v1/cert.pem`) from the controller through the service proxy.
    pub async fn controller_get(&self, path: &str) -> Result<Vec<u8>> {
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
        let uri = format!("/api/v1/namespaces/{ns}/services/http:{name}:{port}/proxy{path}");
        let request = http::Request::get(&uri)
            .header(http::header::ACCEPT, "application/x-pem-file, */*")
            .body(kube::client::Body::empty())
            .context("cannot build the proxy request")?;
        let response = client
            .send(request)
            .await
            .map_err(|e| anyhow!("cannot reach the controller through the API server ({ns}/{name}): {e}"))?;
        let status = response.status();
        let body = response.into_body().collect_bytes().await.map_err(|e| anyhow!("reading the reply: {e}"))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let text = String::from_utf8_lossy(&body);
        // A Kubernetes Status body means the API server itself refused (no such Service); plain
        // text comes from the controller.
        let from_api_server = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .is_some_and(|v| v.get("kind").and_then(|k| k.as_str()) == Some("Status"));
        if status == http::StatusCode::NOT_FOUND && from_api_server {
            bail!("{}", self.helm_hint());
        }
        let detail = text.trim();
        bail!(
            "cannot fetch {path} from the controller {ns}/{name}: HTTP {status}{}{detail}",
            if detail.is_empty() { "" } else { ": " }
        )
    }
}
