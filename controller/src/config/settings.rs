//! [`Settings`]: the validated, typed configuration, and the pure decisions that produce it.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, SystemTime};

use kubeseal_crds::annotations::SEALED_SECRETS_KEY;
use kubeseal_sealing::RsaKeySize;

use super::cutoff::parse_rfc1123z;
use super::error::ConfigError;
use super::flags::{DEFAULT_KEY_RENEW_PERIOD, Flags};
use super::logging::LogSettings;
use crate::api::Limits;
use crate::keys::KeyOrder;

/// Where the service account's namespace is mounted in a pod.
pub const SERVICE_ACCOUNT_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// Longest accepted `--key-prefix`: the API server appends 5 characters, and names of Secrets
/// are limited to 253 (upstream's limit, kept for compatibility).
pub const MAX_KEY_PREFIX_LEN: usize = 245;

/// Which namespaces the SealedSecret controller watches (reference §4.1 step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watch {
    /// Every namespace (`--all-namespaces`, the default, with no `--additional-namespaces`).
    All,
    /// The controller's namespace first, then each additional namespace once.
    Namespaces(Vec<String>),
}

/// Leader election on a coordination.k8s.io Lease (ours; upstream has none). Maps onto
/// kube-lease-manager's `LeaseParams` (duration and grace, in whole seconds), whose invariants
/// (`0 < grace < duration`) [`Flags::validate`] has already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderElection {
    /// Name of the Lease.
    pub lease_name: String,
    /// Namespace of the Lease.
    pub namespace: String,
    /// Lease validity after each renewal, in seconds; a standby takes over at most this long
    /// (plus up to a second of jitter and two API round trips) after the leader stops renewing.
    pub duration_seconds: u64,
    /// The leader renews this many seconds before the Lease would expire.
    pub grace_seconds: u64,
}

/// The validated configuration the controller runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The controller's namespace (key Secrets live here), from [`controller_namespace`].
    pub controller_namespace: String,
    /// `--key-prefix`: generateName of new key Secrets and name of the legacy key Secret.
    pub key_prefix: String,
    /// `--key-size`.
    pub key_size: RsaKeySize,
    /// `--key-ttl`: certificate validity (never zero).
    pub key_ttl: Duration,
    /// `--my-cn`.
    pub my_cn: String,
    /// `--key-renew-period` (or the deprecated `--rotate-period`); `None` when 0 (no renewal).
    pub renew_period: Option<Duration>,
    /// `--key-order-priority`.
    pub key_order: KeyOrder,
    /// `--key-cutoff-time`; `None` when empty.
    pub cutoff: Option<SystemTime>,
    /// `--accept-deprecated-v1-data`.
    pub accept_v1_data: bool,
    /// `--all-namespaces` and `--additional-namespaces` combined.
    pub watch: Watch,
    /// `--label-selector`; `None` when empty.
    pub label_selector: Option<String>,
    /// `--rate-limit`: sustained requests per second on `/v1/verify`.
    pub rate_limit: f64,
    /// `--rate-limit-burst`.
    pub rate_limit_burst: u32,
    /// `--privatekey-labels` (the key label itself removed).
    pub privatekey_labels: BTreeMap<String, String>,
    /// `--privatekey-annotations`.
    pub privatekey_annotations: BTreeMap<String, String>,
    /// `--metrics-omit-secret-labels`.
    pub metrics_omit_secret_labels: bool,
    /// `--old-gc-behavior`.
    pub old_gc_behavior: bool,
    /// `--update-status`.
    pub update_status: bool,
    /// `--watch-for-secrets`: accepted and recorded, but added key Secrets are picked up either way.
    pub watch_for_secrets: bool,
    /// `--skip-recreate`.
    pub skip_recreate: bool,
    /// `--max-unseal-retries`.
    pub max_unseal_retries: u32,
    /// `--kubeclient-qps`: `None` means no client-side limit (a negative flag value); 0 means
    /// client-go's default of 5.
    pub kubeclient_qps: Option<f64>,
    /// `--kubeclient-burst` (0 means client-go's default of 10).
    pub kubeclient_burst: u32,
    /// `--listen-addr`.
    pub listen_addr: SocketAddr,
    /// `--listen-metrics-addr`.
    pub listen_metrics_addr: SocketAddr,
    /// `--read-timeout`; `None` when 0 (no timeout, as in Go's `net/http`).
    pub read_timeout: Option<Duration>,
    /// `--write-timeout`; `None` when 0.
    pub write_timeout: Option<Duration>,
    /// `--workers`: parallel reconciles, at least 1.
    pub workers: usize,
    /// `--resync-period`: periodic re-check of every SealedSecret; `None` when 0.
    pub resync_period: Option<Duration>,
    /// `--leader-elect*`; `None` with `--leader-elect=false`.
    pub leader_election: Option<LeaderElection>,
    /// `--max-request-bytes` and `--max-request-items`.
    pub limits: Limits,
    /// `--log-level`, `--log-format`, `--log-info-stdout`.
    pub log: LogSettings,
    /// Problems that upstream tolerates with a fallback (unknown log level, key order, ...).
    /// Logging is not set up while flags are validated, so [`init_logging`](super::init_logging)
    /// logs these once it is.
    pub warnings: Vec<String>,
}

