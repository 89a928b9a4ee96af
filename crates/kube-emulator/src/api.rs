//! The request handler: routing, content negotiation, and every verb on every resource, with the
//! API server's strategy rules applied atomically under the store lock.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::body::Body;
use crate::cause::Cause;
use crate::managed::{self, ApplyError, ApplyRequest, ListKind, MergeSchema};
use crate::patch::{self, ListStrategy, PatchError};
use crate::present::{self, Repr};
use crate::registry::{Registry, ResKey, ResourceType};
use crate::route::{self, Query, ResourcePath, Route};
use crate::schema::{ListType, Schema};
use crate::selector::{FieldSelector, LabelSelector};
use crate::shared::{RequestRecord, Shared, lock};
use crate::status::{ApiError, Subject};
use crate::store::{Event, EventType, State};
use crate::{clock, discovery, proxy, validation, watch};

/// Handles one request whose body has been read.
pub(crate) async fn handle(shared: &Arc<Shared>, req: Request<Bytes>) -> Response<Body> {
    let route = route::parse(req.uri().path());
    let query = Query::parse(req.uri().query());
    let (verb, resource) = classify(&route, req.method(), &query);
    lock(&shared.log).push(RequestRecord {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or_default().to_string(),
        content_type: header_str(&req, header::CONTENT_TYPE).map(str::to_string),
        verb: verb.to_string(),
        resource: resource.clone(),
    });
    let (latency, injected) = {
        let mut faults = lock(&shared.faults);
        let latency = faults.latency;
        let mut injected = None;
        if let Some(rule) = faults.rules.iter_mut().find(|r| {
            r.remaining > 0
                && r.verb.as_deref().is_none_or(|v| v == verb)
                && r.resource.as_deref().is_none_or(|x| x == resource)
        }) {
            rule.remaining -= 1;
            injected = Some(rule.code);
        }
        faults.rules.retain(|r| r.remaining > 0);
        (latency, injected)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(code) = injected {
        return error(&ApiError::injected(code));
    }
    match dispatch(shared, route, query, req).await {
        Ok(resp) => resp,
        Err(e) => error(&e),
    }
}

/// The Kubernetes verb and resource of a request, for the log and fault matching.
fn classify(route: &Route, method: &Method, query: &Query) -> (&'static str, String) {
    let Route::Resource(p) = route else { return ("", String::new()) };
    let resource = match &p.subresource {
        Some(s) => format!("{}/{s}", p.plural),
        None => p.plural.clone(),
    };
    let verb = match (method.as_str(), p.name.is_some()) {
        ("GET", _) if p.legacy_watch || query.flag("watch") => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "",
    };
    (verb, resource)
}

fn header_str<B>(req: &Request<B>, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A JSON response.
pub(crate) fn json_response(code: u16, v: &Value) -> Response<Body> {
    let mut resp = Response::new(Body::full(serde_json::to_vec(v).unwrap_or_default()));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A `Status` error response.
pub(crate) fn error(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status())
}

async fn dispatch(
    shared: &Arc<Shared>,
    route: Route,
    query: Query,
    req: Request<Bytes>,
) -> Result<Response<Body>, ApiError> {
    let accept = header_str(&req, header::ACCEPT).map(str::to_string);
    match route {
        Route::Version => Ok(json_response(200, &discovery::version())),
        Route::Health => {
            let mut r = Response::new(Body::full("ok"));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            Ok(r)
        }
        Route::CoreVersions
        | Route::Groups
        | Route::Group(_)
        | Route::ResourceList { .. }
        | Route::OpenApiIndex
        | Route::OpenApiGroupVersion { .. } => {
            if req.method() != Method::GET {
                return Err(ApiError::method_not_allowed(req.method().as_str()));
            }
            let st = shared.state();
            discovery::serve(&st.registry, &route, accept.as_deref(), shared.addr.get().copied())
        }
        Route::Resource(p) => resource(shared, p, query, req, accept.as_deref()).await,
        Route::Unknown => Err(ApiError::path_not_found()),
    }
}

/// Everything a write needs to know about its request.
pub(crate) struct Ctx {
    pub rt: Arc<ResourceType>,
    pub version: String,
    pub namespace: String,
    pub name: String,
    pub sub: Option<String>,
    pub dry_run: bool,
    pub validation: FieldValidation,
    pub manager: String,
    pub explicit_manager: bool,
}

impl Ctx {
    fn subject(&self) -> Subject<'_> {
        Subject { group: &self.rt.group, plural: &self.rt.plural, kind: &self.rt.kind, name: &self.name }
    }

    fn schema(&self) -> Option<&Schema> {
        self.rt.schemas.get(&self.version).or_else(|| self.rt.schemas.values().next())
    }
}

/// The `fieldValidation` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

/// What a write produced: the stored (or would-be) object, the HTTP code and warnings.
pub(crate) struct Outcome {
    pub object: Arc<Value>,
    pub code: u16,
    pub warnings: Vec<String>,
}

async fn resource(
    shared: &Arc<Shared>,
    p: ResourcePath,
    query: Query,
    req: Request<Bytes>,
    accept: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let rt = {
        let st = shared.state();
        st.registry.get(&p.group, &p.version, &p.plural).ok_or_else(ApiError::path_not_found)?
    };
    if !rt.namespaced && p.namespace.is_some() {
        return Err(ApiError::path_not_found());
    }
    if rt.namespaced && p.namespace.is_none() {
        // `/api/v1/configmaps` only lists and watches across namespaces; the API server installs
        // no other verb there, and no object paths.
        if p.name.is_some() {
            return Err(ApiError::path_not_found());
        }
        if req.method() != Method::GET {
            return Err(ApiError::method_not_allowed(req.method().as_str()));
        }
    }
    if p.subresource.as_deref() == Some("proxy") {
        if rt.group.is_empty() && rt.plural == "services" {
            return proxy::forward(shared, &p, req).await;
        }
        return Err(ApiError::path_not_found());
    }
    if let Some(sub) = &p.subresource {
        let known = (sub == "status" && rt.status)
            || (sub == "scale" && rt.scale.is_some())
            || (sub == "token" && rt.group.is_empty() && rt.plural == "serviceaccounts")
            || (sub == "finalize" && rt.group.is_empty() && rt.plural == "namespaces");
        if !known {
            return Err(ApiError::path_not_found());
        }
    }
    let method = req.method().clone();
    let is_watch = p.legacy_watch || query.flag("watch");
    if is_watch {
        if method != Method::GET || p.name.is_some() && !p.legacy_watch {
            return Err(ApiError::method_not_allowed("watch"));
        }
        let repr = present::negotiate(accept)?;
        let mut q = query.clone();
        let mut field = q.get("fieldSelector").unwrap_or_default().to_string();
        if let Some(name) = &p.name {
            // `/watch/.../{name}` is a field-selected watch.
            field = if field.is_empty() {
                format!("metadata.name={name}")
            } else {
                format!("{field},metadata.name={name}")
            };
        }
        q = q.with("fieldSelector", &field);
        return watch::serve(shared.clone(), rt, p.version.clone(), p.namespace.clone(), q, repr);
    }
    let dry_run = match query.get("dryRun") {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid dry run value: {other:?}; the only supported value is \"All\""
            )));
        }
    };
    let validation = match query.get("fieldValidation") {
        None | Some("") | Some("Ignore") => FieldValidation::Ignore,
        Some("Warn") => FieldValidation::Warn,
        Some("Strict") => FieldValidation::Strict,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other}; expected Ignore, Warn or Strict"
            )));
        }
    };
    let user_agent = header_str(&req, header::USER_AGENT).map(str::to_string);
    let manager = match query.non_empty("fieldManager") {
        Some(m) if m.len() > 128 => {
            return Err(ApiError::invalid_options(
                if method == Method::PATCH { "PatchOptions" } else { "CreateOptions" },
                &[Cause::new("FieldValueTooLong", "fieldManager", "Too long: may not be more than 128 bytes")],
            ));
        }
        Some(m) => m.to_string(),
        None => managed::manager_from_user_agent(user_agent.as_deref()),
    };
    let ctx = Ctx {
        rt: rt.clone(),
        version: p.version.clone(),
        namespace: p.namespace.clone().unwrap_or_default(),
        name: p.name.clone().unwrap_or_default(),
        sub: p.subresource.clone(),
        dry_run,
        validation,
        explicit_manager: query.non_empty("fieldManager").is_some(),
        manager,
    };
    let content_type = header_str(&req, header::CONTENT_TYPE).map(str::to_ascii_lowercase);
    let body = req.body().clone();
    match (method.as_str(), p.name.is_some()) {
        ("GET", false) => list(shared, &ctx, &query, accept),
        ("GET", true) => get(shared, &ctx, accept),
        ("POST", false) => {
            let obj = decode_object(content_type.as_deref(), &body)?;
            if ctx.validation == FieldValidation::Strict {
                reject_duplicate_fields(&body)?;
            }
            let out = create(shared, &ctx, obj)?;
            respond(&ctx, out, accept)
        }
        ("POST", true) if ctx.sub.as_deref() == Some("token") => {
            let obj = decode_object(content_type.as_deref(), &body)?;
            token_request(shared, &ctx, obj)
        }
        ("PUT" | "PATCH", true) if ctx.sub.as_deref() == Some("scale") => {
            scale_write(shared, &ctx, method.as_str(), content_type.as_deref(), &body)
        }
        ("PUT", true) => {
            let obj = decode_object(content_type.as_deref(), &body)?;
            if ctx.validation == FieldValidation::Strict {
                reject_duplicate_fields(&body)?;
            }
            let out = update(shared, &ctx, obj)?;
            respond(&ctx, out, accept)
        }
        ("PATCH", true) => {
            if query.flag("force") && content_type.as_deref().is_none_or(|c| !c.starts_with("application/apply-patch"))
            {
                return Err(ApiError::invalid_options(
                    "PatchOptions",
                    &[Cause::new(
                        "FieldValueForbidden",
                        "force",
                        "Forbidden: may not be specified for non-apply patch",
                    )],
                ));
            }
            let out = patch_object(shared, &ctx, content_type.as_deref(), &body, query.flag("force"))?;
            respond(&ctx, out, accept)
        }
        ("DELETE", true) => {
            let opts = delete_options(&body, &query)?;
            let ctx = Ctx { dry_run: ctx.dry_run || opts.dry_run, ..ctx };
            let (code, v) = delete(shared, &ctx, &opts)?;
            Ok(json_response(code, &v))
        }
        ("DELETE", false) => {
            let opts = delete_options(&body, &query)?;
            let ctx = Ctx { dry_run: ctx.dry_run || opts.dry_run, ..ctx };
            delete_collection(shared, &ctx, &query, &opts)
        }
        (m, _) => Err(ApiError::method_not_allowed(m)),
    }
}

