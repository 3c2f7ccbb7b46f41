use super::*;
use proptest::prelude::*;

fn cfg(dir: &Path, max: u64, seg: u64) -> SpoolConfig {
    let mut c = SpoolConfig::new(dir, max);
    c.segment_bytes = seg;
    c
}

fn rec(i: u64, len: usize) -> Vec<u8> {
    let mut v = i.to_le_bytes().to_vec();
    v.resize(len.max(8), (i % 251) as u8);
    v
}

fn all(s: &mut Spool, from: u64) -> Vec<Record> {
    s.read_from(from).unwrap().map(Result::unwrap).collect()
}

fn seg_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

#[test]
fn reopen_keeps_unacked_records_in_order_and_seq_continues() {
    let dir = tempfile::tempdir().unwrap();
    let id;
    {
        let mut s = Spool::open(cfg(dir.path(), 1 << 20, 1024)).unwrap();
        id = s.id();
        for i in 1..=50 {
            assert_eq!(s.append(&rec(i, 40)).unwrap(), Some(i));
        }
        s.ack(20).unwrap();
        s.flush().unwrap();
    }
    let mut s = Spool::open(cfg(dir.path(), 1 << 20, 1024)).unwrap();
    assert_eq!(s.id(), id, "the spool id survives a restart");
    assert_eq!(s.acked(), 20);
    assert_eq!(s.next_seq(), 51);
    assert_eq!(s.usage().records, 30);
    let from = s.acked() + 1;
    let got = all(&mut s, from);
    let seqs: Vec<u64> = got.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (21..=50).collect::<Vec<_>>());
    for r in &got {
        assert_eq!(r.bytes, rec(r.seq, 40));
    }
    assert_eq!(s.append(b"next").unwrap(), Some(51));
    assert_eq!(s.recovery().cuts, 0);
}

#[test]
fn ack_frees_whole_segments_but_never_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(cfg(dir.path(), 1 << 20, 256)).unwrap();
    // 56-byte records: 4 per 256-byte segment.
    for i in 1..=20 {
        s.append(&rec(i, 40)).unwrap();
    }
    s.flush().unwrap();
    assert_eq!(seg_files(dir.path()).len(), 5);
    let before = s.usage().bytes;
    assert_eq!(before, 20 * 56);
    s.ack(9).unwrap(); // segments 1-4 and 5-8 are fully acked, 9-12 not
    assert_eq!(seg_files(dir.path()).len(), 3);
    assert_eq!(s.usage().bytes, before - 8 * 56);
    assert_eq!(s.usage().records, 11);
    s.ack(20).unwrap();
    assert_eq!(seg_files(dir.path()).len(), 1, "the last segment stays");
    assert_eq!(s.usage().records, 0);
    // An old or too-high ack is harmless.
    s.ack(3).unwrap();
    s.ack(1000).unwrap();
    assert_eq!(s.acked(), 20);
    drop(s);
    let mut s = Spool::open(cfg(dir.path(), 1 << 20, 256)).unwrap();
    assert_eq!(s.next_seq(), 21);
    assert!(all(&mut s, 21).is_empty());
}

#[test]
fn full_spool_drops_and_counts_then_accepts_again_after_ack() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(cfg(dir.path(), 560, 112)).unwrap();
    for i in 1..=10 {
        assert_eq!(s.append(&rec(i, 40)).unwrap(), Some(i));
    }
    for _ in 0..5 {
        assert_eq!(s.append(&rec(99, 40)).unwrap(), None);
    }
    assert_eq!(s.usage().dropped, 5);
    assert_eq!(s.usage().bytes, 560);
    // Dropped records take no sequence number.
    s.ack(4).unwrap();
    assert_eq!(s.append(&rec(11, 40)).unwrap(), Some(11));
    // A record larger than the whole spool is dropped too.
    assert_eq!(s.append(&vec![0; 600]).unwrap(), None);
    assert_eq!(s.usage().dropped, 6);
    let seqs: Vec<u64> = all(&mut s, 5).iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (5..=11).collect::<Vec<_>>());
}

#[test]
fn torn_tail_is_cut_at_every_offset() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    {
        let mut s = Spool::open(cfg(&src, 1 << 20, 1 << 20)).unwrap();
        for i in 1..=5 {
            s.append(&rec(i, 20 + i as usize)).unwrap();
        }
    }
    let seg = seg_files(&src).pop().unwrap();
    let full = std::fs::read(&seg).unwrap();
    let meta = std::fs::read(src.join("meta")).unwrap();
    // Record boundaries.
    let mut ends = vec![0usize];
    for i in 1..=5 {
        ends.push(ends.last().unwrap() + 16 + 20 + i);
    }
    assert_eq!(*ends.last().unwrap(), full.len());
    for cut in 0..=full.len() {
        let d = dir.path().join(format!("cut{cut}"));
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("meta"), &meta).unwrap();
        std::fs::write(d.join(seg.file_name().unwrap()), &full[..cut]).unwrap();
        let mut s = Spool::open(cfg(&d, 1 << 20, 1 << 20)).unwrap();
        let whole = ends.iter().rposition(|&e| e <= cut).unwrap();
        assert_eq!(
            s.recovery().cuts,
            u64::from(ends[whole] != cut),
            "cut {cut}"
        );
        assert_eq!(s.recovery().cut_bytes as usize, cut - ends[whole]);
        let got = all(&mut s, 1);
        assert_eq!(got.len(), whole, "cut {cut}");
        // Writing goes on right after the last whole record.
        assert_eq!(s.append(b"after").unwrap(), Some(whole as u64 + 1));
        drop(s);
        let mut s = Spool::open(cfg(&d, 1 << 20, 1 << 20)).unwrap();
        let got = all(&mut s, 1);
        assert_eq!(got.len(), whole + 1);
        assert_eq!(got.last().unwrap().bytes, b"after");
        assert_eq!(s.recovery().cuts, 0);
    }
}

