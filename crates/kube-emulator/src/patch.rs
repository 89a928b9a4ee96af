//! The three body formats of `PATCH`, applied to objects held as [`serde_json::Value`]s.
//!
//! * [`merge_patch`]: JSON merge patch (RFC 7386), `application/merge-patch+json`.
//! * [`json_patch`]: JSON patch (RFC 6902), `application/json-patch+json`, with the leniencies of the
//!   JSON-patch library the API server links (see the function for the list).
//! * [`strategic_merge_patch`]: strategic merge patch, `application/strategic-merge-patch+json`, with
//!   the list strategies and `$`-directives of apimachinery's `strategicpatch` package.
//!
//! Everything here is pure: values in, a value or a [`PatchError`] out. Which HTTP status a
//! failure becomes is decided by the caller from the [`PatchError`] variant. Validation of the
//! result (is it still a well-formed object of its kind?) is also the caller's business.

use std::fmt;

use serde_json::{Map, Value};

/// Why a patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatchError {
    /// The patch document itself is malformed (not an array of ops, unknown op, bad pointer, bad directive...).
    /// The server answers 400 BadRequest.
    Malformed(String),
    /// The patch is well-formed but an operation failed (a `test` mismatch, path not found for remove/replace, ...).
    /// The server answers 422 Invalid.
    Failed(String),
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed patch: {why}"),
            Self::Failed(why) => write!(f, "patch could not be applied: {why}"),
        }
    }
}

impl std::error::Error for PatchError {}

/// How a list field merges under strategic merge patch, as given by the OpenAPI extensions
/// `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListStrategy {
    /// No strategy (or `replace`): the patch's list replaces the live one.
    Replace,
    /// Strategy `merge` with a merge key: items are matched by the value of this field.
    MergeByKey(String),
    /// Strategy `merge` on a list of scalars (e.g. `metadata.finalizers`): the lists are unioned.
    MergePrimitives,
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch
// ---------------------------------------------------------------------------------------------

/// RFC 7386 JSON merge patch (objects merge recursively, null deletes, arrays and scalars replace whole).
///
/// One detail follows the API server's library rather than the RFC: a value that is inserted
/// whole (a new member, or one replacing a non-object) loses the `null` members of the objects
/// nested in it, including objects inside arrays; the RFC only strips them from nested objects.
/// A patch that is not an object replaces the target; rejecting such a patch (the API server
/// requires an object) is left to the caller.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch) {
        (Some(doc), Value::Object(members)) => merge_members(doc, members),
        _ => *target = without_nested_nulls(patch),
    }
}

/// Merges the members of a patch object into a target object.
fn merge_members(doc: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        if value.is_null() {
            remove_member(doc, key);
            continue;
        }
        match doc.get_mut(key) {
            Some(current) if !current.is_null() => {
                if let (Value::Object(current), Value::Object(members)) = (&mut *current, value) {
                    merge_members(current, members);
                } else if current.is_object() {
                    // An object replaced by a non-object takes the patch value as it is.
                    *current = value.clone();
                } else {
                    *current = without_nested_nulls(value);
                }
            }
            _ => {
                doc.insert(key.clone(), without_nested_nulls(value));
            }
        }
    }
}

/// A copy of `value` whose objects (at any depth, also inside arrays) have no `null` members.
/// `null` array elements are kept.
fn without_nested_nulls(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nested_nulls(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nested_nulls).collect()),
        other => other.clone(),
    }
}

/// Removes one member while keeping the order of the others (with `preserve_order`,
/// `Map::remove` would move the last member into the hole).
fn remove_member(map: &mut Map<String, Value>, key: &str) {
    map.retain(|k, _| k != key);
}

// ---------------------------------------------------------------------------------------------
// JSON patch
// ---------------------------------------------------------------------------------------------

/// RFC 6902 JSON patch, Kubernetes flavour. Atomic: on error the input is untouched (a new value is returned).
///
/// Only a document that is not an array of objects is [`PatchError::Malformed`]; every problem
/// found while applying the operations (unknown `op`, missing `path`, bad pointer, failed
/// `test`, ...) is [`PatchError::Failed`], as the API server sorts them. Where the API server's
/// library departs from the RFC, this function departs with it:
///
/// * `test` against `null` (or without the member being present at all) passes when the member is
///   missing or `null`, so `[{"op":"test","path":"/metadata/finalizers","value":null}, ...]` works
///   on an object without finalizers;
/// * `replace` of a missing object member adds it; `copy` from a missing object member copies `null`;
/// * `add` and `replace` without a `value` write `null`;
/// * array indices may be negative (counted from the end; `-1` in `add` appends) and are read
///   like Go's `strconv.Atoi` (`+1`, `01`);
/// * the text before the first `/` of a pointer is ignored, and the empty pointer is only
///   accepted by `replace` (whole document, which must be an object or array) and `test`;
/// * `null` instead of an array is an empty patch.
///
/// The API server also refuses patches of more than 10 000 operations (413); that limit is the
/// caller's to enforce.
pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, PatchError> {
    let ops = match ops {
        Value::Array(ops) => ops.as_slice(),
        Value::Null => &[],
        other => {
            return Err(PatchError::Malformed(format!(
                "a JSON patch must be an array of operations, not {}",
                kind_name(other)
            )));
        }
    };
    if let Some((index, op)) = ops.iter().enumerate().find(|(_, op)| !(op.is_object() || op.is_null())) {
        return Err(PatchError::Malformed(format!("operation {index} is {}, not an object", kind_name(op))));
    }
    let no_members = Map::new();
    let mut doc = target.clone();
    for (index, op) in ops.iter().enumerate() {
        let op = op.as_object().unwrap_or(&no_members);
        apply_operation(&mut doc, op).map_err(|why| PatchError::Failed(format!("operation {index}: {why}")))?;
    }
    Ok(doc)
}

/// Applies one JSON-patch operation in place. The error is a human-readable reason.
fn apply_operation(doc: &mut Value, op: &Map<String, Value>) -> Result<(), String> {
    let kind = op.get("op").and_then(Value::as_str).unwrap_or("unknown");
    match kind {
        "add" => {
            let path = member_str(op, "path")?;
            add_at(doc, path, op.get("value").cloned().unwrap_or(Value::Null))
        }
        "remove" => remove_at(doc, member_str(op, "path")?).map(drop),
        "replace" => replace_at(doc, member_str(op, "path")?, op.get("value")),
        "move" => {
            let moved = remove_at(doc, member_str(op, "from")?)?;
            add_at(doc, member_str(op, "path")?, moved)
        }
        "copy" => {
            let copied = read_at(doc, member_str(op, "from")?)?.cloned().unwrap_or(Value::Null);
            add_at(doc, member_str(op, "path")?, copied)
        }
        "test" => test_at(doc, member_str(op, "path")?, op.get("value")),
        other => Err(format!("unknown operation {other:?}")),
    }
}

/// The string member `name` (`path` or `from`) of an operation.
fn member_str<'a>(op: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match op.get(name) {
        None | Some(Value::Null) => Err(format!("the operation has no {name:?} member")),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(format!("{name:?} must be a string, not {}", kind_name(other))),
    }
}

