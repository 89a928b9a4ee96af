//! API-server semantics the emulator must reproduce, one test per rule (reference
//! `kube-api-emulator.md` §4 and the checklist in §10), through kube-rs and raw HTTP.

mod common;

use std::time::Duration;

use common::{Widget, WidgetSpec, cm, eventually, install_widget_crd, raw, start, status_of};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy, WatchEvent, WatchParams,
};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

// ---- strictness: what a real API server refuses -------------------------------------------

#[tokio::test]
async fn stale_update_is_a_409_conflict_naming_the_plural() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let created = cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    cms.patch("x", &PatchParams::default(), &Patch::Merge(json!({"data": {"k": "w"}}))).await.unwrap();
    let err = status_of(cms.replace("x", &PostParams::default(), &created).await.unwrap_err());
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(err.code, 409);
    assert_eq!(err.details.unwrap().kind, "configmaps");
}

#[tokio::test]
async fn invalid_name_is_a_422_invalid() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let err = status_of(cms.create(&PostParams::default(), &cm("Not_Valid")).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
    assert!(err.message.contains("metadata.name"), "{}", err.message);
    assert!(
        cms.get_opt("Not_Valid").await.is_err() || cms.list(&ListParams::default()).await.unwrap().items.is_empty()
    );
}

#[tokio::test]
async fn missing_namespace_is_a_404_not_found() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client, "nowhere");
    let err = status_of(cms.create(&PostParams::default(), &cm("x")).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (404, "NotFound"));
    assert_eq!(err.message, "namespaces \"nowhere\" not found");
}

#[tokio::test]
async fn protobuf_bodies_are_refused_with_415() {
    let (emu, _client) = start().await;
    let (code, body) = raw(
        &emu,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/vnd.kubernetes.protobuf",
        "k8s\0garbage",
    )
    .await;
    assert_eq!(code, 415);
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["reason"], "UnsupportedMediaType");
    assert!(emu.object("", "configmaps", "default", "x").is_none());
}

// ---- errors and concurrency ----------------------------------------------------------------

#[tokio::test]
async fn get_opt_of_a_missing_object_is_none() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    assert!(cms.get_opt("absent").await.unwrap().is_none());
}

#[tokio::test]
async fn duplicate_create_is_already_exists() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("dup")).await.unwrap();
    let err = status_of(cms.create(&PostParams::default(), &cm("dup")).await.unwrap_err());
    assert_eq!(
        (err.code, err.reason.as_str(), err.message.as_str()),
        (409, "AlreadyExists", "configmaps \"dup\" already exists")
    );
}

#[tokio::test]
async fn a_resource_version_in_a_patch_body_is_a_precondition() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let created = cms.create(&PostParams::default(), &cm("p")).await.unwrap();
    let rv = created.resource_version().unwrap();
    cms.patch("p", &PatchParams::default(), &Patch::Merge(json!({"data": {"k": "1"}}))).await.unwrap();
    let stale = cms
        .patch(
            "p",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"resourceVersion": rv}, "data": {"k": "2"}})),
        )
        .await;
    assert!(status_of(stale.unwrap_err()).is_conflict());
    let fresh = cms.get("p").await.unwrap().resource_version().unwrap();
    cms.patch(
        "p",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"resourceVersion": fresh}, "data": {"k": "2"}})),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn put_without_resource_version_depends_on_the_kind() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    cms.create(&PostParams::default(), &cm("u")).await.unwrap();
    let mut unconditional = cm("u");
    unconditional.data = Some([("k".to_string(), "new".to_string())].into());
    cms.replace("u", &PostParams::default(), &unconditional).await.expect("ConfigMap PUT without RV is unconditional");

    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    widgets.create(&PostParams::default(), &Widget::new("w", WidgetSpec { size: 1, color: None })).await.unwrap();
    let err = status_of(
        widgets
            .replace("w", &PostParams::default(), &Widget::new("w", WidgetSpec { size: 2, color: None }))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));

    let leases: Api<Lease> = Api::default_namespaced(client);
    let lease: Lease =
        serde_json::from_value(json!({"metadata": {"name": "l"}, "spec": {"holderIdentity": "a"}})).unwrap();
    let created = leases.replace("l", &PostParams::default(), &lease).await.expect("PUT of a missing Lease creates it");
    assert_eq!(created.spec.unwrap().holder_identity.as_deref(), Some("a"));
    let err = status_of(leases.replace("l", &PostParams::default(), &lease).await.unwrap_err());
    assert_eq!(err.code, 422, "a Lease PUT without RV is refused once it exists");
}

