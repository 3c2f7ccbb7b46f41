//! The decapsulation stack: link layer -> (VLAN, QinQ, MPLS, PPPoE, GRE, ERSPAN, VXLAN, IP-in-IP,
//! GTP-U)* -> IPv4/IPv6 (with fragment reassembly) -> UDP/TCP/SCTP segment.
//!
//! - `Decoder::new(DecoderConfig)`; `Decoder::decode(&mut self, &Frame, &mut dyn FnMut(DecodeEvent<'_>))`
//!   calls the sink exactly once per frame today (the fuzz target asserts it; the contract
//!   allows more for tunnels that may one day carry several packets): a
//!   [`DecodeEvent::Segment`], a [`DecodeEvent::Malformed`] (counted, with the frame bytes) or
//!   a [`DecodeEvent::Ignored`] (counted by [`IgnoreReason`]). A fragment held for reassembly
//!   is `Ignored(FragmentHeld)`; the frame that completes the datagram yields its segment,
//!   whose payload borrows the decoder's reassembly buffer (as tshark shows it on that frame).
//! - Encapsulations nest in any order, bounded by [`DecoderConfig::max_depth`]. Ethernet
//!   (II and 802.3 LLC/SNAP), NULL/LOOP, raw IP (101, 12, 14, 228, 229), Linux SLL and SLL2;
//!   802.1Q/802.1ad/0x9100 tags; MPLS (IPv4/IPv6 by version nibble after the bottom of stack,
//!   else an Ethernet pseudowire, with control word when the nibble is 0); PPPoE session + PPP;
//!   GRE (checksum/key/sequence; IPv4, IPv6, MPLS, transparent Ethernet, ERSPAN I/II/III,
//!   PPTP enhanced GRE with PPP); VXLAN (UDP 4789); GTP-U G-PDU (UDP 2152, extension headers);
//!   IPv4/IPv6 in IPv4/IPv6.
//! - `Decoder::stats()` counts frames, segments, malformed, ignored by reason, fragments.
//! - The only state is fragment reassembly: its memory is bounded ([`DecoderConfig`]) and it
//!   expires by capture time. Nothing else allocates per packet.
//! - Lax where a capture is cut short: a payload longer than what was captured is clamped
//!   (counted in [`DecodeStats::truncated`]); only headers that do not fit are errors.
//! - ICMP errors quoting an IP + UDP/TCP/SCTP header give a segment with `icmp_quoted` set,
//!   whose flow is the quoted packet's (tshark dissects SIP inside ICMP errors the same way;
//!   a caller that wants tshark's SIP message counts keeps them, one that wants traffic
//!   only drops them).
use super::capture::{Frame, LinkType};
use super::error::{DecodeError, Layer, LenError, be};
use super::ethernet::{EthernetFrame, VlanTag, ethertype, llc_snap_ethertype};
use super::frag::{FragKey, FragLimits, FragOutcome, FragStats, Reassembler};
use super::gre::{ErspanII, ErspanIII, GreHeader};
use super::icmp::IcmpPacket;
use super::ipv4::{Ipv4Packet, protocol};
use super::ipv6::{Ipv6Packet, ext_header, is_extension};
use super::link::{NullFamily, NullHeader, Sll2Header, SllHeader, arphrd};
use super::mpls::{CONTROL_WORD_LEN, MplsEntry, MplsPayload, guess_payload};
use super::pppoe::{PppoeHeader, ppp_proto, ppp_split};
use super::sctp::SctpPacket;
use super::tcp::TcpPacket;
use super::udp::UdpPacket;
use super::vxlan::{GTPU_G_PDU, GTPU_PORT, GtpUHeader, VXLAN_PORT, VxlanHeader};
use crate::net::{Endpoint, Flow, Nanos, Transport};
use std::net::IpAddr;

/// TCP header fields the stream reassembler needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpInfo {
    pub seq: u32,
    pub ack: u32,
    /// TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
    pub flags: u8,
}

