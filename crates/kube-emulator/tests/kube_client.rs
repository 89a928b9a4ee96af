//! The emulator through kube-rs, as our controller will use it: CRUD on every served kind,
//! watchers and reflectors (including the re-list after a 410), a kube-runtime `Controller`, the
//! finalizer helper, and leader election with kube-lease-manager.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Widget, WidgetSpec, WidgetStatus, eventually, install_widget_crd, start};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

/// One sample object per built-in kind: (apiVersion, kind, plural, namespaced, body).
fn samples() -> Vec<(&'static str, &'static str, &'static str, bool, serde_json::Value)> {
    let template = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}});
    vec![
        ("v1", "Namespace", "namespaces", false, json!({})),
        ("v1", "Secret", "secrets", true, json!({"type": "Opaque", "data": {"k": "dmFsdWU="}})),
        ("v1", "ConfigMap", "configmaps", true, json!({"data": {"k": "v"}})),
        ("v1", "ServiceAccount", "serviceaccounts", true, json!({})),
        (
            "v1",
            "Event",
            "events",
            true,
            json!({"involvedObject": {"kind": "ConfigMap", "name": "x", "namespace": "default"}, "reason": "Tested", "message": "m", "type": "Normal"}),
        ),
        ("v1", "Pod", "pods", true, json!({"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}})),
        ("v1", "Service", "services", true, json!({"spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}})),
        (
            "apps/v1",
            "Deployment",
            "deployments",
            true,
            json!({"spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}}),
        ),
        (
            "apps/v1",
            "StatefulSet",
            "statefulsets",
            true,
            json!({"spec": {"serviceName": "web", "selector": {"matchLabels": {"app": "web"}}, "template": template}}),
        ),
        (
            "apps/v1",
            "DaemonSet",
            "daemonsets",
            true,
            json!({"spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template}}),
        ),
        (
            "batch/v1",
            "Job",
            "jobs",
            true,
            json!({"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "j", "image": "busybox"}]}}}}),
        ),
        (
            "batch/v1",
            "CronJob",
            "cronjobs",
            true,
            json!({"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "j", "image": "busybox"}]}}}}}}),
        ),
        (
            "coordination.k8s.io/v1",
            "Lease",
            "leases",
            true,
            json!({"spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}}),
        ),
        (
            "events.k8s.io/v1",
            "Event",
            "events",
            true,
            json!({"eventTime": "2026-11-23T10:00:00.000000Z", "reportingController": "test", "reportingInstance": "t-1", "action": "Test", "reason": "Tested", "type": "Normal", "regarding": {"kind": "ConfigMap", "name": "x", "namespace": "default"}}),
        ),
    ]
}

fn api_for(client: &Client, api_version: &str, kind: &str, plural: &str, namespaced: bool) -> Api<DynamicObject> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    if namespaced { Api::namespaced_with(client.clone(), "default", &ar) } else { Api::all_with(client.clone(), &ar) }
}

#[tokio::test]
async fn crud_works_for_every_built_in_kind() {
    let (_emu, client) = start().await;
    for (api_version, kind, plural, namespaced, body) in samples() {
        let api = api_for(&client, api_version, kind, plural, namespaced);
        let mut obj: DynamicObject =
            serde_json::from_value(json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "sample"}}))
                .unwrap();
        for (k, v) in body.as_object().unwrap() {
            obj.data[k] = v.clone();
        }
        let created = api.create(&PostParams::default(), &obj).await.unwrap_or_else(|e| panic!("create {kind}: {e}"));
        assert!(created.metadata.uid.is_some(), "{kind} got a uid");
        let fetched = api.get("sample").await.unwrap_or_else(|e| panic!("get {kind}: {e}"));
        assert_eq!(fetched.metadata.resource_version, created.metadata.resource_version);

        let mut changed = fetched.clone();
        changed.labels_mut().insert("changed".into(), "yes".into());
        let replaced = api
            .replace("sample", &PostParams::default(), &changed)
            .await
            .unwrap_or_else(|e| panic!("replace {kind}: {e}"));
        assert_ne!(
            replaced.metadata.resource_version, created.metadata.resource_version,
            "{kind} replace moved the RV"
        );

        let listed =
            api.list(&ListParams::default().labels("changed=yes")).await.unwrap_or_else(|e| panic!("list {kind}: {e}"));
        assert_eq!(
            listed.items.iter().map(|o| o.name_any()).collect::<Vec<_>>(),
            vec!["sample".to_string()],
            "{kind} list"
        );

        api.delete("sample", &DeleteParams::default()).await.unwrap_or_else(|e| panic!("delete {kind}: {e}"));
        if kind == "Namespace" {
            // A namespace terminates first; the namespace controller removes it.
            eventually(10, "the namespace is gone", || async { api.get_opt("sample").await.unwrap().is_none() }).await;
        } else {
            assert!(api.get_opt("sample").await.unwrap().is_none(), "{kind} is gone after delete");
        }
    }
}

#[tokio::test]
async fn kube_clients_work_over_http_through_a_kubeconfig() {
    let (emu, _) = start().await;
    let client = common::http_client(&emu).await;
    let info = client.apiserver_version().await.unwrap();
    assert_eq!(info.git_version, kube_emulator::GIT_VERSION);
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "over-http"}, "data": {"a": "b"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    assert_eq!(cms.get("over-http").await.unwrap().data.unwrap()["a"], "b");
}

#[tokio::test]
async fn a_watcher_and_reflector_follow_changes_and_relist_after_410() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let (reader, writer) = reflector::store::<ConfigMap>();
    let inits = Arc::new(AtomicUsize::new(0));
    let counted = inits.clone();
    let stream = watcher(cms.clone(), watcher::Config::default())
        .inspect_ok(move |e| {
            if matches!(e, watcher::Event::Init) {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .reflect(writer)
        .applied_objects();
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while stream.next().await.is_some() {}
    });
    reader.wait_until_ready().await.unwrap();

    let cm = |name: &str, v: &str| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": v}})).unwrap()
    };
    cms.create(&PostParams::default(), &cm("a", "1")).await.unwrap();
    cms.create(&PostParams::default(), &cm("b", "1")).await.unwrap();
    eventually(5, "both objects are in the store", || async { reader.len() == 2 }).await;
    cms.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}}))).await.unwrap();
    eventually(5, "the update is in the store", || async {
        reader.state().iter().any(|o| o.name_any() == "a" && o.data.as_ref().unwrap()["v"] == "2")
    })
    .await;
    cms.delete("b", &DeleteParams::default()).await.unwrap();
    eventually(5, "the delete is in the store", || async { reader.len() == 1 }).await;
    assert_eq!(inits.load(Ordering::SeqCst), 1);

    // Forget history and cut the stream: the resume gets a 410 ERROR event, and the watcher
    // lists again (a second Init), picking up what changed meanwhile.
    let lists_before = emu.request_count("list", "configmaps");
    emu.compact_history();
    emu.drop_watches();
    cms.create(&PostParams::default(), &cm("c", "1")).await.unwrap();
    eventually(10, "the watcher re-listed after 410", || async { inits.load(Ordering::SeqCst) == 2 }).await;
    eventually(5, "the new object is in the store", || async { reader.len() == 2 }).await;
    assert!(emu.request_count("list", "configmaps") > lists_before, "a re-list went over the wire");
    task.abort();
}

#[tokio::test]
async fn a_controller_reconciles_a_custom_resource_and_its_owned_config_map() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());

    async fn reconcile(w: Arc<Widget>, client: Arc<Client>) -> Result<Action, kube::Error> {
        let ns = w.namespace().unwrap();
        let owner = w.controller_owner_ref(&()).unwrap();
        let cm: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": w.name_any(), "ownerReferences": [owner]},
            "data": {"size": w.spec.size.to_string()},
        }))
        .unwrap();
        Api::<ConfigMap>::namespaced((*client).clone(), &ns)
            .patch(&w.name_any(), &PatchParams::apply("widget-controller").force(), &Patch::Apply(&cm))
            .await?;
        Api::<Widget>::namespaced((*client).clone(), &ns)
            .patch_status(&w.name_any(), &PatchParams::default(), &Patch::Merge(json!({"status": {"ready": true}})))
            .await?;
        Ok(Action::await_change())
    }
    let ctrl = Controller::new(widgets.clone(), watcher::Config::default())
        .owns(cms.clone(), watcher::Config::default())
        .run(reconcile, |_, _: &kube::Error, _| Action::requeue(Duration::from_secs(1)), Arc::new(client.clone()))
        .for_each(|_| async {});
    let task = tokio::spawn(ctrl);

    let w = Widget::new("w1", WidgetSpec { size: 3, color: None });
    widgets.create(&PostParams::default(), &w).await.unwrap();
    eventually(10, "the widget is ready", || async {
        widgets.get("w1").await.unwrap().status == Some(WidgetStatus { ready: true })
    })
    .await;
    assert_eq!(cms.get("w1").await.unwrap().data.unwrap()["size"], "3");

    // A change to the owner reaches the child through the controller.
    widgets.patch("w1", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 5}}))).await.unwrap();
    eventually(10, "the config map follows the spec", || async {
        cms.get("w1").await.unwrap().data.unwrap()["size"] == "5"
    })
    .await;

    // Deleting the owner garbage-collects the child.
    widgets.delete("w1", &DeleteParams::default()).await.unwrap();
    eventually(10, "the owned config map is collected", || async { cms.get_opt("w1").await.unwrap().is_none() }).await;
    task.abort();
}

