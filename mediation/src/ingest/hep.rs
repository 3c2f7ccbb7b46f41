//! HEP ingest: HEPv3 over TLS/TCP streams (with callscope's acknowledgements back to our
//! probes) and HEPv1/v2/v3 over UDP datagrams from third-party agents.
//!
//! A packet that does not decode is counted and skipped, never fatal: the stream resyncs on
//! the next "HEP3" ID. Only a closed or failed socket ends a session.
use crate::engine::{Batch, Input, PipelineHandle};
use callscope_shared::analysis::assemble::SipInput;
use callscope_shared::analysis::live::StreamReport;
use callscope_shared::hep::{
    Hep3Packet, HepMessage, ProtocolType, auth_key_matches, encode_ack, next_packet, resync,
};
use callscope_shared::net::{Flow, Transport};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest inflated payload accepted from a compressed chunk.
const MAX_INFLATED: u64 = 1 << 20;

/// HEP counters (status API and logs).
#[derive(Debug, Default)]
pub struct HepCounters {
    pub sessions: AtomicU64,
    pub packets: AtomicU64,
    pub malformed: AtomicU64,
    pub skipped_bytes: AtomicU64,
    pub auth_failures: AtomicU64,
    pub rtcp: AtomicU64,
    pub other_protocols: AtomicU64,
}

impl HepCounters {
    pub fn snapshot(&self) -> serde_json::Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "sessions": g(&self.sessions),
            "packets": g(&self.packets),
            "malformed": g(&self.malformed),
            "skipped_bytes": g(&self.skipped_bytes),
            "auth_failures": g(&self.auth_failures),
            "rtcp": g(&self.rtcp),
            "other_protocols": g(&self.other_protocols),
        })
    }
}

/// What every HEP session shares.
#[derive(Clone)]
pub struct HepIngest {
    pub pipeline: PipelineHandle,
    /// Key agents must send in chunk 0x000e (none: not checked).
    pub auth_key: Option<Arc<[u8]>>,
    pub counters: Arc<HepCounters>,
}

/// Why one HEP packet was not taken.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error("HEP auth key missing or wrong")]
    Auth,
    #[error("compressed payload does not inflate: {0}")]
    Inflate(std::io::Error),
    #[error("quality report is not valid JSON: {0}")]
    Report(serde_json::Error),
    #[error("no timestamp")]
    NoTime,
}