/// Splits a JSON pointer into the decoded tokens of its parent and its decoded last token.
fn split_pointer(path: &str) -> Result<(Vec<String>, String), String> {
    let mut tokens: Vec<&str> = path.split('/').collect();
    let last = match tokens.pop() {
        Some(last) if !tokens.is_empty() => last,
        _ => return Err(format!("path {path:?} does not point into the document")),
    };
    // tokens[0] is what precedes the first '/': empty in a well-formed pointer, ignored otherwise.
    Ok((tokens.iter().skip(1).map(|t| unescape_token(t)).collect(), unescape_token(last)))
}

/// Decodes `~1` to `/` and `~0` to `~` (RFC 6901), in one left-to-right pass.
fn unescape_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('~', Some('1')) => {
                out.push('/');
                chars.next();
            }
            ('~', Some('0')) => {
                out.push('~');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Resolves an array index token for an array of `len` slots; negative indices count from the end.
fn resolve_index(token: &str, len: usize) -> Result<usize, String> {
    let raw: i64 = token.parse().map_err(|_| format!("{token:?} is not an array index"))?;
    let len_i = i64::try_from(len).map_err(|_| "the array is too long".to_owned())?;
    let index = if raw < 0 { raw + len_i } else { raw };
    if index < 0 || index >= len_i {
        return Err(format!("index {raw} is out of range"));
    }
    usize::try_from(index).map_err(|_| format!("index {raw} is out of range"))
}

/// The object or array that holds the member a pointer's last token names.
fn parent_ref<'a>(doc: &'a Value, parents: &[String], path: &str) -> Result<&'a Value, String> {
    let mut current = doc;
    for token in parents {
        current = match current {
            Value::Object(members) => members.get(token.as_str()),
            Value::Array(items) => resolve_index(token, items.len()).ok().and_then(|i| items.get(i)),
            _ => None,
        }
        .filter(|v| !v.is_null())
        .ok_or_else(|| format!("the document has no path {path:?}"))?;
    }
    if current.is_object() || current.is_array() {
        Ok(current)
    } else {
        Err(format!("the document has no path {path:?}"))
    }
}

/// Mutable twin of [`parent_ref`].
fn parent_mut<'a>(doc: &'a mut Value, parents: &[String], path: &str) -> Result<&'a mut Value, String> {
    let mut current = doc;
    for token in parents {
        current = match current {
            Value::Object(members) => members.get_mut(token.as_str()),
            Value::Array(items) => match resolve_index(token, items.len()) {
                Ok(i) => items.get_mut(i),
                Err(_) => None,
            },
            _ => None,
        }
        .filter(|v| !v.is_null())
        .ok_or_else(|| format!("the document has no path {path:?}"))?;
    }
    if current.is_object() || current.is_array() {
        Ok(current)
    } else {
        Err(format!("the document has no path {path:?}"))
    }
}

/// The value at `path`; `None` for a missing object member (not an error, as in the API server).
fn read_at<'a>(doc: &'a Value, path: &str) -> Result<Option<&'a Value>, String> {
    let (parents, key) = split_pointer(path)?;
    match parent_ref(doc, &parents, path)? {
        Value::Array(items) => Ok(items.get(resolve_index(&key, items.len())?)),
        container => Ok(container.get(key.as_str())),
    }
}

/// `add`: sets an object member, or inserts into an array (`-` appends).
fn add_at(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let (parents, key) = split_pointer(path)?;
    match parent_mut(doc, &parents, path)? {
        Value::Object(members) => {
            members.insert(key, value);
        }
        Value::Array(items) if key == "-" => items.push(value),
        Value::Array(items) => {
            let index = resolve_index(&key, items.len() + 1)?;
            items.insert(index, value);
        }
        _ => return Err(format!("the document has no path {path:?}")),
    }
    Ok(())
}

/// `remove`: takes out an existing member or element and returns it.
fn remove_at(doc: &mut Value, path: &str) -> Result<Value, String> {
    let (parents, key) = split_pointer(path)?;
    match parent_mut(doc, &parents, path)? {
        Value::Object(members) => {
            let removed =
                members.get(key.as_str()).cloned().ok_or_else(|| format!("there is no member at {path:?}"))?;
            remove_member(members, &key);
            Ok(removed)
        }
        Value::Array(items) => {
            let index = resolve_index(&key, items.len())?;
            Ok(items.remove(index))
        }
        _ => Err(format!("the document has no path {path:?}")),
    }
}

/// `replace`: the whole document for the empty pointer, else an array element or object member.
fn replace_at(doc: &mut Value, path: &str, value: Option<&Value>) -> Result<(), String> {
    if path.is_empty() {
        return match value {
            Some(whole @ (Value::Object(_) | Value::Array(_))) => {
                *doc = whole.clone();
                Ok(())
            }
            _ => Err("replacing the whole document needs an object or array value".to_owned()),
        };
    }
    let (parents, key) = split_pointer(path)?;
    let value = value.cloned().unwrap_or(Value::Null);
    match parent_mut(doc, &parents, path)? {
        // The API server's library only checks array bounds: a missing member is added.
        Value::Object(members) => {
            members.insert(key, value);
        }
        Value::Array(items) => {
            let index = resolve_index(&key, items.len())?;
            if let Some(slot) = items.get_mut(index) {
                *slot = value;
            }
        }
        _ => return Err(format!("the document has no path {path:?}")),
    }
    Ok(())
}

/// `test`: structural equality, where a missing member counts as `null`.
fn test_at(doc: &Value, path: &str, expected: Option<&Value>) -> Result<(), String> {
    let actual = if path.is_empty() { Some(doc) } else { read_at(doc, path)? };
    match (actual.filter(|v| !v.is_null()), expected) {
        (None, Some(Value::Null)) => Ok(()),
        (Some(actual), Some(expected)) if actual == expected => Ok(()),
        (_, None) => Err(format!("test of {path:?} has no value to compare with")),
        _ => Err(format!("test of {path:?} failed: the value differs")),
    }
}

/// A short name of a JSON value's type, for messages.
fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch
// ---------------------------------------------------------------------------------------------

const PATCH_DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// Strategic merge patch. `strategy_of(path)` tells, for the field at `path` (field names from
/// the object root, no list indices; e.g. `["spec","template","spec","containers"]` or
/// `["spec","template","spec","containers","env"]`), how a list there merges. Anything not said
/// is [`ListStrategy::Replace`].
///
/// `retain_keys_of` tells whether a map has patch strategy `retainKeys`. The API server only
/// uses that strategy when *computing* patches: when applying one it honours a `$retainKeys`
/// directive on any map, so this function does too and never needs to ask.
///
/// Semantics are those of apimachinery's `strategicpatch` (the `$setElementOrder` era):
///
/// * maps merge recursively, `null` deletes a member; a value new to the object is taken after
///   dropping its `null` members and every nested map carrying `$patch`;
/// * lists: [`ListStrategy::Replace`] replaces; [`ListStrategy::MergePrimitives`] unions without
///   duplicates; [`ListStrategy::MergeByKey`] merges items with equal merge-key values and
///   appends new ones (`{key: x, $patch: delete}` removes the items keyed `x`, a
///   `{$patch: replace}` item replaces the list with the patch's other items);
/// * order of a merged list: the patch's items keep the patch's relative order; live items the
///   patch does not mention keep theirs and go before the first patch item that comes after them
///   in the live list. So an item new to the list lands *before* the live items, e.g. finalizers
///   `["a"]` patched with `["b"]` become `["b","a"]`. `$setElementOrder/<field>` overrides the
///   patch's order and must agree with it;
/// * `$deleteFromPrimitiveList/<field>` removes values from a list of any strategy;
/// * `$patch: replace` on a map replaces it (minus the directive); `$patch: delete` on a map
///   leaves an empty map (a typed object then drops it, a pointer field shows `{}`);
/// * `$retainKeys: [..]` drops the map's keys that are not listed; every non-null key of the
///   patch map must be listed.
///
/// Errors are all [`PatchError::Malformed`] (the API server answers 400 for the directive formats
/// and 500 for most of the rest) except a merged list holding lists, which is
/// [`PatchError::Failed`] (422). Patching a non-object target or with a non-object patch is
/// [`PatchError::Malformed`]. No directive key remains in the result.
pub fn strategic_merge_patch(
    target: &Value,
    patch: &Value,
    strategy_of: &dyn Fn(&[String]) -> ListStrategy,
    _retain_keys_of: &dyn Fn(&[String]) -> bool,
) -> Result<Value, PatchError> {
    let Value::Object(original) = target else {
        return Err(PatchError::Malformed(format!("cannot patch {}: not an object", kind_name(target))));
    };
    let Value::Object(patch) = patch else {
        return Err(PatchError::Malformed(format!(
            "a strategic merge patch must be an object, not {}",
            kind_name(patch)
        )));
    };
    let merger = Strategic { strategy_of };
    let mut path = Vec::new();
    merger.merge_map(original.clone(), patch, &mut path).map(Value::Object)
}

