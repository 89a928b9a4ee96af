//! The schema engine: built-in Kubernetes v1.37 definitions and CRD `openAPIV3Schema`s, used to
//! prune unknown fields, apply defaults, validate, answer strategic-merge-patch and server-side
//! apply questions, and serve `/openapi/v3`.
//!
//! Built-in kinds come from `data/k8s-v1.37-definitions.json` (see `data/README.md`), embedded and
//! parsed once. Custom resources use the CRD version's schema after [`Schema::from_crd`] has checked
//! that it is structural enough to drive pruning and validation.
//!
//! The two sources follow different server code paths, and this module keeps them apart:
//!
//! - **Built-ins** are decoded into Go structs by the API server. A value of the wrong JSON type is a
//!   400 decode error ([`Schema::decode_error`]), unknown fields are dropped (and reported under
//!   `fieldValidation=Strict`), `null` means "absent". Their semantic validation is hand-written Go
//!   code; [`Schema::validate`] only covers what the definitions carry (types and `required`).
//! - **Custom resources** are pruned structurally, defaulted, and validated by kube-openapi, whose
//!   messages [`Schema::validate`] reproduces (`spec.replicas in body must be of type integer:
//!   "string"`), followed by the `x-kubernetes-list-type` uniqueness checks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde_json::{Map, Value, json};

use crate::cause::Cause;

/// The embedded definitions; see `data/README.md` for provenance.
const DEFINITIONS_JSON: &str = include_str!("../data/k8s-v1.37-definitions.json");

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const TIME: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
const MICRO_TIME: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
const FIELDS_V1: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1";
const RAW_EXTENSION: &str = "io.k8s.apimachinery.pkg.runtime.RawExtension";

/// The layouts Go's `time.Parse` gets for `metav1.Time` and `metav1.MicroTime`.
const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
const RFC3339_MICRO: &str = "2006-01-02T15:04:05.000000Z07:00";

/// `resource.ParseQuantity`'s format error, word for word.
const QUANTITY_FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// The built-in definitions, parsed once.
static BUILTINS: LazyLock<Builtins> = LazyLock::new(|| Builtins::parse(DEFINITIONS_JSON));

/// Parsed built-in definitions.
struct Builtins {
    /// The definitions as stored, for `/openapi/v3` documents.
    raw: Map<String, Value>,
    /// The definitions as schema nodes, by definition name.
    nodes: BTreeMap<String, Arc<Node>>,
    /// Definition name by (group, version, kind).
    kinds: BTreeMap<(String, String, String), String>,
}

impl Builtins {
    /// Parses the embedded file; an unreadable file gives an empty set (a unit test proves it parses).
    fn parse(text: &str) -> Self {
        let raw = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(mut top)) => match top.remove("definitions") {
                Some(Value::Object(defs)) => defs,
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        let mut nodes = BTreeMap::new();
        let mut kinds = BTreeMap::new();
        for (name, def) in &raw {
            let mut node = Node::parse(def, Mode::Builtin);
            node.name = Some(name.clone());
            for (g, v, k) in &node.gvk {
                kinds.entry((g.clone(), v.clone(), k.clone())).or_insert_with(|| name.clone());
            }
            nodes.insert(name.clone(), Arc::new(node));
        }
        Self { raw, nodes, kinds }
    }
}

/// Which server code path a schema stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A built-in kind, decoded into typed Go structs.
    Builtin,
    /// A custom resource, handled as unstructured JSON with a structural schema.
    Crd,
}

/// The `additionalProperties` of a node.
enum Additional {
    /// `additionalProperties: true` or `false` with no schema.
    Bool,
    /// `additionalProperties: {schema}`.
    Schema(Arc<Node>),
}

/// One schema node, parsed from OpenAPI/JSON-Schema JSON.
#[derive(Default)]
struct Node {
    /// The definition name, for built-in definition roots.
    name: Option<String>,
    /// The built-in definition this node refers to (`$ref`).
    reference: Option<String>,
    types: Vec<String>,
    nullable: bool,
    format: Option<String>,
    enumeration: Option<Vec<Value>>,
    default: Option<Value>,
    properties: BTreeMap<String, Arc<Node>>,
    additional: Option<Additional>,
    items: Option<Arc<Node>>,
    required: Vec<String>,
    all_of: Vec<Arc<Node>>,
    any_of: Vec<Arc<Node>>,
    one_of: Vec<Arc<Node>>,
    not: Option<Arc<Node>>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    multiple_of: Option<f64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    min_properties: Option<u64>,
    max_properties: Option<u64>,
    pattern: Option<String>,
    pattern_re: Option<Regex>,
    preserve_unknown: bool,
    embedded: bool,
    int_or_string: bool,
    list_type: Option<String>,
    list_map_keys: Vec<String>,
    map_type: Option<String>,
    patch_strategy: Option<String>,
    patch_merge_key: Option<String>,
    gvk: Vec<(String, String, String)>,
}

impl Node {
    /// Parses a schema object; unknown keywords are ignored (the CRD checker reports forbidden ones).
    fn parse(v: &Value, mode: Mode) -> Node {
        let mut n = Node::default();
        let Some(o) = v.as_object() else { return n };
        let child = |v: &Value| Arc::new(Node::parse(v, mode));
        let list = |v: Option<&Value>| -> Vec<Arc<Node>> {
            v.and_then(Value::as_array)
                .map(|a| a.iter().map(|x| Arc::new(Node::parse(x, mode))).collect())
                .unwrap_or_default()
        };
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let string = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        let flag = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
        let count = |k: &str| o.get(k).and_then(Value::as_u64);
        let number = |k: &str| o.get(k).and_then(Value::as_f64);

        n.reference = string("$ref").map(|r| r.rsplit('/').next().unwrap_or_default().to_owned());
        match o.get("type") {
            Some(Value::String(t)) if t == "null" => n.nullable = true,
            Some(Value::String(t)) => n.types.push(t.clone()),
            Some(Value::Array(ts)) => {
                for t in ts.iter().filter_map(Value::as_str) {
                    if t == "null" {
                        n.nullable = true;
                    } else {
                        n.types.push(t.to_owned());
                    }
                }
            }
            _ => {}
        }
        n.nullable |= flag("nullable");
        n.format = string("format");
        n.enumeration = o.get("enum").and_then(Value::as_array).cloned();
        n.default = o.get("default").cloned();
        if let Some(props) = o.get("properties").and_then(Value::as_object) {
            n.properties = props.iter().map(|(k, v)| (k.clone(), child(v))).collect();
        }
        n.additional = match o.get("additionalProperties") {
            Some(Value::Bool(_)) => Some(Additional::Bool),
            Some(v @ Value::Object(_)) => Some(Additional::Schema(child(v))),
            _ => None,
        };
        n.items = o.get("items").filter(|v| v.is_object()).map(child);
        n.required = strings(o.get("required"));
        n.all_of = list(o.get("allOf"));
        n.any_of = list(o.get("anyOf"));
        n.one_of = list(o.get("oneOf"));
        n.not = o.get("not").map(child);
        n.minimum = number("minimum");
        n.maximum = number("maximum");
        n.exclusive_minimum = flag("exclusiveMinimum");
        n.exclusive_maximum = flag("exclusiveMaximum");
        n.multiple_of = number("multipleOf");
        n.min_length = count("minLength");
        n.max_length = count("maxLength");
        n.min_items = count("minItems");
        n.max_items = count("maxItems");
        n.unique_items = flag("uniqueItems");
        n.min_properties = count("minProperties");
        n.max_properties = count("maxProperties");
        n.pattern = string("pattern");
        n.pattern_re = n.pattern.as_deref().and_then(|p| Regex::new(p).ok());
        n.preserve_unknown = flag("x-kubernetes-preserve-unknown-fields");
        n.embedded = flag("x-kubernetes-embedded-resource");
        n.int_or_string = flag("x-kubernetes-int-or-string");
        n.list_type = string("x-kubernetes-list-type");
        n.list_map_keys = strings(o.get("x-kubernetes-list-map-keys"));
        n.map_type = string("x-kubernetes-map-type");
        n.patch_strategy = string("x-kubernetes-patch-strategy");
        n.patch_merge_key = string("x-kubernetes-patch-merge-key");
        if let Some(gvks) = o.get("x-kubernetes-group-version-kind").and_then(Value::as_array) {
            for g in gvks {
                let part = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                n.gvk.push((part("group"), part("version"), part("kind")));
            }
        }
        if n.int_or_string && n.types.is_empty() {
            n.types = vec!["integer".to_owned(), "string".to_owned()];
        }
        // The built-in IntOrString and Quantity are `oneOf` bare types: a type union.
        if mode == Mode::Builtin
            && n.types.is_empty()
            && !n.one_of.is_empty()
            && n.one_of.iter().all(|alt| alt.is_bare_type())
        {
            n.types = n.one_of.iter().flat_map(|alt| alt.types.clone()).collect();
            n.one_of.clear();
        }
        n
    }

    /// True for `{"type": T}` and nothing else.
    fn is_bare_type(&self) -> bool {
        self.types.len() == 1
            && self.reference.is_none()
            && self.properties.is_empty()
            && self.additional.is_none()
            && self.items.is_none()
            && self.format.is_none()
    }

    /// The schema of an additional property, if the node has one.
    fn additional_schema(&self) -> Option<&Node> {
        match &self.additional {
            Some(Additional::Schema(s)) => Some(s),
            _ => None,
        }
    }

    /// The schema for one key of an object: its property, else the additional-properties schema.
    fn field(&self, key: &str) -> Option<&Node> {
        self.properties.get(key).map(|p| &**p).or_else(|| self.additional_schema())
    }

    /// Built-in types that take any JSON (`FieldsV1`, `RawExtension`): their Go types keep the raw bytes.
    fn is_raw(&self) -> bool {
        matches!(self.name.as_deref(), Some(FIELDS_V1 | RAW_EXTENSION))
    }

    /// A built-in struct with no fields at all (Go `struct{}`): every field sent is unknown.
    fn is_empty_struct(&self) -> bool {
        self.types == ["object"] && self.properties.is_empty() && self.additional.is_none() && !self.is_raw()
    }

    /// The last segment of a built-in definition name (the Go type name).
    fn short_name(&self) -> Option<&str> {
        self.name.as_deref().map(|n| n.rsplit('.').next().unwrap_or(n))
    }
}

/// Follows built-in `$ref`s (and a single-`$ref` `allOf` wrapper) to the node that carries structure.
fn resolve(node: &Node) -> &Node {
    let mut cur = node;
    for _ in 0..32 {
        let target = match (&cur.reference, cur.all_of.as_slice()) {
            (Some(name), _) => BUILTINS.nodes.get(name).map(|n| &**n),
            (None, [only]) if cur.properties.is_empty() && cur.types.is_empty() && only.reference.is_some() => {
                Some(&**only)
            }
            _ => None,
        };
        match target {
            Some(next) => cur = next,
            None => return cur,
        }
    }
    cur
}

/// How server-side apply merges a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListType {
    /// The list is replaced as a whole.
    Atomic,
    /// Items are scalars merged by value.
    Set,
    /// Items are objects merged by these key fields.
    Map(Vec<String>),
}

/// A schema node: either a built-in definition (from the data file, resolving `$ref`) or a CRD's
/// `openAPIV3Schema` (JSONSchemaProps, structural). Cheap to clone.
#[derive(Clone)]
pub struct Schema {
    node: Arc<Node>,
    mode: Mode,
    /// True for the schema of a whole object (the kind or the CRD version), whose root
    /// `apiVersion`/`kind`/`metadata` get special treatment.
    root: bool,
    /// The CRD's `openAPIV3Schema` as given, for `/openapi/v3` documents (roots only).
    raw: Option<Arc<Value>>,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("mode", &self.mode)
            .field("root", &self.root)
            .field("definition", &resolve(&self.node).name)
            .finish_non_exhaustive()
    }
}

impl Schema {
    fn child(&self, node: Arc<Node>) -> Schema {
        Schema { node, mode: self.mode, root: false, raw: None }
    }

    /// The node that carries this schema's structure (after `$ref`).
    fn target(&self) -> &Node {
        resolve(&self.node)
    }

    /// The built-in schema for a kind by group/version/kind (via `x-kubernetes-group-version-kind`),
    /// `None` if not built in.
    pub fn builtin(group: &str, version: &str, kind: &str) -> Option<Schema> {
        let b = &*BUILTINS;
        let name = b.kinds.get(&(group.to_owned(), version.to_owned(), kind.to_owned()))?;
        let node = b.nodes.get(name)?.clone();
        Some(Schema { node, mode: Mode::Builtin, root: true, raw: None })
    }

    /// A CRD version's schema (the value of `spec.versions[].schema.openAPIV3Schema`). Returns the
    /// causes, with field paths under `openAPIV3Schema`, when the schema is not structural or uses
    /// what CRDs forbid; the caller answers 422 on the CRD. See [`Schema::from_crd_at`].
    pub fn from_crd(open_api_v3_schema: &Value) -> Result<Schema, Vec<Cause>> {
        Schema::from_crd_at(open_api_v3_schema, "openAPIV3Schema")
    }

