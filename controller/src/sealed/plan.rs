//! The pure decision core of the SealedSecret reconciler (reference: sealed-secrets §4.3–§4.5,
//! §3.2): objects in, a [`Plan`] out, no I/O.
//!
//! [`plan()`] unseals the SealedSecret, builds the desired Secret and compares it with the existing
//! one; [`status_update`] computes the status to write for an outcome.
//!
//! Plaintext handling: decrypted values and rendered template output stay in [`SecretSlice`]
//! (template context strings are zeroized after rendering) until `secret_from_plaintext`, the
//! only function in the crate that copies plaintext into a `k8s::Secret`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use kubeseal_crds::annotations;
use kubeseal_crds::k8s::{ByteString, ObjectMeta, OwnerReference, Secret, Time};
use kubeseal_crds::sealed_secret::CONDITION_SYNCED;
use kubeseal_crds::{SealedSecret, SealedSecretCondition, SealedSecretStatus};
use kubeseal_sealing::{Fingerprint, KeyRef, KeyRing, Label, Scope};
use kubeseal_template::{FunctionSet, Options, Template, Value};
use secrecy::{ExposeSecret, SecretSlice};
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;

/// apiVersion of the SealedSecret kind, used in the produced Secret's ownerReference.
pub const API_VERSION: &str = "bitnami.com/v1alpha1";
/// Kind used in the produced Secret's ownerReference.
pub const KIND: &str = "SealedSecret";

/// Event reason for a successful pass (Normal).
pub const REASON_UNSEALED: &str = "Unsealed";
/// Event reason when unsealing failed (Warning).
pub const REASON_UNSEAL_FAILED: &str = "ErrUnsealFailed";
/// Event reason when the Secret could not be written (Warning), including the ownership gate.
pub const REASON_UPDATE_FAILED: &str = "ErrUpdateFailed";
/// Event message of a successful pass, emitted on every success as upstream does.
pub const MESSAGE_UNSEALED: &str = "SealedSecret unsealed successfully";

/// The type the API server gives a Secret created without one.
const DEFAULT_SECRET_TYPE: &str = "Opaque";

/// Upstream's error text when `spec.data` is present and `--accept-deprecated-v1-data` is off.
const DEPRECATED_DATA_REFUSED: &str = "using deprecated 'data' field, use 'encryptedData' or flip the feature flag";
/// When `spec.data` and a non-empty `encryptedData` are both set.
const BOTH_DATA_FIELDS: &str = "SealedSecret sets both the deprecated 'data' field and 'encryptedData'";
/// When the legacy payload decrypts but is not a Secret. Deliberately not serde's message, which
/// can quote the offending (plaintext) token.
const LEGACY_NOT_A_SECRET: &str = "deprecated 'data' field does not hold a valid Secret";

/// Replaces a template error text that would quote a decrypted value.
const TEMPLATE_ERROR_WITHHELD: &str = "execution failed; error text withheld because it can contain secret values";

/// Behaviour switches, from the controller flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--accept-deprecated-v1-data` (upstream default true): accept legacy `spec.data`
    /// (reference §1.4). When false, any `spec.data` fails with upstream's "deprecated" message.
    pub allow_legacy_data: bool,
    /// `--update-status` (upstream default true). [`plan()`] does not read it; the reconcile step
    /// calls [`status_update`] only when it is set.
    pub update_status: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self { allow_legacy_data: true, update_status: true }
    }
}

/// Everything the plan needs, already fetched.
pub struct Inputs<'a> {
    /// The SealedSecret being reconciled (from the cache).
    pub sealed: &'a SealedSecret,
    /// The Secret with the same namespace and name, fetched from the API; `None` if absent.
    pub existing: Option<&'a Secret>,
    /// The controller's private keys.
    pub keys: &'a KeyRing,
    /// The RSA key that opened this object last time, tried first.
    pub hint: Option<&'a Fingerprint>,
    /// Flags.
    pub options: &'a PlanOptions,
}

/// Namespace/name of an object, for `Debug` output that must not show contents.
struct ObjectName<'a>(&'a ObjectMeta);

impl fmt::Debug for ObjectName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.namespace.as_deref().unwrap_or("");
        let name = self.0.name.as_deref().unwrap_or("");
        write!(f, "{ns}/{name}")
    }
}

impl fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inputs")
            .field("sealed", &ObjectName(&self.sealed.metadata))
            .field("existing", &self.existing.map(|s| ObjectName(&s.metadata)))
            .field("keys", self.keys)
            .field("hint", &self.hint)
            .field("options", self.options)
            .finish()
    }
}

/// What the reconcile step must do.
pub enum Plan {
    /// Create or update the Secret.
    Write {
        /// The complete desired Secret. On update it is a copy of the existing object (so it
        /// keeps `resourceVersion`, `immutable`, finalizers, ...) with data, labels, annotations,
        /// ownerReferences and type set as upstream does, patch-mode merging already applied;
        /// send it as is (CREATE when `create`, else UPDATE). Boxed: it dwarfs the other variants.
        secret: Box<Secret>,
        /// No Secret existed: CREATE instead of UPDATE.
        create: bool,
        /// The existing Secret carries `patch: "true"`: unsealed keys, labels and annotations were
        /// merged over the existing ones instead of replacing them.
        merge: bool,
        /// The key that opened the values; an RSA fingerprint is the next pass's hint.
        opened_with: Option<KeyRef>,
    },
    /// The existing Secret already equals the desired one; write nothing.
    Unchanged {
        /// The key that opened the values; an RSA fingerprint is the next pass's hint.
        opened_with: Option<KeyRef>,
    },
    /// The Secret exists and is not ours to change (ownership gate, §4.3 step 7).
    Refuse {
        /// The status condition message (upstream's `failed update: ...` text).
        condition_message: String,
        /// Warning event reason, `ErrUpdateFailed`.
        event_reason: &'static str,
        /// Warning event message.
        event_message: String,
    },
    /// Unsealing failed (§4.3 step 5).
    Fail {
        /// The status condition message: the grouped error text.
        condition_message: String,
        /// Warning event reason, `ErrUnsealFailed`.
        event_reason: &'static str,
        /// Warning event message, `Failed to unseal: <error text>`.
        event_message: String,
    },
}

/// The event a plan's outcome calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanEvent<'a> {
    /// Warning (true) or Normal.
    pub warning: bool,
    /// The event reason.
    pub reason: &'static str,
    /// The event message.
    pub message: &'a str,
}

impl Plan {
    /// The reconciler error this outcome represents, if any.
    pub fn error(&self) -> Option<Error> {
        match self {
            Plan::Write { .. } | Plan::Unchanged { .. } => None,
            Plan::Refuse { .. } => Some(Error::Unmanaged),
            Plan::Fail { .. } => Some(Error::Unseal),
        }
    }

