//! IPv4 and IPv6 fragment reassembly with bounded memory, driven by capture time.
//!
//! Datagrams are keyed by (source, destination, identification, protocol). Data is tracked in
//! 8-byte blocks (the fragment offset unit); when fragments overlap, the bytes received first
//! win, so the result does not depend on anything but the order of the capture. Buffers of
//! completed or expired datagrams go back to a small pool and are reused.
use crate::net::Nanos;
use std::net::IpAddr;

/// Identifies the datagram a fragment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub ident: u32,
    /// IPv4 protocol, or the next header of the IPv6 fragment header.
    pub protocol: u8,
}

/// Reassembly limits (see `DecoderConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragLimits {
    pub max_bytes: usize,
    pub max_datagrams: usize,
    pub timeout: Nanos,
    pub max_datagram_size: usize,
}

/// Counters kept by the reassembler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FragStats {
    /// Fragments accepted into a reassembly buffer.
    pub fragments: u64,
    /// Datagrams completed.
    pub reassembled: u64,
    /// Datagrams dropped because their timeout passed (capture time).
    pub expired: u64,
    /// Datagrams dropped to make room (datagram count or byte budget).
    pub evicted: u64,
    /// Fragments rejected: too large, misaligned, or contradicting the datagram's end.
    pub rejected: u64,
}

/// What happened to one fragment.
#[derive(Debug)]
pub enum FragOutcome {
    /// Kept; the datagram is still incomplete.
    Held,
    /// The datagram is complete: its payload (the bytes after the IP header, or after the
    /// IPv6 fragment header). Give the buffer back with [`Reassembler::recycle`].
    Complete(Vec<u8>),
    /// The fragment was rejected (see [`FragStats::rejected`]).
    Rejected,
}

#[derive(Debug)]
struct Pending {
    key: FragKey,
    first_ts: Nanos,
    data: Vec<u8>,
    /// One bit per 8-byte block received.
    blocks: Vec<u64>,
    blocks_set: usize,
    /// End of the datagram, known once the last fragment (MF = 0) arrived.
    total: Option<usize>,
}

/// Most buffers kept for reuse.
const POOL_LIMIT: usize = 16;

/// Reassembles fragmented datagrams.
#[derive(Debug)]
pub struct Reassembler {
    limits: FragLimits,
    /// In arrival order of each datagram's first fragment: index 0 is the oldest.
    pending: Vec<Pending>,
    bytes: usize,
    free_data: Vec<Vec<u8>>,
    free_blocks: Vec<Vec<u64>>,
    pub stats: FragStats,
}

impl Reassembler {
    pub fn new(limits: FragLimits) -> Self {
        Self {
            limits,
            pending: Vec::new(),
            bytes: 0,
            free_data: Vec::new(),
            free_blocks: Vec::new(),
            stats: FragStats::default(),
        }
    }

    /// Datagrams in flight and the bytes their buffers hold.
    pub fn in_flight(&self) -> (usize, usize) {
        (self.pending.len(), self.bytes)
    }

    /// Drops datagrams whose first fragment is older than the timeout.
    pub fn expire(&mut self, now: Nanos) {
        if self.pending.is_empty() {
            return;
        }
        let timeout = self.limits.timeout;
        let mut i = 0;
        while i < self.pending.len() {
            let old = self
                .pending
                .get(i)
                .is_some_and(|p| now.saturating_sub(p.first_ts) > timeout);
            if old {
                self.remove(i);
                self.stats.expired += 1;
            } else {
                i += 1;
            }
        }
    }

