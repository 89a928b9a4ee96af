//! The reconciler error. Coarse on purpose: a variant says what step failed, never which value,
//! key or ciphertext was involved (status conditions and events carry upstream's texts, built by
//! the plan; this type only drives metrics, logs and backoff).

/// Why a reconcile pass failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SealedSecret could not be unsealed (no key opened a value, bad base64, a template
    /// failed, refused legacy `spec.data`).
    #[error("failed to unseal SealedSecret")]
    Unseal,
    /// The target Secret exists and is neither controlled by the SealedSecret nor annotated
    /// `managed: "true"` or `patch: "true"`.
    #[error("target Secret exists and is not managed by the SealedSecret")]
    Unmanaged,
    /// The target Secret is immutable and its data would change; it must be deleted and recreated.
    #[error("target Secret is immutable")]
    Immutable,
    /// A request to the Kubernetes API failed (GET, CREATE or UPDATE of the Secret) in a way
    /// that may pass on retry (conflict, server error, timeout, throttling, permissions).
    #[error("Kubernetes API request failed")]
    Api,
    /// The API server refused the Secret as invalid (422, 400): retrying the same object cannot
    /// help; the SealedSecret (or the Secret in the way) must change.
    #[error("Kubernetes API refused the Secret")]
    Rejected,
    /// Writing the SealedSecret status failed.
    #[error("status update failed")]
    Status,
}

impl Error {
    /// A stable label for metrics and log fields. Matches upstream's `unseal_errors_total`
    /// `reason` values: `unseal`, `unmanaged`, `update` (API and immutable failures), `status`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Unseal => "unseal",
            Error::Unmanaged => "unmanaged",
            Error::Immutable | Error::Api | Error::Rejected => "update",
            Error::Status => "status",
        }
    }

    /// Whether retrying soon may succeed (backoff) rather than needing a change to the object,
    /// the keys or the cluster (slow requeue).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Api | Error::Status => true,
            Error::Unseal | Error::Unmanaged | Error::Immutable | Error::Rejected => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_upstream_metric_reasons_and_only_api_failures_are_transient() {
        let all = [Error::Unseal, Error::Unmanaged, Error::Immutable, Error::Api, Error::Rejected, Error::Status];
        let kinds: Vec<_> = all.iter().map(Error::kind).collect();
        assert_eq!(kinds, ["unseal", "unmanaged", "update", "update", "update", "status"]);
        let transient: Vec<_> = all.iter().map(Error::is_transient).collect();
        assert_eq!(transient, [false, false, false, true, false, true]);
    }
}
