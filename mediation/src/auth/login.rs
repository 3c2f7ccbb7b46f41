//! The authentication service: password logins (local, RADIUS, combined), sessions, and who a
//! session or API key acts as. Shared by the HTTP handlers.
use super::audit::{AuditEvent, AuditLog};
use super::config::{AuthConfig, AuthMode};
use super::ratelimit::LoginLimiter;
use super::sessions::{Session, SessionError, SessionTable};
use super::tenants::TenantStore;
use super::users::{self, UserStore};
use super::{PermSet, Principal, Role, Via};
use sha2::Digest;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

pub fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn now_f() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Why a login failed. The HTTP layer maps these to 401/403/429 with the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("too many login attempts from your address; wait a minute and try again")]
    RateLimited,
    #[error("wrong user name or password")]
    BadCredentials,
    #[error(
        "this account is locked after too many failed logins; ask an administrator to unlock it"
    )]
    Locked,
    #[error("this temporary password has expired; ask an administrator for a new one")]
    TemporaryExpired,
    #[error("the authentication service failed; see the engine log")]
    Internal,
}

/// A successful login: the cookie value (shown once to the client) and the session.
pub struct LoginOk {
    pub token: String,
    pub session: Session,
    pub must_change: bool,
    pub principal: Principal,
}

/// Why a session or key does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoCredentials,
    BadKey,
    SessionExpired,
    UnknownSession,
    AccountLocked,
    AccountGone,
}

/// A resolved caller and whether it must change its password first.
pub struct Caller {
    pub principal: Principal,
    pub must_change: bool,
    /// The session's CSRF token (sessions only).
    pub csrf: Option<String>,
}

/// An external password check (RADIUS). `Ok(None)`: rejected; `Ok(Some(role))`: accepted with
/// that role; `Err(Unreachable)`: no server answered (combined modes fall back).
pub trait ExternalAuth: Send + Sync {
    fn check<'a>(
        &'a self,
        user: &'a str,
        password: &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<Role>, ExternalError>> + Send + 'a>,
    >;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExternalError {
    #[error("no authentication server answered")]
    Unreachable,
    #[error("the authentication server's answer was refused: {0}")]
    Invalid(String),
}

/// Bounds how many argon2 computations run at once. Each takes 19 MiB and a core for tens of
/// milliseconds; without a bound, logins from many addresses (each within its rate limit) fill
/// the blocking pool (512 threads: about 10 GB). Callers beyond the bound wait their turn.
pub struct HashGate {
    permits: tokio::sync::Semaphore,
    limit: usize,
}

impl HashGate {
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            permits: tokio::sync::Semaphore::new(limit),
            limit,
        }
    }

    /// One per core (2 to 8).
    pub fn for_this_machine() -> Self {
        Self::new(
            std::thread::available_parallelism()
                .map(std::num::NonZeroUsize::get)
                .unwrap_or(2)
                .clamp(2, 8),
        )
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Runs `f` (password hashing) on the blocking pool once a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, LoginError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| LoginError::Internal)?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|_| LoginError::Internal)
    }
}

/// Why a password change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordChangeError {
    /// The wrong current password locked the account (it counts as a failed login).
    #[error(
        "this account is locked after too many wrong passwords; ask an administrator to unlock it"
    )]
    Locked,
    /// A message for the user: wrong current password, policy rule broken...
    #[error("{0}")]
    Refused(String),
}

pub struct AuthService {
    pub cfg: AuthConfig,
    pub users: RwLock<UserStore>,
    pub tenants: RwLock<TenantStore>,
    pub sessions: Mutex<SessionTable>,
    pub audit: AuditLog,
    limiter: Mutex<LoginLimiter>,
    hashing: HashGate,
    external: Option<Arc<dyn ExternalAuth>>,
}

fn random_token() -> Result<String, LoginError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|_| LoginError::Internal)?;
    Ok(hex::encode(b))
}

enum LocalVerdict {
    Ok,
    Bad,
    NoUser,
}

