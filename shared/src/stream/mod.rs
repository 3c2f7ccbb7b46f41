//! Transport framing of SIP: TCP stream reassembly per connection, WebSocket (RFC 7118) and
//! SCTP DATA chunks. OWNER: stream helper.
//!
//! Contract (keep these names; add freely):
//! - `SipStreams::new(StreamConfig)`; `on_tcp(&mut self, &Segment, &mut dyn FnMut(StreamEvent<'_>))`,
//!   `on_sctp(...)`, `flush(&mut self, sink)` at end of input, `expire(&mut self, now: Nanos, sink)`.
//! - `StreamEvent::Message(StreamMessage { ts, flow, transport, bytes })` for each whole SIP
//!   message in stream order (ts = capture time of the segment that completed it);
//!   `StreamEvent::Malformed { .. }` for bytes that cannot be framed (kept, counted).
//! - Memory per connection and the number of connections are bounded.
//!
//! Layout:
//! - `tcp`: per-direction sequence-number reassembly (retransmissions, out-of-order, gaps,
//!   wrap-around, FIN/RST) that hands contiguous bytes to the framer.
//! - `framer`: what a direction carries (SIP, an HTTP WebSocket upgrade, WebSocket frames,
//!   or something else) and SIP framing by Content-Length (RFC 3261 §18.3).
//! - [`websocket`]: RFC 6455 frame decoding (one SIP message per WebSocket message, RFC 7118 §5).
//! - [`sctp`]: chunk walking and DATA fragment reassembly (RFC 9260 §3.3.1).
//!
//! Zero copy: a message that sits in one in-order segment is emitted as a slice of that
//! segment's payload. Only bytes that span segments, out-of-order segments, fragmented
//! WebSocket messages, masked WebSocket payloads and fragmented SCTP messages are copied, into
//! per-direction buffers that are reused.
//!
//! Non-SIP TCP (HTTPS, SSH...) is recognised from the first bytes of a connection and then
//! costs one hash lookup per segment.
//!
//! Framing has the semantics of `sip::frame::{header_end, content_length}` (tests check they
//! agree) in a single pass that stops at the first empty line, so a segment holding many
//! messages is not rescanned once per message.
use std::collections::HashMap;
use std::net::IpAddr;

use crate::net::{Endpoint, Flow, Nanos, Transport};
use crate::wire::decap::{Segment, TcpInfo};

mod framer;
pub mod sctp;
mod tcp;
pub mod websocket;

#[cfg(test)]
mod test_util;
// Tests may unwrap: a panic is a failure report there.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests_corpus;

use sctp::SctpState;
use tcp::Half;

/// Limits of the stream layer. All sizes are bytes, times are capture nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// Bytes buffered per direction of a TCP connection (a partial message plus out-of-order
    /// segments). A message that does not fit is emitted as `Malformed(TooLarge)` and the
    /// direction resynchronises on the next start line. Default 256 KiB (a 64 KB body with
    /// room for the headers and some reordering).
    pub max_buffered_per_direction: usize,
    /// Largest SIP message (or WebSocket message, or reassembled SCTP message). Default 128 KiB.
    pub max_message_bytes: usize,
    /// Out-of-order segments held per direction before the hole is declared a gap. Default 64.
    pub max_out_of_order_segments: usize,
    /// TCP connections tracked at once; beyond that new connections are ignored (counted in
    /// `connections_dropped`) until idle ones expire. Default 65 536.
    pub max_connections: usize,
    /// A connection with no segment for this long is flushed and dropped by `expire` (and
    /// when the table is full). Default 300 s.
    pub idle_timeout: Nanos,
    /// A hole in the sequence space older than this is skipped (counted as a gap) when the
    /// next segment of that direction arrives. Default 10 s (retransmission timers back off to
    /// a few seconds; a hole older than that will not be filled in the capture).
    pub gap_timeout: Nanos,
    /// SCTP streams with fragments being reassembled at once. Default 4 096.
    pub max_sctp_streams: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            max_buffered_per_direction: 256 * 1024,
            max_message_bytes: 128 * 1024,
            max_out_of_order_segments: 64,
            max_connections: 65_536,
            idle_timeout: 300_000_000_000,
            gap_timeout: 10_000_000_000,
            max_sctp_streams: 4096,
        }
    }
}

/// One whole SIP message found in a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamMessage<'a> {
    /// Capture time of the segment that completed the message.
    pub ts: Nanos,
    /// The direction that carried it (src -> dst).
    pub flow: Flow,
    /// `Tcp`, `Ws` or `Sctp`.
    pub transport: Transport,
    pub bytes: &'a [u8],
    /// The headers had no (numeric) Content-Length: RFC 3261 §18.3 requires one on a stream,
    /// so the message was framed at the end of its headers and any body is lost.
    pub missing_content_length: bool,
}