    /// The event to emit. Success emits `Unsealed` on every pass, even when nothing changed, as
    /// upstream does. For `Write`, a failed write replaces this with `ErrUpdateFailed`.
    pub fn event(&self) -> PlanEvent<'_> {
        match self {
            Plan::Write { .. } | Plan::Unchanged { .. } => {
                PlanEvent { warning: false, reason: REASON_UNSEALED, message: MESSAGE_UNSEALED }
            }
            Plan::Refuse { event_reason, event_message, .. } | Plan::Fail { event_reason, event_message, .. } => {
                PlanEvent { warning: true, reason: event_reason, message: event_message }
            }
        }
    }

    /// The key that opened the values, when unsealing succeeded.
    pub fn opened_with(&self) -> Option<&KeyRef> {
        match self {
            Plan::Write { opened_with, .. } | Plan::Unchanged { opened_with } => opened_with.as_ref(),
            Plan::Refuse { .. } | Plan::Fail { .. } => None,
        }
    }
}

/// A Secret's shape without its values: name, type and data keys with sizes.
struct SecretSummary<'a>(&'a Secret);

impl fmt::Debug for SecretSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data: BTreeMap<&str, String> =
            self.0.data.iter().flatten().map(|(k, v)| (k.as_str(), format!("<{} bytes>", v.0.len()))).collect();
        f.debug_struct("Secret")
            .field("name", &ObjectName(&self.0.metadata))
            .field("type", &self.0.type_)
            .field("data", &data)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plan::Write { secret, create, merge, opened_with } => f
                .debug_struct("Write")
                .field("secret", &SecretSummary(secret))
                .field("create", create)
                .field("merge", merge)
                .field("opened_with", opened_with)
                .finish(),
            Plan::Unchanged { opened_with } => f.debug_struct("Unchanged").field("opened_with", opened_with).finish(),
            Plan::Refuse { condition_message, event_reason, event_message } => f
                .debug_struct("Refuse")
                .field("condition_message", condition_message)
                .field("event_reason", event_reason)
                .field("event_message", event_message)
                .finish(),
            Plan::Fail { condition_message, event_reason, event_message } => f
                .debug_struct("Fail")
                .field("condition_message", condition_message)
                .field("event_reason", event_reason)
                .field("event_message", event_message)
                .finish(),
        }
    }
}

/// Decides what to do with one SealedSecret.
pub fn plan(inputs: &Inputs) -> Plan {
    let sealed = inputs.sealed;
    let (plaintext, opened_with) = match unseal(inputs) {
        Ok(unsealed) => unsealed,
        Err(message) => {
            return Plan::Fail {
                event_message: format!("Failed to unseal: {message}"),
                condition_message: message,
                event_reason: REASON_UNSEAL_FAILED,
            };
        }
    };
    let unsealed = match secret_from_plaintext(sealed, plaintext) {
        Ok(secret) => secret,
        Err(message) => {
            return Plan::Fail {
                event_message: format!("Failed to unseal: {message}"),
                condition_message: message.to_string(),
                event_reason: REASON_UNSEAL_FAILED,
            };
        }
    };
    let Some(existing) = inputs.existing else {
        return Plan::Write { secret: Box::new(unsealed), create: true, merge: false, opened_with };
    };

    let existing_annotations = existing.metadata.annotations.as_ref();
    let managed = annotations::is_true(existing_annotations, annotations::MANAGED);
    let patch = annotations::is_true(existing_annotations, annotations::PATCH);
    if !is_controlled_by(existing, sealed) && !managed && !patch {
        let name = sealed.metadata.name.as_deref().unwrap_or("");
        let message = format!("Resource {name:?} already exists and is not managed by SealedSecret");
        return Plan::Refuse {
            condition_message: format!("failed update: {message}"),
            event_reason: REASON_UPDATE_FAILED,
            event_message: message,
        };
    }

    let desired = desired_update(existing, unsealed, patch, managed);
    if normalized(&desired) == normalized(existing) {
        Plan::Unchanged { opened_with }
    } else {
        Plan::Write { secret: Box::new(desired), create: false, merge: patch, opened_with }
    }
}

/// Upstream's update rules (§4.3 step 8), applied to a copy of the existing Secret. `immutable`
/// and finalizers come from the existing object: they are applied at creation only.
fn desired_update(existing: &Secret, unsealed: Secret, patch: bool, managed: bool) -> Secret {
    let mut desired = existing.clone();
    let Secret { data, metadata, type_, .. } = unsealed;
    if patch {
        merge_into(&mut desired.data, data);
        merge_into(&mut desired.metadata.labels, metadata.labels);
        merge_into(&mut desired.metadata.annotations, metadata.annotations);
        if managed {
            desired.metadata.owner_references = metadata.owner_references;
        }
    } else {
        desired.data = data;
        desired.metadata.labels = metadata.labels;
        desired.metadata.annotations = metadata.annotations;
        desired.metadata.owner_references = metadata.owner_references;
    }
    // An empty template type means what the API server defaults it to, so that an unchanged
    // Opaque Secret compares equal instead of being rewritten on every pass.
    desired.type_ = Some(type_.filter(|t| !t.is_empty()).unwrap_or_else(|| DEFAULT_SECRET_TYPE.to_string()));
    desired
}

fn merge_into<V>(target: &mut Option<BTreeMap<String, V>>, source: Option<BTreeMap<String, V>>) {
    if let Some(source) = source {
        target.get_or_insert_with(BTreeMap::new).extend(source);
    }
}

/// A copy for semantic comparison: as Kubernetes' `equality.Semantic`, an empty map or list
/// equals an absent one.
fn normalized(secret: &Secret) -> Secret {
    let mut s = secret.clone();
    fn drop_empty_map<V>(m: &mut Option<BTreeMap<String, V>>) {
        if m.as_ref().is_some_and(BTreeMap::is_empty) {
            *m = None;
        }
    }
    drop_empty_map(&mut s.data);
    drop_empty_map(&mut s.string_data);
    drop_empty_map(&mut s.metadata.labels);
    drop_empty_map(&mut s.metadata.annotations);
    if s.metadata.owner_references.as_ref().is_some_and(Vec::is_empty) {
        s.metadata.owner_references = None;
    }
    if s.metadata.finalizers.as_ref().is_some_and(Vec::is_empty) {
        s.metadata.finalizers = None;
    }
    s
}

/// Whether the Secret's controller ownerReference points at this SealedSecret (by UID, as
/// `metav1.IsControlledBy`).
fn is_controlled_by(secret: &Secret, sealed: &SealedSecret) -> bool {
    let Some(uid) = sealed.metadata.uid.as_deref() else {
        return false;
    };
    secret.metadata.owner_references.iter().flatten().any(|r| r.controller == Some(true) && r.uid == uid)
}

/// The ownerReference upstream puts on produced Secrets (§4.4): controller, no
/// `blockOwnerDeletion`.
fn owner_reference(sealed: &SealedSecret) -> OwnerReference {
    OwnerReference {
        api_version: API_VERSION.to_string(),
        kind: KIND.to_string(),
        name: sealed.metadata.name.clone().unwrap_or_default(),
        uid: sealed.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: None,
    }
}

