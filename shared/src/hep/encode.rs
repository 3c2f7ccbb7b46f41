//! Writing HEPv3 packets, and callscope's acknowledgement packets.
use super::error::EncodeError;
use super::v3::{
    CHUNK_HEADER_LEN, HEADER_LEN, Hep3Packet, HepMessage, IpFamily, MAGIC_HEP3, MAX_PACKET_LEN,
    ProtocolType, chunk, cs_chunk, vendor,
};
use crate::net::{Endpoint, Nanos};
use std::net::IpAddr;

/// Builds one HEPv3 packet and appends it to a caller's buffer.
///
/// Required: source and destination (same IP family) and the payload; everything else is
/// optional and left out when unset (IP protocol defaults to 17, UDP; protocol type to SIP).
/// Chunks are written in the specification's order, callscope's vendor chunks after the
/// generic ones, the payload last. [`HepEncoder::encode`] reserves the exact size first, so it
/// does not allocate when `out` has the capacity.
///
/// ```
/// use callscope_shared::hep::{HepEncoder, HepMessage, Hep3Packet, ProtocolType};
/// use callscope_shared::net::Endpoint;
/// let (src, dst) = (Endpoint::new([10, 0, 0, 1].into(), 5060), Endpoint::new([10, 0, 0, 2].into(), 5060));
/// let mut out = Vec::with_capacity(256);
/// HepEncoder::new(src, dst, b"OPTIONS sip:a SIP/2.0\r\n\r\n")
///     .ts(1_700_000_000_123_456_000)
///     .capture_id(7)
///     .encode(&mut out)
///     .unwrap();
/// let msg = HepMessage::decode_v3(&Hep3Packet::new_checked(&out).unwrap()).unwrap();
/// assert_eq!((msg.src, msg.proto_type, msg.capture_id), (src, ProtocolType::Sip, Some(7)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct HepEncoder<'a> {
    src: Endpoint,
    dst: Endpoint,
    payload: &'a [u8],
    compressed: bool,
    ip_proto: Option<u8>,
    ts: Option<Nanos>,
    proto_type: ProtocolType,
    capture_id: Option<u32>,
    capture_name: Option<&'a [u8]>,
    auth_key: Option<&'a [u8]>,
    correlation_id: Option<&'a [u8]>,
    vlan: Option<u16>,
    mos: Option<u16>,
    keepalive: Option<u16>,
    group_id: Option<&'a [u8]>,
    seq: Option<u64>,
    spool_id: Option<u64>,
}

impl<'a> HepEncoder<'a> {
    /// A SIP-over-UDP packet from `src` to `dst` carrying `payload` (chunk 0x000f).
    pub fn new(src: Endpoint, dst: Endpoint, payload: &'a [u8]) -> Self {
        Self {
            src,
            dst,
            payload,
            compressed: false,
            ip_proto: Some(17),
            ts: None,
            proto_type: ProtocolType::Sip,
            capture_id: None,
            capture_name: None,
            auth_key: None,
            correlation_id: None,
            vlan: None,
            mos: None,
            keepalive: None,
            group_id: None,
            seq: None,
            spool_id: None,
        }
    }
    /// IP protocol of the captured packet (chunk 0x0002); `None` leaves the chunk out.
    pub fn ip_proto(mut self, proto: Option<u8>) -> Self {
        self.ip_proto = proto;
        self
    }
    /// Capture time (chunks 0x0009/0x000a; sub-microsecond digits are dropped).
    pub fn ts(mut self, ts: Nanos) -> Self {
        self.ts = Some(ts);
        self
    }
    /// Protocol type (chunk 0x000b). Default SIP.
    pub fn proto_type(mut self, p: ProtocolType) -> Self {
        self.proto_type = p;
        self
    }
    /// Capture agent ID (chunk 0x000c).
    pub fn capture_id(mut self, id: u32) -> Self {
        self.capture_id = Some(id);
        self
    }
    /// Capture agent name (chunk 0x0013).
    pub fn capture_name(mut self, name: &'a [u8]) -> Self {
        self.capture_name = Some(name);
        self
    }
    /// Authentication key (chunk 0x000e): only over TLS, it is sent in clear.
    pub fn auth_key(mut self, key: &'a [u8]) -> Self {
        self.auth_key = Some(key);
        self
    }
    /// Correlation id (chunk 0x0011).
    pub fn correlation_id(mut self, id: &'a [u8]) -> Self {
        self.correlation_id = Some(id);
        self
    }
    /// Send the payload as already-compressed chunk 0x0010 instead of 0x000f.
    pub fn compressed(mut self, yes: bool) -> Self {
        self.compressed = yes;
        self
    }
    /// VLAN ID (chunk 0x0012).
    pub fn vlan(mut self, vlan: u16) -> Self {
        self.vlan = Some(vlan);
        self
    }
    /// MOS (chunk 0x0020), conventionally MOS x 100.
    pub fn mos(mut self, mos: u16) -> Self {
        self.mos = Some(mos);
        self
    }
    /// Keep-alive timer in seconds (chunk 0x000d).
    pub fn keepalive(mut self, secs: u16) -> Self {
        self.keepalive = Some(secs);
        self
    }
    /// Group ID (chunk 0x0029).
    pub fn group_id(mut self, id: &'a [u8]) -> Self {
        self.group_id = Some(id);
        self
    }
    /// callscope spool sequence number (chunk 0x4353/0x0001).
    pub fn seq(mut self, seq: u64) -> Self {
        self.seq = Some(seq);
        self
    }
    /// callscope spool id (chunk 0x4353/0x0003).
    pub fn spool_id(mut self, id: u64) -> Self {
        self.spool_id = Some(id);
        self
    }

