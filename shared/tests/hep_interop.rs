//! HEP decoding against independent implementations:
//! - the corpus captures of sngrep 1.6 and sipgrep 2.1 sending HEPv3 (UDP 9060), checked
//!   against `tools/hep_dump.py`'s decoding (tshark 4.0 has no HEP dissector) and against the
//!   replayed source capture (tshark's SIP fields, and its frame times and UDP payloads);
//! - the real `sngrep` (HEPv3 and HEPv2) and `sipgrep` binaries sending to a loopback socket.
//!
//! Missing corpus or binaries skip with a note, except with CI=true, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_shared::hep::{HepMessage, HepVersion, IpFamily, ProtocolType, auth_key_matches};
use callscope_shared::net::{Endpoint, Nanos, Transport};
use callscope_shared::sip::SipMessage;
use callscope_shared::wire::{CaptureReader, DecodeEvent, Decoder};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A corpus file, or `None` (a note) when absent and CI is not set.
fn corpus_file(rel: &str) -> Option<PathBuf> {
    let p = Path::new(CORPUS).join(rel);
    if p.is_file() {
        return Some(p);
    }
    assert!(
        !ci(),
        "corpus file missing at {} (required when CI=true)",
        p.display()
    );
    eprintln!("note: {} not found; skipping", p.display());
    None
}

/// A program on PATH, or `None` (a note) when absent and CI is not set.
fn program(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            !ci(),
            "{name} not installed (required when CI=true): apt-get install {name}"
        );
        eprintln!("note: {name} not installed; skipping");
    }
    found
}

/// One UDP segment of a capture: capture time, flow, payload.
struct Udp {
    ts: Nanos,
    src: Endpoint,
    dst: Endpoint,
    payload: Vec<u8>,
}

fn udp_segments(path: &Path) -> Vec<Udp> {
    let data = std::fs::read(path).unwrap();
    let mut dec = Decoder::default();
    let mut out = Vec::new();
    for frame in CaptureReader::new(&data).unwrap() {
        let frame = frame.unwrap();
        dec.decode(&frame, &mut |ev| {
            if let DecodeEvent::Segment(s) = ev
                && s.transport == Transport::Udp
            {
                out.push(Udp {
                    ts: s.ts,
                    src: s.flow.src,
                    dst: s.flow.dst,
                    payload: s.payload.to_vec(),
                });
            }
        });
    }
    out
}

/// One line of `ref/<file>.hep_dump.txt` (tools/hep_dump.py).
#[derive(Debug)]
struct DumpLine {
    src: String,
    dst: String,
    ts_sec: u64,
    ts_usec: u64,
    ptype: u8,
    capid: u32,
    pass: String,
    first_line: String,
}

fn hep_dump(rel: &str) -> Vec<DumpLine> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join(rel)).unwrap();
    text.lines()
        .map(|l| {
            let field = |k: &str| {
                let at = l.find(k).unwrap_or_else(|| panic!("{k} in {l}")) + k.len();
                l[at..].split(' ').next().unwrap().to_string()
            };
            let words: Vec<&str> = l.split(' ').collect();
            assert_eq!((words[1], words[2]), ("HEP3", "v4"), "{l}");
            let (sec, usec) = field("ts=")
                .split_once('.')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .unwrap();
            let pass_at = l.find("pass='").unwrap() + 6;
            let pass = &l[pass_at..];
            let payload_at = l.find("payload=b'").unwrap() + 10;
            DumpLine {
                src: words[4].to_string(),
                dst: words[6].to_string(),
                ts_sec: sec.parse().unwrap(),
                ts_usec: usec.parse().unwrap(),
                ptype: field("ptype=").parse().unwrap(),
                capid: field("capid=").parse().unwrap(),
                pass: pass[..pass.find('\'').unwrap()].to_string(),
                first_line: l[payload_at..l.len() - 1].to_string(),
            }
        })
        .collect()
}

/// One row of tshark's `ref/<file>.sip_msgs.tsv` for the replayed source capture.
struct TsharkSip {
    src: String,
    dst: String,
    sport: u16,
    method: String,
    status: String,
    call_id: String,
}

fn tshark_sip(rel: &str) -> Vec<TsharkSip> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join(rel)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            TsharkSip {
                src: f[2].to_string(),
                dst: f[4].to_string(),
                sport: f[6].parse().unwrap(),
                method: f[9].to_string(),
                status: f[10].to_string(),
                call_id: f[12].to_string(),
            }
        })
        .collect()
}