/// The kind of the elements of a list being merged. Integers and floats differ, as they do in
/// the Go maps apimachinery works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElementKind {
    Object,
    String,
    Integer,
    Float,
    Bool,
}

/// What identifies a list item when lists are merged and ordered.
#[derive(Debug, Clone, Copy)]
enum Identity<'k> {
    /// The whole (scalar) value.
    Whole,
    /// The value of the merge key.
    Key(&'k str),
}

impl Identity<'_> {
    fn of(self, item: &Value) -> Option<&Value> {
        match self {
            Self::Whole => Some(item),
            Self::Key(key) => item.get(key),
        }
    }
}

/// Strategic merge of maps and lists, knowing the list strategies of the kind.
struct Strategic<'a> {
    strategy_of: &'a dyn Fn(&[String]) -> ListStrategy,
}

impl Strategic<'_> {
    /// Merges a patch map into a live map (`path` names the map).
    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        patch: &Map<String, Value>,
        path: &mut Vec<String>,
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.get(PATCH_DIRECTIVE) {
            return match directive.as_str() {
                Some("replace") => Ok(clean_members(patch)),
                Some("delete") => Ok(Map::new()),
                _ => Err(malformed(path, format!("unknown {PATCH_DIRECTIVE} directive {directive} on a map"))),
            };
        }
        if let Some(retained) = patch.get(RETAIN_KEYS) {
            retain_keys(&mut original, patch, retained, path)?;
        }
        let mut ordered: Vec<&str> = Vec::new();
        for (key, order) in patch.iter().filter(|(key, _)| key.starts_with(SET_ELEMENT_ORDER)) {
            let field = directive_field(key, SET_ELEMENT_ORDER, path)?;
            path.push(field.to_owned());
            let merged = self.merge_ordered_list(original.get(field), patch.get(field), order, path);
            path.pop();
            if let Some(list) = merged? {
                original.insert(field.to_owned(), Value::Array(list));
            }
            ordered.push(field);
        }
        let mut deletions = Vec::new();
        for (key, value) in patch {
            if key == RETAIN_KEYS || key.starts_with(SET_ELEMENT_ORDER) || ordered.contains(&key.as_str()) {
                continue;
            }
            if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
                deletions.push((directive_field(key, DELETE_FROM_PRIMITIVE_LIST, path)?, value));
                continue;
            }
            self.merge_member(&mut original, key, value, path)?;
        }
        for (field, listed) in deletions {
            self.delete_from_list(&mut original, field, listed, path)?;
        }
        Ok(original)
    }

    /// Merges one (non-directive) member of a patch map.
    fn merge_member(
        &self,
        original: &mut Map<String, Value>,
        key: &str,
        value: &Value,
        path: &mut Vec<String>,
    ) -> Result<(), PatchError> {
        if value.is_null() {
            remove_member(original, key);
            return Ok(());
        }
        let Some(current) = original.get_mut(key) else {
            if let Some(fresh) = clean_new(value) {
                original.insert(key.to_owned(), fresh);
            }
            return Ok(());
        };
        let drop_member = match (current, value) {
            (Value::Object(current), Value::Object(members)) => {
                path.push(key.to_owned());
                let merged = self.merge_map(std::mem::take(current), members, path);
                path.pop();
                *current = merged?;
                false
            }
            (Value::Array(current), Value::Array(items)) => {
                path.push(key.to_owned());
                let strategy = (self.strategy_of)(path);
                let merged = self.merge_list_by_strategy(&strategy, std::mem::take(current), items, path);
                path.pop();
                *current = merged?;
                false
            }
            (current, _) => match clean_new(value) {
                Some(fresh) => {
                    *current = fresh;
                    false
                }
                None => true,
            },
        };
        if drop_member {
            remove_member(original, key);
        }
        Ok(())
    }

    /// Merges a patch list into a live list according to the field's strategy.
    fn merge_list_by_strategy(
        &self,
        strategy: &ListStrategy,
        current: Vec<Value>,
        patch: &[Value],
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        match strategy {
            ListStrategy::Replace => Ok(clean_list(patch)),
            ListStrategy::MergePrimitives => self.merge_list(current, patch, None, false, path),
            ListStrategy::MergeByKey(key) => self.merge_list(current, patch, Some(key), false, path),
        }
    }

    /// Applies `$deleteFromPrimitiveList/<field>`.
    fn delete_from_list(
        &self,
        original: &mut Map<String, Value>,
        field: &str,
        listed: &Value,
        path: &mut Vec<String>,
    ) -> Result<(), PatchError> {
        if listed.is_null() {
            // apimachinery treats a null deletion list like a null field: the list goes.
            remove_member(original, field);
            return Ok(());
        }
        let (Some(Value::Array(current)), Value::Array(listed)) = (original.get_mut(field), listed) else {
            // Nothing to delete from, or not a list: ignored, as the API server does.
            return Ok(());
        };
        path.push(field.to_owned());
        let key = match (self.strategy_of)(path) {
            ListStrategy::MergeByKey(key) => Some(key),
            _ => None,
        };
        let merged = self.merge_list(std::mem::take(current), listed, key.as_deref(), true, path);
        path.pop();
        *current = merged?;
        Ok(())
    }

    /// Merges two lists with merge semantics (`merge_key` for lists of objects). With
    /// `delete_listed`, the patch lists scalar values to remove instead.
    fn merge_list(
        &self,
        original: Vec<Value>,
        patch: &[Value],
        merge_key: Option<&str>,
        delete_listed: bool,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        if element_kind(&[&original, patch], path)? != ElementKind::Object {
            if delete_listed {
                return Ok(original.into_iter().filter(|v| !patch.contains(v)).collect());
            }
            if let Some(key) = merge_key {
                return Err(malformed(path, format!("the list holds scalars but merges by the key {key:?}")));
            }
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for value in original.iter().chain(patch) {
                if !merged.contains(value) {
                    merged.push(value.clone());
                }
            }
            let (patch_items, live_only) = merged.into_iter().partition(|v| patch.contains(v));
            let patch_order = identities(patch, Identity::Whole);
            let live_order = identities(&original, Identity::Whole);
            return Ok(interleave(patch_items, live_only, &patch_order, &live_order, Identity::Whole));
        }
        let Some(key) = merge_key else {
            return Err(malformed(path, "the list holds objects but has no merge key".to_owned()));
        };

        // Items carrying `$patch` act on the list; the others are merged.
        let mut live = original;
        let mut items: Vec<&Value> = Vec::with_capacity(patch.len());
        let mut replace = false;
        for item in patch {
            let Some(directive) = item.get(PATCH_DIRECTIVE) else {
                items.push(item);
                continue;
            };
            match directive.as_str() {
                Some("delete") => {
                    let id = item.get(key).ok_or_else(|| missing_key(path, key))?;
                    live.retain(|existing| existing.get(key) != Some(id));
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(malformed(path, format!("{PATCH_DIRECTIVE}: merge is not supported on a list item")));
                }
                _ => {
                    return Err(malformed(
                        path,
                        format!("unknown {PATCH_DIRECTIVE} directive {directive} on a list item"),
                    ));
                }
            }
        }
        if replace {
            live = items.iter().filter_map(|item| clean_new(item)).collect();
            items.clear();
        }
        let live_order = identities(&live, Identity::Key(key));

        let mut merged = live;
        for item in &items {
            let (Value::Object(members), Some(id)) = (item, item.get(key)) else {
                return Err(missing_key(path, key));
            };
            match merged.iter_mut().find(|existing| existing.get(key) == Some(id)) {
                Some(Value::Object(existing)) => {
                    let combined = self.merge_map(std::mem::take(existing), members, path)?;
                    *existing = combined;
                }
                Some(_) => return Err(malformed(path, "the list mixes objects with other values".to_owned())),
                None => merged.push(Value::Object(clean_members(members))),
            }
        }
        require_key(&merged, key, path)?;
        let patch_order: Vec<Option<Value>> = items.iter().map(|item| item.get(key).cloned()).collect();
        let (patch_items, live_only) =
            merged.into_iter().partition(|m| patch_order.iter().any(|id| id.as_ref() == m.get(key)));
        Ok(interleave(patch_items, live_only, &patch_order, &live_order, Identity::Key(key)))
    }

    /// Merges the list `field` (live value `current`, patch value `incoming`) and orders it by
    /// `$setElementOrder/<field>`. `None` when the list is in neither.
    fn merge_ordered_list(
        &self,
        current: Option<&Value>,
        incoming: Option<&Value>,
        order: &Value,
        path: &mut Vec<String>,
    ) -> Result<Option<Vec<Value>>, PatchError> {
        let Value::Array(order) = order else {
            return Err(malformed(path, format!("{SET_ELEMENT_ORDER} must be a list")));
        };
        let current = match current {
            None => None,
            Some(Value::Array(items)) => Some(items.as_slice()),
            Some(other) => return Err(malformed(path, format!("the live value is {}, not a list", kind_name(other)))),
        };
        let incoming = match incoming {
            None => None,
            Some(Value::Array(items)) => Some(items.as_slice()),
            Some(other) => return Err(malformed(path, format!("the patch value is {}, not a list", kind_name(other)))),
        };
        let strategy = (self.strategy_of)(path);
        let key = match &strategy {
            ListStrategy::MergeByKey(key) => Some(key.as_str()),
            _ => None,
        };
        check_order_agrees(incoming.unwrap_or_default(), order, key, path)?;
        let merged = match (current, incoming) {
            (Some(live), None) => live.to_vec(),
            (None, Some(items)) => clean_list(items),
            (Some(live), Some(items)) => self.merge_list_by_strategy(&strategy, live.to_vec(), items, path)?,
            (None, None) => return Ok(None),
        };
        let live = current.unwrap_or_default();
        let kind = element_kind(&[live, incoming.unwrap_or_default()], path)?;
        let identity = match (kind, key) {
            (ElementKind::Object, Some(key)) => {
                require_key(&merged, key, path)?;
                require_key(order, key, path)?;
                require_key(live, key, path)?;
                Identity::Key(key)
            }
            (ElementKind::Object, None) => {
                return Err(malformed(path, format!("{SET_ELEMENT_ORDER} needs a merge key on a list of objects")));
            }
            (_, Some(key)) => {
                return Err(malformed(path, format!("the list holds scalars but merges by the key {key:?}")));
            }
            (_, None) => Identity::Whole,
        };
        let patch_order = identities(order, identity);
        let live_order = identities(live, identity);
        let (patch_items, live_only) =
            merged.into_iter().partition(|m| patch_order.iter().any(|id| id.as_ref() == identity.of(m)));
        Ok(Some(interleave(patch_items, live_only, &patch_order, &live_order, identity)))
    }
}

