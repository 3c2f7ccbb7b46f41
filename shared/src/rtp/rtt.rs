//! RTCP at a passive observer (VOICE_QUALITY.md §6): round-trip time from SR/RR pairs using
//! the probe's own capture times, and the figures the endpoints report about each other,
//! kept apart from our measurements. Fixed-size state, no allocation.

use super::rtcp::{ReportBlock, RtcpCompound, RtcpPacket};
use super::xr::{VoipMetrics, XrBlock};
use crate::net::Nanos;

/// SRs remembered for LSR matching.
pub const SR_HISTORY: usize = 16;
/// SSRCs whose reported figures are kept.
pub const REPORTED_SLOTS: usize = 8;
/// Results above this are discarded (rtpengine uses 10 s too).
pub const MAX_RTT_NS: u64 = 10_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct SrSeen {
    ssrc: u32,
    lsr: u32,
    at: Nanos,
    used: bool,
}

/// What an endpoint reported (RR block) about one SSRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reported {
    /// Reporter's SSRC.
    pub reporter: u32,
    /// Last report block about the source.
    pub block: ReportBlock,
    pub at: Nanos,
    /// RTT segment probe → reporter → probe from this block, if computable.
    pub rtt_ns: Option<u64>,
}

/// Tracks SRs and RRs seen on one session (both directions fed to the same tracker).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtcpSession {
    srs: [SrSeen; SR_HISTORY],
    next_sr: usize,
    reported: [Option<(u32, Reported)>; REPORTED_SLOTS],
    next_slot: usize,
    /// Latest RTT segment per reporter direction: (reporter SSRC, ns).
    last_rtt: [Option<(u32, u64)>; 2],
    /// XR Receiver Reference Times seen (reporter SSRC, middle 32 NTP bits, capture time):
    /// DLRR sub-blocks quote them like LSR.
    rrts: [SrSeen; 4],
    next_rrt: usize,
    /// Latest XR VoIP Metrics per reported source SSRC, with the reporter and time.
    xr_voip: [Option<(u32, u32, Nanos, VoipMetrics)>; 4],
    next_xr: usize,
}

/// RTT from the quantities of §6.2/§6.3: (arrival of RR − arrival of the SR) − DLSR.
pub fn rtt_from_observation(sr_at: Nanos, rr_at: Nanos, dlsr: u32) -> Option<u64> {
    let dlsr_ns = u64::from(dlsr) * 1_000_000_000 / 65536;
    let rtt = rr_at.checked_sub(sr_at)?.checked_sub(dlsr_ns)?;
    (rtt > 0 && rtt <= MAX_RTT_NS).then_some(rtt)
}

/// RFC 3550 §6.4.1 endpoint form: A − LSR − DLSR in 1/65536 s, modulo 2³².
pub fn rtt_ntp_middle(a: u32, lsr: u32, dlsr: u32) -> u32 {
    a.wrapping_sub(lsr).wrapping_sub(dlsr)
}

impl RtcpSession {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one RTCP datagram captured at `at`. Malformed trailing packets are ignored.
    pub fn on_datagram(&mut self, at: Nanos, datagram: &[u8]) {
        for pkt in RtcpCompound::new(datagram) {
            let Ok(pkt) = pkt else { break };
            match pkt {
                RtcpPacket::SenderReport(sr) => {
                    self.srs[self.next_sr] = SrSeen {
                        ssrc: sr.ssrc,
                        lsr: sr.lsr_key(),
                        at,
                        used: true,
                    };
                    self.next_sr = (self.next_sr + 1) % SR_HISTORY;
                    for b in sr.report_blocks() {
                        self.on_block(at, sr.ssrc, b);
                    }
                }
                RtcpPacket::ReceiverReport(rr) => {
                    for b in rr.report_blocks() {
                        self.on_block(at, rr.ssrc, b);
                    }
                }
                RtcpPacket::ExtendedReport(xr) => {
                    for b in xr.blocks() {
                        let Ok(b) = b else { break };
                        self.on_xr_block(at, xr.ssrc, &b);
                    }
                }
                _ => {}
            }
        }
    }

    fn on_block(&mut self, at: Nanos, reporter: u32, block: ReportBlock) {
        let rtt_ns = if block.lsr == 0 || block.dlsr == 0 {
            None
        } else {
            // Search backwards for the SR the block quotes.
            (0..SR_HISTORY)
                .map(|k| (self.next_sr + SR_HISTORY - 1 - k) % SR_HISTORY)
                .map(|i| self.srs[i])
                .find(|s| s.used && s.ssrc == block.ssrc && s.lsr == block.lsr)
                .and_then(|s| rtt_from_observation(s.at, at, block.dlsr))
        };
        if let Some(rtt) = rtt_ns {
            let slot = match self
                .last_rtt
                .iter()
                .position(|r| matches!(r, Some((s, _)) if *s == reporter))
            {
                Some(i) => i,
                None => self.last_rtt.iter().position(Option::is_none).unwrap_or(0),
            };
            self.last_rtt[slot] = Some((reporter, rtt));
        }
        let rep = Reported {
            reporter,
            block,
            at,
            rtt_ns,
        };
        match self
            .reported
            .iter()
            .position(|r| matches!(r, Some((s, _)) if *s == block.ssrc))
        {
            Some(i) => self.reported[i] = Some((block.ssrc, rep)),
            None => {
                self.reported[self.next_slot] = Some((block.ssrc, rep));
                self.next_slot = (self.next_slot + 1) % REPORTED_SLOTS;
            }
        }
    }

