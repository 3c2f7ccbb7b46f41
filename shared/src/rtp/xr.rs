//! RTCP Extended Reports (RFC 3611): block iteration and the VoIP Metrics block (BT 7, §4.7).

use super::reader::Reader;

/// One XR report block: type, type-specific byte and body (block length words × 4 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XrBlock<'a> {
    pub block_type: u8,
    pub type_specific: u8,
    pub body: &'a [u8],
}

impl<'a> XrBlock<'a> {
    pub const LOSS_RLE: u8 = 1;
    pub const DUPLICATE_RLE: u8 = 2;
    pub const PACKET_RECEIPT_TIMES: u8 = 3;
    pub const RECEIVER_REFERENCE_TIME: u8 = 4;
    pub const DLRR: u8 = 5;
    pub const STATISTICS_SUMMARY: u8 = 6;
    pub const VOIP_METRICS: u8 = 7;

    /// Decodes a VoIP Metrics block; `None` for other block types or a wrong length.
    pub fn voip_metrics(&self) -> Option<VoipMetrics> {
        (self.block_type == Self::VOIP_METRICS).then(|| VoipMetrics::parse(self.body))?
    }

    /// Receiver Reference Time (BT 4): the 64-bit NTP timestamp.
    pub fn receiver_reference_time(&self) -> Option<u64> {
        if self.block_type != Self::RECEIVER_REFERENCE_TIME {
            return None;
        }
        let mut r = Reader::new(self.body);
        let hi = r.u32()?;
        let lo = r.u32()?;
        Some((u64::from(hi) << 32) | u64::from(lo))
    }

    /// DLRR (BT 5) sub-blocks: (SSRC, LRR, DLRR).
    pub fn dlrr(&self) -> impl Iterator<Item = (u32, u32, u32)> + 'a {
        let body = if self.block_type == Self::DLRR {
            self.body
        } else {
            &[]
        };
        body.chunks_exact(12).map(|c| {
            let w = |i: usize| u32::from_be_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
            (w(0), w(4), w(8))
        })
    }
}

/// Iterator over the report blocks of an XR packet (after the sender SSRC). A block whose
/// length overruns the packet ends the iteration with one `Err`.
#[derive(Debug, Clone)]
pub struct XrBlocks<'a> {
    r: Reader<'a>,
    failed: bool,
}

impl<'a> XrBlocks<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Self {
        Self {
            r: Reader::new(body),
            failed: false,
        }
    }
}

/// An XR block header announced more bytes than the packet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("XR block at byte {offset} needs {needed} bytes, {available} left")]
pub struct XrBlockOverrun {
    pub offset: usize,
    pub needed: usize,
    pub available: usize,
}

impl<'a> Iterator for XrBlocks<'a> {
    type Item = Result<XrBlock<'a>, XrBlockOverrun>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let offset = self.r.offset();
        let available = self.r.left();
        let mut peek = self.r;
        let (Some(block_type), Some(type_specific), Some(words)) =
            (peek.u8(), peek.u8(), peek.u16())
        else {
            self.failed = true;
            return Some(Err(XrBlockOverrun {
                offset,
                needed: 4,
                available,
            }));
        };
        let words = usize::from(words);
        match peek.take(words * 4) {
            Some(body) => {
                self.r = peek;
                Some(Ok(XrBlock {
                    block_type,
                    type_specific,
                    body,
                }))
            }
            None => {
                self.failed = true;
                Some(Err(XrBlockOverrun {
                    offset,
                    needed: 4 + 4 * words,
                    available,
                }))
            }
        }
    }
}

/// RFC 3611 §4.7 VoIP Metrics. Values the RFC marks "unavailable" (127 for the signed levels
/// and R/MOS fields) are `None`; rates keep their raw ×256 fixed-point byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VoipMetrics {
    pub ssrc: u32,
    /// Lost / expected × 256 since the start of reception.
    pub loss_rate: u8,
    /// Discarded (late/early) / expected × 256.
    pub discard_rate: u8,
    pub burst_density: u8,
    pub gap_density: u8,
    /// Mean burst length, ms.
    pub burst_duration: u16,
    /// Mean gap length, ms.
    pub gap_duration: u16,
    /// Most recent round-trip delay, ms.
    pub round_trip_delay: u16,
    /// Internal delay of the reporting end system, ms.
    pub end_system_delay: u16,
    /// dBm0.
    pub signal_level: Option<i8>,
    /// dBm0.
    pub noise_level: Option<i8>,
    /// Residual echo return loss, dB.
    pub rerl: Option<u8>,
    pub gmin: u8,
    pub r_factor: Option<u8>,
    pub ext_r_factor: Option<u8>,
    /// MOS × 10.
    pub mos_lq: Option<u8>,
    /// MOS × 10.
    pub mos_cq: Option<u8>,
    /// Raw receiver configuration byte (PLC, JBA, JB rate).
    pub rx_config: u8,
    /// Jitter buffer nominal delay, ms.
    pub jb_nominal: u16,
    pub jb_maximum: u16,
    pub jb_abs_max: u16,
}

