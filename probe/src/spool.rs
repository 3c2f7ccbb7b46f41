//! A bounded, crash-safe disk journal of records waiting for the engine's acknowledgement.
//!
//! # Layout
//!
//! A spool directory holds:
//! - `meta`: `b"CSSPOOL1"` then the spool id (u64 LE), written once when the spool is created.
//!   The id is random; with the sequence number it names a record uniquely, so the engine can
//!   drop records it already has after a resend.
//! - `acked`: the highest acknowledged sequence number (u64 LE) and its CRC-32 (u32 LE),
//!   replaced atomically (write, fsync, rename).
//! - `<first seq, 20 digits>.seg`: segment files of records
//!   `[len u32 LE][crc32 u32 LE][seq u64 LE][len bytes]`; the CRC covers the seq and the bytes.
//!   Sequence numbers start at 1 and increase by one per stored record, across segments and
//!   restarts. The last segment is the one appended to; it is never deleted, so its name and
//!   records always give the next sequence number.
//!
//! # Guarantees
//!
//! - [`Spool::append`] gives the next sequence number, or drops the record (counted, and
//!   logged at most once per [`SpoolConfig::drop_log_interval`]) when it would take the spool
//!   beyond [`SpoolConfig::max_bytes`]. A dropped record takes no sequence number.
//! - [`Spool::ack`] marks records up to a sequence number delivered; segments that hold only
//!   delivered records are deleted (the last one excepted).
//! - [`Spool::read_from`] iterates the stored records from a sequence number, for (re)sending.
//! - [`Spool::open`] recovers after a crash: every record's length, CRC and sequence number is
//!   checked, and a segment is cut at its first bad record (a torn write at the tail); cuts are
//!   counted in [`Recovery`]. Records acknowledged before a crash may be read again if the
//!   `acked` file had not been replaced yet: delivery is at least once, the engine dedups.
//!
//! # Flush policy (the trade-off)
//!
//! Appends go through a user-space buffer. [`Spool::flush`] (called by the pipeline after each
//! batch of frames) writes the buffer to the operating system: from then on a crash of the
//! probe loses nothing. It calls `fsync` only when [`SpoolConfig::sync_every_records`] records
//! or [`SpoolConfig::sync_interval`] have passed since the last one: a power failure or kernel
//! crash can lose up to that much (by default 1 s or 10,000 records). Fsync per batch would
//! bound that loss to one batch, at the price of a disk flush per batch (milliseconds each on
//! spinning disks) on the capture's critical path.
use std::cell::Cell;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const META_MAGIC: &[u8; 8] = b"CSSPOOL1";
const HEADER: u64 = 16;
/// Largest record accepted (a HEP packet is far smaller); a longer length field on disk is
/// corruption.
pub const MAX_RECORD: usize = 16 << 20;

/// Spool settings. [`SpoolConfig::new`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    /// Most bytes of segment files on disk (record headers included). Default 1 GiB.
    pub max_bytes: u64,
    /// A segment is closed and a new one started beyond this size. Default `max_bytes / 16`,
    /// between 64 KiB and 64 MiB.
    pub segment_bytes: u64,
    /// fsync after this many records since the last one. Default 10,000.
    pub sync_every_records: u64,
    /// fsync when this long has passed since the last one (checked at each flush). Default 1 s.
    pub sync_interval: Duration,
    /// Drops are logged at most this often. Default 10 s.
    pub drop_log_interval: Duration,
    /// The `acked` file is rewritten at most this often, unless segments are deleted. Default
    /// 1 s.
    pub ack_persist_interval: Duration,
}

impl SpoolConfig {
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64) -> Self {
        Self {
            dir: dir.into(),
            max_bytes,
            segment_bytes: (max_bytes / 16).clamp(64 << 10, 64 << 20),
            sync_every_records: 10_000,
            sync_interval: Duration::from_secs(1),
            drop_log_interval: Duration::from_secs(10),
            ack_persist_interval: Duration::from_secs(1),
        }
    }
}