/// Checks that the items of a patch list appear in `$setElementOrder` in the same relative order
/// (deleted items and other directive items aside).
fn check_order_agrees(
    incoming: &[Value],
    order: &[Value],
    key: Option<&str>,
    path: &[String],
) -> Result<(), PatchError> {
    if incoming.is_empty() || order.is_empty() {
        return Ok(());
    }
    let mut kept: Vec<&Value> = Vec::with_capacity(incoming.len());
    for item in incoming {
        if key.is_some() && !item.is_object() {
            return Err(malformed(path, format!("a list item is {}, not an object", kind_name(item))));
        }
        if key.is_none() || item.get(PATCH_DIRECTIVE).and_then(Value::as_str) != Some("delete") {
            kept.push(item);
        }
    }
    let (mut p, mut s) = (0, 0);
    while let (Some(item), Some(entry)) = (kept.get(p), order.get(s)) {
        if item.get(PATCH_DIRECTIVE).is_some() {
            p += 1;
            continue;
        }
        if same_item(item, entry, key, path)? {
            p += 1;
        }
        s += 1;
    }
    if p < kept.len() && s >= order.len() {
        return Err(malformed(path, format!("the order of the patch list does not match {SET_ELEMENT_ORDER}")));
    }
    Ok(())
}

/// Whether two list items are the same item (equal values, or equal merge-key values).
fn same_item(left: &Value, right: &Value, key: Option<&str>, path: &[String]) -> Result<bool, PatchError> {
    let Some(key) = key else { return Ok(left == right) };
    for side in [left, right] {
        if !side.is_object() {
            return Err(malformed(path, format!("a list item is {}, not an object", kind_name(side))));
        }
    }
    match (left.get(key), right.get(key)) {
        (Some(l), Some(r)) => Ok(l == r),
        _ => Err(missing_key(path, key)),
    }
}

/// The identities of a list's items, in order.
fn identities(items: &[Value], identity: Identity<'_>) -> Vec<Option<Value>> {
    items.iter().map(|item| identity.of(item).cloned()).collect()
}

/// Orders a merged list: patch items by `patch_order`, live-only items by `live_order`, then
/// interleaved: a live-only item goes first only if both it and the next patch item are in the
/// live list and it comes earlier there; otherwise the patch item goes first.
fn interleave(
    mut patch_items: Vec<Value>,
    mut live_only: Vec<Value>,
    patch_order: &[Option<Value>],
    live_order: &[Option<Value>],
    identity: Identity<'_>,
) -> Vec<Value> {
    let position = |order: &[Option<Value>], item: &Value| {
        let id = identity.of(item);
        order.iter().position(|o| o.as_ref() == id)
    };
    patch_items.sort_by_key(|item| position(patch_order, item).unwrap_or(usize::MAX));
    live_only.sort_by_key(|item| position(live_order, item).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(patch_items.len() + live_only.len());
    let mut live = live_only.into_iter().peekable();
    let mut patched = patch_items.into_iter().peekable();
    loop {
        let take_live = match (live.peek(), patched.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(p)) => {
                matches!((position(live_order, l), position(live_order, p)), (Some(a), Some(b)) if a < b)
            }
        };
        out.extend(if take_live { live.next() } else { patched.next() });
    }
    out
}

