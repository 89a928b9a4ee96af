//! The kubeseal-rs controller.
//!
//! Each feature is a module split into a pure `plan` (objects in, a `Plan` value out, no I/O) and
//! a `reconcile` step that fetches, calls `plan` and applies the result:
//!
//! - [`mod@sealed::plan`]: decides what to do with one SealedSecret given the existing Secret and the
//!   controller's keys (Bitnami Sealed Secrets reconcile semantics), and what status to write.
//! - [`keys`]: the controller's sealing keys as key Secrets in upstream's format
//!   ([`keys::secret`]) and the pure loading, active-key and renewal decisions
//!   ([`mod@keys::plan`]).
//! - [`api`]: pure cores of the HTTP API's `POST /v1/verify` ([`api::verify()`]) and
//!   `POST /v1/rotate` ([`api::rotate()`]): body in, status (and body) out; scope from top-level
//!   metadata only, templates never executed (CVE-2026-22728).
//! - [`http`]: the API and metrics servers (hyper 1), with upstream's GCRA rate limiter
//!   ([`http::ratelimit`]).
//! - [`metrics`]: upstream's Prometheus metric names and labels, plus ours.
//! - [`config`]: the command line (upstream's flags with `SEALED_SECRETS_*` fallbacks, plus
//!   ours), validated into [`config::Settings`], and logging setup.
//! - [`mod@sealed::reconcile`]: the watches, parallel workers and retries around the plan.
//! - [`keys::manager`]: loading, watching and generating key Secrets; [`keys::KeyStore`] shares
//!   the keys between the reconciler and the HTTP API.
//! - [`leader`]: leader election on a Lease; [`events`]: core v1 Events with aggregation;
//!   [`run`]: the whole process (servers, keys, election, reconcilers).
//! - [`error`]: the reconciler [`Error`], with [`Error::kind`] for metrics and logs and
//!   [`Error::is_transient`] for backoff.
//!
//! Plaintext never appears in `Debug` output, errors, events or status conditions.
#![forbid(unsafe_code)]
// Library code returns errors; tests may panic, which is how they fail.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod config;
pub mod error;
pub mod events;
pub mod http;
pub mod keys;
pub mod leader;
pub mod metrics;
pub mod run;
pub mod sealed;

pub use error::Error;