/// Spool failures (I/O on the spool directory).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    #[error(
        "spool {path}: {source}; check that the directory is on a local disk, has free space, and is writable by the probe's user"
    )]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "spool stopped after an earlier write error; restart the probe (it will recover the spool)"
    )]
    Failed,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What [`Spool::open`] found and repaired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    pub segments: u64,
    pub records: u64,
    /// Segments cut at a bad record (torn write or corruption).
    pub cuts: u64,
    /// Bytes removed by those cuts.
    pub cut_bytes: u64,
    /// Segments removed as unreadable (bad name, overlap).
    pub removed_segments: u64,
}

/// Space used by the spool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Bytes of segment files.
    pub bytes: u64,
    /// Records stored and not yet acknowledged.
    pub records: u64,
    pub segments: u64,
    /// Records dropped because the spool was full, since open.
    pub dropped: u64,
}

/// A record read back from the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub bytes: Vec<u8>,
}

#[derive(Debug)]
struct Segment {
    first_seq: u64,
    /// One past the last record's sequence number.
    next_seq: u64,
    bytes: u64,
    path: PathBuf,
}

/// Where the last read stopped, so the next read from there skips the scan of the segment.
#[derive(Debug, Clone, Copy)]
struct ReadHint {
    seq: u64,
    segment: u64,
    offset: u64,
}

/// The spool. Not thread-safe by itself: share it as `Mutex<Spool>`.
#[derive(Debug)]
pub struct Spool {
    cfg: SpoolConfig,
    id: u64,
    segments: VecDeque<Segment>,
    writer: Option<BufWriter<File>>,
    next_seq: u64,
    acked: u64,
    acked_persisted: u64,
    last_ack_persist: Instant,
    total_bytes: u64,
    dropped: u64,
    dropped_unlogged: u64,
    last_drop_log: Option<Instant>,
    unsynced: u64,
    last_sync: Instant,
    failed: bool,
    recovery: Recovery,
    hint: Cell<Option<ReadHint>>,
}

fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}

fn crc(seq: u64, bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&seq.to_le_bytes());
    h.update(bytes);
    h.finalize()
}

fn seg_name(first_seq: u64) -> String {
    format!("{first_seq:020}.seg")
}

fn parse_seg_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Writes `bytes` to `path` atomically: temporary file, fsync, rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads one record header at the reader's position: `Ok(None)` at a clean end, `Err` with
/// `InvalidData`/`UnexpectedEof` when the record is torn or corrupt.
fn read_record(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<Option<u64>> {
    let mut h = [0u8; HEADER as usize];
    let mut got = 0;
    while got < h.len() {
        let n = r.read(h.get_mut(got..).unwrap_or_default())?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        got += n;
    }
    let [
        l0,
        l1,
        l2,
        l3,
        c0,
        c1,
        c2,
        c3,
        s0,
        s1,
        s2,
        s3,
        s4,
        s5,
        s6,
        s7,
    ] = h;
    let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
    let want = u32::from_le_bytes([c0, c1, c2, c3]);
    let seq = u64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]);
    if len > MAX_RECORD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "record length too large",
        ));
    }
    buf.clear();
    buf.resize(len, 0);
    r.read_exact(buf)?;
    if crc(seq, buf) != want {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "CRC mismatch"));
    }
    Ok(Some(seq))
}

