//! `hep-ingest-bench [--messages N] [--conns C] [--bin PATH] [--keep] [--no-leg-heuristic]`: HEP over mutual TLS
//! into storage, end to end (issue #4: "at least 500 k SIP messages/s on the 2-core machine
//! without loss").
//!
//! Spawns the release engine (`callscope-mediation serve`) on a temporary data directory,
//! issues a probe certificate with its CLI, opens C mutual-TLS connections and sends N
//! pre-encoded HEPv3 SIP packets (INVITE, 200, ACK, BYE, 200 per call, distinct Call-IDs)
//! with spool sequence numbers. The engine acknowledges a sequence only once it is durably
//! written (synced RocksDB write), so the time from the first byte sent to the acknowledgement
//! of the last message of every connection is the ingest-into-storage rate. At the end the
//! status API confirms every message was taken once (no loss, no duplicate).
//!
//! Build first: `cargo build --release -p callscope-mediation -p callscope-benches`.
#![forbid(unsafe_code)]

use callscope_shared::hep::{Hep3Packet, HepEncoder, next_packet, parse_ack};
use callscope_shared::net::Endpoint;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    messages: u64,
    conns: u64,
    bin: PathBuf,
    keep: bool,
    /// `[calls] leg_heuristic` of the engine (default on, as shipped).
    heuristic: bool,
}

fn args() -> Result<Args, Error> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut a = Args {
        messages: 2_000_000,
        conns: 2,
        bin: root.join("target/release/callscope-mediation"),
        keep: false,
        heuristic: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--messages" => a.messages = value()?.parse()?,
            "--conns" => a.conns = value()?.parse()?,
            "--bin" => a.bin = value()?.into(),
            "--keep" => a.keep = true,
            "--no-leg-heuristic" => a.heuristic = false,
            _ => {
                return Err(format!(
                    "unknown argument {arg}; usage: hep-ingest-bench [--messages N] [--conns C] \
                     [--bin PATH] [--keep] [--no-leg-heuristic]"
                )
                .into());
            }
        }
    }
    if a.conns == 0 || a.messages < a.conns {
        return Err("--conns must be at least 1 and at most --messages".into());
    }
    Ok(a)
}

fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn cli(bin: &Path, args: &[&str]) -> Result<String, Error> {
    let out = Command::new(bin).args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "{} {args:?} failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// User and system CPU seconds of a process (or thread) from its `stat` file.
fn cpu_seconds(stat: &str) -> Option<(String, f64, f64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 2..)?.split(' ').collect();
    // After "pid (comm) ": state is field 3, utime 14, stime 15 (1-based, proc(5)).
    let tick = 100.0; // USER_HZ on Linux
    let u: f64 = fields.get(11)?.parse().ok()?;
    let s: f64 = fields.get(12)?.parse().ok()?;
    Some((comm, u / tick, s / tick))
}

fn process_cpu(pid: u32) -> (f64, f64) {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| cpu_seconds(&s))
        .map_or((0.0, 0.0), |(_, u, s)| (u, s))
}

