//! The security audit log: one JSON object per line in `data_dir/audit.jsonl` (mode 0600),
//! appended and flushed per event. It records who did what from where; never a secret.
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One event. `event` names are stable (`login`, `login_failed`, `lockout`, `logout`,
/// `password_changed`, `user_created`, `user_updated`, `user_deleted`, `user_unlocked`,
/// `password_reset`, `key_created`, `key_rotated`, `key_revoked`, `tenant_changed`,
/// `tenant_deleted`, `certificate_*`, `trust_*`, `config_*`, `engine_started`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Seconds since the epoch.
    pub ts: u64,
    pub event: String,
    /// Who acted (user name, `-` when unknown, `system` for the engine itself).
    pub actor: String,
    /// What it acted on (user, key id, tenant, certificate fingerprint...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// The client address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl AuditLog {
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join("audit.jsonl");
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot open the audit log {}", path.display()))?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an event. A failure is logged, never returned: auditing must not turn a logout
    /// into an error, but an operator must see that the log is not being written.
    pub fn record(&self, e: AuditEvent) {
        tracing::info!(target: "audit", event = %e.event, actor = %e.actor, target_ = %e.target, client = %e.client, detail = %e.detail, "audit");
        let line = match serde_json::to_string(&e) {
            Ok(l) => l,
            Err(err) => {
                tracing::error!(error = %err, "audit event not serialisable");
                return;
            }
        };
        let Ok(mut f) = self.file.lock() else {
            tracing::error!("audit log lock poisoned");
            return;
        };
        if let Err(err) = writeln!(f, "{line}").and_then(|()| f.flush()) {
            tracing::error!(error = %err, path = %self.path.display(), "cannot append to the audit log");
        }
    }

    /// Events with `from <= ts < to`, newest first, at most `limit`.
    pub fn query(
        &self,
        from: Option<u64>,
        to: Option<u64>,
        limit: usize,
    ) -> anyhow::Result<Vec<AuditEvent>> {
        let f = std::fs::File::open(&self.path)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        let mut out = std::collections::VecDeque::new();
        for line in std::io::BufReader::new(f).lines() {
            let line = line?;
            // A torn last line after a crash is skipped, not fatal.
            let Ok(e) = serde_json::from_str::<AuditEvent>(&line) else {
                continue;
            };
            if from.is_some_and(|f| e.ts < f) || to.is_some_and(|t| e.ts >= t) {
                continue;
            }
            out.push_back(e);
            if out.len() > limit {
                out.pop_front();
            }
        }
        Ok(out.into_iter().rev().collect())
    }
}

/// RFC 4180 CSV of events.
pub fn to_csv(events: &[AuditEvent]) -> String {
    fn field(s: &str) -> String {
        // Also defuse spreadsheet formulas (CSV injection; OWASP lists tab and CR too).
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = String::from("time,event,actor,target,client,detail\r\n");
    for e in events {
        let row = [
            callscope_shared::analysis::time::rfc3339(e.ts.saturating_mul(1_000_000_000)),
            e.event.clone(),
            e.actor.clone(),
            e.target.clone(),
            e.client.clone(),
            e.detail.clone(),
        ];
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts: u64, event: &str) -> AuditEvent {
        AuditEvent {
            ts,
            event: event.into(),
            actor: "admin".into(),
            target: String::new(),
            client: "127.0.0.1".into(),
            detail: "a, \"quoted\" detail".into(),
        }
    }

    #[test]
    fn append_query_newest_first_and_csv() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        for i in 0..10 {
            log.record(ev(100 + i, "login"));
        }
        let got = log.query(Some(103), Some(108), 3).unwrap();
        assert_eq!(
            got.iter().map(|e| e.ts).collect::<Vec<_>>(),
            vec![107, 106, 105]
        );
        // Reopening appends.
        drop(log);
        let log = AuditLog::open(dir.path()).unwrap();
        log.record(ev(200, "=cmd"));
        let all = log.query(None, None, 100).unwrap();
        assert_eq!(all.len(), 11);
        let csv = to_csv(&all[..1]);
        assert!(csv.starts_with("time,event"));
        assert!(csv.contains("'=cmd"), "{csv}");
        assert!(csv.contains("\"a, \"\"quoted\"\" detail\""), "{csv}");
    }

    #[test]
    fn csv_defuses_formulas_after_tab_or_cr() {
        let mut e = ev(1, "login");
        e.actor = "\t=HYPERLINK(\"http://x\")".into();
        e.detail = "\r=1+1".into();
        let csv = to_csv(&[e]);
        let row = csv.split_once("\r\n").unwrap().1;
        assert!(row.contains("'\t=HYPERLINK"), "{row:?}");
        assert!(row.contains("\"'\r=1+1\""), "{row:?}");
    }
}
