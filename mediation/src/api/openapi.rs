//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json` (no
//! authentication: it holds no data). Built from one table so that a test can request every
//! documented operation and catch a route that is missing or undocumented.
use serde_json::{Map, Value, json};

/// One operation: method, path, permission needed (`None`: any authenticated user, `Some("")`:
/// no authentication), summary, query parameters, JSON body example, response type.
pub struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub permission: Option<&'static str>,
    pub summary: &'static str,
    pub query: &'static [(&'static str, &'static str)],
    pub body: Option<&'static str>,
    pub produces: &'static str,
}

const JSON: &str = "application/json";

const SEARCH_PARAMS: &[(&str, &str)] = &[
    (
        "from",
        "start of the time range: RFC 3339 or seconds since 1970",
    ),
    ("to", "end of the time range (exclusive)"),
    (
        "number",
        "caller or callee user part; * and ? wildcards (wildcards need numbers:view)",
    ),
    ("call_id", "a Call-ID of any leg"),
    ("ip", "a signalling address of the call"),
    ("status", "final status class: 1xx..6xx, or 0 for none"),
    ("min_duration_s", "minimum duration in seconds"),
    ("max_duration_s", "maximum duration in seconds"),
    ("mos_below", "worst stream MOS strictly below"),
    ("source", "probe, HEP agent or SBC name"),
    ("limit", "page size (default 100, at most 10000)"),
    ("cursor", "the `next` of the previous page"),
];

