//! The analysis result: what `analyze --format json` prints and what the engine stores.
//! Schema is stable: fields are added, never renamed (documented in the README).
use crate::calls::{LegKind, LegState, LinkReason};
use crate::net::{Endpoint, Transport};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub summary: Summary,
    pub calls: Vec<CallRecord>,
    pub streams: Vec<StreamRecord>,
    /// Call-IDs that are not calls (REGISTER, OPTIONS, SUBSCRIBE/NOTIFY, ...).
    pub other: Vec<OtherRecord>,
    /// One entry per SIP message in capture order (only with `--messages`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageRecord>>,
    /// Input that could not be decoded, kept with its reason (frame number and bytes length).
    pub malformed: Vec<MalformedRecord>,
    /// RFC 6035 `application/vq-rtcpxr` reports published by endpoints (their own view).
    pub vq_reports: Vec<VqRecord>,
}

/// One vq-rtcpxr report (SIP PUBLISH body), linked to the call it names.
#[derive(Debug, Clone, Serialize)]
pub struct VqRecord {
    pub frame: u64,
    pub ts: String,
    /// `session`, `session_call_term`, `interval` or `alert`.
    pub kind: String,
    /// The Call-ID the report is about (the measured call), and its index in `calls`.
    pub call_id: String,
    pub call: Option<usize>,
    /// Call-ID of the PUBLISH itself.
    pub publish_call_id: Option<String>,
    pub local_addr: Option<String>,
    pub remote_addr: Option<String>,
    pub local_ssrc: Option<String>,
    /// LocalMetrics as the endpoint reported them.
    pub local: Option<VqMetricsRecord>,
    pub remote: Option<VqMetricsRecord>,
    /// Error when the body did not parse (the PUBLISH is still listed in `messages`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct VqMetricsRecord {
    pub codec: Option<String>,
    pub network_loss_rate: Option<f64>,
    pub jitter_discard_rate: Option<f64>,
    pub round_trip_delay_ms: Option<u32>,
    pub end_system_delay_ms: Option<u32>,
    pub inter_arrival_jitter_ms: Option<u32>,
    pub r_lq: Option<u32>,
    pub mos_lq: Option<f64>,
    pub mos_cq: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    /// Frames read from the capture.
    pub packets: u64,
    pub sip_messages: u64,
    /// Frames or SIP messages that could not be decoded (see `malformed`).
    pub malformed: u64,
    pub calls: u64,
    pub streams: u64,
    /// Distinct Call-IDs, calls or not.
    pub call_ids: u64,
    pub rtp_packets: u64,
    pub rtcp_packets: u64,
    /// Capture time of the first and last frame (RFC 3339, UTC).
    pub first: Option<String>,
    pub last: Option<String>,
    pub sip_retransmissions: u64,
    /// Frames ignored by reason (non-IP, other transport, fragments held, ...).
    pub ignored: std::collections::BTreeMap<String, u64>,
    /// Counters of the stream layer (TCP reassembly, WebSocket, SCTP).
    pub streams_layer: crate::stream::StreamStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    /// Position in `calls`.
    pub id: usize,
    pub call_ids: Vec<String>,
    pub from: String,
    pub to: String,
    pub start: String,
    pub end: String,
    pub start_rel: f64,
    pub state: LegState,
    pub final_status: Option<u16>,
    pub reason: Option<String>,
    /// Q.850 cause from the Reason header (RFC 3326), when it carries one.
    pub q850_cause: Option<u16>,
    pub legs: Vec<LegRecord>,
    /// Indexes into `streams`.
    pub streams: Vec<usize>,
    pub post_dial_delay_ms: Option<f64>,
    pub answer_delay_ms: Option<f64>,
    pub duration_s: Option<f64>,
    /// Lowest MOS of the call's streams, if any has one.
    pub worst_mos: Option<f64>,
    /// Indexes into `vq_reports` (the endpoints' own quality reports for this call).
    pub vq_reports: Vec<usize>,
    /// The SBC's own view of the call's media (IPFIX set 268), when an SBC exported it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sbc_qos: Vec<SbcQosRecord>,
}