#[tokio::test]
async fn create_carrying_a_resource_version_is_a_500_and_stores_nothing() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let mut c = cm("rv");
    c.metadata.resource_version = Some("12".into());
    let err = status_of(cms.create(&PostParams::default(), &c).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (500, "InternalError"));
    assert!(emu.object("", "configmaps", "default", "rv").is_none());
}

#[tokio::test]
async fn a_no_op_patch_keeps_the_resource_version_and_sends_no_event() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let mut c = cm("noop");
    c.labels_mut().insert("a".into(), "b".into());
    let created = cms.create(&PostParams::default(), &c).await.unwrap();
    let rv = created.resource_version().unwrap();
    let mut events = cms.watch(&WatchParams::default().timeout(2), &rv).await.unwrap().boxed();
    let patched = cms
        .patch("noop", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})))
        .await
        .unwrap();
    assert_eq!(patched.resource_version().unwrap(), rv);
    // The stream closes at its timeout without having carried any event.
    let seen: Vec<_> = events.by_ref().try_collect().await.unwrap();
    assert!(seen.iter().all(|e| matches!(e, WatchEvent::Bookmark(_))), "no event for a no-op: {}", seen.len());
}

#[tokio::test]
async fn delete_with_a_wrong_uid_precondition_is_a_conflict() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("d")).await.unwrap();
    let dp = DeleteParams {
        preconditions: Some(kube::api::Preconditions { uid: Some("wrong".into()), resource_version: None }),
        ..Default::default()
    };
    assert!(status_of(cms.delete("d", &dp).await.unwrap_err()).is_conflict());
    assert!(cms.get_opt("d").await.unwrap().is_some());
}

#[tokio::test]
async fn an_injected_503_is_retried_by_kube() {
    let (emu, _) = start().await;
    // kube's retry policy comes with clients built from a kubeconfig.
    let client = common::http_client(&emu).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("r")).await.unwrap();
    emu.fail_next(Some("get"), Some("configmaps"), 1, 503);
    assert!(cms.get("r").await.is_ok(), "kube retried after the injected 503");
    assert_eq!(emu.request_count("get", "configmaps"), 2);
}

// ---- watch and list ------------------------------------------------------------------------

#[tokio::test]
async fn list_pages_share_one_resource_version_in_key_order() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    for i in 0..1203 {
        cms.create(&PostParams::default(), &cm(&format!("cm-{i:04}"))).await.unwrap();
    }
    let mut names = Vec::new();
    let mut rvs = Vec::new();
    let mut pages = 0;
    let mut lp = ListParams::default().limit(500);
    loop {
        let page = cms.list(&lp).await.unwrap();
        pages += 1;
        rvs.push(page.metadata.resource_version.clone().unwrap());
        names.extend(page.items.iter().map(|o| o.name_any()));
        // A write between pages does not show up in the later pages of the same list.
        cms.create(&PostParams::default(), &cm(&format!("zz-{pages}"))).await.unwrap();
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => lp = lp.continue_token(&c),
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 1203);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "key order");
    assert!(rvs.iter().all(|r| r == &rvs[0]), "every page reports the first page's RV: {rvs:?}");
}

