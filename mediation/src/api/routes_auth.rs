//! `/api/v1/auth`: login, logout, who am I, password change.
use super::{ApiState, ClientAddr, SESSION_COOKIE, cookie, error, error_code};
use crate::auth::Principal;
use crate::auth::login::{LoginError, PasswordChangeError};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn public() -> Router<ApiState> {
    Router::new().route("/auth/login", post(login))
}

pub(super) fn protected() -> Router<ApiState> {
    Router::new()
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/auth/password", post(password))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

fn client(ext: Option<Extension<ClientAddr>>) -> std::net::SocketAddr {
    ext.map_or(
        std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
        |Extension(c)| c.0,
    )
}

/// The body of login and `me`.
fn me_body(p: &Principal, must_change: bool, csrf: &str, idle_s: u64) -> serde_json::Value {
    serde_json::json!({
        "user": p.user,
        "role": p.role,
        "permissions": p.permissions().iter().collect::<Vec<_>>(),
        "tenant": p.tenant.as_ref().map(|t| t.name.clone()),
        "must_change_password": must_change,
        "csrf_token": csrf,
        "idle_timeout_s": idle_s,
    })
}

async fn login(
    State(s): State<ApiState>,
    addr: Option<Extension<ClientAddr>>,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "send JSON {\"username\": ..., \"password\": ...} with Content-Type: application/json",
        );
    };
    let peer = client(addr);
    match s.auth.login(&b.username, &b.password, peer.ip()).await {
        Ok(ok) => {
            let body = me_body(
                &ok.principal,
                ok.must_change,
                &ok.session.csrf,
                s.auth.cfg.session_idle_timeout_s,
            );
            let mut r = Json(body).into_response();
            let c = format!(
                "{SESSION_COOKIE}={}; HttpOnly; Secure; SameSite=Strict; Path=/",
                ok.token
            );
            if let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let msg = e.to_string();
            match e {
                LoginError::RateLimited => {
                    let mut r = error_code(StatusCode::TOO_MANY_REQUESTS, "rate_limited", &msg);
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                    r
                }
                LoginError::Locked => error_code(StatusCode::FORBIDDEN, "locked", &msg),
                LoginError::TemporaryExpired => {
                    error_code(StatusCode::FORBIDDEN, "temporary_expired", &msg)
                }
                LoginError::BadCredentials => {
                    let mut r = error_code(StatusCode::UNAUTHORIZED, "bad_credentials", &msg);
                    r.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer realm=\"callscope\""),
                    );
                    r
                }
                LoginError::Internal => error(StatusCode::INTERNAL_SERVER_ERROR, &msg),
            }
        }
    }
}

async fn logout(
    State(s): State<ApiState>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Some(user) = s.auth.logout(token)
    {
        s.auth
            .audit("logout", &user, "", &client(addr).ip().to_string(), "");
    }
    let mut r = Json(serde_json::json!({"logged_out": true})).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "callscope_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0",
        ),
    );
    r
}

async fn me(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Response {
    // The middleware resolved the caller; look again for the CSRF token and password state.
    let caller = match cookie(&headers, SESSION_COOKIE) {
        Some(t) if p.via == crate::auth::Via::Session => s.auth.session_caller(t).ok(),
        _ => None,
    };
    let (must_change, csrf) = match &caller {
        Some(c) => (c.must_change, c.csrf.clone().unwrap_or_default()),
        None => (false, String::new()),
    };
    Json(me_body(
        &p,
        must_change,
        &csrf,
        s.auth.cfg.session_idle_timeout_s,
    ))
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn password(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Result<Json<PasswordBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(b)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "send JSON {\"current_password\": ..., \"new_password\": ...}",
        );
    };
    if !p.is_local() {
        // A local account with the same name belongs to someone else.
        return error_code(
            StatusCode::BAD_REQUEST,
            "password_policy",
            "this account's password is managed by RADIUS; change it there",
        );
    }
    // The session the change comes from stays; the account's other sessions end.
    let keep = match p.via {
        crate::auth::Via::Session => cookie(&headers, SESSION_COOKIE),
        crate::auth::Via::ApiKey(_) => None,
    };
    match s
        .auth
        .change_password(
            &p.user,
            &b.current_password,
            &b.new_password,
            client(addr).ip(),
            keep,
        )
        .await
    {
        Ok(()) => Json(serde_json::json!({"changed": true})).into_response(),
        Err(e @ PasswordChangeError::Locked) => {
            error_code(StatusCode::FORBIDDEN, "locked", &e.to_string())
        }
        Err(PasswordChangeError::Refused(msg)) => {
            error_code(StatusCode::BAD_REQUEST, "password_policy", &msg)
        }
    }
}
