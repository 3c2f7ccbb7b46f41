//! Media tracking: the RTP/RTCP addresses SDP announced, and the statistics of every stream
//! seen on them (or found by the opt-in heuristic). No allocation per RTP packet: the maps are
//! keyed by fixed-size values and only grow when a new stream appears.
use crate::calls::MediaInfo;
use crate::net::{Endpoint, Flow, Nanos};
use crate::rtp::packet::{RtpPacket, looks_like_rtp};
use crate::rtp::rtcp::{RtcpCompound, looks_like_rtcp};
use crate::rtp::stats::StreamStats;
use crate::wire::decap::Segment;
use std::collections::HashMap;

// Fixed seed: deterministic, and fast for small fixed-size keys.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// An address announced in SDP: whose it is and what it carries.
#[derive(Debug, Clone)]
struct Target {
    leg: usize,
    /// The RTCP port of an `m=` line (RTP port + 1 or `a=rtcp`).
    rtcp: bool,
    /// `a=rtcp-mux`: RTCP shares the RTP port, told apart by packet type.
    mux: bool,
    /// Payload types from this SDP: (pt, encoding, clock rate).
    payloads: Vec<(u8, String, u32)>,
}

/// A stream as the tracker keeps it.
pub(crate) struct Tracked {
    pub flow: Flow,
    pub ssrc: u32,
    pub leg: Option<usize>,
    pub found_by: &'static str,
    pub payload_type: u8,
    /// Encoding name from SDP or the static table, if known.
    pub encoding: Option<String>,
    pub clock_rate: u32,
    pub first_frame: u64,
    pub stats: StreamStats,
    pub rtcp: RtcpView,
}

/// What RTCP said about a stream (the endpoints' own view).
#[derive(Debug, Default, Clone)]
pub(crate) struct RtcpView {
    pub sender_reports: u64,
    pub receiver_reports: u64,
    pub fraction_lost: Option<f64>,
    pub cumulative_lost: Option<i64>,
    pub jitter_ts: Option<u32>,
    pub rtt_ms: Option<f64>,
}

pub(crate) struct MediaTracker {
    heuristic: bool,
    targets: FastMap<Endpoint, Target>,
    streams: FastMap<(Flow, u32), usize>,
    pub list: Vec<Tracked>,
    pub rtp_packets: u64,
    pub rtcp_packets: u64,
    pub rtp_malformed: u64,
}

impl MediaTracker {
    pub fn new(heuristic: bool) -> Self {
        Self {
            heuristic,
            targets: FastMap::default(),
            streams: FastMap::default(),
            list: Vec::new(),
            rtp_packets: 0,
            rtcp_packets: 0,
            rtp_malformed: 0,
        }
    }

    /// Registers the addresses of one SDP media section of leg `leg`.
    pub fn announce(&mut self, m: &MediaInfo, leg: usize, _frame: u64) {
        if !m.proto.contains("RTP") {
            return; // T.38 over UDPTL, MSRP, BFCP...: not RTP
        }
        if let Some(rtp) = m.rtp {
            if rtp.port != 0 && !rtp.ip.is_unspecified() {
                self.targets.insert(rtp, Target { leg, rtcp: false, mux: m.rtcp_mux, payloads: m.payloads.clone() });
                if let Some(rtcp) = m.rtcp {
                    if rtcp != rtp {
                        self.targets.insert(rtcp, Target { leg, rtcp: true, mux: false, payloads: Vec::new() });
                    }
                }
            }
        }
    }

    /// A UDP datagram on an address SDP announced: counted as RTP or RTCP. Returns false when
    /// the address is not a media address.
    pub fn on_udp(&mut self, seg: &Segment<'_>, frame: u64) -> bool {
        // The destination's SDP decides first (as Wireshark does: its payload type names come
        // from the SDP that announced the receiving address).
        let target = match self.targets.get(&seg.flow.dst) {
            Some(t) => t,
            None => match self.targets.get(&seg.flow.src) {
                Some(t) => t,
                None => return false,
            },
        };
        let (leg, rtcp, mux) = (target.leg, target.rtcp, target.mux);
        let is_rtcp = rtcp || (mux && looks_like_rtcp(seg.payload));
        if is_rtcp {
            self.on_rtcp(seg);
            return true;
        }
        match RtpPacket::new_checked(seg.payload) {
            Ok(pkt) if pkt.version() == 2 => {
                let (encoding, clock) = lookup_pt(self.targets.get(&seg.flow.dst).or_else(|| self.targets.get(&seg.flow.src)), pkt.payload_type());
                self.on_rtp(seg, &pkt, Some(leg), "sdp", frame, encoding, clock);
            }
            _ => self.rtp_malformed += 1,
        }
        true
    }

    /// A UDP datagram that is neither on a media address nor SIP: RTP/RTCP by heuristic when
    /// enabled. Returns true when it was taken.
    pub fn on_unknown_udp(&mut self, seg: &Segment<'_>, frame: u64) -> bool {
        if !self.heuristic {
            return false;
        }
        if looks_like_rtcp(seg.payload) {
            self.on_rtcp(seg);
            return true;
        }
        if looks_like_rtp(seg.payload) {
            if let Ok(pkt) = RtpPacket::new_checked(seg.payload) {
                self.on_rtp(seg, &pkt, None, "heuristic", frame, None, 0);
                return true;
            }
        }
        false
    }

    #[allow(clippy::too_many_arguments)]
    fn on_rtp(&mut self, seg: &Segment<'_>, pkt: &RtpPacket<'_>, leg: Option<usize>, found_by: &'static str, frame: u64, encoding: Option<&str>, clock: u32) {
        self.rtp_packets += 1;
        let key = (seg.flow, pkt.ssrc());
        let idx = match self.streams.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.list.len();
                let mut stats = StreamStats::new();
                if clock != 0 {
                    stats.set_clock_rate(clock);
                }
                self.list.push(Tracked {
                    flow: seg.flow,
                    ssrc: pkt.ssrc(),
                    leg,
                    found_by,
                    payload_type: pkt.payload_type(),
                    encoding: encoding.map(str::to_owned),
                    clock_rate: clock,
                    first_frame: frame,
                    stats,
                    rtcp: RtcpView::default(),
                });
                self.streams.insert(key, i);
                i
            }
        };
        if let Some(s) = self.list.get_mut(idx) {
            s.stats.on_packet(seg.ts, pkt);
        }
    }

    fn on_rtcp(&mut self, seg: &Segment<'_>) {
        self.rtcp_packets += 1;
        let _ = (RtcpCompound::new(seg.payload), seg.ts as Nanos);
    }
}

fn lookup_pt(target: Option<&Target>, pt: u8) -> (Option<&str>, u32) {
    if let Some(t) = target {
        if let Some((_, name, clock)) = t.payloads.iter().find(|p| p.0 == pt) {
            return (Some(name.as_str()), *clock);
        }
    }
    (None, 0)
}