/// An SBC's per-call QoS report (Oracle/Acme comm-monitor set 268), stored as the SBC's view
/// beside our own measurements. Units as the SBC sends them (jitter and latency in ms, as far
/// as is known: see `../shared/IPFIX.md`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SbcQosRecord {
    /// Who exported it (`sbc:<address>` or the SBC certificate's name).
    pub source: String,
    /// Call-IDs of the SBC's ingress (caller side) and egress (callee side) legs.
    pub inc_call_id: String,
    pub out_call_id: String,
    pub inc_realm: String,
    pub out_realm: String,
    pub begin: String,
    pub end: String,
    /// Media the SBC received from the caller side, and from the callee side.
    pub inc: SbcQosLeg,
    pub out: SbcQosLeg,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct SbcQosLeg {
    pub rtp_packets: u32,
    pub rtp_lost_packets: u32,
    pub rtp_avg_jitter: u32,
    pub rtp_max_jitter: u32,
    pub rtcp_avg_latency: u32,
    pub rtcp_max_latency: u32,
    pub mos: f64,
    pub r_factor: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegRecord {
    pub call_id: String,
    pub from: String,
    pub to: String,
    pub link: LinkReason,
    pub state: LegState,
    pub final_status: Option<u16>,
    pub reason: Option<String>,
    pub q850_cause: Option<u16>,
    pub start: String,
    pub end: String,
    pub invite_ts: Option<String>,
    pub ringing_ts: Option<String>,
    pub answer_ts: Option<String>,
    pub bye_ts: Option<String>,
    pub post_dial_delay_ms: Option<f64>,
    pub answer_delay_ms: Option<f64>,
    pub duration_s: Option<f64>,
    pub ended_by: Option<&'static str>,
    pub hops: Vec<HopRecord>,
    pub forks: usize,
    pub reinvites: u32,
    pub retransmissions: u32,
    /// Indexes into `messages` (present with `--messages`), in capture order.
    pub messages: Vec<usize>,
    /// Media announced in SDP (address, direction, payloads).
    pub media: Vec<crate::calls::MediaInfo>,
    /// Indexes into `streams`.
    pub streams: Vec<usize>,
    pub worst_mos: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HopRecord {
    pub src: Endpoint,
    pub dst: Endpoint,
}

#[derive(Debug, Clone, Serialize)]
pub struct OtherRecord {
    pub call_id: String,
    pub kind: LegKind,
    pub from: String,
    pub to: String,
    pub start: String,
    pub final_status: Option<u16>,
    pub messages: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageRecord {
    /// 1-based frame number of the frame that completed the message (tshark's frame.number).
    pub frame: u64,
    pub ts: String,
    /// Seconds since the first frame (tshark's frame.time_relative).
    pub time_rel: f64,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub transport: Transport,
    pub call_id: Option<String>,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub cseq: Option<String>,
    pub len: usize,
    /// Non-fatal oddities (e.g. `content_length_mismatch`), or the parse error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quirks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// First line of the message (for the ladder diagram).
    pub first_line: String,
    /// SDP media lines (`m=`/`c=`), for the ladder diagram.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sdp: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MalformedRecord {
    pub frame: u64,
    pub ts: String,
    pub layer: String,
    pub error: String,
    pub len: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamRecord {
    pub id: usize,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub ssrc: String,
    pub payload_type: u8,
    pub codec: String,
    /// Index into `calls` and the leg's Call-ID, when SDP linked the stream to a call.
    pub call: Option<usize>,
    pub call_id: Option<String>,
    /// How the stream was found: `sdp` or `heuristic`.
    pub found_by: std::borrow::Cow<'static, str>,
    /// Frame number of the stream's first packet.
    pub first_frame: u64,
    pub start: String,
    pub end: String,
    pub start_rel: f64,
    pub end_rel: f64,
    /// tshark 4.0 `-z rtp,streams` figures (identical to the printed digits).
    pub packets: u64,
    pub lost: i64,
    pub lost_percent: f64,
    pub min_delta_ms: f64,
    pub mean_delta_ms: f64,
    pub max_delta_ms: f64,
    pub min_jitter_ms: f64,
    pub mean_jitter_ms: f64,
    pub max_jitter_ms: f64,
    pub problems: bool,
    /// The payload column tshark prints (`g711A`, `telephone-event`, `RTPType-101`, ...).
    pub tshark_payload: String,
    /// The row `tshark -q -z rtp,streams` prints for this stream (for comparisons; not in JSON).
    #[serde(skip)]
    pub tshark_row: String,
    /// RFC 3550 figures where they differ from tshark's on purpose.
    pub rfc3550: Rfc3550Record,
    pub sequence_errors: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub mos: Option<f64>,
    pub r_factor: Option<f64>,
    pub mos_reason: Option<String>,
    /// MOS per 10 s window.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub mos_intervals: Vec<IntervalRecord>,
    /// What the endpoints reported in RTCP (loss, jitter, RTT), beside our own figures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rtcp: Option<RtcpRecord>,
    /// Quality over time, for a chart (absent in reports of probes older than this field).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub series: Option<SeriesRecord>,
}

/// A stream's quality over time ([`crate::rtp::series`]): buckets of `interval_s` seconds of
/// capture time, 1 s for streams up to 6 minutes, doubled as a stream grows so there are at
/// most 360, aligned on multiples of the width since the epoch (the streams of a call share
/// the grid). Columns: entry `i` of every array is the bucket starting at
/// `start + i × interval_s`. A bucket without packets (hold, silence suppression) has 0
/// packets and nulls.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct SeriesRecord {
    /// Bucket width, seconds.
    pub interval_s: f64,
    /// Start of the first bucket (RFC 3339, UTC), and in seconds since the capture's first
    /// frame (the first frame the probe saw, for a probe's report).
    pub start: String,
    pub start_rel: f64,
    /// Packets received (duplicates excluded).
    pub packets: Vec<u32>,
    /// Sequence numbers the stream advanced over.
    pub expected: Vec<u32>,
    /// Packets missing from sequence gaps, less late arrivals.
    pub lost: Vec<u32>,
    /// Mean and maximum RFC 3550 interarrival jitter, ms (null: no packet with a known clock).
    pub jitter_mean_ms: Vec<Option<f64>>,
    pub jitter_max_ms: Vec<Option<f64>>,
    /// Discards of the fixed jitter-buffer model (they count as loss in the E-model).
    pub jb_discards: Vec<u32>,
    /// G.107 E-model R and MOS of the bucket (the stream's codec and delay; the bucket's loss,
    /// burst ratio and discards); null with fewer than 10 packets or no voice codec.
    pub r_factor: Vec<Option<f64>>,
    pub mos: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Rfc3550Record {
    pub expected: u64,
    pub lost: i64,
    pub fraction_lost: f64,
    pub jitter_ms: f64,
    pub burst_ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntervalRecord {
    pub start_rel: f64,
    pub packets: u64,
    pub lost: i64,
    pub mos: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RtcpRecord {
    pub reported_fraction_lost: Option<f64>,
    pub reported_cumulative_lost: Option<i64>,
    pub reported_jitter_ms: Option<f64>,
    pub rtt_ms: Option<f64>,
    /// RTCP-XR VoIP Metrics (RFC 3611 block 7) the receiver reported about this stream.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub xr: Option<XrRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct XrRecord {
    pub loss_rate: f64,
    pub discard_rate: f64,
    pub round_trip_delay_ms: u16,
    pub end_system_delay_ms: u16,
    pub r_factor: Option<u8>,
    pub mos_lq: Option<f64>,
    pub mos_cq: Option<f64>,
}
