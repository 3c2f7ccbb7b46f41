//! A stream's quality over time: fixed buckets of capture time, for a chart of a call that
//! lasts seconds or hours.
//!
//! Choice of the bucket width:
//! - buckets start at [`SERIES_BASE_WIDTH`] (1 s): a loss burst or a jitter spike of a short
//!   call stays visible as what it was;
//! - a stream keeps at most [`SERIES_MAX_BUCKETS`] (360) buckets: when the next bucket would
//!   pass that, neighbours are merged pairwise and the width doubles (1 s up to 6 min of media,
//!   2 s up to 12 min, 4 s up to 24 min, ..., 32 s up to 3.2 h), so a chart always has 180 to
//!   360 points and a stream's series never holds more than 360 × 40 bytes;
//! - bucket boundaries are multiples of the width since the epoch (capture time), so the streams
//!   of one call (and of one probe) share the grid, and the same packets give the same series
//!   whatever came before (deterministic: a live probe and `analyze` agree);
//! - every figure of a bucket is a sum or a maximum, so a merged bucket is exactly the bucket a
//!   wider width would have measured directly.
//!
//! No allocation per packet: the open bucket is a plain field; a closed bucket is pushed once
//! per bucket width into a `Vec` that grows to 32, 64, 128, 256 and 361 buckets (at most five
//! allocations in a stream's life, whatever its length; benches/tests/alloc_per_packet.rs).
use crate::net::Nanos;

/// Width of the finest bucket (1 s).
pub const SERIES_BASE_WIDTH: Nanos = 1_000_000_000;
/// Most buckets a series holds; past it, buckets are merged pairwise and the width doubles.
pub const SERIES_MAX_BUCKETS: usize = 360;
/// The width stops doubling here (about 73 years: never reached by real capture times).
const MAX_WIDTH: Nanos = 1 << 61;

/// One bucket's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bucket {
    /// Packets received (duplicates excluded).
    pub received: u32,
    /// Sequence numbers the stream advanced over in this bucket.
    pub expected: u32,
    /// Packets missing from forward sequence gaps seen in this bucket, minus late packets that
    /// arrived in it (so it can be negative for a bucket; sums over buckets are exact).
    pub lost: i32,
    /// Loss runs (gaps) that started in this bucket.
    pub loss_runs: u32,
    /// Discards of the fixed jitter-buffer model.
    pub jb_discards: u32,
    /// Packets that updated the RFC 3550 jitter (known clock, not telephone-event).
    pub jitter_samples: u32,
    /// Sum and maximum of the RFC 3550 jitter (ms) after each such packet.
    pub jitter_sum_ms: f64,
    pub jitter_max_ms: f64,
}

impl Bucket {
    fn merge(&mut self, o: &Self) {
        self.received = self.received.saturating_add(o.received);
        self.expected = self.expected.saturating_add(o.expected);
        self.lost = self.lost.saturating_add(o.lost);
        self.loss_runs = self.loss_runs.saturating_add(o.loss_runs);
        self.jb_discards = self.jb_discards.saturating_add(o.jb_discards);
        self.jitter_samples = self.jitter_samples.saturating_add(o.jitter_samples);
        self.jitter_sum_ms += o.jitter_sum_ms;
        self.jitter_max_ms = self.jitter_max_ms.max(o.jitter_max_ms);
    }

    /// Lost packets shown for the bucket (never negative).
    pub fn lost(&self) -> u32 {
        self.lost.max(0).unsigned_abs()
    }

    /// Mean RFC 3550 jitter over the bucket's packets (`None` without a known clock).
    pub fn mean_jitter_ms(&self) -> Option<f64> {
        (self.jitter_samples > 0).then(|| self.jitter_sum_ms / f64::from(self.jitter_samples))
    }

    /// Largest RFC 3550 jitter in the bucket (`None` without a known clock).
    pub fn max_jitter_ms(&self) -> Option<f64> {
        (self.jitter_samples > 0).then_some(self.jitter_max_ms)
    }

    /// The bucket as the E-model's interval input ([`super::emodel::mos_for_interval`]).
    pub fn as_interval(&self, start: Nanos, end: Nanos) -> super::IntervalStats {
        super::IntervalStats {
            start,
            end,
            received: self.received,
            expected: self.expected,
            lost: self.lost(),
            loss_runs: self.loss_runs,
            jb_discards: self.jb_discards,
            max_jitter_ms: self.jitter_max_ms,
        }
    }
}