/// The controller's namespace as upstream finds it (reference §2.2): `POD_NAMESPACE` if set and
/// non-empty, else the trimmed service-account namespace file, else `default`.
pub fn controller_namespace() -> String {
    let pod_namespace = std::env::var("POD_NAMESPACE").ok();
    resolve_controller_namespace(pod_namespace.as_deref(), Path::new(SERVICE_ACCOUNT_NAMESPACE_FILE))
}

/// [`controller_namespace`] with its inputs given: the `POD_NAMESPACE` value and the path of the
/// namespace file (unreadable or blank means absent).
pub fn resolve_controller_namespace(pod_namespace: Option<&str>, namespace_file: &Path) -> String {
    if let Some(ns) = pod_namespace.filter(|ns| !ns.is_empty()) {
        return ns.to_owned();
    }
    if let Ok(contents) = std::fs::read_to_string(namespace_file) {
        let ns = contents.trim();
        if !ns.is_empty() {
            return ns.to_owned();
        }
    }
    "default".to_owned()
}

/// A listen address that is not usable (see [`parse_listen_addr`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ListenAddrError(&'static str);

/// Parses a Go-style listen address: `:8080` means every IPv4 interface (`0.0.0.0:8080`),
/// `localhost:8080` means `127.0.0.1:8080`, and IP addresses are taken as they are
/// (`127.0.0.1:0`, `[::1]:8080`). Other host names are rejected: no DNS lookup at startup.
pub fn parse_listen_addr(s: &str) -> Result<SocketAddr, ListenAddrError> {
    let (host, port) = s.rsplit_once(':').ok_or(ListenAddrError("expected host:port or :port"))?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ListenAddrError("the port must be a number"));
    }
    let port: u16 = port.parse().map_err(|_| ListenAddrError("the port must be at most 65535"))?;
    let ip = if host.is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        IpAddr::V6(v6.parse().map_err(|_| ListenAddrError("not an IPv6 address between the brackets"))?)
    } else if host.contains(':') {
        return Err(ListenAddrError("IPv6 addresses need brackets, like [::1]:8080"));
    } else {
        host.parse().map_err(|_| ListenAddrError("the host must be an IP address, localhost, or empty"))?
    };
    Ok(SocketAddr::new(ip, port))
}

/// Parses `--privatekey-labels` / `--privatekey-annotations` (`k=v,k2=v2`) with upstream's
/// quirks: a later entry for the same key wins; the value is the text between the first and the
/// second `=` (`a=b=c` gives `a` → `b`); the key label `sealedsecrets.bitnami.com/sealed-secrets-key`
/// is dropped from labels. Unlike upstream (which crashes when it generates a key), an entry
/// without `=` or with an empty key is an error at startup. Empty entries (`a=1,`) are skipped.
/// Nothing is trimmed.
pub fn parse_key_values(flag: &'static str, s: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut map = BTreeMap::new();
    for entry in s.split(',').filter(|e| !e.is_empty()) {
        let mut parts = entry.split('=');
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            return Err(ConfigError::KeyValueEntry { flag, entry: entry.to_owned() });
        };
        if key.is_empty() {
            return Err(ConfigError::KeyValueEntry { flag, entry: entry.to_owned() });
        }
        if flag == "privatekey-labels" && key == SEALED_SECRETS_KEY {
            continue;
        }
        map.insert(key.to_owned(), value.to_owned());
    }
    Ok(map)
}