fn respond(ctx: &Ctx, out: Outcome, accept: Option<&str>) -> Result<Response<Body>, ApiError> {
    let repr = present::negotiate(accept)?;
    let body = match repr {
        Repr::Table => present::table_of_one(&out.object, &ctx.rt, &ctx.version),
        r => present::object(&out.object, &ctx.rt, &ctx.version, r, false),
    };
    let mut resp = json_response(out.code, &body);
    for w in out.warnings {
        if let Ok(v) = HeaderValue::from_str(&format!("299 - {}", serde_json::to_string(&w).unwrap_or_default())) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    Ok(resp)
}

/// Parses a create/update body. Protobuf (and anything but JSON) is refused with 415.
fn decode_object(content_type: Option<&str>, body: &Bytes) -> Result<Value, ApiError> {
    let media = content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_string());
    match media.as_deref() {
        None | Some("application/json") | Some("application/yaml") | Some("*/*") => {}
        Some(other) => {
            return Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format ({other}) - accepted media types include: application/json, application/yaml; the emulator does not speak protobuf or CBOR"
            )));
        }
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        if media.as_deref() == Some("application/yaml") {
            ApiError::unsupported_media_type(format!(
                "YAML bodies that are not JSON are not supported by the emulator; send application/json ({e})"
            ))
        } else {
            ApiError::bad_request(format!("couldn't decode the request body as JSON: {e}"))
        }
    })?;
    if !v.is_object() {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    }
    Ok(v)
}

/// The API server's name check for updates and patches: the body's name and namespace, when
/// set, must be the URL's (400 otherwise).
fn check_name(ctx: &Ctx, obj: &Value) -> Result<(), ApiError> {
    let name = meta_str(obj, "name");
    if !name.is_empty() && name != ctx.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            ctx.name
        )));
    }
    let ns = meta_str(obj, "namespace");
    if ctx.rt.namespaced && !ns.is_empty() && ns != ctx.namespace {
        return Err(ApiError::bad_request(format!(
            "the namespace of the object ({ns}) does not match the namespace on the request ({})",
            ctx.namespace
        )));
    }
    Ok(())
}

fn check_type(ctx: &Ctx, obj: &Value) -> Result<(), ApiError> {
    let want = ctx.rt.api_version(&ctx.version);
    match obj.get("kind").and_then(Value::as_str) {
        None | Some("") => return Err(ApiError::bad_request(format!("Object 'Kind' is missing in '{}'", short(obj)))),
        Some(k) if k != ctx.rt.kind => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({}) and kind ({k}) do not match the endpoint ({want}, {})",
                str_at(obj, "apiVersion"),
                ctx.rt.kind
            )));
        }
        _ => {}
    }
    match obj.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => Err(ApiError::bad_request(format!("Object 'apiVersion' is missing in '{}'", short(obj)))),
        Some(v) if v != want => Err(ApiError::bad_request(format!(
            "the API version in the data ({v}) does not match the expected API version ({want})"
        ))),
        _ => Ok(()),
    }
}

fn short(obj: &Value) -> String {
    // Only the shape, never values: the body may be a Secret.
    let keys: Vec<&str> = obj.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    format!("{{{}}}", keys.join(","))
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn meta_str<'a>(v: &'a Value, key: &str) -> &'a str {
    v["metadata"].get(key).and_then(Value::as_str).unwrap_or_default()
}

fn meta_mut(v: &mut Value) -> Option<&mut Map<String, Value>> {
    let slot = v.as_object_mut()?.entry("metadata").or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut()
}

/// Sets `metadata.<key>` (creating `metadata`); request bodies are known to be objects here.
fn set_meta(v: &mut Value, key: &str, value: Value) {
    if let Some(m) = meta_mut(v) {
        m.insert(key.into(), value);
    }
}

fn remove_meta(v: &mut Value, key: &str) {
    if let Some(m) = meta_mut(v) {
        m.remove(key);
    }
}

fn namespace_check(st: &State, ctx: &Ctx) -> Result<(), ApiError> {
    if !ctx.rt.namespaced {
        return Ok(());
    }
    let ns = st
        .get(&(String::new(), "namespaces".into()), "", &ctx.namespace)
        .ok_or_else(|| ApiError::namespace_not_found(&ctx.namespace))?;
    if ns["metadata"].get("deletionTimestamp").is_some_and(|d| !d.is_null()) {
        return Err(ApiError::forbidden(
            ctx.subject(),
            &format!("unable to create new content in namespace {} because it is being terminated", ctx.namespace),
        ));
    }
    Ok(())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    if getrandom::fill(&mut b).is_err() {
        // Not a secret: names and uids only need to be unique; fall back to the clock.
        let t = clock::unix_nanos().to_le_bytes();
        for (i, x) in b.iter_mut().enumerate() {
            *x = t[i % t.len()] ^ (i as u8);
        }
    }
    b
}

/// A random UUID v4.
pub(crate) fn uuid() -> String {
    let mut b: [u8; 16] = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Creates the namespaces every cluster starts with.
pub(crate) fn seed(shared: &Shared) {
    let mut st = shared.state();
    let Some(rt) = st.registry.get("", "v1", "namespaces") else { return };
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let now = clock::now();
        let rv = st.next_rev();
        let ns = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "uid": uuid(), "resourceVersion": rv.to_string(), "creationTimestamp": now, "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"},
        });
        let ns = Arc::new(ns);
        st.put(&rt.key(), (String::new(), name.to_string()), ns.clone());
        emit(shared, &mut st, EventType::Added, &rt, "", None, ns);
    }
}

