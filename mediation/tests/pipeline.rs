//! The ingest pipeline: exactly-once by spool sequence, acknowledgement after the durable
//! write, recovery of open calls after a restart, and the same calls as `analyze`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_mediation::engine::{Batch, Input, Pipeline};
use callscope_mediation::storage_adapter::MemoryStore;
use callscope_shared::analysis::assemble::SipInput;
use callscope_shared::analysis::live::{LiveEvent, LivePolicy};
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::wire::capture::CaptureReader;
use std::sync::Arc;

/// What a probe would send for this capture: SIP messages and stream reports, in order.
fn probe_output(rel: &str) -> Vec<Input> {
    let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    let policy = LivePolicy::default();
    let mut probe = Analyzer::new(AnalyzerConfig {
        live: true,
        ..Default::default()
    });
    let mut out = Vec::new();
    for f in CaptureReader::new(&bytes).unwrap() {
        let f = f.unwrap();
        let now = f.ts;
        probe.on_frame_live(&f, &mut |ev| {
            if let LiveEvent::Sip {
                ts,
                flow,
                transport,
                bytes,
                ..
            } = ev
            {
                out.push(Input::Sip(SipInput {
                    ts,
                    flow,
                    transport,
                    bytes: bytes.to_vec(),
                }));
            }
        });
        probe.poll_reports(now, &policy, &mut |r| out.push(Input::Report(Box::new(r))));
    }
    probe.prune(u64::MAX / 2, &policy, &mut |r| {
        out.push(Input::Report(Box::new(r)))
    });
    out
}

fn batch_calls(rel: &str) -> Vec<(Vec<String>, Option<u16>, Vec<u64>)> {
    let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    let mut a = Analyzer::new(AnalyzerConfig::default());
    for f in CaptureReader::new(&bytes).unwrap() {
        a.on_frame(&f.unwrap());
    }
    let r = a.finish();
    let mut v: Vec<_> = r
        .calls
        .iter()
        .map(|c| {
            let mut ids = c.call_ids.clone();
            ids.sort();
            let mut pk: Vec<u64> = c.streams.iter().map(|&i| r.streams[i].packets).collect();
            pk.sort();
            (ids, c.final_status, pk)
        })
        .collect();
    v.sort();
    v
}

fn stored_calls(store: &MemoryStore) -> Vec<(Vec<String>, Option<u16>, Vec<u64>)> {
    let g = store.inner.lock().unwrap();
    let mut v: Vec<_> = g
        .calls
        .iter()
        .flat_map(|r| {
            r.calls.iter().map(|c| {
                let mut ids = c.call_ids.clone();
                ids.sort();
                let mut pk: Vec<u64> = c.streams.iter().map(|&i| r.streams[i].packets).collect();
                pk.sort();
                (ids, c.final_status, pk)
            })
        })
        .collect();
    v.sort();
    v
}

fn send(
    h: &callscope_mediation::engine::PipelineHandle,
    items: &[(u64, Input)],
    ack: &tokio::sync::mpsc::UnboundedSender<(u64, u64)>,
) {
    for chunk in items.chunks(7) {
        h.send(Batch {
            source: Arc::from("probe-1"),
            spool: Some(42),
            items: chunk.iter().map(|(s, i)| (Some(*s), i.clone())).collect(),
            ack: Some(ack.clone()),
        });
    }
}

#[test]
fn calls_equal_analyze_and_each_batch_is_acknowledged() {
    let rel = "../pcaps/b2bua_chain.pcap";
    let items: Vec<(u64, Input)> = probe_output(rel)
        .into_iter()
        .enumerate()
        .map(|(i, x)| (i as u64 + 1, x))
        .collect();
    let store = MemoryStore::default();
    let (h, join) = Pipeline::start(
        Box::new(store.clone()),
        AnalyzerConfig::default(),
        LivePolicy::default(),
    )
    .unwrap();
    let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel();
    send(&h, &items, &ack_tx);
    h.flush();
    let mut high = 0;
    while let Ok((spool, seq)) = ack_rx.try_recv() {
        assert_eq!(spool, 42);
        assert!(seq >= high, "acks never go back");
        high = seq;
    }
    assert_eq!(high, items.len() as u64, "everything acknowledged");
    assert_eq!(stored_calls(&store), batch_calls(rel));
    assert!(!stored_calls(&store).is_empty());

    // A reconnecting probe re-sends what it has not seen acknowledged: nothing doubles.
    send(&h, &items, &ack_tx);
    h.flush();
    let dups = h
        .stats
        .duplicates
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(dups, items.len() as u64);
    assert_eq!(stored_calls(&store), batch_calls(rel));
    drop(h);
    join.join().unwrap();
}