/// The OAEP label / HPKE info, from the SealedSecret's own namespace, name and TOP-LEVEL
/// annotations (never the template's).
pub(crate) fn label_for(sealed: &SealedSecret) -> Label {
    let annotations = sealed.metadata.annotations.as_ref();
    let get = |key: &str| annotations.and_then(|a| a.get(key)).map(String::as_str);
    let scope = Scope::from_annotation_values(get(annotations::CLUSTER_WIDE), get(annotations::NAMESPACE_WIDE));
    scope.label(sealed.metadata.namespace.as_deref().unwrap_or(""), sealed.metadata.name.as_deref().unwrap_or(""))
}

/// Decrypted material, before it becomes a Secret.
enum Plaintext {
    /// `encryptedData` values and rendered `template.data`, by key.
    Items(BTreeMap<String, SecretSlice<u8>>),
    /// Legacy `spec.data`: a whole v1 Secret as JSON.
    LegacySecretJson(SecretSlice<u8>),
}

/// Errors grouped as upstream's `multierror.Uniq` + inline formatter: one line per distinct
/// message, `<message> (<key1>, <key2>)`, lines joined by newline. Upstream's key (and group)
/// order follows Go map iteration and is random; here keys are sorted, and groups ordered by
/// message, so the status message is stable and does not churn.
#[derive(Default)]
struct GroupedErrors(BTreeMap<String, BTreeSet<String>>);

impl GroupedErrors {
    fn add(&mut self, key: &str, message: impl fmt::Display) {
        self.0.entry(message.to_string()).or_default().insert(key.to_string());
    }

    fn into_result(self) -> Result<(), String> {
        if self.0.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = self
            .0
            .into_iter()
            .map(|(message, keys)| format!("{message} ({})", keys.into_iter().collect::<Vec<_>>().join(", ")))
            .collect();
        Err(lines.join("\n"))
    }
}

/// Opens every value and renders the templates (§4.5 steps 1–6). The error is the grouped text.
fn unseal(inputs: &Inputs) -> Result<(Plaintext, Option<KeyRef>), String> {
    let sealed = inputs.sealed;
    let spec = &sealed.spec;
    let label = label_for(sealed);
    let mut hint = inputs.hint.cloned();
    let mut opened_with = None;

    if let Some(data) = &spec.data {
        if !inputs.options.allow_legacy_data {
            return Err(DEPRECATED_DATA_REFUSED.to_string());
        }
        if !spec.encrypted_data.is_empty() {
            return Err(BOTH_DATA_FIELDS.to_string());
        }
        let opened = inputs.keys.open(&label, &data.0, hint.as_ref()).map_err(|e| e.to_string())?;
        return Ok((Plaintext::LegacySecretJson(opened.plaintext), Some(opened.key)));
    }

    let mut errors = GroupedErrors::default();
    let mut items: BTreeMap<String, SecretSlice<u8>> = BTreeMap::new();
    for (key, text) in &spec.encrypted_data {
        // Decodes the base64 (error tagged with the key, like decryption errors), then opens.
        match inputs.keys.open_base64(&label, text, hint.as_ref()) {
            Ok(opened) => {
                if let KeyRef::Rsa(fp) = &opened.key {
                    hint = Some(fp.clone());
                }
                if opened_with.is_none() || matches!(opened.key, KeyRef::Rsa(_)) {
                    opened_with = Some(opened.key);
                }
                items.insert(key.clone(), opened.plaintext);
            }
            Err(e) => errors.add(key, e),
        }
    }

    if let Some(templates) = spec.template.data.as_ref().filter(|t| !t.is_empty()) {
        render_templates(templates, &spec.encrypted_data, &mut items, &mut errors);
    }

    errors.into_result()?;
    Ok((Plaintext::Items(items), opened_with))
}

/// Renders `template.data` (§4.5 steps 4–5) over the decrypted values plus the raw template
/// texts of keys not in `encryptedData`. Keys also present in `encryptedData` are not rendered:
/// the encrypted value wins (upstream since v0.37.0).
fn render_templates(
    templates: &BTreeMap<String, String>,
    encrypted: &BTreeMap<String, String>,
    items: &mut BTreeMap<String, SecretSlice<u8>>,
    errors: &mut GroupedErrors,
) {
    let options = Options { string_maps: true, ..Options::default() };
    let funcs = FunctionSet::sprig();
    // Go's `string(bytes)`; invalid UTF-8 is replaced, the closest a Rust string can get.
    let decrypted: Vec<(String, Zeroizing<String>)> = items
        .iter()
        .map(|(k, v)| (k.clone(), Zeroizing::new(String::from_utf8_lossy(v.expose_secret()).into_owned())))
        .collect();
    let mut context: BTreeMap<String, String> =
        decrypted.iter().map(|(k, v)| (k.clone(), v.as_str().to_owned())).collect();
    for (key, text) in templates {
        context.entry(key.clone()).or_insert_with(|| text.clone());
    }
    let context = Value::string_map(context);

    let mut rendered = BTreeMap::new();
    for (key, text) in templates.iter().filter(|(k, _)| !encrypted.contains_key(*k)) {
        let template = match Template::parse(key, text, &options, &funcs) {
            Ok(t) => t,
            Err(e) => {
                // A parse error describes the template text, which is in the SealedSecret anyway.
                errors.add(key, e.to_string());
                continue;
            }
        };
        match template.render(&context) {
            Ok(out) => {
                rendered.insert(key.clone(), SecretSlice::from(out.into_bytes()));
            }
            Err(_) => {
                // An execution error can carry a decrypted value in any disguise (`fail`,
                // `required`, a conversion error quoting its input, after `b64enc` or `upper`),
                // and the condition message is readable by anyone who can read the SealedSecret:
                // its text is never passed on.
                errors.add(key, format!("template: {key}: {TEMPLATE_ERROR_WITHHELD}"));
            }
        }
    }
    wipe(context);
    items.extend(rendered);
}

/// Zeroizes the strings of a template context.
fn wipe(value: Value) {
    if let Value::Map(map) = value {
        for (_, mut v) in map {
            if let Value::String(s) = &mut v {
                s.zeroize();
            }
        }
    }
}

