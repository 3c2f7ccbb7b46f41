//! [`Store`] on RocksDB (Debian's librocksdb 7.8, linked dynamically). Key layout: see the
//! module docs of [`crate::storage`].
use super::codec::{self, DirEntry, SummaryView};
use super::{
    CallId, CallQuery, CallSummary, CfStats, FinishedCall, Glob, MsgId, Page, Result,
    RetentionStats, SCHEMA_VERSION, Store, StoreError, StoreStats, StoredCall, StoredMessage,
    WriteAck, WriteSet,
};
use callscope_shared::net::Nanos;
use rocksdb::{
    BlockBasedOptions, BottommostLevelCompaction, Cache, ColumnFamily, ColumnFamilyDescriptor,
    CompactOptions, DB, DBCompressionType, DBRawIterator, Options, ReadOptions, WriteBatch,
    WriteOptions,
};
use std::collections::{HashSet, VecDeque};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const CF_MESSAGES: &str = "messages";
const CF_CALLS: &str = "calls";
const CF_STREAMS: &str = "streams";
const CF_IDX_TIME: &str = "idx_time";
const CF_IDX_NUMBER: &str = "idx_number";
const CF_IDX_CALLID: &str = "idx_callid";
const CF_IDX_IP: &str = "idx_ip";
const CF_META: &str = "meta";
const ALL_CFS: [&str; 8] = [
    CF_MESSAGES,
    CF_CALLS,
    CF_STREAMS,
    CF_IDX_TIME,
    CF_IDX_NUMBER,
    CF_IDX_CALLID,
    CF_IDX_IP,
    CF_META,
];
/// Column families keyed by `CallId` first (time ordered).
const CALL_CFS: [&str; 3] = [CF_CALLS, CF_STREAMS, CF_IDX_TIME];
/// Column families keyed by day first.
const DAY_CFS: [&str; 3] = [CF_IDX_NUMBER, CF_IDX_CALLID, CF_IDX_IP];

const META_SCHEMA: &[u8] = b"schema";
const META_NEXT_MSG: &[u8] = b"next_msg";
const META_NEXT_CALL: &[u8] = b"next_call";
const META_FLOOR: &[u8] = b"floor";
const META_MSG_FLOOR: &[u8] = b"msg_floor";
const META_OPEN_FROM: &[u8] = b"open_from";

/// Kind bytes of the number index.
const NUM_FORWARD: u8 = b'f';
const NUM_REVERSED: u8 = b'r';

/// Tuning; the defaults suit the engine.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Target size of one message chunk value (default 64 KiB).
    pub chunk_bytes: usize,
    /// Most index entries one search examines before it returns a page with `next` set
    /// (default 200,000): keeps a very selective search over a huge range bounded.
    pub scan_budget: usize,
    /// Block cache shared by all column families (default 256 MiB).
    pub cache_bytes: usize,
    /// Memtable size of the messages column family (default 64 MiB).
    pub message_memtable_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            chunk_bytes: 64 * 1024,
            scan_budget: 200_000,
            cache_bytes: 256 << 20,
            message_memtable_bytes: 64 << 20,
        }
    }
}

/// State only writers touch (under `RocksStore::writer`).
struct WriterState {
    next_call: u64,
    open_from: u64,
}

