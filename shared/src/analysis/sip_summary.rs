//! Turns one parsed SIP message into the call model's [`SipInfo`] and the report's
//! [`MessageRecord`]. The only place that copies SIP bytes into owned strings.
use super::report::{MessageRecord, VqMetricsRecord, VqRecord};
use super::time::rfc3339;
use crate::calls::{MediaInfo, MessageKind, SipInfo};
use crate::net::{Endpoint, Flow, Nanos, Transport};
use crate::rtp::vq_report::{AddrInfo, Metrics, ReportKind, VqReport};
use crate::sip::sdp::{Direction, Sdp, find_sdp};
use crate::sip::{SipMessage, uri_user};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses `bytes`; on success the summary and the record, on failure a record carrying the
/// error (kept, counted as malformed by the caller).
pub(super) fn summarize(
    index: usize,
    ts: Nanos,
    flow: Flow,
    transport: Transport,
    bytes: &[u8],
    correlation_headers: &[String],
) -> Result<(SipInfo, MessageRecord, Option<VqRecord>), Box<MessageRecord>> {
    let mut record = MessageRecord {
        frame: 0,
        ts: rfc3339(ts),
        time_rel: 0.0,
        src: flow.src,
        dst: flow.dst,
        transport,
        call_id: None,
        method: None,
        status: None,
        cseq: None,
        len: bytes.len(),
        quirks: Vec::new(),
        error: None,
        first_line: String::new(),
        sdp: Vec::new(),
    };
    let msg = match SipMessage::parse(bytes) {
        Ok(m) => m,
        Err(e) => {
            record.error = Some(e.to_string());
            record.first_line = first_line(bytes);
            return Err(Box::new(record));
        }
    };
    let method = msg.method().map(text);
    let status = msg.status();
    let call_id = msg.call_id().map(|c| text(c.trim_ascii()));
    let cseq = msg.cseq();
    record.call_id.clone_from(&call_id);
    record.method.clone_from(&method);
    record.status = status;
    record.cseq = cseq.map(|c| format!("{} {}", c.seq, text(c.method)));
    record.quirks = msg.quirks().labels().map(str::to_owned).collect();
    record.first_line = first_line(bytes);

    let from = msg.from();
    let to = msg.to();
    let mut correlation = Vec::new();
    for name in correlation_headers {
        for v in msg.header_lines(name) {
            correlation.push((name.clone(), text(v.trim_ascii())));
        }
    }
    let media = msg
        .content_type()
        .and_then(|ct| find_sdp(ct, msg.body()))
        .map(|body| {
            record.sdp = sdp_lines(body);
            media_of(body)
        })
        .unwrap_or_default();

    let vq = (method.as_deref() == Some("PUBLISH")
        && msg
            .content_type()
            .is_some_and(|c| contains_ci(c, b"vq-rtcpxr")))
    .then(|| vq_record(msg.body(), call_id.clone()));
    let kind = match (&method, status) {
        (Some(m), _) => MessageKind::Request { method: m.clone() },
        (None, Some(s)) => MessageKind::Response { status: s },
        (None, None) => MessageKind::Request {
            method: String::new(),
        },
    };
    let info = SipInfo {
        index,
        ts,
        flow,
        transport,
        kind,
        // A message without Call-ID still belongs somewhere: group it under an empty id.
        call_id: call_id.unwrap_or_default(),
        from_uri: from.map(|f| text(f.uri)).unwrap_or_default(),
        from_user: from
            .and_then(|f| uri_user(f.uri))
            .map(text)
            .unwrap_or_default(),
        from_tag: from.and_then(|f| f.tag).map(text),
        to_uri: to.map(|t| text(t.uri)).unwrap_or_default(),
        to_user: to
            .and_then(|t| uri_user(t.uri))
            .map(text)
            .unwrap_or_default(),
        to_tag: to.and_then(|t| t.tag).map(text),
        cseq: cseq.map(|c| (c.seq, text(c.method))),
        branch: msg.via_branch().map(text),
        correlation,
        reason: msg.header("reason").map(|r| text(r.trim_ascii())),
        media,
    };
    Ok((info, record, vq))
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// An RFC 6035 report from a PUBLISH body; frame, time and call are filled in by the caller.
fn vq_record(body: &[u8], publish_call_id: Option<String>) -> VqRecord {
    let mut rec = VqRecord {
        frame: 0,
        ts: String::new(),
        kind: String::new(),
        call_id: String::new(),
        call: None,
        publish_call_id,
        local_addr: None,
        remote_addr: None,
        local_ssrc: None,
        local: None,
        remote: None,
        error: None,
    };
    match VqReport::parse(body) {
        Ok(r) => {
            rec.kind = match r.kind {
                ReportKind::Session { call_term: true } => "session_call_term".into(),
                ReportKind::Session { call_term: false } => "session".into(),
                ReportKind::Interval => "interval".into(),
                ReportKind::Alert { .. } => "alert".into(),
            };
            rec.call_id = r.call_id.trim().to_owned();
            let addr = |a: &AddrInfo<'_>| match (a.ip, a.port) {
                (Some(ip), Some(port)) => Some(Endpoint::new(ip, port).to_string()),
                _ => a.ip_raw.map(str::to_owned),
            };
            rec.local_addr = r.local_addr.as_ref().and_then(addr);
            rec.remote_addr = r.remote_addr.as_ref().and_then(addr);
            rec.local_ssrc = r
                .local_addr
                .as_ref()
                .and_then(|a| a.ssrc)
                .map(|s| format!("0x{s:08X}"));
            rec.local = r.local_metrics.as_ref().map(metrics);
            rec.remote = r.remote_metrics.as_ref().map(metrics);
        }
        Err(e) => rec.error = Some(e.to_string()),
    }
    rec
}

