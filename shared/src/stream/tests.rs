//! Behaviour tests of the stream layer, by RFC section where one applies.
use proptest::prelude::*;

use super::test_util::sip::{ACK, ALL, BYE, INVITE, OK, RINGING, TRYING};
use super::test_util::*;
use super::*;
use crate::sip::frame::{FrameLen, message_len};

fn streams() -> SipStreams {
    SipStreams::new(StreamConfig::default())
}

/// Segments carrying `chunks` back to back from `isn + 1`, after a SYN.
fn segments<'a>(flow: Flow, isn: u32, chunks: &[&'a [u8]]) -> Vec<Segment<'a>> {
    let mut v = vec![tcp_seg(flow, 0, isn, SYN, &[])];
    let mut seq = isn.wrapping_add(1);
    for (i, c) in chunks.iter().enumerate() {
        v.push(tcp_seg(flow, 1 + i as u64, seq, ACKF | PSH, c));
        seq = seq.wrapping_add(c.len() as u32);
    }
    v
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn literals_are_well_framed() {
    for m in ALL {
        assert_eq!(message_len(m), FrameLen::Complete(m.len()));
    }
}

#[test]
fn one_message_per_segment_is_zero_copy() {
    let mut s = streams();
    let f = client_flow();
    let segs = segments(f, 1000, &[INVITE, ACK, BYE]);
    let mut n = 0;
    for seg in &segs {
        let range = seg.payload.as_ptr_range();
        s.on_tcp(seg, &mut |e| {
            let StreamEvent::Message(m) = e else {
                panic!("{e:?}")
            };
            // Borrowed from the segment itself.
            assert!(range.contains(&m.bytes.as_ptr()));
            assert_eq!(m.transport, Transport::Tcp);
            assert_eq!(m.flow, f);
            n += 1;
        });
    }
    assert_eq!(n, 3);
    assert_eq!(s.stats().messages, 3);
    assert_eq!(s.stats().connections, 1);
}

#[test]
fn two_messages_in_one_segment() {
    let both = concat(&[TRYING, RINGING]);
    let mut s = streams();
    let f = client_flow().reversed();
    let evs = run_tcp(&mut s, &segments(f, 7, &[&both]));
    assert_eq!(messages(&evs), vec![TRYING.to_vec(), RINGING.to_vec()]);
    assert!(matches!(&evs[0], Ev::Msg { ts: 1, flow, .. } if *flow == f));
}

/// A coalesced segment of many messages: each is a slice of the segment (zero copy).
#[test]
fn many_messages_in_one_segment_are_zero_copy() {
    let all: Vec<u8> = (0..150)
        .flat_map(|i| ALL[i % ALL.len()].iter().copied())
        .collect();
    let seg = tcp_seg(client_flow(), 1, 1, ACKF, &all);
    let range = all.as_ptr_range();
    let mut s = streams();
    let mut n = 0;
    s.on_tcp(&seg, &mut |e| {
        let StreamEvent::Message(m) = e else {
            panic!("{e:?}")
        };
        assert!(range.contains(&m.bytes.as_ptr()));
        assert_eq!(m.bytes, ALL[n % ALL.len()]);
        n += 1;
    });
    assert_eq!(n, 150);
    assert_eq!(s.memory_bytes(), 0);
}

#[test]
fn one_message_over_many_segments() {
    let chunks: Vec<&[u8]> = INVITE.chunks(7).collect();
    let mut s = streams();
    let evs = run_tcp(&mut s, &segments(client_flow(), 1, &chunks));
    assert_eq!(messages(&evs), vec![INVITE.to_vec()]);
    // Completed by the last segment.
    assert!(matches!(&evs[0], Ev::Msg { ts, .. } if *ts == chunks.len() as u64));
}

#[test]
fn message_tail_and_next_message_in_one_segment() {
    let all = concat(&[INVITE, ACK, BYE]);
    let (a, b) = all.split_at(INVITE.len() - 10);
    let mut s = streams();
    let evs = run_tcp(&mut s, &segments(client_flow(), 1, &[a, b]));
    assert_eq!(
        messages(&evs),
        vec![INVITE.to_vec(), ACK.to_vec(), BYE.to_vec()]
    );
}

