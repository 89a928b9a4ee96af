//! The real kubectl v1.37.1 (installed by `scripts/install-test-deps`) against the emulator over
//! HTTP: a client nobody here wrote. These tests fail, never skip, when kubectl is missing.

mod common;

use std::time::Duration;

use common::{Kubectl, eventually, start};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string, default: blue}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"#;

fn gadget(size: i64) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g1\n  namespace: default\nspec:\n  size: {size}\n"
    )
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"#;

#[tokio::test]
async fn kubectl_version_shows_the_emulator() {
    let (emu, _) = start().await;
    let k = Kubectl::new(&emu);
    let out = k.ok(&["version", "-o", "json"], None).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["serverVersion"]["gitVersion"], kube_emulator::GIT_VERSION);
    assert_eq!(v["clientVersion"]["gitVersion"], "v1.37.1");
}

#[tokio::test]
async fn kubectl_apply_creates_and_updates_crds_custom_resources_deployments_and_secrets() {
    let (emu, client) = start().await;
    let k = Kubectl::new(&emu);
    // Default (strict) validation: works only because /openapi/v3 advertises fieldValidation.
    k.ok(&["apply", "-f", "-"], Some(CRD)).await;
    k.ok(&["wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=10s"], None).await;
    let out = k.ok(&["apply", "-f", "-"], Some(&gadget(1))).await;
    assert!(out.contains("gadget.example.com/g1 created"), "{out}");
    let stored = emu.object("example.com", "gadgets", "default", "g1").unwrap();
    assert_eq!(stored["spec"]["color"], "blue", "schema default applied");
    let out = k.ok(&["apply", "-f", "-"], Some(&gadget(2))).await;
    assert!(out.contains("configured"), "{out}");
    assert_eq!(emu.object("example.com", "gadgets", "default", "g1").unwrap()["spec"]["size"], 2);
    let out = k.ok(&["apply", "-f", "-"], Some(&gadget(2))).await;
    assert!(out.contains("unchanged"), "{out}");

    // A field the schema does not know is refused under kubectl's default validation.
    let bad = k.run(&["apply", "-f", "-"], Some(&format!("{}  bogus: 1\n", gadget(3)))).await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown field"), "{}", String::from_utf8_lossy(&bad.stderr));

    k.ok(&["apply", "-f", "-"], Some(DEPLOYMENT)).await;
    k.ok(&["apply", "-f", "-"], Some(&DEPLOYMENT.replace("replicas: 2", "replicas: 3"))).await;
    let deploys: Api<Deployment> = Api::default_namespaced(client.clone());
    let d = deploys.get("web").await.unwrap();
    assert_eq!(d.spec.replicas, Some(3));
    assert_eq!(d.metadata.generation, Some(2));

    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: default}\nstringData: {password: hunter2}\n";
    k.ok(&["apply", "-f", "-"], Some(secret)).await;
    k.ok(&["apply", "-f", "-"], Some(&secret.replace("hunter2", "correct-horse"))).await;
    let s = Api::<Secret>::default_namespaced(client).get("creds").await.unwrap();
    assert_eq!(s.data.unwrap()["password"].0, b"correct-horse");
}

#[tokio::test]
async fn kubectl_server_side_apply_is_idempotent() {
    let (emu, client) = start().await;
    let k = Kubectl::new(&emu);
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: default}\ndata: {a: '1'}\n";
    k.ok(&["apply", "--server-side", "-f", "-"], Some(cm)).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let first = cms.get("ssa").await.unwrap();
    assert!(
        first
            .metadata
            .managed_fields
            .unwrap()
            .iter()
            .any(|m| m.manager.as_deref() == Some("kubectl") && m.operation.as_deref() == Some("Apply"))
    );
    k.ok(&["apply", "--server-side", "-f", "-"], Some(cm)).await;
    assert_eq!(cms.get("ssa").await.unwrap().resource_version(), first.metadata.resource_version);
}

