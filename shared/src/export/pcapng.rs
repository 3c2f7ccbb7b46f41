//! A pcapng file of a call's stored packets (SIP messages, RTCP), synthesised from what the
//! engine keeps: capture time, addresses, transport and the payload bytes.
//!
//! The file: a Section Header Block (with an `opt_comment`, e.g. the call and export time,
//! and `shb_userappl`), one Interface Description Block (`LINKTYPE_RAW`: each packet starts
//! with its IPv4 or IPv6 header, which Wireshark, tshark, sngrep and callscope's own reader
//! open; `if_tsresol` 9 = nanoseconds) and an Enhanced Packet Block per packet, optionally
//! with its own comment (the source that captured it).
//!
//! Headers made up for each payload:
//! - IPv4 (DF, TTL 64, an identification counter, header checksum) or IPv6 (hop limit 64);
//!   an IPv4 endpoint talking to an IPv6 one is written as IPv4-mapped IPv6;
//! - UDP with its length and checksum (RFC 768; never 0, as IPv6 requires);
//! - TCP (SIP over TCP, and TLS once decrypted): PSH+ACK segments whose sequence numbers
//!   continue per direction and whose acknowledgement is the other direction's next sequence
//!   number, so Wireshark reassembles and reports no gaps; no TCP handshake is invented. A
//!   payload longer than [`MAX_SEGMENT`] is split into segments;
//! - WebSocket (RFC 7118): text frames over TCP, after an HTTP upgrade made up for the
//!   export (Wireshark needs it to decode WebSocket), with a packet comment saying so;
//! - SCTP: one DATA chunk (B+E) per message, TSN and stream sequence per direction,
//!   CRC32c checksum (RFC 9260 §6.8); longer messages are fragmented into several DATA
//!   chunks.
//!
//! A UDP payload too long for one datagram (it cannot have been received as one) is written
//! as TCP. Pure: bytes are appended to a `Vec<u8>` the caller drains (to a socket, a file or an
//! HTTP body) between packets, so a large call streams; deterministic (the same packets give
//! the same file).
use crate::net::{Endpoint, Nanos, Transport};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv6Addr};

/// `LINKTYPE_RAW`: the packet starts with an IPv4 or IPv6 header.
pub const LINKTYPE_RAW: u16 = 101;
/// Largest transport payload put in one IP packet (TCP segment, UDP datagram, SCTP chunk).
pub const MAX_SEGMENT: usize = 65_000;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;

const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_SCTP: u8 = 132;

/// One packet to write: a SIP message or an RTCP compound packet as stored.
#[derive(Debug, Clone, Copy)]
pub struct ExportPacket<'a> {
    pub ts: Nanos,
    pub src: Endpoint,
    pub dst: Endpoint,
    /// How it travelled (RTCP: UDP).
    pub transport: Transport,
    pub payload: &'a [u8],
    /// Comment on the packet's block (e.g. which probe captured it).
    pub comment: Option<&'a str>,
}

/// Per-direction transport state, so consecutive messages form consistent TCP and SCTP flows.
#[derive(Debug, Default)]
pub struct PcapngWriter {
    /// Next TCP sequence number per direction (src, dst).
    tcp: HashMap<(Endpoint, Endpoint), u32>,
    /// Next SCTP TSN and stream sequence number per direction.
    sctp: HashMap<(Endpoint, Endpoint), (u32, u16)>,
    /// WebSocket connections (client, server) whose handshake was written.
    websockets: HashSet<(Endpoint, Endpoint)>,
    ip_id: u16,
    packets: u64,
}