/// The RocksDB store. Share it with `Arc`; every method takes `&self`.
pub struct RocksStore {
    db: DB,
    path: PathBuf,
    opts: StoreOptions,
    writer: Mutex<WriterState>,
    retention: Mutex<()>,
    next_msg: AtomicU64,
    /// Calls that started before this are deleted (index entries may linger until their day goes).
    floor: AtomicU64,
    /// Messages below this id are deleted.
    msg_floor: AtomicU64,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn cf_options(name: &str, cache: &Cache, opts: &StoreOptions) -> Options {
    let mut o = Options::default();
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    o.set_compression_type(DBCompressionType::Lz4);
    o.set_level_compaction_dynamic_level_bytes(true);
    match name {
        CF_MESSAGES => {
            o.set_write_buffer_size(opts.message_memtable_bytes);
            o.set_target_file_size_base(64 << 20);
            table.set_block_size(64 * 1024);
        }
        CF_CALLS | CF_STREAMS => {
            o.set_write_buffer_size(32 << 20);
            table.set_block_size(16 * 1024);
        }
        _ => {
            o.set_write_buffer_size(16 << 20);
            table.set_block_size(8 * 1024);
        }
    }
    o.set_block_based_table_factory(&table);
    o
}

fn be_u64(v: u64) -> [u8; 8] {
    v.to_be_bytes()
}

impl RocksStore {
    /// Opens (or creates) the database in `path`. Refuses a database written with a newer
    /// schema.
    pub fn open(path: impl AsRef<Path>, opts: StoreOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut db_opts = Options::default();
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        db_opts.increase_parallelism(2);
        db_opts.set_max_background_jobs(2);
        db_opts.set_bytes_per_sync(1 << 20);
        db_opts.set_max_total_wal_size(512 << 20);
        let cache = Cache::new_lru_cache(opts.cache_bytes).map_err(open_err)?;
        // Open every column family on disk (a newer version may have added some), plus ours.
        let mut names: Vec<String> = DB::list_cf(&db_opts, &path).unwrap_or_default();
        for cf in ALL_CFS {
            if !names.iter().any(|n| n == cf) {
                names.push(cf.to_owned());
            }
        }
        let descriptors = names
            .iter()
            .map(|n| ColumnFamilyDescriptor::new(n, cf_options(n, &cache, &opts)));
        let db = DB::open_cf_descriptors(&db_opts, &path, descriptors).map_err(open_err)?;
        let meta = db.cf_handle(CF_META).ok_or_else(|| StoreError::Corrupt {
            what: "column family",
            detail: "meta missing after open".into(),
        })?;
        let get_u64 = |key: &[u8]| -> Result<Option<u64>> {
            db.get_pinned_cf(meta, key)?
                .map(|v| codec::u64_value(&v, "meta counter"))
                .transpose()
        };
        match db.get_pinned_cf(meta, META_SCHEMA)? {
            None => {
                let mut w = WriteOptions::default();
                w.set_sync(true);
                db.put_cf_opt(meta, META_SCHEMA, SCHEMA_VERSION.to_be_bytes(), &w)?;
            }
            Some(v) => {
                let found = v
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes)
                    .ok_or_else(|| StoreError::Corrupt {
                        what: "schema version",
                        detail: format!("{} bytes", v.len()),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::SchemaTooNew {
                        path,
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
            }
        }
        let next_msg = get_u64(META_NEXT_MSG)?.unwrap_or(1);
        let next_call = get_u64(META_NEXT_CALL)?.unwrap_or(1);
        let floor = get_u64(META_FLOOR)?.unwrap_or(0);
        let msg_floor = get_u64(META_MSG_FLOOR)?.unwrap_or(0);
        let open_from = get_u64(META_OPEN_FROM)?.unwrap_or(0);
        tracing::info!(path = %path.display(), next_msg, next_call, "storage opened");
        Ok(RocksStore {
            db,
            path,
            opts,
            writer: Mutex::new(WriterState {
                next_call,
                open_from,
            }),
            retention: Mutex::new(()),
            next_msg: AtomicU64::new(next_msg),
            floor: AtomicU64::new(floor),
            msg_floor: AtomicU64::new(msg_floor),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cf(&self, name: &'static str) -> Result<&ColumnFamily> {
        self.db.cf_handle(name).ok_or(StoreError::Corrupt {
            what: "column family",
            detail: format!("{name} missing"),
        })
    }

    fn sync_opts() -> WriteOptions {
        let mut w = WriteOptions::default();
        w.set_sync(true);
        w
    }

    /// Live SST files plus memtables of every column family.
    fn live_bytes(&self) -> Result<u64> {
        Ok(self.stats()?.total_bytes)
    }

    fn put_call(&self, batch: &mut WriteBatch, call: &FinishedCall, id: CallId) -> Result<()> {
        let key = codec::call_key(id);
        let summary = CallSummary {
            id,
            start: call.start,
            end: call.end,
            call_ids: call.call_ids.clone(),
            from_user: call.from_user.clone(),
            to_user: call.to_user.clone(),
            ips: call.ips.clone(),
            final_status: call.final_status,
            duration: call.duration,
            worst_mos: call.worst_mos,
            source: call.source.clone(),
        };
        batch.put_cf(self.cf(CF_IDX_TIME)?, key, codec::encode_summary(&summary));
        let mut k = key.to_vec();
        k.push(0);
        batch.put_cf(self.cf(CF_CALLS)?, &k, &call.record_json);
        let mut ids = call.messages.clone();
        ids.sort_unstable();
        ids.dedup();
        if let Some(&max) = ids.last() {
            let encoded = codec::encode_ids(&ids);
            if let Some(last) = k.last_mut() {
                *last = 1;
            }
            batch.put_cf(self.cf(CF_CALLS)?, &k, &encoded);
            batch.put_cf(self.cf(CF_META)?, codec::closed_key(max, id), &encoded);
        }
        let streams = self.cf(CF_STREAMS)?;
        for (i, s) in call.streams_json.iter().enumerate() {
            let mut k = key.to_vec();
            k.extend_from_slice(&u32::try_from(i).unwrap_or(u32::MAX).to_be_bytes());
            batch.put_cf(streams, k, s);
        }
        let numbers = self.cf(CF_IDX_NUMBER)?;
        let mut users = vec![call.from_user.as_str()];
        if call.to_user != call.from_user {
            users.push(call.to_user.as_str());
        }
        for user in users.into_iter().filter(|u| !u.is_empty()) {
            batch.put_cf(
                numbers,
                codec::text_key(Some(NUM_FORWARD), user.as_bytes(), id),
                b"",
            );
            let rev = codec::reversed(user);
            batch.put_cf(numbers, codec::text_key(Some(NUM_REVERSED), &rev, id), b"");
        }
        let callids = self.cf(CF_IDX_CALLID)?;
        for cid in &call.call_ids {
            batch.put_cf(callids, codec::text_key(None, cid.as_bytes(), id), b"");
        }
        let ips = self.cf(CF_IDX_IP)?;
        let mut seen: Vec<[u8; 16]> = Vec::new();
        for ip in &call.ips {
            let b = codec::ip16(*ip);
            if !seen.contains(&b) {
                seen.push(b);
                batch.put_cf(ips, codec::ip_key(*ip, id), b"");
            }
        }
        Ok(())
    }

    fn summary(&self, id: CallId) -> Result<Option<CallSummary>> {
        if id.start < self.floor.load(Ordering::Acquire) {
            return Ok(None);
        }
        match self
            .db
            .get_pinned_cf(self.cf(CF_IDX_TIME)?, codec::call_key(id))?
        {
            Some(v) => Ok(Some(SummaryView::parse(id, &v)?.to_summary()?)),
            None => Ok(None),
        }
    }

    /// Start of the oldest stored call (`u64::MAX` when there is none).
    fn oldest_start(&self) -> Result<Nanos> {
        let floor = self.floor.load(Ordering::Acquire);
        let mut it = self.bounded_iter(
            CF_IDX_TIME,
            codec::call_key(CallId {
                start: floor,
                seq: 0,
            })
            .to_vec(),
            vec![0xff; 17],
        )?;
        it.seek_to_first();
        let oldest = it
            .key()
            .and_then(codec::call_id_suffix)
            .map_or(u64::MAX, |c| c.start);
        it.status()?;
        Ok(oldest)
    }

    /// Start of the newest stored call (0 when there is none).
    fn newest_start(&self) -> Result<Nanos> {
        let mut it = self.db.raw_iterator_cf(self.cf(CF_IDX_TIME)?);
        it.seek_to_last();
        let newest = it
            .key()
            .and_then(codec::call_id_suffix)
            .map_or(0, |c| c.start);
        it.status()?;
        Ok(newest)
    }

    fn bounded_iter(
        &self,
        cf: &'static str,
        lower: Vec<u8>,
        upper: Vec<u8>,
    ) -> Result<DBRawIterator<'_>> {
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(lower);
        ro.set_iterate_upper_bound(upper);
        Ok(self.db.raw_iterator_cf_opt(self.cf(cf)?, ro))
    }

    /// Deletes calls started before `t` (whole days of the secondary indexes) and messages
    /// below `m`, then frees the disk.
    fn delete_before(&self, t: Nanos, m: u64) -> Result<()> {
        let mut batch = WriteBatch::default();
        let zero_call = codec::call_key(CallId { start: 0, seq: 0 });
        let cut_call = codec::call_key(CallId { start: t, seq: 0 });
        for cf in CALL_CFS {
            batch.delete_range_cf(self.cf(cf)?, &zero_call[..], &cut_call[..]);
        }
        let cut_day = codec::day(t).to_be_bytes();
        for cf in DAY_CFS {
            batch.delete_range_cf(self.cf(cf)?, &[0u8; 4][..], &cut_day[..]);
        }
        batch.delete_range_cf(self.cf(CF_MESSAGES)?, be_u64(0), be_u64(m));
        let meta = self.cf(CF_META)?;
        batch.delete_range_cf(meta, codec::dir_key(MsgId(0)), codec::dir_key(MsgId(m)));
        let zero = CallId { start: 0, seq: 0 };
        batch.delete_range_cf(
            meta,
            codec::closed_key(MsgId(0), zero),
            codec::closed_key(MsgId(m), zero),
        );
        let floor = self.floor.load(Ordering::Acquire).max(t);
        let msg_floor = self.msg_floor.load(Ordering::Acquire).max(m);
        batch.put_cf(meta, META_FLOOR, be_u64(floor));
        batch.put_cf(meta, META_MSG_FLOOR, be_u64(msg_floor));
        self.db.write_opt(batch, &Self::sync_opts())?;
        self.floor.store(floor, Ordering::Release);
        self.msg_floor.store(msg_floor, Ordering::Release);

        // Files wholly inside the deleted ranges go at once; the rest is compacted away.
        // (Keys in these column families are written once, so dropping files cannot expose
        // older versions.)
        let mut co = CompactOptions::default();
        co.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
        let ranges: Vec<(&'static str, Vec<u8>, Vec<u8>)> = CALL_CFS
            .iter()
            .map(|cf| (*cf, zero_call.to_vec(), cut_call.to_vec()))
            .chain(
                DAY_CFS
                    .iter()
                    .map(|cf| (*cf, vec![0u8; 4], cut_day.to_vec())),
            )
            .chain([(CF_MESSAGES, be_u64(0).to_vec(), be_u64(m).to_vec())])
            .collect();
        for (cf, from, to) in &ranges {
            let handle = self.cf(cf)?;
            self.db.delete_file_in_range_cf(handle, from, to)?;
            self.db
                .compact_range_cf_opt(handle, None::<&[u8]>, Some(to.as_slice()), &co);
        }
        let meta_to = codec::closed_key(MsgId(m), zero);
        self.db
            .compact_range_cf_opt(meta, None::<&[u8]>, Some(&meta_to[..]), &co);
        Ok(())
    }

    /// The chunk directory in id order: (first id, entry).
    fn directory(&self) -> Result<Vec<(u64, DirEntry)>> {
        let mut it = self.bounded_iter(CF_META, b"d".to_vec(), b"e".to_vec())?;
        it.seek_to_first();
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            let first = k
                .get(1..9)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt {
                    what: "chunk directory key",
                    detail: format!("{} bytes", k.len()),
                })?;
            out.push((first, DirEntry::decode(v)?));
            it.next();
        }
        it.status()?;
        Ok(out)
    }

    /// Start time that cuts off about `fraction` of the stored calls (oldest first).
    fn calls_fraction_cut(&self, fraction: f64) -> Result<Option<Nanos>> {
        let idx = self.cf(CF_IDX_TIME)?;
        let keys = self
            .db
            .property_int_value_cf(idx, rocksdb::properties::ESTIMATE_NUM_KEYS)?
            .unwrap_or(0);
        let n = ((keys as f64) * fraction).ceil().max(1.0) as u64;
        let mut it = self.db.raw_iterator_cf(idx);
        it.seek_to_first();
        let mut seen = 0u64;
        let mut last = None;
        while let Some(k) = it.key() {
            last = codec::call_id_suffix(k).map(|c| c.start + 1);
            seen += 1;
            if seen >= n {
                break;
            }
            it.next();
        }
        it.status()?;
        Ok(last)
    }

    /// Candidates of an index for one day, newest first: exact keys are streamed in reverse;
    /// prefix scans are collected and sorted.
    fn search_index(
        &self,
        q: &Resolved,
        plan: &Plan,
        items: &mut Vec<CallSummary>,
        examined: &mut usize,
    ) -> Result<Option<Option<CallId>>> {
        let newest = self.newest_start()?;
        let top = q.hi.start.min(newest);
        let bottom = q.lo.max(self.oldest_start()?);
        if top < bottom {
            return Ok(Some(None));
        }
        let (cf, kind) = match plan {
            Plan::CallId(_) => (CF_IDX_CALLID, None),
            Plan::Number { kind, .. } => (CF_IDX_NUMBER, Some(*kind)),
            Plan::Ip(_) => (CF_IDX_IP, None),
            Plan::Time => return Ok(None),
        };
        let time = self.cf(CF_IDX_TIME)?;
        let lo_key = codec::call_key(CallId {
            start: q.lo,
            seq: 0,
        });
        let hi_key = codec::call_key(q.hi);
        let mut last_examined = None;
        for day in (codec::day(bottom)..=codec::day(top)).rev() {
            let mut candidates: Vec<CallId> = Vec::new();
            match plan {
                Plan::CallId(text)
                | Plan::Number {
                    text, exact: true, ..
                } => {
                    let prefix = codec::text_prefix(day, kind, text);
                    let mut lower = prefix.clone();
                    lower.extend_from_slice(&lo_key);
                    let mut upper = prefix;
                    upper.extend_from_slice(&hi_key);
                    let mut it = self.bounded_iter(cf, lower, upper)?;
                    it.seek_to_last();
                    // Streamed below in batches to stop early.
                    loop {
                        candidates.clear();
                        while let Some(k) = it.key() {
                            if let Some(c) = codec::call_id_suffix(k) {
                                candidates.push(c);
                            }
                            it.prev();
                            if candidates.len() >= 256 {
                                break;
                            }
                        }
                        it.status()?;
                        if candidates.is_empty() {
                            break;
                        }
                        if let Some(r) =
                            self.check(q, time, &candidates, items, examined, &mut last_examined)?
                        {
                            return Ok(Some(r));
                        }
                    }
                    continue;
                }
                Plan::Ip(ip) => {
                    let prefix = codec::ip_prefix(day, *ip);
                    let mut lower = prefix.to_vec();
                    lower.extend_from_slice(&lo_key);
                    let mut upper = prefix.to_vec();
                    upper.extend_from_slice(&hi_key);
                    let mut it = self.bounded_iter(cf, lower, upper)?;
                    it.seek_to_last();
                    loop {
                        candidates.clear();
                        while let Some(k) = it.key() {
                            if let Some(c) = codec::call_id_suffix(k) {
                                candidates.push(c);
                            }
                            it.prev();
                            if candidates.len() >= 256 {
                                break;
                            }
                        }
                        it.status()?;
                        if candidates.is_empty() {
                            break;
                        }
                        if let Some(r) =
                            self.check(q, time, &candidates, items, examined, &mut last_examined)?
                        {
                            return Ok(Some(r));
                        }
                    }
                    continue;
                }
                Plan::Number {
                    text, kind, glob, ..
                } => {
                    // Prefix scan: day + kind + literal part, then the glob on each text.
                    let mut lower = day.to_be_bytes().to_vec();
                    lower.push(*kind);
                    lower.extend(text.iter().copied().filter(|&b| b != 0));
                    let mut upper = lower.clone();
                    if !increment(&mut upper) {
                        upper = (day + 1).to_be_bytes().to_vec();
                    }
                    let mut it = self.bounded_iter(cf, lower, upper)?;
                    it.seek_to_first();
                    let mut rev_buf = Vec::new();
                    while let Some(k) = it.key() {
                        let lo = CallId {
                            start: q.lo,
                            seq: 0,
                        };
                        let hit = codec::call_id_suffix(k)
                            .filter(|c| *c >= lo && *c < q.hi)
                            .zip(codec::text_of_key(k, 1));
                        if let Some((c, t)) = hit {
                            let ok = if *kind == NUM_REVERSED {
                                rev_buf.clear();
                                rev_buf.extend(t.iter().rev());
                                glob.matches(&rev_buf)
                            } else {
                                glob.matches(t)
                            };
                            if ok {
                                candidates.push(c);
                            }
                        }
                        *examined += 1;
                        if candidates.len() > CANDIDATE_CAP {
                            // Too broad for the index: the time scan is cheaper.
                            return Ok(None);
                        }
                        it.next();
                    }
                    it.status()?;
                }
                Plan::Time => return Ok(None),
            }
            candidates.sort_unstable_by(|a, b| b.cmp(a));
            candidates.dedup();
            for batch in candidates.chunks(256) {
                if let Some(r) = self.check(q, time, batch, items, examined, &mut last_examined)? {
                    return Ok(Some(r));
                }
            }
        }
        Ok(Some(None))
    }

    /// Fetches and filters candidates (newest first). `Some(next)` when the page is complete
    /// or the budget ran out.
    fn check(
        &self,
        q: &Resolved,
        time: &ColumnFamily,
        candidates: &[CallId],
        items: &mut Vec<CallSummary>,
        examined: &mut usize,
        last_examined: &mut Option<CallId>,
    ) -> Result<Option<Option<CallId>>> {
        let keys: Vec<[u8; 16]> = candidates.iter().map(|c| codec::call_key(*c)).collect();
        let values = self.db.batched_multi_get_cf(time, &keys, false);
        for (c, v) in candidates.iter().zip(values) {
            *examined += 1;
            *last_examined = Some(*c);
            let Some(v) = v? else { continue };
            let view = SummaryView::parse(*c, &v)?;
            if q.accept(&view)? {
                items.push(view.to_summary()?);
                if items.len() >= q.limit {
                    return Ok(Some(Some(*c)));
                }
            }
            if *examined >= self.opts.scan_budget {
                return Ok(Some(Some(*c)));
            }
        }
        Ok(None)
    }

    fn search_time(
        &self,
        q: &Resolved,
        items: &mut Vec<CallSummary>,
        examined: &mut usize,
    ) -> Result<Option<CallId>> {
        let lower = codec::call_key(CallId {
            start: q.lo,
            seq: 0,
        })
        .to_vec();
        let upper = codec::call_key(q.hi).to_vec();
        let mut it = self.bounded_iter(CF_IDX_TIME, lower, upper)?;
        it.seek_to_last();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            let Some(c) = codec::call_id_suffix(k) else {
                it.prev();
                continue;
            };
            *examined += 1;
            let view = SummaryView::parse(c, v)?;
            if q.accept(&view)? {
                items.push(view.to_summary()?);
                if items.len() >= q.limit {
                    return Ok(Some(c));
                }
            }
            if *examined >= self.opts.scan_budget {
                return Ok(Some(c));
            }
            it.prev();
        }
        it.status()?;
        Ok(None)
    }
}

/// Most candidates a glob prefix scan collects per day before the search falls back to the
/// time scan.
const CANDIDATE_CAP: usize = 100_000;

/// Increments a byte string as a big number (the exclusive end of a prefix range).
fn increment(b: &mut Vec<u8>) -> bool {
    while let Some(last) = b.last_mut() {
        if *last < 0xff {
            *last += 1;
            return true;
        }
        b.pop();
    }
    false
}

/// Which index a search walks.
enum Plan {
    Time,
    CallId(Vec<u8>),
    Number {
        kind: u8,
        /// Exact text, or the literal prefix (of the reversed text for `r`).
        text: Vec<u8>,
        exact: bool,
        glob: Glob,
    },
    Ip(IpAddr),
}

/// A query with defaults applied.
struct Resolved {
    lo: Nanos,
    hi: CallId,
    limit: usize,
    glob: Option<Glob>,
    call_id: Option<String>,
    ip: Option<IpAddr>,
    status_class: Option<u8>,
    min_duration: Option<Duration>,
    max_duration: Option<Duration>,
    mos_below: Option<f64>,
    source: Option<String>,
}

impl Resolved {
    fn accept(&self, v: &SummaryView<'_>) -> Result<bool> {
        let cheap = self
            .glob
            .as_ref()
            .is_none_or(|g| g.matches(v.from_user) || g.matches(v.to_user))
            && self
                .status_class
                .is_none_or(|c| v.final_status.map_or(0, |s| s / 100) == u16::from(c))
            && self
                .min_duration
                .is_none_or(|min| v.duration.is_some_and(|d| d >= min))
            && self
                .max_duration
                .is_none_or(|max| v.duration.is_some_and(|d| d <= max))
            && self
                .mos_below
                .is_none_or(|m| v.worst_mos.is_some_and(|w| w < m))
            && self
                .source
                .as_ref()
                .is_none_or(|s| v.source == s.as_bytes());
        if !cheap {
            return Ok(false);
        }
        let ip_ok = match self.ip {
            Some(ip) => v.has_ip(ip)?,
            None => true,
        };
        if !ip_ok {
            return Ok(false);
        }
        match &self.call_id {
            Some(cid) => v.has_call_id(cid),
            None => Ok(true),
        }
    }
}

/// Messages from `open_from` on, skipping closed ones.
struct OpenMessages<'a> {
    it: DBRawIterator<'a>,
    from: u64,
    closed: HashSet<u64>,
    pending: VecDeque<StoredMessage>,
    failed: bool,
}

impl Iterator for OpenMessages<'_> {
    type Item = Result<StoredMessage>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return Some(Ok(m));
            }
            if self.failed {
                return None;
            }
            let Some(v) = self.it.value() else {
                if let Err(e) = self.it.status() {
                    self.failed = true;
                    return Some(Err(e.into()));
                }
                return None;
            };
            let mut out = Vec::new();
            let (from, closed) = (self.from, &self.closed);
            let r = codec::decode_chunk(v, |id| id.0 >= from && !closed.contains(&id.0), &mut out);
            self.it.next();
            if let Err(e) = r {
                self.failed = true;
                return Some(Err(e));
            }
            self.pending.extend(out);
        }
    }
}

