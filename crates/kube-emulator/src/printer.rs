//! Table columns of the built-in kinds, as kube-apiserver's printers define them
//! (`pkg/printers/internalversion`): column names, types and priorities, and the cells computed
//! from a stored object. The server always renders the wide form (priority 1 columns included);
//! kubectl hides those unless asked for `-o wide`.
//!
//! Descriptions are short summaries of our own; kubectl never prints them.

use serde_json::{Value, json};

use crate::clock;

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header, as kubectl upper-cases it.
    pub name: &'static str,
    /// OpenAPI type of the cells (`string`, `integer`, ...).
    pub ty: &'static str,
    /// `name` for the object-name column, otherwise empty.
    pub format: &'static str,
    /// What the column shows.
    pub description: &'static str,
    /// 0 for the default view, 1 for `-o wide` only.
    pub priority: i64,
}

impl Column {
    /// The column definition as a `Table` carries it.
    pub fn definition(&self) -> Value {
        json!({"name": self.name, "type": self.ty, "format": self.format, "description": self.description, "priority": self.priority})
    }
}

const fn col(name: &'static str, ty: &'static str, description: &'static str) -> Column {
    Column { name, ty, format: "", description, priority: 0 }
}

const fn wide(name: &'static str, ty: &'static str, description: &'static str) -> Column {
    Column { name, ty, format: "", description, priority: 1 }
}

/// The object-name column every printer starts with.
pub const NAME: Column = Column {
    name: "Name",
    ty: "string",
    format: "name",
    description: "Name must be unique within a namespace.",
    priority: 0,
};
const AGE: Column = col("Age", "string", "Time since the object was created.");
const CONTAINERS: Column = wide("Containers", "string", "Names of each container in the template.");
const IMAGES: Column = wide("Images", "string", "Images referenced by each container in the template.");

const NAMESPACE: &[Column] = &[NAME, col("Status", "string", "The status of the namespace"), AGE];
const SECRET: &[Column] = &[
    NAME,
    col("Type", "string", "Used to facilitate programmatic handling of secret data."),
    col("Data", "string", "Number of data keys."),
    AGE,
];
const CONFIG_MAP: &[Column] = &[NAME, col("Data", "string", "Number of data keys."), AGE];
const SERVICE_ACCOUNT: &[Column] = &[NAME, col("Secrets", "string", "Number of referenced secrets."), AGE];
const LEASE: &[Column] = &[NAME, col("Holder", "string", "Identity of the holder of the lease."), AGE];
const SERVICE: &[Column] = &[
    NAME,
    col("Type", "string", "How the service is exposed."),
    col("Cluster-IP", "string", "The first cluster IP of the service."),
    col("External-IP", "string", "External addresses of the service."),
    col("Port(s)", "string", "Ports the service exposes."),
    AGE,
    wide("Selector", "string", "Labels of the pods the service routes to."),
];
const EVENT: &[Column] = &[
    col("Last Seen", "string", "Time since the event was last observed."),
    col("Type", "string", "Type of the event (Normal, Warning)."),
    col("Reason", "string", "Short reason for the event."),
    col("Object", "string", "The object the event is about."),
    wide("Subobject", "string", "Field path within the object."),
    wide("Source", "string", "The component that reported the event."),
    col("Message", "string", "Human-readable description."),
    wide("First Seen", "string", "Time since the event was first observed."),
    wide("Count", "string", "How many times the event occurred."),
    Column { priority: 1, ..NAME },
];
const POD: &[Column] = &[
    NAME,
    col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "string", "The aggregate status of the containers in this pod."),
    col("Restarts", "string", "Container restarts, and when the last one happened."),
    AGE,
    wide("IP", "string", "The pod's IP address."),
    wide("Node", "string", "The node the pod is bound to."),
    wide("Nominated Node", "string", "The node the pod is nominated to run on."),
    wide("Readiness Gates", "string", "Readiness gates that are true, of all."),
];
const DEPLOYMENT: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    col("Up-to-date", "string", "Pods updated to the current template."),
    col("Available", "string", "Pods available to serve."),
    AGE,
    CONTAINERS,
    IMAGES,
    wide("Selector", "string", "Label selector of the pods."),
];
const STATEFUL_SET: &[Column] =
    &[NAME, col("Ready", "string", "Number of the pod with ready state"), AGE, CONTAINERS, IMAGES];
