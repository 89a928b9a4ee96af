//! The generated CRD installs into the kube emulator, and SealedSecrets round-trip through it
//! with the typed API, printer columns and the status subresource.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube_emulator::{Config, Emulator};
use kubeseal_crds::k8s::{CustomResourceDefinition, ObjectMeta};
use kubeseal_crds::sealed_secret::{self, CONDITION_SYNCED};
use kubeseal_crds::{SealedSecret, SealedSecretSpec, SecretTemplateSpec};
use serde_json::json;

async fn setup() -> Result<(Emulator, Client)> {
    let emu = Emulator::in_process(Config::default());
    let client = Client::new(emu.service(), "default");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &sealed_secret::crd()).await?;
    tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(crds, "sealedsecrets.bitnami.com", conditions::is_crd_established()),
    )
    .await??;
    Ok((emu, client))
}

fn sample() -> SealedSecret {
    SealedSecret::new(
        "s1",
        SealedSecretSpec {
            encrypted_data: BTreeMap::from([("password".to_string(), "AgBy3i4OJSWK".to_string())]),
            template: SecretTemplateSpec {
                metadata: Some(ObjectMeta {
                    name: Some("s1".into()),
                    namespace: Some("default".into()),
                    labels: Some(BTreeMap::from([("app".to_string(), "x".to_string())])),
                    ..Default::default()
                }),
                type_: Some("Opaque".into()),
                immutable: None,
                data: Some(BTreeMap::from([("dsn".to_string(), "{{ .password }}".to_string())])),
            },
            data: None,
        },
    )
}

#[tokio::test]
async fn typed_round_trip_columns_and_status() -> Result<()> {
    let (_emu, client) = setup().await?;
    let api: Api<SealedSecret> = Api::namespaced(client.clone(), "default");
    let created = api.create(&PostParams::default(), &sample()).await?;
    assert_eq!(created.spec, sample().spec);
    let got = api.get("s1").await?;
    assert_eq!(got.spec, sample().spec);
    assert_eq!(got.status, None);

    // Status subresource: a main-resource write cannot set status, patch_status can.
    let patch = json!({"status": {"observedGeneration": 1, "conditions": [
        {"type": CONDITION_SYNCED, "status": "False", "message": "no key could decrypt secret (password)"}]}});
    let patched = api.patch_status("s1", &PatchParams::default(), &Patch::Merge(&patch)).await?;
    let status = patched.status.expect("status set");
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(status.conditions[0].status, "False");
    let mut main = api.get("s1").await?;
    main.status = None;
    let replaced = api.replace("s1", &PostParams::default(), &main).await?;
    assert!(replaced.status.is_some(), "main-resource PUT must not clear status");

    // kubectl-style table: the upstream printer columns, with their values.
    let req = http::Request::get("/apis/bitnami.com/v1alpha1/namespaces/default/sealedsecrets/s1")
        .header(http::header::ACCEPT, "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
        .body(Vec::new())?;
    let table: serde_json::Value = serde_json::from_str(&client.request_text(req).await?)?;
    assert_eq!(table["kind"], "Table", "{table}");
    let names: Vec<_> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, ["Name", "Status", "Synced", "Age"], "{table}");
    let cells = &table["rows"][0]["cells"];
    assert_eq!(cells[0], "s1");
    assert_eq!(cells[1], "no key could decrypt secret (password)");
    assert_eq!(cells[2], "False");
    Ok(())
}

#[tokio::test]
async fn schema_is_enforced_and_encrypted_data_required() -> Result<()> {
    let (_emu, client) = setup().await?;
    let api: Api<kube::core::DynamicObject> =
        Api::namespaced_with(client, "default", &kube::core::ApiResource::erase::<SealedSecret>(&()));
    let missing: kube::core::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": "bad"}, "spec": {"template": {}}}))?;
    let err = api.create(&PostParams::default(), &missing).await.expect_err("encryptedData is required");
    assert!(matches!(err, kube::Error::Api(ref s) if s.code == 422), "{err:?}");
    Ok(())
}