/// CPU seconds by thread name (threads of one name summed).
fn thread_cpu(pid: u32) -> Vec<(String, f64)> {
    let mut by: std::collections::BTreeMap<String, f64> = Default::default();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in dir.flatten() {
            if let Some((comm, u, s)) = std::fs::read_to_string(t.path().join("stat"))
                .ok()
                .and_then(|s| cpu_seconds(&s))
            {
                *by.entry(comm).or_default() += u + s;
            }
        }
    }
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// The SIP of one call: INVITE (SDP), 200 (SDP), ACK, BYE, 200. Sizes as a real UA's.
fn call_messages(call: u64, conn: u64) -> [Vec<u8>; 5] {
    let cid = format!("bench-{conn}-{call}@10.0.0.1");
    let tag = format!("{call:x}");
    // INVITE and its 200 share a branch; ACK (2xx) and BYE are new transactions.
    let via = |tx: u8| {
        format!(
            "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-{conn}-{call}-{tx}\r\n\
             From: \"Alice\" <sip:+15551230000@10.0.0.1>;tag=a{tag}\r\n"
        )
    };
    let (v1, v2, v3) = (via(1), via(2), via(3));
    let to = "To: <sip:+15559870000@10.0.0.2>";
    let common = format!("Call-ID: {cid}\r\nMax-Forwards: 70\r\nUser-Agent: bench/1.0\r\n");
    let sdp = |ip: &str| {
        format!(
            "v=0\r\no=- {call} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
             m=audio {} RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n",
            10_000 + (call % 20_000) * 2
        )
    };
    let invite_sdp = sdp("10.0.0.1");
    let ok_sdp = sdp("10.0.0.2");
    [
        format!(
            "INVITE sip:+15559870000@10.0.0.2 SIP/2.0\r\n{v1}{to}\r\n{common}CSeq: 1 INVITE\r\n\
             Contact: <sip:alice@10.0.0.1:5060>\r\nContent-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{invite_sdp}",
            invite_sdp.len()
        ),
        format!(
            "SIP/2.0 200 OK\r\n{v1}{to};tag=b{tag}\r\n{common}CSeq: 1 INVITE\r\n\
             Contact: <sip:bob@10.0.0.2:5060>\r\nContent-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{ok_sdp}",
            ok_sdp.len()
        ),
        format!(
            "ACK sip:bob@10.0.0.2:5060 SIP/2.0\r\n{v2}{to};tag=b{tag}\r\n{common}CSeq: 1 ACK\r\n\
             Content-Length: 0\r\n\r\n"
        ),
        format!(
            "BYE sip:bob@10.0.0.2:5060 SIP/2.0\r\n{v3}{to};tag=b{tag}\r\n{common}CSeq: 2 BYE\r\n\
             Content-Length: 0\r\n\r\n"
        ),
        format!(
            "SIP/2.0 200 OK\r\n{v3}{to};tag=b{tag}\r\n{common}CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
        ),
    ]
    .map(String::into_bytes)
}

/// The HEP stream of one connection: `n` messages, seq 1..=n on spool `spool`.
fn encode_stream(conn: u64, spool: u64, n: u64, base_ts: u64) -> Result<(Vec<u8>, u64), Error> {
    let a = Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 5060);
    let b = Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 5060);
    let mut out = Vec::with_capacity(usize::try_from(n)? * 700);
    let mut sip_bytes = 0u64;
    let mut seq = 0u64;
    let mut call = 0u64;
    while seq < n {
        for (i, m) in call_messages(call, conn).iter().enumerate() {
            if seq == n {
                break;
            }
            seq += 1;
            let (src, dst) = if i == 1 || i == 4 { (b, a) } else { (a, b) };
            // 10 us apart: the calls end and linger out on their own capture timeline.
            HepEncoder::new(src, dst, m)
                .ts(base_ts + seq * 10_000)
                .capture_id(conn as u32)
                .seq(seq)
                .spool_id(spool)
                .encode(&mut out)?;
            sip_bytes += m.len() as u64;
        }
        call += 1;
    }
    Ok((out, sip_bytes))
}

