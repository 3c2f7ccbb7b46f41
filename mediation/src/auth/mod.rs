//! Users, roles, permissions, tenants, sessions, login policy and the audit log.
//!
//! The pure parts (password policy, session table, login rate limit, tenant matching) take the
//! time as an argument; only [`users::UserStore`] and [`audit::AuditLog`] touch files, and only
//! the HTTP layer (`crate::api`) touches sockets.
pub mod audit;
pub mod config;
pub mod login;
pub mod policy;
pub mod radius;
pub mod ratelimit;
pub mod sessions;
pub mod tenants;
pub mod users;

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub use tenants::Tenant;

/// A built-in role: a default set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Operator,
    Monitor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Monitor => "monitor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            "monitor" => Some(Role::Monitor),
            _ => None,
        }
    }

    /// The role's default permissions.
    pub fn permissions(self) -> PermSet {
        use Permission::*;
        match self {
            Role::Admin => PermSet::ALL,
            Role::Operator => PermSet::of(&[
                StatusRead,
                CallsRead,
                CallsExport,
                NumbersView,
                KeysOwn,
                PkiView,
            ]),
            Role::Monitor => PermSet::of(&[StatusRead, CallsRead]),
        }
    }
}

/// One thing a user may do. Roles are sets of these; a user can be granted or denied more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "status:read")]
    StatusRead,
    #[serde(rename = "calls:read")]
    CallsRead,
    #[serde(rename = "calls:export")]
    CallsExport,
    /// Unmasked numbers and URIs; without it privacy mode masks them.
    #[serde(rename = "numbers:view")]
    NumbersView,
    #[serde(rename = "keys:own")]
    KeysOwn,
    #[serde(rename = "users:manage")]
    UsersManage,
    #[serde(rename = "pki:view")]
    PkiView,
    #[serde(rename = "pki:manage")]
    PkiManage,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "config:manage")]
    ConfigManage,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::StatusRead,
        Permission::CallsRead,
        Permission::CallsExport,
        Permission::NumbersView,
        Permission::KeysOwn,
        Permission::UsersManage,
        Permission::PkiView,
        Permission::PkiManage,
        Permission::AuditRead,
        Permission::ConfigManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::StatusRead => "status:read",
            Permission::CallsRead => "calls:read",
            Permission::CallsExport => "calls:export",
            Permission::NumbersView => "numbers:view",
            Permission::KeysOwn => "keys:own",
            Permission::UsersManage => "users:manage",
            Permission::PkiView => "pki:view",
            Permission::PkiManage => "pki:manage",
            Permission::AuditRead => "audit:read",
            Permission::ConfigManage => "config:manage",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of permissions (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermSet(u16);

impl PermSet {
    pub const ALL: PermSet = PermSet((1 << Permission::ALL.len()) - 1);

    pub fn of(ps: &[Permission]) -> PermSet {
        PermSet(ps.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// The role's set with grants added and denies removed.
    pub fn adjusted(self, grants: &[Permission], denies: &[Permission]) -> PermSet {
        PermSet((self.0 | PermSet::of(grants).0) & !PermSet::of(denies).0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The web UI's session cookie; changes need the session's CSRF token.
    Session,
    /// An API key in a header (its public id).
    ApiKey(String),
}

/// Who is calling. The auth middleware puts one in the request extensions of every `/api/v1`
/// route except login and the OpenAPI document.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    /// `None`: sees every call.
    pub tenant: Option<Arc<Tenant>>,
    pub via: Via,
    perms: PermSet,
    /// Authenticated by RADIUS (no local account): the name is RADIUS's, and a local account
    /// with the same name is someone else's.
    external: bool,
}

impl Principal {
    pub fn new(
        user: String,
        role: Role,
        perms: PermSet,
        tenant: Option<Arc<Tenant>>,
        via: Via,
    ) -> Self {
        Self {
            user,
            role,
            tenant,
            via,
            perms,
            external: false,
        }
    }

    /// The same principal, marked as authenticated by RADIUS (see [`Principal::is_local`]).
    pub fn external(mut self) -> Self {
        self.external = true;
        self
    }

    /// Whether `user` names a local account this principal owns. A RADIUS user whose name
    /// equals a local account's must never act on that account (its keys, its record, its
    /// password): the two are different people.
    pub fn is_local(&self) -> bool {
        !self.external
    }

    pub fn can(&self, p: Permission) -> bool {
        self.perms.contains(p)
    }

    pub fn permissions(&self) -> PermSet {
        self.perms
    }

    /// `Err` is a 403 naming the missing permission.
    #[allow(clippy::result_large_err)]
    pub fn require(&self, p: Permission) -> Result<(), Response> {
        if self.can(p) {
            Ok(())
        } else {
            Err(crate::api::error_code(
                StatusCode::FORBIDDEN,
                "forbidden",
                &format!(
                    "your role ({}) lacks the permission {}; ask an administrator",
                    self.role.as_str(),
                    p.as_str()
                ),
            ))
        }
    }

    /// Whether this principal's tenant covers the call by source or address (always true
    /// without a tenant). Realm criteria need the call record: see [`Tenant::covers`].
    pub fn sees(&self, summary: &crate::storage::CallSummary) -> bool {
        self.tenant
            .as_ref()
            .is_none_or(|t| t.covers(summary, || None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_and_adjustments_apply() {
        let op = Role::Operator.permissions();
        let mon = Role::Monitor.permissions();
        for p in mon.iter() {
            assert!(op.contains(p), "operator lacks monitor's {p:?}");
        }
        for p in op.iter() {
            assert!(PermSet::ALL.contains(p));
        }
        assert!(!mon.contains(Permission::NumbersView));
        let m2 = mon.adjusted(&[Permission::NumbersView], &[Permission::StatusRead]);
        assert!(m2.contains(Permission::NumbersView));
        assert!(!m2.contains(Permission::StatusRead));
        assert_eq!(PermSet::ALL.iter().count(), Permission::ALL.len());
    }

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            let j = serde_json::to_string(&p).unwrap();
            assert_eq!(j, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<Permission>(&j).unwrap(), p);
        }
    }
}
