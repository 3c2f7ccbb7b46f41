//! The analysis pipeline: frames in, calls and streams out. Pure and deterministic: driven by
//! capture timestamps, no I/O (the binaries read files and sockets and feed frames here).
//!
//! `frame -> wire::decap -> segment -> (UDP: SIP by content | RTP/RTCP by SDP) | (TCP/SCTP:
//! stream framing -> SIP) -> calls::Legs + media table -> rtp::StreamStats -> Report`.

pub mod assemble;
mod build;
pub mod live;
mod media;
pub mod report;
mod sip_summary;
mod stream_figures;
pub mod time;

use crate::calls::{CorrelationConfig, Legs};
use crate::net::{Flow, Nanos, Transport};
use crate::stream::{SipStreams, StreamConfig, StreamEvent};
use crate::wire::capture::Frame;
use crate::wire::decap::{DecodeEvent, Decoder, DecoderConfig, IgnoreReason, Segment};
use media::MediaTracker;
use report::{MalformedRecord, MessageRecord, Report};
use std::collections::BTreeMap;

/// Malformed inputs listed one by one in the report (all are counted in `summary.malformed`):
/// a capture of garbage must not grow the report without bound.
pub const MAX_MALFORMED_RECORDS: usize = 10_000;

/// What to look for and how to group it. Defaults match `analyze` without options.
#[derive(Debug, Clone, Default)]
pub struct AnalyzerConfig {
    /// Find RTP by content when no SDP announced it (tshark's `rtp.heuristic_rtp`). Off.
    pub rtp_heuristic: bool,
    pub correlation: CorrelationConfig,
    pub decoder: DecoderConfig,
    pub streams: StreamConfig,
    /// Live mode (probe and engine): per-message records are not kept (the consumer gets
    /// every message as a [`live::LiveEvent`]), so memory stays bounded by the open calls.
    pub live: bool,
}

/// Memory held by the analysis state (see [`Analyzer::memory`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    pub streams: usize,
    /// Statistics and bookkeeping per RTP stream (fixed size plus its SDP payload map).
    pub bytes_per_stream: usize,
    /// Legs (Call-IDs), calls or not.
    pub legs: usize,
    /// Per leg, with its strings and message index (grows with the messages of the leg).
    pub bytes_per_leg: usize,
    /// SIP messages kept for the report.
    pub messages: usize,
}

/// Feeds frames through decoding, framing, SIP parsing, call and media tracking.
pub struct Analyzer {
    decoder: Decoder,
    streams: SipStreams,
    core: Core,
}

/// Everything downstream of the decoder and the stream framer (split out so the decoder's
/// callbacks can borrow it while the decoder is borrowed too).
struct Core {
    cfg: AnalyzerConfig,
    frame_no: u64,
    first_ts: Option<Nanos>,
    last_ts: Nanos,
    legs: Legs,
    messages: Vec<MessageRecord>,
    media: MediaTracker,
    malformed: Vec<MalformedRecord>,
    malformed_count: u64,
    vq_reports: Vec<report::VqRecord>,
    /// SBC QoS reports (engine), linked to calls by Call-ID at the end.
    sbc_qos: Vec<report::SbcQosRecord>,
    ignored: BTreeMap<String, u64>,
    /// UDP datagrams that are neither SIP nor media (a counter, not a map entry: no
    /// allocation on this per-packet path).
    udp_other: u64,
    /// Stream figures measured elsewhere (a probe's reports, in the engine), by stream key.
    external_streams: Vec<(report::StreamRecord, Nanos)>,
}

