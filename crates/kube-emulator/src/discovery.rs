//! Discovery (`/api`, `/apis`, per-group-version resource lists, aggregated v2), `/version`
//! and the OpenAPI v3 documents `kubectl apply` reads. All of it is derived from the registry,
//! so a CRD shows up the moment it is created.

use std::net::SocketAddr;

use http::{HeaderValue, Response, header};
use serde_json::{Value, json};

use crate::api::json_response;
use crate::body::Body;
use crate::registry::{Registry, ResourceType};
use crate::route::Route;
use crate::schema::{self, OpenApiKind};
use crate::status::ApiError;

/// The Kubernetes version the emulator reports.
pub const GIT_VERSION: &str = "v1.37.0-emulator";

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": "1", "minor": "37", "emulationMajor": "1", "emulationMinor": "37",
        "minCompatibilityMajor": "1", "minCompatibilityMinor": "36",
        "gitVersion": GIT_VERSION, "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-11-01T00:00:00Z", "goVersion": "go1.25.0 (kube-emulator)", "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, if std::env::consts::ARCH == "x86_64" { "amd64" } else { std::env::consts::ARCH }),
    })
}

fn wants_aggregated(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|alt| {
            let alt = alt.replace(' ', "");
            alt.contains("as=APIGroupDiscoveryList")
                && alt.contains("g=apidiscovery.k8s.io")
                && alt.contains("v=v2")
                && !alt.contains("v=v2beta1")
        })
    })
}

/// Answers a discovery or OpenAPI path.
pub fn serve(
    reg: &Registry,
    route: &Route,
    accept: Option<&str>,
    addr: Option<SocketAddr>,
) -> Result<Response<Body>, ApiError> {
    let server = addr.map(|a| a.to_string()).unwrap_or_else(|| "127.0.0.1:0".into());
    match route {
        Route::CoreVersions if wants_aggregated(accept) => Ok(aggregated(json!([core_group_discovery(reg)]))),
        Route::CoreVersions => Ok(json_response(
            200,
            &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]}),
        )),
        Route::Groups if wants_aggregated(accept) => {
            let items: Vec<Value> = reg.groups().iter().map(|(g, vs)| group_discovery(reg, g, vs)).collect();
            Ok(aggregated(json!(items)))
        }
        Route::Groups => {
            let groups: Vec<Value> = reg.groups().iter().map(|(g, vs)| api_group(g, vs)).collect();
            Ok(json_response(200, &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})))
        }
        Route::Group(g) => {
            let (_, vs) = reg.groups().into_iter().find(|(name, _)| name == g).ok_or_else(ApiError::path_not_found)?;
            let mut v = api_group(g, &vs);
            v["apiVersion"] = json!("v1");
            Ok(json_response(200, &v))
        }
        Route::ResourceList { group, version } => {
            let rts = resources(reg, group, version);
            if rts.is_empty() {
                return Err(ApiError::path_not_found());
            }
            let mut list = Vec::new();
            for rt in &rts {
                let mut r = json!({
                    "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind, "verbs": rt.verbs(),
                });
                if !rt.short_names.is_empty() {
                    r["shortNames"] = json!(rt.short_names);
                }
                if !rt.categories.is_empty() {
                    r["categories"] = json!(rt.categories);
                }
                list.push(r);
                for (sub, kind, verbs) in rt.subresources() {
                    let mut s = json!({"name": format!("{}/{sub}", rt.plural), "singularName": "", "namespaced": rt.namespaced, "kind": kind, "verbs": verbs});
                    if sub == "scale" {
                        s["group"] = json!("autoscaling");
                        s["version"] = json!("v1");
                    }
                    list.push(s);
                }
            }
            let gv = if group.is_empty() { version.clone() } else { format!("{group}/{version}") };
            Ok(json_response(
                200,
                &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
            ))
        }
        Route::OpenApiIndex => {
            let mut paths = serde_json::Map::new();
            paths.insert(
                "api/v1".into(),
                json!({"serverRelativeURL": format!("/openapi/v3/api/v1?hash={}", doc_hash(&openapi(reg, "", "v1")))}),
            );
            for (g, vs) in reg.groups() {
                for v in vs {
                    let doc = openapi(reg, &g, &v);
                    paths.insert(
                        format!("apis/{g}/{v}"),
                        json!({"serverRelativeURL": format!("/openapi/v3/apis/{g}/{v}?hash={}", doc_hash(&doc))}),
                    );
                }
            }
            Ok(json_response(200, &json!({"paths": paths})))
        }
        Route::OpenApiGroupVersion { group, version } => {
            if resources(reg, group, version).is_empty() {
                return Err(ApiError::path_not_found());
            }
            Ok(json_response(200, &openapi(reg, group, version)))
        }
        _ => Err(ApiError::path_not_found()),
    }
}

fn resources(reg: &Registry, group: &str, version: &str) -> Vec<std::sync::Arc<ResourceType>> {
    reg.all().filter(|rt| rt.group == group && rt.versions.iter().any(|v| v == version)).cloned().collect()
}

fn api_group(g: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions.iter().map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v})).collect();
    json!({"kind": "APIGroup", "name": g, "versions": vs, "preferredVersion": vs.first().cloned().unwrap_or(Value::Null)})
}

fn aggregated(items: Value) -> Response<Body> {
    let mut resp = json_response(
        200,
        &json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}),
    );
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(AGGREGATED));
    resp
}

fn version_discovery(reg: &Registry, group: &str, version: &str) -> Value {
    let resources: Vec<Value> = resources(reg, group, version)
        .iter()
        .map(|rt| {
            let subs: Vec<Value> = rt
                .subresources()
                .into_iter()
                .map(|(sub, kind, verbs)| {
                    let (g, v) = if sub == "scale" { ("autoscaling", "v1") } else { (rt.group.as_str(), version) };
                    json!({"subresource": sub, "responseKind": {"group": g, "version": v, "kind": kind}, "verbs": verbs})
                })
                .collect();
            let mut r = json!({
                "resource": rt.plural, "responseKind": {"group": rt.group, "version": version, "kind": rt.kind},
                "scope": if rt.namespaced { "Namespaced" } else { "Cluster" }, "singularResource": rt.singular, "verbs": rt.verbs(),
            });
            if !rt.short_names.is_empty() {
                r["shortNames"] = json!(rt.short_names);
            }
            if !rt.categories.is_empty() {
                r["categories"] = json!(rt.categories);
            }
            if !subs.is_empty() {
                r["subresources"] = json!(subs);
            }
            r
        })
        .collect();
    json!({"version": version, "resources": resources, "freshness": "Current"})
}

fn core_group_discovery(reg: &Registry) -> Value {
    json!({"metadata": {"creationTimestamp": null}, "versions": [version_discovery(reg, "", "v1")]})
}

fn group_discovery(reg: &Registry, g: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions.iter().map(|v| version_discovery(reg, g, v)).collect();
    json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": vs})
}

fn openapi(reg: &Registry, group: &str, version: &str) -> Value {
    let rts = resources(reg, group, version);
    let kinds: Vec<OpenApiKind<'_>> = rts
        .iter()
        .map(|rt| OpenApiKind {
            group: &rt.group,
            version,
            kind: &rt.kind,
            plural: &rt.plural,
            namespaced: rt.namespaced,
            schema: rt.schemas.get(version),
        })
        .collect();
    schema::openapi_v3_document(group, version, &kinds)
}

/// FNV-1a over the document: changes when a CRD's schema changes, so kubectl's cache refreshes.
fn doc_hash(doc: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in doc.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016X}")
}