const DAEMON_SET: &[Column] = &[
    NAME,
    col("Desired", "integer", "Nodes that should run the daemon pod."),
    col("Current", "integer", "Nodes running at least one daemon pod."),
    col("Ready", "integer", "Nodes with a ready daemon pod."),
    col("Up-to-date", "integer", "Nodes running the updated daemon pod."),
    col("Available", "integer", "Nodes with an available daemon pod."),
    col("Node Selector", "string", "Node selector of the pod template."),
    AGE,
    CONTAINERS,
    IMAGES,
    wide("Selector", "string", "Label selector of the pods."),
];
const JOB: &[Column] = &[
    NAME,
    col("Status", "string", "Status of the job."),
    col("Completions", "string", "Succeeded pods, of those wanted."),
    col("Duration", "string", "Time required to complete the job."),
    AGE,
    CONTAINERS,
    IMAGES,
    wide("Selector", "string", "Label selector of the pods."),
];
const CRON_JOB: &[Column] = &[
    NAME,
    col("Schedule", "string", "The schedule in Cron format."),
    col("Timezone", "string", "The time zone of the schedule."),
    col("Suspend", "boolean", "Whether new runs are suspended."),
    col("Active", "integer", "Running jobs."),
    col("Last Schedule", "string", "Time since a job was last scheduled."),
    AGE,
    CONTAINERS,
    IMAGES,
    wide("Selector", "string", "Label selector of the pods."),
];

/// The printer columns of a built-in resource, or `None` when kube-apiserver has no printer for
/// it (CustomResourceDefinitions, which get the default `Name, Created At` table).
pub fn columns(group: &str, plural: &str) -> Option<&'static [Column]> {
    Some(match (group, plural) {
        ("", "namespaces") => NAMESPACE,
        ("", "secrets") => SECRET,
        ("", "configmaps") => CONFIG_MAP,
        ("", "serviceaccounts") => SERVICE_ACCOUNT,
        ("", "services") => SERVICE,
        ("", "pods") => POD,
        ("", "events") | ("events.k8s.io", "events") => EVENT,
        ("coordination.k8s.io", "leases") => LEASE,
        ("apps", "deployments") => DEPLOYMENT,
        ("apps", "statefulsets") => STATEFUL_SET,
        ("apps", "daemonsets") => DAEMON_SET,
        ("batch", "jobs") => JOB,
        ("batch", "cronjobs") => CRON_JOB,
        _ => return None,
    })
}

