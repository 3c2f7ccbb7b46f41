//! Real messages extracted from the public corpus (see `../testdata/extract.sh`), checked
//! against tshark 4.0's view of the same frames (`../testdata/expected.tsv`), and against the
//! corpus references `ref/<capture>.sip_msgs.tsv` when the corpus is present.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::sip::frame::{FrameLen, message_len};
use crate::sip::sdp::{Sdp, find_sdp};
use crate::sip::*;

const EXPECTED: &str = include_str!("../testdata/expected.tsv");

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sip/testdata")
}

fn s(b: Option<&[u8]>) -> String {
    b.map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

struct Row<'e> {
    file: &'e str,
    frame: &'e str,
    f: HashMap<&'e str, &'e str>,
}

fn rows() -> Vec<Row<'static>> {
    let mut lines = EXPECTED.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let f: HashMap<_, _> = header
                .iter()
                .copied()
                .zip(cols.iter().copied().chain(std::iter::repeat("")))
                .collect();
            Row {
                file: cols[0],
                frame: cols[1],
                f,
            }
        })
        .collect()
}

/// Asserts every field tshark decoded for the frame.
#[test]
fn fixtures_match_tshark_fields() {
    let rows = rows();
    assert!(rows.len() >= 40, "expected.tsv has {} rows", rows.len());
    for r in &rows {
        let buf = std::fs::read(testdata().join(r.file)).unwrap();
        let ctx = r.file;
        assert!(looks_like_sip(&buf), "{ctx}");
        let m = SipMessage::parse(&buf).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let f = &r.f;
        assert_eq!(s(m.method()), f["sip.Method"], "{ctx} method");
        assert_eq!(
            m.status().map(|c| c.to_string()).unwrap_or_default(),
            f["sip.Status-Code"],
            "{ctx} status"
        );
        assert_eq!(s(m.call_id()), f["sip.Call-ID"], "{ctx} call-id");
        let cseq = m.cseq();
        assert_eq!(
            cseq.map(|c| c.seq.to_string()).unwrap_or_default(),
            f["sip.CSeq.seq"],
            "{ctx} cseq"
        );
        assert_eq!(
            s(cseq.map(|c| c.method)),
            f["sip.CSeq.method"],
            "{ctx} cseq method"
        );
        assert_eq!(
            s(m.from().and_then(|n| n.tag)),
            f["sip.from.tag"],
            "{ctx} from tag"
        );
        assert_eq!(
            s(m.to().and_then(|n| n.tag)),
            f["sip.to.tag"],
            "{ctx} to tag"
        );
        assert_eq!(s(m.via_branch()), f["sip.Via.branch"], "{ctx} branch");
        assert_eq!(
            s(m.from().and_then(|n| n.user())),
            f["sip.from.user"],
            "{ctx} from user"
        );
        assert_eq!(
            s(m.to().and_then(|n| n.user())),
            f["sip.to.user"],
            "{ctx} to user"
        );
        // tshark shows 0 for a Content-Length that is not a number; we report a quirk.
        let cl = match m.content_length() {
            Some(n) => n.to_string(),
            None if m.quirks().contains(Quirks::BAD_CONTENT_LENGTH) => "0".into(),
            None => String::new(),
        };
        assert_eq!(cl, f["sip.Content-Length"], "{ctx} content-length");
        if let FrameLen::Complete(n) = message_len(&buf) {
            assert_eq!(n, m.body_offset() + m.body().len(), "{ctx} framing");
        }
        // SDP: first c= address and first m= port, where tshark decoded them.
        let sdp = m
            .content_type()
            .and_then(|ct| find_sdp(ct, m.body()))
            .map(|b| Sdp::parse(b).unwrap());
        let want_c = f["sdp.connection_info.address"];
        if !want_c.is_empty() {
            let sdp = sdp.as_ref().unwrap_or_else(|| panic!("{ctx}: no SDP"));
            let c = sdp
                .connection()
                .or_else(|| sdp.media().find_map(|m| m.connection))
                .unwrap();
            assert_eq!(s(Some(c.address)), want_c, "{ctx} c=");
            assert!(c.ip.is_some(), "{ctx} c= parses as an IP");
        }
        let want_port = f["sdp.media.port"];
        if !want_port.is_empty() {
            let port = sdp.as_ref().unwrap().media().next().unwrap().port;
            assert_eq!(port.to_string(), want_port, "{ctx} m= port");
        }
    }
}

/// The quirks of the odd captures.
#[test]
fn fixture_quirks() {
    let parse = |f: &str| std::fs::read(testdata().join(f)).unwrap();
    let buf = parse("zeek_invalid-content-length-1.txt");
    let m = SipMessage::parse(&buf).unwrap();
    assert!(m.quirks().contains(Quirks::BAD_CONTENT_LENGTH));
    assert!(m.body().is_empty());
    // sv_sip_compact_form: compact names everywhere, and `l: 272` for a 372-byte body. Like
    // tshark we cut the body at Content-Length, which loses the m= line (tshark shows c= but
    // no m= port), and flag the extra bytes.
    let buf = parse("sv_sip_compact_form-1.txt");
    let m = SipMessage::parse(&buf).unwrap();
    assert_eq!(m.quirks(), Quirks::TRAILING_BYTES);
    assert_eq!(m.content_type(), Some(&b"application/sdp"[..]));
    assert_eq!(m.body().len(), 272);
    let sdp = Sdp::parse(m.body()).unwrap();
    assert_eq!(sdp.connection().unwrap().address, b"192.168.1.2");
    assert_eq!(sdp.direction(), None, "a=sendrecv is past the cut too");
    assert_eq!(sdp.media().count(), 0);
    // The zeek "junk before request" junk is its own datagram; the REGISTER has no Call-ID.
    let buf = parse("zeek_sip-junk-before-request-2.txt");
    let m = SipMessage::parse(&buf).unwrap();
    assert!(
        m.quirks()
            .contains(Quirks::MISSING_MANDATORY | Quirks::MISSING_CONTENT_LENGTH)
    );
    assert!(!looks_like_sip(b"\x00\x00\x00\x00"));
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus"));
    if dir.join("ref").is_dir() {
        return Some(dir.to_path_buf());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("corpus missing at {} (CI=true)", dir.display());
    }
    eprintln!("note: corpus not found at {}, skipping", dir.display());
    None
}

/// Cross-checks the fixtures against the corpus references (`sip_msgs.tsv`).
#[test]
fn fixtures_match_corpus_refs() {
    let Some(dir) = corpus_dir() else { return };
    let mut checked = 0;
    for r in rows() {
        let stem = r.file.rsplit_once('-').unwrap().0;
        let refs =
            std::fs::read_to_string(dir.join(format!("ref/{stem}.pcap.sip_msgs.tsv"))).unwrap();
        let mut lines = refs.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let row: Vec<&str> = lines
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .find(|c| c[0] == r.frame)
            .unwrap();
        let buf = std::fs::read(testdata().join(r.file)).unwrap();
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(s(m.method()), row[col("sip.Method")], "{}", r.file);
        assert_eq!(s(m.call_id()), row[col("sip.Call-ID")], "{}", r.file);
        let cseq = m
            .cseq()
            .map(|c| format!("{} {}", c.seq, s(Some(c.method))))
            .unwrap_or_default();
        assert_eq!(cseq, row[col("sip.CSeq")], "{}", r.file);
        checked += 1;
    }
    assert!(checked >= 40);
}