    /// [`Schema::from_crd`] with the causes' field paths rooted at `field_path`, for example
    /// `spec.versions[0].schema.openAPIV3Schema`.
    pub fn from_crd_at(open_api_v3_schema: &Value, field_path: &str) -> Result<Schema, Vec<Cause>> {
        let mut causes = Vec::new();
        if open_api_v3_schema.is_object() {
            check_crd_node(open_api_v3_schema, field_path, Level::Root, CheckCtx::default(), &mut causes);
        } else {
            causes.push(Cause::new("FieldValueRequired", field_path, "Required value"));
        }
        causes.sort_by(|a, b| (&a.field, &a.message).cmp(&(&b.field, &b.message)));
        causes.dedup();
        if !causes.is_empty() {
            return Err(causes);
        }
        Ok(Schema {
            node: Arc::new(Node::parse(open_api_v3_schema, Mode::Crd)),
            mode: Mode::Crd,
            root: true,
            raw: Some(Arc::new(open_api_v3_schema.clone())),
        })
    }

    /// True if this is a built-in kind's schema (or a node inside one).
    pub fn is_builtin(&self) -> bool {
        self.mode == Mode::Builtin
    }

    /// The built-in definition name (`io.k8s.api.apps.v1.Deployment`) this schema refers to, if any.
    pub fn definition_name(&self) -> Option<&str> {
        self.target().name.as_deref()
    }

    /// The schema of the field `name`: a declared property, else the schema of a map's values.
    pub fn property(&self, name: &str) -> Option<Schema> {
        let t = self.target();
        if let Some(p) = t.properties.get(name) {
            return Some(self.child(p.clone()));
        }
        match &t.additional {
            Some(Additional::Schema(s)) => Some(self.child(s.clone())),
            _ => None,
        }
    }

    /// The schema of a list's items.
    pub fn items(&self) -> Option<Schema> {
        self.target().items.clone().map(|n| self.child(n))
    }

    /// Walks a field path (field names only, list items implicit), e.g.
    /// `["spec","template","spec","containers"]`.
    pub fn at(&self, path: &[String]) -> Option<Schema> {
        let mut cur = self.clone();
        for name in path {
            while cur.target().items.is_some() && cur.target().properties.is_empty() {
                cur = cur.items()?;
            }
            cur = cur.property(name)?;
        }
        Some(cur)
    }

    /// A vendor extension of this node, falling back to the referenced definition.
    fn ext<'a>(&'a self, get: impl Fn(&'a Node) -> Option<&'a str>) -> Option<&'a str> {
        get(&self.node).or_else(|| get(self.target()))
    }

    /// `x-kubernetes-patch-merge-key`.
    pub fn patch_merge_key(&self) -> Option<&str> {
        self.ext(|n| n.patch_merge_key.as_deref())
    }

    fn patch_strategies(&self) -> impl Iterator<Item = &str> {
        self.ext(|n| n.patch_strategy.as_deref()).unwrap_or_default().split(',').map(str::trim)
    }

    /// `x-kubernetes-patch-strategy` contains `merge`.
    pub fn patch_strategy_merge(&self) -> bool {
        self.patch_strategies().any(|s| s == "merge")
    }

    /// `x-kubernetes-patch-strategy` contains `retainKeys`.
    pub fn patch_strategy_retain_keys(&self) -> bool {
        self.patch_strategies().any(|s| s == "retainKeys")
    }

    /// The server-side-apply list type. `x-kubernetes-list-type` wins; failing that, built-in lists
    /// with a merge strategy are maps keyed by their patch merge key (sets when they have no key), as
    /// upstream's structured-merge-diff conversion does. Everything else, including CRD lists without
    /// a list type, is atomic.
    pub fn list_type(&self) -> ListType {
        match self.ext(|n| n.list_type.as_deref()) {
            Some("set") => return ListType::Set,
            Some("map") => {
                let keys = if self.node.list_map_keys.is_empty() {
                    self.target().list_map_keys.clone()
                } else {
                    self.node.list_map_keys.clone()
                };
                return ListType::Map(keys);
            }
            Some(_) => return ListType::Atomic,
            None => {}
        }
        if self.mode == Mode::Builtin && self.patch_strategy_merge() {
            return match self.patch_merge_key() {
                Some(key) => ListType::Map(vec![key.to_owned()]),
                None => ListType::Set,
            };
        }
        ListType::Atomic
    }

    /// `x-kubernetes-map-type: atomic` (maps and structs are granular otherwise).
    pub fn map_is_atomic(&self) -> bool {
        self.ext(|n| n.map_type.as_deref()) == Some("atomic")
    }

    /// `x-kubernetes-preserve-unknown-fields: true`.
    pub fn preserves_unknown_fields(&self) -> bool {
        self.node.preserve_unknown || self.target().preserve_unknown
    }

    /// Removes unknown fields in place and returns the dotted paths of the dropped fields, as the
    /// server words them for `fieldValidation=Strict` (`unknown field "spec.template.spec.containers[0].foo"`).
    ///
    /// - CRDs: structural pruning honouring `x-kubernetes-preserve-unknown-fields`,
    ///   `x-kubernetes-embedded-resource` (whose `metadata` is pruned as `ObjectMeta`) and
    ///   `additionalProperties`; the root's `apiVersion`/`kind`/`metadata` are kept untouched. Then
    ///   `null`s where the schema is neither nullable nor defaulted are dropped (not reported), as the
    ///   server does right after pruning. Paths come back sorted, as upstream sorts them.
    /// - Built-ins: fields not in the definition are dropped, `metadata` included, and `null` struct
    ///   fields are removed (the Go decoder treats `null` as absent). Paths come in object order.
    pub fn prune(&self, obj: &mut Value) -> Vec<String> {
        let mut out = Vec::new();
        let mut path = String::new();
        match self.mode {
            Mode::Builtin => prune_builtin(&self.node, obj, &mut path, &mut out),
            Mode::Crd => {
                prune_crd(Some(&*self.node), obj, self.root, &mut path, &mut out);
                prune_nulls(Some(&*self.node), obj);
                out.sort();
            }
        }
        out
    }

    /// Applies `default`s in place, as the API server does for custom resources on create, update
    /// and read: missing fields (and `null`s where the schema is not nullable) get the default,
    /// then defaulting recurses, including into the defaults just set. Built-in defaulting is
    /// hand-written Go code, not schema-driven, so built-ins are left unchanged.
    pub fn apply_defaults(&self, obj: &mut Value) {
        if self.mode == Mode::Crd {
            default_value(Some(&*self.node), obj);
        }
    }

    /// Validates `obj` and returns the causes for a 422 `Invalid`.
    ///
    /// CRDs: kube-openapi semantics and wording for types, `nullable`, `enum`, `required`,
    /// minimum/maximum (exclusive), `multipleOf`, min/maxLength, `pattern`, min/maxItems,
    /// `uniqueItems`, min/maxProperties, string formats, `allOf`/`anyOf`/`oneOf`/`not`; then
    /// duplicates in `x-kubernetes-list-type: set` lists and duplicate keys in `map` lists. At the
    /// root, `metadata` is validated only against what the CRD schema says about it.
    ///
    /// Built-ins: types and `required` only (`null` counts as absent), with `metadata` at the root
    /// skipped. A type mismatch on a built-in is really a 400 decode error on a real server; check
    /// [`Schema::decode_error`] first.
    pub fn validate(&self, obj: &Value) -> Vec<Cause> {
        let mut causes = Vec::new();
        let skip_metadata =
            self.root && (self.mode == Mode::Builtin || !self.target().properties.contains_key("metadata"));
        let v = Validator { mode: self.mode };
        v.node(&self.node, obj, "", skip_metadata, &mut causes);
        if self.mode == Mode::Crd {
            let mut path = String::new();
            list_uniqueness(&self.node, obj, &mut path, &mut causes);
        }
        causes
    }

    /// For built-ins: the error the API server's JSON decoder reports for a value it cannot decode
    /// into the Go type, e.g. `json: cannot unmarshal string into Go struct field
    /// DeploymentSpec.spec.replicas of type int32` or `illegal base64 data at input byte 4`. The
    /// server answers 400 `BadRequest` with `<Kind> in version "<version>" cannot be handled as a
    /// <Kind>: <this message>`. Always `None` for CRDs (their type errors are 422s from
    /// [`Schema::validate`]).
    pub fn decode_error(&self, obj: &Value) -> Option<String> {
        if self.mode != Mode::Builtin {
            return None;
        }
        let mut ctx = DecodeCtx::default();
        if let Some(struct_name) = self.target().short_name() {
            ctx.struct_name = struct_name.to_owned();
        }
        match decode_check(&self.node, obj, &mut ctx) {
            Err(hard) => Some(hard),
            Ok(()) => ctx.saved,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CRD schema checks
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Item,
    Field,
}

/// What the surrounding schema implies for one node of a CRD schema.
#[derive(Clone, Copy, Default)]
struct CheckCtx {
    /// Under `allOf`/`anyOf`/`oneOf`/`not`: value validation only, no structure.
    nested: bool,
    /// Inside the root's or an embedded resource's `apiVersion`/`kind`/`metadata`.
    in_resource_meta: bool,
    /// Defaults are forbidden here, with this reason.
    no_defaults: Option<&'static str>,
}

const OPENAPI_TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];
const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

fn quoted_list(values: &[&str]) -> String {
    values.iter().map(|v| crate::golang::quote(v)).collect::<Vec<_>>().join(", ")
}

fn forbidden(out: &mut Vec<Cause>, field: String, detail: &str) {
    out.push(Cause::new("FieldValueForbidden", field, format!("Forbidden: {detail}")));
}

fn required(out: &mut Vec<Cause>, field: String, detail: &str) {
    let message = if detail.is_empty() { "Required value".to_owned() } else { format!("Required value: {detail}") };
    out.push(Cause::new("FieldValueRequired", field, message));
}

fn invalid(out: &mut Vec<Cause>, field: String, value: &Value, detail: &str) {
    out.push(Cause::new("FieldValueInvalid", field, format!("Invalid value: {}: {detail}", go_error_value(value))));
}

/// Checks one node of a CRD's `openAPIV3Schema`: the structural-schema rules and the CRD OpenAPI
/// restrictions the API server enforces on create/update of the CRD.
fn check_crd_node(v: &Value, path: &str, level: Level, ctx: CheckCtx, out: &mut Vec<Cause>) {
    let Some(o) = v.as_object() else {
        invalid(out, path.to_owned(), v, "must be an object");
        return;
    };
    let at = |k: &str| format!("{path}.{k}");
    let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
    let flag = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
    let props = o.get("properties").and_then(Value::as_object);
    let preserve = flag("x-kubernetes-preserve-unknown-fields");
    let int_or_string = flag("x-kubernetes-int-or-string");
    let embedded = flag("x-kubernetes-embedded-resource");

    // The OpenAPI v3 subset CRDs accept.
    if !ty.is_empty() && !OPENAPI_TYPES.contains(&ty) {
        let message = format!(
            "Unsupported value: {}: supported values: {}",
            crate::golang::quote(ty),
            quoted_list(&OPENAPI_TYPES)
        );
        out.push(Cause::new("FieldValueNotSupported", at("type"), message));
    }
    if ty == "null" {
        forbidden(out, at("type"), "type cannot be set to null, use nullable as an alternative");
    }
    if o.contains_key("default")
        && let Some(reason) = ctx.no_defaults
    {
        forbidden(out, at("default"), &format!("must not be set {reason}"));
    }
    for (key, what) in [
        ("id", "id is not supported"),
        ("additionalItems", "additionalItems is not supported"),
        ("patternProperties", "patternProperties is not supported"),
        ("definitions", "definitions is not supported"),
        ("dependencies", "dependencies is not supported"),
        ("$ref", "$ref is not supported"),
    ] {
        if o.contains_key(key) {
            forbidden(out, at(key), what);
        }
    }
    if o.get("items").is_some_and(Value::is_array) {
        forbidden(out, at("items"), "items must be a schema object and not an array");
    }
    if ctx.in_resource_meta && embedded {
        forbidden(out, at("x-kubernetes-embedded-resource"), "must not be used inside of resource meta");
    }
    if flag("uniqueItems") {
        forbidden(
            out,
            at("uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        );
    }
    if let Some(add) = o.get("additionalProperties")
        && props.is_some_and(|p| !p.is_empty())
        && (add.is_object() || add == &Value::Bool(false))
    {
        forbidden(out, at("additionalProperties"), "additionalProperties and properties are mutual exclusive");
    }
    if o.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
        invalid(out, at("x-kubernetes-preserve-unknown-fields"), &Value::Bool(false), "must be true or undefined");
    }
    if let Some(rules) = o.get("x-kubernetes-validations").and_then(Value::as_array) {
        for (i, rule) in rules.iter().enumerate() {
            if rule.get("rule").and_then(Value::as_str).is_none_or(|r| r.trim().is_empty()) {
                required(out, format!("{path}.x-kubernetes-validations[{i}].rule"), "rule is not specified");
            }
        }
    }
    if let Some(pattern) = o.get("pattern").and_then(Value::as_str)
        && let Err(e) = Regex::new(pattern)
    {
        let detail = format!("must be a valid regular expression, but isn't: {e}");
        invalid(out, at("pattern"), &Value::String(pattern.to_owned()), &detail);
    }
    check_list_and_map_types(o, path, ty, out);

    if ctx.nested {
        check_nested(o, path, out);
    } else {
        check_structural(o, path, level, ty, preserve, int_or_string, embedded, out);
    }

    // Recurse.
    if let Some(props) = props {
        for (name, sub) in props {
            let mut sub_ctx = ctx;
            if (level == Level::Root || embedded) && META_FIELDS.contains(&name.as_str()) && !ctx.nested {
                sub_ctx.in_resource_meta = true;
                if level == Level::Root {
                    sub_ctx.no_defaults = Some(match name.as_str() {
                        "apiVersion" => "in top-level apiVersion",
                        "kind" => "in top-level kind",
                        _ => "in top-level metadata",
                    });
                }
            }
            let sub_path = format!("{path}.properties[{name}]");
            if ctx.nested && name == "metadata" {
                forbidden(out, sub_path.clone(), "must not be specified in a nested context");
            }
            check_crd_node(sub, &sub_path, Level::Field, sub_ctx, out);
        }
    }
    if let Some(add) = o.get("additionalProperties").filter(|a| a.is_object()) {
        let mut sub_ctx = ctx;
        if ctx.in_resource_meta {
            sub_ctx.no_defaults = Some("inside additionalProperties applying to object metadata");
        }
        check_crd_node(add, &at("additionalProperties"), Level::Field, sub_ctx, out);
    }
    if let Some(items) = o.get("items").filter(|i| i.is_object()) {
        check_crd_node(items, &at("items"), Level::Item, ctx, out);
    }
    // The int-or-string exception: `anyOf: [{type: integer}, {type: string}]`, directly or as the
    // first `allOf` entry, may carry types.
    let skip_any_of = is_int_or_string_any_of(o.get("anyOf"));
    let nested_ctx = CheckCtx { nested: true, ..ctx };
    for key in ["allOf", "anyOf", "oneOf"] {
        if key == "anyOf" && skip_any_of {
            continue;
        }
        for (i, alt) in o.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            let sub_path = format!("{path}.{key}[{i}]");
            match alt.as_object() {
                Some(inner) if key == "allOf" && i == 0 && is_int_or_string_any_of(inner.get("anyOf")) => {
                    let mut copy = inner.clone();
                    copy.remove("anyOf");
                    check_crd_node(&Value::Object(copy), &sub_path, level, nested_ctx, out);
                }
                _ => check_crd_node(alt, &sub_path, level, nested_ctx, out),
            }
        }
    }
    if let Some(not) = o.get("not") {
        check_crd_node(not, &at("not"), level, CheckCtx { nested: true, ..ctx }, out);
    }
}

