//! Server-side apply and `metadata.managedFields` bookkeeping on plain JSON objects.
//!
//! This reproduces the API server's field manager (apimachinery `util/managedfields/internal` on top of
//! sigs.k8s.io/structured-merge-diff v6). It is pure: objects in, objects out; the schema comes from the
//! caller through [`MergeSchema`].
//!
//! # Field sets
//!
//! Ownership is recorded as *field sets*: sets of paths into an object. A path element is `f:<name>` (a
//! member of an object), `k:<json>` (the item of an associative `map` list whose key fields are that
//! compact JSON, keys sorted, as Go encodes it), `v:<json>` (the item of a `set` list with that value) or,
//! only when decoding foreign data, `i:<index>`. The paths a value *contains* are: every scalar; every
//! atomic list or map, as one leaf; every item of a `set` or `map` list (the item itself, plus its
//! contents); every object member whose value is `null` or `{}`; and every member of a free-form map
//! ([`MergeSchema::map_is_struct`] false). Struct fields holding a non-empty object are not members
//! themselves, which is why `f:spec` usually carries no `.` while `k:{"name":"web"}` does. In `fieldsV1`
//! a node that is both a member and has children says so with a `".": {}` entry.
//!
//! # Managers
//!
//! `metadata.managedFields` holds one entry per manager *identity*: (manager, `Apply`, subresource) for
//! appliers, and (manager, `Update`, apiVersion, subresource) for everything else. An entry whose set
//! becomes empty is dropped. `apiVersion`, `kind` and `metadata.{name, namespace, uid, resourceVersion,
//! generation, creationTimestamp, selfLink, clusterName, managedFields}` are never recorded; labels,
//! annotations, finalizers, ownerReferences and `generateName` are. Entries are sorted by operation
//! (`Apply` first), time, manager, apiVersion and subresource. More than ten `Update` entries are folded,
//! oldest first, into an `ancient-changes` entry per apiVersion.
//!
//! # Apply ([`apply`])
//!
//! The applied configuration is merged into the live object: maps member by member, atomic lists and maps
//! replaced whole, `map` lists item by item on their keys and `set` lists by value (with the upstream rule
//! for ordering items). The applier's set becomes exactly the field set of its configuration. Fields it
//! owned from its previous apply but left out now are removed from the object unless another manager owns
//! them. Then every field whose value was added or changed is checked: if another manager owns it, that
//! is a conflict (409) unless `force` is set, in which case the other manager loses it. A field set to the
//! value it already had is not a change, so two managers applying the same value share it. Fields that
//! disappear are taken from every other manager. The applier's `time` moves only when the object changed,
//! so re-applying the same configuration returns the live object untouched.
//!
//! Upstream details kept: an object whose `managedFields` is empty is first attributed, field by field, to
//! a `before-first-apply` Update entry; for manager `kubectl`, conflicts on fields whose live value still
//! equals the `kubectl.kubernetes.io/last-applied-configuration` annotation are forced (the client-side to
//! server-side apply upgrade), and that annotation is rewritten from the applied configuration.
//!
//! # Updates ([`record_update`])
//!
//! Create, PUT and every non-apply patch record an `Update` entry for the writer covering the fields it
//! added or changed, and take those fields, and any it removed, away from every other manager. They never
//! conflict. Where the starting point comes from, as upstream decides:
//!
//! * a request body that carries `managedFields: []` (or one all-empty entry) resets tracking: the stored
//!   object ends up with no `managedFields`, and later updates leave it untracked until the next apply;
//! * a body that carries decodable, non-empty `managedFields` replaces the stored ones (clients may edit
//!   ownership directly); a missing, `null` or undecodable list keeps the stored ones;
//! * on the `status` subresource, whatever the body carries is ignored;
//! * an update of an object that has no `managedFields` (and is not a create) records nothing.
//!
//! [`validate_managed_fields`] is the `ObjectMeta` validation of what a client sent (422 causes).
//!
//! # Known differences
//!
//! * Create compares against `{}`; the API server compares built-in kinds against a zero-valued Go struct,
//!   where fields such as `spec` already exist. For those kinds, pass the zero-valued skeleton (without a
//!   `uid`) as `old` to [`record_update`] to get the upstream `.` markers.
//! * Scalar types are not checked here; the caller validates against the schema.
//! * A map or list emptied by pruning is removed; upstream leaves a JSON `null` that decoding drops.
//! * Items of `k:`/`v:` elements are ordered by their JSON text, not by the typed value.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde_json::{Map, Value};

use crate::cause::Cause;

/// The annotation client-side `kubectl apply` keeps its last configuration in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Longest field manager name the API server accepts, in bytes.
const FIELD_MANAGER_MAX_LENGTH: usize = 128;
/// Longest `managedFields[].subresource` the API server accepts, in bytes.
const MAX_SUBRESOURCE_NAME_LENGTH: usize = 256;
/// `Update` entries kept before the oldest are folded into `ancient-changes`.
const MAX_UPDATE_MANAGERS: usize = 10;
/// Total size of all annotations (keys plus values), in bytes.
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// How a list merges, from the kind's schema (`x-kubernetes-list-type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// Replaced whole and owned as one leaf (`atomic`, the default for lists in CRD schemas).
    Atomic,
    /// A set of scalars merged by value (`set`); items are owned as `v:<json>`.
    Set,
    /// An associative list merged on these key fields (`map` with `x-kubernetes-list-map-keys`); items are
    /// owned as `k:{"name":"x"}`.
    Map(Vec<String>),
}

/// How the nodes of an object merge, from the kind's schema.
///
/// A `path` holds the object member names from the root; list items are implicit, so the path of a list
/// item (and of an object inside it) is the path of its list.
pub trait MergeSchema {
    /// The list kind of the list at `path`.
    fn list_kind(&self, path: &[String]) -> ListKind;

    /// Whether the object at `path` is atomic (`x-kubernetes-map-type: atomic`): replaced whole and owned
    /// as one leaf. Default: granular.
    fn map_is_atomic(&self, _path: &[String]) -> bool {
        false
    }

    /// Whether the object at `path` is a struct (its members are declared `properties`) rather than a
    /// free-form map (`additionalProperties`, `map[string]T`). Members of a free-form map are owned as
    /// fields in their own right, so one holding an object gets a `.` entry. Default: struct.
    fn map_is_struct(&self, _path: &[String]) -> bool {
        true
    }

    /// The schema default of key field `key` of the `map` list at `path`, used for items that omit it
    /// (container `ports` default `protocol` to `"TCP"`). Default: none, so such an item is an error.
    fn list_key_default(&self, _path: &[String], _key: &str) -> Option<Value> {
        None
    }

    /// The "reset fields" of the endpoint: top-level paths the update strategy wipes, so they are never
    /// owned or compared, and [`apply`] puts them back from the live object. Typically `[["status"]]` for
    /// the main resource of a kind with a status subresource and `[["spec"]]` for `status`. Default: none.
    fn reset_fields(&self, _subresource: Option<&str>) -> Vec<Vec<String>> {
        Vec::new()
    }
}

/// Who writes, and how: the parts of a request the field manager needs.
#[derive(Clone, Copy, Debug)]
pub struct ApplyRequest<'a> {
    /// The field manager (`fieldManager`, or [`manager_from_user_agent`]); empty means `unknown`.
    pub manager: &'a str,
    /// `force=true` on an apply: take conflicting fields instead of failing. Ignored by updates.
    pub force: bool,
    /// The apiVersion of the endpoint, recorded in entries (`apps/v1`).
    pub api_version: &'a str,
    /// The current time, RFC 3339 with seconds and `Z`.
    pub now: &'a str,
    /// The subresource written through (`status`), recorded in entries.
    pub subresource: Option<&'a str>,
}

/// Why an apply was refused, with the HTTP status the API server answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApplyError {
    /// 409, reason `Conflict`, no `details.name`/`kind`: fields this manager sets to new values are owned
    /// by other managers, and `force` was not given.
    Conflicts {
        /// The Status message: `Apply failed with 1 conflict: conflict with "a": .spec.x`, or for several
        /// `Apply failed with 2 conflicts: conflicts with "a":\n- .spec.x\n- .spec.y` (managers sorted).
        message: String,
        /// One `FieldManagerConflict` cause per (manager, field): field `.spec.x`, message
        /// `conflict with "a"`, plus ` using v1` for an Update entry and ` with subresource "status"`.
        causes: Vec<Cause>,
    },
    /// 400, reason `BadRequest`: the configuration carries `metadata.managedFields`, or is of another
    /// apiVersion (`invalid object type: apps/v2, Kind=Deployment`).
    BadRequest(String),
    /// 500 with no reason (the API server passes a plain error through): the configuration has duplicate
    /// or keyless items in an associative list (`failed to create typed patch object (ns/name; apps/v1,
    /// Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]`).
    Internal(String),
}

impl ApplyError {
    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            Self::Conflicts { .. } => 409,
            Self::BadRequest(_) => 400,
            Self::Internal(_) => 500,
        }
    }

    /// The Status `reason`, when the API server sets one.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::Conflicts { .. } => Some("Conflict"),
            Self::BadRequest(_) => Some("BadRequest"),
            Self::Internal(_) => None,
        }
    }

    /// The Status `message`.
    pub fn message(&self) -> &str {
        match self {
            Self::Conflicts { message, .. } | Self::BadRequest(message) | Self::Internal(message) => message,
        }
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ApplyError {}

/// Server-side apply of `applied` (the user's configuration, already checked to carry `apiVersion`, `kind`
/// and `metadata.name` matching the endpoint) onto `live` (`None` creates).
///
/// Returns the new object with `metadata.managedFields` updated. When nothing but ownership changes, the
/// object is the live one and only `managedFields` differ (a manager newly sharing fields gets an entry
/// without `time`, as upstream); when nothing changes at all, the result equals `live`. System metadata
/// (`uid`, `resourceVersion`, ...) is the caller's business.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    req: &ApplyRequest<'_>,
    schema: &dyn MergeSchema,
) -> Result<Value, ApplyError> {
    if applied.get("apiVersion").and_then(Value::as_str).unwrap_or("") != req.api_version {
        return Err(ApplyError::BadRequest(format!("invalid object type: {}", gvk_string(applied))));
    }
    if applied.get("metadata").and_then(|m| m.get("managedFields")).is_some_and(|v| !v.is_null()) {
        return Err(ApplyError::BadRequest("metadata.managedFields must be nil".to_owned()));
    }
    let empty = Value::Object(Map::new());
    let live_full = live.unwrap_or(&empty);
    let managed = match raw_entries(live_full) {
        Some(entries) => {
            decode(&entries).map_err(|e| ApplyError::Internal(format!("failed to decode managed fields: {e}")))?
        }
        None => Managed::default(),
    };
    let live_obj = without_managed_fields(live_full);
    let errs = typed_errors(applied, false, schema);
    if !errs.is_empty() {
        return Err(ApplyError::Internal(format!(
            "failed to create typed patch object ({}): {}",
            object_gvknn(applied),
            join_errors(&errs)
        )));
    }
    let errs = typed_errors(&live_obj, true, schema);
    if !errs.is_empty() {
        return Err(ApplyError::Internal(format!(
            "failed to create typed live object ({}): {}",
            object_gvknn(&live_obj),
            join_errors(&errs)
        )));
    }
    let ctx = Ctx::new(req, schema);
    let outcome = match ctx.apply_chain(&live_obj, applied, &managed, req.force) {
        // The client-side to server-side apply upgrade: kubectl may take what its annotation says it set.
        Err(conflicts) if req.manager == "kubectl" => match allowed_from_last_applied(&live_obj, req, schema) {
            Some(allowed) => {
                let remaining = conflicts_minus(&conflicts, &allowed);
                if remaining.is_empty() { ctx.apply_chain(&live_obj, applied, &managed, true) } else { Err(remaining) }
            }
            None => Err(conflicts),
        },
        other => other,
    };
    let (mut object, managed) = outcome.map_err(|c| conflict_error(&c))?;
    if req.manager == "kubectl" && has_last_applied(&object) {
        set_last_applied(&mut object, build_last_applied(applied));
    }
    for path in schema.reset_fields(req.subresource) {
        restore_path(&mut object, live.map(|_| &live_obj), &path);
    }
    put_managed_fields(&mut object, encode(&managed));
    Ok(object)
}

