//! The sender: spool records to the engine, acknowledgements back into the spool.
//!
//! [`run`] is a tokio task. It connects through a caller-supplied `connect` closure (the TLS
//! connector in production, plain TCP in tests), then resends everything the spool holds after
//! the last acknowledged sequence number and keeps sending new records as the pipeline
//! appends them, at most [`SenderConfig::window_records`] ahead of the acknowledgements. The
//! wire format is the caller's [`Framing`]: how a record is framed, and how an acknowledgement
//! is parsed out of the bytes the engine sends back.
//!
//! On any error (connect, write, read, end of stream, an unparsable ack stream) it drops the
//! connection and reconnects with exponential backoff (by default 1 s doubling to 30 s, each
//! wait jittered to 50-150 %), counting reconnects. Records are deleted from the spool only
//! when acknowledged, so an engine restart loses nothing; records sent but not acknowledged
//! before a disconnect are sent again (at-least-once), and the engine drops duplicates by
//! (spool id, sequence number).
//!
//! The spool is shared behind a `std::sync::Mutex` ([`SharedSpool`]); the sender holds it only
//! to read a batch or record an ack (short file reads from the page cache).
use crate::spool::{Spool, SpoolError};
use crate::status::Counters;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Notify, watch};

/// The spool shared by the pipeline (appends) and the sender (reads, acks).
#[derive(Debug)]
pub struct SharedSpool {
    spool: Mutex<Spool>,
    notify: Notify,
    counters: Arc<Counters>,
}

impl SharedSpool {
    pub fn new(spool: Spool, counters: Arc<Counters>) -> Arc<Self> {
        let s = Self {
            spool: Mutex::new(spool),
            notify: Notify::new(),
            counters,
        };
        s.update_counters(&s.lock());
        Arc::new(s)
    }

    /// Locks the spool (a panic of another holder does not make it unusable).
    pub fn lock(&self) -> MutexGuard<'_, Spool> {
        self.spool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes the sender: records were appended.
    pub fn appended(&self) {
        self.notify.notify_one();
    }

    /// Copies the spool's usage into the counters.
    pub fn update_counters(&self, s: &Spool) {
        let u = s.usage();
        Counters::set(&self.counters.spool_bytes, u.bytes);
        Counters::set(&self.counters.spool_records, u.records);
        Counters::set(&self.counters.spool_dropped, u.dropped);
    }
}

/// The engine protocol as the sender needs it. TODO(lead: HEP): the HEP framing.
pub trait Framing: Send {
    /// Bytes sent first on every new connection (e.g. announcing the spool id). Default: none.
    fn hello(&mut self, _spool_id: u64, _out: &mut Vec<u8>) {}
    /// Appends one record, numbered `seq`, to `out`.
    fn encode(&mut self, seq: u64, record: &[u8], out: &mut Vec<u8>);
    /// Parses one acknowledgement at the start of `buf`: `Some((bytes consumed, highest
    /// acknowledged seq))`, or `None` when more bytes are needed.
    fn parse_ack(&mut self, buf: &[u8]) -> Option<(usize, u64)>;
}

/// A toy framing: `[len u32 BE][seq u64 BE][record]` out, `[acked seq u64 BE]` back; the hello
/// is `[0u32][spool id u64 BE]`. Used by tests, and by the binary until the HEP framing exists.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToyFraming;

