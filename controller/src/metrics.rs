//! Prometheus metrics (reference §4.8): upstream's metric names and labels, so existing dashboards,
//! alerts and the Helm chart's PrometheusRule keep working, plus a few of our own.
//!
//! Upstream's series (names exact):
//!
//! | Metric | Type | Labels |
//! |---|---|---|
//! | `sealed_secrets_controller_build_info` | gauge | `revision` (constant) |
//! | `sealed_secrets_controller_unseal_requests_total` | counter | — |
//! | `sealed_secrets_controller_unseal_errors_total` | counter | `reason`, `namespace` |
//! | `sealed_secrets_controller_condition_info` | gauge | `namespace`, `name`, `condition`, `ss_app_kubernetes_io_instance` |
//! | `sealed_secrets_controller_http_requests_total` | counter | `path`, `code`, `method` |
//! | `sealed_secrets_controller_http_request_duration_seconds` | histogram | `path`, `method` |
//!
//! Ours: `sealed_secrets_controller_unseal_duration_seconds{envelope}` (histogram, one observation
//! per opened value), `kubeseal_rs_leader` (1 while this replica leads) and `kubeseal_rs_keys`
//! (registered sealing keys). The Go runtime and process collectors (`go_*`, `process_*`) have no
//! equivalent here.
//!
//! # Exposition format
//!
//! [`Metrics::encode`] renders OpenMetrics 1.0 text (prometheus-client's only text encoder), served
//! with [`Metrics::CONTENT_TYPE`]. In that format a counter's family is named without `_total` and
//! its sample carries the suffix (`# TYPE x counter` then `x_total 3`), so the counters are
//! registered without the suffix and the samples come out with it exactly once. Labelling the
//! same text as Prometheus text 0.0.4 would be wrong: a 0.0.4 parser would see the `x` family
//! declared and `x_total` samples, and lose the counter type. Prometheus asks for OpenMetrics
//! first, and every current scraper understands it.
//!
//! Label values are namespaces, names and reasons only; never values or ciphertext.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The condition type upstream reports in `condition_info`.
const SYNCED: &str = "Synced";

