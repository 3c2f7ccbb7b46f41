//! `/api/v1` handlers over the [`CallReader`] the storage provides.
use super::{ApiState, error};
use crate::auth::{Permission, Principal, Tenant};
use axum::Json;
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

/// Call search parameters (all optional; `from`/`to` are RFC 3339 or seconds since epoch).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Caller or callee number/user, `*` and `?` wildcards.
    pub number: Option<String>,
    pub call_id: Option<String>,
    pub ip: Option<String>,
    /// `2xx`, `4xx`, ...
    pub status: Option<String>,
    pub min_duration_s: Option<f64>,
    pub max_duration_s: Option<f64>,
    pub mos_below: Option<f64>,
    pub source: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// Read access to stored calls, as JSON documents (the storage decides the layout).
/// With a tenant, only its calls exist: search skips the others and a lookup of one answers
/// `None` (not found, so an id does not reveal another tenant's call).
pub trait CallReader: Send + Sync {
    fn search(
        &self,
        q: &SearchParams,
        tenant: Option<&Tenant>,
    ) -> anyhow::Result<serde_json::Value>;
    fn call(&self, id: &str, tenant: Option<&Tenant>) -> anyhow::Result<Option<serde_json::Value>>;
    fn messages(
        &self,
        id: &str,
        tenant: Option<&Tenant>,
    ) -> anyhow::Result<Option<serde_json::Value>>;
    /// The call's stored messages as stored (SIP, and the RTCP and report pseudo-messages), in
    /// time order, for the pcap export; `None` as for [`Self::call`].
    fn raw_messages(
        &self,
        id: &str,
        tenant: Option<&Tenant>,
    ) -> anyhow::Result<Option<Vec<crate::storage::StoredMessage>>>;
}

pub(super) fn v1() -> Router<ApiState> {
    Router::new()
        .route("/status", get(status))
        .route("/calls", get(search))
        .route("/calls/{id}", get(call))
        .route("/calls/{id}/messages", get(messages))
}

async fn status(State(s): State<ApiState>, Extension(p): Extension<Principal>) -> Response {
    if let Err(r) = p.require(Permission::StatusRead) {
        return r;
    }
    Json(serde_json::json!({
        "engine": s.stats.snapshot(),
        "hep": s.hep.snapshot(),
    }))
    .into_response()
}

pub(super) fn internal(e: anyhow::Error) -> Response {
    tracing::error!(error = %e, "api: storage read failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "storage read failed; see the engine log",
    )
}

async fn search(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(r) = p.require(Permission::CallsRead) {
        return r;
    }
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("bad search parameters: {e}"),
            );
        }
    };
    let mask = !p.can(Permission::NumbersView);
    if mask && !super::privacy::number_search_allowed(q.number.as_deref()) {
        return super::error_code(
            StatusCode::FORBIDDEN,
            "forbidden",
            "searching numbers with * or ? needs the permission numbers:view: search a whole \
             number, or ask an administrator",
        );
    }
    let reader = s.reader.clone();
    let tenant = p.tenant.clone();
    match tokio::task::spawn_blocking(move || reader.search(&q, tenant.as_deref())).await {
        Ok(Ok(mut v)) => {
            if mask {
                super::privacy::mask_search(&mut v);
            }
            Json(v).into_response()
        }
        Ok(Err(e)) if e.to_string().starts_with("bad query:") => {
            error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e.into()),
    }
}

async fn call(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::CallsRead) {
        return r;
    }
    let reader = s.reader.clone();
    let tenant = p.tenant.clone();
    let mask = !p.can(Permission::NumbersView);
    match tokio::task::spawn_blocking(move || reader.call(&id, tenant.as_deref())).await {
        Ok(Ok(Some(mut v))) => {
            if mask {
                super::privacy::mask_call(&mut v);
            }
            Json(v).into_response()
        }
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "no call with this id"),
        Ok(Err(e)) if e.to_string().starts_with("bad query:") => {
            error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e.into()),
    }
}

async fn messages(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::CallsRead) {
        return r;
    }
    let reader = s.reader.clone();
    let tenant = p.tenant.clone();
    let mask = !p.can(Permission::NumbersView);
    match tokio::task::spawn_blocking(move || reader.messages(&id, tenant.as_deref())).await {
        Ok(Ok(Some(mut v))) => {
            if mask {
                super::privacy::mask_messages(&mut v);
            }
            Json(v).into_response()
        }
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "no call with this id"),
        Ok(Err(e)) if e.to_string().starts_with("bad query:") => {
            error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e.into()),
    }
}
