//! Media tracking: the RTP/RTCP addresses SDP announced, and the statistics of every stream
//! seen on them (or found by the opt-in heuristic). No allocation per RTP packet: the maps are
//! keyed by fixed-size values and only grow when a new stream appears.
use crate::calls::MediaInfo;
use crate::net::{Endpoint, Flow};
use crate::rtp::rtt::RtcpSession;
use crate::rtp::{IntervalStats, RtpPacket, StreamStats, looks_like_rtcp, looks_like_rtp};
use crate::wire::decap::Segment;
use std::collections::HashMap;

// Fixed seed: deterministic, and fast for small fixed-size keys.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// An address announced in SDP: whose it is and what it carries.
#[derive(Debug, Clone)]
struct Target {
    leg: usize,
    /// The RTP address of the media section (the RTCP session key for both ports).
    rtp: Endpoint,
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
    /// Encoding name from SDP, if it named the payload type.
    pub encoding: Option<String>,
    pub first_frame: u64,
    pub stats: StreamStats,
    /// The SDP payload map the stream was matched with (for names and clocks).
    pub payloads: Vec<(u8, String, u32)>,
    /// Closed 10 s intervals (one push every 10 s of media, not per packet).
    pub intervals: Vec<IntervalStats>,
    /// The media section has `a=rtcp-mux`: RTCP may arrive on this stream's flow.
    pub mux: bool,
    /// Key of the RTCP session of this stream: its leg (both directions' RTCP meet there,
    /// so an SR and the RR answering it give the round trip).
    pub rtcp_key: Option<usize>,
    /// Live mode: capture time and packet count of the last periodic report.
    pub reported_at: crate::net::Nanos,
    pub reported_packets: u64,
}

impl Tracked {
    /// Heap bytes this stream owns besides its fixed size.
    pub fn heap_bytes(&self) -> usize {
        self.payloads.capacity() * std::mem::size_of::<(u8, String, u32)>()
            + self.payloads.iter().map(|p| p.1.capacity()).sum::<usize>()
            + self.intervals.capacity() * std::mem::size_of::<IntervalStats>()
            + self.stats.series().heap_bytes()
            + self.encoding.as_ref().map_or(0, String::capacity)
    }
}

pub(crate) struct MediaTracker {
    heuristic: bool,
    /// Capture time of the first frame: tshark computes times relative to it, and so must
    /// the statistics to round exactly as it does.
    pub origin: crate::net::Nanos,
    targets: FastMap<Endpoint, Target>,
    streams: FastMap<(Flow, u32), usize>,
    pub list: Vec<Tracked>,
    /// RTCP seen per leg (`usize::MAX` for RTCP found by the heuristic).
    pub rtcp: FastMap<usize, RtcpSession>,
    pub rtp_packets: u64,
    pub rtcp_packets: u64,
    pub rtp_malformed: u64,
    /// RTCP session key of the RTCP packet just taken (for live forwarding).
    pub last_rtcp: Option<usize>,
}

impl MediaTracker {
    pub fn new(heuristic: bool) -> Self {
        Self {
            heuristic,
            origin: 0,
            targets: FastMap::default(),
            streams: FastMap::default(),
            list: Vec::new(),
            rtcp: FastMap::default(),
            rtp_packets: 0,
            rtcp_packets: 0,
            rtp_malformed: 0,
            last_rtcp: None,
        }
    }

    /// Registers the addresses of one SDP media section of leg `leg`.
    pub fn announce(&mut self, m: &MediaInfo, leg: usize) {
        if !m.proto.contains("RTP") {
            return; // T.38 over UDPTL, MSRP, BFCP...: not RTP
        }
        let Some(rtp) = m.rtp else { return };
        if rtp.port == 0 || rtp.ip.is_unspecified() {
            return; // a rejected or held stream announces nothing to listen on
        }
        self.targets.insert(
            rtp,
            Target {
                leg,
                rtp,
                rtcp: false,
                mux: m.rtcp_mux,
                payloads: m.payloads.clone(),
            },
        );
        if let Some(rtcp) = m.rtcp.filter(|r| *r != rtp) {
            self.targets.insert(
                rtcp,
                Target {
                    leg,
                    rtp,
                    rtcp: true,
                    mux: false,
                    payloads: Vec::new(),
                },
            );
        }
    }