/// A 64 KB body in 16 KB segments (like sv_sip-body-large.pcap).
#[test]
fn large_body_across_segments() {
    let body = vec![b'x'; 65_000];
    let mut msg = format!(
        "MESSAGE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK1\r\n\
         Call-ID: big@a\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    msg.extend_from_slice(&body);
    let all = concat(&[&msg, BYE]);
    let chunks: Vec<&[u8]> = all.chunks(16_384).collect();
    let mut s = streams();
    let evs = run_tcp(&mut s, &segments(client_flow(), u32::MAX - 20_000, &chunks));
    assert_eq!(messages(&evs), vec![msg.clone(), BYE.to_vec()]);
    assert_eq!(s.stats().malformed, 0);
}

/// RFC 9293 §3.4: exact and partial retransmissions; the first copy wins.
#[test]
fn retransmissions_exact_and_partial() {
    let f = client_flow();
    let all = concat(&[INVITE, BYE]);
    let (a, b) = all.split_at(300);
    let mut forged = all.clone();
    forged[310] = b'#'; // a later copy with different bytes must not win
    let segs = vec![
        tcp_seg(f, 0, 99, SYN, &[]),
        tcp_seg(f, 1, 100, ACKF, a),
        tcp_seg(f, 2, 100, ACKF, a),              // exact retransmission
        tcp_seg(f, 3, 100, ACKF, &forged[..350]), // partial overlap: 300 old + 50 new... but 310 differs
        tcp_seg(f, 4, 100 + 300, ACKF, b),        // overlaps the 50 new bytes
        tcp_seg(f, 5, 100 + 300, ACKF, b),        // exact again
    ];
    let mut s = streams();
    let evs = run_tcp(&mut s, &segs);
    let mut expect_invite = INVITE.to_vec();
    expect_invite[310] = b'#'; // the partial retransmission delivered bytes 300..350 first
    assert_eq!(messages(&evs), vec![expect_invite, BYE.to_vec()]);
    let st = s.stats();
    assert_eq!(st.retransmitted_bytes, (300 + 300 + 50 + b.len()) as u64);
    assert_eq!(st.malformed, 0);
}

#[test]
fn out_of_order_held_until_the_gap_fills() {
    let f = client_flow();
    let all = concat(&[INVITE, ACK, BYE]);
    let parts: Vec<&[u8]> = all.chunks(200).collect();
    let mut segs = segments(f, 5000, &parts);
    // Deliver the second half first, then a duplicate of a held one, then the first half.
    let syn = segs.remove(0);
    let mid = segs.len() / 2;
    let mut order = vec![syn];
    order.extend(segs[mid..].iter().rev().copied());
    order.push(segs[mid + 1]);
    order.extend(segs[..mid].iter().copied());
    let mut s = streams();
    let evs = run_tcp(&mut s, &order);
    assert_eq!(
        messages(&evs),
        vec![INVITE.to_vec(), ACK.to_vec(), BYE.to_vec()]
    );
    let st = s.stats();
    assert_eq!(st.out_of_order_segments, (segs.len() - mid) as u64);
    assert_eq!(st.retransmitted_bytes, segs[mid + 1].payload.len() as u64);
    assert_eq!(st.gaps, 0);
}

/// Overlapping out-of-order copies: the copy held first wins there too.
#[test]
fn first_held_copy_wins_over_later_overlap() {
    let f = client_flow();
    let mut forged = INVITE.to_vec();
    forged[350] = b'#';
    let segs = vec![
        tcp_seg(f, 0, 0, SYN, &[]),
        tcp_seg(f, 1, 1 + 300, ACKF, &forged[300..400]),
        tcp_seg(f, 2, 1 + 250, ACKF, &INVITE[250..420]), // covers the held one and more
        tcp_seg(f, 3, 1 + 300, ACKF, &INVITE[300..400]), // exact duplicate of a held range
        tcp_seg(f, 4, 1, ACKF, &INVITE[..250]),
        tcp_seg(f, 5, 1 + 420, ACKF, &INVITE[420..]),
    ];
    let mut s = streams();
    let evs = run_tcp(&mut s, &segs);
    assert_eq!(messages(&evs), vec![forged]);
    assert_eq!(s.stats().retransmitted_bytes, 100 + 100);
    assert_eq!(s.stats().out_of_order_segments, 2);
}

/// RFC 9293 §3.4: sequence numbers wrap at 2^32.
#[test]
fn sequence_wraps_around() {
    let all = concat(&[INVITE, OK]);
    let parts: Vec<&[u8]> = all.chunks(100).collect();
    let segs = segments(client_flow(), u32::MAX - 250, &parts);
    assert!(segs.last().unwrap().tcp.unwrap().seq < 1000);
    let mut reordered = segs.clone();
    reordered.swap(2, 4);
    let mut s = streams();
    assert_eq!(
        messages(&run_tcp(&mut s, &reordered)),
        vec![INVITE.to_vec(), OK.to_vec()]
    );
}

#[test]
fn data_without_syn_starts_at_first_seen_sequence() {
    let f = client_flow();
    let segs = [
        tcp_seg(f, 1, 777, ACKF, INVITE),
        tcp_seg(f, 2, 777 + INVITE.len() as u32, ACKF, ACK),
    ];
    let mut s = streams();
    assert_eq!(
        messages(&run_tcp(&mut s, &segs)),
        vec![INVITE.to_vec(), ACK.to_vec()]
    );
}

#[test]
fn capture_starting_inside_a_message_resynchronises() {
    let f = client_flow();
    let all = concat(&[INVITE, ACK]);
    let tail = &all[500..];
    let mut s = streams();
    let evs = run_tcp(&mut s, &[tcp_seg(f, 1, 9, ACKF, tail)]);
    assert_eq!(messages(&evs), vec![ACK.to_vec()]);
    assert!(
        matches!(&evs[0], Ev::Bad { error: StreamError::Gap, bytes, .. } if bytes.len() == INVITE.len() - 500)
    );
}

/// A long-lived connection seen mid-stream: the server direction starts inside a big body,
/// longer than the mid-stream probe. The client direction is SIP, so the server's is too.
#[test]
fn direction_seen_mid_body_resynchronises_when_the_peer_is_sip() {
    let f = client_flow();
    let body = vec![b'z'; 100];
    let mut segs = vec![tcp_seg(f, 0, 1, ACKF, INVITE)];
    for i in 0..6u32 {
        segs.push(tcp_seg(
            f.reversed(),
            1 + u64::from(i),
            500 + i * 100,
            ACKF,
            &body,
        ));
    }
    segs.push(tcp_seg(f.reversed(), 9, 1100, ACKF, OK));
    let mut s = streams();
    let evs = run_tcp(&mut s, &segs);
    assert_eq!(messages(&evs), vec![INVITE.to_vec(), OK.to_vec()]);
    assert_eq!(s.stats().non_sip_streams, 0);
}

#[test]
fn fin_flushes_and_frees() {
    let f = client_flow();
    let partial = &BYE[..40];
    let mut segs = segments(f, 1, &[INVITE, partial]);
    let end = 2 + (INVITE.len() + partial.len()) as u32;
    segs.push(tcp_seg(f, 5, end, FIN | ACKF, &[]));
    let mut s = streams();
    let mut evs = Vec::new();
    for seg in &segs {
        s.on_tcp(seg, &mut |e| evs.push(own(e)));
    }
    assert_eq!(messages(&evs), vec![INVITE.to_vec()]);
    assert!(
        matches!(&evs[1], Ev::Bad { error: StreamError::Incomplete, bytes, .. } if bytes == partial)
    );
    assert_eq!(s.tracked_connections(), 1);
    s.on_tcp(&tcp_seg(f.reversed(), 6, 50, FIN | ACKF, &[]), &mut |e| {
        evs.push(own(e))
    });
    assert_eq!(s.tracked_connections(), 0);
    // A late retransmission re-creates nothing harmful: it starts a fresh mid-stream view.
    assert_eq!(evs.len(), 2);
}

#[test]
fn fin_out_of_order_waits_for_the_data() {
    let f = client_flow();
    let segs = [
        tcp_seg(f, 0, 1, SYN, &[]),
        tcp_seg(f, 1, 2 + INVITE.len() as u32, FIN | ACKF, ACK),
        tcp_seg(f, 2, 2, ACKF, INVITE),
    ];
    let mut s = streams();
    let mut evs = Vec::new();
    for seg in &segs {
        s.on_tcp(seg, &mut |e| evs.push(own(e)));
    }
    assert_eq!(messages(&evs), vec![INVITE.to_vec(), ACK.to_vec()]);
}

#[test]
fn rst_frees_the_connection() {
    let f = client_flow();
    let mut segs = segments(f, 1, &[&INVITE[..100]]);
    segs.push(tcp_seg(f.reversed(), 3, 1, RST, &[]));
    let mut s = streams();
    let mut evs = Vec::new();
    for seg in &segs {
        s.on_tcp(seg, &mut |e| evs.push(own(e)));
    }
    assert_eq!(s.tracked_connections(), 0);
    assert!(matches!(
        &evs[..],
        [Ev::Bad {
            error: StreamError::Incomplete,
            ..
        }]
    ));
}

#[test]
fn gap_that_never_fills_is_skipped_after_the_bound() {
    let f = client_flow();
    let all = concat(&[INVITE, ACK, BYE, OK]);
    let parts: Vec<&[u8]> = all.chunks(100).collect();
    let mut segs = segments(f, 1, &parts);
    // Lose the segment in the middle of ACK.
    let lost = (INVITE.len() + 150) / 100 + 1;
    segs.remove(lost);
    let cfg = StreamConfig {
        max_out_of_order_segments: 3,
        ..StreamConfig::default()
    };
    let mut s = SipStreams::new(cfg);
    let evs = run_tcp(&mut s, &segs);
    assert_eq!(
        messages(&evs),
        vec![INVITE.to_vec(), BYE.to_vec(), OK.to_vec()]
    );
    assert_eq!(s.stats().gaps, 1);
    let bad: Vec<_> = evs.iter().filter(|e| matches!(e, Ev::Bad { .. })).collect();
    assert!(matches!(
        bad[0],
        Ev::Bad {
            error: StreamError::Gap,
            ..
        }
    ));
    assert!(bad.iter().skip(1).all(|e| matches!(
        e,
        Ev::Bad {
            error: StreamError::NotSip,
            ..
        }
    )));
}

#[test]
fn gap_is_skipped_on_timeout() {
    let f = client_flow();
    let start = 2 + INVITE.len() as u32;
    let mut s = streams();
    let mut evs = Vec::new();
    let second = 1_000_000_000u64;
    let segs = [
        tcp_seg(f, 0, 1, SYN, &[]),
        tcp_seg(f, second, start + 10, ACKF, ACK), // 10 bytes lost before it
        tcp_seg(f, 20 * second, start + 10 + ACK.len() as u32, ACKF, BYE),
    ];
    for seg in &segs {
        s.on_tcp(seg, &mut |e| evs.push(own(e)));
    }
    assert_eq!(messages(&evs), vec![ACK.to_vec(), BYE.to_vec()]);
    assert_eq!(s.stats().gaps, 1);
}

/// RFC 5626 §4.4.1: CRLFCRLF ping, CRLF pong, between messages.
#[test]
fn crlf_keepalives_are_skipped() {
    let f = client_flow();
    let mut s = streams();
    let c = segments(f, 1, &[b"\r\n\r\n", INVITE, b"\r\n\r\n"]);
    let srv = segments(f.reversed(), 1, &[b"\r\n", TRYING]);
    let mut all = c;
    all.extend(srv);
    let evs = run_tcp(&mut s, &all);
    assert_eq!(messages(&evs), vec![INVITE.to_vec(), TRYING.to_vec()]);
    assert_eq!(s.stats().keepalives, 3);
    assert_eq!(s.stats().malformed, 0);
}

/// RFC 3261 §18.3: Content-Length is mandatory on a stream.
#[test]
fn missing_content_length_is_framed_at_end_of_headers() {
    let msg = b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKx\r\nCall-ID: o@a\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let mut s = streams();
    let evs = run_tcp(&mut s, &segments(client_flow(), 1, &[msg, BYE]));
    assert!(matches!(&evs[0], Ev::Msg { no_cl: true, bytes, .. } if bytes == msg));
    assert!(matches!(&evs[1], Ev::Msg { no_cl: false, bytes, .. } if bytes == BYE));
    assert_eq!(s.stats().missing_content_length, 1);
}

#[test]
fn non_sip_stream_is_ignored() {
    let f = client_flow();
    let hello = b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03";
    let mut s = streams();
    let segs = [
        tcp_seg(f, 0, 1, SYN, &[]),
        tcp_seg(f, 1, 2, ACKF, hello),
        // Even SIP-looking bytes later on are ignored.
        tcp_seg(f, 2, 2 + hello.len() as u32, ACKF, INVITE),
        tcp_seg(f.reversed(), 3, 70, ACKF, TRYING),
    ];
    let evs = run_tcp(&mut s, &segs);
    assert!(evs.is_empty(), "{evs:?}");
    assert_eq!(s.stats().non_sip_streams, 1);
    assert_eq!(s.memory_bytes(), 0);
}

#[test]
fn oversized_message_is_reported_and_skipped() {
    let cfg = StreamConfig {
        max_message_bytes: 1000,
        ..StreamConfig::default()
    };
    let big = b"MESSAGE sip:b SIP/2.0\r\nContent-Length: 5000\r\n\r\n";
    let body = vec![b'a'; 5000];
    let mut s = SipStreams::new(cfg);
    let chunks: Vec<&[u8]> = body.chunks(700).collect();
    let mut parts = vec![&big[..]];
    parts.extend(chunks);
    parts.push(BYE);
    let evs = run_tcp(&mut s, &segments(client_flow(), 1, &parts));
    assert_eq!(messages(&evs), vec![BYE.to_vec()]);
    assert!(matches!(
        &evs[0],
        Ev::Bad {
            error: StreamError::TooLarge,
            ..
        }
    ));
}

#[test]
fn flush_reports_an_incomplete_message() {
    let mut s = streams();
    let evs = run_tcp(&mut s, &segments(client_flow(), 1, &[&OK[..OK.len() - 5]]));
    assert!(
        matches!(&evs[..], [Ev::Bad { error: StreamError::Incomplete, bytes, .. }] if bytes.len() == OK.len() - 5)
    );
    assert_eq!(s.tracked_connections(), 0);
}

#[test]
fn expire_drops_idle_connections() {
    let mut s = streams();
    let f = client_flow();
    let mut evs = Vec::new();
    for seg in segments(f, 1, &[&INVITE[..50]]) {
        s.on_tcp(&seg, &mut |e| evs.push(own(e)));
    }
    s.expire(100, &mut |e| evs.push(own(e)));
    assert_eq!(s.tracked_connections(), 1);
    s.expire(400_000_000_000, &mut |e| evs.push(own(e)));
    assert_eq!(s.tracked_connections(), 0);
    assert_eq!(s.stats().connections_expired, 1);
    assert!(matches!(
        &evs[..],
        [Ev::Bad {
            error: StreamError::Incomplete,
            ..
        }]
    ));
}

#[test]
fn connection_table_is_bounded() {
    let cfg = StreamConfig {
        max_connections: 2,
        ..StreamConfig::default()
    };
    let mut s = SipStreams::new(cfg);
    let mut n = 0;
    for port in 0..5u16 {
        let mut f = client_flow();
        f.src.port = 30000 + port;
        s.on_tcp(&tcp_seg(f, 1, 1, ACKF, INVITE), &mut |_| n += 1);
    }
    assert_eq!(n, 2);
    assert_eq!(s.stats().connections_dropped, 3);
    assert_eq!(s.tracked_connections(), 2);
}

#[test]
fn port_reuse_after_close_is_a_new_connection() {
    let f = client_flow();
    let mut segs = segments(f, 1, &[INVITE]);
    segs.push(tcp_seg(f, 3, 2 + INVITE.len() as u32, FIN, &[]));
    segs.push(tcp_seg(f.reversed(), 4, 9, FIN, &[]));
    segs.extend(segments(f, 900_000, &[BYE]));
    let mut s = streams();
    assert_eq!(
        messages(&run_tcp(&mut s, &segs)),
        vec![INVITE.to_vec(), BYE.to_vec()]
    );
    assert_eq!(s.stats().connections, 2);
}

#[test]
fn retransmitted_syn_is_not_a_new_connection_but_a_new_isn_is() {
    let f = client_flow();
    let segs = [
        tcp_seg(f, 0, 10, SYN, &[]),
        tcp_seg(f, 1, 11, ACKF, INVITE),
        tcp_seg(f, 2, 10, SYN, &[]), // retransmitted SYN
        tcp_seg(f, 3, 11 + INVITE.len() as u32, ACKF, ACK),
        // The same ports reused without FIN/RST seen: a lower ISN than the data seen so far.
        tcp_seg(f, 4, 5, SYN, &[]),
        tcp_seg(f, 5, 6, ACKF, BYE),
    ];
    let mut s = streams();
    let evs = run_tcp(&mut s, &segs);
    assert_eq!(
        messages(&evs),
        vec![INVITE.to_vec(), ACK.to_vec(), BYE.to_vec()]
    );
    assert_eq!(s.stats().retransmitted_bytes, 0);
}

/// Per-connection state stays small: the table holds many idle SIP connections.
#[test]
fn connection_state_is_small() {
    let conn = std::mem::size_of::<Conn>();
    println!("{conn} bytes per connection");
    assert!(conn <= 448, "{conn} bytes per connection");
}

// ---- WebSocket (RFC 6455, RFC 7118) ----

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Handshake segments, then the given client and server byte chunks alternately.
fn ws_session(client: &[Vec<u8>], server: &[Vec<u8>]) -> (SipStreams, Vec<Ev>) {
    let f = client_flow();
    let mut owned: Vec<(Flow, Vec<u8>)> =
        vec![(f, WS_UPGRADE.to_vec()), (f.reversed(), WS_ACCEPT.to_vec())];
    for i in 0..client.len().max(server.len()) {
        if let Some(c) = client.get(i) {
            owned.push((f, c.clone()));
        }
        if let Some(sv) = server.get(i) {
            owned.push((f.reversed(), sv.clone()));
        }
    }
    let mut seq = [1000u32, 5000u32];
    let mut segs = vec![
        tcp_seg(f, 0, 999, SYN, &[]),
        tcp_seg(f.reversed(), 0, 4999, SYN | ACKF, &[]),
    ];
    for (i, (flow, bytes)) in owned.iter().enumerate() {
        let d = usize::from(*flow != f);
        segs.push(tcp_seg(*flow, i as u64 + 1, seq[d], ACKF | PSH, bytes));
        seq[d] = seq[d].wrapping_add(bytes.len() as u32);
    }
    let mut s = streams();
    let evs = run_tcp(&mut s, &segs);
    (s, evs)
}

#[test]
fn sip_over_websocket_masked_client_unmasked_server() {
    let client = vec![ws_frame(true, 1, Some(MASK), INVITE)];
    let server = vec![ws_frame(true, 1, None, TRYING)];
    let (s, evs) = ws_session(&client, &server);
    assert_eq!(messages(&evs), vec![INVITE.to_vec(), TRYING.to_vec()]);
    assert!(evs.iter().all(|e| matches!(
        e,
        Ev::Msg {
            transport: Transport::Ws,
            ..
        }
    )));
    let st = s.stats();
    assert_eq!(
        (
            st.ws_connections,
            st.ws_messages,
            st.malformed,
            st.non_sip_streams
        ),
        (1, 2, 0, 0)
    );
}

/// RFC 6455 §5.7: the "Hello" examples carried over a stream (not SIP, so reported).
#[test]
fn rfc6455_hello_frames_decode() {
    let client = vec![vec![
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]];
    let server = vec![vec![
        0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x00, 0x80, 0x02, 0x6c, 0x6f,
    ]];
    let (s, evs) = ws_session(&client, &server);
    let hello: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Bad {
                bytes,
                error: StreamError::NotSip,
                transport: Transport::Ws,
                ..
            } => Some(bytes.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(hello, vec![b"Hello".to_vec(), b"Hello".to_vec()]);
    assert_eq!(s.stats().ws_control_frames, 1);
}

/// RFC 6455 §5.4: fragments with a control frame between them; 16-bit lengths.
#[test]
fn fragmented_websocket_message_with_interleaved_ping() {
    let (a, b) = OK.split_at(200);
    let client = vec![
        [
            ws_frame(false, 1, Some(MASK), a),
            ws_frame(true, 9, Some(MASK), b""),
        ]
        .concat(),
        [
            ws_frame(true, 0, Some([1, 2, 3, 4]), b),
            ws_frame(true, 2, Some(MASK), ACK),
        ]
        .concat(),
        ws_frame(true, 1, Some(MASK), b"\r\n\r\n"),
    ];
    let server = vec![ws_frame(true, 10, None, b""), ws_frame(true, 1, None, BYE)];
    let (s, evs) = ws_session(&client, &server);
    assert_eq!(
        messages(&evs),
        vec![OK.to_vec(), ACK.to_vec(), BYE.to_vec()]
    );
    assert_eq!(s.stats().keepalives, 1);
    assert_eq!(s.stats().ws_control_frames, 2);
    assert_eq!(s.stats().malformed, 0);
}

#[test]
fn websocket_frames_split_across_segments() {
    let frame = ws_frame(true, 1, Some(MASK), INVITE);
    let client: Vec<Vec<u8>> = frame.chunks(3).map(<[u8]>::to_vec).collect();
    let (_, evs) = ws_session(&client, &[]);
    assert_eq!(messages(&evs), vec![INVITE.to_vec()]);
}

/// RFC 6455 §5.2: 64-bit lengths (here non-minimal, which a monitor still reads).
#[test]
fn websocket_64_bit_length() {
    let mut frame = vec![0x81, 0xff];
    frame.extend_from_slice(&(INVITE.len() as u64).to_be_bytes());
    frame.extend_from_slice(&MASK);
    websocket::unmask_into(&mut frame, INVITE, Some(MASK), 0);
    let (_, evs) = ws_session(&[frame], &[]);
    assert_eq!(messages(&evs), vec![INVITE.to_vec()]);
}

#[test]
fn oversized_websocket_frame_is_skipped() {
    let mut big = ws_frame(true, 1, None, &vec![b'x'; 200_000]);
    big.extend(ws_frame(true, 1, None, BYE));
    let chunks: Vec<Vec<u8>> = big.chunks(1400).map(<[u8]>::to_vec).collect();
    let (s, evs) = ws_session(&[], &chunks);
    assert_eq!(messages(&evs), vec![BYE.to_vec()]);
    assert!(matches!(
        &evs[0],
        Ev::Bad {
            error: StreamError::TooLarge,
            ..
        }
    ));
    assert_eq!(s.stats().malformed, 1);
}

#[test]
fn websocket_without_sip_subprotocol_is_ignored() {
    let f = client_flow();
    let req = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let frame = ws_frame(true, 1, Some(MASK), INVITE);
    let segs = [
        tcp_seg(f, 0, 1, ACKF, req),
        tcp_seg(f, 1, 1 + req.len() as u32, ACKF, &frame),
    ];
    let mut s = streams();
    assert!(run_tcp(&mut s, &segs).is_empty());
    assert_eq!(s.stats().non_sip_streams, 1);
}

#[test]
fn refused_websocket_upgrade_is_ignored() {
    let f = client_flow();
    let refused = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    let frame = ws_frame(true, 1, Some(MASK), INVITE);
    let segs = [
        tcp_seg(f, 0, 1, ACKF, WS_UPGRADE),
        tcp_seg(f.reversed(), 1, 1, ACKF, refused),
        tcp_seg(f, 2, 1 + WS_UPGRADE.len() as u32, ACKF, &frame),
    ];
    let mut s = streams();
    assert!(run_tcp(&mut s, &segs).is_empty());
    assert_eq!(s.stats().non_sip_streams, 1);
}

#[test]
fn compressed_and_reserved_websocket_frames_are_reported() {
    let mut deflated = ws_frame(true, 1, None, b"xyz");
    deflated[0] |= 0x40; // RSV1
    let server = vec![
        deflated,
        ws_frame(true, 3, None, b"?"),
        ws_frame(true, 1, None, OK),
    ];
    let (_, evs) = ws_session(&[], &server);
    assert!(matches!(
        &evs[0],
        Ev::Bad {
            error: StreamError::WebSocketCompressed,
            ..
        }
    ));
    assert!(matches!(
        &evs[1],
        Ev::Bad {
            error: StreamError::WebSocket,
            ..
        }
    ));
    assert_eq!(messages(&evs), vec![OK.to_vec()]);
}

// ---- SCTP (RFC 9260, RFC 4168) ----

fn data_chunk(flags: u8, tsn: u32, sid: u16, ppid: u32, data: &[u8]) -> Vec<u8> {
    let mut c = vec![sctp::CHUNK_DATA, flags];
    c.extend_from_slice(&((16 + data.len()) as u16).to_be_bytes());
    c.extend_from_slice(&tsn.to_be_bytes());
    c.extend_from_slice(&sid.to_be_bytes());
    c.extend_from_slice(&0u16.to_be_bytes());
    c.extend_from_slice(&ppid.to_be_bytes());
    c.extend_from_slice(data);
    while c.len() % 4 != 0 {
        c.push(0);
    }
    c
}

fn sctp_seg(payload: &[u8], ts: Nanos) -> Segment<'_> {
    Segment {
        ts,
        flow: client_flow(),
        transport: Transport::Sctp,
        tcp: None,
        payload,
        icmp_quoted: false,
    }
}

fn run_sctp(packets: &[Vec<u8>]) -> (SipStreams, Vec<Ev>) {
    let mut s = streams();
    let mut evs = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        s.on_sctp(&sctp_seg(p, i as u64), &mut |e| evs.push(own(e)));
    }
    s.flush(&mut |e| evs.push(own(e)));
    (s, evs)
}

