//! The deployment manifests in `deploy/`: schema validation with PyPI `kubernetes-validate`
//! (strict, so misspelled fields fail), the kustomization rendered by the real kubectl, and the
//! security properties read straight from the YAML.
//!
//! The tools come from `scripts/install-test-deps` (`KUBESEAL_PEER_PYTHON`, `KUBESEAL_KUBECTL`);
//! when they are missing these tests fail, they never skip.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Kubernetes versions the manifests are validated against: the oldest we document support for
/// and the one our kubectl and API emulator follow.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.33", "1.37"];

/// The controller's namespace and the names `kubeseal` looks for by default.
const NAMESPACE: &str = "kube-system";
const CONTROLLER: &str = "sealed-secrets-controller";

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Every YAML file `kubectl apply -f deploy/crds/ -f deploy/manifests/` applies, in that order.
fn manifest_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["crds", "manifests"] {
        let mut in_dir: Vec<PathBuf> = std::fs::read_dir(deploy_dir().join(dir))
            .unwrap_or_else(|e| panic!("read deploy/{dir}: {e}"))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
            .collect();
        in_dir.sort();
        assert!(!in_dir.is_empty(), "deploy/{dir} holds no YAML");
        files.extend(in_dir);
    }
    files
}

/// The non-empty documents of one YAML stream.
fn documents(text: &str, origin: &str) -> Vec<Value> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).unwrap_or_else(|e| panic!("{origin} is not valid YAML: {e}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// Every object in `deploy/crds/` and `deploy/manifests/`.
fn objects() -> Vec<Value> {
    manifest_files()
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display()));
            documents(&text, &f.display().to_string())
        })
        .collect()
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or_default()
}

fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

fn the(objects: &[Value], wanted_kind: &str, wanted_name: &str) -> Value {
    let found: Vec<&Value> = objects.iter().filter(|o| kind(o) == wanted_kind && name(o) == wanted_name).collect();
    assert_eq!(found.len(), 1, "expected exactly one {wanted_kind} {wanted_name}");
    found[0].clone()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

// ---- schema validation ----------------------------------------------------------------------

/// Runs `python -m kubernetes_validate --strict` on `files` for every version we support.
fn kubernetes_validate(files: &[PathBuf]) -> Output {
    let python = std::env::var_os("KUBESEAL_PEER_PYTHON").map(PathBuf::from).expect(
        "KUBESEAL_PEER_PYTHON is not set: run `eval \"$(scripts/install-test-deps)\"` (scripts/test does) to install kubernetes-validate",
    );
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "kubernetes_validate", "--strict"]);
    for version in KUBERNETES_VERSIONS {
        cmd.args(["--kubernetes-version", version]);
    }
    let out = cmd.args(files).output().unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named kubernetes_validate"),
        "kubernetes-validate is not installed in {}: re-run scripts/install-test-deps",
        python.display()
    );
    out
}

/// Reads the validator's verdict. It exits 0 when it has no schema for a kind (it only warns),
/// so success also means: no warning, no error, and one "passed" line per object and version.
fn verdict(out: &Output, objects: usize) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        return Err(format!("kubernetes-validate failed ({}):\n{report}", out.status));
    }
    if let Some(line) = stdout.lines().find(|l| !l.starts_with("INFO ")) {
        return Err(format!("kubernetes-validate reported `{line}`:\n{report}"));
    }
    let passed = stdout.lines().filter(|l| l.contains(" passed for resource ")).count();
    if passed != objects * KUBERNETES_VERSIONS.len() {
        return Err(format!(
            "expected {objects} objects x {} versions to pass, {passed} did:\n{report}",
            KUBERNETES_VERSIONS.len()
        ));
    }
    Ok(())
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubeseal-manifests-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch dir");
    dir
}

#[test]
fn every_manifest_passes_strict_schema_validation() {
    let files = manifest_files();
    let out = kubernetes_validate(&files);
    if let Err(e) = verdict(&out, objects().len()) {
        panic!("{e}");
    }
}

