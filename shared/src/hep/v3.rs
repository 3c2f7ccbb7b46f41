//! HEPv3/EEPv3: the checked packet view ([`Hep3Packet`]), its chunks, and the typed message
//! ([`HepMessage`]) decoded from them.
use super::error::{HepError, Missing};
use crate::net::{Endpoint, Nanos};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// "HEP3", the packet ID of HEPv3.
pub const MAGIC_HEP3: [u8; 4] = *b"HEP3";
/// "EEP3", the alternative ID the specification also names.
pub const MAGIC_EEP3: [u8; 4] = *b"EEP3";
/// Packet header: ID (4) + total length (2).
pub const HEADER_LEN: usize = 6;
/// Chunk header: vendor (2) + type (2) + length (2).
pub const CHUNK_HEADER_LEN: usize = 6;
/// Largest packet the 16-bit total length can describe.
pub const MAX_PACKET_LEN: usize = 65_535;

/// Vendor IDs (spec §"Vendor IDs").
pub mod vendor {
    pub const GENERIC: u16 = 0x0000;
    pub const FREESWITCH: u16 = 0x0001;
    pub const KAMAILIO: u16 = 0x0002;
    pub const OPENSIPS: u16 = 0x0003;
    pub const ASTERISK: u16 = 0x0004;
    pub const HOMER: u16 = 0x0005;
    pub const SIPXECS: u16 = 0x0006;
    pub const YETI: u16 = 0x0007;
    pub const GENESYS: u16 = 0x0008;
    /// callscope's own chunks: "CS" (unregistered; see the module docs of [`crate::hep`]).
    pub const CALLSCOPE: u16 = 0x4353;
}

/// Generic chunk types (vendor 0x0000), as the specification's table numbers them.
pub mod chunk {
    pub const IP_FAMILY: u16 = 0x0001;
    pub const IP_PROTO: u16 = 0x0002;
    pub const IPV4_SRC: u16 = 0x0003;
    pub const IPV4_DST: u16 = 0x0004;
    pub const IPV6_SRC: u16 = 0x0005;
    pub const IPV6_DST: u16 = 0x0006;
    pub const SRC_PORT: u16 = 0x0007;
    pub const DST_PORT: u16 = 0x0008;
    pub const TS_SEC: u16 = 0x0009;
    pub const TS_USEC: u16 = 0x000a;
    pub const PROTO_TYPE: u16 = 0x000b;
    pub const CAPTURE_ID: u16 = 0x000c;
    pub const KEEPALIVE: u16 = 0x000d;
    pub const AUTH_KEY: u16 = 0x000e;
    pub const PAYLOAD: u16 = 0x000f;
    pub const PAYLOAD_COMPRESSED: u16 = 0x0010;
    pub const CORRELATION_ID: u16 = 0x0011;
    pub const VLAN: u16 = 0x0012;
    /// Capture agent name (spec); VoIPmonitor calls it `group_id`. A string either way.
    pub const CAPTURE_NAME: u16 = 0x0013;
    pub const SRC_MAC: u16 = 0x0014;
    pub const DST_MAC: u16 = 0x0015;
    pub const ETHER_TYPE: u16 = 0x0016;
    pub const TCP_FLAGS: u16 = 0x0017;
    pub const IP_TOS: u16 = 0x0018;
    pub const MOS: u16 = 0x0020;
    pub const R_FACTOR: u16 = 0x0021;
    pub const GEO_LOCATION: u16 = 0x0022;
    pub const JITTER: u16 = 0x0023;
    pub const TRANSACTION_TYPE: u16 = 0x0024;
    pub const PAYLOAD_JSON_KEYS: u16 = 0x0025;
    pub const TAGS_VALUES: u16 = 0x0026;
    pub const TAG_TYPE: u16 = 0x0027;
    pub const EVENT_TYPE: u16 = 0x0028;
    pub const GROUP_ID: u16 = 0x0029;

    /// True for the types the specification's generic table defines (0x0001-0x0018,
    /// 0x0020-0x0029); 0x0019-0x001f are reserved.
    pub fn is_defined(type_id: u16) -> bool {
        matches!(type_id, 0x0001..=0x0018 | 0x0020..=0x0029)
    }
}

