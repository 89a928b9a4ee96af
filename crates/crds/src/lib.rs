//! Kubernetes types for kubeseal-rs.
//!
//! - [`sealed_secret`]: the `bitnami.com/v1alpha1` `SealedSecret` custom resource, wire-compatible
//!   with Bitnami Sealed Secrets, and its CRD ([`sealed_secret::crd`]).
//! - [`annotations`]: every annotation and label key the project reads or writes.
//! - [`k8s`]: the k8s-openapi and kube items the rest of the workspace uses. The k8s-openapi
//!   Kubernetes version feature is chosen in this crate only.
//!
//! This crate never calls the API and never decrypts anything.
#![forbid(unsafe_code)]

pub mod annotations;
pub mod k8s;
pub mod sealed_secret;

pub use sealed_secret::{
    SealedSecret, SealedSecretCondition, SealedSecretSpec, SealedSecretStatus, SecretTemplateSpec,
};