// ---------------------------------------------------------------------------------------------
// Reads

fn get(shared: &Arc<Shared>, ctx: &Ctx, accept: Option<&str>) -> Result<Response<Body>, ApiError> {
    if matches!(ctx.sub.as_deref(), Some("token" | "finalize")) {
        // Create-only (token) and update-only (finalize) subresources.
        return Err(ApiError::method_not_allowed("GET"));
    }
    let repr = present::negotiate(accept)?;
    let st = shared.state();
    let obj = st.get(&ctx.rt.key(), &ctx.namespace, &ctx.name).ok_or_else(|| ApiError::not_found(ctx.subject()))?;
    if ctx.sub.as_deref() == Some("scale") {
        return Ok(json_response(200, &scale_of(ctx, obj)));
    }
    let body = match repr {
        Repr::Table => present::table_of_one(obj, &ctx.rt, &ctx.version),
        r => present::object(obj, &ctx.rt, &ctx.version, r, false),
    };
    Ok(json_response(200, &body))
}

/// PUT or PATCH of the `scale` subresource: the change is made on the `Scale` view, and its
/// `spec.replicas` written back to the object's replicas path (what `kubectl scale` and the
/// HPA do).
fn scale_write(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    method: &str,
    content_type: Option<&str>,
    body: &Bytes,
) -> Result<Response<Body>, ApiError> {
    let mut st = shared.state();
    let old =
        st.get(&ctx.rt.key(), &ctx.namespace, &ctx.name).cloned().ok_or_else(|| ApiError::not_found(ctx.subject()))?;
    let current = scale_of(ctx, &old);
    let wanted = if method == "PUT" {
        let scale = decode_object(content_type, body)?;
        if str_at(&scale, "kind") != "Scale" {
            return Err(ApiError::bad_request(format!(
                "the body must be an autoscaling/v1 Scale, not {:?}",
                str_at(&scale, "kind")
            )));
        }
        let rv = meta_str(&scale, "resourceVersion");
        if !rv.is_empty() && rv != meta_str(&old, "resourceVersion") {
            return Err(ApiError::stale(ctx.subject()));
        }
        scale
    } else {
        let media =
            content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_string()).unwrap_or_default();
        let doc: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("couldn't decode the patch as JSON: {e}")))?;
        match media.as_str() {
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let mut s = current.clone();
                patch::merge_patch(&mut s, &doc);
                s
            }
            "application/json-patch+json" => patch::json_patch(&current, &doc).map_err(|e| patch_error(ctx, e))?,
            other => {
                return Err(ApiError::unsupported_media_type(format!(
                    "the body of the request was in an unknown format ({other}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
                )));
            }
        }
    };
    let Some(replicas) = wanted["spec"]["replicas"].as_i64().filter(|r| *r >= 0) else {
        return Err(ApiError::invalid(
            Subject { group: "autoscaling", plural: "scale", kind: "Scale", name: &ctx.name },
            &[Cause::new("FieldValueInvalid", "spec.replicas", "Invalid value: must be greater than or equal to 0")],
        ));
    };
    let path = ctx.rt.scale.as_ref().map(|p| p.spec_replicas.clone()).unwrap_or_else(|| ".spec.replicas".into());
    let mut new = old.clone();
    set_path(&mut new, &path, json!(replicas));
    let scale_ctx = Ctx { sub: None, ..ctx.clone_shallow() };
    let out = finish(shared, &mut st, &scale_ctx, Some(old), new, WriteKind::Update)?;
    Ok(json_response(200, &scale_of(ctx, &out.object)))
}

/// Sets the value at a simple `.a.b.c` path, creating objects on the way.
fn set_path(obj: &mut Value, path: &str, value: Value) {
    let mut cur = obj;
    let parts: Vec<&str> = path.trim_start_matches('.').split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        if i + 1 == parts.len() {
            cur[*part] = value;
            return;
        }
        cur = &mut cur[*part];
    }
}

/// `fieldValidation=Strict` refuses a JSON body that repeats a field, as the API server's
/// strict decoder does (serde_json would silently keep the last value).
fn reject_duplicate_fields(body: &Bytes) -> Result<(), ApiError> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;
    struct Check<'a> {
        path: String,
        found: &'a RefCell<Option<String>>,
    }
    impl<'de> DeserializeSeed<'de> for Check<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Check<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let path = if self.path.is_empty() { key.clone() } else { format!("{}.{key}", self.path) };
                if !seen.insert(key) && self.found.borrow().is_none() {
                    *self.found.borrow_mut() = Some(path.clone());
                }
                map.next_value_seed(Check { path, found: self.found })?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0;
            while seq.next_element_seed(Check { path: format!("{}[{i}]", self.path), found: self.found })?.is_some() {
                i += 1;
            }
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    Check { path: String::new(), found: &found }
        .deserialize(&mut de)
        .map_err(|e| ApiError::bad_request(format!("couldn't decode the request body as JSON: {e}")))?;
    match found.into_inner() {
        Some(path) => Err(ApiError::bad_request(format!("strict decoding error: json: duplicate field \"{path}\""))),
        None => Ok(()),
    }
}

fn scale_of(ctx: &Ctx, obj: &Value) -> Value {
    let paths = ctx.rt.scale.clone();
    let (spec, status, sel) = match &paths {
        Some(p) => (
            present::json_path(obj, &p.spec_replicas).cloned().unwrap_or(json!(0)),
            present::json_path(obj, &p.status_replicas).cloned().unwrap_or(json!(0)),
            p.label_selector.as_ref().and_then(|s| present::json_path(obj, s)).cloned(),
        ),
        None => (json!(0), json!(0), None),
    };
    let mut scale = json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": ctx.name, "namespace": ctx.namespace, "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"], "creationTimestamp": obj["metadata"]["creationTimestamp"]},
        "spec": {"replicas": spec}, "status": {"replicas": status},
    });
    if let Some(s) = sel {
        scale["status"]["selector"] = s;
    }
    scale
}

/// Parsed list options, shared by list, watch and delete-collection.
pub(crate) struct Filter {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub fn parse(rt: &ResourceType, query: &Query) -> Result<Self, ApiError> {
        let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        for f in fields.fields() {
            if !rt.supports_field(f) {
                return Err(ApiError::bad_request(format!("field label not supported: {f}")));
            }
        }
        Ok(Self { labels, fields })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.labels.matches(obj["metadata"]["labels"].as_object())
            && self.fields.matches(&|f: &str| {
                let v = present::json_path(obj, &format!(".{f}"))?;
                Some(match v {
                    Value::String(s) => s.clone(),
                    Value::Null => return None,
                    other => other.to_string(),
                })
            })
    }
}

