//! RTP/RTCP views, per-stream statistics (RFC 3550 and tshark 4.0's exact figures), the
//! ITU-T G.107 E-model, RTCP-XR VoIP metrics and RFC 6035 vq-rtcpxr. OWNER: rtp helper.
//!
//! - [`packet`]: zero-copy RTP header view, [`looks_like_rtp`].
//! - [`rtcp`], [`xr`]: compound RTCP iteration (SR, RR, SDES, BYE, APP, XR), [`looks_like_rtcp`].
//! - [`stats`]: [`StreamStats`], fed per packet without allocation; [`tshark`] holds the
//!   Wireshark 4.0 algorithm and row formatting; [`rfc3550`] the RFC's A.1/A.3/A.8.
//! - [`burst`], [`jitter_buffer`]: loss runs, RFC 3611 burst/gap, jitter-buffer discard models.
//! - [`emodel`], [`codec`]: G.107 R and MOS, G.113 codec impairments, [`emodel::mos_for_stream`].
//! - [`series`]: [`series::QualitySeries`], a stream's quality over time (1 s buckets, merged
//!   pairwise as the stream grows, at most 360).
//! - [`rtt`]: RTT from SR/RR at a passive observer; RTCP-reported figures per SSRC.
//! - [`vq_report`]: RFC 6035 `application/vq-rtcpxr` bodies.

pub mod burst;
pub mod codec;
pub mod emodel;
pub mod jitter_buffer;
pub mod packet;
mod reader;
pub mod rfc3550;
pub mod rtcp;
pub mod rtt;
pub mod series;
pub mod stats;
pub mod tshark;
pub mod vq_report;
pub mod xr;

pub use packet::{RtpError, RtpPacket, looks_like_rtp};
pub use rtcp::{RtcpCompound, RtcpError, RtcpPacket, looks_like_rtcp};
pub use stats::{IntervalStats, StreamStats};
pub use tshark::{PtClock, RowIdentity, TsharkRow, TsharkStats};
pub use xr::VoipMetrics;

#[cfg(test)]
mod tests_pcap;