/// Records a non-apply write (create, PUT, merge, JSON or strategic patch) by `req.manager` in
/// `new.metadata.managedFields`.
///
/// `old` is the stored object (`None` for a create); `new` is what will be stored, including whatever
/// `managedFields` the client sent or the patch produced. See the module documentation for how the
/// starting point is chosen. If nothing changed, the entries stay as they were.
pub fn record_update(old: Option<&Value>, new: &mut Value, req: &ApplyRequest<'_>, schema: &dyn MergeSchema) {
    let empty = Value::Object(Map::new());
    let live_full = old.unwrap_or(&empty);
    let is_create = old
        .is_none_or(|o| o.get("metadata").and_then(|m| m.get("uid")).and_then(Value::as_str).is_none_or(str::is_empty));
    let live_managed = || raw_entries(live_full).and_then(|e| decode(&e).ok()).unwrap_or_default();
    let managed = if req.subresource.is_some() {
        live_managed()
    } else {
        match raw_entries(new) {
            Some(entries) if is_reset(&entries) => Managed::default(),
            Some(entries) => match decode(&entries) {
                Ok(m) if !m.fields.is_empty() => m,
                _ => live_managed(),
            },
            None => live_managed(),
        }
    };
    strip_managed(new);
    // An update of an untracked object stays untracked.
    if managed.fields.is_empty() && !is_create {
        return;
    }
    let live_obj = without_managed_fields(live_full);
    if !typed_errors(new, true, schema).is_empty() || !typed_errors(&live_obj, true, schema).is_empty() {
        // Upstream logs and keeps the stored entries.
        if let Some(stored) = live_full.get("metadata").and_then(|m| m.get("managedFields")) {
            put_managed_fields(new, Some(stored.clone()));
        }
        return;
    }
    let ctx = Ctx::new(req, schema);
    let ident = Ident::new(manager_or_unknown(req.manager), Operation::Update, req.api_version, ctx.subresource);
    let mut managed = managed;
    ctx.update_managed(&live_obj, new, &mut managed, &ident);
    put_managed_fields(new, encode(&managed));
}

/// The manager name the API server uses for a non-apply request without `fieldManager`: the User-Agent up
/// to its first `/`, without unprintable characters, cut to at most 128 bytes (`kubectl/v1.37.1 (linux)`
/// gives `kubectl`). No User-Agent gives `""`, which entries record as `unknown`.
pub fn manager_from_user_agent(user_agent: Option<&str>) -> String {
    let prefix = user_agent.unwrap_or("").split('/').next().unwrap_or("");
    let mut out = String::new();
    for c in prefix.chars().filter(|c| crate::golang::is_print(*c)) {
        if out.len() + c.len_utf8() > FIELD_MANAGER_MAX_LENGTH {
            break;
        }
        out.push(c);
    }
    out
}

/// Validates a field manager name as the API server does for `fieldManager` query parameters and
/// `managedFields[].manager`: at most 128 bytes, printable characters only. `field` is the path to report.
pub fn validate_field_manager(manager: &str, field: &str) -> Vec<Cause> {
    let mut causes = Vec::new();
    if manager.len() > FIELD_MANAGER_MAX_LENGTH {
        causes.push(Cause::new(
            "FieldValueTooLong",
            field,
            format!("Too long: may not be more than {FIELD_MANAGER_MAX_LENGTH} bytes"),
        ));
    }
    for (i, c) in manager.char_indices().filter(|(_, c)| !crate::golang::is_print(*c)) {
        causes.push(Cause::new(
            "FieldValueInvalid",
            field,
            format!(
                "Invalid value: {}: invalid character U+{:04X} (at position {i})",
                crate::golang::quote(manager),
                u32::from(c)
            ),
        ));
    }
    causes
}

/// The `ObjectMeta` validation of `metadata.managedFields` (422 causes): each entry's `operation` is
/// `Apply` or `Update`, `fieldsType` is empty or `FieldsV1`, `manager` passes [`validate_field_manager`]
/// and `subresource` is at most 256 bytes. Run it on the object [`record_update`] produced.
pub fn validate_managed_fields(object: &Value) -> Vec<Cause> {
    let Some(entries) = raw_entries(object) else { return Vec::new() };
    let mut causes = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let base = format!("metadata.managedFields[{i}]");
        if !matches!(e.operation.as_str(), "Apply" | "Update") {
            causes.push(Cause::new(
                "FieldValueInvalid",
                format!("{base}.operation"),
                format!("Invalid value: {}: must be `Apply` or `Update`", crate::golang::quote(&e.operation)),
            ));
        }
        if !e.fields_type.is_empty() && e.fields_type != "FieldsV1" {
            causes.push(Cause::new(
                "FieldValueInvalid",
                format!("{base}.fieldsType"),
                format!("Invalid value: {}: must be `FieldsV1`", crate::golang::quote(&e.fields_type)),
            ));
        }
        causes.extend(validate_field_manager(&e.manager, &format!("{base}.manager")));
        if e.subresource.len() > MAX_SUBRESOURCE_NAME_LENGTH {
            causes.push(Cause::new(
                "FieldValueTooLong",
                format!("{base}.subresource"),
                format!("Too long: may not be more than {MAX_SUBRESOURCE_NAME_LENGTH} bytes"),
            ));
        }
    }
    causes
}

// ---------------------------------------------------------------------------------------------------------
// The request context: the steps of the upstream field manager chain.

/// Conflicting fields, per other manager.
type Conflicts = BTreeMap<Ident, Set>;

struct Ctx<'a> {
    req: &'a ApplyRequest<'a>,
    schema: &'a dyn MergeSchema,
    subresource: &'a str,
    /// The reset fields, never owned nor compared.
    ignore: Set,
}

impl<'a> Ctx<'a> {
    fn new(req: &'a ApplyRequest<'a>, schema: &'a dyn MergeSchema) -> Self {
        let mut ignore = Set::default();
        for path in schema.reset_fields(req.subresource) {
            let path: Vec<Pe> = path.into_iter().map(Pe::Field).collect();
            ignore.insert(&path);
        }
        Self { req, schema, subresource: req.subresource.unwrap_or(""), ignore }
    }

    /// Everything below the kubectl upgrade step: attribute an untracked object, then apply.
    fn apply_chain(
        &self,
        live: &Value,
        config: &Value,
        managed: &Managed,
        force: bool,
    ) -> Result<(Value, Managed), Conflicts> {
        let mut managed = managed.clone();
        if managed.fields.is_empty() {
            let ident = Ident::new("before-first-apply", Operation::Update, self.req.api_version, self.subresource);
            self.update_managed(&Value::Object(Map::new()), live, &mut managed, &ident);
        }
        let ident = Ident::new(manager_or_unknown(self.req.manager), Operation::Apply, "", self.subresource);
        self.apply_core(live, config, managed, &ident, force)
    }

    /// The structured merge of an apply, with the applier's time and stripped metadata.
    fn apply_core(
        &self,
        live: &Value,
        config: &Value,
        mut managed: Managed,
        ident: &Ident,
        force: bool,
    ) -> Result<(Value, Managed), Conflicts> {
        let schema = self.schema;
        let merged = merge(Some(live), Some(config), &mut Vec::new(), schema).unwrap_or_else(|| live.clone());
        let last = managed.fields.get(ident).map(|vs| vs.set.clone());
        let set = field_set(config, schema).recursive_difference(&self.ignore);
        managed
            .fields
            .insert(ident.clone(), VersionedSet { set, api_version: self.req.api_version.to_owned(), applied: true });
        let new_object = match &last {
            Some(last) if !last.is_empty() => prune(&merged, &managed, last, schema),
            _ => merged,
        };
        let cmp = compare_objects(live, &new_object, schema).exclude(&self.ignore);
        let changed = cmp.modified.union(&cmp.added);
        let mut conflicts = Conflicts::new();
        for (other, vs) in managed.fields.iter().filter(|(other, _)| *other != ident) {
            let taken = vs.set.intersection(&changed);
            if !taken.is_empty() {
                conflicts.insert(other.clone(), taken);
            }
        }
        if !force && !conflicts.is_empty() {
            return Err(conflicts);
        }
        for (_, vs) in managed.fields.iter_mut().filter(|(other, _)| *other != ident) {
            vs.set = vs.set.difference(&changed).difference(&cmp.removed);
        }
        if let Some(vs) = managed.fields.get_mut(ident) {
            vs.set = vs.set.difference(&strip_set());
        }
        managed.fields.retain(|_, vs| !vs.set.is_empty());
        if values_equal(live, &new_object) {
            return Ok((live.clone(), managed));
        }
        managed.times.insert(ident.clone(), Some(self.req.now.to_owned()));
        Ok((new_object, managed))
    }

    /// A non-apply write by `ident`: it takes what changed, then older updaters are capped.
    fn update_managed(&self, live: &Value, new: &Value, managed: &mut Managed, ident: &Ident) {
        let cmp = compare_objects(live, new, self.schema).exclude(&self.ignore);
        let changed = cmp.modified.union(&cmp.added);
        for vs in managed.fields.values_mut() {
            vs.set = vs.set.difference(&changed).difference(&cmp.removed);
        }
        managed.fields.retain(|_, vs| !vs.set.is_empty());
        let own = changed.recursive_difference(&self.ignore).difference(&strip_set());
        if !own.is_empty() {
            let set = match managed.fields.remove(ident) {
                Some(previous) => own.union(&previous.set),
                None => own,
            };
            managed.fields.insert(
                ident.clone(),
                VersionedSet { set, api_version: self.req.api_version.to_owned(), applied: false },
            );
            managed.times.insert(ident.clone(), Some(self.req.now.to_owned()));
        }
        cap_update_managers(managed);
    }
}

fn manager_or_unknown(manager: &str) -> &str {
    if manager.is_empty() { "unknown" } else { manager }
}

/// Fields that are never owned.
fn strip_set() -> Set {
    let mut set = Set::default();
    for top in ["apiVersion", "kind", "metadata"] {
        set.insert(&[Pe::Field(top.to_owned())]);
    }
    for field in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        set.insert(&[Pe::Field("metadata".to_owned()), Pe::Field(field.to_owned())]);
    }
    set
}

/// Removes the fields `manager` applied last time and no longer applies, unless someone else owns them.
fn prune(merged: &Value, managed: &Managed, last: &Set, schema: &dyn MergeSchema) -> Value {
    let named = |s: &Set| s.ensure_named(schema, &mut Vec::new());
    let last = named(last);
    let pruned = remove_root(merged, &last, schema);
    let owned = managed.fields.values().fold(Set::default(), |acc, vs| acc.union(&vs.set));
    let merged_set = named(&field_set(merged, schema));
    // Add back what anyone owns.
    let keep = named(&field_set(&pruned, schema)).union(&named(&owned));
    let pruned = remove_root(merged, &merged_set.difference(&keep), schema);
    // Add back what the applier never owned.
    let pruned_set = named(&field_set(&pruned, schema));
    remove_root(merged, &merged_set.difference(&pruned_set).intersection(&last), schema)
}