#[tokio::test]
async fn kubectl_get_patch_and_delete() {
    let (emu, client) = start().await;
    let k = Kubectl::new(&emu);
    k.ok(&["apply", "-f", "-"], Some(CRD)).await;
    k.ok(&["wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=10s"], None).await;
    k.ok(&["apply", "-f", "-"], Some(&gadget(4))).await;
    k.ok(&["apply", "-f", "-"], Some(DEPLOYMENT)).await;
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf, namespace: default, finalizers: [example.com/a]}\ndata: {a: '1'}\n";
    k.ok(&["apply", "-f", "-"], Some(cm)).await;

    let yaml = k.ok(&["get", "cm", "conf", "-o", "yaml"], None).await;
    assert!(yaml.contains("name: conf") && yaml.contains("a: \"1\""), "{yaml}");
    // Tables: printer columns for the CR, the built-in default for ConfigMaps.
    let table = k.ok(&["get", "gadgets"], None).await;
    assert!(table.lines().next().unwrap().contains("SIZE") && table.contains("g1"), "{table}");
    let table = k.ok(&["get", "gd"], None).await;
    assert!(table.contains("g1"), "short names resolve: {table}");

    k.ok(&["patch", "cm", "conf", "--type", "merge", "-p", r#"{"data":{"b":"2"}}"#], None).await;
    k.ok(&["patch", "cm", "conf", "--type", "json", "-p", r#"[{"op":"replace","path":"/data/a","value":"9"}]"#], None)
        .await;
    k.ok(&["patch", "cm", "conf", "-p", r#"{"metadata":{"finalizers":["example.com/b"]}}"#], None).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let c = cms.get("conf").await.unwrap();
    assert_eq!(c.data.clone().unwrap()["a"], "9");
    assert_eq!(c.data.clone().unwrap()["b"], "2");
    let mut finalizers = c.finalizers().to_vec();
    finalizers.sort();
    assert_eq!(finalizers, ["example.com/a", "example.com/b"], "strategic (a union) is kubectl's default");
    let smp_on_cr = k.run(&["patch", "gadget", "g1", "-p", r#"{"spec":{"size":5}}"#], None).await;
    assert!(!smp_on_cr.status.success(), "strategic merge on a custom resource fails");
    k.ok(&["patch", "gadget", "g1", "--type", "merge", "-p", r#"{"spec":{"size":5}}"#], None).await;

    // `kubectl delete` waits until the finalizers are gone.
    let k2 = Kubectl::new(&emu);
    let deleting = tokio::spawn(async move { k2.ok(&["delete", "cm", "conf", "--timeout=20s"], None).await });
    eventually(10, "deletion started", || async {
        cms.get("conf").await.unwrap().metadata.deletion_timestamp.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!deleting.is_finished(), "kubectl waits while finalizers hold the object");
    cms.patch("conf", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}}))).await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), deleting).await.unwrap().unwrap();
    assert!(out.contains("deleted"), "{out}");
    k.ok(&["delete", "deployment", "web"], None).await;
    assert!(emu.object("apps", "deployments", "default", "web").is_none());
}

#[tokio::test]
async fn kubectl_rollout_restart_bumps_the_template() {
    let (emu, client) = start().await;
    let k = Kubectl::new(&emu);
    k.ok(&["apply", "-f", "-"], Some(DEPLOYMENT)).await;
    k.ok(&["rollout", "restart", "deployment/web"], None).await;
    let d = Api::<Deployment>::default_namespaced(client).get("web").await.unwrap();
    assert_eq!(d.metadata.generation, Some(2));
    let annotations = d.spec.template.metadata.unwrap().annotations.unwrap();
    assert!(annotations.contains_key("kubectl.kubernetes.io/restartedAt"));
}

#[tokio::test]
async fn kubectl_generators_send_protobuf_and_get_a_clear_415() {
    let (emu, _) = start().await;
    let k = Kubectl::new(&emu);
    let out = k.run(&["create", "configmap", "x", "--from-literal=a=b"], None).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("protobuf") || err.contains("unknown format"), "{err}");
    assert!(emu.object("", "configmaps", "default", "x").is_none());
}

#[tokio::test]
async fn helm_template_piped_to_kubectl_apply_creates_the_chart_objects() {
    let (emu, client) = start().await;
    let helm = std::env::var_os("KUBESEAL_HELM").expect("KUBESEAL_HELM is not set: run scripts/install-test-deps");
    let chart = common::scratch_dir("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 0.1.0\n").unwrap();
    std::fs::write(chart.join("values.yaml"), "greeting: hello\n").unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-conf\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
    )
    .unwrap();
    let out = std::process::Command::new(helm)
        .args(["template", "demo"])
        .arg(&chart)
        .args(["--set", "greeting=hi"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let k = Kubectl::new(&emu);
    k.ok(&["apply", "-n", "default", "-f", "-"], Some(&String::from_utf8_lossy(&out.stdout))).await;
    let cm = Api::<ConfigMap>::default_namespaced(client).get("demo-conf").await.unwrap();
    assert_eq!(cm.data.unwrap()["greeting"], "hi");
}
