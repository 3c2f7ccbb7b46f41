//! Oracle/Acme SBC comm-monitor IPFIX over a byte stream (TCP or TLS), with tokio: the
//! collector side (`serve_session`) and a test exporter that replays the SIP of a capture file
//! as an SBC would (`export_capture`). The protocol logic is `callscope_shared::ipfix`; this
//! module only moves bytes and reads the clock.
use callscope_shared::ipfix::{
    CollectorConfig, CollectorEvent, CollectorSession, DataField, DatagramError, DatagramParams,
    Defined, Direction, Exporter, Handshake, Interface, MediaFlow, Message, QosLeg, QosRecord,
    SbcTime, SessionCounters, SessionError, SipTcpRecord, set_id,
};
use callscope_shared::net::{Endpoint, Nanos, Transport};
use callscope_shared::sip::looks_like_sip;
use callscope_shared::stream::{SipStreams, StreamConfig, StreamEvent};
use callscope_shared::wire::{CaptureReader, DecodeEvent, Decoder, DecoderConfig};
use std::net::{IpAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Wall-clock time in nanoseconds since the epoch.
fn now_nanos() -> Nanos {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A QoS report (set 268) with its strings owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedQos {
    pub inc: QosLeg,
    pub out: QosLeg,
    pub media_type: u8,
    /// Caller ingress, callee ingress, caller egress, callee egress.
    pub flows: [MediaFlow; 4],
    pub caller_iface: Interface,
    pub callee_iface: Interface,
    pub begin: SbcTime,
    pub end: SbcTime,
    pub inc_realm: String,
    pub out_realm: String,
    pub inc_call_id: String,
    pub out_call_id: String,
}

/// The stored form of an SBC QoS report (the SBC's view beside our measurements).
pub fn qos_record(q: &OwnedQos, source: &str) -> callscope_shared::analysis::report::SbcQosRecord {
    use callscope_shared::analysis::report::{SbcQosLeg, SbcQosRecord};
    let leg = |l: &QosLeg| SbcQosLeg {
        rtp_packets: l.rtp_packets,
        rtp_lost_packets: l.rtp_lost_packets,
        rtp_avg_jitter: l.rtp_avg_jitter,
        rtp_max_jitter: l.rtp_max_jitter,
        rtcp_avg_latency: l.rtcp_avg_latency,
        rtcp_max_latency: l.rtcp_max_latency,
        mos: f64::from(l.mos_x100) / 100.0,
        r_factor: f64::from(l.r_factor_x100) / 100.0,
    };
    let time = |t: &SbcTime| callscope_shared::analysis::time::rfc3339(t.nanos());
    SbcQosRecord {
        source: source.to_owned(),
        inc_call_id: q.inc_call_id.clone(),
        out_call_id: q.out_call_id.clone(),
        inc_realm: q.inc_realm.clone(),
        out_realm: q.out_realm.clone(),
        begin: time(&q.begin),
        end: time(&q.end),
        inc: leg(&q.inc),
        out: leg(&q.out),
    }
}

/// `CollectorEvent` with its borrowed bytes copied, to cross a channel or an await.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OwnedCollectorEvent {
    Handshake {
        domain: u32,
        export_time: u32,
        hostname: String,
        software: String,
        timeout: u16,
    },
    Keepalive {
        domain: u32,
    },
    Sip {
        set_id: u16,
        direction: Direction,
        transport: Transport,
        ts: Nanos,
        src: Endpoint,
        dst: Endpoint,
        bytes: Vec<u8>,
        iface: Interface,
        sbc_call_id: Option<Vec<u8>>,
    },
    BadDatagram {
        set_id: u16,
        error: DatagramError,
    },
    Qos {
        domain: u32,
        record: Box<OwnedQos>,
    },
    /// `(enterprise, element id, value)` per field.
    TemplateData {
        domain: u32,
        template_id: u16,
        fields: Vec<(u32, u16, Vec<u8>)>,
    },
    TemplateDefined {
        domain: u32,
        template_id: u16,
        options: bool,
        outcome: Defined,
    },
    TemplateWithdrawn {
        domain: u32,
        template_id: Option<u16>,
        options: bool,
        known: bool,
    },
    UnknownSet {
        domain: u32,
        set_id: u16,
        len: usize,
    },
    SequenceGap {
        domain: u32,
        expected: u32,
        got: u32,
    },
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl OwnedCollectorEvent {
    /// Copies an event; `None` for event kinds this version does not know.
    pub fn from_event(e: &CollectorEvent<'_>) -> Option<Self> {
        Some(match e {
            CollectorEvent::Handshake {
                domain,
                export_time,
                handshake,
            } => Self::Handshake {
                domain: *domain,
                export_time: *export_time,
                hostname: handshake.hostname_lossy().into_owned(),
                software: handshake.software(),
                timeout: handshake.timeout,
            },
            CollectorEvent::Keepalive { domain } => Self::Keepalive { domain: *domain },
            CollectorEvent::Sip(s) => Self::Sip {
                set_id: s.set_id,
                direction: s.direction,
                transport: s.transport,
                ts: s.ts,
                src: s.src,
                dst: s.dst,
                bytes: s.bytes.to_vec(),
                iface: s.iface,
                sbc_call_id: s.sbc_call_id.map(<[u8]>::to_vec),
            },
            CollectorEvent::BadDatagram { set_id, error, .. } => Self::BadDatagram {
                set_id: *set_id,
                error: *error,
            },
            CollectorEvent::Qos { domain, record: q } => Self::Qos {
                domain: *domain,
                record: Box::new(OwnedQos {
                    inc: q.inc,
                    out: q.out,
                    media_type: q.media_type,
                    flows: [q.caller_inc, q.callee_inc, q.caller_out, q.callee_out],
                    caller_iface: q.caller_iface,
                    callee_iface: q.callee_iface,
                    begin: q.begin,
                    end: q.end,
                    inc_realm: lossy(q.inc_realm),
                    out_realm: lossy(q.out_realm),
                    inc_call_id: lossy(q.inc_call_id),
                    out_call_id: lossy(q.out_call_id),
                }),
            },
            CollectorEvent::TemplateData {
                domain,
                template_id,
                fields,
            } => Self::TemplateData {
                domain: *domain,
                template_id: *template_id,
                fields: fields
                    .iter()
                    .map(|f: &DataField<'_>| (f.enterprise, f.id, f.value.to_vec()))
                    .collect(),
            },
            CollectorEvent::TemplateDefined {
                domain,
                template_id,
                options,
                outcome,
            } => Self::TemplateDefined {
                domain: *domain,
                template_id: *template_id,
                options: *options,
                outcome: *outcome,
            },
            CollectorEvent::TemplateWithdrawn {
                domain,
                template_id,
                options,
                known,
            } => Self::TemplateWithdrawn {
                domain: *domain,
                template_id: *template_id,
                options: *options,
                known: *known,
            },
            CollectorEvent::UnknownSet {
                domain,
                set_id,
                len,
            } => Self::UnknownSet {
                domain: *domain,
                set_id: *set_id,
                len: *len,
            },
            CollectorEvent::SequenceGap {
                domain,
                expected,
                got,
            } => Self::SequenceGap {
                domain: *domain,
                expected: *expected,
                got: *got,
            },
            _ => return None,
        })
    }
}

/// Why a collector session ended other than by the peer closing cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("IPFIX session with {peer}: {source}")]
    Protocol {
        peer: String,
        #[source]
        source: SessionError,
    },
    #[error("IPFIX session with {peer}: connection error: {source}")]
    Io {
        peer: String,
        #[source]
        source: std::io::Error,
    },
    #[error("IPFIX session with {peer}: nothing received for 3 keepalive timeouts; closing")]
    Idle { peer: String },
    #[error(
        "IPFIX session with {peer}: no complete message within {wait:?} of connecting; closing \
         (an SBC sends its handshake at once)"
    )]
    NoMessage { peer: String, wait: Duration },
}

