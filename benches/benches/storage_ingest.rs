#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The engine's storage on RocksDB (synced WAL on every write, as in production):
//!
//! - ingest: SIP messages per second written in batches of 1,000 and 5,000 realistic
//!   ~500-byte INVITEs (criterion), plus a sustained run of 2 M messages that includes the
//!   flushes and compactions it causes (printed);
//! - search: p50/p99 latency of varied queries (time window, exact/prefix/suffix/infix numbers,
//!   Call-ID, IP, IP plus a rare filter, status class, low MOS) over a store of many calls
//!   spread over 30 days (printed), and two of them under criterion.
//!
//! `cargo bench -p callscope-benches --bench storage_ingest` builds 1 M calls (about a
//! minute). For the DESIGN budget's 10 M calls:
//! `CALLSCOPE_BENCH_CALLS=10000000 CALLSCOPE_BENCH_DB=/var/tmp/cs-10m cargo bench -p
//! callscope-benches --bench storage_ingest -- search` (with `CALLSCOPE_BENCH_DB` the store is
//! built once in that directory and reused by later runs; it needs ~15 GB free).
//! Under `cargo test` (no `--bench`) everything runs once on a tiny store.
use callscope_mediation::storage::{
    CallQuery, FinishedCall, MsgId, NewMessage, RocksStore, Store, StoreOptions, WriteSet,
};
use callscope_shared::net::{Endpoint, Nanos, Transport};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SEC: Nanos = 1_000_000_000;
/// 2024-01-01T00:00:00Z.
const T0: Nanos = 1_704_067_200 * SEC;
const DAYS: u64 = 30;
const SUBSCRIBERS: u64 = 200_000;

fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn number(i: u64) -> String {
    format!("4930{:07}", i % SUBSCRIBERS * 37 % 10_000_000)
}

fn invite(call_id: &str, from: &str, to: &str) -> Vec<u8> {
    format!(
        "INVITE sip:{to}@192.0.2.20 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:{to}@example.com>\r\n\
         From: \"Alice\" <sip:{from}@example.com>;tag=1928301774\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 314159 INVITE\r\n\
         Contact: <sip:{from}@192.0.2.10>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: 142\r\n\r\n\
         v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n\
         c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
    .into_bytes()
}

/// `n` distinct INVITEs (call-id and raw bytes), reused round-robin.
fn messages(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n as u64)
        .map(|i| {
            let cid = format!(
                "{:016x}@pbx.example.com",
                i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            );
            let raw = invite(&cid, &number(i), &number(i + 7));
            (cid, raw)
        })
        .collect()
}

fn batch<'a>(pool: &'a [(String, Vec<u8>)], first: u64, n: usize) -> Vec<NewMessage<'a>> {
    let src = Endpoint::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 5060);
    let dst = Endpoint::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 20)), 5060);
    (0..n as u64)
        .map(|i| {
            let (cid, raw) = &pool[((first + i) % pool.len() as u64) as usize];
            NewMessage {
                id: MsgId(first + i),
                ts: T0 + (first + i) * 1000,
                src,
                dst,
                transport: Transport::Udp,
                source: "probe-1",
                call_id: cid.as_bytes(),
                raw,
            }
        })
        .collect()
}

