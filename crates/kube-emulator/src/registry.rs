//! Every resource the emulator serves, described once: discovery, routing, storage and the
//! per-kind strategy rules (generation, status subresource, update and delete quirks) all read
//! this table. Built-in kinds are listed here; a CustomResourceDefinition adds its own entries.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::schema::Schema;
use crate::validation::NameRule;

/// One resource (a group and plural), served at one or more versions.
#[derive(Clone)]
pub struct ResourceType {
    /// API group; empty for core.
    pub group: String,
    /// Served versions, preferred first.
    pub versions: Vec<String>,
    /// Kind.
    pub kind: String,
    /// `<Kind>List` unless a CRD says otherwise.
    pub list_kind: String,
    /// Plural resource name, the URL segment.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// `kubectl get` short names.
    pub short_names: Vec<String>,
    /// Categories (`all`).
    pub categories: Vec<String>,
    /// Has a `status` subresource: the main endpoint ignores `.status`, `/status` only changes it.
    pub status: bool,
    /// `scale` subresource paths (spec replicas, status replicas, label selector).
    pub scale: Option<ScalePaths>,
    /// Tracks `metadata.generation`.
    pub generation: bool,
    /// PUT without `metadata.resourceVersion` is refused (custom resources, Leases).
    pub put_requires_rv: bool,
    /// PUT of a missing object creates it (Leases).
    pub create_on_update: bool,
    /// DELETE answers with the object instead of a `Status` (Pods, ServiceAccounts).
    pub returns_deleted: bool,
    /// A custom resource: strategic merge patch is refused, list items carry apiVersion/kind.
    pub custom: bool,
    /// Field selector labels beyond `metadata.name` and `metadata.namespace`.
    pub field_labels: Vec<String>,
    /// How object names are validated.
    pub name_rule: NameRule,
    /// Schema per version (built-in definitions, or the CRD's `openAPIV3Schema`).
    pub schemas: BTreeMap<String, Schema>,
    /// CRD `additionalPrinterColumns` per version.
    pub printer_columns: BTreeMap<String, Vec<Value>>,
    /// Unknown fields are pruned (false only for a built-in kind without a schema).
    pub prune: bool,
}

/// JSON paths of a `scale` subresource.
#[derive(Clone, Debug)]
pub struct ScalePaths {
    /// `.spec.replicas`.
    pub spec_replicas: String,
    /// `.status.replicas`.
    pub status_replicas: String,
    /// `.status.selector`, if any.
    pub label_selector: Option<String>,
}

impl ResourceType {
    /// Where objects are stored: the group and plural, whatever version a request uses.
    pub fn key(&self) -> ResKey {
        (self.group.clone(), self.plural.clone())
    }

    /// `group/version`, or `v1` for core.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() { version.to_string() } else { format!("{}/{version}", self.group) }
    }

    /// The storage (and preferred) version.
    pub fn storage_version(&self) -> &str {
        self.versions.first().map(String::as_str).unwrap_or("v1")
    }

    /// Whether `label` may be used in a field selector on this resource.
    pub fn supports_field(&self, label: &str) -> bool {
        label == "metadata.name"
            || (self.namespaced && label == "metadata.namespace")
            || self.field_labels.iter().any(|f| f == label)
    }

    /// The verbs discovery lists.
    pub fn verbs(&self) -> Vec<&'static str> {
        vec!["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    /// Subresources discovery lists, with their kinds.
    pub fn subresources(&self) -> Vec<(&'static str, String, Vec<&'static str>)> {
        let mut subs = Vec::new();
        if self.status {
            subs.push(("status", self.kind.clone(), vec!["get", "patch", "update"]));
        }
        if self.scale.is_some() {
            subs.push(("scale", "Scale".to_string(), vec!["get", "patch", "update"]));
        }
        if self.group.is_empty() && self.plural == "serviceaccounts" {
            subs.push(("token", "TokenRequest".to_string(), vec!["create"]));
        }
        if self.group.is_empty() && self.plural == "services" {
            subs.push(("proxy", "ServiceProxyOptions".to_string(), vec!["create", "delete", "get", "patch", "update"]));
        }
        if self.group.is_empty() && self.plural == "namespaces" {
            subs.push(("finalize", "Namespace".to_string(), vec!["update"]));
        }
        subs
    }
}