    fn on_xr_block(&mut self, at: Nanos, reporter: u32, b: &XrBlock<'_>) {
        if let Some(ntp) = b.receiver_reference_time() {
            let middle = (ntp >> 16) as u32;
            self.rrts[self.next_rrt] = SrSeen {
                ssrc: reporter,
                lsr: middle,
                at,
                used: true,
            };
            self.next_rrt = (self.next_rrt + 1) % self.rrts.len();
        }
        for (ssrc, lrr, dlrr) in b.dlrr() {
            if lrr == 0 || dlrr == 0 {
                continue;
            }
            let rtt = self
                .rrts
                .iter()
                .find(|r| r.used && r.ssrc == ssrc && r.lsr == lrr)
                .and_then(|r| rtt_from_observation(r.at, at, dlrr));
            if let Some(rtt) = rtt {
                self.store_rtt(reporter, rtt);
            }
        }
        if let Some(vm) = b.voip_metrics() {
            let entry = Some((vm.ssrc, reporter, at, vm));
            match self
                .xr_voip
                .iter()
                .position(|e| matches!(e, Some((s, ..)) if *s == vm.ssrc))
            {
                Some(i) => self.xr_voip[i] = entry,
                None => {
                    self.xr_voip[self.next_xr] = entry;
                    self.next_xr = (self.next_xr + 1) % self.xr_voip.len();
                }
            }
        }
    }

    fn store_rtt(&mut self, reporter: u32, rtt: u64) {
        let slot = match self
            .last_rtt
            .iter()
            .position(|r| matches!(r, Some((s, _)) if *s == reporter))
        {
            Some(i) => i,
            None => self.last_rtt.iter().position(Option::is_none).unwrap_or(0),
        };
        self.last_rtt[slot] = Some((reporter, rtt));
    }

    /// The latest XR VoIP Metrics block about `ssrc` (the endpoint's own view), with the
    /// reporter's SSRC and the capture time.
    pub fn reported_voip_metrics(&self, ssrc: u32) -> Option<(u32, Nanos, &VoipMetrics)> {
        self.xr_voip
            .iter()
            .flatten()
            .find(|e| e.0 == ssrc)
            .map(|(_, r, t, vm)| (*r, *t, vm))
    }

    /// The latest report about `ssrc` (what its receiver said: loss, jitter).
    pub fn reported(&self, ssrc: u32) -> Option<&Reported> {
        self.reported
            .iter()
            .flatten()
            .find(|(s, _)| *s == ssrc)
            .map(|(_, r)| r)
    }

    /// Latest RTT segment probe ↔ `reporter`.
    pub fn rtt_to(&self, reporter: u32) -> Option<u64> {
        self.last_rtt
            .iter()
            .flatten()
            .find(|(s, _)| *s == reporter)
            .map(|(_, r)| *r)
    }

