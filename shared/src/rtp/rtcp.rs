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
                && buf.len() & 3 == 0
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::xr::{VoipMetrics, XrBlock};
    use super::*;

    fn push32(b: &mut Vec<u8>, w: u32) {
        b.extend_from_slice(&w.to_be_bytes());
    }

    /// SR with one report block + SDES CNAME + XR with a VoIP Metrics block + BYE, by hand
    /// (RFC 3550 §6.4.1, §6.5, §6.6; RFC 3611 §4.7).
    fn compound() -> (Vec<u8>, VoipMetrics) {
        let mut b = vec![0x81, 200, 0, 12];
        for w in [
            0x1111_1111u32,
            0xE8D4_A510,
            0x8000_0000,
            160_000,
            500,
            80_000,
        ] {
            push32(&mut b, w);
        }
        // Report block: cumulative lost −3 (0xFFFFFD), fraction 10.
        for w in [
            0x2222_2222u32,
            0x0AFF_FFFD,
            65_579,
            436,
            0xA510_8000,
            13_107,
        ] {
            push32(&mut b, w);
        }
        // SDES: 1 chunk, CNAME "ab@h" (6 bytes) + END -> 4 + 7 padded to 12.
        b.extend_from_slice(&[0x81, 202, 0, 3]);
        push32(&mut b, 0x1111_1111);
        b.extend_from_slice(&[1, 4, b'a', b'b', b'@', b'h', 0, 0]);
        // XR with BT 7.
        let vm = VoipMetrics {
            ssrc: 0x2222_2222,
            loss_rate: 12,
            discard_rate: 3,
            burst_density: 200,
            gap_density: 5,
            burst_duration: 60,
            gap_duration: 5000,
            round_trip_delay: 120,
            end_system_delay: 45,
            signal_level: Some(-20),
            noise_level: None,
            rerl: Some(55),
            gmin: 16,
            r_factor: Some(88),
            ext_r_factor: None,
            mos_lq: Some(42),
            mos_cq: Some(41),
            rx_config: 0b1111_0010,
            jb_nominal: 40,
            jb_maximum: 80,
            jb_abs_max: 120,
        };
        b.extend_from_slice(&[0x80, 207, 0, 10]);
        push32(&mut b, 0x1111_1111);
        b.extend_from_slice(&vm.to_block());
        // BYE with reason "bye".
        b.extend_from_slice(&[0x81, 203, 0, 2]);
        push32(&mut b, 0x1111_1111);
        b.extend_from_slice(&[3, b'b', b'y', b'e']);
        (b, vm)
    }

    #[test]
    fn hand_built_compound() {
        let (b, vm) = compound();
        assert!(looks_like_rtcp(&b));
        let pkts: Vec<_> = RtcpCompound::new(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(pkts.len(), 4);
        let RtcpPacket::SenderReport(sr) = pkts[0] else {
            panic!("{:?}", pkts[0])
        };
        assert_eq!(sr.ssrc, 0x1111_1111);
        assert_eq!(sr.lsr_key(), 0xA510_8000);
        let blocks: Vec<_> = sr.report_blocks().collect();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].cumulative_lost, -3);
        assert_eq!(blocks[0].fraction_lost, 10);
        assert_eq!(blocks[0].dlsr, 13_107);
        let RtcpPacket::Sdes(sdes) = pkts[1] else {
            panic!()
        };
        assert_eq!(sdes.cname(), Some((0x1111_1111, &b"ab@h"[..])));
        let RtcpPacket::ExtendedReport(xr) = pkts[2] else {
            panic!()
        };
        let blocks: Vec<_> = xr.blocks().collect::<Result<_, _>>().unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].block_type, XrBlock::VOIP_METRICS);
        let got = blocks[0].voip_metrics().unwrap();
        assert_eq!(got, vm);
        assert_eq!((got.plc(), got.jba(), got.jb_rate()), (3, 3, 2));
        assert_eq!(got.mos_lq_value(), Some(4.2));
        assert!((got.loss_percent() - 4.6875).abs() < 1e-12);
        let RtcpPacket::Bye(bye) = pkts[3] else {
            panic!()
        };
        assert_eq!(bye.sources().collect::<Vec<_>>(), vec![0x1111_1111]);
        assert_eq!(bye.reason, Some(&b"bye"[..]));
    }

    #[test]
    fn errors_are_typed_and_stop_iteration() {
        let (mut b, _) = compound();
        // Overrun: claim the BYE is longer than the datagram.
        let bye_at = b.len() - 12;
        b[bye_at + 3] = 9;
        let res: Vec<_> = RtcpCompound::new(&b).collect();
        assert_eq!(res.len(), 4);
        assert!(matches!(res[3], Err(RtcpError::LengthOverrun { .. })));
        // Version 1.
        let bad = [0x41, 200, 0, 0];
        assert!(matches!(
            RtcpCompound::new(&bad).next(),
            Some(Err(RtcpError::BadVersion { version: 1, .. }))
        ));
        // SR whose count claims 2 blocks in a 1-block body.
        let (mut c, _) = compound();
        c[0] = 0x82;
        assert!(matches!(
            RtcpCompound::new(&c).next(),
            Some(Err(RtcpError::BodyTooShort { .. }))
        ));
        // Truncated XR block.
        let xr = [0x80, 207, 0, 2, 0, 0, 0, 1, 7, 0, 0, 8];
        let RtcpPacket::ExtendedReport(x) = RtcpCompound::new(&xr).next().unwrap().unwrap() else {
            panic!()
        };
        assert!(matches!(x.blocks().next(), Some(Err(_))));
        assert!(!looks_like_rtcp(&[0x80, 0x00, 0, 1, 0, 0, 0, 0]));
    }

    /// Corpus `ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap` (Linux SLL). Expected values
    /// from `tshark -r F -Y rtcp -T fields -e rtcp.pt -e rtcp.senderssrc -e rtcp.rc
    /// -e rtcp.ssrc.identifier -e rtcp.ssrc.fraction -e rtcp.ssrc.cum_nr -e rtcp.ssrc.high_seq
    /// -e rtcp.ssrc.jitter -e rtcp.ssrc.lsr -e rtcp.ssrc.dlsr -e rtcp.sdes.text
    /// -e rtcp.timestamp.ntp.msw` (tshark 4.0.17) and the corpus `ref/…rtcp.tsv`.
    #[test]
    fn corpus_ndpi_rtcp_compound() {
        use super::super::tests_pcap::{corpus_file, udp_packets};
        let Some(file) = corpus_file("pcaps/ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap")
        else {
            return;
        };
        // (pts, sender ssrc, block ssrc, fraction, cum, high seq, jitter, lsr, dlsr, cname, ntp msw)
        type Row = (
            [u8; 2],
            u32,
            u32,
            u8,
            i32,
            u32,
            u32,
            u32,
            u32,
            &'static str,
            Option<u32>,
        );
        let expected: [Row; 5] = [
            (
                [200, 202],
                0x5d931534,
                0,
                0,
                1,
                0,
                0,
                0,
                0,
                "5d931534",
                Some(3711615344),
            ),
            (
                [201, 202],
                0x01932db4,
                0,
                1,
                1,
                48834,
                1,
                0,
                0,
                "1932db4",
                None,
            ),
            (
                [200, 202],
                0x5d931534,
                0x01932db4,
                0,
                1,
                0,
                0,
                0,
                0,
                "5d931534",
                Some(3711615348),
            ),
            (
                [201, 202],
                0x01932db4,
                0x5d931534,
                0,
                1,
                49035,
                6,
                3245362529,
                263452,
                "1932db4",
                None,
            ),
            (
                [200, 202],
                0x5d931534,
                0x01932db4,
                0,
                1,
                0,
                0,
                0,
                0,
                "5d931534",
                Some(3711615352),
            ),
        ];
        let (_, udps) = udp_packets(&file);
        assert_eq!(udps.len(), 5);
        for (u, want) in udps.iter().zip(expected) {
            assert!(looks_like_rtcp(&u.payload));
            let pkts: Vec<_> = RtcpCompound::new(&u.payload)
                .collect::<Result<_, _>>()
                .unwrap();
            let pts: Vec<u8> = pkts.iter().map(RtcpPacket::packet_type).collect();
            assert_eq!(pts, want.0);
            let (sender, blocks, msw) = match pkts[0] {
                RtcpPacket::SenderReport(sr) => (
                    sr.ssrc,
                    sr.report_blocks().collect::<Vec<_>>(),
                    Some(sr.ntp_sec),
                ),
                RtcpPacket::ReceiverReport(rr) => {
                    (rr.ssrc, rr.report_blocks().collect::<Vec<_>>(), None)
                }
                other => panic!("{other:?}"),
            };
            assert_eq!(sender, want.1);
            assert_eq!(msw, want.10);
            assert_eq!(blocks.len(), 1);
            let b = blocks[0];
            assert_eq!(
                (
                    b.ssrc,
                    b.fraction_lost,
                    b.cumulative_lost,
                    b.ext_highest_seq,
                    b.jitter,
                    b.lsr,
                    b.dlsr
                ),
                (want.2, want.3, want.4, want.5, want.6, want.7, want.8)
            );
            let RtcpPacket::Sdes(sdes) = pkts[1] else {
                panic!()
            };
            let (ssrc, cname) = sdes.cname().unwrap();
            assert_eq!(ssrc, want.1);
            assert_eq!(cname, want.9.as_bytes());
            let texts: Vec<_> = sdes
                .chunks()
                .flat_map(|c| c.items().collect::<Vec<_>>())
                .collect();
            assert!(
                texts
                    .iter()
                    .any(|i| i.value == b"FreeSWITCH.org -- Come to ClueCon.com")
            );
        }
    }
}