fn first_line(payload: &[u8]) -> String {
    let end = payload
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(payload.len());
    String::from_utf8_lossy(&payload[..end.min(60)]).into_owned()
}

/// Checks every HEP datagram of `hep_file` against hep_dump.py, tshark's SIP view of the
/// replayed `source`, and the source capture's own frame times and UDP payloads.
fn check_corpus(hep_file: &str, source: &str, key: Option<&[u8]>, capid: u32) {
    let (Some(hep), Some(src_pcap)) = (
        corpus_file(&format!("pcaps/{hep_file}")),
        corpus_file(&format!("pcaps/{source}")),
    ) else {
        return;
    };
    let datagrams: Vec<Udp> = udp_segments(&hep)
        .into_iter()
        .filter(|u| u.dst.port == 9060)
        .collect();
    let dump = hep_dump(&format!("ref/{hep_file}.hep_dump.txt"));
    let sip = tshark_sip(&format!("ref/{source}.sip_msgs.tsv"));
    let original = udp_segments(&src_pcap);
    let original: Vec<&Udp> = original
        .iter()
        .filter(|u| SipMessage::parse(&u.payload).is_ok())
        .collect();
    assert_eq!(datagrams.len(), dump.len());
    assert_eq!(datagrams.len(), sip.len());
    assert_eq!(datagrams.len(), original.len());
    for (i, d) in datagrams.iter().enumerate() {
        let m = HepMessage::parse_datagram(&d.payload).unwrap_or_else(|e| panic!("#{i}: {e}"));
        let (r, t, o) = (&dump[i], &sip[i], original[i]);
        // hep_dump.py's view of the HEP chunks.
        assert_eq!(
            (m.version, m.ip_family, m.ip_proto),
            (HepVersion::V3, IpFamily::V4, Some(17))
        );
        assert_eq!(
            (m.src.to_string(), m.dst.to_string()),
            (r.src.clone(), r.dst.clone()),
            "#{i}"
        );
        let ts = m.ts.unwrap();
        assert_eq!(
            (ts / 1_000_000_000, ts % 1_000_000_000 / 1_000),
            (r.ts_sec, r.ts_usec)
        );
        assert_eq!(u8::from(m.proto_type), r.ptype);
        assert_eq!(m.proto_type, ProtocolType::Sip);
        assert_eq!(m.capture_id, Some(r.capid));
        assert_eq!(m.capture_id, Some(capid));
        assert_eq!(m.auth_key.unwrap_or_default(), r.pass.as_bytes());
        assert_eq!(first_line(m.payload), r.first_line, "#{i}");
        assert!(!m.payload_compressed && m.correlation_id.is_none());
        assert_eq!((m.unknown_chunks, m.vendor_chunks), (0, 0));
        match key {
            Some(k) => assert!(auth_key_matches(m.auth_key, k)),
            None => assert_eq!(m.auth_key, None),
        }
        // tshark's SIP fields of the replayed capture.
        assert_eq!(
            (m.src.ip.to_string(), m.dst.ip.to_string()),
            (t.src.clone(), t.dst.clone())
        );
        assert_eq!(m.src.port, t.sport);
        let s = SipMessage::parse(m.payload).unwrap();
        let method = s
            .method()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let status = s.status().map(|c| c.to_string()).unwrap_or_default();
        assert_eq!(
            (method, status),
            (t.method.clone(), t.status.clone()),
            "#{i}"
        );
        assert_eq!(s.call_id().unwrap(), t.call_id.as_bytes());
        // The source capture: same bytes, same capture time (sngrep sends the pcap's times).
        assert_eq!(m.payload, &o.payload[..], "#{i}");
        assert_eq!((m.src, m.dst, ts), (o.src, o.dst, o.ts), "#{i}");
    }
}

#[test]
fn corpus_sngrep_hepv3_matches_hep_dump_and_tshark() {
    check_corpus(
        "gen_hep3_sngrep.pcap",
        "gen_sipp_failures_cancel_register.pcap",
        Some(b"myHep"),
        0x07d2_0000,
    );
}

#[test]
fn corpus_sipgrep_hepv3_matches_hep_dump_and_tshark() {
    check_corpus(
        "gen_hep3_sipgrep.pcap",
        "gen_sipp_uac_pcap_rtp_echo.pcap",
        None,
        0x0065_0000,
    );
}