#[test]
fn sctp_unfragmented_data_with_other_chunks() {
    let sack = [3u8, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0x10, 0, 0, 0, 0, 0];
    let heartbeat = [4u8, 0, 0, 5, 9, 0, 0, 0];
    let p1 = [&sack[..], &data_chunk(0x03, 1, 0, 0, INVITE)].concat();
    let p2 = [
        &heartbeat[..],
        &data_chunk(0x07, 2, 0, 0, ACK),
        &data_chunk(0x03, 3, 1, 46, b"xx"),
    ]
    .concat();
    let again = data_chunk(0x03, 1, 0, 0, INVITE);
    let (s, evs) = run_sctp(&[p1, p2, again]);
    assert_eq!(messages(&evs), vec![INVITE.to_vec(), ACK.to_vec()]);
    assert!(evs.iter().all(|e| matches!(
        e,
        Ev::Msg {
            transport: Transport::Sctp,
            ..
        }
    )));
    assert_eq!(s.stats().sctp_data_chunks, 4);
    assert_eq!(s.stats().sctp_non_sip_chunks, 1);
    assert_eq!(s.stats().sctp_retransmitted_chunks, 1);
}

/// RFC 8260 §2.1: an unfragmented I-DATA chunk.
#[test]
fn sctp_unfragmented_idata() {
    let (_, evs) = run_sctp(&[idata_chunk(0x03, 7, 0, 0, BYE)]);
    assert_eq!(messages(&evs), vec![BYE.to_vec()]);
}

