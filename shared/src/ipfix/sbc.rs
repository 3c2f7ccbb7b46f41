//! The Oracle/Acme SBC "comm-monitor" record layouts (`IPFIX.md` §3.4): handshake (256/257),
//! SIP over UDP (258/259, whole IP datagram), SIP over TCP (260/261), QoS (268). Each layout is
//! a struct of fixed big-endian fields and borrowed variable-length slices, with `parse` (from a
//! set body) and `emit` (to a set body).
use super::error::{DatagramError, EncodeError, IpfixError};
use super::reader::{Reader, put_varlen_long, put_varlen_short};
use crate::net::{Endpoint, Nanos};
use crate::wire::ipv4::{Ipv4Packet, protocol};
use crate::wire::ipv6::{self, Ipv6Packet};
use crate::wire::udp::UdpPacket;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};

/// Direction of a SIP copy, seen from the SBC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Received by the SBC (258, 260).
    In,
    /// Sent by the SBC (259, 261).
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Capture time as the SBC sends it: Unix seconds and microseconds, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SbcTime {
    pub sec: u32,
    pub usec: u32,
}

impl SbcTime {
    /// Nanoseconds since the epoch (a microsecond field above 999999 is taken as is).
    pub fn nanos(self) -> Nanos {
        u64::from(self.sec)
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(self.usec).saturating_mul(1_000))
    }

    /// The time of `ns` nanoseconds since the epoch (seconds wrap past 2106).
    pub fn from_nanos(ns: Nanos) -> Self {
        Self {
            sec: (ns / 1_000_000_000) as u32,
            usec: ((ns % 1_000_000_000) / 1_000) as u32,
        }
    }

    fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Self, IpfixError> {
        Ok(Self {
            sec: r.u32(what)?,
            usec: r.u32(what)?,
        })
    }

    fn emit(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sec.to_be_bytes());
        out.extend_from_slice(&self.usec.to_be_bytes());
    }
}

/// The SBC interface a message crossed: physical slot, port and VLAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interface {
    pub slot: u8,
    pub port: u8,
    pub vlan: u16,
}

impl Interface {
    fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Self, IpfixError> {
        Ok(Self {
            slot: r.u8(what)?,
            port: r.u8(what)?,
            vlan: r.u16(what)?,
        })
    }

    fn emit(self, out: &mut Vec<u8>) {
        out.push(self.slot);
        out.push(self.port);
        out.extend_from_slice(&self.vlan.to_be_bytes());
    }
}

fn read_v4(r: &mut Reader<'_>, what: &'static str) -> Result<Ipv4Addr, IpfixError> {
    Ok(Ipv4Addr::from(r.array::<4>(what)?))
}

fn too_long(what: &'static str) -> impl Fn(usize) -> EncodeError {
    move |len| EncodeError::TooLong { what, len }
}

// ---------------------------------------------------------------- 256 / 257

/// Set 256 (and its echo 257): the SBC's handshake, 21 fixed bytes and a short varlen
/// hostname.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake<'a> {
    pub major: u16,
    pub minor: u16,
    pub cflags1: u16,
    pub cflags2: u16,
    pub sflags: u16,
    /// Keepalive/idle timeout in seconds (0: disabled).
    pub timeout: u16,
    pub system_id: u32,
    /// Software train, two ASCII letters in the sample ("CZ").
    pub product: u16,
    pub sw_major: u8,
    pub sw_minor: u8,
    pub sw_revision: u8,
    pub hostname: &'a [u8],
}