/// How long a new connection may take to deliver its first whole message: without it, a peer
/// that connects and sends nothing (or half a header) would hold its task forever, since the
/// keepalive deadline only starts with the handshake.
pub const FIRST_MESSAGE_WAIT: Duration = Duration::from_secs(30);

/// Logs what a collector operator should see, by event.
fn log_event(peer: &str, e: &CollectorEvent<'_>) {
    match e {
        CollectorEvent::Handshake { handshake, .. } => tracing::info!(
            peer,
            hostname = %handshake.hostname_lossy(),
            software = %handshake.software(),
            timeout = handshake.timeout,
            "SBC handshake; replying 257"
        ),
        CollectorEvent::SequenceGap {
            domain,
            expected,
            got,
        } => tracing::warn!(peer, domain, expected, got, "IPFIX sequence gap"),
        CollectorEvent::BadDatagram { set_id, error, .. } => {
            tracing::warn!(peer, set_id, %error, "SIP/UDP record with an undecodable datagram")
        }
        CollectorEvent::TemplateDefined {
            domain,
            template_id,
            outcome: Defined::Replaced,
            ..
        } => tracing::warn!(
            peer,
            domain,
            template_id,
            "template redefined without withdrawal (exporter error, RFC 7011 §8)"
        ),
        CollectorEvent::TemplateWithdrawn {
            domain,
            template_id,
            known: false,
            ..
        } => tracing::info!(
            peer,
            domain,
            ?template_id,
            "withdrawal of an unknown template ignored"
        ),
        CollectorEvent::UnknownSet {
            domain,
            set_id,
            len,
        } => tracing::debug!(peer, domain, set_id, len, "IPFIX set not decoded"),
        _ => {}
    }
}

