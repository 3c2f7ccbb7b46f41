//! Per-RTP-stream statistics: one fixed-size [`StreamStats`] per (5-tuple, SSRC), updated
//! per packet without allocating.
//!
//! It carries, side by side:
//! - the tshark 4.0 figures ([`TsharkStats`], printed by [`StreamStats::tshark_row`]);
//! - RFC 3550 A.1/A.3/A.8 values ([`SeqState`], [`JitterEstimator`]);
//! - duplicates, late packets, markers, payload-type changes, timestamp jumps;
//! - loss runs (BurstR) and the RFC 3611 burst/gap machine;
//! - a fixed and an adaptive jitter-buffer model (discards count as loss for the E-model);
//! - 10-second intervals, pulled with [`StreamStats::pop_interval`];
//! - the quality over time ([`QualitySeries`]: 1 s buckets, merged as the stream grows).

use super::burst::{BurstGap, LossRuns};
use super::jitter_buffer::JitterBufferModel;
use super::packet::RtpPacket;
use super::rfc3550::{JitterEstimator, SeqState};
use super::series::QualitySeries;
use super::tshark::{
    PtClock, RowIdentity, TsharkStats, format_tshark_row, is_telephone_event, mime_clock_rate,
    static_clock_rate,
};
use crate::net::Nanos;

/// Length of a quality interval.
pub const INTERVAL_NS: Nanos = 10_000_000_000;
/// Closed intervals kept until pulled (older ones are overwritten).
pub const INTERVAL_RING: usize = 4;
/// Default fixed jitter buffer, ms.
pub const DEFAULT_FIXED_JB_MS: f64 = 60.0;
/// Default adaptive jitter buffer bounds, ms.
pub const DEFAULT_ADAPTIVE_JB_MS: (f64, f64) = (20.0, 500.0);
/// A timestamp step this many seconds away from the arrival step (without marker) is counted
/// as a timestamp jump.
const TS_JUMP_SECONDS: f64 = 2.0;
/// Gaps larger than this are a discontinuity, not a loss run (RFC 3550 MAX_DROPOUT).
const MAX_GAP: i64 = 3000;

/// Statistics of one closed interval.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IntervalStats {
    pub start: Nanos,
    pub end: Nanos,
    /// Packets received (duplicates excluded).
    pub received: u32,
    /// Sequence numbers the interval advanced over.
    pub expected: u32,
    /// Packets missing from forward gaps detected in the interval.
    pub lost: u32,
    pub loss_runs: u32,
    /// Discards of the fixed jitter-buffer model.
    pub jb_discards: u32,
    /// Largest RFC 3550 jitter (ms) seen in the interval.
    pub max_jitter_ms: f64,
}

impl IntervalStats {
    /// BurstR of this interval (§3.3).
    pub fn burst_r(&self) -> f64 {
        let lost = u64::from(self.lost) + u64::from(self.jb_discards);
        if self.loss_runs == 0 || lost == 0 || self.expected == 0 {
            return 1.0;
        }
        let p = (lost as f64 / f64::from(self.expected)).min(1.0);
        (lost as f64 / f64::from(self.loss_runs) * (1.0 - p)).max(1.0)
    }
    /// Ppl in percent: (lost + jitter-buffer discards) / expected.
    pub fn ppl_percent(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        ((f64::from(self.lost) + f64::from(self.jb_discards)) * 100.0 / f64::from(self.expected))
            .min(100.0)
    }
}

/// Dynamic payload-type clocks learnt from SDP (`a=rtpmap`), PT 96..=127.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct DynamicClocks {
    rate: [u32; 32],
    mapped: u32,
    telephone_event: u32,
}

