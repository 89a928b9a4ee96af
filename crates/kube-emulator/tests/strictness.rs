//! Strictness: requests a real API server refuses or treats specially, found by reviewing the
//! emulator against kube-apiserver. Each test asserts what kube-apiserver does and names the
//! upstream source or reference section the fact comes from.

mod common;

use std::time::Duration;

use common::{Widget, WidgetSpec, cm, eventually, install_widget_crd, raw, request, start, status_of};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

fn json_body(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

// ---- collections ---------------------------------------------------------------------------

/// kube-apiserver registers only LIST and WATCHLIST on the all-namespaces path of a namespaced
/// built-in (apiserver `endpoints/installer.go`: "list or post across namespace" only adds
/// `LIST` and `WATCHLIST` for `resource`), so DELETE there is a go-restful 405, turned into a
/// `MethodNotAllowed` Status by `server/handler.go`'s service error handler. Found in review: the emulator deletes
/// every ConfigMap in every namespace.
#[tokio::test]
async fn deletecollection_across_all_namespaces_of_a_namespaced_builtin_is_405() {
    let (emu, client) = start().await;
    Api::<ConfigMap>::namespaced(client.clone(), "default").create(&PostParams::default(), &cm("a")).await.unwrap();
    Api::<ConfigMap>::namespaced(client.clone(), "kube-system").create(&PostParams::default(), &cm("b")).await.unwrap();
    let (code, body) = raw(&emu, "DELETE", "/api/v1/configmaps", "application/json", "").await;
    assert_eq!(code, 405, "{body}");
    assert_eq!(json_body(&body)["reason"], "MethodNotAllowed");
    assert!(emu.object("", "configmaps", "default", "a").is_some());
    assert!(emu.object("", "configmaps", "kube-system", "b").is_some());
}

/// The same installer code registers no POST on the all-namespaces path of a namespaced
/// built-in, so a create there is a 405 `MethodNotAllowed`, not the 404 the emulator gave (found in review) for a
/// namespace named "".
#[tokio::test]
async fn create_without_a_namespace_in_the_path_of_a_namespaced_builtin_is_405() {
    let (emu, _client) = start().await;
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}"#;
    let (code, resp) = raw(&emu, "POST", "/api/v1/configmaps", "application/json", body).await;
    assert_eq!(code, 405, "{resp}");
    assert_eq!(json_body(&resp)["reason"], "MethodNotAllowed");
}