#[tokio::test]
async fn watch_resumes_from_a_resource_version() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let a = cms.create(&PostParams::default(), &cm("a")).await.unwrap();
    cms.create(&PostParams::default(), &cm("b")).await.unwrap();
    let mut stream =
        cms.watch(&WatchParams::default().timeout(1), &a.resource_version().unwrap()).await.unwrap().boxed();
    let first = stream.try_next().await.unwrap().unwrap();
    match first {
        WatchEvent::Added(o) => assert_eq!(o.name_any(), "b"),
        other => panic!("expected ADDED b, got {other:?}"),
    }
}

#[tokio::test]
async fn watch_lines_are_compact_json_terminated_by_newlines() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let rv = emu.resource_version();
    cms.create(&PostParams::default(), &cm("line-a")).await.unwrap();
    cms.create(&PostParams::default(), &cm("line-b")).await.unwrap();
    let (code, body) = raw(
        &emu,
        "GET",
        &format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1"),
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 200);
    // Chunked framing: take the JSON lines out of the chunks.
    let lines: Vec<&str> = body.lines().filter(|l| l.starts_with('{')).collect();
    assert_eq!(lines.len(), 2, "{body}");
    for l in lines {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["type"], "ADDED");
    }
}

#[tokio::test]
async fn a_too_old_resource_version_is_an_error_event_inside_a_200() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let old = cms.create(&PostParams::default(), &cm("old")).await.unwrap().resource_version().unwrap();
    cms.create(&PostParams::default(), &cm("new")).await.unwrap();
    emu.compact_history();
    let (code, body) = raw(
        &emu,
        "GET",
        &format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={old}"),
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 200);
    let line = body.lines().find(|l| l.starts_with('{')).unwrap();
    let ev: Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        (ev["type"].as_str(), ev["object"]["code"].as_i64(), ev["object"]["reason"].as_str()),
        (Some("ERROR"), Some(410), Some("Expired"))
    );
}

#[tokio::test]
async fn bookmarks_arrive_only_when_asked_for() {
    let config = kube_emulator::Config { bookmark_interval: Duration::from_millis(300), ..Default::default() };
    let (emu, client) = common::start_with(config).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let rv = emu.resource_version().to_string();
    let with: Vec<_> = cms.watch(&WatchParams::default().timeout(1), &rv).await.unwrap().try_collect().await.unwrap();
    assert!(
        with.iter().any(
            |e| matches!(e, WatchEvent::Bookmark(b) if b.types.kind == "ConfigMap" && b.types.api_version == "v1")
        )
    );
    let without: Vec<_> = cms
        .watch(&WatchParams::default().timeout(1).disable_bookmarks(), &rv)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(without.is_empty(), "no bookmark without allowWatchBookmarks");
}

#[tokio::test]
async fn deleted_events_carry_the_deletion_revision() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let c = cms.create(&PostParams::default(), &cm("gone")).await.unwrap();
    let last: u64 = c.resource_version().unwrap().parse().unwrap();
    let mut stream =
        cms.watch(&WatchParams::default().timeout(2), &c.resource_version().unwrap()).await.unwrap().boxed();
    cms.delete("gone", &DeleteParams::default()).await.unwrap();
    match stream.try_next().await.unwrap().unwrap() {
        WatchEvent::Deleted(o) => assert!(o.resource_version().unwrap().parse::<u64>().unwrap() > last),
        other => panic!("expected DELETED, got {other:?}"),
    }
}

#[tokio::test]
async fn relabelling_out_of_a_selector_is_a_deleted_event() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let mut c = cm("sel");
    c.labels_mut().insert("app".into(), "x".into());
    let created = cms.create(&PostParams::default(), &c).await.unwrap();
    let mut stream = cms
        .watch(&WatchParams::default().labels("app=x").timeout(2), &created.resource_version().unwrap())
        .await
        .unwrap()
        .boxed();
    cms.patch("sel", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"app": "y"}}})))
        .await
        .unwrap();
    assert!(matches!(stream.try_next().await.unwrap().unwrap(), WatchEvent::Deleted(_)));
}