/// Per-stream statistics. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    ssrc: Option<u32>,
    dynamic: DynamicClocks,
    tshark: TsharkStats,
    seq: SeqState,
    jitter: JitterEstimator,
    packets: u64,
    first_arrival: Nanos,
    last_arrival: Nanos,
    /// Highest extended sequence number seen (our own extension, for dup/late detection).
    highest: i64,
    /// Bit i: sequence `highest - i` was received.
    recent: u128,
    duplicates: u64,
    late: u64,
    markers: u64,
    pt_changes: u64,
    last_pt: u8,
    ts_jumps: u64,
    ssrc_mismatches: u64,
    telephone_events: u64,
    comfort_noise: u64,
    loss_runs: LossRuns,
    burst_gap: BurstGap,
    jb_fixed: JitterBufferModel,
    jb_adaptive: JitterBufferModel,
    /// Unwrapped media timestamp of the previous packet and its clock.
    media_ts: i64,
    prev_ts: u32,
    media_clock: u32,
    jb_prev_ts: u32,
    ms_per_tick: f64,
    interval_max_jitter_ts: f64,
    /// Lowest extended sequence number seen.
    first_ext: i64,
    interval: IntervalStats,
    interval_base_seq: i64,
    ring: [IntervalStats; INTERVAL_RING],
    ring_len: usize,
    ring_head: usize,
    series: QualitySeries,
}

impl Default for StreamStats {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamStats {
    pub fn new() -> Self {
        Self {
            ssrc: None,
            dynamic: DynamicClocks::default(),
            tshark: TsharkStats::default(),
            seq: SeqState::default(),
            jitter: JitterEstimator::default(),
            packets: 0,
            first_arrival: 0,
            last_arrival: 0,
            highest: 0,
            recent: 0,
            duplicates: 0,
            late: 0,
            markers: 0,
            pt_changes: 0,
            last_pt: 0,
            ts_jumps: 0,
            ssrc_mismatches: 0,
            telephone_events: 0,
            comfort_noise: 0,
            loss_runs: LossRuns::default(),
            burst_gap: BurstGap::default(),
            jb_fixed: JitterBufferModel::fixed(DEFAULT_FIXED_JB_MS),
            jb_adaptive: JitterBufferModel::adaptive(
                DEFAULT_ADAPTIVE_JB_MS.0,
                DEFAULT_ADAPTIVE_JB_MS.1,
            ),
            media_ts: 0,
            prev_ts: 0,
            media_clock: 0,
            jb_prev_ts: 0,
            ms_per_tick: 0.0,
            interval_max_jitter_ts: 0.0,
            first_ext: 0,
            interval: IntervalStats::default(),
            interval_base_seq: 0,
            ring: [IntervalStats::default(); INTERVAL_RING],
            ring_len: 0,
            ring_head: 0,
            series: QualitySeries::new(),
        }
    }

    /// Replaces the jitter-buffer models (before the first packet).
    pub fn with_jitter_buffers(
        mut self,
        fixed: JitterBufferModel,
        adaptive: JitterBufferModel,
    ) -> Self {
        self.jb_fixed = fixed;
        self.jb_adaptive = adaptive;
        self
    }

    /// Records an SDP `a=rtpmap:<pt> <encoding>/<rate>` for a dynamic PT (96..=127), as
    /// Wireshark uses it: telephone-event gets no clock; a zero rate falls back to Wireshark's
    /// MIME table. Static PTs keep the static table (Wireshark ignores rtpmap for them).
    pub fn set_rtpmap(&mut self, pt: u8, encoding: &str, rate: u32) {
        if !(96..=127).contains(&pt) {
            return;
        }
        let i = usize::from(pt - 96);
        let bit = 1u32 << i;
        self.dynamic.mapped |= bit;
        if is_telephone_event(encoding) {
            self.dynamic.telephone_event |= bit;
            self.dynamic.rate[i] = 0;
        } else {
            self.dynamic.telephone_event &= !bit;
            self.dynamic.rate[i] = if rate != 0 {
                rate
            } else {
                mime_clock_rate(encoding)
            };
        }
    }

    /// The capture's first packet time, for bit-exact tshark figures (see
    /// [`TsharkStats::set_time_origin`]). Call before the first packet.
    pub fn set_time_origin(&mut self, capture_start: Nanos) {
        self.tshark.set_time_origin(capture_start);
    }

