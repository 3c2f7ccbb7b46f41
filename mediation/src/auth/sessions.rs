//! Web sessions (pure; time in as seconds). The table is keyed by the SHA-256 of the cookie
//! value, so the table itself holds nothing a client could present. Sessions live in memory:
//! a restart logs everyone out, which is the safe direction.
use super::{PermSet, Role};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// For accounts from RADIUS (no local record): the role and permissions granted at login.
    pub external: Option<(Role, PermSet)>,
    pub csrf: String,
    pub created: u64,
    pub last_seen: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    Unknown,
    Expired,
}

#[derive(Debug)]
pub struct SessionTable {
    idle_s: u64,
    max_age_s: u64,
    sessions: HashMap<[u8; 32], Session>,
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl SessionTable {
    pub fn new(idle_s: u64, max_age_s: u64) -> Self {
        Self {
            idle_s,
            max_age_s,
            sessions: HashMap::new(),
        }
    }

    pub fn idle_timeout_s(&self) -> u64 {
        self.idle_s
    }

    pub fn insert(&mut self, token: &str, session: Session) {
        self.sessions.insert(token_hash(token), session);
    }

    /// The session of `token`, marked used at `now`; an expired one is removed.
    pub fn touch(&mut self, token: &str, now: u64) -> Result<Session, SessionError> {
        let key = token_hash(token);
        let s = self.sessions.get_mut(&key).ok_or(SessionError::Unknown)?;
        if now >= s.last_seen.saturating_add(self.idle_s)
            || now >= s.created.saturating_add(self.max_age_s)
        {
            self.sessions.remove(&key);
            return Err(SessionError::Expired);
        }
        s.last_seen = now;
        Ok(s.clone())
    }

    pub fn remove(&mut self, token: &str) -> Option<Session> {
        self.sessions.remove(&token_hash(token))
    }

    /// Ends every session of `user` (password reset, lock, role change, deletion).
    pub fn remove_user(&mut self, user: &str) -> usize {
        let before = self.sessions.len();
        self.sessions.retain(|_, s| s.user != user);
        before - self.sessions.len()
    }

    /// Ends every session of `user` but the one of `keep` (the user's own password change:
    /// whoever else holds a session of the account is logged out, the user is not).
    pub fn remove_user_except(&mut self, user: &str, keep: Option<&str>) -> usize {
        let keep = keep.map(token_hash);
        let before = self.sessions.len();
        self.sessions
            .retain(|k, s| s.user != user || Some(*k) == keep);
        before - self.sessions.len()
    }

    /// Drops expired sessions.
    pub fn prune(&mut self, now: u64) {
        let (idle, max) = (self.idle_s, self.max_age_s);
        self.sessions.retain(|_, s| {
            now < s.last_seen.saturating_add(idle) && now < s.created.saturating_add(max)
        });
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(user: &str, at: u64) -> Session {
        Session {
            user: user.into(),
            external: None,
            csrf: "c".into(),
            created: at,
            last_seen: at,
        }
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let mut t = SessionTable::new(10, 30);
        t.insert("tok", s("alice", 0));
        assert!(t.touch("tok", 9).is_ok());
        assert!(t.touch("tok", 18).is_ok(), "use resets the idle clock");
        assert_eq!(t.touch("tok", 28).unwrap_err(), SessionError::Expired);
        assert_eq!(t.touch("tok", 29).unwrap_err(), SessionError::Unknown);
        t.insert("tok2", s("alice", 100));
        for now in [105, 110, 115, 120, 125] {
            assert!(t.touch("tok2", now).is_ok());
        }
        assert_eq!(t.touch("tok2", 130).unwrap_err(), SessionError::Expired);
        assert_eq!(t.touch("other", 0).unwrap_err(), SessionError::Unknown);
    }

    #[test]
    fn remove_user_ends_all_their_sessions() {
        let mut t = SessionTable::new(10, 30);
        t.insert("a1", s("alice", 0));
        t.insert("a2", s("alice", 0));
        t.insert("b1", s("bob", 0));
        assert_eq!(t.remove_user("alice"), 2);
        assert_eq!(t.len(), 1);
        t.prune(100);
        assert!(t.is_empty());
    }

    #[test]
    fn remove_user_except_keeps_only_the_given_session() {
        let mut t = SessionTable::new(10, 30);
        t.insert("a1", s("alice", 0));
        t.insert("a2", s("alice", 0));
        t.insert("b1", s("bob", 0));
        assert_eq!(t.remove_user_except("alice", Some("a2")), 1);
        assert!(t.touch("a1", 1).is_err());
        assert!(t.touch("a2", 1).is_ok());
        assert!(t.touch("b1", 1).is_ok());
        // Another user's token kept does not protect this user's sessions.
        assert_eq!(t.remove_user_except("alice", Some("b1")), 1);
        assert!(t.touch("b1", 1).is_ok());
        assert_eq!(t.remove_user_except("bob", None), 1);
        assert!(t.is_empty());
    }
}
