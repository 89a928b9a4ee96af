//! End to end: key renewal and bring-your-own keys, the HTTP API through the service proxy
//! (verify, rotate and the CVE-2026-22728 scope-widening attempt), two replicas with leader
//! election, and injected API faults. Debug logs are captured and checked for plaintext.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use kube::api::{Api, DeleteParams, PostParams};
use kubeseal_crds::k8s::Secret;
use kubeseal_sealing::{Certificate, CertificateParams, Recipient, RsaKeySize, RsaPrivateKey, Scope};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const NS: &str = "default";
const MARKER: &str = "PLAINTEXT-MARKER-93ac1e";

fn value(tag: &str) -> String {
    format!("{MARKER}-{tag}")
}

fn assert_logs_clean(controllers: &[&Controller]) {
    for c in controllers {
        let logs = c.logs();
        assert!(logs.contains("DEBUG"), "debug logs captured for {}", c.name);
        assert!(!logs.contains(MARKER), "plaintext in the logs of {}:\n{logs}", c.name);
    }
}

async fn assert_cluster_clean(cluster: &Cluster) {
    for ns in [NS, CONTROLLER_NS, "elsewhere"] {
        for kind in ["events", "sealedsecrets"] {
            let out = cluster.kubectl.run(&["get", kind, "-n", ns, "-o", "json"], None).await;
            assert!(!String::from_utf8_lossy(&out.stdout).contains(MARKER), "plaintext in {kind} of {ns}");
        }
    }
}

async fn wait_synced(cluster: &Cluster, ns: &str, name: &str) {
    cluster
        .kubectl
        .ok(&["wait", "--for=condition=Synced", &format!("sealedsecret/{name}"), "-n", ns, "--timeout=60s"], None)
        .await;
}

