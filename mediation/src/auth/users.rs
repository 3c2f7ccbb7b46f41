//! Local user accounts in `data_dir/users.json` (mode 0600): argon2id password hashes with
//! history, temporary passwords, lockout. Hashing is slow on purpose: call [`hash_password`]
//! and [`verify_hash`] off the async runtime.
use super::{PermSet, Permission, Role};
use anyhow::{Context, anyhow, bail};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The built-in administrator, created at first start.
pub const ADMIN: &str = "admin";
/// Where the first start writes the built-in admin's initial password (removed once changed).
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub grants: Vec<Permission>,
    #[serde(default)]
    pub denies: Vec<Permission>,
    /// Tenant name; `None`: sees all calls.
    #[serde(default)]
    pub tenant: Option<String>,
    /// PHC string (`$argon2id$v=19$...`).
    pub password_hash: String,
    /// Previous hashes, newest first (for the history rule).
    #[serde(default)]
    pub history: Vec<String>,
    /// Seconds since the epoch.
    pub password_set_at: u64,
    /// Must choose a new password before doing anything else.
    pub must_change: bool,
    /// A temporary password is refused after this time.
    #[serde(default)]
    pub temporary_until: Option<u64>,
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub locked: bool,
    pub created: u64,
    #[serde(default)]
    pub last_login: Option<u64>,
}

impl User {
    pub fn permissions(&self) -> PermSet {
        self.role.permissions().adjusted(&self.grants, &self.denies)
    }

    /// What the API shows: no hashes.
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "role": self.role,
            "grants": self.grants,
            "denies": self.denies,
            "permissions": self.permissions().iter().collect::<Vec<_>>(),
            "tenant": self.tenant,
            "must_change_password": self.must_change,
            "locked": self.locked,
            "failed_logins": self.failures,
            "password_set_at": self.password_set_at,
            "created": self.created,
            "last_login": self.last_login,
        })
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct UserFile {
    users: Vec<User>,
}

#[derive(Debug)]
pub struct UserStore {
    path: PathBuf,
    users: Vec<User>,
}

/// Writes `bytes` to `path` atomically, readable by the owner only.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// argon2id with the crate's defaults (OWASP: m = 19 MiB, t = 2, p = 1).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow!("no system randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow!("salt: {e}"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow!("password hashing failed: {e}"))
}

pub fn verify_hash(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password matches, verified for unknown users so that their logins take as long
/// as real ones.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no user has this password").unwrap_or_default())
}

/// A random password that passes the default policy: 4 groups of 5 from an alphabet without
/// look-alike characters, with at least one lower case, upper case and digit.
pub fn temporary_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let limit = 256 - 256 % ALPHABET.len();
    loop {
        let mut raw = [0u8; 64];
        getrandom::fill(&mut raw).map_err(|e| anyhow!("no system randomness: {e}"))?;
        let chars: Vec<u8> = raw
            .iter()
            .filter(|b| usize::from(**b) < limit)
            .filter_map(|b| ALPHABET.get(usize::from(*b) % ALPHABET.len()).copied())
            .take(20)
            .collect();
        if chars.len() < 20 {
            continue;
        }
        let ok = chars.iter().any(u8::is_ascii_lowercase)
            && chars.iter().any(u8::is_ascii_uppercase)
            && chars.iter().any(u8::is_ascii_digit);
        if ok {
            let groups: Vec<String> = chars
                .chunks(5)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            return Ok(groups.join("-"));
        }
    }
}

pub fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
}