    /// The clock Wireshark 4.0 would use for `pt` in this stream.
    pub fn clock_for(&self, pt: u8) -> PtClock {
        if pt < 96 {
            return match static_clock_rate(pt) {
                0 => PtClock::Unknown,
                r => PtClock::Rate(r),
            };
        }
        let i = usize::from((pt - 96) & 31);
        let bit = 1u32 << i;
        if self.dynamic.telephone_event & bit != 0 {
            PtClock::TelephoneEvent
        } else if self.dynamic.mapped & bit != 0 && self.dynamic.rate[i] != 0 {
            PtClock::Rate(self.dynamic.rate[i])
        } else {
            PtClock::Unknown
        }
    }

    /// Feeds one packet of this stream, in capture order. No allocation.
    pub fn on_packet(&mut self, arrival: Nanos, pkt: &RtpPacket<'_>) {
        let seq = pkt.sequence();
        let ts = pkt.timestamp();
        let pt = pkt.payload_type();
        let marker = pkt.marker();
        let clock = self.clock_for(pt);

        match self.ssrc {
            None => self.ssrc = Some(pkt.ssrc()),
            Some(s) if s != pkt.ssrc() => self.ssrc_mismatches += 1,
            Some(_) => {}
        }
        let first = self.packets == 0;
        self.packets += 1;
        if first {
            self.first_arrival = arrival;
            self.interval.start = arrival;
        } else if pt != self.last_pt {
            self.pt_changes += 1;
        }
        self.last_pt = pt;
        self.last_arrival = arrival;
        if marker {
            self.markers += 1;
        }
        match clock {
            PtClock::TelephoneEvent => self.telephone_events += 1,
            _ if pt == 13 || pt == 19 => self.comfort_noise += 1,
            _ => {}
        }

        self.close_intervals(arrival);
        self.series.at(arrival);
        self.tshark.on_packet(arrival, seq, ts, pt, marker, clock);
        // RFC 3550 A.1 (its verdict only matters to its own counters).
        self.seq.update(seq);

        // Our own extended sequence for duplicates, late packets and loss runs.
        let duplicate = self.track_sequence(first, seq);
        if !duplicate {
            self.interval.received = self.interval.received.saturating_add(1);
            let b = self.series.open_mut();
            b.received = b.received.saturating_add(1);
        }

        // RFC 3550 jitter (telephone-event and unknown clocks excluded).
        let rate = clock.rate();
        let prev_ts = self.prev_ts;
        if let Some(d) = self.jitter.update(arrival, ts, rate) {
            let ds = f64::from(ts.wrapping_sub(prev_ts) as i32);
            if !marker && rate != 0 && d > TS_JUMP_SECONDS * f64::from(rate) && ds.abs() > d / 2.0 {
                self.ts_jumps += 1;
            }
            if rate != 0 {
                let j_ms = self.jitter.jitter * 1000.0 / f64::from(rate);
                let b = self.series.open_mut();
                b.jitter_samples = b.jitter_samples.saturating_add(1);
                b.jitter_sum_ms += j_ms;
                b.jitter_max_ms = b.jitter_max_ms.max(j_ms);
            }
        }
        self.prev_ts = ts;
        // Kept in timestamp units per packet; converted to ms when the interval closes.
        self.interval_max_jitter_ts = self.interval_max_jitter_ts.max(self.jitter.jitter);

        // Jitter-buffer models on the unwrapped media time.
        if rate != 0 && !duplicate {
            if self.media_clock != rate {
                self.media_clock = rate;
                self.ms_per_tick = 1000.0 / f64::from(rate);
                self.media_ts = 0;
            } else {
                self.media_ts += i64::from(ts.wrapping_sub(self.jb_prev_ts) as i32);
            }
            self.jb_prev_ts = ts;
            // Multiplications, not divisions: this model is ours, no bit-exactness to keep.
            let arrival_ms = arrival.saturating_sub(self.first_arrival) as f64 * 1e-6;
            let transit = arrival_ms - self.media_ts as f64 * self.ms_per_tick;
            if self.jb_fixed.on_packet(transit, marker) {
                self.interval.jb_discards = self.interval.jb_discards.saturating_add(1);
                let b = self.series.open_mut();
                b.jb_discards = b.jb_discards.saturating_add(1);
                self.burst_gap.lost(1, true);
            } else {
                self.burst_gap.received();
            }
            self.jb_adaptive.on_packet(transit, marker);
        } else if !duplicate {
            self.burst_gap.received();
        }
    }

