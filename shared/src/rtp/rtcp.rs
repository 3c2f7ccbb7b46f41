//! Zero-copy RTCP compound packet parser (RFC 3550 §6.4–6.7, RFC 3611 XR).
//!
//! [`RtcpCompound`] walks the packets of one datagram; each packet is carved with a bounded
//! reader from its own length field, so a bad length can never read into the next packet.
//! SR, RR, SDES, BYE, APP and XR are decoded; RTPFB/PSFB and unknown types are returned as
//! [`RtcpPacket::Other`] with their body.

use super::reader::Reader;
use super::xr::XrBlocks;

/// Why an RTCP datagram could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    #[error("RTCP packet at byte {offset} is shorter than its 4-byte header")]
    TooShort { offset: usize },
    #[error("RTCP packet at byte {offset} has version {version}, expected 2")]
    BadVersion { offset: usize, version: u8 },
    #[error("RTCP packet at byte {offset} announces {needed} bytes, {available} left")]
    LengthOverrun {
        offset: usize,
        needed: usize,
        available: usize,
    },
    #[error("RTCP padding of {pad} bytes at byte {offset} is invalid")]
    BadPadding { offset: usize, pad: usize },
    #[error("RTCP packet type {packet_type} at byte {offset}: body too short for {what}")]
    BodyTooShort {
        offset: usize,
        packet_type: u8,
        what: &'static str,
    },
}

/// Well-known RTCP packet types.
pub mod packet_type {
    pub const SR: u8 = 200;
    pub const RR: u8 = 201;
    pub const SDES: u8 = 202;
    pub const BYE: u8 = 203;
    pub const APP: u8 = 204;
    pub const RTPFB: u8 = 205;
    pub const PSFB: u8 = 206;
    pub const XR: u8 = 207;
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, ×256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost (signed 24-bit; negative with duplicates).
    pub cumulative_lost: i32,
    pub ext_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR from `ssrc` (0: none).
    pub lsr: u32,
    /// Delay since that SR, 1/65536 s (0: none).
    pub dlsr: u32,
}

impl ReportBlock {
    pub const LEN: usize = 24;

    fn parse(b: &[u8]) -> Option<Self> {
        let mut r = Reader::new(b);
        let ssrc = r.u32()?;
        let lost_word = r.u32()?;
        // Sign-extend the 24-bit cumulative count.
        let cumulative_lost = ((lost_word << 8) as i32) >> 8;
        Some(Self {
            ssrc,
            fraction_lost: (lost_word >> 24) as u8,
            cumulative_lost,
            ext_highest_seq: r.u32()?,
            jitter: r.u32()?,
            lsr: r.u32()?,
            dlsr: r.u32()?,
        })
    }
}

/// The report blocks of an SR or RR (length already validated against the count).
#[derive(Debug, Clone)]
pub struct ReportBlocks<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl<'a> ReportBlocks<'a> {
    fn new(b: &'a [u8]) -> Self {
        Self {
            chunks: b.chunks_exact(ReportBlock::LEN),
        }
    }
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;
    fn next(&mut self) -> Option<ReportBlock> {
        self.chunks.next().and_then(ReportBlock::parse)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

/// Sender report (PT 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    pub ssrc: u32,
    pub ntp_sec: u32,
    pub ntp_frac: u32,
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    pub octet_count: u32,
    blocks: &'a [u8],
    /// Profile-specific extension after the report blocks.
    pub extension: &'a [u8],
}

impl<'a> SenderReport<'a> {
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks::new(self.blocks)
    }
    /// The "middle 32 bits" of the NTP timestamp: the value an RR quotes as LSR.
    pub fn lsr_key(&self) -> u32 {
        (self.ntp_sec << 16) | (self.ntp_frac >> 16)
    }
}

/// Receiver report (PT 201).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    pub ssrc: u32,
    blocks: &'a [u8],
    pub extension: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks::new(self.blocks)
    }
}

/// Source description (PT 202): `count` chunks of SSRC + items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    pub count: u8,
    pub body: &'a [u8],
}

/// One SDES item (type 1 = CNAME, 2 NAME, ... 8 PRIV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    pub kind: u8,
    pub value: &'a [u8],
}