impl Spool {
    /// Opens (or creates) the spool in `cfg.dir` and recovers it.
    pub fn open(cfg: SpoolConfig) -> Result<Self, SpoolError> {
        let dir = cfg.dir.clone();
        // Owner-only: records hold call data.
        std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
            .create(&dir)
            .map_err(io_err(&dir))?;
        let id = Self::open_meta(&dir)?;
        let mut recovery = Recovery::default();

        let mut names: Vec<(u64, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io_err(&dir))? {
            let entry = entry.map_err(io_err(&dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(first) = parse_seg_name(name) {
                names.push((first, entry.path()));
            } else if name.ends_with(".seg") || name.ends_with(".tmp") {
                tracing::warn!(file = %entry.path().display(), "removing a stray spool file");
                let _ = std::fs::remove_file(entry.path());
                recovery.removed_segments += u64::from(name.ends_with(".seg"));
            }
        }
        names.sort();

        let mut segments: VecDeque<Segment> = VecDeque::new();
        let mut buf = Vec::new();
        for (first, path) in names {
            if first == 0 || segments.back().is_some_and(|s| first < s.next_seq) {
                tracing::warn!(file = %path.display(), "removing a spool segment that overlaps the previous one");
                std::fs::remove_file(&path).map_err(io_err(&path))?;
                recovery.removed_segments += 1;
                continue;
            }
            let seg = Self::scan_segment(first, path, &mut buf, &mut recovery)?;
            recovery.segments += 1;
            recovery.records += seg.next_seq - seg.first_seq;
            segments.push_back(seg);
        }

        let acked_file = Self::read_acked(&dir);
        let first_stored = segments.front().map_or(1, |s| s.first_seq);
        let last_next = segments.back().map_or(1, |s| s.next_seq);
        // Records before the first stored one were acknowledged (their segments are gone).
        let acked = acked_file.unwrap_or(0).max(first_stored - 1);
        // After a power failure the `acked` file (fsynced) can be ahead of the records (not
        // yet fsynced): numbering resumes after it, so no number is given twice.
        let next_seq = last_next.max(acked + 1);
        let total_bytes = segments.iter().map(|s| s.bytes).sum();
        if recovery.cuts > 0 || recovery.removed_segments > 0 {
            tracing::warn!(
                cuts = recovery.cuts,
                cut_bytes = recovery.cut_bytes,
                removed_segments = recovery.removed_segments,
                "spool recovered after an unclean stop"
            );
        }
        let mut spool = Self {
            cfg,
            id,
            segments,
            writer: None,
            next_seq,
            acked,
            acked_persisted: acked_file.unwrap_or(0),
            last_ack_persist: Instant::now(),
            total_bytes,
            dropped: 0,
            dropped_unlogged: 0,
            last_drop_log: None,
            unsynced: 0,
            last_sync: Instant::now(),
            failed: false,
            recovery,
            hint: Cell::new(None),
        };
        // Reopen the last segment for appending, or start one.
        if spool
            .segments
            .back()
            .is_some_and(|s| s.next_seq == spool.next_seq)
        {
            if let Some(last) = spool.segments.back() {
                let f = OpenOptions::new()
                    .append(true)
                    .open(&last.path)
                    .map_err(io_err(&last.path))?;
                spool.writer = Some(BufWriter::with_capacity(256 << 10, f));
            }
        } else {
            spool.start_segment()?;
        }
        spool.delete_acked_segments()?;
        Ok(spool)
    }

    fn open_meta(dir: &Path) -> Result<u64, SpoolError> {
        let path = dir.join("meta");
        match std::fs::read(&path) {
            Ok(b) if b.len() == 16 && b.get(..8) == Some(META_MAGIC.as_slice()) => {
                let mut id = [0u8; 8];
                id.copy_from_slice(b.get(8..16).unwrap_or(&[0; 8]));
                return Ok(u64::from_le_bytes(id));
            }
            Ok(_) => {
                tracing::warn!(file = %path.display(), "spool meta file is damaged; giving the spool a new id (the engine may receive some records twice)");
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path)(e)),
        }
        let id = random_u64();
        let mut b = META_MAGIC.to_vec();
        b.extend_from_slice(&id.to_le_bytes());
        write_atomic(&path, &b).map_err(io_err(&path))?;
        sync_dir(dir).map_err(io_err(dir))?;
        Ok(id)
    }

    fn read_acked(dir: &Path) -> Option<u64> {
        let b = std::fs::read(dir.join("acked")).ok()?;
        let v: [u8; 8] = b.get(..8)?.try_into().ok()?;
        let c: [u8; 4] = b.get(8..12)?.try_into().ok()?;
        (crc32fast::hash(&v) == u32::from_le_bytes(c)).then_some(u64::from_le_bytes(v))
    }

    /// Reads a segment, checks every record, and cuts it at the first bad one.
    fn scan_segment(
        first: u64,
        path: PathBuf,
        buf: &mut Vec<u8>,
        recovery: &mut Recovery,
    ) -> Result<Segment, SpoolError> {
        let f = File::open(&path).map_err(io_err(&path))?;
        let len = f.metadata().map_err(io_err(&path))?.len();
        let mut r = io::BufReader::with_capacity(256 << 10, f);
        let mut expect = first;
        let mut good = 0u64;
        loop {
            match read_record(&mut r, buf) {
                Ok(Some(seq)) if seq == expect => {
                    expect += 1;
                    good += HEADER + buf.len() as u64;
                }
                Ok(None) => break,
                Ok(Some(_)) | Err(_) => {
                    // Torn tail, corruption, or a sequence number out of place.
                    break;
                }
            }
        }
        if good < len {
            tracing::warn!(file = %path.display(), kept = good, cut = len - good, "cutting a torn spool segment");
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(io_err(&path))?;
            f.set_len(good).map_err(io_err(&path))?;
            f.sync_all().map_err(io_err(&path))?;
            recovery.cuts += 1;
            recovery.cut_bytes += len - good;
        }
        Ok(Segment {
            first_seq: first,
            next_seq: expect,
            bytes: good,
            path,
        })
    }

    fn start_segment(&mut self) -> Result<(), SpoolError> {
        self.finish_writer()?;
        let path = self.cfg.dir.join(seg_name(self.next_seq));
        let f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        sync_dir(&self.cfg.dir).map_err(io_err(&self.cfg.dir))?;
        self.writer = Some(BufWriter::with_capacity(256 << 10, f));
        self.segments.push_back(Segment {
            first_seq: self.next_seq,
            next_seq: self.next_seq,
            bytes: 0,
            path,
        });
        Ok(())
    }

    /// Flushes and fsyncs the current writer (a segment being closed).
    fn finish_writer(&mut self) -> Result<(), SpoolError> {
        if let Some(mut w) = self.writer.take() {
            let dir = self.cfg.dir.clone();
            w.flush().map_err(io_err(&dir))?;
            w.get_ref().sync_data().map_err(io_err(&dir))?;
            self.unsynced = 0;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// The random id of this spool, fixed when it was created.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The sequence number the next stored record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The highest acknowledged sequence number (0: none).
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// What the last open recovered.
    pub fn recovery(&self) -> Recovery {
        self.recovery
    }

    pub fn usage(&self) -> Usage {
        Usage {
            bytes: self.total_bytes,
            records: self.next_seq - 1 - self.acked,
            segments: self.segments.len() as u64,
            dropped: self.dropped,
        }
    }

    /// Stores a record. `Ok(Some(seq))` when stored; `Ok(None)` when dropped because the spool
    /// is full (counted in [`Usage::dropped`]) or the record is longer than [`MAX_RECORD`].
    pub fn append(&mut self, bytes: &[u8]) -> Result<Option<u64>, SpoolError> {
        if self.failed {
            return Err(SpoolError::Failed);
        }
        let rec = HEADER + bytes.len() as u64;
        if bytes.len() > MAX_RECORD || self.total_bytes + rec > self.cfg.max_bytes {
            self.drop_one();
            return Ok(None);
        }
        let roll = self
            .segments
            .back()
            .is_none_or(|s| s.bytes > 0 && s.bytes + rec > self.cfg.segment_bytes);
        if roll && let Err(e) = self.start_segment() {
            self.failed = true;
            return Err(e);
        }
        let seq = self.next_seq;
        let mut h = [0u8; HEADER as usize];
        h[..4].copy_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
        h[4..8].copy_from_slice(&crc(seq, bytes).to_le_bytes());
        h[8..].copy_from_slice(&seq.to_le_bytes());
        let res = match self.writer.as_mut() {
            Some(w) => w.write_all(&h).and_then(|()| w.write_all(bytes)),
            None => Err(io::ErrorKind::NotConnected.into()),
        };
        if let Err(e) = res {
            self.failed = true;
            return Err(io_err(&self.cfg.dir)(e));
        }
        if let Some(s) = self.segments.back_mut() {
            s.bytes += rec;
            s.next_seq = seq + 1;
        }
        self.total_bytes += rec;
        self.next_seq += 1;
        self.unsynced += 1;
        Ok(Some(seq))
    }

    fn drop_one(&mut self) {
        self.dropped += 1;
        self.dropped_unlogged += 1;
        let due = self
            .last_drop_log
            .is_none_or(|t| t.elapsed() >= self.cfg.drop_log_interval);
        if due {
            tracing::warn!(
                dropped = self.dropped_unlogged,
                dropped_total = self.dropped,
                max_bytes = self.cfg.max_bytes,
                "spool full: records dropped; the engine is unreachable or slower than the traffic (raise spool.max_bytes or check the engine)"
            );
            self.dropped_unlogged = 0;
            self.last_drop_log = Some(Instant::now());
        }
    }

    /// Writes buffered records to the OS (a probe crash no longer loses them) and fsyncs
    /// when the policy says so (see the module docs).
    pub fn flush(&mut self) -> Result<(), SpoolError> {
        if self.failed {
            return Err(SpoolError::Failed);
        }
        let Some(w) = self.writer.as_mut() else {
            return Ok(());
        };
        let mut res = w.flush();
        if res.is_ok()
            && self.unsynced > 0
            && (self.unsynced >= self.cfg.sync_every_records
                || self.last_sync.elapsed() >= self.cfg.sync_interval)
        {
            res = w.get_ref().sync_data();
            self.unsynced = 0;
            self.last_sync = Instant::now();
        }
        res.map_err(|e| {
            self.failed = true;
            io_err(&self.cfg.dir)(e)
        })
    }

    /// Flushes and fsyncs now.
    pub fn sync(&mut self) -> Result<(), SpoolError> {
        self.flush()?;
        if let Some(w) = self.writer.as_mut() {
            w.get_ref().sync_data().map_err(io_err(&self.cfg.dir))?;
        }
        self.unsynced = 0;
        self.last_sync = Instant::now();
        self.persist_acked()
    }

    /// Marks every record up to `seq` delivered (values beyond the last stored record are
    /// clamped; lower values than before are ignored) and deletes segments that hold only
    /// delivered records.
    pub fn ack(&mut self, seq: u64) -> Result<(), SpoolError> {
        let seq = seq.min(self.next_seq - 1);
        if seq <= self.acked {
            return Ok(());
        }
        self.acked = seq;
        let deletable = self.segments.len() > 1
            && self
                .segments
                .front()
                .is_some_and(|s| s.next_seq - 1 <= self.acked);
        if deletable || self.last_ack_persist.elapsed() >= self.cfg.ack_persist_interval {
            self.persist_acked()?;
        }
        if deletable {
            self.delete_acked_segments()?;
        }
        Ok(())
    }

    fn persist_acked(&mut self) -> Result<(), SpoolError> {
        if self.acked == self.acked_persisted {
            return Ok(());
        }
        let mut b = self.acked.to_le_bytes().to_vec();
        b.extend_from_slice(&crc32fast::hash(&self.acked.to_le_bytes()).to_le_bytes());
        let path = self.cfg.dir.join("acked");
        write_atomic(&path, &b).map_err(io_err(&path))?;
        self.acked_persisted = self.acked;
        self.last_ack_persist = Instant::now();
        Ok(())
    }

    /// Deletes leading segments whose records are all acknowledged, never the last one. The
    /// `acked` file is written first, so a crash in between only leaves extra files.
    fn delete_acked_segments(&mut self) -> Result<(), SpoolError> {
        let mut persisted = false;
        while self.segments.len() > 1
            && self
                .segments
                .front()
                .is_some_and(|s| s.next_seq - 1 <= self.acked)
        {
            if !persisted {
                self.persist_acked()?;
                persisted = true;
            }
            if let Some(s) = self.segments.pop_front() {
                match std::fs::remove_file(&s.path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&s.path)(e)),
                }
                self.total_bytes -= s.bytes;
            }
        }
        Ok(())
    }

    /// The stored records from `seq` on (or from the first stored one if `seq` is older), in
    /// order. Buffered appends are flushed first so they are seen. Acknowledged records that
    /// are still on disk are returned too: pass `acked() + 1` to resend what is pending.
    pub fn read_from(&mut self, seq: u64) -> Result<SpoolIter<'_>, SpoolError> {
        if let Some(w) = self.writer.as_mut()
            && let Err(e) = w.flush()
        {
            self.failed = true;
            return Err(io_err(&self.cfg.dir)(e));
        }
        let seq = seq.max(1);
        let idx = self
            .segments
            .iter()
            .rposition(|s| s.first_seq <= seq)
            .unwrap_or(0);
        Ok(SpoolIter {
            spool: self,
            seg: idx,
            file: None,
            offset: 0,
            want: seq,
            done: false,
        })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if !self.failed {
            let _ = self.sync();
        }
    }
}