/// Storage key of a resource: (group, plural).
pub type ResKey = (String, String);

/// The served resources.
#[derive(Clone, Default)]
pub struct Registry {
    by_key: BTreeMap<ResKey, Arc<ResourceType>>,
}

struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    all: bool,
    status: bool,
    generation: bool,
    fields: &'static [&'static str],
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
        short: &["ns"],
        all: false,
        status: true,
        generation: false,
        fields: &["status.phase"],
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Secret",
        plural: "secrets",
        namespaced: true,
        short: &[],
        all: false,
        status: false,
        generation: false,
        fields: &["type"],
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        namespaced: true,
        short: &["cm"],
        all: false,
        status: false,
        generation: false,
        fields: &[],
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "ServiceAccount",
        plural: "serviceaccounts",
        namespaced: true,
        short: &["sa"],
        all: false,
        status: false,
        generation: false,
        fields: &[],
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        namespaced: true,
        short: &["ev"],
        all: false,
        status: false,
        generation: false,
        fields: &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        namespaced: true,
        short: &["po"],
        all: true,
        status: true,
        generation: true,
        fields: &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
    },
    Builtin {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        namespaced: true,
        short: &["svc"],
        all: true,
        status: true,
        generation: false,
        fields: &[],
    },
    Builtin {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
        namespaced: true,
        short: &["deploy"],
        all: true,
        status: true,
        generation: true,
        fields: &[],
    },
    Builtin {
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        plural: "statefulsets",
        namespaced: true,
        short: &["sts"],
        all: true,
        status: true,
        generation: true,
        fields: &[],
    },
    Builtin {
        group: "apps",
        version: "v1",
        kind: "DaemonSet",
        plural: "daemonsets",
        namespaced: true,
        short: &["ds"],
        all: true,
        status: true,
        generation: true,
        fields: &[],
    },
    Builtin {
        group: "batch",
        version: "v1",
        kind: "Job",
        plural: "jobs",
        namespaced: true,
        short: &[],
        all: true,
        status: true,
        generation: true,
        fields: &["status.successful"],
    },
    Builtin {
        group: "batch",
        version: "v1",
        kind: "CronJob",
        plural: "cronjobs",
        namespaced: true,
        short: &["cj"],
        all: true,
        status: true,
        generation: true,
        fields: &[],
    },
    Builtin {
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
        plural: "leases",
        namespaced: true,
        short: &[],
        all: false,
        status: false,
        generation: false,
        fields: &[],
    },
    Builtin {
        group: "events.k8s.io",
        version: "v1",
        kind: "Event",
        plural: "events",
        namespaced: true,
        short: &["ev"],
        all: false,
        status: false,
        generation: false,
        fields: &[
            "regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
            "regarding.apiVersion",
            "reason",
            "reportingController",
            "type",
        ],
    },
    Builtin {
        group: "apiextensions.k8s.io",
        version: "v1",
        kind: "CustomResourceDefinition",
        plural: "customresourcedefinitions",
        namespaced: false,
        short: &["crd", "crds"],
        all: false,
        status: true,
        generation: true,
        fields: &[],
    },
];