fn idata_chunk(flags: u8, tsn: u32, mid: u32, ppid_or_fsn: u32, data: &[u8]) -> Vec<u8> {
    let mut c = vec![sctp::CHUNK_IDATA, flags];
    c.extend_from_slice(&((20 + data.len()) as u16).to_be_bytes());
    c.extend_from_slice(&tsn.to_be_bytes());
    c.extend_from_slice(&[0, 1, 0, 0]); // stream 1, reserved
    c.extend_from_slice(&mid.to_be_bytes());
    c.extend_from_slice(&ppid_or_fsn.to_be_bytes());
    c.extend_from_slice(data);
    while c.len() % 4 != 0 {
        c.push(0);
    }
    c
}

/// RFC 8260 §2.1: fragmented I-DATA, by FSN within a message id, interleaved with another
/// message of the same stream.
#[test]
fn sctp_fragmented_idata() {
    let (a, b) = OK.split_at(150);
    let packets = vec![
        idata_chunk(0x01, 11, 5, 1, b), // FSN 1, last
        idata_chunk(0x03, 12, 6, 0, BYE),
        idata_chunk(0x02, 10, 5, 0, a), // first: PPID 0
    ];
    let (_, evs) = run_sctp(&packets);
    assert_eq!(messages(&evs), vec![BYE.to_vec(), OK.to_vec()]);
}