    /// Returns true when the packet is a duplicate.
    fn track_sequence(&mut self, first: bool, seq: u16) -> bool {
        if first {
            // Start high enough that extension below the first number stays positive.
            self.highest = i64::from(seq) + (1 << 16);
            self.recent = 1;
            self.first_ext = self.highest;
            self.interval_base_seq = self.highest - 1;
            let b = self.series.open_mut();
            b.expected = b.expected.saturating_add(1);
            return false;
        }
        let delta = i64::from(seq.wrapping_sub(self.highest as u16) as i16);
        let ext = self.highest + delta;
        if delta > 0 {
            let gap = delta - 1;
            let b = self.series.open_mut();
            b.expected = b.expected.saturating_add(delta as u32);
            if gap > 0 && gap <= MAX_GAP {
                self.loss_runs.on_gap(gap as u64);
                self.interval.lost = self.interval.lost.saturating_add(gap as u32);
                self.interval.loss_runs = self.interval.loss_runs.saturating_add(1);
                b.lost = b.lost.saturating_add(gap as i32);
                b.loss_runs = b.loss_runs.saturating_add(1);
                self.burst_gap.lost(gap as u64, false);
            }
            self.recent = if delta >= 128 {
                1
            } else {
                (self.recent << delta) | 1
            };
            self.highest = ext;
            false
        } else {
            self.first_ext = self.first_ext.min(ext);
            let back = -delta;
            if back < 128 {
                let bit = 1u128 << back;
                if self.recent & bit != 0 {
                    self.duplicates += 1;
                    return true;
                }
                self.recent |= bit;
            }
            self.late += 1;
            if back < MAX_GAP {
                self.loss_runs.on_recovered();
                self.interval.lost = self.interval.lost.saturating_sub(1);
                let b = self.series.open_mut();
                b.lost = b.lost.saturating_sub(1);
            }
            false
        }
    }

    fn close_intervals(&mut self, arrival: Nanos) {
        if arrival < self.interval.start.saturating_add(INTERVAL_NS) {
            return;
        }
        let mut closed = self.interval;
        closed.end = arrival;
        closed.max_jitter_ms = self.interval_jitter_ms();
        self.interval_max_jitter_ts = 0.0;
        closed.expected =
            (self.highest - self.interval_base_seq).clamp(0, i64::from(u32::MAX)) as u32;
        let slot = (self.ring_head + self.ring_len) % INTERVAL_RING;
        self.ring[slot] = closed;
        if self.ring_len < INTERVAL_RING {
            self.ring_len += 1;
        } else {
            self.ring_head = (self.ring_head + 1) % INTERVAL_RING;
        }
        let periods = (arrival - self.interval.start) / INTERVAL_NS;
        self.interval = IntervalStats {
            start: self.interval.start + periods * INTERVAL_NS,
            ..IntervalStats::default()
        };
        self.interval_base_seq = self.highest;
    }

    fn interval_jitter_ms(&self) -> f64 {
        let clock = self.jitter.clock();
        if clock == 0 {
            0.0
        } else {
            self.interval_max_jitter_ts * 1000.0 / f64::from(clock)
        }
    }

    /// Oldest closed 10-second interval not yet pulled.
    pub fn pop_interval(&mut self) -> Option<IntervalStats> {
        if self.ring_len == 0 {
            return None;
        }
        let it = self.ring[self.ring_head];
        self.ring_head = (self.ring_head + 1) % INTERVAL_RING;
        self.ring_len -= 1;
        Some(it)
    }

    /// The interval still open (partial figures).
    pub fn current_interval(&self) -> IntervalStats {
        let mut it = self.interval;
        it.end = self.last_arrival;
        it.max_jitter_ms = self.interval_jitter_ms();
        it.expected = (self.highest - self.interval_base_seq).clamp(0, i64::from(u32::MAX)) as u32;
        it
    }

    /// The stream's quality over time (see [`QualitySeries`]).
    pub fn series(&self) -> &QualitySeries {
        &self.series
    }