/// The cells of one row, in the order of [`columns`], at `now` (nanoseconds since the epoch).
pub fn cells(group: &str, plural: &str, o: &Value, now: i128) -> Vec<Value> {
    let name = json!(str_at(o, &["metadata", "name"]));
    let age = json!(clock::age_of(o["metadata"].get("creationTimestamp"), now));
    match (group, plural) {
        ("", "namespaces") => vec![name, json!(str_at(o, &["status", "phase"])), age],
        ("", "secrets") => vec![name, json!(str_at(o, &["type"])), json!(len_at(o, "data")), age],
        ("", "configmaps") => {
            // The printer counts both maps: len(Data) + len(BinaryData).
            vec![name, json!(len_at(o, "data") + len_at(o, "binaryData")), age]
        }
        ("", "serviceaccounts") => vec![name, json!(len_at(o, "secrets")), age],
        ("", "services") => service(o, name, age),
        ("", "pods") => pod(o, name, age, now),
        ("", "events") => event(o, &EventFields::CORE, now),
        ("events.k8s.io", "events") => event(o, &EventFields::EVENTS_V1, now),
        ("coordination.k8s.io", "leases") => vec![name, json!(str_at(o, &["spec", "holderIdentity"])), age],
        ("apps", "deployments") => {
            let (names, images) = containers(&o["spec"]["template"]);
            vec![
                name,
                json!(format!("{}/{}", int_at(o, &["status", "readyReplicas"]), int_at(o, &["spec", "replicas"]))),
                json!(int_at(o, &["status", "updatedReplicas"])),
                json!(int_at(o, &["status", "availableReplicas"])),
                age,
                json!(names),
                json!(images),
                json!(selector_string(o["spec"].get("selector"))),
            ]
        }
        ("apps", "statefulsets") => {
            let (names, images) = containers(&o["spec"]["template"]);
            let ready = format!("{}/{}", int_at(o, &["status", "readyReplicas"]), int_at(o, &["spec", "replicas"]));
            vec![name, json!(ready), age, json!(names), json!(images)]
        }
        ("apps", "daemonsets") => {
            let (names, images) = containers(&o["spec"]["template"]);
            let status = |f: &str| json!(int_at(o, &["status", f]));
            vec![
                name,
                status("desiredNumberScheduled"),
                status("currentNumberScheduled"),
                status("numberReady"),
                status("updatedNumberScheduled"),
                status("numberAvailable"),
                json!(format_labels(&o["spec"]["template"]["spec"]["nodeSelector"])),
                age,
                json!(names),
                json!(images),
                json!(format_label_selector(o["spec"].get("selector"))),
            ]
        }
        ("batch", "jobs") => job(o, name, age, now),
        ("batch", "cronjobs") => {
            let spec = &o["spec"];
            let (names, images) = containers(&spec["jobTemplate"]["spec"]["template"]);
            let last = match o["status"].get("lastScheduleTime") {
                Some(t) if !t.is_null() => clock::age_of(Some(t), now),
                _ => "<none>".into(),
            };
            vec![
                name,
                json!(str_at(o, &["spec", "schedule"])),
                json!(spec["timeZone"].as_str().unwrap_or("<none>")),
                json!(match spec["suspend"].as_bool() {
                    Some(true) => "True",
                    Some(false) => "False",
                    None => "<unset>",
                }),
                json!(o["status"]["active"].as_array().map_or(0, Vec::len)),
                json!(last),
                age,
                json!(names),
                json!(images),
                json!(format_label_selector(spec["jobTemplate"]["spec"].get("selector"))),
            ]
        }
        _ => vec![name, age],
    }
}

fn str_at<'a>(o: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(o, |v, k| v.get(k)).and_then(Value::as_str).unwrap_or_default()
}

fn int_at(o: &Value, path: &[&str]) -> i64 {
    path.iter().try_fold(o, |v, k| v.get(k)).and_then(Value::as_i64).unwrap_or(0)
}

