//! RTCP at a passive observer (VOICE_QUALITY.md §6): round-trip time from SR/RR pairs using
//! the probe's own capture times, and the figures the endpoints report about each other,
//! kept apart from our measurements. Fixed-size state, no allocation.

use super::rtcp::{ReportBlock, RtcpCompound, RtcpPacket};
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
}
