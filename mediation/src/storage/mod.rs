//! The engine's storage: raw SIP messages, finished calls, stream reports, search indexes and
//! ingest cursors, behind the small [`Store`] trait. Only [`rocks`] knows RocksDB.
//!
//! - Writes are whole [`WriteSet`]s: one atomic RocksDB write batch with a synced WAL, so when
//!   [`Store::write`] returns a crash (even `kill -9`) loses nothing of it. Callers group many
//!   messages per write (thousands); the store writes messages as ~64 KiB chunks under
//!   increasing message ids, so message writes are sequential appends.
//! - Message ids ([`MsgId`]) are assigned by the caller, strictly increasing across writes
//!   (start from [`Store::next_message_id`] after opening), so a call that finishes in the same
//!   write as its last messages can already name them.
//! - Calls get a [`CallId`] that starts with the call's start time: calls, streams and the time
//!   index are time ordered, and the number, Call-ID and IP indexes are partitioned by day, so
//!   retention deletes whole key ranges (`delete_range`) and compacts them away while ingest
//!   goes on.
//!
//! Key layout (all integers big-endian; see `codec.rs`):
//!
//! | column family | key | value |
//! |---|---|---|
//! | `messages` | first `MsgId` of the chunk (8) | chunk: messages with ts, endpoints, transport, source, Call-ID, raw bytes |
//! | `calls` | `CallId` (16) + kind (1: 0 = record JSON, 1 = message ids) | JSON / delta-encoded ids |
//! | `streams` | `CallId` (16) + index (4) | stream report JSON |
//! | `idx_time` | `CallId` (16) | [`CallSummary`] (binary): the covering index searches filter on |
//! | `idx_number` | day (4) + `f`/`r` + user part (forward / reversed) + 0 + `CallId` | empty |
//! | `idx_callid` | day (4) + Call-ID + 0 + `CallId` | empty |
//! | `idx_ip` | day (4) + IPv6 or v4-mapped address (16) + `CallId` | empty |
//! | `meta` | `schema`, `next_msg`, `floor`, `open_from`, `c/<spool>`, `d` + chunk `MsgId`, `x` + max `MsgId` + `CallId` | version, counters, cursors, chunk directory, closed message ids |
mod codec;
pub mod glob;
pub mod rocks;

pub use glob::Glob;
pub use rocks::{RocksStore, StoreOptions};

use callscope_shared::analysis::report::{CallRecord, StreamRecord};
use callscope_shared::net::{Endpoint, Nanos, Transport};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The schema this build writes and reads. A database with a higher version was written by a
/// newer callscope and is refused at open.
pub const SCHEMA_VERSION: u32 = 1;

/// What can go wrong in the store. Messages say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "cannot open the database at {path}: {source} (check the directory exists, is writable and no other callscope-mediation uses it)"
    )]
    Open {
        path: PathBuf,
        source: rocksdb::Error,
    },
    #[error(
        "the database at {path} has schema version {found}, newer than the {supported} this callscope-mediation understands: upgrade callscope-mediation or point it at another directory"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("storage error: {0}")]
    Db(#[from] rocksdb::Error),
    #[error(
        "message ids must increase: got {got} but {min} is the lowest allowed (start from Store::next_message_id)"
    )]
    MessageIdOrder { got: u64, min: u64 },
    #[error("corrupt {what} in the database: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A stored SIP message's id, assigned by the writer (strictly increasing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgId(pub u64);

/// A stored call's id: its start time and a store-wide sequence number (unique). Ordered by
/// start time; printed as 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId {
    pub start: Nanos,
    pub seq: u64,
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}{:016x}", self.start, self.seq)
    }
}

/// A string that is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a call id (32 hex digits expected)")]
pub struct BadCallId;

impl FromStr for CallId {
    type Err = BadCallId;
    fn from_str(s: &str) -> Result<Self, BadCallId> {
        if s.len() != 32 || !s.is_ascii() {
            return Err(BadCallId);
        }
        let start = s.get(..16).ok_or(BadCallId)?;
        let seq = s.get(16..).ok_or(BadCallId)?;
        Ok(CallId {
            start: u64::from_str_radix(start, 16).map_err(|_| BadCallId)?,
            seq: u64::from_str_radix(seq, 16).map_err(|_| BadCallId)?,
        })
    }
}

