//! The project's own captures in pcaps/ (made by pcaps/gen/make_pcaps.py, which writes the
//! truth it built each one with): every message, call, leg and stream is found.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::*;
use serde_json::Value;

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(pcaps_dir().join(format!("{name}.expected.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn check(name: &str) -> callscope_shared::analysis::report::Report {
    let exp = expected(name);
    let r = analyze(&pcaps_dir().join(name));
    let msgs = r.messages.as_ref().unwrap();
    let ours: Vec<(String, String, String)> = msgs
        .iter()
        .map(|m| {
            (
                label(m),
                m.call_id.clone().unwrap_or_default(),
                m.transport.as_str().to_owned(),
            )
        })
        .collect();
    let theirs: Vec<(String, String, String)> = exp["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m[0].as_str().unwrap().into(),
                m[1].as_str().unwrap().into(),
                m[2].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(ours, theirs, "{name}: messages in capture order");
    assert_eq!(
        r.summary.sip_messages,
        exp["summary"]["sip_messages"].as_u64().unwrap()
    );
    assert_eq!(
        r.summary.malformed, 0,
        "{name}: malformed {:?}",
        r.malformed
    );

    let calls = exp["calls"].as_array().unwrap();
    assert_eq!(
        r.calls.len(),
        calls.len(),
        "{name}: calls {:#?}",
        r.calls.iter().map(|c| &c.call_ids).collect::<Vec<_>>()
    );
    for (ours, exp) in r.calls.iter().zip(calls) {
        let ids: Vec<&str> = exp["call_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(ours.call_ids, ids, "{name}: legs of a call");
        assert_eq!(
            serde_json::to_value(ours.state).unwrap(),
            exp["state"],
            "{name}: state of {ids:?}"
        );
        assert_eq!(
            ours.final_status,
            exp["final_status"].as_u64().map(|v| v as u16),
            "{name}: final status of {ids:?}"
        );
        let forks: Vec<u64> = ours.legs.iter().map(|l| l.forks as u64).collect();
        let exp_forks: Vec<u64> = exp["forks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(forks, exp_forks, "{name}: forks per leg of {ids:?}");
    }
    let other: Vec<&str> = r.other.iter().map(|o| o.call_id.as_str()).collect();
    let exp_other: Vec<&str> = exp["other"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(other, exp_other, "{name}: non-call Call-IDs");

    for s in exp["streams"].as_array().unwrap() {
        let found = r
            .streams
            .iter()
            .find(|x| {
                x.src.to_string() == s["src"].as_str().unwrap()
                    && x.dst.to_string() == s["dst"].as_str().unwrap()
            })
            .unwrap_or_else(|| panic!("{name}: stream {s} not found"));
        assert_eq!(found.ssrc, s["ssrc"].as_str().unwrap());
        assert_eq!(found.packets, s["packets"].as_u64().unwrap());
        assert_eq!(found.lost, s["lost"].as_i64().unwrap());
        assert_eq!(found.call_id.as_deref(), s["call_id"].as_str());
    }
    assert_eq!(
        r.streams.len(),
        exp["streams"].as_array().unwrap().len(),
        "{name}: stream count"
    );
    r
}

/// pcapng with three interfaces (Ethernet, raw IPv4, Linux SLL2), one SIP message per
/// encapsulation: 802.1Q, QinQ, MPLS, PPPoE, GRE, ERSPAN II and III, VXLAN, GTP-U, IP-in-IP
/// both ways, IPv6, outer IPv4 fragments out of order, IPv6 fragments inside GRE.
#[test]
fn encapsulation_zoo() {
    let r = check("encap_zoo.pcapng");
    // Fragments: the INVITE completes on the last frame of its fragments.
    assert!(
        r.summary.ignored.values().sum::<u64>() > 0,
        "held fragments are counted"
    );
}

/// Big-endian pcap: an INVITE over three TCP segments, out of order and retransmitted; 100 and
/// 180 in one segment; ACK and BYE in one segment; CRLF keep-alives; forking with two 200 OK.
#[test]
fn tcp_framing_and_forking() {
    let r = check("tcp_framing.pcap");
    let fork = &r.calls[1];
    assert_eq!(fork.legs[0].forks, 2);
    assert_eq!(
        fork.legs[0].retransmissions, 0,
        "a second fork's 200 OK is not a retransmission"
    );
}

/// Nanosecond pcap: SIP over WebSocket on port 8080 (masked client frames, a fragmented
/// message with a ping in between, two frames in one segment), and SIP over SCTP.
#[test]
fn websocket_and_sctp() {
    let r = check("ws_sctp.pcap");
    let first = &r.messages.as_ref().unwrap()[0];
    // Each frame's time has 123 ns added per frame: a microsecond reader would lose them.
    assert!(
        first.ts.ends_with("615Z"),
        "nanosecond timestamps kept: {}",
        first.ts
    );
}

/// Three-leg B2BUA chain linked by Session-ID, RTP on every leg, loss only on the last leg;
/// two legs linked by X-CID.
#[test]
fn b2bua_chains() {
    let r = check("b2bua_chain.pcap");
    let chain = &r.calls[0];
    assert_eq!(chain.legs.len(), 3);
    assert_eq!(
        chain.q850_cause,
        Some(16),
        "Reason: Q.850;cause=16 on the BYE"
    );
    assert_eq!(chain.legs[0].ended_by, Some("caller"));
    assert!(
        matches!(chain.legs[1].link, callscope_shared::calls::LinkReason::Header(ref h, _) if h == "session-id")
    );
    assert!(matches!(
        chain.legs[1].link,
        callscope_shared::calls::LinkReason::Header(_, _)
    ));
    let lossy: Vec<usize> = chain
        .legs
        .iter()
        .enumerate()
        .filter(|(_, l)| l.streams.iter().any(|&s| r.streams[s].lost > 0))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(lossy, vec![2], "loss appears on the third leg only");
    let xcid = &r.calls[1];
    assert_eq!(
        xcid.legs[1].link,
        callscope_shared::calls::LinkReason::Header("x-cid".into(), "x-in-1@10.2.0.1".into())
    );
}

/// RTCP SR/RR and an RTCP-XR VoIP Metrics block beside our figures, and a vq-rtcpxr PUBLISH
/// (RFC 6035) linked to the call it names.
#[test]
fn rtcp_xr_and_vq_rtcpxr_publish() {
    let r = check("vq_xr.pcap");
    let call = &r.calls[0];
    assert_eq!(call.vq_reports, vec![0]);
    let vq = &r.vq_reports[0];
    assert_eq!(vq.call_id, "vq-call-1@198.51.100.1");
    assert_eq!(vq.call, Some(0));
    assert_eq!(vq.kind, "session_call_term");
    assert_eq!(vq.local_ssrc.as_deref(), Some("0xB2B2B2B2"));
    let local = vq.local.as_ref().unwrap();
    assert_eq!(
        (
            local.network_loss_rate,
            local.round_trip_delay_ms,
            local.mos_lq
        ),
        (Some(1.2), Some(30), Some(4.3))
    );
    // The caller's stream: the callee's RR (40 ms after the SR, DLSR 10 ms) gives a 30 ms
    // round trip; its XR block reports MOS-LQ 4.3.
    let a = r.streams.iter().find(|s| s.ssrc == "0xA1A1A1A1").unwrap();
    let rtcp = a.rtcp.as_ref().unwrap();
    assert!(
        (rtcp.rtt_ms.unwrap() - 30.0).abs() < 0.1,
        "{:?}",
        rtcp.rtt_ms
    );
    assert_eq!(rtcp.xr.as_ref().unwrap().mos_lq, Some(4.3));
    // The callee's stream lost 3 of 250 packets; MOS is computed, and lower than the other.
    let b = r.streams.iter().find(|s| s.ssrc == "0xB2B2B2B2").unwrap();
    assert_eq!(b.lost, 3);
    assert!(b.mos.unwrap() < a.mos.unwrap());
    assert_eq!(
        b.rtcp.as_ref().unwrap().reported_cumulative_lost,
        Some(2),
        "what the SR's report block said"
    );
}