impl UserStore {
    /// Loads the accounts. On first start (no file) creates the built-in `admin` with a random
    /// password that must be changed, written to `data_dir/initial-admin-password`; returns
    /// that file's path then.
    pub fn load_or_init(data_dir: &Path, now_s: u64) -> anyhow::Result<(Self, Option<PathBuf>)> {
        let path = data_dir.join("users.json");
        match std::fs::read(&path) {
            Ok(b) => {
                let users = serde_json::from_slice::<UserFile>(&b)
                    .with_context(|| format!("{} is not a valid user file", path.display()))?
                    .users;
                Ok((Self { path, users }, None))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let password = temporary_password()?;
                let mut store = Self {
                    path,
                    users: Vec::new(),
                };
                store.users.push(User {
                    name: ADMIN.into(),
                    role: Role::Admin,
                    grants: vec![],
                    denies: vec![],
                    tenant: None,
                    password_hash: hash_password(&password)?,
                    history: vec![],
                    password_set_at: now_s,
                    must_change: true,
                    temporary_until: None,
                    failures: 0,
                    locked: false,
                    created: now_s,
                    last_login: None,
                });
                let file = data_dir.join(INITIAL_PASSWORD_FILE);
                write_private(&file, format!("{password}\n").as_bytes())?;
                store.save()?;
                Ok((store, Some(file)))
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn save(&self) -> anyhow::Result<()> {
        let body = serde_json::to_vec_pretty(&UserFile {
            users: self.users.clone(),
        })?;
        write_private(&self.path, &body)
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    fn get_mut(&mut self, name: &str) -> anyhow::Result<&mut User> {
        self.users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| anyhow!("no user named {name:?}"))
    }

    pub fn list(&self) -> &[User] {
        &self.users
    }

    fn admins_left_without(&self, name: &str) -> usize {
        self.users
            .iter()
            .filter(|u| u.name != name && u.role == Role::Admin && !u.locked)
            .count()
    }

    /// Creates a user with `password_hash` of a temporary password valid `temp_hours`.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &mut self,
        name: &str,
        role: Role,
        tenant: Option<String>,
        grants: Vec<Permission>,
        denies: Vec<Permission>,
        password_hash: String,
        temp_hours: u32,
        now_s: u64,
    ) -> anyhow::Result<()> {
        if !valid_user_name(name) {
            bail!("user name {name:?}: use 1 to 64 letters, digits, '-', '_', '.' or '@'");
        }
        if self.get(name).is_some() {
            bail!("a user named {name:?} already exists");
        }
        self.users.push(User {
            name: name.into(),
            role,
            grants,
            denies,
            tenant,
            password_hash,
            history: vec![],
            password_set_at: now_s,
            must_change: true,
            temporary_until: Some(now_s + u64::from(temp_hours) * 3600),
            failures: 0,
            locked: false,
            created: now_s,
            last_login: None,
        });
        self.save()
    }

    /// Replaces role, tenant, grants and denies (the `None`s are kept).
    pub fn update(
        &mut self,
        name: &str,
        role: Option<Role>,
        tenant: Option<Option<String>>,
        grants: Option<Vec<Permission>>,
        denies: Option<Vec<Permission>>,
    ) -> anyhow::Result<()> {
        if let Some(r) = role
            && r != Role::Admin
            && self.get(name).is_some_and(|u| u.role == Role::Admin)
            && self.admins_left_without(name) == 0
        {
            bail!("{name:?} is the last unlocked administrator: make another admin first");
        }
        let u = self.get_mut(name)?;
        if let Some(r) = role {
            u.role = r;
        }
        if let Some(t) = tenant {
            u.tenant = t;
        }
        if let Some(g) = grants {
            u.grants = g;
        }
        if let Some(d) = denies {
            u.denies = d;
        }
        self.save()
    }

    pub fn delete(&mut self, name: &str) -> anyhow::Result<()> {
        if self.get(name).is_some_and(|u| u.role == Role::Admin)
            && self.admins_left_without(name) == 0
        {
            bail!("{name:?} is the last unlocked administrator: make another admin first");
        }
        self.get_mut(name)?;
        self.users.retain(|u| u.name != name);
        self.save()
    }

    /// Sets a temporary password (admin reset): must be changed, counts as a new password.
    pub fn reset_password(
        &mut self,
        name: &str,
        hash: String,
        temp_hours: u32,
        now_s: u64,
    ) -> anyhow::Result<()> {
        let u = self.get_mut(name)?;
        u.password_hash = hash;
        u.must_change = true;
        u.temporary_until = Some(now_s + u64::from(temp_hours) * 3600);
        u.password_set_at = now_s;
        u.failures = 0;
        u.locked = false;
        self.save()
    }

    /// Sets the password the user chose; the old hash goes to the history.
    pub fn set_password(
        &mut self,
        name: &str,
        hash: String,
        keep_history: usize,
        now_s: u64,
    ) -> anyhow::Result<()> {
        let u = self.get_mut(name)?;
        let old = std::mem::replace(&mut u.password_hash, hash);
        u.history.insert(0, old);
        u.history.truncate(keep_history);
        u.must_change = false;
        u.temporary_until = None;
        u.password_set_at = now_s;
        self.save()
    }

    /// Counts a failed login; returns true when this failure locked the account. Only the
    /// lock is written to disk at once: a write (with fsync) on every wrong password would
    /// make a known name's failure measurably slower than an unknown name's, telling which
    /// accounts exist. The count reaches the disk with the next change of the file; a restart
    /// forgets a count below the limit.
    pub fn record_failure(&mut self, name: &str, max_failures: u32) -> anyhow::Result<bool> {
        let u = self.get_mut(name)?;
        u.failures = u.failures.saturating_add(1);
        let locked_now = !u.locked && u.failures >= max_failures;
        if locked_now {
            u.locked = true;
            self.save()?;
        }
        Ok(locked_now)
    }

    pub fn record_success(&mut self, name: &str, now_s: u64) -> anyhow::Result<()> {
        let u = self.get_mut(name)?;
        u.failures = 0;
        u.last_login = Some(now_s);
        self.save()
    }

    pub fn unlock(&mut self, name: &str) -> anyhow::Result<()> {
        let u = self.get_mut(name)?;
        u.locked = false;
        u.failures = 0;
        self.save()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_makes_admin_with_a_one_time_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = UserStore::load_or_init(dir.path(), 1000).unwrap();
        let file = file.unwrap();
        let pw = std::fs::read_to_string(&file).unwrap();
        let admin = store.get(ADMIN).unwrap();
        assert!(admin.must_change);
        assert!(admin.password_hash.starts_with("$argon2id$"));
        assert!(verify_hash(&admin.password_hash, pw.trim()));
        let stored = std::fs::read_to_string(dir.path().join("users.json")).unwrap();
        assert!(!stored.contains(pw.trim()), "password must not be stored");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("users.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "users.json must be private");
        // A second start finds the file and makes nothing.
        let (again, file2) = UserStore::load_or_init(dir.path(), 2000).unwrap();
        assert!(file2.is_none());
        assert_eq!(again.list().len(), 1);
    }

    #[test]
    fn temporary_passwords_pass_the_default_policy() {
        let policy = super::super::config::PasswordPolicy::default();
        for _ in 0..50 {
            let p = temporary_password().unwrap();
            super::super::policy::check(&policy, "someone", &p, |_| false).unwrap();
        }
    }

    #[test]
    fn lockout_and_last_admin_protection() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = UserStore::load_or_init(dir.path(), 0).unwrap();
        assert!(!s.record_failure(ADMIN, 3).unwrap());
        assert!(!s.record_failure(ADMIN, 3).unwrap());
        assert!(s.record_failure(ADMIN, 3).unwrap());
        assert!(s.get(ADMIN).unwrap().locked);
        assert!(!s.record_failure(ADMIN, 3).unwrap(), "locks once");
        s.unlock(ADMIN).unwrap();
        assert!(!s.get(ADMIN).unwrap().locked);
        assert!(s.delete(ADMIN).is_err(), "the last admin cannot go");
        assert!(
            s.update(ADMIN, Some(Role::Monitor), None, None, None)
                .is_err()
        );
        s.create("ops", Role::Admin, None, vec![], vec![], "x".into(), 72, 0)
            .unwrap();
        assert!(
            s.create("ops", Role::Admin, None, vec![], vec![], "x".into(), 72, 0)
                .is_err()
        );
        assert!(
            s.create(
                "bad name",
                Role::Admin,
                None,
                vec![],
                vec![],
                "x".into(),
                72,
                0
            )
            .is_err()
        );
        s.delete(ADMIN).unwrap();
    }

    #[test]
    fn a_failure_below_the_limit_does_not_write_the_file_but_the_lock_does() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = UserStore::load_or_init(dir.path(), 0).unwrap();
        let file = dir.path().join("users.json");
        let before = std::fs::read(&file).unwrap();
        assert!(!s.record_failure(ADMIN, 2).unwrap());
        assert_eq!(s.get(ADMIN).unwrap().failures, 1, "counted in memory");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "no write (no timing oracle)"
        );
        assert!(s.record_failure(ADMIN, 2).unwrap());
        let (again, _) = UserStore::load_or_init(dir.path(), 0).unwrap();
        assert!(
            again.get(ADMIN).unwrap().locked,
            "the lock is on disk at once"
        );
    }
}
