//! The live path (probe: frames -> SIP events + stream reports; engine: call assembly) gives
//! the same calls and stream figures as the batch `analyze` path on the same capture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_shared::analysis::assemble::{CallAssembler, SipInput};
use callscope_shared::analysis::live::{LiveEvent, LivePolicy, StreamReport};
use callscope_shared::analysis::report::Report;
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::wire::capture::CaptureReader;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn file(rel: &str) -> Option<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    match std::fs::read(root.join(rel)) {
        Ok(b) => Some(b),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{rel}: {e} (CI=true: reference files must be present)"
            );
            eprintln!("skipping {rel}: {e}");
            None
        }
    }
}

fn batch(bytes: &[u8]) -> Report {
    let mut a = Analyzer::new(AnalyzerConfig::default());
    for f in CaptureReader::new(bytes).unwrap() {
        a.on_frame(&f.unwrap());
    }
    a.finish()
}

/// Probe then engine, as deployed: reports every 5 s, pruning every second of capture time.
fn live(bytes: &[u8]) -> (Vec<Report>, usize) {
    let policy = LivePolicy::default();
    let mut probe = Analyzer::new(AnalyzerConfig {
        live: true,
        ..AnalyzerConfig::default()
    });
    let mut sip = Vec::new();
    let mut reports: Vec<StreamReport> = Vec::new();
    let mut last_tick = 0;
    let mut now = 0;
    for f in CaptureReader::new(bytes).unwrap() {
        let f = f.unwrap();
        now = f.ts;
        probe.on_frame_live(&f, &mut |ev| {
            if let LiveEvent::Sip {
                ts,
                flow,
                transport,
                bytes,
                ..
            } = ev
            {
                sip.push(SipInput {
                    ts,
                    flow,
                    transport,
                    bytes: bytes.to_vec(),
                });
            }
        });
        if now >= last_tick + 1_000_000_000 {
            last_tick = now;
            probe.poll_reports(now, &policy, &mut |r| reports.push(r));
            probe.prune(now, &policy, &mut |r| reports.push(r));
        }
    }
    // End of capture: every stream's final report.
    probe.prune(
        now.saturating_add(policy.idle_timeout + policy.stream_idle),
        &policy,
        &mut |r| reports.push(r),
    );
    let n_reports = reports.len();
    let mut engine = CallAssembler::new(AnalyzerConfig::default());
    for m in sip {
        engine.on_sip(m);
    }
    for r in reports {
        // Through JSON, as on the wire.
        let json = serde_json::to_vec(&r).unwrap();
        engine.on_report(serde_json::from_slice(&json).unwrap());
    }
    let mut out: Vec<Report> = engine.flush_all().into_iter().map(|c| c.report).collect();
    out.sort_by(|a, b| a.summary.first.cmp(&b.summary.first));
    (out, n_reports)
}

/// Call -> (state, final status, legs, [stream figures]) keyed by sorted Call-IDs.
type CallView = BTreeMap<Vec<String>, (String, Option<u16>, usize, Vec<String>)>;

fn view(reports: &[Report]) -> CallView {
    let mut v = BTreeMap::new();
    for r in reports {
        for c in &r.calls {
            let mut ids = c.call_ids.clone();
            ids.sort();
            let mut streams: Vec<String> = c
                .streams
                .iter()
                .map(|&i| {
                    let s = &r.streams[i];
                    format!(
                        "{}>{} {} pk={} lost={} maxd={} maxj={} meanj={} mos={:?}",
                        s.src,
                        s.dst,
                        s.ssrc,
                        s.packets,
                        s.lost,
                        s.max_delta_ms,
                        s.max_jitter_ms,
                        s.mean_jitter_ms,
                        s.mos
                    )
                })
                .collect();
            streams.sort();
            v.insert(
                ids,
                (
                    format!("{:?}", c.state),
                    c.final_status,
                    c.legs.len(),
                    streams,
                ),
            );
        }
    }
    v
}

