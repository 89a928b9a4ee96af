//! Pieces around the core API: the watch timeout and re-watch without re-list, the
//! `services/proxy` and `serviceaccounts/token` subresources, generation rules of a CRD without
//! a status subresource, and the standalone `kube-emulator` binary driven by kubectl.

mod common;

use std::time::Duration;

use common::{Kubectl, eventually, raw, start};
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::DeleteParams;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::runtime::finalizer::{Error as FinalizerError, Event as FinalizerEvent, finalizer};
use kube::runtime::watcher;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_watch_that_times_out_is_resumed_without_a_re_list() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let mut stream = watcher(cms.clone(), watcher::Config::default().timeout(1)).boxed();
    // Drive the watcher in the background for a few timeouts.
    let task = tokio::spawn(async move { while stream.next().await.is_some() {} });
    eventually(10, "the watcher re-watched twice", || async { emu.request_count("watch", "configmaps") >= 3 }).await;
    assert_eq!(emu.request_count("list", "configmaps"), 1, "a clean timeout close resumes from the cursor");
    let resumed: Vec<_> = emu.requests().into_iter().filter(|r| r.verb == "watch").map(|r| r.query).collect();
    assert!(resumed.iter().all(|q| q.contains("timeoutSeconds=1") && q.contains("resourceVersion=")), "{resumed:?}");
    task.abort();
}

/// A one-route HTTP server standing in for the controller behind a Service.
async fn cert_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap();
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or_default().to_string();
                let body = format!("served {path}");
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                s.write_all(resp.as_bytes()).await.unwrap();
            });
        }
    });
    addr
}

#[tokio::test]
async fn service_proxy_forwards_to_the_registered_address() {
    let (emu, client) = start().await;
    let svc: k8s_openapi::api::core::v1::Service = serde_json::from_value(
        json!({"metadata": {"name": "sealed-secrets-controller"}, "spec": {"ports": [{"port": 8080}]}}),
    )
    .unwrap();
    Api::namespaced(client, "kube-system").create(&PostParams::default(), &svc).await.unwrap();
    let k = Kubectl::new(&emu);
    let path = "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:/proxy/v1/cert.pem";
    let before = k.run(&["get", "--raw", path], None).await;
    assert!(!before.status.success(), "no endpoint registered yet: 503");
    assert!(
        String::from_utf8_lossy(&before.stderr).contains("ServiceUnavailable")
            || String::from_utf8_lossy(&before.stderr).contains("no endpoints")
    );
    emu.register_service_proxy("kube-system", "sealed-secrets-controller", cert_server().await);
    assert_eq!(k.ok(&["get", "--raw", path], None).await, "served /v1/cert.pem");
    let missing = k.run(&["get", "--raw", "/api/v1/namespaces/kube-system/services/absent:8080/proxy/"], None).await;
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("NotFound"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[tokio::test]
async fn service_accounts_issue_tokens() {
    let (emu, client) = start().await;
    let sa: k8s_openapi::api::core::v1::ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "ctrl"}})).unwrap();
    Api::default_namespaced(client).create(&PostParams::default(), &sa).await.unwrap();
    let request =
        r#"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}"#;
    let (code, body) =
        raw(&emu, "POST", "/api/v1/namespaces/default/serviceaccounts/ctrl/token", "application/json", request).await;
    assert_eq!(code, 201, "{body}");
    let tr: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(tr["status"]["token"].as_str().unwrap().starts_with("emulator.default."));
    assert!(tr["status"]["expirationTimestamp"].is_string());
    let (code, _) =
        raw(&emu, "POST", "/api/v1/namespaces/default/serviceaccounts/nobody/token", "application/json", request).await;
    assert_eq!(code, 404, "no token for a missing service account");
    let short = r#"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":60}}"#;
    assert_eq!(
        raw(&emu, "POST", "/api/v1/namespaces/default/serviceaccounts/ctrl/token", "application/json", short).await.0,
        422
    );
    // kubectl's `create token` sends protobuf: refused loudly, never half-understood.
    let out = Kubectl::new(&emu).run(&["create", "token", "ctrl"], None).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("protobuf"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn without_a_status_subresource_a_status_change_bumps_generation() {
    let (_emu, client) = start().await;
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": "plains.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "plains", "singular": "plain", "kind": "Plain"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "properties": {"a": {"type": "string"}}},
                "status": {"type": "object", "properties": {"b": {"type": "string"}}}}}}}]}
    }))
    .unwrap();
    Api::<CustomResourceDefinition>::all(client.clone()).create(&PostParams::default(), &crd).await.unwrap();
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("example.com", "v1", "Plain"), "plains");
    let api: Api<DynamicObject> = Api::namespaced_with(client, "default", &ar);
    let obj: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "example.com/v1", "kind": "Plain", "metadata": {"name": "p"}, "spec": {"a": "x"}}),
    )
    .unwrap();
    let created = api.create(&PostParams::default(), &obj).await.unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    let out = api.patch("p", &PatchParams::default(), &Patch::Merge(json!({"status": {"b": "y"}}))).await.unwrap();
    assert_eq!(out.metadata.generation, Some(2), "status is ordinary content without the subresource");
    assert_eq!(out.data["status"]["b"], "y");
    let out = api
        .patch(
            "p",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"n": "1"}, "finalizers": ["example.com/x"]}})),
        )
        .await
        .unwrap();
    assert_eq!(out.metadata.generation, Some(2), "annotations and finalizers never bump it");
}

