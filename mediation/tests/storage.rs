#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The RocksDB store, for real, in temporary directories: round trips, search by every
//! criterion, paging, retention (by age and by size, with a writer running), reopening, the
//! schema check, and a writer killed with SIGKILL mid-run.
use callscope_mediation::storage::{
    CallId, CallQuery, FinishedCall, MsgId, NewMessage, RocksStore, Store, StoreError,
    StoreOptions, WriteSet,
};
use callscope_shared::net::{Endpoint, Nanos, Transport};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const SEC: Nanos = 1_000_000_000;
/// 2024-01-01T00:00:00Z.
const T0: Nanos = 1_704_067_200 * SEC;

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

fn ep(s: &str) -> Endpoint {
    let (ip, port) = s.rsplit_once(':').unwrap();
    Endpoint::new(
        ip.trim_matches(['[', ']']).parse().unwrap(),
        port.parse().unwrap(),
    )
}

fn open(dir: &std::path::Path) -> RocksStore {
    RocksStore::open(dir, StoreOptions::default()).unwrap()
}

/// Owned message data (NewMessage borrows).
struct Msg {
    id: u64,
    ts: Nanos,
    call_id: String,
    raw: Vec<u8>,
}

fn msgs(first: u64, n: usize, ts: Nanos, call_id: &str) -> Vec<Msg> {
    (0..n as u64)
        .map(|i| Msg {
            id: first + i,
            ts: ts + i * SEC / 10,
            call_id: call_id.to_owned(),
            raw: invite(call_id, "100", "200"),
        })
        .collect()
}

fn new_messages(ms: &[Msg]) -> Vec<NewMessage<'_>> {
    ms.iter()
        .map(|m| NewMessage {
            id: MsgId(m.id),
            ts: m.ts,
            src: ep("192.0.2.10:5060"),
            dst: ep("[2001:db8::20]:5060"),
            transport: Transport::Udp,
            source: "probe-a",
            call_id: m.call_id.as_bytes(),
            raw: &m.raw,
        })
        .collect()
}

struct CallSpec<'a> {
    start: Nanos,
    from: &'a str,
    to: &'a str,
    call_id: &'a str,
    ip: &'a str,
    status: Option<u16>,
    dur_s: Option<u64>,
    mos: Option<f64>,
    source: &'a str,
}

impl Default for CallSpec<'_> {
    fn default() -> Self {
        CallSpec {
            start: T0,
            from: "100",
            to: "200",
            call_id: "cid",
            ip: "10.0.0.1",
            status: Some(200),
            dur_s: Some(60),
            mos: Some(4.2),
            source: "probe-a",
        }
    }
}