impl SdesItem<'_> {
    pub const CNAME: u8 = 1;
}

/// One SDES chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    pub ssrc: u32,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// Items up to the END item (a truncated item ends the iteration).
    pub fn items(&self) -> impl Iterator<Item = SdesItem<'a>> + 'a {
        let mut r = Reader::new(self.items);
        core::iter::from_fn(move || {
            let kind = r.u8()?;
            if kind == 0 {
                return None;
            }
            let len = usize::from(r.u8()?);
            Some(SdesItem {
                kind,
                value: r.take(len)?,
            })
        })
    }
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items()
            .find(|i| i.kind == SdesItem::CNAME)
            .map(|i| i.value)
    }
}

impl<'a> Sdes<'a> {
    /// Chunks; iteration stops at the first malformed chunk.
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let mut r = Reader::new(self.body);
        let mut left = self.count;
        core::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let start = r.offset();
            let ssrc = r.u32()?;
            // Items run to a zero type byte, then pad to a 32-bit boundary.
            let mut items_len = 0usize;
            let mut scan = r;
            loop {
                let kind = scan.u8()?;
                if kind == 0 {
                    break;
                }
                let len = usize::from(scan.u8()?);
                scan.take(len)?;
                items_len += 2 + len;
            }
            let items = r.take(items_len)?;
            let used = r.offset() - start + 1; // the END byte
            let padded = used.div_ceil(4) * 4;
            r.take(padded - (r.offset() - start))?;
            Some(SdesChunk { ssrc, items })
        })
    }
    /// The first CNAME in the packet, with its SSRC.
    pub fn cname(&self) -> Option<(u32, &'a [u8])> {
        self.chunks().find_map(|c| c.cname().map(|n| (c.ssrc, n)))
    }
}

/// Goodbye (PT 203).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    sources: &'a [u8],
    pub reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    pub fn sources(&self) -> impl Iterator<Item = u32> + 'a {
        self.sources
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

/// Application-defined (PT 204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    pub subtype: u8,
    pub ssrc: u32,
    pub name: [u8; 4],
    pub data: &'a [u8],
}

/// Extended report (PT 207, RFC 3611).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedReport<'a> {
    pub ssrc: u32,
    pub blocks_bytes: &'a [u8],
}

