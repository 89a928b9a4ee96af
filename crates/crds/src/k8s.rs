//! The Kubernetes API types the workspace uses, re-exported so that the k8s-openapi version
//! feature (`latest`) is chosen in this crate only. Other crates name types through here.

/// The whole k8s-openapi crate, for anything not re-exported by name below.
pub use k8s_openapi;

pub use k8s_openapi::ByteString;
pub use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
pub use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Secret};
pub use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    Condition, LabelSelector, MicroTime, ObjectMeta, OwnerReference, Time,
};
pub use k8s_openapi::jiff;

/// The traits and derive from kube the workspace's resource code needs.
pub use kube::{CustomResource, CustomResourceExt, Resource, ResourceExt};