fn finished(c: &CallSpec<'_>, messages: Vec<MsgId>) -> FinishedCall {
    FinishedCall {
        start: c.start,
        end: c.start + c.dur_s.unwrap_or(0) * SEC,
        call_ids: vec![c.call_id.to_owned()],
        from_user: c.from.to_owned(),
        to_user: c.to.to_owned(),
        ips: vec![c.ip.parse().unwrap(), "192.0.2.1".parse().unwrap()],
        final_status: c.status,
        duration: c.dur_s.map(Duration::from_secs),
        worst_mos: c.mos,
        source: c.source.to_owned(),
        record_json: format!(
            r#"{{"call_ids":["{}"],"from":"sip:{}@x"}}"#,
            c.call_id, c.from
        )
        .into_bytes(),
        streams_json: vec![br#"{"ssrc":"0x1"}"#.to_vec(), br#"{"ssrc":"0x2"}"#.to_vec()],
        messages,
    }
}

fn write_calls(store: &RocksStore, specs: &[CallSpec<'_>]) -> Vec<CallId> {
    let set = WriteSet {
        now: T0,
        calls: specs.iter().map(|c| finished(c, Vec::new())).collect(),
        ..WriteSet::default()
    };
    store.write(&set).unwrap().calls
}

fn ids(page: &[callscope_mediation::storage::CallSummary]) -> Vec<CallId> {
    page.iter().map(|s| s.id).collect()
}

#[test]
fn messages_calls_and_streams_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.next_message_id(), MsgId(1));
    let a = msgs(1, 5, T0, "call-a@host");
    let set = WriteSet {
        now: T0,
        messages: new_messages(&a),
        cursors: vec![("spool-1", 41)],
        ..WriteSet::default()
    };
    assert_eq!(store.write(&set).unwrap().messages, 5);
    assert_eq!(store.next_message_id(), MsgId(6));
    assert_eq!(store.cursor("spool-1").unwrap(), Some(41));
    assert_eq!(store.cursor("spool-2").unwrap(), None);

    // The call finishes in a later write together with its last message.
    let b = msgs(6, 1, T0 + 5 * SEC, "call-a@host");
    let spec = CallSpec {
        call_id: "call-a@host",
        ..CallSpec::default()
    };
    let set = WriteSet {
        now: T0 + 5 * SEC,
        messages: new_messages(&b),
        calls: vec![finished(&spec, (1..=6).map(MsgId).collect())],
        cursors: vec![("spool-1", 42)],
        ..WriteSet::default()
    };
    let ack = store.write(&set).unwrap();
    let id = ack.calls[0];
    assert_eq!(id.start, T0);
    assert_eq!(id.to_string().parse::<CallId>().unwrap(), id);

    let call = store.call(id).unwrap().unwrap();
    assert_eq!(call.summary.from_user, "100");
    assert_eq!(call.summary.call_ids, vec!["call-a@host".to_string()]);
    assert_eq!(call.summary.duration, Some(Duration::from_secs(60)));
    assert!(call.record_json.contains("call-a@host"));
    let got = store.messages_of_call(id).unwrap();
    assert_eq!(got.len(), 6);
    assert!(got.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(got[0].raw, a[0].raw);
    assert_eq!(got[0].src, ep("192.0.2.10:5060"));
    assert_eq!(got[0].dst, ep("[2001:db8::20]:5060"));
    assert_eq!(got[0].source, "probe-a");
    assert_eq!(got[5].id, MsgId(6));
    assert_eq!(store.streams_of_call(id).unwrap().len(), 2);
    assert_eq!(store.cursor("spool-1").unwrap(), Some(42));
    assert_eq!(store.calls_by_call_id("call-a@host").unwrap()[0].id, id);
    assert!(store.calls_by_call_id("other").unwrap().is_empty());

    // Ids must increase.
    let old = msgs(3, 1, T0, "x");
    let set = WriteSet {
        messages: new_messages(&old),
        ..WriteSet::default()
    };
    assert!(matches!(
        store.write(&set),
        Err(StoreError::MessageIdOrder { got: 3, min: 7 })
    ));
}

#[test]
fn messages_spanning_many_chunks_are_found_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(
        dir.path(),
        StoreOptions {
            chunk_bytes: 2048,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    // 300 messages of two interleaved calls, several per chunk.
    let mut all: Vec<Msg> = Vec::new();
    for i in 0..300u64 {
        let cid = if i.is_multiple_of(2) { "even" } else { "odd" };
        all.extend(msgs(10 + i * 3, 1, T0 + i, cid));
    }
    let set = WriteSet {
        now: T0,
        messages: new_messages(&all),
        ..WriteSet::default()
    };
    store.write(&set).unwrap();
    let even: Vec<MsgId> = all
        .iter()
        .filter(|m| m.call_id == "even")
        .map(|m| MsgId(m.id))
        .collect();
    let set = WriteSet {
        now: T0,
        calls: vec![finished(
            &CallSpec {
                call_id: "even",
                ..CallSpec::default()
            },
            even.clone(),
        )],
        ..WriteSet::default()
    };
    let id = store.write(&set).unwrap().calls[0];
    let got: Vec<MsgId> = store
        .messages_of_call(id)
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(got, even);
    // The odd ones are still open.
    let open: Vec<_> = store.open_messages().unwrap().map(|m| m.unwrap()).collect();
    assert_eq!(open.len(), 150);
    assert!(open.iter().all(|m| m.call_id == b"odd"));
}

#[test]
fn open_messages_skip_closed_ones_and_follow_open_from_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        let a = msgs(1, 3, T0, "a");
        let b = msgs(4, 3, T0 + SEC, "b");
        let c = msgs(7, 2, T0 + 2 * SEC, "c");
        let mut all = new_messages(&a);
        all.extend(new_messages(&b));
        all.extend(new_messages(&c));
        store
            .write(&WriteSet {
                now: T0,
                messages: all,
                ..WriteSet::default()
            })
            .unwrap();
        // a finishes; the engine no longer needs anything below b's first message.
        store
            .write(&WriteSet {
                now: T0 + 3 * SEC,
                calls: vec![finished(
                    &CallSpec {
                        call_id: "a",
                        ..CallSpec::default()
                    },
                    vec![MsgId(1), MsgId(2), MsgId(3)],
                )],
                open_from: Some(MsgId(4)),
                ..WriteSet::default()
            })
            .unwrap();
        // c finishes too, but b is still in progress.
        store
            .write(&WriteSet {
                now: T0 + 4 * SEC,
                calls: vec![finished(
                    &CallSpec {
                        call_id: "c",
                        ..CallSpec::default()
                    },
                    vec![MsgId(7), MsgId(8)],
                )],
                ..WriteSet::default()
            })
            .unwrap();
        let open: Vec<u64> = store
            .open_messages()
            .unwrap()
            .map(|m| m.unwrap().id.0)
            .collect();
        assert_eq!(open, vec![4, 5, 6]);
    }
    // After a restart the same messages are replayed, and ids go on where they stopped.
    let store = open(dir.path());
    let open: Vec<_> = store.open_messages().unwrap().map(|m| m.unwrap()).collect();
    assert_eq!(
        open.iter().map(|m| m.id.0).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
    assert_eq!(open[0].call_id, b"b");
    assert_eq!(store.next_message_id(), MsgId(9));
}

/// A store with calls spread over three days, each with distinct fields.
fn search_fixture(store: &RocksStore) -> Vec<CallId> {
    let day = 86_400 * SEC;
    write_calls(
        store,
        &[
            CallSpec {
                start: T0,
                from: "4930111",
                to: "4940222",
                call_id: "c1",
                ip: "10.0.0.1",
                status: Some(200),
                dur_s: Some(30),
                mos: Some(4.3),
                source: "probe-a",
            },
            CallSpec {
                start: T0 + 3600 * SEC,
                from: "4930999",
                to: "alice",
                call_id: "c2",
                ip: "10.0.0.2",
                status: Some(486),
                dur_s: None,
                mos: None,
                source: "sbc-1",
            },
            CallSpec {
                start: T0 + day,
                from: "33155501",
                to: "4930111",
                call_id: "c3",
                ip: "2001:db8::5",
                status: Some(200),
                dur_s: Some(600),
                mos: Some(2.9),
                source: "probe-a",
            },
            CallSpec {
                start: T0 + day + 5 * SEC,
                from: "bob",
                to: "555123",
                call_id: "c4",
                ip: "10.0.0.1",
                status: Some(503),
                dur_s: Some(0),
                mos: Some(3.5),
                source: "probe-b",
            },
            CallSpec {
                start: T0 + 2 * day,
                from: "777",
                to: "4930111",
                call_id: "c5",
                ip: "10.0.0.3",
                status: None,
                dur_s: Some(5),
                mos: Some(1.9),
                source: "probe-a",
            },
        ],
    )
}

fn search(store: &RocksStore, q: CallQuery) -> Vec<CallId> {
    ids(&store.search(&q).unwrap().items)
}

#[test]
fn search_by_each_criterion_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let c = search_fixture(&store);
    let day = 86_400 * SEC;
    let q = CallQuery::default;
    // Everything, newest first.
    assert_eq!(search(&store, q()), vec![c[4], c[3], c[2], c[1], c[0]]);
    // Time range: from <= start < to.
    assert_eq!(
        search(
            &store,
            CallQuery {
                from: Some(T0 + 3600 * SEC),
                to: Some(T0 + day + 5 * SEC),
                ..q()
            }
        ),
        vec![c[2], c[1]]
    );
    let number = |n: &str| {
        search(
            &store,
            CallQuery {
                number: Some(n.into()),
                ..q()
            },
        )
    };
    // Exact number, on From or To.
    assert_eq!(number("4930111"), vec![c[4], c[2], c[0]]);
    assert_eq!(number("alice"), vec![c[1]]);
    // Prefix (forward index), suffix (reversed index), infix and `?` (time scan).
    assert_eq!(number("4930*"), vec![c[4], c[2], c[1], c[0]]);
    assert_eq!(number("*111"), vec![c[4], c[2], c[0]]);
    assert_eq!(number("*55*"), vec![c[3], c[2]]);
    assert_eq!(number("49?0222"), vec![c[0]]);
    assert_eq!(number("?77"), vec![c[4]]);
    assert_eq!(number("49*2"), vec![c[0]]);
    assert!(number("4930").is_empty());
    // Call-ID, IP (v4 and v6).
    let cid = |s: &str| {
        search(
            &store,
            CallQuery {
                call_id: Some(s.into()),
                ..q()
            },
        )
    };
    assert_eq!(cid("c3"), vec![c[2]]);
    assert!(cid("c").is_empty());
    let ip = |s: &str| {
        search(
            &store,
            CallQuery {
                ip: Some(s.parse::<IpAddr>().unwrap()),
                ..q()
            },
        )
    };
    assert_eq!(ip("10.0.0.1"), vec![c[3], c[0]]);
    assert_eq!(ip("2001:db8::5"), vec![c[2]]);
    assert_eq!(ip("192.0.2.1").len(), 5);
    assert!(ip("10.9.9.9").is_empty());
    // Status class, duration, MOS, source.
    let status = |s: u8| {
        search(
            &store,
            CallQuery {
                status_class: Some(s),
                ..q()
            },
        )
    };
    assert_eq!(status(2), vec![c[2], c[0]]);
    assert_eq!(status(4), vec![c[1]]);
    assert_eq!(status(5), vec![c[3]]);
    assert_eq!(status(0), vec![c[4]]);
    assert_eq!(
        search(
            &store,
            CallQuery {
                min_duration: Some(Duration::from_secs(30)),
                ..q()
            }
        ),
        vec![c[2], c[0]]
    );
    assert_eq!(
        search(
            &store,
            CallQuery {
                max_duration: Some(Duration::from_secs(5)),
                ..q()
            }
        ),
        vec![c[4], c[3]]
    );
    assert_eq!(
        search(
            &store,
            CallQuery {
                mos_below: Some(3.0),
                ..q()
            }
        ),
        vec![c[4], c[2]]
    );
    assert_eq!(
        search(
            &store,
            CallQuery {
                source: Some("probe-a".into()),
                ..q()
            }
        ),
        vec![c[4], c[2], c[0]]
    );
    // Criteria combine: an index plan plus filters.
    assert_eq!(
        search(
            &store,
            CallQuery {
                number: Some("4930*".into()),
                status_class: Some(2),
                mos_below: Some(4.0),
                ..q()
            }
        ),
        vec![c[2]]
    );
    assert_eq!(
        search(
            &store,
            CallQuery {
                ip: Some("10.0.0.1".parse().unwrap()),
                from: Some(T0 + day),
                ..q()
            }
        ),
        vec![c[3]]
    );
    assert_eq!(
        store
            .calls_by_call_id("c2")
            .unwrap()
            .iter()
            .map(|s| s.source.as_str())
            .collect::<Vec<_>>(),
        vec!["sbc-1"]
    );
}