impl Registry {
    /// The built-in kinds of reference §4 (core, apps, batch, coordination, events, apiextensions).
    pub fn builtin() -> Self {
        let mut r = Self::default();
        for b in BUILTINS {
            let schema = Schema::builtin(b.group, b.version, b.kind);
            let name_rule = match b.plural {
                "namespaces" => NameRule::Label,
                "services" => NameRule::Dns1035Label,
                _ => NameRule::Subdomain,
            };
            let scale = matches!(b.plural, "deployments" | "statefulsets").then(|| ScalePaths {
                spec_replicas: ".spec.replicas".into(),
                status_replicas: ".status.replicas".into(),
                label_selector: Some(".status.selector".into()),
            });
            let rt = ResourceType {
                group: b.group.into(),
                versions: vec![b.version.into()],
                kind: b.kind.into(),
                list_kind: format!("{}List", b.kind),
                plural: b.plural.into(),
                singular: b.kind.to_ascii_lowercase(),
                namespaced: b.namespaced,
                short_names: b.short.iter().map(|s| s.to_string()).collect(),
                categories: if b.all { vec!["all".into()] } else { vec![] },
                status: b.status,
                scale,
                generation: b.generation,
                put_requires_rv: b.plural == "leases",
                create_on_update: b.plural == "leases",
                returns_deleted: matches!(b.plural, "pods" | "serviceaccounts"),
                custom: false,
                field_labels: b.fields.iter().map(|s| s.to_string()).collect(),
                name_rule,
                prune: schema.is_some(),
                schemas: schema.map(|s| BTreeMap::from([(b.version.to_string(), s)])).unwrap_or_default(),
                printer_columns: BTreeMap::new(),
            };
            r.insert(rt);
        }
        r
    }

    /// Adds or replaces a resource.
    pub fn insert(&mut self, rt: ResourceType) {
        self.by_key.insert(rt.key(), Arc::new(rt));
    }

    /// Removes a resource (a CRD was deleted).
    pub fn remove(&mut self, key: &ResKey) {
        self.by_key.remove(key);
    }