/// A stream's buckets. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct QualitySeries {
    width: Nanos,
    /// Absolute index (capture time / width) of the first bucket.
    first: u64,
    /// End of the open bucket (exclusive); 0 before the first packet.
    open_end: Nanos,
    /// Closed buckets, then `open`.
    closed: Vec<Bucket>,
    open: Bucket,
}

impl Default for QualitySeries {
    fn default() -> Self {
        Self::new()
    }
}

impl QualitySeries {
    pub const fn new() -> Self {
        Self {
            width: SERIES_BASE_WIDTH,
            first: 0,
            open_end: 0,
            closed: Vec::new(),
            open: Bucket {
                received: 0,
                expected: 0,
                lost: 0,
                loss_runs: 0,
                jb_discards: 0,
                jitter_samples: 0,
                jitter_sum_ms: 0.0,
                jitter_max_ms: 0.0,
            },
        }
    }

    /// Makes the bucket holding capture time `ts` the open one and returns it. A time before
    /// the open bucket (a capture that is not in time order) counts in the open bucket.
    #[inline]
    pub fn at(&mut self, ts: Nanos) -> &mut Bucket {
        if ts >= self.open_end {
            self.advance(ts);
        }
        &mut self.open
    }

    /// The open bucket (what [`Self::at`] last returned).
    pub fn open_mut(&mut self) -> &mut Bucket {
        &mut self.open
    }

    #[cold]
    fn advance(&mut self, ts: Nanos) {
        if self.open_end == 0 {
            self.first = ts / self.width;
            self.open_end = self.end_of(self.first);
            return;
        }
        loop {
            let idx = ts / self.width;
            let open_idx = self.first + self.closed.len() as u64;
            let needed = idx.saturating_sub(self.first).saturating_add(1);
            if needed > SERIES_MAX_BUCKETS as u64 && self.width < MAX_WIDTH {
                self.halve();
                continue;
            }
            if idx <= open_idx {
                // Only when the width stopped doubling (or after a merge covered `ts`).
                self.open_end = self.end_of(open_idx);
                return;
            }
            self.push(self.open);
            for _ in open_idx + 1..idx {
                self.push(Bucket::default());
            }
            self.open = Bucket::default();
            self.open_end = self.end_of(idx);
            return;
        }
    }

    /// Growth in steps of 32, 64, 128, 256 and 361 buckets: at most five allocations in a
    /// stream's life, never more than the cap (plus the open bucket while merging).
    fn push(&mut self, b: Bucket) {
        if self.closed.len() == self.closed.capacity() {
            let want = (self.closed.capacity() * 2).clamp(32, SERIES_MAX_BUCKETS + 1);
            self.closed
                .reserve_exact(want.saturating_sub(self.closed.len()));
        }
        self.closed.push(b);
    }

    fn end_of(&self, idx: u64) -> Nanos {
        idx.saturating_add(1).saturating_mul(self.width)
    }

    /// Merges neighbours pairwise (on the absolute grid) and doubles the width.
    fn halve(&mut self) {
        self.push(self.open);
        let new_first = self.first >> 1;
        let mut out = 0usize;
        for i in 0..self.closed.len() {
            let j = (((self.first + i as u64) >> 1) - new_first) as usize;
            let Some(b) = self.closed.get(i).copied() else {
                break;
            };
            if j == out {
                if let Some(dst) = self.closed.get_mut(j) {
                    if i == j {
                        *dst = b;
                    } else {
                        dst.merge(&b);
                    }
                }
            } else {
                // j == out + 1: a new merged bucket starts.
                out = j;
                if let Some(dst) = self.closed.get_mut(j) {
                    *dst = b;
                }
            }
        }
        self.closed.truncate(out + 1);
        self.open = self.closed.pop().unwrap_or_default();
        self.first = new_first;
        self.width = self.width.saturating_mul(2);
        self.open_end = self.end_of(self.first + self.closed.len() as u64);
    }

    /// Bucket width now.
    pub fn width(&self) -> Nanos {
        self.width
    }

    /// Capture time where the first bucket starts (0 before the first packet).
    pub fn start(&self) -> Nanos {
        self.first.saturating_mul(self.width)
    }