    // --- accessors ---

    pub fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }
    /// Packets fed (duplicates included) — equals tshark's Pkts.
    pub fn packets(&self) -> u64 {
        self.packets
    }
    pub fn first_arrival(&self) -> Nanos {
        self.first_arrival
    }
    pub fn last_arrival(&self) -> Nanos {
        self.last_arrival
    }
    pub fn tshark(&self) -> &TsharkStats {
        &self.tshark
    }
    /// RFC 3550 A.1 sequence state (call `report()` on a copy for A.3 figures).
    pub fn rfc3550(&self) -> &SeqState {
        &self.seq
    }
    pub fn rfc3550_expected(&self) -> u32 {
        self.seq.expected()
    }
    pub fn rfc3550_received(&self) -> u32 {
        self.seq.received()
    }
    /// RFC 3550 cumulative lost, clamped to 24 bits signed.
    pub fn rfc3550_lost(&self) -> i32 {
        self.seq.lost().clamp(-0x80_0000, 0x7F_FFFF) as i32
    }
    /// Fraction lost over the whole stream (×256), as an RR covering everything would say.
    pub fn rfc3550_fraction_lost(&self) -> u8 {
        let mut s = self.seq;
        s.report().fraction_lost
    }
    pub fn jitter(&self) -> &JitterEstimator {
        &self.jitter
    }
    /// Current RFC 3550 jitter in ms (`None` when the clock rate is unknown).
    pub fn jitter_ms(&self) -> Option<f64> {
        self.jitter.jitter_ms()
    }
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }
    /// Packets older than the highest sequence seen (reordered or late), duplicates excluded.
    pub fn late(&self) -> u64 {
        self.late
    }
    pub fn sequence_errors(&self) -> u32 {
        self.tshark.row().sequence_errors
    }
    pub fn markers(&self) -> u64 {
        self.markers
    }
    pub fn payload_type_changes(&self) -> u64 {
        self.pt_changes
    }
    pub fn last_payload_type(&self) -> u8 {
        self.last_pt
    }
    pub fn timestamp_jumps(&self) -> u64 {
        self.ts_jumps
    }
    /// Packets whose SSRC differed from the stream's first (callers key streams by SSRC, so
    /// this stays 0 unless they do not).
    pub fn ssrc_mismatches(&self) -> u64 {
        self.ssrc_mismatches
    }
    pub fn telephone_event_packets(&self) -> u64 {
        self.telephone_events
    }
    pub fn comfort_noise_packets(&self) -> u64 {
        self.comfort_noise
    }
    pub fn loss_runs(&self) -> &LossRuns {
        &self.loss_runs
    }
    pub fn burst_gap(&self) -> &BurstGap {
        &self.burst_gap
    }
    pub fn jitter_buffer_fixed(&self) -> &JitterBufferModel {
        &self.jb_fixed
    }
    pub fn jitter_buffer_adaptive(&self) -> &JitterBufferModel {
        &self.jb_adaptive
    }
    /// Expected packets by our own sequence extension (first to highest).
    pub fn expected(&self) -> u64 {
        if self.packets == 0 {
            return 0;
        }
        (self.highest - self.first_ext + 1).max(0) as u64
    }

    /// The tshark 4.0 `rtp,streams` row for this stream.
    pub fn tshark_row(&self, id: &RowIdentity<'_>) -> String {
        format_tshark_row(id, &self.tshark)
    }

    /// tshark's payload column (dynamic names from `rtpmap_name`).
    pub fn payload_names<'n>(&self, rtpmap_name: impl Fn(u8) -> Option<&'n str>) -> String {
        self.tshark.payload_names(rtpmap_name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::codec::{CodecLookup, G711_PLC, by_static_pt};
    use super::super::emodel::{NoMos, mos_for_interval, mos_for_stream};
    use super::*;

    fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool) -> Vec<u8> {
        let mut b = vec![0x80, (u8::from(marker) << 7) | pt];
        b.extend_from_slice(&seq.to_be_bytes());
        b.extend_from_slice(&ts.to_be_bytes());
        b.extend_from_slice(&ssrc.to_be_bytes());
        b.extend_from_slice(&[0xd5; 160]);
        b
    }

    fn feed(s: &mut StreamStats, t_ns: u64, pt: u8, seq: u16, ts: u32, marker: bool) {
        let b = rtp(pt, seq, ts, 0x1234, marker);
        s.on_packet(t_ns, &RtpPacket::new_checked(&b).unwrap());
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn clean_stream_wrapping_sequence() {
        let mut s = StreamStats::new();
        for i in 0..100u32 {
            let seq = (65500 + i) as u16;
            feed(
                &mut s,
                1_000_000 * MS + u64::from(i) * 20 * MS,
                0,
                seq,
                160 * i,
                i == 0,
            );
        }
        assert_eq!(s.packets(), 100);
        assert_eq!(s.expected(), 100);
        assert_eq!(
            (s.rfc3550_expected(), s.rfc3550_received(), s.rfc3550_lost()),
            (99, 99, 0)
        );
        assert_eq!(s.rfc3550().ext_max_seq(), 65536 + 63);
        assert_eq!((s.duplicates(), s.late(), s.markers()), (0, 0, 1));
        assert_eq!(s.jitter_ms(), Some(0.0));
        let row = s.tshark().row();
        assert_eq!((row.lost, row.problem, row.sequence_errors), (0, false, 0));
        assert_eq!(s.jitter_buffer_fixed().discarded, 0);
        let q = mos_for_stream(&s, by_static_pt(0), None).unwrap();
        assert_eq!(q.ppl, 0.0);
        assert_eq!(q.burst_r, 1.0);
        // d = 60 ms jitter buffer + 20 ms packetization: R = 93.2 − 0.024·80.
        assert!((q.r - (93.2 - 0.024 * 80.0)).abs() < 1e-9, "{}", q.r);
    }

    #[test]
    fn loss_duplicates_reordering_and_bursts() {
        let mut s = StreamStats::new();
        let mut t = 0u64;
        let mut order: Vec<u16> = (0..200)
            .filter(|i| !(50..55).contains(i) && *i != 120)
            .collect();
        // Swap 150 and 151, and duplicate 160.
        let k = order.iter().position(|&x| x == 150).unwrap();
        order.swap(k, k + 1);
        let k = order.iter().position(|&x| x == 160).unwrap();
        order.insert(k + 1, 160);
        for seq in order {
            t += 20 * MS;
            feed(&mut s, t, 8, 1000 + seq, 160 * u32::from(seq), false);
        }
        assert_eq!(s.duplicates(), 1);
        assert_eq!(s.late(), 1);
        assert_eq!(s.loss_runs().runs, 3); // 50..55, 120, and the hole 150 left until filled
        assert_eq!(s.loss_runs().lost(), 6);
        assert_eq!(s.expected(), 200);
        assert_eq!(s.rfc3550_lost(), 5); // the first packet is outside RFC A.1's count; dup −1
        let q = mos_for_stream(&s, CodecLookup::Voice(G711_PLC), Some(100.0)).unwrap();
        assert!((q.ppl - 3.0).abs() < 1e-9, "{}", q.ppl);
        assert!(q.burst_r >= 1.0);
        assert!(q.mos < 4.3 && q.mos > 3.0, "{}", q.mos);
    }

    #[test]
    fn timestamp_jump_marker_and_payload_change() {
        let mut s = StreamStats::new();
        for i in 0..40u32 {
            let ts = 160 * i + if i >= 20 { 80_000 } else { 0 };
            let pt = if i >= 30 { 8 } else { 0 };
            feed(&mut s, u64::from(i) * 20 * MS, pt, i as u16, ts, i == 0);
        }
        assert_eq!(s.timestamp_jumps(), 1);
        assert_eq!(s.payload_type_changes(), 1);
        assert_eq!(s.markers(), 1);
        // tshark's view: the +10 s jump shows as 625 ms max jitter.
        assert!((s.tshark().row().max_jitter_ms - 625.0).abs() < 1e-9);
        // The jitter buffer re-synchronises on the discontinuity instead of discarding.
        assert_eq!(s.jitter_buffer_fixed().resyncs, 1);
        assert_eq!(s.payload_names(|_| None), "g711U, g711A");
    }

    #[test]
    fn telephone_event_and_unknown_clock() {
        let mut s = StreamStats::new();
        s.set_rtpmap(101, "telephone-event", 8000);
        assert_eq!(s.clock_for(101), PtClock::TelephoneEvent);
        assert_eq!(s.clock_for(102), PtClock::Unknown);
        s.set_rtpmap(102, "AMR-WB", 0);
        assert_eq!(s.clock_for(102), PtClock::Rate(16000));
        s.set_rtpmap(103, "opus", 48000);
        assert_eq!(s.clock_for(103), PtClock::Rate(48000));
        for i in 0..12u32 {
            feed(&mut s, u64::from(i) * 20 * MS, 101, i as u16, 5000, i == 0);
        }
        assert_eq!(s.jitter_ms(), None);
        assert_eq!(s.telephone_event_packets(), 12);
        assert_eq!(
            mos_for_stream(&s, by_static_pt(0), None),
            Err(NoMos::NotVoice)
        );
        let row = s.tshark().row();
        assert_eq!((row.min_jitter_ms, row.max_jitter_ms), (-1.0, 0.0));

        let mut few = StreamStats::new();
        feed(&mut few, 0, 0, 1, 0, false);
        assert_eq!(
            mos_for_stream(&few, by_static_pt(0), None),
            Err(NoMos::TooFewPackets(1))
        );
        assert_eq!(
            mos_for_stream(&few, by_static_pt(96), None),
            Err(NoMos::UnknownCodec)
        );
    }

    #[test]
    fn ten_second_intervals() {
        let mut s = StreamStats::new();
        // 35 s at 50 pps, 10 packets lost in the second window.
        for i in 0..1750u32 {
            if (700..710).contains(&i) {
                continue;
            }
            feed(&mut s, u64::from(i) * 20 * MS, 0, i as u16, 160 * i, false);
        }
        let w: Vec<IntervalStats> = std::iter::from_fn(|| s.pop_interval()).collect();
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].received, w[0].expected, w[0].lost), (500, 500, 0));
        assert_eq!(
            (w[1].received, w[1].expected, w[1].lost, w[1].loss_runs),
            (490, 500, 10, 1)
        );
        assert_eq!(w[1].start, INTERVAL_NS);
        assert_eq!(w[2].lost, 0);
        let q0 = mos_for_interval(&w[0], &G711_PLC, 80.0).unwrap();
        let q1 = mos_for_interval(&w[1], &G711_PLC, 80.0).unwrap();
        assert!(q1.mos < q0.mos);
        assert!((q1.ppl - 2.0).abs() < 1e-9);
        assert!(q1.burst_r > 1.0); // one run of 10
        assert_eq!(s.current_interval().received, 250);
    }

    #[test]
    fn one_second_series_matches_the_ten_second_intervals() {
        let mut s = StreamStats::new();
        let t0 = 1_700_000_000 * 1_000 * MS;
        // 35 s at 50 pps, packets 700..710 (14.0 to 14.2 s) lost, 710 late by 3 packets.
        let mut order: Vec<u32> = (0..1750).filter(|i| !(700..710).contains(i)).collect();
        let k = order.iter().position(|&x| x == 712).unwrap();
        order.insert(k + 1, 709);
        for (n, i) in order.iter().enumerate() {
            // Arrival follows position, so the late packet arrives late.
            let t = t0 + (n as u64 + u64::from(*i >= 709) * 9) * 20 * MS;
            feed(&mut s, t, 0, *i as u16, 160 * i, false);
        }
        let series = s.series();
        assert_eq!(series.width(), crate::rtp::series::SERIES_BASE_WIDTH);
        assert_eq!(series.start(), t0);
        assert_eq!(series.len(), 35);
        let b: Vec<_> = series.buckets().copied().collect();
        assert_eq!((b[0].received, b[0].expected, b[0].lost()), (50, 50, 0));
        // Bucket 14: 700..=708 missing (one run of 10 including 709, then 709 arrives late).
        assert_eq!(
            (
                b[14].received,
                b[14].expected,
                b[14].lost(),
                b[14].loss_runs
            ),
            (41, 50, 9, 1)
        );
        let sum = |f: fn(&crate::rtp::series::Bucket) -> u64| b.iter().map(f).sum::<u64>();
        assert_eq!(sum(|b| u64::from(b.received)), s.packets() - s.duplicates());
        assert_eq!(sum(|b| u64::from(b.expected)), s.expected());
        assert_eq!(sum(|b| u64::from(b.lost())), 9);
        // The 10 s intervals saw the same packets.
        let w: Vec<IntervalStats> = std::iter::from_fn(|| s.pop_interval()).collect();
        assert_eq!(
            w[1].received,
            b[10..20].iter().map(|b| b.received).sum::<u32>()
        );
        // The late packet's 180 ms of extra transit shows as jitter in bucket 14 only.
        assert_eq!(b[13].max_jitter_ms(), Some(0.0));
        assert!(b[14].max_jitter_ms().unwrap() > 5.0);
        assert!(b[14].mean_jitter_ms().unwrap() < b[14].max_jitter_ms().unwrap());
        let q14 = mos_for_interval(&b[14].as_interval(0, 0), &G711_PLC, 80.0).unwrap();
        let q13 = mos_for_interval(&b[13].as_interval(0, 0), &G711_PLC, 80.0).unwrap();
        assert!(q14.mos < q13.mos, "{} {}", q14.mos, q13.mos);
    }

    #[test]
    fn size_is_fixed() {
        // Reported by the bench as well; keep an eye on growth.
        assert!(
            core::mem::size_of::<StreamStats>() <= 1536,
            "{}",
            core::mem::size_of::<StreamStats>()
        );
    }

    proptest::proptest! {
        /// Random sequences (any seq/ts/pt/marker, non-decreasing time): counts agree, jitter
        /// figures stay finite and non-negative, MOS stays in [1, 4.5].
        #[test]
        fn invariants_hold_for_random_streams(
            pkts in proptest::collection::vec(
                (0u64..200_000_000, proptest::num::u16::ANY, proptest::num::u32::ANY, 0u8..128, proptest::bool::ANY),
                0..300,
            )
        ) {
            let mut s = StreamStats::new();
            s.set_rtpmap(101, "telephone-event", 8000);
            s.set_rtpmap(96, "opus", 48000);
            let mut t = 0u64;
            for (dt, seq, ts, pt, m) in &pkts {
                t += dt;
                feed(&mut s, t, *pt, *seq, *ts, *m);
            }
            proptest::prop_assert_eq!(s.packets(), pkts.len() as u64);
            let row = s.tshark().row();
            proptest::prop_assert_eq!(u64::from(row.packets), pkts.len() as u64);
            for v in [row.mean_jitter_ms, row.max_jitter_ms, row.mean_delta_ms, row.max_delta_ms] {
                proptest::prop_assert!(v.is_finite() && v >= 0.0);
            }
            if let Some(j) = s.jitter_ms() {
                proptest::prop_assert!(j.is_finite() && j >= 0.0);
            }
            proptest::prop_assert!(s.duplicates() + s.late() <= s.packets());
            if let Ok(q) = mos_for_stream(&s, by_static_pt(0), Some(40.0)) {
                proptest::prop_assert!((1.0..=4.5).contains(&q.mos));
            }
            // The series saw every packet once, and never more sequence numbers than exist.
            let series = s.series();
            proptest::prop_assert!(series.len() <= crate::rtp::series::SERIES_MAX_BUCKETS);
            let received: u64 = series.buckets().map(|b| u64::from(b.received)).sum();
            proptest::prop_assert_eq!(received, s.packets() - s.duplicates());
            let expected: u64 = series.buckets().map(|b| u64::from(b.expected)).sum();
            proptest::prop_assert!(expected <= s.expected());
            for b in series.buckets() {
                if let Some(j) = b.max_jitter_ms() {
                    proptest::prop_assert!(j.is_finite() && j >= 0.0);
                }
            }
        }
    }
}