/// Why bytes of a stream could not be framed as SIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The stream ended (FIN, RST, flush or expiry) in the middle of a message.
    #[error("stream ended inside a message")]
    Incomplete,
    /// Bytes before a hole in the TCP sequence space that was never filled.
    #[error("message cut by a sequence gap")]
    Gap,
    /// Bytes skipped while looking for the next SIP start line.
    #[error("bytes that are not a SIP message")]
    NotSip,
    /// A message (or WebSocket message) longer than the configured bound.
    #[error("message longer than the configured bound")]
    TooLarge,
    /// A WebSocket frame that breaks RFC 6455 §5 (bad opcode, fragmented control frame...).
    #[error("invalid WebSocket frame")]
    WebSocket,
    /// A WebSocket frame with RSV bits set (permessage-deflate): its payload is compressed.
    #[error("compressed WebSocket frame (permessage-deflate is not decoded)")]
    WebSocketCompressed,
    /// An SCTP chunk whose length is shorter than its header or runs past the packet.
    #[error("malformed SCTP chunk")]
    SctpChunk,
    /// SCTP DATA fragments that could not be reassembled (missing fragment, bound reached).
    #[error("SCTP fragments that could not be reassembled")]
    SctpFragments,
}

/// What the stream layer reports to its sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    Message(StreamMessage<'a>),
    Malformed {
        ts: Nanos,
        flow: Flow,
        transport: Transport,
        bytes: &'a [u8],
        error: StreamError,
    },
}

/// Counters of the stream layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamStats {
    /// TCP connections tracked (SIP or not).
    pub connections: u64,
    /// New TCP connections not tracked because the table was full.
    pub connections_dropped: u64,
    /// Connections flushed by `expire` (or to make room).
    pub connections_expired: u64,
    /// SIP messages emitted (all transports).
    pub messages: u64,
    /// Messages framed at the end of headers because Content-Length was missing.
    pub missing_content_length: u64,
    /// CRLF keepalives skipped (RFC 5626 §4.4.1 double-CRLF pings and single-CRLF pongs).
    pub keepalives: u64,
    /// TCP payload bytes already received (exact or partial retransmissions, duplicates).
    pub retransmitted_bytes: u64,
    /// Segments that arrived ahead of a hole and were held.
    pub out_of_order_segments: u64,
    /// Holes in the sequence space skipped (never filled, bound reached, or timed out).
    pub gaps: u64,
    /// Connections found not to carry SIP or SIP over WebSocket, then ignored.
    pub non_sip_streams: u64,
    /// Connections upgraded to WebSocket.
    pub ws_connections: u64,
    /// SIP messages carried by WebSocket messages.
    pub ws_messages: u64,
    /// WebSocket ping, pong and close frames.
    pub ws_control_frames: u64,
    /// SCTP DATA chunks seen.
    pub sctp_data_chunks: u64,
    /// SCTP DATA chunks already seen (same TSN in the same direction), dropped.
    pub sctp_retransmitted_chunks: u64,
    /// SCTP DATA chunks whose payload is not SIP (other PPIDs, or PPID 0 with other content).
    pub sctp_non_sip_chunks: u64,
    /// Malformed events emitted.
    pub malformed: u64,
}

/// Where emitted events go, with the context they need (one direction, one capture time).
pub(crate) struct Out<'c> {
    pub(crate) flow: Flow,
    pub(crate) ts: Nanos,
    pub(crate) transport: Transport,
    pub(crate) cfg: &'c StreamConfig,
    pub(crate) stats: &'c mut StreamStats,
    pub(crate) sink: &'c mut dyn FnMut(StreamEvent<'_>),
}

impl Out<'_> {
    pub(crate) fn message(&mut self, bytes: &[u8], missing_content_length: bool) {
        self.stats.messages += 1;
        if missing_content_length {
            self.stats.missing_content_length += 1;
        }
        (self.sink)(StreamEvent::Message(StreamMessage {
            ts: self.ts,
            flow: self.flow,
            transport: self.transport,
            bytes,
            missing_content_length,
        }));
    }

    pub(crate) fn malformed(&mut self, bytes: &[u8], error: StreamError) {
        self.stats.malformed += 1;
        (self.sink)(StreamEvent::Malformed {
            ts: self.ts,
            flow: self.flow,
            transport: self.transport,
            bytes,
            error,
        });
    }
}