/// callscope extension chunk types (vendor [`vendor::CALLSCOPE`]), each a uint64.
pub mod cs_chunk {
    /// Sequence number of this packet in the sender's spool (probe -> engine).
    pub const SEQ: u16 = 0x0001;
    /// Acknowledgement: every packet with seq <= this value is durably stored (engine -> probe).
    pub const ACK: u16 = 0x0002;
    /// Sender spool id: a random u64 chosen when a probe's spool is created.
    pub const SPOOL_ID: u16 = 0x0003;
}

/// Protocol type carried in chunk 0x000b (spec table, plus the de-facto values sipcapture's
/// code uses). Values the table leaves reserved (0x00, 0x33, 0x34, 0x3b) and any other value
/// are `Unknown(raw)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolType {
    Sip,
    Xmpp,
    Sdp,
    Rtp,
    /// 0x05 "RTCP JSON" in the spec. HOMER expects JSON here; callscope's probe sends the raw
    /// RTCP compound packet and the engine accepts both (see [`RtcpPayloadKind`]).
    Rtcp,
    Mgcp,
    Megaco,
    M2ua,
    M3ua,
    Iax,
    H322,
    H321,
    M2pa,
    /// 0x22 MOS full report (JSON): callscope's per-stream quality report.
    MosFullReport,
    /// 0x23 MOS short report (JSON); heplify-server calls it "rtcpxr".
    MosShortReport,
    /// 0x26 "horaclifix" (Oracle SBC QoS); not in the spec table.
    Horaclifix,
    SipJson,
    DnsJson,
    M3uaJson,
    RtspJson,
    DiameterJson,
    GsmMapJson,
    RtcpPion,
    Cdr,
    Verto,
    /// 0x63: heplify's fallback for unclassified payloads; not in the spec table.
    Unclassified,
    /// 0x64: log lines (heplify-server "log"); not in the spec table.
    Log,
    Unknown(u8),
}

impl From<u8> for ProtocolType {
    fn from(v: u8) -> Self {
        use ProtocolType::*;
        match v {
            0x01 => Sip,
            0x02 => Xmpp,
            0x03 => Sdp,
            0x04 => Rtp,
            0x05 => Rtcp,
            0x06 => Mgcp,
            0x07 => Megaco,
            0x08 => M2ua,
            0x09 => M3ua,
            0x0a => Iax,
            0x0b => H322,
            0x0c => H321,
            0x0d => M2pa,
            0x22 => MosFullReport,
            0x23 => MosShortReport,
            0x26 => Horaclifix,
            0x32 => SipJson,
            0x35 => DnsJson,
            0x36 => M3uaJson,
            0x37 => RtspJson,
            0x38 => DiameterJson,
            0x39 => GsmMapJson,
            0x3a => RtcpPion,
            0x3c => Cdr,
            0x3d => Verto,
            0x63 => Unclassified,
            0x64 => Log,
            other => Unknown(other),
        }
    }
}

impl From<ProtocolType> for u8 {
    fn from(p: ProtocolType) -> u8 {
        use ProtocolType::*;
        match p {
            Sip => 0x01,
            Xmpp => 0x02,
            Sdp => 0x03,
            Rtp => 0x04,
            Rtcp => 0x05,
            Mgcp => 0x06,
            Megaco => 0x07,
            M2ua => 0x08,
            M3ua => 0x09,
            Iax => 0x0a,
            H322 => 0x0b,
            H321 => 0x0c,
            M2pa => 0x0d,
            MosFullReport => 0x22,
            MosShortReport => 0x23,
            Horaclifix => 0x26,
            SipJson => 0x32,
            DnsJson => 0x35,
            M3uaJson => 0x36,
            RtspJson => 0x37,
            DiameterJson => 0x38,
            GsmMapJson => 0x39,
            RtcpPion => 0x3a,
            Cdr => 0x3c,
            Verto => 0x3d,
            Unclassified => 0x63,
            Log => 0x64,
            Unknown(v) => v,
        }
    }
}

