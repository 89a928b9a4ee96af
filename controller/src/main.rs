//! `kubeseal-controller`: unseals SealedSecrets into Secrets.
//!
//! - `kubeseal-controller [flags]`: in a cluster (in-cluster service account) or against the
//!   cluster of `KUBECONFIG` / `~/.kube/config`.
//! - `kubeseal-controller [flags] dev`: one process with the embedded Kubernetes API emulator and
//!   the controller, for trying it out and for local development.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kube::Client;
use kube::api::{Api, PostParams};
use kubeseal_controller::config::{Cli, Command, DevArgs, Settings, init_logging};
use kubeseal_controller::run::{self, Bound};
use kubeseal_crds::k8s::{CustomResourceDefinition, k8s_openapi::api::core::v1::Service};

/// Upstream's controller Service name; `kubeseal` looks for it by default.
const SERVICE_NAME: &str = "sealed-secrets-controller";
/// The controller namespace in `dev`.
const DEV_NAMESPACE: &str = "kube-system";

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(line) = cli.flags.version_requested() {
        println!("{line}");
        return ExitCode::SUCCESS;
    }
    let dev = match cli.command {
        Some(Command::Dev(args)) => Some(args),
        _ => None,
    };
    // The dev cluster has no service account: its controller lives where upstream's static
    // manifest puts it (kube-system), unless POD_NAMESPACE says otherwise.
    let validated = match (&dev, std::env::var("POD_NAMESPACE")) {
        (Some(_), Err(_)) => cli.flags.validate_in(DEV_NAMESPACE.to_string()),
        _ => cli.flags.validate(),
    };
    let settings = match validated {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kubeseal-controller: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kubeseal-controller: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match dev {
        Some(args) => runtime.block_on(dev_main(settings, args)),
        None => runtime.block_on(cluster_main(settings)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("kubeseal-controller: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down");
}

async fn cluster_main(settings: Settings) -> Result<(), String> {
    let config = kube::Config::infer().await.map_err(|e| {
        format!(
            "no Kubernetes cluster to talk to ({e}).\n\
             In a cluster the controller uses its service account; outside one it reads KUBECONFIG or \
             ~/.kube/config.\nTo try it locally with an embedded API server, run:\n\n    \
             kubeseal-controller dev\n"
        )
    })?;
    let client = client_for(config, &settings)?;
    run::run(client, &settings, shutdown_signal(), |_| {}).await.map_err(|e| e.to_string())
}

/// A client for `config`, with upstream's client-side rate limit when `--kubeclient-qps` is set.
fn client_for(config: kube::Config, settings: &Settings) -> Result<Client, String> {
    let builder = kube::client::ClientBuilder::try_from(config).map_err(|e| format!("Kubernetes client: {e}"))?;
    Ok(match settings.kubeclient_qps {
        None => builder.build(),
        Some(qps) => {
            // client-go semantics: 0 means the defaults (5 qps, burst 10). A fixed window of
            // `burst` requests per `burst / qps` seconds gives the same average and burst.
            let qps = if qps > 0.0 { qps } else { 5.0 };
            let burst = if settings.kubeclient_burst > 0 { settings.kubeclient_burst } else { 10 };
            let window = Duration::from_secs_f64(f64::from(burst) / qps);
            builder.with_layer(&tower::limit::RateLimitLayer::new(u64::from(burst), window)).build()
        }
    })
}

async fn dev_main(mut settings: Settings, args: DevArgs) -> Result<(), String> {
    let kubeconfig = args.kubeconfig_path();
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("cannot create {}: {e}", args.dir.display()))?;
    let emu = kube_emulator::dev_cluster(args.port, &kubeconfig)
        .await
        .map_err(|e| format!("cannot start the embedded API server on 127.0.0.1:{}: {e}", args.port))?;
    // The dev cluster is local and reached through the service proxy: keep the controller's own
    // ports on loopback, and off 8080/8081 unless asked for explicitly.
    if settings.listen_addr == default_addr(8080) {
        settings.listen_addr = loopback_any();
    }
    if settings.listen_metrics_addr == default_addr(8081) {
        settings.listen_metrics_addr = loopback_any();
    }
    let client = Client::new(emu.service(), "default");
    install(&client, &settings.controller_namespace).await?;

    let namespace = settings.controller_namespace.clone();
    let url = emu.url().unwrap_or_default();
    let emu = std::sync::Arc::new(emu);
    let on_bound = {
        let emu = emu.clone();
        move |bound: Bound| {
            emu.register_service_proxy(&namespace, SERVICE_NAME, bound.api);
            print_welcome(&url, &kubeconfig, &namespace, bound);
        }
    };
    run::run(client, &settings, shutdown_signal(), on_bound).await.map_err(|e| e.to_string())?;
    drop(emu);
    Ok(())
}

fn default_addr(port: u16) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([0, 0, 0, 0], port))
}

fn loopback_any() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Installs the SealedSecret CRD and the controller Service the service proxy routes through.
async fn install(client: &Client, namespace: &str) -> Result<(), String> {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &kubeseal_crds::sealed_secret::crd())
        .await
        .map_err(|e| format!("cannot install the SealedSecret CRD: {e}"))?;
    let service: Service = serde_json::from_value(serde_json::json!({
        "metadata": {"name": SERVICE_NAME, "namespace": namespace, "labels": {"name": SERVICE_NAME}},
        "spec": {"ports": [{"name": "http", "port": 8080, "targetPort": 8080}]}
    }))
    .map_err(|e| format!("Service manifest: {e}"))?;
    Api::<Service>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &service)
        .await
        .map_err(|e| format!("cannot create the controller Service: {e}"))?;
    Ok(())
}

fn print_welcome(url: &str, kubeconfig: &std::path::Path, namespace: &str, bound: Bound) {
    let kubeconfig = std::fs::canonicalize(kubeconfig).unwrap_or_else(|_| kubeconfig.to_path_buf());
    println!(
        "\nkubeseal-controller dev: an embedded Kubernetes API server at {url} with the controller running.\n\
         \n  export KUBECONFIG={kc}\n\
         \nThe controller Service {namespace}/{SERVICE_NAME} is reachable through the API server's service \
         proxy,\nso `kubeseal --fetch-cert` and `kubeseal` with default flags work. Seal and apply:\n\
         \n  kubectl create secret generic db --from-literal=password=s3cret --dry-run=client -o json \\\n    \
         | kubeseal-rs --format yaml > db-sealed.yaml\n  \
         kubectl apply -f db-sealed.yaml\n  \
         kubectl wait --for=condition=Synced sealedsecret/db\n  \
         kubectl get secret db -o jsonpath='{{.data.password}}' | base64 -d\n\
         \nController API: http://{api}  metrics: http://{metrics}/metrics. Ctrl-C stops everything \
         (state is in memory).\n",
        kc = kubeconfig.display(),
        api = bound.api,
        metrics = bound.metrics,
    );
}