/// One raw SIP message to store.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub id: MsgId,
    pub ts: Nanos,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub transport: Transport,
    /// Where it came from: probe, SBC or agent name.
    pub source: &'a str,
    pub call_id: &'a [u8],
    pub raw: &'a [u8],
}

/// A SIP message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: MsgId,
    pub ts: Nanos,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub transport: Transport,
    pub source: String,
    pub call_id: Vec<u8>,
    pub raw: Vec<u8>,
}

/// A finished call: its record (JSON) and the fields the indexes are built from.
#[derive(Debug, Clone, Default)]
pub struct FinishedCall {
    pub start: Nanos,
    pub end: Nanos,
    pub call_ids: Vec<String>,
    /// User parts (numbers) of From and To.
    pub from_user: String,
    pub to_user: String,
    /// Every address seen in the call's messages and streams.
    pub ips: Vec<IpAddr>,
    pub final_status: Option<u16>,
    pub duration: Option<Duration>,
    pub worst_mos: Option<f64>,
    pub source: String,
    /// The `CallRecord` as JSON.
    pub record_json: Vec<u8>,
    /// The call's stream reports (`StreamRecord` JSON each).
    pub streams_json: Vec<Vec<u8>>,
    /// The call's messages (stored in this or earlier writes): they are closed by this write
    /// (no longer returned by [`Store::open_messages`]) and listed by
    /// [`Store::messages_of_call`].
    pub messages: Vec<MsgId>,
}

impl FinishedCall {
    /// Builds the stored form of an analysed call: JSON of the record and of its streams, and
    /// the index fields (Call-IDs, From/To user parts, addresses of hops and streams, status,
    /// duration, worst MOS). `streams` are the report's streams (`record.streams` indexes it).
    pub fn from_record(
        record: &CallRecord,
        streams: &[StreamRecord],
        start: Nanos,
        end: Nanos,
        source: &str,
        messages: Vec<MsgId>,
    ) -> Result<Self, serde_json::Error> {
        let mut ips: Vec<IpAddr> = Vec::new();
        for leg in &record.legs {
            for hop in &leg.hops {
                ips.push(hop.src.ip);
                ips.push(hop.dst.ip);
            }
        }
        let mut streams_json = Vec::new();
        for &i in &record.streams {
            if let Some(s) = streams.get(i) {
                ips.push(s.src.ip);
                ips.push(s.dst.ip);
                streams_json.push(serde_json::to_vec(s)?);
            }
        }
        ips.sort_unstable();
        ips.dedup();
        let user = |uri: &str| {
            callscope_shared::sip::uri_user(uri.as_bytes()).map_or_else(
                || uri.to_owned(),
                |u| String::from_utf8_lossy(u).into_owned(),
            )
        };
        Ok(FinishedCall {
            start,
            end,
            call_ids: record.call_ids.clone(),
            from_user: user(&record.from),
            to_user: user(&record.to),
            ips,
            final_status: record.final_status,
            duration: record
                .duration_s
                .filter(|d| d.is_finite() && *d >= 0.0)
                .map(Duration::from_secs_f64),
            worst_mos: record.worst_mos,
            source: source.to_owned(),
            record_json: serde_json::to_vec(record)?,
            streams_json,
            messages,
        })
    }
}

/// One atomic, durable write.
#[derive(Debug, Clone, Default)]
pub struct WriteSet<'a> {
    /// The engine's clock when it wrote (message chunks are aged by it).
    pub now: Nanos,
    /// Ids strictly increasing, all above every id stored before.
    pub messages: Vec<NewMessage<'a>>,
    pub calls: Vec<FinishedCall>,
    /// Ingest cursors: spool id and the last sequence number stored (included in this write).
    pub cursors: Vec<(&'a str, u64)>,
    /// The lowest message id any in-progress call still needs: messages below it are no longer
    /// replayed by [`Store::open_messages`]. Never moves back.
    pub open_from: Option<MsgId>,
}

/// What [`Store::write`] stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteAck {
    pub messages: usize,
    pub calls: Vec<CallId>,
}