#[tokio::test]
async fn streaming_lists_end_initial_events_with_an_annotated_bookmark() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    for n in ["s1", "s2", "s3"] {
        cms.create(&PostParams::default(), &cm(n)).await.unwrap();
    }
    let mut stream = watcher(cms, watcher::Config::default().streaming_lists()).boxed();
    let mut applied = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.try_next()).await.unwrap().unwrap().unwrap() {
            watcher::Event::Init => {}
            watcher::Event::InitApply(_) => applied += 1,
            watcher::Event::InitDone => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(applied, 3);
}

#[tokio::test]
async fn revisions_are_global_across_kinds() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let secrets: Api<Secret> = Api::default_namespaced(client);
    let a: u64 =
        cms.create(&PostParams::default(), &cm("g")).await.unwrap().resource_version().unwrap().parse().unwrap();
    let s: Secret = serde_json::from_value(json!({"metadata": {"name": "g"}, "stringData": {"k": "v"}})).unwrap();
    let b: u64 = secrets.create(&PostParams::default(), &s).await.unwrap().resource_version().unwrap().parse().unwrap();
    assert!(b > a);
}

// ---- patches ---------------------------------------------------------------------------------

#[tokio::test]
async fn merge_patch_replaces_lists_where_strategic_merge_unions_them() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    for name in ["merge", "smp"] {
        let mut c = cm(name);
        c.metadata.finalizers = Some(vec!["example.com/a".into()]);
        cms.create(&PostParams::default(), &c).await.unwrap();
    }
    let p = json!({"metadata": {"finalizers": ["example.com/b"]}});
    let merged = cms.patch("merge", &PatchParams::default(), &Patch::Merge(&p)).await.unwrap();
    assert_eq!(merged.finalizers(), &["example.com/b".to_string()]);
    let smp = cms.patch("smp", &PatchParams::default(), &Patch::Strategic(&p)).await.unwrap();
    // Union, with new items ahead of the live ones the patch does not mention (apimachinery's
    // order; the reference's §4.9 example lists them the other way round).
    assert_eq!(smp.finalizers(), &["example.com/b".to_string(), "example.com/a".to_string()]);
}

#[tokio::test]
async fn strategic_merge_merges_containers_by_name_and_restarts_bump_generation() {
    let (_emu, client) = start().await;
    let deploys: Api<Deployment> = Api::default_namespaced(client);
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "web", "image": "web:v1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "sidecar", "image": "side:v1"}
        ]}}}
    }))
    .unwrap();
    deploys.create(&PostParams::default(), &d).await.unwrap();
    let p = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:v2", "env": [{"name": "A", "$patch": "delete"}]}]}}}});
    let out = deploys.patch("web", &PatchParams::default(), &Patch::Strategic(&p)).await.unwrap();
    let containers = out.spec.template.spec.as_ref().unwrap().containers.clone();
    assert_eq!(
        containers.iter().map(|c| (c.name.as_str(), c.image.as_deref().unwrap())).collect::<Vec<_>>(),
        vec![("web", "web:v2"), ("sidecar", "side:v1")]
    );
    assert_eq!(containers[0].env.as_ref().unwrap().iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), vec!["B"]);
    assert_eq!(out.metadata.generation, Some(2));

    let restart = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-23T00:00:00Z"}}}}});
    let out = deploys.patch("web", &PatchParams::default(), &Patch::Strategic(&restart)).await.unwrap();
    assert_eq!(out.metadata.generation, Some(3));
    let labels_only = deploys
        .patch("web", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})))
        .await
        .unwrap();
    assert_eq!(labels_only.metadata.generation, Some(3), "metadata changes never bump generation");
}

#[tokio::test]
async fn strategic_merge_on_a_custom_resource_is_415() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client);
    widgets.create(&PostParams::default(), &Widget::new("s", WidgetSpec { size: 1, color: None })).await.unwrap();
    let err = status_of(
        widgets.patch("s", &PatchParams::default(), &Patch::Strategic(json!({"spec": {"size": 2}}))).await.unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (415, "UnsupportedMediaType"));
}