/// Checks `--key-prefix` as upstream does: at most [`MAX_KEY_PREFIX_LEN`] characters from
/// `[a-z0-9-]`. We also reject an empty prefix, which the API server would refuse as a
/// generateName anyway.
pub fn validate_key_prefix(prefix: &str) -> Result<(), ConfigError> {
    let reason = if prefix.is_empty() {
        "must not be empty"
    } else if prefix.len() > MAX_KEY_PREFIX_LEN {
        "longer than 245 characters"
    } else if !prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        "only lowercase letters, digits and '-' are allowed"
    } else {
        return Ok(());
    };
    Err(ConfigError::KeyPrefix { value: prefix.to_owned(), reason })
}

/// The watch decision of reference §4.1 step 4: all namespaces unless `--all-namespaces=false`
/// or `--additional-namespaces` is non-empty; then the controller's namespace followed by the
/// additional ones (comma list, entries trimmed, empty entries and repeats dropped).
pub fn decide_watch(all_namespaces: bool, additional: &str, controller_namespace: &str) -> Watch {
    let mut namespaces = vec![controller_namespace.to_owned()];
    for ns in additional.split(',').map(str::trim).filter(|ns| !ns.is_empty()) {
        if !namespaces.iter().any(|known| known == ns) {
            namespaces.push(ns.to_owned());
        }
    }
    if all_namespaces && namespaces.len() == 1 { Watch::All } else { Watch::Namespaces(namespaces) }
}

/// `--key-order-priority`; unknown values fall back to CertNotBefore with a warning, as upstream.
fn key_order(value: &str, warnings: &mut Vec<String>) -> KeyOrder {
    match value {
        "CertNotBefore" => KeyOrder::CertNotBefore,
        "SecretCreationTimestamp" => KeyOrder::SecretCreationTimestamp,
        other => {
            warnings.push(format!(
                "--key-order-priority={other:?} is not CertNotBefore or SecretCreationTimestamp; using CertNotBefore"
            ));
            KeyOrder::CertNotBefore
        }
    }
}

/// `--key-renew-period` with the deprecated `--rotate-period` alias: the alias applies only when
/// `--key-renew-period` was not given (on the command line or in its variable).
fn renew_period(flags: &Flags, warnings: &mut Vec<String>) -> Option<Duration> {
    let period = match (flags.key_renew_period, flags.rotate_period) {
        (Some(renew), Some(_)) => {
            warnings.push("--rotate-period is deprecated and ignored because --key-renew-period is set".to_owned());
            renew
        }
        (Some(renew), None) => renew,
        (None, Some(rotate)) => {
            warnings.push("--rotate-period is deprecated; use --key-renew-period".to_owned());
            rotate
        }
        (None, None) => DEFAULT_KEY_RENEW_PERIOD,
    };
    (!period.is_zero()).then_some(period)
}

fn whole_seconds(flag: &'static str, d: Duration, min: u64) -> Result<u64, ConfigError> {
    if d.subsec_nanos() != 0 || d.as_secs() < min {
        let reason = if min > 1 { "must be whole seconds, at least 2s" } else { "must be whole seconds, at least 1s" };
        return Err(ConfigError::OutOfRange { flag, value: format!("{d:?}"), reason });
    }
    Ok(d.as_secs())
}

fn at_least_one(flag: &'static str, value: usize) -> Result<usize, ConfigError> {
    if value == 0 {
        return Err(ConfigError::OutOfRange { flag, value: "0".to_owned(), reason: "must be at least 1" });
    }
    Ok(value)
}

impl Flags {
    /// Validates the flags for a controller running in [`controller_namespace`].
    pub fn validate(self) -> Result<Settings, ConfigError> {
        let namespace = controller_namespace();
        self.validate_in(namespace)
    }