/// `anyOf: [{type: integer}, {type: string}]`, the int-or-string exception to structurality.
fn is_int_or_string_any_of(any_of: Option<&Value>) -> bool {
    let Some([a, b]) = any_of.and_then(Value::as_array).map(Vec::as_slice) else { return false };
    a == &json!({"type": "integer"}) && b == &json!({"type": "string"})
}

/// `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` and `x-kubernetes-map-type` rules.
fn check_list_and_map_types(o: &Map<String, Value>, path: &str, ty: &str, out: &mut Vec<Cause>) {
    let at = |k: &str| format!("{path}.{k}");
    let list_type = o.get("x-kubernetes-list-type").and_then(Value::as_str);
    let keys: Vec<&str> = o
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let items = o.get("items").and_then(Value::as_object);
    if let Some(lt) = list_type {
        if ty != "array" {
            let detail = "must be array if x-kubernetes-list-type is specified";
            if ty.is_empty() { required(out, at("type"), detail) } else { invalid(out, at("type"), &json!(ty), detail) }
        }
        if !["atomic", "set", "map"].contains(&lt) {
            let message = format!(
                "Unsupported value: {}: supported values: {}",
                crate::golang::quote(lt),
                quoted_list(&["atomic", "set", "map"])
            );
            out.push(Cause::new("FieldValueNotSupported", at("x-kubernetes-list-type"), message));
        }
        if lt == "set"
            && ty == "array"
            && let Some(items) = items
        {
            let item_ty = items.get("type").and_then(Value::as_str).unwrap_or_default();
            let detail = "must be atomic as item of a list with x-kubernetes-list-type=set";
            match item_ty {
                "array" => {
                    if let Some(inner) = items.get("x-kubernetes-list-type").filter(|t| t.as_str() != Some("atomic")) {
                        invalid(out, format!("{path}.items.x-kubernetes-list-type"), inner, detail);
                    }
                }
                "object" if items.get("x-kubernetes-map-type").and_then(Value::as_str) != Some("atomic") => {
                    let shown = items.get("x-kubernetes-list-type").cloned().unwrap_or(Value::Null);
                    invalid(out, format!("{path}.items.x-kubernetes-map-type"), &shown, detail);
                }
                _ => {}
            }
        }
        if lt == "map" {
            if keys.is_empty() {
                required(out, at("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map");
            }
            match items {
                None => required(out, at("items"), "must have a schema if x-kubernetes-list-type is map"),
                Some(items) => {
                    let item_ty = items.get("type").and_then(Value::as_str).unwrap_or_default();
                    if item_ty != "object" {
                        invalid(
                            out,
                            format!("{path}.items.type"),
                            &json!(item_ty),
                            "must be object if parent array's x-kubernetes-list-type is map",
                        );
                    } else {
                        let item_props = items.get("properties").and_then(Value::as_object);
                        let item_required: Vec<&str> = items
                            .get("required")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect();
                        let shown = json!(keys);
                        let mut seen = BTreeSet::new();
                        for key in &keys {
                            match item_props.and_then(|p| p.get(*key)) {
                                Some(prop) => {
                                    let prop_ty = prop.get("type").and_then(Value::as_str).unwrap_or_default();
                                    if prop_ty == "array" || prop_ty == "object" {
                                        invalid(
                                            out,
                                            format!("{path}.items.properties[{key}].type"),
                                            &json!(item_ty),
                                            "must be a scalar type if parent array's x-kubernetes-list-type is map",
                                        );
                                    }
                                    if !item_required.contains(key) && prop.get("default").is_none() {
                                        required(
                                            out,
                                            format!("{path}.items.properties[{key}].default"),
                                            "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                                        );
                                    }
                                    if prop.get("nullable").and_then(Value::as_bool).unwrap_or(false) {
                                        forbidden(
                                            out,
                                            format!("{path}.items.properties[{key}].nullable"),
                                            "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
                                        );
                                    }
                                }
                                None => invalid(
                                    out,
                                    at("x-kubernetes-list-map-keys"),
                                    &shown,
                                    "entries must all be names of item properties",
                                ),
                            }
                            if !seen.insert(*key) {
                                invalid(
                                    out,
                                    at("x-kubernetes-list-map-keys"),
                                    &shown,
                                    "must not contain duplicate entries",
                                );
                            }
                        }
                    }
                }
            }
        }
        if (lt == "map" || lt == "set")
            && items.and_then(|i| i.get("nullable")).and_then(Value::as_bool).unwrap_or(false)
        {
            forbidden(
                out,
                format!("{path}.items.nullable"),
                &format!("cannot be nullable when x-kubernetes-list-type is {lt}"),
            );
        }
    }
    if !keys.is_empty() && list_type != Some("map") {
        let detail = "must be map if x-kubernetes-list-map-keys is non-empty";
        match list_type {
            None => required(out, at("x-kubernetes-list-type"), detail),
            Some(lt) => invalid(out, at("x-kubernetes-list-type"), &json!(lt), detail),
        }
    }
    if let Some(mt) = o.get("x-kubernetes-map-type").and_then(Value::as_str) {
        if ty != "object" {
            let detail = "must be object if x-kubernetes-map-type is specified";
            if ty.is_empty() { required(out, at("type"), detail) } else { invalid(out, at("type"), &json!(ty), detail) }
        }
        if mt != "atomic" && mt != "granular" {
            let message = format!(
                "Unsupported value: {}: supported values: {}",
                crate::golang::quote(mt),
                quoted_list(&["atomic", "granular"])
            );
            out.push(Cause::new("FieldValueNotSupported", at("x-kubernetes-map-type"), message));
        }
    }
}

/// Value validations under `allOf`/`anyOf`/`oneOf`/`not` must not add structure.
fn check_nested(o: &Map<String, Value>, path: &str, out: &mut Vec<Cause>) {
    let at = |k: &str| format!("{path}.{k}");
    let rules: [(&str, &str); 12] = [
        ("type", "must be empty to be structural"),
        ("additionalProperties", "must be undefined to be structural"),
        ("default", "must be undefined to be structural"),
        ("title", "must be empty to be structural"),
        ("description", "must be empty to be structural"),
        ("nullable", "must be false to be structural"),
        ("externalDocs", "must be undefined to be structural"),
        ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
        ("x-kubernetes-embedded-resource", "must be false to be structural"),
        ("x-kubernetes-int-or-string", "must be false to be structural"),
        ("x-kubernetes-list-type", "must be undefined to be structural"),
        ("x-kubernetes-map-type", "must be undefined to be structural"),
    ];
    for (key, detail) in rules {
        let set = match o.get(key) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        };
        if set {
            forbidden(out, at(key), detail);
        }
    }
    if o.get("x-kubernetes-list-map-keys").and_then(Value::as_array).is_some_and(|k| !k.is_empty()) {
        forbidden(out, at("x-kubernetes-list-map-keys"), "must be empty to be structural");
    }
    if o.get("x-kubernetes-validations").and_then(Value::as_array).is_some_and(|k| !k.is_empty()) {
        forbidden(out, at("x-kubernetes-validations"), "must be empty to be structural");
    }
}

/// The structural-schema invariants of a node outside value validations.
#[allow(clippy::too_many_arguments)]
fn check_structural(
    o: &Map<String, Value>,
    path: &str,
    level: Level,
    ty: &str,
    preserve: bool,
    int_or_string: bool,
    embedded: bool,
    out: &mut Vec<Cause>,
) {
    let at = |k: &str| format!("{path}.{k}");
    if ty == "array" && !o.get("items").is_some_and(Value::is_object) {
        required(out, at("items"), "must be specified");
    }
    if o.contains_key("additionalProperties") {
        if level == Level::Root {
            forbidden(out, at("additionalProperties"), "must not be used at the root");
        }
        if embedded {
            forbidden(out, at("additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set");
        }
    }
    if int_or_string && preserve {
        invalid(
            out,
            at("x-kubernetes-preserve-unknown-fields"),
            &Value::Bool(true),
            "must be false if x-kubernetes-int-or-string is true",
        );
    }
    if int_or_string && embedded {
        invalid(
            out,
            at("x-kubernetes-embedded-resource"),
            &Value::Bool(true),
            "must be false if x-kubernetes-int-or-string is true",
        );
    }
    if embedded && ty != "object" {
        let detail = "must be object if x-kubernetes-embedded-resource is true";
        if ty.is_empty() { required(out, at("type"), detail) } else { invalid(out, at("type"), &json!(ty), detail) }
    } else if ty.is_empty() && !int_or_string && !preserve {
        let detail = match level {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        required(out, at("type"), detail);
    }
    if level == Level::Root && !ty.is_empty() && ty != "object" {
        invalid(out, at("type"), &json!(ty), "must be object at the root");
    }
    if level == Level::Root && o.get("nullable").and_then(Value::as_bool).unwrap_or(false) {
        forbidden(out, at("nullable"), "nullable cannot be true at the root");
    }
    let props = o.get("properties").and_then(Value::as_object);
    if level == Level::Root || embedded {
        for name in ["kind", "apiVersion"] {
            if let Some(p) = props.and_then(|p| p.get(name)) {
                let pty = p.get("type").and_then(Value::as_str).unwrap_or_default();
                if pty != "string" {
                    invalid(out, format!("{path}.properties[{name}].type"), &json!(pty), "must be string");
                }
            }
        }
    }
    if let Some(meta) = props.and_then(|p| p.get("metadata")) {
        let mpath = format!("{path}.properties[metadata]");
        let mty = meta.get("type").and_then(Value::as_str).unwrap_or_default();
        if (level == Level::Root || embedded) && mty != "object" {
            invalid(out, format!("{mpath}.type"), &json!(mty), "must be object");
        }
        if level == Level::Root {
            let allowed = meta.as_object().is_some_and(|m| {
                m.iter().all(|(k, v)| match k.as_str() {
                    "type" | "description" => true,
                    "properties" => v.as_object().is_some_and(|p| p.keys().all(|k| k == "name" || k == "generateName")),
                    _ => false,
                })
            });
            if !allowed {
                forbidden(
                    out,
                    mpath,
                    "must not specify anything other than name and generateName, but metadata is implicitly specified",
                );
            }
        }
    }
    if embedded && !preserve && props.is_none_or(Map::is_empty) {
        required(
            out,
            at("properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Pruning and defaulting
// ---------------------------------------------------------------------------------------------

fn push_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    len
}

fn push_index(path: &mut String, i: usize) -> usize {
    let len = path.len();
    let _ = write!(path, "[{i}]");
    len
}

/// Structural pruning of a custom resource (upstream `pruning.PruneWithOptions`).
fn prune_crd(node: Option<&Node>, v: &mut Value, as_embedded: bool, path: &mut String, out: &mut Vec<String>) {
    if let Some(n) = node.filter(|n| n.preserve_unknown) {
        skip_prune(n, v, as_embedded, path, out);
        return;
    }
    match v {
        Value::Object(map) => {
            let Some(n) = node else {
                for key in std::mem::take(map).keys() {
                    let len = push_key(path, key);
                    out.push(path.clone());
                    path.truncate(len);
                }
                return;
            };
            let embedded = as_embedded || n.embedded;
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if embedded && META_FIELDS.contains(&key.as_str()) {
                    if key == "metadata" && !path.is_empty() {
                        prune_embedded_metadata(map, path, out);
                    }
                    continue;
                }
                let len = push_key(path, &key);
                if let Some(prop) = n.properties.get(&key) {
                    if let Some(child) = map.get_mut(&key) {
                        prune_crd(Some(prop), child, false, path, out);
                    }
                } else if let Some(add) = &n.additional {
                    let sub = match add {
                        Additional::Schema(s) => Some(&**s),
                        Additional::Bool => None,
                    };
                    if let Some(child) = map.get_mut(&key) {
                        prune_crd(sub, child, false, path, out);
                    }
                } else {
                    out.push(path.clone());
                    map.remove(&key);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let sub = node.and_then(|n| n.items.as_deref());
            for (i, item) in items.iter_mut().enumerate() {
                let len = push_index(path, i);
                prune_crd(sub, item, false, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Pruning under `x-kubernetes-preserve-unknown-fields`: only specified fields are descended into.
fn skip_prune(n: &Node, v: &mut Value, as_embedded: bool, path: &mut String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            let embedded = as_embedded || n.embedded;
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if embedded && META_FIELDS.contains(&key.as_str()) {
                    if key == "metadata" && !path.is_empty() {
                        prune_embedded_metadata(map, path, out);
                    }
                    continue;
                }
                let sub = match (n.properties.get(&key), &n.additional) {
                    (Some(p), _) => Some(Some(&**p)),
                    (None, Some(Additional::Schema(s))) => Some(Some(&**s)),
                    (None, Some(Additional::Bool)) => Some(None),
                    (None, None) => None,
                };
                if let (Some(sub), Some(child)) = (sub, map.get_mut(&key)) {
                    let len = push_key(path, &key);
                    prune_crd(sub, child, false, path, out);
                    path.truncate(len);
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = n.items.as_deref() {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = push_index(path, i);
                    skip_prune(sub, item, false, path, out);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// The `metadata` of an embedded resource is coerced to `ObjectMeta`: unknown fields go.
fn prune_embedded_metadata(map: &mut Map<String, Value>, path: &mut String, out: &mut Vec<String>) {
    let (Some(meta), Some(schema)) = (map.get_mut("metadata"), BUILTINS.nodes.get(OBJECT_META)) else { return };
    let len = push_key(path, "metadata");
    prune_builtin(schema, meta, path, out);
    path.truncate(len);
}

/// Pruning of a built-in kind: what the Go structs cannot hold is dropped.
fn prune_builtin(node: &Node, v: &mut Value, path: &mut String, out: &mut Vec<String>) {
    let n = resolve(node);
    match v {
        Value::Object(map) if !n.properties.is_empty() || n.is_empty_struct() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                match n.properties.get(&key) {
                    Some(prop) => match map.get_mut(&key) {
                        Some(Value::Null) => {
                            map.remove(&key);
                        }
                        Some(child) => {
                            let len = push_key(path, &key);
                            prune_builtin(prop, child, path, out);
                            path.truncate(len);
                        }
                        None => {}
                    },
                    None => {
                        let len = push_key(path, &key);
                        out.push(path.clone());
                        path.truncate(len);
                        map.remove(&key);
                    }
                }
            }
        }
        Value::Object(map) => {
            if let Some(add) = n.additional_schema() {
                for (key, child) in map.iter_mut() {
                    let len = push_key(path, key);
                    prune_builtin(add, child, path, out);
                    path.truncate(len);
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = n.items.as_deref() {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = push_index(path, i);
                    prune_builtin(sub, item, path, out);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// Drops `null`s the schema neither allows nor defaults (upstream `PruneNonNullableNullsWithoutDefaults`).
fn prune_nulls(node: Option<&Node>, v: &mut Value) {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let sub = node.and_then(|n| n.field(&key));
                let drop = map.get(&key).is_some_and(Value::is_null)
                    && sub.is_some_and(|s| !s.nullable && s.default.is_none());
                if drop {
                    map.remove(&key);
                } else if let Some(child) = map.get_mut(&key) {
                    prune_nulls(sub, child);
                }
            }
        }
        Value::Array(items) => {
            let sub = node.and_then(|n| n.items.as_deref());
            for item in items {
                prune_nulls(sub, item);
            }
        }
        _ => {}
    }
}

fn is_non_nullable_null(v: Option<&Value>, s: &Node) -> bool {
    v.is_some_and(Value::is_null) && !s.nullable
}

/// Structural defaulting (upstream `defaulting.Default`).
fn default_value(node: Option<&Node>, v: &mut Value) {
    let Some(n) = node else { return };
    match v {
        Value::Object(map) => {
            for (key, prop) in &n.properties {
                let Some(def) = &prop.default else { continue };
                if !map.contains_key(key) || is_non_nullable_null(map.get(key), prop) {
                    map.insert(key.clone(), def.clone());
                }
            }
            for (key, child) in map.iter_mut() {
                if let Some(prop) = n.properties.get(key) {
                    default_value(Some(prop), child);
                } else if let Some(add) = n.additional_schema() {
                    if child.is_null()
                        && !add.nullable
                        && let Some(def) = &add.default
                    {
                        *child = def.clone();
                    }
                    default_value(Some(add), child);
                }
            }
        }
        Value::Array(items) => {
            let Some(sub) = n.items.as_deref() else { return };
            for item in items {
                if item.is_null()
                    && !sub.nullable
                    && let Some(def) = &sub.default
                {
                    *item = def.clone();
                }
                default_value(Some(sub), item);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (kube-openapi semantics and wording)
// ---------------------------------------------------------------------------------------------

/// The JSON type name kube-openapi infers for a value.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The format kube-openapi infers for a non-string value (Go's int64/float64; nothing for others).
fn inferred_format(v: &Value) -> &'static str {
    match json_type(v) {
        "integer" => "int64",
        "number" => "float64",
        _ => "",
    }
}

fn is_integral(v: &Value) -> bool {
    v.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

/// A kube-openapi error turned into a field error the way `kubeOpenAPIResultToFieldErrors` does.
fn openapi_cause(reason: &'static str, path: &str, body: String) -> Cause {
    let field = if path.is_empty() { "<nil>".to_owned() } else { path.trim_start_matches('.').to_owned() };
    Cause::new(reason, field, body)
}

fn type_invalid(path: &str, shown: &str, type_name: &str) -> Cause {
    let detail = format!("{path} in body must be of type {type_name}: {}", crate::golang::quote(shown));
    openapi_cause("FieldValueTypeInvalid", path, format!("Invalid value: {}: {detail}", crate::golang::quote(shown)))
}

fn value_invalid(path: &str, value: &Value, detail: String) -> Cause {
    openapi_cause("FieldValueInvalid", path, format!("Invalid value: {}: {detail}", go_error_value(value)))
}

/// A composite (`anyOf`/`oneOf`/`allOf`/`not`) failure: upstream reports it with a nil path.
fn composite(detail: String) -> Cause {
    Cause::new("FieldValueInvalid", "<nil>", format!("Invalid value: \"\": {detail}"))
}

struct Validator {
    mode: Mode,
}

impl Validator {
    fn node(&self, node: &Node, v: &Value, path: &str, skip_metadata: bool, out: &mut Vec<Cause>) {
        let n = resolve(node);
        if self.mode == Mode::Builtin {
            self.builtin(n, v, path, skip_metadata, out);
            return;
        }
        self.type_check(n, v, path, out);
        if v.is_null() {
            self.enum_check(n, v, path, out);
            return;
        }
        self.junctors(n, v, path, out);
        if let Value::String(s) = v {
            self.string_checks(n, s, v, path, out);
            self.format_check(n, s, path, out);
        }
        if v.is_number() {
            self.number_checks(n, v, path, out);
        }
        if let Value::Array(items) = v {
            self.array_checks(n, items, path, out);
        }
        self.enum_check(n, v, path, out);
        if let Value::Object(map) = v {
            self.object_checks(n, map, path, skip_metadata, out);
        }
    }

    /// Built-ins: types and `required`; `null` is "absent" to the Go decoder.
    fn builtin(&self, n: &Node, v: &Value, path: &str, skip_metadata: bool, out: &mut Vec<Cause>) {
        if v.is_null() || n.is_raw() {
            return;
        }
        self.type_check(n, v, path, out);
        match v {
            Value::Object(map) => {
                for k in &n.required {
                    if map.get(k).is_none_or(Value::is_null) && !(skip_metadata && k == "metadata") {
                        out.push(openapi_cause(
                            "FieldValueRequired",
                            &format!("{path}.{k}"),
                            "Required value".to_owned(),
                        ));
                    }
                }
                for (k, child) in map {
                    if skip_metadata && k == "metadata" {
                        continue;
                    }
                    let sub = match n.properties.get(k) {
                        Some(p) => Some(&**p),
                        None => n.additional_schema(),
                    };
                    if let Some(sub) = sub {
                        let child_path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                        self.node(sub, child, &child_path, false, out);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(sub) = n.items.as_deref() {
                    for (i, item) in items.iter().enumerate() {
                        self.node(sub, item, &format!("{path}[{i}]"), false, out);
                    }
                }
            }
            _ => {}
        }
    }

    fn type_check(&self, n: &Node, v: &Value, path: &str, out: &mut Vec<Cause>) {
        let types = &n.types;
        if v.is_null() {
            if !types.is_empty() && !n.nullable {
                out.push(type_invalid(path, "null", &types.join(",")));
            }
            return;
        }
        let actual = json_type(v);
        let contains = |t: &str| types.iter().any(|x| x == t);
        let float_int = actual == "number" && is_integral(v) && contains("integer");
        let int_float = actual == "integer" && contains("number");
        let format = n.format.as_deref().filter(|f| self.format_kept(n, f));
        if let Some(format) = format {
            let inferred = inferred_format(v);
            let lower_int = format == "int64" && inferred == "int32";
            let lower_float = format == "float64" && inferred == "float32";
            let textual = matches!(v, Value::String(_) | Value::Array(_));
            let fits = contains(actual) || inferred == format || float_int || int_float || lower_int || lower_float;
            if !(textual || fits) {
                out.push(type_invalid(path, inferred, format));
                return;
            }
            if !(contains("number") || contains("integer")) && matches!(v, Value::String(_) | Value::Array(_)) {
                return;
            }
        }
        if types.is_empty() {
            return;
        }
        if !(contains(actual) || float_int || int_float) {
            out.push(type_invalid(path, actual, &types.join(",")));
        }
    }

    /// CRD schemas lose formats the API server does not support (`StripUnsupportedFormatsPostProcess`).
    fn format_kept(&self, n: &Node, format: &str) -> bool {
        if self.mode == Mode::Builtin {
            return true;
        }
        let single = if n.types.len() == 1 { n.types[0].as_str() } else { "" };
        match single {
            "" | "string" => STRING_FORMATS.contains(&format.replace('-', "").as_str()),
            "integer" => format == "int32" || format == "int64",
            "number" => format == "float" || format == "double",
            _ => false,
        }
    }

    fn junctors(&self, n: &Node, v: &Value, path: &str, out: &mut Vec<Cause>) {
        let quoted = crate::golang::quote(path);
        let run = |alt: &Node| {
            let mut errs = Vec::new();
            self.node(alt, v, path, false, &mut errs);
            errs
        };
        if !n.any_of.is_empty() {
            let results: Vec<Vec<Cause>> = n.any_of.iter().map(|a| run(a)).collect();
            if !results.iter().any(Vec::is_empty) {
                out.push(composite(format!("{quoted} must validate at least one schema (anyOf)")));
                if let Some(best) = results.into_iter().min_by_key(Vec::len) {
                    out.extend(best);
                }
            }
        }
        if !n.one_of.is_empty() {
            let results: Vec<Vec<Cause>> = n.one_of.iter().map(|a| run(a)).collect();
            let valid = results.iter().filter(|r| r.is_empty()).count();
            if valid != 1 {
                let more = if valid == 0 {
                    "Found none valid".to_owned()
                } else {
                    format!("Found {valid} valid alternatives")
                };
                out.push(composite(format!("{quoted} must validate one and only one schema (oneOf). {more}")));
                if valid == 0
                    && let Some(best) = results.into_iter().min_by_key(Vec::len)
                {
                    out.extend(best);
                }
            }
        }
        if !n.all_of.is_empty() {
            let mut valid = 0;
            for alt in &n.all_of {
                let errs = run(alt);
                if errs.is_empty() {
                    valid += 1;
                }
                out.extend(errs);
            }
            if valid != n.all_of.len() {
                let more = if valid == 0 { ". None validated" } else { "" };
                out.push(composite(format!("{quoted} must validate all the schemas (allOf){more}")));
            }
        }
        if let Some(not) = &n.not
            && run(not).is_empty()
        {
            out.push(composite(format!("{quoted} must not validate the schema (not)")));
        }
    }

    fn string_checks(&self, n: &Node, s: &str, v: &Value, path: &str, out: &mut Vec<Cause>) {
        let len = s.chars().count() as u64;
        if let Some(max) = n.max_length.filter(|max| len > *max) {
            out.push(openapi_cause("FieldValueTooLong", path, format!("Too long: may not be more than {max} bytes")));
            return;
        }
        if let Some(min) = n.min_length.filter(|min| len < *min) {
            out.push(value_invalid(path, v, format!("{path} in body should be at least {min} chars long")));
            return;
        }
        if let (Some(pattern), Some(re)) = (&n.pattern, &n.pattern_re)
            && !re.is_match(s)
        {
            out.push(value_invalid(path, v, format!("{path} in body should match '{pattern}'")));
        }
    }

    fn format_check(&self, n: &Node, s: &str, path: &str, out: &mut Vec<Cause>) {
        let Some(format) = n.format.as_deref().filter(|f| self.format_kept(n, f)) else { return };
        if self.mode == Mode::Builtin {
            return;
        }
        if !string_format_ok(&format.replace('-', ""), s) {
            let detail = format!("{path} in body must be of type {format}: {}", crate::golang::quote(s));
            out.push(openapi_cause(
                "FieldValueTypeInvalid",
                path,
                format!("Invalid value: {}: {detail}", crate::golang::quote(s)),
            ));
        }
    }

    fn number_checks(&self, n: &Node, v: &Value, path: &str, out: &mut Vec<Cause>) {
        let is_int = json_type(v) == "integer";
        let data = v.as_f64().unwrap_or_default();
        // Integer data is compared with the bound truncated to an integer, as kube-openapi does.
        let bound = |b: f64| if is_int { b.trunc() } else { b };
        let shown = |b: f64| if is_int { format!("{}", b.trunc() as i64) } else { go_float(b) };
        if let Some(max) = n.maximum {
            let m = bound(max);
            if (n.exclusive_maximum && data >= m) || (!n.exclusive_maximum && data > m) {
                let word = if n.exclusive_maximum { "less than" } else { "less than or equal to" };
                out.push(value_invalid(path, v, format!("{path} in body should be {word} {}", shown(max))));
            }
        }
        if let Some(min) = n.minimum {
            let m = bound(min);
            if (n.exclusive_minimum && data <= m) || (!n.exclusive_minimum && data < m) {
                let word = if n.exclusive_minimum { "greater than" } else { "greater than or equal to" };
                out.push(value_invalid(path, v, format!("{path} in body should be {word} {}", shown(min))));
            }
        }
        if let Some(factor) = n.multiple_of.filter(|f| *f > 0.0) {
            let q = data / factor;
            if !(q.is_finite() && q.fract() == 0.0) {
                out.push(value_invalid(
                    path,
                    v,
                    format!("{path} in body should be a multiple of {}", go_float(factor)),
                ));
            }
        }
    }

    fn array_checks(&self, n: &Node, items: &[Value], path: &str, out: &mut Vec<Cause>) {
        if let Some(sub) = n.items.as_deref() {
            for (i, item) in items.iter().enumerate() {
                self.node(sub, item, &format!("{path}[{i}]"), false, out);
            }
        }
        let size = items.len() as u64;
        if let Some(min) = n.min_items.filter(|min| size < *min) {
            out.push(value_invalid(path, &json!(size), format!("{path} in body should have at least {min} items")));
        }
        if let Some(max) = n.max_items.filter(|max| size > *max) {
            out.push(openapi_cause(
                "FieldValueTooMany",
                path,
                format!("Too many: {size}: must have at most {max} items"),
            ));
        }
        if n.unique_items {
            let distinct: BTreeSet<String> = items.iter().map(Value::to_string).collect();
            if distinct.len() != items.len() {
                out.push(value_invalid(path, &Value::Null, format!("{path} in body shouldn't contain duplicates")));
            }
        }
    }

    fn enum_check(&self, n: &Node, v: &Value, path: &str, out: &mut Vec<Cause>) {
        let Some(values) = n.enumeration.as_ref().filter(|e| !e.is_empty()) else { return };
        if !v.is_null() && values.iter().any(|e| json_equal(e, v)) {
            return;
        }
        let listed: Vec<String> =
            values.iter().map(|e| e.as_str().map(str::to_owned).unwrap_or_else(|| e.to_string())).collect();
        let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
        let body = format!("Unsupported value: {}: supported values: {}", go_error_value(v), quoted_list(&listed));
        out.push(openapi_cause("FieldValueNotSupported", path, body));
    }

    fn object_checks(&self, n: &Node, map: &Map<String, Value>, path: &str, skip_metadata: bool, out: &mut Vec<Cause>) {
        let count = map.len() as u64;
        if let Some(min) = n.min_properties.filter(|min| count < *min) {
            out.push(value_invalid(
                path,
                &json!(count),
                format!("{path} in body should have at least {min} properties"),
            ));
            return;
        }
        if let Some(max) = n.max_properties.filter(|max| count > *max) {
            out.push(openapi_cause(
                "FieldValueTooMany",
                path,
                format!("Too many: {count}: must have at most {max} items"),
            ));
            return;
        }
        if let Some(add) = n.additional_schema() {
            for (k, child) in map {
                if !n.properties.contains_key(k) {
                    self.node(add, child, &format!("{path}.{k}"), false, out);
                }
            }
        }
        for (k, prop) in &n.properties {
            if skip_metadata && k == "metadata" {
                continue;
            }
            if let Some(child) = map.get(k) {
                let child_path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                self.node(prop, child, &child_path, false, out);
            }
        }
        for k in &n.required {
            let skipped = skip_metadata && k == "metadata";
            if !(map.contains_key(k) || skipped) {
                out.push(openapi_cause("FieldValueRequired", &format!("{path}.{k}"), "Required value".to_owned()));
            }
        }
    }
}

/// JSON equality with numbers compared by value (1 == 1.0), as Go's converted enum comparison does.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Uniqueness in `x-kubernetes-list-type` `set` and `map` lists (upstream `listtype.ValidateListSetsAndMaps`).
fn list_uniqueness(node: &Node, v: &Value, path: &mut String, out: &mut Vec<Cause>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let len = path.len();
                if let Some(prop) = node.properties.get(k) {
                    push_key(path, k);
                    list_uniqueness(prop, child, path, out);
                } else if let Some(add) = node.additional_schema() {
                    let _ = write!(path, "[{k}]");
                    list_uniqueness(add, child, path, out);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            match node.list_type.as_deref() {
                Some("set") => {
                    for i in duplicate_indices(items) {
                        out.push(Cause::new(
                            "FieldValueDuplicate",
                            format!("{path}[{i}]"),
                            format!("Duplicate value: {}", go_error_value(&items[i])),
                        ));
                    }
                }
                Some("map") => list_map_uniqueness(node, items, path, out),
                _ => {}
            }
            if let Some(sub) = node.items.as_deref() {
                for (i, item) in items.iter().enumerate() {
                    let len = push_index(path, i);
                    list_uniqueness(sub, item, path, out);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// Indices of the second occurrence of each repeated value.
fn duplicate_indices(items: &[Value]) -> Vec<usize> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut dups = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let count = seen.entry(canonical(item)).or_insert(0);
        *count += 1;
        if *count == 2 {
            dups.push(i);
        }
    }
    dups
}

/// A comparison key for JSON values where 1 and 1.0 are equal.
fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) => n.as_f64().map(|f| f.to_string()).unwrap_or_else(|| n.to_string()),
        _ => v.to_string(),
    }
}

fn list_map_uniqueness(node: &Node, items: &[Value], path: &str, out: &mut Vec<Cause>) {
    for (i, item) in items.iter().enumerate() {
        if !item.is_null() && !item.is_object() {
            out.push(Cause::new(
                "FieldValueInvalid",
                format!("{path}[{i}]"),
                format!("Invalid value: {}: must be an object for an array of list-type map", go_error_value(item)),
            ));
            return;
        }
    }
    let keys: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut key = Map::new();
            for k in &node.list_map_keys {
                if let Some(v) = item.get(k) {
                    key.insert(k.clone(), v.clone());
                }
            }
            Value::Object(key)
        })
        .collect();
    for i in duplicate_indices(&keys) {
        out.push(Cause::new(
            "FieldValueDuplicate",
            format!("{path}[{i}]"),
            format!("Duplicate value: {}", go_error_value(&keys[i])),
        ));
    }
}

/// Formats the CRD API server validates (`supportedVersionedFormats` at v1.37, dashes removed).
const STRING_FORMATS: [&str; 27] = [
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "quantity",
    "k8sshortname",
    "k8slongname",
];

/// Checks a string against a supported format. Formats without a checker here are accepted.
fn string_format_ok(format: &str, s: &str) -> bool {
    match format {
        "datetime" => is_date_time(s),
        "date" => is_date(s),
        "byte" => base64_error(s).is_none(),
        "uuid" => is_uuid(s, None),
        "uuid3" => is_uuid(s, Some('3')),
        "uuid4" => is_uuid(s, Some('4')),
        "uuid5" => is_uuid(s, Some('5')),
        "ipv4" => s.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<std::net::Ipv6Addr>().is_ok(),
        "cidr" => is_cidr(s),
        "mac" => is_mac(s),
        "hostname" => is_hostname(s),
        "bsonobjectid" => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        "hexcolor" => {
            let h = s.strip_prefix('#').unwrap_or(s);
            (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
        }
        "quantity" => quantity_error(s).is_none(),
        "duration" => is_duration(s),
        "k8sshortname" => s.len() <= 63 && is_dns_label(s),
        "k8slongname" => s.len() <= 253 && !s.is_empty() && s.split('.').all(is_dns_label),
        _ => true,
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && digits(&s[0..4]) && digits(&s[5..7]) && digits(&s[8..10])
}

/// RFC 3339 date-time (date, `T`, time with optional fraction, `Z` or an offset).
fn is_date_time(s: &str) -> bool {
    if s.len() < 20 || !s.is_char_boundary(10) || !is_date(&s[..10]) {
        return false;
    }
    let rest = &s[10..];
    let Some(rest) = rest.strip_prefix(['T', 't', ' ']) else { return false };
    let b = rest.as_bytes();
    if b.len() < 8
        || b[2] != b':'
        || b[5] != b':'
        || !digits(&rest[0..2])
        || !digits(&rest[3..5])
        || !digits(&rest[6..8])
    {
        return false;
    }
    let mut tail = &rest[8..];
    if let Some(frac) = tail.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        tail = &frac[n..];
    }
    match tail {
        "Z" | "z" => true,
        _ => {
            let b = tail.as_bytes();
            b.len() == 6 && (b[0] == b'+' || b[0] == b'-') && b[3] == b':' && digits(&tail[1..3]) && digits(&tail[4..6])
        }
    }
}

fn is_uuid(s: &str, version: Option<char>) -> bool {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || !(s.len() == 32 || s.len() == 36) {
        return false;
    }
    match version {
        None => true,
        Some(v) => {
            let variant = hex.as_bytes()[16].to_ascii_lowercase();
            hex.as_bytes()[12] as char == v && (v == '3' || matches!(variant, b'8' | b'9' | b'a' | b'b'))
        }
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else { return false };
    let Ok(bits) = bits.parse::<u8>() else { return false };
    if let Ok(_v4) = ip.parse::<std::net::Ipv4Addr>() {
        bits <= 32
    } else {
        ip.parse::<std::net::Ipv6Addr>().is_ok() && bits <= 128
    }
}

fn is_mac(s: &str) -> bool {
    let groups: Vec<&str> = s.split([':', '-']).collect();
    (groups.len() == 6 || groups.len() == 8 || groups.len() == 20)
        && groups.iter().all(|g| g.len() == 2 && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Go `time.ParseDuration` syntax (`1h30m`, `-1.5s`, `0`).
fn is_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        if n == 0 || rest[..n].bytes().filter(|b| *b == b'.').count() > 1 || rest[..n] == *"." {
            return false;
        }
        rest = &rest[n..];
        let Some(unit) = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"].into_iter().find(|u| rest.starts_with(u))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Built-in decoding (Go encoding/json semantics)
// ---------------------------------------------------------------------------------------------

/// The decoder's error context: the innermost Go struct and the JSON field names leading to it.
#[derive(Default)]
struct DecodeCtx {
    struct_name: String,
    fields: Vec<String>,
    /// The first non-fatal error (`saveError`); fatal ones are returned at once.
    saved: Option<String>,
}

impl DecodeCtx {
    fn type_error(&self, what: &str, go_type: &str) -> String {
        if self.fields.is_empty() {
            format!("json: cannot unmarshal {what} into Go value of type {go_type}")
        } else {
            format!(
                "json: cannot unmarshal {what} into Go struct field {}.{} of type {go_type}",
                self.struct_name,
                self.fields.join(".")
            )
        }
    }

    fn save(&mut self, message: String) {
        if self.saved.is_none() {
            self.saved = Some(message);
        }
    }
}

/// How Go's decoder names a JSON value in `UnmarshalTypeError`.
fn go_json_kind(v: &Value) -> String {
    match v {
        Value::Bool(_) => "bool".to_owned(),
        Value::Number(_) => "number".to_owned(),
        Value::String(_) => "string".to_owned(),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
        Value::Null => "null".to_owned(),
    }
}

/// The Go type a built-in schema node decodes into, as `reflect.Type.String()` prints it.
fn go_type(node: &Node) -> String {
    if let Some(name) = &node.reference {
        return go_named_type(name);
    }
    if let Some(name) = &node.name {
        return go_named_type(name);
    }
    match node.types.first().map(String::as_str) {
        Some("integer") => match node.format.as_deref() {
            Some("int32") => "int32".to_owned(),
            Some("int64") => "int64".to_owned(),
            _ => "int".to_owned(),
        },
        Some("number") => "float64".to_owned(),
        Some("boolean") => "bool".to_owned(),
        Some("string") if node.format.as_deref() == Some("byte") => "[]uint8".to_owned(),
        Some("string") => "string".to_owned(),
        Some("array") => {
            format!("[]{}", node.items.as_deref().map(go_type).unwrap_or_else(|| "interface {}".to_owned()))
        }
        Some("object") => match node.additional_schema() {
            Some(add) => format!("map[string]{}", go_type(add)),
            None => "map[string]interface {}".to_owned(),
        },
        _ => "interface {}".to_owned(),
    }
}

fn go_named_type(definition: &str) -> String {
    let mut parts = definition.rsplit('.');
    let ty = parts.next().unwrap_or(definition);
    let package = parts.next().unwrap_or_default();
    format!("{package}.{ty}")
}

/// Walks a built-in object as Go's `encoding/json` would decode it into the typed structs.
/// `Err` is a fatal error (from a custom `UnmarshalJSON`); non-fatal ones go to `ctx.saved`.
fn decode_check(node: &Node, v: &Value, ctx: &mut DecodeCtx) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    let n = resolve(node);
    match n.name.as_deref() {
        Some(INT_OR_STRING) => {
            return match v {
                Value::String(_) => Ok(()),
                Value::Number(num) if num.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => Ok(()),
                Value::Number(_) => Err(ctx.type_error(&format!("number {v}"), "int32")),
                _ => Err(ctx.type_error(&go_json_kind(v), "int32")),
            };
        }
        Some(QUANTITY) => {
            let text = match v {
                Value::String(s) => s.trim().to_owned(),
                other => other.to_string(),
            };
            return match quantity_error(&text) {
                Some(e) => Err(e.to_owned()),
                None => Ok(()),
            };
        }
        Some(name @ (TIME | MICRO_TIME)) => {
            let Value::String(s) = v else { return Err(ctx.type_error(&go_json_kind(v), "string")) };
            let layout = if name == TIME { RFC3339 } else { RFC3339_MICRO };
            return match go_time_parse_error(s, layout) {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        _ => {}
    }
    if n.is_raw() {
        return Ok(());
    }
    if !n.properties.is_empty() || n.is_empty_struct() {
        let Value::Object(map) = v else {
            ctx.save(ctx.type_error(&go_json_kind(v), &go_type(node)));
            return Ok(());
        };
        let outer = std::mem::replace(&mut ctx.struct_name, n.short_name().unwrap_or_default().to_owned());
        for (k, child) in map {
            if let Some(prop) = n.properties.get(k) {
                ctx.fields.push(k.clone());
                let result = decode_check(prop, child, ctx);
                result.as_ref()?;
                ctx.fields.pop();
            }
        }
        ctx.struct_name = outer;
        return Ok(());
    }
    let primary = n.types.first().map(String::as_str);
    match (primary, v) {
        (None, _) => Ok(()),
        (Some("object"), Value::Object(map)) => {
            if let Some(add) = n.additional_schema() {
                for child in map.values() {
                    decode_check(add, child, ctx)?;
                }
            }
            Ok(())
        }
        (Some("array"), Value::Array(items)) => {
            if let Some(sub) = n.items.as_deref() {
                for item in items {
                    decode_check(sub, item, ctx)?;
                }
            }
            Ok(())
        }
        (Some("string"), Value::String(s)) => {
            if n.format.as_deref() == Some("byte")
                && let Some(e) = base64_error(s)
            {
                ctx.save(e);
            }
            Ok(())
        }
        (Some("string"), Value::Array(_)) if n.format.as_deref() == Some("byte") => Ok(()),
        (Some("boolean"), Value::Bool(_)) => Ok(()),
        (Some("number"), Value::Number(_)) => Ok(()),
        (Some("integer"), Value::Number(num)) => {
            let fits = match n.format.as_deref() {
                Some("int32") => num.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                _ => num.as_i64().is_some(),
            };
            if !fits {
                ctx.save(ctx.type_error(&format!("number {v}"), &go_type(node)));
            }
            Ok(())
        }
        (Some(_), _) if n.types.len() > 1 && n.types.iter().any(|t| t == json_type(v)) => Ok(()),
        _ => {
            ctx.save(ctx.type_error(&go_json_kind(v), &go_type(node)));
            Ok(())
        }
    }
}

/// Go `base64.StdEncoding.DecodeString` errors: `illegal base64 data at input byte N`.
fn base64_error(s: &str) -> Option<String> {
    let src = s.as_bytes();
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let corrupt = |at: usize| Some(format!("illegal base64 data at input byte {at}"));
    let mut si = 0;
    loop {
        // One quantum of four symbols, newlines skipped.
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                return match j {
                    0 => None,
                    _ => corrupt(si - j),
                };
            }
            let c = src[si];
            si += 1;
            if is_b64(c) {
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return corrupt(si - 1);
            }
            // Padding.
            match j {
                0 | 1 => return corrupt(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return corrupt(src.len());
                    }
                    if src[si] != b'=' {
                        return corrupt(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                return corrupt(si);
            }
            return None;
        }
    }
}

/// `resource.ParseQuantity` errors, by message.
fn quantity_error(s: &str) -> Option<&'static str> {
    const NUMERIC: &str = "unable to parse quantity's numeric part";
    const SUFFIX: &str = "unable to parse quantity's suffix";
    if s.is_empty() {
        return Some(QUANTITY_FORMAT_ERROR);
    }
    let b = s.as_bytes();
    let mut i = usize::from(b[0] == b'+' || b[0] == b'-');
    let num_start = i;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    let number = &s[num_start..i];
    let suffix_start = i;
    while i < b.len() && b"eEinumkKMGTP".contains(&b[i]) {
        i += 1;
    }
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if number.is_empty() || i != b.len() {
        return Some(QUANTITY_FORMAT_ERROR);
    }
    if number.bytes().filter(|c| *c == b'.').count() > 1 || !number.bytes().any(|c| c.is_ascii_digit()) {
        return Some(NUMERIC);
    }
    let suffix = &s[suffix_start..];
    let known = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if known.contains(&suffix) {
        return None;
    }
    let exponent = suffix.strip_prefix(['e', 'E']).map(|e| e.strip_prefix(['+', '-']).unwrap_or(e));
    match exponent {
        Some(e) if digits(e) => None,
        _ => Some(SUFFIX),
    }
}

/// The error Go's `time.Parse(layout, value)` reports for the RFC 3339 layouts, `None` if it parses.
fn go_time_parse_error(value: &str, layout: &str) -> Option<String> {
    #[derive(Clone, Copy)]
    enum Elem {
        Lit(&'static str),
        Year,
        Month,
        Day,
        Hour,
        Minute,
        Second,
        Micro,
        Zone,
    }
    use Elem::*;
    let micro = layout == RFC3339_MICRO;
    let mut elems = vec![Year, Lit("-"), Month, Lit("-"), Day, Lit("T"), Hour, Lit(":"), Minute, Lit(":"), Second];
    if micro {
        elems.push(Micro);
    }
    elems.push(Zone);
    let cannot = |rest: &str, elem: &str| {
        Some(format!(
            "parsing time {} as {}: cannot parse {} as {}",
            time_quote(value),
            time_quote(layout),
            time_quote(rest),
            time_quote(elem)
        ))
    };
    let out_of_range = |what: &str| Some(format!("parsing time {}: {what} out of range", time_quote(value)));
    // Up to two digits; `fixed` demands exactly two.
    let getnum = |s: &str, fixed: bool| -> Option<(u32, usize)> {
        let b = s.as_bytes();
        if b.is_empty() || !b[0].is_ascii_digit() {
            return None;
        }
        if b.len() < 2 || !b[1].is_ascii_digit() {
            return if fixed { None } else { Some((u32::from(b[0] - b'0'), 1)) };
        }
        Some((u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0'), 2))
    };
    let (mut year, mut month, mut day) = (0u32, 0u32, 0u32);
    let mut rest = value;
    for elem in elems {
        let hold = rest;
        match elem {
            Lit(lit) => match rest.strip_prefix(lit) {
                Some(r) => rest = r,
                None => return cannot(rest, lit),
            },
            Year => {
                if rest.len() < 4 || !rest.is_char_boundary(4) || !digits(&rest[..4]) {
                    return cannot(hold, "2006");
                }
                year = rest[..4].parse().unwrap_or_default();
                rest = &rest[4..];
            }
            Month | Day | Hour | Minute | Second => {
                let (layout_elem, fixed, max, what) = match elem {
                    Month => ("01", true, 12, "month"),
                    Day => ("02", true, 31, "day"),
                    Hour => ("15", false, 23, "hour"),
                    Minute => ("04", true, 59, "minute"),
                    _ => ("05", true, 59, "second"),
                };
                let Some((num, used)) = getnum(rest, fixed) else { return cannot(hold, layout_elem) };
                rest = &rest[used..];
                if (matches!(elem, Month | Day) && num == 0) || num > max {
                    if matches!(elem, Day) {
                        // Day is range-checked against the month after parsing.
                        day = num;
                        continue;
                    }
                    return out_of_range(what);
                }
                match elem {
                    Month => month = num,
                    Day => day = num,
                    Second if !micro => {
                        // A fraction the layout does not mention is still accepted.
                        let b = rest.as_bytes();
                        if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
                            let n = 1 + rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                            rest = &rest[n..];
                        }
                    }
                    _ => {}
                }
            }
            Micro => {
                let b = rest.as_bytes();
                if b.len() < 7 || !(b[0] == b'.' || b[0] == b',') || !digits(&rest[1..7]) {
                    return cannot(hold, ".000000");
                }
                rest = &rest[7..];
            }
            Zone => {
                if let Some(r) = rest.strip_prefix('Z') {
                    rest = r;
                    continue;
                }
                let b = rest.as_bytes();
                if b.len() < 6
                    || b[3] != b':'
                    || !(b[0] == b'+' || b[0] == b'-')
                    || !digits(&rest[1..3])
                    || !digits(&rest[4..6])
                {
                    return cannot(hold, "Z07:00");
                }
                let hours: u32 = rest[1..3].parse().unwrap_or_default();
                let minutes: u32 = rest[4..6].parse().unwrap_or_default();
                if hours > 24 {
                    return out_of_range("time zone offset hour");
                }
                if minutes > 60 {
                    return out_of_range("time zone offset minute");
                }
                rest = &rest[6..];
            }
        }
    }
    if !rest.is_empty() {
        return Some(format!("parsing time {}: extra text: {}", time_quote(value), time_quote(rest)));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days_in_month {
        return Some(format!("parsing time {}: day out of range", time_quote(value)));
    }
    None
}

/// The `time` package's own quoting: non-ASCII and control bytes as `\xNN`.
fn time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if !c.is_ascii() || (c as u32) < 0x20 {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Go value formatting, for messages
// ---------------------------------------------------------------------------------------------

/// Go `%v` of a float64.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".to_owned() } else { "0".to_owned() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or_default();
    if !(-4..21).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// A JSON number as Go holds it after decoding (int64, else float64), printed with `%v`.
fn go_number(n: &serde_json::Number) -> String {
    match n.as_i64() {
        Some(i) => i.to_string(),
        None => go_float(n.as_f64().unwrap_or_default()),
    }
}

/// The bad value of a field error as `field.Error.ErrorBody` prints it.
fn go_error_value(v: &Value) -> String {
    match v {
        Value::Null => crate::golang::quote("null"),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number(n),
        Value::String(s) => crate::golang::quote(s),
        Value::Array(_) | Value::Object(_) => go_sharp_v(v),
    }
}

/// Go `%#v` of a decoded JSON value (`map[string]interface {}{"a":1}`).
fn go_sharp_v(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number(n),
        Value::String(s) => crate::golang::quote(s),
        Value::Array(items) => {
            format!("[]interface {{}}{{{}}}", items.iter().map(go_sharp_v).collect::<Vec<_>>().join(", "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let body: Vec<String> =
                entries.iter().map(|(k, v)| format!("{}:{}", crate::golang::quote(k), go_sharp_v(v))).collect();
            format!("map[string]interface {{}}{{{}}}", body.join(", "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI v3
// ---------------------------------------------------------------------------------------------

/// One kind in a group-version's `/openapi/v3` document.
#[derive(Clone, Copy, Debug)]
pub struct OpenApiKind<'a> {
    /// API group, `""` for core.
    pub group: &'a str,
    /// API version.
    pub version: &'a str,
    /// Kind, e.g. `Deployment`.
    pub kind: &'a str,
    /// Resource plural, e.g. `deployments`.
    pub plural: &'a str,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// The kind's schema; `None` looks up the built-in one, failing that a permissive object.
    pub schema: Option<&'a Schema>,
}

/// The component name upstream gives a custom resource: the group reversed, then version and kind
/// (`bitnami.com`, `v1alpha1`, `SealedSecret` → `com.bitnami.v1alpha1.SealedSecret`).
fn crd_component_name(group: &str, version: &str, kind: &str) -> String {
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}.{kind}", reversed.join("."))
}

/// Rewrites `#/$defs/X` references to `#/components/schemas/X`, wrapping a `$ref` that has siblings
/// in `allOf` as upstream's v3 documents do, and collects the referenced names.
fn rewrite_refs(v: &Value, found: &mut BTreeSet<String>) -> Value {
    match v {
        Value::Object(o) => {
            let mut out = Map::new();
            let mut reference = None;
            for (k, val) in o {
                match (k.as_str(), val) {
                    ("$ref", Value::String(r)) => {
                        let name = r.rsplit('/').next().unwrap_or(r).to_owned();
                        reference = Some(format!("#/components/schemas/{name}"));
                        found.insert(name);
                    }
                    ("properties", Value::Object(props)) => {
                        let props: Map<String, Value> =
                            props.iter().map(|(name, p)| (name.clone(), rewrite_refs(p, found))).collect();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.clone(), rewrite_refs(val, found));
                    }
                }
            }
            match reference {
                Some(r) if out.is_empty() => json!({"$ref": r}),
                Some(r) => {
                    out.insert("allOf".to_owned(), json!([{"$ref": r}]));
                    Value::Object(out)
                }
                None => Value::Object(out),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|x| rewrite_refs(x, found)).collect()),
        other => other.clone(),
    }
}

/// Adds built-in definitions (and what they reference) to `schemas`.
fn add_builtin_components(mut pending: Vec<String>, schemas: &mut Map<String, Value>) {
    let b = &*BUILTINS;
    while let Some(name) = pending.pop() {
        if schemas.contains_key(&name) {
            continue;
        }
        let Some(raw) = b.raw.get(&name) else { continue };
        let mut found = BTreeSet::new();
        let rewritten = rewrite_refs(raw, &mut found);
        schemas.insert(name, rewritten);
        pending.extend(found.into_iter().filter(|n| !schemas.contains_key(n)));
    }
}

fn query_param(name: &str, ty: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": ty, "uniqueItems": true},
    })
}

/// The OpenAPI v3 document for one group-version (`/openapi/v3/apis/{group}/{version}`), with what
/// kubectl 1.37 reads from it: per kind, a `patch` operation on the object path carrying
/// `x-kubernetes-group-version-kind` and an inline `fieldValidation` query parameter (so
/// `kubectl apply` hands validation to the server and sends `fieldValidation=Strict`), request
/// body media types (strategic merge patch for built-ins only, which is how kubectl decides to
/// compute a strategic merge patch from this document), and `components.schemas` with each kind's
/// schema and everything it references.
pub fn openapi_v3_document(group: &str, version: &str, kinds: &[OpenApiKind<'_>]) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let group_version = if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") };
    // Upstream's naming: tag `apps_v1`, operation `patchAppsV1NamespacedDeployment`; groups under
    // `k8s.io` drop that suffix, the core group is `core`.
    let group_word = match group {
        "" => "core",
        g => g.strip_suffix(".k8s.io").unwrap_or(g),
    };
    let camel = |s: &str| -> String {
        s.split(['.', '-'])
            .filter(|p| !p.is_empty())
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
            })
            .collect()
    };
    let operation_prefix = format!("{}{}", camel(group_word), camel(version));
    let tag = {
        let lower = camel(group_word);
        let mut chars = lower.chars();
        let first = chars.next().map(|c| c.to_lowercase().chain(chars).collect::<String>()).unwrap_or_default();
        format!("{first}_{version}")
    };
    let mut wants_meta = false;
    for k in kinds {
        let builtin = k.schema.cloned().or_else(|| Schema::builtin(k.group, k.version, k.kind));
        let gvk = json!({"group": k.group, "version": k.version, "kind": k.kind});
        let (component, is_builtin) = match &builtin {
            Some(s) if s.mode == Mode::Builtin => match s.definition_name() {
                Some(name) => {
                    add_builtin_components(vec![name.to_owned()], &mut schemas);
                    (name.to_owned(), true)
                }
                None => (crd_component_name(k.group, k.version, k.kind), true),
            },
            Some(s) => {
                let name = crd_component_name(k.group, k.version, k.kind);
                let mut schema = s.raw.as_deref().cloned().unwrap_or_else(|| json!({"type": "object"}));
                if let Some(o) = schema.as_object_mut() {
                    let props = o.entry("properties").or_insert_with(|| json!({}));
                    if let Some(p) = props.as_object_mut() {
                        p.insert("apiVersion".to_owned(), json!({"type": "string"}));
                        p.insert("kind".to_owned(), json!({"type": "string"}));
                        p.insert(
                            "metadata".to_owned(),
                            json!({"allOf": [{"$ref": format!("#/components/schemas/{OBJECT_META}")}]}),
                        );
                    }
                    o.insert("x-kubernetes-group-version-kind".to_owned(), json!([gvk.clone()]));
                }
                wants_meta = true;
                schemas.insert(name.clone(), schema);
                (name, false)
            }
            None => {
                let name = crd_component_name(k.group, k.version, k.kind);
                schemas.insert(
                    name.clone(),
                    json!({
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": true,
                        "x-kubernetes-group-version-kind": [gvk.clone()],
                    }),
                );
                (name, false)
            }
        };
        let mut media =
            vec!["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];
        if is_builtin {
            media.push("application/strategic-merge-patch+json");
        }
        let patch_ref = json!({"$ref": format!("#/components/schemas/{PATCH}")});
        let content: Map<String, Value> =
            media.iter().map(|m| ((*m).to_owned(), json!({"schema": patch_ref.clone()}))).collect();
        let object_ref = json!({"$ref": format!("#/components/schemas/{component}")});
        let scope = if k.namespaced { "Namespaced" } else { "" };
        let path = if k.namespaced {
            format!("/{group_version}/namespaces/{{namespace}}/{}/{{name}}", k.plural)
        } else {
            format!("/{group_version}/{}/{{name}}", k.plural)
        };
        let mut path_params = vec![json!({
            "name": "name", "in": "path", "required": true,
            "description": format!("name of the {}", k.kind), "schema": {"type": "string", "uniqueItems": true},
        })];
        if k.namespaced {
            path_params.push(json!({
                "name": "namespace", "in": "path", "required": true,
                "description": "object name and auth scope, such as for teams and projects",
                "schema": {"type": "string", "uniqueItems": true},
            }));
        }
        path_params.push(query_param("pretty", "string", "If 'true', then the output is pretty printed."));
        let patch = json!({
            "tags": [tag],
            "description": format!("partially update the specified {}", k.kind),
            "operationId": format!("patch{operation_prefix}{scope}{}", k.kind),
            "parameters": [
                query_param("dryRun", "string", "When present, indicates that modifications should not be persisted."),
                query_param("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes."),
                query_param("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict."),
                query_param("force", "boolean", "Force is going to \"force\" Apply requests."),
            ],
            "requestBody": {"content": content, "required": true},
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": object_ref.clone()}}},
                "201": {"description": "Created", "content": {"application/json": {"schema": object_ref}}},
                "401": {"description": "Unauthorized"},
            },
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk,
        });
        paths.insert(path, json!({"parameters": path_params, "patch": patch}));
    }
    if wants_meta {
        add_builtin_components(vec![OBJECT_META.to_owned()], &mut schemas);
    }
    schemas.insert(PATCH.to_owned(), json!({"type": "object"}));
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_owned()).collect()
    }

    fn deployment() -> Schema {
        Schema::builtin("apps", "v1", "Deployment").expect("Deployment is built in")
    }

    fn crd(schema: Value) -> Schema {
        match Schema::from_crd(&schema) {
            Ok(s) => s,
            Err(causes) => panic!("unexpected causes: {causes:?}"),
        }
    }

    fn widget_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
                        "replicas": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10, "default": 1},
                        "mode": {"type": "string", "enum": ["Fast", "Slow"], "default": "Slow"},
                        "ratio": {"type": "number", "exclusiveMaximum": true, "maximum": 1},
                        "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set", "maxItems": 3},
                        "ports": {
                            "type": "array",
                            "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["name"],
                            "items": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {"name": {"type": "string"}, "port": {"type": "integer", "default": 80}},
                            },
                        },
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "template": {
                            "type": "object",
                            "x-kubernetes-embedded-resource": true,
                            "x-kubernetes-preserve-unknown-fields": true,
                        },
                        "port": {"x-kubernetes-int-or-string": true},
                        "when": {"type": "string", "format": "date-time"},
                    },
                },
                "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
            },
        })
    }

    #[test]
    fn embedded_definitions_parse_and_cover_the_root_kinds() {
        assert!(BUILTINS.nodes.len() >= 200, "only {} definitions", BUILTINS.nodes.len());
        for (g, v, k) in [
            ("", "v1", "Namespace"),
            ("", "v1", "Secret"),
            ("", "v1", "ConfigMap"),
            ("", "v1", "ServiceAccount"),
            ("", "v1", "Event"),
            ("", "v1", "Pod"),
            ("", "v1", "Service"),
            ("authentication.k8s.io", "v1", "TokenRequest"),
            ("apps", "v1", "StatefulSet"),
            ("apps", "v1", "DaemonSet"),
            ("batch", "v1", "Job"),
            ("batch", "v1", "CronJob"),
            ("coordination.k8s.io", "v1", "Lease"),
            ("events.k8s.io", "v1", "Event"),
            ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            ("autoscaling", "v1", "Scale"),
            ("", "v1", "Status"),
            ("", "v1", "DeleteOptions"),
        ] {
            assert!(Schema::builtin(g, v, k).is_some(), "{g}/{v} {k} missing");
        }
        assert!(Schema::builtin("example.com", "v1", "Widget").is_none());
    }

    #[test]
    fn an_unreadable_definitions_file_gives_an_empty_set() {
        assert!(Builtins::parse("not json").nodes.is_empty());
    }

    #[test]
    fn containers_merge_by_name_and_are_a_map_for_apply() {
        let containers = deployment().at(&path(&["spec", "template", "spec", "containers"])).expect("containers");
        assert_eq!(containers.patch_merge_key(), Some("name"));
        assert!(containers.patch_strategy_merge());
        assert_eq!(containers.list_type(), ListType::Map(vec!["name".to_owned()]));
        let ports = deployment().at(&path(&["spec", "template", "spec", "containers", "ports"])).expect("ports");
        assert_eq!(ports.patch_merge_key(), Some("containerPort"));
        let mounts = containers.items().and_then(|c| c.property("volumeMounts")).expect("volumeMounts");
        assert_eq!(mounts.patch_merge_key(), Some("mountPath"));
    }

    #[test]
    fn object_meta_finalizers_merge_and_owner_references_key_on_uid() {
        let meta = deployment().property("metadata").expect("metadata");
        let finalizers = meta.property("finalizers").expect("finalizers");
        assert!(finalizers.patch_strategy_merge());
        assert_eq!(finalizers.patch_merge_key(), None);
        assert_eq!(finalizers.list_type(), ListType::Set);
        assert_eq!(
            meta.property("ownerReferences").and_then(|o| o.patch_merge_key().map(str::to_owned)),
            Some("uid".into())
        );
        assert!(!meta.property("labels").is_some_and(|l| l.map_is_atomic()));
    }

    #[test]
    fn deployment_strategy_retains_keys_and_volumes_merge_and_retain() {
        let strategy = deployment().at(&path(&["spec", "strategy"])).expect("strategy");
        assert!(strategy.patch_strategy_retain_keys());
        assert!(!strategy.patch_strategy_merge());
        let volumes = deployment().at(&path(&["spec", "template", "spec", "volumes"])).expect("volumes");
        assert!(volumes.patch_strategy_merge() && volumes.patch_strategy_retain_keys());
    }

    #[test]
    fn crd_lists_default_to_atomic_and_honour_list_type() {
        let s = crd(widget_schema());
        assert_eq!(s.at(&path(&["spec", "tags"])).map(|t| t.list_type()), Some(ListType::Set));
        assert_eq!(s.at(&path(&["spec", "ports"])).map(|t| t.list_type()), Some(ListType::Map(vec!["name".into()])));
        let atomic =
            crd(json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}}}}));
        assert_eq!(atomic.property("l").map(|l| l.list_type()), Some(ListType::Atomic));
        let labels = s.at(&path(&["spec", "labels"])).expect("labels");
        assert!(labels.property("anything").is_some(), "map values have the additionalProperties schema");
    }

    #[test]
    fn deployment_unknown_field_under_a_container_is_pruned_and_reported() {
        let mut obj = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "bogus": 1},
            "spec": {
                "replicas": null,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx", "foo": "bar"}]},
                },
                "extra": true,
            },
        });
        let dropped = deployment().prune(&mut obj);
        assert_eq!(dropped, ["metadata.bogus", "spec.extra", "spec.template.spec.containers[0].foo"]);
        assert_eq!(obj["spec"]["template"]["spec"]["containers"][0], json!({"name": "web", "image": "nginx"}));
        assert!(obj["spec"].get("replicas").is_none(), "null is absent for the Go decoder");
        assert_eq!(obj["spec"]["selector"]["matchLabels"]["app"], "web");
    }

    #[test]
    fn crd_pruning_keeps_root_meta_preserved_fields_and_embedded_resources() {
        let s = crd(widget_schema());
        let mut obj = json!({
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "whatever": true},
            "spec": {
                "name": "abc",
                "unknown": 1,
                "extra": {"free": {"form": [1, 2]}},
                "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "junk": 1}, "spec": {"x": 1}},
                "ports": [{"name": "http", "nope": true}],
                "mode": null,
            },
            "junk": {},
        });
        let dropped = s.prune(&mut obj);
        assert_eq!(dropped, ["junk", "spec.ports[0].nope", "spec.template.metadata.junk", "spec.unknown"]);
        assert_eq!(obj["metadata"], json!({"name": "w", "whatever": true}), "root metadata is not pruned here");
        assert_eq!(obj["spec"]["extra"], json!({"free": {"form": [1, 2]}}));
        assert_eq!(obj["spec"]["template"]["spec"], json!({"x": 1}));
        assert_eq!(obj["spec"]["template"]["metadata"], json!({"name": "p"}));
        assert!(obj["spec"].get("mode").is_some(), "a null with a default stays for defaulting");
    }

    #[test]
    fn crd_with_preserve_unknown_fields_at_the_root_keeps_unknowns() {
        let s = crd(json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
        let mut obj = json!({"apiVersion": "a/v1", "kind": "K", "metadata": {}, "spec": {"anything": [1, {"x": 2}]}});
        let before = obj.clone();
        assert!(s.prune(&mut obj).is_empty());
        assert_eq!(obj, before);
    }

    #[test]
    fn crd_defaults_are_applied_recursively_and_replace_non_nullable_nulls() {
        let s = crd(widget_schema());
        let mut obj = json!({"spec": {"name": "abc", "mode": null, "ports": [{"name": "http"}]}});
        s.prune(&mut obj);
        s.apply_defaults(&mut obj);
        assert_eq!(obj["spec"]["replicas"], 1);
        assert_eq!(obj["spec"]["mode"], "Slow");
        assert_eq!(obj["spec"]["ports"][0]["port"], 80);
        let nested = crd(json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "default": {}, "properties": {"x": {"type": "string", "default": "d"}}}},
        }));
        let mut empty = json!({});
        nested.apply_defaults(&mut empty);
        assert_eq!(empty, json!({"spec": {"x": "d"}}));
    }

    #[test]
    fn crd_type_errors_name_the_field_path_in_kube_openapi_words() {
        let s = crd(widget_schema());
        let causes = s.validate(&json!({"spec": {"name": "abc", "replicas": "string"}}));
        assert_eq!(
            causes,
            [Cause::new(
                "FieldValueTypeInvalid",
                "spec.replicas",
                "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""
            )]
        );
        let causes = s.validate(&json!({"spec": {"name": "abc", "ports": [{"name": "a", "port": "x"}]}}));
        assert_eq!(causes[0].field, "spec.ports[0].port");
    }

    #[test]
    fn crd_value_constraints_produce_upstream_messages() {
        let s = crd(widget_schema());
        let causes = s.validate(&json!({
            "spec": {
                "name": "ABCDEFG",
                "replicas": 0,
                "mode": "Medium",
                "ratio": 1,
                "tags": ["a", "b", "a", "c"],
                "ports": [{"name": "x"}, {"name": "x"}],
                "port": true,
                "when": "yesterday",
            },
        }));
        let got: Vec<(String, String)> = causes.iter().map(|c| (c.field.clone(), c.message.clone())).collect();
        let want = [
            ("spec.mode", "Unsupported value: \"Medium\": supported values: \"Fast\", \"Slow\""),
            ("spec.name", "Too long: may not be more than 5 bytes"),
            ("spec.port", "Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""),
            ("spec.ratio", "Invalid value: 1: spec.ratio in body should be less than 1"),
            ("spec.replicas", "Invalid value: 0: spec.replicas in body should be greater than or equal to 1"),
            ("spec.tags", "Too many: 4: must have at most 3 items"),
            ("spec.when", "Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\""),
            ("spec.ports[1]", "Duplicate value: map[string]interface {}{\"name\":\"x\"}"),
            ("spec.tags[2]", "Duplicate value: \"a\""),
        ];
        for (field, message) in want {
            assert!(got.iter().any(|(f, m)| f == field && m == message), "missing {field}: {message}\n got {got:#?}");
        }
        assert_eq!(got.len(), want.len(), "{got:#?}");
    }

    #[test]
    fn crd_required_fields_and_patterns_are_checked() {
        let s = crd(widget_schema());
        let causes = s.validate(&json!({"spec": {}}));
        assert_eq!(causes, [Cause::new("FieldValueRequired", "spec.name", "Required value")]);
        let causes = s.validate(&json!({"spec": {"name": "a1"}}));
        assert_eq!(causes[0].message, "Invalid value: \"a1\": spec.name in body should match '^[a-z]+$'");
        let causes = s.validate(&json!({"spec": {"name": "a"}}));
        assert_eq!(causes[0].message, "Invalid value: \"a\": spec.name in body should be at least 2 chars long");
    }

    #[test]
    fn crd_validation_skips_root_metadata_unless_the_schema_constrains_it() {
        let s = crd(widget_schema());
        assert!(s.validate(&json!({"metadata": {"name": 5}, "spec": {"name": "ab"}})).is_empty());
        let named = crd(json!({
            "type": "object",
            "properties": {"metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}}}},
        }));
        let causes = named.validate(&json!({"metadata": {"name": "toolong"}}));
        assert_eq!(causes[0].field, "metadata.name");
    }

    #[test]
    fn builtin_validation_reports_required_fields_and_types() {
        let causes = deployment().validate(&json!({
            "metadata": {"name": 7},
            "spec": {"replicas": "three", "selector": {}, "template": {"spec": {"containers": [{"image": "x"}]}}},
        }));
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert!(fields.contains(&"spec.replicas"), "{causes:?}");
        assert!(fields.contains(&"spec.template.spec.containers[0].name"), "{causes:?}");
        assert!(!fields.iter().any(|f| f.starts_with("metadata")), "root metadata is validated elsewhere");
        let ok = json!({
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "web", "env": [{"name": "A"}, {"name": "A"}]}]}}},
        });
        assert!(deployment().validate(&ok).is_empty(), "built-ins allow what the Go types allow");
    }

    #[test]
    fn builtin_decode_errors_use_go_json_wording() {
        let err = deployment().decode_error(&json!({"spec": {"replicas": "3"}}));
        assert_eq!(
            err.as_deref(),
            Some("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32")
        );
        let err = deployment().decode_error(
            &json!({"spec": {"template": {"spec": {"containers": [{"ports": [{"containerPort": 1.5}]}]}}}}),
        );
        assert_eq!(
            err.as_deref(),
            Some(
                "json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32"
            )
        );
        let err = deployment().decode_error(&json!({"spec": {"template": {"spec": {"containers": "web"}}}}));
        assert_eq!(
            err.as_deref(),
            Some(
                "json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container"
            )
        );
        let secret = Schema::builtin("", "v1", "Secret").expect("Secret");
        assert_eq!(
            secret.decode_error(&json!({"data": {"k": "not base64!"}})).as_deref(),
            Some("illegal base64 data at input byte 3")
        );
        assert_eq!(secret.decode_error(&json!({"data": {"k": "aGk="}})), None);
        assert!(crd(widget_schema()).decode_error(&json!({"spec": 1})).is_none());
    }

    #[test]
    fn empty_go_structs_drop_every_field_and_raw_fields_keep_everything() {
        let crd = Schema::builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition").expect("CRD kind");
        let mut obj = json!({
            "metadata": {"name": "widgets.example.com", "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {"x": 1}}}]},
        });
        let dropped = crd.prune(&mut obj);
        assert_eq!(dropped, ["spec.versions[0].subresources.status.x"]);
        assert_eq!(obj["metadata"]["managedFields"][0]["fieldsV1"], json!({"f:spec": {}}));
        let meta = json!({"metadata": {"managedFields": [{"fieldsV1": "anything"}]}});
        assert_eq!(crd.decode_error(&meta), None);
    }

    #[test]
    fn micro_time_needs_six_fraction_digits_like_go() {
        let lease = Schema::builtin("coordination.k8s.io", "v1", "Lease").expect("Lease");
        assert_eq!(lease.decode_error(&json!({"spec": {"renewTime": "2024-01-01T00:00:00.000000Z"}})), None);
        assert_eq!(
            lease.decode_error(&json!({"spec": {"renewTime": "2024-01-01T00:00:00Z"}})).as_deref(),
            Some(
                "parsing time \"2024-01-01T00:00:00Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"Z\" as \".000000\""
            )
        );
        assert_eq!(
            go_time_parse_error("2024-13-01T00:00:00Z", RFC3339).as_deref(),
            Some("parsing time \"2024-13-01T00:00:00Z\": month out of range")
        );
        assert_eq!(
            go_time_parse_error("2024-02-30T00:00:00Z", RFC3339).as_deref(),
            Some("parsing time \"2024-02-30T00:00:00Z\": day out of range")
        );
        assert_eq!(go_time_parse_error("2024-01-01T00:00:00.5+01:00", RFC3339), None);
    }

    #[test]
    fn quantities_and_int_or_strings_decode_like_the_go_types() {
        let pod = Schema::builtin("", "v1", "Pod").expect("Pod");
        let with = |limits: Value| json!({"spec": {"containers": [{"name": "c", "resources": {"limits": limits}}]}});
        assert_eq!(pod.decode_error(&with(json!({"cpu": "100m", "memory": 128}))), None);
        assert_eq!(pod.decode_error(&with(json!({"cpu": "lots"}))).as_deref(), Some(QUANTITY_FORMAT_ERROR));
        let probe = json!({"spec": {"containers": [{"name": "c", "livenessProbe": {"httpGet": {"port": true}}}]}});
        assert_eq!(
            pod.decode_error(&probe).as_deref(),
            Some(
                "json: cannot unmarshal bool into Go struct field HTTPGetAction.spec.containers.livenessProbe.httpGet.port of type int32"
            )
        );
    }

    #[test]
    fn non_structural_crd_schemas_are_refused_with_causes() {
        let causes = Schema::from_crd_at(
            &json!({
                "type": "object",
                "properties": {
                    "spec": {"properties": {"x": {"type": "string"}}},
                    "list": {"type": "array"},
                    "ref": {"$ref": "#/definitions/x", "type": "string"},
                    "set": {"type": "array", "uniqueItems": true, "items": {"type": "string"}},
                },
            }),
            "spec.versions[0].schema.openAPIV3Schema",
        )
        .err()
        .unwrap_or_default();
        let p = "spec.versions[0].schema.openAPIV3Schema.properties";
        let want = [
            (format!("{p}[list].items"), "Required value: must be specified"),
            (format!("{p}[ref].$ref"), "Forbidden: $ref is not supported"),
            (
                format!("{p}[set].uniqueItems"),
                "Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            ),
            (format!("{p}[spec].type"), "Required value: must not be empty for specified object fields"),
        ];
        for (field, message) in &want {
            assert!(
                causes.iter().any(|c| &c.field == field && c.message == *message),
                "missing {field}: {message} in {causes:#?}"
            );
        }
        assert!(Schema::from_crd(&json!({"type": "string"})).is_err(), "the root must be an object");
        assert!(Schema::from_crd(&widget_schema()).is_ok());
    }

    #[test]
    fn list_map_keys_must_be_required_or_defaulted() {
        let causes = Schema::from_crd(&json!({
            "type": "object",
            "properties": {"l": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["k"],
                "items": {"type": "object", "properties": {"k": {"type": "string"}}},
            }},
        }))
        .err()
        .unwrap_or_default();
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(causes[0].field, "openAPIV3Schema.properties[l].items.properties[k].default");
    }

    #[test]
    fn openapi_document_has_patch_operation_with_gvk_and_field_validation() {
        let d = deployment();
        let doc = openapi_v3_document(
            "apps",
            "v1",
            &[OpenApiKind {
                group: "apps",
                version: "v1",
                kind: "Deployment",
                plural: "deployments",
                namespaced: true,
                schema: Some(&d),
            }],
        );
        let op = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            op["x-kubernetes-group-version-kind"],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        assert!(params.iter().any(|p| p["name"] == "fieldValidation" && p["in"] == "query"));
        assert!(op["requestBody"]["content"].get("application/strategic-merge-patch+json").is_some());
        let schemas = &doc["components"]["schemas"];
        let dep = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(dep["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
        assert_eq!(dep["properties"]["spec"]["$ref"], "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec");
        assert_eq!(
            schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"
        );
        assert!(schemas.get("io.k8s.api.core.v1.Container").is_some(), "referenced definitions are included");
        assert!(!doc.to_string().contains("#/$defs/"), "every reference is rewritten");
    }

    #[test]
    fn schemars_style_crd_schemas_are_accepted_and_validated() {
        let s = crd(json!({
            "type": "object",
            "required": ["spec"],
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "port": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true},
                        "count": {"type": "integer", "format": "int32", "nullable": true},
                        "data": {"type": "object", "additionalProperties": {"type": "string"}, "nullable": true},
                        "template": {
                            "type": "object",
                            "nullable": true,
                            "properties": {"metadata": {"type": "object", "nullable": true, "x-kubernetes-preserve-unknown-fields": true}},
                        },
                    },
                },
            },
        }));
        assert!(s.validate(&json!({"spec": {"port": "http", "count": null, "data": {"a": "b"}}})).is_empty());
        assert!(
            s.validate(&json!({"spec": {"port": 8080, "template": {"metadata": {"labels": {"a": "b"}}}}})).is_empty()
        );
        let causes = s.validate(&json!({"spec": {"port": 1.5}}));
        assert!(
            causes
                .iter()
                .any(|c| c.field == "<nil>" && c.message.contains("must validate at least one schema (anyOf)"))
        );
        assert_eq!(s.validate(&json!({})), [Cause::new("FieldValueRequired", "spec", "Required value")]);
    }

    #[test]
    fn openapi_document_uses_core_paths_for_the_core_group() {
        let doc = openapi_v3_document(
            "",
            "v1",
            &[OpenApiKind {
                group: "",
                version: "v1",
                kind: "Namespace",
                plural: "namespaces",
                namespaced: false,
                schema: None,
            }],
        );
        let op = &doc["paths"]["/api/v1/namespaces/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"], json!({"group": "", "version": "v1", "kind": "Namespace"}));
        assert_eq!(op["operationId"], "patchCoreV1Namespace");
        assert!(doc["components"]["schemas"].get("io.k8s.api.core.v1.Namespace").is_some());
    }

    #[test]
    fn openapi_document_for_a_crd_adds_type_meta_and_object_meta() {
        let s = crd(widget_schema());
        let doc = openapi_v3_document(
            "example.com",
            "v1",
            &[OpenApiKind {
                group: "example.com",
                version: "v1",
                kind: "Widget",
                plural: "widgets",
                namespaced: false,
                schema: Some(&s),
            }],
        );
        let op = &doc["paths"]["/apis/example.com/v1/widgets/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Widget");
        assert!(op["requestBody"]["content"].get("application/strategic-merge-patch+json").is_none());
        let widget = &doc["components"]["schemas"]["com.example.v1.Widget"];
        assert_eq!(widget["properties"]["kind"], json!({"type": "string"}));
        assert_eq!(
            widget["x-kubernetes-group-version-kind"],
            json!([{"group": "example.com", "version": "v1", "kind": "Widget"}])
        );
        assert!(doc["components"]["schemas"].get(OBJECT_META).is_some());
    }

    #[test]
    fn go_formatting_matches_fmt() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1.5e-7), "1.5e-07");
        assert_eq!(crate::golang::quote("a\"b\n\u{1}"), "\"a\\\"b\\n\\x01\"");
        assert_eq!(
            go_sharp_v(&json!({"b": [1, "x"], "a": 1.5})),
            "map[string]interface {}{\"a\":1.5, \"b\":[]interface {}{1, \"x\"}}"
        );
    }
}