/// Protocol type of callscope's per-stream quality reports: 0x22 MOS full report, with a JSON
/// payload and the call's Call-ID as correlation id (chunk 0x0011).
pub const QUALITY_REPORT_PROTO: ProtocolType = ProtocolType::MosFullReport;
/// Protocol type of forwarded RTCP: 0x05, payload = the raw RTCP compound packet.
pub const RTCP_PROTO: ProtocolType = ProtocolType::Rtcp;

/// What a protocol type 0x05 payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPayloadKind {
    /// A binary RTCP packet (first byte's top two bits = version 2): what callscope sends.
    Raw,
    /// JSON (first non-blank byte `{` or `[`): what HOMER agents (heplify) send.
    Json,
    /// Neither.
    Other,
}

impl RtcpPayloadKind {
    /// Classifies an RTCP payload by its first byte.
    pub fn of(payload: &[u8]) -> Self {
        let first_text = payload.iter().find(|b| !b.is_ascii_whitespace());
        match (payload.first(), first_text) {
            (_, Some(b'{' | b'[')) => Self::Json,
            (Some(b), _) if b >> 6 == 2 => Self::Raw,
            _ => Self::Other,
        }
    }
}

/// IP family of the captured packet a HEP message describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpFamily {
    V4,
    V6,
}

impl IpFamily {
    /// The value of chunk 0x0001 (AF_INET 2, AF_INET6 10, as every implementation sends).
    pub fn af(self) -> u8 {
        match self {
            Self::V4 => 2,
            Self::V6 => 10,
        }
    }
}

/// HEP version a message was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HepVersion {
    V1,
    V2,
    V3,
}

/// One chunk of a checked HEPv3 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub vendor: u16,
    pub type_id: u16,
    /// The chunk's payload (without its 6-byte header).
    pub payload: &'a [u8],
    /// Byte offset of the chunk header in the packet.
    pub offset: usize,
}

impl<'a> Chunk<'a> {
    fn fixed<const N: usize>(&self, name: &'static str) -> Result<[u8; N], HepError> {
        <[u8; N]>::try_from(self.payload).map_err(|_| HepError::ChunkSize {
            name,
            vendor: self.vendor,
            type_id: self.type_id,
            expected: N,
            got: self.payload.len(),
        })
    }
    /// The payload as a uint8, or a [`HepError::ChunkSize`] naming the chunk.
    pub fn u8(&self, name: &'static str) -> Result<u8, HepError> {
        self.fixed::<1>(name).map(|[b]| b)
    }
    /// The payload as a big-endian uint16.
    pub fn u16(&self, name: &'static str) -> Result<u16, HepError> {
        self.fixed::<2>(name).map(u16::from_be_bytes)
    }
    /// The payload as a big-endian uint32.
    pub fn u32(&self, name: &'static str) -> Result<u32, HepError> {
        self.fixed::<4>(name).map(u32::from_be_bytes)
    }
    /// The payload as a big-endian uint64.
    pub fn u64(&self, name: &'static str) -> Result<u64, HepError> {
        self.fixed::<8>(name).map(u64::from_be_bytes)
    }
    /// The payload as an inet4-addr.
    pub fn ipv4(&self, name: &'static str) -> Result<Ipv4Addr, HepError> {
        self.fixed::<4>(name).map(Ipv4Addr::from)
    }
    /// The payload as an inet6-addr.
    pub fn ipv6(&self, name: &'static str) -> Result<Ipv6Addr, HepError> {
        self.fixed::<16>(name).map(Ipv6Addr::from)
    }
}

/// A checked view of one HEPv3 packet (smoltcp `wire` style).
///
/// [`Hep3Packet::new_checked`] validates the ID, the total length (6..=65535 and within the
/// buffer) and every chunk header (length >= 6, inside the packet, no partial chunk at the
/// end). After that, no accessor panics and [`Hep3Packet::chunks`] yields every chunk.
/// The view covers exactly the packet's total length: bytes after it (the next packet of a
/// TCP stream) are not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hep3Packet<'a> {
    buf: &'a [u8],
}

/// Byte range of the packet ID (the total length follows at 4..6).
const MAGIC_FIELD: std::ops::Range<usize> = 0..4;