impl TcpInfo {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub fn syn(&self) -> bool {
        self.flags & Self::SYN != 0
    }
    pub fn fin(&self) -> bool {
        self.flags & Self::FIN != 0
    }
    pub fn rst(&self) -> bool {
        self.flags & Self::RST != 0
    }
}

/// A transport segment found inside a frame (the innermost IP packet's UDP/TCP/SCTP payload).
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub ts: Nanos,
    pub flow: Flow,
    /// `Udp`, `Tcp` or `Sctp` (never `Ws`: WebSocket is found by the stream layer).
    pub transport: Transport,
    /// Set for TCP.
    pub tcp: Option<TcpInfo>,
    /// UDP/TCP payload, or for SCTP everything after the 12-byte common header (the chunks).
    pub payload: &'a [u8],
    /// The segment was quoted inside an ICMP error rather than sent as such.
    pub icmp_quoted: bool,
}

/// Why a frame gave no segment without being malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// The capture's link type is not one the decoder knows.
    LinkType,
    /// Not IP: ARP, LLDP, STP and other EtherTypes, LLC, PPP control protocols.
    NonIp,
    /// An IP protocol without segments (IGMP, VRRP, OSPF, ESP, no next header, ...).
    IpProtocol,
    /// ICMP that is not an error quoting a UDP/TCP/SCTP header (echo, or a short quote).
    IcmpNoSegment,
    /// A fragment kept for reassembly; its datagram is not complete yet.
    FragmentHeld,
    /// A fragment rejected by reassembly (too large, misaligned, contradictory, cut short).
    FragmentRejected,
    /// A header does not fit because the capture's snap length cut the frame
    /// (`data.len() < orig_len`): the traffic was not malformed, the capture was short.
    Snapped,
}

impl IgnoreReason {
    /// Number of reasons (size of [`DecodeStats::ignored`]).
    pub const COUNT: usize = 7;
    /// All reasons, in index order.
    pub const ALL: [IgnoreReason; Self::COUNT] = [
        IgnoreReason::LinkType,
        IgnoreReason::NonIp,
        IgnoreReason::IpProtocol,
        IgnoreReason::IcmpNoSegment,
        IgnoreReason::FragmentHeld,
        IgnoreReason::FragmentRejected,
        IgnoreReason::Snapped,
    ];
    /// Index into [`DecodeStats::ignored`].
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::LinkType => "link-type",
            IgnoreReason::NonIp => "non-ip",
            IgnoreReason::IpProtocol => "ip-protocol",
            IgnoreReason::IcmpNoSegment => "icmp-no-segment",
            IgnoreReason::FragmentHeld => "fragment-held",
            IgnoreReason::FragmentRejected => "fragment-rejected",
            IgnoreReason::Snapped => "snapped",
        }
    }
}

/// What the decoder found in a frame.
#[derive(Debug, Clone, Copy)]
pub enum DecodeEvent<'a> {
    /// A UDP/TCP/SCTP segment (its payload borrows the frame or a reassembly buffer).
    Segment(Segment<'a>),
    /// A header did not parse; `data` is the whole frame.
    Malformed {
        ts: Nanos,
        layer: Layer,
        error: DecodeError,
        data: &'a [u8],
    },
    /// Nothing to decode here (not an error).
    Ignored { ts: Nanos, reason: IgnoreReason },
}