impl<'a> Handshake<'a> {
    pub fn parse(body: &'a [u8]) -> Result<Self, IpfixError> {
        const W: &str = "handshake";
        let mut r = Reader::new(body);
        Ok(Self {
            major: r.u16(W)?,
            minor: r.u16(W)?,
            cflags1: r.u16(W)?,
            cflags2: r.u16(W)?,
            sflags: r.u16(W)?,
            timeout: r.u16(W)?,
            system_id: r.u32(W)?,
            product: r.u16(W)?,
            sw_major: r.u8(W)?,
            sw_minor: r.u8(W)?,
            sw_revision: r.u8(W)?,
            hostname: r.varlen("handshake hostname")?,
        })
    }

    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        for v in [
            self.major,
            self.minor,
            self.cflags1,
            self.cflags2,
            self.sflags,
            self.timeout,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.system_id.to_be_bytes());
        out.extend_from_slice(&self.product.to_be_bytes());
        out.extend_from_slice(&[self.sw_major, self.sw_minor, self.sw_revision]);
        put_varlen_short(out, self.hostname).map_err(too_long("hostname"))
    }

    /// Software version as `major.minor.revision`.
    pub fn software(&self) -> String {
        format!("{}.{}.{}", self.sw_major, self.sw_minor, self.sw_revision)
    }

    /// The hostname as text (invalid UTF-8 replaced).
    pub fn hostname_lossy(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.hostname)
    }
}

/// The collector's reply to a handshake message: the message echoed with the set ID at
/// `set_offset` changed from 256 to 257 (`IPFIX.md` §3.2, voipmonitor's variant). When
/// `timeout` is given, the handshake's Timeout field is replaced (horaclifix answers 0).
pub fn handshake_reply(message: &[u8], set_offset: usize, timeout: Option<u16>) -> Vec<u8> {
    let mut m = message.to_vec();
    if let Some(s) = m.get_mut(set_offset..set_offset.saturating_add(2)) {
        s.copy_from_slice(&super::message::set_id::HANDSHAKE_ACK.to_be_bytes());
    }
    if let Some(t) = timeout {
        // Timeout is at body offset 10; the body starts after the 4-byte set header.
        let at = set_offset.saturating_add(4 + 10);
        if let Some(s) = m.get_mut(at..at.saturating_add(2)) {
            s.copy_from_slice(&t.to_be_bytes());
        }
    }
    m
}

// ---------------------------------------------------------------- 258 / 259

/// Sets 258 (received) and 259 (sent): SIP over UDP as the whole IP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUdpRecord<'a> {
    pub time: SbcTime,
    pub iface: Interface,
    /// The SBC's Call-ID of the egress leg; only in 259.
    pub call_id: Option<&'a [u8]>,
    /// IPv4 or IPv6 header, UDP header and SIP payload, as on the wire.
    pub datagram: &'a [u8],
}

impl<'a> SipUdpRecord<'a> {
    /// Parses a 258 (`Direction::In`) or 259 (`Direction::Out`) body.
    pub fn parse(body: &'a [u8], direction: Direction) -> Result<Self, IpfixError> {
        let mut r = Reader::new(body);
        let time = SbcTime::read(&mut r, "SIP/UDP record timestamp")?;
        let iface = Interface::read(&mut r, "SIP/UDP record interface")?;
        let call_id = match direction {
            Direction::Out => Some(r.varlen("SIP/UDP record call-id")?),
            Direction::In => None,
        };
        let datagram = r.varlen("SIP/UDP record IP datagram")?;
        Ok(Self {
            time,
            iface,
            call_id,
            datagram,
        })
    }

    /// Appends the body: call-id in the short form, the datagram in the long form, as the SBC.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.time.emit(out);
        self.iface.emit(out);
        if let Some(c) = self.call_id {
            put_varlen_short(out, c).map_err(too_long("call-id"))?;
        }
        put_varlen_long(out, self.datagram).map_err(too_long("IP datagram"))
    }

    /// Decodes the embedded datagram's addresses, ports and UDP payload.
    pub fn udp(&self) -> Result<UdpDatagram<'a>, DatagramError> {
        UdpDatagram::parse(self.datagram)
    }
}

/// A decoded IPv4/IPv6 + UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// 4 or 6.
    pub ip_version: u8,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub payload: &'a [u8],
}