/// Folds the oldest `Update` entries into `ancient-changes` entries until at most ten remain.
fn cap_update_managers(managed: &mut Managed) {
    let mut updaters: Vec<Ident> =
        managed.fields.iter().filter(|(_, vs)| !vs.applied).map(|(ident, _)| ident.clone()).collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    let seconds = |ident: &Ident| managed.times.get(ident).and_then(|t| t.as_deref()).map_or(0, time_seconds);
    updaters.sort_by_cached_key(|ident| (seconds(ident), ident.json()));
    let mut first_per_version: BTreeMap<String, Ident> = BTreeMap::new();
    let mut length = updaters.len();
    for manager in updaters {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(vs) = managed.fields.get(&manager).cloned() else { continue };
        let time = managed.times.get(&manager).cloned().flatten();
        let bucket = Ident::new("ancient-changes", Operation::Update, &vs.api_version, "");
        match first_per_version.get(&vs.api_version) {
            Some(first) => {
                if !managed.fields.contains_key(&bucket)
                    && let Some(moved) = managed.fields.remove(first)
                {
                    managed.fields.insert(bucket.clone(), moved);
                }
                let merged = match managed.fields.get(&bucket) {
                    Some(existing) => vs.set.union(&existing.set),
                    None => vs.set.clone(),
                };
                managed.fields.insert(
                    bucket.clone(),
                    VersionedSet { set: merged, api_version: vs.api_version.clone(), applied: vs.applied },
                );
                managed.fields.remove(&manager);
                length -= 1;
                managed.times.insert(bucket, time);
            }
            None => {
                first_per_version.insert(vs.api_version.clone(), manager);
            }
        }
    }
}

fn conflicts_minus(conflicts: &Conflicts, allowed: &Set) -> Conflicts {
    conflicts
        .iter()
        .map(|(ident, set)| (ident.clone(), set.difference(allowed)))
        .filter(|(_, set)| !set.is_empty())
        .collect()
}

fn conflict_error(conflicts: &Conflicts) -> ApplyError {
    let mut per_manager: Vec<(String, String, Vec<String>)> = conflicts
        .iter()
        .map(|(ident, set)| (ident.json(), ident.describe(), set.paths().iter().map(|p| path_string(p)).collect()))
        .collect();
    per_manager.sort();
    let total: usize = per_manager.iter().map(|(_, _, paths)| paths.len()).sum();
    let mut causes = Vec::new();
    let mut lines = Vec::new();
    for (_, who, paths) in &per_manager {
        lines.push(format!("conflicts with {who}:"));
        for path in paths {
            causes.push(Cause::new("FieldManagerConflict", path.clone(), format!("conflict with {who}")));
            lines.push(format!("- {path}"));
        }
    }
    let message = match (total, causes.first()) {
        (1, Some(only)) => format!("Apply failed with 1 conflict: {}: {}", only.message, only.field),
        _ => format!("Apply failed with {total} conflicts: {}", lines.join("\n")),
    };
    ApplyError::Conflicts { message, causes }
}

// ---------------------------------------------------------------------------------------------------------
// kubectl's last-applied annotation.

fn last_applied_text(object: &Value) -> Option<&str> {
    object.get("metadata")?.get("annotations")?.get(LAST_APPLIED)?.as_str().filter(|s| !s.is_empty())
}

fn has_last_applied(object: &Value) -> bool {
    last_applied_text(object).is_some()
}

/// The annotation value for an applied configuration: Go's JSON encoding, without the annotation itself.
fn build_last_applied(applied: &Value) -> String {
    let mut copy = applied.clone();
    if let Some(annotations) =
        copy.get_mut("metadata").and_then(|m| m.get_mut("annotations")).and_then(Value::as_object_mut)
    {
        annotations.remove(LAST_APPLIED);
    }
    format!("{}\n", go_json(&copy))
}

/// Sets the annotation, or drops it when the annotations would grow past their size limit.
fn set_last_applied(object: &mut Value, value: String) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
    if !annotations.is_object() {
        *annotations = Value::Object(Map::new());
    }
    let Some(map) = annotations.as_object_mut() else { return };
    map.insert(LAST_APPLIED.to_owned(), Value::String(value));
    let size: usize = map.iter().map(|(k, v)| k.len() + v.as_str().map_or(0, str::len)).sum();
    if size > TOTAL_ANNOTATION_SIZE_LIMIT {
        map.remove(LAST_APPLIED);
    }
}

/// The fields kubectl's annotation says it set and that still hold those values.
fn allowed_from_last_applied(live: &Value, req: &ApplyRequest<'_>, schema: &dyn MergeSchema) -> Option<Set> {
    let last: Value = serde_json::from_str(last_applied_text(live)?).ok()?;
    if !last.is_object() || last.get("apiVersion").and_then(Value::as_str).unwrap_or("") != req.api_version {
        return None;
    }
    if !typed_errors(&last, false, schema).is_empty() {
        return None;
    }
    let cmp = compare_objects(&last, live, schema);
    Some(field_set(&last, schema).difference(&cmp.modified).difference(&cmp.added).difference(&cmp.removed))
}

// ---------------------------------------------------------------------------------------------------------
// Object helpers.

fn strip_managed(object: &mut Value) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
}

fn without_managed_fields(object: &Value) -> Value {
    let mut copy = object.clone();
    strip_managed(&mut copy);
    copy
}

fn put_managed_fields(object: &mut Value, encoded: Option<Value>) {
    let Some(list) = encoded else {
        strip_managed(object);
        return;
    };
    let Some(root) = object.as_object_mut() else { return };
    let meta = root.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert("managedFields".to_owned(), list);
    }
}

/// Puts the value at `path` back from `live`, or removes it when `live` has none.
fn restore_path(object: &mut Value, live: Option<&Value>, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    let from = live.and_then(|l| parents.iter().try_fold(l, |v, k| v.get(k))).and_then(|v| v.get(last)).cloned();
    let mut node = object;
    for key in parents {
        let Some(map) = node.as_object_mut() else { return };
        node = match from {
            Some(_) => map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new())),
            None => match map.get_mut(key) {
                Some(next) => next,
                None => return,
            },
        };
    }
    let Some(map) = node.as_object_mut() else { return };
    match from {
        Some(value) => {
            map.insert(last.clone(), value);
        }
        None => {
            map.remove(last);
        }
    }
}

/// `group/version, Kind=kind`, as Go prints a GroupVersionKind.
fn gvk_string(object: &Value) -> String {
    let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version, kind) = match api_version.split_once('/') {
        None => ("", api_version, kind),
        Some((_, v)) if v.contains('/') => ("", "", ""),
        Some((g, v)) => (g, v, kind),
    };
    format!("{group}/{version}, Kind={kind}")
}

/// `namespace/name; group/version, Kind=kind`.
fn object_gvknn(object: &Value) -> String {
    let meta = |k: &str| object.get("metadata").and_then(|m| m.get(k)).and_then(Value::as_str).unwrap_or("");
    format!("{}/{}; {}", meta("namespace"), meta("name"), gvk_string(object))
}

/// Deep equality as structured-merge-diff sees it: numbers compare as floats when either is one.
fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Paths and field sets.

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Pe {
    /// An object member.
    Field(String),
    /// An associative list item, by its key fields: Go's compact JSON of them, keys sorted.
    Key(String),
    /// A set item, by its value: Go's compact JSON.
    Value(String),
    /// A list index (only in foreign `fieldsV1`).
    Index(usize),
}

impl Pe {
    /// The `fieldsV1` key.
    fn serialize(&self) -> String {
        match self {
            Pe::Field(name) => format!("f:{name}"),
            Pe::Key(json) => format!("k:{json}"),
            Pe::Value(json) => format!("v:{json}"),
            Pe::Index(i) => format!("i:{i}"),
        }
    }

    /// Parses a `fieldsV1` key; `None` for element types this version does not know (dropped).
    fn deserialize(key: &str) -> Result<Option<Pe>, String> {
        let bytes = key.as_bytes();
        let (Some(&kind), Some(&separator)) = (bytes.first(), bytes.get(1)) else {
            return Err("key must be 2 characters long".to_owned());
        };
        if separator != b':' {
            return Err(format!("missing colon: {key}"));
        }
        let rest = key.get(2..).unwrap_or("");
        let json = || serde_json::from_str::<Value>(rest).map_err(|e| e.to_string());
        match kind {
            b'f' => Ok(Some(Pe::Field(rest.to_owned()))),
            b'v' => Ok(Some(Pe::Value(go_json(&json()?)))),
            b'k' => match json()? {
                fields @ Value::Object(_) => Ok(Some(Pe::Key(go_json(&fields)))),
                other => Err(format!("expected a key object, got {other}")),
            },
            b'i' => rest.parse().map(|i| Some(Pe::Index(i))).map_err(|e| format!("{e}")),
            _ => Ok(None),
        }
    }

    /// As structured-merge-diff prints it in errors: `.name`, `[name="x"]`, `[="x"]`, `[0]`.
    fn display(&self) -> String {
        match self {
            Pe::Field(name) => format!(".{name}"),
            Pe::Key(json) => match serde_json::from_str::<Value>(json) {
                Ok(Value::Object(fields)) => {
                    let parts: Vec<String> =
                        fields.iter().map(|(k, v)| format!("{k}={}", go_value_string(v))).collect();
                    format!("[{}]", parts.join(","))
                }
                _ => format!("[{json}]"),
            },
            Pe::Value(json) => match serde_json::from_str::<Value>(json) {
                Ok(v) => format!("[={}]", go_value_string(&v)),
                Err(_) => format!("[={json}]"),
            },
            Pe::Index(i) => format!("[{i}]"),
        }
    }
}

fn path_string(path: &[Pe]) -> String {
    path.iter().map(Pe::display).collect()
}

/// A set of paths, as a tree: `members` end here, `children` continue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Set {
    members: BTreeSet<Pe>,
    children: BTreeMap<Pe, Set>,
}

