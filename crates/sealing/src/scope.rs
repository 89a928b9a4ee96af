//! Sealing scopes and the label each one binds a value to.
//!
//! A value is bound to where it may be unsealed through the RSA-OAEP label (v1) or the HPKE
//! `info` (v2): `namespace/name` for strict scope, `namespace` for namespace-wide scope and the
//! empty string for cluster-wide scope.

use std::fmt;
use std::str::FromStr;

/// Where a sealed value may be unsealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// Only under the same namespace and name (the default).
    #[default]
    Strict,
    /// Under any name in the same namespace.
    NamespaceWide,
    /// Anywhere in the cluster.
    ClusterWide,
}

impl Scope {
    /// Every scope, strictest first.
    pub const ALL: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

    /// The scope signalled by the values of the `cluster-wide` and `namespace-wide` annotations
    /// of a SealedSecret's top-level metadata. As upstream, only the exact string `"true"` counts,
    /// and cluster-wide wins when both are set.
    pub fn from_annotation_values(cluster_wide: Option<&str>, namespace_wide: Option<&str>) -> Self {
        if cluster_wide == Some("true") {
            Scope::ClusterWide
        } else if namespace_wide == Some("true") {
            Scope::NamespaceWide
        } else {
            Scope::Strict
        }
    }

    /// The name used by `kubeseal --scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }

    /// The label that binds a value to `namespace`/`name` under this scope.
    pub fn label(self, namespace: &str, name: &str) -> Label {
        let bytes = match self {
            Scope::Strict => format!("{namespace}/{name}").into_bytes(),
            Scope::NamespaceWide => namespace.as_bytes().to_vec(),
            Scope::ClusterWide => Vec::new(),
        };
        Label(bytes)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `--scope` value was not one of the known names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}: expected strict, namespace-wide or cluster-wide")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    /// Parses a `--scope` value; the empty string means strict, as upstream.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "strict" => Ok(Scope::Strict),
            "namespace-wide" => Ok(Scope::NamespaceWide),
            "cluster-wide" => Ok(Scope::ClusterWide),
            other => Err(UnknownScope(other.to_owned())),
        }
    }
}

/// The bytes a sealed value is bound to: the RSA-OAEP label of v1, the HPKE `info` of v2.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label(Vec<u8>);

impl Label {
    /// A label from raw bytes, for callers that already hold one.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Label(bytes.into())
    }

    /// The label's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_upstream_table() {
        assert_eq!(Scope::Strict.label("myns", "myname").as_bytes(), b"myns/myname");
        assert_eq!(Scope::NamespaceWide.label("myns", "myname").as_bytes(), b"myns");
        assert_eq!(Scope::ClusterWide.label("myns", "myname").as_bytes(), b"");
    }

    #[test]
    fn only_exact_true_counts_and_cluster_wide_wins() {
        assert_eq!(Scope::from_annotation_values(None, None), Scope::Strict);
        for not_true in ["TRUE", "True", "1", "yes", "", "false"] {
            assert_eq!(
                Scope::from_annotation_values(Some(not_true), Some(not_true)),
                Scope::Strict,
                "{not_true:?} must not count as true"
            );
        }
        assert_eq!(Scope::from_annotation_values(None, Some("true")), Scope::NamespaceWide);
        assert_eq!(Scope::from_annotation_values(Some("true"), None), Scope::ClusterWide);
        assert_eq!(Scope::from_annotation_values(Some("true"), Some("true")), Scope::ClusterWide);
    }

    #[test]
    fn scope_names_round_trip_and_empty_means_strict() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert_eq!("".parse::<Scope>(), Ok(Scope::Strict));
        assert!("Strict".parse::<Scope>().is_err());
    }
}