/// Serves one exporter connection with the default `CollectorConfig` until the peer closes
/// (returns the counters), the session fails or goes idle (an error, logged by the caller).
pub async fn serve_session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: String,
    on_event: impl FnMut(OwnedCollectorEvent),
) -> Result<SessionCounters, ServeError> {
    serve_session_with(stream, peer, CollectorConfig::default(), on_event).await
}

/// `serve_session` with a configuration.
pub async fn serve_session_with<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: String,
    cfg: CollectorConfig,
    on_event: impl FnMut(OwnedCollectorEvent),
) -> Result<SessionCounters, ServeError> {
    serve_session_limited(stream, peer, cfg, FIRST_MESSAGE_WAIT, on_event).await
}

/// `serve_session_with`, closing the session when no whole message arrived within
/// `first_message_wait` of the call.
pub async fn serve_session_limited<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    peer: String,
    cfg: CollectorConfig,
    first_message_wait: Duration,
    mut on_event: impl FnMut(OwnedCollectorEvent),
) -> Result<SessionCounters, ServeError> {
    let first_deadline = now_nanos()
        .saturating_add(u64::try_from(first_message_wait.as_nanos()).unwrap_or(u64::MAX));
    let mut session = CollectorSession::new(cfg);
    let mut buf = vec![0u8; 64 * 1024];
    let mut tx = Vec::new();
    let io = |peer: &str, source| ServeError::Io {
        peer: peer.to_string(),
        source,
    };
    loop {
        let read = stream.read(&mut buf);
        let first = session.counters().last_message_at.is_none();
        let deadline = if first {
            Some(first_deadline)
        } else {
            session.idle_deadline()
        };
        let n = match deadline {
            Some(deadline) => {
                let left = Duration::from_nanos(deadline.saturating_sub(now_nanos()));
                match tokio::time::timeout(left, read).await {
                    Ok(r) => r.map_err(|e| io(&peer, e))?,
                    Err(_) if first => {
                        return Err(ServeError::NoMessage {
                            peer,
                            wait: first_message_wait,
                        });
                    }
                    Err(_) => return Err(ServeError::Idle { peer }),
                }
            }
            None => read.await.map_err(|e| io(&peer, e))?,
        };
        let Some(data) = buf.get(..n).filter(|d| !d.is_empty()) else {
            if session.buffered() > 0 {
                tracing::warn!(
                    peer,
                    bytes = session.buffered(),
                    "connection closed inside an IPFIX message"
                );
            }
            return Ok(session.counters().clone());
        };
        let r = session.on_bytes(data, now_nanos(), &mut |e| {
            log_event(&peer, &e);
            if let Some(o) = OwnedCollectorEvent::from_event(&e) {
                on_event(o);
            }
        });
        if let Err(source) = r {
            return Err(ServeError::Protocol { peer, source });
        }
        tx.clear();
        if session.poll_transmit(&mut tx) > 0 {
            stream.write_all(&tx).await.map_err(|e| io(&peer, e))?;
            stream.flush().await.map_err(|e| io(&peer, e))?;
        }
    }
}