/// IPv6 extension headers walked before giving up.
const MAX_EXT_HEADERS: usize = 8;

impl<'a> UdpDatagram<'a> {
    /// Parses an IP datagram carrying UDP, with `callscope_shared::wire`'s checked views. The
    /// datagram must be whole: no fragment, IP and UDP lengths within the bytes.
    pub fn parse(buf: &'a [u8]) -> Result<Self, DatagramError> {
        let version = buf.first().map_or(0, |b| b >> 4);
        let (src_ip, dst_ip, l4): (IpAddr, IpAddr, &'a [u8]) = match version {
            4 => {
                let ip = Ipv4Packet::new_checked(buf)?;
                if ip.is_fragment() {
                    return Err(DatagramError::Fragment);
                }
                if ip.is_truncated() {
                    return Err(DatagramError::Truncated);
                }
                if ip.protocol() != protocol::UDP {
                    return Err(DatagramError::NotUdp(ip.protocol()));
                }
                (ip.src().into(), ip.dst().into(), ip.payload())
            }
            6 => {
                let ip = Ipv6Packet::new_checked(buf)?;
                if ip.is_truncated() {
                    return Err(DatagramError::Truncated);
                }
                let (mut next, mut rest) = (ip.next_header(), ip.payload());
                for _ in 0..MAX_EXT_HEADERS {
                    if !ipv6::is_extension(next) {
                        break;
                    }
                    let e = ipv6::ext_header(next, rest)?;
                    if let Some(f) = e.frag
                        && (f.more || f.offset != 0)
                    {
                        return Err(DatagramError::Fragment);
                    }
                    next = e.next_header;
                    rest = e.rest;
                }
                if next != protocol::UDP {
                    return Err(DatagramError::NotUdp(next));
                }
                (ip.src().into(), ip.dst().into(), rest)
            }
            v => return Err(DatagramError::Version(v)),
        };
        let udp = UdpPacket::new_checked(l4)?;
        if udp.is_truncated() {
            return Err(DatagramError::Truncated);
        }
        Ok(Self {
            ip_version: version,
            src: Endpoint::new(src_ip, udp.src_port()),
            dst: Endpoint::new(dst_ip, udp.dst_port()),
            payload: udp.payload(),
        })
    }
}

/// Header values of a synthesised datagram that the SBC export does not carry elsewhere.
/// `Default` gives the values of the reference vectors (`sbc_ipfix.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatagramParams {
    /// IPv4 identification. Default 0x1234.
    pub ident: u16,
    /// IPv4 TTL / IPv6 hop limit. Default 64.
    pub ttl: u8,
    /// IPv4 TOS / IPv6 traffic class. Default 0.
    pub tos: u8,
}

impl Default for DatagramParams {
    fn default() -> Self {
        Self {
            ident: 0x1234,
            ttl: 64,
            tos: 0,
        }
    }
}

/// One's-complement sum of 16-bit words (RFC 1071), not yet complemented.
fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        if let [a, b] = c {
            sum += u32::from(u16::from_be_bytes([*a, *b]));
        }
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(u16::from_be_bytes([*last, 0]));
    }
    sum
}