/// client_golang's default histogram buckets, which upstream's request-duration histogram uses.
const DEFAULT_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Buckets for opening one value: a v2 (X25519) value opens in tens of microseconds, a v1 value
/// in about a millisecond (RSA-2048) to ten (RSA-4096, or trying several keys).
const UNSEAL_BUCKETS: [f64; 15] =
    [20e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    revision: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    reason: String,
    namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConditionLabels {
    namespace: String,
    name: String,
    condition: String,
    ss_app_kubernetes_io_instance: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    path: String,
    code: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    path: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EnvelopeLabels {
    envelope: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_histogram() -> Histogram {
    Histogram::new(DEFAULT_BUCKETS)
}

fn unseal_histogram() -> Histogram {
    Histogram::new(UNSEAL_BUCKETS)
}

/// The controller's metrics and the registry that renders them. Share it as `Arc<Metrics>`; every
/// method takes `&self`.
pub struct Metrics {
    registry: Registry,
    unseal_requests: Counter,
    unseal_errors: Family<ErrorLabels, Counter>,
    conditions: Family<ConditionLabels, Gauge>,
    /// The `condition_info` series currently set per (namespace, name), so removal does not need
    /// to know the instance label the series was created with.
    condition_series: Mutex<HashMap<(String, String), ConditionLabels>>,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: HistogramFamily<DurationLabels>,
    unseal_duration: HistogramFamily<EnvelopeLabels>,
    leader: Gauge,
    keys: Gauge,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The `Content-Type` of [`Metrics::encode`]'s output.
    pub const CONTENT_TYPE: &'static str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// A registry with every metric registered; `build_info` carries this crate's version.
    pub fn new() -> Self {
        let mut registry = Registry::default();

        let build_info = Family::<BuildLabels, Gauge>::default();
        // Upstream never sets the value, so the series reads 0; only the label matters.
        build_info.get_or_create(&BuildLabels { revision: env!("CARGO_PKG_VERSION").to_owned() }).set(0);
        registry.register(
            "sealed_secrets_controller_build_info",
            "Build information (the revision label is the controller version)",
            build_info,
        );

        let unseal_requests = Counter::default();
        // prometheus-client appends `_total` to counter samples itself.
        registry.register(
            "sealed_secrets_controller_unseal_requests",
            "Total number of SealedSecret unseal requests (reconcile passes)",
            unseal_requests.clone(),
        );

        let unseal_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "sealed_secrets_controller_unseal_errors",
            "Total number of SealedSecret unseal errors by reason and namespace",
            unseal_errors.clone(),
        );

        let conditions = Family::<ConditionLabels, Gauge>::default();
        registry.register(
            "sealed_secrets_controller_condition_info",
            "SealedSecret status conditions: -1 False, 0 Unknown, 1 True",
            conditions.clone(),
        );

        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "sealed_secrets_controller_http_requests",
            "Total number of HTTP API requests by path, status code and method",
            http_requests.clone(),
        );

        let http_duration: HistogramFamily<DurationLabels> = Family::new_with_constructor(request_histogram);
        registry.register_with_unit(
            "sealed_secrets_controller_http_request_duration",
            "HTTP API request latency by path and method",
            Unit::Seconds,
            http_duration.clone(),
        );

        let unseal_duration: HistogramFamily<EnvelopeLabels> = Family::new_with_constructor(unseal_histogram);
        registry.register_with_unit(
            "sealed_secrets_controller_unseal_duration",
            "Time to open one encrypted value, by envelope version (v1, v2, or none if unrecognised)",
            Unit::Seconds,
            unseal_duration.clone(),
        );

        let leader = Gauge::default();
        registry.register("kubeseal_rs_leader", "1 while this replica is the leader, else 0", leader.clone());

        let keys = Gauge::default();
        registry.register("kubeseal_rs_keys", "Number of registered sealing keys", keys.clone());

        Self {
            registry,
            unseal_requests,
            unseal_errors,
            conditions,
            condition_series: Mutex::new(HashMap::new()),
            http_requests,
            http_duration,
            unseal_duration,
            leader,
            keys,
        }
    }

    /// Counts one reconcile pass (upstream counts deletions too).
    pub fn unseal_request(&self) {
        self.unseal_requests.inc();
    }

    /// Counts one reconcile error. Upstream's reasons are `fetch` (with namespace `""`), `unseal`,
    /// `update`, `unmanaged` and `status`.
    pub fn unseal_error(&self, reason: &str, namespace: &str) {
        let labels = ErrorLabels { reason: reason.to_owned(), namespace: namespace.to_owned() };
        self.unseal_errors.get_or_create(&labels).inc();
    }

    /// Sets the `Synced` condition of one SealedSecret: `Some(true)` → 1, `Some(false)` → −1,
    /// `None` (unknown) → 0. `instance` is the object's `app.kubernetes.io/instance` label (empty
    /// when absent). A series with a previous instance value is replaced, not kept beside it.
    pub fn set_condition(&self, namespace: &str, name: &str, instance: &str, synced: Option<bool>) {
        let labels = ConditionLabels {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            condition: SYNCED.to_owned(),
            ss_app_kubernetes_io_instance: instance.to_owned(),
        };
        let value = match synced {
            Some(true) => 1,
            Some(false) => -1,
            None => 0,
        };
        let mut series = self.condition_series.lock().unwrap_or_else(|e| e.into_inner());
        let key = (namespace.to_owned(), name.to_owned());
        if let Some(previous) = series.get(&key)
            && previous != &labels
        {
            self.conditions.remove(previous);
        }
        self.conditions.get_or_create(&labels).set(value);
        series.insert(key, labels);
    }

    /// Removes every `condition_info` series of one SealedSecret (it was deleted), whatever its
    /// instance label.
    pub fn remove_condition(&self, namespace: &str, name: &str) {
        let mut series = self.condition_series.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(labels) = series.remove(&(namespace.to_owned(), name.to_owned())) {
            self.conditions.remove(&labels);
        }
    }

    /// Records the time to open one value; `envelope` is `"v1"`, `"v2"` or `"none"`.
    pub fn observe_unseal(&self, envelope: &str, elapsed: Duration) {
        let labels = EnvelopeLabels { envelope: envelope.to_owned() };
        self.unseal_duration.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// Records one HTTP API request: `http_requests_total{path,code,method}` and
    /// `http_request_duration_seconds{path,method}`. `path` is a fixed route, never the request
    /// URI; the method label is client_golang's (lower-case standard methods, else `unknown`).
    pub fn observe_http(&self, path: &str, method: &Method, code: u16, elapsed: Duration) {
        let method = method_label(method);
        let requests = RequestLabels { path: path.to_owned(), code: code.to_string(), method: method.to_owned() };
        self.http_requests.get_or_create(&requests).inc();
        let duration = DurationLabels { path: path.to_owned(), method: method.to_owned() };
        self.http_duration.get_or_create(&duration).observe(elapsed.as_secs_f64());
    }

    /// Sets `kubeseal_rs_leader`.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// Sets `kubeseal_rs_keys`.
    pub fn set_keys(&self, keys: usize) {
        self.keys.set(i64::try_from(keys).unwrap_or(i64::MAX));
    }

    /// The OpenMetrics text exposition of every metric, ending in `# EOF`; serve it with
    /// [`Metrics::CONTENT_TYPE`].
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would only truncate the output.
        if text::encode(&mut out, &self.registry).is_err() {
            tracing::warn!("encoding metrics failed");
        }
        out
    }
}

/// The method label as client_golang's promhttp writes it: standard methods in lower case,
/// anything else `unknown` (bounds the label's cardinality).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "get",
        Method::PUT => "put",
        Method::HEAD => "head",
        Method::POST => "post",
        Method::DELETE => "delete",
        Method::CONNECT => "connect",
        Method::OPTIONS => "options",
        Method::TRACE => "trace",
        Method::PATCH => "patch",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_with<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn exposition_uses_upstream_names_with_total_once() {
        let m = Metrics::new();
        m.unseal_request();
        m.unseal_error("unseal", "team-a");
        m.observe_http("/v1/verify", &Method::POST, 409, Duration::from_millis(3));
        let text = m.encode();

        assert!(text.contains("# TYPE sealed_secrets_controller_unseal_requests counter"), "{text}");
        assert_eq!(
            lines_with(&text, "sealed_secrets_controller_unseal_requests_total "),
            ["sealed_secrets_controller_unseal_requests_total 1"]
        );
        assert!(
            text.contains("sealed_secrets_controller_unseal_errors_total{reason=\"unseal\",namespace=\"team-a\"} 1")
        );
        assert!(text.contains(
            "sealed_secrets_controller_http_requests_total{path=\"/v1/verify\",code=\"409\",method=\"post\"} 1"
        ));
        assert!(text.contains("# TYPE sealed_secrets_controller_http_request_duration_seconds histogram"));
        assert!(text.contains(
            "sealed_secrets_controller_http_request_duration_seconds_bucket{le=\"0.005\",path=\"/v1/verify\",method=\"post\"} 1"
        ));
        assert!(text.contains("# HELP sealed_secrets_controller_unseal_requests Total number of"));
        assert!(!text.contains(".."));
        assert!(text.contains(&format!(
            "sealed_secrets_controller_build_info{{revision=\"{}\"}} 0",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(!text.contains("_total_total"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn default_buckets_are_client_golangs() {
        let m = Metrics::new();
        m.observe_http("/v1/cert.pem", &Method::GET, 200, Duration::from_millis(1));
        let text = m.encode();
        let les: Vec<&str> = lines_with(&text, "sealed_secrets_controller_http_request_duration_seconds_bucket")
            .iter()
            .filter_map(|l| l.split("le=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(les, ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"]);
    }

    #[test]
    fn condition_values_follow_upstream_and_instance_changes_replace_the_series() {
        let m = Metrics::new();
        m.set_condition("ns", "a", "", Some(true));
        m.set_condition("ns", "b", "app1", Some(false));
        m.set_condition("ns", "c", "", None);
        let text = m.encode();
        let line = |name: &str, instance: &str| {
            format!(
                "sealed_secrets_controller_condition_info{{namespace=\"ns\",name=\"{name}\",condition=\"Synced\",\
                 ss_app_kubernetes_io_instance=\"{instance}\"}}"
            )
        };
        assert!(text.contains(&format!("{} 1\n", line("a", ""))), "{text}");
        assert!(text.contains(&format!("{} -1\n", line("b", "app1"))));
        assert!(text.contains(&format!("{} 0\n", line("c", ""))));

        m.set_condition("ns", "b", "app2", Some(true));
        let text = m.encode();
        assert!(!text.contains(&line("b", "app1")));
        assert!(text.contains(&format!("{} 1\n", line("b", "app2"))));
    }

    #[test]
    fn remove_condition_removes_the_series_whatever_the_instance() {
        let m = Metrics::new();
        m.set_condition("ns", "a", "some-instance", Some(true));
        m.set_condition("ns", "keep", "", Some(true));
        m.remove_condition("ns", "a");
        m.remove_condition("ns", "never-set");
        let text = m.encode();
        assert!(!text.contains("name=\"a\""), "{text}");
        assert!(text.contains("name=\"keep\""));
    }

    #[test]
    fn ours_leader_keys_and_unseal_duration() {
        let m = Metrics::new();
        m.set_leader(true);
        m.set_keys(3);
        m.observe_unseal("v2", Duration::from_micros(30));
        let text = m.encode();
        assert!(text.contains("kubeseal_rs_leader 1\n"));
        assert!(text.contains("kubeseal_rs_keys 3\n"));
        assert!(text.contains("sealed_secrets_controller_unseal_duration_seconds_count{envelope=\"v2\"} 1"), "{text}");
        assert!(
            text.contains("sealed_secrets_controller_unseal_duration_seconds_bucket{le=\"0.00002\",envelope=\"v2\"} 0")
        );
        assert!(
            text.contains("sealed_secrets_controller_unseal_duration_seconds_bucket{le=\"0.00005\",envelope=\"v2\"} 1")
        );
        m.set_leader(false);
        assert!(m.encode().contains("kubeseal_rs_leader 0\n"));
    }

    #[test]
    fn unknown_methods_are_one_label_value() {
        let m = Metrics::new();
        let odd = Method::from_bytes(b"FROB").unwrap();
        m.observe_http("/v1/rotate", &odd, 404, Duration::ZERO);
        assert!(m.encode().contains("method=\"unknown\""));
    }
}
