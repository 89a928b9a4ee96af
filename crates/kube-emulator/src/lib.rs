//! An in-process Kubernetes API server stand-in with the real API server's semantics, for tests
//! and for the embedded dev cluster.
//!
//! One handler serves both HTTP on 127.0.0.1 (for `kubectl` and kubeconfig clients) and a
//! [`tower_service::Service`] (for `kube::Client::new`). Objects are JSON values stored per
//! resource with one global resourceVersion; writes apply the API server's strategy rules
//! (optimistic concurrency, status subresource, generation, finalizers, validation and pruning)
//! atomically, then fan out to watches. See `README.md` for what is covered and what is not.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = kube_emulator::Emulator::start().await?;
//! emulator.write_kubeconfig(std::path::Path::new("/tmp/kubeconfig"))?;
//! println!("serving on {}", emulator.url().unwrap_or_default());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod api;
mod body;
pub mod cause;
pub mod clock;
mod controllers;
mod discovery;
mod golang;
pub mod managed;
pub mod patch;
mod present;
mod printer;
mod proxy;
mod registry;
mod route;
pub mod schema;
pub mod selector;
mod server;
mod shared;
mod status;
mod store;
pub mod validation;
mod watch;

pub use body::Body;
pub use discovery::GIT_VERSION;
pub use server::{Emulator, EmulatorService, dev_cluster};
pub use shared::{Config, RequestRecord};
