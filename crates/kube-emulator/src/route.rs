//! Request URLs and query strings, parsed into what the handler dispatches on.

use std::collections::BTreeMap;

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/version`.
    Version,
    /// `/healthz`, `/livez`, `/readyz`.
    Health,
    /// `/api`.
    CoreVersions,
    /// `/apis`.
    Groups,
    /// `/apis/{group}`.
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`.
    ResourceList {
        /// Group, empty for core.
        group: String,
        /// Version.
        version: String,
    },
    /// `/openapi/v3`.
    OpenApiIndex,
    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/{g}/{v}`.
    OpenApiGroupVersion {
        /// Group, empty for core.
        group: String,
        /// Version.
        version: String,
    },
    /// A collection, object or subresource.
    Resource(ResourcePath),
    /// Anything else.
    Unknown,
}

/// `/api[s]/.../[watch/][namespaces/{ns}/]{plural}[/{name}[/{sub}[/{rest}]]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    /// Group, empty for core.
    pub group: String,
    /// Version.
    pub version: String,
    /// Namespace segment, if present.
    pub namespace: Option<String>,
    /// Plural.
    pub plural: String,
    /// Object name, if present.
    pub name: Option<String>,
    /// Subresource, if present.
    pub subresource: Option<String>,
    /// What follows a `proxy` subresource, with its leading `/`.
    pub rest: String,
    /// The legacy `/watch/` prefix was used.
    pub legacy_watch: bool,
}

/// Parses a request path.
pub fn parse(path: &str) -> Route {
    let segs: Vec<String> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", g] => Route::Group(g.to_string()),
        ["api", v] => Route::ResourceList { group: String::new(), version: v.to_string() },
        ["apis", g, v] => Route::ResourceList { group: g.to_string(), version: v.to_string() },
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", "api", v] => Route::OpenApiGroupVersion { group: String::new(), version: v.to_string() },
        ["openapi", "v3", "apis", g, v] => Route::OpenApiGroupVersion { group: g.to_string(), version: v.to_string() },
        ["api", v, rest @ ..] => resource("", v, rest),
        ["apis", g, v, rest @ ..] => resource(g, v, rest),
        _ => Route::Unknown,
    }
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Route {
    let (legacy_watch, rest) = match rest {
        ["watch", r @ ..] => (true, r),
        r => (false, r),
    };
    let mut p = ResourcePath {
        group: group.into(),
        version: version.into(),
        namespace: None,
        plural: String::new(),
        name: None,
        subresource: None,
        rest: String::new(),
        legacy_watch,
    };
    let tail: &[&str] = match rest {
        // The namespace object itself, and its subresources.
        ["namespaces"] => {
            p.plural = "namespaces".into();
            &[]
        }
        ["namespaces", n] => {
            p.plural = "namespaces".into();
            p.name = Some(n.to_string());
            &[]
        }
        ["namespaces", n, sub @ ("status" | "finalize")] => {
            p.plural = "namespaces".into();
            p.name = Some(n.to_string());
            p.subresource = Some(sub.to_string());
            &[]
        }
        ["namespaces", ns, plural, tail @ ..] => {
            p.namespace = Some(ns.to_string());
            p.plural = plural.to_string();
            tail
        }
        [plural, tail @ ..] => {
            p.plural = plural.to_string();
            tail
        }
        [] => return Route::Unknown,
    };
    match tail {
        [] => {}
        [name] => p.name = Some(name.to_string()),
        [name, sub] => {
            p.name = Some(name.to_string());
            p.subresource = Some(sub.to_string());
        }
        [name, "proxy", more @ ..] => {
            p.name = Some(name.to_string());
            p.subresource = Some("proxy".into());
            p.rest = format!("/{}", more.join("/"));
        }
        _ => return Route::Unknown,
    }
    if legacy_watch && p.subresource.is_some() {
        return Route::Unknown;
    }
    Route::Resource(p)
}

/// Query parameters; a repeated key keeps its first value, as the API server's decoder does.
#[derive(Debug, Clone, Default)]
pub struct Query(BTreeMap<String, String>);

impl Query {
    /// Parses `a=b&c=d` (form-encoded).
    pub fn parse(q: Option<&str>) -> Self {
        let mut m = BTreeMap::new();
        for pair in q.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            m.entry(percent_decode(&k.replace('+', " "))).or_insert_with(|| percent_decode(&v.replace('+', " ")));
        }
        Self(m)
    }

    /// A parameter's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A parameter that is set and not empty.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// A boolean parameter (`true`, `1`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "True"))
    }

    /// The same query with `key` set to `value` (removed when `value` is empty).
    pub fn with(mut self, key: &str, value: &str) -> Self {
        if value.is_empty() {
            self.0.remove(key);
        } else {
            self.0.insert(key.to_string(), value.to_string());
        }
        self
    }
}

/// Decodes `%XX` escapes; invalid escapes stay as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaced_object_and_subresource_paths() {
        let Route::Resource(p) = parse("/apis/apps/v1/namespaces/web/deployments/api/status") else {
            panic!("not a resource")
        };
        assert_eq!((p.group.as_str(), p.namespace.as_deref(), p.plural.as_str()), ("apps", Some("web"), "deployments"));
        assert_eq!((p.name.as_deref(), p.subresource.as_deref()), (Some("api"), Some("status")));
    }

    #[test]
    fn namespace_objects_are_not_mistaken_for_namespaced_collections() {
        let Route::Resource(p) = parse("/api/v1/namespaces/web") else { panic!("not a resource") };
        assert_eq!((p.plural.as_str(), p.name.as_deref(), p.namespace), ("namespaces", Some("web"), None));
        let Route::Resource(p) = parse("/api/v1/namespaces/web/finalize") else { panic!("not a resource") };
        assert_eq!(p.subresource.as_deref(), Some("finalize"));
        let Route::Resource(p) = parse("/api/v1/namespaces/web/secrets") else { panic!("not a resource") };
        assert_eq!((p.plural.as_str(), p.namespace.as_deref(), p.name), ("secrets", Some("web"), None));
    }

    #[test]
    fn service_proxy_keeps_the_rest_of_the_path() {
        let Route::Resource(p) =
            parse("/api/v1/namespaces/kube-system/services/http:sealed-secrets:8080/proxy/v1/cert.pem")
        else {
            panic!("not a resource")
        };
        assert_eq!(p.name.as_deref(), Some("http:sealed-secrets:8080"));
        assert_eq!(p.rest, "/v1/cert.pem");
    }

    #[test]
    fn legacy_watch_prefix_and_query_decoding() {
        let Route::Resource(p) = parse("/api/v1/watch/namespaces/a/configmaps") else { panic!("not a resource") };
        assert!(p.legacy_watch);
        let q = Query::parse(Some("labelSelector=app%3Dweb%2Ctier+in+%28a%29&watch=1&watch=0"));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert!(q.flag("watch"));
    }
}
