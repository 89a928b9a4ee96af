//! Leader election on a `coordination.k8s.io/v1` Lease, so that with several replicas exactly
//! one writes Secrets, statuses and new keys, while every replica serves the HTTP API.
//!
//! The holder renews the Lease `grace` before it expires; when it dies without releasing it,
//! another replica takes it over once `duration` has passed since the last renewal (plus the
//! time until that replica next looks, at most `grace`). A replica that shuts down gracefully
//! releases the Lease, so the other takes over at once.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;

/// Leader-election settings, from the flags.
#[derive(Debug, Clone)]
pub struct LeaderSettings {
    /// The Lease name.
    pub lease_name: String,
    /// The Lease namespace (the controller namespace by default).
    pub namespace: String,
    /// This replica's identity (the Pod name).
    pub identity: String,
    /// How long a Lease is valid after its last renewal.
    pub duration: Duration,
    /// How long before expiry the holder renews.
    pub grace: Duration,
}

/// The leadership state: `true` while this replica leads. The returned task keeps the election
/// running; dropping every receiver releases the Lease.
pub async fn elect(
    client: Client,
    settings: &LeaderSettings,
) -> Result<(watch::Receiver<bool>, tokio::task::JoinHandle<()>), kube_lease_manager::LeaseManagerError> {
    let manager = LeaseManagerBuilder::new(client, &settings.lease_name)
        .with_namespace(&settings.namespace)
        .with_identity(&settings.identity)
        .with_duration(settings.duration.as_secs().max(2))
        .with_grace(settings.grace.as_secs().max(1))
        .build()
        .await?;
    let (rx, task) = manager.watch().await;
    let handle = tokio::spawn(async move {
        if let Ok(Err(e)) = task.await {
            tracing::error!(error = %e, "leader election stopped");
        }
    });
    Ok((rx, handle))
}

/// A leadership state that is always `true` (`--leader-elect=false`: a single replica). Keep
/// the sender alive as long as the receivers are used: its drop reads as "election over".
pub fn always() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(true)
}