impl PcapngWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the Section Header Block (with `comment` as its `opt_comment`) and the one
    /// Interface Description Block. Write it first.
    pub fn header(out: &mut Vec<u8>, comment: &str) {
        let mut opts = Vec::new();
        option(&mut opts, OPT_COMMENT, comment.as_bytes());
        option(&mut opts, SHB_USERAPPL, b"callscope");
        option(&mut opts, OPT_END, &[]);
        let body_len = 16 + opts.len();
        let total = (12 + body_len) as u32;
        put32(out, SHB);
        put32(out, total);
        put32(out, BYTE_ORDER_MAGIC);
        put16(out, 1);
        put16(out, 0);
        out.extend_from_slice(&u64::MAX.to_le_bytes()); // section length: not given
        out.extend_from_slice(&opts);
        put32(out, total);

        let mut opts = Vec::new();
        option(&mut opts, IF_NAME, b"callscope export");
        option(&mut opts, IF_TSRESOL, &[9]);
        option(&mut opts, OPT_END, &[]);
        let total = (20 + opts.len()) as u32;
        put32(out, IDB);
        put32(out, total);
        put16(out, LINKTYPE_RAW);
        put16(out, 0);
        put32(out, 0); // snap length: no limit
        out.extend_from_slice(&opts);
        put32(out, total);
    }

    /// Appends the packet (one Enhanced Packet Block per IP packet: more than one for a TCP
    /// or SCTP payload longer than [`MAX_SEGMENT`], and the made-up handshake before the first
    /// WebSocket message of a connection). Returns the number of blocks written.
    pub fn packet(&mut self, out: &mut Vec<u8>, p: &ExportPacket<'_>) -> usize {
        let meta = Meta {
            ts: p.ts,
            src: p.src,
            dst: p.dst,
            comment: p.comment,
        };
        match p.transport {
            Transport::Udp if p.payload.len() <= MAX_SEGMENT => {
                let (src, dst) = same_family(p.src, p.dst);
                self.ip_packet(out, &meta, PROTO_UDP, |seg| {
                    udp(seg, src, dst, (p.src.port, p.dst.port), p.payload);
                });
                1
            }
            Transport::Udp | Transport::Tcp => self.tcp_payload(out, &meta, p.payload),
            Transport::Ws => self.websocket(out, &meta, p.payload),
            Transport::Sctp => self.sctp(out, &meta, p.payload),
        }
    }

    /// A TCP payload as PSH+ACK segments of at most [`MAX_SEGMENT`] bytes.
    fn tcp_payload(&mut self, out: &mut Vec<u8>, m: &Meta<'_>, payload: &[u8]) -> usize {
        let (src, dst) = same_family(m.src, m.dst);
        let mut blocks = 0;
        for chunk in payload.chunks(MAX_SEGMENT) {
            let seq = *self
                .tcp
                .entry((m.src, m.dst))
                .or_insert_with(|| isn(m.src, m.dst));
            let ack = *self
                .tcp
                .entry((m.dst, m.src))
                .or_insert_with(|| isn(m.dst, m.src));
            self.ip_packet(out, m, PROTO_TCP, |seg| {
                tcp(seg, src, dst, (m.src.port, m.dst.port), seq, ack, chunk);
            });
            if let Some(next) = self.tcp.get_mut(&(m.src, m.dst)) {
                *next = seq.wrapping_add(chunk.len() as u32);
            }
            blocks += 1;
        }
        blocks
    }

    /// SIP over WebSocket (RFC 7118): the message in a text frame, masked from the client
    /// (RFC 6455 §5.3). Wireshark decodes WebSocket only after the HTTP upgrade, which the
    /// engine does not store, so the first message of a connection is preceded by a made-up
    /// handshake (marked as such in its packet comments). The client is the endpoint with the
    /// higher port (the ephemeral one).
    fn websocket(&mut self, out: &mut Vec<u8>, m: &Meta<'_>, payload: &[u8]) -> usize {
        let (client, server) = if m.src.port >= m.dst.port {
            (m.src, m.dst)
        } else {
            (m.dst, m.src)
        };
        let mut blocks = 0;
        if self.websockets.insert((client, server)) {
            let note = Some("callscope: WebSocket handshake made up for the export (not captured)");
            let host = match server.ip {
                IpAddr::V4(ip) => format!("{ip}:{}", server.port),
                IpAddr::V6(ip) => format!("[{ip}]:{}", server.port),
            };
            // RFC 6455 §1.3's example key and its accept value.
            let get = format!(
                "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Protocol: sip\r\n\r\n"
            );
            let ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                      Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
                      Sec-WebSocket-Protocol: sip\r\n\r\n";
            for (from, to, text) in [(client, server, get.as_str()), (server, client, ok)] {
                let meta = Meta {
                    ts: m.ts,
                    src: from,
                    dst: to,
                    comment: note,
                };
                blocks += self.tcp_payload(out, &meta, text.as_bytes());
            }
        }
        let masked = m.src == client;
        let mut frame = Vec::with_capacity(payload.len() + 14);
        frame.push(0x81); // FIN, text
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            n @ 0..=125 => frame.push(mask_bit | n as u8),
            n @ 126..=0xFFFF => {
                frame.push(mask_bit | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(mask_bit | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        if masked {
            // A zero key: the payload stays as stored (and searchable in the file).
            frame.extend_from_slice(&[0; 4]);
        }
        frame.extend_from_slice(payload);
        blocks + self.tcp_payload(out, m, &frame)
    }

    /// SCTP DATA chunks (B+E, or a fragment sequence for a long message).
    fn sctp(&mut self, out: &mut Vec<u8>, m: &Meta<'_>, payload: &[u8]) -> usize {
        let (mut tsn, ssn) = *self
            .sctp
            .entry((m.src, m.dst))
            .or_insert_with(|| (isn(m.src, m.dst), 0));
        let tag = isn(m.dst, m.src) | 1;
        let parts = payload.len().div_ceil(MAX_SEGMENT).max(1);
        let mut blocks = 0;
        for (i, chunk) in payload
            .chunks(MAX_SEGMENT)
            .chain(payload.is_empty().then_some(&[][..]))
            .enumerate()
        {
            let flags = (u8::from(i == 0) << 1) | u8::from(i + 1 == parts);
            self.ip_packet(out, m, PROTO_SCTP, |seg| {
                sctp_data(
                    seg,
                    &SctpData {
                        ports: (m.src.port, m.dst.port),
                        tag,
                        tsn,
                        ssn,
                        flags,
                        data: chunk,
                    },
                );
            });
            tsn = tsn.wrapping_add(1);
            blocks += 1;
        }
        self.sctp.insert((m.src, m.dst), (tsn, ssn.wrapping_add(1)));
        blocks
    }

    /// Packets (Enhanced Packet Blocks) written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Writes one EPB holding an IP header and the transport segment `fill` appends.
    fn ip_packet(
        &mut self,
        out: &mut Vec<u8>,
        p: &Meta<'_>,
        proto: u8,
        fill: impl FnOnce(&mut Vec<u8>),
    ) {
        let (src, dst) = same_family(p.src, p.dst);
        // The transport segment is built first (its checksum covers it all), then framed.
        let mut seg = Vec::new();
        fill(&mut seg);
        let ip_len = match src {
            IpAddr::V4(_) => 20,
            IpAddr::V6(_) => 40,
        };
        let pkt_len = ip_len + seg.len();
        let mut opts = Vec::new();
        if let Some(c) = p.comment {
            option(&mut opts, OPT_COMMENT, c.as_bytes());
            option(&mut opts, OPT_END, &[]);
        }
        let total = (32 + pad4(pkt_len) + opts.len()) as u32;
        put32(out, EPB);
        put32(out, total);
        put32(out, 0); // interface 0
        put32(out, (p.ts >> 32) as u32);
        put32(out, p.ts as u32);
        put32(out, pkt_len as u32);
        put32(out, pkt_len as u32);
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                self.ip_id = self.ip_id.wrapping_add(1);
                let mut h = [0u8; 20];
                h[0] = 0x45;
                h[2..4].copy_from_slice(&(pkt_len as u16).to_be_bytes());
                h[4..6].copy_from_slice(&self.ip_id.to_be_bytes());
                h[6] = 0x40; // don't fragment
                h[8] = 64;
                h[9] = proto;
                h[12..16].copy_from_slice(&s.octets());
                h[16..20].copy_from_slice(&d.octets());
                let mut c = Checksum::default();
                c.add(&h);
                h[10..12].copy_from_slice(&c.finish().to_be_bytes());
                out.extend_from_slice(&h);
            }
            _ => {
                let mut h = [0u8; 40];
                h[0] = 0x60;
                h[4..6].copy_from_slice(&(seg.len() as u16).to_be_bytes());
                h[6] = proto;
                h[7] = 64;
                h[8..24].copy_from_slice(&v6(src).octets());
                h[24..40].copy_from_slice(&v6(dst).octets());
                out.extend_from_slice(&h);
            }
        }
        out.extend_from_slice(&seg);
        out.resize(out.len() + pad4(pkt_len) - pkt_len, 0);
        out.extend_from_slice(&opts);
        put32(out, total);
        self.packets += 1;
    }
}