/// A call as the search lists it (from the time index, without the full record).
#[derive(Debug, Clone, PartialEq)]
pub struct CallSummary {
    pub id: CallId,
    pub start: Nanos,
    pub end: Nanos,
    pub call_ids: Vec<String>,
    pub from_user: String,
    pub to_user: String,
    pub ips: Vec<IpAddr>,
    pub final_status: Option<u16>,
    pub duration: Option<Duration>,
    pub worst_mos: Option<f64>,
    pub source: String,
}

/// A stored call: summary and the `CallRecord` JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub summary: CallSummary,
    pub record_json: String,
}

/// A call search. All criteria must hold; results are newest first.
#[derive(Debug, Clone, Default)]
pub struct CallQuery {
    /// Start time range: `from <= start < to`.
    pub from: Option<Nanos>,
    pub to: Option<Nanos>,
    /// Glob (`*` any run, `?` one character) on the From or To user part.
    pub number: Option<String>,
    pub call_id: Option<String>,
    pub ip: Option<IpAddr>,
    /// Final status class: 1..=6 (`4` = 4xx); 0 = no final response.
    pub status_class: Option<u8>,
    pub min_duration: Option<Duration>,
    pub max_duration: Option<Duration>,
    /// Worst MOS strictly below this (calls without MOS do not match).
    pub mos_below: Option<f64>,
    pub source: Option<String>,
    /// Page size (default 100, at most 10,000).
    pub limit: Option<usize>,
    /// The `next` of the previous page.
    pub cursor: Option<CallId>,
}

/// One page of results. `next` is set when there may be more (pass it as `cursor`); a page can
/// be short with `next` set when the scan budget ran out before `limit` matches were found.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<CallId>,
}

/// What one retention run deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionStats {
    /// Calls started before this were deleted (0: nothing).
    pub calls_before: Nanos,
    /// Messages with lower ids were deleted.
    pub messages_before: u64,
    /// Size before and after (live SST files plus memtables).
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Deletion rounds (age, then size).
    pub rounds: u32,
}

/// Per column family figures, for counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CfStats {
    pub name: &'static str,
    pub keys: u64,
    pub sst_bytes: u64,
    pub memtable_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreStats {
    pub column_families: Vec<CfStats>,
    /// Live SST files plus memtables, all column families.
    pub total_bytes: u64,
}

/// The storage the engine and the API use. Implementations are safe to share between threads:
/// writes, reads and retention may run concurrently.
pub trait Store: Send + Sync {
    /// One atomic write, durable (synced WAL) when it returns.
    fn write(&self, set: &WriteSet<'_>) -> Result<WriteAck>;
    /// The id the next written message must have at least.
    fn next_message_id(&self) -> MsgId;
    /// Messages from `open_from` on that no finished call has closed, in id order: what the
    /// engine replays after a restart to rebuild in-progress calls.
    fn open_messages(&self) -> Result<Box<dyn Iterator<Item = Result<StoredMessage>> + '_>>;
    fn call(&self, id: CallId) -> Result<Option<StoredCall>>;
    /// Calls with this SIP Call-ID (any leg), newest first.
    fn calls_by_call_id(&self, call_id: &str) -> Result<Vec<CallSummary>>;
    fn search(&self, query: &CallQuery) -> Result<Page<CallSummary>>;
    /// The call's messages with raw bytes, ordered by time.
    fn messages_of_call(&self, id: CallId) -> Result<Vec<StoredMessage>>;
    /// The call's stream reports (JSON), in the order they were written.
    fn streams_of_call(&self, id: CallId) -> Result<Vec<String>>;
    /// The last sequence stored for this spool (probe/SBC spool id).
    fn cursor(&self, spool_id: &str) -> Result<Option<u64>>;
    /// Deletes the oldest data (calls, their messages, streams and index entries) older than
    /// `max_age`, then more while the database is larger than `max_bytes`, and compacts so the
    /// disk is freed. Runs while writes continue.
    fn enforce_retention(
        &self,
        now: Nanos,
        max_age: Duration,
        max_bytes: u64,
    ) -> Result<RetentionStats>;
    fn stats(&self) -> Result<StoreStats>;
}
