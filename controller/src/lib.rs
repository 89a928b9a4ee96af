//! The kubeseal-rs controller.
//!
//! Each feature is a module split into a pure `plan` (objects in, a `Plan` value out, no I/O) and
//! a `reconcile` step that fetches, calls `plan` and applies the result. This crate currently holds
//! the pure cores of the SealedSecret and key-management features:
//!
//! - [`mod@sealed::plan`]: decides what to do with one SealedSecret given the existing Secret and the
//!   controller's keys (Bitnami Sealed Secrets reconcile semantics), and what status to write.
//! - [`keys`]: the controller's sealing keys as key Secrets in upstream's format
//!   ([`keys::secret`]) and the pure loading, active-key and renewal decisions
//!   ([`mod@keys::plan`]).
//! - [`api`]: pure cores of the HTTP API's `POST /v1/verify` ([`api::verify()`]) and
//!   `POST /v1/rotate` ([`api::rotate()`]): body in, status (and body) out; scope from top-level
//!   metadata only, templates never executed (CVE-2026-22728).
//! - [`config`]: the command line (upstream's flags with `SEALED_SECRETS_*` fallbacks, plus
//!   ours), validated into [`config::Settings`], and logging setup.
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
pub mod keys;
pub mod sealed;

pub use error::Error;