const UNAVAILABLE: u8 = 127;

fn avail(v: u8) -> Option<u8> {
    (v != UNAVAILABLE).then_some(v)
}

impl VoipMetrics {
    /// Body length of BT 7 (block length 8 words).
    pub const BODY_LEN: usize = 32;

    /// Parses the 32-byte body (after BT, reserved and block length).
    pub fn parse(body: &[u8]) -> Option<Self> {
        if body.len() != Self::BODY_LEN {
            return None;
        }
        let mut r = Reader::new(body);
        Some(Self {
            ssrc: r.u32()?,
            loss_rate: r.u8()?,
            discard_rate: r.u8()?,
            burst_density: r.u8()?,
            gap_density: r.u8()?,
            burst_duration: r.u16()?,
            gap_duration: r.u16()?,
            round_trip_delay: r.u16()?,
            end_system_delay: r.u16()?,
            signal_level: avail(r.u8()?).map(|v| v as i8),
            noise_level: avail(r.u8()?).map(|v| v as i8),
            rerl: avail(r.u8()?),
            gmin: r.u8()?,
            r_factor: avail(r.u8()?),
            ext_r_factor: avail(r.u8()?),
            mos_lq: avail(r.u8()?),
            mos_cq: avail(r.u8()?),
            rx_config: {
                let c = r.u8()?;
                r.u8()?; // reserved
                c
            },
            jb_nominal: r.u16()?,
            jb_maximum: r.u16()?,
            jb_abs_max: r.u16()?,
        })
    }

    /// Packet loss concealment: 3 standard, 2 enhanced, 1 disabled, 0 unspecified.
    pub fn plc(&self) -> u8 {
        self.rx_config >> 6
    }
    /// Jitter buffer adaptive: 3 adaptive, 2 non-adaptive, 0 unknown.
    pub fn jba(&self) -> u8 {
        (self.rx_config >> 4) & 3
    }
    /// Jitter buffer rate (0–15).
    pub fn jb_rate(&self) -> u8 {
        self.rx_config & 0x0f
    }
    /// Loss rate in percent (×100/256).
    pub fn loss_percent(&self) -> f64 {
        f64::from(self.loss_rate) * 100.0 / 256.0
    }
    /// Discard rate in percent.
    pub fn discard_percent(&self) -> f64 {
        f64::from(self.discard_rate) * 100.0 / 256.0
    }
    /// MOS-LQ as a MOS value.
    pub fn mos_lq_value(&self) -> Option<f64> {
        self.mos_lq.map(|v| f64::from(v) / 10.0)
    }
    /// MOS-CQ as a MOS value.
    pub fn mos_cq_value(&self) -> Option<f64> {
        self.mos_cq.map(|v| f64::from(v) / 10.0)
    }

    /// Serializes the whole 36-byte block (header included); used by tests and tools.
    pub fn to_block(&self) -> [u8; 36] {
        let mut b = [0u8; 36];
        b[0] = XrBlock::VOIP_METRICS;
        b[2..4].copy_from_slice(&8u16.to_be_bytes());
        b[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
        b[8] = self.loss_rate;
        b[9] = self.discard_rate;
        b[10] = self.burst_density;
        b[11] = self.gap_density;
        b[12..14].copy_from_slice(&self.burst_duration.to_be_bytes());
        b[14..16].copy_from_slice(&self.gap_duration.to_be_bytes());
        b[16..18].copy_from_slice(&self.round_trip_delay.to_be_bytes());
        b[18..20].copy_from_slice(&self.end_system_delay.to_be_bytes());
        b[20] = self.signal_level.map_or(UNAVAILABLE, |v| v as u8);
        b[21] = self.noise_level.map_or(UNAVAILABLE, |v| v as u8);
        b[22] = self.rerl.unwrap_or(UNAVAILABLE);
        b[23] = self.gmin;
        b[24] = self.r_factor.unwrap_or(UNAVAILABLE);
        b[25] = self.ext_r_factor.unwrap_or(UNAVAILABLE);
        b[26] = self.mos_lq.unwrap_or(UNAVAILABLE);
        b[27] = self.mos_cq.unwrap_or(UNAVAILABLE);
        b[28] = self.rx_config;
        b[30..32].copy_from_slice(&self.jb_nominal.to_be_bytes());
        b[32..34].copy_from_slice(&self.jb_maximum.to_be_bytes());
        b[34..36].copy_from_slice(&self.jb_abs_max.to_be_bytes());
        b
    }
}