#[tokio::test]
async fn the_finalizer_helper_adds_and_removes_its_finalizer() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    widgets.create(&PostParams::default(), &Widget::new("f1", WidgetSpec { size: 1, color: None })).await.unwrap();
    let cleanups = Arc::new(AtomicUsize::new(0));

    let run = |obj: Arc<Widget>| {
        let widgets = widgets.clone();
        let cleanups = cleanups.clone();
        async move {
            finalizer(&widgets, "example.com/cleanup", obj, |event| async move {
                if let FinalizerEvent::Cleanup(_) = event {
                    cleanups.fetch_add(1, Ordering::SeqCst);
                }
                Ok::<_, kube::Error>(Action::await_change())
            })
            .await
        }
    };
    // First call adds the finalizer (JSON patch with `test` against a missing member).
    run(Arc::new(widgets.get("f1").await.unwrap())).await.unwrap();
    assert_eq!(widgets.get("f1").await.unwrap().finalizers(), &["example.com/cleanup".to_string()]);

    // Deleting leaves the object, marked; the next call cleans up and removes the finalizer.
    let deleted = widgets.delete("f1", &DeleteParams::default()).await.unwrap();
    assert!(deleted.is_left(), "a finalizer keeps the object");
    let marked = widgets.get("f1").await.unwrap();
    assert!(marked.metadata.deletion_timestamp.is_some());
    run(Arc::new(marked)).await.unwrap();
    assert_eq!(cleanups.load(Ordering::SeqCst), 1);
    assert!(widgets.get_opt("f1").await.unwrap().is_none(), "removing the last finalizer deletes the object");
}

#[tokio::test]
async fn lease_manager_elects_exactly_one_leader_and_fails_over() {
    use kube_lease_manager::LeaseManagerBuilder;
    let (_emu, client) = start().await;
    let manager = |id: &str| {
        LeaseManagerBuilder::new(client.clone(), "leader")
            .with_namespace("default")
            .with_identity(id)
            .with_duration(2)
            .with_grace(1)
            .build()
    };
    let a = manager("a").await.unwrap();
    let b = manager("b").await.unwrap();
    let (a_rx, a_task) = a.watch().await;
    let (b_rx, b_task) = b.watch().await;
    eventually(10, "one candidate leads", || async { *a_rx.borrow() || *b_rx.borrow() }).await;
    // Exclusive for a while, not just at one instant.
    for _ in 0..20 {
        assert!(!(*a_rx.borrow() && *b_rx.borrow()), "two leaders at once");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (leader_task, follower_rx) = if *a_rx.borrow() { (a_task, b_rx) } else { (b_task, a_rx) };
    // The leader stops renewing (its task dies without releasing); the other takes over.
    leader_task.abort();
    eventually(15, "the follower takes over", || async { *follower_rx.borrow() }).await;
}
