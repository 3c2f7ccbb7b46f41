//! Every capture of the public corpus through `CaptureReader` + `Decoder`, checked against
//! the manifest (frame counts) and tshark 4.0 (segment counts).
use super::capture::CaptureReader;
use super::decap::{DecodeEvent, DecodeStats, Decoder, DecoderConfig, IgnoreReason};
use std::path::PathBuf;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// The corpus directory, or `None` (a note) when it is absent and CI is not set.
fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(CORPUS);
    if dir.join("manifest.tsv").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("corpus missing at {CORPUS} (required when CI=true)");
    }
    eprintln!("note: corpus not found at {CORPUS}; skipping");
    None
}

/// Expected segment counts per file, from tshark 4.0.17 on the same captures:
/// `tshark -r F -Y udp -T fields -e frame.number | wc -l` (and `-Y tcp`, `-Y sctp`), and
/// `-Y "(icmp||icmpv6) && (udp||tcp)"` for the ICMP errors quoting a segment (tshark counts
/// those frames as udp too; the decoder emits them with `icmp_quoted` set, so the totals match).
/// `malformed` lists frames the decoder rejects, each with its justification below.
struct Expect {
    file: &'static str,
    udp: u64,
    tcp: u64,
    sctp: u64,
    icmp_quoted: u64,
}

const EXPECT: &[Expect] = &[
    Expect {
        file: "gen_hep3_sipgrep.pcap",
        udp: 12,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "gen_hep3_sngrep.pcap",
        udp: 79,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "gen_sipp_failures_cancel_register.pcap",
        udp: 79,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "gen_sipp_ipv6_uac_pcap.pcap",
        udp: 498,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "gen_sipp_tcp_burst.pcap",
        udp: 0,
        tcp: 2452,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "gen_sipp_uac_pcap_rtp_echo.pcap",
        udp: 1242,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 246,
    },
    Expect {
        file: "heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
        udp: 7217,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "heplify_erspan_sip_ipv4_udp.pcapng",
        udp: 140,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "heplify_ipip0.pcap",
        udp: 8,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "heplify_sip_ipv4_tcp.pcap",
        udp: 68,
        tcp: 16,
        sctp: 0,
        icmp_quoted: 0,
    },
    // 196 frames: 181 tcp + 4 udp + 9 VRRP (IpProtocol) + 2 ARP (NonIp).
    Expect {
        file: "heplify_sip_ipv4_tcp_retrans.pcap",
        udp: 4,
        tcp: 181,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "heplify_sip_ipv6_udp.pcap",
        udp: 6,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "heplify_sip_sctp.pcap",
        udp: 0,
        tcp: 0,
        sctp: 5,
        icmp_quoted: 0,
    },
    Expect {
        file: "heplify_sip_tcp_websocket.pcap",
        udp: 28,
        tcp: 33,
        sctp: 0,
        icmp_quoted: 0,
    },
    // 50 frames: 43 udp + 5 ICMP port-unreachable quoting SIP/UDP + 2 IGMP (IpProtocol).
    Expect {
        file: "ipfixprobe_sip.pcap",
        udp: 48,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 5,
    },
    Expect {
        file: "ndpi_gre.pcapng",
        udp: 1,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap",
        udp: 5,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "ndpi_sip_hello.pcapng",
        udp: 30,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "pcapplusplus_sip_reqs.pcap",
        udp: 4,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "sipp_g711a.pcap",
        udp: 236,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "sngrep_ipip.pcap",
        udp: 0,
        tcp: 4,
        sctp: 0,
        icmp_quoted: 0,
    },
    // 34 frames: 30 unfragmented + 2 datagrams of 2 fragments each; tshark counts udp on
    // the frame that completes the reassembly (`-Y ipv6.reassembled.length` gives 2 frames).
    Expect {
        file: "sngrep_ipv6frag.pcap",
        udp: 32,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "sv_public-cloudshark-sip-s0.pcap",
        udp: 10,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "sv_sip-body-large.pcap",
        udp: 0,
        tcp: 16,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "sv_sip_compact_form.pcap",
        udp: 1,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "zeek_invalid-content-length.pcap",
        udp: 2,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
    Expect {
        file: "zeek_sip-junk-before-request.pcap",
        udp: 2,
        tcp: 0,
        sctp: 0,
        icmp_quoted: 0,
    },
];

struct Run {
    frames: u64,
    stats: DecodeStats,
    malformed: Vec<(u64, String)>,
}

fn run(path: &std::path::Path) -> Run {
    let bytes = std::fs::read(path).unwrap();
    let reader = CaptureReader::new(&bytes).unwrap();
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut frames = 0;
    let mut malformed = Vec::new();
    for frame in reader {
        let frame = frame.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        frames += 1;
        dec.decode(&frame, &mut |ev| {
            if let DecodeEvent::Malformed { error, .. } = ev {
                malformed.push((frames, error.to_string()));
            }
        });
    }
    Run {
        frames,
        stats: *dec.stats(),
        malformed,
    }
}

#[test]
fn corpus_frames_and_segments_match_manifest_and_tshark() {
    let Some(dir) = corpus() else { return };
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, packets) = (cols[0], cols[6].parse::<u64>().unwrap());
        let exp = EXPECT
            .iter()
            .find(|e| e.file == file)
            .unwrap_or_else(|| panic!("no expectation for {file}"));
        let r = run(&dir.join("pcaps").join(file));
        assert_eq!(r.frames, packets, "{file}: frames vs manifest");
        // No corpus frame is malformed at the IP/transport layers.
        assert!(
            r.malformed.is_empty(),
            "{file}: malformed frames {:?}",
            r.malformed
        );
        let s = r.stats;
        assert_eq!(
            (s.udp, s.tcp, s.sctp, s.icmp_quoted),
            (exp.udp, exp.tcp, exp.sctp, exp.icmp_quoted),
            "{file}"
        );
        let ignored: u64 = s.ignored.iter().sum();
        assert_eq!(
            s.segments + ignored + s.malformed,
            s.frames,
            "{file}: every frame accounted once"
        );
        checked += 1;
    }
    assert_eq!(checked, EXPECT.len());
}

