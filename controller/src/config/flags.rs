//! The command line as parsed: upstream's controller flags, name for name and default for default,
//! plus ours. Every flag but `--version` also reads `SEALED_SECRETS_<FLAG>` (upper case, `-` → `_`)
//! when it is absent from the command line. [`Flags::validate`](super::Flags::validate) turns this
//! into [`Settings`](super::Settings).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

use super::duration::parse_go_duration;

/// Upstream's default `--key-renew-period` (and `--rotate-period`): 30 days.
pub const DEFAULT_KEY_RENEW_PERIOD: Duration = Duration::from_secs(720 * 3600);

/// `kubeseal-controller`: unseals Bitnami-compatible SealedSecrets into Secrets.
#[derive(Debug, Clone, Parser)]
#[command(name = "kubeseal-controller", disable_version_flag = true)]
pub struct Cli {
    /// The controller flags.
    #[command(flatten)]
    pub flags: Flags,
    /// A subcommand; without one the controller runs in-cluster.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands (upstream has none).
#[derive(Debug, Clone, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// One process: embedded Kubernetes API emulator + controller.
    Dev(DevArgs),
}

/// `kubeseal-controller dev`.
#[derive(Debug, Clone, Args)]
pub struct DevArgs {
    /// Port of the embedded API server on 127.0.0.1.
    #[arg(long, default_value_t = 6443)]
    pub port: u16,
    /// State directory; the kubeconfig for kubectl and kubeseal is written to DIR/kubeconfig.
    #[arg(long, default_value = ".kubeseal-dev")]
    pub dir: PathBuf,
}

impl DevArgs {
    /// Where the dev cluster's kubeconfig is written: `<dir>/kubeconfig`.
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }
}

/// Go's `strconv.ParseBool`, which pflag uses for `--flag=value` and upstream for env values.
pub fn parse_go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

/// The controller flags: upstream's (reference §4.6) and ours.
///
/// Bool flags take `--flag` (true), `--flag=true` or `--flag=false`, never a separate word, as
/// with pflag. Other flags take `--flag=value` or `--flag value`.
#[derive(Debug, Clone, Args)]
pub struct Flags {
    // ---- keys ----
    /// Prefix of the key Secrets (generateName) and name of the legacy key Secret.
    #[arg(long, env = "SEALED_SECRETS_KEY_PREFIX", default_value = "sealed-secrets-key")]
    pub key_prefix: String,

    /// Size in bits of generated RSA keys (2048, 3072, 4096 or 8192).
    #[arg(long, env = "SEALED_SECRETS_KEY_SIZE", default_value_t = 4096)]
    pub key_size: usize,

    /// Validity of generated certificates (Go duration).
    #[arg(long, env = "SEALED_SECRETS_KEY_TTL", default_value = "87600h0m0s", value_parser = parse_go_duration)]
    pub key_ttl: Duration,

    /// Common name (subject and issuer) of generated certificates.
    #[arg(long, env = "SEALED_SECRETS_MY_CN", default_value = "")]
    pub my_cn: String,

    /// Key renewal period; 0 disables renewal. Go duration, default 720h0m0s.
    #[arg(long, env = "SEALED_SECRETS_KEY_RENEW_PERIOD", value_parser = parse_go_duration)]
    pub key_renew_period: Option<Duration>,

    /// Deprecated alias of --key-renew-period.
    ///
    /// Used only when --key-renew-period is given neither on the command line nor in its
    /// environment variable; otherwise ignored with a warning.
    #[arg(long, env = "SEALED_SECRETS_ROTATE_PERIOD", value_parser = parse_go_duration)]
    pub rotate_period: Option<Duration>,

    /// Which time orders keys to pick the sealing key: CertNotBefore or SecretCreationTimestamp.
    ///
    /// Any other value logs a warning and means CertNotBefore, as upstream.
    #[arg(long, env = "SEALED_SECRETS_KEY_ORDER_PRIORITY", default_value = "CertNotBefore")]
    pub key_order_priority: String,

    /// Create a new key at startup if the newest is older than this RFC 1123Z time (`date -R`).
    #[arg(long, env = "SEALED_SECRETS_KEY_CUTOFF_TIME", default_value = "")]
    pub key_cutoff_time: String,

    /// Labels of generated key Secrets: comma-separated key=value.
    #[arg(long, env = "SEALED_SECRETS_PRIVATEKEY_LABELS", default_value = "")]
    pub privatekey_labels: String,

    /// Annotations of generated key Secrets: comma-separated key=value.
    #[arg(long, env = "SEALED_SECRETS_PRIVATEKEY_ANNOTATIONS", default_value = "")]
    pub privatekey_annotations: String,