impl<'a> ExtendedReport<'a> {
    pub fn blocks(&self) -> XrBlocks<'a> {
        XrBlocks::new(self.blocks_bytes)
    }
}

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    SenderReport(SenderReport<'a>),
    ReceiverReport(ReceiverReport<'a>),
    Sdes(Sdes<'a>),
    Bye(Bye<'a>),
    App(App<'a>),
    ExtendedReport(ExtendedReport<'a>),
    /// RTPFB, PSFB and unknown types: skipped by length.
    Other {
        packet_type: u8,
        count: u8,
        body: &'a [u8],
    },
}

impl RtcpPacket<'_> {
    pub fn packet_type(&self) -> u8 {
        match self {
            RtcpPacket::SenderReport(_) => packet_type::SR,
            RtcpPacket::ReceiverReport(_) => packet_type::RR,
            RtcpPacket::Sdes(_) => packet_type::SDES,
            RtcpPacket::Bye(_) => packet_type::BYE,
            RtcpPacket::App(_) => packet_type::APP,
            RtcpPacket::ExtendedReport(_) => packet_type::XR,
            RtcpPacket::Other { packet_type, .. } => *packet_type,
        }
    }
}

/// Iterator over the packets of one RTCP datagram. After an `Err` it yields `None`.
#[derive(Debug, Clone)]
pub struct RtcpCompound<'a> {
    r: Reader<'a>,
    failed: bool,
}

impl<'a> RtcpCompound<'a> {
    pub fn new(datagram: &'a [u8]) -> Self {
        Self {
            r: Reader::new(datagram),
            failed: false,
        }
    }

    fn parse_next(&mut self) -> Result<RtcpPacket<'a>, RtcpError> {
        let offset = self.r.offset();
        let available = self.r.left();
        let mut hdr = self.r;
        let (Some(b0), Some(pt), Some(words)) = (hdr.u8(), hdr.u8(), hdr.u16()) else {
            return Err(RtcpError::TooShort { offset });
        };
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion { offset, version });
        }
        let needed = 4 * (usize::from(words) + 1);
        let Some(mut pkt) = self.r.sub(needed) else {
            return Err(RtcpError::LengthOverrun {
                offset,
                needed,
                available,
            });
        };
        pkt.take(4);
        let mut body = pkt.rest();
        if b0 & 0x20 != 0 {
            // Padding: the last octet counts the padding bytes (only legal in the last packet,
            // but tolerated anywhere since the length already bounds it).
            let pad = usize::from(body.last().copied().unwrap_or(0));
            if pad == 0 || pad > body.len() {
                return Err(RtcpError::BadPadding { offset, pad });
            }
            body = body.get(..body.len() - pad).unwrap_or(&[]);
        }
        let count = b0 & 0x1f;
        let short = |what| RtcpError::BodyTooShort {
            offset,
            packet_type: pt,
            what,
        };
        let mut r = Reader::new(body);
        Ok(match pt {
            packet_type::SR => {
                let ssrc = r.u32().ok_or(short("sender info"))?;
                let ntp_sec = r.u32().ok_or(short("sender info"))?;
                let ntp_frac = r.u32().ok_or(short("sender info"))?;
                let rtp_timestamp = r.u32().ok_or(short("sender info"))?;
                let packet_count = r.u32().ok_or(short("sender info"))?;
                let octet_count = r.u32().ok_or(short("sender info"))?;
                let blocks = r
                    .take(usize::from(count) * ReportBlock::LEN)
                    .ok_or(short("report blocks"))?;
                RtcpPacket::SenderReport(SenderReport {
                    ssrc,
                    ntp_sec,
                    ntp_frac,
                    rtp_timestamp,
                    packet_count,
                    octet_count,
                    blocks,
                    extension: r.rest(),
                })
            }
            packet_type::RR => {
                let ssrc = r.u32().ok_or(short("sender SSRC"))?;
                let blocks = r
                    .take(usize::from(count) * ReportBlock::LEN)
                    .ok_or(short("report blocks"))?;
                RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc,
                    blocks,
                    extension: r.rest(),
                })
            }
            packet_type::SDES => RtcpPacket::Sdes(Sdes { count, body }),
            packet_type::BYE => {
                let sources = r.take(usize::from(count) * 4).ok_or(short("SSRC list"))?;
                let reason = match r.u8() {
                    Some(len) => Some(r.take(usize::from(len)).ok_or(short("reason"))?),
                    None => None,
                };
                RtcpPacket::Bye(Bye { sources, reason })
            }
            packet_type::APP => {
                let ssrc = r.u32().ok_or(short("APP header"))?;
                let name = r.take(4).ok_or(short("APP name"))?;
                RtcpPacket::App(App {
                    subtype: count,
                    ssrc,
                    name: [name[0], name[1], name[2], name[3]],
                    data: r.rest(),
                })
            }
            packet_type::XR => {
                let ssrc = r.u32().ok_or(short("XR sender SSRC"))?;
                RtcpPacket::ExtendedReport(ExtendedReport {
                    ssrc,
                    blocks_bytes: r.rest(),
                })
            }
            _ => RtcpPacket::Other {
                packet_type: pt,
                count,
                body,
            },
        })
    }
}

impl<'a> Iterator for RtcpCompound<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let res = self.parse_next();
        if res.is_err() {
            self.failed = true;
        }
        Some(res)
    }
}

/// Cheap content test: version 2, the first packet is an RTCP type (SR, RR, SDES, BYE, APP,
/// RTPFB, PSFB or XR) and its length fits in the datagram (RFC 5761 §4 demultiplexing).
pub fn looks_like_rtcp(buf: &[u8]) -> bool {
    match buf {
        [b0, pt, hi, lo, ..] => {
            let words = usize::from(u16::from_be_bytes([*hi, *lo]));
            b0 >> 6 == 2
                && (packet_type::SR..=packet_type::XR).contains(pt)
                && 4 * (words + 1) <= buf.len()
                && buf.len() % 4 == 0
        }
        _ => false,
    }
}