/// TSNs wrap at 2^32 (RFC 9260 §3.3.1 serial arithmetic).
#[test]
fn sctp_fragments_across_tsn_wrap() {
    let (a, b) = ACK.split_at(40);
    let packets = vec![
        data_chunk(0x01, 0, 0, 0, b),
        data_chunk(0x02, u32::MAX, 0, 0, a),
    ];
    let (_, evs) = run_sctp(&packets);
    assert_eq!(messages(&evs), vec![ACK.to_vec()]);
}

#[test]
fn sctp_fragments_reassembled_by_tsn() {
    let (a, rest) = INVITE.split_at(100);
    let (b, c) = rest.split_at(300);
    // Out of order, with a duplicate; an unrelated complete message on another stream between.
    let packets = vec![
        data_chunk(0x01, 12, 0, 0, c),
        data_chunk(0x02, 10, 0, 0, a),
        data_chunk(0x03, 20, 1, 0, BYE),
        data_chunk(0x02, 10, 0, 0, a),
        data_chunk(0x00, 11, 0, 0, b),
    ];
    let (_, evs) = run_sctp(&packets);
    assert_eq!(messages(&evs), vec![BYE.to_vec(), INVITE.to_vec()]);
}

#[test]
fn sctp_malformed_chunk_and_lost_fragment() {
    let bad_len = [0u8, 3, 0, 200, 1, 2, 3, 4];
    let packets = vec![bad_len.to_vec(), data_chunk(0x02, 1, 0, 0, &INVITE[..50])];
    let (_, evs) = run_sctp(&packets);
    assert!(matches!(
        &evs[0],
        Ev::Bad {
            error: StreamError::SctpChunk,
            ..
        }
    ));
    assert!(matches!(
        &evs[1],
        Ev::Bad {
            error: StreamError::SctpFragments,
            ..
        }
    ));
}

