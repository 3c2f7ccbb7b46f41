//! `StreamStats::on_packet` throughput, allocations per packet, and the per-stream state size.
//!
//! Run: `cargo bench -p callscope-benches --bench rtp_stats`. Prints packets/s for
//! (a) `on_packet` on pre-parsed views of one stream, (b) `RtpPacket::new_checked` +
//! `on_packet`, (c) 1000 interleaved streams (cache pressure), with a counting global
//! allocator proving no allocation per packet inside the timed loops: the only ones are the
//! quality series' growth steps (at most [`SERIES_GROWTH_STEPS`] per stream in its life,
//! whatever its length), and the bench fails if there are more.
use callscope_benches::alloc_count::{CountingAlloc, allocations};
use callscope_shared::rtp::jitter_buffer::JitterBufferModel;
use callscope_shared::rtp::rfc3550::{JitterEstimator, SeqState};
use callscope_shared::rtp::{PtClock, RtpPacket, StreamStats, TsharkStats};

/// Most allocations one stream makes over its life (its series growing to 32, 64, 128, 256 and
/// 361 buckets).
const SERIES_GROWTH_STEPS: u64 = 5;

fn check_allocations(name: &str, allocs: u64, streams: u64) {
    assert!(
        allocs <= streams * SERIES_GROWTH_STEPS,
        "{name}: {allocs} allocations for {streams} streams: something allocates per packet"
    );
}
use std::hint::black_box;
use std::time::Instant;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Header + 4 payload bytes: `on_packet` never reads the payload, and in the real pipeline
/// the packet is cache-hot after decapsulation. Full 160-byte payloads would make this bench
/// measure memory streaming (the 2 M × 172-byte buffer) instead of the statistics.
const PKT_LEN: usize = 12 + 4;

/// A realistic PCMU stream: 20 ms pacing with ±3 ms jitter, ~1 % loss in bursts, one
/// reordering and one duplicate per 1000, sequence wrap, talkspurt markers.
fn build_stream(n: usize, ssrc: u32, seed: u64) -> Vec<(u64, [u8; PKT_LEN])> {
    let mut x = seed | 1;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::with_capacity(n + n / 500);
    let mut i = 0u64;
    while out.len() < n {
        i += 1;
        let r = rnd();
        if r % 100 == 0 {
            i += r % 3; // lose 1..3
            continue;
        }
        let mut b = [0xd5u8; PKT_LEN];
        b[0] = 0x80;
        b[1] = if i % 1500 == 1 { 0x80 } else { 0 };
        b[2..4].copy_from_slice(&((i as u16).wrapping_add(60000)).to_be_bytes());
        b[4..8].copy_from_slice(&((i * 160) as u32).to_be_bytes());
        b[8..12].copy_from_slice(&ssrc.to_be_bytes());
        let t = 1_700_000_000_000_000_000 + i * 20_000_000 + (rnd() % 6_000_000);
        out.push((t, b));
        if r % 1000 == 7 {
            out.push((t + 1_000_000, b));
        }
    }
    for k in (1..out.len()).step_by(997) {
        out.swap(k - 1, k);
    }
    out
}

/// This thread's on-CPU time in seconds (Linux `/proc/thread-self/schedstat`, ns): the
/// machine is shared, so wall-clock rates understate what one core does.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn report(name: &str, packets: usize, secs: f64, allocs: u64, cpu: Option<f64>) {
    let cpu_rate = cpu.filter(|c| *c > 0.0).map_or(String::new(), |c| {
        format!(", {:.1} M packets per CPU-second", packets as f64 / c / 1e6)
    });
    println!(
        "{name:<44} {:>6.1} M packets/s wall ({:.1} ns/packet{cpu_rate}), {allocs} allocations in the timed loop",
        packets as f64 / secs / 1e6,
        secs * 1e9 / packets as f64,
    );
}

/// Best wall time of `runs`, max allocations seen, and CPU seconds per run (average).
fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (usize, f64, u64, Option<f64>) {
    let mut best = f64::MAX;
    let mut n = 0;
    let mut allocs = 0;
    let c0 = thread_cpu_secs();
    for _ in 0..runs {
        let a0 = allocations();
        let t0 = Instant::now();
        n = f();
        let dt = t0.elapsed().as_secs_f64();
        allocs = allocs.max(allocations() - a0);
        best = best.min(dt);
    }
    let cpu = c0
        .zip(thread_cpu_secs())
        .map(|(a, b)| (b - a) / runs as f64);
    (n, best, allocs, cpu)
}

