//! The ingest pipeline on the real RocksDB store across a restart: messages stored before the
//! restart, while their call was still open, belong to that call once it is stored after the
//! restart (`/calls/{id}/messages` shows all of them, once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_mediation::engine::rocks_adapter::{REPORT_MARK, RocksEngineStore};
use callscope_mediation::engine::{Batch, Input, Pipeline, PipelineHandle};
use callscope_mediation::storage::{CallQuery, RocksStore, Store, StoreOptions};
use callscope_shared::analysis::assemble::SipInput;
use callscope_shared::analysis::live::{LiveEvent, LivePolicy};
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::wire::capture::CaptureReader;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a probe sends for b2bua_chain.pcap: SIP messages and stream reports, numbered.
fn probe_output() -> Vec<(u64, Input)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/b2bua_chain.pcap");
    let bytes = std::fs::read(path).unwrap();
    let policy = LivePolicy::default();
    let mut probe = Analyzer::new(AnalyzerConfig {
        live: true,
        ..Default::default()
    });
    let mut out = Vec::new();
    for f in CaptureReader::new(&bytes).unwrap() {
        let f = f.unwrap();
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
        probe.poll_reports(f.ts, &policy, &mut |r| out.push(Input::Report(Box::new(r))));
    }
    probe.prune(u64::MAX / 2, &policy, &mut |r| {
        out.push(Input::Report(Box::new(r)))
    });
    out.into_iter()
        .enumerate()
        .map(|(i, x)| (i as u64 + 1, x))
        .collect()
}

fn send(h: &PipelineHandle, items: &[(u64, Input)]) {
    for chunk in items.chunks(5) {
        h.send(Batch {
            source: Arc::from("probe-1"),
            spool: Some(7),
            items: chunk.iter().map(|(s, i)| (Some(*s), i.clone())).collect(),
            ack: None,
        });
    }
}

fn start(store: &Arc<dyn Store>) -> (PipelineHandle, std::thread::JoinHandle<()>) {
    Pipeline::start(
        Box::new(RocksEngineStore::new(store.clone())),
        AnalyzerConfig::default(),
        LivePolicy::default(),
    )
    .unwrap()
}

#[test]
fn messages_stored_before_a_restart_belong_to_their_call() {
    let dir = tempfile::tempdir().unwrap();
    let items = probe_output();
    // Cut inside the first call (b2bua_chain's first INVITE transaction is in flight).
    let cut = 3;
    {
        let store: Arc<dyn Store> =
            Arc::new(RocksStore::open(dir.path(), StoreOptions::default()).unwrap());
        let (h, join) = start(&store);
        send(&h, &items[..cut]);
        drop(h); // the engine stops with the call open
        join.join().unwrap();
    }
    let store: Arc<dyn Store> =
        Arc::new(RocksStore::open(dir.path(), StoreOptions::default()).unwrap());
    let (h, join) = start(&store);
    send(&h, &items[cut..]);
    h.flush();
    drop(h);
    join.join().unwrap();

    let calls = store.search(&CallQuery::default()).unwrap().items;
    assert_eq!(calls.len(), 2);
    for c in calls {
        let record: serde_json::Value =
            serde_json::from_str(&store.call(c.id).unwrap().unwrap().record_json).unwrap();
        let mut want = BTreeSet::new();
        for leg in record["legs"].as_array().unwrap() {
            want.extend(
                leg["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_u64().unwrap()),
            );
        }
        let sip = store
            .messages_of_call(c.id)
            .unwrap()
            .into_iter()
            .filter(|m| !m.raw.starts_with(REPORT_MARK))
            .count();
        assert_eq!(
            sip,
            want.len(),
            "call {:?}: every SIP message, once",
            c.call_ids
        );
    }
}

/// RTCP a probe forwards (HEP type 5, correlation id = Call-ID) is stored with its call and
/// survives a restart; the SIP views skip it.
#[test]
fn forwarded_rtcp_is_kept_with_its_call() {
    use callscope_mediation::engine::rocks_adapter::RTCP_MARK;
    let dir = tempfile::tempdir().unwrap();
    let mut items = probe_output();
    let sip_flow = match &items[0].1 {
        Input::Sip(m) => m.flow,
        _ => unreachable!("b2bua_chain starts with SIP"),
    };
    let rtcp = vec![0x80, 201, 0, 1, 0, 0, 0, 1];
    let at = items.len() / 2;
    items.insert(
        at,
        (
            0,
            Input::Rtcp {
                ts: 1_700_000_001_000_000_000,
                flow: sip_flow,
                call_id: "b2b-leg-1@10.1.0.1".into(),
                bytes: rtcp.clone(),
            },
        ),
    );
    for (i, it) in items.iter_mut().enumerate() {
        it.0 = i as u64 + 1;
    }
    let store: Arc<dyn Store> =
        Arc::new(RocksStore::open(dir.path().join("db"), StoreOptions::default()).unwrap());
    {
        let (h, join) = start(&store);
        send(&h, &items[..at + 1]);
        drop(h);
        join.join().unwrap();
    }
    let (h, join) = start(&store);
    send(&h, &items[at + 1..]);
    h.flush();
    drop(h);
    join.join().unwrap();
    let page = store
        .search(&CallQuery {
            call_id: Some("b2b-leg-1@10.1.0.1".into()),
            ..Default::default()
        })
        .unwrap();
    let id = page.items[0].id;
    let msgs = store.messages_of_call(id).unwrap();
    let kept: Vec<_> = msgs
        .iter()
        .filter_map(|m| m.raw.strip_prefix(RTCP_MARK))
        .collect();
    assert_eq!(kept, vec![&rtcp[..]]);
}
