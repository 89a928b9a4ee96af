//! End to end: the `kubeseal-controller` binary against the emulator, driven with the real
//! kubectl, sealing with the certificate fetched through the API server's service proxy.
//!
//! Each test writes a plaintext marker into its Secrets and, at the end, checks that the marker
//! never appears in the controller's (debug) logs, in events or in status.

mod common;

use std::time::Duration;

use common::*;
use kube::api::{Api, DeleteParams, PostParams};
use kubeseal_crds::k8s::Secret;
use kubeseal_sealing::{Recipient, Scope};
use serde_json::json;

const NS: &str = "default";
const MARKER: &str = "PLAINTEXT-MARKER-5e1f0c";

/// The marker (and its base64 forms) appears nowhere but in Secret data.
async fn assert_no_leak(cluster: &Cluster, controllers: &[&Controller]) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(MARKER);
    for c in controllers {
        let logs = c.logs();
        assert!(!logs.contains(MARKER), "plaintext in the logs of {}:\n{logs}", c.name);
        assert!(!logs.contains(&b64), "base64 plaintext in the logs of {}", c.name);
        assert!(logs.contains("DEBUG"), "the leak check needs debug logs");
    }
    for ns in [NS, "other", CONTROLLER_NS] {
        let events = cluster.kubectl.ok(&["get", "events", "-n", ns, "-o", "json"], None).await;
        assert!(!events.contains(MARKER), "plaintext in events");
        let sealed = cluster.kubectl.ok(&["get", "sealedsecrets", "-n", ns, "-o", "json"], None).await;
        assert!(!sealed.contains(MARKER), "plaintext in a SealedSecret (status)");
    }
}