/// Time, addresses and comment of one IP packet to write.
struct Meta<'a> {
    ts: Nanos,
    src: Endpoint,
    dst: Endpoint,
    comment: Option<&'a str>,
}

/// The `opt_comment` of an exported call's section: which call, and when it was exported.
pub fn call_comment(call: &str, exported_at: Nanos) -> String {
    format!(
        "callscope call {call}, exported {}",
        crate::analysis::time::rfc3339(exported_at)
    )
}

fn same_family(a: Endpoint, b: Endpoint) -> (IpAddr, IpAddr) {
    match (a.ip, b.ip) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => (a.ip, b.ip),
        _ => (IpAddr::V6(v6(a.ip)), IpAddr::V6(v6(b.ip))),
    }
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v) => v.to_ipv6_mapped(),
        IpAddr::V6(v) => v,
    }
}

/// A deterministic initial sequence number / tag per direction (FNV-1a of the endpoints).
fn isn(a: Endpoint, b: Endpoint) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    let mut eat = |bytes: &[u8]| {
        for &x in bytes {
            h ^= u32::from(x);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    for e in [a, b] {
        eat(&v6(e.ip).octets());
        eat(&e.port.to_be_bytes());
    }
    h
}

fn pseudo_header(c: &mut Checksum, src: IpAddr, dst: IpAddr, proto: u8, len: usize) {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            c.add(&s.octets());
            c.add(&d.octets());
            c.add(&[0, proto]);
            c.add(&(len as u16).to_be_bytes());
        }
        _ => {
            c.add(&v6(src).octets());
            c.add(&v6(dst).octets());
            c.add(&(len as u32).to_be_bytes());
            c.add(&[0, 0, 0, proto]);
        }
    }
}