fn list(shared: &Arc<Shared>, ctx: &Ctx, query: &Query, accept: Option<&str>) -> Result<Response<Body>, ApiError> {
    let repr = present::negotiate(accept)?;
    let filter = Filter::parse(&ctx.rt, query)?;
    let limit = match query.non_empty("limit") {
        Some(l) => l.parse::<i64>().map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?.max(0) as usize,
        None => 0,
    };
    let rv_param = query.non_empty("resourceVersion");
    let rv_match = query.non_empty("resourceVersionMatch");
    let cont = query.non_empty("continue");
    if rv_match.is_some() && rv_param.is_none() {
        return Err(ApiError::invalid_options(
            "ListOptions",
            &[Cause::new(
                "FieldValueForbidden",
                "resourceVersionMatch",
                "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            )],
        ));
    }
    if cont.is_some() && rv_param.is_some_and(|rv| rv != "0") {
        return Err(ApiError::bad_request("specifying resource version is not allowed when using continue"));
    }
    let st = shared.state();
    let requested: Option<u64> = match rv_param {
        Some(rv) => Some(rv.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))?),
        None => None,
    };
    let (snapshot_rv, start_after) = match cont {
        Some(token) => decode_continue(token)?,
        None => {
            let rv = match (requested, rv_match) {
                (Some(0), Some("Exact")) => {
                    return Err(ApiError::invalid_options(
                        "ListOptions",
                        &[Cause::new(
                            "FieldValueForbidden",
                            "resourceVersionMatch",
                            "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                        )],
                    ));
                }
                (Some(rv), Some("Exact")) if rv > st.rev => {
                    return Err(ApiError::timeout(format!("Too large resource version: {rv}, current: {}", st.rev)));
                }
                (Some(rv), Some("Exact")) => rv,
                (Some(rv), Some("NotOlderThan")) if rv > st.rev => {
                    return Err(ApiError::timeout(format!("Too large resource version: {rv}, current: {}", st.rev)));
                }
                (Some(_), Some("NotOlderThan")) | (_, None) => st.rev,
                (_, Some(other)) => {
                    return Err(ApiError::invalid_options(
                        "ListOptions",
                        &[Cause::new(
                            "FieldValueNotSupported",
                            "resourceVersionMatch",
                            format!("Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\""),
                        )],
                    ));
                }
            };
            (rv, None)
        }
    };
    let ns = ctx.rt.namespaced.then_some(ctx.namespace.as_str()).filter(|n| !n.is_empty());
    // Items are borrowed from the store (or from a rebuilt snapshot) and serialised straight
    // into the response under the lock: a large list is never deep-copied.
    let snapshot_items: Vec<Arc<Value>>;
    let objects: Vec<&Value> = if snapshot_rv >= st.rev {
        st.list(&ctx.rt.key(), ns)
            .filter(|(k, _)| start_after.as_ref().is_none_or(|s| *k > s))
            .map(|(_, v)| v)
            .filter(|v| filter.matches(v))
            .collect()
    } else {
        let snap = snapshot(&st, &ctx.rt.key(), snapshot_rv).ok_or_else(|| {
            if cont.is_some() {
                ApiError::expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            } else {
                ApiError::expired(format!("too old resource version: {snapshot_rv} ({})", st.compacted + 1))
            }
        })?;
        snapshot_items = snap
            .into_iter()
            .filter(|(k, _)| ns.is_none_or(|n| k.0 == n) && start_after.as_ref().is_none_or(|s| k > s))
            .map(|(_, v)| v)
            .filter(|v| filter.matches(v))
            .collect();
        snapshot_items.iter().map(Arc::as_ref).collect()
    };
    let total = objects.len();
    let (page, cont_token, remaining) = if limit > 0 && total > limit {
        let page = &objects[..limit];
        let last = page
            .last()
            .map(|o| (meta_str(o, "namespace").to_string(), meta_str(o, "name").to_string()))
            .unwrap_or_default();
        (page, Some(encode_continue(snapshot_rv, &last)), Some(total - limit))
    } else {
        (&objects[..], None, None)
    };
    let body = present::list(page, &ctx.rt, &ctx.version, repr, snapshot_rv, cont_token, remaining);
    drop(st);
    Ok(bytes_response(200, body))
}

/// A JSON response from already serialised bytes.
pub(crate) fn bytes_response(code: u16, body: Vec<u8>) -> Response<Body> {
    let mut resp = Response::new(Body::full(body));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// The objects of one resource as they were at `rv`, rebuilt by undoing later events; `None`
/// when the history no longer reaches back that far.
fn snapshot(st: &State, res: &ResKey, rv: u64) -> Option<std::collections::BTreeMap<(String, String), Arc<Value>>> {
    let events: Vec<&Arc<Event>> = st.since(rv)?.collect();
    let mut objs: std::collections::BTreeMap<(String, String), Arc<Value>> =
        st.list_shared(res, None).map(|(k, v)| (k.clone(), v.clone())).collect();
    for e in events.iter().rev().filter(|e| &e.res == res) {
        let key = (e.namespace.clone(), meta_str(&e.object, "name").to_string());
        match (&e.kind, &e.old) {
            (EventType::Added, _) => {
                objs.remove(&key);
            }
            (_, Some(old)) => {
                objs.insert(key, old.clone());
            }
            (_, None) => {}
        }
    }
    Some(objs)
}

fn encode_continue(rv: u64, last: &(String, String)) -> String {
    use base64::Engine as _;
    let token = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{}/{}\u{0}", last.0, last.1)});
    base64::engine::general_purpose::URL_SAFE.encode(token.to_string())
}

fn decode_continue(token: &str) -> Result<(u64, Option<(String, String)>), ApiError> {
    use base64::Engine as _;
    let bad = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE.decode(token).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v["rv"].as_u64().ok_or_else(bad)?;
    let start = v["start"].as_str().ok_or_else(bad)?.trim_end_matches('\u{0}');
    let (ns, name) = start.split_once('/').ok_or_else(bad)?;
    Ok((rv, Some((ns.to_string(), name.to_string()))))
}

// ---------------------------------------------------------------------------------------------
// Writes

/// Adapts a kind's schema to server-side apply's merge rules.
struct Merge<'a>(Option<&'a Schema>);

impl MergeSchema for Merge<'_> {
    fn list_kind(&self, path: &[String]) -> ListKind {
        let Some(s) = self.0.and_then(|s| s.at(path)) else { return ListKind::Atomic };
        match s.list_type() {
            ListType::Atomic => ListKind::Atomic,
            ListType::Set => ListKind::Set,
            ListType::Map(keys) => ListKind::Map(keys),
        }
    }

    fn map_is_atomic(&self, path: &[String]) -> bool {
        self.0.and_then(|s| s.at(path)).is_some_and(|s| s.map_is_atomic())
    }
}

fn apply_request<'a>(ctx: &'a Ctx, now: &'a str, api_version: &'a str) -> ApplyRequest<'a> {
    ApplyRequest {
        manager: &ctx.manager,
        force: false,
        api_version,
        now,
        subresource: ctx.sub.as_deref().filter(|s| *s == "status"),
    }
}

fn create(shared: &Arc<Shared>, ctx: &Ctx, mut obj: Value) -> Result<Outcome, ApiError> {
    check_type(ctx, &obj)?;
    let body_ns = meta_str(&obj, "namespace").to_string();
    if ctx.rt.namespaced && !body_ns.is_empty() && body_ns != ctx.namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if !meta_str(&obj, "resourceVersion").is_empty() {
        return Err(ApiError::internal("resourceVersion should not be set on objects to be created"));
    }
    let mut st = shared.state();
    let name = match meta_str(&obj, "name") {
        "" => match meta_str(&obj, "generateName") {
            "" => String::new(),
            base => validation::generated_name(base, random_bytes()),
        },
        n => n.to_string(),
    };
    let ctx = Ctx { name: name.clone(), ..ctx.clone_shallow() };
    if ctx.rt.custom {
        let crd_name = format!("{}.{}", ctx.rt.plural, ctx.rt.group);
        let crds = ("apiextensions.k8s.io".to_string(), "customresourcedefinitions".to_string());
        if st
            .get(&crds, "", &crd_name)
            .is_some_and(|c| c["metadata"].get("deletionTimestamp").is_some_and(|d| !d.is_null()))
        {
            return Err(ApiError {
                code: 405,
                reason: "MethodNotAllowed",
                message: "create not allowed while custom resource definition is terminating".into(),
                details: None,
            });
        }
    }
    namespace_check(&st, &ctx)?;
    set_meta(&mut obj, "name", json!(name));
    finish(shared, &mut st, &ctx, None, obj, WriteKind::Create)
}

impl Ctx {
    fn clone_shallow(&self) -> Ctx {
        Ctx {
            rt: self.rt.clone(),
            version: self.version.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            sub: self.sub.clone(),
            dry_run: self.dry_run,
            validation: self.validation,
            manager: self.manager.clone(),
            explicit_manager: self.explicit_manager,
        }
    }
}

