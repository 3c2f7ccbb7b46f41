//! The stream layer over real captures, checked against tshark 4.0 (`corpus/ref/*.sip_msgs.tsv`).
//!
//! Segments come from the real capture reader and decoder.

use super::test_util::{Ev, own};
use super::{SipStreams, StreamConfig, StreamStats};
use crate::net::{Flow, Nanos, Transport};
use crate::wire::capture::CaptureReader;
use crate::wire::decap::{DecodeEvent, Decoder, DecoderConfig, Segment, TcpInfo};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// Reads a capture, or `None` (with a note) when it is missing outside CI.
fn load(name: &str) -> Option<Vec<u8>> {
    let path = format!("{CORPUS}/pcaps/{name}");
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "corpus file {path} missing in CI: {e}"
            );
            eprintln!("note: {path} missing ({e}); skipping");
            None
        }
    }
}

/// A TCP or SCTP segment copied out of a capture.
struct OwnedSegment {
    ts: Nanos,
    flow: Flow,
    transport: Transport,
    tcp: Option<TcpInfo>,
    payload: Vec<u8>,
}

impl OwnedSegment {
    fn view(&self) -> Segment<'_> {
        Segment {
            ts: self.ts,
            flow: self.flow,
            transport: self.transport,
            tcp: self.tcp,
            payload: &self.payload,
            icmp_quoted: false,
        }
    }
}

/// Every TCP and SCTP segment of a capture, as the real reader and decoder find them
/// (segments quoted in ICMP errors left out, as the analysis does).
fn segments(file: &[u8]) -> Vec<OwnedSegment> {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut out = Vec::new();
    for frame in CaptureReader::new(file).unwrap().flatten() {
        decoder.decode(&frame, &mut |ev| {
            if let DecodeEvent::Segment(seg) = ev
                && seg.transport != Transport::Udp
                && !seg.icmp_quoted
            {
                out.push(OwnedSegment {
                    ts: seg.ts,
                    flow: seg.flow,
                    transport: seg.transport,
                    tcp: seg.tcp,
                    payload: seg.payload.to_vec(),
                });
            }
        });
    }
    out
}

/// Feeds every TCP and SCTP segment of a capture to `SipStreams`.
fn run(name: &str) -> Option<(Vec<Ev>, StreamStats)> {
    let file = load(name)?;
    let mut s = SipStreams::new(StreamConfig::default());
    let mut evs = Vec::new();
    for seg in segments(&file) {
        match seg.transport {
            Transport::Tcp => s.on_tcp(&seg.view(), &mut |e| evs.push(own(e))),
            _ => s.on_sctp(&seg.view(), &mut |e| evs.push(own(e))),
        }
    }
    s.flush(&mut |e| evs.push(own(e)));
    Some((evs, s.stats()))
}

/// "INVITE" or "200": the method or status code of a message.
fn label(msg: &[u8]) -> String {
    let first = msg.split(|&c| c == b' ').next().unwrap_or_default();
    let word = if first == b"SIP/2.0" {
        msg.split(|&c| c == b' ').nth(1).unwrap_or_default()
    } else {
        first
    };
    String::from_utf8_lossy(word).into_owned()
}

/// tshark's stream-transport messages: (method or status, source port).
fn reference(name: &str) -> Vec<(String, u16)> {
    let path = format!("{CORPUS}/ref/{name}.sip_msgs.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let c: Vec<&str> = line.split('\t').collect();
            // columns: 7 tcp.srcport, 8 sctp.srcport, 9 Method, 10 Status-Code
            let port = [c[7], c[8]].into_iter().find(|p| !p.is_empty())?;
            let what = if c[9].is_empty() { c[10] } else { c[9] };
            Some((what.to_string(), port.parse().unwrap()))
        })
        .collect()
}

/// Our messages as (method or status, source port), with their transport.
fn ours(evs: &[Ev]) -> Vec<(String, u16, Transport)> {
    evs.iter()
        .filter_map(|e| match e {
            Ev::Msg {
                bytes,
                flow,
                transport,
                ..
            } => Some((label(bytes), flow.src.port, *transport)),
            Ev::Bad { .. } => None,
        })
        .collect()
}

fn check(name: &str, expect_transport: Transport) -> Option<StreamStats> {
    let (evs, stats) = run(name)?;
    let got = ours(&evs);
    let want = reference(name);
    let got_pairs: Vec<(String, u16)> = got.iter().map(|(w, p, _)| (w.clone(), *p)).collect();
    assert_eq!(got_pairs, want, "{name}");
    assert!(
        got.iter().all(|(_, _, t)| *t == expect_transport),
        "{name}: {got:?}"
    );
    assert_eq!(
        stats.malformed,
        0,
        "{name}: {:?}",
        evs.iter()
            .filter(|e| matches!(e, Ev::Bad { .. }))
            .collect::<Vec<_>>()
    );
    Some(stats)
}