fn csum_finish(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Appends a whole IPv4 or IPv6 datagram carrying `payload` in UDP from `src` to `dst`, with
/// correct lengths and checksums (IPv4: DF set, as the reference vectors).
pub fn emit_udp_datagram(
    out: &mut Vec<u8>,
    src: Endpoint,
    dst: Endpoint,
    payload: &[u8],
    params: DatagramParams,
) -> Result<(), EncodeError> {
    let udp_len = 8 + payload.len();
    let udp_len16 = u16::try_from(udp_len).map_err(|_| EncodeError::TooLong {
        what: "UDP datagram",
        len: udp_len,
    })?;
    let mut udp = Vec::with_capacity(udp_len);
    udp.extend_from_slice(&src.port.to_be_bytes());
    udp.extend_from_slice(&dst.port.to_be_bytes());
    udp.extend_from_slice(&udp_len16.to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let pseudo = |s: &[u8], d: &[u8]| {
        let mut sum = csum_add(0, s);
        sum = csum_add(sum, d);
        sum = csum_add(sum, &[0, protocol::UDP]);
        csum_add(sum, &udp_len16.to_be_bytes())
    };
    match (src.ip, dst.ip) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = u16::try_from(20 + udp_len).map_err(|_| EncodeError::TooLong {
                what: "IPv4 datagram",
                len: 20 + udp_len,
            })?;
            let c = match csum_finish(csum_add(pseudo(&s.octets(), &d.octets()), &udp)) {
                0 => 0xffff,
                c => c,
            };
            if let Some(x) = udp.get_mut(6..8) {
                x.copy_from_slice(&c.to_be_bytes());
            }
            let mut ip = [0u8; 20];
            ip[0] = 0x45;
            ip[1] = params.tos;
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            ip[4..6].copy_from_slice(&params.ident.to_be_bytes());
            ip[6..8].copy_from_slice(&0x4000u16.to_be_bytes());
            ip[8] = params.ttl;
            ip[9] = protocol::UDP;
            ip[12..16].copy_from_slice(&s.octets());
            ip[16..20].copy_from_slice(&d.octets());
            let hc = csum_finish(csum_add(0, &ip));
            ip[10..12].copy_from_slice(&hc.to_be_bytes());
            out.extend_from_slice(&ip);
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let c = match csum_finish(csum_add(pseudo(&s.octets(), &d.octets()), &udp)) {
                0 => 0xffff,
                c => c,
            };
            if let Some(x) = udp.get_mut(6..8) {
                x.copy_from_slice(&c.to_be_bytes());
            }
            let vtf = (6u32 << 28) | (u32::from(params.tos) << 20);
            out.extend_from_slice(&vtf.to_be_bytes());
            out.extend_from_slice(&udp_len16.to_be_bytes());
            out.push(protocol::UDP);
            out.push(params.ttl);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        _ => return Err(EncodeError::MixedFamilies),
    }
    out.extend_from_slice(&udp);
    Ok(())
}

// ---------------------------------------------------------------- 260 / 261

/// Sets 260 (received) and 261 (sent): SIP over TCP with explicit IPv4 addresses (destination
/// first on the wire) and the SIP text only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipTcpRecord<'a> {
    pub time: SbcTime,
    pub iface: Interface,
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    /// Probably a TCP connection id inside the SBC (meaning unknown).
    pub context: u32,
    /// The SBC's Call-ID of the egress leg; only in 261.
    pub call_id: Option<&'a [u8]>,
    /// The SIP message bytes (no IP/TCP header).
    pub sip: &'a [u8],
}

impl<'a> SipTcpRecord<'a> {
    /// Parses a 260 (`Direction::In`) or 261 (`Direction::Out`) body.
    pub fn parse(body: &'a [u8], direction: Direction) -> Result<Self, IpfixError> {
        const W: &str = "SIP/TCP record";
        let mut r = Reader::new(body);
        let time = SbcTime::read(&mut r, W)?;
        let iface = Interface::read(&mut r, W)?;
        let dst_ip = read_v4(&mut r, W)?;
        let src_ip = read_v4(&mut r, W)?;
        let dst_port = r.u16(W)?;
        let src_port = r.u16(W)?;
        let context = r.u32(W)?;
        let call_id = match direction {
            Direction::Out => Some(r.varlen("SIP/TCP record call-id")?),
            Direction::In => None,
        };
        let sip = r.varlen("SIP/TCP record SIP message")?;
        Ok(Self {
            time,
            iface,
            src: SocketAddrV4::new(src_ip, src_port),
            dst: SocketAddrV4::new(dst_ip, dst_port),
            context,
            call_id,
            sip,
        })
    }

    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.time.emit(out);
        self.iface.emit(out);
        out.extend_from_slice(&self.dst.ip().octets());
        out.extend_from_slice(&self.src.ip().octets());
        out.extend_from_slice(&self.dst.port().to_be_bytes());
        out.extend_from_slice(&self.src.port().to_be_bytes());
        out.extend_from_slice(&self.context.to_be_bytes());
        if let Some(c) = self.call_id {
            put_varlen_short(out, c).map_err(too_long("call-id"))?;
        }
        put_varlen_long(out, self.sip).map_err(too_long("SIP message"))
    }
}