fn ingest(c: &mut Criterion) {
    let pool = messages(10_000);
    let avg = pool.iter().map(|(_, r)| r.len()).sum::<usize>() / pool.len();
    eprintln!("message size: {avg} bytes");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = RocksStore::open(dir.path(), StoreOptions::default()).expect("open");
    let mut g = c.benchmark_group("storage_ingest");
    for n in [1000usize, 5000] {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("write_{n}_messages_synced"), |b| {
            b.iter_batched(
                || batch(&pool, store.next_message_id().0, n),
                |messages| {
                    store
                        .write(&WriteSet {
                            now: T0,
                            messages,
                            ..WriteSet::default()
                        })
                        .expect("write")
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
    drop(store);

    // Sustained: 2 M messages in batches of 5,000 into a fresh store, flushes and compactions
    // included (they run in the background while the writer goes on).
    let total: u64 = if full_run() { 2_000_000 } else { 10_000 };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = RocksStore::open(dir.path(), StoreOptions::default()).expect("open");
    let t = Instant::now();
    let mut first = 1;
    while first <= total {
        let messages = batch(&pool, first, 5000);
        first += 5000;
        store
            .write(&WriteSet {
                now: T0,
                messages,
                ..WriteSet::default()
            })
            .expect("write");
    }
    let secs = t.elapsed().as_secs_f64();
    let stats = store.stats().expect("stats");
    eprintln!(
        "sustained ingest: {total} messages in {secs:.2} s = {:.0} messages/s ({:.0} MB/s of SIP), store {} MB",
        total as f64 / secs,
        total as f64 * avg as f64 / secs / 1e6,
        stats.total_bytes / 1_000_000
    );
}

fn call(rng: &mut Rng, i: u64, calls: u64) -> FinishedCall {
    let span = DAYS * 86_400 * SEC;
    let start = T0 + i * (span / calls.max(1));
    let from = rng.below(SUBSCRIBERS);
    let to = rng.below(SUBSCRIBERS);
    let status = match rng.below(100) {
        0..80 => 200,
        80..90 => 486,
        90..95 => 404,
        _ => 503,
    };
    let dur = if status == 200 { rng.below(600) + 1 } else { 0 };
    let mos = 1.0 + (rng.below(350) as f64) / 100.0;
    let caller = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + rng.below(5000) as u32));
    let sbc = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1 + rng.below(2) as u8));
    let cid = format!("{:016x}@pbx", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let json = format!(
        r#"{{"id":0,"call_ids":["{cid}"],"from":"sip:{}@example.com","to":"sip:{}@example.com","state":"completed","final_status":{status},"legs":[{{"call_id":"{cid}","hops":[{{"src":"{caller}:5060","dst":"{sbc}:5060"}}],"media":[],"streams":[0,1]}}],"duration_s":{dur},"worst_mos":{mos}}}"#,
        number(from),
        number(to)
    );
    FinishedCall {
        start,
        end: start + dur * SEC,
        call_ids: vec![cid],
        from_user: number(from),
        to_user: number(to),
        ips: vec![caller, sbc],
        final_status: Some(status),
        duration: Some(Duration::from_secs(dur)),
        worst_mos: Some(mos),
        source: format!("probe-{}", rng.below(4)),
        record_json: json.into_bytes(),
        streams_json: vec![
            br#"{"ssrc":"0x11223344","codec":"PCMU","packets":3000,"lost":3,"max_jitter_ms":4.2,"mos":4.1}"#.to_vec(),
            br#"{"ssrc":"0x55667788","codec":"PCMU","packets":3000,"lost":0,"max_jitter_ms":1.1,"mos":4.3}"#.to_vec(),
        ],
        messages: Vec::new(),
    }
}

/// Opens (or builds) the search store with `calls` calls over 30 days.
fn search_store(calls: u64) -> (RocksStore, Option<tempfile::TempDir>) {
    let (path, tmp) = match std::env::var_os("CALLSCOPE_BENCH_DB") {
        Some(p) => (PathBuf::from(p), None),
        None => {
            let t = tempfile::tempdir().expect("temp dir");
            (t.path().to_path_buf(), Some(t))
        }
    };
    let store = RocksStore::open(&path, StoreOptions::default()).expect("open");
    let have = store
        .search(&CallQuery {
            limit: Some(1),
            ..CallQuery::default()
        })
        .expect("search")
        .items
        .len();
    if have == 0 {
        let t = Instant::now();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut i = 0;
        while i < calls {
            let n = 5000.min(calls - i);
            let set = WriteSet {
                now: T0,
                calls: (i..i + n).map(|k| call(&mut rng, k, calls)).collect(),
                ..WriteSet::default()
            };
            store.write(&set).expect("write");
            i += n;
        }
        eprintln!(
            "built {calls} calls in {:.1} s ({:.0} calls/s), store {} MB",
            t.elapsed().as_secs_f64(),
            calls as f64 / t.elapsed().as_secs_f64(),
            store.stats().expect("stats").total_bytes / 1_000_000
        );
    }
    (store, tmp)
}

/// The query mix: name and a generator of instances.
/// Makes one instance of a query kind.
type MakeQuery = Box<dyn Fn(&mut Rng) -> CallQuery>;

fn queries(calls: u64) -> Vec<(&'static str, MakeQuery)> {
    let span = DAYS * 86_400 * SEC;
    let cid = move |rng: &mut Rng| {
        let i = rng.below(calls);
        format!("{:016x}@pbx", i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    };
    vec![
        ("latest 100", Box::new(|_: &mut Rng| CallQuery::default())),
        (
            "1 h window",
            Box::new(move |rng: &mut Rng| {
                let from = T0 + rng.below(span - 3600 * SEC);
                CallQuery {
                    from: Some(from),
                    to: Some(from + 3600 * SEC),
                    ..CallQuery::default()
                }
            }),
        ),
        (
            "exact number",
            Box::new(|rng: &mut Rng| CallQuery {
                number: Some(number(rng.below(SUBSCRIBERS))),
                ..CallQuery::default()
            }),
        ),
        (
            "number prefix 4930123*",
            Box::new(|rng: &mut Rng| CallQuery {
                number: Some(format!("4930{:03}*", rng.below(1000))),
                ..CallQuery::default()
            }),
        ),
        (
            "number suffix *4567",
            Box::new(|rng: &mut Rng| CallQuery {
                number: Some(format!("*{:04}", rng.below(10_000))),
                ..CallQuery::default()
            }),
        ),
        (
            "number infix *123* (time scan)",
            Box::new(|rng: &mut Rng| CallQuery {
                number: Some(format!("*{:03}*", rng.below(1000))),
                ..CallQuery::default()
            }),
        ),
        (
            "call-id",
            Box::new(move |rng: &mut Rng| CallQuery {
                call_id: Some(cid(rng)),
                ..CallQuery::default()
            }),
        ),
        (
            "caller ip",
            Box::new(|rng: &mut Rng| CallQuery {
                ip: Some(IpAddr::V4(Ipv4Addr::from(
                    0x0a00_0000 + rng.below(5000) as u32,
                ))),
                ..CallQuery::default()
            }),
        ),
        (
            "sbc ip + mos < 1.1",
            Box::new(|_: &mut Rng| CallQuery {
                ip: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
                mos_below: Some(1.1),
                ..CallQuery::default()
            }),
        ),
        (
            "5xx in one day",
            Box::new(move |rng: &mut Rng| {
                let from = T0 + rng.below(DAYS - 1) * 86_400 * SEC;
                CallQuery {
                    from: Some(from),
                    to: Some(from + 86_400 * SEC),
                    status_class: Some(5),
                    ..CallQuery::default()
                }
            }),
        ),
        (
            "mos < 1.05, all time (budget)",
            Box::new(|_: &mut Rng| CallQuery {
                mos_below: Some(1.05),
                ..CallQuery::default()
            }),
        ),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn search(c: &mut Criterion) {
    let calls: u64 = if full_run() {
        std::env::var("CALLSCOPE_BENCH_CALLS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000)
    } else {
        2000
    };
    let (store, _tmp) = search_store(calls);
    let runs = if full_run() { 200 } else { 2 };
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut all = Vec::new();
    eprintln!("search over {calls} calls ({runs} random instances per query, limit 100):");
    for (name, make) in queries(calls) {
        let mut lat = Vec::with_capacity(runs);
        let mut hits = 0usize;
        for _ in 0..runs {
            let q = make(&mut rng);
            let t = Instant::now();
            let page = store.search(&q).expect("search");
            lat.push(t.elapsed());
            hits += page.items.len();
        }
        lat.sort_unstable();
        eprintln!(
            "  {name:32} p50 {:>8.2} ms  p99 {:>8.2} ms  (mean {} hits)",
            percentile(&lat, 0.5).as_secs_f64() * 1e3,
            percentile(&lat, 0.99).as_secs_f64() * 1e3,
            hits / runs
        );
        all.extend(lat);
    }
    all.sort_unstable();
    eprintln!(
        "  {:32} p50 {:>8.2} ms  p99 {:>8.2} ms",
        "all queries",
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3
    );

    let mut g = c.benchmark_group("storage_search");
    let mix = queries(calls);
    for name in ["exact number", "1 h window"] {
        let Some((_, make)) = mix.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        g.bench_function(name.replace(' ', "_"), |b| {
            b.iter_batched(
                || make(&mut rng),
                |q| store.search(&q).expect("search"),
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = ingest, search
}
criterion_main!(benches);