impl Store for RocksStore {
    fn write(&self, set: &WriteSet<'_>) -> Result<WriteAck> {
        let mut state = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = self.next_msg.load(Ordering::Acquire);
        for m in &set.messages {
            if m.id.0 < next {
                return Err(StoreError::MessageIdOrder {
                    got: m.id.0,
                    min: next,
                });
            }
            next = m.id.0 + 1;
        }
        let mut batch = WriteBatch::default();
        let messages = self.cf(CF_MESSAGES)?;
        let meta = self.cf(CF_META)?;
        // Chunks of about `chunk_bytes`, keyed by their first id.
        let mut i = 0;
        let mut chunk = Vec::with_capacity(self.opts.chunk_bytes + 4096);
        while let Some(first) = set.messages.get(i) {
            let mut bytes = 0usize;
            let mut n = 0usize;
            while let Some(m) = set.messages.get(i + n) {
                if n > 0 && bytes + codec::encoded_len(m) > self.opts.chunk_bytes {
                    break;
                }
                bytes += codec::encoded_len(m);
                n += 1;
            }
            chunk.clear();
            codec::start_chunk(&mut chunk, u32::try_from(n).unwrap_or(u32::MAX));
            for m in set.messages.get(i..i + n).unwrap_or_default() {
                codec::put_message(&mut chunk, m);
            }
            batch.put_cf(messages, be_u64(first.id.0), &chunk);
            let entry = DirEntry {
                now: set.now,
                bytes: chunk.len() as u64,
                count: u32::try_from(n).unwrap_or(u32::MAX),
            };
            batch.put_cf(meta, codec::dir_key(first.id), entry.encode());
            i += n;
        }
        let mut next_call = state.next_call;
        let mut ids = Vec::with_capacity(set.calls.len());
        for call in &set.calls {
            let id = CallId {
                start: call.start,
                seq: next_call,
            };
            next_call += 1;
            self.put_call(&mut batch, call, id)?;
            ids.push(id);
        }
        for (spool, seq) in &set.cursors {
            batch.put_cf(meta, codec::cursor_key(spool), be_u64(*seq));
        }
        let open_from = set
            .open_from
            .map_or(state.open_from, |o| o.0.max(state.open_from));
        if open_from != state.open_from {
            batch.put_cf(meta, META_OPEN_FROM, be_u64(open_from));
        }
        if !set.messages.is_empty() {
            batch.put_cf(meta, META_NEXT_MSG, be_u64(next));
        }
        if !set.calls.is_empty() {
            batch.put_cf(meta, META_NEXT_CALL, be_u64(next_call));
        }
        self.db.write_opt(batch, &Self::sync_opts())?;
        state.next_call = next_call;
        state.open_from = open_from;
        self.next_msg.store(next, Ordering::Release);
        Ok(WriteAck {
            messages: set.messages.len(),
            calls: ids,
        })
    }