// ---------------------------------------------------------------- 268

/// Figures of one call leg in a QoS report (14 u32 each for the ingress and egress leg).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct QosLeg {
    /// RTP octets (the sample suggests L2 headers are included).
    pub rtp_bytes: u32,
    pub rtp_packets: u32,
    pub rtp_lost_packets: u32,
    /// Probably milliseconds (unit unconfirmed).
    pub rtp_avg_jitter: u32,
    pub rtp_max_jitter: u32,
    pub rtcp_bytes: u32,
    pub rtcp_packets: u32,
    pub rtcp_lost_packets: u32,
    /// From RTCP reports; unit unknown (perhaps RTP timestamp units).
    pub rtcp_avg_jitter: u32,
    pub rtcp_max_jitter: u32,
    /// RTCP round-trip latency, probably milliseconds.
    pub rtcp_avg_latency: u32,
    pub rtcp_max_latency: u32,
    /// R-factor times 100 (9204 = 92.04).
    pub r_factor_x100: u32,
    /// MOS times 100 (438 = 4.38).
    pub mos_x100: u32,
}

impl QosLeg {
    fn fields(&self) -> [u32; 14] {
        [
            self.rtp_bytes,
            self.rtp_packets,
            self.rtp_lost_packets,
            self.rtp_avg_jitter,
            self.rtp_max_jitter,
            self.rtcp_bytes,
            self.rtcp_packets,
            self.rtcp_lost_packets,
            self.rtcp_avg_jitter,
            self.rtcp_max_jitter,
            self.rtcp_avg_latency,
            self.rtcp_max_latency,
            self.r_factor_x100,
            self.mos_x100,
        ]
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, IpfixError> {
        let mut f = [0u32; 14];
        for v in &mut f {
            *v = r.u32("QoS record leg figures")?;
        }
        let [
            rtp_bytes,
            rtp_packets,
            rtp_lost_packets,
            rtp_avg_jitter,
            rtp_max_jitter,
            rtcp_bytes,
            rtcp_packets,
            rtcp_lost_packets,
            rtcp_avg_jitter,
            rtcp_max_jitter,
            rtcp_avg_latency,
            rtcp_max_latency,
            r_factor_x100,
            mos_x100,
        ] = f;
        Ok(Self {
            rtp_bytes,
            rtp_packets,
            rtp_lost_packets,
            rtp_avg_jitter,
            rtp_max_jitter,
            rtcp_bytes,
            rtcp_packets,
            rtcp_lost_packets,
            rtcp_avg_jitter,
            rtcp_max_jitter,
            rtcp_avg_latency,
            rtcp_max_latency,
            r_factor_x100,
            mos_x100,
        })
    }

    /// MOS (the wire value divided by 100).
    pub fn mos(&self) -> f64 {
        f64::from(self.mos_x100) / 100.0
    }

    /// R-factor (the wire value divided by 100).
    pub fn r_factor(&self) -> f64 {
        f64::from(self.r_factor_x100) / 100.0
    }
}

/// One media flow of a QoS report (IPv4 only on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaFlow {
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
}

impl MediaFlow {
    fn read(r: &mut Reader<'_>) -> Result<Self, IpfixError> {
        const W: &str = "QoS record media flow";
        let src_ip = read_v4(r, W)?;
        let dst_ip = read_v4(r, W)?;
        let src_port = r.u16(W)?;
        let dst_port = r.u16(W)?;
        Ok(Self {
            src: SocketAddrV4::new(src_ip, src_port),
            dst: SocketAddrV4::new(dst_ip, dst_port),
        })
    }

    fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.src.ip().octets());
        out.extend_from_slice(&self.dst.ip().octets());
        out.extend_from_slice(&self.src.port().to_be_bytes());
        out.extend_from_slice(&self.dst.port().to_be_bytes());
    }

    pub fn src_endpoint(&self) -> Endpoint {
        Endpoint::new(IpAddr::V4(*self.src.ip()), self.src.port())
    }

    pub fn dst_endpoint(&self) -> Endpoint {
        Endpoint::new(IpAddr::V4(*self.dst.ip()), self.dst.port())
    }
}

/// Set 268: the per-call QoS report, 185 fixed bytes and four long-form varlen strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QosRecord<'a> {
    /// Ingress leg ("Inc").
    pub inc: QosLeg,
    /// Egress leg ("Out").
    pub out: QosLeg,
    /// Media/codec type (mapping unknown).
    pub media_type: u8,
    /// Ingress leg, caller to SBC.
    pub caller_inc: MediaFlow,
    /// Ingress leg, SBC to caller.
    pub callee_inc: MediaFlow,
    /// Egress leg, SBC to callee.
    pub caller_out: MediaFlow,
    /// Egress leg, callee to SBC.
    pub callee_out: MediaFlow,
    pub caller_iface: Interface,
    pub callee_iface: Interface,
    pub begin: SbcTime,
    pub end: SbcTime,
    pub inc_realm: &'a [u8],
    pub out_realm: &'a [u8],
    pub inc_call_id: &'a [u8],
    pub out_call_id: &'a [u8],
}

impl<'a> QosRecord<'a> {
    /// Length of the fixed part.
    pub const FIXED_LEN: usize = 185;

    pub fn parse(body: &'a [u8]) -> Result<Self, IpfixError> {
        let mut r = Reader::new(body);
        let inc = QosLeg::read(&mut r)?;
        let out = QosLeg::read(&mut r)?;
        let media_type = r.u8("QoS record type")?;
        let caller_inc = MediaFlow::read(&mut r)?;
        let callee_inc = MediaFlow::read(&mut r)?;
        let caller_out = MediaFlow::read(&mut r)?;
        let callee_out = MediaFlow::read(&mut r)?;
        let caller_iface = Interface::read(&mut r, "QoS record interface")?;
        let callee_iface = Interface::read(&mut r, "QoS record interface")?;
        let begin = SbcTime::read(&mut r, "QoS record begin time")?;
        let end = SbcTime::read(&mut r, "QoS record end time")?;
        Ok(Self {
            inc,
            out,
            media_type,
            caller_inc,
            callee_inc,
            caller_out,
            callee_out,
            caller_iface,
            callee_iface,
            begin,
            end,
            inc_realm: r.varlen("QoS record ingress realm")?,
            out_realm: r.varlen("QoS record egress realm")?,
            inc_call_id: r.varlen("QoS record ingress call-id")?,
            out_call_id: r.varlen("QoS record egress call-id")?,
        })
    }

    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        for v in self.inc.fields().iter().chain(self.out.fields().iter()) {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.push(self.media_type);
        for f in [
            &self.caller_inc,
            &self.callee_inc,
            &self.caller_out,
            &self.callee_out,
        ] {
            f.emit(out);
        }
        self.caller_iface.emit(out);
        self.callee_iface.emit(out);
        self.begin.emit(out);
        self.end.emit(out);
        put_varlen_long(out, self.inc_realm).map_err(too_long("ingress realm"))?;
        put_varlen_long(out, self.out_realm).map_err(too_long("egress realm"))?;
        put_varlen_long(out, self.inc_call_id).map_err(too_long("ingress call-id"))?;
        put_varlen_long(out, self.out_call_id).map_err(too_long("egress call-id"))
    }
}
