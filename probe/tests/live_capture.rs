//! Live capture on the loopback interface with a BPF filter, through the pipeline into the
//! spool. Needs root or CAP_NET_RAW: skipped only when not root and CI is not set (CI runs as
//! root, so there it always runs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_probe::batch::{BatchPool, BatchWriter};
use callscope_probe::capture::LiveCapture;
use callscope_probe::config::LiveConfig;
use callscope_probe::hep_out::HepEncode;
use callscope_probe::pipeline::{Clock, Pipeline, ProbeAnalyzer};
use callscope_probe::sender::SharedSpool;
use callscope_probe::spool::{Spool, SpoolConfig};
use callscope_probe::status::Counters;
use callscope_shared::hep::{Hep3Packet, HepMessage, ProtocolType};
use callscope_shared::wire::capture::LinkType;
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn skip() -> bool {
    if nix::unistd::Uid::effective().is_root() || std::env::var_os("CI").is_some() {
        return false;
    }
    eprintln!("skipped: live capture needs root or CAP_NET_RAW (runs in CI)");
    true
}

fn options(call_id: &str, port: u16) -> String {
    format!(
        "OPTIONS sip:probe@127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-{call_id}\r\n\
         From: <sip:test@127.0.0.1>;tag=1\r\n\
         To: <sip:probe@127.0.0.1>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// RFC 3261 §18.1.1: SIP requests over UDP, one message per datagram, seen on the wire.
#[test]
fn loopback_udp_sip_is_captured_through_the_bpf_filter() {
    if skip() {
        return;
    }
    let target = UdpSocket::bind("127.0.0.1:0").unwrap();
    let noise = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = target.local_addr().unwrap().port();
    let noise_port = noise.local_addr().unwrap().port();

    let mut cap = LiveCapture::open(&LiveConfig {
        interface: "lo".into(),
        filter: format!("udp port {port}"),
        snaplen: 65_535,
        buffer_mib: 4,
        promisc: false,
    })
    .unwrap();
    assert_eq!(cap.link_type(), LinkType::ETHERNET);
    let stopper = cap.stopper();
    let counters = Arc::new(Counters::default());
    let pool = BatchPool::new(8);
    let (tx, rx) = crossbeam_channel::bounded(8);
    let handle = cap
        .spawn(BatchWriter::new(pool.clone(), tx), counters.clone())
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let spool = SharedSpool::new(
        Spool::open(SpoolConfig::new(dir.path(), 1 << 20)).unwrap(),
        counters.clone(),
    );
    let mut pipeline = Pipeline::new(
        ProbeAnalyzer::new(Default::default(), Default::default()),
        HepEncode::new(1, "live-test"),
        spool.clone(),
        counters.clone(),
        Clock::Wall,
        Duration::from_secs(5),
    );

    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..5 {
        let id = format!("live-{i}@callscope.test");
        sock.send_to(options(&id, port).as_bytes(), ("127.0.0.1", port))
            .unwrap();
        sock.send_to(
            options("noise", noise_port).as_bytes(),
            ("127.0.0.1", noise_port),
        )
        .unwrap();
    }

    // A guard against a hang, not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(30);
    while counters.snapshot().records < 5 {
        assert!(
            Instant::now() < deadline,
            "capture saw {:?}",
            counters.snapshot()
        );
        if let Ok(batch) = rx.recv_timeout(Duration::from_millis(100)) {
            pipeline.on_batch(&batch);
            pool.put(batch);
        }
    }
    stopper.stop();
    // Drain what is left so the capture thread is never blocked on a full channel.
    while let Ok(batch) = rx.recv_timeout(Duration::from_millis(100)) {
        pipeline.on_batch(&batch);
        pool.put(batch);
    }
    handle.join().unwrap().unwrap();

    let raw: Vec<Vec<u8>> = spool
        .lock()
        .read_from(1)
        .unwrap()
        .map(|r| r.unwrap().bytes)
        .collect();
    let records: Vec<HepMessage<'_>> = raw
        .iter()
        .map(|b| HepMessage::decode_v3(&Hep3Packet::new_checked(b).unwrap()).unwrap())
        .collect();
    let ids: Vec<&str> = records
        .iter()
        .map(|r| std::str::from_utf8(r.correlation_id.unwrap()).unwrap())
        .collect();
    assert_eq!(
        ids,
        (0..5)
            .map(|i| format!("live-{i}@callscope.test"))
            .collect::<Vec<_>>()
    );
    for r in &records {
        assert_eq!(r.proto_type, ProtocolType::Sip);
        assert_eq!(r.dst.to_string(), format!("127.0.0.1:{port}"));
        assert!(r.payload.starts_with(b"OPTIONS sip:probe@"));
    }
    let c = counters.snapshot();
    assert_eq!(c.sip_messages, 5, "the filter kept the other port out");
    assert!(c.packets >= 5);
    assert_eq!(c.kernel_drops, 0);
}