/// `resourceVersionMatch=Exact` with `resourceVersion=0` is refused by ListOptions validation
/// (apimachinery `metainternalversion/validation.ValidateListOptions`: "resourceVersionMatch
/// \"exact\" is forbidden for resourceVersion \"0\"") → 422 Invalid. Found in review: the emulator serves an
/// (empty) snapshot "at revision 0".
#[tokio::test]
async fn exact_list_at_resource_version_0_is_a_422_invalid() {
    let (emu, client) = start().await;
    Api::<ConfigMap>::default_namespaced(client).create(&PostParams::default(), &cm("a")).await.unwrap();
    let (code, body) = raw(
        &emu,
        "GET",
        "/api/v1/namespaces/default/configmaps?resourceVersion=0&resourceVersionMatch=Exact",
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(json_body(&body)["reason"], "Invalid");
}

/// An `Exact` list at a revision the store has not reached cannot be served: etcd refuses a
/// range at a future revision ("mvcc: required revision is a future revision") and the cacher
/// answers "Too large resource version". Reference §4.5: `Exact` → a snapshot at RV. The
/// emulator answers 200 with the current objects and claims the future revision.
#[tokio::test]
async fn exact_list_at_a_future_resource_version_is_refused() {
    let (emu, client) = start().await;
    let created = Api::<ConfigMap>::default_namespaced(client).create(&PostParams::default(), &cm("a")).await.unwrap();
    let future = created.resource_version().unwrap().parse::<u64>().unwrap() + 1000;
    let (code, body) = raw(
        &emu,
        "GET",
        &format!("/api/v1/namespaces/default/configmaps?resourceVersion={future}&resourceVersionMatch=Exact"),
        "application/json",
        "",
    )
    .await;
    assert!(code >= 400, "a list claiming revision {future} was served: {code} {body}");
}

/// Watch options: `resourceVersionMatch` is forbidden on a watch unless `sendInitialEvents` is
/// given (apimachinery `validateWatchOptions`: "resourceVersionMatch is forbidden for watch
/// unless sendInitialEvents is provided") → 422 before any stream starts.
#[tokio::test]
async fn watch_with_resource_version_match_but_no_send_initial_events_is_a_422() {
    let (emu, _client) = start().await;
    let (code, body) = raw(
        &emu,
        "GET",
        "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=0&resourceVersionMatch=NotOlderThan",
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 422, "{body}");
}

/// Label selector syntax errors are 400 BadRequest (apimachinery `labels.Parse`: a trailing
/// comma is "found '', expected: identifier after ','"; `a=b=c` is "found '=', expected: ',' or
/// 'end of string'"; `a>x` needs an integer; a key may not start with `-`). Reference §4.5.
#[tokio::test]
async fn malformed_label_selectors_are_400_bad_request() {
    let (emu, _client) = start().await;
    for sel in ["app%3Dx%2C", "a%3Db%3Dc", "a%3Ex", "-a%3Db", "a%20b", "a%20in%20x", "!a%3Db"] {
        let (code, body) = raw(
            &emu,
            "GET",
            &format!("/api/v1/namespaces/default/configmaps?labelSelector={sel}"),
            "application/json",
            "",
        )
        .await;
        assert_eq!(code, 400, "labelSelector={sel}: {body}");
        assert_eq!(json_body(&body)["reason"], "BadRequest", "labelSelector={sel}");
    }
}

/// Field selectors on a custom resource accept only `metadata.name`, `metadata.namespace` and
/// the CRD's `selectableFields`; anything else is 400 "field label not supported" (reference
/// §4.5; apiextensions `customresource` field label conversion).
#[tokio::test]
async fn field_selector_on_an_unselectable_custom_resource_field_is_a_400() {
    let (emu, client) = start().await;
    install_widget_crd(&client).await;
    let (code, body) = raw(
        &emu,
        "GET",
        "/apis/example.com/v1/namespaces/default/widgets?fieldSelector=spec.size%3D3",
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert!(json_body(&body)["message"].as_str().unwrap().contains("field label not supported"), "{body}");
}

// ---- metadata on writes --------------------------------------------------------------------

/// A PATCH whose result names another namespace fails apiserver `handlers/rest.go` `checkName`
/// with 400 BadRequest "the namespace of the object (x) does not match the namespace on the
/// request (y)" (reference §4.2/§4.16: URL/body mismatch → 400). Found in review: the emulator answers 422.
#[tokio::test]
async fn merge_patch_moving_an_object_to_another_namespace_is_a_400_bad_request() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    let err = status_of(
        cms.patch("x", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"namespace": "kube-system"}})))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (400, "BadRequest"), "{err:?}");
}

/// Server-side apply runs the same `checkName` on the applied object: a body namespace that
/// differs from the URL is 400 BadRequest. Found in review: the emulator silently writes the object into the
/// URL's namespace instead of the one the caller asked for.
#[tokio::test]
async fn apply_with_a_body_namespace_other_than_the_url_is_a_400_bad_request() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "kube-system"}, "data": {"k": "v"}});
    let err = status_of(cms.patch("x", &PatchParams::apply("me"), &Patch::Apply(body)).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (400, "BadRequest"), "{err:?}");
    assert!(emu.object("", "configmaps", "default", "x").is_none());
}

/// An apply that would create the object but names a uid is refused: apiserver
/// `handlers/patch.go` `applyPatch` → 409 Conflict "uid mismatch: the provided object specified
/// uid ..., and no existing object was found" (what `kubectl apply --server-side` of an
/// exported manifest hits on a fresh cluster). Found in review: the emulator creates the object with a new uid.
#[tokio::test]
async fn apply_that_would_create_an_object_but_names_a_uid_is_a_409_conflict() {
    let (emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "uid": "00000000-0000-4000-8000-000000000000"}, "data": {"k": "v"}});
    let err = status_of(cms.patch("x", &PatchParams::apply("me"), &Patch::Apply(body)).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"), "{err:?}");
    assert!(err.message.contains("uid mismatch"), "{}", err.message);
    assert!(emu.object("", "configmaps", "default", "x").is_none());
}

