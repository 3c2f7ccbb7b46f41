//! Administration: users, API keys, tenants, audit log.
#![allow(clippy::result_large_err)] // handlers return ready-made responses as errors
use super::{ApiState, ClientAddr, error, error_code};
use crate::auth::login::now_s;
use crate::auth::tenants::Tenant;
use crate::auth::{Permission, Principal, Role, users};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route(
            "/users/{name}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/users/{name}/unlock", post(unlock_user))
        .route("/users/{name}/reset-password", post(reset_password))
        .route("/keys", get(list_keys).post(create_key))
        .route("/keys/{id}", axum::routing::delete(revoke_key))
        .route("/keys/{id}/rotate", post(rotate_key))
        .route("/tenants", get(list_tenants).post(put_tenant))
        .route(
            "/tenants/{name}",
            axum::routing::put(put_tenant_named).delete(delete_tenant),
        )
        .route("/audit", get(audit))
}

type Client = Option<Extension<ClientAddr>>;

fn ip(c: &Client) -> String {
    c.as_ref()
        .map(|Extension(c)| c.0.ip().to_string())
        .unwrap_or_default()
}

fn bad(msg: impl std::fmt::Display) -> Response {
    error(StatusCode::BAD_REQUEST, &msg.to_string())
}

fn internal() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; see the engine log",
    )
}

