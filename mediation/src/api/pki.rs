//! `/api/v1/pki`: the engine's TLS certificate (status, CSR, install a CA-signed chain,
//! regenerate) and its trust store (list, add, remove), over the same operations as the
//! `cert` and `trust` commands ([`crate::pki_cli::EnginePki`]).
//!
//! Reading needs `pki:view`, changing `pki:manage`; every change is audited
//! (`certificate_installed`, `certificate_regenerated`, `trust_added`, `trust_removed`).
//! Certificate bodies are PEM (or DER for the trust store) in the request body, or JSON
//! `{"pem": "..."}`. A new engine certificate is presented from the next TLS handshake on
//! (every listener follows the files: `pki::FollowingIdentity`); trust store changes apply to
//! the next HEP or SBC connection.
#![allow(clippy::result_large_err)] // handlers return ready-made responses as errors
use super::{ApiState, ClientAddr, error};
use crate::auth::{Permission, Principal};
use crate::pki_cli::{EnginePki, identity_config_of};
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use callscope_shared::pki::{CertInfo, IdentityConfig, PkiError, UnixTime};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Mutex;

/// Changes to the PKI files are made one at a time (API requests run concurrently).
static CHANGES: Mutex<()> = Mutex::new(());

/// Most SANs a CSR may ask for, and the longest name.
const MAX_SANS: usize = 100;
const MAX_SAN_LEN: usize = 253;

pub(super) fn routes() -> Router<ApiState> {
    Router::new()
        .route(
            "/pki/certificate",
            get(get_certificate).put(put_certificate),
        )
        .route("/pki/csr", post(csr))
        .route("/pki/regenerate", post(regenerate))
        .route("/pki/trust", get(list_trust).post(add_trust))
        .route("/pki/trust/{fingerprint}", delete(remove_trust))
}

type Client = Option<Extension<ClientAddr>>;

fn ip(c: &Client) -> String {
    c.as_ref()
        .map(|Extension(c)| c.0.ip().to_string())
        .unwrap_or_default()
}

/// Seconds since the epoch as RFC 3339 (UTC).
fn rfc3339_s(secs: i64) -> String {
    callscope_shared::analysis::time::rfc3339(
        u64::try_from(secs)
            .unwrap_or(0)
            .saturating_mul(1_000_000_000),
    )
}

/// The certificate as JSON: subject, SANs, issuer, validity, fingerprint, self-signed, kind.
pub fn cert_json(info: &CertInfo, now: UnixTime) -> Value {
    json!({
        "subject": info.subject,
        "common_name": info.common_name,
        "issuer": info.issuer,
        "sans": info.sans,
        "not_before": rfc3339_s(info.not_before),
        "not_after": rfc3339_s(info.not_after),
        "not_before_s": info.not_before,
        "not_after_s": info.not_after,
        "days_left": info.days_left(now),
        "valid_now": info.valid_at(now),
        "expires": crate::pki_cli::expiry(info, now),
        "fingerprint_sha256": info.fingerprint.to_string(),
        "fingerprint": info.fingerprint.hex(),
        "self_signed": info.self_issued,
        "is_ca": info.is_ca,
    })
}

/// A PKI error as a response: what the caller gave wrong is 400 (404 for an unknown trusted
/// certificate), a file problem is 500 with the details in the log only.
fn pki_error(e: &PkiError) -> Response {
    match e {
        PkiError::Io { .. } => {
            tracing::error!(error = %e, "api: PKI file operation failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the engine could not read or write its PKI files; see the engine log",
            )
        }
        PkiError::NotFound { .. } => error(StatusCode::NOT_FOUND, &e.to_string()),
        _ => error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

fn internal() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; see the engine log",
    )
}

/// Runs a blocking PKI operation off the async workers, one change at a time.
async fn blocking<T: Send + 'static>(
    change: bool,
    f: impl FnOnce() -> Result<T, PkiError> + Send + 'static,
) -> Result<T, Response> {
    let r = tokio::task::spawn_blocking(move || {
        let _guard = if change {
            Some(CHANGES.lock().unwrap_or_else(|p| p.into_inner()))
        } else {
            None
        };
        f()
    })
    .await;
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(pki_error(&e)),
        Err(_) => Err(internal()),
    }
}

