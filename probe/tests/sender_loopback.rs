//! The sender against a fake engine on loopback TCP (toy framing): an engine restart in the
//! middle of the run loses nothing, and after dedup by sequence number nothing is duplicated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_probe::sender::{
    self, ConnectFuture, Connection, SenderConfig, SharedSpool, ToyFraming,
};
use callscope_probe::spool::{Spool, SpoolConfig};
use callscope_probe::status::Counters;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Store {
    records: BTreeMap<u64, Vec<u8>>,
    /// Records received, duplicates included.
    received: u64,
    duplicates: u64,
    spool_ids: Vec<u64>,
}

impl Store {
    /// Highest n with 1..=n all stored.
    fn contiguous(&self) -> u64 {
        let mut n = 0;
        for &k in self.records.keys() {
            if k != n + 1 {
                break;
            }
            n = k;
        }
        n
    }
}

fn payload(seq: u64) -> Vec<u8> {
    format!("record {seq} {}", "x".repeat((seq % 50) as usize)).into_bytes()
}

/// Serves connections on `l`. Acknowledges `ack_lag` records behind what it stored (as an
/// engine whose storage lags), and stops (closing the connection and the listener) after
/// `die_after` records received, if given.
async fn engine(l: TcpListener, store: Arc<Mutex<Store>>, ack_lag: u64, die_after: Option<u64>) {
    let mut got = 0u64;
    loop {
        let (mut s, _) = l.accept().await.unwrap();
        let mut hello = [0u8; 12];
        if s.read_exact(&mut hello).await.is_err() {
            continue;
        }
        assert_eq!(&hello[..4], &[0, 0, 0, 0]);
        store
            .lock()
            .unwrap()
            .spool_ids
            .push(u64::from_be_bytes(hello[4..].try_into().unwrap()));
        loop {
            let mut h = [0u8; 12];
            if s.read_exact(&mut h).await.is_err() {
                break;
            }
            let len = u32::from_be_bytes(h[..4].try_into().unwrap()) as usize;
            let seq = u64::from_be_bytes(h[4..].try_into().unwrap());
            let mut body = vec![0; len];
            s.read_exact(&mut body).await.unwrap();
            got += 1;
            let ack = {
                let mut st = store.lock().unwrap();
                st.received += 1;
                if let Some(old) = st.records.insert(seq, body.clone()) {
                    assert_eq!(old, body, "a resend carries the same bytes");
                    st.duplicates += 1;
                }
                st.contiguous().saturating_sub(ack_lag)
            };
            if ack > 0 {
                s.write_all(&ack.to_be_bytes()).await.unwrap();
            }
            if die_after.is_some_and(|d| got >= d) {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_restart_loses_nothing_and_duplicates_dedup_by_seq() {
    const TOTAL: u64 = 1000;
    let dir = tempfile::tempdir().unwrap();
    let counters = Arc::new(Counters::default());
    let mut scfg = SpoolConfig::new(dir.path(), 1 << 20);
    scfg.segment_bytes = 8 << 10; // several segments, so acks free some
    let spool = SharedSpool::new(Spool::open(scfg).unwrap(), counters.clone());
    let spool_id = spool.lock().id();
    for seq in 1..=TOTAL / 2 {
        assert_eq!(spool.lock().append(&payload(seq)).unwrap(), Some(seq));
    }

    let addr: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
    let store: Arc<Mutex<Store>> = Arc::default();

    // Engine 1: acknowledges 50 behind, dies after 300 records.
    let l1 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    *addr.lock().unwrap() = Some(l1.local_addr().unwrap());
    let e1 = tokio::spawn(engine(l1, store.clone(), 50, Some(300)));

    let a2 = addr.clone();
    let connect = move || -> ConnectFuture {
        let target = *a2.lock().unwrap();
        Box::pin(async move {
            let Some(t) = target else {
                return Err(std::io::ErrorKind::ConnectionRefused.into());
            };
            let s = TcpStream::connect(t).await?;
            Ok(Box::new(s) as Box<dyn Connection>)
        })
    };
    let cfg = SenderConfig {
        batch_records: 64,
        window_records: 200,
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(80),
        ..SenderConfig::default()
    };
    let (sd_tx, sd_rx) = tokio::sync::watch::channel(false);
    let sender = tokio::spawn(sender::run(spool.clone(), cfg, ToyFraming, connect, sd_rx));

    e1.await.unwrap();
    *addr.lock().unwrap() = None;
    // The second half is produced while the engine is down.
    for seq in TOTAL / 2 + 1..=TOTAL {
        let mut s = spool.lock();
        assert_eq!(s.append(&payload(seq)).unwrap(), Some(seq));
        s.flush().unwrap();
        drop(s);
        spool.appended();
    }
    let acked_while_down = spool.lock().acked();
    assert!(
        acked_while_down < 300,
        "engine 1 acknowledged {acked_while_down}"
    );

    // Engine 2 on another port acknowledges everything.
    let l2 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    *addr.lock().unwrap() = Some(l2.local_addr().unwrap());
    let e2 = tokio::spawn(engine(l2, store.clone(), 0, None));

    // Guard against a hang only; no timing is asserted.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while spool.lock().acked() < TOTAL {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all records acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sd_tx.send(true).unwrap();
    sender.await.unwrap();
    e2.abort();

    let st = store.lock().unwrap();
    assert_eq!(st.records.len() as u64, TOTAL, "nothing lost");
    for (seq, body) in &st.records {
        assert_eq!(body, &payload(*seq));
    }
    assert_eq!(st.contiguous(), TOTAL);
    // Records received by engine 1 but not acknowledged were sent again.
    assert!(st.duplicates > 0);
    assert_eq!(st.received, TOTAL + st.duplicates);
    assert!(st.spool_ids.len() >= 2);
    assert!(st.spool_ids.iter().all(|&i| i == spool_id));
    let c = counters.snapshot();
    assert!(c.reconnects >= 1);
    assert_eq!(c.acked, TOTAL);
    assert_eq!(c.spool_records, 0);
    // Records in flight when engine 1 died were written but never read.
    assert!(c.sent >= st.received);
    // Acknowledged segments were deleted.
    let u = spool.lock().usage();
    assert_eq!(u.records, 0);
    assert!(u.segments <= 2, "{u:?}");
}

#[tokio::test]
async fn garbage_from_the_engine_drops_the_connection_and_keeps_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let counters = Arc::new(Counters::default());
    let spool = SharedSpool::new(
        Spool::open(SpoolConfig::new(dir.path(), 1 << 20)).unwrap(),
        counters.clone(),
    );
    spool.lock().append(b"one").unwrap();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    let connect = move || -> ConnectFuture {
        Box::pin(async move { Ok(Box::new(TcpStream::connect(a).await?) as Box<dyn Connection>) })
    };
    let cfg = SenderConfig {
        max_ack_buffer: 16,
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        ..SenderConfig::default()
    };
    let (sd_tx, sd_rx) = tokio::sync::watch::channel(false);
    // Acks that never parse: a framing that needs 1000 bytes.
    struct Picky;
    impl sender::Framing for Picky {
        fn encode(&mut self, _seq: u64, r: &[u8], out: &mut Vec<u8>) {
            out.extend_from_slice(r);
        }
        fn parse_ack(&mut self, buf: &[u8]) -> Option<(usize, u64)> {
            (buf.len() >= 1000).then_some((1000, 1))
        }
    }
    let sender = tokio::spawn(sender::run(spool.clone(), cfg, Picky, connect, sd_rx));
    for _ in 0..2 {
        let (mut s, _) = l.accept().await.unwrap();
        let mut b = [0u8; 3];
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"one");
        s.write_all(&[0xee; 64]).await.unwrap();
        // The sender gives up on this connection: reading sees the end.
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest).await;
    }
    sd_tx.send(true).unwrap();
    sender.await.unwrap();
    assert_eq!(spool.lock().usage().records, 1);
    assert!(counters.snapshot().reconnects >= 1);
}