fn update(shared: &Arc<Shared>, ctx: &Ctx, obj: Value) -> Result<Outcome, ApiError> {
    check_type(ctx, &obj)?;
    let body_name = meta_str(&obj, "name");
    if body_name != ctx.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            ctx.name
        )));
    }
    let body_ns = meta_str(&obj, "namespace");
    if ctx.rt.namespaced && !body_ns.is_empty() && body_ns != ctx.namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    let mut st = shared.state();
    let rv = meta_str(&obj, "resourceVersion").to_string();
    let Some(old) = st.get(&ctx.rt.key(), &ctx.namespace, &ctx.name).cloned() else {
        if ctx.rt.create_on_update && ctx.sub.is_none() {
            namespace_check(&st, ctx)?;
            let mut obj = obj;
            remove_meta(&mut obj, "resourceVersion");
            return finish(shared, &mut st, ctx, None, obj, WriteKind::Create);
        }
        return Err(ApiError::not_found(ctx.subject()));
    };
    if rv.is_empty() {
        if ctx.rt.put_requires_rv {
            return Err(ApiError::invalid(
                ctx.subject(),
                &[Cause::new(
                    "FieldValueInvalid",
                    "metadata.resourceVersion",
                    "Invalid value: 0x0: must be specified for an update",
                )],
            ));
        }
    } else if rv != meta_str(&old, "resourceVersion") {
        return Err(ApiError::stale(ctx.subject()));
    }
    finish(shared, &mut st, ctx, Some(old), obj, WriteKind::Update)
}

fn patch_object(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    content_type: Option<&str>,
    body: &Bytes,
    force: bool,
) -> Result<Outcome, ApiError> {
    let media = content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_string()).unwrap_or_default();
    let accepted = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
    let kind = match media.as_str() {
        "application/merge-patch+json" => PatchKind::Merge,
        "application/json-patch+json" => PatchKind::Json,
        "application/strategic-merge-patch+json" if !ctx.rt.custom => PatchKind::Strategic,
        "application/apply-patch+yaml" | "application/apply-patch+cbor" if media.ends_with("yaml") => PatchKind::Apply,
        _ => {
            let list = if ctx.rt.custom {
                accepted.to_string()
            } else {
                format!("{accepted}, application/strategic-merge-patch+json")
            };
            return Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format - accepted media types include: {list}"
            )));
        }
    };
    let doc: Value = serde_json::from_slice(body).map_err(|e| {
        if kind == PatchKind::Apply {
            ApiError::unsupported_media_type(format!(
                "apply bodies must be JSON in the emulator (YAML that is not JSON is not supported): {e}"
            ))
        } else {
            ApiError::bad_request(format!("couldn't decode the patch as JSON: {e}"))
        }
    })?;
    if kind == PatchKind::Apply {
        return apply(shared, ctx, doc, force);
    }
    let mut st = shared.state();
    let old =
        st.get(&ctx.rt.key(), &ctx.namespace, &ctx.name).cloned().ok_or_else(|| ApiError::not_found(ctx.subject()))?;
    let patched = match kind {
        PatchKind::Merge => {
            if !doc.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            let mut o = old.clone();
            patch::merge_patch(&mut o, &doc);
            o
        }
        PatchKind::Json => patch::json_patch(&old, &doc).map_err(|e| patch_error(ctx, e))?,
        PatchKind::Strategic => {
            let schema = ctx.schema();
            let strategy = |path: &[String]| -> ListStrategy {
                match schema.and_then(|s| s.at(path)) {
                    Some(s) if s.patch_strategy_merge() => match s.patch_merge_key() {
                        Some(k) => ListStrategy::MergeByKey(k.to_string()),
                        None => ListStrategy::MergePrimitives,
                    },
                    _ => ListStrategy::Replace,
                }
            };
            let retain =
                |path: &[String]| schema.and_then(|s| s.at(path)).is_some_and(|s| s.patch_strategy_retain_keys());
            patch::strategic_merge_patch(&old, &doc, &strategy, &retain).map_err(|e| patch_error(ctx, e))?
        }
        PatchKind::Apply => return Err(ApiError::internal("apply patches are handled before this point")),
    };
    if !patched.is_object() {
        return Err(ApiError::bad_request("the patch did not produce an object"));
    }
    // A resourceVersion that the patch set is a precondition.
    let new_rv = meta_str(&patched, "resourceVersion");
    if !new_rv.is_empty() && new_rv != meta_str(&old, "resourceVersion") {
        return Err(ApiError::stale(ctx.subject()));
    }
    check_name(ctx, &patched)?;
    if str_at(&patched, "apiVersion") != str_at(&old, "apiVersion") || str_at(&patched, "kind") != str_at(&old, "kind")
    {
        return Err(ApiError::bad_request("a patch may not change apiVersion or kind"));
    }
    finish(shared, &mut st, ctx, Some(old), patched, WriteKind::Patch)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchKind {
    Merge,
    Json,
    Strategic,
    Apply,
}

fn patch_error(ctx: &Ctx, e: PatchError) -> ApiError {
    match e {
        PatchError::Malformed(m) => ApiError::bad_request(m),
        PatchError::Failed(m) => ApiError::invalid(ctx.subject(), &[Cause::new("FieldValueInvalid", "", m)]),
    }
}