#[tokio::test]
async fn the_standalone_binary_serves_kubectl_until_stopped() {
    let dir = common::scratch_dir("standalone");
    let kubeconfig = dir.join("kubeconfig");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kube-emulator"))
        .args(["--port", "0", "--kubeconfig"])
        .arg(&kubeconfig)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    eventually(10, "the kubeconfig is written", || async { kubeconfig.exists() }).await;
    let kubectl =
        std::env::var_os("KUBESEAL_KUBECTL").expect("KUBESEAL_KUBECTL is not set: run scripts/install-test-deps");
    let out = tokio::process::Command::new(kubectl)
        .args(["get", "namespaces", "-o", "name", "--kubeconfig"])
        .arg(&kubeconfig)
        .env("HOME", &dir)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names = String::from_utf8_lossy(&out.stdout);
    for ns in ["namespace/default", "namespace/kube-system", "namespace/kube-public", "namespace/kube-node-lease"] {
        assert!(names.lines().any(|l| l == ns), "{ns} in {names}");
    }
    child.kill().await.unwrap();
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_kube-emulator")).arg("--bogus").output().await.unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown argument"));
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn the_finalizer_helper_reports_a_lost_race_as_add_finalizer() {
    let (_emu, client) = start().await;
    common::install_widget_crd(&client).await;
    let widgets: Api<common::Widget> = Api::default_namespaced(client);
    let stale = widgets
        .create(&PostParams::default(), &common::Widget::new("race", common::WidgetSpec { size: 1, color: None }))
        .await
        .unwrap();
    // Someone else adds a finalizer after our read: the helper's `test` (finalizers are null)
    // fails on the server with 422, and the helper reports AddFinalizer.
    widgets
        .patch(
            "race",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": ["example.com/other"]}})),
        )
        .await
        .unwrap();
    let out = finalizer(
        &widgets,
        "example.com/mine",
        std::sync::Arc::new(stale),
        |_: FinalizerEvent<common::Widget>| async {
            Ok::<_, kube::Error>(kube::runtime::controller::Action::await_change())
        },
    )
    .await;
    match out {
        Err(FinalizerError::AddFinalizer(kube::Error::Api(s))) => {
            assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"))
        }
        other => panic!("expected AddFinalizer(422), got {other:?}"),
    }
    assert_eq!(widgets.get("race").await.unwrap().metadata.finalizers, Some(vec!["example.com/other".to_string()]));
}

#[tokio::test]
async fn server_side_apply_removes_fields_a_manager_stops_applying_unless_shared() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let cfg = |data: serde_json::Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "own"}, "data": data});
    cms.patch("own", &PatchParams::apply("alice"), &Patch::Apply(cfg(json!({"a": "1", "b": "2", "c": "3"}))))
        .await
        .unwrap();
    cms.patch("own", &PatchParams::apply("bob"), &Patch::Apply(cfg(json!({"c": "3"})))).await.unwrap();
    let out = cms.patch("own", &PatchParams::apply("alice"), &Patch::Apply(cfg(json!({"a": "1"})))).await.unwrap();
    let data = out.data.unwrap();
    assert_eq!(data.get("a").map(String::as_str), Some("1"));
    assert!(!data.contains_key("b"), "alice dropped b and nobody else owns it");
    assert_eq!(data.get("c").map(String::as_str), Some("3"), "bob still owns c");
}

#[tokio::test]
async fn strict_validation_refuses_unknown_fields_in_a_patch_with_422() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "strict"}})).unwrap())
        .await
        .unwrap();
    let path = "/api/v1/namespaces/default/configmaps/strict?fieldValidation=Strict";
    let (code, body) = raw(&emu, "PATCH", path, "application/merge-patch+json", r#"{"bogus":{"x":1}}"#).await;
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("unknown field"), "{body}");
    let (code, _) = raw(
        &emu,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/strict",
        "application/merge-patch+json",
        r#"{"bogus":{"x":1}}"#,
    )
    .await;
    assert_eq!(code, 200, "without Strict the field is dropped, not refused");
    assert!(emu.object("", "configmaps", "default", "strict").unwrap().get("bogus").is_none());
}

#[tokio::test]
async fn dry_run_patch_and_delete_leave_no_trace() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "dry"}, "data": {"k": "v"}})).unwrap(),
    )
    .await
    .unwrap();
    let rv = emu.resource_version();
    let out = cms
        .patch("dry", &PatchParams { dry_run: true, ..Default::default() }, &Patch::Merge(json!({"data": {"k": "w"}})))
        .await
        .unwrap();
    assert_eq!(out.data.unwrap()["k"], "w", "the answer shows what would be stored");
    cms.delete("dry", &DeleteParams { dry_run: true, ..Default::default() }).await.unwrap();
    assert_eq!(emu.resource_version(), rv, "nothing was written");
    assert_eq!(cms.get("dry").await.unwrap().data.unwrap()["k"], "v");
}

#[tokio::test]
async fn injected_latency_delays_requests() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    emu.set_latency(Duration::from_millis(300));
    let started = tokio::time::Instant::now();
    assert!(cms.get_opt("absent").await.unwrap().is_none());
    assert!(started.elapsed() >= Duration::from_millis(300), "the request waited for the injected latency");
    emu.set_latency(Duration::ZERO);
}