/// The two endpoints of a connection in a canonical order, packed so that hashing it is one
/// write: per endpoint a family byte, the address (IPv4 in the first 4 bytes) and the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct ConnKey([u8; 38]);

fn pack(e: &Endpoint, dst: &mut [u8]) {
    if let (Some((fam, rest)), port) = (dst.split_first_mut(), e.port.to_be_bytes()) {
        let ip: [u8; 16] = match e.ip {
            IpAddr::V4(v4) => {
                *fam = 4;
                let mut a = [0; 16];
                a[..4].copy_from_slice(&v4.octets());
                a
            }
            IpAddr::V6(v6) => {
                *fam = 6;
                v6.octets()
            }
        };
        for (d, s) in rest.iter_mut().zip(ip.iter().chain(port.iter())) {
            *d = *s;
        }
    }
}

fn conn_key(flow: &Flow) -> (ConnKey, usize) {
    let (a, b, dir) = if flow.src <= flow.dst {
        (&flow.src, &flow.dst, 0)
    } else {
        (&flow.dst, &flow.src, 1)
    };
    let mut k = [0u8; 38];
    let (ka, kb) = k.split_at_mut(19);
    pack(a, ka);
    pack(b, kb);
    (ConnKey(k), dir)
}

/// One TCP connection: a half per direction (index 0 = lower endpoint to higher).
struct Conn {
    halves: [Half; 2],
    /// Found not to carry SIP: every later segment is dropped after the lookup.
    non_sip: bool,
    /// FIN seen per half while `non_sip` (both, or RST, frees the entry).
    fins: u8,
    last_ts: Nanos,
}

/// SIP stream framing over TCP, WebSocket and SCTP: a sans-IO state machine driven by
/// segments and their capture times.
pub struct SipStreams {
    cfg: StreamConfig,
    conns: HashMap<ConnKey, Conn>,
    sctp: SctpState,
    stats: StreamStats,
    /// Capture time of the last sweep for idle connections done because the table was full.
    last_full_sweep: Nanos,
}

impl SipStreams {
    pub fn new(cfg: StreamConfig) -> Self {
        Self {
            cfg,
            conns: HashMap::new(),
            sctp: SctpState::default(),
            stats: StreamStats::default(),
            last_full_sweep: 0,
        }
    }

    pub fn config(&self) -> &StreamConfig {
        &self.cfg
    }

    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// Bytes of buffers held by the TCP connections (capacity, excluding the table itself).
    pub fn memory_bytes(&self) -> usize {
        self.conns
            .values()
            .flat_map(|c| c.halves.iter())
            .map(Half::memory)
            .sum()
    }

    /// TCP connections currently tracked.
    pub fn tracked_connections(&self) -> usize {
        self.conns.len()
    }

    /// Takes one TCP segment (`seg.tcp` must be set; segments without it are ignored).
    pub fn on_tcp(&mut self, seg: &Segment<'_>, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        let Some(tcp) = seg.tcp else { return };
        if seg.icmp_quoted {
            return;
        }
        let (key, dir) = conn_key(&seg.flow);
        let remove = match self.conns.get_mut(&key) {
            Some(conn) => Self::conn_segment(conn, dir, tcp, seg, &self.cfg, &mut self.stats, sink),
            None => {
                if seg.payload.is_empty() && !tcp.syn() {
                    // A pure ACK/FIN/RST of a connection we do not know: nothing to frame.
                    return;
                }
                if self.conns.len() >= self.cfg.max_connections && !self.make_room(seg.ts, sink) {
                    self.stats.connections_dropped += 1;
                    return;
                }
                self.stats.connections += 1;
                let flow_a = if dir == 0 {
                    seg.flow
                } else {
                    seg.flow.reversed()
                };
                let conn = self.conns.entry(key).or_insert(Conn {
                    halves: [Half::new(flow_a), Half::new(flow_a.reversed())],
                    non_sip: false,
                    fins: 0,
                    last_ts: seg.ts,
                });
                Self::conn_segment(conn, dir, tcp, seg, &self.cfg, &mut self.stats, sink)
            }
        };
        if remove {
            self.conns.remove(&key);
        }
    }