/// The common kind of the elements of lists about to be merged.
fn element_kind(lists: &[&[Value]], path: &[String]) -> Result<ElementKind, PatchError> {
    let mut found: Option<ElementKind> = None;
    for value in lists.iter().flat_map(|list| list.iter()) {
        let kind = match value {
            Value::Object(_) => ElementKind::Object,
            Value::String(_) => ElementKind::String,
            Value::Number(n) if n.as_i64().is_some() => ElementKind::Integer,
            Value::Number(_) => ElementKind::Float,
            Value::Bool(_) => ElementKind::Bool,
            Value::Array(_) if found.is_none() => {
                return Err(PatchError::Failed(format!("{}: lists of lists cannot be merged", dotted(path))));
            }
            Value::Array(_) | Value::Null => {
                return Err(malformed(path, format!("the list holds {}", kind_name(value))));
            }
        };
        match found {
            None => found = Some(kind),
            Some(previous) if previous != kind => {
                return Err(malformed(path, "the list items are not all of the same type".to_owned()));
            }
            Some(_) => {}
        }
    }
    found.ok_or_else(|| malformed(path, "there are no list items to order".to_owned()))
}

/// Fails unless every item is an object carrying the merge key.
fn require_key(items: &[Value], key: &str, path: &[String]) -> Result<(), PatchError> {
    if items.iter().all(|item| item.get(key).is_some()) { Ok(()) } else { Err(missing_key(path, key)) }
}

/// Applies `$retainKeys`: checks the patch's keys are listed, then drops unlisted live keys.
fn retain_keys(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    retained: &Value,
    path: &[String],
) -> Result<(), PatchError> {
    let Value::Array(listed) = retained else {
        return Err(malformed(path, format!("{RETAIN_KEYS} must be a list of keys")));
    };
    let is_listed = |key: &str| listed.iter().any(|l| l.as_str() == Some(key));
    let unlisted = patch.iter().find(|(key, value)| {
        !value.is_null()
            && key.as_str() != RETAIN_KEYS
            && !key.starts_with(SET_ELEMENT_ORDER)
            && !key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !is_listed(key)
    });
    if let Some((key, _)) = unlisted {
        return Err(malformed(path, format!("the patch sets {key:?}, which {RETAIN_KEYS} does not list")));
    }
    original.retain(|key, _| is_listed(key));
    Ok(())
}

/// The field a `<prefix>/<field>` directive key names.
fn directive_field<'k>(key: &'k str, prefix: &str, path: &[String]) -> Result<&'k str, PatchError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field),
        _ => Err(malformed(path, format!("{key:?} is not of the form {prefix}/<field>"))),
    }
}

/// A patch value entering the object without a live counterpart: `null` members dropped, maps
/// carrying `$patch` dropped, other directive keys dropped. `None` when the value itself goes.
fn clean_new(value: &Value) -> Option<Value> {
    match value {
        Value::Object(members) if members.get(PATCH_DIRECTIVE).is_some_and(|d| !d.is_null()) => None,
        Value::Object(members) => Some(Value::Object(clean_members(members))),
        Value::Array(items) => Some(Value::Array(clean_list(items))),
        other => Some(other.clone()),
    }
}

/// [`clean_new`] applied to the members of a map (its own directive keys are dropped).
fn clean_members(members: &Map<String, Value>) -> Map<String, Value> {
    members
        .iter()
        .filter(|(key, value)| !value.is_null() && !is_directive_key(key))
        .filter_map(|(key, value)| clean_new(value).map(|fresh| (key.clone(), fresh)))
        .collect()
}

/// [`clean_new`] applied to the items of a list (`null` items are kept).
fn clean_list(items: &[Value]) -> Vec<Value> {
    items.iter().filter_map(clean_new).collect()
}

/// Whether a map key is a strategic-merge directive rather than a field.
fn is_directive_key(key: &str) -> bool {
    key == PATCH_DIRECTIVE
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER)
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
}

/// A field path for messages: `spec.template.spec.containers`, or `<root>`.
fn dotted(path: &[String]) -> String {
    if path.is_empty() { "<root>".to_owned() } else { path.join(".") }
}

fn malformed(path: &[String], why: String) -> PatchError {
    PatchError::Malformed(format!("{}: {why}", dotted(path)))
}