fn apply(shared: &Arc<Shared>, ctx: &Ctx, doc: Value, force: bool) -> Result<Outcome, ApiError> {
    if !ctx.explicit_manager {
        return Err(ApiError::invalid_options(
            "PatchOptions",
            &[Cause::new("FieldValueRequired", "fieldManager", "Required value: is required for apply patch")],
        ));
    }
    if !doc.is_object() {
        return Err(ApiError::bad_request("an apply patch must be an object"));
    }
    check_type(ctx, &doc)?;
    // A name, if given, must match the URL; an apply body may leave it out (kube-lease-manager
    // does) and then takes the URL's, as the API server's name check allows.
    check_name(ctx, &doc)?;
    let mut doc = doc;
    set_meta(&mut doc, "name", json!(ctx.name));
    let mut st = shared.state();
    let old = st.get(&ctx.rt.key(), &ctx.namespace, &ctx.name).cloned();
    if old.is_none() {
        if ctx.sub.is_some() {
            return Err(ApiError::not_found(ctx.subject()));
        }
        let uid = meta_str(&doc, "uid");
        if !uid.is_empty() {
            return Err(ApiError::conflict(
                ctx.subject(),
                &format!("uid mismatch: the provided object specified uid {uid}, and no existing object was found"),
            ));
        }
        namespace_check(&st, ctx)?;
    }
    let rv = meta_str(&doc, "resourceVersion");
    if !rv.is_empty() && old.as_ref().is_none_or(|o| meta_str(o, "resourceVersion") != rv) {
        return Err(ApiError::stale(ctx.subject()));
    }
    // What the applier may touch: status only through /status, never through the main resource.
    let mut applied = doc.clone();
    if ctx.rt.status
        && let Some(m) = applied.as_object_mut()
    {
        if ctx.sub.as_deref() == Some("status") {
            m.retain(|k, _| matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status"));
        } else {
            m.remove("status");
        }
    }

    let now = clock::now();
    let api_version = ctx.rt.api_version(&ctx.version);
    let req = ApplyRequest { force, ..apply_request(ctx, &now, &api_version) };
    let mut live = old.clone();
    if let Some(l) = &mut live {
        // managed fields are computed on the served version.
        l["apiVersion"] = json!(api_version);
    }
    let merged = managed::apply(live.as_ref(), &applied, &req, &Merge(ctx.schema())).map_err(|e| match e {
        ApplyError::Conflicts { message, causes } => ApiError::apply_conflict(message, &causes),
        ApplyError::BadRequest(m) => ApiError::bad_request(m),
        other => ApiError::internal(other.message()),
    })?;
    let kind = if old.is_some() { WriteKind::Apply } else { WriteKind::ApplyCreate };
    finish(shared, &mut st, ctx, old, merged, kind)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteKind {
    Create,
    Update,
    Patch,
    Apply,
    ApplyCreate,
}

impl WriteKind {
    fn creates(self) -> bool {
        matches!(self, Self::Create | Self::ApplyCreate)
    }
    fn applies(self) -> bool {
        matches!(self, Self::Apply | Self::ApplyCreate)
    }
}

const SYSTEM_META: &[&str] =
    &["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"];

/// The common tail of every write: strategy, validation, generation, managed fields, the no-op
/// check, completion of a pending deletion, and the commit (unless dry run).
fn finish(
    shared: &Arc<Shared>,
    st: &mut State,
    ctx: &Ctx,
    old: Option<Value>,
    mut new: Value,
    kind: WriteKind,
) -> Result<Outcome, ApiError> {
    // The request resolved its resource before taking the lock; a CRD deleted since then
    // leaves nothing to write to.
    if st.registry.by_key(&ctx.rt.key()).is_none() {
        return Err(ApiError::path_not_found());
    }
    let rt = &ctx.rt;
    // System metadata: the server owns it.
    {
        let Some(m) = meta_mut(&mut new) else {
            return Err(ApiError::bad_request("the object must be a JSON object"));
        };
        m.insert("name".into(), json!(ctx.name));
        if rt.namespaced {
            m.insert("namespace".into(), json!(ctx.namespace));
        } else {
            m.remove("namespace");
        }
        m.remove("resourceVersion");
        m.remove("selfLink");
        // As the API server's BeforeUpdate: an empty uid takes the stored one, a different one
        // is refused; creationTimestamp and generation are the server's; a deletion timestamp
        // cannot be set, changed or removed by an update.
        if let Some(o) = &old {
            let om = &o["metadata"];
            let immutable = |field: &str, sent: &Value, stored: &Value| -> Option<Cause> {
                (!sent.is_null() && sent != stored).then(|| {
                    Cause::new(
                        "FieldValueInvalid",
                        format!("metadata.{field}"),
                        format!("Invalid value: {sent}: field is immutable"),
                    )
                })
            };
            let sent = |k: &str| m.get(k).cloned().unwrap_or(Value::Null);
            let mut causes = Vec::new();
            if let Some(c) = immutable("uid", &sent("uid"), &om["uid"]) {
                causes.push(c);
            }
            if om.get("deletionTimestamp").is_none_or(Value::is_null)
                && let Some(c) = immutable("deletionTimestamp", &sent("deletionTimestamp"), &Value::Null)
            {
                causes.push(Cause::new(
                    "FieldValueInvalid",
                    "metadata.deletionTimestamp",
                    c.message.replace("field is immutable", "field is immutable; may only be changed via deletion"),
                ));
            }
            if !causes.is_empty() {
                return Err(ApiError::invalid(ctx.subject(), &causes));
            }
        }
        for k in SYSTEM_META {
            m.remove(*k);
        }
        match &old {
            Some(o) => {
                for k in SYSTEM_META {
                    if let Some(v) = o["metadata"].get(*k) {
                        m.insert((*k).into(), v.clone());
                    }
                }
            }
            None => {
                m.insert("uid".into(), json!(uuid()));
                m.insert("creationTimestamp".into(), json!(clock::now()));
                if rt.generation {
                    m.insert("generation".into(), json!(1));
                }
            }
        }
        for empty in ["labels", "annotations", "finalizers", "ownerReferences"] {
            if m.get(empty).is_some_and(|v| v.is_null()) {
                m.remove(empty);
            }
        }
    }
    new["apiVersion"] = json!(rt.api_version(rt.storage_version()));
    new["kind"] = json!(rt.kind);
    // Status subresource rules.
    if rt.status {
        match (&old, ctx.sub.as_deref()) {
            (None, _) => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
            (Some(o), Some("status")) => {
                let status = new.get("status").cloned();
                let managed_fields = new["metadata"].get("managedFields").cloned();
                let mut keep = o.clone();
                match status {
                    Some(s) if !s.is_null() => keep["status"] = s,
                    _ => {
                        if let Some(m) = keep.as_object_mut() {
                            m.remove("status");
                        }
                    }
                }
                if kind.applies()
                    && let Some(mf) = managed_fields
                {
                    set_meta(&mut keep, "managedFields", mf);
                }
                new = keep;
            }
            (Some(o), _) => match o.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    if let Some(m) = new.as_object_mut() {
                        m.remove("status");
                    }
                }
            },
        }
    }
    let mut warnings = Vec::new();
    // Kind-specific normalisation and validation.
    let mut causes = kind_rules(rt, old.as_ref(), &mut new).map_err(ApiError::bad_request)?;
    // Unknown fields: pruned whatever the directive; refused under Strict.
    if rt.prune
        && let Some(schema) = ctx.schema()
    {
        if !rt.custom
            && let Some(message) = schema.decode_error(&new)
        {
            return Err(ApiError::bad_request(message));
        }
        let unknown = schema.prune(&mut new);
        if !unknown.is_empty() {
            match ctx.validation {
                FieldValidation::Strict => {
                    let listed: Vec<String> = unknown.iter().map(|f| format!("unknown field \"{f}\"")).collect();
                    let msg = format!("strict decoding error: {}", listed.join(", "));
                    return Err(if matches!(kind, WriteKind::Patch | WriteKind::Apply | WriteKind::ApplyCreate) {
                        ApiError::invalid(ctx.subject(), &[Cause::new("FieldValueInvalid", "", msg)])
                    } else {
                        ApiError::bad_request(msg)
                    });
                }
                FieldValidation::Warn => warnings.extend(unknown.iter().map(|f| format!("unknown field \"{f}\""))),
                FieldValidation::Ignore => {}
            }
        }
        schema.apply_defaults(&mut new);
        causes.extend(schema.validate(&new));
    }
    causes.extend(validation::object_meta(&new["metadata"], rt.namespaced, rt.name_rule));
    // Core kinds' strategy restricts unqualified finalizer names; CRs and CRDs are validated by
    // the generic object-meta rules only.
    if !rt.custom && rt.group != "apiextensions.k8s.io" {
        causes.extend(validation::builtin_finalizer_names(&new["metadata"]));
    }
    if let Some(o) = &old {
        causes.extend(validation::no_new_finalizers_while_deleting(&new["metadata"], &o["metadata"]));
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid(ctx.subject(), &causes));
    }
    // Generation: bumps when anything outside metadata changes (status excluded when it is a
    // subresource).
    if rt.generation
        && let Some(o) = &old
        && spec_view(o, rt.status) != spec_view(&new, rt.status)
    {
        let g = o["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        set_meta(&mut new, "generation", json!(g));
    }
    // Managed fields.
    let now = clock::now();
    let api_version = rt.api_version(&ctx.version);
    if !kind.applies() {
        let mut previous = old.clone();
        if let Some(p) = &mut previous {
            p["apiVersion"] = json!(api_version);
        }
        new["apiVersion"] = json!(api_version);
        managed::record_update(
            previous.as_ref(),
            &mut new,
            &apply_request(ctx, &now, &api_version),
            &Merge(ctx.schema()),
        );
        new["apiVersion"] = json!(rt.api_version(rt.storage_version()));
    }
    if let Some(m) = new["metadata"].as_object_mut()
        && m.get("managedFields").is_some_and(|v| v.as_array().is_some_and(Vec::is_empty) || v.is_null())
    {
        m.remove("managedFields");
    }
    // A write that changes nothing keeps the revision and sends no event.
    // Compared with the stored revision put on the candidate, instead of copying the old object.
    if let Some(o) = &old {
        set_meta(&mut new, "resourceVersion", o["metadata"]["resourceVersion"].clone());
        if *o == new {
            return Ok(Outcome { object: Arc::new(new), code: 200, warnings });
        }
        remove_meta(&mut new, "resourceVersion");
    }
    let finishing_delete = old.is_some()
        && new["metadata"].get("deletionTimestamp").is_some_and(|d| !d.is_null())
        && new["metadata"]["finalizers"].as_array().is_none_or(Vec::is_empty);
    let code = if kind.creates() { 201 } else { 200 };
    if kind.creates() && st.get(&rt.key(), &ctx.namespace, &ctx.name).is_some() {
        return Err(ApiError::already_exists(ctx.subject()));
    }
    if ctx.dry_run {
        if !kind.creates() {
            set_meta(&mut new, "resourceVersion", o_rv(&old));
        }
        return Ok(Outcome { object: Arc::new(new), code, warnings });
    }
    if rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions" {
        crd_accept(st, &mut new, ctx)?;
    }
    let rv = st.next_rev();
    set_meta(&mut new, "resourceVersion", json!(rv.to_string()));
    let key = (ctx.namespace.clone(), ctx.name.clone());
    let new = Arc::new(new);
    let old = old.map(Arc::new);
    if finishing_delete {
        st.remove(&rt.key(), &key);
        emit(shared, st, EventType::Deleted, rt, &ctx.namespace, old, new.clone());
        after_removal(shared, st, rt, &new);
    } else {
        st.put(&rt.key(), key, new.clone());
        let t = if kind.creates() { EventType::Added } else { EventType::Modified };
        emit(shared, st, t, rt, &ctx.namespace, old, new.clone());
    }
    Ok(Outcome { object: new, code, warnings })
}