#[test]
fn corrupt_byte_in_the_middle_cuts_there() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Spool::open(cfg(dir.path(), 1 << 20, 1 << 20)).unwrap();
        for i in 1..=4 {
            s.append(&rec(i, 30)).unwrap();
        }
    }
    let seg = seg_files(dir.path()).pop().unwrap();
    let mut b = std::fs::read(&seg).unwrap();
    b[46 + 20] ^= 0xff; // a payload byte of record 2
    std::fs::write(&seg, b).unwrap();
    let mut s = Spool::open(cfg(dir.path(), 1 << 20, 1 << 20)).unwrap();
    assert_eq!(s.recovery().cuts, 1);
    let got = all(&mut s, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(s.next_seq(), 2);
}

#[test]
fn acked_ahead_of_records_never_reuses_a_number() {
    // Power failure: the fsynced `acked` file says 10, the records after 6 were lost.
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Spool::open(cfg(dir.path(), 1 << 20, 1 << 20)).unwrap();
        for i in 1..=10 {
            s.append(&rec(i, 30)).unwrap();
        }
        s.flush().unwrap();
        s.ack(10).unwrap();
        s.sync().unwrap();
    }
    let seg = seg_files(dir.path()).pop().unwrap();
    let b = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &b[..6 * 46]).unwrap();
    let mut s = Spool::open(cfg(dir.path(), 1 << 20, 1 << 20)).unwrap();
    assert_eq!(s.acked(), 10);
    assert_eq!(s.append(b"x").unwrap(), Some(11));
    let seqs: Vec<u64> = all(&mut s, 11).iter().map(|r| r.seq).collect();
    assert_eq!(seqs, vec![11]);
}

#[test]
fn read_resumes_from_the_hint_and_sees_new_appends() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(cfg(dir.path(), 1 << 20, 4096)).unwrap();
    for i in 1..=100 {
        s.append(&rec(i, 50)).unwrap();
    }
    let mut next = 1;
    let mut seen = Vec::new();
    for round in 0..30 {
        let batch: Vec<Record> = s
            .read_from(next)
            .unwrap()
            .take(7)
            .map(Result::unwrap)
            .collect();
        if let Some(last) = batch.last() {
            next = last.seq + 1;
        }
        seen.extend(batch.iter().map(|r| r.seq));
        if round == 5 {
            for i in 101..=120 {
                s.append(&rec(i, 50)).unwrap();
            }
        }
    }
    assert_eq!(seen, (1..=120).collect::<Vec<_>>());
    // Reading from an acknowledged (deleted) number starts at the first stored record.
    s.ack(90).unwrap();
    let first = s.read_from(1).unwrap().next().unwrap().unwrap().seq;
    assert!(first <= 91 && first > 1, "{first}");
}

#[derive(Debug, Clone)]
enum Op {
    Append(usize),
    Ack(u64),
    Flush,
    Reopen,
    Read,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..120).prop_map(Op::Append),
        2 => (0u64..40).prop_map(Op::Ack),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
        1 => Just(Op::Read),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Model: the unacknowledged records in order, the next sequence number.
    #[test]
    fn append_ack_reopen_matches_model(ops in proptest::collection::vec(op(), 1..80)) {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(dir.path(), 1 << 20, 300);
        let mut s = Spool::open(c.clone()).unwrap();
        let mut pending: VecDeque<(u64, Vec<u8>)> = VecDeque::new();
        let mut next = 1u64;
        let mut acked = 0u64;
        for (n, op) in ops.into_iter().enumerate() {
            match op {
                Op::Append(len) => {
                    let bytes = vec![(n % 256) as u8; len];
                    prop_assert_eq!(s.append(&bytes).unwrap(), Some(next));
                    pending.push_back((next, bytes));
                    next += 1;
                }
                Op::Ack(back) => {
                    let target = (next - 1).saturating_sub(back);
                    s.ack(target).unwrap();
                    acked = acked.max(target);
                    while pending.front().is_some_and(|(q, _)| *q <= acked) {
                        pending.pop_front();
                    }
                }
                Op::Flush => s.flush().unwrap(),
                Op::Reopen => {
                    drop(s);
                    s = Spool::open(c.clone()).unwrap();
                    prop_assert_eq!(s.recovery().cuts, 0);
                }
                Op::Read => {}
            }
            prop_assert_eq!(s.next_seq(), next);
            prop_assert_eq!(s.acked(), acked);
            prop_assert_eq!(s.usage().records, pending.len() as u64);
            let got: Vec<(u64, Vec<u8>)> = s
                .read_from(acked + 1)
                .unwrap()
                .map(|r| r.map(|r| (r.seq, r.bytes)).unwrap())
                .collect();
            prop_assert_eq!(&got, &pending.iter().cloned().collect::<Vec<_>>());
        }
        let on_disk: u64 = seg_files(dir.path())
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum();
        s.flush().unwrap();
        let on_disk_after: u64 = seg_files(dir.path())
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum();
        prop_assert!(on_disk <= s.usage().bytes);
        prop_assert_eq!(on_disk_after, s.usage().bytes);
    }
}