fn engine_pki(s: &ApiState) -> EnginePki {
    EnginePki::new(&s.data_dir, IdentityConfig::default())
}

/// A certificate body: PEM or DER bytes, or JSON `{"pem": "..."}`.
fn certificate_body(body: &[u8]) -> Result<Vec<u8>, Response> {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "empty body: send the certificate(s) in PEM (or JSON {\"pem\": \"...\"})",
        ));
    }
    if trimmed.first() == Some(&b'{') {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PemBody {
            pem: String,
        }
        return serde_json::from_slice::<PemBody>(trimmed)
            .map(|b| b.pem.into_bytes())
            .map_err(|e| {
                error(
                    StatusCode::BAD_REQUEST,
                    &format!("bad JSON body ({e}): send {{\"pem\": \"-----BEGIN CERTIFICATE-----...\"}} or the PEM itself"),
                )
            });
    }
    Ok(body.to_vec())
}

async fn get_certificate(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
) -> Response {
    if let Err(r) = p.require(Permission::PkiView) {
        return r;
    }
    let pki = engine_pki(&s);
    let now = UnixTime::now();
    let r = blocking(false, move || {
        let identity = pki.identity(now)?;
        let leaf = identity.info()?;
        let intermediates = identity
            .chain()
            .iter()
            .skip(1)
            .map(|c| CertInfo::from_der(c).map(|i| cert_json(&i, now)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({
            "certificate": cert_json(&leaf, now),
            "intermediates": intermediates,
            "key": "ECDSA P-256",
            "pem": identity.cert_pem(),
        }))
    })
    .await;
    match r {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsrBody {
    #[serde(default)]
    sans: Vec<String>,
}

async fn csr(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    body: Result<Json<CsrBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(r) = p.require(Permission::PkiManage) {
        return r;
    }
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "bad request body: {}; send {{\"sans\": [\"name.example.net\", \"192.0.2.10\"]}}",
                    e.body_text()
                ),
            );
        }
    };
    let sans: Vec<String> = body.sans.iter().map(|n| n.trim().to_owned()).collect();
    if sans.len() > MAX_SANS {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("{} SANs: at most {MAX_SANS}", sans.len()),
        );
    }
    if let Some(bad) = sans
        .iter()
        .find(|n| n.is_empty() || n.len() > MAX_SAN_LEN || n.chars().any(char::is_whitespace))
    {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("SAN {bad:?} is not a DNS name or an IP address"),
        );
    }
    let pki = engine_pki(&s);
    let now = UnixTime::now();
    let r = blocking(false, move || {
        // No SANs asked for: those of the current certificate (what the CSR will carry).
        let sans = if sans.is_empty() {
            pki.identity(now)?.info()?.sans
        } else {
            sans
        };
        let pem = pki.csr(&sans, now)?;
        Ok((pem, sans))
    })
    .await;
    match r {
        Ok((pem, sans)) => Json(json!({
            "csr": pem,
            "sans": sans,
            "next": "have your CA sign it, then PUT the signed certificate (PEM, leaf first, then intermediates) to /api/v1/pki/certificate",
        }))
        .into_response(),
        Err(r) => r,
    }
}

async fn put_certificate(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    body: Bytes,
) -> Response {
    if let Err(r) = p.require(Permission::PkiManage) {
        return r;
    }
    let bytes = match certificate_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return error(
            StatusCode::BAD_REQUEST,
            "the body is not PEM text: send the signed certificate in PEM (leaf first, then intermediates)",
        );
    };
    let pki = engine_pki(&s);
    let now = UnixTime::now();
    match blocking(true, move || pki.install(&text, now)).await {
        Ok(info) => {
            s.auth.audit(
                "certificate_installed",
                &p.user,
                &info.fingerprint.hex(),
                &ip(&c),
                &format!("{} issued by {}", info.subject, info.issuer),
            );
            Json(json!({
                "certificate": cert_json(&info, now),
                "restart_required": false,
                "message": "installed; new connections get it now. Peers must trust its issuer or pin it.",
            }))
            .into_response()
        }
        Err(r) => r,
    }
}