fn udp(seg: &mut Vec<u8>, src: IpAddr, dst: IpAddr, ports: (u16, u16), payload: &[u8]) {
    let len = 8 + payload.len();
    let mut h = [0u8; 8];
    h[0..2].copy_from_slice(&ports.0.to_be_bytes());
    h[2..4].copy_from_slice(&ports.1.to_be_bytes());
    h[4..6].copy_from_slice(&(len as u16).to_be_bytes());
    let mut c = Checksum::default();
    pseudo_header(&mut c, src, dst, PROTO_UDP, len);
    c.add(&h);
    c.add(payload);
    // RFC 768: a computed 0 is sent as all ones (0 means "no checksum").
    let sum = match c.finish() {
        0 => 0xFFFF,
        s => s,
    };
    h[6..8].copy_from_slice(&sum.to_be_bytes());
    seg.extend_from_slice(&h);
    seg.extend_from_slice(payload);
}

fn tcp(
    seg: &mut Vec<u8>,
    src: IpAddr,
    dst: IpAddr,
    ports: (u16, u16),
    seq: u32,
    ack: u32,
    data: &[u8],
) {
    let mut h = [0u8; 20];
    h[0..2].copy_from_slice(&ports.0.to_be_bytes());
    h[2..4].copy_from_slice(&ports.1.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[8..12].copy_from_slice(&ack.to_be_bytes());
    h[12] = 5 << 4; // data offset: 5 words, no options
    h[13] = 0x18; // PSH, ACK
    h[14..16].copy_from_slice(&0xFFFFu16.to_be_bytes()); // window
    let mut c = Checksum::default();
    pseudo_header(&mut c, src, dst, PROTO_TCP, 20 + data.len());
    c.add(&h);
    c.add(data);
    h[16..18].copy_from_slice(&c.finish().to_be_bytes());
    seg.extend_from_slice(&h);
    seg.extend_from_slice(data);
}

/// An SCTP packet with one DATA chunk (RFC 9260 §3.3.1); PPID 0 (SIP has none assigned).
struct SctpData<'a> {
    ports: (u16, u16),
    tag: u32,
    tsn: u32,
    ssn: u16,
    /// B (0x02) and E (0x01) bits.
    flags: u8,
    data: &'a [u8],
}

