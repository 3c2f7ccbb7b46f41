//! No heap allocation per RTP packet: a stream's statistics allocate only when its quality
//! series grows (at most five times in its life, whatever its length), never per packet.
//! One test in this binary: the counting allocator is process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_benches::alloc_count::{CountingAlloc, allocations};
use callscope_shared::rtp::series::SERIES_MAX_BUCKETS;
use callscope_shared::rtp::{RtpPacket, StreamStats};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// PCMU at 20 ms with 1 % loss in runs, a reordering every 997 packets and a ±3 ms jitter.
fn packet(i: u64, ssrc: u32) -> (u64, [u8; 16]) {
    let mut b = [0xd5u8; 16];
    b[0] = 0x80;
    b[1] = 0;
    b[2..4].copy_from_slice(&(i as u16).to_be_bytes());
    b[4..8].copy_from_slice(&((i * 160) as u32).to_be_bytes());
    b[8..12].copy_from_slice(&ssrc.to_be_bytes());
    let wobble = (i.wrapping_mul(0x9E37_79B9) >> 7) % 6_000_000;
    (1_700_000_000_000_000_000 + i * 20_000_000 + wobble, b)
}

fn feed(s: &mut StreamStats, n: u64, ssrc: u32) {
    for i in 0..n {
        if i % 100 == 50 {
            continue; // lost
        }
        let j = if i % 997 == 1 {
            i + 1
        } else if i % 997 == 2 {
            i - 1
        } else {
            i
        };
        let (t, b) = packet(j, ssrc);
        let p = RtpPacket::new_checked(&b).unwrap();
        s.on_packet(t, &p);
    }
}

#[test]
fn rtp_statistics_do_not_allocate_per_packet() {
    // The most a stream ever allocates: the series' five growth steps.
    const PER_STREAM: u64 = 5;

    // One stream of 1 M packets (5.5 hours at 50 packets/s: the series merged 6 times).
    let mut s = StreamStats::new();
    let a0 = allocations();
    feed(&mut s, 1_000_000, 7);
    let long = allocations() - a0;
    assert!(s.series().len() <= SERIES_MAX_BUCKETS);
    assert_eq!(s.series().width(), 64_000_000_000);
    assert!(
        long <= PER_STREAM,
        "{long} allocations for one 5.5 h stream"
    );

    // 1000 streams of 3 minutes (9000 packets each), interleaved.
    let mut streams: Vec<StreamStats> = (0..1000).map(|_| StreamStats::new()).collect();
    let a0 = allocations();
    for i in 0..9000u64 {
        for (k, s) in streams.iter_mut().enumerate() {
            let (t, b) = packet(i, k as u32);
            let p = RtpPacket::new_checked(&b).unwrap();
            s.on_packet(t + k as u64 * 1000, &p);
        }
    }
    let many = allocations() - a0;
    // 181 one-second buckets each: growth to 32, 64, 128 and 256.
    assert!(
        many <= 1000 * 4,
        "{many} allocations for 9 M packets of 1000 streams"
    );
    println!(
        "allocations: {long} for 1 M packets of one stream, {many} for 9 M packets of 1000 streams"
    );
}