impl AuthService {
    /// Opens the user, tenant and audit files in `data_dir`. On first start prints where the
    /// built-in admin's one-time password is (never the password itself).
    pub fn open(
        data_dir: &Path,
        cfg: AuthConfig,
        external: Option<Arc<dyn ExternalAuth>>,
    ) -> anyhow::Result<Self> {
        cfg.validate()?;
        let (users, initial) = UserStore::load_or_init(data_dir, now_s())?;
        let audit = AuditLog::open(data_dir)?;
        if let Some(file) = initial {
            eprintln!(
                "first start: the built-in user `admin` has a one-time password in {} \
                 (read it, log in, and choose a new one)",
                file.display()
            );
            audit.record(AuditEvent {
                ts: now_s(),
                event: "user_created".into(),
                actor: "system".into(),
                target: users::ADMIN.into(),
                client: String::new(),
                detail: "built-in admin with a one-time password".into(),
            });
        }
        if matches!(
            cfg.mode,
            AuthMode::Radius | AuthMode::LocalFirst | AuthMode::RadiusFirst
        ) && external.is_none()
        {
            anyhow::bail!(
                "[auth] mode {:?} needs RADIUS servers: configure [auth.radius] or set mode = \"local\"",
                cfg.mode
            );
        }
        Ok(Self {
            limiter: Mutex::new(LoginLimiter::new(cfg.login_rate_per_minute)),
            hashing: HashGate::for_this_machine(),
            sessions: Mutex::new(SessionTable::new(
                cfg.session_idle_timeout_s,
                cfg.session_max_age_s,
            )),
            tenants: RwLock::new(TenantStore::load(data_dir)?),
            users: RwLock::new(users),
            audit,
            cfg,
            external,
        })
    }

    pub fn audit(&self, event: &str, actor: &str, target: &str, client: &str, detail: &str) {
        self.audit.record(AuditEvent {
            ts: now_s(),
            event: event.into(),
            actor: actor.into(),
            target: target.into(),
            client: client.into(),
            detail: detail.into(),
        });
    }

