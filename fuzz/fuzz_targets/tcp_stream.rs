//! TCP reassembly and SIP framing over an arbitrary sequence of segments.
//!
//! Input: repeated records `[ctl, seq_sel, len, ts_step, (seq: 4 bytes if seq_sel & 0x80), payload: len bytes]`.
//! `ctl` bits: 0x01 FIN, 0x02 SYN, 0x04 RST, 0x08 SCTP (the payload is a chunk list), 0x40
//! reverse direction, 0x30 which of 4 client ports. Without an absolute seq, the segment starts at the direction's cursor moved by the
//! signed offset `seq_sel as i8 * 8` (in-order, overlapping and out-of-order segments).
//! The first records are usually the fuzzer's SIP dictionary material.
//!
//! Invariants: no panic; every message is at most `max_message_bytes` and starts like SIP;
//! malformed chunks are bounded by what a direction may hold plus one segment; everything
//! emitted is at most everything given; flush leaves no state behind.
#![no_main]
use std::net::{IpAddr, Ipv4Addr};

use callscope_shared::net::{Endpoint, Flow, Transport};
use callscope_shared::stream::{SipStreams, StreamConfig, StreamEvent};
use callscope_shared::wire::decap::{Segment, TcpInfo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = StreamConfig {
        max_buffered_per_direction: 8192,
        max_message_bytes: 4096,
        max_out_of_order_segments: 8,
        max_connections: 3,
        idle_timeout: 5_000_000,
        gap_timeout: 1_000_000,
        ..StreamConfig::default()
    };
    let max_msg = cfg.max_message_bytes;
    let max_bad = cfg.max_buffered_per_direction + 256;
    let mut s = SipStreams::new(cfg);
    let mut input_bytes = 0usize;
    let mut emitted = 0usize;
    let mut check = |e: StreamEvent<'_>| match e {
        StreamEvent::Message(m) => {
            assert!(
                m.bytes.len() <= max_msg,
                "message of {} bytes",
                m.bytes.len()
            );
            // Starts with a token character (a method name) or "SIP/2.0".
            assert!(
                m.bytes
                    .first()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(b)),
                "{:?}",
                String::from_utf8_lossy(m.bytes)
            );
            assert!(matches!(
                m.transport,
                Transport::Tcp | Transport::Ws | Transport::Sctp
            ));
            emitted += m.bytes.len();
        }
        StreamEvent::Malformed { bytes, .. } => {
            assert!(
                bytes.len() <= max_bad,
                "malformed chunk of {} bytes",
                bytes.len()
            );
            emitted += bytes.len();
        }
    };
    let mut cursor = [[0u32; 2]; 4];
    let mut ts = 0u64;
    let mut rest = data;
    while let [ctl, sel, len, step, tail @ ..] = rest {
        let mut tail = tail;
        let port = usize::from((ctl >> 4) & 3);
        let dir = usize::from(ctl & 0x40 != 0);
        let seq = if sel & 0x80 != 0 {
            let Some((b, t)) = tail.split_first_chunk::<4>() else {
                break;
            };
            tail = t;
            u32::from_be_bytes(*b)
        } else {
            let off = i32::from((sel << 1) as i8) * 4;
            cursor[port][dir].wrapping_add_signed(off)
        };
        let n = usize::from(*len).min(tail.len());
        let (payload, t) = tail.split_at(n);
        rest = t;
        ts += u64::from(*step) * 10_000;
        cursor[port][dir] = seq.wrapping_add(n as u32 + u32::from(ctl & 2 != 0));
        let client = Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000 + port as u16);
        let server = Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 5060);
        let flow = if dir == 0 {
            Flow {
                src: client,
                dst: server,
            }
        } else {
            Flow {
                src: server,
                dst: client,
            }
        };
        let seg = Segment {
            ts,
            flow,
            transport: Transport::Tcp,
            tcp: Some(TcpInfo {
                seq,
                ack: 0,
                flags: ctl & 0x07,
            }),
            payload,
            icmp_quoted: false,
        };
        input_bytes += payload.len();
        if ctl & 0x08 != 0 {
            let seg = Segment {
                transport: Transport::Sctp,
                tcp: None,
                ..seg
            };
            s.on_sctp(&seg, &mut check);
        } else {
            s.on_tcp(&seg, &mut check);
        }
        if step & 0x80 != 0 {
            s.expire(ts, &mut check);
        }
    }
    s.flush(&mut check);
    assert!(
        emitted <= input_bytes,
        "emitted {emitted} > input {input_bytes}"
    );
    assert_eq!(s.tracked_connections(), 0);
    assert_eq!(s.memory_bytes(), 0);
});