    /// The resource served at `group/version/plural`.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        let rt = self.by_key.get(&(group.to_string(), plural.to_string()))?;
        rt.versions.iter().any(|v| v == version).then(|| rt.clone())
    }

    /// The resource stored under `key`.
    pub fn by_key(&self, key: &ResKey) -> Option<Arc<ResourceType>> {
        self.by_key.get(key).cloned()
    }

    /// Every resource.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.by_key.values()
    }

    /// Groups with their versions, core excluded, in a stable order (built-in groups first).
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for rt in self.by_key.values().filter(|rt| !rt.group.is_empty()) {
            match out.iter_mut().find(|(g, _)| *g == rt.group) {
                Some((_, vs)) => {
                    for v in &rt.versions {
                        if !vs.contains(v) {
                            vs.push(v.clone());
                        }
                    }
                }
                None => out.push((rt.group.clone(), rt.versions.clone())),
            }
        }
        out.sort_by_key(|(g, _)| (BUILTINS.iter().position(|b| b.group == g).unwrap_or(usize::MAX), g.clone()));
        out
    }

    /// Builds the resource a CRD serves. Errors are `(field, message)` for a 422 on the CRD.
    pub fn from_crd(crd: &Value) -> Result<ResourceType, Vec<crate::cause::Cause>> {
        use crate::cause::Cause;
        let spec = &crd["spec"];
        let mut causes = Vec::new();
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let group = s(&spec["group"]);
        let names = &spec["names"];
        let plural = s(&names["plural"]);
        let kind = s(&names["kind"]);
        let name = s(&crd["metadata"]["name"]);
        if group.is_empty() {
            causes.push(Cause::new("FieldValueRequired", "spec.group", "Required value"));
        }
        if plural.is_empty() {
            causes.push(Cause::new("FieldValueRequired", "spec.names.plural", "Required value"));
        }
        if kind.is_empty() {
            causes.push(Cause::new("FieldValueRequired", "spec.names.kind", "Required value"));
        }
        if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
            causes.push(Cause::new(
                "FieldValueInvalid",
                "metadata.name",
                format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
            ));
        }
        let scope = s(&spec["scope"]);
        if scope != "Namespaced" && scope != "Cluster" {
            causes.push(Cause::new(
                "FieldValueNotSupported",
                "spec.scope",
                format!("Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\""),
            ));
        }
        let versions = spec["versions"].as_array().cloned().unwrap_or_default();
        if versions.is_empty() {
            causes.push(Cause::new(
                "FieldValueRequired",
                "spec.versions",
                "Required value: must have exactly one version marked as storage version",
            ));
        }
        let storage: Vec<&Value> = versions.iter().filter(|v| v["storage"] == json!(true)).collect();
        if !versions.is_empty() && storage.len() != 1 {
            causes.push(Cause::new(
                "FieldValueInvalid",
                "spec.versions",
                format!(
                    "Invalid value: {}: must have exactly one version marked as storage version",
                    serde_json::to_string(&spec["versions"]).unwrap_or_default()
                ),
            ));
        }
        let mut served = Vec::new();
        let mut schemas = BTreeMap::new();
        let mut printer_columns = BTreeMap::new();
        let mut status = false;
        let mut scale = None;
        let mut field_labels = Vec::new();
        for (i, v) in versions.iter().enumerate() {
            let vname = s(&v["name"]);
            if v["served"] == json!(true) {
                served.push(vname.clone());
            }
            match v.get("schema").and_then(|sc| sc.get("openAPIV3Schema")) {
                Some(sch) => match Schema::from_crd(sch) {
                    Ok(schema) => {
                        schemas.insert(vname.clone(), schema);
                    }
                    Err(mut cs) => {
                        for c in &mut cs {
                            c.field = format!(
                                "spec.versions[{i}].schema.openAPIV3Schema{}{}",
                                if c.field.is_empty() { "" } else { "." },
                                c.field
                            );
                        }
                        causes.extend(cs);
                    }
                },
                None => causes.push(Cause::new(
                    "FieldValueRequired",
                    format!("spec.versions[{i}].schema.openAPIV3Schema"),
                    "Required value: schemas are required",
                )),
            }
            if let Some(cols) = v["additionalPrinterColumns"].as_array() {
                printer_columns.insert(vname.clone(), cols.clone());
            }
            if v["subresources"]["status"].is_object() {
                status = true;
            }
            if let Some(sc) = v["subresources"]["scale"].as_object() {
                scale = Some(ScalePaths {
                    spec_replicas: sc
                        .get("specReplicasPath")
                        .and_then(Value::as_str)
                        .unwrap_or(".spec.replicas")
                        .into(),
                    status_replicas: sc
                        .get("statusReplicasPath")
                        .and_then(Value::as_str)
                        .unwrap_or(".status.replicas")
                        .into(),
                    label_selector: sc.get("labelSelectorPath").and_then(Value::as_str).map(Into::into),
                });
            }
            for f in v["selectableFields"].as_array().into_iter().flatten() {
                if let Some(path) = f["jsonPath"].as_str() {
                    field_labels.push(path.trim_start_matches('.').to_string());
                }
            }
        }
        if !causes.is_empty() {
            return Err(causes);
        }
        // The storage version is preferred in discovery only if nothing else is; upstream sorts
        // versions by Kubernetes version priority. Served order: as listed, storage first.
        let storage_name = storage.first().map(|v| s(&v["name"])).unwrap_or_default();
        served.sort_by_key(|v| if *v == storage_name { 0 } else { 1 });
        let list_kind = names["listKind"].as_str().map(str::to_string).unwrap_or_else(|| format!("{kind}List"));
        Ok(ResourceType {
            singular: names["singular"].as_str().map(str::to_string).unwrap_or_else(|| kind.to_ascii_lowercase()),
            group,
            versions: served,
            list_kind,
            plural,
            namespaced: scope == "Namespaced",
            short_names: string_list(&names["shortNames"]),
            categories: string_list(&names["categories"]),
            kind,
            status,
            scale,
            generation: true,
            put_requires_rv: true,
            create_on_update: false,
            returns_deleted: false,
            custom: true,
            field_labels,
            name_rule: NameRule::Subdomain,
            prune: true,
            schemas,
            printer_columns,
        })
    }
}

fn string_list(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
}
