//! `CollectorSession` on the synthetic SBC capture (`../shared/ipfix`), in random chunkings.
use super::super::*;
use super::read_reference;
use crate::net::Transport;
use crate::wire::{CaptureReader, DecodeEvent, Decoder, DecoderConfig};
use proptest::prelude::*;

/// The TCP payload of each direction of the capture, concatenated in order (the capture is
/// synthetic: no loss, no reordering). Returns (SBC->collector, collector->SBC).
pub(crate) fn capture_streams() -> Option<(Vec<u8>, Vec<u8>)> {
    let pcap = read_reference("acme_comm_monitor_synthetic.pcap")?;
    let mut dec = Decoder::new(DecoderConfig::default());
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for frame in CaptureReader::new(&pcap).unwrap() {
        let frame = frame.unwrap();
        dec.decode(&frame, &mut |ev| {
            if let DecodeEvent::Segment(s) = ev {
                assert_eq!(s.transport, Transport::Tcp);
                if s.flow.dst.port == 4739 {
                    up.extend_from_slice(s.payload);
                } else {
                    down.extend_from_slice(s.payload);
                }
            }
        });
    }
    // tshark: 7 SBC->collector messages (1517 bytes) and the 48-byte reply.
    assert_eq!(up.len(), 48 + 20 + 386 + 415 + 313 + 348 + 287);
    assert_eq!(down.len(), 48);
    Some((up, down))
}

/// A compact, comparable trace of the events.
fn summary(ev: &CollectorEvent<'_>) -> String {
    match ev {
        CollectorEvent::Handshake { handshake, .. } => {
            format!("hs {} {}", handshake.hostname_lossy(), handshake.software())
        }
        CollectorEvent::Keepalive { .. } => "ka".into(),
        CollectorEvent::Sip(s) => format!(
            "sip {} {} {} {}->{} {} {}",
            s.set_id,
            s.direction.as_str(),
            s.transport.as_str(),
            s.src,
            s.dst,
            s.ts,
            s.bytes.len()
        ),
        CollectorEvent::Qos { record, .. } => format!("qos {}", record.inc.mos_x100),
        other => format!("{other:?}"),
    }
}

fn run(chunks: &[usize], stream: &[u8]) -> (Vec<String>, Vec<u8>, SessionCounters) {
    let mut s = CollectorSession::new(CollectorConfig::default());
    let mut events = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    let mut now = 1_000;
    while !rest.is_empty() {
        let n = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(1)
            .clamp(1, rest.len());
        let (a, b) = rest.split_at(n);
        s.on_bytes(a, now, &mut |e| events.push(summary(&e)))
            .unwrap();
        rest = b;
        i += 1;
        now += 1;
    }
    let mut tx = Vec::new();
    s.poll_transmit(&mut tx);
    assert_eq!(s.buffered(), 0);
    (events, tx, s.counters().clone())
}

/// IPFIX.md §3.2 session on the synthetic capture: handshake answered with the capture's own
/// 257, one keepalive, four SIP copies, one QoS report, no sequence gap (RFC 7011 §3.1).
#[test]
fn synthetic_capture_whole_stream() {
    let Some((up, down)) = capture_streams() else {
        return;
    };
    let (events, tx, c) = run(&[usize::MAX], &up);
    assert_eq!(tx, down, "the 257 reply equals the one in the capture");
    assert_eq!(
        events,
        [
            "hs ecz730 7.3.0",
            "ka",
            "sip 258 in udp 198.51.100.1:5060->203.0.113.5:5060 1700000000123456000 323",
            "sip 259 out udp 203.0.113.6:5060->198.51.100.50:5060 1700000000130001000 320",
            "sip 260 in tcp 198.51.100.50:40001->203.0.113.6:5060 1700000001001000000 262",
            "sip 261 out tcp 203.0.113.5:5060->198.51.100.1:5060 1700000001002000000 265",
            "qos 438",
        ]
    );
    assert_eq!(
        (
            c.messages,
            c.handshakes,
            c.keepalives,
            c.qos,
            c.sequence_gaps
        ),
        (7, 1, 1, 1, 0)
    );
    assert_eq!(
        (c.sip_udp_in, c.sip_udp_out, c.sip_tcp_in, c.sip_tcp_out),
        (1, 1, 1, 1)
    );
    assert_eq!(c.bytes, up.len() as u64);
    assert_eq!(c.last_message_at, Some(1_000));
}

proptest! {
    /// RFC 7011 §10.4.3 (TCP: messages framed by the header length): any chunking of the
    /// stream gives the same events, reply and counters as the whole stream.
    #[test]
    fn synthetic_capture_any_chunking(chunks in proptest::collection::vec(1usize..80, 1..40)) {
        let Some((up, down)) = capture_streams() else { return Ok(()) };
        let (whole, _, cw) = run(&[usize::MAX], &up);
        let (events, tx, c) = run(&chunks, &up);
        prop_assert_eq!(events, whole);
        prop_assert_eq!(tx, down);
        prop_assert_eq!((c.messages, c.sets, c.bytes), (cw.messages, cw.sets, cw.bytes));
    }
}

/// Byte-by-byte and coalesced twice: the session keeps at most one partial message.
#[test]
fn byte_by_byte_and_two_sessions_back_to_back() {
    let Some((up, _)) = capture_streams() else {
        return;
    };
    let (events, _, _) = run(&[1], &up);
    assert_eq!(events.len(), 7);
    let mut twice = up.clone();
    twice.extend_from_slice(&up);
    let (events, tx, c) = run(&[1000, 3, 517], &twice);
    // The data sequence restarts at 0 after the second handshake: one gap is reported.
    assert_eq!(events.len(), 15);
    assert_eq!(events[9], "SequenceGap { domain: 0, expected: 5, got: 0 }");
    assert_eq!(tx.len(), 96);
    assert_eq!(c.sequence_gaps, 1);
}

/// The idle deadline follows the handshake's Timeout (30 s): three timeouts after the last
/// message.
#[test]
fn idle_deadline_from_handshake_timeout() {
    let Some((up, _)) = capture_streams() else {
        return;
    };
    let mut s = CollectorSession::new(CollectorConfig::default());
    assert_eq!(s.idle_deadline(), None);
    s.on_bytes(&up[..48], 5, &mut |_| {}).unwrap();
    assert_eq!(s.idle_deadline(), Some(5 + 90_000_000_000));
    assert_eq!(s.peer().unwrap().hostname, "ecz730");
    let mut s = CollectorSession::new(CollectorConfig {
        reply_timeout: Some(0),
        ..CollectorConfig::default()
    });
    s.on_bytes(&up[..48], 5, &mut |_| {}).unwrap();
    assert_eq!(s.idle_deadline(), None);
}
