//! Parsing and validation of the whole command line.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use super::*;
use crate::api::Limits;
use crate::keys::KeyOrder;

fn parse(args: &[&str]) -> Cli {
    let argv = std::iter::once("kubeseal-controller").chain(args.iter().copied());
    Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn settings(args: &[&str]) -> Settings {
    parse(args).flags.validate_in("sealed-secrets".to_owned()).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn error(args: &[&str]) -> ConfigError {
    match parse(args).flags.validate_in("sealed-secrets".to_owned()) {
        Ok(_) => panic!("{args:?} should be rejected"),
        Err(e) => e,
    }
}

fn rejected_by_clap(args: &[&str]) -> bool {
    Cli::try_parse_from(std::iter::once("kubeseal-controller").chain(args.iter().copied())).is_err()
}

#[test]
fn command_definition_is_consistent() {
    Cli::command().debug_assert();
}

/// Upstream's flags and their defaults as printed by `controller --help` (reference §4.6),
/// `None` where the default is documented but not a clap default (see below).
const UPSTREAM_DEFAULTS: &[(&str, Option<&str>)] = &[
    ("key-prefix", Some("sealed-secrets-key")),
    ("key-size", Some("4096")),
    ("key-ttl", Some("87600h0m0s")),
    ("my-cn", Some("")),
    // Both default to 720h0m0s; they have no clap default so that "given" can be told apart
    // from "defaulted" for the alias rule. Checked through Settings below.
    ("key-renew-period", None),
    ("rotate-period", None),
    ("key-order-priority", Some("CertNotBefore")),
    ("key-cutoff-time", Some("")),
    ("accept-deprecated-v1-data", Some("true")),
    ("all-namespaces", Some("true")),
    ("additional-namespaces", Some("")),
    ("label-selector", Some("")),
    ("rate-limit", Some("2")),
    ("rate-limit-burst", Some("2")),
    ("privatekey-annotations", Some("")),
    ("privatekey-labels", Some("")),
    ("metrics-omit-secret-labels", Some("false")),
    ("old-gc-behavior", Some("false")),
    ("update-status", Some("true")),
    ("watch-for-secrets", Some("false")),
    ("skip-recreate", Some("false")),
    ("log-info-stdout", Some("true")),
    ("log-level", Some("INFO")),
    ("log-format", Some("text")),
    ("max-unseal-retries", Some("5")),
    // Deliberately not upstream's 5: see the flag's documentation.
    ("kubeclient-qps", Some("-1")),
    ("kubeclient-burst", Some("10")),
    ("listen-addr", Some(":8080")),
    ("listen-metrics-addr", Some(":8081")),
    ("read-timeout", Some("2m0s")),
    ("write-timeout", Some("2m0s")),
    ("version", Some("false")),
];

/// Our additions.
const OUR_DEFAULTS: &[(&str, Option<&str>)] = &[
    ("workers", Some("8")),
    ("resync-period", Some("1h")),
    ("leader-elect", Some("true")),
    ("leader-elect-lease-name", Some("sealed-secrets-controller")),
    ("leader-elect-namespace", None),
    ("leader-elect-lease-duration", Some("12s")),
    ("leader-elect-grace-period", Some("4s")),
    ("max-request-bytes", Some("2097152")),
    ("max-request-items", Some("1024")),
];

#[test]
fn every_flag_has_the_documented_default_and_no_other_flag_exists() {
    let command = Cli::command();
    let mut expected: BTreeMap<&str, Option<&str>> = UPSTREAM_DEFAULTS.iter().copied().collect();
    expected.extend(OUR_DEFAULTS.iter().copied());
    let mut seen = Vec::new();
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" {
            continue;
        }
        let Some(want) = expected.get(long) else { panic!("--{long} is not in the defaults table") };
        let got: Vec<_> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
        match want {
            Some(want) => assert_eq!(got, vec![want.to_string()], "--{long}"),
            None => assert!(got.is_empty(), "--{long} should have no clap default"),
        }
        seen.push(long);
    }
    seen.sort_unstable();
    let mut all: Vec<_> = expected.keys().copied().collect();
    all.sort_unstable();
    assert_eq!(seen, all);
}