async fn regenerate(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
) -> Response {
    if let Err(r) = p.require(Permission::PkiManage) {
        return r;
    }
    let data_dir = s.data_dir.clone();
    let now = UnixTime::now();
    // The new certificate keeps the current one's common name and DNS/IP names.
    let r = blocking(true, move || {
        let current = EnginePki::new(&data_dir, IdentityConfig::default())
            .identity(now)?
            .info()?;
        EnginePki::new(&data_dir, identity_config_of(&current)).regenerate(now)
    })
    .await;
    match r {
        Ok((old, info)) => {
            s.auth.audit(
                "certificate_regenerated",
                &p.user,
                &info.fingerprint.hex(),
                &ip(&c),
                &format!("replaces {}", old.hex()),
            );
            Json(json!({
                "certificate": cert_json(&info, now),
                "replaces": old.to_string(),
                "restart_required": false,
                "message": "new key and self-signed certificate, presented to new connections now. Peers that pinned the old certificate must pin the new one.",
            }))
            .into_response()
        }
        Err(r) => r,
    }
}

async fn list_trust(State(s): State<ApiState>, Extension(p): Extension<Principal>) -> Response {
    if let Err(r) = p.require(Permission::PkiView) {
        return r;
    }
    let pki = engine_pki(&s);
    let now = UnixTime::now();
    match blocking(false, move || pki.trust().map(|t| t.list())).await {
        Ok(list) => Json(json!({
            "certificates": list.iter().map(|i| cert_json(i, now)).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(r) => r,
    }
}

async fn add_trust(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    body: Bytes,
) -> Response {
    if let Err(r) = p.require(Permission::PkiManage) {
        return r;
    }
    let bytes = match certificate_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let pki = engine_pki(&s);
    let now = UnixTime::now();
    match blocking(true, move || pki.trust_add(&bytes)).await {
        Ok(outcomes) => {
            let any_added = outcomes.iter().any(|o| o.added);
            for o in outcomes.iter().filter(|o| o.added) {
                s.auth.audit(
                    "trust_added",
                    &p.user,
                    &o.info.fingerprint.hex(),
                    &ip(&c),
                    &format!(
                        "{} ({})",
                        o.info.subject,
                        if o.info.is_ca { "CA" } else { "pinned" }
                    ),
                );
            }
            let status = if any_added {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let list: Vec<Value> = outcomes
                .iter()
                .map(|o| {
                    let mut v = cert_json(&o.info, now);
                    v["added"] = json!(o.added);
                    v
                })
                .collect();
            (status, Json(json!({ "certificates": list }))).into_response()
        }
        Err(r) => r,
    }
}

async fn remove_trust(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(fingerprint): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::PkiManage) {
        return r;
    }
    let hex: String = fingerprint.chars().filter(|c| *c != ':').collect();
    if hex.len() < 8 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "{fingerprint:?} is not a certificate fingerprint: give its SHA-256 fingerprint (at least 8 hex digits, colons allowed) as GET /api/v1/pki/trust lists it"
            ),
        );
    }
    let pki = engine_pki(&s);
    let now = UnixTime::now();
    let r = blocking(true, move || match pki.trust_remove(&hex) {
        Err(PkiError::NotFound { .. }) => Ok(None),
        other => other.map(Some),
    })
    .await;
    match r {
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            &format!(
                "no trusted certificate has the fingerprint {fingerprint}; GET /api/v1/pki/trust lists them"
            ),
        ),
        Ok(Some(info)) => {
            s.auth.audit(
                "trust_removed",
                &p.user,
                &info.fingerprint.hex(),
                &ip(&c),
                &info.subject,
            );
            Json(json!({
                "removed": cert_json(&info, now),
                "message": "peers presenting it are refused from their next connection",
            }))
            .into_response()
        }
        Err(r) => r,
    }
}