fn missing_key(path: &[String], key: &str) -> PatchError {
    malformed(path, format!("a list item lacks the merge key {key:?}"))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use serde_json::json;

    use super::*;

    /// List strategies of the pod-template fields the tests touch, as the OpenAPI extensions give them.
    fn pod_strategy(path: &[String]) -> ListStrategy {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        match names.as_slice() {
            ["metadata", "finalizers"] => ListStrategy::MergePrimitives,
            [.., "containers" | "initContainers" | "env" | "volumes" | "imagePullSecrets"] => {
                ListStrategy::MergeByKey("name".to_owned())
            }
            [.., "ports"] => ListStrategy::MergeByKey("containerPort".to_owned()),
            [.., "volumeMounts"] => ListStrategy::MergeByKey("mountPath".to_owned()),
            _ => ListStrategy::Replace,
        }
    }

    fn no_retain_keys(_: &[String]) -> bool {
        false
    }

    fn smp(target: &Value, patch: &Value) -> Result<Value, PatchError> {
        strategic_merge_patch(target, patch, &pod_strategy, &no_retain_keys)
    }

    fn merged(target: &Value, patch: &Value) -> Value {
        let mut doc = target.clone();
        merge_patch(&mut doc, patch);
        doc
    }

    fn is_malformed(result: &Result<Value, PatchError>) -> bool {
        matches!(result, Err(PatchError::Malformed(_)))
    }

    fn is_failed(result: &Result<Value, PatchError>) -> bool {
        matches!(result, Err(PatchError::Failed(_)))
    }

    fn deployment() -> Value {
        json!({
            "metadata": {"name": "api", "finalizers": ["a"]},
            "spec": {"template": {
                "metadata": {"annotations": {"team": "core"}},
                "spec": {"containers": [
                    {"name": "web", "image": "web:v1", "env": [
                        {"name": "MODE", "value": "prod"},
                        {"name": "DEBUG", "value": "0"},
                        {"name": "PORT", "value": "80"}
                    ]},
                    {"name": "sidecar", "image": "proxy:v3"}
                ]}
            }}
        })
    }

    // ---- merge patch ----

    #[test]
    fn merge_patch_reproduces_rfc7386_appendix_a_cases() {
        let cases = [
            (json!({"k": "x"}), json!({"k": "y"}), json!({"k": "y"})),
            (json!({"k": "x"}), json!({"m": "y"}), json!({"k": "x", "m": "y"})),
            (json!({"k": "x"}), json!({"k": null}), json!({})),
            (json!({"k": "x", "m": "y"}), json!({"k": null}), json!({"m": "y"})),
            (json!({"k": ["x"]}), json!({"k": "y"}), json!({"k": "y"})),
            (json!({"k": "y"}), json!({"k": ["x"]}), json!({"k": ["x"]})),
            (json!({"k": {"p": "x"}}), json!({"k": {"p": "y", "q": null}}), json!({"k": {"p": "y"}})),
            (json!({"k": [{"p": "x"}]}), json!({"k": [7]}), json!({"k": [7]})),
            (json!(["x", "y"]), json!(["z", "w"]), json!(["z", "w"])),
            (json!({"k": "x"}), json!(["z"]), json!(["z"])),
            (json!({"k": "x"}), json!(null), json!(null)),
            (json!({"k": "x"}), json!("w"), json!("w")),
            (json!({"n": null}), json!({"k": 3}), json!({"n": null, "k": 3})),
            (json!([3, 4]), json!({"k": "x", "m": null}), json!({"k": "x"})),
            (json!({}), json!({"k": {"p": {"q": null}}}), json!({"k": {"p": {}}})),
        ];
        for (target, patch, expected) in cases {
            assert_eq!(merged(&target, &patch), expected, "{target} + {patch}");
        }
    }

    #[test]
    fn merge_patch_replaces_arrays_whole() {
        let target = json!({"spec": {"containers": [{"name": "web", "image": "v1"}, {"name": "sidecar"}]}});
        let patch = json!({"spec": {"containers": [{"name": "web", "image": "v2"}]}});
        assert_eq!(merged(&target, &patch), json!({"spec": {"containers": [{"name": "web", "image": "v2"}]}}));
    }

    #[test]
    fn merge_patch_drops_nulls_inside_objects_it_inserts_whole() {
        let target = json!({"spec": {}});
        let patch = json!({"spec": {"items": [{"a": 1, "b": null}, null]}});
        assert_eq!(merged(&target, &patch), json!({"spec": {"items": [{"a": 1}, null]}}));
    }

    #[test]
    fn merge_patch_deleting_an_absent_member_changes_nothing() {
        let target = json!({"metadata": {"labels": {"app": "api"}}});
        let patch = json!({"metadata": {"annotations": null, "labels": {"tier": null}}});
        assert_eq!(merged(&target, &patch), target);
    }

    // ---- JSON patch ----

    #[test]
    fn json_patch_applies_rfc6902_appendix_a_style_operations() {
        let cases = [
            (json!({"k": "x"}), json!([{"op": "add", "path": "/m", "value": ["y"]}]), json!({"k": "x", "m": ["y"]})),
            (
                json!({"k": ["x", "z"]}),
                json!([{"op": "add", "path": "/k/1", "value": "y"}]),
                json!({"k": ["x", "y", "z"]}),
            ),
            (json!({"k": "x", "m": "y"}), json!([{"op": "remove", "path": "/m"}]), json!({"k": "x"})),
            (json!({"k": ["x", "y", "z"]}), json!([{"op": "remove", "path": "/k/1"}]), json!({"k": ["x", "z"]})),
            (
                json!({"k": "x", "m": "y"}),
                json!([{"op": "replace", "path": "/k", "value": 9}]),
                json!({"k": 9, "m": "y"}),
            ),
            (
                json!({"k": {"p": "x"}, "m": {}}),
                json!([{"op": "move", "from": "/k/p", "path": "/m/q"}]),
                json!({"k": {}, "m": {"q": "x"}}),
            ),
            (
                json!({"k": ["a", "b", "c", "d"]}),
                json!([{"op": "move", "from": "/k/1", "path": "/k/3"}]),
                json!({"k": ["a", "c", "d", "b"]}),
            ),
            (
                json!({"k": "x", "m": [1, 2]}),
                json!([{"op": "test", "path": "/k", "value": "x"}, {"op": "test", "path": "/m/1", "value": 2}]),
                json!({"k": "x", "m": [1, 2]}),
            ),
            (
                json!({"k": "x"}),
                json!([{"op": "add", "path": "/child", "value": {"g": "h"}}]),
                json!({"k": "x", "child": {"g": "h"}}),
            ),
            (json!({"k": ["x"]}), json!([{"op": "add", "path": "/k/-", "value": ["y"]}]), json!({"k": ["x", ["y"]]})),
            (
                json!({"a/b": 1, "m~n": 2}),
                json!([{"op": "test", "path": "/a~1b", "value": 1}, {"op": "replace", "path": "/m~0n", "value": 3}]),
                json!({"a/b": 1, "m~n": 3}),
            ),
            (json!({"k": "x"}), json!([{"op": "copy", "from": "/k", "path": "/m"}]), json!({"k": "x", "m": "x"})),
            (json!({"": 1}), json!([{"op": "replace", "path": "/", "value": 2}]), json!({"": 2})),
        ];
        for (target, ops, expected) in cases {
            assert_eq!(json_patch(&target, &ops), Ok(expected), "{ops}");
        }
    }

    #[test]
    fn json_patch_test_against_null_passes_when_the_member_is_missing() {
        let object = json!({"metadata": {"name": "s"}});
        let ops = json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}
        ]);
        assert_eq!(json_patch(&object, &ops), Ok(json!({"metadata": {"name": "s", "finalizers": ["x"]}})));
    }

    #[test]
    fn json_patch_test_against_null_fails_once_finalizers_exist() {
        let object = json!({"metadata": {"finalizers": ["x"]}});
        let ops = json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": ["y"]}
        ]);
        assert!(is_failed(&json_patch(&object, &ops)));
    }

    #[test]
    fn json_patch_finalizer_removal_tests_the_index_then_removes_it() {
        let object = json!({"metadata": {"finalizers": ["a", "x"]}});
        let ops = json!([
            {"op": "test", "path": "/metadata/finalizers/1", "value": "x"},
            {"op": "remove", "path": "/metadata/finalizers/1"}
        ]);
        assert_eq!(json_patch(&object, &ops), Ok(json!({"metadata": {"finalizers": ["a"]}})));
        let stale = json!([{"op": "test", "path": "/metadata/finalizers/0", "value": "x"}]);
        assert!(is_failed(&json_patch(&object, &stale)));
    }

    #[test]
    fn json_patch_failure_midway_leaves_the_input_untouched() {
        let object = json!({"spec": {"replicas": 1}});
        let ops = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 5},
            {"op": "test", "path": "/spec/replicas", "value": 4}
        ]);
        let result = json_patch(&object, &ops);
        assert!(matches!(&result, Err(PatchError::Failed(why)) if why.starts_with("operation 1")));
        assert_eq!(object, json!({"spec": {"replicas": 1}}));
    }

    #[test]
    fn json_patch_document_that_is_not_an_array_of_objects_is_malformed() {
        let object = json!({"a": 1});
        assert!(is_malformed(&json_patch(&object, &json!({"op": "add"}))));
        assert!(is_malformed(&json_patch(&object, &json!(["add"]))));
        assert_eq!(json_patch(&object, &json!(null)), Ok(object.clone()));
        assert_eq!(json_patch(&object, &json!([])), Ok(object));
    }

    #[test]
    fn json_patch_unknown_op_and_missing_path_fail_as_the_api_server_does() {
        let object = json!({"a": 1});
        assert!(is_failed(&json_patch(&object, &json!([{"op": "frobnicate", "path": "/a"}]))));
        assert!(is_failed(&json_patch(&object, &json!([{"path": "/a"}]))));
        assert!(is_failed(&json_patch(&object, &json!([null]))));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "add", "value": 2}]))));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "add", "path": 7, "value": 2}]))));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "add", "path": "", "value": {}}]))));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "remove", "path": "a"}]))));
    }

    #[test]
    fn json_patch_remove_of_a_missing_member_or_index_fails() {
        let object = json!({"a": [1]});
        assert!(is_failed(&json_patch(&object, &json!([{"op": "remove", "path": "/b"}]))));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "remove", "path": "/a/1"}]))));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "remove", "path": "/a/-"}]))));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "move", "from": "/b", "path": "/c"}]))));
    }

    #[test]
    fn json_patch_add_under_a_missing_or_scalar_parent_fails() {
        let object = json!({"metadata": {"name": "x"}, "n": null});
        for path in ["/metadata/labels/app", "/metadata/name/x", "/n/x", "/metadata/name/0"] {
            let ops = json!([{"op": "add", "path": path, "value": "v"}]);
            assert!(is_failed(&json_patch(&object, &ops)), "{path}");
        }
        let past_end = json!([{"op": "add", "path": "/list/3", "value": 0}]);
        assert!(is_failed(&json_patch(&json!({"list": [1, 2]}), &past_end)));
    }

    #[test]
    fn json_patch_replace_of_a_missing_member_adds_it_as_kubernetes_does() {
        let object = json!({"spec": {}});
        let ops = json!([{"op": "replace", "path": "/spec/paused", "value": true}]);
        assert_eq!(json_patch(&object, &ops), Ok(json!({"spec": {"paused": true}})));
        let out_of_range = json!([{"op": "replace", "path": "/spec/list/0", "value": 1}]);
        assert!(is_failed(&json_patch(&json!({"spec": {"list": []}}), &out_of_range)));
    }

    #[test]
    fn json_patch_negative_and_go_style_indices_are_accepted() {
        let object = json!({"k": ["a", "b", "c"]});
        let ops = json!([
            {"op": "remove", "path": "/k/-1"},
            {"op": "add", "path": "/k/-1", "value": "z"},
            {"op": "replace", "path": "/k/+0", "value": "y"},
            {"op": "test", "path": "/k/01", "value": "b"}
        ]);
        assert_eq!(json_patch(&object, &ops), Ok(json!({"k": ["y", "b", "z"]})));
        assert!(is_failed(&json_patch(&object, &json!([{"op": "remove", "path": "/k/-4"}]))));
    }

    #[test]
    fn json_patch_replacing_the_root_needs_an_object_or_array() {
        let object = json!({"a": 1});
        assert_eq!(
            json_patch(&object, &json!([{"op": "replace", "path": "", "value": {"b": 2}}])),
            Ok(json!({"b": 2}))
        );
        assert!(is_failed(&json_patch(&object, &json!([{"op": "replace", "path": "", "value": 3}]))));
        assert_eq!(json_patch(&object, &json!([{"op": "test", "path": "", "value": {"a": 1}}])), Ok(object));
    }

    #[test]
    fn json_patch_copy_from_a_missing_member_copies_null() {
        let object = json!({"a": {}});
        let ops = json!([{"op": "copy", "from": "/a/none", "path": "/b"}]);
        assert_eq!(json_patch(&object, &ops), Ok(json!({"a": {}, "b": null})));
    }

    // ---- strategic merge patch ----

    #[test]
    fn smp_unions_finalizers_where_merge_patch_replaces_them() {
        let object = json!({"metadata": {"finalizers": ["a"]}});
        let patch = json!({"metadata": {"finalizers": ["b"]}});
        // New items go before the live ones the patch does not mention (apimachinery's ordering).
        assert_eq!(smp(&object, &patch), Ok(json!({"metadata": {"finalizers": ["b", "a"]}})));
        assert_eq!(merged(&object, &patch), json!({"metadata": {"finalizers": ["b"]}}));
        let again = json!({"metadata": {"finalizers": ["a", "b"]}});
        assert_eq!(smp(&object, &again), Ok(json!({"metadata": {"finalizers": ["a", "b"]}})));
    }

    #[test]
    fn smp_updates_one_container_where_merge_patch_replaces_the_list() {
        let object = deployment();
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:v2"}]}}}});
        let result = smp(&object, &patch);
        let containers = result.as_ref().map(|v| v["spec"]["template"]["spec"]["containers"].clone());
        let mut expected = object["spec"]["template"]["spec"]["containers"].clone();
        expected[0]["image"] = json!("web:v2");
        assert_eq!(containers, Ok(expected));
        let replaced = merged(&object, &patch);
        assert_eq!(replaced["spec"]["template"]["spec"]["containers"], json!([{"name": "web", "image": "web:v2"}]));
    }

    #[test]
    fn smp_delete_directive_removes_one_env_var_by_name() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "env": [{"name": "DEBUG", "$patch": "delete"}]}
        ]}}}});
        let result = smp(&deployment(), &patch);
        let env = result.as_ref().map(|v| v["spec"]["template"]["spec"]["containers"][0]["env"].clone());
        assert_eq!(env, Ok(json!([{"name": "MODE", "value": "prod"}, {"name": "PORT", "value": "80"}])));
    }

    #[test]
    fn smp_and_merge_patch_agree_on_pod_template_annotations() {
        let patch =
            json!({"spec": {"template": {"metadata": {"annotations": {"restartedAt": "2024-01-01T00:00:00Z"}}}}});
        let object = deployment();
        let result = smp(&object, &patch);
        assert_eq!(result, Ok(merged(&object, &patch)));
        let annotations = result.as_ref().map(|v| v["spec"]["template"]["metadata"]["annotations"].clone());
        assert_eq!(annotations, Ok(json!({"team": "core", "restartedAt": "2024-01-01T00:00:00Z"})));
    }

    #[test]
    fn smp_puts_a_new_keyed_item_before_the_live_items_it_does_not_mention() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "cache", "image": "redis"}]}}}});
        let result = smp(&deployment(), &patch);
        let names: Result<Vec<Value>, _> = result.map(|v| {
            let containers = v["spec"]["template"]["spec"]["containers"].as_array().cloned().unwrap_or_default();
            containers.iter().map(|c| c["name"].clone()).collect()
        });
        assert_eq!(names, Ok(vec![json!("cache"), json!("web"), json!("sidecar")]));
    }

    #[test]
    fn smp_patch_order_wins_and_unmentioned_live_items_keep_their_place() {
        let target = json!({"spec": {"volumes": [{"name": "b"}, {"name": "c"}, {"name": "a"}]}});
        let patch = json!({"spec": {"volumes": [{"name": "a", "v": 1}, {"name": "b", "v": 2}, {"name": "d"}]}});
        assert_eq!(
            smp(&target, &patch),
            Ok(
                json!({"spec": {"volumes": [{"name": "c"}, {"name": "a", "v": 1}, {"name": "b", "v": 2}, {"name": "d"}]}})
            )
        );
        let ints = json!({"metadata": {"finalizers": ["1", "2", "3"]}});
        let reordered = json!({"metadata": {"finalizers": ["3", "1"]}});
        assert_eq!(smp(&ints, &reordered), Ok(json!({"metadata": {"finalizers": ["2", "3", "1"]}})));
    }

    #[test]
    fn smp_set_element_order_reorders_the_list() {
        let target = json!({"spec": {"volumes": [{"name": "b"}, {"name": "a"}]}});
        let patch = json!({"spec": {"$setElementOrder/volumes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
            "volumes": [{"name": "c", "x": 1}]}});
        assert_eq!(
            smp(&target, &patch),
            Ok(json!({"spec": {"volumes": [{"name": "a"}, {"name": "b"}, {"name": "c", "x": 1}]}}))
        );
        let finalizers = json!({"metadata": {"finalizers": ["b", "e", "a", "c"]}});
        let kubectl = json!({"metadata": {"$setElementOrder/finalizers": ["a", "b", "f"],
            "$deleteFromPrimitiveList/finalizers": ["c"], "finalizers": ["f"]}});
        assert_eq!(smp(&finalizers, &kubectl), Ok(json!({"metadata": {"finalizers": ["e", "a", "b", "f"]}})));
    }

    #[test]
    fn smp_set_element_order_must_agree_with_the_patch_list() {
        let target = json!({"spec": {"volumes": [{"name": "a"}, {"name": "b"}]}});
        let patch = json!({"spec": {"$setElementOrder/volumes": [{"name": "a"}, {"name": "b"}],
            "volumes": [{"name": "b", "x": 1}, {"name": "a", "x": 2}]}});
        assert!(is_malformed(&smp(&target, &patch)));
        let bad_key = json!({"spec": {"$setElementOrdervolumes": []}});
        assert!(is_malformed(&smp(&target, &bad_key)));
    }

    #[test]
    fn smp_delete_from_primitive_list_removes_values_from_any_list() {
        let target = json!({"metadata": {"finalizers": ["a", "b", "c"]}, "spec": {"args": ["-v", "-q"]}});
        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "z"]},
            "spec": {"$deleteFromPrimitiveList/args": ["-q"], "$deleteFromPrimitiveList/missing": ["x"]}});
        assert_eq!(smp(&target, &patch), Ok(json!({"metadata": {"finalizers": ["a", "c"]}, "spec": {"args": ["-v"]}})));
        let bad = json!({"$deleteFromPrimitiveListfinalizers": ["a"]});
        assert!(is_malformed(&smp(&target, &bad)));
    }

    #[test]
    fn smp_replace_directive_item_replaces_the_list_with_the_other_items() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"$patch": "replace"}, {"name": "only", "image": "x"}
        ]}}}});
        let result = smp(&deployment(), &patch);
        let containers = result.as_ref().map(|v| v["spec"]["template"]["spec"]["containers"].clone());
        assert_eq!(containers, Ok(json!([{"name": "only", "image": "x"}])));
        let emptied = json!({"spec": {"volumes": [{"$patch": "replace"}]}});
        assert_eq!(smp(&json!({"spec": {"volumes": [{"name": "a"}]}}), &emptied), Ok(json!({"spec": {"volumes": []}})));
    }

    #[test]
    fn smp_replace_directive_on_a_map_replaces_it_and_delete_empties_it() {
        let target = json!({"metadata": {"labels": {"app": "api", "tier": "web"}, "annotations": {"a": "1"}}});
        let patch =
            json!({"metadata": {"labels": {"$patch": "replace", "app": "new"}, "annotations": {"$patch": "delete"}}});
        assert_eq!(smp(&target, &patch), Ok(json!({"metadata": {"labels": {"app": "new"}, "annotations": {}}})));
    }

    #[test]
    fn smp_retain_keys_drops_the_keys_it_does_not_list() {
        let target = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        assert_eq!(smp(&target, &patch), Ok(json!({"spec": {"strategy": {"type": "Recreate"}}})));
        let unlisted = json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 2}}}});
        assert!(is_malformed(&smp(&target, &unlisted)));
        let not_a_list = json!({"spec": {"strategy": {"$retainKeys": "type"}}});
        assert!(is_malformed(&smp(&target, &not_a_list)));
    }

    #[test]
    fn smp_unknown_or_merge_directives_are_malformed() {
        let object = deployment();
        let on_map = json!({"metadata": {"$patch": "merge", "name": "x"}});
        let on_item = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "$patch": "merge"}]}}}});
        let unknown = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "$patch": "erase"}]}}}});
        for patch in [on_map, on_item, unknown] {
            assert!(is_malformed(&smp(&object, &patch)), "{patch}");
        }
    }

    #[test]
    fn smp_merge_keyed_item_without_its_key_is_malformed() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}});
        assert!(is_malformed(&smp(&deployment(), &patch)));
        let delete = json!({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}});
        assert!(is_malformed(&smp(&deployment(), &delete)));
    }

    #[test]
    fn smp_needs_object_target_and_patch() {
        assert!(is_malformed(&smp(&json!([1]), &json!({}))));
        assert!(is_malformed(&smp(&json!({}), &json!([{"op": "add"}]))));
        assert!(is_malformed(&smp(&json!({}), &json!(null))));
    }

    #[test]
    fn smp_null_deletes_and_new_values_lose_nulls_and_directives() {
        let target = json!({"metadata": {"labels": {"app": "api"}}, "spec": {}});
        let patch = json!({
            "metadata": {"labels": null},
            "spec": {
                "strategy": {"$patch": "replace", "type": "Recreate"},
                "template": {"spec": {"volumes": [{"name": "v", "secret": null}, {"name": "gone", "$patch": "delete"}]}},
                "selector": {"matchLabels": {"app": "api", "old": null}, "$retainKeys": ["matchLabels"]}
            }
        });
        assert_eq!(
            smp(&target, &patch),
            Ok(json!({"metadata": {}, "spec": {
                "template": {"spec": {"volumes": [{"name": "v"}]}},
                "selector": {"matchLabels": {"app": "api"}}
            }}))
        );
    }

    #[test]
    fn smp_replace_strategy_lists_are_replaced_whole() {
        let target = json!({"spec": {"tolerations": [{"key": "a"}, {"key": "b"}], "args": ["x", "y"]}});
        let patch = json!({"spec": {"tolerations": [{"key": "c"}], "args": ["y"]}});
        assert_eq!(smp(&target, &patch), Ok(json!({"spec": {"tolerations": [{"key": "c"}], "args": ["y"]}})));
    }

    #[test]
    fn smp_asks_for_strategies_by_field_path_without_indices() {
        let asked = RefCell::new(Vec::new());
        let strategy = |path: &[String]| {
            asked.borrow_mut().push(path.join("."));
            pod_strategy(path)
        };
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "env": [{"name": "MODE", "value": "dev"}]}
        ]}}}});
        let result = strategic_merge_patch(&deployment(), &patch, &strategy, &no_retain_keys);
        let mode = result.as_ref().map(|v| v["spec"]["template"]["spec"]["containers"][0]["env"][0].clone());
        assert_eq!(mode, Ok(json!({"name": "MODE", "value": "dev"})));
        assert_eq!(
            asked.into_inner(),
            vec!["spec.template.spec.containers".to_owned(), "spec.template.spec.containers.env".to_owned()]
        );
    }

    #[test]
    fn smp_lists_of_lists_fail_and_mixed_lists_are_malformed() {
        let nested = json!({"metadata": {"finalizers": [["a"]]}});
        assert!(is_failed(&smp(&nested, &json!({"metadata": {"finalizers": [["b"]]}}))));
        let mixed = json!({"metadata": {"finalizers": ["a"]}});
        assert!(is_malformed(&smp(&mixed, &json!({"metadata": {"finalizers": [1]}}))));
    }

    #[test]
    fn patch_error_display_names_the_failure_class() {
        assert_eq!(PatchError::Malformed("x".to_owned()).to_string(), "malformed patch: x");
        assert_eq!(PatchError::Failed("y".to_owned()).to_string(), "patch could not be applied: y");
    }
}