/// THE ONLY PLACE plaintext becomes a `k8s::Secret` (STYLE.md, secret hygiene rule 2). Review
/// every change here.
///
/// Builds the Secret upstream's `Unseal` returns (§4.5 steps 2, 7; §1.4): metadata is a deep
/// copy of `spec.template.metadata` (legacy: the decrypted Secret's), `type` and `immutable` from
/// the template, namespace and name forced to the SealedSecret's, and the controller
/// ownerReference unless the template annotates `skip-set-owner-references: "true"` (then the
/// template's own ownerReferences are kept as they are). Errors carry no value.
fn secret_from_plaintext(sealed: &SealedSecret, plaintext: Plaintext) -> Result<Secret, &'static str> {
    let template = &sealed.spec.template;
    let mut secret = match plaintext {
        Plaintext::Items(items) => Secret {
            metadata: template.metadata.clone().unwrap_or_default(),
            type_: template.type_.clone().filter(|t| !t.is_empty()),
            immutable: template.immutable,
            data: Some(items.iter().map(|(k, v)| (k.clone(), ByteString(v.expose_secret().to_vec()))).collect()),
            string_data: None,
        },
        Plaintext::LegacySecretJson(json) => {
            serde_json::from_slice::<Secret>(json.expose_secret()).map_err(|_| LEGACY_NOT_A_SECRET)?
        }
    };
    secret.metadata.namespace = sealed.metadata.namespace.clone();
    secret.metadata.name = sealed.metadata.name.clone();
    let template_annotations = template.metadata.as_ref().and_then(|m| m.annotations.as_ref());
    if !annotations::is_true(template_annotations, annotations::SKIP_SET_OWNER_REFERENCES) {
        secret.metadata.owner_references = Some(vec![owner_reference(sealed)]);
    }
    Ok(secret)
}

/// The status to write for `outcome` (§3.2), or `None` when nothing would change: upstream
/// persists only when the `Synced` condition's status flips or `observedGeneration` differs
/// (message-only changes are not written, which also keeps Argo CD from waking up).
///
/// One condition, `Synced`: `"True"` with no message on success, `"False"` with the condition
/// message otherwise; `reason` is never set. `lastUpdateTime` is `now`, `lastTransitionTime`
/// is `now` when the status flips (or the condition is new) and kept otherwise.
/// `observedGeneration` is the SealedSecret's `metadata.generation`, the staleness guard Flux
/// (kstatus) and `kubectl wait` rely on. Other conditions are kept as they are.
pub fn status_update(sealed: &SealedSecret, outcome: &Plan, now: &Time) -> Option<SealedSecretStatus> {
    let failure = match outcome {
        Plan::Write { .. } | Plan::Unchanged { .. } => None,
        Plan::Refuse { condition_message, .. } | Plan::Fail { condition_message, .. } => {
            Some(condition_message.as_str())
        }
    };
    status_for(sealed, failure, now)
}