fn json_body<T>(
    b: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, Response> {
    b.map(|Json(t)| t)
        .map_err(|e| bad(format!("bad request body: {}", e.body_text())))
}

// ---- users ----

async fn list_users(State(s): State<ApiState>, Extension(p): Extension<Principal>) -> Response {
    if let Err(r) = p.require(Permission::UsersManage) {
        return r;
    }
    let Ok(users) = s.auth.users.read() else {
        return internal();
    };
    Json(serde_json::json!({
        "users": users.list().iter().map(users::User::view).collect::<Vec<_>>()
    }))
    .into_response()
}

async fn get_user(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    Path(name): Path<String>,
) -> Response {
    if !(p.is_local() && p.user == name)
        && let Err(r) = p.require(Permission::UsersManage)
    {
        return r;
    }
    let Ok(users) = s.auth.users.read() else {
        return internal();
    };
    match users.get(&name) {
        Some(u) => Json(u.view()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such user"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    role: Role,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    grants: Vec<Permission>,
    #[serde(default)]
    denies: Vec<Permission>,
}

fn check_tenant(s: &ApiState, t: Option<&str>) -> Result<(), Response> {
    match t {
        Some(name)
            if s.auth
                .tenants
                .read()
                .ok()
                .and_then(|ts| ts.get(name))
                .is_none() =>
        {
            Err(bad(format!(
                "no tenant named {name:?}: create it first (POST /api/v1/tenants)"
            )))
        }
        _ => Ok(()),
    }
}

async fn temp_hash() -> Result<(String, String), Response> {
    tokio::task::spawn_blocking(|| {
        let pw = users::temporary_password()?;
        let h = users::hash_password(&pw)?;
        anyhow::Ok((pw, h))
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(internal)
}

async fn create_user(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    body: Result<Json<NewUser>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(r) = p.require(Permission::UsersManage) {
        return r;
    }
    let b = match json_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = check_tenant(&s, b.tenant.as_deref()) {
        return r;
    }
    let (pw, hash) = match temp_hash().await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let hours = s.auth.cfg.password.temporary_valid_hours;
    let created = match s.auth.users.write() {
        Ok(mut u) => u.create(
            &b.name,
            b.role,
            b.tenant.clone(),
            b.grants,
            b.denies,
            hash,
            hours,
            now_s(),
        ),
        Err(_) => return internal(),
    };
    if let Err(e) = created {
        return bad(e);
    }
    s.auth.audit(
        "user_created",
        &p.user,
        &b.name,
        &ip(&c),
        &format!(
            "role {}{}",
            b.role.as_str(),
            b.tenant
                .map(|t| format!(", tenant {t}"))
                .unwrap_or_default()
        ),
    );
    (
        StatusCode::CREATED,
        Json(serde_json::json!({
            "name": b.name,
            "temporary_password": pw,
            "temporary_valid_hours": hours,
            "note": "shown once: give it to the user, who must change it at first login",
        })),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    role: Option<Role>,
    /// `null` removes the tenant; absent keeps it.
    #[serde(default, deserialize_with = "double_option")]
    tenant: Option<Option<String>>,
    grants: Option<Vec<Permission>>,
    denies: Option<Vec<Permission>>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

async fn update_user(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(name): Path<String>,
    body: Result<Json<UserPatch>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(r) = p.require(Permission::UsersManage) {
        return r;
    }
    let b = match json_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Some(Some(t)) = &b.tenant
        && let Err(r) = check_tenant(&s, Some(t))
    {
        return r;
    }
    let detail = format!(
        "{}{}{}{}",
        b.role
            .map(|r| format!("role {} ", r.as_str()))
            .unwrap_or_default(),
        b.tenant
            .as_ref()
            .map(|t| format!("tenant {} ", t.as_deref().unwrap_or("none")))
            .unwrap_or_default(),
        b.grants
            .as_ref()
            .map(|g| format!("grants {g:?} "))
            .unwrap_or_default(),
        b.denies
            .as_ref()
            .map(|d| format!("denies {d:?}"))
            .unwrap_or_default(),
    );
    let r = match s.auth.users.write() {
        Ok(mut u) => u.update(&name, b.role, b.tenant, b.grants, b.denies),
        Err(_) => return internal(),
    };
    match r {
        Ok(()) => {
            s.auth.end_sessions(&name);
            s.auth
                .audit("user_updated", &p.user, &name, &ip(&c), detail.trim());
            let u = s
                .auth
                .users
                .read()
                .ok()
                .and_then(|u| u.get(&name).map(users::User::view));
            Json(u.unwrap_or_default()).into_response()
        }
        Err(e) if e.to_string().starts_with("no user") => {
            error(StatusCode::NOT_FOUND, &e.to_string())
        }
        Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
    }
}

async fn delete_user(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::UsersManage) {
        return r;
    }
    if name == p.user {
        return error(StatusCode::CONFLICT, "you cannot delete your own account");
    }
    let r = match s.auth.users.write() {
        Ok(mut u) => u.delete(&name),
        Err(_) => return internal(),
    };
    match r {
        Ok(()) => {
            s.auth.end_sessions(&name);
            let revoked = revoke_keys_of(&s, &name);
            s.auth.audit(
                "user_deleted",
                &p.user,
                &name,
                &ip(&c),
                &format!("{revoked} API keys revoked"),
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) if e.to_string().starts_with("no user") => {
            error(StatusCode::NOT_FOUND, &e.to_string())
        }
        Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
    }
}

fn revoke_keys_of(s: &ApiState, user: &str) -> usize {
    let Ok(mut keys) = s.keys.write() else {
        return 0;
    };
    let ids: Vec<String> = keys
        .list()
        .iter()
        .filter(|k| k.owner() == user)
        .map(|k| k.id.clone())
        .collect();
    ids.iter().filter(|id| keys.revoke(id).is_ok()).count()
}

async fn unlock_user(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::UsersManage) {
        return r;
    }
    let r = match s.auth.users.write() {
        Ok(mut u) => u.unlock(&name),
        Err(_) => return internal(),
    };
    match r {
        Ok(()) => {
            s.auth.audit("user_unlocked", &p.user, &name, &ip(&c), "");
            Json(serde_json::json!({"unlocked": name})).into_response()
        }
        Err(e) => error(StatusCode::NOT_FOUND, &e.to_string()),
    }
}

async fn reset_password(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::UsersManage) {
        return r;
    }
    let (pw, hash) = match temp_hash().await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let hours = s.auth.cfg.password.temporary_valid_hours;
    let r = match s.auth.users.write() {
        Ok(mut u) => u.reset_password(&name, hash, hours, now_s()),
        Err(_) => return internal(),
    };
    match r {
        Ok(()) => {
            s.auth.end_sessions(&name);
            s.auth.audit("password_reset", &p.user, &name, &ip(&c), "");
            Json(serde_json::json!({
                "name": name,
                "temporary_password": pw,
                "temporary_valid_hours": hours,
            }))
            .into_response()
        }
        Err(e) => error(StatusCode::NOT_FOUND, &e.to_string()),
    }
}

// ---- API keys ----

/// Everyone with keys:own sees and manages their own keys; users:manage sees all. Keys belong
/// to local accounts: a RADIUS user whose name equals a local account's owns none of its keys.
fn may_manage_key(p: &Principal, owner: &str) -> bool {
    p.can(Permission::UsersManage)
        || (p.is_local() && p.can(Permission::KeysOwn) && p.user == owner)
}

async fn list_keys(State(s): State<ApiState>, Extension(p): Extension<Principal>) -> Response {
    if !p.can(Permission::KeysOwn) && !p.can(Permission::UsersManage) {
        return p
            .require(Permission::KeysOwn)
            .err()
            .unwrap_or_else(internal);
    }
    let Ok(keys) = s.keys.read() else {
        return internal();
    };
    let list: Vec<_> = keys
        .list()
        .iter()
        .filter(|k| may_manage_key(&p, k.owner()))
        .map(super::keys::KeyEntry::view)
        .collect();
    Json(serde_json::json!({ "keys": list })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    /// Days until expiry; absent: never.
    expires_days: Option<u32>,
    /// Owner (users:manage only); default: the caller.
    user: Option<String>,
}

async fn create_key(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    body: Result<Json<NewKey>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let b = match json_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let owner = match b.user.clone() {
        Some(u) => u,
        None if p.is_local() => p.user.clone(),
        None => {
            return bad(
                "you logged in through RADIUS: API keys belong to local accounts; an \
                 administrator can create one for a local user (\"user\": NAME)",
            );
        }
    };
    if !may_manage_key(&p, &owner) {
        return error_code(
            StatusCode::FORBIDDEN,
            "forbidden",
            "you may create API keys only for yourself, and only with the keys:own permission",
        );
    }
    let exists = s
        .auth
        .users
        .read()
        .ok()
        .is_some_and(|u| u.get(&owner).is_some());
    if !exists {
        return bad(format!(
            "no local user {owner:?}: API keys belong to a local account"
        ));
    }
    let key = match s.keys.write() {
        Ok(mut k) => k.create(&b.name, b.expires_days, &owner),
        Err(_) => return internal(),
    };
    match key {
        Ok(key) => {
            let id = key.split_once('.').map(|(i, _)| i).unwrap_or_default();
            s.auth.audit(
                "key_created",
                &p.user,
                id,
                &ip(&c),
                &format!("owner {owner}, name {:?}", b.name),
            );
            (
                StatusCode::CREATED,
                Json(serde_json::json!({
                    "id": id,
                    "key": key,
                    "owner": owner,
                    "note": "shown once: store it now; send it as Authorization: Bearer KEY",
                })),
            )
                .into_response()
        }
        Err(e) => bad(e),
    }
}

/// The owner of key `id` if the caller may manage it; 404 otherwise (a key the caller may
/// not manage does not exist for them).
fn managed_key_owner(s: &ApiState, p: &Principal, id: &str) -> Result<String, Response> {
    s.keys
        .read()
        .ok()
        .and_then(|k| k.get(id).map(|k| k.owner().to_owned()))
        .filter(|o| may_manage_key(p, o))
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "no API key with this id that you manage",
            )
        })
}

async fn revoke_key(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(id): Path<String>,
) -> Response {
    let owner = match managed_key_owner(&s, &p, &id) {
        Ok(o) => o,
        Err(r) => return r,
    };
    match s.keys.write().map(|mut k| k.revoke(&id)) {
        Ok(Ok(())) => {
            s.auth.audit(
                "key_revoked",
                &p.user,
                &id,
                &ip(&c),
                &format!("owner {owner}"),
            );
            StatusCode::NO_CONTENT.into_response()
        }
        _ => internal(),
    }
}

async fn rotate_key(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(id): Path<String>,
) -> Response {
    let owner = match managed_key_owner(&s, &p, &id) {
        Ok(o) => o,
        Err(r) => return r,
    };
    match s.keys.write().map(|mut k| k.rotate(&id)) {
        Ok(Ok((key, entry))) => {
            s.auth.audit(
                "key_rotated",
                &p.user,
                &id,
                &ip(&c),
                &format!("owner {owner}, new id {}", entry.id),
            );
            Json(serde_json::json!({
                "id": entry.id,
                "key": key,
                "replaces": id,
                "note": "shown once; the old key no longer works",
            }))
            .into_response()
        }
        _ => internal(),
    }
}

// ---- tenants ----

async fn list_tenants(State(s): State<ApiState>, Extension(p): Extension<Principal>) -> Response {
    if !p.can(Permission::ConfigManage) && !p.can(Permission::UsersManage) {
        return p
            .require(Permission::ConfigManage)
            .err()
            .unwrap_or_else(internal);
    }
    let Ok(t) = s.auth.tenants.read() else {
        return internal();
    };
    let list: Vec<&Tenant> = t.list().iter().map(|t| &**t).collect();
    Json(serde_json::json!({ "tenants": list })).into_response()
}

async fn put_tenant(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    body: Result<Json<Tenant>, axum::extract::rejection::JsonRejection>,
) -> Response {
    store_tenant(s, p, c, body, None).await
}

async fn put_tenant_named(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(name): Path<String>,
    body: Result<Json<Tenant>, axum::extract::rejection::JsonRejection>,
) -> Response {
    store_tenant(s, p, c, body, Some(name)).await
}

async fn store_tenant(
    s: ApiState,
    p: Principal,
    c: Client,
    body: Result<Json<Tenant>, axum::extract::rejection::JsonRejection>,
    name: Option<String>,
) -> Response {
    if let Err(r) = p.require(Permission::ConfigManage) {
        return r;
    }
    let t = match json_body(body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if name.as_ref().is_some_and(|n| *n != t.name) {
        return bad("the tenant name in the body differs from the one in the URL");
    }
    let detail = serde_json::to_string(&t).unwrap_or_default();
    let name = t.name.clone();
    match s.auth.tenants.write().map(|mut ts| ts.put(t)) {
        Ok(Ok(())) => {
            s.auth
                .audit("tenant_changed", &p.user, &name, &ip(&c), &detail);
            Json(serde_json::json!({ "saved": name })).into_response()
        }
        Ok(Err(e)) => bad(e),
        Err(_) => internal(),
    }
}

async fn delete_tenant(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    c: Client,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::ConfigManage) {
        return r;
    }
    match s.auth.tenants.write().map(|mut ts| ts.remove(&name)) {
        Ok(Ok(true)) => {
            s.auth.audit("tenant_deleted", &p.user, &name, &ip(&c), "");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(Ok(false)) => error(StatusCode::NOT_FOUND, "no such tenant"),
        _ => internal(),
    }
}

// ---- audit ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
    format: Option<String>,
}

fn epoch_param(v: &str) -> Option<u64> {
    v.parse::<u64>()
        .ok()
        .or_else(|| callscope_shared::analysis::time::parse_rfc3339(v).map(|ns| ns / 1_000_000_000))
}

async fn audit(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(r) = p.require(Permission::AuditRead) {
        return r;
    }
    let Ok(Query(q)) = q else {
        return bad(
            "audit parameters: from, to (RFC 3339 or epoch seconds), limit, format=json|csv",
        );
    };
    let parse = |name: &str, v: &Option<String>| match v {
        None => Ok(None),
        Some(v) => epoch_param(v)
            .map(Some)
            .ok_or_else(|| bad(format!("{name}={v:?}: give RFC 3339 or seconds since 1970"))),
    };
    let (from, to) = match (parse("from", &q.from), parse("to", &q.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let limit = q.limit.unwrap_or(1000).clamp(1, 100_000);
    let auth = s.auth.clone();
    let events = match tokio::task::spawn_blocking(move || auth.audit.query(from, to, limit)).await
    {
        Ok(Ok(e)) => e,
        _ => return internal(),
    };
    match q.format.as_deref() {
        None | Some("json") => Json(serde_json::json!({ "events": events })).into_response(),
        Some("csv") => {
            let mut r = crate::auth::audit::to_csv(&events).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"callscope-audit.csv\""),
            );
            r
        }
        Some(f) => bad(format!("format={f:?}: use json or csv")),
    }
}