fn o_rv(old: &Option<Value>) -> Value {
    old.as_ref().map(|o| o["metadata"]["resourceVersion"].clone()).unwrap_or(Value::Null)
}

fn string_set(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
}

/// The object without metadata (and without status when status is a subresource).
fn spec_view(o: &Value, status_sub: bool) -> Value {
    let mut v = o.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("apiVersion");
        m.remove("kind");
        if status_sub {
            m.remove("status");
        }
    }
    v
}

/// Records a committed write and fans it out to watches.
pub(crate) fn emit(
    shared: &Shared,
    st: &mut State,
    kind: EventType,
    rt: &ResourceType,
    ns: &str,
    old: Option<Arc<Value>>,
    object: Arc<Value>,
) {
    let rv = object["metadata"]["resourceVersion"].as_str().and_then(|r| r.parse().ok()).unwrap_or(st.rev);
    // The controllers only care about deletions, objects being deleted, and ownership.
    let meta = &object["metadata"];
    if kind == EventType::Deleted || meta.get("deletionTimestamp").is_some_and(|d| !d.is_null()) {
        shared.wake_controllers();
    } else if meta.get("ownerReferences").is_some_and(|r| r.as_array().is_some_and(|a| !a.is_empty())) {
        shared.wake_for_dependent(rt.key(), ns, meta["name"].as_str().unwrap_or_default());
    }
    let ev = Arc::new(Event { rv, kind, res: rt.key(), namespace: ns.to_string(), old, object });
    st.record(ev.clone());
    let _ = shared.events.send(ev);
}

/// After an object is gone: CRD endpoints disappear with their CRD; the controllers look again.
fn after_removal(shared: &Shared, st: &mut State, rt: &ResourceType, obj: &Value) {
    if rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions" {
        let group = obj["spec"]["group"].as_str().unwrap_or_default().to_string();
        let plural = obj["spec"]["names"]["plural"].as_str().unwrap_or_default().to_string();
        st.registry.remove(&(group.clone(), plural.clone()));
        st.objects.remove(&(group, plural));
    }
    shared.wake_controllers();
}

/// Kind-specific strategy: defaults and rules of Secrets, ConfigMaps, Namespaces, Leases, CRDs.
/// `Err` is a 400 message; causes are 422s.
fn kind_rules(rt: &ResourceType, old: Option<&Value>, new: &mut Value) -> Result<Vec<Cause>, String> {
    let mut causes = Vec::new();
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "secrets") => causes.extend(validation::normalize_and_validate_secret(new, old)?),
        ("", "configmaps") => causes.extend(validation::normalize_and_validate_config_map(new, old)?),
        ("", "namespaces") => {
            if old.is_none() {
                new["spec"] = json!({"finalizers": ["kubernetes"]});
                new["status"] = json!({"phase": "Active"});
            }
            // The API server stamps every namespace with a label carrying its own name.
            let n = meta_str(new, "name").to_string();
            if let Some(l) = meta_mut(new).and_then(|m| m.entry("labels").or_insert_with(|| json!({})).as_object_mut())
            {
                l.insert("kubernetes.io/metadata.name".into(), json!(n));
            }
        }
        ("coordination.k8s.io", "leases") => {
            for f in ["acquireTime", "renewTime"] {
                if let Some(t) = new["spec"].get(f).and_then(Value::as_str) {
                    let norm = clock::normalize_micro(t)
                        .ok_or_else(|| format!("spec.{f}: {t:?} is not an RFC 3339 MicroTime"))?;
                    new["spec"][f] = json!(norm);
                }
            }
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            if let Err(cs) = Registry::from_crd(new) {
                causes.extend(cs);
            }
            if let Some(o) = old {
                for f in ["group", "scope"] {
                    if o["spec"][f] != new["spec"][f] {
                        causes.push(Cause::new(
                            "FieldValueInvalid",
                            format!("spec.{f}"),
                            "Invalid value: field is immutable",
                        ));
                    }
                }
                let listed: Vec<&str> = new["spec"]["versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v["name"].as_str())
                    .collect();
                for (i, stored) in o["status"]["storedVersions"].as_array().into_iter().flatten().enumerate() {
                    if let Some(name) = stored.as_str()
                        && !listed.contains(&name)
                    {
                        causes.push(Cause::new(
                            "FieldValueInvalid",
                            format!("status.storedVersions[{i}]"),
                            format!("Invalid value: \"{name}\": must appear in spec.versions"),
                        ));
                    }
                }
                if o["spec"]["names"]["plural"] != new["spec"]["names"]["plural"] {
                    causes.push(Cause::new(
                        "FieldValueInvalid",
                        "spec.names.plural",
                        "Invalid value: field is immutable",
                    ));
                }
            } else {
                if let Some(a) =
                    meta_mut(new).and_then(|m| m.entry("finalizers").or_insert_with(|| json!([])).as_array_mut())
                    && !a.iter().any(|f| f == "customresourcecleanup.apiextensions.k8s.io")
                {
                    a.push(json!("customresourcecleanup.apiextensions.k8s.io"));
                }
            }
        }
        _ => {}
    }
    Ok(causes)
}

/// A CRD that passed validation: set its status (Established at once) and serve its resource.
fn crd_accept(st: &mut State, crd: &mut Value, ctx: &Ctx) -> Result<(), ApiError> {
    let rt = Registry::from_crd(crd).map_err(|c| ApiError::invalid(ctx.subject(), &c))?;
    if let Some(existing) = st.registry.by_key(&rt.key())
        && !existing.custom
    {
        return Err(ApiError::invalid(
            ctx.subject(),
            &[Cause::new(
                "FieldValueInvalid",
                "spec.group",
                "Invalid value: the group and plural are served by a built-in resource",
            )],
        ));
    }
    let deleting = crd["metadata"].get("deletionTimestamp").is_some_and(|d| !d.is_null());
    let now = clock::now();
    let mut names = crd["spec"]["names"].clone();
    names["singular"] = json!(rt.singular);
    names["listKind"] = json!(rt.list_kind);
    let storage: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["storage"] == json!(true))
        .map(|v| v["name"].clone())
        .collect();
    let mut stored = crd["status"]["storedVersions"].as_array().cloned().unwrap_or_default();
    for s in storage {
        if !stored.contains(&s) {
            stored.push(s);
        }
    }
    let prev_conditions = crd["status"]["conditions"].clone();
    let since = |t: &str| -> Value {
        prev_conditions
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"] == t)
            .map(|c| c["lastTransitionTime"].clone())
            .unwrap_or(json!(now))
    };
    let mut conditions = vec![
        json!({"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": since("NamesAccepted")}),
        json!({"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": since("Established")}),
    ];
    if deleting {
        conditions.push(json!({"type": "Terminating", "status": "True", "reason": "InstanceDeletionInProgress", "message": "CustomResource deletion is in progress", "lastTransitionTime": since("Terminating")}));
    }
    crd["status"] = json!({"conditions": conditions, "acceptedNames": names, "storedVersions": stored});
    st.registry.insert(rt);
    Ok(())
}

