//! End-to-end offline analysis (decode, SIP framing and parsing, call grouping, RTP
//! statistics, MOS) on a generated RTP-dominated capture held in memory: packets per second on
//! one core, and allocations per RTP packet once the streams exist.
#![allow(clippy::expect_used)] // bench code over generated input: a failure is a bug in the bench
use callscope_benches::alloc_count::{CountingAlloc, allocations};
use callscope_benches::{Spec, write_capture};
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::wire::capture::CaptureReader;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn capture() -> (Vec<u8>, u64) {
    let mut buf = Vec::new();
    let n = write_capture(&mut buf, &Spec::small()).expect("in-memory write");
    (buf, n.packets)
}

fn run(buf: &[u8]) -> u64 {
    let mut a = Analyzer::new(AnalyzerConfig::default());
    for f in CaptureReader::new(buf)
        .expect("generated capture")
        .flatten()
    {
        a.on_frame(&f);
    }
    a.finish().summary.streams
}

fn bench(c: &mut Criterion) {
    let (buf, packets) = capture();
    // Allocations per packet in steady state: run the first half (streams created), then
    // count what the second half allocates.
    {
        let frames: Vec<_> = CaptureReader::new(&buf)
            .expect("generated capture")
            .flatten()
            .collect();
        let mut a = Analyzer::new(AnalyzerConfig::default());
        // Measure the last 30 %: by then every call has started, so every stream exists.
        let half = frames.len() * 7 / 10;
        for f in &frames[..half] {
            a.on_frame(f);
        }
        // Attribute each frame's allocations to RTP (UDP payload starting 0x80, the generator's
        // only RTP form) or to the rest (SIP).
        let (mut rtp_frames, mut rtp_allocs, mut other_allocs) = (0u64, 0u64, 0u64);
        let before = allocations();
        let streams_before = a.memory().streams;
        for f in &frames[half..] {
            let a0 = allocations();
            a.on_frame(f);
            let d = allocations() - a0;
            if f.data.get(42) == Some(&0x80) {
                rtp_frames += 1;
                rtp_allocs += d;
            } else {
                other_allocs += d;
            }
        }
        let after = allocations();
        let new_streams = a.memory().streams - streams_before;
        let streams_open = a.memory().streams as u64;
        println!(
            "steady state: {rtp_allocs} allocations in {rtp_frames} RTP packets, made when {new_streams} new streams started \
             or a quality series grew (at most 5 times in a stream's life); {other_allocs} in the other packets (SIP)"
        );
        // Bounded by the streams, not the packets: nothing allocates per RTP packet.
        assert!(
            rtp_allocs <= new_streams as u64 * 16 + streams_open * 5,
            "{rtp_allocs} allocations in {rtp_frames} RTP packets of {streams_open} streams"
        );
        let mem = a.memory();
        println!(
            "state: {} streams x {} bytes, {} legs x {} bytes, {} SIP messages kept",
            mem.streams, mem.bytes_per_stream, mem.legs, mem.bytes_per_leg, mem.messages
        );
        let r = a.finish();
        let rest = (frames.len() - half) as f64;
        println!(
            "steady state: {:.4} allocations per packet over {} packets ({} SIP messages in the whole capture); {} streams",
            (after - before) as f64 / rest,
            frames.len() - half,
            r.summary.sip_messages,
            r.summary.streams
        );
    }
    let mut g = c.benchmark_group("analyze");
    g.throughput(Throughput::Elements(packets));
    g.sample_size(10);
    g.bench_function("small_capture", |b| {
        b.iter(|| black_box(run(black_box(&buf))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
