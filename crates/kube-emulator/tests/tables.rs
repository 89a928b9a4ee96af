//! `kubectl get` tables printed by the real kubectl v1.37.1: the columns kube-apiserver's printers
//! define for built-in kinds, and ages (not raw timestamps) in `date` columns of custom resources.

mod common;

use common::{Kubectl, start};

/// The header and rows of `kubectl get` output, cells split at runs of two or more spaces (column
/// names such as `LAST SEEN` contain single spaces).
fn parse(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect())
        .collect()
}

/// A fresh object's age: a number of seconds.
fn is_fresh_age(cell: &str) -> bool {
    cell.strip_suffix('s').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

async fn get(k: &Kubectl, args: &[&str]) -> Vec<Vec<String>> {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    parse(&k.ok(&full, None).await)
}

const OBJECTS: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
stringData: {user: admin, password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf, namespace: default}
data: {a: "1", b: "2", c: "3"}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: leader, namespace: default}
spec: {holderIdentity: controller-0}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: ClusterIP
  selector: {app: web}
  ports: [{port: 80, protocol: TCP}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: default}
"#;

#[tokio::test]
async fn built_in_kinds_print_the_api_servers_columns_and_ages() {
    let (emu, _) = start().await;
    let k = Kubectl::new(&emu);
    k.ok(&["apply", "-f", "-"], Some(OBJECTS)).await;

    let t = get(&k, &["secrets", "creds"]).await;
    assert_eq!(t[0], ["NAME", "TYPE", "DATA", "AGE"], "{t:?}");
    assert_eq!(t[1][..3], ["creds", "Opaque", "2"], "{t:?}");
    assert!(is_fresh_age(&t[1][3]), "{t:?}");

    let t = get(&k, &["configmaps", "conf"]).await;
    assert_eq!(t[0], ["NAME", "DATA", "AGE"], "{t:?}");
    assert_eq!(t[1][..2], ["conf", "3"], "{t:?}");
    assert!(is_fresh_age(&t[1][2]), "{t:?}");

    let t = get(&k, &["leases", "leader"]).await;
    assert_eq!(t[0], ["NAME", "HOLDER", "AGE"], "{t:?}");
    assert_eq!(t[1][..2], ["leader", "controller-0"], "{t:?}");
    assert!(is_fresh_age(&t[1][2]), "{t:?}");

    let t = get(&k, &["serviceaccounts", "robot"]).await;
    assert_eq!(t[0], ["NAME", "SECRETS", "AGE"], "{t:?}");
    assert_eq!(t[1][..2], ["robot", "0"], "{t:?}");

    let t = get(&k, &["services", "web"]).await;
    assert_eq!(t[0], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], "{t:?}");
    assert_eq!(t[1][0], "web");
    assert_eq!(t[1][1], "ClusterIP");
    assert_eq!(t[1][3], "<none>");
    assert_eq!(t[1][4], "80/TCP");
    assert!(is_fresh_age(&t[1][5]), "{t:?}");
    // Priority-1 columns appear only with -o wide.
    let t = get(&k, &["services", "web", "-o", "wide"]).await;
    assert_eq!(t[0], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"], "{t:?}");
    assert_eq!(t[1][6], "app=web");

    let t = get(&k, &["namespaces", "default"]).await;
    assert_eq!(t[0], ["NAME", "STATUS", "AGE"], "{t:?}");
    assert_eq!(t[1][..2], ["default", "Active"], "{t:?}");
}

