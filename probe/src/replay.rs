//! Replay of a capture file (pcap or pcapng, memory-mapped) at recorded or maximum speed.
//!
//! Frames keep their recorded timestamps (the analysis is driven by capture time); only the
//! moment they are handed on is paced: frame `i` is released at
//! `start + (ts_i - ts_0) / factor`. At [`Speed::Max`] frames go as fast as the analysis takes
//! them (the bounded channel is the only brake). A timestamp earlier than the previous one is
//! released at once.
use crate::batch::{BatchWriter, Disconnected};
use crate::config::Speed;
use crate::status::Counters;
use callscope_shared::mmap::MappedFile;
use callscope_shared::net::Nanos;
use callscope_shared::wire::capture::{CaptureError as ReadError, CaptureReader, Frame};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    #[error("cannot open capture file {path}: {source}; check the path and its permissions")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("capture file {path}: {source}")]
    Read { path: PathBuf, source: ReadError },
}

/// What a finished replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplaySummary {
    pub frames: u64,
    /// The file ended with a truncated or malformed record (the frames before it were sent).
    pub truncated: bool,
    /// Stopped early (stop flag or the analysis went away).
    pub stopped: bool,
}

/// The wall-clock delay after the replay start at which a frame recorded `ts - first` after the
/// first frame is released, or `None` at maximum speed.
pub fn release_offset(speed: Speed, first: Nanos, ts: Nanos) -> Option<Duration> {
    let rel = ts.saturating_sub(first);
    match speed {
        Speed::Max => None,
        Speed::Recorded => Some(Duration::from_nanos(rel)),
        #[allow(clippy::cast_precision_loss)] // sub-nanosecond precision is not needed
        Speed::Factor(f) if f > 0.0 => Some(Duration::from_secs_f64(rel as f64 / 1e9 / f)),
        Speed::Factor(_) => None,
    }
}

/// Replays `path`, giving each frame to `on_frame` at its release time. Stops early when
/// `stop` is set (checked at least every 100 ms while waiting) or `on_frame` fails.
pub fn replay(
    path: &Path,
    speed: Speed,
    stop: &AtomicBool,
    counters: &Counters,
    mut on_frame: impl FnMut(&Frame<'_>) -> Result<(), Disconnected>,
) -> Result<ReplaySummary, ReplayError> {
    let map = MappedFile::open(path).map_err(|source| ReplayError::Open {
        path: path.to_owned(),
        source,
    })?;
    let reader = CaptureReader::new(map.bytes()).map_err(|source| ReplayError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut sum = ReplaySummary::default();
    let start = Instant::now();
    let mut first: Option<Nanos> = None;
    let mut released = 0usize;
    let mut reader = reader;
    while let Some(next) = reader.next() {
        let frame = match next {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "capture file ends with a bad record; the frames before it were replayed");
                sum.truncated = true;
                break;
            }
        };
        let first_ts = *first.get_or_insert(frame.ts);
        if let Some(at) = release_offset(speed, first_ts, frame.ts) {
            loop {
                if stop.load(Ordering::Relaxed) {
                    sum.stopped = true;
                    return Ok(sum);
                }
                let now = start.elapsed();
                if now >= at {
                    break;
                }
                std::thread::sleep((at - now).min(Duration::from_millis(100)));
            }
        } else if stop.load(Ordering::Relaxed) {
            sum.stopped = true;
            return Ok(sum);
        }
        Counters::add(&counters.packets, 1);
        Counters::add(&counters.bytes, frame.data.len() as u64);
        if on_frame(&frame).is_err() {
            sum.stopped = true;
            return Ok(sum);
        }
        sum.frames += 1;
        // Let the kernel drop the pages already read (the frames were copied into batches).
        let off = reader.offset();
        if off - released >= 64 << 20 {
            map.release_before(off);
            released = off;
        }
    }
    Ok(sum)
}

