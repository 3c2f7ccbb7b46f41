//! The pcapng export read by tshark: every SIP message (UDP, TCP, WebSocket as TCP, SCTP) and
//! every RTCP packet of our captures and the corpus is decoded as in the original capture,
//! with valid IP, UDP, TCP and SCTP checksums.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_shared::analysis::live::LiveEvent;
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::export::pcapng::{ExportPacket, PcapngWriter, call_comment};
use callscope_shared::net::Transport;
use callscope_shared::wire::capture::CaptureReader;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn have_tshark() -> bool {
    if Command::new("tshark").arg("-v").output().is_ok() {
        return true;
    }
    assert!(!ci(), "tshark is needed (apt-get install tshark)");
    eprintln!("note: tshark not installed; test skipped outside CI");
    false
}

/// Exports what a probe forwards for `capture` (SIP and RTCP) to `out`. Returns the Call-IDs
/// of the SIP messages (sorted) and the number of RTCP packets.
fn export(capture: &Path, out: &Path) -> (Vec<String>, usize) {
    let bytes = std::fs::read(capture).unwrap();
    let mut a = Analyzer::new(AnalyzerConfig {
        live: true,
        ..AnalyzerConfig::default()
    });
    let mut file = Vec::new();
    PcapngWriter::header(&mut file, &call_comment("test", 1_700_000_000_000_000_000));
    let mut w = PcapngWriter::new();
    let mut rtcp = 0;
    let mut ids = Vec::new();
    for f in CaptureReader::new(&bytes).unwrap() {
        a.on_frame_live(&f.unwrap(), &mut |e| {
            let p = match e {
                LiveEvent::Sip {
                    ts,
                    flow,
                    transport,
                    bytes,
                    call_id,
                } => {
                    ids.extend(call_id.map(str::to_owned));
                    ExportPacket {
                        ts,
                        src: flow.src,
                        dst: flow.dst,
                        transport,
                        payload: bytes,
                        comment: None,
                    }
                }
                LiveEvent::Rtcp {
                    ts, flow, bytes, ..
                } => {
                    rtcp += 1;
                    ExportPacket {
                        ts,
                        src: flow.src,
                        dst: flow.dst,
                        transport: Transport::Udp,
                        payload: bytes,
                        comment: Some("rtcp"),
                    }
                }
            };
            w.packet(&mut file, &p);
        });
    }
    std::fs::write(out, &file).unwrap();
    ids.sort();
    (ids, rtcp)
}

/// tshark's `fields` of the frames matching `filter`, one line per frame (`-E occurrence=a`:
/// every occurrence, comma separated).
fn tshark_lines(file: &Path, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args([
        "-n",
        "-o",
        "sctp.checksum:CRC-32C",
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-o",
        "tcp.check_checksum:TRUE",
        "-r",
    ])
    .arg(file)
    .args(["-Y", filter, "-T", "fields", "-E", "occurrence=a"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn tshark(file: &Path, filter: &str, field: &str) -> Vec<String> {
    let out = Command::new("tshark")
        .args([
            "-n",
            "-o",
            "sctp.checksum:CRC-32C",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-r",
        ])
        .arg(file)
        .args([
            "-Y",
            filter,
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-e",
            field,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .flat_map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect()
}

/// SIP Call-IDs (one per message) as tshark decodes them, sorted.
fn call_ids(file: &Path) -> Vec<String> {
    let mut v = tshark(file, "sip", "sip.Call-ID");
    v.sort();
    v
}

/// Checks the export of `capture`; returns its RTCP packet count.
fn check(capture: &Path, dir: &Path) -> usize {
    let name = capture.file_name().unwrap().to_string_lossy().into_owned();
    let out = dir.join(format!("{name}.export.pcapng"));
    let (stored, rtcp) = export(capture, &out);
    assert!(!stored.is_empty(), "{name}: no SIP");
    // Every stored message, one Call-ID each (tshark on the original capture may decode fewer:
    // it misses some TCP framings the engine handles).
    // One tshark run for the SIP and RTCP, one for anything wrong.
    let lines = tshark_lines(&out, "sip || rtcp", &["sip.Call-ID", "rtcp.version"]);
    let mut ids: Vec<String> = lines
        .iter()
        .filter_map(|l| l.split('\t').next())
        .flat_map(|f| f.split(','))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    ids.sort();
    assert_eq!(
        ids, stored,
        "{name}: SIP messages (Call-ID each) tshark decodes"
    );
    let rtcp_frames = lines
        .iter()
        .filter(|l| l.split('\t').nth(1).is_some_and(|v| !v.is_empty()))
        .count();
    assert_eq!(rtcp_frames, rtcp, "{name}: RTCP packets");
    let bad = tshark(
        &out,
        "ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || sctp.checksum.status == \"Bad\" || _ws.malformed || tcp.analysis.flags",
        "frame.number",
    );
    assert!(
        bad.is_empty(),
        "{name}: frames with bad checksums or TCP warnings: {bad:?}"
    );
    rtcp
}

#[test]
fn tshark_decodes_the_export_of_our_captures() {
    if !have_tshark() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut rtcp = 0;
    for name in [
        "b2bua_chain.pcap",
        "vq_xr.pcap",
        "tcp_framing.pcap",
        "ws_sctp.pcap",
        "encap_zoo.pcapng",
    ] {
        rtcp += check(&root().join("pcaps").join(name), dir.path());
    }
    assert!(rtcp > 0, "RTCP exported");
    // Where tshark decodes every message of the original, the export gives the same list.
    for name in ["b2bua_chain.pcap", "vq_xr.pcap"] {
        let original = root().join("pcaps").join(name);
        let out = dir.path().join(format!("{name}.export.pcapng"));
        assert_eq!(call_ids(&out), call_ids(&original), "{name}");
        assert_eq!(
            tshark(&out, "rtcp", "frame.number").len(),
            tshark(&original, "rtcp", "frame.number").len(),
            "{name}: RTCP"
        );
    }
    // The section comment names the call and the export time.
    let out = dir.path().join("vq_xr.pcap.export.pcapng");
    let info = Command::new("capinfos").arg(&out).output();
    if let Ok(info) = info {
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(
            text.contains("callscope call test, exported 2023-11-14T22:13:20"),
            "{text}"
        );
    }
}

/// Public captures: SIP over TCP (with retransmissions and bursts), WebSocket, SCTP, IPv6,
/// fragmented IPv6, large bodies, RTCP.
#[test]
fn tshark_decodes_the_export_of_corpus_captures() {
    if !have_tshark() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::var("EXPORT_KEEP").map_or_else(|_| tmp.path().to_owned(), PathBuf::from);
    let corpus = root().join("../shared/corpus/pcaps");
    for name in [
        "heplify_sip_ipv4_tcp.pcap",
        "heplify_sip_ipv4_tcp_retrans.pcap",
        "heplify_sip_sctp.pcap",
        "heplify_sip_tcp_websocket.pcap",
        "heplify_sip_ipv6_udp.pcap",
        "sngrep_ipv6frag.pcap",
        "sv_sip-body-large.pcap",
        "gen_sipp_tcp_burst.pcap",
        "gen_sipp_uac_pcap_rtp_echo.pcap",
    ] {
        let path = corpus.join(name);
        if !path.exists() {
            assert!(
                !ci(),
                "{} is missing: CI must provide ../shared",
                path.display()
            );
            eprintln!("note: {} not found; skipped outside CI", path.display());
            continue;
        }
        check(&path, &dir);
    }
}