impl Set {
    fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    fn insert(&mut self, path: &[Pe]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    #[cfg(test)]
    fn has(&self, path: &[Pe]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    fn union(&self, other: &Set) -> Set {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (pe, theirs) in &other.children {
            let merged = match out.children.get(pe) {
                Some(mine) => mine.union(theirs),
                None => theirs.clone(),
            };
            out.children.insert(pe.clone(), merged);
        }
        out
    }

    fn difference(&self, other: &Set) -> Set {
        let mut out = Set { members: self.members.difference(&other.members).cloned().collect(), ..Set::default() };
        for (pe, mine) in &self.children {
            let rest = match other.children.get(pe) {
                Some(theirs) => mine.difference(theirs),
                None => mine.clone(),
            };
            if !rest.is_empty() {
                out.children.insert(pe.clone(), rest);
            }
        }
        out
    }

    fn intersection(&self, other: &Set) -> Set {
        let mut out = Set { members: self.members.intersection(&other.members).cloned().collect(), ..Set::default() };
        for (pe, mine) in &self.children {
            if let Some(theirs) = other.children.get(pe) {
                let both = mine.intersection(theirs);
                if !both.is_empty() {
                    out.children.insert(pe.clone(), both);
                }
            }
        }
        out
    }

    /// The difference that also drops everything below a member of `other`.
    fn recursive_difference(&self, other: &Set) -> Set {
        if other.is_empty() {
            return self.clone();
        }
        let mut out = Set { members: self.members.difference(&other.members).cloned().collect(), ..Set::default() };
        for (pe, mine) in &self.children {
            if other.members.contains(pe) {
                continue;
            }
            let rest = match other.children.get(pe) {
                Some(theirs) => mine.recursive_difference(theirs),
                None => mine.clone(),
            };
            if !rest.is_empty() {
                out.children.insert(pe.clone(), rest);
            }
        }
        out
    }

    /// Every path, members of a node before its children's, as structured-merge-diff iterates.
    fn paths(&self) -> Vec<Vec<Pe>> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<Pe>, out: &mut Vec<Vec<Pe>>) {
        for member in &self.members {
            let mut path = prefix.clone();
            path.push(member.clone());
            out.push(path);
        }
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            child.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// Adds, as members, the struct fields that have members below them.
    fn ensure_named(&self, schema: &dyn MergeSchema, spath: &mut Vec<String>) -> Set {
        let mut out = Set { members: self.members.clone(), ..Set::default() };
        let is_struct = self.children.keys().any(|pe| matches!(pe, Pe::Field(_))) && schema.map_is_struct(spath);
        for (pe, child) in &self.children {
            let named = if let Pe::Field(name) = pe {
                if is_struct {
                    out.members.insert(pe.clone());
                }
                spath.push(name.clone());
                true
            } else {
                false
            };
            out.children.insert(pe.clone(), child.ensure_named(schema, spath));
            if named {
                spath.pop();
            }
        }
        out
    }

    fn to_fields_v1(&self) -> Value {
        Value::Object(self.fields_v1_object(false))
    }

    fn fields_v1_object(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self && !self.is_empty() {
            out.insert(".".to_owned(), Value::Object(Map::new()));
        }
        let keys: BTreeSet<&Pe> = self.members.iter().chain(self.children.keys()).collect();
        for pe in keys {
            let value = match self.children.get(pe) {
                Some(child) => child.fields_v1_object(self.members.contains(pe)),
                None => Map::new(),
            };
            out.insert(pe.serialize(), Value::Object(value));
        }
        out
    }

    fn from_fields_v1(fields: &Value) -> Result<Set, String> {
        Ok(read_fields_v1(fields)?.0.unwrap_or_default())
    }
}

/// Reads one `fieldsV1` node: the set below it, and whether the node itself is a member.
fn read_fields_v1(node: &Value) -> Result<(Option<Set>, bool), String> {
    let Value::Object(entries) = node else { return Err(format!("expected an object, got {node}")) };
    let mut children: Option<Set> = None;
    let mut is_member = false;
    for (key, value) in entries {
        if key == "." {
            is_member = true;
            continue;
        }
        let Some(pe) = Pe::deserialize(key)? else { continue };
        let (grandchildren, child_is_member) = read_fields_v1(value)?;
        if child_is_member {
            children.get_or_insert_default().members.insert(pe.clone());
        }
        if let Some(grandchildren) = grandchildren {
            children.get_or_insert_default().children.insert(pe, grandchildren);
        }
    }
    if children.is_none() {
        is_member = true;
    }
    Ok((children, is_member))
}

/// The path element of a list item.
fn item_pe(item: &Value, kind: &ListKind, spath: &[String], schema: &dyn MergeSchema) -> Result<Pe, String> {
    match kind {
        ListKind::Atomic => Err("invalid indexing of non-associative list".to_owned()),
        ListKind::Map(keys) if !keys.is_empty() => {
            let fields = match item {
                Value::Null => return Err("associative list with keys may not have a null element".to_owned()),
                Value::Object(fields) => fields,
                _ => return Err("associative list with keys may not have non-map elements".to_owned()),
            };
            let mut key = Map::new();
            for name in keys {
                match fields.get(name).cloned().or_else(|| schema.list_key_default(spath, name)) {
                    Some(v) => {
                        key.insert(name.clone(), v);
                    }
                    None => {
                        return Err(format!(
                            "associative list with keys has an element that omits key field {} (and doesn't have \
                             default value)",
                            crate::golang::quote(name)
                        ));
                    }
                }
            }
            Ok(Pe::Key(go_json(&Value::Object(key))))
        }
        ListKind::Set | ListKind::Map(_) => match item {
            Value::Object(_) => Err("associative list without keys has an element that's a map type".to_owned()),
            Value::Array(_) => Err("not supported: associative list with lists as elements".to_owned()),
            Value::Null => Err("associative list without keys has an element that's an explicit null".to_owned()),
            _ => Ok(Pe::Value(go_json(item))),
        },
    }
}

fn is_atomic_map(spath: &[String], schema: &dyn MergeSchema) -> bool {
    !spath.is_empty() && schema.map_is_atomic(spath)
}

/// Groups list items by path element, in first-seen order; items without one are skipped.
fn group_items<'v>(
    items: &'v [Value],
    kind: &ListKind,
    spath: &[String],
    schema: &dyn MergeSchema,
) -> Vec<(Pe, Vec<&'v Value>)> {
    let mut order: Vec<(Pe, Vec<&Value>)> = Vec::new();
    let mut index: BTreeMap<Pe, usize> = BTreeMap::new();
    for item in items {
        let Ok(pe) = item_pe(item, kind, spath, schema) else { continue };
        match index.get(&pe) {
            Some(&i) => {
                if let Some((_, group)) = order.get_mut(i) {
                    group.push(item);
                }
            }
            None => {
                index.insert(pe.clone(), order.len());
                order.push((pe, vec![item]));
            }
        }
    }
    order
}

/// The field set of a value (see the module documentation).
fn field_set(value: &Value, schema: &dyn MergeSchema) -> Set {
    let mut out = Set::default();
    walk_field_set(value, &mut Vec::new(), &mut Vec::new(), schema, &mut out);
    out
}

fn walk_field_set(value: &Value, path: &mut Vec<Pe>, spath: &mut Vec<String>, schema: &dyn MergeSchema, out: &mut Set) {
    match value {
        Value::Object(fields) => {
            if is_atomic_map(spath, schema) {
                out.insert(path);
                return;
            }
            let is_struct = schema.map_is_struct(spath);
            for (key, child) in fields {
                path.push(Pe::Field(key.clone()));
                spath.push(key.clone());
                walk_field_set(child, path, spath, schema, out);
                let empty = child.is_null() || child.as_object().is_some_and(Map::is_empty);
                if empty || !is_struct {
                    out.insert(path);
                }
                spath.pop();
                path.pop();
            }
        }
        Value::Array(items) => {
            let kind = schema.list_kind(spath);
            if kind == ListKind::Atomic {
                out.insert(path);
                return;
            }
            for (pe, group) in group_items(items, &kind, spath, schema) {
                path.push(pe);
                if let [single] = group.as_slice() {
                    walk_field_set(single, path, spath, schema, out);
                }
                out.insert(path);
                path.pop();
            }
        }
        _ => out.insert(path),
    }
}

/// The typed-conversion errors of a value: associative list items without keys, and duplicates.
fn typed_errors(value: &Value, allow_duplicates: bool, schema: &dyn MergeSchema) -> Vec<String> {
    let mut errs = Vec::new();
    validate_node(value, "", &mut Vec::new(), allow_duplicates, schema, &mut errs);
    errs
}

fn validate_node(
    value: &Value,
    prefix: &str,
    spath: &mut Vec<String>,
    allow_duplicates: bool,
    schema: &dyn MergeSchema,
    errs: &mut Vec<String>,
) {
    let at = |message: String| if prefix.is_empty() { message } else { format!("{prefix}: {message}") };
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                spath.push(key.clone());
                validate_node(child, &format!("{prefix}.{key}"), spath, allow_duplicates, schema, errs);
                spath.pop();
            }
        }
        Value::Array(items) => {
            let kind = schema.list_kind(spath);
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let pe = if kind == ListKind::Atomic {
                    Pe::Index(i)
                } else {
                    match item_pe(item, &kind, spath, schema) {
                        Ok(pe) => pe,
                        Err(e) => {
                            errs.push(at(format!("element {i}: {e}")));
                            return;
                        }
                    }
                };
                if !seen.insert(pe.clone()) && !allow_duplicates {
                    errs.push(at(format!("duplicate entries for key {}", pe.display())));
                }
                validate_node(item, &format!("{prefix}{}", pe.display()), spath, allow_duplicates, schema, errs);
            }
        }
        _ => {}
    }
}

