//! The decapsulation stack: link layer -> (VLAN, QinQ, MPLS, PPPoE, GRE, ERSPAN, VXLAN, IP-in-IP,
//! GTP-U)* -> IPv4/IPv6 (with fragment reassembly) -> UDP/TCP/SCTP segment.
//!
//! OWNER: wire helper. Contract (keep these names; add freely):
//! - `Decoder::new(DecoderConfig)`; `Decoder::decode(&mut self, &Frame, &mut dyn FnMut(DecodeEvent<'_>))`
//!   calls the sink zero or more times per frame (a completed fragment set, or a tunnel
//!   carrying several packets, can produce more than one event).
//! - `Decoder::stats()` counts frames, segments, malformed, ignored by reason, fragments held.
//! - Fragment reassembly memory is bounded (`DecoderConfig`), and expires by capture time.
use crate::net::{Flow, Nanos, Transport};

/// TCP header fields the stream reassembler needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpInfo {
    pub seq: u32,
    pub ack: u32,
    /// TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
    pub flags: u8,
}

impl TcpInfo {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub fn syn(&self) -> bool {
        self.flags & Self::SYN != 0
    }
    pub fn fin(&self) -> bool {
        self.flags & Self::FIN != 0
    }
    pub fn rst(&self) -> bool {
        self.flags & Self::RST != 0
    }
}

/// A transport segment found inside a frame (the innermost IP packet's UDP/TCP/SCTP payload).
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub ts: Nanos,
    pub flow: Flow,
    /// `Udp`, `Tcp` or `Sctp` (never `Ws`: WebSocket is found by the stream layer).
    pub transport: Transport,
    /// Set for TCP.
    pub tcp: Option<TcpInfo>,
    /// UDP/TCP payload, or for SCTP everything after the 12-byte common header (the chunks).
    pub payload: &'a [u8],
    /// The segment was quoted inside an ICMP error rather than sent as such.
    pub icmp_quoted: bool,
}
