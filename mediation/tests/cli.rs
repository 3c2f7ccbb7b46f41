//! `callscope-mediation analyze` as a user runs it: output formats, the ladder, and errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::pcaps_dir;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callscope-mediation"))
        .args(args)
        .output()
        .unwrap()
}

fn pcap(name: &str) -> String {
    pcaps_dir().join(name).to_string_lossy().into_owned()
}

#[test]
fn json_has_the_documented_schema() {
    let out = run(&[
        "analyze",
        "--format",
        "json",
        "--messages",
        &pcap("tcp_framing.pcap"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in ["packets", "sip_messages", "malformed", "calls", "streams"] {
        assert!(v["summary"][k].is_u64(), "summary.{k}");
    }
    let call = &v["calls"][0];
    for k in [
        "call_ids",
        "from",
        "to",
        "start",
        "end",
        "state",
        "final_status",
        "legs",
        "streams",
    ] {
        assert!(!call[k].is_null(), "calls[0].{k}");
    }
    let m = &v["messages"][0];
    for k in [
        "ts",
        "src",
        "dst",
        "transport",
        "call_id",
        "method",
        "status",
        "cseq",
    ] {
        assert!(m.get(k).is_some(), "messages[0].{k}");
    }
    assert_eq!(m["method"], "INVITE");
    assert!(m["status"].is_null());
    assert_eq!(m["src"], "203.0.113.1:40000");
    assert_eq!(m["transport"], "tcp");
    assert_eq!(m["cseq"], "1 INVITE");
    // Exactly one JSON document on stdout.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .trim_end()
            .lines()
            .count(),
        1
    );
}

#[test]
fn json_without_messages_omits_them() {
    let out = run(&["analyze", "--format", "json", &pcap("ws_sctp.pcap")]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("messages").is_none());
    assert_eq!(v["summary"]["calls"], 2);
}

#[test]
fn table_lists_calls_and_totals() {
    let out = run(&["analyze", &pcap("b2bua_chain.pcap")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("START"), "{text}");
    assert!(
        text.contains("b2b-leg-1@10.1.0.1 + b2b-leg-2@10.1.0.2 + b2b-leg-3@10.1.0.3"),
        "{text}"
    );
    assert!(text.contains("completed"));
    assert!(text.contains(" 2 calls,"), "{text}");
}

#[test]
fn ladder_of_one_call() {
    let out = run(&[
        "analyze",
        "--call",
        "fork-call-1@203.0.113.10",
        &pcap("tcp_framing.pcap"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("203.0.113.10:5060"), "{text}");
    assert!(text.contains("INVITE (SDP)"), "{text}");
    assert!(text.contains("-->") || text.contains(">"), "{text}");
    assert!(text.contains("<-"), "responses point back: {text}");
    assert!(
        text.contains("m=audio 40012 RTP/AVP"),
        "SDP media lines shown: {text}"
    );
}

#[test]
fn unknown_call_id_says_what_to_do() {
    let out = run(&["analyze", "--call", "nope", &pcap("tcp_framing.pcap")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run without --call"));
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = run(&["analyze", "/nonexistent/x.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open capture '/nonexistent/x.pcap'"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn non_capture_file_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("callscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("notes.txt");
    std::fs::write(&f, b"this is not a capture file").unwrap();
    let out = run(&["analyze", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let out = run(&["analyze", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
}

#[test]
fn truncated_file_is_analysed_up_to_the_cut() {
    let bytes = std::fs::read(pcaps_dir().join("tcp_framing.pcap")).unwrap();
    let dir = std::env::temp_dir().join(format!("callscope-cli-t-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("cut.pcap");
    std::fs::write(&f, &bytes[..bytes.len() - 40]).unwrap();
    let out = run(&["analyze", "--format", "json", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "read what was there");
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning:"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["summary"]["sip_messages"].as_u64().unwrap() >= 15);
}

#[test]
fn several_files_merge_by_time() {
    let out = run(&[
        "analyze",
        "--format",
        "json",
        &pcap("ws_sctp.pcap"),
        &pcap("tcp_framing.pcap"),
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["calls"], 4);
}

#[test]
fn ladder_shows_every_leg_and_where_loss_is() {
    let out = run(&[
        "analyze",
        "--call",
        "b2b-leg-3@10.1.0.3",
        &pcap("b2bua_chain.pcap"),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leg b2b-leg-2@10.1.0.2: completed 200 (linked by session-id: ab30317f1a784dc48ff824d0d3715d86)"), "{text}");
    let lossy: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("    RTP ") && !l.contains("lost 0,"))
        .collect();
    assert_eq!(lossy.len(), 1, "{text}");
    assert!(
        lossy[0].contains("10.1.0.4:30004 -> 10.1.0.3:20004") && lossy[0].contains("lost 5"),
        "{text}"
    );
    // Four hosts as columns.
    assert!(text.contains("10.1.0.1:5060") && text.contains("10.1.0.4:5060"));
}