    /// Returns a completed datagram's buffer to the pool.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.free_data.len() < POOL_LIMIT {
            buf.clear();
            self.free_data.push(buf);
        }
    }

    fn remove(&mut self, i: usize) -> Option<Vec<u8>> {
        if i >= self.pending.len() {
            return None;
        }
        let mut p = self.pending.remove(i);
        self.bytes = self.bytes.saturating_sub(p.data.len());
        if self.free_blocks.len() < POOL_LIMIT {
            p.blocks.clear();
            self.free_blocks.push(p.blocks);
        }
        Some(p.data)
    }

    fn evict_oldest_except(&mut self, keep: &FragKey) -> bool {
        let Some(i) = self.pending.iter().position(|p| p.key != *keep) else {
            return false;
        };
        if let Some(buf) = self.remove(i) {
            self.recycle(buf);
        }
        self.stats.evicted += 1;
        true
    }

    /// Adds one fragment: `offset` in bytes, `more` the MF flag, `payload` its data.
    pub fn insert(
        &mut self,
        key: FragKey,
        ts: Nanos,
        offset: usize,
        more: bool,
        payload: &[u8],
    ) -> FragOutcome {
        let end = offset.saturating_add(payload.len());
        // Offsets are in 8-byte units; only the last fragment may end off a boundary.
        let misaligned = offset & 7 != 0 || (more && payload.len() & 7 != 0);
        if end > self.limits.max_datagram_size || misaligned || payload.is_empty() {
            self.stats.rejected += 1;
            return FragOutcome::Rejected;
        }
        let idx = match self.pending.iter().position(|p| p.key == key) {
            Some(i) => i,
            None => {
                while self.pending.len() >= self.limits.max_datagrams.max(1) {
                    if !self.evict_oldest_except(&key) {
                        break;
                    }
                }
                let data = self.free_data.pop().unwrap_or_default();
                let blocks = self.free_blocks.pop().unwrap_or_default();
                self.pending.push(Pending {
                    key,
                    first_ts: ts,
                    data,
                    blocks,
                    blocks_set: 0,
                    total: None,
                });
                self.pending.len() - 1
            }
        };
        // Make room in the byte budget by evicting other datagrams, oldest first.
        let current = self.pending.get(idx).map_or(0, |p| p.data.len());
        let grow = end.saturating_sub(current);
        while self.bytes + grow > self.limits.max_bytes {
            if !self.evict_oldest_except(&key) {
                break;
            }
        }
        let Some(idx) = self.pending.iter().position(|p| p.key == key) else {
            return FragOutcome::Rejected;
        };
        if self.bytes + grow > self.limits.max_bytes {
            // This datagram alone exceeds the budget.
            if let Some(buf) = self.remove(idx) {
                self.recycle(buf);
            }
            self.stats.evicted += 1;
            self.stats.rejected += 1;
            return FragOutcome::Rejected;
        }
        let Some(p) = self.pending.get_mut(idx) else {
            return FragOutcome::Rejected;
        };
        // The last fragment fixes the end; fragments must agree with it.
        let contradicts = match (p.total, more) {
            (Some(t), false) => t != end,
            (Some(t), true) => end > t,
            (None, false) => p.data.len() > end,
            (None, true) => false,
        };
        if contradicts {
            self.stats.rejected += 1;
            return FragOutcome::Rejected;
        }
        if !more {
            p.total = Some(end);
        }
        if p.data.len() < end {
            self.bytes += end - p.data.len();
            p.data.resize(end, 0);
        }
        let nblocks = end.div_ceil(8);
        let words = nblocks.div_ceil(64);
        if p.blocks.len() < words {
            p.blocks.resize(words, 0);
        }
        // First data wins: copy only blocks not received yet.
        for b in offset / 8..nblocks {
            let (w, bit) = (b / 64, 1u64 << (b % 64));
            let Some(word) = p.blocks.get_mut(w) else {
                break;
            };
            if *word & bit != 0 {
                continue;
            }
            let start = b * 8;
            let stop = (start + 8).min(end);
            let src = payload.get(start - offset..stop - offset);
            let dst = p.data.get_mut(start..stop);
            if let (Some(src), Some(dst)) = (src, dst) {
                dst.copy_from_slice(src);
                *word |= bit;
                p.blocks_set += 1;
            }
        }
        self.stats.fragments += 1;
        match p.total {
            Some(t) if p.blocks_set == t.div_ceil(8) => {
                let mut data = self.remove(idx).unwrap_or_default();
                data.truncate(t);
                self.stats.reassembled += 1;
                FragOutcome::Complete(data)
            }
            _ => FragOutcome::Held,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(id: u32) -> FragKey {
        FragKey {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            ident: id,
            protocol: 17,
        }
    }
    fn limits() -> FragLimits {
        FragLimits {
            max_bytes: 1 << 20,
            max_datagrams: 4,
            timeout: 1_000,
            max_datagram_size: 65_535,
        }
    }
    fn done(o: FragOutcome) -> Vec<u8> {
        match o {
            FragOutcome::Complete(v) => v,
            other => panic!("not complete: {other:?}"),
        }
    }

    #[test]
    fn in_order_and_out_of_order() {
        let data: Vec<u8> = (0..40).collect();
        let mut r = Reassembler::new(limits());
        assert!(matches!(
            r.insert(key(1), 0, 0, true, &data[..16]),
            FragOutcome::Held
        ));
        assert_eq!(done(r.insert(key(1), 1, 16, false, &data[16..])), data);
        // Reverse order, buffer reused.
        assert!(matches!(
            r.insert(key(2), 2, 32, false, &data[32..]),
            FragOutcome::Held
        ));
        assert!(matches!(
            r.insert(key(2), 2, 8, true, &data[8..32]),
            FragOutcome::Held
        ));
        assert_eq!(done(r.insert(key(2), 2, 0, true, &data[..8])), data);
        assert_eq!((r.stats.reassembled, r.in_flight()), (2, (0, 0)));
    }

    #[test]
    fn overlap_first_data_wins() {
        let mut r = Reassembler::new(limits());
        r.insert(key(1), 0, 0, true, &[1; 16]);
        // Overlaps block 1 with different bytes: the earlier bytes are kept.
        let v = done(r.insert(key(1), 0, 8, false, &[2; 12]));
        assert_eq!(&v[..16], &[1; 16]);
        assert_eq!(&v[16..], &[2; 4]);
    }

    #[test]
    fn keys_are_separate() {
        let mut r = Reassembler::new(limits());
        let mut k2 = key(1);
        k2.protocol = 6;
        r.insert(key(1), 0, 0, true, &[1; 8]);
        assert!(matches!(
            r.insert(k2, 0, 8, false, &[2; 8]),
            FragOutcome::Held
        ));
        assert_eq!(r.in_flight().0, 2);
    }

    #[test]
    fn rejects_and_limits() {
        let mut r = Reassembler::new(limits());
        assert!(matches!(
            r.insert(key(1), 0, 0, true, &[0; 7]),
            FragOutcome::Rejected
        ));
        assert!(matches!(
            r.insert(key(1), 0, 65_528, false, &[0; 16]),
            FragOutcome::Rejected
        ));
        r.insert(key(1), 0, 16, false, &[0; 8]);
        // A second end that disagrees.
        assert!(matches!(
            r.insert(key(1), 0, 16, false, &[0; 16]),
            FragOutcome::Rejected
        ));
        // Data beyond the end.
        assert!(matches!(
            r.insert(key(1), 0, 24, true, &[0; 8]),
            FragOutcome::Rejected
        ));
        // Offset not on an 8-byte boundary.
        assert!(matches!(
            r.insert(key(1), 0, 4, false, &[0; 8]),
            FragOutcome::Rejected
        ));
        assert_eq!(r.stats.rejected, 5);
        // Datagram count: the fifth evicts the oldest.
        for id in 2..=5 {
            r.insert(key(id), 0, 0, true, &[0; 8]);
        }
        assert_eq!((r.in_flight().0, r.stats.evicted), (4, 1));
        // Timeout by capture time.
        r.expire(1_000);
        assert_eq!(r.in_flight().0, 4);
        r.expire(1_001);
        assert_eq!((r.in_flight(), r.stats.expired), ((0, 0), 4));
    }

    #[test]
    fn byte_budget_evicts() {
        let mut r = Reassembler::new(FragLimits {
            max_bytes: 24,
            ..limits()
        });
        r.insert(key(1), 0, 0, true, &[0; 16]);
        r.insert(key(2), 0, 0, true, &[0; 16]);
        assert_eq!((r.in_flight(), r.stats.evicted), ((1, 16), 1));
        assert!(matches!(
            r.insert(key(3), 0, 0, true, &[0; 32]),
            FragOutcome::Rejected
        ));
    }
}