#[test]
fn paging_walks_every_match_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // 250 calls over ~3 days; every third with number 49301.., every call through 10.1.1.1.
    let specs: Vec<(Nanos, String)> = (0..250u64)
        .map(|i| (T0 + i * 1000 * SEC, format!("4930{}", i % 3)))
        .collect();
    let calls: Vec<CallSpec<'_>> = specs
        .iter()
        .map(|(t, n)| CallSpec {
            start: *t,
            from: n,
            ip: "10.1.1.1",
            ..CallSpec::default()
        })
        .collect();
    let all = write_calls(&store, &calls);
    let number = |n: &str| CallQuery {
        number: Some(n.into()),
        ..CallQuery::default()
    };
    let every_third = |i: usize| i.is_multiple_of(3);
    let second_of_three = |i: usize| i % 3 == 1;
    let all_of = |_: usize| true;
    let cases: [(CallQuery, &dyn Fn(usize) -> bool); 5] = [
        (CallQuery::default(), &all_of),
        (number("49300"), &every_third),
        (number("4930*"), &all_of),
        (number("*01"), &second_of_three),
        (
            CallQuery {
                ip: Some("10.1.1.1".parse().unwrap()),
                ..CallQuery::default()
            },
            &all_of,
        ),
    ];
    for (base, pred) in cases {
        let mut got = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let page = store
                .search(&CallQuery {
                    limit: Some(7),
                    cursor,
                    ..base.clone()
                })
                .unwrap();
            assert!(page.items.len() <= 7);
            got.extend(ids(&page.items));
            pages += 1;
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        let mut want: Vec<CallId> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| pred(*i))
            .map(|(_, id)| *id)
            .collect();
        want.reverse();
        assert_eq!(got, want, "query {base:?}");
        assert!(pages >= want.len() / 7);
    }
}

