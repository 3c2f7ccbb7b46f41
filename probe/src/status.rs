//! Counters shared by the probe's threads, the local status endpoint, and the periodic log
//! line.
//!
//! [`Counters`] is a set of relaxed atomics (each thread adds to its own fields; readers see a
//! recent value of each, not a consistent cut across fields). [`serve`] answers every
//! connection on a Unix domain socket (mode 0600: only the probe's user and root can read it;
//! nothing listens on the network) with one JSON document, [`query`] reads it, and
//! [`log_line`] writes the counters as one structured `tracing` event.
use serde::Serialize;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// The probe's counters since start.
        #[derive(Debug, Default)]
        pub struct Counters {
            $($(#[$doc])* pub $name: AtomicU64,)*
        }

        /// A copy of [`Counters`] at one moment, as served and logged.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct Snapshot {
            $($(#[$doc])* pub $name: u64,)*
        }

        impl Counters {
            pub fn snapshot(&self) -> Snapshot {
                Snapshot { $($name: self.$name.load(Ordering::Relaxed),)* }
            }
        }
    };
}

counters! {
    /// Frames captured (or replayed) and handed to the analysis.
    packets,
    /// Bytes of those frames as captured.
    bytes,
    /// Packets the kernel dropped because the ring was full (pcap `ps_drop`).
    kernel_drops,
    /// Packets the interface or driver dropped (pcap `ps_ifdrop`).
    if_drops,
    /// Frames or messages that did not decode.
    malformed,
    /// SIP messages found.
    sip_messages,
    /// RTP packets measured.
    rtp_packets,
    /// RTCP packets forwarded.
    rtcp_packets,
    /// Media streams open now.
    streams,
    /// Stream quality reports produced (periodic and final).
    stream_reports,
    /// Records written to the spool.
    records,
    /// Bytes held by the spool on disk.
    spool_bytes,
    /// Records in the spool not yet acknowledged by the engine.
    spool_records,
    /// Records dropped because the spool was full.
    spool_dropped,
    /// Records written to the engine connection (resent ones count again).
    sent,
    /// Records the engine acknowledged.
    acked,
    /// Connections (re)established to the engine after the first.
    reconnects,
    /// 1 while connected to the engine, else 0.
    connected,
}

impl Counters {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
    pub fn set(c: &AtomicU64, v: u64) {
        c.store(v, Ordering::Relaxed);
    }
}

/// The document served on the status socket.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDoc<'a> {
    pub agent_id: u32,
    pub agent_name: &'a str,
    pub version: &'static str,
    /// Seconds since the Unix epoch.
    pub now: u64,
    pub uptime_secs: u64,
    pub counters: Snapshot,
}

/// Writes the counters as one `info` event.
pub fn log_line(s: &Snapshot) {
    tracing::info!(
        packets = s.packets,
        bytes = s.bytes,
        kernel_drops = s.kernel_drops,
        if_drops = s.if_drops,
        malformed = s.malformed,
        sip_messages = s.sip_messages,
        rtp_packets = s.rtp_packets,
        rtcp_packets = s.rtcp_packets,
        streams = s.streams,
        records = s.records,
        spool_bytes = s.spool_bytes,
        spool_records = s.spool_records,
        spool_dropped = s.spool_dropped,
        sent = s.sent,
        acked = s.acked,
        reconnects = s.reconnects,
        connected = s.connected,
        "counters"
    );
}

/// Why the status socket could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    #[error("{path} exists and is not a socket; remove it or choose another status.socket path")]
    NotASocket { path: PathBuf },
    #[error(
        "cannot create the status socket {path}: {source}; check that its directory exists and is writable by the probe's user"
    )]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot read the status socket {path}: {source}; is callscope-probe running with this status.socket?"
    )]
    Query {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A running status endpoint; dropping it stops the thread and removes the socket.
#[derive(Debug)]
pub struct StatusServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for StatusServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = UnixStream::connect(&self.path);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds `path` (a stale socket there is replaced; its parent directory is created with mode
/// 0700 if missing), sets mode 0600, and answers each connection with `doc()` as JSON.
pub fn serve(
    path: &Path,
    doc: impl Fn() -> String + Send + 'static,
) -> Result<StatusServer, StatusError> {
    let bind_err = |source| StatusError::Bind {
        path: path.to_owned(),
        source,
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(StatusError::NotASocket {
                path: path.to_owned(),
            });
        }
        std::fs::remove_file(path).map_err(bind_err)?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).map_err(bind_err)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(bind_err)?;
    }
    // Owner-only from the moment it exists: bind under a umask of 077.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = bound.map_err(bind_err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(bind_err)?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::Builder::new()
        .name("status".into())
        .spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
                let mut body = doc();
                body.push('\n');
                if let Err(e) = conn.write_all(body.as_bytes()) {
                    tracing::debug!(error = %e, "status client went away");
                }
            }
        })
        .map_err(bind_err)?;
    Ok(StatusServer {
        path: path.to_owned(),
        stop,
        thread: Some(thread),
    })
}

/// Reads the document served on `path`.
pub fn query(path: &Path) -> Result<String, StatusError> {
    let err = |source| StatusError::Query {
        path: path.to_owned(),
        source,
    };
    let mut s = UnixStream::connect(path).map_err(err)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(err)?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(err)?;
    Ok(out)
}

/// Builds the status document of `counters`.
pub fn document(
    counters: &Counters,
    agent_id: u32,
    agent_name: &str,
    started: SystemTime,
) -> String {
    let now = SystemTime::now();
    let doc = StatusDoc {
        agent_id,
        agent_name,
        version: env!("CARGO_PKG_VERSION"),
        now: now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        uptime_secs: now
            .duration_since(started)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        counters: counters.snapshot(),
    };
    serde_json::to_string(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_serves_json_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/status.sock");
        let c = Arc::new(Counters::default());
        Counters::add(&c.packets, 42);
        Counters::add(&c.spool_dropped, 3);
        let c2 = c.clone();
        let started = SystemTime::now();
        let server = serve(&path, move || document(&c2, 7, "p1", started)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        for expect in [42, 43] {
            let v: serde_json::Value = serde_json::from_str(&query(&path).unwrap()).unwrap();
            assert_eq!(v["agent_id"], 7);
            assert_eq!(v["agent_name"], "p1");
            assert_eq!(v["counters"]["packets"], expect);
            assert_eq!(v["counters"]["spool_dropped"], 3);
            Counters::add(&c.packets, 1);
        }
        drop(server);
        assert!(!path.exists());
        assert!(query(&path).is_err());
    }

    #[test]
    fn refuses_to_replace_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.sock");
        std::fs::write(&path, b"keep me").unwrap();
        let err = serve(&path, String::new).unwrap_err();
        assert!(matches!(err, StatusError::NotASocket { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    }
}