/// Settings of the test exporter.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Addresses of the SBC: SIP sent from one of them is exported as "sent" (259/261), the
    /// rest as "received" (258/260). Empty: everything is "received".
    pub sbc_addrs: Vec<IpAddr>,
    /// Hostname in the handshake.
    pub hostname: String,
    /// Timeout in the handshake (seconds); keepalives are sent every `timeout` seconds when
    /// not 0. Default 30, as the real SBC.
    pub timeout: u16,
    /// How long to wait for the 257 reply. Default 10 s.
    pub handshake_wait: Duration,
    /// Observation domain. Default 0.
    pub observation_domain: u32,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            sbc_addrs: Vec::new(),
            hostname: "callscope-sim".into(),
            timeout: 30,
            handshake_wait: Duration::from_secs(10),
            observation_domain: 0,
        }
    }
}

/// What `export_capture` sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    pub sip_udp: u64,
    pub sip_tcp: u64,
    pub keepalives: u64,
    /// QoS reports (set 268), one per call with media.
    pub qos: u64,
    /// SIP messages not exported: TCP over IPv6 (no layout), or too long for a message.
    pub skipped: u64,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read capture {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("capture {path}: {source}")]
    Capture {
        path: PathBuf,
        #[source]
        source: callscope_shared::wire::CaptureError,
    },
    #[error("connection to the collector: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "no handshake reply (set 257) from the collector within {0:?}; is it an SBC IPFIX collector?"
    )]
    NoReply(Duration),
    #[error("the collector answered the handshake with {0} instead of a set 257 message")]
    BadReply(String),
}

/// One SIP message to export.
struct SipItem {
    ts: Nanos,
    transport: Transport,
    src: Endpoint,
    dst: Endpoint,
    bytes: Vec<u8>,
}

/// The SIP messages of a capture in capture order: UDP datagrams that look like SIP, and SIP
/// messages framed out of TCP streams.
fn sip_of_capture(data: &[u8], path: &Path) -> Result<Vec<SipItem>, ExportError> {
    let cap_err = |source| ExportError::Capture {
        path: path.to_path_buf(),
        source,
    };
    let reader = CaptureReader::new(data).map_err(cap_err)?;
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut streams = SipStreams::new(StreamConfig::default());
    let mut items = Vec::new();
    let on_stream = |items: &mut Vec<SipItem>, e: StreamEvent<'_>| {
        if let StreamEvent::Message(m) = e
            && m.transport == Transport::Tcp
        {
            items.push(SipItem {
                ts: m.ts,
                transport: Transport::Tcp,
                src: m.flow.src,
                dst: m.flow.dst,
                bytes: m.bytes.to_vec(),
            });
        }
    };
    for frame in reader {
        let frame = frame.map_err(cap_err)?;
        dec.decode(&frame, &mut |ev| {
            let DecodeEvent::Segment(seg) = ev else {
                return;
            };
            match seg.transport {
                Transport::Udp if looks_like_sip(seg.payload) => items.push(SipItem {
                    ts: seg.ts,
                    transport: Transport::Udp,
                    src: seg.flow.src,
                    dst: seg.flow.dst,
                    bytes: seg.payload.to_vec(),
                }),
                Transport::Tcp => streams.on_tcp(&seg, &mut |e| on_stream(&mut items, e)),
                _ => {}
            }
        });
    }
    streams.flush(&mut |e| on_stream(&mut items, e));
    items.sort_by_key(|i| i.ts);
    Ok(items)
}

fn v4(e: Endpoint) -> Option<SocketAddrV4> {
    match e.ip {
        IpAddr::V4(ip) => Some(SocketAddrV4::new(ip, e.port)),
        IpAddr::V6(_) => None,
    }
}

/// Reads one IPFIX message from `stream` (header, then the rest).
async fn read_message<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<Vec<u8>> {
    let mut m = vec![0u8; 16];
    stream.read_exact(&mut m).await?;
    let len = usize::from(u16::from_be_bytes([m[2], m[3]])).max(16);
    m.resize(len, 0);
    stream.read_exact(&mut m[16..]).await?;
    Ok(m)
}