#[test]
fn defaults_validate_to_upstream_behaviour() {
    let s = settings(&[]);
    assert_eq!(s.controller_namespace, "sealed-secrets");
    assert_eq!(s.key_prefix, "sealed-secrets-key");
    assert_eq!(s.key_size, kubeseal_sealing::RsaKeySize::Rsa4096);
    assert_eq!(s.key_ttl, Duration::from_secs(87_600 * 3600));
    assert_eq!(s.my_cn, "");
    assert_eq!(s.renew_period, Some(Duration::from_secs(720 * 3600)));
    assert_eq!(s.key_order, KeyOrder::CertNotBefore);
    assert_eq!(s.cutoff, None);
    assert!(s.accept_v1_data);
    assert_eq!(s.watch, Watch::All);
    assert_eq!(s.label_selector, None);
    assert_eq!((s.rate_limit, s.rate_limit_burst), (2.0, 2));
    assert!(s.privatekey_labels.is_empty() && s.privatekey_annotations.is_empty());
    assert!(!s.metrics_omit_secret_labels && !s.old_gc_behavior && !s.watch_for_secrets && !s.skip_recreate);
    assert!(s.update_status);
    assert_eq!(s.max_unseal_retries, 5);
    assert_eq!((s.kubeclient_qps, s.kubeclient_burst), (None, 10));
    assert_eq!(s.listen_addr, "0.0.0.0:8080".parse::<SocketAddr>().unwrap());
    assert_eq!(s.listen_metrics_addr, "0.0.0.0:8081".parse::<SocketAddr>().unwrap());
    assert_eq!(s.read_timeout, Some(Duration::from_secs(120)));
    assert_eq!(s.write_timeout, Some(Duration::from_secs(120)));
    assert_eq!(s.workers, 8);
    assert_eq!(s.resync_period, Some(Duration::from_secs(3600)));
    assert_eq!(
        s.leader_election,
        Some(LeaderElection {
            lease_name: "sealed-secrets-controller".to_owned(),
            namespace: "sealed-secrets".to_owned(),
            duration_seconds: 12,
            grace_seconds: 4,
        })
    );
    assert_eq!(s.limits, Limits { max_body: Limits::DEFAULT_MAX_BODY, max_items: Limits::DEFAULT_MAX_ITEMS });
    assert_eq!(s.log, LogSettings { level: tracing::Level::INFO, format: LogFormat::Text, info_to_stdout: true });
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn every_flag_but_version_falls_back_to_its_sealed_secrets_variable() {
    for arg in Cli::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        if long == "help" || long == "version" {
            assert_eq!(env, None, "--{long}");
            continue;
        }
        let want = format!("SEALED_SECRETS_{}", long.to_ascii_uppercase().replace('-', "_"));
        assert_eq!(env, Some(want), "--{long}");
    }
}

#[test]
fn values_take_equals_or_a_separate_word() {
    assert_eq!(settings(&["--key-prefix=abc"]).key_prefix, "abc");
    assert_eq!(settings(&["--key-prefix", "abc"]).key_prefix, "abc");
    assert_eq!(settings(&["--key-ttl", "1h"]).key_ttl, Duration::from_secs(3600));
    assert_eq!(settings(&["--kubeclient-qps", "-1"]).kubeclient_qps, None);
    assert_eq!(settings(&["--kubeclient-qps=20", "--kubeclient-burst=40"]).kubeclient_qps, Some(20.0));
    assert_eq!(settings(&["--kubeclient-qps=0", "--kubeclient-burst=0"]).kubeclient_burst, 10);
    assert_eq!(settings(&["--kubeclient-qps=0"]).kubeclient_qps, Some(5.0), "0 means client-go's default");
}

#[test]
fn bool_flags_take_pflag_forms() {
    assert!(settings(&["--skip-recreate"]).skip_recreate);
    assert!(settings(&["--skip-recreate=true"]).skip_recreate);
    assert!(settings(&["--skip-recreate=1"]).skip_recreate);
    assert!(settings(&["--skip-recreate=T"]).skip_recreate);
    assert!(!settings(&["--update-status=false"]).update_status);
    assert!(!settings(&["--update-status=0"]).update_status);
    assert!(!settings(&["--update-status=FALSE"]).update_status);
    assert!(settings(&["--update-status"]).update_status);
    assert!(!settings(&["--log-info-stdout=false"]).log.info_to_stdout);
    assert!(settings(&["--leader-elect=false"]).leader_election.is_none());
    // pflag never takes a bool's value from the next word.
    assert!(rejected_by_clap(&["--update-status", "false"]));
    assert!(rejected_by_clap(&["--update-status=yes"]));
}