#[test]
fn restart_mid_call_rebuilds_open_calls_from_storage() {
    let rel = "../pcaps/b2bua_chain.pcap";
    let items: Vec<(u64, Input)> = probe_output(rel)
        .into_iter()
        .enumerate()
        .map(|(i, x)| (i as u64 + 1, x))
        .collect();
    let half = items.len() / 2;
    let store = MemoryStore::default();
    let (ack_tx, _ack_rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let (h, join) = Pipeline::start(
            Box::new(store.clone()),
            AnalyzerConfig::default(),
            LivePolicy::default(),
        )
        .unwrap();
        send(&h, &items[..half], &ack_tx);
        drop(h); // engine stops with calls open
        join.join().unwrap();
    }
    assert!(stored_calls(&store).is_empty(), "nothing finished yet");
    let (h, join) = Pipeline::start(
        Box::new(store.clone()),
        AnalyzerConfig::default(),
        LivePolicy::default(),
    )
    .unwrap();
    // The probe re-sends from its last acknowledgement, which may be earlier than what was
    // stored: the overlap is dropped.
    send(&h, &items[half.saturating_sub(10)..], &ack_tx);
    h.flush();
    assert_eq!(stored_calls(&store), batch_calls(rel));
    drop(h);
    join.join().unwrap();
}

#[test]
fn a_failed_write_is_not_acknowledged() {
    let store = MemoryStore::default();
    store.inner.lock().unwrap().fail_writes = true;
    let items: Vec<(u64, Input)> = probe_output("../pcaps/b2bua_chain.pcap")
        .into_iter()
        .take(5)
        .enumerate()
        .map(|(i, x)| (i as u64 + 1, x))
        .collect();
    let (h, join) = Pipeline::start(
        Box::new(store.clone()),
        AnalyzerConfig::default(),
        LivePolicy::default(),
    )
    .unwrap();
    let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel();
    send(&h, &items, &ack_tx);
    h.flush();
    assert!(ack_rx.try_recv().is_err(), "no ack for a batch not stored");
    assert!(
        h.stats
            .write_errors
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    drop(h);
    join.join().unwrap();
}

#[test]
fn sbc_qos_joins_its_call_as_the_sbc_view() {
    use callscope_shared::analysis::report::{SbcQosLeg, SbcQosRecord};
    let rel = "../pcaps/b2bua_chain.pcap";
    let mut items: Vec<(u64, Input)> = probe_output(rel)
        .into_iter()
        .enumerate()
        .map(|(i, x)| (i as u64 + 1, x))
        .collect();
    let qos = SbcQosRecord {
        source: "sbc:test".into(),
        inc_call_id: "b2b-leg-2@10.1.0.2".into(),
        out_call_id: "b2b-leg-3@10.1.0.3".into(),
        inc_realm: "core".into(),
        out_realm: "access".into(),
        begin: "2023-11-14T22:13:20Z".into(),
        end: "2023-11-14T22:13:24Z".into(),
        inc: SbcQosLeg {
            rtp_packets: 150,
            mos: 4.38,
            r_factor: 92.04,
            ..Default::default()
        },
        out: SbcQosLeg::default(),
    };
    items.push((items.len() as u64 + 1, Input::SbcQos(Box::new(qos.clone()))));
    let store = MemoryStore::default();
    let (h, join) = Pipeline::start(
        Box::new(store.clone()),
        AnalyzerConfig::default(),
        LivePolicy::default(),
    )
    .unwrap();
    let (ack_tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    send(&h, &items, &ack_tx);
    h.flush();
    let g = store.inner.lock().unwrap();
    let with_qos: Vec<_> = g
        .calls
        .iter()
        .flat_map(|r| r.calls.iter())
        .filter(|c| !c.sbc_qos.is_empty())
        .collect();
    assert_eq!(
        with_qos.len(),
        1,
        "exactly the call holding the SBC's Call-IDs"
    );
    assert!(
        with_qos[0]
            .call_ids
            .contains(&"b2b-leg-2@10.1.0.2".to_owned())
    );
    assert_eq!(with_qos[0].sbc_qos, vec![qos]);
    drop(g);
    drop(h);
    join.join().unwrap();
}