// ---- properties ----

/// xorshift64: deterministic shuffles from a proptest seed.
fn rng(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Cuts `stream` at the given sizes (cycled), returns (offset, len) pieces.
fn cut(len: usize, sizes: &[usize]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < len {
        let n = sizes[i % sizes.len()].min(len - at);
        v.push((at, n));
        at += n;
        i += 1;
    }
    v
}

/// Shuffles `pieces`, and adds duplicates and coalesced retransmissions of neighbours.
fn disorder(pieces: &[(usize, usize)], seed: u64) -> Vec<(usize, usize)> {
    let mut st = seed | 1;
    let mut v = pieces.to_vec();
    for i in (1..v.len()).rev() {
        let j = (rng(&mut st) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    for _ in 0..pieces.len() / 3 {
        let k = (rng(&mut st) % pieces.len() as u64) as usize;
        let at = (rng(&mut st) % (v.len() as u64 + 1)) as usize;
        let (o, n) = pieces[k];
        let extra = pieces.get(k + 1).map_or(0, |p| p.1) / 2;
        v.insert(at, (o, n + extra)); // retransmission, possibly overlapping the next piece
    }
    v
}

fn stream_messages(ids: &[usize], keepalives: &[bool]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut stream = Vec::new();
    let mut msgs = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        if keepalives.get(i).copied().unwrap_or(false) {
            stream.extend_from_slice(b"\r\n\r\n");
        }
        stream.extend_from_slice(ALL[id]);
        msgs.push(ALL[id].to_vec());
    }
    (stream, msgs)
}

fn big_window() -> StreamConfig {
    StreamConfig {
        max_out_of_order_segments: 100_000,
        max_buffered_per_direction: 1 << 24,
        ..StreamConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any segmentation, in any order, with duplicates and overlapping retransmissions (SYN
    /// first), gives the same messages as the stream in one piece.
    #[test]
    fn tcp_reassembly_is_order_independent(
        ids in prop::collection::vec(0..ALL.len(), 1..12),
        keepalives in prop::collection::vec(any::<bool>(), 0..12),
        sizes in prop::collection::vec(1usize..400, 1..8),
        isn in any::<u32>(),
        seed in any::<u64>(),
    ) {
        let (stream, expected) = stream_messages(&ids, &keepalives);
        let f = client_flow();
        let mut whole = SipStreams::new(big_window());
        let one = messages(&run_tcp(&mut whole, &segments(f, isn, &[&stream])));
        prop_assert_eq!(&one, &expected);

        let pieces = disorder(&cut(stream.len(), &sizes), seed);
        let mut segs = vec![tcp_seg(f, 0, isn, SYN, &[])];
        for (i, &(o, n)) in pieces.iter().enumerate() {
            let end = (o + n).min(stream.len());
            segs.push(tcp_seg(f, 1 + i as u64, isn.wrapping_add(1 + o as u32), ACKF, &stream[o..end]));
        }
        let mut s = SipStreams::new(big_window());
        let evs = run_tcp(&mut s, &segs);
        prop_assert_eq!(messages(&evs), expected);
        prop_assert_eq!(s.stats().malformed, 0);
    }

    /// One lost piece (a hole never filled): exactly the messages that do not touch the hole
    /// come out, whatever the order; the bytes around it are reported as a gap.
    #[test]
    fn tcp_gap_loses_only_the_messages_it_touches(
        ids in prop::collection::vec(0..ALL.len(), 1..10),
        sizes in prop::collection::vec(1usize..400, 1..6),
        lost in any::<prop::sample::Index>(),
        isn in any::<u32>(),
        seed in any::<u64>(),
        small_window in any::<bool>(),
    ) {
        let (stream, _) = stream_messages(&ids, &[]);
        let pieces = cut(stream.len(), &sizes);
        let (lo, n) = pieces[lost.index(pieces.len())];
        let hi = lo + n;
        let mut expected = Vec::new();
        let mut at = 0;
        for &id in &ids {
            let end = at + ALL[id].len();
            if end <= lo || at >= hi {
                expected.push(ALL[id].to_vec());
            }
            at = end;
        }
        let f = client_flow();
        let mut segs = vec![tcp_seg(f, 0, isn, SYN, &[])];
        for (i, &(o, n)) in disorder(&pieces, seed).iter().enumerate() {
            let end = (o + n).min(stream.len());
            if end > lo && o < hi {
                continue;
            }
            segs.push(tcp_seg(f, 1 + i as u64, isn.wrapping_add(1 + o as u32), ACKF, &stream[o..end]));
        }
        let cfg = if small_window {
            StreamConfig { max_out_of_order_segments: 2, ..StreamConfig::default() }
        } else {
            big_window()
        };
        let mut s = SipStreams::new(cfg);
        let evs = run_tcp(&mut s, &segs);
        if !small_window {
            // Reordering never needs skipping with a big window: the one hole is the gap.
            prop_assert_eq!(messages(&evs), expected);
            // A hole at the very end is a truncation, not a gap.
            prop_assert_eq!(s.stats().gaps, u64::from(hi < stream.len()));
        } else {
            // A small window skips holes early (before reordered data arrives): what comes
            // out is still only whole original messages, in order.
            let got = messages(&evs);
            let all: Vec<Vec<u8>> = ids.iter().map(|&i| ALL[i].to_vec()).collect();
            let mut k = 0;
            for m in &got {
                while k < all.len() && &all[k] != m {
                    k += 1;
                }
                prop_assert!(k < all.len(), "message not in the stream, or out of order");
                k += 1;
            }
        }
    }

    /// Any fragmentation into frames (masked or not, pings between fragments) and any
    /// segmentation gives the same messages.
    #[test]
    fn websocket_framing_is_fragmentation_independent(
        ids in prop::collection::vec(0..ALL.len(), 1..8),
        frags in prop::collection::vec(1usize..300, 1..6),
        sizes in prop::collection::vec(1usize..500, 1..6),
        masked in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut st = seed | 1;
        let mut bytes = Vec::new();
        let mut expected = Vec::new();
        for &id in &ids {
            let msg = ALL[id];
            expected.push(msg.to_vec());
            let parts = cut(msg.len(), &frags);
            for (k, &(o, n)) in parts.iter().enumerate() {
                let mask = masked.then(|| (rng(&mut st) as u32).to_be_bytes());
                let opcode = if k == 0 { 1 } else { 0 };
                bytes.extend(ws_frame(k + 1 == parts.len(), opcode, mask, &msg[o..o + n]));
                if rng(&mut st).is_multiple_of(4) {
                    bytes.extend(ws_frame(true, 9, mask, b"ping"));
                }
            }
        }
        let chunks: Vec<Vec<u8>> = cut(bytes.len(), &sizes).iter().map(|&(o, n)| bytes[o..o + n].to_vec()).collect();
        let (s, evs) = ws_session(&chunks, &[]);
        prop_assert_eq!(messages(&evs), expected);
        prop_assert_eq!(s.stats().malformed, 0);
    }
}