/// Reads a big-endian u16 at `at`, if present.
fn be16(buf: &[u8], at: usize) -> Option<u16> {
    let b = buf.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

impl<'a> Hep3Packet<'a> {
    /// Checks the header and every chunk header of the packet at the start of `buf`.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, HepError> {
        let total = super::stream::check_header(buf)?;
        let buf = buf.get(..total).ok_or(HepError::Truncated {
            needed: total,
            available: buf.len(),
        })?;
        let mut at = HEADER_LEN;
        while at < total {
            let Some(len) = be16(buf, at + 4) else {
                return Err(HepError::ChunkOverrun {
                    offset: at,
                    needed: CHUNK_HEADER_LEN,
                    packet_len: total,
                });
            };
            if usize::from(len) < CHUNK_HEADER_LEN {
                return Err(HepError::ChunkTooShort { offset: at, len });
            }
            let end = at + usize::from(len);
            if end > total {
                return Err(HepError::ChunkOverrun {
                    offset: at,
                    needed: usize::from(len),
                    packet_len: total,
                });
            }
            at = end;
        }
        Ok(Self { buf })
    }

    /// The packet's bytes (exactly its total length).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The 4-byte ID: "HEP3" or "EEP3".
    pub fn magic(&self) -> [u8; 4] {
        match self.buf.get(MAGIC_FIELD) {
            Some(&[a, b, c, d]) => [a, b, c, d],
            _ => MAGIC_HEP3,
        }
    }

    /// True when the ID is "EEP3".
    pub fn is_eep(&self) -> bool {
        self.magic() == MAGIC_EEP3
    }

    /// The total length field (header included) = `as_bytes().len()`.
    pub fn total_len(&self) -> usize {
        self.buf.len()
    }

    /// Iterates the chunks in wire order.
    pub fn chunks(&self) -> ChunkIter<'a> {
        ChunkIter {
            buf: self.buf,
            at: HEADER_LEN,
        }
    }

    /// The first chunk with this vendor and type.
    pub fn find(&self, vendor: u16, type_id: u16) -> Option<Chunk<'a>> {
        self.chunks()
            .find(|c| c.vendor == vendor && c.type_id == type_id)
    }
}

/// Iterator over the chunks of a [`Hep3Packet`].
#[derive(Debug, Clone)]
pub struct ChunkIter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for ChunkIter<'a> {
    type Item = Chunk<'a>;
    fn next(&mut self) -> Option<Chunk<'a>> {
        let at = self.at;
        let vendor = be16(self.buf, at)?;
        let type_id = be16(self.buf, at + 2)?;
        let len = usize::from(be16(self.buf, at + 4)?);
        // Checked by new_checked; guarded again so a bad length ends the walk, never loops.
        let payload = self.buf.get(at + CHUNK_HEADER_LEN..at + len)?;
        self.at = at + len;
        Some(Chunk {
            vendor,
            type_id,
            payload,
            offset: at,
        })
    }
}

/// A decoded HEP message (HEPv3, or HEPv1/v2 mapped onto the same fields).
///
/// Borrowed from the packet; nothing is copied. Optional chunks the sender left out are
/// `None`. `ts` is `None` only when the sender gave no timestamp (HEPv1, or a HEPv3 packet
/// without chunk 0x0009): use the arrival time then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HepMessage<'a> {
    pub version: HepVersion,
    pub ip_family: IpFamily,
    /// IP protocol of the captured packet (6 TCP, 17 UDP, 132 SCTP), chunk 0x0002.
    pub ip_proto: Option<u8>,
    /// Source address and port (port 0 when chunk 0x0007 is absent).
    pub src: Endpoint,
    /// Destination address and port (port 0 when chunk 0x0008 is absent).
    pub dst: Endpoint,
    /// Capture time: seconds * 1e9 + microseconds * 1e3.
    pub ts: Option<Nanos>,
    /// Chunk 0x000b; `Unknown(0)` when absent.
    pub proto_type: ProtocolType,
    /// Chunk 0x000c. sngrep and sipgrep put their 16-bit id in the high half (2002 -> 0x07d20000).
    pub capture_id: Option<u32>,
    /// Chunk 0x0013 (VoIPmonitor's `group_id`): a string either way.
    pub capture_name: Option<&'a [u8]>,
    /// Chunk 0x000e, as sent. Check it with [`crate::hep::auth_key_matches`].
    pub auth_key: Option<&'a [u8]>,
    /// Chunk 0x000f, or 0x0010 when `payload_compressed`.
    pub payload: &'a [u8],
    /// The payload came in chunk 0x0010 (gzip/deflate, not inflated here).
    pub payload_compressed: bool,
    /// Chunk 0x0011 (for callscope's quality reports: the Call-ID).
    pub correlation_id: Option<&'a [u8]>,
    /// Chunk 0x0012.
    pub vlan: Option<u16>,
    /// Chunk 0x0020 (heplify sends MOS x 100).
    pub mos: Option<u16>,
    /// Chunk 0x000d, seconds.
    pub keepalive: Option<u16>,
    /// Chunk 0x0029.
    pub group_id: Option<&'a [u8]>,
    /// callscope chunk 0x4353/0x0001: this packet's sequence number in the sender's spool.
    pub seq: Option<u64>,
    /// callscope chunk 0x4353/0x0003: the sender's spool id.
    pub spool_id: Option<u64>,
    /// Generic chunks of undefined type, and callscope-vendor chunks of unknown type.
    pub unknown_chunks: u16,
    /// Chunks of other vendors (never interpreted, whatever their type number).
    pub vendor_chunks: u16,
}