#[test]
fn heplify_sip_ipv4_tcp() {
    let Some(st) = check("heplify_sip_ipv4_tcp.pcap", Transport::Tcp) else {
        return;
    };
    assert_eq!(st.messages, 7);
}

/// Linux SLL; the 200 OK is retransmitted whole (frame 38). tshark does not dissect the
/// retransmission as SIP either, so both list 4 messages over TCP (the 4 others are UDP).
/// The capture also holds TLS (443) and other TCP connections seen mid-stream: non-SIP.
#[test]
fn heplify_sip_ipv4_tcp_retrans() {
    let Some(st) = check("heplify_sip_ipv4_tcp_retrans.pcap", Transport::Tcp) else {
        return;
    };
    assert_eq!(st.messages, 4);
    assert_eq!(st.retransmitted_bytes, 592);
    assert!(st.non_sip_streams >= 3, "{st:?}");
}

/// 1800 messages, one per segment, one connection.
#[test]
fn gen_sipp_tcp_burst() {
    let Some(st) = check("gen_sipp_tcp_burst.pcap", Transport::Tcp) else {
        return;
    };
    assert_eq!(st.messages, 1800);
    assert_eq!(st.connections, 1);
}

/// NULL link type; a 64 KB body in four 16 KB segments plus a tail.
#[test]
fn sv_sip_body_large() {
    let Some((evs, _)) = run("sv_sip-body-large.pcap") else {
        return;
    };
    assert!(matches!(&evs[0], Ev::Msg { bytes, .. } if bytes.len() == 65_793));
    check("sv_sip-body-large.pcap", Transport::Tcp);
}

/// The 183 and 200 travel inside IPv4-in-IPv4 on the same connection, seen mid-stream.
#[test]
fn sngrep_ipip() {
    check("sngrep_ipip.pcap", Transport::Tcp);
}

/// SIP over WebSocket on port 8080 (HTTP upgrade), masked client frames.
#[test]
fn heplify_sip_tcp_websocket() {
    let Some(st) = check("heplify_sip_tcp_websocket.pcap", Transport::Ws) else {
        return;
    };
    assert_eq!((st.ws_connections, st.ws_messages), (1, 11));
}

/// SCTP with PPID 0; the INVITE is fragmented (B then E, unordered).
#[test]
fn heplify_sip_sctp() {
    let Some(st) = check("heplify_sip_sctp.pcap", Transport::Sctp) else {
        return;
    };
    assert_eq!(st.sctp_data_chunks, 5);
}

/// Throughput over the 1800-message TCP burst, segments decoded once beforehand.
/// `cargo test --release -p callscope-shared --lib stream::tests_corpus::bench -- --ignored --nocapture`
#[test]
#[ignore = "benchmark"]
fn bench_tcp_burst() {
    let Some(file) = load("gen_sipp_tcp_burst.pcap") else {
        return;
    };
    let owned: Vec<OwnedSegment> = segments(&file)
        .into_iter()
        .filter(|s| s.transport == Transport::Tcp)
        .collect();
    let segs: Vec<Segment<'_>> = owned.iter().map(OwnedSegment::view).collect();
    let rounds = 300;
    let start = std::time::Instant::now();
    let mut msgs = 0u64;
    let mut bytes = 0usize;
    for _ in 0..rounds {
        let mut s = SipStreams::new(StreamConfig::default());
        for seg in &segs {
            s.on_tcp(seg, &mut |e| {
                if let super::StreamEvent::Message(m) = e {
                    msgs += 1;
                    bytes += m.bytes.len();
                }
            });
        }
        s.flush(&mut |_| {});
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "tcp burst: {:.2} M segments/s, {:.2} M messages/s, {:.0} MB/s of SIP ({} segments x {rounds})",
        (segs.len() * rounds) as f64 / secs / 1e6,
        msgs as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6,
        segs.len()
    );
}

/// Every classic pcap of the corpus: as many TCP/WS/SCTP messages, with the same methods and
/// statuses in the same order, as tshark shows (zero for the UDP-only captures).
#[test]
fn whole_corpus_agrees_with_tshark() {
    let dir = format!("{CORPUS}/pcaps");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "corpus missing in CI"
        );
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    let mut checked = 0;
    for name in names {
        let (evs, stats) = run(&name).unwrap();
        let got: Vec<(String, u16)> = ours(&evs).into_iter().map(|(w, p, _)| (w, p)).collect();
        assert_eq!(got, reference(&name), "{name}");
        assert_eq!(stats.malformed, 0, "{name}");
        checked += 1;
    }
    assert!(checked >= 27, "only {checked} captures checked");
}
