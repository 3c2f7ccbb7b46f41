//! Loss-run tracking for the E-model's BurstR (VOICE_QUALITY.md §3.3) and the RFC 3611
//! Appendix A.2 burst/gap metrics (Gmin = 16) that XR block 7 reports.

/// Loss runs seen as forward gaps in the extended sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LossRuns {
    /// Number of loss runs (gaps).
    pub runs: u32,
    /// Packets missing in those gaps when they were detected.
    pub lost_in_runs: u64,
    /// Packets that later arrived late into a gap (they were not lost after all).
    pub recovered: u64,
}

impl LossRuns {
    pub fn on_gap(&mut self, missing: u64) {
        if missing > 0 {
            self.runs = self.runs.saturating_add(1);
            self.lost_in_runs += missing;
        }
    }
    pub fn on_recovered(&mut self) {
        self.recovered += 1;
    }
    /// Packets still missing.
    pub fn lost(&self) -> u64 {
        self.lost_in_runs.saturating_sub(self.recovered)
    }
    /// BurstR = mean observed run length × (1 − p), clamped to ≥ 1 (p = loss fraction of
    /// `expected`). 1 when there was no loss.
    pub fn burst_r(&self, expected: u64) -> f64 {
        let lost = self.lost();
        if self.runs == 0 || lost == 0 || expected == 0 {
            return 1.0;
        }
        let p = (lost as f64 / expected as f64).min(1.0);
        let mean_run = lost as f64 / f64::from(self.runs);
        (mean_run * (1.0 - p)).max(1.0)
    }
}

/// RFC 3611 A.2 burst/gap state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BurstGap {
    pkt: u32,
    lost: u32,
    c11: u64,
    c13: u64,
    c14: u64,
    c22: u64,
    c23: u64,
    c33: u64,
    pub loss_count: u64,
    pub discard_count: u64,
}

/// Burst/gap densities (×256) and mean durations (ms), as XR block 7 carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BurstGapMetrics {
    pub burst_density: u8,
    pub gap_density: u8,
    pub burst_duration_ms: u16,
    pub gap_duration_ms: u16,
    pub loss_rate: u8,
    pub discard_rate: u8,
}

impl BurstGap {
    pub const GMIN: u32 = 16;

    pub fn received(&mut self) {
        self.pkt = self.pkt.saturating_add(1);
    }

    /// `n` consecutive packets lost (`discarded`: by the jitter buffer).
    pub fn lost(&mut self, n: u64, discarded: bool) {
        if n == 0 {
            return;
        }
        if discarded {
            self.discard_count += n;
        } else {
            self.loss_count += n;
        }
        // First event of the run.
        if self.pkt >= Self::GMIN {
            if self.lost == 1 {
                self.c14 += 1;
            } else {
                self.c13 += 1;
            }
            self.lost = 1;
            self.c11 += u64::from(self.pkt);
        } else {
            self.lost = self.lost.saturating_add(1);
            if self.pkt == 0 {
                self.c33 += 1;
            } else {
                self.c23 += 1;
                self.c22 += u64::from(self.pkt - 1);
            }
        }
        self.pkt = 0;
        // The remaining n-1 events each find pkt == 0.
        let rest = n - 1;
        self.lost = self
            .lost
            .saturating_add(rest.min(u64::from(u32::MAX)) as u32);
        self.c33 += rest;
    }

    /// Report-time metrics; `ms_per_packet` converts counts to durations.
    pub fn metrics(&self, ms_per_packet: f64) -> BurstGapMetrics {
        // The trailing run of received packets counts as gap (c11) or burst (c22).
        let (mut c11, mut c22) = (self.c11, self.c22);
        if self.pkt >= Self::GMIN {
            c11 += u64::from(self.pkt);
        } else if self.pkt > 0 {
            c22 += u64::from(self.pkt);
        }
        let (c13, c14, c23, c33) = (self.c13, self.c14, self.c23, self.c33);
        let s1x = (c11 + c13 + c14) as f64;
        let s2x = (c22 + c23) as f64;
        let s3x = (c13 + c23 + c33) as f64;
        let s = s1x + s2x + s3x;
        let p23 = if c22 == 0 || s2x == 0.0 {
            1.0
        } else {
            1.0 - c22 as f64 / s2x
        };
        let p32 = if c23 == 0 || s3x == 0.0 {
            0.0
        } else {
            c23 as f64 / s3x
        };
        let burst_density = if p23 <= 0.0 {
            0.0
        } else {
            (256.0 * p23 / (p23 + p32)).min(255.0)
        };
        let gap_density = if c11 + c14 == 0 {
            0.0
        } else {
            (256.0 * c14 as f64 / (c11 + c14) as f64).min(255.0)
        };
        let (gap_ms, burst_ms) = if c13 == 0 {
            (0.0, 0.0)
        } else {
            let g = s1x * ms_per_packet / c13 as f64;
            (g, (s * ms_per_packet / c13 as f64 - g).max(0.0))
        };
        let rate = |n: u64| {
            if s == 0.0 {
                0.0
            } else {
                (256.0 * n as f64 / s).min(255.0)
            }
        };
        let no_loss = self.loss_count + self.discard_count == 0;
        BurstGapMetrics {
            burst_density: if no_loss { 0 } else { burst_density as u8 },
            gap_density: gap_density as u8,
            burst_duration_ms: burst_ms.min(65535.0) as u16,
            gap_duration_ms: gap_ms.min(65535.0) as u16,
            loss_rate: rate(self.loss_count) as u8,
            discard_rate: rate(self.discard_count) as u8,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn burst_r_random_and_bursty() {
        // 10 single losses in 1000: mean run 1, p = 0.01 -> 0.99, clamped to 1.
        let mut r = LossRuns::default();
        for _ in 0..10 {
            r.on_gap(1);
        }
        assert_eq!(r.burst_r(1000), 1.0);
        // Two runs of 5 in 1000: 5 × 0.99 = 4.95 (VOICE_QUALITY.md §4.1 example).
        let mut b = LossRuns::default();
        b.on_gap(5);
        b.on_gap(5);
        assert!((b.burst_r(1000) - 4.95).abs() < 1e-12);
        b.on_recovered();
        assert_eq!(b.lost(), 9);
    }

    #[test]
    fn burst_gap_counts() {
        let mut g = BurstGap::default();
        for _ in 0..100 {
            g.received();
        }
        g.lost(1, false); // isolated loss in a gap
        for _ in 0..3 {
            g.received();
        }
        g.lost(3, false); // burst
        for _ in 0..50 {
            g.received();
        }
        let m = g.metrics(20.0);
        assert_eq!(g.loss_count, 4);
        assert!(m.burst_density > 0);
        assert!(m.gap_duration_ms > 0);
        assert_eq!(m.discard_rate, 0);
    }
}
