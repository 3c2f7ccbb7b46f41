//! SIP head + SDP parse throughput (target: >= 2 M msg/s on one core, no allocation).
//!
//! Parses a ~900-byte INVITE with SDP and extracts what the correlation engine needs: Call-ID,
//! From/To tags, top Via branch, CSeq, and the SDP c= address and m= ports. A counting global
//! allocator checks that a parse allocates nothing.
use std::hint::black_box;
use std::time::Instant;

use callscope_benches::alloc_count::{CountingAlloc, allocations};
use callscope_shared::sip::SipMessage;
use callscope_shared::sip::sdp::{Sdp, find_sdp};
use criterion::{Criterion, Throughput, criterion_group};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const INVITE: &[u8] = b"INVITE sip:+4930123456789@sbc.carrier.example.net;user=phone SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---5f2c9a1b3e4d;rport\r\n\
Via: SIP/2.0/UDP 198.51.100.7:5060;received=198.51.100.7;branch=z9hG4bK3f9a0c2e\r\n\
Max-Forwards: 69\r\n\
Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n\
To: <sip:+4930123456789@sbc.carrier.example.net;user=phone>\r\n\
From: \"Alice Example\" <sip:alice@pbx.example.com>;tag=8f3a91c2\r\n\
Call-ID: 9b1f3e7c2a5d4e6f8a0b1c2d3e4f5a6b@192.0.2.10\r\n\
CSeq: 102 INVITE\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK\r\n\
User-Agent: ExamplePBX/16.4.1\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 297\r\n\
\r\n\
v=0\r\n\
o=ExamplePBX 1718351234 1718351235 IN IP4 192.0.2.10\r\n\
s=ExamplePBX call\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 40376 RTP/AVP 8 0 18 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:18 G729/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
a=rtcp:40377\r\n";

/// What the engine extracts from one message (folded into a checksum so nothing is elided).
fn extract(buf: &[u8]) -> usize {
    let Ok(m) = SipMessage::parse(buf) else {
        return 0;
    };
    let mut acc = m.call_id().map_or(0, <[u8]>::len);
    acc += m.from().and_then(|f| f.tag).map_or(0, <[u8]>::len);
    acc += m.to().and_then(|t| t.tag).map_or(0, <[u8]>::len);
    acc += m.via_branch().map_or(0, <[u8]>::len);
    acc += m.cseq().map_or(0, |c| c.seq as usize + c.method.len());
    let sdp = m.content_type().and_then(|ct| find_sdp(ct, m.body()));
    if let Some(Ok(sdp)) = sdp.map(Sdp::parse) {
        acc += sdp.connection().map_or(0, |c| c.address.len());
        for media in sdp.media() {
            acc += usize::from(media.port) + media.ip().map_or(0, |_| 1);
        }
    }
    acc
}

/// The header pass alone.
fn head(buf: &[u8]) -> usize {
    SipMessage::parse(buf).map_or(0, |m| m.call_id().map_or(0, <[u8]>::len))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sip_parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("invite_sdp_extract", |b| {
        b.iter(|| extract(black_box(INVITE)))
    });
    g.bench_function("invite_head_only", |b| b.iter(|| head(black_box(INVITE))));
    g.finish();
}

/// A plain timed loop (messages/s) and the allocation count per parse, printed once.
fn report() {
    assert!(extract(INVITE) > 0);
    let clean = SipMessage::parse(INVITE).map(|m| m.quirks().is_empty() && m.body().len() == 297);
    assert_eq!(clean, Ok(true), "the bench message must be well-formed");
    // SIP_BENCH_ITERS shortens the loop (e.g. under `perf stat` or callgrind).
    let n: u64 = std::env::var("SIP_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    // SIP_BENCH_HEAD_ONLY measures the header pass alone (parse + Call-ID), for profiling.
    let head_only = std::env::var_os("SIP_BENCH_HEAD_ONLY").is_some();
    let before = allocations();
    let t = Instant::now();
    let mut acc = 0usize;
    for _ in 0..n {
        acc = acc.wrapping_add(if head_only {
            head(black_box(INVITE))
        } else {
            extract(black_box(INVITE))
        });
    }
    let dt = t.elapsed();
    let allocs = allocations() - before;
    black_box(acc);
    println!(
        "sip_parse: {} bytes INVITE+SDP, {:.2} M msg/s on one core ({:.0} ns/msg), {} allocations in {} parses",
        INVITE.len(),
        n as f64 / dt.as_secs_f64() / 1e6,
        dt.as_nanos() as f64 / n as f64,
        allocs,
        n
    );
    assert_eq!(allocs, 0, "parsing must not allocate");
}

criterion_group!(benches, bench);

fn main() {
    report();
    if std::env::var_os("SIP_BENCH_REPORT_ONLY").is_some() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