#[test]
fn search_is_bounded_by_the_scan_budget_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(
        dir.path(),
        StoreOptions {
            scan_budget: 50,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    let specs: Vec<CallSpec<'_>> = (0..200u64)
        .map(|i| CallSpec {
            start: T0 + i * SEC,
            mos: Some(if i == 10 { 1.0 } else { 4.0 }),
            ..CallSpec::default()
        })
        .collect();
    let all = write_calls(&store, &specs);
    // Only one call matches; each page examines at most 50, so the walk takes several pages.
    let mut cursor = None;
    let mut found = Vec::new();
    let mut pages = 0;
    loop {
        let page = store
            .search(&CallQuery {
                mos_below: Some(2.0),
                cursor,
                ..CallQuery::default()
            })
            .unwrap();
        found.extend(ids(&page.items));
        pages += 1;
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(found, vec![all[10]]);
    assert!(pages >= 4);
}

#[test]
fn retention_by_age_deletes_calls_messages_and_index_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let day = 86_400 * SEC;
    // Day 0 and day 5: messages written at those times, one call each.
    let old = msgs(1, 50, T0, "old");
    let new = msgs(51, 50, T0 + 5 * day, "new");
    store
        .write(&WriteSet {
            now: T0,
            messages: new_messages(&old),
            calls: vec![finished(
                &CallSpec {
                    start: T0,
                    call_id: "old",
                    from: "111",
                    ..CallSpec::default()
                },
                (1..=50).map(MsgId).collect(),
            )],
            ..WriteSet::default()
        })
        .unwrap();
    let new_id = store
        .write(&WriteSet {
            now: T0 + 5 * day,
            messages: new_messages(&new),
            calls: vec![finished(
                &CallSpec {
                    start: T0 + 5 * day,
                    call_id: "new",
                    from: "111",
                    ..CallSpec::default()
                },
                (51..=90).map(MsgId).collect(),
            )],
            ..WriteSet::default()
        })
        .unwrap()
        .calls[0];
    let stats = store
        .enforce_retention(T0 + 6 * day, Duration::from_secs(3 * 86_400), u64::MAX)
        .unwrap();
    assert_eq!(stats.rounds, 1);
    assert_eq!(stats.messages_before, 51);
    assert!(store.calls_by_call_id("old").unwrap().is_empty());
    assert_eq!(
        search(
            &store,
            CallQuery {
                number: Some("111".into()),
                ..CallQuery::default()
            }
        ),
        vec![new_id]
    );
    assert_eq!(search(&store, CallQuery::default()), vec![new_id]);
    assert_eq!(store.messages_of_call(new_id).unwrap().len(), 40);
    // Open messages: only the new call's 10 unclosed ones.
    let open_ids: Vec<u64> = store
        .open_messages()
        .unwrap()
        .map(|m| m.unwrap().id.0)
        .collect();
    assert_eq!(open_ids, (91..=100).collect::<Vec<_>>());
    // Nothing more is old enough: a second run deletes nothing.
    let again = store
        .enforce_retention(T0 + 6 * day, Duration::from_secs(3 * 86_400), u64::MAX)
        .unwrap();
    assert_eq!(again.rounds, 0);
    // The retention survives a restart.
    drop(store);
    let store = open(dir.path());
    assert!(store.calls_by_call_id("old").unwrap().is_empty());
    assert_eq!(search(&store, CallQuery::default()), vec![new_id]);
}

/// Writes `batches` batches of 500 messages and 10 calls each, starting at `now`.
fn fill(store: &RocksStore, first_batch: u64, batches: u64, now: Nanos) {
    for b in first_batch..first_batch + batches {
        let first = store.next_message_id().0;
        let t = now + b * SEC;
        let ms = msgs(first, 500, t, &format!("fill-{b}"));
        let calls: Vec<FinishedCall> = (0..10u64)
            .map(|i| {
                let cid = format!("fill-{b}-{i}");
                // Calls start before their messages are written.
                let spec = CallSpec {
                    start: t - SEC + i,
                    call_id: &cid,
                    ..CallSpec::default()
                };
                finished(
                    &spec,
                    (first + i * 50..first + i * 50 + 50).map(MsgId).collect(),
                )
            })
            .collect();
        store
            .write(&WriteSet {
                now: t,
                messages: new_messages(&ms),
                calls,
                ..WriteSet::default()
            })
            .unwrap();
    }
}

#[test]
fn retention_by_size_frees_disk_while_a_writer_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        RocksStore::open(
            dir.path(),
            StoreOptions {
                message_memtable_bytes: 1 << 20,
                ..StoreOptions::default()
            },
        )
        .unwrap(),
    );
    // About 30 MB of messages.
    fill(&store, 0, 100, T0);
    let before = store.stats().unwrap().total_bytes;
    assert!(before > 4 << 20, "{before}");
    let budget = before / 3;

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut b = 1000;
            while !stop.load(Ordering::Relaxed) {
                fill(&store, b, 1, T0 + 10_000 * SEC);
                b += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            b - 1000
        })
    };
    let stats = store
        .enforce_retention(T0 + 20_000 * SEC, Duration::from_secs(365 * 86_400), budget)
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(stats.rounds >= 1 && stats.calls_before > T0, "{stats:?}");
    // The oldest calls went first: what is left of the first fill is its newest part.
    assert!(store.calls_by_call_id("fill-0-0").unwrap().is_empty());
    let kept: Vec<bool> = (0..100)
        .map(|b| {
            !store
                .calls_by_call_id(&format!("fill-{b}-0"))
                .unwrap()
                .is_empty()
        })
        .collect();
    assert!(kept.windows(2).all(|w| w[1] || !w[0]), "{kept:?}");
    // The writer's batches are whole or gone, and its last one is there.
    for b in 1000..1000 + written {
        let c = store.calls_by_call_id(&format!("fill-{b}-3")).unwrap();
        if let Some(c) = c.first() {
            assert_eq!(store.messages_of_call(c.id).unwrap().len(), 50, "batch {b}");
        }
    }
    assert_eq!(
        store
            .calls_by_call_id(&format!("fill-{}-9", 999 + written))
            .unwrap()
            .len(),
        1
    );
    // Once the writer stopped, a run gets under the budget.
    let stats = store
        .enforce_retention(T0 + 20_000 * SEC, Duration::from_secs(365 * 86_400), budget)
        .unwrap();
    assert!(stats.bytes_after <= budget, "{stats:?} budget {budget}");
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let id;
    {
        let store = open(dir.path());
        fill(&store, 0, 3, T0);
        id = store.calls_by_call_id("fill-1-4").unwrap()[0].id;
        store
            .write(&WriteSet {
                now: T0,
                cursors: vec![("probe-a/spool", 123_456)],
                ..WriteSet::default()
            })
            .unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.cursor("probe-a/spool").unwrap(), Some(123_456));
    assert_eq!(store.next_message_id(), MsgId(1501));
    assert_eq!(store.messages_of_call(id).unwrap().len(), 50);
    assert_eq!(store.streams_of_call(id).unwrap().len(), 2);
    assert_eq!(
        search(
            &store,
            CallQuery {
                limit: Some(1000),
                ..CallQuery::default()
            }
        )
        .len(),
        30
    );
    // New calls get new ids after the restart.
    fill(&store, 3, 1, T0);
    let all = search(
        &store,
        CallQuery {
            limit: Some(1000),
            ..CallQuery::default()
        },
    );
    assert_eq!(all.len(), 40);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 40);
    let stats = store.stats().unwrap();
    assert_eq!(stats.column_families.len(), 8);
    assert!(stats.total_bytes > 0);
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    {
        let opts = rocksdb::Options::default();
        let cfs = rocksdb::DB::list_cf(&opts, dir.path()).unwrap();
        let db = rocksdb::DB::open_cf(&opts, dir.path(), &cfs).unwrap();
        let meta = db.cf_handle("meta").unwrap();
        db.put_cf(meta, b"schema", 99u32.to_be_bytes()).unwrap();
    }
    let err = RocksStore::open(dir.path(), StoreOptions::default()).unwrap_err();
    assert!(matches!(
        err,
        StoreError::SchemaTooNew {
            found: 99,
            supported: 1,
            ..
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("schema version 99") && text.contains("upgrade"),
        "{text}"
    );
}

const KILL_DIR_ENV: &str = "CALLSCOPE_STORAGE_KILL_TEST_DIR";
const KILL_BATCH: u64 = 200;

/// The child of `kill_9_loses_no_acknowledged_write`: writes batches forever and prints the id
/// of each after `write` returned. Does nothing when run as an ordinary test.
#[test]
fn kill_9_child_writer() {
    let Ok(dir) = std::env::var(KILL_DIR_ENV) else {
        return;
    };
    use std::io::Write;
    let store = open(std::path::Path::new(&dir));
    let mut out = std::io::stdout().lock();
    for b in 0u64.. {
        let first = 1 + b * KILL_BATCH;
        let cid = format!("batch-{b}");
        let ms = msgs(first, KILL_BATCH as usize, T0 + b * SEC, &cid);
        let spec = CallSpec {
            start: T0 + b * SEC,
            call_id: &cid,
            ..CallSpec::default()
        };
        store
            .write(&WriteSet {
                now: T0 + b * SEC,
                messages: new_messages(&ms),
                calls: vec![finished(
                    &spec,
                    (first..first + KILL_BATCH).map(MsgId).collect(),
                )],
                cursors: vec![("kill-spool", b)],
                ..WriteSet::default()
            })
            .unwrap();
        writeln!(out, "ACK {b}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_9_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(KILL_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked: Vec<u64> = Vec::new();
    // Kill it (SIGKILL) mid-run, after some acknowledgements.
    for line in lines.by_ref() {
        let line = line.unwrap();
        // libtest's own progress text may precede the first line on the same line.
        if let Some((_, b)) = line.split_once("ACK ") {
            acked.push(b.trim().parse().unwrap());
            if acked.len() == 40 {
                child.kill().unwrap();
                break;
            }
        }
    }
    // Acknowledgements already in the pipe count too.
    for line in lines {
        if let Some((_, b)) = line.unwrap().split_once("ACK ") {
            acked.push(b.trim().parse().unwrap());
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child must have been killed");
    let last = *acked.last().expect("the child acknowledged writes");
    assert_eq!(acked, (0..=last).collect::<Vec<_>>());

    let store = open(dir.path());
    // Every acknowledged batch is complete.
    for b in 0..=last {
        let calls = store.calls_by_call_id(&format!("batch-{b}")).unwrap();
        assert_eq!(calls.len(), 1, "batch {b}");
        let ms = store.messages_of_call(calls[0].id).unwrap();
        assert_eq!(ms.len(), KILL_BATCH as usize, "batch {b}");
        assert_eq!(ms[0].id, MsgId(1 + b * KILL_BATCH));
    }
    // A batch written but not acknowledged before the kill is whole or absent, never partial.
    let stored = store.next_message_id().0 - 1;
    assert!(
        stored.is_multiple_of(KILL_BATCH),
        "{stored} messages: a partial batch"
    );
    let batches = stored / KILL_BATCH;
    assert!(batches > last, "acknowledged {last}, stored {batches}");
    let cursor = store.cursor("kill-spool").unwrap().unwrap();
    assert_eq!(cursor, batches - 1);
    for b in batches..batches + 2 {
        assert!(
            store
                .calls_by_call_id(&format!("batch-{b}"))
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(store.open_messages().unwrap().count(), 0);
}
