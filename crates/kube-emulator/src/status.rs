//! Errors as the API server reports them: a `Status` body whose `reason` string clients rely on
//! (kube-rs's `is_not_found`, `is_conflict`... compare it, never the HTTP code).

use serde_json::{Value, json};

use crate::cause::Cause;

/// A refused request: the HTTP code, the `reason` and the message of its `Status` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code, also `Status.code`.
    pub code: u16,
    /// `Status.reason`: `NotFound`, `Conflict`, `Invalid`...
    pub reason: &'static str,
    /// `Status.message`.
    pub message: String,
    /// `Status.details`, when the error is about one object.
    pub details: Option<Value>,
}

/// Which object an error is about: names its resource the way messages and `details` do.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// API group, empty for core.
    pub group: &'a str,
    /// Resource plural.
    pub plural: &'a str,
    /// Kind, for `Invalid` errors (their `details.kind` is the kind, not the plural).
    pub kind: &'a str,
    /// Object name.
    pub name: &'a str,
}

impl Subject<'_> {
    /// `configmaps` or `deployments.apps`: how messages name a resource.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }

    fn details(&self, kind: &str) -> Value {
        let mut d = json!({"name": self.name, "kind": kind});
        if !self.group.is_empty() {
            d["group"] = json!(self.group);
        }
        d
    }
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: None }
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 404 for a path that names no resource.
    pub fn path_not_found() -> Self {
        Self::new(404, "NotFound", "the server could not find the requested resource")
    }

    /// 404 for a missing object: `configmaps "x" not found`.
    pub fn not_found(s: Subject<'_>) -> Self {
        Self {
            details: Some(s.details(s.plural)),
            ..Self::new(404, "NotFound", format!("{} \"{}\" not found", s.qualified(), s.name))
        }
    }

    /// 404 for a namespace that does not exist.
    pub fn namespace_not_found(ns: &str) -> Self {
        Self {
            details: Some(json!({"name": ns, "kind": "namespaces"})),
            ..Self::new(404, "NotFound", format!("namespaces \"{ns}\" not found"))
        }
    }

    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed(what: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({what})"),
        )
    }

    /// 406 `NotAcceptable`.
    pub fn not_acceptable(accept: &str) -> Self {
        Self::new(
            406,
            "NotAcceptable",
            format!(
                "the server was unable to respond with a content type that the client supports ({accept}); only application/json is served"
            ),
        )
    }

    /// 409 `AlreadyExists`.
    pub fn already_exists(s: Subject<'_>) -> Self {
        Self {
            details: Some(s.details(s.plural)),
            ..Self::new(409, "AlreadyExists", format!("{} \"{}\" already exists", s.qualified(), s.name))
        }
    }

    /// 409 `Conflict` for a stale resourceVersion.
    pub fn stale(s: Subject<'_>) -> Self {
        Self::conflict(s, "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// 409 `Conflict`: `Operation cannot be fulfilled on <res> "<n>": <why>`.
    pub fn conflict(s: Subject<'_>, why: &str) -> Self {
        Self {
            details: Some(s.details(s.plural)),
            ..Self::new(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on {} \"{}\": {why}", s.qualified(), s.name),
            )
        }
    }

    /// 409 `Conflict` from server-side apply, with `FieldManagerConflict` causes (and, as
    /// upstream, no name or kind in `details`).
    pub fn apply_conflict(message: String, causes: &[Cause]) -> Self {
        let details = json!({"causes": causes.iter().map(Cause::to_json).collect::<Vec<_>>()});
        Self { details: Some(details), ..Self::new(409, "Conflict", message) }
    }

    /// 403 `Forbidden`: `<res> "<n>" is forbidden: <why>`.
    pub fn forbidden(s: Subject<'_>, why: &str) -> Self {
        Self {
            details: Some(s.details(s.plural)),
            ..Self::new(403, "Forbidden", format!("{} \"{}\" is forbidden: {why}", s.qualified(), s.name))
        }
    }

    /// 410 `Expired`.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 415 `UnsupportedMediaType`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }

    /// 422 `Invalid`: `<Kind> "<n>" is invalid: <field>: <msg>` (several causes are bracketed).
    pub fn invalid(s: Subject<'_>, causes: &[Cause]) -> Self {
        let parts: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        let listed = if parts.len() == 1 { parts[0].clone() } else { format!("[{}]", parts.join(", ")) };
        let mut details = s.details(s.kind);
        details["causes"] = Value::Array(causes.iter().map(Cause::to_json).collect());
        Self {
            details: Some(details),
            ..Self::new(422, "Invalid", format!("{} \"{}\" is invalid: {listed}", s.kind, s.name))
        }
    }

    /// 422 for malformed list/patch options (`details.kind` names the options type).
    pub fn invalid_options(options_kind: &str, causes: &[Cause]) -> Self {
        let parts: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        let mut details = json!({"kind": options_kind, "group": "meta.k8s.io"});
        details["causes"] = Value::Array(causes.iter().map(Cause::to_json).collect());
        Self {
            details: Some(details),
            ..Self::new(422, "Invalid", format!("{options_kind}.meta.k8s.io \"\" is invalid: {}", parts.join(", ")))
        }
    }

    /// 500 `InternalError`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// 504 `Timeout`.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(504, "Timeout", message)
    }

    /// A `Status` for an injected fault: the code with its usual reason.
    pub fn injected(code: u16) -> Self {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            410 => "Expired",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(code, reason, format!("injected fault: {code} {reason}"))
    }

    /// The `Status` body.
    pub fn to_status(&self) -> Value {
        let mut v = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

/// The success `Status` a DELETE answers for most kinds.
pub fn deleted(s: Subject<'_>, uid: &str) -> Value {
    let mut details = s.details(s.plural);
    details["uid"] = json!(uid);
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

#[cfg(test)]
mod tests {
    use super::*;

    const CM: Subject<'static> = Subject { group: "", plural: "configmaps", kind: "ConfigMap", name: "x" };

    #[test]
    fn conflict_names_the_plural_and_keeps_the_reason_clients_match() {
        let s = ApiError::stale(CM).to_status();
        assert_eq!(s["reason"], "Conflict");
        assert_eq!(s["code"], 409);
        assert_eq!(s["details"]["kind"], "configmaps");
        assert_eq!(
            s["message"],
            "Operation cannot be fulfilled on configmaps \"x\": the object has been modified; please apply your changes to the latest version and try again"
        );
    }

    #[test]
    fn invalid_names_the_kind_and_lists_causes() {
        let causes = [
            Cause::new("FieldValueRequired", "spec.a", "Required value"),
            Cause::new("FieldValueInvalid", "spec.b", "Invalid value: 1"),
        ];
        let s =
            ApiError::invalid(Subject { group: "apps", plural: "deployments", kind: "Deployment", name: "d" }, &causes)
                .to_status();
        assert_eq!(s["details"]["kind"], "Deployment");
        assert_eq!(s["details"]["group"], "apps");
        assert_eq!(s["message"], "Deployment \"d\" is invalid: [spec.a: Required value, spec.b: Invalid value: 1]");
        assert_eq!(s["details"]["causes"][1]["field"], "spec.b");
    }

    #[test]
    fn group_qualified_resources_in_messages() {
        let s = ApiError::not_found(Subject { group: "apps", plural: "deployments", kind: "Deployment", name: "d" });
        assert_eq!(s.message, "deployments.apps \"d\" not found");
    }
}