fn secret_value(tag: &str) -> String {
    format!("{MARKER}-{tag}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_apply_wait_update_delete_and_recreate() {
    let cluster = Cluster::start().await;
    let controller = cluster.controller("solo", &[]).await;
    let key = cluster.fetch_cert().await;

    let password = secret_value("pw1");
    let manifest = common::seal_with(
        Recipient::V1(&key),
        NS,
        "db",
        &[("password", &password), ("user", "admin")],
        Scope::Strict,
        json!({
            "type": "kubernetes.io/basic-auth",
            "metadata": {"labels": {"app": "db"}, "annotations": {"team": "payments"}},
            "data": {"dsn": "postgres://{{ .user }}:{{ .password }}@db"}
        }),
    );
    cluster.apply(&manifest).await;
    cluster.kubectl.ok(&["wait", "--for=condition=Synced", "sealedsecret/db", "-n", NS, "--timeout=60s"], None).await;

    let secret = cluster.secret(NS, "db").await.expect("the Secret exists");
    let data = data_of(&secret);
    assert_eq!(data["password"], password);
    assert_eq!(data["user"], "admin");
    assert_eq!(data["dsn"], format!("postgres://admin:{password}@db"));
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/basic-auth"));
    assert_eq!(secret.metadata.labels.as_ref().unwrap()["app"], "db");
    assert_eq!(secret.metadata.annotations.as_ref().unwrap()["team"], "payments");
    assert_eq!(controller_owner(&secret), Some(("SealedSecret".into(), "db".into())));
    let sealed = cluster.sealed(NS, "db").await;
    assert_eq!(sealed["status"]["observedGeneration"], sealed["metadata"]["generation"]);
    assert!(
        cluster.events(NS).await.iter().any(|(t, r, _, o)| t == "Normal" && r == "Unsealed" && o == "db"),
        "an Unsealed event"
    );

    // Update: a new value is unsealed into the same Secret.
    let password2 = secret_value("pw2");
    // (Same type: the API server refuses to change a Secret's type.)
    let manifest = common::seal_with(
        Recipient::V1(&key),
        NS,
        "db",
        &[("password", &password2)],
        Scope::Strict,
        json!({"type": "kubernetes.io/basic-auth"}),
    );
    cluster.apply(&manifest).await;
    eventually(30, "the Secret has the new value", || async {
        cluster.secret(NS, "db").await.is_some_and(|s| data_of(&s).get("password") == Some(&password2))
    })
    .await;

    // A deleted Secret comes back.
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), NS);
    let old_uid = cluster.secret(NS, "db").await.unwrap().metadata.uid;
    secrets.delete("db", &DeleteParams::default()).await.expect("delete the Secret");
    eventually(30, "the Secret is recreated", || async {
        cluster.secret(NS, "db").await.is_some_and(|s| s.metadata.uid != old_uid)
    })
    .await;

    // Deleting the SealedSecret garbage-collects the Secret (owner reference).
    cluster.kubectl.ok(&["delete", "sealedsecret", "db", "-n", NS], None).await;
    eventually(30, "the Secret is garbage-collected", || async { cluster.secret(NS, "db").await.is_none() }).await;

    assert_no_leak(&cluster, &[&controller]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_objects_fail_and_unmanaged_secrets_are_not_overwritten() {
    let cluster = Cluster::start().await;
    let controller = cluster.controller("solo", &[]).await;
    let key = cluster.fetch_cert().await;
    cluster.namespace("other").await;

    // Sealed for default/db, applied as other/db: the strict scope refuses it.
    let mut moved = common::seal(Recipient::V1(&key), NS, "db", &[("password", &secret_value("moved"))]);
    moved["metadata"]["namespace"] = json!("other");
    moved["spec"]["template"]["metadata"]["namespace"] = json!("other");
    cluster.apply(&moved).await;
    eventually(30, "Synced=False on the moved object", || async {
        cluster.synced("other", "db").await.is_some_and(|(s, m)| s == "False" && m.contains("no key could decrypt"))
    })
    .await;
    let events = cluster.events("other").await;
    assert!(
        events.iter().any(|(t, r, m, _)| t == "Warning" && r == "ErrUnsealFailed" && m.starts_with("Failed to unseal")),
        "an ErrUnsealFailed event: {events:?}"
    );
    assert!(cluster.secret("other", "db").await.is_none(), "no Secret written");

    // An unmanaged Secret in the way is left alone.
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), NS);
    let mine: Secret = serde_json::from_value(json!({
        "metadata": {"name": "mine"}, "stringData": {"k": "user's own value"}
    }))
    .unwrap();
    secrets.create(&PostParams::default(), &mine).await.unwrap();
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "mine", &[("k", &secret_value("mine"))])).await;
    eventually(30, "Synced=False: not managed", || async {
        cluster
            .synced(NS, "mine")
            .await
            .is_some_and(|(s, m)| s == "False" && m.contains("is not managed by SealedSecret"))
    })
    .await;
    let kept = cluster.secret(NS, "mine").await.unwrap();
    assert_eq!(data_of(&kept)["k"], "user's own value");
    assert!(controller_owner(&kept).is_none());

    // With `managed: "true"` an existing Secret is adopted.
    let adopt: Secret = serde_json::from_value(json!({
        "metadata": {"name": "adopt", "annotations": {"sealedsecrets.bitnami.com/managed": "true"}},
        "stringData": {"k": "old"}
    }))
    .unwrap();
    secrets.create(&PostParams::default(), &adopt).await.unwrap();
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "adopt", &[("k", &secret_value("adopted"))])).await;
    eventually(30, "the managed Secret is adopted", || async {
        cluster.secret(NS, "adopt").await.is_some_and(|s| {
            data_of(&s)["k"] == secret_value("adopted") && controller_owner(&s).is_some_and(|(_, n)| n == "adopt")
        })
    })
    .await;

    assert_no_leak(&cluster, &[&controller]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_envelopes_unseal_and_restart_writes_nothing() {
    let cluster = Cluster::start().await;
    let mut controller = cluster.controller("first", &[]).await;
    let v1 = cluster.fetch_cert().await;
    let v2 = cluster.fetch_v2_key().await;
    for i in 0..5 {
        let name = format!("s{i}");
        let recipient = if i % 2 == 0 { Recipient::V2(&v2) } else { Recipient::V1(&v1) };
        cluster.apply(&common::seal(recipient, NS, &name, &[("v", &secret_value(&name))])).await;
    }
    for i in 0..5 {
        let name = format!("s{i}");
        cluster
            .kubectl
            .ok(&["wait", "--for=condition=Synced", &format!("sealedsecret/{name}"), "-n", NS, "--timeout=60s"], None)
            .await;
        assert_eq!(data_of(&cluster.secret(NS, &name).await.unwrap())["v"], secret_value(&name));
    }
    let metrics = controller.metrics_text().await;
    assert!(metrics.contains("sealed_secrets_controller_unseal_duration_seconds_count{envelope=\"v2\"}"), "{metrics}");

    controller.stop();
    let before = cluster.emu.resource_version();
    let versions: Vec<_> = cluster_secret_versions(&cluster).await;
    cluster.emu.clear_requests();
    let restarted = cluster.controller("second", &[]).await;
    // Every object is processed once at start-up: wait for its Unsealed pass to show in metrics.
    eventually(30, "the restarted controller processed every object", || async {
        restarted.metrics_text().await.lines().any(|l| {
            l.starts_with("sealed_secrets_controller_unseal_requests_total")
                && l.split_whitespace().last().and_then(|v| v.parse::<f64>().ok()).is_some_and(|v| v >= 5.0)
        })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(cluster_secret_versions(&cluster).await, versions, "no Secret was written");
    for verb in ["create", "update", "patch"] {
        assert_eq!(cluster.emu.request_count(verb, "secrets"), 0, "no Secret {verb} after a restart");
        assert_eq!(cluster.emu.request_count(verb, "sealedsecrets/status"), 0, "no status {verb} after a restart");
    }
    assert!(cluster.emu.resource_version() >= before);

    assert_no_leak(&cluster, &[&controller, &restarted]).await;
}

async fn cluster_secret_versions(cluster: &Cluster) -> Vec<(String, String)> {
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), NS);
    let mut v: Vec<_> = secrets
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| (s.metadata.name.unwrap_or_default(), s.metadata.resource_version.unwrap_or_default()))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_passes_repair_an_edited_secret() {
    let cluster = Cluster::start().await;
    let controller = cluster.controller("solo", &["--resync-period=2s"]).await;
    let key = cluster.fetch_cert().await;
    let password = secret_value("drift");
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "drift", &[("password", &password)])).await;
    cluster
        .kubectl
        .ok(&["wait", "--for=condition=Synced", "sealedsecret/drift", "-n", NS, "--timeout=60s"], None)
        .await;
    // Someone edits the produced Secret by hand.
    cluster
        .kubectl
        .ok(&["patch", "secret", "drift", "-n", NS, "--type=merge", "-p", r#"{"data":{"password":"aGFja2Vk"}}"#], None)
        .await;
    assert_eq!(data_of(&cluster.secret(NS, "drift").await.unwrap())["password"], "hacked");
    eventually(30, "the periodic pass restores the sealed value", || async {
        cluster.secret(NS, "drift").await.is_some_and(|s| data_of(&s)["password"] == password)
    })
    .await;
    // Quiet passes emit no new events: one Unsealed (count 1) for the creation, one for the repair.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let out = cluster.kubectl.ok(&["get", "events", "-n", NS, "-o", "json"], None).await;
    let events: serde_json::Value = serde_json::from_str(&out).unwrap();
    let unsealed: i64 = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "Unsealed" && e["involvedObject"]["name"] == "drift")
        .map(|e| e["count"].as_i64().unwrap_or(1))
        .sum();
    assert_eq!(unsealed, 2, "Unsealed for the first pass and the repair only: {out}");
    assert_no_leak(&cluster, &[&controller]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_label_selector_and_old_gc_behavior_flags() {
    let cluster = Cluster::start().await;
    cluster.namespace("team-a").await;
    cluster.namespace("team-b").await;
    // Own namespace plus team-a only; only objects labelled shard=one; explicit deletion of
    // Secrets whose SealedSecret is deleted.
    let controller = cluster
        .controller("solo", &["--additional-namespaces=team-a", "--label-selector=shard=one", "--old-gc-behavior=true"])
        .await;
    let key = cluster.fetch_cert().await;
    let labelled = |ns: &str, name: &str| {
        let mut m = common::seal_with(
            Recipient::V1(&key),
            ns,
            name,
            &[("v", &secret_value(name))],
            Scope::Strict,
            // No owner reference: only --old-gc-behavior removes this Secret; `managed` lets the
            // controller keep updating it.
            json!({"metadata": {"annotations": {
                "sealedsecrets.bitnami.com/skip-set-owner-references": "true",
                "sealedsecrets.bitnami.com/managed": "true"
            }}}),
        );
        m["metadata"]["labels"] = json!({"shard": "one"});
        m
    };
    cluster.apply(&labelled("team-a", "watched")).await;
    cluster.apply(&labelled("team-b", "elsewhere")).await;
    let mut unlabelled = labelled("team-a", "unlabelled");
    unlabelled["metadata"]["labels"] = json!({"shard": "two"});
    cluster.apply(&unlabelled).await;

    cluster
        .kubectl
        .ok(&["wait", "--for=condition=Synced", "sealedsecret/watched", "-n", "team-a", "--timeout=60s"], None)
        .await;
    let secret = cluster.secret("team-a", "watched").await.expect("unsealed in a watched namespace");
    assert!(controller_owner(&secret).is_none(), "skip-set-owner-references");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(cluster.secret("team-b", "elsewhere").await.is_none(), "team-b is not watched");
    assert!(cluster.synced("team-b", "elsewhere").await.is_none(), "no status outside the watched namespaces");
    assert!(cluster.secret("team-a", "unlabelled").await.is_none(), "the label selector filters");

    cluster.kubectl.ok(&["delete", "sealedsecret", "watched", "-n", "team-a"], None).await;
    eventually(30, "--old-gc-behavior deletes the Secret", || async {
        cluster.secret("team-a", "watched").await.is_none()
    })
    .await;

    // But never a Secret the SealedSecret did not manage (upstream deletes it by name).
    cluster
        .apply(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "foreign", "namespace": "team-a"},
            "stringData": {"k": "the user's"}}))
        .await;
    let mut foreign = common::seal(Recipient::V1(&key), "team-a", "foreign", &[("k", &secret_value("foreign"))]);
    foreign["metadata"]["labels"] = json!({"shard": "one"});
    cluster.apply(&foreign).await;
    eventually(30, "the unmanaged Secret is refused", || async {
        cluster.synced("team-a", "foreign").await.is_some_and(|(s, _)| s == "False")
    })
    .await;
    cluster.kubectl.ok(&["delete", "sealedsecret", "foreign", "-n", "team-a"], None).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let kept = cluster.secret("team-a", "foreign").await.expect("the user's Secret survives");
    assert_eq!(data_of(&kept)["k"], "the user's");
    assert_no_leak(&cluster, &[&controller]).await;
}