#[tokio::test]
async fn a_failed_json_patch_test_is_422() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("jp")).await.unwrap();
    let p: json_patch::Patch = serde_json::from_value(json!([{"op": "test", "path": "/data/k", "value": "other"}, {"op": "replace", "path": "/data/k", "value": "x"}])).unwrap();
    let err = status_of(cms.patch("jp", &PatchParams::default(), &Patch::<()>::Json(p)).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
    assert_eq!(cms.get("jp").await.unwrap().data.unwrap()["k"], "v");
}

// ---- server-side apply ----------------------------------------------------------------------

#[tokio::test]
async fn server_side_apply_tracks_managers_and_conflicts() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let (code, body) = raw(
        &emu,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/ssa",
        "application/apply-patch+yaml",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"}}"#,
    )
    .await;
    assert_eq!(code, 422, "apply without fieldManager: {body}");

    let applied =
        |v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"k": v}});
    let created = cms.patch("ssa", &PatchParams::apply("alice"), &Patch::Apply(applied("1"))).await.unwrap();
    let mf = created.metadata.managed_fields.clone().unwrap();
    assert_eq!((mf[0].manager.as_deref(), mf[0].operation.as_deref()), (Some("alice"), Some("Apply")));

    let err = status_of(cms.patch("ssa", &PatchParams::apply("bob"), &Patch::Apply(applied("2"))).await.unwrap_err());
    assert_eq!(err.code, 409);
    assert!(err.message.contains("alice"), "{}", err.message);
    cms.patch("ssa", &PatchParams::apply("bob"), &Patch::Apply(applied("1")))
        .await
        .expect("the same value is shared, not a conflict");
    let forced = cms.patch("ssa", &PatchParams::apply("bob").force(), &Patch::Apply(applied("2"))).await.unwrap();
    assert_eq!(forced.data.unwrap()["k"], "2");
    let again = cms.patch("ssa", &PatchParams::apply("bob").force(), &Patch::Apply(applied("2"))).await.unwrap();
    assert_eq!(
        again.resource_version(),
        cms.get("ssa").await.unwrap().resource_version(),
        "re-applying the same config is a no-op"
    );
}

// ---- status, generation, deletion ---------------------------------------------------------

#[tokio::test]
async fn status_subresource_splits_spec_and_status_writes() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client);
    let mut w = Widget::new("st", WidgetSpec { size: 1, color: None });
    w.status = Some(common::WidgetStatus { ready: true });
    let created = widgets.create(&PostParams::default(), &w).await.unwrap();
    assert_eq!(created.status, None, "POST drops status");
    let main =
        widgets.patch("st", &PatchParams::default(), &Patch::Merge(json!({"status": {"ready": true}}))).await.unwrap();
    assert_eq!(main.status, None, "the main resource ignores status");
    let st = widgets
        .patch_status(
            "st",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 9}, "status": {"ready": true}})),
        )
        .await
        .unwrap();
    assert_eq!((st.spec.size, st.status.map(|s| s.ready)), (1, Some(true)), "/status ignores spec");
    assert_eq!(st.metadata.generation, Some(1), "status writes do not bump generation");
}

#[tokio::test]
async fn finalizers_hold_deletion_and_no_new_ones_may_be_added() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client);
    let mut w = Widget::new("fin", WidgetSpec { size: 1, color: None });
    w.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    widgets.create(&PostParams::default(), &w).await.unwrap();
    let deleted = widgets.delete("fin", &DeleteParams::default()).await.unwrap();
    let obj = deleted.left().expect("held object comes back");
    assert!(obj.metadata.deletion_timestamp.is_some());
    assert_eq!(obj.metadata.generation, Some(2));
    let err = status_of(
        widgets
            .patch(
                "fin",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}})),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, 422);
    widgets
        .patch("fin", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
        .await
        .unwrap();
    assert!(widgets.get_opt("fin").await.unwrap().is_none());
}

#[tokio::test]
async fn deleting_a_config_map_answers_a_success_status() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("bye")).await.unwrap();
    let status = cms.delete("bye", &DeleteParams::default()).await.unwrap().right().expect("a Status");
    assert_eq!(status.status, Some(kube::core::response::StatusSummary::Success));
}