    fn next_message_id(&self) -> MsgId {
        MsgId(self.next_msg.load(Ordering::Acquire))
    }

    fn open_messages(&self) -> Result<Box<dyn Iterator<Item = Result<StoredMessage>> + '_>> {
        let open_from = self
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .open_from;
        let from = open_from.max(self.msg_floor.load(Ordering::Acquire));
        // Ids closed by calls whose highest message is at or above `from`.
        let mut closed = HashSet::new();
        let mut it = self.bounded_iter(
            CF_META,
            codec::closed_key(MsgId(from), CallId { start: 0, seq: 0 }).to_vec(),
            b"y".to_vec(),
        )?;
        it.seek_to_first();
        while let Some(v) = it.value() {
            closed.extend(
                codec::decode_ids(v)?
                    .into_iter()
                    .map(|m| m.0)
                    .filter(|&m| m >= from),
            );
            it.next();
        }
        it.status()?;
        let mut it = self.db.raw_iterator_cf(self.cf(CF_MESSAGES)?);
        // The chunk holding `from` may start below it.
        it.seek_for_prev(be_u64(from));
        if !it.valid() {
            it.seek(be_u64(from));
        }
        Ok(Box::new(OpenMessages {
            it,
            from,
            closed,
            pending: VecDeque::new(),
            failed: false,
        }))
    }

    fn call(&self, id: CallId) -> Result<Option<StoredCall>> {
        let Some(summary) = self.summary(id)? else {
            return Ok(None);
        };
        let mut k = codec::call_key(id).to_vec();
        k.push(0);
        let Some(json) = self.db.get_cf(self.cf(CF_CALLS)?, &k)? else {
            return Ok(None);
        };
        let record_json = String::from_utf8(json).map_err(|e| StoreError::Corrupt {
            what: "call record",
            detail: e.to_string(),
        })?;
        Ok(Some(StoredCall {
            summary,
            record_json,
        }))
    }

    fn calls_by_call_id(&self, call_id: &str) -> Result<Vec<CallSummary>> {
        let page = self.search(&CallQuery {
            call_id: Some(call_id.to_owned()),
            limit: Some(10_000),
            ..CallQuery::default()
        })?;
        Ok(page.items)
    }

    fn search(&self, query: &CallQuery) -> Result<Page<CallSummary>> {
        let floor = self.floor.load(Ordering::Acquire);
        let mut hi = match query.to {
            Some(to) => CallId { start: to, seq: 0 },
            None => CallId {
                start: u64::MAX,
                seq: u64::MAX,
            },
        };
        if let Some(c) = query.cursor {
            hi = hi.min(c);
        }
        let q = Resolved {
            lo: query.from.unwrap_or(0).max(floor),
            hi,
            limit: query.limit.unwrap_or(100).clamp(1, 10_000),
            glob: query.number.as_deref().map(Glob::new),
            call_id: query.call_id.clone(),
            ip: query.ip,
            status_class: query.status_class,
            min_duration: query.min_duration,
            max_duration: query.max_duration,
            mos_below: query.mos_below,
            source: query.source.clone(),
        };
        let mut items = Vec::new();
        if (CallId {
            start: q.lo,
            seq: 0,
        }) >= q.hi
        {
            return Ok(Page { items, next: None });
        }
        let plan = if let Some(cid) = &q.call_id {
            Plan::CallId(cid.as_bytes().to_vec())
        } else if let Some(g) = q.glob.as_ref().filter(|g| {
            g.is_literal() || g.literal_prefix().len() >= 2 || g.literal_suffix().len() >= 2
        }) {
            if g.is_literal() {
                Plan::Number {
                    kind: NUM_FORWARD,
                    text: g.as_bytes().to_vec(),
                    exact: true,
                    glob: g.clone(),
                }
            } else if g.literal_prefix().len() >= g.literal_suffix().len() {
                Plan::Number {
                    kind: NUM_FORWARD,
                    text: g.literal_prefix().to_vec(),
                    exact: false,
                    glob: g.clone(),
                }
            } else {
                Plan::Number {
                    kind: NUM_REVERSED,
                    text: g.literal_suffix().iter().rev().copied().collect(),
                    exact: false,
                    glob: g.clone(),
                }
            }
        } else if let Some(ip) = q.ip {
            Plan::Ip(ip)
        } else {
            Plan::Time
        };
        let mut examined = 0;
        if let Some(next) = self.search_index(&q, &plan, &mut items, &mut examined)? {
            return Ok(Page { items, next });
        }
        // No usable index, or the glob was too broad for it: walk the time index.
        items.clear();
        examined = 0;
        let next = self.search_time(&q, &mut items, &mut examined)?;
        Ok(Page { items, next })
    }

    fn messages_of_call(&self, id: CallId) -> Result<Vec<StoredMessage>> {
        if self.summary(id)?.is_none() {
            return Ok(Vec::new());
        }
        let mut k = codec::call_key(id).to_vec();
        k.push(1);
        let Some(v) = self.db.get_pinned_cf(self.cf(CF_CALLS)?, &k)? else {
            return Ok(Vec::new());
        };
        let ids = codec::decode_ids(&v)?;
        let wanted: HashSet<u64> = ids.iter().map(|m| m.0).collect();
        let mut out = Vec::with_capacity(ids.len());
        let mut it = self.db.raw_iterator_cf(self.cf(CF_MESSAGES)?);
        // Ids are sorted: find the chunk of the first not yet read, read it, go on.
        let mut chunk_end = 0u64;
        for id in &ids {
            if id.0 < chunk_end {
                continue;
            }
            it.seek_for_prev(be_u64(id.0));
            let Some(v) = it.value() else {
                it.status()?;
                continue;
            };
            codec::decode_chunk(v, |m| wanted.contains(&m.0), &mut out)?;
            it.next();
            chunk_end = it
                .key()
                .and_then(|k| k.try_into().ok())
                .map_or(u64::MAX, u64::from_be_bytes);
        }
        out.sort_by_key(|m| (m.ts, m.id));
        out.dedup_by_key(|m| m.id);
        Ok(out)
    }

    fn streams_of_call(&self, id: CallId) -> Result<Vec<String>> {
        if self.summary(id)?.is_none() {
            return Ok(Vec::new());
        }
        let key = codec::call_key(id);
        let mut upper = key.to_vec();
        upper.push(0xff);
        upper.extend_from_slice(&[0xff; 4]);
        let mut it = self.bounded_iter(CF_STREAMS, key.to_vec(), upper)?;
        it.seek_to_first();
        let mut out = Vec::new();
        while let Some(v) = it.value() {
            out.push(String::from_utf8_lossy(v).into_owned());
            it.next();
        }
        it.status()?;
        Ok(out)
    }

    fn cursor(&self, spool_id: &str) -> Result<Option<u64>> {
        self.db
            .get_pinned_cf(self.cf(CF_META)?, codec::cursor_key(spool_id))?
            .map(|v| codec::u64_value(&v, "spool cursor"))
            .transpose()
    }

    fn enforce_retention(
        &self,
        now: Nanos,
        max_age: Duration,
        max_bytes: u64,
    ) -> Result<RetentionStats> {
        let _only_one = self.retention.lock().unwrap_or_else(|p| p.into_inner());
        let mut stats = RetentionStats {
            bytes_before: self.live_bytes()?,
            ..RetentionStats::default()
        };
        let max_age_ns = u64::try_from(max_age.as_nanos()).unwrap_or(u64::MAX);
        let cutoff = now.saturating_sub(max_age_ns);
        let next_msg = self.next_msg.load(Ordering::Acquire);
        // By age: calls that started before the cutoff, chunks written before it.
        let dir = self.directory()?;
        let msg_cut = dir
            .iter()
            .find(|(_, e)| e.now >= cutoff)
            .map_or(next_msg, |(first, _)| *first);
        let old_messages = dir.first().is_some_and(|(first, _)| *first < msg_cut);
        let old_calls = self.oldest_start()? < cutoff;
        if old_messages || old_calls {
            self.delete_before(cutoff, msg_cut)?;
            stats.rounds += 1;
            stats.calls_before = cutoff;
            stats.messages_before = msg_cut;
        }
        // By size: cut the oldest share of the data that brings it under 90 % of the budget.
        for _ in 0..8 {
            let size = self.live_bytes()?;
            if size <= max_bytes {
                break;
            }
            let excess = size - max_bytes / 10 * 9;
            let fraction = (excess as f64 / size as f64).clamp(0.0, 1.0);
            let dir = self.directory()?;
            let total: u64 = dir.iter().map(|(_, e)| e.bytes).sum();
            let (t, m) = if total > 0 {
                let want = (total as f64 * fraction) as u64;
                let mut acc = 0u64;
                let mut cut = None;
                for (i, (_, e)) in dir.iter().enumerate() {
                    acc += e.bytes;
                    if acc >= want {
                        // Everything written up to this chunk's clock goes: its whole write,
                        // and calls that started by then (a call starts before its messages
                        // are written, so no kept call loses messages).
                        let t = e.now.saturating_add(1);
                        let m = dir
                            .get(i + 1..)
                            .unwrap_or_default()
                            .iter()
                            .find(|(_, later)| later.now >= t)
                            .map_or(next_msg, |(f, _)| *f);
                        cut = Some((t, m));
                        break;
                    }
                }
                cut.unwrap_or((now, next_msg))
            } else {
                match self.calls_fraction_cut(fraction)? {
                    Some(t) => (t, self.msg_floor.load(Ordering::Acquire)),
                    None => break,
                }
            };
            let floor = self.floor.load(Ordering::Acquire);
            let msg_floor = self.msg_floor.load(Ordering::Acquire);
            if t <= floor && m <= msg_floor {
                tracing::warn!(
                    size,
                    max_bytes,
                    "storage above its size budget with nothing older left to delete"
                );
                break;
            }
            self.delete_before(t.max(floor), m.max(msg_floor))?;
            stats.rounds += 1;
            stats.calls_before = stats.calls_before.max(t);
            stats.messages_before = stats.messages_before.max(m);
        }
        stats.bytes_after = self.live_bytes()?;
        if stats.rounds > 0 {
            tracing::info!(
                calls_before = stats.calls_before,
                messages_before = stats.messages_before,
                bytes_before = stats.bytes_before,
                bytes_after = stats.bytes_after,
                "retention deleted old data"
            );
        }
        Ok(stats)
    }

    fn stats(&self) -> Result<StoreStats> {
        let mut out = StoreStats::default();
        for name in ALL_CFS {
            let cf = self.cf(name)?;
            let prop =
                |p| -> Result<u64> { Ok(self.db.property_int_value_cf(cf, p)?.unwrap_or(0)) };
            let s = CfStats {
                name,
                keys: prop(rocksdb::properties::ESTIMATE_NUM_KEYS)?,
                sst_bytes: prop(rocksdb::properties::LIVE_SST_FILES_SIZE)?,
                memtable_bytes: prop(rocksdb::properties::CUR_SIZE_ALL_MEM_TABLES)?,
            };
            out.total_bytes += s.sst_bytes + s.memtable_bytes;
            out.column_families.push(s);
        }
        Ok(out)
    }
}