fn len_at(o: &Value, field: &str) -> usize {
    match o.get(field) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

/// `layoutContainerCells`: container names and images, each joined with commas.
fn containers(template: &Value) -> (String, String) {
    let list = template["spec"]["containers"].as_array().map(Vec::as_slice).unwrap_or_default();
    let names: Vec<&str> = list.iter().map(|c| c["name"].as_str().unwrap_or_default()).collect();
    let images: Vec<&str> = list.iter().map(|c| c["image"].as_str().unwrap_or_default()).collect();
    (names.join(","), images.join(","))
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key, or `<none>`.
fn format_labels(map: &Value) -> String {
    let Some(m) = map.as_object().filter(|m| !m.is_empty()) else { return "<none>".into() };
    let mut pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect();
    pairs.sort();
    pairs.join(",")
}

/// `metav1.LabelSelectorAsSelector(s).String()`: requirements sorted by key; a missing selector
/// selects nothing and an empty one everything, both printed as an empty string.
fn selector_string(selector: Option<&Value>) -> String {
    let Some(sel) = selector.filter(|s| !s.is_null()) else { return String::new() };
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = sel["matchLabels"].as_object() {
        for (k, v) in m {
            reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or_default())));
        }
    }
    for e in sel["matchExpressions"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let key = e["key"].as_str().unwrap_or_default();
        let mut values: Vec<&str> =
            e["values"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        values.sort_unstable();
        values.dedup();
        let text = match e["operator"].as_str().unwrap_or_default() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return "<invalid>".into(),
        };
        reqs.push((key.to_string(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(",")
}

/// `metav1.FormatLabelSelector`: the selector string, or `<none>` when it is empty.
fn format_label_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        s if s.is_empty() => "<none>".into(),
        s => s,
    }
}

fn service(o: &Value, name: Value, age: Value) -> Vec<Value> {
    let spec = &o["spec"];
    let ty = spec["type"].as_str().unwrap_or_default();
    let cluster_ip = spec["clusterIPs"].get(0).and_then(Value::as_str).unwrap_or("<none>");
    let external: Vec<&str> =
        spec["externalIPs"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let external_ip = match ty {
        "ClusterIP" | "NodePort" if !external.is_empty() => external.join(","),
        "ClusterIP" | "NodePort" => "<none>".into(),
        "LoadBalancer" => {
            // The server renders wide, so the load-balancer list is not clipped.
            let mut lb: Vec<&str> = o["status"]["loadBalancer"]["ingress"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| {
                            i["ip"]
                                .as_str()
                                .filter(|s| !s.is_empty())
                                .or(i["hostname"].as_str().filter(|s| !s.is_empty()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            lb.sort_unstable();
            lb.dedup();
            match (lb.is_empty(), external.is_empty()) {
                (true, true) => "<pending>".into(),
                (false, true) => lb.join(","),
                _ => lb.into_iter().chain(external).collect::<Vec<_>>().join(","),
            }
        }
        "ExternalName" => spec["externalName"].as_str().unwrap_or_default().to_string(),
        _ => "<unknown>".into(),
    };
    let ports: Vec<String> = spec["ports"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let (port, proto) = (p["port"].as_i64().unwrap_or(0), p["protocol"].as_str().unwrap_or_default());
            match p["nodePort"].as_i64().filter(|n| *n > 0) {
                Some(node_port) => format!("{port}:{node_port}/{proto}"),
                None => format!("{port}/{proto}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() { "<none>".to_string() } else { ports.join(",") };
    vec![
        name,
        json!(ty),
        json!(cluster_ip),
        json!(external_ip),
        json!(ports),
        age,
        json!(format_labels(&spec["selector"])),
    ]
}

/// Where the printer's fields live in core/v1 and events.k8s.io/v1 Events (the same storage).
struct EventFields {
    first: &'static str,
    last: &'static str,
    count: &'static str,
    source: &'static str,
    regarding: &'static str,
    message: &'static str,
}

impl EventFields {
    const CORE: Self = Self {
        first: "firstTimestamp",
        last: "lastTimestamp",
        count: "count",
        source: "source",
        regarding: "involvedObject",
        message: "message",
    };
    const EVENTS_V1: Self = Self {
        first: "deprecatedFirstTimestamp",
        last: "deprecatedLastTimestamp",
        count: "deprecatedCount",
        source: "deprecatedSource",
        regarding: "regarding",
        message: "note",
    };
}

fn is_zero_time(v: Option<&Value>) -> bool {
    match v.and_then(Value::as_str) {
        None | Some("") | Some("null") => true,
        Some(t) => clock::parse(t) == Some((-62_135_596_800, 0)),
    }
}

fn event(o: &Value, f: &EventFields, now: i128) -> Vec<Value> {
    let first = if is_zero_time(o.get(f.first)) {
        clock::age_of(o.get("eventTime"), now)
    } else {
        clock::age_of(o.get(f.first), now)
    };
    let mut last = if is_zero_time(o.get(f.last)) { first.clone() } else { clock::age_of(o.get(f.last), now) };
    let mut count = o[f.count].as_i64().unwrap_or(0);
    match o.get("series").filter(|s| !s.is_null()) {
        Some(series) => {
            last = clock::age_of(series.get("lastObservedTime"), now);
            count = series["count"].as_i64().unwrap_or(0);
        }
        None if count == 0 => count = 1,
        None => {}
    }
    let regarding = &o[f.regarding];
    let kind = regarding["kind"].as_str().unwrap_or_default().to_lowercase();
    let target = match regarding["name"].as_str().filter(|n| !n.is_empty()) {
        Some(n) => format!("{kind}/{n}"),
        None => kind,
    };
    let non_empty = |a: &str, b: &str| if a.is_empty() { b.to_string() } else { a.to_string() };
    let component = non_empty(str_at(o, &[f.source, "component"]), str_at(o, &["reportingController"]));
    let instance = non_empty(str_at(o, &[f.source, "host"]), str_at(o, &["reportingInstance"]));
    let source = if instance.is_empty() { component } else { format!("{component}, {instance}") };
    vec![
        json!(last),
        json!(str_at(o, &["type"])),
        json!(str_at(o, &["reason"])),
        json!(target),
        json!(str_at(o, &[f.regarding, "fieldPath"])),
        json!(source),
        json!(str_at(o, &[f.message]).trim()),
        json!(first),
        json!(count),
        json!(str_at(o, &["metadata", "name"])),
    ]
}

fn job(o: &Value, name: Value, age: Value, now: i128) -> Vec<Value> {
    let (spec, status) = (&o["spec"], &o["status"]);
    let succeeded = status["succeeded"].as_i64().unwrap_or(0);
    let completions = match spec["completions"].as_i64() {
        Some(c) => format!("{succeeded}/{c}"),
        None => match spec["parallelism"].as_i64().unwrap_or(0) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let time = |f: &str| {
        status[f].as_str().and_then(clock::parse).map(|(s, us)| i128::from(s) * 1_000_000_000 + i128::from(us) * 1000)
    };
    let duration = match (time("startTime"), time("completionTime")) {
        (None, _) => String::new(),
        (Some(start), None) => clock::human_duration(now - start),
        (Some(start), Some(end)) => clock::human_duration(end - start),
    };
    let condition = |ty: &str| {
        status["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == ty))
            .is_some_and(|c| c["status"] == "True")
    };
    let state = if condition("Complete") {
        "Complete"
    } else if condition("Failed") {
        "Failed"
    } else if o["metadata"].get("deletionTimestamp").is_some_and(|t| !t.is_null()) {
        "Terminating"
    } else if condition("Suspended") {
        "Suspended"
    } else if condition("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = containers(&spec["template"]);
    vec![
        name,
        json!(state),
        json!(completions),
        json!(duration),
        age,
        json!(names),
        json!(images),
        json!(format_label_selector(spec.get("selector"))),
    ]
}

/// `printPod`: readiness, the aggregate status reason and restarts, as kubectl shows them.
fn pod(o: &Value, name: Value, age: Value, now: i128) -> Vec<Value> {
    let (spec, status) = (&o["spec"], &o["status"]);
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let init_specs = list(&spec["initContainers"]);
    let sidecar = |n: &str| {
        init_specs.iter().any(|c| c["name"].as_str() == Some(n) && c["restartPolicy"].as_str() == Some("Always"))
    };
    let total = list(&spec["containers"]).len() + init_specs.iter().filter(|c| c["restartPolicy"] == "Always").count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let finished = |c: &Value| c["lastState"]["terminated"]["finishedAt"].as_str().and_then(clock::parse);
    let mut last_restart: Option<(i64, u32)> = None;
    let mut last_sidecar_restart: Option<(i64, u32)> = None;
    let phase = status["phase"].as_str().unwrap_or_default();
    let mut reason = status["reason"].as_str().filter(|r| !r.is_empty()).unwrap_or(phase).to_string();
    if list(&status["conditions"]).iter().any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated") {
        reason = "SchedulingGated".into();
    }
    let mut initializing = false;
    let init_statuses = list(&status["initContainerStatuses"]);
    for (i, c) in init_statuses.iter().enumerate() {
        restarts += c["restartCount"].as_i64().unwrap_or(0);
        last_restart = last_restart.max(finished(c));
        let is_sidecar = sidecar(c["name"].as_str().unwrap_or_default());
        if is_sidecar {
            sidecar_restarts += c["restartCount"].as_i64().unwrap_or(0);
            last_sidecar_restart = last_sidecar_restart.max(finished(c));
        }
        let terminated = &c["state"]["terminated"];
        let waiting_reason = c["state"]["waiting"]["reason"].as_str().unwrap_or_default();
        if terminated.is_object() && terminated["exitCode"].as_i64().unwrap_or(0) == 0 {
            continue;
        }
        if is_sidecar && c["started"].as_bool() == Some(true) {
            if c["ready"].as_bool() == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = if terminated.is_object() {
            match terminated["reason"].as_str().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None => match terminated["signal"].as_i64().filter(|s| *s != 0) {
                    Some(s) => format!("Init:Signal:{s}"),
                    None => format!("Init:ExitCode:{}", terminated["exitCode"].as_i64().unwrap_or(0)),
                },
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{i}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }
    let initialized = list(&status["conditions"]).iter().any(|c| c["type"] == "Initialized" && c["status"] == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for c in list(&status["containerStatuses"]).iter().rev() {
            restarts += c["restartCount"].as_i64().unwrap_or(0);
            last_restart = last_restart.max(finished(c));
            let state = &c["state"];
            let waiting = state["waiting"]["reason"].as_str().unwrap_or_default();
            let terminated = &state["terminated"];
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if terminated.is_object() {
                reason = match terminated["reason"].as_str().filter(|r| !r.is_empty()) {
                    Some(r) => r.to_string(),
                    None => match terminated["signal"].as_i64().filter(|s| *s != 0) {
                        Some(s) => format!("Signal:{s}"),
                        None => format!("ExitCode:{}", terminated["exitCode"].as_i64().unwrap_or(0)),
                    },
                };
            } else if c["ready"].as_bool() == Some(true) && state["running"].is_object() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = list(&status["conditions"]).iter().any(|c| c["type"] == "Ready" && c["status"] == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }
    if o["metadata"].get("deletionTimestamp").is_some_and(|t| !t.is_null()) {
        if status["reason"] == "NodeLost" {
            reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".into();
        }
    }
    let restarts = match last_restart {
        Some((secs, micros)) if restarts != 0 && secs != -62_135_596_800 => {
            let then = i128::from(secs) * 1_000_000_000 + i128::from(micros) * 1000;
            format!("{restarts} ({} ago)", clock::human_duration(now - then))
        }
        _ => restarts.to_string(),
    };
    let or_none = |s: &str| if s.is_empty() { "<none>".to_string() } else { s.to_string() };
    let gates = list(&spec["readinessGates"]);
    let gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let conditions = list(&status["conditions"]);
        let met = gates
            .iter()
            .filter(|g| {
                conditions.iter().find(|c| c["type"] == g["conditionType"]).is_some_and(|c| c["status"] == "True")
            })
            .count();
        format!("{met}/{}", gates.len())
    };
    vec![
        name,
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts),
        age,
        json!(or_none(status["podIPs"].get(0).and_then(|p| p["ip"].as_str()).unwrap_or_default())),
        json!(or_none(str_at(o, &["spec", "nodeName"]))),
        json!(or_none(str_at(o, &["status", "nominatedNodeName"]))),
        json!(gates),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i128 = 1_795_473_424 * 1_000_000_000;

    fn meta(extra: Value) -> Value {
        let mut o = json!({"metadata": {"name": "x", "creationTimestamp": "2026-11-23T22:36:04Z"}});
        if let (Some(m), Some(e)) = (o.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        o
    }

    #[test]
    fn every_printer_fills_one_cell_per_column() {
        for (g, p) in [
            ("", "namespaces"),
            ("", "secrets"),
            ("", "configmaps"),
            ("", "serviceaccounts"),
            ("", "services"),
            ("", "pods"),
            ("", "events"),
            ("events.k8s.io", "events"),
            ("coordination.k8s.io", "leases"),
            ("apps", "deployments"),
            ("apps", "statefulsets"),
            ("apps", "daemonsets"),
            ("batch", "jobs"),
            ("batch", "cronjobs"),
        ] {
            let cols = columns(g, p).unwrap();
            assert_eq!(cells(g, p, &meta(json!({})), NOW).len(), cols.len(), "{g}/{p}");
        }
        assert!(columns("apiextensions.k8s.io", "customresourcedefinitions").is_none());
    }

    #[test]
    fn secrets_and_config_maps_count_their_keys() {
        let s = meta(json!({"type": "Opaque", "data": {"a": "eA==", "b": "eQ=="}}));
        assert_eq!(cells("", "secrets", &s, NOW), vec![json!("x"), json!("Opaque"), json!(2), json!("60s")]);
        let cm = meta(json!({"data": {"a": "1"}, "binaryData": {"b": "eA=="}}));
        assert_eq!(cells("", "configmaps", &cm, NOW)[1], json!(2));
    }

    #[test]
    fn services_show_type_addresses_and_ports() {
        let svc =
            meta(json!({"spec": {"type": "NodePort", "clusterIPs": ["10.0.0.7"], "selector": {"b": "2", "a": "1"},
            "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 53, "protocol": "UDP"}]}}));
        let c = cells("", "services", &svc, NOW);
        assert_eq!(c[1..5], [json!("NodePort"), json!("10.0.0.7"), json!("<none>"), json!("80:30080/TCP,53/UDP")]);
        assert_eq!(c[6], json!("a=1,b=2"));
        let lb = meta(json!({"spec": {"type": "LoadBalancer"}}));
        assert_eq!(cells("", "services", &lb, NOW)[2..5], [json!("<none>"), json!("<pending>"), json!("<none>")]);
    }

    #[test]
    fn events_prefer_series_and_name_the_object() {
        let e = meta(json!({"type": "Normal", "reason": "Synced", "message": " done \n",
            "involvedObject": {"kind": "SealedSecret", "name": "db"}, "source": {"component": "kubeseal"},
            "eventTime": "2026-11-23T22:30:04.000000Z"}));
        let c = cells("", "events", &e, NOW);
        assert_eq!(
            c,
            vec![
                json!("7m"),
                json!("Normal"),
                json!("Synced"),
                json!("sealedsecret/db"),
                json!(""),
                json!("kubeseal"),
                json!("done"),
                json!("7m"),
                json!(1),
                json!("x")
            ]
        );
        let v1 = meta(
            json!({"regarding": {"kind": "Pod"}, "note": "n", "reportingController": "c", "reportingInstance": "i",
            "eventTime": "2026-11-23T22:37:00.000000Z", "series": {"count": 4, "lastObservedTime": "2026-11-23T22:37:03.000000Z"}}),
        );
        let c = cells("events.k8s.io", "events", &v1, NOW);
        assert_eq!(
            (&c[0], &c[3], &c[5], &c[7], &c[8]),
            (&json!("1s"), &json!("pod"), &json!("c, i"), &json!("4s"), &json!(4))
        );
    }

    #[test]
    fn workloads_summarise_replicas_and_selectors() {
        let d = meta(json!({"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}, {"key": "canary", "operator": "DoesNotExist"}]},
            "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}, {"name": "log", "image": "busybox"}]}}},
            "status": {"readyReplicas": 1, "updatedReplicas": 2}}));
        let c = cells("apps", "deployments", &d, NOW);
        assert_eq!(c[1..4], [json!("1/3"), json!(2), json!(0)]);
        assert_eq!(c[5..], [json!("web,log"), json!("nginx,busybox"), json!("app=web,!canary,tier in (a,b)")]);
        let j = meta(json!({"spec": {"parallelism": 2}, "status": {"startTime": "2026-11-23T22:36:00Z",
            "conditions": [{"type": "Complete", "status": "True"}], "completionTime": "2026-11-23T22:36:30Z", "succeeded": 1}}));
        assert_eq!(cells("batch", "jobs", &j, NOW)[1..4], [json!("Complete"), json!("1/1 of 2"), json!("30s")]);
        let cj = meta(json!({"spec": {"schedule": "*/5 * * * *", "suspend": false}}));
        assert_eq!(
            cells("batch", "cronjobs", &cj, NOW)[1..6],
            [json!("*/5 * * * *"), json!("<none>"), json!("False"), json!(0), json!("<none>")]
        );
    }

    #[test]
    fn pods_report_readiness_reason_and_restarts() {
        let p = meta(json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": {"phase": "Running",
            "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}},
                 "lastState": {"terminated": {"finishedAt": "2026-11-23T22:27:04Z"}}},
                {"name": "b", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}));
        let c = cells("", "pods", &p, NOW);
        assert_eq!(c[1..4], [json!("1/2"), json!("CrashLoopBackOff"), json!("2 (10m ago)")]);
        assert_eq!(c[5..], [json!("<none>"), json!("<none>"), json!("<none>"), json!("<none>")]);
        let pending = meta(json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Pending"}}));
        assert_eq!(cells("", "pods", &pending, NOW)[1..4], [json!("0/1"), json!("Pending"), json!("0")]);
    }
}
