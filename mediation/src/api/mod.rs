//! The HTTPS REST API (`/api/v1`): authenticated, security headers on every response, TLS
//! only. This is the read API of the engine (calls, messages, streams, status); the web UI and
//! user management build on it.
pub mod keys;
pub mod reader;
mod routes;
pub mod ui;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use routes::{CallReader, SearchParams};

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub reader: Arc<dyn CallReader>,
    pub keys: Arc<RwLock<keys::ApiKeys>>,
    pub stats: Arc<crate::engine::EngineStats>,
    pub hep: Arc<crate::ingest::hep::HepCounters>,
    pub data_dir: std::path::PathBuf,
}

/// The router with its layers: authentication, then security headers on every response
/// (errors included).
pub fn router(state: ApiState) -> Router {
    Router::new()
        .nest("/api/v1", routes::v1())
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        // The web UI's static files need no authentication (added after the auth layer).
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

async fn authenticate(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| req.headers().get("x-api-key").and_then(|v| v.to_str().ok()))
        .map(str::to_owned);
    let verify = |k: &str| {
        state
            .keys
            .read()
            .map(|keys| keys.verify(k).is_some())
            .unwrap_or(false)
    };
    let mut ok = presented.as_deref().is_some_and(verify);
    // A key made with `api-key create` while the engine runs is on disk only: reload once.
    if !ok
        && presented.is_some()
        && let Ok(fresh) = keys::ApiKeys::load(&state.data_dir)
        && let Ok(mut keys) = state.keys.write()
    {
        *keys = fresh;
        drop(keys);
        ok = presented.as_deref().is_some_and(verify);
    }
    if !ok {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "authentication required: send an API key in the Authorization header \
             (Bearer KEY); create one with `callscope-mediation api-key create NAME`",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"callscope\""),
        );
        return r;
    }
    next.run(req).await
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