/// `metadata.uid` is immutable: `rest.BeforeUpdate` only fills it in when it is empty, then
/// `ValidateObjectMetaAccessorUpdate` rejects a different one with 422 "metadata.uid: Invalid
/// value: ...: field is immutable" (apimachinery `api/validation/objectmeta.go`). The emulator
/// silently puts the old uid back, so code that PUTs a stale copy of a re-created object
/// passes here and fails on a cluster.
#[tokio::test]
async fn update_changing_the_uid_is_a_422_invalid() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let mut obj = cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    obj.metadata.uid = Some("00000000-0000-4000-8000-000000000000".into());
    let err = status_of(cms.replace("x", &PostParams::default(), &obj).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{err:?}");
    assert!(err.message.contains("metadata.uid"), "{}", err.message);
}

/// The same validation rejects setting `metadata.deletionTimestamp` on an object that has none
/// (`ValidateImmutableField(new.DeletionTimestamp, old.DeletionTimestamp)`; `BeforeUpdate` only
/// restores it when the old object had one) → 422. Found in review: the emulator drops it silently.
#[tokio::test]
async fn update_setting_a_deletion_timestamp_is_a_422_invalid() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    let err = status_of(
        cms.patch(
            "x",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"deletionTimestamp": "2020-01-01T00:00:00Z"}})),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{err:?}");
}

/// Replacing an object with itself, even under another field manager, is a no-op: same RV
/// (reference §4.1; etcd3 `GuaranteedUpdate` skips the write when the bytes are equal).
#[tokio::test]
async fn a_no_op_replace_keeps_the_resource_version() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let obj = cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    let same = cms.replace("x", &PostParams::default(), &obj).await.unwrap();
    assert_eq!(same.resource_version(), obj.resource_version());
    let pp = PostParams { field_manager: Some("someone-else".into()), ..Default::default() };
    let again = cms.replace("x", &pp, &same).await.unwrap();
    assert_eq!(again.resource_version(), obj.resource_version());
}

// ---- dry run and strict decoding -----------------------------------------------------------

/// Reference §4.11: "A dry-run create of an existing name → 409" (the registry's `Create` runs
/// the storage create with `dryRun`, and etcd3 `Create` checks existence before it skips the
/// write). Found in review: the emulator returns 201 because its dry-run return precedes the existence check.
#[tokio::test]
async fn dry_run_create_of_an_existing_name_is_a_409_already_exists() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    let err = status_of(cms.create(&PostParams { dry_run: true, ..Default::default() }, &cm("x")).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (409, "AlreadyExists"), "{err:?}");
}

/// Dry-run PATCH and DELETE leave no trace: the RV does not move and nothing is deleted
/// (reference §4.11).
#[tokio::test]
async fn dry_run_patch_and_delete_keep_the_object_and_its_resource_version() {
    let (_emu, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let obj = cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    let pp = PatchParams { dry_run: true, ..Default::default() };
    let preview = cms.patch("x", &pp, &Patch::Merge(json!({"data": {"k": "w"}}))).await.unwrap();
    assert_eq!(preview.data.unwrap()["k"], "w");
    cms.delete("x", &DeleteParams { dry_run: true, ..Default::default() }).await.unwrap();
    let now = cms.get("x").await.unwrap();
    assert_eq!(now.resource_version(), obj.resource_version());
    assert_eq!(now.data.unwrap()["k"], "v");
}

/// `fieldValidation=Strict` refuses duplicate fields as well as unknown ones: 400 BadRequest
/// `strict decoding error: json: duplicate field "data"` on create (reference §4.14: "an
/// unknown or duplicate field → 400"; apimachinery `serializer/json` strict mode). The
/// emulator's JSON decoder keeps the last value silently.
#[tokio::test]
async fn strict_field_validation_refuses_duplicate_json_fields() {
    let (emu, _client) = start().await;
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1"},"data":{"b":"2"}}"#;
    let (code, resp) =
        raw(&emu, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", "application/json", body)
            .await;
    assert_eq!(code, 400, "{resp}");
    assert!(json_body(&resp)["message"].as_str().unwrap().contains("duplicate field"), "{resp}");
    assert!(emu.object("", "configmaps", "default", "dup").is_none());
}

// ---- representations and routing -----------------------------------------------------------

/// An Accept list naming only types the server cannot produce is 406 NotAcceptable (reference
/// §4.12).
#[tokio::test]
async fn accept_naming_only_unsupported_types_is_406() {
    let (emu, _client) = start().await;
    let (code, body) =
        request(&emu, "GET", "/api/v1/namespaces/default/configmaps", &[("Accept", "text/html")], "").await;
    assert_eq!(code, 406, "{body}");
    assert_eq!(json_body(&body)["reason"], "NotAcceptable");
}

/// A cluster-scoped kind under a `namespaces/{ns}/` path is 404, for watches too (reference
/// §4.5).
#[tokio::test]
async fn watch_of_a_cluster_scoped_kind_under_a_namespace_is_404() {
    let (emu, _client) = start().await;
    let (code, body) = raw(
        &emu,
        "GET",
        "/apis/apiextensions.k8s.io/v1/namespaces/default/customresourcedefinitions?watch=true&timeoutSeconds=1",
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 404, "{body}");
    assert_eq!(json_body(&body)["reason"], "NotFound");
}

// ---- the scale subresource -----------------------------------------------------------------

fn deployment(name: &str) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}},
        },
    }))
    .unwrap()
}

