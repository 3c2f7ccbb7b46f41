//! Dropping root privileges once the capture is open.
//!
//! Only opening the capture needs root (or CAP_NET_RAW). [`drop_privileges`] then switches
//! the whole process (all threads: glibc applies set*id to every thread) to the configured
//! user and group: supplementary groups first, then the group, then the user, and finally
//! checks that root cannot be regained. If a user is configured and any step fails, it returns
//! an error and the probe must exit rather than run on as root. When not started as root it
//! does nothing (and says so).
//!
//! [`prepare_dir`] gives directories the probe writes after the drop (spool, status socket) to
//! the target user while still root.
use nix::unistd::{Gid, Group, Uid, User};
use std::path::Path;

/// What [`drop_privileges`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Switched to this user and group.
    Dropped { user: String, uid: u32, gid: u32 },
    /// Not root: nothing to drop.
    NotRoot { uid: u32 },
    /// Root, but no user configured: keeps running as root (logged as a warning).
    StillRoot,
}

/// Why privileges could not be dropped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivDropError {
    #[error(
        "user {0:?} does not exist; create it (useradd --system --no-create-home {0}) or set privileges.user"
    )]
    NoSuchUser(String),
    #[error(
        "group {0:?} does not exist; create it (groupadd --system {0}) or set privileges.group"
    )]
    NoSuchGroup(String),
    #[error("cannot look up {what}: {source}")]
    Lookup {
        what: String,
        source: nix::errno::Errno,
    },
    #[error("{step} failed: {source}; refusing to keep running as root")]
    Step {
        step: &'static str,
        source: nix::errno::Errno,
    },
    #[error("root privileges could be regained after switching to {0}; refusing to keep running")]
    NotDropped(String),
}

/// The uid and gid `user`/`group` name (group empty: the user's primary group).
pub fn resolve(user: &str, group: &str) -> Result<(Uid, Gid), PrivDropError> {
    let u = User::from_name(user)
        .map_err(|source| PrivDropError::Lookup {
            what: format!("user {user:?}"),
            source,
        })?
        .ok_or_else(|| PrivDropError::NoSuchUser(user.to_owned()))?;
    let gid = if group.is_empty() {
        u.gid
    } else {
        Group::from_name(group)
            .map_err(|source| PrivDropError::Lookup {
                what: format!("group {group:?}"),
                source,
            })?
            .ok_or_else(|| PrivDropError::NoSuchGroup(group.to_owned()))?
            .gid
    };
    Ok((u.uid, gid))
}

/// Switches to `user` (and `group`) if running as root. See the module docs.
pub fn drop_privileges(user: &str, group: &str) -> Result<Outcome, PrivDropError> {
    let euid = Uid::effective();
    if !euid.is_root() {
        tracing::info!(
            uid = euid.as_raw(),
            "not running as root; no privileges to drop"
        );
        return Ok(Outcome::NotRoot { uid: euid.as_raw() });
    }
    if user.is_empty() {
        tracing::warn!("running as root: privileges.user is empty; set it to an unprivileged user");
        return Ok(Outcome::StillRoot);
    }
    let (uid, gid) = resolve(user, group)?;
    let step = |step| move |source| PrivDropError::Step { step, source };
    nix::unistd::setgroups(&[gid]).map_err(step("setgroups"))?;
    nix::unistd::setgid(gid).map_err(step("setgid"))?;
    nix::unistd::setuid(uid).map_err(step("setuid"))?;
    if !uid.is_root()
        && (Uid::current().is_root()
            || Uid::effective().is_root()
            || nix::unistd::setuid(Uid::from_raw(0)).is_ok())
    {
        return Err(PrivDropError::NotDropped(user.to_owned()));
    }
    tracing::info!(
        user,
        uid = uid.as_raw(),
        gid = gid.as_raw(),
        "dropped root privileges"
    );
    Ok(Outcome::Dropped {
        user: user.to_owned(),
        uid: uid.as_raw(),
        gid: gid.as_raw(),
    })
}

/// Creates `dir` if missing (mode 0700: spooled records hold call data) and, when running as
/// root with a user configured, makes it owned by that user with mode 0700, so the probe can
/// still write it after the drop.
pub fn prepare_dir(dir: &Path, user: &str, group: &str) -> Result<(), std::io::Error> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    if user.is_empty() || !Uid::effective().is_root() {
        return Ok(());
    }
    let (uid, gid) = resolve(user, group).map_err(std::io::Error::other)?;
    nix::unistd::chown(dir, Some(uid), Some(gid)).map_err(std::io::Error::other)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_user_and_group_say_what_to_do() {
        let e = resolve("no-such-user-cs", "").unwrap_err().to_string();
        assert!(e.contains("useradd"), "{e}");
        let e = resolve("root", "no-such-group-cs").unwrap_err().to_string();
        assert!(e.contains("groupadd"), "{e}");
        assert_eq!(
            resolve("root", "").unwrap(),
            (Uid::from_raw(0), Gid::from_raw(0))
        );
    }

    /// Dropping privileges changes the whole process, so it runs in a child process: this
    /// test binary again, running only [`child_drops_to_nobody`].
    #[test]
    fn drop_in_a_child_process() {
        if !Uid::effective().is_root() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root: this test must run there"
            );
            assert_eq!(
                drop_privileges("nobody", "").unwrap(),
                Outcome::NotRoot {
                    uid: Uid::effective().as_raw()
                }
            );
            eprintln!("skipped: not root");
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "privdrop::tests::child_drops_to_nobody",
                "--ignored",
                "--nocapture",
            ])
            .env("CALLSCOPE_PRIVDROP_CHILD", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "{text}");
    }

    #[test]
    #[ignore = "run by drop_in_a_child_process in its own process"]
    fn child_drops_to_nobody() {
        if std::env::var_os("CALLSCOPE_PRIVDROP_CHILD").is_none() {
            return;
        }
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let owned = dir.path().join("spool");
        prepare_dir(&owned, "nobody", "").unwrap();
        let out = drop_privileges("nobody", "").unwrap();
        assert_eq!(
            out,
            Outcome::Dropped {
                user: "nobody".into(),
                uid: 65534,
                gid: 65534
            }
        );
        assert_eq!(Uid::current().as_raw(), 65534);
        assert_eq!(nix::unistd::Gid::current().as_raw(), 65534);
        assert!(
            nix::unistd::getgroups()
                .unwrap()
                .iter()
                .all(|g| g.as_raw() == 65534)
        );
        assert!(nix::unistd::setuid(Uid::from_raw(0)).is_err());
        // The prepared directory is writable, the root-owned temp dir is not.
        std::fs::write(owned.join("x"), b"ok").unwrap();
        assert!(std::fs::write(dir.path().join("y"), b"no").is_err());
        // A second call: not root any more.
        assert!(matches!(
            drop_privileges("nobody", "").unwrap(),
            Outcome::NotRoot { uid: 65534 }
        ));
        // tempdir cleanup would fail now; leave it.
        std::mem::forget(dir);
    }
}
