//! WebSocket frame decoding (RFC 6455) of SIP (RFC 7118) over arbitrary bytes.
//!
//! The first byte chooses the segment size; the rest is the client's byte stream after a
//! valid upgrade handshake (odd-numbered chunks go to the server direction instead).
//! Invariants: no panic; a frame header that parses has a length that fits its input;
//! every message is a SIP message over WebSocket, at most `max_message_bytes`; everything
//! emitted is at most everything given.
#![no_main]
use std::net::{IpAddr, Ipv4Addr};

use callscope_shared::net::{Endpoint, Flow, Transport};
use callscope_shared::stream::websocket::FrameHeader;
use callscope_shared::stream::{SipStreams, StreamConfig, StreamEvent};
use callscope_shared::wire::decap::{Segment, TcpInfo};
use libfuzzer_sys::fuzz_target;

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
const ACCEPT: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n";

fuzz_target!(|data: &[u8]| {
    let Some((&size, stream)) = data.split_first() else {
        return;
    };
    if let Ok(h) = FrameHeader::parse(stream) {
        assert!((2..=14).contains(&h.header_len) && h.header_len <= stream.len());
        assert!(h.payload_len < 1 << 63);
    }
    let cfg = StreamConfig {
        max_message_bytes: 2048,
        max_buffered_per_direction: 4096,
        ..StreamConfig::default()
    };
    let max_msg = cfg.max_message_bytes;
    let mut s = SipStreams::new(cfg);
    let client = Flow {
        src: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000),
        dst: Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 8080),
    };
    let seg = |flow: Flow, seq: u32, flags: u8, payload: &'static [u8]| Segment {
        ts: 0,
        flow,
        transport: Transport::Tcp,
        tcp: Some(TcpInfo { seq, ack: 0, flags }),
        payload,
        icmp_quoted: false,
    };
    let mut emitted = 0usize;
    let mut check = |e: StreamEvent<'_>| match e {
        StreamEvent::Message(m) => {
            assert_eq!(m.transport, Transport::Ws);
            assert!(m.bytes.len() <= max_msg);
            emitted += m.bytes.len();
        }
        StreamEvent::Malformed { bytes, .. } => emitted += bytes.len(),
    };
    s.on_tcp(&seg(client, 0, TcpInfo::SYN, b""), &mut check);
    s.on_tcp(&seg(client.reversed(), 0, TcpInfo::SYN, b""), &mut check);
    s.on_tcp(&seg(client, 1, 0, UPGRADE), &mut check);
    s.on_tcp(&seg(client.reversed(), 1, 0, ACCEPT), &mut check);
    let mut seq = [1 + UPGRADE.len() as u32, 1 + ACCEPT.len() as u32];
    for (i, chunk) in stream.chunks(usize::from(size).max(1)).enumerate() {
        let d = i % 2;
        let flow = if d == 0 { client } else { client.reversed() };
        let seg = Segment {
            ts: i as u64,
            flow,
            transport: Transport::Tcp,
            tcp: Some(TcpInfo {
                seq: seq[d],
                ack: 0,
                flags: 0,
            }),
            payload: chunk,
            icmp_quoted: false,
        };
        seq[d] = seq[d].wrapping_add(chunk.len() as u32);
        s.on_tcp(&seg, &mut check);
    }
    s.flush(&mut check);
    assert!(emitted <= stream.len());
});
