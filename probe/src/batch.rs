//! Batches of frames handed from a capture thread to the analysis thread, and the pool that
//! recycles them so that the steady state allocates nothing per packet.
//!
//! A [`FrameBatch`] holds the bytes of many frames back to back in one `Vec<u8>` plus a small
//! header per frame. The capture side takes an empty batch from the [`BatchPool`], fills it,
//! and sends it over a bounded crossbeam channel; the analysis side reads the frames and gives
//! the batch back to the pool (its buffers keep their capacity).
use callscope_shared::net::Nanos;
use callscope_shared::wire::capture::{Frame, LinkType};
use crossbeam_channel::{Receiver, Sender};

/// A batch is sent when it holds this many frames...
pub const BATCH_FRAMES: usize = 256;
/// ...or this many bytes, whichever comes first.
pub const BATCH_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
struct Meta {
    ts: Nanos,
    link_type: LinkType,
    orig_len: u32,
    interface: u32,
    start: usize,
    end: usize,
}

/// Frames copied into one reusable buffer.
#[derive(Debug, Default)]
pub struct FrameBatch {
    data: Vec<u8>,
    meta: Vec<Meta>,
}

impl FrameBatch {
    pub fn with_capacity(frames: usize, bytes: usize) -> Self {
        Self {
            data: Vec::with_capacity(bytes),
            meta: Vec::with_capacity(frames),
        }
    }

    /// Copies a frame in.
    pub fn push(&mut self, f: &Frame<'_>) {
        let start = self.data.len();
        self.data.extend_from_slice(f.data);
        self.meta.push(Meta {
            ts: f.ts,
            link_type: f.link_type,
            orig_len: f.orig_len,
            interface: f.interface,
            start,
            end: self.data.len(),
        });
    }

    /// True when the batch should be sent (see [`BATCH_FRAMES`], [`BATCH_BYTES`]).
    pub fn is_full(&self) -> bool {
        self.meta.len() >= BATCH_FRAMES || self.data.len() >= BATCH_BYTES
    }

    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Bytes of frame data held.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.meta.clear();
    }

    /// The frames, in the order pushed.
    pub fn frames(&self) -> impl Iterator<Item = Frame<'_>> + '_ {
        self.meta.iter().map(|m| Frame {
            ts: m.ts,
            link_type: m.link_type,
            data: self.data.get(m.start..m.end).unwrap_or_default(),
            orig_len: m.orig_len,
            interface: m.interface,
        })
    }
}

/// Recycles batches. Cloneable; both ends hold one.
#[derive(Debug, Clone)]
pub struct BatchPool {
    free_tx: Sender<FrameBatch>,
    free_rx: Receiver<FrameBatch>,
}

impl BatchPool {
    /// A pool keeping at most `keep` idle batches (more are freed when given back).
    pub fn new(keep: usize) -> Self {
        let (free_tx, free_rx) = crossbeam_channel::bounded(keep.max(1));
        Self { free_tx, free_rx }
    }

    /// An empty batch: a recycled one if any, else a new one.
    pub fn get(&self) -> FrameBatch {
        self.free_rx
            .try_recv()
            .unwrap_or_else(|_| FrameBatch::with_capacity(BATCH_FRAMES, BATCH_BYTES + 65_536))
    }

    /// Gives a batch back for reuse.
    pub fn put(&self, mut b: FrameBatch) {
        b.clear();
        let _ = self.free_tx.try_send(b);
    }
}

/// The sending end used by capture and replay: fills a batch and sends it when full.
#[derive(Debug)]
pub struct BatchWriter {
    pool: BatchPool,
    tx: Sender<FrameBatch>,
    cur: FrameBatch,
}

/// The analysis side has gone away; the capture should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the analysis thread has stopped")]
pub struct Disconnected;

impl BatchWriter {
    pub fn new(pool: BatchPool, tx: Sender<FrameBatch>) -> Self {
        let cur = pool.get();
        Self { pool, tx, cur }
    }

    /// Copies a frame in; sends the batch when full (blocking while the channel is full).
    pub fn push(&mut self, f: &Frame<'_>) -> Result<(), Disconnected> {
        self.cur.push(f);
        if self.cur.is_full() {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the current batch if it holds anything.
    pub fn flush(&mut self) -> Result<(), Disconnected> {
        if self.cur.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.cur, self.pool.get());
        self.tx.send(full).map_err(|_| Disconnected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(ts: u64, data: &[u8]) -> Frame<'_> {
        Frame {
            ts,
            link_type: LinkType::ETHERNET,
            data,
            orig_len: data.len() as u32 + 1,
            interface: 3,
        }
    }

    #[test]
    fn batch_round_trip_and_reuse() {
        let pool = BatchPool::new(4);
        let (tx, rx) = crossbeam_channel::bounded(4);
        let mut w = BatchWriter::new(pool.clone(), tx);
        for i in 0..(BATCH_FRAMES + 3) {
            w.push(&frame(i as u64, &[i as u8; 10])).unwrap();
        }
        w.flush().unwrap();
        let a = rx.recv().unwrap();
        let b = rx.recv().unwrap();
        assert_eq!(a.len(), BATCH_FRAMES);
        assert_eq!(b.len(), 3);
        let f: Vec<_> = b.frames().collect();
        assert_eq!(f[2].ts, BATCH_FRAMES as u64 + 2);
        assert_eq!(f[2].data, &[(BATCH_FRAMES + 2) as u8; 10]);
        assert_eq!(f[2].orig_len, 11);
        assert_eq!(f[2].interface, 3);
        let cap = a.data.capacity();
        pool.put(a);
        let again = pool.get();
        assert!(again.is_empty());
        assert_eq!(again.data.capacity(), cap);
        drop(rx);
        w.push(&frame(0, b"x")).unwrap();
        assert_eq!(w.flush(), Err(Disconnected));
    }
}