#[test]
fn version_is_reported_only_when_asked() {
    assert_eq!(parse(&[]).flags.version_requested(), None);
    let line = parse(&["--version"]).flags.version_requested();
    assert_eq!(line, Some(format!("controller version: {}", env!("CARGO_PKG_VERSION"))));
    assert_eq!(parse(&["--version=false"]).flags.version_requested(), None);
}

#[test]
fn dev_subcommand_has_its_defaults() {
    let Some(Command::Dev(dev)) = parse(&["dev"]).command else { panic!("dev expected") };
    assert_eq!(dev.port, 6443);
    assert_eq!(dev.kubeconfig_path(), PathBuf::from(".kubeseal-dev/kubeconfig"));
    let cli = parse(&["--log-level=debug", "dev", "--port=7000", "--dir", "/tmp/x"]);
    let Some(Command::Dev(dev)) = cli.command else { panic!("dev expected") };
    assert_eq!((dev.port, dev.dir), (7000, PathBuf::from("/tmp/x")));
    assert_eq!(cli.flags.log_level, "debug");
    assert!(parse(&[]).command.is_none());
}

#[test]
fn rotate_period_applies_only_without_key_renew_period() {
    let hour = Some(Duration::from_secs(3600));
    let s = settings(&["--rotate-period=1h"]);
    assert_eq!(s.renew_period, hour);
    assert_eq!(s.warnings.len(), 1, "deprecation warning");
    let s = settings(&["--rotate-period=1h", "--key-renew-period=720h0m0s"]);
    assert_eq!(s.renew_period, Some(Duration::from_secs(720 * 3600)), "explicit key-renew-period wins");
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(settings(&["--key-renew-period=1h"]).renew_period, hour);
    assert_eq!(settings(&["--key-renew-period=0"]).renew_period, None);
    assert_eq!(settings(&["--rotate-period=0"]).renew_period, None);
    assert_eq!(settings(&["--key-renew-period=0", "--rotate-period=1h"]).renew_period, None);
}

#[test]
fn durations_are_go_durations() {
    assert!(rejected_by_clap(&["--key-renew-period=30d"]));
    assert!(rejected_by_clap(&["--key-renew-period=-1h"]));
    assert!(rejected_by_clap(&["--read-timeout=120"]));
    assert_eq!(settings(&["--read-timeout=0", "--write-timeout=90s"]).read_timeout, None);
    assert_eq!(settings(&["--write-timeout=1m30s"]).write_timeout, Some(Duration::from_secs(90)));
    assert!(matches!(error(&["--key-ttl=0"]), ConfigError::OutOfRange { flag: "key-ttl", .. }));
}

#[test]
fn key_order_accepts_both_names_and_falls_back_with_a_warning() {
    assert_eq!(
        settings(&["--key-order-priority=SecretCreationTimestamp"]).key_order,
        KeyOrder::SecretCreationTimestamp
    );
    let s = settings(&["--key-order-priority=secretcreationtimestamp"]);
    assert_eq!(s.key_order, KeyOrder::CertNotBefore, "upstream compares case-sensitively");
    assert_eq!(s.warnings.len(), 1);
}

#[test]
fn key_size_must_be_supported() {
    assert_eq!(settings(&["--key-size=2048"]).key_size, kubeseal_sealing::RsaKeySize::Rsa2048);
    assert_eq!(error(&["--key-size=1024"]), ConfigError::KeySize { bits: 1024 });
    assert_eq!(
        error(&["--key-size=1024"]).to_string(),
        "--key-size=1024: supported sizes are 2048, 3072, 4096 and 8192 bits"
    );
}