/// Where the pipeline hands live events (`None` in batch mode).
type Sink<'s> = Option<&'s mut dyn FnMut(live::LiveEvent<'_>)>;

impl Analyzer {
    pub fn new(cfg: AnalyzerConfig) -> Self {
        Self {
            decoder: Decoder::new(cfg.decoder),
            streams: SipStreams::new(cfg.streams.clone()),
            core: Core {
                media: MediaTracker::new(cfg.rtp_heuristic),
                cfg,
                frame_no: 0,
                first_ts: None,
                last_ts: 0,
                legs: Legs::new(),
                messages: Vec::new(),
                malformed: Vec::new(),
                malformed_count: 0,
                vq_reports: Vec::new(),
                sbc_qos: Vec::new(),
                ignored: BTreeMap::new(),
                udp_other: 0,
                external_streams: Vec::new(),
            },
        }
    }

    /// Feeds one captured frame.
    pub fn on_frame(&mut self, frame: &Frame<'_>) {
        self.feed(frame, None);
    }

    /// Feeds one captured frame and hands every SIP message and RTCP packet it completes to
    /// `out` (the probe forwards them; see [`live`]).
    pub fn on_frame_live(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(live::LiveEvent<'_>)) {
        self.feed(frame, Some(out));
    }

    fn feed(&mut self, frame: &Frame<'_>, mut out: Sink<'_>) {
        let core = &mut self.core;
        core.frame_no += 1;
        if core.first_ts.is_none() {
            core.first_ts = Some(frame.ts);
            core.media.origin = frame.ts;
        }
        core.last_ts = core.last_ts.max(frame.ts);
        let streams = &mut self.streams;
        self.decoder.decode(frame, &mut |ev| match ev {
            DecodeEvent::Segment(seg) => match seg.transport {
                Transport::Udp => core.on_udp(&seg, &mut out),
                // A TCP/SCTP header quoted in an ICMP error is a fragment of a segment already
                // seen; feeding it to reassembly would only add a bogus retransmission.
                Transport::Tcp | Transport::Sctp if seg.icmp_quoted => {}
                Transport::Tcp => streams.on_tcp(&seg, &mut |sev| {
                    core.on_stream_event(sev, &mut out);
                }),
                Transport::Sctp => streams.on_sctp(&seg, &mut |sev| {
                    core.on_stream_event(sev, &mut out);
                }),
                Transport::Ws => {}
            },
            DecodeEvent::Malformed {
                layer, error, data, ..
            } => {
                core.malformed(snake(&format!("{layer:?}")), error.to_string(), data.len());
            }
            // Counted by the decoder itself (see `finish`).
            DecodeEvent::Ignored { .. } => {}
        });
    }

    /// What the analysis state holds now, for benchmarks and capacity planning.
    pub fn memory(&self) -> MemoryUse {
        let streams = self.core.media.list.len();
        let stream_bytes: usize = self
            .core
            .media
            .list
            .iter()
            .map(media::Tracked::heap_bytes)
            .sum::<usize>()
            + streams * std::mem::size_of::<media::Tracked>();
        let legs = self.core.legs.all();
        let leg_bytes: usize = legs
            .iter()
            .map(|l| std::mem::size_of_val(l) + l.heap_bytes())
            .sum();
        MemoryUse {
            streams,
            bytes_per_stream: stream_bytes.checked_div(streams).unwrap_or(0),
            legs: legs.len(),
            bytes_per_leg: leg_bytes.checked_div(legs.len()).unwrap_or(0),
            messages: self.core.messages.len(),
        }
    }

    /// Ends the input: flushes partial streams and builds the report.
    pub fn finish(mut self) -> Report {
        let core = &mut self.core;
        self.streams
            .flush(&mut |sev| core.on_stream_event(sev, &mut None));
        if core.udp_other > 0 {
            core.ignored
                .insert("udp_not_sip_or_rtp".into(), core.udp_other);
        }
        let d = self.decoder.stats();
        for r in IgnoreReason::ALL {
            let n = d.ignored(r);
            if n > 0 {
                *core.ignored.entry(snake(&format!("{r:?}"))).or_default() += n;
            }
        }
        build::report(self.core, self.streams.stats())
    }
}

impl Core {
    fn on_udp(&mut self, seg: &Segment<'_>, out: &mut Sink<'_>) {
        if seg.icmp_quoted {
            // An ICMP error quoting a datagram: the datagram was already seen (or lost) on its
            // way; it is listed as a SIP message (as tshark does) but feeds neither the call
            // state nor RTP statistics.
            if crate::sip::looks_like_sip(seg.payload) {
                self.on_sip_quoted(seg);
            }
            return;
        }
        if self.media.on_udp(seg, self.frame_no) {
            self.forward_rtcp(seg, out);
            return;
        }
        if crate::sip::looks_like_sip(seg.payload) {
            self.on_sip(seg.ts, seg.flow, Transport::Udp, seg.payload, out);
        } else if self.media.on_unknown_udp(seg, self.frame_no) {
            self.forward_rtcp(seg, out);
        } else {
            self.udp_other += 1;
        }
    }

    /// Hands an RTCP packet the media tracker just took to the live consumer.
    fn forward_rtcp(&mut self, seg: &Segment<'_>, out: &mut Sink<'_>) {
        let Some(key) = self.media.last_rtcp.take() else {
            return;
        };
        if let Some(out) = out.as_mut() {
            let call_id = self.legs.all().get(key).map(|l| l.call_id.as_str());
            out(live::LiveEvent::Rtcp {
                ts: seg.ts,
                flow: seg.flow,
                bytes: seg.payload,
                call_id,
            });
        }
    }

    fn on_stream_event(&mut self, ev: StreamEvent<'_>, out: &mut Sink<'_>) {
        match ev {
            StreamEvent::Message(m) => {
                self.on_sip(m.ts, m.flow, m.transport, m.bytes, out);
            }
            StreamEvent::Malformed { error, bytes, .. } => {
                self.malformed("sip_stream".into(), error.to_string(), bytes.len());
            }
        }
    }

    /// Returns the index of the message's leg (`None` when it did not parse).
    fn on_sip(
        &mut self,
        ts: Nanos,
        flow: Flow,
        transport: Transport,
        bytes: &[u8],
        out: &mut Sink<'_>,
    ) -> Option<usize> {
        let index = self.messages.len();
        let base = self.first_ts.unwrap_or(ts);
        match sip_summary::summarize(
            index,
            ts,
            flow,
            transport,
            bytes,
            &self.cfg.correlation.headers,
        ) {
            Ok((info, mut record, vq)) => {
                record.frame = self.frame_no;
                record.time_rel = time::rel(ts, base);
                if let Some(mut vq) = vq {
                    vq.frame = self.frame_no;
                    vq.ts.clone_from(&record.ts);
                    self.vq_reports.push(vq);
                }
                let leg = self.legs.on_message(&info);
                for m in &info.media {
                    self.media.announce(m, leg);
                }
                if let Some(out) = out.as_mut() {
                    out(live::LiveEvent::Sip {
                        ts,
                        flow,
                        transport,
                        bytes,
                        call_id: Some(info.call_id.as_str()),
                    });
                }
                if !self.cfg.live {
                    self.messages.push(record);
                }
                Some(leg)
            }
            Err(mut record) => {
                record.frame = self.frame_no;
                record.time_rel = time::rel(ts, base);
                self.malformed(
                    "sip".into(),
                    record.error.clone().unwrap_or_default(),
                    bytes.len(),
                );
                // Kept and forwarded even when it does not parse: never a silent drop.
                if let Some(out) = out.as_mut() {
                    out(live::LiveEvent::Sip {
                        ts,
                        flow,
                        transport,
                        bytes,
                        call_id: None,
                    });
                }
                if !self.cfg.live {
                    self.messages.push(*record);
                }
                None
            }
        }
    }

    fn on_sip_quoted(&mut self, seg: &Segment<'_>) {
        let index = self.messages.len();
        let base = self.first_ts.unwrap_or(seg.ts);
        let mut record = match sip_summary::summarize(
            index,
            seg.ts,
            seg.flow,
            Transport::Udp,
            seg.payload,
            &self.cfg.correlation.headers,
        ) {
            Ok((_, record, _)) => record,
            Err(record) => *record,
        };
        record.frame = self.frame_no;
        record.time_rel = time::rel(seg.ts, base);
        record.quirks.push("icmp_quoted".into());
        if !self.cfg.live {
            self.messages.push(record);
        }
    }

    fn malformed(&mut self, layer: String, error: String, len: usize) {
        self.malformed_count += 1;
        if self.malformed.len() >= MAX_MALFORMED_RECORDS {
            return; // counted; the list keeps the first ones
        }
        self.malformed.push(MalformedRecord {
            frame: self.frame_no,
            ts: time::rfc3339(self.last_ts),
            layer,
            error,
            len,
        });
    }
}

/// `FragmentHeld` -> `fragment_held`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