#[test]
fn corpus_ipv6_fragments_reassembled_like_tshark() {
    let Some(dir) = corpus() else { return };
    let r = run(&dir.join("pcaps/sngrep_ipv6frag.pcap"));
    // tshark -r sngrep_ipv6frag.pcap -Y ipv6.reassembled.length | wc -l  -> 2 (frames 2 and 5,
    // 1699 and 1879 bytes); -Y ipv6.fraghdr | wc -l -> 4 fragments.
    assert_eq!(r.stats.frag.reassembled, 2);
    assert_eq!(r.stats.frag.fragments, 4);
    assert_eq!(r.stats.ignored(IgnoreReason::FragmentHeld), 2);
    assert_eq!(
        (
            r.stats.frag.expired,
            r.stats.frag.evicted,
            r.stats.frag.rejected
        ),
        (0, 0, 0)
    );
}

#[test]
fn corpus_icmp_quoted_sip_flows() {
    let Some(dir) = corpus() else { return };
    // tshark (ref/ipfixprobe_sip.pcap.sip_msgs.tsv) lists frames 7, 10, 12, 14, 15 as SIP
    // INVITEs from 147.32.77.113:5060 quoted inside ICMP errors: the decoder reports them
    // with the quoted packet's flow and `icmp_quoted`.
    let bytes = std::fs::read(dir.join("pcaps/ipfixprobe_sip.pcap")).unwrap();
    let mut dec = Decoder::default();
    let mut quoted = Vec::new();
    for (i, f) in CaptureReader::new(&bytes).unwrap().enumerate() {
        dec.decode(&f.unwrap(), &mut |ev| match ev {
            DecodeEvent::Segment(s) if s.icmp_quoted => {
                assert_eq!(s.flow.src.to_string(), "147.32.77.113:5060");
                assert!(s.payload.starts_with(b"INVITE sip:"));
                quoted.push(i + 1);
            }
            _ => {}
        });
    }
    assert_eq!(quoted, [7, 10, 12, 14, 15]);
}

/// A segment as the cross-check compares it.
struct Seen {
    rel_ns: u64,
    src: String,
    dst: String,
    sport: u16,
}

/// For every SIP message tshark found (`ref/<file>.sip_msgs.tsv`: frame number, relative time,
/// ip/ipv6 source and destination (outer first for tunnels and ICMP), transport source port),
/// the decoder's segment of that frame has the innermost addresses and the source port, and
/// the frame's capture time relative to the first frame equals tshark's to the nanosecond.
#[test]
fn corpus_sip_frames_match_tshark_addresses_and_times() {
    let Some(dir) = corpus() else { return };
    let mut rows_checked = 0;
    for e in EXPECT {
        let tsv = dir.join("ref").join(format!("{}.sip_msgs.tsv", e.file));
        let text = std::fs::read_to_string(&tsv).unwrap();
        let bytes = std::fs::read(dir.join("pcaps").join(e.file)).unwrap();
        let mut dec = Decoder::default();
        let mut first = None;
        let mut seen: Vec<Vec<Seen>> = Vec::new();
        for f in CaptureReader::new(&bytes).unwrap() {
            let f = f.unwrap();
            let t0 = *first.get_or_insert(f.ts);
            let mut segs = Vec::new();
            dec.decode(&f, &mut |ev| {
                if let DecodeEvent::Segment(s) = ev {
                    segs.push(Seen {
                        rel_ns: s.ts - t0,
                        src: s.flow.src.ip.to_string(),
                        dst: s.flow.dst.ip.to_string(),
                        sport: s.flow.src.port,
                    });
                }
            });
            seen.push(segs);
        }
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split('\t').collect();
            let frame: usize = c[0].parse().unwrap();
            let (secs, frac) = c[1].split_once('.').unwrap();
            let rel_ns =
                secs.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap();
            let last = |a: &str, b: &str| -> String {
                let v = if a.is_empty() { b } else { a };
                v.rsplit(',').next().unwrap().to_string()
            };
            let src = last(c[2], c[3]);
            let dst = last(c[4], c[5]);
            let port = [c[6], c[7], c[8]]
                .into_iter()
                .find(|p| !p.is_empty())
                .unwrap();
            let sport: u16 = port.rsplit(',').next().unwrap().parse().unwrap();
            let segs = &seen[frame - 1];
            assert!(
                segs.iter().any(|s| s.src == src
                    && s.dst == dst
                    && s.sport == sport
                    && s.rel_ns == rel_ns),
                "{} frame {frame}: tshark {src}:{sport} -> {dst} at {rel_ns} ns; decoder {:?}",
                e.file,
                segs.iter()
                    .map(|s| (&s.src, s.sport, &s.dst, s.rel_ns))
                    .collect::<Vec<_>>()
            );
            rows_checked += 1;
        }
    }
    // `cat ref/*.sip_msgs.tsv | grep -vc '^frame.number'` -> 2311 SIP messages.
    assert_eq!(rows_checked, 2_311);
}
