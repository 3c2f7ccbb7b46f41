//! The HTTPS REST API (`/api/v1`) and its security: sessions and API keys, CSRF, forced
//! password change, security headers on every response, TLS only. Handlers check permissions
//! on the [`Principal`] the authentication middleware attaches.
pub mod export;
pub mod keys;
pub mod openapi;
pub mod pki;
pub mod privacy;
pub mod reader;
mod routes;
mod routes_admin;
mod routes_auth;
pub mod ui;

use crate::auth::login::{AuthService, Refusal};
use crate::auth::{Principal, Via};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use routes::{CallReader, SearchParams};

/// The session cookie (HttpOnly, Secure, SameSite=Strict: never readable by scripts, never
/// sent cross-site).
pub const SESSION_COOKIE: &str = "callscope_session";

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub reader: Arc<dyn CallReader>,
    pub keys: Arc<RwLock<keys::ApiKeys>>,
    pub auth: Arc<AuthService>,
    pub stats: Arc<crate::engine::EngineStats>,
    pub hep: Arc<crate::ingest::hep::HepCounters>,
    pub data_dir: std::path::PathBuf,
}

/// The client's address, put in each request by [`serve_https`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// The router with its layers: authentication on every API route but login, then security
/// headers on every response (errors included).
pub fn router(state: ApiState) -> Router {
    let v1 = routes::v1()
        .merge(export::routes())
        .merge(routes_auth::protected())
        .merge(routes_admin::routes())
        .merge(pki::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .merge(routes_auth::public())
        .route(
            "/openapi.json",
            axum::routing::get(|| async { axum::Json(openapi::document()) }),
        )
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such endpoint: see /api/v1/openapi.json",
            )
        });
    Router::new()
        .nest("/api/v1", v1)
        // The web UI's static files need no authentication.
        .merge(ui::router())
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// A JSON error with a message that says what to do.
pub fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message, "status": status.as_u16() })),
    )
        .into_response()
}

/// A JSON error with a machine-readable `code` (the UI reacts to `password_change_required`,
/// `session_expired`, `csrf`, `locked`, `forbidden`).
pub fn error_code(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(
            serde_json::json!({ "error": message, "status": status.as_u16(), "code": code }),
        ),
    )
        .into_response()
}

fn unauthorized(code: &str, message: &str) -> Response {
    let mut r = error_code(StatusCode::UNAUTHORIZED, code, message);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"callscope\""),
    );
    r
}

/// The value of a cookie in the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The key entry (owner, id) a presented API key matches; reloads the key file once on a miss
/// (a key made with `api-key create` while the engine runs is on disk only).
fn key_owner(state: &ApiState, presented: &str) -> Option<(String, String)> {
    let find = |keys: &keys::ApiKeys| {
        keys.verify(presented)
            .map(|k| (k.owner().to_owned(), k.id.clone()))
    };
    if let Some(hit) = state.keys.read().ok().as_deref().and_then(find) {
        return Some(hit);
    }
    // Re-read only when the file changed (an unknown key costs one `stat`, not a file read).
    let mut keys = state.keys.write().ok()?;
    if keys.reload_if_changed().ok()? {
        find(&keys)
    } else {
        None
    }
}

/// Paths a user who must change the password may still use.
fn allowed_before_password_change(path: &str) -> bool {
    // Exact paths: a suffix test would also let through any future route whose last segments
    // a caller controls (`/x/{name}/...` ending in `/auth/me`).
    let p = path.strip_prefix("/api/v1").unwrap_or(path);
    matches!(p, "/auth/me" | "/auth/password" | "/auth/logout")
}