    /// Validates the flags for a controller whose namespace is `controller_namespace` (pure).
    pub fn validate_in(self, controller_namespace: String) -> Result<Settings, ConfigError> {
        let mut warnings = Vec::new();

        validate_key_prefix(&self.key_prefix)?;
        let key_size =
            RsaKeySize::from_bits(self.key_size).map_err(|_| ConfigError::KeySize { bits: self.key_size })?;
        if self.key_ttl.is_zero() {
            return Err(ConfigError::OutOfRange { flag: "key-ttl", value: "0".to_owned(), reason: "must be positive" });
        }
        let renew_period = renew_period(&self, &mut warnings);
        let key_order = key_order(&self.key_order_priority, &mut warnings);
        let cutoff = if self.key_cutoff_time.is_empty() {
            None
        } else {
            Some(parse_rfc1123z(&self.key_cutoff_time).map_err(|e| ConfigError::KeyCutoffTime {
                value: self.key_cutoff_time.clone(),
                reason: e.to_string(),
            })?)
        };
        let privatekey_labels = parse_key_values("privatekey-labels", &self.privatekey_labels)?;
        let privatekey_annotations = parse_key_values("privatekey-annotations", &self.privatekey_annotations)?;

        if !self.rate_limit.is_finite() || self.rate_limit < 0.0 {
            return Err(ConfigError::OutOfRange {
                flag: "rate-limit",
                value: self.rate_limit.to_string(),
                reason: "must be a non-negative number",
            });
        }
        if !self.kubeclient_qps.is_finite() {
            return Err(ConfigError::OutOfRange {
                flag: "kubeclient-qps",
                value: self.kubeclient_qps.to_string(),
                reason: "must be a number (negative disables the limit)",
            });
        }
        let kubeclient_qps = if self.kubeclient_qps < 0.0 {
            None
        } else if self.kubeclient_qps == 0.0 {
            Some(5.0)
        } else {
            Some(self.kubeclient_qps)
        };
        let kubeclient_burst = if self.kubeclient_burst == 0 { 10 } else { self.kubeclient_burst };

        let listen = |flag: &'static str, value: &str| {
            parse_listen_addr(value).map_err(|e| ConfigError::ListenAddr { flag, value: value.to_owned(), reason: e.0 })
        };
        let listen_addr = listen("listen-addr", &self.listen_addr)?;
        let listen_metrics_addr = listen("listen-metrics-addr", &self.listen_metrics_addr)?;

        let workers = at_least_one("workers", self.workers as usize)?;
        let limits = Limits {
            max_body: at_least_one("max-request-bytes", self.max_request_bytes)?,
            max_items: at_least_one("max-request-items", self.max_request_items)?,
        };

        let leader_election = if self.leader_elect {
            let duration_seconds = whole_seconds("leader-elect-lease-duration", self.leader_elect_lease_duration, 2)?;
            let grace_seconds = whole_seconds("leader-elect-grace-period", self.leader_elect_grace_period, 1)?;
            if grace_seconds >= duration_seconds {
                return Err(ConfigError::OutOfRange {
                    flag: "leader-elect-grace-period",
                    value: format!("{grace_seconds}s"),
                    reason: "must be less than --leader-elect-lease-duration",
                });
            }
            if self.leader_elect_lease_name.is_empty() {
                return Err(ConfigError::OutOfRange {
                    flag: "leader-elect-lease-name",
                    value: "\"\"".to_owned(),
                    reason: "must not be empty",
                });
            }
            Some(LeaderElection {
                lease_name: self.leader_elect_lease_name.clone(),
                namespace: self
                    .leader_elect_namespace
                    .clone()
                    .filter(|ns| !ns.is_empty())
                    .unwrap_or_else(|| controller_namespace.clone()),
                duration_seconds,
                grace_seconds,
            })
        } else {
            None
        };

        let log = LogSettings::from_flags(&self.log_level, &self.log_format, self.log_info_stdout, &mut warnings);
        let watch = decide_watch(self.all_namespaces, &self.additional_namespaces, &controller_namespace);

        Ok(Settings {
            controller_namespace,
            key_prefix: self.key_prefix,
            key_size,
            key_ttl: self.key_ttl,
            my_cn: self.my_cn,
            renew_period,
            key_order,
            cutoff,
            accept_v1_data: self.accept_deprecated_v1_data,
            watch,
            label_selector: Some(self.label_selector).filter(|s| !s.is_empty()),
            rate_limit: self.rate_limit,
            rate_limit_burst: self.rate_limit_burst,
            privatekey_labels,
            privatekey_annotations,
            metrics_omit_secret_labels: self.metrics_omit_secret_labels,
            old_gc_behavior: self.old_gc_behavior,
            update_status: self.update_status,
            watch_for_secrets: self.watch_for_secrets,
            skip_recreate: self.skip_recreate,
            max_unseal_retries: self.max_unseal_retries,
            kubeclient_qps,
            kubeclient_burst,
            listen_addr,
            listen_metrics_addr,
            read_timeout: Some(self.read_timeout).filter(|d| !d.is_zero()),
            write_timeout: Some(self.write_timeout).filter(|d| !d.is_zero()),
            workers,
            resync_period: Some(self.resync_period).filter(|d| !d.is_zero()),
            leader_election,
            limits,
            log,
            warnings,
        })
    }
}