fn sctp_data(seg: &mut Vec<u8>, d: &SctpData<'_>) {
    let start = seg.len();
    seg.extend_from_slice(&d.ports.0.to_be_bytes());
    seg.extend_from_slice(&d.ports.1.to_be_bytes());
    seg.extend_from_slice(&d.tag.to_be_bytes());
    seg.extend_from_slice(&[0; 4]); // checksum, below
    seg.push(0); // DATA
    seg.push(d.flags);
    seg.extend_from_slice(&((16 + d.data.len()) as u16).to_be_bytes());
    seg.extend_from_slice(&d.tsn.to_be_bytes());
    seg.extend_from_slice(&0u16.to_be_bytes()); // stream 0
    seg.extend_from_slice(&d.ssn.to_be_bytes());
    seg.extend_from_slice(&0u32.to_be_bytes()); // PPID
    seg.extend_from_slice(d.data);
    seg.resize(start + 12 + pad4(16 + d.data.len()), 0);
    let crc = crc32c(seg.get(start..).unwrap_or_default());
    // RFC 9260 Appendix A: the CRC's least significant byte goes first.
    if let Some(f) = seg.get_mut(start + 8..start + 12) {
        f.copy_from_slice(&crc.to_le_bytes());
    }
}

/// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), as SCTP uses it.
fn crc32c(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0x82F6_3B78
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc = !0u32;
    for &b in bytes {
        let i = ((crc ^ u32::from(b)) & 0xFF) as usize;
        crc = (crc >> 8) ^ TABLE.get(i).copied().unwrap_or(0);
    }
    !crc
}

fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    let len = value.len().min(0xFFFF);
    put16(out, code);
    put16(out, len as u16);
    out.extend_from_slice(value.get(..len).unwrap_or_default());
    out.resize(out.len() + pad4(len) - len, 0);
}

fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The Internet checksum (RFC 1071) over bytes given in pieces.
#[derive(Debug, Default)]
struct Checksum {
    sum: u64,
    odd: Option<u8>,
}

impl Checksum {
    fn add(&mut self, mut bytes: &[u8]) {
        if let Some(hi) = self.odd.take() {
            match bytes.split_first() {
                Some((&lo, rest)) => {
                    self.sum += u64::from(u16::from_be_bytes([hi, lo]));
                    bytes = rest;
                }
                None => {
                    self.odd = Some(hi);
                    return;
                }
            }
        }
        let mut pairs = bytes.chunks_exact(2);
        for w in &mut pairs {
            if let [a, b] = w {
                self.sum += u64::from(u16::from_be_bytes([*a, *b]));
            }
        }
        self.odd = pairs.remainder().first().copied();
    }

