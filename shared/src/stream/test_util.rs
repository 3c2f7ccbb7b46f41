//! Helpers for the stream tests: segments built by hand and an event collector.
use std::net::{IpAddr, Ipv4Addr};

use super::{SipStreams, StreamError, StreamEvent};
use crate::net::{Endpoint, Flow, Nanos, Transport};
use crate::wire::decap::{Segment, TcpInfo};

pub(crate) const SYN: u8 = TcpInfo::SYN;
pub(crate) const FIN: u8 = TcpInfo::FIN;
pub(crate) const RST: u8 = TcpInfo::RST;
pub(crate) const ACKF: u8 = 0x10;
pub(crate) const PSH: u8 = 0x08;

/// Client 10.0.0.1:40000 -> server 10.0.0.2:5060.
pub(crate) fn client_flow() -> Flow {
    Flow {
        src: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000),
        dst: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 5060),
    }
}

pub(crate) fn tcp_seg(flow: Flow, ts: Nanos, seq: u32, flags: u8, payload: &[u8]) -> Segment<'_> {
    Segment {
        ts,
        flow,
        transport: Transport::Tcp,
        tcp: Some(TcpInfo { seq, ack: 0, flags }),
        payload,
        icmp_quoted: false,
    }
}

/// An owned copy of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ev {
    Msg {
        ts: Nanos,
        flow: Flow,
        transport: Transport,
        bytes: Vec<u8>,
        no_cl: bool,
    },
    Bad {
        flow: Flow,
        transport: Transport,
        bytes: Vec<u8>,
        error: StreamError,
    },
}

impl Ev {
    pub(crate) fn msg_bytes(&self) -> Option<&[u8]> {
        match self {
            Ev::Msg { bytes, .. } => Some(bytes),
            Ev::Bad { .. } => None,
        }
    }
}

pub(crate) fn own(ev: StreamEvent<'_>) -> Ev {
    match ev {
        StreamEvent::Message(m) => Ev::Msg {
            ts: m.ts,
            flow: m.flow,
            transport: m.transport,
            bytes: m.bytes.to_vec(),
            no_cl: m.missing_content_length,
        },
        StreamEvent::Malformed {
            flow,
            transport,
            bytes,
            error,
            ..
        } => Ev::Bad {
            flow,
            transport,
            bytes: bytes.to_vec(),
            error,
        },
    }
}

/// Feeds TCP segments then flushes; returns every event.
pub(crate) fn run_tcp(s: &mut SipStreams, segs: &[Segment<'_>]) -> Vec<Ev> {
    let mut evs = Vec::new();
    for seg in segs {
        s.on_tcp(seg, &mut |e| evs.push(own(e)));
    }
    s.flush(&mut |e| evs.push(own(e)));
    evs
}

/// The messages' bytes only.
pub(crate) fn messages(evs: &[Ev]) -> Vec<Vec<u8>> {
    evs.iter()
        .filter_map(|e| e.msg_bytes().map(<[u8]>::to_vec))
        .collect()
}

/// Realistic SIP over TCP messages (an RFC 3665-style call), Content-Length exact.
pub(crate) mod sip {
    pub(crate) const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
        Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK776asdhds\r\n\
        Max-Forwards: 70\r\n\
        From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
        To: Bob <sip:bob@biloxi.example.com>\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Contact: <sip:alice@10.0.0.1:40000;transport=tcp>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 205\r\n\
        \r\n\
        v=0\r\n\
        o=alice 2890844526 2890844526 IN IP4 10.0.0.1\r\n\
        s=-\r\n\
        c=IN IP4 10.0.0.1\r\n\
        t=0 0\r\n\
        m=audio 49170 RTP/AVP 0 8 101\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\n\
        a=sendrecv\r\n\
        ";
    pub(crate) const TRYING: &[u8] = b"SIP/2.0 100 Trying\r\n\
        Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK776asdhds\r\n\
        From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
        To: Bob <sip:bob@biloxi.example.com>\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Content-Length: 0\r\n\
        \r\n\
        ";
    pub(crate) const RINGING: &[u8] = b"SIP/2.0 180 Ringing\r\n\
        Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK776asdhds\r\n\
        From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
        To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Contact: <sip:bob@10.0.0.2:5060;transport=tcp>\r\n\
        Content-Length: 0\r\n\
        \r\n\
        ";
    pub(crate) const OK: &[u8] = b"SIP/2.0 200 OK\r\n\
        Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK776asdhds\r\n\
        From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
        To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Contact: <sip:bob@10.0.0.2:5060;transport=tcp>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 127\r\n\
        \r\n\
        v=0\r\n\
        o=bob 2808844564 2808844564 IN IP4 10.0.0.2\r\n\
        s=-\r\n\
        c=IN IP4 10.0.0.2\r\n\
        t=0 0\r\n\
        m=audio 3456 RTP/AVP 0\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        ";
    pub(crate) const ACK: &[u8] = b"ACK sip:bob@10.0.0.2:5060;transport=tcp SIP/2.0\r\n\
        Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK776asdhdt\r\n\
        Max-Forwards: 70\r\n\
        From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
        To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
        CSeq: 314159 ACK\r\n\
        Content-Length: 0\r\n\
        \r\n\
        ";
    pub(crate) const BYE: &[u8] = b"BYE sip:bob@10.0.0.2:5060;transport=tcp SIP/2.0\r\n\
        Via: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK776asdhdu\r\n\
        Max-Forwards: 70\r\n\
        From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
        To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
        Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
        CSeq: 314160 BYE\r\n\
        Content-Length: 0\r\n\
        \r\n\
        ";

    pub(crate) const ALL: [&[u8]; 6] = [INVITE, TRYING, RINGING, OK, ACK, BYE];
}

/// A WebSocket frame (RFC 6455 §5.2), masked when `mask` is set.
pub(crate) fn ws_frame(fin: bool, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => f.push(m | n as u8),
        n @ 126..=0xffff => {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if let Some(k) = mask {
        f.extend_from_slice(&k);
    }
    super::websocket::unmask_into(&mut f, payload, mask, 0);
    f
}

/// RFC 7118 Appendix A.1 handshake.
pub(crate) const WS_UPGRADE: &[u8] = b"GET / HTTP/1.1\r\n\
    Host: proxy.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://www.example.com\r\n\
    Sec-WebSocket-Protocol: sip\r\n\
    Sec-WebSocket-Version: 13\r\n\
    \r\n";
pub(crate) const WS_ACCEPT: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    Sec-WebSocket-Protocol: sip\r\n\
    \r\n";