fn check(rel: &str) {
    let Some(bytes) = file(rel) else { return };
    let b = batch(&bytes);
    let (l, n_reports) = live(&bytes);
    let (bv, lv) = (view(std::slice::from_ref(&b)), view(&l));
    assert_eq!(bv, lv, "{rel}: live path differs from analyze");
    assert_eq!(
        b.other.len(),
        l.iter().map(|r| r.other.len()).sum::<usize>(),
        "{rel}: non-call Call-IDs"
    );
    if !b.streams.is_empty() {
        assert!(n_reports >= b.streams.len(), "{rel}: a report per stream");
    }
}

#[test]
fn b2bua_chain_with_media() {
    check("pcaps/b2bua_chain.pcap");
}

#[test]
fn rtcp_xr_and_vq_publish() {
    check("pcaps/vq_xr.pcap");
}

#[test]
fn tcp_websocket_sctp_signalling() {
    check("pcaps/tcp_framing.pcap");
    check("pcaps/ws_sctp.pcap");
}

#[test]
fn corpus_sipp_calls_with_rtp() {
    check("../shared/corpus/pcaps/sipp_g711a.pcap");
    check("../shared/corpus/pcaps/gen_sipp_uac_pcap_rtp_echo.pcap");
    check("../shared/corpus/pcaps/gen_sipp_failures_cancel_register.pcap");
    check("../shared/corpus/pcaps/heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap");
    check("../shared/corpus/pcaps/sv_public-cloudshark-sip-s0.pcap");
}

#[test]
fn periodic_reports_are_cumulative_and_final_one_matches() {
    let Some(bytes) = file("pcaps/b2bua_chain.pcap") else {
        return;
    };
    let policy = LivePolicy {
        report_interval: 1_000_000_000,
        ..LivePolicy::default()
    };
    let mut probe = Analyzer::new(AnalyzerConfig {
        live: true,
        ..AnalyzerConfig::default()
    });
    let mut reports = Vec::new();
    for f in CaptureReader::new(&bytes).unwrap() {
        let f = f.unwrap();
        probe.on_frame_live(&f, &mut |_| {});
        probe.poll_reports(f.ts, &policy, &mut |r| reports.push(r));
    }
    probe.prune(u64::MAX / 2, &policy, &mut |r| reports.push(r));
    assert!(reports.iter().any(|r| !r.final_report), "periodic reports");
    // Packet counts never go down between reports of one stream.
    let mut last: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for r in &reports {
        let k = (
            r.stream.src.to_string(),
            r.stream.dst.to_string(),
            r.stream.ssrc.clone(),
        );
        let prev = last.insert(k, r.stream.packets).unwrap_or(0);
        assert!(r.stream.packets >= prev);
    }
    let b = batch(&bytes);
    let finals: Vec<_> = reports.iter().filter(|r| r.final_report).collect();
    assert_eq!(finals.len(), b.streams.len());
    for s in &b.streams {
        let f = finals
            .iter()
            .find(|r| r.stream.src == s.src && r.stream.ssrc == s.ssrc)
            .unwrap();
        assert_eq!(f.stream.tshark_row, s.tshark_row);
        assert_eq!(f.call_id, s.call_id);
        // The final report carries the whole quality series, as `analyze` computes it, and
        // it survives the JSON the probe sends.
        assert!(s.series.is_some());
        assert_eq!(f.stream.series, s.series);
        let json = serde_json::to_string(&f.stream).unwrap();
        let back: callscope_shared::analysis::report::StreamRecord =
            serde_json::from_str(&json).unwrap();
        assert_eq!(back.series, s.series);
        // An interim report's closed buckets are already final (counts, jitter; MOS uses the
        // stream's delay estimate, which can still move).
        let whole = s.series.as_ref().unwrap();
        for r in reports
            .iter()
            .filter(|r| !r.final_report && r.stream.src == s.src && r.stream.ssrc == s.ssrc)
        {
            let part = r.stream.series.as_ref().unwrap();
            assert_eq!(part.start, whole.start);
            let closed = part.packets.len() - 1;
            assert_eq!(part.packets[..closed], whole.packets[..closed]);
            assert_eq!(part.jitter_max_ms[..closed], whole.jitter_max_ms[..closed]);
        }
    }
    // Nothing stays open once every call is over.
    assert_eq!(probe.open_counts(), (0, 0));
}