impl HepIngest {
    /// Turns one decoded message into an engine input (`None`: counted, nothing to store).
    pub fn to_input(&self, m: &HepMessage<'_>) -> Result<Option<Input>, Rejected> {
        if let Some(key) = &self.auth_key
            && !auth_key_matches(m.auth_key, key)
        {
            self.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
            return Err(Rejected::Auth);
        }
        let inflated;
        let payload = if m.payload_compressed {
            inflated = inflate(m.payload).map_err(Rejected::Inflate)?;
            &inflated[..]
        } else {
            m.payload
        };
        match m.proto_type {
            ProtocolType::Sip => {
                let ts = m.ts.ok_or(Rejected::NoTime)?;
                let transport = match m.ip_proto {
                    Some(6) => Transport::Tcp,
                    Some(132) => Transport::Sctp,
                    _ => Transport::Udp,
                };
                Ok(Some(Input::Sip(SipInput {
                    ts,
                    flow: Flow {
                        src: m.src,
                        dst: m.dst,
                    },
                    transport,
                    bytes: payload.to_vec(),
                })))
            }
            ProtocolType::MosFullReport => {
                let r: StreamReport = serde_json::from_slice(payload).map_err(Rejected::Report)?;
                Ok(Some(Input::Report(Box::new(r))))
            }
            ProtocolType::Rtcp => {
                self.counters.rtcp.fetch_add(1, Ordering::Relaxed);
                // Raw RTCP with the call it belongs to is kept (pcap export of the call); JSON
                // RTCP from other agents and RTCP of no known call are only counted.
                let is_raw = matches!(
                    callscope_shared::hep::RtcpPayloadKind::of(payload),
                    callscope_shared::hep::RtcpPayloadKind::Raw
                );
                match (m.correlation_id, m.ts) {
                    (Some(c), Some(ts)) if is_raw && !c.is_empty() => Ok(Some(Input::Rtcp {
                        ts,
                        flow: Flow {
                            src: m.src,
                            dst: m.dst,
                        },
                        call_id: String::from_utf8_lossy(c).into_owned(),
                        bytes: payload.to_vec(),
                    })),
                    _ => Ok(None),
                }
            }
            _ => {
                self.counters
                    .other_protocols
                    .fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
        }
    }

    fn source_name(m: &HepMessage<'_>, fallback: &str) -> Arc<str> {
        match (m.capture_name, m.capture_id) {
            (Some(n), _) if !n.is_empty() => Arc::from(String::from_utf8_lossy(n).as_ref()),
            (_, Some(id)) => Arc::from(format!("hep-agent-{id}")),
            _ => Arc::from(fallback),
        }
    }

    /// One HEP stream (TLS or TCP) until it closes. `peer` names the source when packets do
    /// not (a probe's certificate subject, or the remote address).
    pub async fn serve_stream<S>(&self, stream: S, peer: Arc<str>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.counters.sessions.fetch_add(1, Ordering::Relaxed);
        let (mut rd, mut wr) = tokio::io::split(stream);
        let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel::<(u64, u64)>();
        // Acknowledgements go back on the same connection (agents that never read ignore them;
        // only packets with a spool sequence get any).
        let writer = tokio::spawn(async move {
            let mut buf = Vec::with_capacity(64);
            while let Some((spool, seq)) = ack_rx.recv().await {
                let mut latest = (spool, seq);
                while let Ok(more) = ack_rx.try_recv() {
                    latest = more;
                }
                buf.clear();
                encode_ack(latest.0, latest.1, &mut buf);
                if wr.write_all(&buf).await.is_err() || wr.flush().await.is_err() {
                    break;
                }
            }
        });
        let mut buf: Vec<u8> = Vec::with_capacity(256 * 1024);
        let mut start = 0;
        let mut chunk = vec![0u8; 128 * 1024];
        loop {
            let n = match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if start > 0 && start == buf.len() {
                buf.clear();
                start = 0;
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            let mut items = Vec::new();
            let mut spool = None;
            let mut source = peer.clone();
            loop {
                let rest = buf.get(start..).unwrap_or_default();
                match next_packet(rest) {
                    Ok(Some(len)) => {
                        let pkt = rest.get(..len).unwrap_or_default();
                        start += len;
                        self.counters.packets.fetch_add(1, Ordering::Relaxed);
                        let decoded =
                            Hep3Packet::new_checked(pkt).and_then(|p| HepMessage::decode_v3(&p));
                        match decoded {
                            Ok(m) => {
                                if items.is_empty() {
                                    source = Self::source_name(&m, &peer);
                                }
                                match self.to_input(&m) {
                                    Ok(Some(input)) => {
                                        spool = spool.or(m.spool_id);
                                        items.push((m.seq, input));
                                    }
                                    Ok(None) => {}
                                    Err(e) => {
                                        self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                                        tracing::debug!(%peer, error = %e, "HEP packet not taken");
                                    }
                                }
                            }
                            Err(e) => {
                                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                                tracing::debug!(%peer, error = %e, "malformed HEP packet skipped");
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        let r = resync(rest);
                        self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                        self.counters
                            .skipped_bytes
                            .fetch_add(r.skipped as u64, Ordering::Relaxed);
                        start += r.skipped;
                        if !r.found || r.skipped == 0 {
                            break;
                        }
                    }
                }
            }
            // Keep the unparsed tail at the front of the buffer.
            if start > 0 {
                buf.drain(..start);
                start = 0;
            }
            if !items.is_empty() {
                let batch = Batch {
                    source,
                    spool,
                    items,
                    ack: spool.map(|_| ack_tx.clone()),
                };
                let pipeline = self.pipeline.clone();
                // The pipeline's queue is bounded: a full queue slows this reader down (TCP
                // back-pressure to the sender) instead of growing memory.
                if !tokio::task::block_in_place(|| pipeline.send(batch)) {
                    break;
                }
            }
        }
        drop(ack_tx);
        let _ = writer.await;
    }

    /// HEP over UDP (v1, v2, v3), one datagram per packet.
    pub async fn serve_udp(&self, socket: tokio::net::UdpSocket) {
        let mut buf = vec![0u8; 65_535];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            self.counters.packets.fetch_add(1, Ordering::Relaxed);
            let Some(dgram) = buf.get(..n) else { continue };
            let m = match HepMessage::parse_datagram(dgram) {
                Ok(m) => m,
                Err(e) => {
                    self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%from, error = %e, "malformed HEP datagram");
                    continue;
                }
            };
            match self.to_input(&m) {
                Ok(Some(input)) => {
                    let batch = Batch {
                        source: Self::source_name(&m, &from.to_string()),
                        spool: None,
                        items: vec![(None, input)],
                        ack: None,
                    };
                    let pipeline = self.pipeline.clone();
                    if !tokio::task::block_in_place(|| pipeline.send(batch)) {
                        return;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%from, error = %e, "HEP datagram not taken");
                }
            }
        }
    }
}

/// Inflates a gzip (RFC 1952) or zlib (RFC 1950) payload, bounded.
fn inflate(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    if data.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(data)
            .take(MAX_INFLATED)
            .read_to_end(&mut out)?;
    } else {
        flate2::read::ZlibDecoder::new(data)
            .take(MAX_INFLATED)
            .read_to_end(&mut out)?;
    }
    Ok(out)
}
