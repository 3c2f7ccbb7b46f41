#![no_main]
//! Arbitrary packet sequences into one `StreamStats`.
//!
//! Input: a config byte (dynamic PT mapping), then 10-byte records
//! `dt(u16, 10 µs units) seq(u16) ts(u32) pt|marker(u8) raw(u8)`. When `raw` is odd the rest of
//! the input after the record is parsed as an RTP packet instead (arbitrary header shapes).
//! Invariants: no panic; `packets()` equals the packets accepted by `new_checked`; tshark's
//! packet count agrees; jitter figures are finite and non-negative (min may be the −1
//! "none" sentinel); MOS, when given, is within [1, 4.5].
use callscope_shared::rtp::codec::by_static_pt;
use callscope_shared::rtp::emodel::mos_for_stream;
use callscope_shared::rtp::{RtpPacket, StreamStats};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, mut rest)) = data.split_first() else {
        return;
    };
    let mut s = StreamStats::new();
    match cfg & 3 {
        1 => s.set_rtpmap(96 + (cfg >> 3), "telephone-event", 8000),
        2 => s.set_rtpmap(96 + (cfg >> 3), "opus", 48000),
        3 => s.set_rtpmap(96 + (cfg >> 3), "AMR-WB", 0),
        _ => {}
    }
    let mut t: u64 = 1_700_000_000_000_000_000;
    if cfg & 4 != 0 {
        // tshark measures from the capture's first packet.
        s.set_time_origin(t - u64::from(cfg) * 1_000_000);
    }
    let mut accepted = 0u64;
    while let Some((rec, tail)) = rest.split_first_chunk::<10>() {
        rest = tail;
        t += u64::from(u16::from_be_bytes([rec[0], rec[1]])) * 10_000;
        if rec[9] & 1 == 1 {
            let take = usize::from(rec[9] >> 1).min(rest.len());
            let (pkt, tail) = rest.split_at(take);
            rest = tail;
            if let Ok(p) = RtpPacket::new_checked(pkt) {
                s.on_packet(t, &p);
                accepted += 1;
            }
            continue;
        }
        let mut b = [0u8; 12];
        b[0] = 0x80;
        b[1] = rec[8];
        b[2..4].copy_from_slice(&rec[2..4]);
        b[4..8].copy_from_slice(&rec[4..8]);
        b[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        let p = RtpPacket::new_checked(&b).expect("well-formed header");
        s.on_packet(t, &p);
        accepted += 1;
    }
    assert_eq!(s.packets(), accepted);
    let row = s.tshark().row();
    assert_eq!(u64::from(row.packets), accepted);
    for v in [
        row.mean_jitter_ms,
        row.max_jitter_ms,
        row.mean_delta_ms,
        row.max_delta_ms,
    ] {
        assert!(v.is_finite() && v >= 0.0, "{row:?}");
    }
    assert!(
        row.min_jitter_ms == -1.0 || (row.min_jitter_ms.is_finite() && row.min_jitter_ms >= 0.0)
    );
    if let Some(j) = s.jitter_ms() {
        assert!(j.is_finite() && j >= 0.0, "{j}");
    }
    assert!(s.duplicates() + s.late() <= accepted);
    while let Some(w) = s.pop_interval() {
        assert!(w.ppl_percent().is_finite() && w.burst_r() >= 1.0);
    }
    // The quality series: bounded, every non-duplicate packet counted once.
    let series = s.series();
    assert!(series.len() <= callscope_shared::rtp::series::SERIES_MAX_BUCKETS);
    let received: u64 = series.buckets().map(|b| u64::from(b.received)).sum();
    assert_eq!(received, accepted - s.duplicates());
    for b in series.buckets() {
        assert!(b.mean_jitter_ms().is_none_or(|j| j.is_finite() && j >= 0.0));
        let iv = b.as_interval(0, 0);
        assert!(iv.ppl_percent().is_finite() && iv.burst_r() >= 1.0);
    }
    if let Ok(q) = mos_for_stream(&s, by_static_pt(0), Some(50.0)) {
        assert!((1.0..=4.5).contains(&q.mos), "{q:?}");
        assert!(q.ppl >= 0.0 && q.ppl <= 100.0 && q.burst_r >= 1.0);
    }
});