#[test]
fn key_cutoff_time_is_rfc1123z() {
    let s = settings(&["--key-cutoff-time", "Mon, 02 Jan 2006 15:04:05 -0700"]);
    let since_epoch = s.cutoff.unwrap().duration_since(std::time::UNIX_EPOCH).unwrap();
    assert_eq!(since_epoch, Duration::from_secs(1_136_239_445));
    let e = error(&["--key-cutoff-time=2006-01-02"]);
    assert!(matches!(&e, ConfigError::KeyCutoffTime { value, .. } if value == "2006-01-02"));
    assert!(e.to_string().starts_with("--key-cutoff-time=\"2006-01-02\": "), "{e}");
}

#[test]
fn key_value_lists_keep_upstream_quirks() {
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let labels = |s: &str| parse_key_values("privatekey-labels", s).unwrap();
    assert_eq!(labels(""), map(&[]));
    assert_eq!(labels("a=1,b=2"), map(&[("a", "1"), ("b", "2")]));
    assert_eq!(labels("a=1,a=1,b=2"), map(&[("a", "1"), ("b", "2")]), "duplicates removed");
    assert_eq!(labels("a=1,a=2"), map(&[("a", "2")]), "the later entry wins");
    assert_eq!(labels("a=b=c"), map(&[("a", "b")]), "text after a second '=' is lost");
    assert_eq!(labels("a="), map(&[("a", "")]));
    assert_eq!(labels("a=1,"), map(&[("a", "1")]), "empty entries are skipped");
    assert_eq!(labels(" a=1"), map(&[(" a", "1")]), "nothing is trimmed");
    assert_eq!(labels("sealedsecrets.bitnami.com/sealed-secrets-key=compromised,x=y"), map(&[("x", "y")]));
    let annotations = parse_key_values("privatekey-annotations", "sealedsecrets.bitnami.com/sealed-secrets-key=v");
    assert_eq!(annotations.unwrap(), map(&[("sealedsecrets.bitnami.com/sealed-secrets-key", "v")]));

    let e = parse_key_values("privatekey-labels", "a=1,team").unwrap_err();
    assert_eq!(e, ConfigError::KeyValueEntry { flag: "privatekey-labels", entry: "team".to_owned() });
    assert_eq!(e.to_string(), "--privatekey-labels: entry \"team\" is not key=value");
    assert!(parse_key_values("privatekey-annotations", "=v").is_err());

    let s = settings(&["--privatekey-labels=team=platform", "--privatekey-annotations", "owner=me"]);
    assert_eq!(s.privatekey_labels, map(&[("team", "platform")]));
    assert_eq!(s.privatekey_annotations, map(&[("owner", "me")]));
    assert!(matches!(error(&["--privatekey-annotations=oops"]), ConfigError::KeyValueEntry { .. }));
}

#[test]
fn key_prefix_is_validated_like_upstream() {
    assert!(validate_key_prefix("sealed-secrets-key").is_ok());
    assert!(validate_key_prefix("a1-").is_ok());
    assert!(validate_key_prefix(&"a".repeat(245)).is_ok());
    for bad in ["", "Sealed", "sealed_secrets", "sealed.key", "key/x", &"a".repeat(246)] {
        let e = validate_key_prefix(bad).unwrap_err();
        assert!(matches!(&e, ConfigError::KeyPrefix { value, .. } if value == bad), "{bad:?}");
    }
    assert_eq!(
        error(&["--key-prefix=My_Keys"]).to_string(),
        "--key-prefix=\"My_Keys\": only lowercase letters, digits and '-' are allowed"
    );
}