    /// Re-encodes a decoded message (all fields it exposes; unknown and vendor chunks are not
    /// kept). A HEPv1/v2 message becomes HEPv3.
    pub fn from_message(m: &HepMessage<'a>) -> Self {
        Self {
            src: m.src,
            dst: m.dst,
            payload: m.payload,
            compressed: m.payload_compressed,
            ip_proto: m.ip_proto,
            ts: m.ts,
            proto_type: m.proto_type,
            capture_id: m.capture_id,
            capture_name: m.capture_name,
            auth_key: m.auth_key,
            correlation_id: m.correlation_id,
            vlan: m.vlan,
            mos: m.mos,
            keepalive: m.keepalive,
            group_id: m.group_id,
            seq: m.seq,
            spool_id: m.spool_id,
        }
    }

    fn family(&self) -> Result<IpFamily, EncodeError> {
        match (self.src.ip, self.dst.ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) => Ok(IpFamily::V4),
            (IpAddr::V6(_), IpAddr::V6(_)) => Ok(IpFamily::V6),
            _ => Err(EncodeError::FamilyMismatch),
        }
    }

    /// Length of the packet [`HepEncoder::encode`] writes.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        let family = self.family()?;
        let c = CHUNK_HEADER_LEN;
        let addr = match family {
            IpFamily::V4 => 4,
            IpFamily::V6 => 16,
        };
        let opt = |o: Option<&[u8]>| o.map_or(0, |b| c + b.len());
        let mut n = HEADER_LEN
            + (c + 1) // family
            + 2 * (c + addr)
            + 2 * (c + 2) // ports
            + (c + 1) // proto type
            + (c + self.payload.len());
        n += self.ip_proto.map_or(0, |_| c + 1);
        n += self.ts.map_or(0, |_| 2 * (c + 4));
        n += self.capture_id.map_or(0, |_| c + 4);
        n += self.keepalive.map_or(0, |_| c + 2);
        n += opt(self.auth_key) + opt(self.correlation_id) + opt(self.capture_name);
        n += opt(self.group_id);
        n += self.vlan.map_or(0, |_| c + 2) + self.mos.map_or(0, |_| c + 2);
        n += self.seq.map_or(0, |_| c + 8) + self.spool_id.map_or(0, |_| c + 8);
        if n > MAX_PACKET_LEN {
            return Err(EncodeError::TooLong(n));
        }
        Ok(n)
    }

    /// Appends the packet to `out` and returns its length. On error `out` is unchanged.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let total = self.encoded_len()?;
        let time = match self.ts {
            Some(ts) => {
                let sec = u32::try_from(ts / 1_000_000_000)
                    .map_err(|_| EncodeError::TimestampRange(ts))?;
                // < 1e6 always fits.
                let usec = ((ts % 1_000_000_000) / 1_000) as u32;
                Some((sec, usec))
            }
            None => None,
        };
        out.reserve(total);
        let start = out.len();
        out.extend_from_slice(&MAGIC_HEP3);
        out.extend_from_slice(&(total as u16).to_be_bytes());
        let g = vendor::GENERIC;
        put(out, g, chunk::IP_FAMILY, &[self.family()?.af()]);
        if let Some(p) = self.ip_proto {
            put(out, g, chunk::IP_PROTO, &[p]);
        }
        match (self.src.ip, self.dst.ip) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                put(out, g, chunk::IPV4_SRC, &s.octets());
                put(out, g, chunk::IPV4_DST, &d.octets());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                put(out, g, chunk::IPV6_SRC, &s.octets());
                put(out, g, chunk::IPV6_DST, &d.octets());
            }
            _ => return Err(EncodeError::FamilyMismatch),
        }
        put(out, g, chunk::SRC_PORT, &self.src.port.to_be_bytes());
        put(out, g, chunk::DST_PORT, &self.dst.port.to_be_bytes());
        if let Some((sec, usec)) = time {
            put(out, g, chunk::TS_SEC, &sec.to_be_bytes());
            put(out, g, chunk::TS_USEC, &usec.to_be_bytes());
        }
        put(out, g, chunk::PROTO_TYPE, &[u8::from(self.proto_type)]);
        if let Some(id) = self.capture_id {
            put(out, g, chunk::CAPTURE_ID, &id.to_be_bytes());
        }
        if let Some(k) = self.keepalive {
            put(out, g, chunk::KEEPALIVE, &k.to_be_bytes());
        }
        if let Some(k) = self.auth_key {
            put(out, g, chunk::AUTH_KEY, k);
        }
        if let Some(c) = self.correlation_id {
            put(out, g, chunk::CORRELATION_ID, c);
        }
        if let Some(v) = self.vlan {
            put(out, g, chunk::VLAN, &v.to_be_bytes());
        }
        if let Some(n) = self.capture_name {
            put(out, g, chunk::CAPTURE_NAME, n);
        }
        if let Some(m) = self.mos {
            put(out, g, chunk::MOS, &m.to_be_bytes());
        }
        if let Some(gid) = self.group_id {
            put(out, g, chunk::GROUP_ID, gid);
        }
        if let Some(id) = self.spool_id {
            put(
                out,
                vendor::CALLSCOPE,
                cs_chunk::SPOOL_ID,
                &id.to_be_bytes(),
            );
        }
        if let Some(s) = self.seq {
            put(out, vendor::CALLSCOPE, cs_chunk::SEQ, &s.to_be_bytes());
        }
        let payload_type = if self.compressed {
            chunk::PAYLOAD_COMPRESSED
        } else {
            chunk::PAYLOAD
        };
        put(out, g, payload_type, self.payload);
        debug_assert_eq!(out.len() - start, total);
        Ok(total)
    }
}