#[tokio::test]
async fn orphan_and_foreground_propagation() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let owner = cms.create(&PostParams::default(), &cm("owner")).await.unwrap();
    let child = |name: &str, block: bool| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name, "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.uid().unwrap(), "blockOwnerDeletion": block}]}})).unwrap()
    };
    cms.create(&PostParams::default(), &child("orphan-child", false)).await.unwrap();
    cms.delete("owner", &DeleteParams { propagation_policy: Some(PropagationPolicy::Orphan), ..Default::default() })
        .await
        .unwrap();
    eventually(10, "the owner is gone", || async { cms.get_opt("owner").await.unwrap().is_none() }).await;
    let kept = cms.get("orphan-child").await.unwrap();
    assert!(kept.owner_references().is_empty(), "the orphaned child lost its ownerReference");

    let owner = cms.create(&PostParams::default(), &cm("owner")).await.unwrap();
    let mut blocker = child("blocker", true);
    blocker.metadata.owner_references.as_mut().unwrap()[0].uid = owner.uid().unwrap();
    blocker.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    cms.create(&PostParams::default(), &blocker).await.unwrap();
    cms.delete("owner", &DeleteParams::foreground()).await.unwrap();
    eventually(10, "the blocking child is being deleted", || async {
        cms.get("blocker").await.unwrap().metadata.deletion_timestamp.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(cms.get_opt("owner").await.unwrap().is_some(), "the owner waits for its blocking dependent");
    cms.patch("blocker", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
        .await
        .unwrap();
    eventually(10, "the owner goes once the dependent is gone", || async {
        cms.get_opt("owner").await.unwrap().is_none()
    })
    .await;
}

#[tokio::test]
async fn namespace_deletion_empties_it_and_refuses_new_content() {
    let (_emu, client) = start().await;
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "doomed"}})).unwrap();
    nss.create(&PostParams::default(), &ns).await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "doomed");
    let mut held = cm("held");
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    cms.create(&PostParams::default(), &held).await.unwrap();
    cms.create(&PostParams::default(), &cm("plain")).await.unwrap();
    nss.delete("doomed", &DeleteParams::default()).await.unwrap();
    let err = status_of(cms.create(&PostParams::default(), &cm("late")).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (403, "Forbidden"));
    eventually(10, "plain content is removed", || async { cms.get_opt("plain").await.unwrap().is_none() }).await;
    assert_eq!(nss.get("doomed").await.unwrap().status.unwrap().phase.as_deref(), Some("Terminating"));
    cms.patch("held", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}}))).await.unwrap();
    eventually(10, "the namespace goes when empty", || async { nss.get_opt("doomed").await.unwrap().is_none() }).await;
}

// ---- validation and CRDs -------------------------------------------------------------------

#[tokio::test]
async fn secrets_are_validated_and_string_data_is_folded_into_data() {
    let (emu, client) = start().await;
    let secrets: Api<Secret> = Api::default_namespaced(client);
    let s: Secret =
        serde_json::from_value(json!({"metadata": {"name": "s"}, "stringData": {"user": "admin"}})).unwrap();
    let created = secrets.create(&PostParams::default(), &s).await.unwrap();
    assert_eq!(created.data.unwrap()["user"].0, b"admin");
    assert!(created.string_data.is_none());
    assert_eq!(created.type_.as_deref(), Some("Opaque"));
    let err = status_of(
        secrets
            .patch("s", &PatchParams::default(), &Patch::Merge(json!({"type": "kubernetes.io/tls"})))
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, 422, "type is immutable");
    let (code, _) = raw(
        &emu,
        "POST",
        "/api/v1/namespaces/default/secrets",
        "application/json",
        r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"bad"},"data":{"k":"not base64!"}}"#,
    )
    .await;
    assert_eq!(code, 400);
    secrets.patch("s", &PatchParams::default(), &Patch::Merge(json!({"immutable": true}))).await.unwrap();
    let err = status_of(
        secrets
            .patch("s", &PatchParams::default(), &Patch::Merge(json!({"stringData": {"user": "root"}})))
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, 422, "immutable secrets keep their data");
}