fn token_request(shared: &Arc<Shared>, ctx: &Ctx, body: Value) -> Result<Response<Body>, ApiError> {
    if str_at(&body, "kind") != "TokenRequest" {
        return Err(ApiError::bad_request("the body must be an authentication.k8s.io/v1 TokenRequest"));
    }
    let st = shared.state();
    let sa = st.get(&ctx.rt.key(), &ctx.namespace, &ctx.name).ok_or_else(|| ApiError::not_found(ctx.subject()))?;
    let seconds = body["spec"]["expirationSeconds"].as_u64().unwrap_or(3600);
    if seconds < 600 {
        return Err(ApiError::invalid(
            Subject { group: "authentication.k8s.io", plural: "tokenrequests", kind: "TokenRequest", name: &ctx.name },
            &[Cause::new(
                "FieldValueInvalid",
                "spec.expirationSeconds",
                format!("Invalid value: {seconds}: may not specify a duration less than 10 minutes"),
            )],
        ));
    }
    let exp = clock::format(u64::try_from(clock::unix_nanos() / 1_000_000_000).unwrap_or(0) + seconds, None);
    let token = format!("emulator.{}.{}", ctx.namespace, uuid());
    let mut out = body.clone();
    out["apiVersion"] = json!("authentication.k8s.io/v1");
    out["metadata"] = json!({"name": ctx.name, "namespace": ctx.namespace, "creationTimestamp": Value::Null});
    out["spec"]["expirationSeconds"] = json!(seconds);
    if out["spec"]["audiences"].is_null() {
        out["spec"]["audiences"] = json!(["https://kubernetes.default.svc"]);
    }
    out["status"] = json!({"token": token, "expirationTimestamp": exp});
    let _ = sa;
    Ok(json_response(201, &out))
}

// ---------------------------------------------------------------------------------------------
// Deletes

pub(crate) struct DeleteOptions {
    pub dry_run: bool,
    pub propagation: Option<String>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

fn delete_options(body: &Bytes, query: &Query) -> Result<DeleteOptions, ApiError> {
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("couldn't decode DeleteOptions: {e}")))?
    };
    let dry = match &v["dryRun"] {
        Value::Null => false,
        Value::Array(a) if a.is_empty() => false,
        Value::Array(a) if a.len() == 1 && a[0] == "All" => true,
        other => return Err(ApiError::bad_request(format!("Invalid dry run value: {other}"))),
    };
    let mut propagation = v["propagationPolicy"]
        .as_str()
        .map(str::to_string)
        .or_else(|| query.non_empty("propagationPolicy").map(str::to_string));
    if propagation.is_none() && v["orphanDependents"] == json!(true) {
        propagation = Some("Orphan".into());
    }
    if let Some(p) = &propagation
        && !matches!(p.as_str(), "Orphan" | "Background" | "Foreground")
    {
        return Err(ApiError::invalid_options(
            "DeleteOptions",
            &[Cause::new(
                "FieldValueNotSupported",
                "propagationPolicy",
                format!(
                    "Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
                ),
            )],
        ));
    }
    Ok(DeleteOptions {
        dry_run: dry,
        propagation,
        uid: v["preconditions"]["uid"].as_str().map(str::to_string),
        resource_version: v["preconditions"]["resourceVersion"].as_str().map(str::to_string),
    })
}

fn delete(shared: &Arc<Shared>, ctx: &Ctx, opts: &DeleteOptions) -> Result<(u16, Value), ApiError> {
    if ctx.sub.is_some() {
        return Err(ApiError::method_not_allowed("DELETE on a subresource"));
    }
    let mut st = shared.state();
    let obj =
        st.get(&ctx.rt.key(), &ctx.namespace, &ctx.name).cloned().ok_or_else(|| ApiError::not_found(ctx.subject()))?;
    if let Some(uid) = &opts.uid
        && uid != meta_str(&obj, "uid")
    {
        return Err(ApiError::conflict(
            ctx.subject(),
            &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {}", meta_str(&obj, "uid")),
        ));
    }
    if let Some(rv) = &opts.resource_version
        && rv != meta_str(&obj, "resourceVersion")
    {
        return Err(ApiError::conflict(
            ctx.subject(),
            &format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in meta: {}",
                meta_str(&obj, "resourceVersion")
            ),
        ));
    }
    let obj = delete_object(shared, &mut st, &ctx.rt, obj, opts.propagation.as_deref(), ctx.dry_run);
    let present = present::object(&obj.0, &ctx.rt, &ctx.version, Repr::Json, false);
    if obj.1 && !ctx.rt.returns_deleted {
        return Ok((200, crate::status::deleted(ctx.subject(), meta_str(&present, "uid"))));
    }
    Ok((200, present))
}

/// Deletes an object, or starts its graceful deletion when finalizers (or the propagation
/// policy's finalizer, or a namespace's spec finalizer) hold it. Returns the object as it now
/// is and whether it is gone.
pub(crate) fn delete_object(
    shared: &Shared,
    st: &mut State,
    rt: &Arc<ResourceType>,
    obj: Value,
    propagation: Option<&str>,
    dry_run: bool,
) -> (Value, bool) {
    let ns = meta_str(&obj, "namespace").to_string();
    let name = meta_str(&obj, "name").to_string();
    let mut new = obj.clone();
    let already = obj["metadata"].get("deletionTimestamp").is_some_and(|d| !d.is_null());
    let is_namespace = rt.group.is_empty() && rt.plural == "namespaces";
    let mut fins = string_set(&obj["metadata"]["finalizers"]);
    match propagation {
        Some("Orphan") if !fins.iter().any(|f| f == "orphan") => fins.push("orphan".into()),
        Some("Foreground") if !fins.iter().any(|f| f == "foregroundDeletion") => fins.push("foregroundDeletion".into()),
        _ => {}
    }
    let held = !fins.is_empty() || is_namespace;
    if !held {
        if dry_run {
            return (obj, true);
        }
        let rv = st.next_rev();
        set_meta(&mut new, "resourceVersion", json!(rv.to_string()));
        st.remove(&rt.key(), &(ns.clone(), name));
        emit(shared, st, EventType::Deleted, rt, &ns, Some(Arc::new(obj)), Arc::new(new.clone()));
        after_removal(shared, st, rt, &new);
        return (new, true);
    }
    if let Some(m) = meta_mut(&mut new) {
        if !fins.is_empty() {
            m.insert("finalizers".into(), json!(fins));
        }
        if !already {
            m.insert("deletionTimestamp".into(), json!(clock::now()));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
            if let Some(g) = m.get("generation").and_then(Value::as_i64)
                && g > 0
            {
                m.insert("generation".into(), json!(g + 1));
            }
        }
    }
    if is_namespace {
        new["status"]["phase"] = json!("Terminating");
    }
    if new == obj || dry_run {
        return (new, false);
    }
    let rv = st.next_rev();
    set_meta(&mut new, "resourceVersion", json!(rv.to_string()));
    let shared_new = Arc::new(new.clone());
    st.put(&rt.key(), (ns.clone(), meta_str(&obj, "name").to_string()), shared_new.clone());
    emit(shared, st, EventType::Modified, rt, &ns, Some(Arc::new(obj)), shared_new);
    shared.wake_controllers();
    (new, false)
}

fn delete_collection(
    shared: &Arc<Shared>,
    ctx: &Ctx,
    query: &Query,
    opts: &DeleteOptions,
) -> Result<Response<Body>, ApiError> {
    let filter = Filter::parse(&ctx.rt, query)?;
    let mut st = shared.state();
    let ns = ctx.rt.namespaced.then_some(ctx.namespace.as_str()).filter(|n| !n.is_empty());
    let victims: Vec<Value> =
        st.list(&ctx.rt.key(), ns).map(|(_, v)| v).filter(|v| filter.matches(v)).cloned().collect();
    let mut items = Vec::new();
    for v in victims {
        let (o, _) = delete_object(shared, &mut st, &ctx.rt, v, opts.propagation.as_deref(), ctx.dry_run);
        items.push(o);
    }
    let rv = st.rev;
    drop(st);
    let refs: Vec<&Value> = items.iter().collect();
    Ok(bytes_response(200, present::list(&refs, &ctx.rt, &ctx.version, Repr::Json, rv, None, None)))
}