impl Framing for ToyFraming {
    fn hello(&mut self, spool_id: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&spool_id.to_be_bytes());
    }
    fn encode(&mut self, seq: u64, record: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(
            &u32::try_from(record.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(record);
    }
    fn parse_ack(&mut self, buf: &[u8]) -> Option<(usize, u64)> {
        let b: [u8; 8] = buf.get(..8)?.try_into().ok()?;
        Some((8, u64::from_be_bytes(b)))
    }
}

/// A connection to the engine.
pub trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

/// What `connect` returns.
pub type ConnectFuture = Pin<Box<dyn Future<Output = std::io::Result<Box<dyn Connection>>> + Send>>;

/// Sender settings. `Default` gives the documented values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderConfig {
    /// Records written per batch. Default 512.
    pub batch_records: usize,
    /// Bytes written per batch (at least one record). Default 256 KiB.
    pub batch_bytes: usize,
    /// Records sent and not yet acknowledged, at most. Default 8192.
    pub window_records: u64,
    /// First reconnect wait. Default 1 s.
    pub backoff_min: Duration,
    /// Longest reconnect wait. Default 30 s.
    pub backoff_max: Duration,
    /// A connection that stayed up this long resets the backoff. Default 10 s.
    pub healthy_after: Duration,
    /// Bytes of unparsed acknowledgement data tolerated before the connection is dropped as
    /// broken. Default 64 KiB.
    pub max_ack_buffer: usize,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            batch_records: 512,
            batch_bytes: 256 << 10,
            window_records: 8192,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            healthy_after: Duration::from_secs(10),
            max_ack_buffer: 64 << 10,
        }
    }
}

/// Why a session with the engine ended.
#[derive(Debug, thiserror::Error)]
enum SessionEnd {
    #[error("shutdown")]
    Shutdown,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the engine closed the connection")]
    Closed,
    #[error("the engine sent {0} bytes that are not an acknowledgement")]
    BadAcks(usize),
    #[error("{0}")]
    Spool(#[from] SpoolError),
}

/// A small xorshift generator for jitter (no need for a cryptographic source here).
#[derive(Debug)]
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        Self(h.finish() | 1)
    }
    /// A factor in [0.5, 1.5).
    fn factor(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[allow(clippy::cast_precision_loss)] // 53 bits of randomness are plenty
        let unit = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        0.5 + unit
    }
}

/// The wait before reconnect attempt `attempt` (0-based): `min * 2^attempt`, capped at `max`,
/// times a jitter factor in [0.5, 1.5) (and capped at `max` again).
pub fn backoff(cfg: &SenderConfig, attempt: u32, jitter: f64) -> Duration {
    let base = cfg
        .backoff_min
        .saturating_mul(1u32 << attempt.min(16))
        .min(cfg.backoff_max);
    base.mul_f64(jitter.clamp(0.0, 2.0)).min(cfg.backoff_max)
}