#[tokio::test]
async fn generate_name_appends_five_characters() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let c: ConfigMap = serde_json::from_value(json!({"metadata": {"generateName": "gen-"}})).unwrap();
    let name = cms.create(&PostParams::default(), &c).await.unwrap().name_any();
    assert_eq!(name.len(), "gen-".len() + 5);
    assert!(name[4..].chars().all(|ch| "bcdfghjklmnpqrstvwxz2456789".contains(ch)), "{name}");
}

#[tokio::test]
async fn unknown_fields_are_refused_under_strict_and_pruned_otherwise() {
    let (emu, client) = start().await;
    install_widget_crd(&client).await;
    let body =
        r#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"u"},"spec":{"size":1,"bogus":true}}"#;
    let (code, _) = raw(
        &emu,
        "POST",
        "/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict",
        "application/json",
        body,
    )
    .await;
    assert_eq!(code, 400);
    let (code, _) = raw(
        &emu,
        "POST",
        "/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Ignore",
        "application/json",
        body,
    )
    .await;
    assert_eq!(code, 201);
    let stored = emu.object("example.com", "widgets", "default", "u").unwrap();
    assert!(stored["spec"].get("bogus").is_none(), "unknown fields are pruned");
    let bad = r#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"t"},"spec":{"size":"big"}}"#;
    let (code, body) =
        raw(&emu, "POST", "/apis/example.com/v1/namespaces/default/widgets", "application/json", bad).await;
    assert_eq!(code, 422, "{body}");
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["details"]["causes"][0]["field"], "spec.size");
}

#[tokio::test]
async fn dry_run_create_stores_nothing() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let out = cms.create(&PostParams { dry_run: true, ..Default::default() }, &cm("dry")).await.unwrap();
    assert!(out.metadata.resource_version.is_none());
    assert!(out.metadata.uid.is_some());
    assert!(cms.get_opt("dry").await.unwrap().is_none());
}

#[tokio::test]
async fn deleting_a_crd_deletes_its_objects_then_its_endpoints() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    widgets.create(&PostParams::default(), &Widget::new("c1", WidgetSpec { size: 1, color: None })).await.unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .delete("widgets.example.com", &DeleteParams::default())
        .await
        .unwrap();
    eventually(10, "the widget endpoint is gone", || async {
        matches!(widgets.list(&ListParams::default()).await, Err(kube::Error::Api(s)) if s.code == 404)
    })
    .await;
}

#[tokio::test]
async fn aggregated_discovery_finds_built_ins_and_crds() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let discovery = kube::Discovery::new(client.clone()).run_aggregated().await.unwrap();
    assert!(discovery.has_group("apps"));
    let (ar, caps) = discovery.get("example.com").unwrap().recommended_kind("Widget").unwrap();
    assert_eq!(ar.plural, "widgets");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
    let legacy = kube::Discovery::new(client).run().await.unwrap();
    assert!(legacy.has_group("example.com"));
}

#[tokio::test]
async fn metadata_lists_are_partial_object_metadata() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("m")).await.unwrap();
    let list = cms.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].name_any(), "m");
}

#[tokio::test]
async fn await_condition_on_a_custom_resource_uses_a_name_field_selector() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    widgets.create(&PostParams::default(), &Widget::new("ready", WidgetSpec { size: 1, color: None })).await.unwrap();
    let waiter = tokio::spawn(kube::runtime::wait::await_condition(widgets.clone(), "ready", |w: Option<&Widget>| {
        w.and_then(|w| w.status.as_ref()).is_some_and(|s| s.ready)
    }));
    widgets
        .patch_status("ready", &PatchParams::default(), &Patch::Merge(json!({"status": {"ready": true}})))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap().unwrap();
}

#[allow(dead_code)]
fn _client_is_send(c: Client) -> impl Send {
    c
}