    /// Buckets, oldest first, the open one last (empty before the first packet).
    pub fn buckets(&self) -> impl Iterator<Item = &Bucket> + '_ {
        let open = (self.open_end != 0).then_some(&self.open);
        self.closed.iter().chain(open)
    }

    /// Number of buckets (the open one included).
    pub fn len(&self) -> usize {
        self.closed.len() + usize::from(self.open_end != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.open_end == 0
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.closed.capacity() * std::mem::size_of::<Bucket>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Nanos = SERIES_BASE_WIDTH;

    fn one(series: &mut QualitySeries, ts: Nanos) {
        let b = series.at(ts);
        b.received += 1;
        b.expected += 1;
    }

    #[test]
    fn buckets_follow_the_epoch_grid_and_gaps_stay_empty() {
        let mut s = QualitySeries::new();
        assert!(s.is_empty());
        // 10.5 s, 10.9 s, then 13.2 s: buckets 10, 11 (empty), 12 (empty), 13.
        one(&mut s, 10 * S + S / 2);
        one(&mut s, 10 * S + 9 * S / 10);
        one(&mut s, 13 * S + S / 5);
        assert_eq!(s.start(), 10 * S);
        let r: Vec<u32> = s.buckets().map(|b| b.received).collect();
        assert_eq!(r, [2, 0, 0, 1]);
        // Out of time order: counted in the open bucket.
        one(&mut s, 12 * S);
        assert_eq!(s.buckets().last().map(|b| b.received), Some(2));
    }

    #[test]
    fn merging_keeps_sums_and_doubles_the_width() {
        let mut s = QualitySeries::new();
        // Start at an odd absolute index so the merge must respect the grid.
        let t0 = 1_700_000_001 * S;
        for sec in 0..(SERIES_MAX_BUCKETS as u64 * 3) {
            for k in 0..50 {
                one(&mut s, t0 + sec * S + k * 20_000_000);
            }
        }
        assert!(s.len() <= SERIES_MAX_BUCKETS);
        assert!(s.len() > SERIES_MAX_BUCKETS / 2);
        assert_eq!(s.width(), 4 * S);
        assert_eq!(s.start() % s.width(), 0);
        assert!(s.start() <= t0 && t0 < s.start() + s.width());
        let total: u64 = s.buckets().map(|b| u64::from(b.received)).sum();
        assert_eq!(total, SERIES_MAX_BUCKETS as u64 * 3 * 50);
        // t0 is 1 s into its 4 s bucket: the first bucket has 3 s of packets.
        assert_eq!(s.buckets().next().map(|b| b.received), Some(150));
        // Every full bucket holds 4 s.
        let full: Vec<u32> = s.buckets().skip(1).map(|b| b.received).collect();
        assert!(full[..full.len() - 1].iter().all(|&r| r == 200), "{full:?}");
    }

    #[test]
    fn a_huge_time_jump_stays_bounded() {
        let mut s = QualitySeries::new();
        one(&mut s, 5 * S);
        one(&mut s, 5 * S + 3600 * 24 * 365 * S);
        assert!(s.len() <= SERIES_MAX_BUCKETS);
        let total: u32 = s.buckets().map(|b| b.received).sum();
        assert_eq!(total, 2);
        one(&mut s, u64::MAX);
        assert!(s.len() <= SERIES_MAX_BUCKETS);
        assert_eq!(s.buckets().map(|b| b.received).sum::<u32>(), 3);
    }

    #[test]
    fn merged_equals_direct_wide_bucket() {
        let mut b = Bucket {
            received: 40,
            expected: 50,
            lost: 10,
            loss_runs: 2,
            jb_discards: 1,
            jitter_samples: 40,
            jitter_sum_ms: 80.0,
            jitter_max_ms: 4.0,
        };
        let late = Bucket {
            received: 50,
            expected: 49,
            lost: -1,
            loss_runs: 0,
            jb_discards: 0,
            jitter_samples: 50,
            jitter_sum_ms: 50.0,
            jitter_max_ms: 6.0,
        };
        assert_eq!(late.lost(), 0);
        b.merge(&late);
        assert_eq!(
            (b.received, b.expected, b.lost(), b.loss_runs),
            (90, 99, 9, 2)
        );
        assert_eq!(b.mean_jitter_ms(), Some(130.0 / 90.0));
        assert_eq!(b.max_jitter_ms(), Some(6.0));
        assert_eq!(Bucket::default().mean_jitter_ms(), None);
    }
}
