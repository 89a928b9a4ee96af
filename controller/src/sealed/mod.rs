//! The SealedSecret feature: unseal a `bitnami.com/v1alpha1` SealedSecret into a Secret.
//!
//! [`mod@plan`] is the pure decision core; the reconcile step (I/O) is added separately.

pub mod plan;
pub mod reconcile;

pub use plan::{Inputs, Plan, PlanOptions, plan, status_for, status_update};
