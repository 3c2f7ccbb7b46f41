//! `GET /api/v1/calls/{id}/pcap`: a stored call as a pcapng file (its SIP messages and the RTCP
//! the probes forwarded), built by [`callscope_shared::export::pcapng`] and streamed in chunks,
//! so a large call is never held twice. Needs `calls:export`; without `numbers:view` the SIP
//! and RTCP are masked ([`callscope_shared::privacy`]) before the headers and checksums are
//! computed, so the file stays valid.
use super::{ApiState, error};
use crate::auth::{Permission, Principal};
use crate::engine::rocks_adapter::RTCP_MARK;
use crate::engine::rocks_adapter::is_pseudo;
use crate::storage::StoredMessage;
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use callscope_shared::export::pcapng::{ExportPacket, PcapngWriter, call_comment};
use callscope_shared::net::{Nanos, Transport};
use callscope_shared::privacy::{mask_rtcp, mask_sip};

/// Bytes handed to the HTTP body at a time.
const CHUNK: usize = 64 * 1024;
/// Chunks buffered between the builder and a slow client.
const CHUNKS_IN_FLIGHT: usize = 4;

pub(super) fn routes() -> Router<ApiState> {
    Router::new().route("/calls/{id}/pcap", get(pcap))
}

/// What goes into an export: the section comment and whether numbers are masked.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub comment: String,
    pub mask: bool,
}

/// Builds the pcapng of a call's stored messages (SIP as stored, RTCP pseudo-messages as UDP;
/// reports are left out), handing it to `sink` about [`CHUNK`] bytes at a time. Stops early
/// when `sink` returns false (the client went away). Returns the packets written.
pub fn write_pcapng(
    messages: Vec<StoredMessage>,
    opts: &ExportOptions,
    sink: &mut dyn FnMut(Vec<u8>) -> bool,
) -> u64 {
    let mut buf = Vec::with_capacity(CHUNK + 2048);
    PcapngWriter::header(&mut buf, &opts.comment);
    let mut w = PcapngWriter::new();
    for mut m in messages {
        let (transport, payload) = if let Some(rtcp) = m.raw.strip_prefix(RTCP_MARK) {
            let mut rtcp = rtcp.to_vec();
            if opts.mask {
                mask_rtcp(&mut rtcp);
            }
            (Transport::Udp, rtcp)
        } else if is_pseudo(&m.raw) {
            continue;
        } else {
            if opts.mask {
                mask_sip(&mut m.raw);
            }
            (m.transport, std::mem::take(&mut m.raw))
        };
        let comment = (!m.source.is_empty()).then(|| format!("source: {}", m.source));
        w.packet(
            &mut buf,
            &ExportPacket {
                ts: m.ts,
                src: m.src,
                dst: m.dst,
                transport,
                payload: &payload,
                comment: comment.as_deref(),
            },
        );
        if buf.len() >= CHUNK
            && !sink(std::mem::replace(
                &mut buf,
                Vec::with_capacity(CHUNK + 2048),
            ))
        {
            return w.packets();
        }
    }
    if !buf.is_empty() {
        sink(buf);
    }
    w.packets()
}