fn main() {
    println!(
        "size_of::<StreamStats>() = {} bytes",
        std::mem::size_of::<StreamStats>()
    );
    const N: usize = 250_000;
    let stream = build_stream(N, 0x1234_5678, 0x9E37_79B9_7F4A_7C15);
    let views: Vec<(u64, RtpPacket<'_>)> = stream
        .iter()
        .filter_map(|(t, b)| RtpPacket::new_checked(b).ok().map(|p| (*t, p)))
        .collect();

    let (n, secs, allocs, cpu) = best_of(20, || {
        let mut s = StreamStats::new();
        for (t, p) in &views {
            s.on_packet(*t, p);
        }
        black_box(&s);
        views.len()
    });
    report("on_packet (pre-parsed, 1 stream)", n, secs, allocs, cpu);
    check_allocations("on_packet", allocs, 1);

    let (n, secs, allocs, cpu) = best_of(20, || {
        let mut s = StreamStats::new();
        for (t, b) in &stream {
            if let Ok(p) = RtpPacket::new_checked(b) {
                s.on_packet(*t, &p);
            }
        }
        black_box(&s);
        stream.len()
    });
    report("new_checked + on_packet (1 stream)", n, secs, allocs, cpu);
    check_allocations("new_checked + on_packet", allocs, 1);

    // Breakdown: each component alone on the same packets (calibrates the shared machine).
    let (n, secs, allocs, cpu) = best_of(20, || {
        let mut acc = 0u64;
        for (t, p) in &views {
            acc = acc.wrapping_add(*t ^ u64::from(p.sequence()) ^ u64::from(p.timestamp()));
        }
        black_box(acc);
        views.len()
    });
    report("  baseline: read the header fields", n, secs, allocs, cpu);
    let (n, secs, allocs, cpu) = best_of(20, || {
        let mut s = TsharkStats::default();
        for (t, p) in &views {
            s.on_packet(
                *t,
                p.sequence(),
                p.timestamp(),
                p.payload_type(),
                p.marker(),
                PtClock::Rate(8000),
            );
        }
        black_box(&s);
        views.len()
    });
    report("  component: tshark 4.0 analysis", n, secs, allocs, cpu);
    let (n, secs, allocs, cpu) = best_of(20, || {
        let mut q = SeqState::default();
        let mut j = JitterEstimator::default();
        for (t, p) in &views {
            q.update(p.sequence());
            j.update(*t, p.timestamp(), 8000);
        }
        black_box((&q, &j));
        views.len()
    });
    report("  component: RFC 3550 A.1 + jitter", n, secs, allocs, cpu);
    let (n, secs, allocs, cpu) = best_of(20, || {
        let mut a = JitterBufferModel::fixed(60.0);
        let mut b = JitterBufferModel::adaptive(20.0, 500.0);
        for (t, p) in &views {
            let transit = *t as f64 * 1e-6 - f64::from(p.timestamp()) * 0.125;
            a.on_packet(transit, p.marker());
            b.on_packet(transit, p.marker());
        }
        black_box((&a, &b));
        views.len()
    });
    report(
        "  component: two jitter-buffer models",
        n,
        secs,
        allocs,
        cpu,
    );

    // 1000 streams of 2000 packets each, interleaved in time order.
    const STREAMS: usize = 1000;
    let mut all: Vec<(u64, usize, [u8; PKT_LEN])> = Vec::with_capacity(N);
    for k in 0..STREAMS {
        for (t, b) in build_stream(N / STREAMS, k as u32, 0x1000 + k as u64) {
            all.push((t + k as u64 * 13_000, k, b));
        }
    }
    all.sort_by_key(|e| e.0);
    let mut states: Vec<StreamStats> = (0..STREAMS).map(|_| StreamStats::new()).collect();
    let (n, secs, allocs, cpu) = best_of(20, || {
        for s in states.iter_mut() {
            *s = StreamStats::new();
        }
        for (t, k, b) in &all {
            if let Ok(p) = RtpPacket::new_checked(b) {
                states[*k].on_packet(*t, &p);
            }
        }
        black_box(&states);
        all.len()
    });
    report(
        "new_checked + on_packet (1000 streams)",
        n,
        secs,
        allocs,
        cpu,
    );
    check_allocations("1000 streams", allocs, STREAMS as u64);
    let s = &states[0];
    println!(
        "check: stream 0 packets={} lost(tshark)={} jitter={:.3} ms jb_discards={} series={} x {} s",
        s.packets(),
        s.tshark().row().lost,
        s.jitter_ms().unwrap_or(-1.0),
        s.jitter_buffer_fixed().discarded,
        s.series().len(),
        s.series().width() / 1_000_000_000,
    );
}