#[tokio::test]
async fn workloads_and_events_print_their_summaries() {
    let (emu, _) = start().await;
    let k = Kubectl::new(&emu);
    let deployment = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
"#;
    k.ok(&["apply", "-f", "-"], Some(deployment)).await;
    let t = get(&k, &["deployments", "web"]).await;
    assert_eq!(t[0], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], "{t:?}");
    assert_eq!(t[1][0], "web");
    assert!(t[1][1].ends_with("/2"), "{t:?}");
    assert!(is_fresh_age(&t[1][4]), "{t:?}");
    let t = get(&k, &["deployments", "web", "-o", "wide"]).await;
    assert_eq!(t[0][5..], ["CONTAINERS", "IMAGES", "SELECTOR"], "{t:?}");
    assert_eq!(t[1][5..], ["web", "nginx:1.27", "app=web"], "{t:?}");

    let now = kube_emulator::clock::now();
    let event = format!(
        "apiVersion: v1\nkind: Event\nmetadata: {{name: conf.1, namespace: default}}\n\
         involvedObject: {{kind: ConfigMap, name: conf, namespace: default}}\n\
         reason: Synced\nmessage: all good\ntype: Normal\nsource: {{component: tester}}\n\
         firstTimestamp: \"{now}\"\nlastTimestamp: \"{now}\"\ncount: 1\n"
    );
    k.ok(&["apply", "-f", "-"], Some(&event)).await;
    let t = get(&k, &["events"]).await;
    assert_eq!(t[0], ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], "{t:?}");
    assert!(is_fresh_age(&t[1][0]), "{t:?}");
    assert_eq!(t[1][1..], ["Normal", "Synced", "configmap/conf", "all good"], "{t:?}");
}

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: tickets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: tickets, singular: ticket, kind: Ticket}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Expires, type: date, jsonPath: .spec.expires}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              expires: {type: string}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: notes.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: notes, singular: note, kind: Note}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

#[tokio::test]
async fn custom_resource_date_columns_print_ages_and_crds_print_creation_times() {
    let (emu, _) = start().await;
    let k = Kubectl::new(&emu);
    k.ok(&["apply", "-f", "-"], Some(CRD)).await;
    k.ok(
        &["wait", "--for=condition=Established", "crd/tickets.example.com", "crd/notes.example.com", "--timeout=10s"],
        None,
    )
    .await;
    let objects = "apiVersion: example.com/v1\nkind: Ticket\nmetadata: {name: old, namespace: default}\n\
                   spec: {expires: \"2020-01-01T00:00:00Z\"}\n---\n\
                   apiVersion: example.com/v1\nkind: Ticket\nmetadata: {name: bad, namespace: default}\n\
                   spec: {expires: \"next week\"}\n---\n\
                   apiVersion: example.com/v1\nkind: Note\nmetadata: {name: n1, namespace: default}\n";
    k.ok(&["apply", "-f", "-"], Some(objects)).await;

    let t = get(&k, &["tickets"]).await;
    assert_eq!(t[0], ["NAME", "EXPIRES", "AGE"], "{t:?}");
    let bad = t.iter().find(|r| r[0] == "bad").unwrap();
    assert_eq!(bad[1], "<invalid>", "{t:?}");
    assert!(is_fresh_age(&bad[2]), "{t:?}");
    let old = t.iter().find(|r| r[0] == "old").unwrap();
    // More than six years ago: whole years and days, never a timestamp.
    let years = old[1].split_once('y').map(|(y, _)| y.parse::<u32>().unwrap()).unwrap();
    assert!(years >= 6, "{t:?}");
    assert!(!old[1].contains('T') && !old[1].contains(':'), "{t:?}");

    // Without printer columns a CRD version gets the default Age column.
    let t = get(&k, &["notes"]).await;
    assert_eq!(t[0], ["NAME", "AGE"], "{t:?}");
    assert!(is_fresh_age(&t[1][1]), "{t:?}");

    // CRDs themselves have no printer: the default table shows the creation time as RFC 3339.
    let t = get(&k, &["crd", "tickets.example.com"]).await;
    assert_eq!(t[0], ["NAME", "CREATED AT"], "{t:?}");
    let created = &t[1][1];
    assert!(kube_emulator::clock::parse(created).is_some() && created.ends_with('Z'), "{t:?}");
}
