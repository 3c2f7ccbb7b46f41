//! `[auth]` configuration: login mode, sessions, lockout, rate limit, password policy.
use serde::Deserialize;

/// Where passwords are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// Local users only.
    #[default]
    Local,
    /// RADIUS only (local accounts are not consulted).
    Radius,
    /// A local account decides for its name; names without one go to RADIUS.
    LocalFirst,
    /// RADIUS decides; local accounts are used only when no RADIUS server answers.
    RadiusFirst,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub mode: AuthMode,
    /// A session unused this long ends (the user logs in again).
    pub session_idle_timeout_s: u64,
    /// A session ends this long after login, used or not.
    pub session_max_age_s: u64,
    /// Consecutive failed logins that lock a local account; only an admin unlocks it.
    pub max_failed_logins: u32,
    /// Login attempts per minute from one client address (then 429).
    pub login_rate_per_minute: u32,
    pub password: PasswordPolicy,
    /// RADIUS servers (needed by the modes other than `local`); see `auth::radius`.
    pub radius: Option<super::radius::RadiusConfig>,
}

/// Password rules for local accounts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicy {
    pub min_length: usize,
    /// How many of the four classes (lower case, upper case, digit, other) a password needs.
    pub min_classes: usize,
    /// A new password may not equal any of the last N.
    pub history: usize,
    /// A password older than this must be changed at the next login (0: never expires).
    pub max_age_days: u32,
    /// A temporary password (new user, reset) is refused after this long.
    pub temporary_valid_hours: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            mode: AuthMode::Local,
            session_idle_timeout_s: 900,
            session_max_age_s: 12 * 3600,
            max_failed_logins: 5,
            login_rate_per_minute: 10,
            password: PasswordPolicy::default(),
            radius: None,
        }
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 12,
            min_classes: 3,
            history: 5,
            max_age_days: 90,
            temporary_valid_hours: 72,
        }
    }
}

impl AuthConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.mode != AuthMode::Local && self.radius.is_none() {
            anyhow::bail!(
                "[auth] mode {:?} needs RADIUS servers: add [auth.radius] servers = [...] or set mode = \"local\"",
                self.mode
            );
        }
        if self.session_idle_timeout_s == 0 || self.session_max_age_s == 0 {
            anyhow::bail!("[auth] session timeouts must be at least 1 second");
        }
        if self.max_failed_logins == 0 {
            anyhow::bail!("[auth] max_failed_logins must be at least 1");
        }
        if self.login_rate_per_minute == 0 {
            anyhow::bail!("[auth] login_rate_per_minute must be at least 1");
        }
        if self.password.min_length < 8 {
            anyhow::bail!("[auth.password] min_length below 8 is not allowed");
        }
        if !(1..=4).contains(&self.password.min_classes) {
            anyhow::bail!("[auth.password] min_classes must be 1 to 4");
        }
        Ok(())
    }
}