    /// One segment of a known connection; true when the connection is over.
    fn conn_segment(
        conn: &mut Conn,
        dir: usize,
        tcp: TcpInfo,
        seg: &Segment<'_>,
        cfg: &StreamConfig,
        stats: &mut StreamStats,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) -> bool {
        conn.last_ts = conn.last_ts.max(seg.ts);
        if conn.non_sip {
            if tcp.fin() {
                conn.fins |= 1 << dir;
            }
            return tcp.rst() || conn.fins == 3;
        }
        let [h0, h1] = &mut conn.halves;
        let (half, peer) = if dir == 0 { (h0, &*h1) } else { (h1, &*h0) };
        let peer_upgrading = peer.upgrading_to_ws();
        let mut out = Out {
            flow: seg.flow,
            ts: seg.ts,
            transport: Transport::Tcp,
            cfg,
            stats,
            sink,
        };
        half.on_segment(tcp, seg.payload, peer_upgrading, &mut out);
        if tcp.rst() {
            for h in &mut conn.halves {
                h.close(&mut out);
            }
            return true;
        }
        if conn.halves.iter().all(Half::is_closed) {
            return true;
        }
        Self::settle_modes(conn, dir, out.stats);
        if conn.non_sip && tcp.fin() {
            conn.fins |= 1 << dir;
        }
        false
    }

    /// After a half changed mode: a connection whose first bytes are not SIP is ignored from
    /// now on, as is a WebSocket upgrade the server refused.
    fn settle_modes(conn: &mut Conn, dir: usize, stats: &mut StreamStats) {
        let [h0, h1] = &mut conn.halves;
        let (half, peer) = if dir == 0 { (h0, h1) } else { (h1, h0) };
        if half.newly_ws_server() {
            peer.confirm_ws();
            stats.ws_connections += 1;
        }
        if half.is_non_sip() && peer.is_plain_sip() && half.resync_if_gave_up() {
            return;
        }
        if peer.is_non_sip() && half.is_plain_sip() && peer.resync_if_gave_up() {
            return;
        }
        if half.is_non_sip() && !peer.carries_sip() {
            conn.non_sip = true;
            stats.non_sip_streams += 1;
            for h in &mut conn.halves {
                h.free();
            }
        }
    }

    /// Takes one SCTP packet: `seg.payload` is the chunk list after the common header.
    pub fn on_sctp(&mut self, seg: &Segment<'_>, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        if seg.icmp_quoted {
            return;
        }
        let mut out = Out {
            flow: seg.flow,
            ts: seg.ts,
            transport: Transport::Sctp,
            cfg: &self.cfg,
            stats: &mut self.stats,
            sink,
        };
        self.sctp.on_packet(seg.payload, &mut out);
    }

    /// End of input: emits what every direction still holds (a message cut short is
    /// `Malformed(Incomplete)`), and forgets all state.
    pub fn flush(&mut self, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        let mut conns: Vec<(ConnKey, Conn)> = self.conns.drain().collect();
        // Deterministic output order whatever the hash order.
        conns.sort_by_key(|(k, c)| (c.last_ts, *k));
        for (_, mut conn) in conns {
            Self::close_conn(&mut conn, &self.cfg, &mut self.stats, sink);
        }
        self.sctp.flush(&self.cfg, &mut self.stats, sink);
    }

    /// Flushes and forgets connections (and SCTP reassemblies) idle for longer than
    /// `idle_timeout` at capture time `now`.
    pub fn expire(&mut self, now: Nanos, sink: &mut dyn FnMut(StreamEvent<'_>)) {
        let timeout = self.cfg.idle_timeout;
        let mut idle: Vec<ConnKey> = self
            .conns
            .iter()
            .filter(|(_, c)| now.saturating_sub(c.last_ts) > timeout)
            .map(|(k, _)| *k)
            .collect();
        idle.sort_by_key(|k| (self.conns.get(k).map_or(0, |c| c.last_ts), *k));
        for k in idle {
            if let Some(mut conn) = self.conns.remove(&k) {
                self.stats.connections_expired += 1;
                Self::close_conn(&mut conn, &self.cfg, &mut self.stats, sink);
            }
        }
        self.sctp.expire(now, &self.cfg, &mut self.stats, sink);
    }

    /// The table is full: expire idle connections, at most once per second of capture time.
    fn make_room(&mut self, now: Nanos, sink: &mut dyn FnMut(StreamEvent<'_>)) -> bool {
        if now.saturating_sub(self.last_full_sweep) >= 1_000_000_000 {
            self.last_full_sweep = now;
            self.expire(now, sink);
        }
        self.conns.len() < self.cfg.max_connections
    }

    fn close_conn(
        conn: &mut Conn,
        cfg: &StreamConfig,
        stats: &mut StreamStats,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        if conn.non_sip {
            return;
        }
        for h in &mut conn.halves {
            let mut out = Out {
                flow: h.flow(),
                ts: h.last_ts(),
                transport: Transport::Tcp,
                cfg,
                stats,
                sink,
            };
            h.close(&mut out);
        }
    }
}

impl Default for SipStreams {
    fn default() -> Self {
        Self::new(StreamConfig::default())
    }
}