/// Runs [`replay`] on a new thread, sending frames in batches through `writer`. With recorded
/// pacing a partial batch is sent whenever the replay would wait, so frames are not held back.
pub fn spawn(
    path: PathBuf,
    speed: Speed,
    mut writer: BatchWriter,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<Result<ReplaySummary, ReplayError>>> {
    std::thread::Builder::new()
        .name("replay".into())
        .spawn(move || {
            let paced = !matches!(speed, Speed::Max);
            let mut last_flush = Instant::now();
            let r = replay(&path, speed, &stop, &counters, |f| {
                writer.push(f)?;
                if paced && last_flush.elapsed() >= Duration::from_millis(10) {
                    last_flush = Instant::now();
                    writer.flush()?;
                }
                Ok(())
            });
            let _ = writer.flush();
            if let Ok(s) = &r {
                tracing::info!(path = %path.display(), frames = s.frames, "replay finished");
            }
            r
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::BatchPool;

    /// A pcap file (microsecond magic, Ethernet) with frames at the given times (µs).
    pub(crate) fn pcap_file(times_us: &[u64]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (i, t) in times_us.iter().enumerate() {
            let data = [i as u8; 60];
            v.extend_from_slice(&((t / 1_000_000) as u32).to_le_bytes());
            v.extend_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
            v.extend_from_slice(&60u32.to_le_bytes());
            v.extend_from_slice(&60u32.to_le_bytes());
            v.extend_from_slice(&data);
        }
        v
    }

    #[test]
    fn release_offsets() {
        let s = 1_000_000_000;
        assert_eq!(release_offset(Speed::Max, s, s + 5), None);
        assert_eq!(
            release_offset(Speed::Recorded, s, s + 2_000_000),
            Some(Duration::from_millis(2))
        );
        assert_eq!(
            release_offset(Speed::Factor(4.0), s, s + 2_000_000_000),
            Some(Duration::from_millis(500))
        );
        // Time going backwards: released at once.
        assert_eq!(
            release_offset(Speed::Recorded, s, s - 7),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn replays_every_frame_in_order_through_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pcap");
        let times: Vec<u64> = (0..600).map(|i| 1_700_000_000_000_000 + i * 10).collect();
        let mut bytes = pcap_file(&times);
        bytes.extend_from_slice(&[1, 2, 3]); // torn last record
        std::fs::write(&path, bytes).unwrap();
        for speed in [Speed::Max, Speed::Recorded] {
            let pool = BatchPool::new(4);
            let (tx, rx) = crossbeam_channel::bounded(2);
            let counters = Arc::new(Counters::default());
            let h = spawn(
                path.clone(),
                speed,
                BatchWriter::new(pool.clone(), tx),
                counters.clone(),
                Arc::new(AtomicBool::new(false)),
            )
            .unwrap();
            let mut got = Vec::new();
            for b in rx.iter() {
                got.extend(b.frames().map(|f| (f.ts, f.data[0])));
                pool.put(b);
            }
            let sum = h.join().unwrap().unwrap();
            assert_eq!(sum.frames, 600);
            assert!(sum.truncated);
            assert_eq!(got.len(), 600);
            for (i, (ts, b)) in got.iter().enumerate() {
                assert_eq!(*ts, times[i] * 1000);
                assert_eq!(*b, i as u8);
            }
            assert_eq!(counters.snapshot().packets, 600);
        }
    }

    #[test]
    fn stop_flag_ends_a_slow_replay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slow.pcap");
        // Second frame an hour after the first.
        std::fs::write(&path, pcap_file(&[0, 3_600_000_000])).unwrap();
        let stop = AtomicBool::new(false);
        let counters = Counters::default();
        let mut n = 0;
        let sum = replay(&path, Speed::Recorded, &stop, &counters, |_| {
            n += 1;
            stop.store(true, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 1);
        assert!(sum.stopped);
    }

    #[test]
    fn missing_file_says_what_to_check() {
        let err = replay(
            Path::new("/nonexistent/x.pcap"),
            Speed::Max,
            &AtomicBool::new(false),
            &Counters::default(),
            |_| Ok(()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/nonexistent/x.pcap") && err.contains("check"),
            "{err}"
        );
    }
}