/// PUT on `deployments/{n}/scale` takes an `autoscaling/v1` Scale and answers one
/// (`pkg/registry/apps/deployment/storage.ScaleREST.Update`, which copies `spec.replicas` into
/// the Deployment). The HPA and `kubectl scale --resource-version` use it. Found in review: the emulator refuses
/// the Scale body with 400 because it checks it against the Deployment kind.
#[tokio::test]
async fn put_on_the_scale_subresource_takes_a_scale_and_sets_replicas() {
    let (emu, client) = start().await;
    let deps: Api<Deployment> = Api::default_namespaced(client);
    deps.create(&PostParams::default(), &deployment("web")).await.unwrap();
    let (code, scale) = raw(&emu, "GET", "/apis/apps/v1/namespaces/default/deployments/web/scale", "", "").await;
    assert_eq!(code, 200, "{scale}");
    let mut scale = json_body(&scale);
    scale["spec"]["replicas"] = json!(4);
    let (code, body) = raw(
        &emu,
        "PUT",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        "application/json",
        &scale.to_string(),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(json_body(&body)["kind"], "Scale");
    assert_eq!(deps.get("web").await.unwrap().spec.replicas, Some(4));
}

/// `kubectl scale` sends a merge PATCH `{"spec":{"replicas":N}}` to `/scale`. The API server
/// applies it to the Scale and maps `spec.replicas` onto the CRD's `specReplicasPath`
/// (apiextensions `registry/customresource.ScaleREST`, `scaleUpdatedObjectInfo`), and answers
/// a Scale. Found in review: the emulator applies the patch to the custom resource itself, so `spec.replicas`
/// is pruned and the scale change is silently lost.
#[tokio::test]
async fn merge_patch_on_a_custom_resource_scale_sets_the_spec_replicas_path() {
    let (emu, client) = start().await;
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.count"}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                    "status": {"type": "object", "properties": {"count": {"type": "integer"}}},
                }}},
            }],
        },
    }))
    .unwrap();
    Api::<CustomResourceDefinition>::all(client.clone()).create(&PostParams::default(), &crd).await.unwrap();
    let gadget = r#"{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"size":1}}"#;
    let (code, body) =
        raw(&emu, "POST", "/apis/example.com/v1/namespaces/default/gadgets", "application/json", gadget).await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = raw(
        &emu,
        "PATCH",
        "/apis/example.com/v1/namespaces/default/gadgets/g/scale",
        "application/merge-patch+json",
        r#"{"spec":{"replicas":5}}"#,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let stored = emu.object("example.com", "gadgets", "default", "g").expect("gadget stored");
    assert_eq!(stored["spec"]["size"], 5, "stored: {stored}");
    assert_eq!(json_body(&body)["kind"], "Scale", "{body}");
}

// ---- CRD lifecycle -------------------------------------------------------------------------

