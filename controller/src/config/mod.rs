//! The controller's command line: upstream's flags (same names, defaults and
//! `SEALED_SECRETS_*` environment fallbacks, reference §4.6) plus ours, parsed by clap into
//! [`Cli`] and validated into [`Settings`].
//!
//! Two stages, as in ripgrep: [`Flags`] is what the user typed (strings, Go durations, bools);
//! [`Flags::validate`] checks it and produces [`Settings`], typed and with upstream's quirks
//! resolved (fallbacks become [`Settings::warnings`], logged by [`init_logging`] once logging
//! exists). Parsers of Go's formats live in [`duration`] and [`cutoff`].
//!
//! Deviations from upstream, each documented where it applies:
//! - `--kubeclient-qps` defaults to -1 (no client-side limit) instead of 5.
//! - An entry of `--privatekey-labels`/`--privatekey-annotations` without `=` (or with an empty
//!   key) is a startup error instead of a crash when the first key is generated; empty entries
//!   are skipped.
//! - An empty `--key-prefix`, a zero `--key-ttl`, a negative `--rate-limit` and signed durations
//!   are rejected at startup.
//! - `--log-format` values other than `text`/`json` fall back to text with a warning.
//! - `--watch-for-secrets` is accepted, but added key Secrets are always picked up.
//! - `--version` is not read from `SEALED_SECRETS_VERSION`.
//! - Ours: `--workers`, `--leader-elect*`, `--max-request-bytes`, `--max-request-items`, and the
//!   `dev` subcommand.

pub mod cutoff;
pub mod duration;
mod error;
mod flags;
mod logging;
mod settings;

pub use cutoff::{TimestampError, parse_rfc1123z};
pub use duration::{DurationError, parse_go_duration};
pub use error::ConfigError;
pub use flags::{Cli, Command, DEFAULT_KEY_RENEW_PERIOD, DevArgs, Flags, parse_go_bool, version_line};
pub use logging::{LogFormat, LogSettings, init_logging};
pub use settings::{
    LeaderElection, ListenAddrError, MAX_KEY_PREFIX_LEN, SERVICE_ACCOUNT_NAMESPACE_FILE, Settings, Watch,
    controller_namespace, decide_watch, parse_key_values, parse_listen_addr, resolve_controller_namespace,
    validate_key_prefix,
};

#[cfg(test)]
mod tests;
