//! The stream layer over real captures, checked against tshark 4.0 (`corpus/ref/*.sip_msgs.tsv`).
//!
//! The wire decoder is written in parallel, so a tiny test-only reader below extracts TCP and
//! SCTP segments from the few captures used here: classic pcap, Ethernet (with VLAN) / Linux
//! SLL / NULL link types, IPv4 (also IPv4-in-IPv4) or IPv6 without extension headers,
//! unfragmented. Anything else is skipped.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::test_util::{Ev, own};
use super::{SipStreams, StreamConfig, StreamStats};
use crate::net::{Endpoint, Flow, Nanos, Transport};
use crate::wire::decap::{Segment, TcpInfo};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

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

/// (ts, link type, frame bytes) of every record of a classic pcap file.
fn pcap_records(file: &[u8]) -> Vec<(Nanos, u32, &[u8])> {
    let magic = be32(file, 0).unwrap();
    let (le, nanos) = match magic {
        0xd4c3b2a1 => (true, false),
        0x4d3cb2a1 => (true, true),
        0xa1b2c3d4 => (false, false),
        0xa1b23c4d => (false, true),
        m => panic!("not a classic pcap: {m:08x}"),
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = file[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let link = u32_at(20);
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= file.len() {
        let sec = u64::from(u32_at(at));
        let frac = u64::from(u32_at(at + 4));
        let incl = u32_at(at + 8) as usize;
        let Some(data) = file.get(at + 16..at + 16 + incl) else {
            break;
        };
        let ts = sec * 1_000_000_000 + if nanos { frac } else { frac * 1000 };
        out.push((ts, link, data));
        at += 16 + incl;
    }
    out
}

/// The IP packet inside a link-layer frame.
fn link_payload(link: u32, f: &[u8]) -> Option<&[u8]> {
    match link {
        1 => {
            let mut et = be16(f, 12)?;
            let mut at = 14;
            while et == 0x8100 || et == 0x88a8 {
                et = be16(f, at + 2)?;
                at += 4;
            }
            matches!(et, 0x0800 | 0x86dd).then(|| f.get(at..)).flatten()
        }
        113 => matches!(be16(f, 14)?, 0x0800 | 0x86dd)
            .then(|| f.get(16..))
            .flatten(),
        0 => f.get(4..),
        _ => None,
    }
}

/// (src, dst, protocol, payload) of the innermost IP packet.
fn ip_payload(p: &[u8]) -> Option<(IpAddr, IpAddr, u8, &[u8])> {
    match p.first()? >> 4 {
        4 => {
            let ihl = usize::from(p.first()? & 0x0f) * 4;
            let total = usize::from(be16(p, 2)?);
            if be16(p, 6)? & 0x3fff != 0 {
                return None; // a fragment
            }
            let proto = *p.get(9)?;
            let src = Ipv4Addr::from(be32(p, 12)?);
            let dst = Ipv4Addr::from(be32(p, 16)?);
            let body = p.get(ihl..total.min(p.len()))?;
            match proto {
                4 | 41 => ip_payload(body),
                _ => Some((src.into(), dst.into(), proto, body)),
            }
        }
        6 => {
            let len = usize::from(be16(p, 4)?);
            let next = *p.get(6)?;
            let src: [u8; 16] = p.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = p.get(24..40)?.try_into().ok()?;
            let body = p.get(40..(40 + len).min(p.len()))?;
            match next {
                4 | 41 => ip_payload(body),
                _ => Some((
                    Ipv6Addr::from(src).into(),
                    Ipv6Addr::from(dst).into(),
                    next,
                    body,
                )),
            }
        }
        _ => None,
    }
}

/// Feeds every TCP and SCTP segment of a capture to `SipStreams`.
fn run(name: &str) -> Option<(Vec<Ev>, StreamStats)> {
    let file = load(name)?;
    let mut s = SipStreams::new(StreamConfig::default());
    let mut evs = Vec::new();
    for (ts, link, frame) in pcap_records(&file) {
        let Some((src, dst, proto, l4)) = link_payload(link, frame).and_then(ip_payload) else {
            continue;
        };
        let (Some(sport), Some(dport)) = (be16(l4, 0), be16(l4, 2)) else {
            continue;
        };
        let flow = Flow {
            src: Endpoint::new(src, sport),
            dst: Endpoint::new(dst, dport),
        };
        match proto {
            6 => {
                let off = usize::from(l4.get(12).copied().unwrap_or(0) >> 4) * 4;
                let (Some(seq), Some(ack), Some(&flags), Some(payload)) =
                    (be32(l4, 4), be32(l4, 8), l4.get(13), l4.get(off..))
                else {
                    continue;
                };
                let seg = Segment {
                    ts,
                    flow,
                    transport: Transport::Tcp,
                    tcp: Some(TcpInfo { seq, ack, flags }),
                    payload,
                    icmp_quoted: false,
                };
                s.on_tcp(&seg, &mut |e| evs.push(own(e)));
            }
            132 => {
                let Some(payload) = l4.get(12..) else {
                    continue;
                };
                let seg = Segment {
                    ts,
                    flow,
                    transport: Transport::Sctp,
                    tcp: None,
                    payload,
                    icmp_quoted: false,
                };
                s.on_sctp(&seg, &mut |e| evs.push(own(e)));
            }
            _ => {}
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
    let mut segs = Vec::new();
    for (ts, link, frame) in pcap_records(&file) {
        let Some((src, dst, 6, l4)) = link_payload(link, frame).and_then(ip_payload) else {
            continue;
        };
        let off = usize::from(l4[12] >> 4) * 4;
        let flow = Flow {
            src: Endpoint::new(src, be16(l4, 0).unwrap()),
            dst: Endpoint::new(dst, be16(l4, 2).unwrap()),
        };
        let tcp = TcpInfo {
            seq: be32(l4, 4).unwrap(),
            ack: be32(l4, 8).unwrap(),
            flags: l4[13],
        };
        segs.push(Segment {
            ts,
            flow,
            transport: Transport::Tcp,
            tcp: Some(tcp),
            payload: &l4[off..],
            icmp_quoted: false,
        });
    }
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
        .filter(|n| n.ends_with(".pcap"))
        .collect();
    names.sort();
    let mut checked = 0;
    for name in names {
        let file = load(&name).unwrap();
        if !matches!(
            be32(&file, 0),
            Some(0xd4c3b2a1 | 0x4d3cb2a1 | 0xa1b2c3d4 | 0xa1b23c4d)
        ) {
            continue;
        }
        let (evs, stats) = run(&name).unwrap();
        let got: Vec<(String, u16)> = ours(&evs).into_iter().map(|(w, p, _)| (w, p)).collect();
        assert_eq!(got, reference(&name), "{name}");
        assert_eq!(stats.malformed, 0, "{name}");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} captures checked");
}