async fn key_secret_names(cluster: &Cluster) -> Vec<String> {
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), CONTROLLER_NS);
    let list = secrets
        .list(&kube::api::ListParams::default().labels("sealedsecrets.bitnami.com/sealed-secrets-key=active"))
        .await
        .unwrap();
    list.items.into_iter().filter_map(|s| s.metadata.name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_keeps_old_objects_working_and_user_keys_are_picked_up_live() {
    let cluster = Cluster::start().await;
    let controller = cluster.controller("solo", &["--key-renew-period=3s"]).await;
    let first = cluster.fetch_cert().await;
    let old = common::seal(Recipient::V1(&first), NS, "old", &[("v", &value("old"))]);
    cluster.apply(&old).await;
    wait_synced(&cluster, NS, "old").await;

    // Renewal: a new key becomes active; a new object sealed to the old key still unseals.
    eventually(30, "a renewed key is active", || async { cluster.fetch_cert().await != first }).await;
    assert!(key_secret_names(&cluster).await.len() >= 2, "old key Secrets are kept");
    let late = common::seal(Recipient::V1(&first), NS, "late", &[("v", &value("late"))]);
    cluster.apply(&late).await;
    wait_synced(&cluster, NS, "late").await;
    assert_eq!(data_of(&cluster.secret(NS, "late").await.unwrap())["v"], value("late"));

    // Bring your own key while running: a key Secret in upstream's layout, no restart.
    let rsa = RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap();
    let far_future = SystemTime::now() + Duration::from_secs(3650 * 86_400);
    let cert =
        Certificate::self_signed(&rsa, &CertificateParams { not_before: far_future, ..Default::default() }).unwrap();
    let byo = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "my-own-key", "namespace": CONTROLLER_NS,
                     "labels": {"sealedsecrets.bitnami.com/sealed-secrets-key": "active"}},
        "stringData": {"tls.key": rsa.to_pkcs1_pem().unwrap().expose_secret(), "tls.crt": cert.to_pem()}
    });
    cluster.apply(&byo).await;
    let byo_rv = cluster.secret(CONTROLLER_NS, "my-own-key").await.unwrap().metadata.resource_version;
    // Its NotBefore is the newest, so it becomes the sealing key (CertNotBefore ordering).
    eventually(30, "the user's key is served", || async { &cluster.fetch_cert().await == cert.public_key() }).await;
    cluster.apply(&common::seal(Recipient::V1(cert.public_key()), NS, "byo", &[("v", &value("byo"))])).await;
    wait_synced(&cluster, NS, "byo").await;
    assert_eq!(data_of(&cluster.secret(NS, "byo").await.unwrap())["v"], value("byo"));
    let after = cluster.secret(CONTROLLER_NS, "my-own-key").await.unwrap();
    assert_eq!(after.metadata.resource_version, byo_rv, "a user's key Secret is never modified");

    assert_logs_clean(&[&controller]);
    assert_cluster_clean(&cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_rotate_through_the_service_proxy_refuse_scope_widening() {
    let cluster = Cluster::start().await;
    let controller = cluster.controller("solo", &[]).await;
    let key = cluster.fetch_cert().await;
    let proxy = format!("/api/v1/namespaces/{CONTROLLER_NS}/services/http:{SERVICE}:/proxy");
    let sealed = common::seal(Recipient::V1(&key), NS, "db", &[("password", &value("db"))]);
    let body = cluster.dir.join("body.json");

    // verify: 200 for a SealedSecret that opens, 409 when moved (kubectl create --raw POSTs).
    let verify = |doc: Value| {
        let body = body.clone();
        let cluster = &cluster;
        let proxy = proxy.clone();
        async move {
            std::fs::write(&body, doc.to_string()).unwrap();
            cluster
                .kubectl
                .run(&["create", "--raw", &format!("{proxy}/v1/verify"), "-f", body.to_str().unwrap()], None)
                .await
        }
    };
    assert!(verify(sealed.clone()).await.status.success(), "verify accepts a good SealedSecret");
    let mut moved = sealed.clone();
    moved["metadata"]["namespace"] = json!("elsewhere");
    let refused = verify(moved).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(stderr.contains("409") || stderr.contains("onflict"), "409 for a moved SealedSecret: {stderr}");

    // rotate: the values are re-sealed, still strict-scoped to default/db.
    std::fs::write(&body, sealed.to_string()).unwrap();
    let rotated = cluster
        .kubectl
        .ok(&["create", "--raw", &format!("{proxy}/v1/rotate"), "-f", body.to_str().unwrap()], None)
        .await;
    let rotated: Value = serde_json::from_str(&rotated).expect("rotate returns JSON");
    assert_ne!(rotated["spec"]["encryptedData"]["password"], sealed["spec"]["encryptedData"]["password"]);
    let mut applied = rotated.clone();
    applied["apiVersion"] = json!("bitnami.com/v1alpha1");
    applied["kind"] = json!("SealedSecret");
    cluster.apply(&applied).await;
    wait_synced(&cluster, NS, "db").await;
    assert_eq!(data_of(&cluster.secret(NS, "db").await.unwrap())["password"], value("db"));

    // CVE-2026-22728: claim cluster-wide scope in the template metadata and ask for a rotation.
    // The re-sealed value must stay bound to default/db: moved elsewhere as cluster-wide, it fails.
    let mut attack = sealed.clone();
    attack["spec"]["template"]["metadata"]["annotations"] = json!({"sealedsecrets.bitnami.com/cluster-wide": "true"});
    std::fs::write(&body, attack.to_string()).unwrap();
    let out = cluster
        .kubectl
        .run(&["create", "--raw", &format!("{proxy}/v1/rotate"), "-f", body.to_str().unwrap()], None)
        .await;
    // Our rotate answers (it never trusts the template) with the claim overwritten by the
    // top-level metadata.
    assert!(out.status.success(), "rotate: {}", String::from_utf8_lossy(&out.stderr));
    {
        let mut stolen: Value = serde_json::from_slice(&out.stdout).expect("json");
        let claims = &stolen["spec"]["template"]["metadata"]["annotations"]["sealedsecrets.bitnami.com/cluster-wide"];
        assert!(claims.is_null(), "the template no longer claims cluster-wide scope: {stolen}");
        stolen["apiVersion"] = json!("bitnami.com/v1alpha1");
        stolen["kind"] = json!("SealedSecret");
        stolen["metadata"] = json!({"name": "stolen", "namespace": "elsewhere",
            "annotations": {"sealedsecrets.bitnami.com/cluster-wide": "true"}});
        stolen["spec"]["template"]["metadata"] = json!({"name": "stolen", "namespace": "elsewhere"});
        cluster.namespace("elsewhere").await;
        cluster.apply(&stolen).await;
        eventually(30, "the widened copy is refused", || async {
            cluster.synced("elsewhere", "stolen").await.is_some_and(|(s, _)| s == "False")
        })
        .await;
        assert!(cluster.secret("elsewhere", "stolen").await.is_none(), "no Secret from a widened copy");
    }
    // And the top-level claim alone does not open a strict value either.
    let mut top = sealed.clone();
    top["metadata"]["annotations"] = json!({"sealedsecrets.bitnami.com/cluster-wide": "true"});
    assert!(!verify(top).await.status.success(), "a strict value does not verify as cluster-wide");

    // Metrics carry upstream's names.
    let metrics = controller.metrics_text().await;
    for name in [
        "sealed_secrets_controller_unseal_requests_total",
        "sealed_secrets_controller_http_requests_total",
        "sealed_secrets_controller_condition_info",
    ] {
        assert!(metrics.contains(name), "{name} in /metrics");
    }
    assert_logs_clean(&[&controller]);
    assert_cluster_clean(&cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_one_writer_and_takeover_within_15_seconds() {
    let cluster = Cluster::start().await;
    let mut a = cluster.controller("replica-a", &[]).await;
    let mut b = cluster.controller("replica-b", &[]).await;
    eventually(30, "one replica leads", || async { a.is_leader().await || b.is_leader().await }).await;
    for _ in 0..10 {
        assert!(!(a.is_leader().await && b.is_leader().await), "two leaders at once");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every replica serves the same public key.
    let (ca, cb) = (a.get("/v1/cert.pem").await.unwrap(), b.get("/v1/cert.pem").await.unwrap());
    assert_eq!(ca, cb, "both replicas serve the active certificate");
    let key = cluster.fetch_cert().await;

    cluster.emu.clear_requests();
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "one", &[("v", &value("one"))])).await;
    wait_synced(&cluster, NS, "one").await;

    let (leader, follower) = if a.is_leader().await { (&mut a, &mut b) } else { (&mut b, &mut a) };
    leader.kill();
    let lost_at = Instant::now();
    eventually(20, "the follower takes over", || async { follower.is_leader().await }).await;
    let takeover = lost_at.elapsed();
    assert!(takeover <= Duration::from_secs(15), "takeover took {takeover:?}");
    // The follower now writes.
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "two", &[("v", &value("two"))])).await;
    wait_synced(&cluster, NS, "two").await;

    // No conflicting writes: each Secret was created once, never updated, never refused.
    let creates: Vec<_> = cluster
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.verb == "create" && r.resource == "secrets" && r.path.contains("/namespaces/default/"))
        .collect();
    assert_eq!(creates.len(), 2, "one create per Secret: {creates:?}");
    assert_eq!(cluster.emu.request_count("update", "secrets"), 0);
    assert_logs_clean(&[&a, &b]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_converge_and_lose_nothing() {
    let cluster = Cluster::start().await;
    let controller = cluster.controller("solo", &[]).await;
    let key = cluster.fetch_cert().await;

    // Server errors and conflicts on the Secret writes and status.
    cluster.emu.fail_next(Some("create"), Some("secrets"), 3, 500);
    cluster.emu.fail_next(Some("patch"), Some("sealedsecrets/status"), 2, 409);
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "a", &[("v", &value("a1"))])).await;
    wait_synced(&cluster, NS, "a").await;
    assert_eq!(data_of(&cluster.secret(NS, "a").await.unwrap())["v"], value("a1"));

    cluster.emu.fail_next(Some("update"), Some("secrets"), 2, 409);
    cluster.emu.fail_next(Some("get"), Some("secrets"), 2, 500);
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "a", &[("v", &value("a2"))])).await;
    eventually(60, "the update lands despite conflicts", || async {
        cluster.secret(NS, "a").await.is_some_and(|s| data_of(&s)["v"] == value("a2"))
    })
    .await;

    // Dropped watches with history compacted (410 on re-watch), and a Secret deleted meanwhile.
    cluster.emu.compact_history();
    cluster.emu.drop_watches();
    Api::<Secret>::namespaced(cluster.client.clone(), NS).delete("a", &DeleteParams::default()).await.unwrap();
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "b", &[("v", &value("b"))])).await;
    eventually(60, "the deleted Secret is recreated after the watch gap", || async {
        cluster.secret(NS, "a").await.is_some_and(|s| data_of(&s)["v"] == value("a2"))
    })
    .await;
    wait_synced(&cluster, NS, "b").await;

    // Nothing lost: a user's unmanaged Secret is untouched through all of it.
    let mine: Secret =
        serde_json::from_value(json!({"metadata": {"name": "user-owned"}, "stringData": {"k": "x"}})).unwrap();
    Api::<Secret>::namespaced(cluster.client.clone(), NS).create(&PostParams::default(), &mine).await.unwrap();
    cluster.emu.fail_next(Some("get"), Some("secrets"), 1, 500);
    cluster.apply(&common::seal(Recipient::V1(&key), NS, "user-owned", &[("k", &value("nope"))])).await;
    eventually(30, "Synced=False for the unmanaged Secret", || async {
        cluster.synced(NS, "user-owned").await.is_some_and(|(s, _)| s == "False")
    })
    .await;
    assert_eq!(data_of(&cluster.secret(NS, "user-owned").await.unwrap())["k"], "x");
    assert_logs_clean(&[&controller]);
    assert_cluster_clean(&cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_values_unseal_where_their_scope_allows() {
    let cluster = Cluster::start().await;
    let controller = cluster.controller("solo", &[]).await;
    let key = cluster.fetch_cert().await;
    cluster.namespace("elsewhere").await;
    let mut wide =
        common::seal_with(Recipient::V1(&key), NS, "anyname", &[("v", &value("cw"))], Scope::ClusterWide, json!({}));
    // A cluster-wide value may be applied under any name and namespace.
    wide["metadata"]["name"] = json!("renamed");
    wide["metadata"]["namespace"] = json!("elsewhere");
    wide["spec"]["template"]["metadata"]["name"] = json!("renamed");
    wide["spec"]["template"]["metadata"]["namespace"] = json!("elsewhere");
    cluster.apply(&wide).await;
    wait_synced(&cluster, "elsewhere", "renamed").await;
    assert_eq!(data_of(&cluster.secret("elsewhere", "renamed").await.unwrap())["v"], value("cw"));
    assert_logs_clean(&[&controller]);
}