    fn finish(mut self) -> u16 {
        if let Some(hi) = self.odd.take() {
            self.sum += u64::from(u16::from_be_bytes([hi, 0]));
        }
        while self.sum > 0xFFFF {
            self.sum = (self.sum & 0xFFFF) + (self.sum >> 16);
        }
        !(self.sum as u16)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::live::LiveEvent;
    use crate::analysis::{Analyzer, AnalyzerConfig};
    use crate::wire::capture::CaptureReader;

    fn pcap(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../pcaps")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// What a probe forwards (and the engine stores) for a capture: SIP and RTCP.
    fn stored(capture: &[u8]) -> Vec<(Nanos, Endpoint, Endpoint, Transport, Vec<u8>)> {
        let mut a = Analyzer::new(AnalyzerConfig {
            live: true,
            ..AnalyzerConfig::default()
        });
        let mut out = Vec::new();
        for f in CaptureReader::new(capture).unwrap() {
            a.on_frame_live(&f.unwrap(), &mut |e| match e {
                LiveEvent::Sip {
                    ts,
                    flow,
                    transport,
                    bytes,
                    ..
                } => out.push((ts, flow.src, flow.dst, transport, bytes.to_vec())),
                LiveEvent::Rtcp {
                    ts, flow, bytes, ..
                } => out.push((ts, flow.src, flow.dst, Transport::Udp, bytes.to_vec())),
            });
        }
        out
    }

    fn export(items: &[(Nanos, Endpoint, Endpoint, Transport, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        PcapngWriter::header(&mut out, &call_comment("0123", 1_700_000_000_000_000_000));
        let mut w = PcapngWriter::new();
        for (ts, src, dst, transport, bytes) in items {
            w.packet(
                &mut out,
                &ExportPacket {
                    ts: *ts,
                    src: *src,
                    dst: *dst,
                    transport: *transport,
                    payload: bytes,
                    comment: Some("probe1"),
                },
            );
        }
        out
    }

    fn analyze(capture: &[u8]) -> crate::analysis::report::Report {
        let mut a = Analyzer::new(AnalyzerConfig::default());
        for f in CaptureReader::new(capture).unwrap() {
            a.on_frame(&f.unwrap());
        }
        a.finish()
    }

    fn summary(r: &crate::analysis::report::Report) -> Vec<(String, Option<String>, String)> {
        r.messages
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m.first_line.clone(),
                    m.call_id.clone(),
                    m.transport.as_str().to_owned(),
                )
            })
            .collect()
    }

    /// The export of each of our captures (UDP with RTCP and XR, SIP over TCP, WebSocket and
    /// SCTP) reads back with the same SIP messages, calls and RTCP packets.
    #[test]
    fn exported_captures_read_back_the_same() {
        for name in [
            "vq_xr.pcap",
            "tcp_framing.pcap",
            "ws_sctp.pcap",
            "b2bua_chain.pcap",
        ] {
            let original = pcap(name);
            let items = stored(&original);
            let file = export(&items);
            let ours = analyze(&file);
            let theirs = analyze(&original);
            let mut a = summary(&ours);
            let mut b = summary(&theirs);
            a.sort();
            b.sort();
            assert_eq!(a, b, "{name}");
            assert_eq!(ours.calls.len(), theirs.calls.len(), "{name}");
            assert_eq!(
                ours.summary.rtcp_packets,
                items
                    .iter()
                    .filter(|i| crate::rtp::looks_like_rtcp(&i.4))
                    .count() as u64,
                "{name}"
            );
            assert_eq!(ours.summary.malformed, 0, "{name}: {:?}", ours.malformed);
        }
    }

    /// Walks the blocks: (type, body) of each.
    fn blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
        let mut out = Vec::new();
        let mut at = 0;
        while at + 12 <= file.len() {
            let ty = u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
            assert_eq!(len % 4, 0);
            let trailer = u32::from_le_bytes(file[at + len - 4..at + len].try_into().unwrap());
            assert_eq!(trailer as usize, len, "block length repeated at its end");
            out.push((ty, &file[at + 8..at + len - 4]));
            at += len;
        }
        assert_eq!(at, file.len());
        out
    }

