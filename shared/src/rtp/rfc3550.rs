//! RFC 3550 Appendix A.1 (sequence validation and extension), A.3 (expected, lost, fraction
//! lost) and A.8 / §6.4.1 (interarrival jitter, float form, arrival order).

pub const MAX_DROPOUT: u16 = 3000;
pub const MAX_MISORDER: u16 = 100;
pub const MIN_SEQUENTIAL: u8 = 2;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// Per-source sequence state (A.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeqState {
    initialised: bool,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u8,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Times the source was re-synchronised after a large jump (sender restart).
    pub restarts: u32,
    /// Packets rejected (probation or a stray large jump).
    pub rejected: u32,
}

/// Result of feeding one sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqVerdict {
    /// Counted as received.
    Accepted,
    /// Not counted (probation, or first packet after a large jump).
    Rejected,
}

/// A.3 report figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LossReport {
    pub ext_max_seq: u32,
    pub expected: u32,
    pub received: u32,
    /// Clamped to the signed 24-bit range.
    pub cumulative_lost: i32,
    /// ×256 over the interval since the previous report.
    pub fraction_lost: u8,
}

impl SeqState {
    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// A.1 `update_seq`.
    pub fn update(&mut self, seq: u16) -> SeqVerdict {
        if !self.initialised {
            self.initialised = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SeqVerdict::Accepted;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            self.rejected += 1;
            return SeqVerdict::Rejected;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                self.restarts += 1;
                self.init_seq(seq);
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                self.rejected += 1;
                return SeqVerdict::Rejected;
            }
        }
        self.received = self.received.wrapping_add(1);
        SeqVerdict::Accepted
    }

    pub fn ext_max_seq(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    pub fn expected(&self) -> u32 {
        if !self.initialised || self.probation > 0 {
            return 0;
        }
        self.ext_max_seq()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    pub fn received(&self) -> u32 {
        self.received
    }

    /// expected − received, unclamped (negative with duplicates).
    pub fn lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// A.3 report; updates the interval priors (call once per report).
    pub fn report(&mut self) -> LossReport {
        let expected = self.expected();
        let lost = (i64::from(expected) - i64::from(self.received)).clamp(-0x80_0000, 0x7F_FFFF);
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        LossReport {
            ext_max_seq: self.ext_max_seq(),
            expected,
            received: self.received,
            cumulative_lost: lost as i32,
            fraction_lost,
        }
    }
}

/// §6.4.1 interarrival jitter in timestamp units (float), arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct JitterEstimator {
    have_prev: bool,
    prev_arrival_ns: u64,
    prev_ts: u32,
    prev_clock: u32,
    /// J in timestamp units.
    pub jitter: f64,
    /// Largest J seen.
    pub max_jitter: f64,
    clock: u32,
}

impl JitterEstimator {
    /// One packet. `clock` 0 means unknown: the packet is skipped and the next packet with a
    /// known clock re-bases (as does a clock change). Returns |D| in timestamp units.
    pub fn update(&mut self, arrival_ns: u64, ts: u32, clock: u32) -> Option<f64> {
        if clock == 0 {
            self.have_prev = false;
            return None;
        }
        let prev = (self.have_prev && self.prev_clock == clock).then_some(());
        let (pa, pt) = (self.prev_arrival_ns, self.prev_ts);
        self.have_prev = true;
        self.prev_arrival_ns = arrival_ns;
        self.prev_ts = ts;
        self.prev_clock = clock;
        self.clock = clock;
        prev?;
        // D = (R_i − R_{i−1}) − (S_i − S_{i−1}); timestamps wrap-safe as signed 32-bit.
        // Arrival step in timestamp units, dr_ns × clock / 1e9, in integers while they fit
        // (gaps under ~53 h at 48 kHz): exact for whole ticks and no float division.
        let dr_ns = arrival_ns.wrapping_sub(pa) as i64;
        let dr_ts = match dr_ns.checked_mul(i64::from(clock)) {
            Some(num) => (num / 1_000_000_000) as f64 + (num % 1_000_000_000) as f64 * 1e-9,
            None => dr_ns as f64 * f64::from(clock) / 1e9,
        };
        let ds = f64::from(ts.wrapping_sub(pt) as i32);
        let d = (dr_ts - ds).abs();
        self.jitter += (d - self.jitter) / 16.0;
        if self.jitter > self.max_jitter {
            self.max_jitter = self.jitter;
        }
        Some(d)
    }