/// Decoder settings. `Default` gives the values documented on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Most header layers walked per frame (each Ethernet/VLAN/MPLS label/PPP/tunnel/IP header
    /// counts one). Default 32.
    pub max_depth: u8,
    /// Bytes held by all datagrams being reassembled. Default 8 MiB.
    pub frag_max_bytes: usize,
    /// Datagrams being reassembled at once; the oldest is evicted beyond. Default 1024.
    pub frag_max_datagrams: usize,
    /// A datagram not complete this long (capture time) after its first fragment is dropped.
    /// Default 30 s (Linux `ipfrag_time`).
    pub frag_timeout: Nanos,
    /// Largest reassembled payload accepted, in bytes. Default 65535.
    pub frag_max_datagram_size: usize,
    /// UDP destination port decoded as VXLAN (`None` disables). Default 4789.
    pub vxlan_port: Option<u16>,
    /// UDP port decoded as GTP-U (`None` disables). Default 2152.
    pub gtpu_port: Option<u16>,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            max_depth: 32,
            frag_max_bytes: 8 << 20,
            frag_max_datagrams: 1024,
            frag_timeout: 30_000_000_000,
            frag_max_datagram_size: 65_535,
            vxlan_port: Some(VXLAN_PORT),
            gtpu_port: Some(GTPU_PORT),
        }
    }
}

/// Counters since the decoder was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub frames: u64,
    /// Segments emitted (all transports, ICMP-quoted included).
    pub segments: u64,
    pub udp: u64,
    pub tcp: u64,
    pub sctp: u64,
    /// Segments quoted in ICMP errors (included in `segments` and the per-transport counts).
    pub icmp_quoted: u64,
    pub malformed: u64,
    /// Packets whose IP or UDP length exceeds the captured bytes (payload clamped).
    pub truncated: u64,
    /// Frames ignored, indexed by [`IgnoreReason::index`].
    pub ignored: [u64; IgnoreReason::COUNT],
    /// Fragment reassembly counters.
    pub frag: FragStats,
}

impl DecodeStats {
    pub fn ignored(&self, reason: IgnoreReason) -> u64 {
        self.ignored.get(reason.index()).copied().unwrap_or(0)
    }
}

/// Where the walk goes next.
#[derive(Debug, Clone, Copy)]
enum Next {
    Ethernet,
    EtherType(u16),
    Ipv4,
    Ipv6,
    /// IP of either version, by the first nibble (raw IP, GTP-U, ERSPAN III IP frames).
    IpGuess,
    Ppp,
    Mpls,
    /// ERSPAN type II (`true`), or type I (no ERSPAN header: GRE without sequence number).
    ErspanII(bool),
    ErspanIII,
}

impl Next {
    fn layer(self) -> Layer {
        match self {
            Next::Ethernet => Layer::Ethernet,
            Next::EtherType(_) => Layer::Ethernet,
            Next::Ipv4 | Next::IpGuess => Layer::Ipv4,
            Next::Ipv6 => Layer::Ipv6,
            Next::Ppp => Layer::Ppp,
            Next::Mpls => Layer::Mpls,
            Next::ErspanII(_) | Next::ErspanIII => Layer::Erspan,
        }
    }
}

type Sink<'s> = dyn FnMut(DecodeEvent<'_>) + 's;

fn at<E: Into<DecodeError>>(base: usize) -> impl Fn(E) -> DecodeError {
    move |e| e.into().at(base)
}

/// Turns frames into transport segments. Stateful only for fragment reassembly.
#[derive(Debug)]
pub struct Decoder {
    cfg: DecoderConfig,
    frags: Reassembler,
    stats: DecodeStats,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DecoderConfig::default())
    }
}

impl Decoder {
    pub fn new(cfg: DecoderConfig) -> Self {
        let limits = FragLimits {
            max_bytes: cfg.frag_max_bytes,
            max_datagrams: cfg.frag_max_datagrams,
            timeout: cfg.frag_timeout,
            max_datagram_size: cfg.frag_max_datagram_size,
        };
        Self {
            cfg,
            frags: Reassembler::new(limits),
            stats: DecodeStats::default(),
        }
    }

    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// Datagrams being reassembled, and the bytes they hold.
    pub fn fragments_in_flight(&self) -> (usize, usize) {
        self.frags.in_flight()
    }