    async fn local_check(&self, user: &str, password: &str) -> Result<LocalVerdict, LoginError> {
        let hash = self
            .users
            .read()
            .map_err(|_| LoginError::Internal)?
            .get(user)
            .map(|u| u.password_hash.clone());
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| users::dummy_hash().to_owned());
        let pw = password.to_owned();
        let ok = self
            .hashing
            .run(move || users::verify_hash(&hash, &pw))
            .await?;
        Ok(match (known, ok) {
            (false, _) => LocalVerdict::NoUser,
            (true, true) => LocalVerdict::Ok,
            (true, false) => LocalVerdict::Bad,
        })
    }

    /// Checks a password and opens a session.
    pub async fn login(
        &self,
        user: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<LoginOk, LoginError> {
        let client_s = client.to_string();
        let allowed = self
            .limiter
            .lock()
            .map_err(|_| LoginError::Internal)?
            .allow(client, now_f());
        if !allowed {
            self.audit("login_rate_limited", "-", "", &client_s, "");
            return Err(LoginError::RateLimited);
        }
        if password.len() > super::policy::MAX_LENGTH * 4 || user.len() > 256 {
            return Err(LoginError::BadCredentials);
        }
        let local_exists = self
            .users
            .read()
            .map_err(|_| LoginError::Internal)?
            .get(user)
            .is_some();
        // Which check decides, by mode.
        let use_external_first = match self.cfg.mode {
            AuthMode::Local => false,
            AuthMode::Radius | AuthMode::RadiusFirst => true,
            AuthMode::LocalFirst => !local_exists,
        };
        if use_external_first && let Some(ext) = &self.external {
            match ext.check(user, password).await {
                Ok(Some(role)) => return self.open_external(user, role, &client_s),
                Ok(None) => {
                    let actor = if local_exists { user } else { "-" };
                    self.audit("login_failed", actor, "", &client_s, "rejected by RADIUS");
                    return Err(LoginError::BadCredentials);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "RADIUS gave no decision");
                    // Only an unreachable RADIUS falls back; a reply that fails verification
                    // (wrong secret, forged packet) never opens the local path.
                    if self.cfg.mode != AuthMode::RadiusFirst || e != ExternalError::Unreachable {
                        self.audit(
                            "login_failed",
                            if local_exists { user } else { "-" },
                            "",
                            &client_s,
                            &e.to_string(),
                        );
                        return Err(LoginError::BadCredentials);
                    }
                    // radius-first: fall back to the local account.
                }
            }
        }
        if self.cfg.mode == AuthMode::Radius {
            return Err(LoginError::BadCredentials);
        }
        let verdict = self.local_check(user, password).await?;
        let now = now_s();
        let mut users = self.users.write().map_err(|_| LoginError::Internal)?;
        match verdict {
            LocalVerdict::NoUser => {
                drop(users);
                // People type passwords into the name field: an unknown name is recorded as a
                // digest, enough to see repeated attempts, never the text.
                let digest = hex::encode(sha2::Sha256::digest(user.as_bytes()));
                self.audit(
                    "login_failed",
                    "-",
                    "",
                    &client_s,
                    &format!(
                        "unknown user name (sha256 {})",
                        digest.get(..12).unwrap_or("")
                    ),
                );
                Err(LoginError::BadCredentials)
            }
            LocalVerdict::Bad => {
                let locked_now = users
                    .record_failure(user, self.cfg.max_failed_logins)
                    .map_err(|_| LoginError::Internal)?;
                let locked = users.get(user).is_some_and(|u| u.locked);
                drop(users);
                self.audit("login_failed", user, "", &client_s, "wrong password");
                if locked_now {
                    self.audit(
                        "lockout",
                        "system",
                        user,
                        &client_s,
                        &format!("{} failed logins", self.cfg.max_failed_logins),
                    );
                }
                if locked {
                    Err(LoginError::Locked)
                } else {
                    Err(LoginError::BadCredentials)
                }
            }
            LocalVerdict::Ok => {
                let Some(u) = users.get(user).cloned() else {
                    return Err(LoginError::BadCredentials);
                };
                if u.locked {
                    drop(users);
                    self.audit("login_failed", user, "", &client_s, "account locked");
                    return Err(LoginError::Locked);
                }
                if u.temporary_until.is_some_and(|t| now >= t) {
                    drop(users);
                    self.audit(
                        "login_failed",
                        user,
                        "",
                        &client_s,
                        "temporary password expired",
                    );
                    return Err(LoginError::TemporaryExpired);
                }
                users
                    .record_success(user, now)
                    .map_err(|_| LoginError::Internal)?;
                drop(users);
                let must_change = u.must_change
                    || super::policy::expired(&self.cfg.password, u.password_set_at, now);
                let tenant = self.tenant_of(u.tenant.as_deref());
                let principal = Principal::new(
                    u.name.clone(),
                    u.role,
                    u.permissions(),
                    tenant,
                    Via::Session,
                );
                let ok = self.open_session(user, None, must_change, principal)?;
                self.audit("login", user, "", &client_s, "local");
                Ok(ok)
            }
        }
    }

    fn open_external(&self, user: &str, role: Role, client: &str) -> Result<LoginOk, LoginError> {
        let perms = role.permissions();
        let principal = Principal::new(user.into(), role, perms, None, Via::Session).external();
        let ok = self.open_session(user, Some((role, perms)), false, principal)?;
        self.audit(
            "login",
            user,
            "",
            client,
            &format!("RADIUS, role {}", role.as_str()),
        );
        Ok(ok)
    }

    fn open_session(
        &self,
        user: &str,
        external: Option<(Role, PermSet)>,
        must_change: bool,
        principal: Principal,
    ) -> Result<LoginOk, LoginError> {
        let token = random_token()?;
        let now = now_s();
        let session = Session {
            user: user.into(),
            external,
            csrf: random_token()?,
            created: now,
            last_seen: now,
        };
        let mut t = self.sessions.lock().map_err(|_| LoginError::Internal)?;
        t.prune(now);
        t.insert(&token, session.clone());
        Ok(LoginOk {
            token,
            session,
            must_change,
            principal,
        })
    }

    fn tenant_of(&self, name: Option<&str>) -> Option<Arc<super::Tenant>> {
        let name = name?;
        let t = self.tenants.read().ok()?.get(name);
        if t.is_none() {
            // A user bound to a tenant that no longer exists sees nothing rather than all.
            return Some(Arc::new(super::Tenant {
                name: name.into(),
                sources: vec![],
                networks: vec![],
                realms: vec![],
            }));
        }
        t
    }

    /// The caller behind a local user name (sessions and API keys act as their user).
    fn caller_for_user(&self, user: &str, via: Via) -> Result<Caller, Refusal> {
        let users = self.users.read().map_err(|_| Refusal::AccountGone)?;
        let u = users.get(user).ok_or(Refusal::AccountGone)?;
        if u.locked {
            return Err(Refusal::AccountLocked);
        }
        let must_change =
            u.must_change || super::policy::expired(&self.cfg.password, u.password_set_at, now_s());
        let (name, role, perms, tenant) =
            (u.name.clone(), u.role, u.permissions(), u.tenant.clone());
        drop(users);
        Ok(Caller {
            principal: Principal::new(name, role, perms, self.tenant_of(tenant.as_deref()), via),
            must_change,
            csrf: None,
        })
    }

    /// The caller of a session cookie.
    pub fn session_caller(&self, token: &str) -> Result<Caller, Refusal> {
        let s = self
            .sessions
            .lock()
            .map_err(|_| Refusal::UnknownSession)?
            .touch(token, now_s())
            .map_err(|e| match e {
                SessionError::Expired => Refusal::SessionExpired,
                SessionError::Unknown => Refusal::UnknownSession,
            })?;
        let mut c = match s.external {
            Some((role, perms)) => Caller {
                principal: Principal::new(s.user.clone(), role, perms, None, Via::Session)
                    .external(),
                must_change: false,
                csrf: None,
            },
            None => self.caller_for_user(&s.user, Via::Session)?,
        };
        c.csrf = Some(s.csrf);
        Ok(c)
    }

    /// The caller of an API key owned by `owner`. A pending password change blocks the
    /// owner's sessions, not their keys: keys were made by the owner after logging in, or by
    /// root on the engine's machine (`api-key create`), and expire on their own.
    pub fn key_caller(&self, owner: &str, key_id: &str) -> Result<Caller, Refusal> {
        let mut c = self.caller_for_user(owner, Via::ApiKey(key_id.into()))?;
        c.must_change = false;
        Ok(c)
    }

    pub fn logout(&self, token: &str) -> Option<String> {
        self.sessions.lock().ok()?.remove(token).map(|s| s.user)
    }

    /// Ends every session of `user` (after a reset, lock, role change or deletion).
    pub fn end_sessions(&self, user: &str) {
        if let Ok(mut t) = self.sessions.lock() {
            t.remove_user(user);
        }
    }

    /// Changes a local user's password after checking the current one and the policy, then
    /// ends the user's other sessions (whoever else holds one is logged out; `keep`, the
    /// session the change came from, stays). A wrong current password counts as a failed
    /// login (towards the lockout), so a stolen session cannot guess the password.
    pub async fn change_password(
        &self,
        user: &str,
        current: &str,
        new: &str,
        client: IpAddr,
        keep: Option<&str>,
    ) -> Result<(), PasswordChangeError> {
        use PasswordChangeError::{Locked, Refused};
        let internal = || Refused("internal error; see the engine log".to_owned());
        let client_s = client.to_string();
        if current.len() > super::policy::MAX_LENGTH * 4
            || new.len() > super::policy::MAX_LENGTH * 4
        {
            return Err(Refused(super::policy::PolicyError::TooLong.to_string()));
        }
        let (hash, history) = {
            let users = self.users.read().map_err(|_| internal())?;
            let u = users.get(user).ok_or_else(|| {
                Refused("this account's password is managed by RADIUS; change it there".to_owned())
            })?;
            (u.password_hash.clone(), u.history.clone())
        };
        enum Outcome {
            WrongCurrent,
            Refused(String),
            Hashed(String),
        }
        let policy = self.cfg.password.clone();
        let (u, c, n) = (user.to_owned(), current.to_owned(), new.to_owned());
        let outcome = self
            .hashing
            .run(move || {
                if !users::verify_hash(&hash, &c) {
                    return Outcome::WrongCurrent;
                }
                if n == c {
                    return Outcome::Refused(super::policy::PolicyError::Unchanged.to_string());
                }
                let keep = policy.history;
                if let Err(e) = super::policy::check(&policy, &u, &n, |cand| {
                    users::verify_hash(&hash, cand)
                        || history
                            .iter()
                            .take(keep)
                            .any(|h| users::verify_hash(h, cand))
                }) {
                    return Outcome::Refused(e.to_string());
                }
                match users::hash_password(&n) {
                    Ok(h) => Outcome::Hashed(h),
                    Err(e) => Outcome::Refused(e.to_string()),
                }
            })
            .await
            .map_err(|_| internal())?;
        let new_hash = match outcome {
            Outcome::Hashed(h) => h,
            Outcome::Refused(e) => {
                self.audit("password_change_refused", user, user, &client_s, &e);
                return Err(Refused(e));
            }
            Outcome::WrongCurrent => {
                let locked_now = self
                    .users
                    .write()
                    .map_err(|_| internal())?
                    .record_failure(user, self.cfg.max_failed_logins)
                    .map_err(|_| internal())?;
                self.audit(
                    "password_change_refused",
                    user,
                    user,
                    &client_s,
                    "wrong current password",
                );
                if locked_now {
                    self.end_sessions(user);
                    self.audit(
                        "lockout",
                        "system",
                        user,
                        &client_s,
                        &format!("{} failed logins", self.cfg.max_failed_logins),
                    );
                    return Err(Locked);
                }
                return Err(Refused("the current password is wrong".into()));
            }
        };
        self.users
            .write()
            .map_err(|_| internal())?
            .set_password(user, new_hash, self.cfg.password.history, now_s())
            .map_err(|e| Refused(e.to_string()))?;
        let ended = self
            .sessions
            .lock()
            .map(|mut t| t.remove_user_except(user, keep))
            .unwrap_or(0);
        if user == users::ADMIN {
            // The one-time password is useless now; do not leave it lying around.
            let _ = std::fs::remove_file(self.users_dir().join(users::INITIAL_PASSWORD_FILE));
        }
        self.audit(
            "password_changed",
            user,
            user,
            &client_s,
            &if ended > 0 {
                format!("{ended} other sessions ended")
            } else {
                String::new()
            },
        );
        Ok(())
    }

    fn users_dir(&self) -> std::path::PathBuf {
        self.audit_dir()
    }

    fn audit_dir(&self) -> std::path::PathBuf {
        self.audit
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// RADIUS as the external password check: the reply's role (or the configured default);
/// an accept without a usable role is a refusal.
impl ExternalAuth for super::radius::RadiusClient {
    fn check<'a>(
        &'a self,
        user: &'a str,
        password: &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<Role>, ExternalError>> + Send + 'a>,
    > {
        Box::pin(async move {
            use super::radius::RadiusOutcome;
            match self.authenticate(user, password).await {
                Ok(RadiusOutcome::Accept { role }) => {
                    let role = role.as_deref().and_then(Role::parse);
                    if role.is_none() {
                        tracing::warn!(
                            user,
                            "RADIUS accepted a user without a role and no default_role is set: refused"
                        );
                    }
                    Ok(role)
                }
                Ok(RadiusOutcome::Reject) => Ok(None),
                Err(e) if e.is_unreachable() => {
                    tracing::warn!(error = %e, "RADIUS unreachable");
                    Err(ExternalError::Unreachable)
                }
                Err(e) => Err(ExternalError::Invalid(e.to_string())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Many logins at once never run more argon2 computations (19 MiB each) than the gate
    /// allows; the others wait and then all complete.
    #[test]
    fn hash_gate_bounds_concurrent_hashing() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(64)
            .enable_all()
            .build()
            .unwrap();
        let gate = Arc::new(HashGate::new(3));
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let done = rt.block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..24 {
                let (gate, active, peak) = (gate.clone(), active.clone(), peak.clone());
                tasks.push(tokio::spawn(async move {
                    gate.run(move || {
                        let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        users::verify_hash(users::dummy_hash(), "a guess");
                        active.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                }));
            }
            let mut n = 0;
            for t in tasks {
                t.await.unwrap().unwrap();
                n += 1;
            }
            n
        });
        assert_eq!(done, 24);
        let peak = peak.load(Ordering::SeqCst);
        assert!((1..=3).contains(&peak), "peak {peak} > 3");
        assert!((2..=8).contains(&HashGate::for_this_machine().limit()));
    }
}