    fn verify_checksums(ip: &[u8]) -> (u8, usize) {
        let (proto, src, dst, l4) = match ip[0] >> 4 {
            4 => {
                let mut c = Checksum::default();
                c.add(&ip[..20]);
                assert_eq!(c.finish(), 0, "IPv4 header checksum (RFC 791)");
                assert_eq!(usize::from(u16::from_be_bytes([ip[2], ip[3]])), ip.len());
                let s: [u8; 4] = ip[12..16].try_into().unwrap();
                let d: [u8; 4] = ip[16..20].try_into().unwrap();
                (ip[9], IpAddr::from(s), IpAddr::from(d), &ip[20..])
            }
            6 => {
                assert_eq!(
                    usize::from(u16::from_be_bytes([ip[4], ip[5]])),
                    ip.len() - 40
                );
                let s: [u8; 16] = ip[8..24].try_into().unwrap();
                let d: [u8; 16] = ip[24..40].try_into().unwrap();
                (ip[6], IpAddr::from(s), IpAddr::from(d), &ip[40..])
            }
            v => panic!("IP version {v}"),
        };
        match proto {
            PROTO_UDP | PROTO_TCP => {
                if proto == PROTO_UDP {
                    assert_eq!(usize::from(u16::from_be_bytes([l4[4], l4[5]])), l4.len());
                }
                let mut c = Checksum::default();
                pseudo_header(&mut c, src, dst, proto, l4.len());
                c.add(l4);
                assert_eq!(c.finish(), 0, "UDP/TCP checksum (RFC 768, RFC 9293 §3.1)");
            }
            PROTO_SCTP => {
                let mut copy = l4.to_vec();
                copy[8..12].fill(0);
                assert_eq!(
                    crc32c(&copy).to_le_bytes(),
                    l4[8..12],
                    "CRC32c (RFC 9260 §6.8)"
                );
            }
            p => panic!("protocol {p}"),
        }
        (proto, l4.len())
    }

    /// pcapng layout (SHB, IDB with LINKTYPE_RAW and ns resolution, EPBs) and every
    /// checksum, over real SIP (UDP, TCP, SCTP) and RTCP.
    #[test]
    fn blocks_and_checksums_are_valid() {
        let mut items = stored(&pcap("ws_sctp.pcap"));
        items.extend(stored(&pcap("vq_xr.pcap")));
        items.extend(stored(&pcap("tcp_framing.pcap")));
        let file = export(&items);
        let b = blocks(&file);
        assert_eq!(b[0].0, SHB);
        assert_eq!(&b[0].1[..4], &BYTE_ORDER_MAGIC.to_le_bytes());
        let text = String::from_utf8_lossy(b[0].1);
        assert!(
            text.contains("callscope call 0123, exported 2023-11-14T22:13:20"),
            "{text}"
        );
        assert_eq!(b[1].0, IDB);
        assert_eq!(&b[1].1[..2], &LINKTYPE_RAW.to_le_bytes());
        assert!(
            b[1].1.windows(5).any(|w| w == [9, 0, 1, 0, 9]),
            "if_tsresol = 9"
        );
        let mut protos = std::collections::BTreeSet::new();
        for (ty, body) in &b[2..] {
            assert_eq!(*ty, EPB);
            let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
            let (proto, _) = verify_checksums(&body[20..20 + caplen]);
            protos.insert(proto);
            let comment = String::from_utf8_lossy(&body[20 + caplen..]).into_owned();
            assert!(
                comment.contains("probe1") || comment.contains("handshake made up"),
                "{comment}"
            );
        }
        // One block per message, and a made-up handshake (2) per WebSocket connection.
        let ws = items.iter().filter(|i| i.3 == Transport::Ws).count();
        assert!(ws > 0);
        assert_eq!(b.len() - 2, items.len() + 2);
        assert_eq!(
            protos.into_iter().collect::<Vec<_>>(),
            [PROTO_TCP, PROTO_UDP, PROTO_SCTP]
        );
    }

    fn ep(s: &str) -> Endpoint {
        let a: std::net::SocketAddr = s.parse().unwrap();
        Endpoint::new(a.ip(), a.port())
    }