/// Runs `cmd` (a HEP sender replaying `source`) against a loopback UDP socket and returns
/// every datagram received. The socket is bound before the sender starts (otherwise ICMP
/// port-unreachable makes the sender's connected socket fail).
fn receive_from(mut cmd: Command, sock: &UdpSocket, expected: usize) -> Vec<Vec<u8>> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The sender has exited: its datagrams are queued on the socket. The timeout only ends the
    // read loop; it is not asserted on.
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_535];
    while got.len() < expected {
        match sock.recv(&mut buf) {
            Ok(n) => got.push(buf[..n].to_vec()),
            Err(_) => break,
        }
    }
    // Anything beyond the expected count is an error too.
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    while let Ok(n) = sock.recv(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    got
}

/// SIP datagrams of a source capture, in capture order.
fn source_sip(source: &Path) -> Vec<Udp> {
    udp_segments(source)
        .into_iter()
        .filter(|u| SipMessage::parse(&u.payload).is_ok())
        .collect()
}

fn sngrep_live(version: u8) {
    let (Some(sngrep), Some(source)) = (
        program("sngrep"),
        corpus_file("pcaps/gen_sipp_failures_cancel_register.pcap"),
    ) else {
        return;
    };
    let expected = source_sip(&source);
    assert_eq!(expected.len(), 79);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let conf = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sngrep_hep_v{version}.conf"));
    std::fs::write(
        &conf,
        format!("set eep.send.version {version}\nset eep.send.id 2002\nset eep.send.pass myHep\n"),
    )
    .unwrap();
    let mut cmd = Command::new(sngrep);
    cmd.arg("-F")
        .arg("-f")
        .arg(&conf)
        .arg("-I")
        .arg(&source)
        .args(["-N", "-q", "-H", &format!("udp:127.0.0.1:{port}")]);
    let got = receive_from(cmd, &sock, expected.len());
    assert_eq!(got.len(), expected.len(), "one datagram per SIP message");
    for (i, (d, o)) in got.iter().zip(&expected).enumerate() {
        let m = HepMessage::parse_datagram(d).unwrap_or_else(|e| panic!("#{i}: {e}"));
        assert_eq!(m.payload, &o.payload[..], "#{i}");
        assert_eq!((m.src, m.dst, m.ts), (o.src, o.dst, Some(o.ts)), "#{i}");
        assert_eq!((m.ip_family, m.ip_proto), (IpFamily::V4, Some(17)));
        assert_eq!(m.proto_type, ProtocolType::Sip);
        if version == 3 {
            assert_eq!(m.version, HepVersion::V3);
            assert_eq!(m.capture_id, Some(2002 << 16));
            assert!(auth_key_matches(m.auth_key, b"myHep"));
        } else {
            assert_eq!(m.version, HepVersion::V2);
            // HEPv2 carries the id as a host-order u16 and has no password.
            assert_eq!(m.capture_id, Some(2002));
            assert_eq!(m.auth_key, None);
        }
    }
}

#[test]
fn live_sngrep_hepv3_every_sip_message_decodes() {
    sngrep_live(3);
}

#[test]
fn live_sngrep_hepv2_every_sip_message_decodes() {
    sngrep_live(2);
}

#[test]
fn live_sipgrep_hepv3_every_sip_message_decodes() {
    let (Some(sipgrep), Some(source)) = (
        program("sipgrep"),
        corpus_file("pcaps/gen_sipp_uac_pcap_rtp_echo.pcap"),
    ) else {
        return;
    };
    let expected = source_sip(&source);
    assert_eq!(expected.len(), 12);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let mut cmd = Command::new(sipgrep);
    cmd.arg("-I")
        .arg(&source)
        .args(["-C", "-H", &format!("udp:127.0.0.1:{port}")]);
    let got = receive_from(cmd, &sock, expected.len());
    assert_eq!(got.len(), expected.len());
    for (i, (d, o)) in got.iter().zip(&expected).enumerate() {
        let m = HepMessage::parse_datagram(d).unwrap_or_else(|e| panic!("#{i}: {e}"));
        assert_eq!(m.payload, &o.payload[..], "#{i}");
        assert_eq!((m.src, m.dst, m.ts), (o.src, o.dst, Some(o.ts)), "#{i}");
        assert_eq!(
            (m.version, m.capture_id, m.auth_key),
            (HepVersion::V3, Some(101 << 16), None)
        );
    }
}