#[test]
fn the_validator_rejects_a_misspelled_field() {
    let controller = deploy_dir().join("manifests/controller.yaml");
    let text = std::fs::read_to_string(&controller).expect("read controller.yaml");
    assert!(text.contains("readOnlyRootFilesystem:"));
    let broken = text.replacen("readOnlyRootFilesystem:", "readOnlyRootFileSystem:", 1);
    let dir = scratch("misspelled");
    let file = dir.join("controller.yaml");
    std::fs::write(&file, broken).expect("write the broken copy");

    let out = kubernetes_validate(std::slice::from_ref(&file));
    let count = documents(&text, "controller.yaml").len();
    let err = verdict(&out, count).expect_err("a misspelled field must fail strict validation");
    assert!(err.contains("readOnlyRootFileSystem"), "the error names the field:\n{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_kind_the_validator_has_no_schema_for_does_not_count_as_valid() {
    // kubernetes-validate only warns (exit 0) on kinds it has no schema for, such as a
    // SealedSecret or a misspelled kind; the verdict must not read that as a pass.
    let dir = scratch("unknown-kind");
    let file = dir.join("unknown.yaml");
    std::fs::write(&file, "apiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: x\n").expect("write");
    let out = kubernetes_validate(std::slice::from_ref(&file));
    assert!(out.status.success(), "the validator itself exits 0 here");
    verdict(&out, 1).expect_err("a warning is not a pass");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- kustomize -----------------------------------------------------------------------------

#[test]
fn the_kustomization_renders_exactly_the_applied_objects() {
    let kubectl = std::env::var_os("KUBESEAL_KUBECTL").map(PathBuf::from).expect(
        "KUBESEAL_KUBECTL is not set: run `eval \"$(scripts/install-test-deps)\"` (scripts/test does) to install kubectl v1.37.1",
    );
    let home = scratch("kustomize");
    let out = Command::new(&kubectl)
        .arg("kustomize")
        .arg(deploy_dir())
        .env("HOME", &home)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", kubectl.display()));
    assert!(out.status.success(), "kubectl kustomize failed: {}", String::from_utf8_lossy(&out.stderr));
    let rendered = documents(&String::from_utf8_lossy(&out.stdout), "kubectl kustomize output");

    let ids = |objs: &[Value]| -> BTreeSet<(String, String, String)> {
        objs.iter()
            .map(|o| {
                let ns = o["metadata"]["namespace"].as_str().unwrap_or_default().to_owned();
                (kind(o).to_owned(), ns, name(o).to_owned())
            })
            .collect()
    };
    assert_eq!(ids(&rendered), ids(&objects()), "deploy/kustomization.yaml must list every file");
    let _ = std::fs::remove_dir_all(&home);
}

// ---- security properties -------------------------------------------------------------------

#[test]
fn every_container_runs_unprivileged_on_a_read_only_root() {
    let objects = objects();
    let workloads: Vec<&Value> = objects
        .iter()
        .filter(|o| matches!(kind(o), "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "Pod"))
        .collect();
    assert!(!workloads.is_empty());
    for workload in workloads {
        let pod = &workload["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(pod["securityContext"]["runAsUser"], 1001);
        assert_eq!(pod["securityContext"]["fsGroup"], 65534);
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
        assert_eq!(pod["hostNetwork"], Value::Null, "no host network");
        assert_eq!(pod["hostPID"], Value::Null, "no host PID namespace");
        let containers =
            ["containers", "initContainers"].iter().filter_map(|k| pod[*k].as_array()).flatten().collect::<Vec<_>>();
        assert!(!containers.is_empty());
        for c in containers {
            let who = format!("container {} of {} {}", c["name"], kind(workload), name(workload));
            let sc = &c["securityContext"];
            assert_eq!(sc["runAsNonRoot"], true, "{who}: runAsNonRoot");
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{who}: readOnlyRootFilesystem");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{who}: allowPrivilegeEscalation");
            assert_eq!(sc["privileged"], Value::Null, "{who}: privileged");
            assert_eq!(strings(&sc["capabilities"]["drop"]), ["ALL"], "{who}: drops all capabilities");
            assert_eq!(sc["capabilities"]["add"], Value::Null, "{who}: adds no capabilities");
            assert!(
                c["resources"]["requests"].is_object() && c["resources"]["limits"].is_object(),
                "{who}: resource requests and limits"
            );
        }
    }
}

#[test]
fn the_deployment_runs_two_replicas_behind_a_disruption_budget() {
    let objects = objects();
    let deployment = the(&objects, "Deployment", CONTROLLER);
    assert_eq!(deployment["metadata"]["namespace"], NAMESPACE);
    assert_eq!(deployment["spec"]["replicas"], 2);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], CONTROLLER);
    assert_eq!(pod["automountServiceAccountToken"], true);
    let spread = pod["topologySpreadConstraints"].is_array() || pod["affinity"]["podAntiAffinity"].is_object();
    assert!(spread, "the replicas are spread over nodes");

    let container = &pod["containers"][0];
    assert_eq!(container["image"], "ghcr.io/kubeseal-rs/kubeseal-controller:0.1.0");
    assert_eq!(strings(&container["command"]), ["kubeseal-controller"]);
    let env = &container["env"][0];
    assert_eq!(env["name"], "POD_NAMESPACE");
    assert_eq!(env["valueFrom"]["fieldRef"]["fieldPath"], "metadata.namespace");
    let ports: BTreeMap<&str, i64> = container["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| (p["name"].as_str().expect("port name"), p["containerPort"].as_i64().expect("port")))
        .collect();
    assert_eq!(ports, BTreeMap::from([("http", 8080), ("metrics", 8081)]));
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/healthz", "{probe}");
        assert_eq!(container[probe]["httpGet"]["port"], "http", "{probe}");
    }
    let tmp = container["volumeMounts"].as_array().expect("mounts").iter().find(|m| m["mountPath"] == "/tmp");
    let tmp = tmp.expect("/tmp is mounted");
    let volume = pod["volumes"].as_array().expect("volumes").iter().find(|v| v["name"] == tmp["name"]);
    assert!(volume.expect("the /tmp volume")["emptyDir"].is_object(), "/tmp is an emptyDir");

    let pdb = the(&objects, "PodDisruptionBudget", CONTROLLER);
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"]);
}

#[test]
fn services_keep_upstreams_names_and_ports() {
    let objects = objects();
    let deployment = the(&objects, "Deployment", CONTROLLER);
    let pod_labels = deployment["spec"]["template"]["metadata"]["labels"].as_object().expect("pod labels").clone();
    for (service, port_name, port) in
        [(CONTROLLER, "http", 8080), ("sealed-secrets-controller-metrics", "metrics", 8081)]
    {
        let svc = the(&objects, "Service", service);
        assert_eq!(svc["metadata"]["namespace"], NAMESPACE, "{service}");
        let ports = svc["spec"]["ports"].as_array().expect("ports");
        assert_eq!(ports.len(), 1, "{service}");
        assert_eq!(ports[0]["name"], port_name, "{service}");
        assert_eq!(ports[0]["port"], port, "{service}");
        assert_eq!(ports[0]["targetPort"], port_name, "{service}");
        let selector = svc["spec"]["selector"].as_object().expect("selector");
        assert!(!selector.is_empty(), "{service}");
        for (k, v) in selector {
            assert_eq!(pod_labels.get(k), Some(v), "{service} selects the controller pods ({k})");
        }
    }
}

/// Every RBAC rule, with the kind and name of the role that grants it.
fn rules(objects: &[Value]) -> Vec<(String, Value)> {
    objects
        .iter()
        .filter(|o| matches!(kind(o), "Role" | "ClusterRole"))
        .flat_map(|o| {
            let who = format!("{} {}", kind(o), name(o));
            o["rules"].as_array().cloned().unwrap_or_default().into_iter().map(move |r| (who.clone(), r))
        })
        .collect()
}

#[test]
fn rbac_has_no_wildcards() {
    let objects = objects();
    let rules = rules(&objects);
    assert!(!rules.is_empty());
    for (who, rule) in &rules {
        for field in ["apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"] {
            for value in strings(&rule[field]) {
                assert!(!value.contains('*'), "{who} grants `{value}` in {field}");
            }
        }
    }
}

/// The verbs on `resource` that one role grants, over all its rules.
fn verbs(objects: &[Value], role_kind: &str, role: &str, group: &str, resource: &str) -> BTreeSet<String> {
    let role = the(objects, role_kind, role);
    role["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| strings(&r["apiGroups"]).contains(&group) && strings(&r["resources"]).contains(&resource))
        .flat_map(|r| strings(&r["verbs"]).into_iter().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn secrets_are_granted_exactly_the_verbs_the_controller_uses() {
    let objects = objects();
    assert_eq!(
        verbs(&objects, "ClusterRole", "secrets-unsealer", "", "secrets"),
        set(&["get", "list", "watch", "create", "update", "patch", "delete"])
    );
    assert_eq!(
        verbs(&objects, "Role", "sealed-secrets-key-admin", "", "secrets"),
        set(&["create", "list", "watch", "get"])
    );
    let key_admin = the(&objects, "Role", "sealed-secrets-key-admin");
    assert_eq!(key_admin["metadata"]["namespace"], NAMESPACE);

    // No other role touches Secrets.
    for (who, rule) in rules(&objects) {
        if strings(&rule["resources"]).contains(&"secrets") {
            assert!(
                who == "ClusterRole secrets-unsealer" || who == "Role sealed-secrets-key-admin",
                "{who} grants access to Secrets"
            );
        }
    }
}

#[test]
fn the_unsealer_role_grants_what_the_controller_needs_and_nothing_else() {
    let objects = objects();
    let role = "secrets-unsealer";
    assert_eq!(verbs(&objects, "ClusterRole", role, "bitnami.com", "sealedsecrets"), set(&["get", "list", "watch"]));
    assert_eq!(verbs(&objects, "ClusterRole", role, "bitnami.com", "sealedsecrets/status"), set(&["update", "patch"]));
    assert_eq!(verbs(&objects, "ClusterRole", role, "", "events"), set(&["create", "patch"]));
    assert_eq!(verbs(&objects, "ClusterRole", role, "events.k8s.io", "events"), set(&["create", "patch"]));
    assert_eq!(verbs(&objects, "ClusterRole", role, "", "namespaces"), set(&["get"]));
    let resources: BTreeSet<String> = the(&objects, "ClusterRole", role)["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .flat_map(|r| strings(&r["resources"]).into_iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert_eq!(resources, set(&["sealedsecrets", "sealedsecrets/status", "secrets", "events", "namespaces"]));
}

#[test]
fn leader_election_may_touch_only_the_controllers_lease() {
    let objects = objects();
    let role = the(&objects, "Role", "sealed-secrets-controller-leader-election");
    assert_eq!(role["metadata"]["namespace"], NAMESPACE);
    for rule in role["rules"].as_array().expect("rules") {
        assert_eq!(strings(&rule["apiGroups"]), ["coordination.k8s.io"]);
        assert_eq!(strings(&rule["resources"]), ["leases"]);
        let verbs = strings(&rule["verbs"]);
        if verbs == ["create"] {
            // RBAC cannot check a name on create: the request URL carries none.
            assert_eq!(rule["resourceNames"], Value::Null);
        } else {
            assert_eq!(strings(&rule["resourceNames"]), [CONTROLLER], "{verbs:?} are limited to our Lease");
            assert!(!verbs.contains(&"delete") && !verbs.contains(&"list"), "{verbs:?}");
        }
    }
}

#[test]
fn the_service_proxier_role_is_upstreams() {
    let objects = objects();
    let role = the(&objects, "Role", "sealed-secrets-service-proxier");
    assert_eq!(role["metadata"]["namespace"], NAMESPACE);
    let rules = role["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 2);
    let services = rules.iter().find(|r| strings(&r["resources"]) == ["services"]).expect("services rule");
    assert_eq!(strings(&services["apiGroups"]), [""]);
    assert_eq!(strings(&services["resourceNames"]), [CONTROLLER]);
    assert_eq!(strings(&services["verbs"]), ["get"]);
    let proxy = rules.iter().find(|r| strings(&r["resources"]) == ["services/proxy"]).expect("services/proxy rule");
    assert_eq!(strings(&proxy["apiGroups"]), [""]);
    assert_eq!(
        strings(&proxy["resourceNames"]).into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from(["http:sealed-secrets-controller:", "http:sealed-secrets-controller:http", CONTROLLER])
    );
    assert_eq!(strings(&proxy["verbs"]).into_iter().collect::<BTreeSet<_>>(), BTreeSet::from(["create", "get"]));

    let binding = the(&objects, "RoleBinding", "sealed-secrets-service-proxier");
    assert_eq!(binding["roleRef"]["name"], "sealed-secrets-service-proxier");
    let subjects = binding["subjects"].as_array().expect("subjects");
    assert_eq!(subjects.len(), 1);
    assert_eq!(subjects[0]["kind"], "Group");
    assert_eq!(subjects[0]["name"], "system:authenticated");
}

#[test]
fn every_binding_points_at_a_role_and_account_in_the_manifests() {
    let objects = objects();
    let bindings: Vec<&Value> =
        objects.iter().filter(|o| matches!(kind(o), "RoleBinding" | "ClusterRoleBinding")).collect();
    assert_eq!(bindings.len(), 4);
    for binding in bindings {
        let role_kind = binding["roleRef"]["kind"].as_str().expect("roleRef.kind");
        let role = the(&objects, role_kind, binding["roleRef"]["name"].as_str().expect("roleRef.name"));
        if kind(binding) == "RoleBinding" {
            assert_eq!(role["metadata"]["namespace"], binding["metadata"]["namespace"], "{}", name(binding));
        }
        for subject in binding["subjects"].as_array().expect("subjects") {
            if subject["kind"] == "ServiceAccount" {
                assert_eq!(subject["name"], CONTROLLER);
                assert_eq!(subject["namespace"], NAMESPACE);
            }
        }
    }
    let account = the(&objects, "ServiceAccount", CONTROLLER);
    assert_eq!(account["metadata"]["namespace"], NAMESPACE);
}