    /// End-to-end RTT estimate: the sum of the two latest segments (one per side), or the
    /// single segment known.
    pub fn rtt_end_to_end_ns(&self) -> Option<u64> {
        match self.last_rtt {
            [Some((_, a)), Some((_, b))] => Some(a + b),
            [Some((_, a)), None] | [None, Some((_, a))] => Some(a),
            [None, None] => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc_example_rtt() {
        // §6.2: A = 0xB710_8000, LSR = 0xB705_2000, DLSR = 0x0005_4000 -> 6.125 s.
        assert_eq!(
            rtt_ntp_middle(0xB710_8000, 0xB705_2000, 0x0005_4000),
            0x0006_2000
        );
    }

    fn sr(ssrc: u32, ntp_sec: u32, ntp_frac: u32) -> Vec<u8> {
        let mut b = vec![0x80, 200, 0, 6];
        for w in [ssrc, ntp_sec, ntp_frac, 160000, 500, 80000] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b
    }

    fn rr(ssrc: u32, src: u32, frac: u8, cum: i32, lsr: u32, dlsr: u32) -> Vec<u8> {
        let mut b = vec![0x81, 201, 0, 7];
        b.extend_from_slice(&ssrc.to_be_bytes());
        b.extend_from_slice(&src.to_be_bytes());
        b.extend_from_slice(&((u32::from(frac) << 24) | (cum as u32 & 0xFF_FFFF)).to_be_bytes());
        for w in [65580u32, 54, lsr, dlsr] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b
    }

    // The rtcp_rtt.py scenario: SR at 1000.000 s, RR at 1000.300 s quoting it with
    // DLSR = 0.2 s -> 100 ms (tshark prints 101 because it truncates DLSR to whole ms).
    #[test]
    fn passive_rtt_from_sr_rr() {
        let ntp_sec = 3_900_000_000u32;
        let ntp_frac = 0x8000_0000u32;
        let lsr = ((ntp_sec & 0xffff) << 16) | (ntp_frac >> 16);
        let dlsr = (0.2f64 * 65536.0) as u32;
        let mut s = RtcpSession::new();
        s.on_datagram(1_000_000_000_000, &sr(0x1111_1111, ntp_sec, ntp_frac));
        s.on_datagram(
            1_000_300_000_000,
            &rr(0x2222_2222, 0x1111_1111, 12, -5, lsr, dlsr),
        );
        let rtt = s.rtt_to(0x2222_2222).unwrap();
        assert!((rtt as f64 / 1e6 - 100.0).abs() < 0.01, "{rtt}");
        let rep = s.reported(0x1111_1111).unwrap();
        assert_eq!(rep.block.fraction_lost, 12);
        assert_eq!(rep.block.cumulative_lost, -5);
        assert_eq!(rep.block.jitter, 54);
        assert_eq!(s.rtt_end_to_end_ns(), Some(rtt));
        // No SR seen for this LSR: no RTT.
        let mut t = RtcpSession::new();
        t.on_datagram(5, &rr(1, 2, 0, 0, 0x1234_5678, 10));
        assert_eq!(t.rtt_to(1), None);
    }

    /// Our `pcaps/rtp/rtcp_session.pcap` against tshark 4.0.17 (`rtcp_session.tshark.txt`,
    /// command in its first line): tshark's `rtcp.roundtrip-delay` is 41, 51, 60 ms for the
    /// three RRs (it truncates DLSR to whole ms, so allow ±1 ms), and the XR VoIP Metrics
    /// fields it decodes (burst density 200, RT delay 120, MOS-LQ 4.2, JB nominal 40).
    #[test]
    fn own_rtcp_session_matches_tshark() {
        use super::super::RtcpCompound;
        use super::super::tests_pcap::{own_file, udp_packets};
        let file = own_file("rtcp_session.pcap");
        let (_, udps) = udp_packets(&file);
        let mut s = RtcpSession::new();
        let tshark_rtt_ms = [41.0, 51.0, 60.0];
        let expected_block = [
            (0u8, -1i32, 1_191_182_336u32, 9830u32),
            (3, 0, 1_191_518_208, 13107),
            (6, 1, 1_191_854_080, 16384),
        ];
        let mut rr_seen = 0;
        for u in &udps {
            s.on_datagram(u.ts, &u.payload);
            let first = RtcpCompound::new(&u.payload).next().unwrap().unwrap();
            if let RtcpPacket::ReceiverReport(rr) = first {
                let b = rr.report_blocks().next().unwrap();
                let (frac, cum, lsr, dlsr) = expected_block[rr_seen];
                assert_eq!(
                    (b.fraction_lost, b.cumulative_lost, b.lsr, b.dlsr),
                    (frac, cum, lsr, dlsr)
                );
                let ours = s.rtt_to(0x2222_2222).unwrap() as f64 / 1e6;
                assert!(
                    (ours - tshark_rtt_ms[rr_seen]).abs() <= 1.0,
                    "RR {rr_seen}: {ours} ms"
                );
                rr_seen += 1;
            }
        }
        assert_eq!(rr_seen, 3);
        let (reporter, _, vm) = s.reported_voip_metrics(0x1111_1111).unwrap();
        assert_eq!(reporter, 0x2222_2222);
        assert_eq!(
            (
                vm.burst_density,
                vm.round_trip_delay,
                vm.mos_lq_value(),
                vm.jb_nominal
            ),
            (200, 120, Some(4.2), 40)
        );
        assert_eq!(vm.noise_level, None); // 127 = unavailable
        assert_eq!(s.reported(0x1111_1111).unwrap().block.cumulative_lost, 1);
    }

    #[test]
    fn xr_rrt_dlrr_round_trip() {
        // Reporter 0xA sends RRT (BT 4) with NTP 0x0001_0002_0003_0004; 0xB answers 250 ms
        // later with DLRR (BT 5) quoting LRR = middle 32 bits and DLRR = 0.1 s -> 150 ms.
        let mut rrt = vec![0x80, 207, 0, 4, 0, 0, 0, 0xA, 4, 0, 0, 2];
        rrt.extend_from_slice(&0x0001_0002_0003_0004u64.to_be_bytes());
        let mut dlrr = vec![0x80, 207, 0, 5, 0, 0, 0, 0xB, 5, 0, 0, 3];
        for w in [0xAu32, 0x0002_0003, 6554] {
            dlrr.extend_from_slice(&w.to_be_bytes());
        }
        let mut s = RtcpSession::new();
        s.on_datagram(1_000_000_000, &rrt);
        s.on_datagram(1_250_000_000, &dlrr);
        let rtt = s.rtt_to(0xB).unwrap() as f64 / 1e6;
        assert!((rtt - 150.0).abs() < 0.01, "{rtt}");
    }
}