/// [`status_update`] for an outcome given as `None` (synced) or the failure's condition message;
/// the reconcile step uses it for failures the plan cannot know about (a Secret write the API
/// server refused).
pub fn status_for(sealed: &SealedSecret, failure: Option<&str>, now: &Time) -> Option<SealedSecretStatus> {
    let (status, message) = match failure {
        None => ("True", None),
        Some(message) => ("False", Some(message.to_string())),
    };
    let mut next = sealed.status.clone().unwrap_or_default();
    let generation = sealed.metadata.generation;
    let index = next.conditions.iter().position(|c| c.type_ == CONDITION_SYNCED);
    let previous = index.map(|i| &next.conditions[i]);
    let same_status = previous.is_some_and(|c| c.status == status);
    if same_status && next.observed_generation == generation {
        return None;
    }
    let last_transition_time =
        if same_status { previous.and_then(|c| c.last_transition_time.clone()) } else { Some(now.clone()) };
    let condition = SealedSecretCondition {
        type_: CONDITION_SYNCED.to_string(),
        status: status.to_string(),
        last_update_time: Some(now.clone()),
        last_transition_time,
        reason: None,
        message,
    };
    match index {
        Some(i) => next.conditions[i] = condition,
        None => next.conditions.push(condition),
    }
    next.observed_generation = generation;
    Some(next)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::SystemTime;

    use base64::Engine as _;
    use kubeseal_crds::SealedSecretSpec;
    use kubeseal_crds::k8s::jiff::Timestamp;
    use kubeseal_sealing::{Recipient, RsaKeySize, RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey};

    use super::*;

    const NS: &str = "myns";
    const NAME: &str = "myname";
    const UID: &str = "11111111-2222-3333-4444-555555555555";
    const MARKER: &str = "PLAINTEXT-MARKER-d41d8cd98f00";

    /// One RSA 2048 key (older) and one X25519 key, generated once for the whole test binary.
    fn ring() -> &'static KeyRing {
        static RING: OnceLock<KeyRing> = OnceLock::new();
        RING.get_or_init(|| {
            let mut ring = KeyRing::new();
            ring.add_rsa(RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap(), SystemTime::UNIX_EPOCH);
            ring.add_x25519(X25519PrivateKey::generate().unwrap(), SystemTime::UNIX_EPOCH);
            ring
        })
    }

    /// A second RSA key the ring does not hold.
    fn foreign_rsa() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| RsaPrivateKey::generate(RsaKeySize::Rsa2048).unwrap())
    }

    fn rsa() -> &'static RsaPublicKey {
        ring().rsa_keys().next().unwrap().public_key()
    }

    fn x25519() -> &'static X25519PublicKey {
        ring().x25519_keys().next().unwrap().public_key()
    }

    fn seal_with(recipient: Recipient<'_>, scope: Scope, plaintext: &str) -> String {
        recipient.seal_base64(&scope.label(NS, NAME), plaintext.as_bytes()).unwrap()
    }

    fn v1(plaintext: &str) -> String {
        seal_with(Recipient::V1(rsa()), Scope::Strict, plaintext)
    }

    fn v2(plaintext: &str) -> String {
        seal_with(Recipient::V2(x25519()), Scope::Strict, plaintext)
    }

    fn sealed_secret(encrypted: Vec<(&str, String)>) -> SealedSecret {
        let spec = SealedSecretSpec {
            encrypted_data: encrypted.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ..SealedSecretSpec::default()
        };
        let mut ss = SealedSecret::new(NAME, spec);
        ss.metadata.namespace = Some(NS.to_string());
        ss.metadata.uid = Some(UID.to_string());
        ss.metadata.generation = Some(1);
        ss
    }

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn template_meta(ss: &mut SealedSecret) -> &mut ObjectMeta {
        ss.spec.template.metadata.get_or_insert_with(ObjectMeta::default)
    }

    fn run_with(ss: &SealedSecret, existing: Option<&Secret>, options: &PlanOptions) -> Plan {
        plan(&Inputs { sealed: ss, existing, keys: ring(), hint: None, options })
    }

    fn run(ss: &SealedSecret, existing: Option<&Secret>) -> Plan {
        run_with(ss, existing, &PlanOptions::default())
    }

    /// The Secret of a Write plan.
    fn written(plan: &Plan) -> &Secret {
        match plan {
            Plan::Write { secret, .. } => secret,
            other => panic!("expected Write, got {other:?}"),
        }
    }

    fn value(secret: &Secret, key: &str) -> String {
        String::from_utf8(secret.data.as_ref().unwrap()[key].0.clone()).unwrap()
    }

    fn fail_message(plan: &Plan) -> &str {
        match plan {
            Plan::Fail { condition_message, .. } => condition_message,
            other => panic!("expected Fail, got {other:?}"),
        }
    }

    /// What the API server returns after creating `secret`.
    fn as_stored(mut secret: Secret) -> Secret {
        secret.metadata.resource_version = Some("42".to_string());
        secret.metadata.uid = Some("secret-uid".to_string());
        secret.type_.get_or_insert_with(|| "Opaque".to_string());
        secret
    }

    fn foreign_secret(annotations: &[(&str, &str)]) -> Secret {
        Secret {
            metadata: ObjectMeta {
                namespace: Some(NS.to_string()),
                name: Some(NAME.to_string()),
                resource_version: Some("7".to_string()),
                annotations: Some(map(annotations)),
                labels: Some(map(&[("foreign", "label")])),
                owner_references: Some(vec![OwnerReference {
                    api_version: "v1".to_string(),
                    kind: "ConfigMap".to_string(),
                    name: "other".to_string(),
                    uid: "other-uid".to_string(),
                    controller: Some(true),
                    block_owner_deletion: None,
                }]),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".to_string()),
            data: Some(
                [("foreign", "kept?"), ("password", "old")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            ..Secret::default()
        }
    }

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).unwrap())
    }

    // --- unsealing -------------------------------------------------------------------------

    #[test]
    fn v1_and_v2_values_are_both_unsealed_into_a_new_secret() {
        let ss = sealed_secret(vec![("user", v1("admin")), ("password", v2("hunter2"))]);
        let plan = run(&ss, None);
        let Plan::Write { secret, create, merge, .. } = &plan else { panic!("{plan:?}") };
        assert!(create);
        assert!(!merge);
        assert_eq!(value(secret, "user"), "admin");
        assert_eq!(value(secret, "password"), "hunter2");
        assert_eq!(secret.metadata.namespace.as_deref(), Some(NS));
        assert_eq!(secret.metadata.name.as_deref(), Some(NAME));
        assert_eq!(plan.error(), None);
        assert_eq!(plan.event().reason, "Unsealed");
        assert_eq!(plan.event().message, "SealedSecret unsealed successfully");
    }

    #[test]
    fn the_rsa_key_that_opened_a_value_is_reported_for_the_hint_cache() {
        let ss = sealed_secret(vec![("a", v1("x")), ("b", v2("y"))]);
        let plan = run(&ss, None);
        assert_eq!(plan.opened_with(), Some(&KeyRef::Rsa(rsa().fingerprint().clone())));
        let v2_only = sealed_secret(vec![("b", v2("y"))]);
        assert_eq!(run(&v2_only, None).opened_with(), Some(&KeyRef::X25519(x25519().key_id())));
    }

    #[test]
    fn a_hint_naming_an_unknown_key_still_unseals() {
        let ss = sealed_secret(vec![("a", v1("x"))]);
        let hint = Fingerprint::from_string("SHA256:not-a-key");
        let options = PlanOptions::default();
        let plan = plan(&Inputs { sealed: &ss, existing: None, keys: ring(), hint: Some(&hint), options: &options });
        assert_eq!(value(written(&plan), "a"), "x");
    }

    #[test]
    fn scope_comes_from_top_level_annotations_and_template_annotations_are_ignored() {
        for (scope, annotation) in
            [(Scope::NamespaceWide, annotations::NAMESPACE_WIDE), (Scope::ClusterWide, annotations::CLUSTER_WIDE)]
        {
            let encrypted = vec![("k", seal_with(Recipient::V1(rsa()), scope, "v"))];

            let mut top = sealed_secret(encrypted.clone());
            top.metadata.annotations = Some(map(&[(annotation, "true")]));
            assert_eq!(value(written(&run(&top, None)), "k"), "v", "{scope}");

            let mut template_only = sealed_secret(encrypted.clone());
            template_meta(&mut template_only).annotations = Some(map(&[(annotation, "true")]));
            assert_eq!(fail_message(&run(&template_only, None)), "no key could decrypt secret (k)", "{scope}");

            let mut not_exactly_true = sealed_secret(encrypted);
            not_exactly_true.metadata.annotations = Some(map(&[(annotation, "True")]));
            assert_eq!(fail_message(&run(&not_exactly_true, None)), "no key could decrypt secret (k)");
        }
    }

    #[test]
    fn a_strict_value_moved_to_another_name_does_not_unseal() {
        let mut ss = sealed_secret(vec![("k", v1("v"))]);
        ss.metadata.name = Some("renamed".to_string());
        assert_eq!(fail_message(&run(&ss, None)), "no key could decrypt secret (k)");
    }

    #[test]
    fn errors_are_grouped_by_message_with_keys_sorted_and_base64_errors_tagged_with_their_key() {
        let foreign = seal_with(Recipient::V1(foreign_rsa().public_key()), Scope::Strict, "v");
        let ss = sealed_secret(vec![
            ("zeta", foreign.clone()),
            ("alpha", foreign.clone()),
            ("mid", foreign),
            ("bad", "not base64!".to_string()),
            ("ok", v1("fine")),
        ]);
        let plan = run(&ss, None);
        assert_eq!(
            fail_message(&plan),
            "no key could decrypt secret (alpha, mid, zeta)\nsealed value is not valid base64 (bad)"
        );
        let Plan::Fail { event_reason, event_message, .. } = &plan else { unreachable!() };
        assert_eq!(*event_reason, "ErrUnsealFailed");
        assert_eq!(
            event_message,
            "Failed to unseal: no key could decrypt secret (alpha, mid, zeta)\nsealed value is not valid base64 (bad)"
        );
        assert_eq!(plan.error(), Some(Error::Unseal));
        assert!(plan.event().warning);
    }

    #[test]
    fn an_empty_key_ring_fails_every_value() {
        let ss = sealed_secret(vec![("b", v1("x")), ("a", v2("y"))]);
        let options = PlanOptions::default();
        let empty = KeyRing::new();
        let plan = plan(&Inputs { sealed: &ss, existing: None, keys: &empty, hint: None, options: &options });
        assert_eq!(fail_message(&plan), "no key could decrypt secret (a, b)");
    }

    // --- template ------------------------------------------------------------------------------

    #[test]
    fn secret_metadata_type_and_immutable_come_from_the_template_with_namespace_and_name_forced() {
        let mut ss = sealed_secret(vec![("k", v1("v"))]);
        {
            let meta = template_meta(&mut ss);
            meta.name = Some("other-name".to_string());
            meta.namespace = Some("other-ns".to_string());
            meta.labels = Some(map(&[("app", "web")]));
            meta.annotations = Some(map(&[("note", "kept")]));
            meta.finalizers = Some(vec!["example.com/keep".to_string()]);
        }
        ss.spec.template.type_ = Some("kubernetes.io/basic-auth".to_string());
        ss.spec.template.immutable = Some(true);
        let plan = run(&ss, None);
        let secret = written(&plan);
        assert_eq!(secret.metadata.namespace.as_deref(), Some(NS));
        assert_eq!(secret.metadata.name.as_deref(), Some(NAME));
        assert_eq!(secret.metadata.labels, Some(map(&[("app", "web")])));
        assert_eq!(secret.metadata.annotations, Some(map(&[("note", "kept")])));
        assert_eq!(secret.metadata.finalizers, Some(vec!["example.com/keep".to_string()]));
        assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/basic-auth"));
        assert_eq!(secret.immutable, Some(true));
    }

    #[test]
    fn template_data_is_rendered_with_sprig_over_decrypted_values_and_raw_template_entries() {
        let mut ss = sealed_secret(vec![("user", v1("admin")), ("password", v2("s3cret"))]);
        ss.spec.template.data = Some(map(&[
            ("url", "postgres://{{ .user }}:{{ .password | b64enc }}@db"),
            ("host", "db.example"),
            ("dsn", "{{ index . \"host\" | upper }}/{{ .missing }}"),
        ]));
        let plan = run(&ss, None);
        let secret = written(&plan);
        let b64 = base64::engine::general_purpose::STANDARD.encode("s3cret");
        assert_eq!(value(secret, "url"), format!("postgres://admin:{b64}@db"));
        assert_eq!(value(secret, "host"), "db.example");
        // Raw, unrendered template text is in the context; a missing key prints Go's `<no value>`.
        assert_eq!(value(secret, "dsn"), "DB.EXAMPLE/<no value>");
    }

    #[test]
    fn a_sealed_secret_with_only_template_data_produces_plaintext_values() {
        let mut ss = sealed_secret(vec![]);
        ss.spec.template.data = Some(map(&[("config", "{{ \"a\" | quote }}")]));
        assert_eq!(value(written(&run(&ss, None)), "config"), "\"a\"");
    }

    #[test]
    fn encrypted_values_win_over_template_output_for_the_same_key() {
        let mut ss = sealed_secret(vec![("password", v1("from-encrypted"))]);
        ss.spec.template.data = Some(map(&[("password", "from-template"), ("copy", "{{ .password }}")]));
        let plan = run(&ss, None);
        let secret = written(&plan);
        assert_eq!(value(secret, "password"), "from-encrypted");
        assert_eq!(value(secret, "copy"), "from-encrypted");
    }

    #[test]
    fn template_errors_are_tagged_with_their_key_and_join_decryption_errors() {
        let mut ss = sealed_secret(vec![("bad", "%%%".to_string())]);
        ss.spec.template.data = Some(map(&[("broken", "{{ nosuchfunc }}")]));
        let message = fail_message(&run(&ss, None)).to_string();
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 2, "{message}");
        assert!(lines.contains(&"sealed value is not valid base64 (bad)"), "{message}");
        assert!(lines.iter().any(|l| l.starts_with("template: broken:") && l.ends_with(" (broken)")), "{message}");
    }

    #[test]
    fn template_execution_errors_never_carry_their_text() {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(MARKER);
        for leak in [
            "{{ fail .password }}",
            "{{ fail (b64enc .password) }}",
            "{{ fail (upper .password) }}",
            "{{ .password | b64enc | printf \"%s!\" | fail }}",
        ] {
            let mut ss = sealed_secret(vec![("password", v1(MARKER))]);
            ss.spec.template.data = Some(map(&[("leak", leak)]));
            let plan = run(&ss, None);
            let message = fail_message(&plan);
            assert_eq!(
                message,
                "template: leak: execution failed; error text withheld because it can contain secret values (leak)",
                "{leak}"
            );
            let debug = format!("{plan:?}");
            for needle in [MARKER, encoded.as_str(), &MARKER.to_uppercase()] {
                assert!(!message.contains(needle) && !debug.contains(needle), "{leak}");
            }
        }
    }

    // --- ownerReference -----------------------------------------------------------------------

    #[test]
    fn the_owner_reference_is_a_single_controller_reference_without_block_owner_deletion() {
        let mut ss = sealed_secret(vec![("k", v1("v"))]);
        template_meta(&mut ss).owner_references = Some(vec![OwnerReference::default()]);
        let plan = run(&ss, None);
        let refs = written(&plan).metadata.owner_references.clone().unwrap();
        assert_eq!(
            refs,
            vec![OwnerReference {
                api_version: "bitnami.com/v1alpha1".to_string(),
                kind: "SealedSecret".to_string(),
                name: NAME.to_string(),
                uid: UID.to_string(),
                controller: Some(true),
                block_owner_deletion: None,
            }]
        );
    }

    #[test]
    fn skip_set_owner_references_in_template_annotations_keeps_the_template_references_only() {
        let mut ss = sealed_secret(vec![("k", v1("v"))]);
        let template_ref = OwnerReference { name: "kept".to_string(), ..OwnerReference::default() };
        {
            let meta = template_meta(&mut ss);
            meta.annotations = Some(map(&[(annotations::SKIP_SET_OWNER_REFERENCES, "true")]));
            meta.owner_references = Some(vec![template_ref.clone()]);
        }
        assert_eq!(written(&run(&ss, None)).metadata.owner_references, Some(vec![template_ref]));

        let mut none = sealed_secret(vec![("k", v1("v"))]);
        template_meta(&mut none).annotations = Some(map(&[(annotations::SKIP_SET_OWNER_REFERENCES, "true")]));
        assert_eq!(written(&run(&none, None)).metadata.owner_references, None);
    }

    #[test]
    fn skip_set_owner_references_on_the_sealed_secret_itself_is_ignored() {
        let mut ss = sealed_secret(vec![("k", v1("v"))]);
        ss.metadata.annotations = Some(map(&[(annotations::SKIP_SET_OWNER_REFERENCES, "true")]));
        assert_eq!(written(&run(&ss, None)).metadata.owner_references.as_ref().map(Vec::len), Some(1));
    }

    // --- existing Secret ----------------------------------------------------------------------

    #[test]
    fn an_existing_secret_neither_controlled_nor_managed_is_refused_with_upstreams_message() {
        let ss = sealed_secret(vec![("password", v1("new"))]);
        let existing = foreign_secret(&[(annotations::MANAGED, "True")]);
        let plan = run(&ss, Some(&existing));
        let Plan::Refuse { condition_message, event_reason, event_message } = &plan else { panic!("{plan:?}") };
        assert_eq!(event_message, "Resource \"myname\" already exists and is not managed by SealedSecret");
        assert_eq!(
            condition_message,
            "failed update: Resource \"myname\" already exists and is not managed by SealedSecret"
        );
        assert_eq!(*event_reason, "ErrUpdateFailed");
        assert_eq!(plan.error(), Some(Error::Unmanaged));
    }

    #[test]
    fn a_secret_controlled_by_another_sealed_secret_uid_is_refused() {
        let ss = sealed_secret(vec![("password", v1("new"))]);
        let mut existing = as_stored(written(&run(&ss, None)).clone());
        existing.metadata.owner_references.as_mut().unwrap()[0].uid = "previous-incarnation".to_string();
        assert!(matches!(run(&ss, Some(&existing)), Plan::Refuse { .. }));
    }

    #[test]
    fn a_managed_secret_is_adopted_and_its_data_labels_annotations_and_owners_replaced() {
        let mut ss = sealed_secret(vec![("password", v1("new"))]);
        template_meta(&mut ss).labels = Some(map(&[("app", "web")]));
        let existing = foreign_secret(&[(annotations::MANAGED, "true")]);
        let plan = run(&ss, Some(&existing));
        let Plan::Write { secret, create, merge, .. } = &plan else { panic!("{plan:?}") };
        assert!(!create);
        assert!(!merge);
        assert_eq!(secret.data.as_ref().unwrap().keys().collect::<Vec<_>>(), ["password"]);
        assert_eq!(value(secret, "password"), "new");
        assert_eq!(secret.metadata.labels, Some(map(&[("app", "web")])));
        // `managed` disappears: it is not in the template.
        assert_eq!(secret.metadata.annotations, None);
        assert_eq!(secret.metadata.owner_references.as_ref().unwrap()[0].uid, UID);
        assert_eq!(secret.metadata.owner_references.as_ref().unwrap().len(), 1);
        // A copy of the existing object: resourceVersion kept for the UPDATE.
        assert_eq!(secret.metadata.resource_version.as_deref(), Some("7"));
    }

    #[test]
    fn a_patch_secret_gets_a_merge_that_keeps_foreign_keys_and_owners_unless_also_managed() {
        let mut ss = sealed_secret(vec![("password", v1("new"))]);
        template_meta(&mut ss).annotations = Some(map(&[("from", "template")]));

        let existing = foreign_secret(&[(annotations::PATCH, "true")]);
        let plan = run(&ss, Some(&existing));
        let Plan::Write { secret, merge, create, .. } = &plan else { panic!("{plan:?}") };
        assert!(merge);
        assert!(!create);
        assert_eq!(value(secret, "foreign"), "kept?");
        assert_eq!(value(secret, "password"), "new");
        assert_eq!(secret.metadata.labels, Some(map(&[("foreign", "label")])));
        assert_eq!(secret.metadata.annotations, Some(map(&[(annotations::PATCH, "true"), ("from", "template")])));
        assert_eq!(secret.metadata.owner_references, existing.metadata.owner_references);

        let managed = foreign_secret(&[(annotations::PATCH, "true"), (annotations::MANAGED, "true")]);
        let secret = written(&run(&ss, Some(&managed))).clone();
        assert_eq!(value(&secret, "foreign"), "kept?");
        assert_eq!(secret.metadata.owner_references.unwrap()[0].uid, UID);
    }

    #[test]
    fn an_existing_secret_equal_to_the_desired_one_is_unchanged_so_a_restart_writes_nothing() {
        let mut ss = sealed_secret(vec![("user", v1("admin")), ("password", v2("pw"))]);
        template_meta(&mut ss).labels = Some(map(&[("app", "web")]));
        ss.spec.template.data = Some(map(&[("dsn", "{{ .user }}@db")]));
        let created = as_stored(written(&run(&ss, None)).clone());
        let plan = run(&ss, Some(&created));
        assert!(matches!(plan, Plan::Unchanged { .. }), "{plan:?}");
        assert_eq!(plan.event().reason, "Unsealed");
        assert!(plan.opened_with().is_some());
    }

    #[test]
    fn drift_in_data_labels_or_type_is_rewritten_from_a_copy_of_the_existing_secret() {
        let ss = sealed_secret(vec![("password", v1("pw"))]);
        let created = as_stored(written(&run(&ss, None)).clone());

        let mut data_drift = created.clone();
        data_drift.data.as_mut().unwrap().insert("extra".to_string(), ByteString(b"x".to_vec()));
        let plan = run(&ss, Some(&data_drift));
        let secret = written(&plan);
        assert_eq!(secret.data.as_ref().unwrap().len(), 1);
        assert_eq!(secret.metadata.resource_version.as_deref(), Some("42"));

        let mut label_drift = created.clone();
        label_drift.metadata.labels = Some(map(&[("edited", "yes")]));
        assert_eq!(written(&run(&ss, Some(&label_drift))).metadata.labels, None);

        let mut type_drift = created;
        type_drift.type_ = Some("kubernetes.io/tls".to_string());
        assert_eq!(written(&run(&ss, Some(&type_drift))).type_.as_deref(), Some("Opaque"));
    }

    #[test]
    fn immutable_and_finalizers_are_only_applied_at_creation() {
        let mut ss = sealed_secret(vec![("password", v1("pw"))]);
        ss.spec.template.immutable = Some(true);
        template_meta(&mut ss).finalizers = Some(vec!["example.com/f".to_string()]);
        let mut existing = foreign_secret(&[(annotations::MANAGED, "true")]);
        existing.metadata.finalizers = None;
        let secret = written(&run(&ss, Some(&existing))).clone();
        assert_eq!(secret.immutable, None);
        assert_eq!(secret.metadata.finalizers, None);
    }

    // --- legacy spec.data ---------------------------------------------------------------------

    fn legacy(json: &str, scope: Scope) -> SealedSecret {
        let mut ss = sealed_secret(vec![]);
        let sealed = Recipient::V1(rsa()).seal(&scope.label(NS, NAME), json.as_bytes()).unwrap();
        ss.spec.data = Some(ByteString(sealed));
        ss
    }

    const LEGACY_JSON: &str = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"orig","namespace":"orig-ns","labels":{"l":"1"}},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}"#;

    #[test]
    fn legacy_spec_data_is_unsealed_when_allowed_with_name_namespace_and_owner_forced() {
        let ss = legacy(LEGACY_JSON, Scope::Strict);
        let plan = run(&ss, None);
        let secret = written(&plan);
        assert_eq!(value(secret, "password"), "hunter2");
        assert_eq!(secret.metadata.name.as_deref(), Some(NAME));
        assert_eq!(secret.metadata.namespace.as_deref(), Some(NS));
        assert_eq!(secret.metadata.labels, Some(map(&[("l", "1")])));
        assert_eq!(secret.metadata.owner_references.as_ref().unwrap()[0].uid, UID);
    }

    #[test]
    fn legacy_spec_data_is_refused_when_not_allowed_with_upstreams_deprecated_message() {
        let ss = legacy(LEGACY_JSON, Scope::Strict);
        let options = PlanOptions { allow_legacy_data: false, ..PlanOptions::default() };
        assert_eq!(
            fail_message(&run_with(&ss, None, &options)),
            "using deprecated 'data' field, use 'encryptedData' or flip the feature flag"
        );
    }

    #[test]
    fn legacy_spec_data_together_with_encrypted_data_is_an_error() {
        let mut ss = legacy(LEGACY_JSON, Scope::Strict);
        ss.spec.encrypted_data.insert("k".to_string(), v1("v"));
        assert!(fail_message(&run(&ss, None)).contains("both"));
    }

    #[test]
    fn legacy_spec_data_uses_the_top_level_scope_too() {
        let mut ss = legacy(LEGACY_JSON, Scope::ClusterWide);
        assert_eq!(fail_message(&run(&ss, None)), "no key could decrypt secret");
        ss.metadata.annotations = Some(map(&[(annotations::CLUSTER_WIDE, "true")]));
        assert_eq!(value(written(&run(&ss, None)), "password"), "hunter2");
    }

    #[test]
    fn a_legacy_payload_that_is_not_a_secret_fails_without_quoting_it() {
        let ss = legacy(&format!(r#"{{"data": "{MARKER}"}}"#), Scope::Strict);
        let message = fail_message(&run(&ss, None)).to_string();
        assert_eq!(message, "deprecated 'data' field does not hold a valid Secret");
    }

    // --- hygiene ------------------------------------------------------------------------------

    #[test]
    fn debug_output_errors_and_condition_messages_never_contain_plaintext() {
        let mut ss = sealed_secret(vec![("password", v1(MARKER)), ("token", v2(MARKER))]);
        ss.spec.template.data = Some(map(&[("copy", "{{ .password }}")]));
        let options = PlanOptions::default();
        let inputs = Inputs { sealed: &ss, existing: None, keys: ring(), hint: None, options: &options };
        assert!(!format!("{inputs:?}").contains(MARKER));
        let created = plan(&inputs);
        assert_eq!(value(written(&created), "copy"), MARKER);
        let debug = format!("{created:?}");
        assert!(!debug.contains(MARKER), "{debug}");
        assert!(debug.contains("password"), "keys are shown: {debug}");

        let stored = as_stored(written(&created).clone());
        let with_existing = Inputs { existing: Some(&stored), ..inputs };
        assert!(!format!("{with_existing:?}").contains(MARKER));
        let unchanged = plan(&with_existing);
        assert!(!format!("{unchanged:?}").contains(MARKER));

        let mut failures = Vec::new();
        // Refused: the existing Secret is not ours.
        let mut unmanaged = stored.clone();
        unmanaged.metadata.owner_references = None;
        failures.push(run(&ss, Some(&unmanaged)));
        // Decryption failure of some values while others opened.
        let mut partly = ss.clone();
        partly.spec.encrypted_data.insert("other".to_string(), "!!".to_string());
        failures.push(run(&partly, None));
        // Template failures over decrypted values.
        for text in [
            "{{ fail .password }}",
            "{{ .password | atoi | div 0 }}",
            "{{ index .password 99 }}",
            "{{ required .password nil }}",
        ] {
            let mut t = ss.clone();
            t.spec.template.data = Some(map(&[("t", text)]));
            failures.push(run(&t, None));
        }
        for failure in &failures {
            let error = failure.error().expect("a failure");
            let texts = [
                format!("{failure:?}"),
                failure.event().message.to_string(),
                error.to_string(),
                format!("{error:?}"),
                format!("{:?}", status_update(&ss, failure, &time(1))),
            ];
            for text in texts {
                assert!(!text.contains(MARKER), "{text}");
            }
        }
    }

    // --- status -------------------------------------------------------------------------------

    fn synced(status: &SealedSecretStatus) -> &SealedSecretCondition {
        status.conditions.iter().find(|c| c.type_ == "Synced").unwrap()
    }

    fn failed(message: &str) -> Plan {
        Plan::Fail {
            condition_message: message.to_string(),
            event_reason: REASON_UNSEAL_FAILED,
            event_message: format!("Failed to unseal: {message}"),
        }
    }

    #[test]
    fn a_first_success_writes_synced_true_without_message_or_reason_and_the_observed_generation() {
        let ss = sealed_secret(vec![]);
        let status = status_update(&ss, &Plan::Unchanged { opened_with: None }, &time(100)).unwrap();
        assert_eq!(status.observed_generation, Some(1));
        assert_eq!(
            status.conditions,
            vec![SealedSecretCondition {
                type_: "Synced".to_string(),
                status: "True".to_string(),
                last_update_time: Some(time(100)),
                last_transition_time: Some(time(100)),
                reason: None,
                message: None,
            }]
        );
    }

    #[test]
    fn a_failure_writes_synced_false_with_the_condition_message() {
        let ss = sealed_secret(vec![]);
        let status = status_update(&ss, &failed("no key could decrypt secret (a)"), &time(5)).unwrap();
        let c = synced(&status);
        assert_eq!(c.status, "False");
        assert_eq!(c.message.as_deref(), Some("no key could decrypt secret (a)"));
        assert_eq!(c.reason, None);
    }

    #[test]
    fn status_is_not_written_when_neither_the_condition_status_nor_the_generation_changes() {
        let mut ss = sealed_secret(vec![]);
        ss.status = status_update(&ss, &failed("first"), &time(1));
        // Message-only change: not persisted, as upstream.
        assert_eq!(status_update(&ss, &failed("second"), &time(2)), None);
        ss.status = status_update(&ss, &Plan::Unchanged { opened_with: None }, &time(3));
        assert_eq!(status_update(&ss, &Plan::Unchanged { opened_with: None }, &time(4)), None);
    }

    #[test]
    fn a_status_flip_moves_the_transition_time_and_a_new_generation_keeps_it() {
        let mut ss = sealed_secret(vec![]);
        ss.status = status_update(&ss, &failed("broken"), &time(10));
        let fixed = status_update(&ss, &Plan::Unchanged { opened_with: None }, &time(20)).unwrap();
        assert_eq!(synced(&fixed).last_transition_time, Some(time(20)));
        assert_eq!(synced(&fixed).message, None);
        ss.status = Some(fixed);

        ss.metadata.generation = Some(2);
        let next = status_update(&ss, &Plan::Unchanged { opened_with: None }, &time(30)).unwrap();
        assert_eq!(next.observed_generation, Some(2));
        assert_eq!(synced(&next).last_transition_time, Some(time(20)));
        assert_eq!(synced(&next).last_update_time, Some(time(30)));
    }

    #[test]
    fn other_conditions_are_kept_and_synced_is_updated_in_place() {
        let mut ss = sealed_secret(vec![]);
        let other =
            SealedSecretCondition { type_: "Other".to_string(), status: "True".to_string(), ..Default::default() };
        ss.status = Some(SealedSecretStatus {
            observed_generation: Some(1),
            conditions: vec![
                other.clone(),
                SealedSecretCondition {
                    type_: "Synced".to_string(),
                    status: "False".to_string(),
                    ..Default::default()
                },
            ],
        });
        let status = status_update(&ss, &Plan::Unchanged { opened_with: None }, &time(7)).unwrap();
        assert_eq!(status.conditions.len(), 2);
        assert_eq!(status.conditions[0], other);
        assert_eq!(status.conditions[1].status, "True");
    }
}