struct Engine {
    child: Child,
    dir: PathBuf,
    keep: bool,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Sends `stream` on one TLS connection and returns when the engine acknowledged `last` on
/// `spool` (the time of that ack, since `t0`).
async fn run_conn(
    tls: Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    stream: Arc<Vec<u8>>,
    spool: u64,
    last: u64,
    start: Arc<tokio::sync::Barrier>,
) -> Result<Instant, Error> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let s = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await?;
    let (mut rd, mut wr) = tokio::io::split(s);
    start.wait().await;
    let writer = tokio::spawn(async move {
        for chunk in stream.chunks(256 * 1024) {
            wr.write_all(chunk).await?;
        }
        wr.flush().await?;
        Ok::<_, std::io::Error>(wr)
    });
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    let done = loop {
        let n = rd.read(&mut chunk).await?;
        if n == 0 {
            return Err(
                format!("engine closed connection of spool {spool} before the last ack").into(),
            );
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut at = 0;
        let mut acked = 0;
        while let Ok(Some(len)) = next_packet(buf.get(at..).unwrap_or_default()) {
            if let Some(p) = buf
                .get(at..at + len)
                .and_then(|b| Hep3Packet::new_checked(b).ok())
                && let Some((sp, seq)) = parse_ack(&p)
                && sp == spool
            {
                acked = acked.max(seq);
            }
            at += len;
        }
        buf.drain(..at);
        if acked >= last {
            break Instant::now();
        }
    };
    let _wr = writer.await??;
    Ok(done)
}

fn main() -> Result<(), Error> {
    let a = args()?;
    if !a.bin.exists() {
        return Err(format!(
            "{} not found; run `cargo build --release -p callscope-mediation -p callscope-benches` \
             or give --bin",
            a.bin.display()
        )
        .into());
    }
    let dir = std::env::temp_dir().join(format!("hep-ingest-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let hep_port = free_port()?;
    let https_port = free_port()?;
    let cfg = dir.join("callscope.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = \"{}\"\n[hep]\ntls_listen = \"127.0.0.1:{hep_port}\"\n\
             [sbc]\ntls_listen = \"\"\n[https]\nlisten = \"127.0.0.1:{https_port}\"\n\
             [calls]\nlinger_s = 1\nleg_heuristic = {}\n",
            dir.join("data").display(),
            a.heuristic
        ),
    )?;
    let cfg_s = cfg.to_str().ok_or("temp path is not UTF-8")?;
    let probe_dir = dir.join("probe");
    cli(
        &a.bin,
        &[
            "probe-cert",
            "issue",
            "bench",
            "--out",
            probe_dir.to_str().ok_or("temp path is not UTF-8")?,
            "--config",
            cfg_s,
        ],
    )?;
    let api_key = cli(&a.bin, &["api-key", "create", "bench", "--config", cfg_s])?
        .trim()
        .to_owned();

    // Encode before the engine starts: the client's encoding is not measured.
    let base_ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    let per = a.messages / a.conns;
    let spool_base = u64::from(std::process::id()) << 16;
    let mut streams = Vec::new();
    let (mut hep_bytes, mut sip_bytes) = (0u64, 0u64);
    for c in 0..a.conns {
        let n = if c + 1 == a.conns {
            a.messages - per * (a.conns - 1)
        } else {
            per
        };
        let (s, sb) = encode_stream(c, spool_base + c, n, base_ts)?;
        hep_bytes += s.len() as u64;
        sip_bytes += sb;
        streams.push((Arc::new(s), spool_base + c, n));
    }
    eprintln!(
        "{} SIP messages on {} connections: {:.0} MB of HEP, {:.0} B of SIP per message on average",
        a.messages,
        a.conns,
        hep_bytes as f64 / 1e6,
        sip_bytes as f64 / a.messages as f64
    );

    let log = std::fs::File::create(dir.join("engine.log"))?;
    let child = Command::new(&a.bin)
        .args(["serve", "--config", cfg_s])
        .env("CALLSCOPE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?;
    let pid = child.id();
    eprintln!("engine pid {pid} (perf record -g -p {pid})");
    let mut engine = Engine {
        child,
        dir: dir.clone(),
        keep: a.keep,
    };
    let hep_addr: SocketAddr = format!("127.0.0.1:{hep_port}").parse()?;
    let ready = Instant::now();
    while std::net::TcpStream::connect(hep_addr).is_err() {
        if engine.child.try_wait()?.is_some() || ready.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "the engine did not start; log:\n{}",
                std::fs::read_to_string(dir.join("engine.log")).unwrap_or_default()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let read = |f: &str| std::fs::read(probe_dir.join(f));
    let trust = callscope_shared::pki::TrustSnapshot::from_certificates(&read("engine.pem")?)?;
    let tls = callscope_shared::pki::client_config_from_files(
        &read("key.pem")?,
        &read("cert.pem")?,
        trust,
        callscope_shared::pki::HostnameCheck::Verify,
    )?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(usize::try_from(a.conns)?.min(2))
        .enable_all()
        .build()?;
    let barrier = Arc::new(tokio::sync::Barrier::new(usize::try_from(a.conns)? + 1));
    let cpu_before = process_cpu(pid);
    let threads_before = thread_cpu(pid);
    let (t0, ends) = rt.block_on(async {
        let mut tasks = Vec::new();
        for (s, spool, n) in &streams {
            tasks.push(tokio::spawn(run_conn(
                tls.clone(),
                hep_addr,
                s.clone(),
                *spool,
                *n,
                barrier.clone(),
            )));
        }
        barrier.wait().await;
        let t0 = Instant::now();
        let mut ends = Vec::new();
        for t in tasks {
            ends.push(t.await);
        }
        (t0, ends)
    });
    let mut last = t0;
    for e in ends {
        last = last.max(e??);
    }
    let elapsed = last.duration_since(t0).as_secs_f64();
    let cpu_after = process_cpu(pid);
    let threads_after = thread_cpu(pid);
    let (user, sys) = (cpu_after.0 - cpu_before.0, cpu_after.1 - cpu_before.1);

    println!(
        "acknowledged (durably stored) {} SIP messages in {elapsed:.3} s: {:.0} messages/s, \
         {:.1} MB/s of HEP over TLS",
        a.messages,
        a.messages as f64 / elapsed,
        hep_bytes as f64 / 1e6 / elapsed
    );
    println!(
        "engine CPU: {user:.2} s user + {sys:.2} s system = {:.2} cores busy, {:.2} us per message",
        (user + sys) / elapsed,
        (user + sys) * 1e6 / a.messages as f64
    );
    println!("engine CPU by thread (s):");
    for (name, after) in &threads_after {
        let before = threads_before
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0.0, |(_, b)| *b);
        if after - before >= 0.01 {
            println!("  {name:<20} {:.2}", after - before);
        }
    }

    // Loss check through the status API: every message taken once. The counter moves when a
    // message has been fed to call assembly, just after its acknowledgement: poll a little.
    let status = || -> Option<serde_json::Value> {
        let o = Command::new("curl")
            .args([
                "-sk",
                "--max-time",
                "10",
                "-H",
                &format!("Authorization: Bearer {api_key}"),
                &format!("https://127.0.0.1:{https_port}/api/v1/status"),
            ])
            .output()
            .ok()?;
        serde_json::from_slice(&o.stdout).ok()
    };
    let waited = Instant::now();
    let mut seen = None;
    while let Some(v) = status() {
        let done = v["engine"]["sip_messages"].as_u64() == Some(a.messages);
        seen = Some(v);
        if done || waited.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    match seen {
        Some(v) => {
            let e = &v["engine"];
            println!(
                "status after {:.1} s: sip_messages {} (sent {}), duplicates {}, malformed {}, \
                 write_errors {}, batches {}, calls_stored so far {}",
                waited.elapsed().as_secs_f64(),
                e["sip_messages"],
                a.messages,
                e["duplicates_dropped"],
                e["malformed_sip"],
                e["write_errors"],
                e["batches"],
                e["calls_stored"]
            );
            if e["sip_messages"].as_u64() != Some(a.messages) {
                return Err("LOSS: the engine did not take every message".into());
            }
        }
        None => eprintln!("note: no curl or no answer from the status API; loss not checked"),
    }
    if a.keep {
        eprintln!(
            "kept {} (engine pid {pid} killed at exit)",
            engine.dir.display()
        );
    }
    Ok(())
}