/// Appends one chunk. Lengths were checked by `encoded_len` (every chunk fits in 65535).
fn put(out: &mut Vec<u8>, vendor: u16, type_id: u16, payload: &[u8]) {
    out.extend_from_slice(&vendor.to_be_bytes());
    out.extend_from_slice(&type_id.to_be_bytes());
    out.extend_from_slice(&((CHUNK_HEADER_LEN + payload.len()) as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// Length of the packet [`encode_ack`] writes.
pub const ACK_LEN: usize = HEADER_LEN + (CHUNK_HEADER_LEN + 1) + 2 * (CHUNK_HEADER_LEN + 8);

/// Appends an acknowledgement (engine -> probe): "every packet of spool `spool_id` with
/// seq <= `seq` is durably stored". The packet holds only the generic protocol type chunk
/// (0x000b = 0) and callscope's chunks 0x0003 (spool id) and 0x0002 (ack), [`ACK_LEN`] bytes.
pub fn encode_ack(spool_id: u64, seq: u64, out: &mut Vec<u8>) {
    out.reserve(ACK_LEN);
    out.extend_from_slice(&MAGIC_HEP3);
    out.extend_from_slice(&(ACK_LEN as u16).to_be_bytes());
    put(out, vendor::GENERIC, chunk::PROTO_TYPE, &[0]);
    put(
        out,
        vendor::CALLSCOPE,
        cs_chunk::SPOOL_ID,
        &spool_id.to_be_bytes(),
    );
    put(out, vendor::CALLSCOPE, cs_chunk::ACK, &seq.to_be_bytes());
}

/// Reads an acknowledgement: `Some((spool_id, seq))` when the packet has callscope's ack and
/// spool id chunks, each 8 bytes; `None` otherwise (not an ack, or malformed).
pub fn parse_ack(p: &Hep3Packet<'_>) -> Option<(u64, u64)> {
    let u64_of = |t| {
        p.find(vendor::CALLSCOPE, t)
            .and_then(|c| <[u8; 8]>::try_from(c.payload).ok())
            .map(u64::from_be_bytes)
    };
    Some((u64_of(cs_chunk::SPOOL_ID)?, u64_of(cs_chunk::ACK)?))
}
