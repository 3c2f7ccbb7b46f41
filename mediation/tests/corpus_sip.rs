//! Every capture of ../shared/corpus: the SIP messages `analyze --messages` reports equal
//! tshark 4.0's (`ref/<file>.sip_msgs.tsv`), frame by frame, or the difference is explained
//! here (a message tshark misses is a win, stated).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::*;
use std::collections::BTreeMap;

/// Per frame: sorted labels (methods and status codes) and the Call-IDs.
type PerFrame = BTreeMap<u64, (Vec<String>, Vec<String>)>;

fn tshark_messages(file: &str) -> PerFrame {
    let text = std::fs::read_to_string(corpus_ref(file, "sip_msgs.tsv")).unwrap();
    let mut out = PerFrame::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let frame: u64 = cols[0].parse().unwrap();
        let mut labels: Vec<String> = Vec::new();
        for c in [cols[9], cols[10]] {
            labels.extend(c.split(',').filter(|s| !s.is_empty()).map(String::from));
        }
        labels.sort();
        let mut ids: Vec<String> = cols
            .get(12)
            .unwrap_or(&"")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        ids.sort();
        out.insert(frame, (labels, ids));
    }
    out
}

fn our_messages(file: &str) -> PerFrame {
    let report = analyze(&corpus(file));
    let mut out = PerFrame::new();
    for m in report.messages.as_ref().unwrap() {
        if m.error.is_some() {
            continue;
        }
        let e = out.entry(m.frame).or_default();
        e.0.push(label(m));
        if let Some(id) = &m.call_id {
            e.1.push(id.clone());
        }
    }
    for v in out.values_mut() {
        v.0.sort();
        v.1.sort();
    }
    out
}

/// Compares per frame; `ours_only` lists frames where we find SIP tshark does not (wins),
/// `theirs_only` frames tshark reports that we deliberately do not.
fn check(file: &str, ours_only: &[u64], theirs_only: &[u64]) {
    if !require(&corpus(file)) {
        return;
    }
    let theirs = tshark_messages(file);
    let ours = our_messages(file);
    for (frame, t) in &theirs {
        if theirs_only.contains(frame) {
            assert!(
                !ours.contains_key(frame),
                "{file}: frame {frame} now decoded; update the test"
            );
            continue;
        }
        let o = ours.get(frame).unwrap_or_else(|| {
            panic!("{file}: tshark has SIP in frame {frame} ({t:?}), we have none")
        });
        assert_eq!(o.0, t.0, "{file}: frame {frame} methods/statuses");
        assert_eq!(o.1, t.1, "{file}: frame {frame} Call-IDs");
    }
    for frame in ours.keys() {
        if !theirs.contains_key(frame) {
            assert!(
                ours_only.contains(frame),
                "{file}: we report SIP in frame {frame} ({:?}) that tshark does not",
                ours[frame]
            );
        }
    }
    for frame in ours_only {
        assert!(
            ours.contains_key(frame),
            "{file}: expected our extra message in frame {frame}"
        );
    }
}

#[test]
fn gen_sipp_failures_cancel_register() {
    // tshark needs `-d udp.port==5072,sip` here (it dissects 5072 as AYIYA); we find SIP by
    // content on any port.
    check("gen_sipp_failures_cancel_register.pcap", &[], &[]);
}

#[test]
fn gen_sipp_ipv6_uac_pcap() {
    check("gen_sipp_ipv6_uac_pcap.pcap", &[], &[]);
}

#[test]
fn gen_sipp_tcp_burst() {
    check("gen_sipp_tcp_burst.pcap", &[], &[]);
}

#[test]
fn gen_sipp_uac_pcap_rtp_echo() {
    check("gen_sipp_uac_pcap_rtp_echo.pcap", &[], &[]);
}

#[test]
fn heplify_fax_t38() {
    check("heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", &[], &[]);
}

#[test]
fn heplify_erspan() {
    check("heplify_erspan_sip_ipv4_udp.pcapng", &[], &[]);
}

#[test]
fn heplify_ipip0_raw_ip() {
    check("heplify_ipip0.pcap", &[], &[]);
}

#[test]
fn heplify_sip_ipv4_tcp() {
    check("heplify_sip_ipv4_tcp.pcap", &[], &[]);
}

#[test]
fn heplify_sip_ipv4_tcp_retrans() {
    check("heplify_sip_ipv4_tcp_retrans.pcap", &[], &[]);
}

#[test]
fn heplify_sip_ipv6_udp() {
    check("heplify_sip_ipv6_udp.pcap", &[], &[]);
}

#[test]
fn heplify_sip_sctp() {
    check("heplify_sip_sctp.pcap", &[], &[]);
}

#[test]
fn heplify_sip_tcp_websocket() {
    check("heplify_sip_tcp_websocket.pcap", &[], &[]);
}

#[test]
fn ipfixprobe_sip_with_icmp_quotes() {
    check("ipfixprobe_sip.pcap", &[], &[]);
}

#[test]
fn ndpi_gre_pptp() {
    check("ndpi_gre.pcapng", &[], &[]);
}

#[test]
fn ndpi_sip_hello_keepalives_are_not_sip() {
    check("ndpi_sip_hello.pcapng", &[], &[]);
    let r = analyze(&corpus("ndpi_sip_hello.pcapng"));
    assert_eq!(
        r.summary.malformed, 0,
        "5-byte keep-alives are not malformed SIP"
    );
}

#[test]
fn pcapplusplus_sip_reqs_pppoe() {
    check("pcapplusplus_sip_reqs.pcap", &[], &[]);
}

#[test]
fn sngrep_ipip() {
    check("sngrep_ipip.pcap", &[], &[]);
}

#[test]
fn sngrep_ipv6frag() {
    check("sngrep_ipv6frag.pcap", &[], &[]);
}

#[test]
fn sv_public_cloudshark() {
    check("sv_public-cloudshark-sip-s0.pcap", &[], &[]);
}

#[test]
fn sv_sip_body_large() {
    check("sv_sip-body-large.pcap", &[], &[]);
}

#[test]
fn sv_sip_compact_form() {
    check("sv_sip_compact_form.pcap", &[], &[]);
}

#[test]
fn zeek_invalid_content_length() {
    check("zeek_invalid-content-length.pcap", &[], &[]);
}

#[test]
fn zeek_sip_junk_before_request() {
    check("zeek_sip-junk-before-request.pcap", &[], &[]);
}

#[test]
fn hep_captures_carry_no_plain_sip() {
    // HEP-encapsulated SIP on UDP 9060: tshark 4.0 has no HEP dissector and reports none. The
    // HEP receiver (mediation ingest) decodes these; offline analysis leaves them alone.
    check("gen_hep3_sngrep.pcap", &[], &[]);
    check("gen_hep3_sipgrep.pcap", &[], &[]);
}

#[test]
fn rtp_only_captures_have_no_sip() {
    check("sipp_g711a.pcap", &[], &[]);
    check(
        "ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap",
        &[],
        &[],
    );
}