impl<'a> HepMessage<'a> {
    /// Decodes one UDP datagram: HEPv3/EEPv3 by its ID, else HEPv1/v2 by its version byte.
    pub fn parse_datagram(buf: &'a [u8]) -> Result<Self, HepError> {
        match buf.get(..4) {
            Some(m) if m == MAGIC_HEP3 || m == MAGIC_EEP3 => {
                Self::decode_v3(&Hep3Packet::new_checked(buf)?)
            }
            _ => super::v2::decode_v12(buf),
        }
    }

    /// Decodes a checked HEPv3 packet.
    ///
    /// The vendor ID is part of a chunk's identity: a chunk of another vendor is counted in
    /// `vendor_chunks` and never read as the generic chunk of the same type number (unlike
    /// heplify-server). Fixed-size chunks this message exposes must have their spec size.
    /// When a chunk repeats, the last one wins. Payload 0x000f is preferred over 0x0010.
    pub fn decode_v3(p: &Hep3Packet<'a>) -> Result<Self, HepError> {
        let mut d = V3Fields::default();
        for c in p.chunks() {
            match c.vendor {
                vendor::GENERIC => d.generic(&c)?,
                vendor::CALLSCOPE => match c.type_id {
                    cs_chunk::SEQ => d.seq = Some(c.u64("callscope seq")?),
                    cs_chunk::SPOOL_ID => d.spool_id = Some(c.u64("callscope spool id")?),
                    cs_chunk::ACK => {
                        c.u64("callscope ack")?;
                    }
                    _ => d.unknown = d.unknown.saturating_add(1),
                },
                _ => d.vendor = d.vendor.saturating_add(1),
            }
        }
        d.finish()
    }
}

#[derive(Default)]
struct V3Fields<'a> {
    family: Option<u8>,
    ip_proto: Option<u8>,
    src4: Option<Ipv4Addr>,
    dst4: Option<Ipv4Addr>,
    src6: Option<Ipv6Addr>,
    dst6: Option<Ipv6Addr>,
    sport: Option<u16>,
    dport: Option<u16>,
    sec: Option<u32>,
    usec: Option<u32>,
    proto_type: Option<u8>,
    capture_id: Option<u32>,
    keepalive: Option<u16>,
    auth_key: Option<&'a [u8]>,
    payload: Option<&'a [u8]>,
    compressed: Option<&'a [u8]>,
    correlation_id: Option<&'a [u8]>,
    vlan: Option<u16>,
    capture_name: Option<&'a [u8]>,
    mos: Option<u16>,
    group_id: Option<&'a [u8]>,
    seq: Option<u64>,
    spool_id: Option<u64>,
    unknown: u16,
    vendor: u16,
}