/// A CRD update may not drop a version that is still in `status.storedVersions`:
/// apiextensions `validation.ValidateCustomResourceDefinitionStoredVersions` → 422
/// "status.storedVersions[0]: Invalid value: \"v1\": must appear in spec.versions" (the update
/// strategy keeps the old status and appends the new storage version). Otherwise objects
/// stored as v1 become unreadable.
#[tokio::test]
async fn crd_update_that_drops_a_stored_version_is_a_422_invalid() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut crd = crds.get("widgets.example.com").await.unwrap();
    crd.spec.versions[0].name = "v2".into();
    let err = status_of(crds.replace("widgets.example.com", &PostParams::default(), &crd).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{err:?}");
    assert!(err.message.contains("storedVersions"), "{}", err.message);
}

/// While a CRD is terminating (its cleanup finalizer waits on custom resources that still have
/// finalizers), the apiextensions handler refuses creates: `customresource_handler.go`
/// `serveResource` answers `NewMethodNotSupported` (405) "create not allowed while custom
/// resource definition is terminating".
#[tokio::test]
async fn creating_a_custom_resource_while_its_crd_is_terminating_is_405() {
    let (_emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    let mut held = Widget::new("held", WidgetSpec { size: 1, color: None });
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    widgets.create(&PostParams::default(), &held).await.unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.delete("widgets.example.com", &DeleteParams::default()).await.unwrap();
    let crd = crds.get("widgets.example.com").await.unwrap();
    assert!(crd.metadata.deletion_timestamp.is_some(), "the CRD is terminating");
    let err = status_of(
        widgets
            .create(&PostParams::default(), &Widget::new("late", WidgetSpec { size: 2, color: None }))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (405, "MethodNotAllowed"), "{err:?}");
}

/// When a CRD is deleted its storage is destroyed (`customresource_handler.go`
/// `removeDeadStorage` → `tearDown`, which waits about a second for short requests, watches
/// being long-running and not counted, then `CustomResource.DestroyFunc()` stops the cacher
/// and terminates every watcher), so open watches on its custom resources end and a client's
/// re-watch gets 404. Found in review: the emulator keeps them open until `timeoutSeconds`, silent, so a watcher never
/// learns that its resource is gone.
#[tokio::test]
async fn watches_on_custom_resources_end_when_their_crd_is_deleted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (emu, client) = start().await;
    install_widget_crd(&client).await;
    let mut s = tokio::net::TcpStream::connect(emu.addr().unwrap()).await.unwrap();
    s.write_all(
        b"GET /apis/example.com/v1/namespaces/default/widgets?watch=true&timeoutSeconds=120 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let reader = tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        out
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.delete("widgets.example.com", &DeleteParams::default()).await.unwrap();
    eventually(10, "the CRD is gone", || {
        let crds = crds.clone();
        async move { crds.get_opt("widgets.example.com").await.unwrap().is_none() }
    })
    .await;
    let ended = tokio::time::timeout(Duration::from_secs(10), reader).await;
    assert!(ended.is_ok(), "the watch on widgets is still open 10 s after the CRD was deleted");
}

/// Deleting a CRD lists nothing afterwards: the endpoint is gone (404), confirming reference
/// §4.15 for lists as well as gets.
#[tokio::test]
async fn after_a_crd_is_deleted_its_list_endpoint_is_404() {
    let (emu, client) = start().await;
    install_widget_crd(&client).await;
    let widgets: Api<Widget> = Api::default_namespaced(client.clone());
    widgets.create(&PostParams::default(), &Widget::new("w", WidgetSpec { size: 1, color: None })).await.unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.delete("widgets.example.com", &DeleteParams::default()).await.unwrap();
    eventually(10, "the widgets endpoint is gone", || {
        let widgets = widgets.clone();
        async move { widgets.list(&ListParams::default()).await.is_err() }
    })
    .await;
    let (code, _) = raw(&emu, "GET", "/apis/example.com/v1/namespaces/default/widgets", "", "").await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn create_only_and_update_only_subresources_refuse_get_with_405() {
    let (emu, _client) = start().await;
    let (code, body) = raw(&emu, "GET", "/api/v1/namespaces/default/finalize", "application/json", "").await;
    assert_eq!(code, 405, "{body}");
    let sa = r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa"}}"#;
    assert_eq!(raw(&emu, "POST", "/api/v1/namespaces/default/serviceaccounts", "application/json", sa).await.0, 201);
    let (code, body) =
        raw(&emu, "GET", "/api/v1/namespaces/default/serviceaccounts/sa/token", "application/json", "").await;
    assert_eq!(code, 405, "{body}");
}