async fn authenticate(State(state): State<ApiState>, mut req: Request, next: Next) -> Response {
    // Keys travel in headers only: a key in a URL ends up in logs and browser history.
    if let Some(q) = req.uri().query()
        && q.split('&').any(|kv| {
            let k = kv
                .split('=')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            matches!(
                k.as_str(),
                "api_key" | "apikey" | "key" | "token" | "access_token"
            )
        })
    {
        return error_code(
            StatusCode::BAD_REQUEST,
            "credentials_in_url",
            "credentials are never accepted in a URL: send the API key in the Authorization \
             header (Bearer KEY); the key may now be in logs, so rotate it",
        );
    }
    let headers = req.headers();
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .map(str::to_owned);
    let caller = if let Some(k) = presented {
        match key_owner(&state, &k) {
            Some((owner, id)) => state.auth.key_caller(&owner, &id),
            None => Err(Refusal::BadKey),
        }
    } else if let Some(token) = cookie(headers, SESSION_COOKIE) {
        state.auth.session_caller(token)
    } else {
        Err(Refusal::NoCredentials)
    };
    let caller = match caller {
        Ok(c) => c,
        Err(r) => {
            let (code, msg) = match r {
                Refusal::NoCredentials => (
                    "unauthorized",
                    "authentication required: log in, or send an API key in the Authorization \
                     header (Bearer KEY)",
                ),
                Refusal::BadKey => (
                    "unauthorized",
                    "this API key is not valid (unknown, revoked or expired): create one in \
                     the web UI or with `callscope-mediation api-key create NAME`",
                ),
                Refusal::SessionExpired => (
                    "session_expired",
                    "your session expired after inactivity: log in again",
                ),
                Refusal::UnknownSession => ("unauthorized", "you are not logged in: log in"),
                Refusal::AccountLocked => (
                    "locked",
                    "this account is locked; ask an administrator to unlock it",
                ),
                Refusal::AccountGone => ("unauthorized", "this account no longer exists"),
            };
            return unauthorized(code, msg);
        }
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if caller.principal.via == Via::Session && !safe {
        let sent = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let want = caller.csrf.as_deref().unwrap_or_default();
        if want.is_empty() || !ct_eq(sent.as_bytes(), want.as_bytes()) {
            return error_code(
                StatusCode::FORBIDDEN,
                "csrf",
                "missing or wrong X-CSRF-Token header: reload the page",
            );
        }
    }
    if caller.must_change && !allowed_before_password_change(req.uri().path()) {
        return error_code(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "you must choose a new password first (POST /api/v1/auth/password)",
        );
    }
    req.extensions_mut().insert(caller.principal);
    next.run(req).await
}

/// The principal the middleware attached (a handler behind it always has one).
pub fn principal(req_ext: &axum::http::Extensions) -> Option<&Principal> {
    req_ext.get::<Principal>()
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    for (k, v) in [
        (
            "content-security-policy",
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        ("referrer-policy", "no-referrer"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    // API answers are never cached; the UI's static files say how they may be.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Serves `app` over TLS on `listener` until the task is dropped. Plain HTTP is never served:
/// a connection that does not complete a TLS handshake in 10 s is closed.
pub async fn serve_https(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "https accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "https: TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "https: TLS handshake timed out");
                        return;
                    }
                };
            let app = tower::ServiceBuilder::new()
                .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ClientAddr(peer));
                    req
                })
                .service(app);
            let service = hyper_util::service::TowerToHyperService::new(app);
            let io = hyper_util::rt::TokioIo::new(tls);
            if let Err(e) =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(io, service)
                    .await
            {
                tracing::debug!(%peer, error = %e, "https connection ended with an error");
            }
        });
    }
}

/// The host part of a Host header when it is a plain name or address (no user info, no path).
fn redirect_host(host: &str) -> Option<&str> {
    let h = match host.strip_prefix('[') {
        Some(v6) => {
            return v6
                .split_once(']')
                .map(|(a, _)| a)
                .filter(|a| a.parse::<std::net::Ipv6Addr>().is_ok());
        }
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    (!h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
    .then_some(h)
}

/// The opt-in cleartext listener: every request gets a 308 to the same path on the HTTPS port,
/// and nothing else (no API, no UI, no cookies).
pub async fn serve_http_redirect(listener: tokio::net::TcpListener, https_port: u16) {
    let app = Router::new().fallback(move |req: Request| async move {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(redirect_host)
            .unwrap_or("localhost")
            .to_owned();
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let path = req
            .uri()
            .path_and_query()
            .map_or("/", axum::http::uri::PathAndQuery::as_str)
            .to_owned();
        let mut r = StatusCode::PERMANENT_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("https://{host}:{https_port}{path}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r
    });
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "HTTP redirect listener stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_three_auth_paths_pass_before_a_password_change() {
        for p in [
            "/auth/me",
            "/auth/password",
            "/auth/logout",
            "/api/v1/auth/me",
        ] {
            assert!(allowed_before_password_change(p), "{p}");
        }
        for p in [
            "/users/x/auth/me",
            "/tenants/auth/password",
            "/calls/auth/logout",
            "/auth/me/x",
            "/auth/users",
        ] {
            assert!(!allowed_before_password_change(p), "{p}");
        }
    }
}