#[test]
fn listen_addresses_follow_go() {
    let ok = |s: &str| parse_listen_addr(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    assert_eq!(ok(":8080"), "0.0.0.0:8080".parse().unwrap());
    assert_eq!(ok("127.0.0.1:0"), "127.0.0.1:0".parse().unwrap());
    assert_eq!(ok("localhost:8080"), "127.0.0.1:8080".parse().unwrap());
    assert_eq!(ok("0.0.0.0:9000"), "0.0.0.0:9000".parse().unwrap());
    assert_eq!(ok("[::1]:8080"), "[::1]:8080".parse().unwrap());
    assert_eq!(ok("[::]:8081"), "[::]:8081".parse().unwrap());
    for bad in ["", "8080", ":", ":http", ":65536", "::1:8080", "example.com:80", "[zz]:80", "1.2.3:80"] {
        assert!(parse_listen_addr(bad).is_err(), "{bad:?}");
    }
    let s = settings(&["--listen-addr=127.0.0.1:0", "--listen-metrics-addr", "localhost:9090"]);
    assert_eq!(s.listen_metrics_addr, "127.0.0.1:9090".parse().unwrap());
    assert!(matches!(
        error(&["--listen-metrics-addr=:metrics"]),
        ConfigError::ListenAddr { flag: "listen-metrics-addr", .. }
    ));
}

#[test]
fn watched_namespaces_follow_upstream_startup() {
    let namespaces = |v: &[&str]| Watch::Namespaces(v.iter().map(|s| s.to_string()).collect());
    assert_eq!(decide_watch(true, "", "kube-system"), Watch::All);
    assert_eq!(decide_watch(false, "", "kube-system"), namespaces(&["kube-system"]));
    assert_eq!(decide_watch(true, "a,b", "kube-system"), namespaces(&["kube-system", "a", "b"]));
    assert_eq!(decide_watch(true, "a, b,a,,kube-system", "kube-system"), namespaces(&["kube-system", "a", "b"]));
    assert_eq!(decide_watch(false, "a", "kube-system"), namespaces(&["kube-system", "a"]));
    assert_eq!(decide_watch(true, ",", "kube-system"), Watch::All, "only empty entries");
    assert_eq!(settings(&["--all-namespaces=false"]).watch, namespaces(&["sealed-secrets"]));
}

#[test]
fn controller_namespace_prefers_env_then_file_then_default() {
    let dir = std::env::temp_dir().join(format!("kubeseal-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("namespace");
    std::fs::write(&file, "  from-file\n").unwrap();
    let blank = dir.join("blank");
    std::fs::write(&blank, " \n").unwrap();
    let missing = dir.join("missing");

    assert_eq!(resolve_controller_namespace(Some("from-env"), &file), "from-env");
    assert_eq!(resolve_controller_namespace(Some(""), &file), "from-file");
    assert_eq!(resolve_controller_namespace(None, &file), "from-file");
    assert_eq!(resolve_controller_namespace(None, &blank), "default");
    assert_eq!(resolve_controller_namespace(None, &missing), "default");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn leader_election_settings_are_checked_for_the_lease_manager() {
    let s = settings(&["--leader-elect-namespace=kube-system", "--leader-elect-lease-duration=20s"]);
    let le = s.leader_election.unwrap();
    assert_eq!((le.namespace.as_str(), le.duration_seconds, le.grace_seconds), ("kube-system", 20, 4));
    let reason = |args: &[&str]| match error(args) {
        ConfigError::OutOfRange { flag, .. } => flag,
        other => panic!("{other}"),
    };
    assert_eq!(reason(&["--leader-elect-grace-period=12s"]), "leader-elect-grace-period");
    assert_eq!(reason(&["--leader-elect-lease-duration=1500ms"]), "leader-elect-lease-duration");
    assert_eq!(reason(&["--leader-elect-lease-duration=1s"]), "leader-elect-lease-duration");
    assert_eq!(reason(&["--leader-elect-grace-period=0"]), "leader-elect-grace-period");
    assert_eq!(reason(&["--leader-elect-lease-name="]), "leader-elect-lease-name");
    // Disabled election does not validate its parameters.
    assert!(settings(&["--leader-elect=false", "--leader-elect-grace-period=0"]).leader_election.is_none());
}

#[test]
fn our_limits_and_workers_must_be_positive() {
    let s = settings(&["--workers=1", "--max-request-bytes=1024", "--max-request-items=10"]);
    assert_eq!((s.workers, s.limits), (1, Limits { max_body: 1024, max_items: 10 }));
    for flag in ["workers", "max-request-bytes", "max-request-items"] {
        let arg = format!("--{flag}=0");
        assert!(matches!(error(&[&arg]), ConfigError::OutOfRange { flag: f, .. } if f == flag), "{flag}");
    }
    assert!(matches!(error(&["--rate-limit=-1"]), ConfigError::OutOfRange { flag: "rate-limit", .. }));
    assert_eq!(settings(&["--rate-limit=0.5"]).rate_limit, 0.5);
}

#[test]
fn label_selector_empty_means_none() {
    assert_eq!(settings(&["--label-selector=team=a"]).label_selector.as_deref(), Some("team=a"));
}