    /// A UDP datagram on an address SDP announced: counted as RTP or RTCP. Returns false when
    /// the address is not a media address.
    pub fn on_udp(&mut self, seg: &Segment<'_>, frame: u64) -> bool {
        // Parsed once for both paths below.
        let rtp = RtpPacket::new_checked(seg.payload)
            .ok()
            .filter(|p| p.version() == 2);
        // Fast path, most packets of an RTP-heavy capture: a known stream (one hash lookup).
        // An RTCP packet never hits it: its bytes 8..12 are not a known SSRC on this flow.
        if let Some(pkt) = &rtp
            && let Some(&idx) = self.streams.get(&(seg.flow, pkt.ssrc()))
            && !(self.list.get(idx).is_some_and(|s| s.mux) && looks_like_rtcp(seg.payload))
        {
            self.rtp_packets += 1;
            self.feed(idx, seg, pkt);
            return true;
        }
        // The destination's SDP decides first (as Wireshark does).
        let Some(target) = self
            .targets
            .get(&seg.flow.dst)
            .or_else(|| self.targets.get(&seg.flow.src))
        else {
            return false;
        };
        let (leg, rtp_addr, rtcp, mux) = (target.leg, target.rtp, target.rtcp, target.mux);
        if rtcp || (mux && looks_like_rtcp(seg.payload)) {
            self.on_rtcp(seg, leg);
            return true;
        }
        match rtp {
            Some(pkt) => self.on_rtp(seg, &pkt, Some((leg, rtp_addr)), frame),
            None => self.rtp_malformed += 1,
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
            self.on_rtcp(seg, usize::MAX);
            return true;
        }
        if looks_like_rtp(seg.payload)
            && let Ok(pkt) = RtpPacket::new_checked(seg.payload)
        {
            self.on_rtp(seg, &pkt, None, frame);
            return true;
        }
        false
    }

    /// One RTP packet of a stream: found by SDP (`media` = leg and announced address) or by
    /// the heuristic. The hot path: one map lookup, no allocation unless the stream is new.
    fn on_rtp(
        &mut self,
        seg: &Segment<'_>,
        pkt: &RtpPacket<'_>,
        media: Option<(usize, Endpoint)>,
        frame: u64,
    ) {
        self.rtp_packets += 1;
        let idx = match self.streams.get(&(seg.flow, pkt.ssrc())) {
            Some(&i) => i,
            None => self.new_stream(seg, pkt, media, frame),
        };
        self.feed(idx, seg, pkt);
    }

    fn feed(&mut self, idx: usize, seg: &Segment<'_>, pkt: &RtpPacket<'_>) {
        if let Some(s) = self.list.get_mut(idx) {
            s.stats.on_packet(seg.ts, pkt);
            while let Some(iv) = s.stats.pop_interval() {
                s.intervals.push(iv);
            }
        }
    }

    fn new_stream(
        &mut self,
        seg: &Segment<'_>,
        pkt: &RtpPacket<'_>,
        media: Option<(usize, Endpoint)>,
        frame: u64,
    ) -> usize {
        // Payload names and clocks come from the SDP that announced the receiving address
        // (as Wireshark resolves them), else the sender's.
        let target = media.and_then(|_| {
            self.targets
                .get(&seg.flow.dst)
                .filter(|t| !t.rtcp)
                .or_else(|| self.targets.get(&seg.flow.src))
        });
        let payloads = target.map(|t| t.payloads.clone()).unwrap_or_default();
        let mux = target.is_some_and(|t| t.mux);
        let mut stats = StreamStats::new();
        stats.set_time_origin(self.origin);
        for (pt, name, clock) in &payloads {
            stats.set_rtpmap(*pt, name, *clock);
        }
        let pt = pkt.payload_type();
        let encoding = payloads
            .iter()
            .find(|p| p.0 == pt && !p.1.is_empty())
            .map(|p| p.1.clone());
        let i = self.list.len();
        self.list.push(Tracked {
            flow: seg.flow,
            ssrc: pkt.ssrc(),
            leg: media.map(|m| m.0),
            found_by: if media.is_some() { "sdp" } else { "heuristic" },
            payload_type: pt,
            encoding,
            first_frame: frame,
            stats,
            payloads,
            // Six 10 s windows (a typical call) without reallocating on the packet path.
            intervals: Vec::with_capacity(6),
            mux,
            rtcp_key: media.map(|m| m.0),
            reported_at: seg.ts,
            reported_packets: 0,
        });
        self.streams.insert((seg.flow, pkt.ssrc()), i);
        i
    }

    /// Live mode: drops closed streams (`close[i]`) and the addresses and RTCP sessions of
    /// removed legs, renumbering legs by `leg_map` (old index -> new, `None` = removed).
    pub fn retain(&mut self, leg_map: &[Option<usize>], close: &[bool]) {
        let remap = |l: usize| leg_map.get(l).copied().flatten();
        self.targets.retain(|_, t| match remap(t.leg) {
            Some(n) => {
                t.leg = n;
                true
            }
            None => false,
        });
        let mut i = 0;
        self.list.retain_mut(|t| {
            let keep = !close.get(i).copied().unwrap_or(false);
            i += 1;
            if keep {
                t.leg = t.leg.and_then(remap);
                t.rtcp_key = t.rtcp_key.and_then(remap);
            }
            keep
        });
        self.streams.clear();
        for (i, t) in self.list.iter().enumerate() {
            self.streams.insert((t.flow, t.ssrc), i);
        }
        let rtcp = std::mem::take(&mut self.rtcp);
        for (k, v) in rtcp {
            // usize::MAX: RTCP found by the heuristic, not tied to a leg.
            let key = if k == usize::MAX { Some(k) } else { remap(k) };
            if let Some(key) = key {
                self.rtcp.insert(key, v);
            }
        }
    }

    fn on_rtcp(&mut self, seg: &Segment<'_>, key: usize) {
        self.rtcp_packets += 1;
        self.last_rtcp = Some(key);
        self.rtcp
            .entry(key)
            .or_default()
            .on_datagram(seg.ts, seg.payload);
    }
}