    /// Clock rate of the last packet with a known clock (0: none yet).
    pub fn clock(&self) -> u32 {
        self.clock
    }

    /// Current J in ms (`None` before a clock was known).
    pub fn jitter_ms(&self) -> Option<f64> {
        (self.clock != 0).then(|| self.jitter * 1000.0 / f64::from(self.clock))
    }
    pub fn max_jitter_ms(&self) -> Option<f64> {
        (self.clock != 0).then(|| self.max_jitter * 1000.0 / f64::from(self.clock))
    }
    /// The value an RR would carry: J truncated.
    pub fn rr_jitter(&self) -> u32 {
        self.jitter as u32
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn run(seqs: impl IntoIterator<Item = u16>) -> (SeqState, LossReport) {
        let mut s = SeqState::default();
        for q in seqs {
            s.update(q);
        }
        let r = s.report();
        (s, r)
    }

    // VOICE_QUALITY.md §1.3 vectors (rfc3550seq.py).
    #[test]
    fn rfc3550_a1_a3_vectors() {
        let mut arr: Vec<u32> = Vec::new();
        for i in 0..50u32 {
            if [10, 11, 30].contains(&i) {
                continue;
            }
            arr.push(i);
            if i == 20 {
                arr.push(20);
            }
        }
        let k = arr.iter().position(|&x| x == 40).unwrap();
        arr.swap(k, k + 1);
        let (_, r) = run(arr.iter().map(|i| ((65530 + i) & 0xffff) as u16));
        assert_eq!(
            (r.ext_max_seq, r.expected, r.received, r.cumulative_lost),
            (65579, 49, 47, 2)
        );
        assert_eq!(r.fraction_lost, 10);

        let (_, r) = run([0u16, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9].map(|i| 7 + i));
        assert_eq!(
            (r.ext_max_seq, r.expected, r.received, r.cumulative_lost),
            (16, 9, 12, -3)
        );
        assert_eq!(r.fraction_lost, 0);

        let (_, r) = run((0..20u32)
            .filter(|i| *i != 5 && *i != 6)
            .map(|i| ((65530 + i) & 0xffff) as u16));
        assert_eq!(
            (r.ext_max_seq, r.expected, r.received, r.cumulative_lost),
            (65549, 19, 17, 2)
        );
        assert_eq!(r.fraction_lost, 26);

        let (s, r) = run((1000..1010).chain(30000..30010));
        assert_eq!(
            (r.ext_max_seq, r.expected, r.received, r.cumulative_lost),
            (30009, 9, 9, 0)
        );
        assert_eq!(s.restarts, 1);

        let (_, r) = run((1000..1010).chain([40000]).chain(1010..1020));
        assert_eq!(
            (r.ext_max_seq, r.expected, r.received, r.cumulative_lost),
            (1019, 19, 19, 0)
        );

        let (_, r) = run((1000..1010).chain([995]).chain(1010..1012));
        assert_eq!(
            (r.ext_max_seq, r.expected, r.received, r.cumulative_lost),
            (1011, 11, 12, -1)
        );
    }

    // §1.4 worked example (Lars Ruoff): J = 3.1216875 ms then 3.95576953125 ms.
    #[test]
    fn jitter_worked_example() {
        let mut j = JitterEstimator::default();
        j.update(25_348_411_000, 1240, 8000);
        j.update(25_418_358_000, 1400, 8000);
        assert!((j.jitter_ms().unwrap() - 3.1216875).abs() < 1e-9);
        j.update(25_421_891_000, 1560, 8000);
        assert!((j.jitter_ms().unwrap() - 3.95576953125).abs() < 1e-9);
    }

    // §1.4: |D| = 400, 0, 80, 80, 0, 400, 160, 0 gives J = 54.7435 (float form).
    #[test]
    fn jitter_float_sequence() {
        let mut jit = 0.0f64;
        for d in [400.0, 0.0, 80.0, 80.0, 0.0, 400.0, 160.0, 0.0] {
            jit += (d - jit) / 16.0;
        }
        assert!((jit - 54.7435).abs() < 1e-4);
    }
}