    /// Decodes one frame, calling `sink` for what it finds.
    pub fn decode(&mut self, frame: &Frame<'_>, sink: &mut dyn FnMut(DecodeEvent<'_>)) {
        self.stats.frames += 1;
        if self.frags.in_flight().0 > 0 {
            self.frags.expire(frame.ts);
            self.stats.frag = self.frags.stats;
        }
        if let Err(error) = self.link(frame, sink) {
            let snapped = frame.data.len() < frame.orig_len as usize;
            if snapped && matches!(error, DecodeError::Len(_)) {
                let _ = self.ignore(frame.ts, IgnoreReason::Snapped, sink);
                return;
            }
            self.stats.malformed += 1;
            sink(DecodeEvent::Malformed {
                ts: frame.ts,
                layer: error.layer(),
                error,
                data: frame.data,
            });
        }
    }

    fn ignore(
        &mut self,
        ts: Nanos,
        reason: IgnoreReason,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        if let Some(n) = self.stats.ignored.get_mut(reason.index()) {
            *n += 1;
        }
        sink(DecodeEvent::Ignored { ts, reason });
        Ok(())
    }

    fn link(&mut self, frame: &Frame<'_>, sink: &mut Sink<'_>) -> Result<(), DecodeError> {
        let (ts, data) = (frame.ts, frame.data);
        let (next, rest, base) = match frame.link_type {
            LinkType::ETHERNET => (Next::Ethernet, data, 0),
            LinkType::NULL | LinkType::LOOP => {
                let h = NullHeader::new_checked(data)?;
                let next = match h.family() {
                    NullFamily::Ipv4 => Next::Ipv4,
                    NullFamily::Ipv6 => Next::Ipv6,
                    NullFamily::Unknown(_) => return self.ignore(ts, IgnoreReason::NonIp, sink),
                };
                (next, h.payload(), NullHeader::HEADER_LEN)
            }
            // 12 and 14 are raw IP on some BSDs (LINKTYPE_RAW's DLT values).
            LinkType::RAW | LinkType(12) | LinkType(14) => (Next::IpGuess, data, 0),
            LinkType::IPV4 => (Next::Ipv4, data, 0),
            LinkType::IPV6 => (Next::Ipv6, data, 0),
            LinkType::LINUX_SLL => {
                let h = SllHeader::new_checked(data)?;
                match sll_next(h.arphrd(), h.protocol()) {
                    Some(n) => (n, h.payload(), SllHeader::HEADER_LEN),
                    None => return self.ignore(ts, IgnoreReason::NonIp, sink),
                }
            }
            LinkType::LINUX_SLL2 => {
                let h = Sll2Header::new_checked(data)?;
                match sll_next(h.arphrd(), h.protocol()) {
                    Some(n) => (n, h.payload(), Sll2Header::HEADER_LEN),
                    None => return self.ignore(ts, IgnoreReason::NonIp, sink),
                }
            }
            _ => return self.ignore(ts, IgnoreReason::LinkType, sink),
        };
        self.walk(ts, next, rest, base, 0, sink)
    }

    /// Walks link and tunnel headers until an IP header, which continues in `ipv4`/`ipv6`.
    fn walk(
        &mut self,
        ts: Nanos,
        mut next: Next,
        mut data: &[u8],
        mut base: usize,
        mut depth: u8,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        loop {
            depth = depth.saturating_add(1);
            if depth > self.cfg.max_depth {
                return Err(DecodeError::TooDeep {
                    layer: next.layer(),
                    offset: base,
                    limit: self.cfg.max_depth,
                });
            }
            next = match next {
                Next::Ethernet => {
                    let eth = EthernetFrame::new_checked(data).map_err(at(base))?;
                    base += EthernetFrame::HEADER_LEN;
                    data = eth.payload();
                    match self.type_or_llc(eth.ethertype(), &mut data, &mut base) {
                        Some(n) => n,
                        None => return self.ignore(ts, IgnoreReason::NonIp, sink),
                    }
                }
                Next::EtherType(t) => match t {
                    ethertype::IPV4 => Next::Ipv4,
                    ethertype::IPV6 => Next::Ipv6,
                    ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD => {
                        let tag = VlanTag::new_checked(data).map_err(at(base))?;
                        base += VlanTag::HEADER_LEN;
                        data = tag.payload();
                        match self.type_or_llc(tag.ethertype(), &mut data, &mut base) {
                            Some(n) => n,
                            None => return self.ignore(ts, IgnoreReason::NonIp, sink),
                        }
                    }
                    ethertype::MPLS | ethertype::MPLS_MCAST => Next::Mpls,
                    ethertype::PPPOE_SESSION => {
                        let h = PppoeHeader::new_checked(data).map_err(at(base))?;
                        base += PppoeHeader::HEADER_LEN;
                        data = h.payload();
                        Next::Ppp
                    }
                    ethertype::PPP => Next::Ppp,
                    ethertype::TEB => Next::Ethernet,
                    ethertype::ERSPAN_II => Next::ErspanII(true),
                    ethertype::ERSPAN_III => Next::ErspanIII,
                    _ => return self.ignore(ts, IgnoreReason::NonIp, sink),
                },
                Next::Ppp => {
                    let (proto, rest) = ppp_split(data).map_err(at(base))?;
                    base += data.len() - rest.len();
                    data = rest;
                    match proto {
                        ppp_proto::IPV4 => Next::Ipv4,
                        ppp_proto::IPV6 => Next::Ipv6,
                        ppp_proto::MPLS => Next::Mpls,
                        _ => return self.ignore(ts, IgnoreReason::NonIp, sink),
                    }
                }
                Next::Mpls => {
                    let e = MplsEntry::new_checked(data).map_err(at(base))?;
                    base += MplsEntry::HEADER_LEN;
                    data = e.payload();
                    if !e.bottom() {
                        Next::Mpls
                    } else {
                        match guess_payload(data) {
                            MplsPayload::Ipv4 => Next::Ipv4,
                            MplsPayload::Ipv6 => Next::Ipv6,
                            MplsPayload::Ethernet => Next::Ethernet,
                            MplsPayload::EthernetWithControlWord => {
                                LenError::check(Layer::Mpls, data, CONTROL_WORD_LEN)
                                    .map_err(at(base))?;
                                base += CONTROL_WORD_LEN;
                                data = be::tail(data, CONTROL_WORD_LEN);
                                Next::Ethernet
                            }
                        }
                    }
                }
                Next::ErspanII(false) => Next::Ethernet,
                Next::ErspanII(true) => {
                    let e = ErspanII::new_checked(data).map_err(at(base))?;
                    base += ErspanII::HEADER_LEN;
                    data = e.payload();
                    Next::Ethernet
                }
                Next::ErspanIII => {
                    let e = ErspanIII::new_checked(data).map_err(at(base))?;
                    base += data.len() - e.payload().len();
                    data = e.payload();
                    match e.frame_type() {
                        0 => Next::Ethernet,
                        2 => Next::IpGuess,
                        _ => return self.ignore(ts, IgnoreReason::NonIp, sink),
                    }
                }
                Next::IpGuess => match data.first().map(|b| b >> 4) {
                    Some(4) => Next::Ipv4,
                    Some(6) => Next::Ipv6,
                    Some(_) => {
                        return Err(DecodeError::invalid(
                            Layer::Ipv4,
                            "IP version is neither 4 nor 6",
                        )
                        .at(base));
                    }
                    None => {
                        return Err(LenError {
                            layer: Layer::Ipv4,
                            required: 1,
                            len: 0,
                            offset: base,
                        }
                        .into());
                    }
                },
                Next::Ipv4 => return self.ipv4(ts, data, base, depth, sink),
                Next::Ipv6 => return self.ipv6(ts, data, base, depth, sink),
            };
        }
    }

    /// An Ethernet type field: an EtherType, or an 802.3 length followed by LLC (SNAP gives an
    /// EtherType; plain LLC such as STP is not IP).
    fn type_or_llc(&self, t: u16, data: &mut &[u8], base: &mut usize) -> Option<Next> {
        if t > ethertype::MAX_802_3_LEN {
            return Some(Next::EtherType(t));
        }
        let llc = be::range(data, 0, usize::from(t));
        let (t, rest) = llc_snap_ethertype(llc)?;
        *base += llc.len() - rest.len();
        *data = rest;
        Some(Next::EtherType(t))
    }

    fn ipv4(
        &mut self,
        ts: Nanos,
        data: &[u8],
        base: usize,
        depth: u8,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        let ip = Ipv4Packet::new_checked(data).map_err(at(base))?;
        let truncated = ip.is_truncated();
        if truncated {
            self.stats.truncated += 1;
        }
        let (src, dst) = (IpAddr::V4(ip.src()), IpAddr::V4(ip.dst()));
        let pbase = base + ip.header_len();
        if ip.is_fragment() {
            let key = FragKey {
                src,
                dst,
                ident: u32::from(ip.ident()),
                protocol: ip.protocol(),
            };
            let frag = FragIn {
                offset: ip.frag_offset(),
                more: ip.more_fragments(),
                truncated,
                v6: false,
            };
            return self.reassemble(ts, key, frag, ip.payload(), pbase, depth, sink);
        }
        self.ip_payload(
            ts,
            ip.protocol(),
            src,
            dst,
            ip.payload(),
            pbase,
            depth,
            sink,
        )
    }

    fn ipv6(
        &mut self,
        ts: Nanos,
        data: &[u8],
        base: usize,
        depth: u8,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        let ip = Ipv6Packet::new_checked(data).map_err(at(base))?;
        let truncated = ip.is_truncated();
        if truncated {
            self.stats.truncated += 1;
        }
        let (src, dst) = (IpAddr::V6(ip.src()), IpAddr::V6(ip.dst()));
        let chain = Ipv6Chain {
            src,
            dst,
            truncated,
            reassembled: false,
        };
        self.ipv6_chain(
            ts,
            chain,
            ip.next_header(),
            ip.payload(),
            base + Ipv6Packet::HEADER_LEN,
            depth,
            sink,
        )
    }

    /// Skips IPv6 extension headers; a fragment header sends the rest to reassembly.
    #[allow(clippy::too_many_arguments)] // the walk state, kept in registers rather than a struct
    fn ipv6_chain(
        &mut self,
        ts: Nanos,
        chain: Ipv6Chain,
        mut next: u8,
        mut data: &[u8],
        mut base: usize,
        depth: u8,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        while is_extension(next) {
            let h = ext_header(next, data).map_err(at(base))?;
            base += h.len;
            if let Some(f) = h.frag {
                let atomic = f.offset == 0 && !f.more; // RFC 6946: not really fragmented
                if !atomic {
                    if chain.reassembled {
                        return Err(DecodeError::invalid(
                            Layer::Ipv6Ext,
                            "fragment header inside a reassembled datagram",
                        )
                        .at(base - h.len));
                    }
                    let key = FragKey {
                        src: chain.src,
                        dst: chain.dst,
                        ident: f.ident,
                        protocol: f.next_header,
                    };
                    let frag = FragIn {
                        offset: f.offset,
                        more: f.more,
                        truncated: chain.truncated,
                        v6: true,
                    };
                    return self.reassemble(ts, key, frag, h.rest, base, depth, sink);
                }
            }
            next = h.next_header;
            data = h.rest;
        }
        self.ip_payload(ts, next, chain.src, chain.dst, data, base, depth, sink)
    }

    #[allow(clippy::too_many_arguments)]
    fn reassemble(
        &mut self,
        ts: Nanos,
        key: FragKey,
        frag: FragIn,
        payload: &[u8],
        base: usize,
        depth: u8,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        if frag.truncated {
            // The snap length cut this fragment: its bytes cannot complete a datagram.
            return self.ignore(ts, IgnoreReason::FragmentRejected, sink);
        }
        let outcome = self.frags.insert(key, ts, frag.offset, frag.more, payload);
        self.stats.frag = self.frags.stats;
        match outcome {
            FragOutcome::Held => self.ignore(ts, IgnoreReason::FragmentHeld, sink),
            FragOutcome::Rejected => self.ignore(ts, IgnoreReason::FragmentRejected, sink),
            FragOutcome::Complete(buf) => {
                let r = if frag.v6 {
                    let chain = Ipv6Chain {
                        src: key.src,
                        dst: key.dst,
                        truncated: false,
                        reassembled: true,
                    };
                    self.ipv6_chain(ts, chain, key.protocol, &buf, base, depth, sink)
                } else {
                    self.ip_payload(ts, key.protocol, key.src, key.dst, &buf, base, depth, sink)
                };
                self.frags.recycle(buf);
                r
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ip_payload(
        &mut self,
        ts: Nanos,
        proto: u8,
        src: IpAddr,
        dst: IpAddr,
        data: &[u8],
        base: usize,
        depth: u8,
        sink: &mut Sink<'_>,
    ) -> Result<(), DecodeError> {
        match proto {
            protocol::UDP => {
                let u = UdpPacket::new_checked(data).map_err(at(base))?;
                if u.is_truncated() {
                    self.stats.truncated += 1;
                }
                let payload = u.payload();
                let pbase = base + UdpPacket::HEADER_LEN;
                let vxlan = (self.cfg.vxlan_port == Some(u.dst_port()))
                    .then(|| VxlanHeader::new_checked(payload).ok())
                    .flatten();
                if let Some(v) = vxlan {
                    let vbase = pbase + VxlanHeader::HEADER_LEN;
                    return self.walk(ts, Next::Ethernet, v.payload(), vbase, depth, sink);
                }
                let gtp = self.cfg.gtpu_port;
                let gtp_port =
                    gtp.is_some() && (gtp == Some(u.dst_port()) || gtp == Some(u.src_port()));
                let gpdu = gtp_port
                    .then(|| GtpUHeader::new_checked(payload).ok())
                    .flatten()
                    .filter(|g| g.message_type() == GTPU_G_PDU);
                if let Some(g) = gpdu {
                    let gbase = pbase + g.header_len();
                    return self.walk(ts, Next::IpGuess, g.payload(), gbase, depth, sink);
                }
                let flow = flow(src, u.src_port(), dst, u.dst_port());
                self.emit(ts, flow, Transport::Udp, None, payload, false, sink);
            }
            protocol::TCP => {
                let t = TcpPacket::new_checked(data).map_err(at(base))?;
                let flow = flow(src, t.src_port(), dst, t.dst_port());
                self.emit(
                    ts,
                    flow,
                    Transport::Tcp,
                    Some(t.info()),
                    t.payload(),
                    false,
                    sink,
                );
            }
            protocol::SCTP => {
                let s = SctpPacket::new_checked(data).map_err(at(base))?;
                let flow = flow(src, s.src_port(), dst, s.dst_port());
                self.emit(ts, flow, Transport::Sctp, None, s.chunks(), false, sink);
            }
            protocol::ICMP | protocol::ICMPV6 => {
                let icmp = IcmpPacket::new_checked(data).map_err(at(base))?;
                let error = if proto == protocol::ICMP {
                    icmp.is_v4_error()
                } else {
                    icmp.is_v6_error()
                };
                match quoted_segment(icmp.body()).filter(|_| error) {
                    Some((flow, transport, tcp, payload)) => {
                        self.emit(ts, flow, transport, tcp, payload, true, sink)
                    }
                    None => return self.ignore(ts, IgnoreReason::IcmpNoSegment, sink),
                }
            }
            protocol::IPIP => return self.walk(ts, Next::Ipv4, data, base, depth, sink),
            protocol::IPV6 => return self.walk(ts, Next::Ipv6, data, base, depth, sink),
            protocol::GRE => {
                let g = GreHeader::new_checked(data).map_err(at(base))?;
                let next = match g.protocol() {
                    ethertype::ERSPAN_II => Next::ErspanII(g.has_seq()),
                    ethertype::ERSPAN_III => Next::ErspanIII,
                    t => Next::EtherType(t),
                };
                return self.walk(ts, next, g.payload(), base + g.header_len(), depth, sink);
            }
            _ => return self.ignore(ts, IgnoreReason::IpProtocol, sink),
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        ts: Nanos,
        flow: Flow,
        transport: Transport,
        tcp: Option<TcpInfo>,
        payload: &[u8],
        icmp_quoted: bool,
        sink: &mut Sink<'_>,
    ) {
        let s = &mut self.stats;
        s.segments += 1;
        match transport {
            Transport::Udp => s.udp += 1,
            Transport::Tcp => s.tcp += 1,
            Transport::Sctp | Transport::Ws => s.sctp += 1,
        }
        if icmp_quoted {
            s.icmp_quoted += 1;
        }
        sink(DecodeEvent::Segment(Segment {
            ts,
            flow,
            transport,
            tcp,
            payload,
            icmp_quoted,
        }));
    }
}

/// A fragment's position, from its IPv4 header or IPv6 fragment header.
#[derive(Debug, Clone, Copy)]
struct FragIn {
    offset: usize,
    more: bool,
    truncated: bool,
    v6: bool,
}

#[derive(Debug, Clone, Copy)]
struct Ipv6Chain {
    src: IpAddr,
    dst: IpAddr,
    truncated: bool,
    reassembled: bool,
}

fn flow(src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> Flow {
    Flow {
        src: Endpoint::new(src, sport),
        dst: Endpoint::new(dst, dport),
    }
}

/// The SLL protocol field is an EtherType except for a few pseudo-protocols below 0x0600
/// (802.2 LLC, 802.3, CAN, ...) and netlink captures.
fn sll_next(hatype: u16, proto: u16) -> Option<Next> {
    if hatype == arphrd::NETLINK || proto < 0x0600 {
        return None;
    }
    Some(Next::EtherType(proto))
}

/// The packet quoted by an ICMP error, if it holds a whole UDP/TCP/SCTP header. Lax: the
/// quote is usually shorter than the lengths it declares, so payloads are clamped.
fn quoted_segment(body: &[u8]) -> Option<(Flow, Transport, Option<TcpInfo>, &[u8])> {
    let (src, dst, mut proto, mut data) = match body.first()? >> 4 {
        4 => {
            let ip = Ipv4Packet::new_checked(body).ok()?;
            if ip.frag_offset() != 0 {
                return None;
            }
            (
                IpAddr::V4(ip.src()),
                IpAddr::V4(ip.dst()),
                ip.protocol(),
                ip.payload(),
            )
        }
        6 => {
            let ip = Ipv6Packet::new_checked(body).ok()?;
            (
                IpAddr::V6(ip.src()),
                IpAddr::V6(ip.dst()),
                ip.next_header(),
                ip.payload(),
            )
        }
        _ => return None,
    };
    while is_extension(proto) {
        let h = ext_header(proto, data).ok()?;
        if h.frag.is_some_and(|f| f.offset != 0) {
            return None;
        }
        proto = h.next_header;
        data = h.rest;
    }
    match proto {
        protocol::UDP => {
            let u = UdpPacket::new_checked(data).ok()?;
            Some((
                flow(src, u.src_port(), dst, u.dst_port()),
                Transport::Udp,
                None,
                u.payload(),
            ))
        }
        protocol::TCP => {
            let t = TcpPacket::new_checked(data).ok()?;
            Some((
                flow(src, t.src_port(), dst, t.dst_port()),
                Transport::Tcp,
                Some(t.info()),
                t.payload(),
            ))
        }
        protocol::SCTP => {
            let s = SctpPacket::new_checked(data).ok()?;
            Some((
                flow(src, s.src_port(), dst, s.dst_port()),
                Transport::Sctp,
                None,
                s.chunks(),
            ))
        }
        _ => None,
    }
}