/// Connects as an SBC would: sends the handshake, waits for the 257 reply, sends a keepalive,
/// then every SIP message of `capture` as 258/259 (UDP, with a synthesised IP/UDP header) or
/// 260/261 (TCP, IPv4 only), and keepalives every `timeout` seconds of sending.
pub async fn export_capture<S: AsyncWrite + AsyncRead + Unpin>(
    mut stream: S,
    capture: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    let data = tokio::fs::read(capture)
        .await
        .map_err(|source| ExportError::Read {
            path: capture.to_path_buf(),
            source,
        })?;
    let items = sip_of_capture(&data, capture)?;
    let export_time = || (now_nanos() / 1_000_000_000) as u32;
    let mut ex = Exporter::new(opts.observation_domain);
    let mut summary = ExportSummary::default();
    let mut out = Vec::new();
    let hs = Handshake {
        major: 1,
        minor: 2,
        cflags1: 0x00fc,
        cflags2: 0x7731,
        sflags: 0,
        timeout: opts.timeout,
        system_id: 0,
        product: 0x435a,
        sw_major: 7,
        sw_minor: 3,
        sw_revision: 0,
        hostname: opts.hostname.as_bytes(),
    };
    ex.handshake(&hs, export_time(), &mut out)
        .map_err(|e| ExportError::BadReply(e.to_string()))?;
    stream.write_all(&out).await?;
    stream.flush().await?;
    let reply = tokio::time::timeout(opts.handshake_wait, read_message(&mut stream))
        .await
        .map_err(|_| ExportError::NoReply(opts.handshake_wait))??;
    match Message::new_checked(&reply) {
        Ok(m)
            if m.sets()
                .next()
                .is_some_and(|s| s.is_ok_and(|s| s.id == set_id::HANDSHAKE_ACK)) => {}
        Ok(m) => {
            return Err(ExportError::BadReply(format!(
                "sets {:?}",
                m.sets()
                    .filter_map(Result::ok)
                    .map(|s| s.id)
                    .collect::<Vec<_>>()
            )));
        }
        Err(e) => return Err(ExportError::BadReply(e.to_string())),
    }
    out.clear();
    ex.keepalive(&mut out);
    summary.keepalives += 1;
    let keepalive_every = (opts.timeout != 0).then(|| Duration::from_secs(opts.timeout.into()));
    let mut last_keepalive = Instant::now();
    for item in &items {
        if let Some(every) = keepalive_every
            && last_keepalive.elapsed() >= every
        {
            ex.keepalive(&mut out);
            summary.keepalives += 1;
            last_keepalive = Instant::now();
        }
        let direction = if opts.sbc_addrs.contains(&item.src.ip) {
            Direction::Out
        } else {
            Direction::In
        };
        let time = SbcTime::from_nanos(item.ts);
        let call_id = (direction == Direction::Out)
            .then(|| callscope_shared::sip::SipMessage::parse(&item.bytes).ok())
            .flatten()
            .and_then(|m| m.call_id().map(<[u8]>::to_vec));
        let r = match item.transport {
            Transport::Udp => ex.sip_udp_message(
                direction,
                time,
                Interface::default(),
                call_id.as_deref(),
                item.src,
                item.dst,
                &item.bytes,
                DatagramParams::default(),
                export_time(),
                &mut out,
            ),
            _ => match (v4(item.src), v4(item.dst)) {
                (Some(src), Some(dst)) => ex.sip_tcp(
                    direction,
                    &SipTcpRecord {
                        time,
                        iface: Interface::default(),
                        src,
                        dst,
                        context: 0,
                        call_id: call_id.as_deref(),
                        sip: &item.bytes,
                    },
                    export_time(),
                    &mut out,
                ),
                _ => {
                    summary.skipped += 1;
                    continue;
                }
            },
        };
        match r {
            Ok(()) if item.transport == Transport::Udp => summary.sip_udp += 1,
            Ok(()) => summary.sip_tcp += 1,
            Err(e) => {
                tracing::warn!(error = %e, "SIP message not exported");
                summary.skipped += 1;
            }
        }
        if out.len() >= 64 * 1024 {
            stream.write_all(&out).await?;
            summary.bytes += out.len() as u64;
            out.clear();
        }
    }
    // At the end, a QoS report (set 268) per call with media, as an SBC sends at call end:
    // figures from this capture's own analysis (what the SBC would have measured).
    for rec in qos_of_capture(&data) {
        let r = QosRecord {
            inc: rec.inc,
            out: rec.out,
            media_type: 0,
            caller_inc: rec.flows[0],
            callee_inc: rec.flows[1],
            caller_out: rec.flows[2],
            callee_out: rec.flows[3],
            caller_iface: Interface::default(),
            callee_iface: Interface::default(),
            begin: rec.begin,
            end: rec.end,
            inc_realm: b"core",
            out_realm: b"access",
            inc_call_id: rec.inc_call_id.as_bytes(),
            out_call_id: rec.out_call_id.as_bytes(),
        };
        match ex.qos(&r, export_time(), &mut out) {
            Ok(()) => summary.qos += 1,
            Err(e) => tracing::warn!(error = %e, "QoS report not exported"),
        }
    }
    stream.write_all(&out).await?;
    stream.flush().await?;
    summary.bytes += out.len() as u64;
    Ok(summary)
}