    fn tcp_fields(file: &[u8], n: usize) -> (u32, u32, usize) {
        let b = blocks(file);
        let body = b[2 + n].1;
        let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
        let ip = &body[20..20 + caplen];
        let hl = if ip[0] >> 4 == 4 { 20 } else { 40 };
        let t = &ip[hl..];
        (
            u32::from_be_bytes(t[4..8].try_into().unwrap()),
            u32::from_be_bytes(t[8..12].try_into().unwrap()),
            t.len() - 20,
        )
    }

    /// RFC 9293 §3.4: each direction's sequence numbers continue over its messages and each
    /// segment acknowledges what the other side sent; long messages are split.
    #[test]
    fn tcp_sequence_numbers_are_consistent() {
        let (a, b) = (ep("[2001:db8::1]:5060"), ep("[2001:db8::2]:40000"));
        let msg = |n: usize| vec![b'x'; n];
        let sends = [
            (a, b, 100),
            (a, b, 200),
            (b, a, 50),
            (a, b, MAX_SEGMENT + 10),
        ];
        let mut out = Vec::new();
        PcapngWriter::header(&mut out, "t");
        let mut w = PcapngWriter::new();
        let mut blocks_written = 0;
        for (i, (s, d, n)) in sends.iter().enumerate() {
            let payload = msg(*n);
            blocks_written += w.packet(
                &mut out,
                &ExportPacket {
                    ts: i as u64,
                    src: *s,
                    dst: *d,
                    transport: Transport::Tcp,
                    payload: &payload,
                    comment: None,
                },
            );
        }
        assert_eq!(blocks_written, 5);
        assert_eq!(w.packets(), 5);
        let f: Vec<_> = (0..5).map(|i| tcp_fields(&out, i)).collect();
        assert_eq!(f[1].0, f[0].0.wrapping_add(100));
        assert_eq!(f[2].1, f[1].0.wrapping_add(200), "b acknowledges all of a");
        assert_eq!(f[3].1, f[2].0.wrapping_add(50), "a acknowledges all of b");
        assert_eq!(f[3].0, f[1].0.wrapping_add(200));
        assert_eq!((f[3].2, f[4].2), (MAX_SEGMENT, 10));
        assert_eq!(f[4].0, f[3].0.wrapping_add(MAX_SEGMENT as u32));
        for (_, body) in &blocks(&out)[2..] {
            let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
            verify_checksums(&body[20..20 + caplen]);
        }
    }

    /// A v4 endpoint talking to a v6 one is written as IPv4-mapped IPv6; an oversized "UDP"
    /// payload as TCP; an empty one as an empty datagram.
    #[test]
    fn mixed_families_and_oversized_datagrams() {
        let mut out = Vec::new();
        PcapngWriter::header(&mut out, "t");
        let mut w = PcapngWriter::new();
        let big = vec![b'a'; MAX_SEGMENT + 1];
        for (src, dst, payload) in [
            (
                ep("192.0.2.1:5060"),
                ep("[2001:db8::2]:5060"),
                &b"OPTIONS"[..],
            ),
            (ep("192.0.2.1:5060"), ep("192.0.2.2:5060"), &big[..]),
            (ep("192.0.2.1:5060"), ep("192.0.2.2:5060"), &b""[..]),
        ] {
            w.packet(
                &mut out,
                &ExportPacket {
                    ts: 1,
                    src,
                    dst,
                    transport: Transport::Udp,
                    payload,
                    comment: None,
                },
            );
        }
        let b = blocks(&out);
        assert_eq!(b.len(), 2 + 1 + 2 + 1);
        let kinds: Vec<(u8, u8)> = b[2..]
            .iter()
            .map(|(_, body)| {
                let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
                let ip = &body[20..20 + caplen];
                (ip[0] >> 4, verify_checksums(ip).0)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (6, PROTO_UDP),
                (4, PROTO_TCP),
                (4, PROTO_TCP),
                (4, PROTO_UDP)
            ]
        );
    }

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C over "123456789" (RFC 3720 Appendix B.4 family).
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}