fn metrics(m: &Metrics<'_>) -> VqMetricsRecord {
    VqMetricsRecord {
        codec: m.session_desc.pd.map(str::to_owned),
        network_loss_rate: m.packet_loss.nlr,
        jitter_discard_rate: m.packet_loss.jdr,
        round_trip_delay_ms: m.delay.rtd,
        end_system_delay_ms: m.delay.esd,
        inter_arrival_jitter_ms: m.delay.iaj,
        r_lq: m.quality_est.rlq,
        mos_lq: m.quality_est.moslq,
        mos_cq: m.quality_est.moscq,
    }
}

/// The start line (after any keep-alive CRLFs), at most 200 characters.
fn first_line(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = bytes.get(start..).unwrap_or_default();
    let line = rest
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    text(line).chars().take(200).collect()
}

/// The SDP lines a ladder shows: connection and media lines, and direction attributes.
fn sdp_lines(body: &[u8]) -> Vec<String> {
    body.split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| {
            l.starts_with(b"m=")
                || l.starts_with(b"c=")
                || matches!(*l, b"a=sendonly" | b"a=recvonly" | b"a=inactive")
        })
        .take(16)
        .map(text)
        .collect()
}

fn media_of(body: &[u8]) -> Vec<MediaInfo> {
    let Ok(sdp) = Sdp::parse(body) else {
        return Vec::new();
    };
    sdp.media()
        .map(|m| {
            let ip = m.ip();
            let rtp = ip.map(|ip| Endpoint::new(ip, m.port));
            let rtcp = if m.rtcp_mux {
                rtp
            } else {
                match m.rtcp {
                    Some((port, addr)) => addr.or(ip).map(|ip| Endpoint::new(ip, port)),
                    None => ip.map(|ip| Endpoint::new(ip, m.port.wrapping_add(1))),
                }
            };
            let direction = if m.legacy_hold() {
                "inactive"
            } else {
                match m.direction {
                    Direction::SendRecv => "sendrecv",
                    Direction::SendOnly => "sendonly",
                    Direction::RecvOnly => "recvonly",
                    Direction::Inactive => "inactive",
                    #[allow(unreachable_patterns)]
                    _ => "sendrecv",
                }
            };
            let payloads = m.payload_types().map(|pt| {
                let (name, clock) = m
                    .codec(pt)
                    .map_or((String::new(), 0), |(n, c)| (text(n), c));
                (pt, name, clock)
            });
            MediaInfo {
                kind: text(m.kind),
                proto: text(m.proto),
                rtp,
                rtcp,
                rtcp_mux: m.rtcp_mux,
                direction,
                payloads: payloads.collect(),
            }
        })
        .collect()
}