/// Runs until `shutdown` becomes true: connects, sends, reconnects.
pub async fn run<F, C>(
    spool: Arc<SharedSpool>,
    cfg: SenderConfig,
    mut framing: F,
    mut connect: C,
    mut shutdown: watch::Receiver<bool>,
) where
    F: Framing,
    C: FnMut() -> ConnectFuture + Send,
{
    let mut jitter = Jitter::new();
    let mut attempt = 0u32;
    let mut connections = 0u64;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let conn = tokio::select! {
            c = connect() => c,
            _ = shutdown.changed() => return,
        };
        let ended = match conn {
            Ok(conn) => {
                connections += 1;
                if connections > 1 {
                    Counters::add(&spool.counters.reconnects, 1);
                }
                Counters::set(&spool.counters.connected, 1);
                tracing::info!("connected to the engine");
                let started = tokio::time::Instant::now();
                let end = session(&spool, &cfg, &mut framing, conn, &mut shutdown).await;
                Counters::set(&spool.counters.connected, 0);
                if started.elapsed() >= cfg.healthy_after {
                    attempt = 0;
                }
                end
            }
            Err(e) => SessionEnd::Io(e),
        };
        if matches!(ended, SessionEnd::Shutdown) {
            return;
        }
        let wait = backoff(&cfg, attempt, jitter.factor());
        attempt = attempt.saturating_add(1);
        tracing::warn!(error = %ended, retry_in_ms = wait.as_millis() as u64, "engine connection lost or refused; records stay in the spool");
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One connection: resend from the last ack, then stream new records and read acks.
async fn session<F: Framing>(
    spool: &SharedSpool,
    cfg: &SenderConfig,
    framing: &mut F,
    conn: Box<dyn Connection>,
    shutdown: &mut watch::Receiver<bool>,
) -> SessionEnd {
    let (mut rd, mut wr) = tokio::io::split(conn);
    let (mut next, id) = {
        let s = spool.lock();
        (s.acked() + 1, s.id())
    };
    let mut out = Vec::with_capacity(cfg.batch_bytes + 4096);
    framing.hello(id, &mut out);
    let mut acks = Vec::with_capacity(4096);
    let mut read_buf = [0u8; 4096];
    loop {
        // Send while the window allows and records are waiting.
        loop {
            let acked = spool.lock().acked();
            if next.saturating_sub(acked + 1) >= cfg.window_records {
                break;
            }
            let room = cfg.window_records - next.saturating_sub(acked + 1);
            let mut n = 0u64;
            {
                let mut s = spool.lock();
                let iter = match s.read_from(next) {
                    Ok(i) => i,
                    Err(e) => return SessionEnd::Spool(e),
                };
                for rec in iter {
                    let rec = match rec {
                        Ok(r) => r,
                        Err(e) => return SessionEnd::Spool(e),
                    };
                    framing.encode(rec.seq, &rec.bytes, &mut out);
                    next = rec.seq + 1;
                    n += 1;
                    if n as usize >= cfg.batch_records || n >= room || out.len() >= cfg.batch_bytes
                    {
                        break;
                    }
                }
            }
            if out.is_empty() {
                break;
            }
            if let Err(e) = wr.write_all(&out).await {
                return e.into();
            }
            out.clear();
            Counters::add(&spool.counters.sent, n);
            if n == 0 {
                break;
            }
        }
        if let Err(e) = wr.flush().await {
            return e.into();
        }
        tokio::select! {
            r = rd.read(&mut read_buf) => match r {
                Ok(0) => return SessionEnd::Closed,
                Ok(len) => {
                    acks.extend_from_slice(read_buf.get(..len).unwrap_or_default());
                    let mut consumed = 0;
                    let mut best = None;
                    while let Some((used, seq)) = framing.parse_ack(acks.get(consumed..).unwrap_or_default()) {
                        if used == 0 {
                            break;
                        }
                        consumed += used;
                        best = best.max(Some(seq));
                    }
                    acks.drain(..consumed.min(acks.len()));
                    if acks.len() > cfg.max_ack_buffer {
                        return SessionEnd::BadAcks(acks.len());
                    }
                    if let Some(seq) = best {
                        let mut s = spool.lock();
                        let before = s.acked();
                        if let Err(e) = s.ack(seq) {
                            return e.into();
                        }
                        Counters::add(&spool.counters.acked, s.acked() - before);
                        spool.update_counters(&s);
                    }
                }
                Err(e) => return e.into(),
            },
            () = spool.notify.notified() => {}
            _ = shutdown.changed() => return SessionEnd::Shutdown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let cfg = SenderConfig::default();
        assert_eq!(backoff(&cfg, 0, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(&cfg, 3, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(&cfg, 10, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(&cfg, 10, 1.49), Duration::from_secs(30));
        assert_eq!(backoff(&cfg, 0, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(&cfg, 100, 1.0), Duration::from_secs(30));
        let mut j = Jitter::new();
        for _ in 0..1000 {
            let f = j.factor();
            assert!((0.5..1.5).contains(&f), "{f}");
        }
    }

    #[test]
    fn toy_framing_round_trip() {
        let mut f = ToyFraming;
        let mut out = Vec::new();
        f.encode(7, b"abc", &mut out);
        assert_eq!(out, [0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, b'a', b'b', b'c']);
        assert_eq!(f.parse_ack(&[0, 0, 0, 0, 0, 0, 1, 2, 9]), Some((8, 258)));
        assert_eq!(f.parse_ack(&[0; 7]), None);
    }
}