impl<'a> V3Fields<'a> {
    fn generic(&mut self, c: &Chunk<'a>) -> Result<(), HepError> {
        match c.type_id {
            chunk::IP_FAMILY => self.family = Some(c.u8("IP protocol family")?),
            chunk::IP_PROTO => self.ip_proto = Some(c.u8("IP protocol ID")?),
            chunk::IPV4_SRC => self.src4 = Some(c.ipv4("IPv4 source address")?),
            chunk::IPV4_DST => self.dst4 = Some(c.ipv4("IPv4 destination address")?),
            chunk::IPV6_SRC => self.src6 = Some(c.ipv6("IPv6 source address")?),
            chunk::IPV6_DST => self.dst6 = Some(c.ipv6("IPv6 destination address")?),
            chunk::SRC_PORT => self.sport = Some(c.u16("source port")?),
            chunk::DST_PORT => self.dport = Some(c.u16("destination port")?),
            chunk::TS_SEC => self.sec = Some(c.u32("timestamp seconds")?),
            chunk::TS_USEC => self.usec = Some(c.u32("timestamp microseconds")?),
            chunk::PROTO_TYPE => self.proto_type = Some(c.u8("protocol type")?),
            chunk::CAPTURE_ID => self.capture_id = Some(c.u32("capture agent ID")?),
            chunk::KEEPALIVE => self.keepalive = Some(c.u16("keep-alive timer")?),
            chunk::AUTH_KEY => self.auth_key = Some(c.payload),
            chunk::PAYLOAD => self.payload = Some(c.payload),
            chunk::PAYLOAD_COMPRESSED => self.compressed = Some(c.payload),
            chunk::CORRELATION_ID => self.correlation_id = Some(c.payload),
            chunk::VLAN => self.vlan = Some(c.u16("VLAN ID")?),
            chunk::CAPTURE_NAME => self.capture_name = Some(c.payload),
            chunk::MOS => self.mos = Some(c.u16("MOS")?),
            chunk::GROUP_ID => self.group_id = Some(c.payload),
            t if chunk::is_defined(t) => {}
            _ => self.unknown = self.unknown.saturating_add(1),
        }
        Ok(())
    }

    fn finish(self) -> Result<HepMessage<'a>, HepError> {
        let v4 = (self.src4, self.dst4);
        let v6 = (self.src6, self.dst6);
        // The family chunk chooses; without it (or with an odd value) a complete pair does.
        let want_v6 = match self.family {
            Some(2) => false,
            Some(10) => true,
            _ => !matches!(v4, (Some(_), Some(_))) && (v6.0.is_some() || v6.1.is_some()),
        };
        let (family, src, dst): (IpFamily, IpAddr, IpAddr) = if want_v6 {
            let s = v6.0.ok_or(HepError::Missing(Missing::SrcAddress))?;
            let d = v6.1.ok_or(HepError::Missing(Missing::DstAddress))?;
            (IpFamily::V6, s.into(), d.into())
        } else {
            let s = v4.0.ok_or(HepError::Missing(Missing::SrcAddress))?;
            let d = v4.1.ok_or(HepError::Missing(Missing::DstAddress))?;
            (IpFamily::V4, s.into(), d.into())
        };
        let (payload, payload_compressed) = match (self.payload, self.compressed) {
            (Some(p), _) => (p, false),
            (None, Some(p)) => (p, true),
            (None, None) => return Err(HepError::Missing(Missing::Payload)),
        };
        let ts = self
            .sec
            .map(|s| u64::from(s) * 1_000_000_000 + u64::from(self.usec.unwrap_or(0)) * 1_000);
        Ok(HepMessage {
            version: HepVersion::V3,
            ip_family: family,
            ip_proto: self.ip_proto,
            src: Endpoint::new(src, self.sport.unwrap_or(0)),
            dst: Endpoint::new(dst, self.dport.unwrap_or(0)),
            ts,
            proto_type: ProtocolType::from(self.proto_type.unwrap_or(0)),
            capture_id: self.capture_id,
            capture_name: self.capture_name,
            auth_key: self.auth_key,
            payload,
            payload_compressed,
            correlation_id: self.correlation_id,
            vlan: self.vlan,
            mos: self.mos,
            keepalive: self.keepalive,
            group_id: self.group_id,
            seq: self.seq,
            spool_id: self.spool_id,
            unknown_chunks: self.unknown,
            vendor_chunks: self.vendor,
        })
    }
}