fn join_errors(errs: &[String]) -> String {
    match errs {
        [one] => one.clone(),
        _ => format!("errors:\n  {}", errs.join("\n  ")),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Merge, compare, remove.

/// Merges `rhs` (the configuration) into `lhs` (the live value).
fn merge(lhs: Option<&Value>, rhs: Option<&Value>, spath: &mut Vec<String>, schema: &dyn MergeSchema) -> Option<Value> {
    let (l, r) = match (lhs, rhs) {
        (_, None) => return lhs.cloned(),
        (None, Some(r)) => return Some(r.clone()),
        (Some(l), Some(r)) => (l, r),
    };
    match (l, r) {
        (Value::Object(_), Value::Object(_) | Value::Null) | (Value::Null, Value::Object(_)) => {
            if is_atomic_map(spath, schema) {
                return Some(r.clone());
            }
            let empty = Map::new();
            let lm = l.as_object().unwrap_or(&empty);
            let rm = r.as_object().unwrap_or(&empty);
            if lm.is_empty() && rm.is_empty() {
                return Some(r.clone());
            }
            let keys: BTreeSet<&String> = lm.keys().chain(rm.keys()).collect();
            let mut out = Map::new();
            for key in keys {
                spath.push(key.clone());
                if let Some(v) = merge(lm.get(key), rm.get(key), spath, schema) {
                    out.insert(key.clone(), v);
                }
                spath.pop();
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (Value::Array(_), Value::Array(_) | Value::Null) | (Value::Null, Value::Array(_)) => {
            let kind = schema.list_kind(spath);
            let empty = Vec::new();
            let la = l.as_array().unwrap_or(&empty);
            let ra = r.as_array().unwrap_or(&empty);
            if kind == ListKind::Atomic || (la.is_empty() && ra.is_empty()) {
                return Some(r.clone());
            }
            let out = merge_list(la, ra, &kind, spath, schema);
            (!out.is_empty()).then_some(Value::Array(out))
        }
        _ => Some(r.clone()),
    }
}

/// Merges associative lists item by item, in structured-merge-diff's order: live items keep their place,
/// configuration items are placed in configuration order relative to the items both sides share.
fn merge_list(
    lhs: &[Value],
    rhs: &[Value],
    kind: &ListKind,
    spath: &mut Vec<String>,
    schema: &dyn MergeSchema,
) -> Vec<Value> {
    let pes = |items: &[Value], spath: &[String]| -> Vec<(Pe, usize)> {
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| item_pe(item, kind, spath, schema).ok().map(|pe| (pe, i)))
            .collect()
    };
    let lhs_pes = pes(lhs, spath);
    let rhs_pes = pes(rhs, spath);
    // Live items by element; a duplicated element merges as if absent.
    let mut observed_lhs: BTreeMap<Pe, Option<&Value>> = BTreeMap::new();
    for (pe, i) in &lhs_pes {
        observed_lhs.entry(pe.clone()).and_modify(|v| *v = None).or_insert(lhs.get(*i));
    }
    let observed_rhs: BTreeMap<Pe, &Value> =
        rhs_pes.iter().filter_map(|(pe, i)| rhs.get(*i).map(|v| (pe.clone(), v))).collect();
    let mut shared: VecDeque<Pe> =
        rhs_pes.iter().filter(|(pe, _)| observed_lhs.contains_key(pe)).map(|(pe, _)| pe.clone()).collect();
    let mut next_shared = shared.pop_front();
    let mut merged_rhs: BTreeSet<Pe> = BTreeSet::new();
    let mut out = Vec::new();
    let mut item = |l: Option<&Value>, r: Option<&Value>, out: &mut Vec<Value>| {
        if let Some(v) = merge(l, r, spath, schema) {
            out.push(v);
        }
    };
    let (mut li, mut ri) = (0, 0);
    while li < lhs_pes.len() || ri < rhs_pes.len() {
        if let (Some((lpe, _)), Some((rpe, _))) = (lhs_pes.get(li), rhs_pes.get(ri)) {
            if lpe == rpe {
                merged_rhs.insert(lpe.clone());
                item(observed_lhs.get(lpe).copied().flatten(), observed_rhs.get(rpe).copied(), &mut out);
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            if observed_rhs.contains_key(lpe) && next_shared.as_ref().is_some_and(|n| n != lpe) {
                // A shared item, but not the one due now: it is placed when the configuration reaches it.
                li += 1;
                continue;
            }
        }
        if let Some((lpe, i)) = lhs_pes.get(li) {
            if !observed_rhs.contains_key(lpe) {
                item(lhs.get(*i), None, &mut out);
                li += 1;
                continue;
            } else if merged_rhs.contains(lpe) {
                li += 1;
            }
        }
        if let Some((rpe, _)) = rhs_pes.get(ri) {
            merged_rhs.insert(rpe.clone());
            item(observed_lhs.get(rpe).copied().flatten(), observed_rhs.get(rpe).copied(), &mut out);
            ri += 1;
            if next_shared.as_ref() == Some(rpe) {
                next_shared = shared.pop_front();
            }
        }
    }
    out
}

/// What changed between two values.
#[derive(Debug, Default)]
struct Comparison {
    added: Set,
    modified: Set,
    removed: Set,
}

impl Comparison {
    /// Drops the reset fields, and everything below them.
    fn exclude(self, ignore: &Set) -> Self {
        Self {
            added: self.added.recursive_difference(ignore),
            modified: self.modified.recursive_difference(ignore),
            removed: self.removed.recursive_difference(ignore),
        }
    }
}

fn compare_objects(lhs: &Value, rhs: &Value, schema: &dyn MergeSchema) -> Comparison {
    let mut cmp = Comparison::default();
    compare(Some(lhs), Some(rhs), &mut Vec::new(), &mut Vec::new(), schema, &mut cmp);
    cmp
}

fn compare(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    path: &mut Vec<Pe>,
    spath: &mut Vec<String>,
    schema: &dyn MergeSchema,
    cmp: &mut Comparison,
) {
    match (lhs, rhs) {
        (None, None) => {}
        (None, Some(r)) => mark_all(r, path, spath, schema, &mut cmp.added),
        (Some(l), None) => mark_all(l, path, spath, schema, &mut cmp.removed),
        (Some(l), Some(r)) => compare_present(l, r, path, spath, schema, cmp),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Null,
    Scalar,
    Map,
    List,
}

fn shape(value: &Value) -> Shape {
    match value {
        Value::Null => Shape::Null,
        Value::Object(_) => Shape::Map,
        Value::Array(_) => Shape::List,
        _ => Shape::Scalar,
    }
}

fn compare_present(
    l: &Value,
    r: &Value,
    path: &mut Vec<Pe>,
    spath: &mut Vec<String>,
    schema: &dyn MergeSchema,
    cmp: &mut Comparison,
) {
    let leaf = |cmp: &mut Comparison| {
        if !values_equal(l, r) {
            cmp.modified.insert(path);
        }
    };
    let kind = match (shape(l), shape(r)) {
        (Shape::Null, k) | (k, Shape::Null) => k,
        (a, b) if a == b => a,
        _ => return compare_mismatch(l, r, path, spath, schema, cmp),
    };
    match kind {
        Shape::Null | Shape::Scalar => leaf(cmp),
        Shape::Map => {
            let empty = Map::new();
            let lm = l.as_object().unwrap_or(&empty);
            let rm = r.as_object().unwrap_or(&empty);
            if is_atomic_map(spath, schema) || (lm.is_empty() && rm.is_empty()) {
                return leaf(cmp);
            }
            let keys: BTreeSet<&String> = lm.keys().chain(rm.keys()).collect();
            for key in keys {
                path.push(Pe::Field(key.clone()));
                spath.push(key.clone());
                compare(lm.get(key), rm.get(key), path, spath, schema, cmp);
                spath.pop();
                path.pop();
            }
        }
        Shape::List => {
            let list_kind = schema.list_kind(spath);
            let empty = Vec::new();
            let la = l.as_array().unwrap_or(&empty);
            let ra = r.as_array().unwrap_or(&empty);
            if list_kind == ListKind::Atomic || (la.is_empty() && ra.is_empty()) {
                return leaf(cmp);
            }
            compare_lists(la, ra, &list_kind, path, spath, schema, cmp);
        }
    }
}

/// Two values of different types: the old contents are removed, the new added, a leaf modified.
fn compare_mismatch(
    l: &Value,
    r: &Value,
    path: &mut Vec<Pe>,
    spath: &mut Vec<String>,
    schema: &dyn MergeSchema,
    cmp: &mut Comparison,
) {
    let l_granular = is_granular(l, spath, schema);
    let r_granular = is_granular(r, spath, schema);
    if l_granular {
        mark_children(l, path, spath, schema, &mut cmp.removed);
    }
    if r_granular {
        mark_children(r, path, spath, schema, &mut cmp.added);
    }
    if !l_granular || !r_granular {
        cmp.modified.insert(path);
    }
}

fn is_granular(value: &Value, spath: &[String], schema: &dyn MergeSchema) -> bool {
    match value {
        Value::Object(m) => !m.is_empty() && !is_atomic_map(spath, schema),
        Value::Array(a) => !a.is_empty() && schema.list_kind(spath) != ListKind::Atomic,
        _ => false,
    }
}

fn compare_lists(
    la: &[Value],
    ra: &[Value],
    kind: &ListKind,
    path: &mut Vec<Pe>,
    spath: &mut Vec<String>,
    schema: &dyn MergeSchema,
    cmp: &mut Comparison,
) {
    let lhs = group_items(la, kind, spath, schema);
    let rhs = group_items(ra, kind, spath, schema);
    let lhs_by: BTreeMap<&Pe, &Vec<&Value>> = lhs.iter().map(|(pe, g)| (pe, g)).collect();
    let rhs_by: BTreeMap<&Pe, &Vec<&Value>> = rhs.iter().map(|(pe, g)| (pe, g)).collect();
    let mut order: Vec<&Pe> = lhs.iter().map(|(pe, _)| pe).collect();
    order.extend(rhs.iter().map(|(pe, _)| pe).filter(|pe| !lhs_by.contains_key(pe)));
    let none: Vec<&Value> = Vec::new();
    for pe in order {
        let ll = lhs_by.get(pe).copied().unwrap_or(&none);
        let rl = rhs_by.get(pe).copied().unwrap_or(&none);
        path.push(pe.clone());
        match (ll.len(), rl.len()) {
            (a, b) if a <= 1 && b <= 1 => compare(ll.first().copied(), rl.first().copied(), path, spath, schema, cmp),
            (a, b) if a >= 2 && b >= 2 => {
                let equal = a == b && ll.iter().zip(rl.iter()).all(|(x, y)| values_equal(x, y));
                if !equal {
                    cmp.modified.insert(path);
                }
            }
            (a, _) if a >= 2 => {
                if let Some(r) = rl.first() {
                    compare(None, Some(r), path, spath, schema, cmp);
                }
                cmp.removed.insert(path);
            }
            _ => {
                if let Some(l) = ll.first() {
                    compare(Some(l), None, path, spath, schema, cmp);
                }
                cmp.added.insert(path);
            }
        }
        path.pop();
    }
}

/// Inserts every node of `value` at `path`: what a one-sided comparison reports.
fn mark_all(value: &Value, path: &mut Vec<Pe>, spath: &mut Vec<String>, schema: &dyn MergeSchema, out: &mut Set) {
    if is_granular(value, spath, schema) {
        mark_children(value, path, spath, schema, out);
    }
    out.insert(path);
}

fn mark_children(value: &Value, path: &mut Vec<Pe>, spath: &mut Vec<String>, schema: &dyn MergeSchema, out: &mut Set) {
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                path.push(Pe::Field(key.clone()));
                spath.push(key.clone());
                mark_all(child, path, spath, schema, out);
                spath.pop();
                path.pop();
            }
        }
        Value::Array(items) => {
            let kind = schema.list_kind(spath);
            for (pe, group) in group_items(items, &kind, spath, schema) {
                path.push(pe);
                match group.as_slice() {
                    [single] => mark_all(single, path, spath, schema, out),
                    _ => out.insert(path),
                }
                path.pop();
            }
        }
        _ => {}
    }
}

fn remove_root(value: &Value, set: &Set, schema: &dyn MergeSchema) -> Value {
    remove_items(value, set, &mut Vec::new(), schema).unwrap_or_else(|| Value::Object(Map::new()))
}

/// `value` without the members of `set` (and everything below them); `None` when nothing is left.
fn remove_items(value: &Value, set: &Set, spath: &mut Vec<String>, schema: &dyn MergeSchema) -> Option<Value> {
    match value {
        Value::Object(fields) => {
            if fields.is_empty() || is_atomic_map(spath, schema) {
                return None;
            }
            let mut out = Map::new();
            for (key, child) in fields {
                let pe = Pe::Field(key.clone());
                if set.members.contains(&pe) {
                    continue;
                }
                match set.children.get(&pe) {
                    Some(below) => {
                        spath.push(key.clone());
                        let kept = remove_items(child, below, spath, schema);
                        spath.pop();
                        if let Some(kept) = kept {
                            out.insert(key.clone(), kept);
                        }
                    }
                    None => {
                        out.insert(key.clone(), child.clone());
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(items) => {
            let kind = schema.list_kind(spath);
            if items.is_empty() || kind == ListKind::Atomic {
                return None;
            }
            let mut out = Vec::new();
            for item in items {
                let Ok(pe) = item_pe(item, &kind, spath, schema) else {
                    out.push(item.clone());
                    continue;
                };
                if set.members.contains(&pe) {
                    continue;
                }
                match set.children.get(&pe) {
                    Some(below) => out.extend(remove_items(item, below, spath, schema)),
                    None => out.push(item.clone()),
                }
            }
            (!out.is_empty()).then_some(Value::Array(out))
        }
        _ => Some(value.clone()),
    }
}

// ---------------------------------------------------------------------------------------------------------
// managedFields entries.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "Apply",
            Self::Update => "Update",
        }
    }
}

/// A manager identity: appliers are one entry whatever apiVersion they apply with.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ident {
    manager: String,
    operation: Operation,
    api_version: String,
    subresource: String,
}

impl Ident {
    fn new(manager: &str, operation: Operation, api_version: &str, subresource: &str) -> Self {
        let api_version = if operation == Operation::Apply { "" } else { api_version };
        Self {
            manager: manager.to_owned(),
            operation,
            api_version: api_version.to_owned(),
            subresource: subresource.to_owned(),
        }
    }

    /// The identifier string upstream keys managers by (Go's JSON of the entry's identifying fields).
    fn json(&self) -> String {
        let mut parts = Vec::new();
        if !self.manager.is_empty() {
            parts.push(format!("\"manager\":{}", go_json(&Value::String(self.manager.clone()))));
        }
        parts.push(format!("\"operation\":\"{}\"", self.operation.as_str()));
        if !self.api_version.is_empty() {
            parts.push(format!("\"apiVersion\":{}", go_json(&Value::String(self.api_version.clone()))));
        }
        if !self.subresource.is_empty() {
            parts.push(format!("\"subresource\":{}", go_json(&Value::String(self.subresource.clone()))));
        }
        format!("{{{}}}", parts.join(","))
    }

    /// How conflicts name the manager: `"a"`, `"a" with subresource "status"`, `"b" using v1`.
    fn describe(&self) -> String {
        let mut out = crate::golang::quote(&self.manager);
        if !self.subresource.is_empty() {
            out = format!("{out} with subresource {}", crate::golang::quote(&self.subresource));
        }
        if self.operation == Operation::Update {
            out = format!("{out} using {}", self.api_version);
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct VersionedSet {
    set: Set,
    api_version: String,
    applied: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Managed {
    fields: BTreeMap<Ident, VersionedSet>,
    times: BTreeMap<Ident, Option<String>>,
}

/// One `managedFields` entry as a client sent it.
#[derive(Debug, Default, PartialEq, Eq)]
struct RawEntry {
    manager: String,
    operation: String,
    api_version: String,
    time: Option<String>,
    fields_type: String,
    fields_v1: Option<Value>,
    subresource: String,
}

/// The entries of `metadata.managedFields`; `None` when absent, `null` or not convertible (upstream then
/// reads no list at all).
fn raw_entries(object: &Value) -> Option<Vec<RawEntry>> {
    let list = object.get("metadata")?.get("managedFields")?.as_array()?;
    list.iter().map(raw_entry).collect()
}

fn raw_entry(value: &Value) -> Option<RawEntry> {
    let fields = value.as_object()?;
    let string = |key: &str| match fields.get(key) {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => None,
    };
    let time = match fields.get("time") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_rfc3339(s).map(format_rfc3339)?),
        Some(_) => return None,
    };
    Some(RawEntry {
        manager: string("manager")?,
        operation: string("operation")?,
        api_version: string("apiVersion")?,
        time,
        fields_type: string("fieldsType")?,
        fields_v1: fields.get("fieldsV1").filter(|v| !v.is_null()).cloned(),
        subresource: string("subresource")?,
    })
}

/// `[]`, or a single all-empty entry: the client asks to stop tracking.
fn is_reset(entries: &[RawEntry]) -> bool {
    match entries {
        [] => true,
        [only] => *only == RawEntry::default(),
        _ => false,
    }
}

fn decode(entries: &[RawEntry]) -> Result<Managed, String> {
    let mut managed = Managed::default();
    for (i, e) in entries.iter().enumerate() {
        let operation = match e.operation.as_str() {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return Err("operation must be `Apply` or `Update`".to_owned()),
        };
        if e.api_version.is_empty() {
            return Err("apiVersion must not be empty".to_owned());
        }
        match e.fields_type.as_str() {
            "FieldsV1" => {}
            "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
            other => {
                return Err(format!("invalid fieldsType {} in managed fields entry {i}", crate::golang::quote(other)));
            }
        }
        let set = match &e.fields_v1 {
            Some(fields) => Set::from_fields_v1(fields).map_err(|err| format!("error decoding set: {err}"))?,
            None => Set::default(),
        };
        let ident = Ident::new(&e.manager, operation, &e.api_version, &e.subresource);
        managed.times.insert(ident.clone(), e.time.clone());
        managed.fields.insert(
            ident,
            VersionedSet { set, api_version: e.api_version.clone(), applied: operation == Operation::Apply },
        );
    }
    Ok(managed)
}

/// The `managedFields` list, sorted as upstream sorts it; `None` when there are no entries.
fn encode(managed: &Managed) -> Option<Value> {
    if managed.fields.is_empty() {
        return None;
    }
    // Operation, time, manager, apiVersion, subresource.
    type SortKey = (Operation, i64, String, String, String);
    let mut entries: Vec<(SortKey, Value)> = Vec::new();
    for (ident, vs) in &managed.fields {
        let operation = if vs.applied { Operation::Apply } else { ident.operation };
        let time = managed.times.get(ident).cloned().flatten();
        let mut entry = Map::new();
        if !ident.manager.is_empty() {
            entry.insert("manager".to_owned(), Value::String(ident.manager.clone()));
        }
        entry.insert("operation".to_owned(), Value::String(operation.as_str().to_owned()));
        if !vs.api_version.is_empty() {
            entry.insert("apiVersion".to_owned(), Value::String(vs.api_version.clone()));
        }
        if let Some(time) = &time {
            entry.insert("time".to_owned(), Value::String(time.clone()));
        }
        entry.insert("fieldsType".to_owned(), Value::String("FieldsV1".to_owned()));
        entry.insert("fieldsV1".to_owned(), vs.set.to_fields_v1());
        if !ident.subresource.is_empty() {
            entry.insert("subresource".to_owned(), Value::String(ident.subresource.clone()));
        }
        let key = (
            operation,
            time.as_deref().map_or(0, time_seconds),
            ident.manager.clone(),
            vs.api_version.clone(),
            ident.subresource.clone(),
        );
        entries.push((key, Value::Object(entry)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Some(Value::Array(entries.into_iter().map(|(_, entry)| entry).collect()))
}

// ---------------------------------------------------------------------------------------------------------
// Times: metav1.Time is RFC 3339, re-encoded in UTC with whole seconds.

fn time_seconds(time: &str) -> i64 {
    parse_rfc3339(time).unwrap_or(0)
}

/// Seconds since the epoch of an RFC 3339 timestamp (`2024-05-01T10:00:00Z`, `...T12:00:00.5+02:00`).
fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let number = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || separators.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            if b.get(i + 3) != Some(&b':') {
                return None;
            }
            let (h, m) = (number(i + 1, i + 3)?, number(i + 4, i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            i += 6;
            if sign == b'+' { h * 3600 + m * 60 } else { -(h * 3600 + m * 60) }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn format_rfc3339(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let rest = seconds.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

// ---------------------------------------------------------------------------------------------------------
// Go formatting.

/// Go's compact JSON: object keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped.
fn go_json(value: &Value) -> String {
    let mut out = String::new();
    write_go_json(value, &mut out);
    out
}

fn write_go_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_string(key, out);
                out.push(':');
                if let Some(v) = fields.get(key) {
                    write_go_json(v, out);
                }
            }
            out.push('}');
        }
    }
}

fn write_go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// structured-merge-diff's `value.ToString`, used in paths: strings quoted, numbers and booleans bare.
fn go_value_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => crate::golang::quote(s),
        Value::Array(items) => format!("[{}]", items.iter().map(go_value_string).collect::<Vec<_>>().join(",")),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields.iter().map(|(k, v)| format!("{k}={}", go_value_string(v))).collect::<Vec<_>>().join(",")
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::*;

    const T1: &str = "2026-01-01T00:00:00Z";
    const T2: &str = "2026-01-01T00:01:00Z";
    const T3: &str = "2026-01-01T00:02:00Z";

    /// A schema with the list types of the kinds the tests use.
    #[derive(Default)]
    struct TestSchema {
        lists: BTreeMap<&'static str, ListKind>,
        free_maps: Vec<&'static str>,
        reset: Vec<Vec<String>>,
    }

    impl TestSchema {
        fn new() -> Self {
            let mut lists = BTreeMap::new();
            lists.insert("metadata.finalizers", ListKind::Set);
            lists.insert("metadata.ownerReferences", ListKind::Map(vec!["uid".into()]));
            lists.insert("spec.containers", ListKind::Map(vec!["name".into()]));
            lists.insert("spec.containers.ports", ListKind::Map(vec!["containerPort".into(), "protocol".into()]));
            Self { lists, free_maps: vec!["metadata.labels", "metadata.annotations", "data"], reset: Vec::new() }
        }
    }

    impl MergeSchema for TestSchema {
        fn list_kind(&self, path: &[String]) -> ListKind {
            self.lists.get(path.join(".").as_str()).cloned().unwrap_or(ListKind::Atomic)
        }

        fn map_is_atomic(&self, path: &[String]) -> bool {
            path.join(".") == "spec.selector"
        }

        fn map_is_struct(&self, path: &[String]) -> bool {
            !self.free_maps.contains(&path.join(".").as_str())
        }

        fn list_key_default(&self, path: &[String], key: &str) -> Option<Value> {
            (path.join(".") == "spec.containers.ports" && key == "protocol").then(|| json!("TCP"))
        }

        fn reset_fields(&self, _subresource: Option<&str>) -> Vec<Vec<String>> {
            self.reset.clone()
        }
    }

    fn req<'a>(manager: &'a str, api_version: &'a str, now: &'a str) -> ApplyRequest<'a> {
        ApplyRequest { manager, force: false, api_version, now, subresource: None }
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"}, "data": data})
    }

    fn entries(object: &Value) -> Vec<Value> {
        object["metadata"]["managedFields"].as_array().cloned().unwrap_or_default()
    }

    fn entry(object: &Value, manager: &str, operation: &str) -> Option<Value> {
        entries(object).into_iter().find(|e| e["manager"] == manager && e["operation"] == operation)
    }

    fn fields(object: &Value, manager: &str, operation: &str) -> Value {
        entry(object, manager, operation).map_or(Value::Null, |e| e["fieldsV1"].clone())
    }

    fn conflicts(result: Result<Value, ApplyError>) -> (String, Vec<Cause>) {
        match result {
            Err(ApplyError::Conflicts { message, causes }) => (message, causes),
            other => panic!("expected conflicts, got {other:?}"),
        }
    }

    fn apply_ok(live: Option<&Value>, applied: &Value, req: &ApplyRequest<'_>) -> Value {
        apply(live, applied, req, &TestSchema::new()).expect("apply succeeds")
    }

    #[test]
    fn apply_create_records_one_apply_entry_owning_every_sent_field() {
        let mut applied = cm(json!({"a": "1"}));
        applied["metadata"]["labels"] = json!({"app": "x"});
        let created = apply_ok(None, &applied, &req("a", "v1", T1));

        assert_eq!(created["data"], json!({"a": "1"}));
        assert_eq!(
            created["metadata"]["managedFields"],
            json!([{
                "manager": "a",
                "operation": "Apply",
                "apiVersion": "v1",
                "time": T1,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:app": {}}}},
            }])
        );
    }

    #[test]
    fn a_different_value_owned_by_another_manager_conflicts() {
        let live = apply_ok(None, &cm(json!({"a": "1"})), &req("a", "v1", T1));
        let result = apply(Some(&live), &cm(json!({"a": "2"})), &req("b", "v1", T2), &TestSchema::new());
        let err = result.clone().expect_err("conflict");
        assert_eq!((err.code(), err.reason()), (409, Some("Conflict")));

        let (message, causes) = conflicts(result);
        assert_eq!(message, "Apply failed with 1 conflict: conflict with \"a\": .data.a");
        assert_eq!(causes, vec![Cause::new("FieldManagerConflict", ".data.a", "conflict with \"a\"")]);
        assert_eq!(causes[0].to_json()["type"], "FieldManagerConflict");
    }

    #[test]
    fn force_moves_ownership_to_the_applier() {
        let live = apply_ok(None, &cm(json!({"a": "1", "b": "1"})), &req("a", "v1", T1));
        let forced = apply_ok(Some(&live), &cm(json!({"a": "2"})), &ApplyRequest { force: true, ..req("b", "v1", T2) });

        assert_eq!(forced["data"], json!({"a": "2", "b": "1"}));
        assert_eq!(fields(&forced, "a", "Apply"), json!({"f:data": {"f:b": {}}}));
        assert_eq!(fields(&forced, "b", "Apply"), json!({"f:data": {"f:a": {}}}));
    }

    #[test]
    fn a_loser_left_with_nothing_loses_its_entry() {
        let live = apply_ok(None, &cm(json!({"a": "1"})), &req("a", "v1", T1));
        let forced = apply_ok(Some(&live), &cm(json!({"a": "2"})), &ApplyRequest { force: true, ..req("b", "v1", T2) });
        assert!(entry(&forced, "a", "Apply").is_none());
        assert_eq!(entries(&forced).len(), 1);
    }

    #[test]
    fn the_same_value_is_shared_ownership_not_a_conflict() {
        let live = apply_ok(None, &cm(json!({"a": "1"})), &req("a", "v1", T1));
        let shared = apply_ok(Some(&live), &cm(json!({"a": "1"})), &req("b", "v1", T2));

        assert_eq!(shared["data"], json!({"a": "1"}));
        assert_eq!(fields(&shared, "a", "Apply"), json!({"f:data": {"f:a": {}}}));
        assert_eq!(fields(&shared, "b", "Apply"), json!({"f:data": {"f:a": {}}}));
        // The object did not change, so the new entry gets no time, as upstream.
        assert_eq!(entry(&shared, "b", "Apply").map(|e| e.get("time").cloned()), Some(None));
        assert_eq!(entry(&shared, "a", "Apply").map(|e| e["time"].clone()), Some(json!(T1)));
    }

    #[test]
    fn an_omitted_field_is_removed_when_nobody_else_owns_it() {
        let live = apply_ok(None, &cm(json!({"a": "1", "b": "2"})), &req("a", "v1", T1));
        let next = apply_ok(Some(&live), &cm(json!({"a": "1"})), &req("a", "v1", T2));

        assert_eq!(next["data"], json!({"a": "1"}));
        assert_eq!(fields(&next, "a", "Apply"), json!({"f:data": {"f:a": {}}}));
        assert_eq!(entry(&next, "a", "Apply").map(|e| e["time"].clone()), Some(json!(T2)));
    }

    #[test]
    fn an_omitted_field_stays_when_another_manager_owns_it() {
        let live = apply_ok(None, &cm(json!({"a": "1", "b": "2"})), &req("a", "v1", T1));
        let live = apply_ok(Some(&live), &cm(json!({"b": "2"})), &req("b", "v1", T2));
        let next = apply_ok(Some(&live), &cm(json!({"a": "1"})), &req("a", "v1", T3));

        assert_eq!(next["data"], json!({"a": "1", "b": "2"}));
        assert_eq!(fields(&next, "a", "Apply"), json!({"f:data": {"f:a": {}}}));
        assert_eq!(fields(&next, "b", "Apply"), json!({"f:data": {"f:b": {}}}));
    }

    #[test]
    fn dropping_every_label_removes_the_labels_map() {
        let mut applied = cm(json!({"a": "1"}));
        applied["metadata"]["labels"] = json!({"app": "x"});
        let live = apply_ok(None, &applied, &req("a", "v1", T1));
        let next = apply_ok(Some(&live), &cm(json!({"a": "1"})), &req("a", "v1", T2));
        assert!(next["metadata"].get("labels").is_none());
        assert_eq!(next["metadata"]["name"], "cm");
    }

    fn deploy(spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec})
    }

    #[test]
    fn an_atomic_list_is_one_leaf_and_map_list_items_are_owned_by_key() {
        let applied = deploy(json!({"args": ["x"], "containers": [{"name": "web", "image": "v1"}]}));
        let live = apply_ok(None, &applied, &req("a", "apps/v1", T1));
        assert_eq!(
            fields(&live, "a", "Apply"),
            json!({"f:spec": {"f:args": {}, "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}})
        );

        // Another manager adds its own container: items merge by name, nothing conflicts.
        let sidecar = deploy(json!({"containers": [{"name": "sidecar", "image": "s1"}]}));
        let live = apply_ok(Some(&live), &sidecar, &req("b", "apps/v1", T2));
        assert_eq!(
            live["spec"]["containers"],
            json!([{"name": "web", "image": "v1"}, {"name": "sidecar", "image": "s1"}])
        );

        // The atomic list is owned whole; an item's field is owned on its own.
        let (message, causes) = conflicts(apply(
            Some(&live),
            &deploy(json!({"args": ["y"], "containers": [{"name": "web", "image": "v2"}]})),
            &req("b", "apps/v1", T3),
            &TestSchema::new(),
        ));
        assert_eq!(
            message,
            "Apply failed with 2 conflicts: conflicts with \"a\":\n- .spec.args\n- .spec.containers[name=\"web\"].image"
        );
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, [".spec.args", ".spec.containers[name=\"web\"].image"]);
    }

    #[test]
    fn a_dropped_map_list_item_is_removed_but_other_managers_items_stay() {
        let two = deploy(json!({"containers": [{"name": "web", "image": "v1"}, {"name": "db", "image": "d1"}]}));
        let live = apply_ok(None, &two, &req("a", "apps/v1", T1));
        let live = apply_ok(
            Some(&live),
            &deploy(json!({"containers": [{"name": "side", "image": "s"}]})),
            &req("b", "apps/v1", T2),
        );
        let next = apply_ok(
            Some(&live),
            &deploy(json!({"containers": [{"name": "web", "image": "v1"}]})),
            &req("a", "apps/v1", T3),
        );
        assert_eq!(next["spec"]["containers"], json!([{"name": "web", "image": "v1"}, {"name": "side", "image": "s"}]));
    }

    #[test]
    fn a_key_field_default_completes_the_item_key() {
        let applied = deploy(json!({"containers": [{"name": "web", "ports": [{"containerPort": 80}]}]}));
        let live = apply_ok(None, &applied, &req("a", "apps/v1", T1));
        let ports = &fields(&live, "a", "Apply")["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["f:ports"];
        assert_eq!(ports, &json!({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}));
    }

    #[test]
    fn set_list_items_are_owned_by_value_and_merge_as_a_union() {
        let with =
            |f: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "finalizers": f}});
        let live = apply_ok(None, &with(json!(["a.io/x"])), &req("a", "v1", T1));
        let live = apply_ok(Some(&live), &with(json!(["b.io/y"])), &req("b", "v1", T2));
        assert_eq!(live["metadata"]["finalizers"], json!(["a.io/x", "b.io/y"]));
        assert_eq!(fields(&live, "a", "Apply"), json!({"f:metadata": {"f:finalizers": {"v:\"a.io/x\"": {}}}}));
    }

    #[test]
    fn map_list_items_keep_live_order_with_new_items_placed_after_shared_ones() {
        let items = |names: &[&str]| -> Value { names.iter().map(|n| json!({"name": n})).collect() };
        let live = apply_ok(None, &deploy(json!({"containers": items(&["a", "b", "c"])})), &req("x", "apps/v1", T1));
        let next =
            apply_ok(Some(&live), &deploy(json!({"containers": items(&["c", "a", "n"])})), &req("y", "apps/v1", T2));
        assert_eq!(next["spec"]["containers"], items(&["b", "c", "a", "n"]));
    }

    #[test]
    fn an_update_after_apply_takes_the_field_and_the_next_apply_conflicts() {
        let applied = deploy(json!({"replicas": 1, "paused": false}));
        let live = apply_ok(None, &applied, &req("a", "apps/v1", T1));
        let mut live = live;
        live["metadata"]["uid"] = json!("u-1");

        let mut edited = live.clone();
        edited["spec"]["replicas"] = json!(2);
        record_update(Some(&live), &mut edited, &req("kubectl-edit", "apps/v1", T2), &TestSchema::new());
        assert_eq!(fields(&edited, "a", "Apply"), json!({"f:spec": {"f:paused": {}}}));
        assert_eq!(
            entry(&edited, "kubectl-edit", "Update"),
            Some(json!({
                "manager": "kubectl-edit",
                "operation": "Update",
                "apiVersion": "apps/v1",
                "time": T2,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:replicas": {}}},
            }))
        );

        let (message, causes) = conflicts(apply(Some(&edited), &applied, &req("a", "apps/v1", T3), &TestSchema::new()));
        assert_eq!(
            message,
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"
        );
        assert_eq!(causes[0].message, "conflict with \"kubectl-edit\" using apps/v1");
    }

    #[test]
    fn reapplying_the_same_configuration_returns_the_live_object_unchanged() {
        let applied = deploy(json!({"replicas": 1, "containers": [{"name": "web", "image": "v1"}]}));
        let live = apply_ok(None, &applied, &req("a", "apps/v1", T1));
        let again = apply_ok(Some(&live), &applied, &req("a", "apps/v1", T2));
        assert_eq!(again, live);
    }

    fn lease(spec: Value) -> Value {
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "leader", "namespace": "default"},
            "spec": spec,
        })
    }

    #[test]
    fn a_lease_apply_without_force_conflicts_with_the_current_holder() {
        let v = "coordination.k8s.io/v1";
        // kube-lease-manager: POST an empty-spec Lease, then apply without force to take it.
        let mut created = lease(json!({}));
        record_update(None, &mut created, &req("kube-lease-manager", v, T1), &TestSchema::new());
        created["metadata"]["uid"] = json!("u-1");
        assert_eq!(fields(&created, "kube-lease-manager", "Update"), json!({"f:spec": {}}));

        let holder_a = lease(json!({"holderIdentity": "a", "leaseDurationSeconds": 15}));
        let held = apply_ok(Some(&created), &holder_a, &req("lease-a", v, T2));
        assert_eq!(held["spec"]["holderIdentity"], "a");

        let holder_b = lease(json!({"holderIdentity": "b", "leaseDurationSeconds": 15}));
        let (message, causes) = conflicts(apply(Some(&held), &holder_b, &req("lease-b", v, T3), &TestSchema::new()));
        assert_eq!(message, "Apply failed with 1 conflict: conflict with \"lease-a\": .spec.holderIdentity");
        assert_eq!(
            causes,
            vec![Cause::new("FieldManagerConflict", ".spec.holderIdentity", "conflict with \"lease-a\"")]
        );

        // Release: a strategic merge patch nulls the holder, which removes it from every owner.
        let mut released = held.clone();
        released["spec"].as_object_mut().map(|s| s.remove("holderIdentity"));
        record_update(Some(&held), &mut released, &req("lease-a", v, T3), &TestSchema::new());
        assert_eq!(fields(&released, "lease-a", "Apply"), json!({"f:spec": {"f:leaseDurationSeconds": {}}}));
        let taken = apply_ok(Some(&released), &holder_b, &req("lease-b", v, T3));
        assert_eq!(taken["spec"]["holderIdentity"], "b");
    }

    #[test]
    fn conflicts_with_several_managers_are_grouped_and_sorted_by_manager() {
        let live = apply_ok(None, &cm(json!({"x": "1", "y": "1"})), &req("b", "v1", T1));
        let mut live = live;
        live["metadata"]["uid"] = json!("u-1");
        let mut updated = live.clone();
        updated["data"]["z"] = json!("1");
        record_update(Some(&live), &mut updated, &req("a", "v1", T2), &TestSchema::new());

        let (message, causes) = conflicts(apply(
            Some(&updated),
            &cm(json!({"x": "2", "y": "2", "z": "2"})),
            &req("c", "v1", T3),
            &TestSchema::new(),
        ));
        assert_eq!(
            message,
            "Apply failed with 3 conflicts: conflicts with \"a\" using v1:\n- .data.z\nconflicts with \"b\":\n- .data.x\n- .data.y"
        );
        assert_eq!(causes.len(), 3);
    }

    #[test]
    fn an_update_on_create_owns_every_field_with_dots_on_new_containers() {
        let mut obj = deploy(json!({"replicas": 1, "selector": {"app": "x"}}));
        obj["metadata"]["labels"] = json!({"app": "x"});
        record_update(None, &mut obj, &req("kubectl-create", "apps/v1", T1), &TestSchema::new());
        assert_eq!(
            fields(&obj, "kubectl-create", "Update"),
            json!({
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {".": {}, "f:replicas": {}, "f:selector": {}},
            })
        );
    }

    #[test]
    fn an_update_that_changes_nothing_keeps_the_entries_as_they_were() {
        let mut live = apply_ok(None, &cm(json!({"a": "1"})), &req("a", "v1", T1));
        live["metadata"]["uid"] = json!("u-1");
        let mut same = live.clone();
        same["metadata"].as_object_mut().map(|m| m.remove("managedFields"));
        record_update(Some(&live), &mut same, &req("editor", "v1", T2), &TestSchema::new());
        assert_eq!(same, live);
    }

    #[test]
    fn an_empty_managed_fields_list_stops_tracking_until_the_next_apply() {
        let mut live = apply_ok(None, &cm(json!({"a": "1"})), &req("a", "v1", T1));
        live["metadata"]["uid"] = json!("u-1");

        let mut reset = live.clone();
        reset["metadata"]["managedFields"] = json!([]);
        record_update(Some(&live), &mut reset, &req("editor", "v1", T2), &TestSchema::new());
        assert!(reset["metadata"].get("managedFields").is_none());

        // Later updates of the untracked object record nothing.
        let mut changed = reset.clone();
        changed["data"]["b"] = json!("2");
        record_update(Some(&reset), &mut changed, &req("editor", "v1", T2), &TestSchema::new());
        assert!(changed["metadata"].get("managedFields").is_none());

        // An apply first attributes what exists to `before-first-apply`, which then conflicts.
        let (message, _) =
            conflicts(apply(Some(&changed), &cm(json!({"b": "3"})), &req("a", "v1", T3), &TestSchema::new()));
        assert_eq!(message, "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.b");
        let ok = apply_ok(Some(&changed), &cm(json!({"b": "2"})), &req("a", "v1", T3));
        assert_eq!(fields(&ok, "before-first-apply", "Update"), json!({"f:data": {".": {}, "f:a": {}, "f:b": {}}}));
        assert_eq!(fields(&ok, "a", "Apply"), json!({"f:data": {"f:b": {}}}));
    }

    #[test]
    fn managed_fields_sent_with_an_update_replace_the_stored_ones_and_null_keeps_them() {
        let mut live = apply_ok(None, &cm(json!({"a": "1"})), &req("a", "v1", T1));
        live["metadata"]["uid"] = json!("u-1");
        let own = json!([{"manager": "mine", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:data": {"f:a": {}}}}]);

        let mut sent = live.clone();
        sent["metadata"]["managedFields"] = own.clone();
        record_update(Some(&live), &mut sent, &req("editor", "v1", T2), &TestSchema::new());
        assert_eq!(sent["metadata"]["managedFields"], own);

        let mut nulled = live.clone();
        nulled["metadata"]["managedFields"] = Value::Null;
        record_update(Some(&live), &mut nulled, &req("editor", "v1", T2), &TestSchema::new());
        assert_eq!(nulled, live);
    }

    #[test]
    fn the_status_subresource_ignores_sent_managed_fields_and_records_its_subresource() {
        let mut live = apply_ok(None, &cm(json!({"a": "1"})), &req("a", "v1", T1));
        live["metadata"]["uid"] = json!("u-1");
        let mut new = live.clone();
        new["metadata"]["managedFields"] = json!([]);
        new["status"] = json!({"phase": "Ready"});
        let status_req = ApplyRequest { subresource: Some("status"), ..req("ctrl", "v1", T2) };
        record_update(Some(&live), &mut new, &status_req, &TestSchema::new());
        assert_eq!(fields(&new, "a", "Apply"), json!({"f:data": {"f:a": {}}}));
        assert_eq!(entry(&new, "ctrl", "Update").map(|e| e["subresource"].clone()), Some(json!("status")));

        // A status applier is named with its subresource in conflicts.
        let applied =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "status": {"phase": "Done"}});
        let applied_req = ApplyRequest { subresource: Some("status"), ..req("ctrl2", "v1", T3) };
        let (message, _) = conflicts(apply(Some(&new), &applied, &applied_req, &TestSchema::new()));
        assert_eq!(
            message,
            "Apply failed with 1 conflict: conflict with \"ctrl\" with subresource \"status\" using v1: .status.phase"
        );
    }

    #[test]
    fn reset_fields_are_neither_owned_nor_changed_by_an_apply() {
        let schema = TestSchema { reset: vec![vec!["status".to_owned()]], ..TestSchema::new() };
        let mut applied = cm(json!({"a": "1"}));
        applied["status"] = json!({"phase": "Fake"});
        let created = apply(None, &applied, &req("a", "v1", T1), &schema).expect("apply");
        assert!(created.get("status").is_none());
        assert_eq!(fields(&created, "a", "Apply"), json!({"f:data": {"f:a": {}}}));

        let mut live = created;
        live["status"] = json!({"phase": "Ready"});
        let next = apply(Some(&live), &applied, &req("a", "v1", T2), &schema).expect("apply");
        assert_eq!(next["status"], json!({"phase": "Ready"}));
        assert_eq!(fields(&next, "a", "Apply"), json!({"f:data": {"f:a": {}}}));
    }

    #[test]
    fn kubectl_takes_over_fields_its_last_applied_annotation_still_describes() {
        let last =
            "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"1\"},\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"}}\n";
        let mut live = cm(json!({"a": "1"}));
        live["metadata"]["annotations"] = json!({LAST_APPLIED: last});
        record_update(None, &mut live, &req("kubectl-client-side-apply", "v1", T1), &TestSchema::new());
        live["metadata"]["uid"] = json!("u-1");

        let applied =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "<2>"}});
        // Another manager would conflict...
        conflicts(apply(Some(&live), &applied, &req("other", "v1", T2), &TestSchema::new()));
        // ...but kubectl upgrades from client-side apply and rewrites the annotation.
        let upgraded = apply_ok(Some(&live), &applied, &req("kubectl", "v1", T2));
        assert_eq!(upgraded["data"]["a"], "<2>");
        assert_eq!(
            upgraded["metadata"]["annotations"][LAST_APPLIED],
            "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"\\u003c2\\u003e\"},\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"}}\n"
        );
        assert_eq!(fields(&upgraded, "kubectl", "Apply"), json!({"f:data": {"f:a": {}}}));
    }

    #[test]
    fn an_applied_configuration_carrying_managed_fields_is_a_bad_request() {
        let mut applied = cm(json!({"a": "1"}));
        applied["metadata"]["managedFields"] = json!([]);
        let err = apply(None, &applied, &req("a", "v1", T1), &TestSchema::new()).expect_err("rejected");
        assert_eq!(err, ApplyError::BadRequest("metadata.managedFields must be nil".to_owned()));
        assert_eq!(err.code(), 400);

        let err = apply(None, &cm(json!({})), &req("a", "v2", T1), &TestSchema::new()).expect_err("rejected");
        assert_eq!(err.message(), "invalid object type: /v1, Kind=ConfigMap");
    }

    #[test]
    fn duplicate_or_keyless_items_in_an_applied_configuration_are_an_internal_error() {
        let mut applied = deploy(json!({"containers": [{"name": "a"}, {"name": "a"}]}));
        applied["metadata"]["namespace"] = json!("ns");
        let err = apply(None, &applied, &req("m", "apps/v1", T1), &TestSchema::new()).expect_err("rejected");
        assert_eq!(
            err,
            ApplyError::Internal(
                "failed to create typed patch object (ns/d; apps/v1, Kind=Deployment): .spec.containers: duplicate \
                 entries for key [name=\"a\"]"
                    .to_owned()
            )
        );
        assert_eq!((err.code(), err.reason()), (500, None));

        let keyless = deploy(json!({"containers": [{"image": "x"}]}));
        let err = apply(None, &keyless, &req("m", "apps/v1", T1), &TestSchema::new()).expect_err("rejected");
        assert_eq!(
            err.message(),
            "failed to create typed patch object (/d; apps/v1, Kind=Deployment): .spec.containers: element 0: \
             associative list with keys has an element that omits key field \"name\" (and doesn't have default value)"
        );
    }

    #[test]
    fn more_than_ten_updaters_are_folded_into_ancient_changes() {
        let mut live = cm(json!({}));
        record_update(None, &mut live, &req("creator", "v1", "2026-01-01T00:00:00Z"), &TestSchema::new());
        live["metadata"]["uid"] = json!("u-1");
        for i in 0..11 {
            let mut next = live.clone();
            next["data"][format!("k{i}")] = json!("v");
            let now = format!("2026-01-01T00:00:{:02}Z", i + 1);
            record_update(Some(&live), &mut next, &req(&format!("m{i:02}"), "v1", &now), &TestSchema::new());
            live = next;
        }
        let all = entries(&live);
        assert_eq!(all.len(), 10);
        // The eleventh updater folded the creator and m00 together, the twelfth folded m01 in.
        let ancient = entry(&live, "ancient-changes", "Update").expect("bucket");
        assert_eq!(ancient["fieldsV1"], json!({"f:data": {".": {}, "f:k0": {}, "f:k1": {}}}));
        assert_eq!(ancient["time"], "2026-01-01T00:00:02Z");
        assert!(entry(&live, "creator", "Update").is_none());
        assert!(entry(&live, "m00", "Update").is_none());
    }

    #[test]
    fn entries_are_sorted_by_operation_then_time_then_manager() {
        let live = apply_ok(None, &cm(json!({"a": "1"})), &req("z", "v1", T2));
        let mut live = live;
        live["metadata"]["uid"] = json!("u-1");
        let mut next = live.clone();
        next["data"]["b"] = json!("1");
        record_update(Some(&live), &mut next, &req("b", "v1", T1), &TestSchema::new());
        let next = apply_ok(Some(&next), &cm(json!({"c": "1"})), &req("y", "v1", T3));
        let order: Vec<(String, String)> = entries(&next)
            .iter()
            .map(|e| (e["operation"].as_str().unwrap_or("").to_owned(), e["manager"].as_str().unwrap_or("").to_owned()))
            .collect();
        assert_eq!(
            order,
            [("Apply".into(), "z".into()), ("Apply".into(), "y".into()), ("Update".into(), "b".into())]
                as [(String, String); 3]
        );
    }

    #[test]
    fn fields_v1_round_trips_through_the_set_form() {
        let fields = json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}, "f:x": {}},
            "f:finalizers": {"v:\"a/b\"": {}},
        });
        let set = Set::from_fields_v1(&fields).expect("decodes");
        assert!(set.has(&[Pe::Field("spec".into()), Pe::Field("x".into())]));
        assert!(set.has(&[Pe::Field("metadata".into()), Pe::Field("labels".into())]));
        assert!(!set.has(&[Pe::Field("spec".into())]));
        assert_eq!(set.to_fields_v1(), fields);
        assert!(Set::from_fields_v1(&json!({"x": {}})).is_err());
        assert!(Set::from_fields_v1(&json!({"z:unknown": {}})).is_ok_and(|s| s.is_empty()));
    }

    #[test]
    fn managed_field_times_are_normalised_to_utc_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-02-29T23:59:59Z").map(format_rfc3339).as_deref(), Some("2024-02-29T23:59:59Z"));
        assert_eq!(
            parse_rfc3339("2024-03-01T01:30:00.123456+02:00").map(format_rfc3339).as_deref(),
            Some("2024-02-29T23:30:00Z")
        );
        assert_eq!(parse_rfc3339("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2024-01-01 00:00:00Z"), None);
    }

    #[test]
    fn the_manager_is_the_user_agent_up_to_its_first_slash() {
        assert_eq!(manager_from_user_agent(Some("kubectl/v1.37.1 (linux/amd64) kubernetes/abcdef")), "kubectl");
        assert_eq!(manager_from_user_agent(Some("kube-lease-manager")), "kube-lease-manager");
        assert_eq!(manager_from_user_agent(Some("bad\u{7}agent/1")), "badagent");
        assert_eq!(manager_from_user_agent(None), "");
        let long = "é".repeat(100);
        assert_eq!(manager_from_user_agent(Some(&long)), "é".repeat(64));
    }

    #[test]
    fn an_empty_manager_is_recorded_as_unknown() {
        let mut obj = cm(json!({"a": "1"}));
        record_update(None, &mut obj, &req("", "v1", T1), &TestSchema::new());
        assert!(entry(&obj, "unknown", "Update").is_some());
    }

    #[test]
    fn sent_managed_fields_are_validated_like_object_meta() {
        let mut obj = cm(json!({}));
        obj["metadata"]["managedFields"] = json!([
            {"manager": "ok", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {}},
            {"manager": "x".repeat(129), "operation": "Patch", "fieldsType": "FieldsV2"},
            {"manager": "tab\there", "operation": "Update", "subresource": "s".repeat(257)},
        ]);
        let causes = validate_managed_fields(&obj);
        assert_eq!(
            causes,
            vec![
                Cause::new(
                    "FieldValueInvalid",
                    "metadata.managedFields[1].operation",
                    "Invalid value: \"Patch\": must be `Apply` or `Update`"
                ),
                Cause::new(
                    "FieldValueInvalid",
                    "metadata.managedFields[1].fieldsType",
                    "Invalid value: \"FieldsV2\": must be `FieldsV1`"
                ),
                Cause::new(
                    "FieldValueTooLong",
                    "metadata.managedFields[1].manager",
                    "Too long: may not be more than 128 bytes"
                ),
                Cause::new(
                    "FieldValueInvalid",
                    "metadata.managedFields[2].manager",
                    "Invalid value: \"tab\\there\": invalid character U+0009 (at position 3)"
                ),
                Cause::new(
                    "FieldValueTooLong",
                    "metadata.managedFields[2].subresource",
                    "Too long: may not be more than 256 bytes"
                ),
            ]
        );
    }
}