fn now_ns() -> Nanos {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

async fn pcap(
    State(s): State<ApiState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = p.require(Permission::CallsExport) {
        return r;
    }
    // Only what the file name may hold (a call id is 32 hex digits; the reader checks it).
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("bad query: {id:?} is not a call id (32 hex digits from a search)"),
        );
    }
    let reader = s.reader.clone();
    let tenant = p.tenant.clone();
    let lookup = id.clone();
    let messages =
        match tokio::task::spawn_blocking(move || reader.raw_messages(&lookup, tenant.as_deref()))
            .await
        {
            Ok(Ok(Some(m))) => m,
            Ok(Ok(None)) => return error(StatusCode::NOT_FOUND, "no call with this id"),
            Ok(Err(e)) if e.to_string().starts_with("bad query:") => {
                return error(StatusCode::BAD_REQUEST, &e.to_string());
            }
            Ok(Err(e)) => return super::routes::internal(e),
            Err(e) => return super::routes::internal(e.into()),
        };
    let mask = !p.can(Permission::NumbersView);
    let opts = ExportOptions {
        comment: format!(
            "{}; by {}{}",
            call_comment(&id, now_ns()),
            p.user,
            if mask { "; numbers masked" } else { "" }
        ),
        mask,
    };
    tracing::info!(user = %p.user, call = %id, masked = mask, messages = messages.len(), "call exported as pcapng");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        write_pcapng(messages, &opts, &mut |chunk| {
            tx.blocking_send(Ok(chunk)).is_ok()
        });
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.tcpdump.pcap"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"call-{id}.pcapng\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::storage::MsgId;
    use callscope_shared::net::Endpoint;
    use callscope_shared::wire::capture::CaptureReader;

    fn msg(id: u64, raw: &[u8], transport: Transport) -> StoredMessage {
        StoredMessage {
            id: MsgId(id),
            ts: 1_700_000_000_000_000_000 + id * 1_000_000,
            src: Endpoint::new("192.0.2.1".parse().unwrap(), 5060),
            dst: Endpoint::new("192.0.2.2".parse().unwrap(), 5060),
            transport,
            source: "probe1".into(),
            call_id: b"a@b".to_vec(),
            raw: raw.to_vec(),
        }
    }

    /// SIP and RTCP go in, reports stay out; masking applies to both; chunks add up to a file
    /// our reader opens.
    #[test]
    fn stored_messages_to_pcapng() {
        let invite =
            b"INVITE sip:+33612345689@h SIP/2.0\r\nCall-ID: a@b\r\nContent-Length: 0\r\n\r\n";
        let mut rtcp = RTCP_MARK.to_vec();
        // RFC 3550 §6.5 SDES with a CNAME whose user part is a number.
        rtcp.extend_from_slice(&[0x81, 202, 0, 5, 1, 2, 3, 4, 1, 12]);
        rtcp.extend_from_slice(b"0612345689@h");
        rtcp.extend_from_slice(&[0, 0]);
        let mut report = crate::engine::rocks_adapter::REPORT_MARK.to_vec();
        report.extend_from_slice(b"{}");
        let msgs = vec![
            msg(1, invite, Transport::Udp),
            msg(2, &rtcp, Transport::Udp),
            msg(3, &report, Transport::Udp),
        ];
        for mask in [false, true] {
            let mut file = Vec::new();
            let mut chunks = 0;
            let n = write_pcapng(
                msgs.clone(),
                &ExportOptions {
                    comment: "c".into(),
                    mask,
                },
                &mut |c| {
                    chunks += 1;
                    file.extend_from_slice(&c);
                    true
                },
            );
            assert_eq!((n, chunks), (2, 1));
            let frames: Vec<Vec<u8>> = CaptureReader::new(&file)
                .unwrap()
                .map(|f| f.unwrap().data.to_vec())
                .collect();
            assert_eq!(frames.len(), 2);
            let sip = String::from_utf8_lossy(&frames[0]).into_owned();
            let cname = String::from_utf8_lossy(&frames[1]).into_owned();
            assert_eq!(sip.contains("+33612345689"), !mask, "{sip}");
            assert_eq!(sip.contains("+33*******89"), mask, "{sip}");
            assert_eq!(cname.contains("0612345689@h"), !mask, "{cname}");
        }
    }

    /// A client that goes away stops the builder.
    #[test]
    fn stops_when_the_sink_refuses() {
        let big = vec![b'x'; CHUNK];
        let msgs: Vec<StoredMessage> = (0..10).map(|i| msg(i, &big, Transport::Tcp)).collect();
        let mut calls = 0;
        let n = write_pcapng(
            msgs,
            &ExportOptions {
                comment: String::new(),
                mask: false,
            },
            &mut |_| {
                calls += 1;
                false
            },
        );
        // The first message (two TCP segments) filled a chunk; nothing after the refusal.
        assert_eq!((n, calls), (2, 1));
    }
}