    /// Accepted for compatibility: added key Secrets are always picked up.
    ///
    /// Upstream notices key Secrets created by someone else only with this flag; this controller
    /// always watches the labelled key Secrets in its namespace.
    #[arg(long, env = "SEALED_SECRETS_WATCH_FOR_SECRETS", default_value = "false",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub watch_for_secrets: bool,

    // ---- unsealing ----
    /// Accept the deprecated v1 `spec.data` field.
    #[arg(long, env = "SEALED_SECRETS_ACCEPT_DEPRECATED_V1_DATA", default_value = "true",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub accept_deprecated_v1_data: bool,

    /// Watch all namespaces; false (or --additional-namespaces) means the controller's own.
    #[arg(long, env = "SEALED_SECRETS_ALL_NAMESPACES", default_value = "true",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub all_namespaces: bool,

    /// Comma-separated namespaces to watch besides the controller's own.
    #[arg(long, env = "SEALED_SECRETS_ADDITIONAL_NAMESPACES", default_value = "")]
    pub additional_namespaces: String,

    /// Label selector for the SealedSecrets (and deleted Secrets) to process.
    #[arg(long, env = "SEALED_SECRETS_LABEL_SELECTOR", default_value = "")]
    pub label_selector: String,

    /// Do not maintain the per-SealedSecret `condition_info` metric.
    #[arg(long, env = "SEALED_SECRETS_METRICS_OMIT_SECRET_LABELS", default_value = "false",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub metrics_omit_secret_labels: bool,

    /// Delete Secrets explicitly when their SealedSecret is deleted.
    #[arg(long, env = "SEALED_SECRETS_OLD_GC_BEHAVIOR", default_value = "false",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub old_gc_behavior: bool,

    /// Maintain the SealedSecret `.status`.
    #[arg(long, env = "SEALED_SECRETS_UPDATE_STATUS", default_value = "true",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub update_status: bool,

    /// Do not recreate deleted Secrets until restart or a spec change.
    #[arg(long, env = "SEALED_SECRETS_SKIP_RECREATE", default_value = "false",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub skip_recreate: bool,

    /// Retries of a failing unseal before giving up on it.
    #[arg(long, env = "SEALED_SECRETS_MAX_UNSEAL_RETRIES", default_value_t = 5)]
    pub max_unseal_retries: u32,

    /// Parallel reconciles (ours; upstream has one worker per watched namespace).
    ///
    /// Reconciles mostly wait on the API server, so a few in parallel make a large backlog (a
    /// restart with thousands of SealedSecrets) proportionally faster; the same object is never
    /// reconciled twice at once. 8 stays far below what API Priority and Fairness allows one
    /// client.
    #[arg(long, env = "SEALED_SECRETS_WORKERS", default_value_t = 8)]
    pub workers: u32,

    /// How often every SealedSecret is checked again although nothing changed (ours); 0 disables.
    ///
    /// Upstream never looks again until the spec changes, the Secret is deleted or the controller
    /// restarts, so an edited Secret stays edited. A periodic pass repairs that drift; it reads
    /// the Secret and writes only if it differs, and a v1 pass costs one private-key operation
    /// per value (the key that opened the object is remembered). Passes are spread with up to
    /// 10% jitter.
    #[arg(long, env = "SEALED_SECRETS_RESYNC_PERIOD", default_value = "1h", value_parser = parse_go_duration)]
    pub resync_period: Duration,

    // ---- Kubernetes client ----
    /// Client-side request rate limit in queries per second; negative disables it.
    ///
    /// Upstream's default is 5, which is why it needs 20 to 30 minutes to process 4,000
    /// objects after a restart. Ours is -1 (no client-side limit): the API server protects
    /// itself with API Priority and Fairness. 0 means client-go's default of 5.
    #[arg(long, env = "SEALED_SECRETS_KUBECLIENT_QPS", default_value_t = -1.0, allow_negative_numbers = true)]
    pub kubeclient_qps: f64,

    /// Client-side burst; only used with a positive --kubeclient-qps (0 means 10).
    #[arg(long, env = "SEALED_SECRETS_KUBECLIENT_BURST", default_value_t = 10)]
    pub kubeclient_burst: u32,

    // ---- leader election (ours) ----
    /// Elect a leader on a coordination.k8s.io Lease, so several replicas can run (one active).
    #[arg(long, env = "SEALED_SECRETS_LEADER_ELECT", default_value = "true",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub leader_elect: bool,

    /// Name of the leader-election Lease.
    #[arg(long, env = "SEALED_SECRETS_LEADER_ELECT_LEASE_NAME", default_value = "sealed-secrets-controller")]
    pub leader_elect_lease_name: String,