#[rustfmt::skip]
pub const OPS: &[Op] = &[
    Op { method: "post", path: "/auth/login", permission: Some(""), summary: "Log in with a user name and password; sets the session cookie and returns the CSRF token", query: &[], body: Some(r#"{"username":"admin","password":"..."}"#), produces: JSON },
    Op { method: "post", path: "/auth/logout", permission: None, summary: "End the session", query: &[], body: Some("{}"), produces: JSON },
    Op { method: "get", path: "/auth/me", permission: None, summary: "The caller: user, role, permissions, tenant, whether a password change is required, CSRF token", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/auth/password", permission: None, summary: "Change one's own password (checked against the password policy and history)", query: &[], body: Some(r#"{"current_password":"...","new_password":"..."}"#), produces: JSON },
    Op { method: "get", path: "/status", permission: Some("status:read"), summary: "Engine and ingest counters", query: &[], body: None, produces: JSON },
    Op { method: "get", path: "/calls", permission: Some("calls:read"), summary: "Search calls, newest first, paged", query: SEARCH_PARAMS, body: None, produces: JSON },
    Op { method: "get", path: "/calls/{id}", permission: Some("calls:read"), summary: "A call: summary, record with legs, streams with quality series, SBC QoS", query: &[], body: None, produces: JSON },
    Op { method: "get", path: "/calls/{id}/messages", permission: Some("calls:read"), summary: "The call's SIP messages, raw, in capture order", query: &[], body: None, produces: JSON },
    Op { method: "get", path: "/calls/{id}/pcap", permission: Some("calls:export"), summary: "Download the call's SIP and stored RTCP as pcapng", query: &[], body: None, produces: "application/vnd.tcpdump.pcap" },
    Op { method: "get", path: "/users", permission: Some("users:manage"), summary: "List users", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/users", permission: Some("users:manage"), summary: "Create a user; returns a temporary password (shown once) that must be changed at first login", query: &[], body: Some(r#"{"name":"alice","role":"operator","tenant":null,"grants":[],"denies":[]}"#), produces: JSON },
    Op { method: "get", path: "/users/{name}", permission: Some("users:manage"), summary: "A user (users may read their own)", query: &[], body: None, produces: JSON },
    Op { method: "patch", path: "/users/{name}", permission: Some("users:manage"), summary: "Change role, tenant, grants or denies; ends the user's sessions", query: &[], body: Some(r#"{"role":"monitor"}"#), produces: JSON },
    Op { method: "delete", path: "/users/{name}", permission: Some("users:manage"), summary: "Delete a user and revoke their API keys", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/users/{name}/unlock", permission: Some("users:manage"), summary: "Unlock an account locked after failed logins", query: &[], body: Some("{}"), produces: JSON },
    Op { method: "post", path: "/users/{name}/reset-password", permission: Some("users:manage"), summary: "Set a new temporary password (shown once)", query: &[], body: Some("{}"), produces: JSON },
    Op { method: "get", path: "/keys", permission: Some("keys:own"), summary: "API keys the caller manages (own keys; all with users:manage)", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/keys", permission: Some("keys:own"), summary: "Create an API key carrying its owner's permissions; the key is shown once", query: &[], body: Some(r#"{"name":"grafana","expires_days":90}"#), produces: JSON },
    Op { method: "delete", path: "/keys/{id}", permission: Some("keys:own"), summary: "Revoke an API key", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/keys/{id}/rotate", permission: Some("keys:own"), summary: "Replace an API key by a new one (shown once); the old one stops working", query: &[], body: Some("{}"), produces: JSON },
    Op { method: "get", path: "/tenants", permission: Some("config:manage"), summary: "List tenants", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/tenants", permission: Some("config:manage"), summary: "Create or replace a tenant (sources, networks, realms)", query: &[], body: Some(r#"{"name":"acme","sources":["probe-acme-*"],"networks":["10.1.0.0/16"],"realms":["*.acme.example"]}"#), produces: JSON },
    Op { method: "put", path: "/tenants/{name}", permission: Some("config:manage"), summary: "Replace a tenant", query: &[], body: Some(r#"{"name":"acme","networks":["10.1.0.0/16"]}"#), produces: JSON },
    Op { method: "delete", path: "/tenants/{name}", permission: Some("config:manage"), summary: "Delete a tenant (its users then see no calls)", query: &[], body: None, produces: JSON },
    Op { method: "get", path: "/audit", permission: Some("audit:read"), summary: "Security audit log, newest first", query: &[("from", "RFC 3339 or seconds since 1970"), ("to", "exclusive end"), ("limit", "at most this many (default 1000)"), ("format", "json (default) or csv")], body: None, produces: JSON },
    Op { method: "get", path: "/pki/certificate", permission: Some("pki:view"), summary: "The engine's certificate: subject, SANs, issuer, validity, fingerprint", query: &[], body: None, produces: JSON },
    Op { method: "put", path: "/pki/certificate", permission: Some("pki:manage"), summary: "Install a CA-signed certificate (PEM, with chain), checked against the engine's key", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/pki/csr", permission: Some("pki:manage"), summary: "A PKCS#10 CSR for the engine's key with the given SANs", query: &[], body: Some(r#"{"sans":["mediation.example.net","192.0.2.10"]}"#), produces: JSON },
    Op { method: "post", path: "/pki/regenerate", permission: Some("pki:manage"), summary: "New key and self-signed certificate", query: &[], body: Some("{}"), produces: JSON },
    Op { method: "get", path: "/pki/trust", permission: Some("pki:view"), summary: "Trusted certificates (probes, SBCs, CAs): subject, SANs, expiry, fingerprint", query: &[], body: None, produces: JSON },
    Op { method: "post", path: "/pki/trust", permission: Some("pki:manage"), summary: "Trust a certificate (PEM)", query: &[], body: None, produces: JSON },
    Op { method: "delete", path: "/pki/trust/{fingerprint}", permission: Some("pki:manage"), summary: "Remove a trusted certificate", query: &[], body: None, produces: JSON },
    Op { method: "get", path: "/openapi.json", permission: Some(""), summary: "This document", query: &[], body: None, produces: JSON },
];

fn operation(op: &Op) -> Value {
    let mut params: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    params.extend(op.query.iter().map(|(name, desc)| {
        json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": "string"}})
    }));
    let mut o = json!({
        "summary": op.summary,
        "parameters": params,
        "responses": {
            "200": {"description": "OK", "content": {op.produces: {}}},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
        },
    });
    match op.permission {
        Some("") => {
            o["security"] = json!([]);
        }
        Some(p) => {
            o["x-permission"] = json!(p);
        }
        None => {}
    }
    if let Some(example) = op.body {
        let ex: Value = serde_json::from_str(example).unwrap_or(Value::Null);
        o["requestBody"] = json!({"required": true, "content": {JSON: {"example": ex}}});
    } else if op.method == "put" || (op.method == "post" && op.path.starts_with("/pki/trust")) {
        o["requestBody"] = json!({"required": true, "content": {"application/x-pem-file": {}}});
    }
    o
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPS {
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method] = operation(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "callscope mediation engine",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Call search, call detail, quality and export, users, keys, tenants, audit and PKI. \
                HTTPS only. Authenticate with an API key (`Authorization: Bearer KEY`) or the web \
                session cookie; with the cookie, every non-GET request needs `X-CSRF-Token`. \
                `x-permission` names the permission an operation needs. Errors are JSON \
                `{error, status, code?}`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"apiKey": []}, {"session": [], "csrf": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "A key from POST /keys or `callscope-mediation api-key create`"},
                "session": {"type": "apiKey", "in": "cookie", "name": super::SESSION_COOKIE},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {
                        "error": {"type": "string", "description": "what was wrong and what to do"},
                        "status": {"type": "integer"},
                        "code": {"type": "string", "enum": ["unauthorized", "session_expired", "password_change_required", "csrf", "forbidden", "locked", "bad_credentials", "rate_limited", "temporary_expired", "password_policy", "credentials_in_url"]},
                    },
                },
            },
            "responses": {
                "Error": {"description": "error", "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "Unauthorized": {"description": "no valid credentials (WWW-Authenticate: Bearer)", "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        },
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_is_unique_and_documented() {
        let doc = super::document();
        let mut n = 0;
        for (_, item) in doc["paths"].as_object().unwrap() {
            n += item.as_object().unwrap().len();
        }
        assert_eq!(n, super::OPS.len(), "duplicate (method, path) in OPS");
        for op in super::OPS {
            assert!(op.path.starts_with('/'));
            assert!(["get", "post", "put", "patch", "delete"].contains(&op.method));
        }
    }
}