/// Iterator over stored records, from [`Spool::read_from`].
#[derive(Debug)]
pub struct SpoolIter<'a> {
    spool: &'a Spool,
    seg: usize,
    file: Option<io::BufReader<File>>,
    offset: u64,
    want: u64,
    done: bool,
}

impl SpoolIter<'_> {
    fn open_segment(&mut self) -> io::Result<bool> {
        let Some(seg) = self.spool.segments.get(self.seg) else {
            return Ok(false);
        };
        let mut f = File::open(&seg.path)?;
        self.offset = 0;
        if let Some(h) = self.spool.hint.get()
            && h.segment == seg.first_seq
            && h.seq == self.want
        {
            f.seek(SeekFrom::Start(h.offset))?;
            self.offset = h.offset;
        }
        self.file = Some(io::BufReader::with_capacity(128 << 10, f));
        Ok(true)
    }
}

impl Iterator for SpoolIter<'_> {
    type Item = Result<Record, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        let path = |s: &Self| {
            s.spool
                .segments
                .get(s.seg)
                .map_or_else(|| s.spool.cfg.dir.clone(), |g| g.path.clone())
        };
        while !self.done {
            if self.file.is_none() {
                match self.open_segment() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(io_err(&path(self))(e)));
                    }
                }
            }
            let (seg_first, seg_end) = match self.spool.segments.get(self.seg) {
                Some(s) => (s.first_seq, s.bytes),
                None => return None,
            };
            if self.offset >= seg_end {
                self.file = None;
                self.seg += 1;
                continue;
            }
            let Some(file) = self.file.as_mut() else {
                continue;
            };
            let mut bytes = Vec::new();
            match read_record(file, &mut bytes) {
                Ok(Some(seq)) => {
                    self.offset += HEADER + bytes.len() as u64;
                    if seq < self.want {
                        continue;
                    }
                    self.want = seq + 1;
                    self.spool.hint.set(Some(ReadHint {
                        seq: self.want,
                        segment: seg_first,
                        offset: self.offset,
                    }));
                    return Some(Ok(Record { seq, bytes }));
                }
                Ok(None) => {
                    self.file = None;
                    self.seg += 1;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(io_err(&path(self))(e)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