/// What the exporter reports as an SBC's QoS for one call.
struct CaptureQos {
    inc: QosLeg,
    out: QosLeg,
    flows: [MediaFlow; 4],
    begin: SbcTime,
    end: SbcTime,
    inc_call_id: String,
    out_call_id: String,
}

/// One QoS report per call with RTP streams: the first leg is the SBC's ingress, the last its
/// egress; the first two streams give the legs' figures.
fn qos_of_capture(data: &[u8]) -> Vec<CaptureQos> {
    use callscope_shared::analysis::time::parse_rfc3339;
    use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
    let Ok(reader) = callscope_shared::wire::capture::CaptureReader::new(data) else {
        return Vec::new();
    };
    let mut a = Analyzer::new(AnalyzerConfig::default());
    for f in reader.map_while(Result::ok) {
        a.on_frame(&f);
    }
    let report = a.finish();
    let leg = |s: Option<&callscope_shared::analysis::report::StreamRecord>| {
        let Some(s) = s else {
            return QosLeg::default();
        };
        QosLeg {
            rtp_packets: u32::try_from(s.packets).unwrap_or(u32::MAX),
            rtp_lost_packets: u32::try_from(s.lost.max(0)).unwrap_or(u32::MAX),
            rtp_avg_jitter: s.mean_jitter_ms.round() as u32,
            rtp_max_jitter: s.max_jitter_ms.round() as u32,
            r_factor_x100: s.r_factor.map_or(0, |r| (r * 100.0).round() as u32),
            mos_x100: s.mos.map_or(0, |m| (m * 100.0).round() as u32),
            ..QosLeg::default()
        }
    };
    let flow = |s: Option<&callscope_shared::analysis::report::StreamRecord>| {
        let none = MediaFlow {
            src: std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0),
            dst: std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0),
        };
        match s.map(|s| (v4(s.src), v4(s.dst))) {
            Some((Some(src), Some(dst))) => MediaFlow { src, dst },
            _ => none,
        }
    };
    let mut out = Vec::new();
    for c in &report.calls {
        let streams: Vec<_> = c
            .streams
            .iter()
            .filter_map(|&i| report.streams.get(i))
            .collect();
        let (Some(first), Some(last)) = (c.legs.first(), c.legs.last()) else {
            continue;
        };
        if streams.is_empty() {
            continue;
        }
        let time = |t: &str| SbcTime::from_nanos(parse_rfc3339(t).unwrap_or(0));
        out.push(CaptureQos {
            inc: leg(streams.first().copied()),
            out: leg(streams.get(1).copied()),
            flows: [
                flow(streams.first().copied()),
                flow(streams.get(1).copied()),
                flow(streams.get(2).copied()),
                flow(streams.get(3).copied()),
            ],
            begin: time(&c.start),
            end: time(&c.end),
            inc_call_id: first.call_id.clone(),
            out_call_id: last.call_id.clone(),
        });
    }
    out
}