    /// Namespace of the leader-election Lease; default: the controller's namespace.
    #[arg(long, env = "SEALED_SECRETS_LEADER_ELECT_NAMESPACE")]
    pub leader_elect_namespace: Option<String>,

    /// How long a Lease stays valid after its last renewal (whole seconds, at least 2s).
    ///
    /// A standby replica takes over at most this long after the leader stops renewing, plus
    /// up to one second of random back-off and two API round trips. The default 12s keeps the
    /// worst-case takeover under 15 seconds.
    #[arg(long, env = "SEALED_SECRETS_LEADER_ELECT_LEASE_DURATION", default_value = "12s",
        value_parser = parse_go_duration)]
    pub leader_elect_lease_duration: Duration,

    /// How long before the Lease expires the leader renews it (whole seconds, at least 1s,
    /// less than the lease duration).
    ///
    /// The leader renews every (lease duration − grace period); the grace period is also the
    /// clock skew between nodes that election tolerates.
    #[arg(long, env = "SEALED_SECRETS_LEADER_ELECT_GRACE_PERIOD", default_value = "4s",
        value_parser = parse_go_duration)]
    pub leader_elect_grace_period: Duration,

    // ---- HTTP ----
    /// Address of the HTTP API (`:8080` means every interface).
    #[arg(long, env = "SEALED_SECRETS_LISTEN_ADDR", default_value = ":8080")]
    pub listen_addr: String,

    /// Address of the metrics server.
    #[arg(long, env = "SEALED_SECRETS_LISTEN_METRICS_ADDR", default_value = ":8081")]
    pub listen_metrics_addr: String,

    /// HTTP read (and read-header) timeout of both servers; 0 means none.
    #[arg(long, env = "SEALED_SECRETS_READ_TIMEOUT", default_value = "2m0s", value_parser = parse_go_duration)]
    pub read_timeout: Duration,

    /// HTTP write timeout of both servers; 0 means none.
    #[arg(long, env = "SEALED_SECRETS_WRITE_TIMEOUT", default_value = "2m0s", value_parser = parse_go_duration)]
    pub write_timeout: Duration,

    /// Sustained requests per second allowed on /v1/verify.
    #[arg(long, env = "SEALED_SECRETS_RATE_LIMIT", default_value_t = 2.0)]
    pub rate_limit: f64,

    /// Burst of requests allowed on /v1/verify.
    #[arg(long, env = "SEALED_SECRETS_RATE_LIMIT_BURST", default_value_t = 2)]
    pub rate_limit_burst: u32,

    /// Largest request body accepted by /v1/verify and /v1/rotate, in bytes (ours).
    #[arg(long, env = "SEALED_SECRETS_MAX_REQUEST_BYTES", default_value_t = crate::api::Limits::DEFAULT_MAX_BODY)]
    pub max_request_bytes: usize,

    /// Most encrypted values in one /v1/verify or /v1/rotate request (ours).
    #[arg(long, env = "SEALED_SECRETS_MAX_REQUEST_ITEMS", default_value_t = crate::api::Limits::DEFAULT_MAX_ITEMS)]
    pub max_request_items: usize,

    // ---- logging ----
    /// Log level: DEBUG, INFO, WARN or ERROR (any case); anything else means INFO.
    #[arg(long, env = "SEALED_SECRETS_LOG_LEVEL", default_value = "INFO")]
    pub log_level: String,

    /// Log format: text or json.
    #[arg(long, env = "SEALED_SECRETS_LOG_FORMAT", default_value = "text")]
    pub log_format: String,

    /// Write INFO and below to stdout and WARN/ERROR to stderr; false sends everything to stderr.
    #[arg(long, env = "SEALED_SECRETS_LOG_INFO_STDOUT", default_value = "true",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub log_info_stdout: bool,

    /// Print the version and exit.
    ///
    /// Not read from the environment (unlike the other flags), so a stray `SEALED_SECRETS_VERSION`
    /// cannot stop the controller from starting.
    #[arg(long, default_value = "false",
        num_args = 0..=1, require_equals = true, default_missing_value = "true",
        value_parser = parse_go_bool, action = ArgAction::Set)]
    pub version: bool,
}

/// The line `--version` prints: `controller version: <version>`.
pub fn version_line() -> String {
    format!("controller version: {}", env!("CARGO_PKG_VERSION"))
}

impl Flags {
    /// With `--version`, the line to print before exiting; `None` otherwise. `main` prints it and
    /// exits 0 before validating anything else.
    pub fn version_requested(&self) -> Option<String> {
        self.version.then(version_line)
    }
}
