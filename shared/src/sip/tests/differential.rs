//! Differential tests: the current SIP and SDP parsers against the frozen reference copy in
//! `reference/` (the implementation before the single-pass rewrite). Every observable result
//! (errors, quirks, start line, indexed headers and their structured parses, generic lookups,
//! body, SDP session and media fields) is rendered to text by the same code for both, and the
//! texts must be equal, on corpus fixtures (RFC 3261 §7 messages as captured) and on random
//! and mutated messages.
use std::fmt::Write;
use std::path::Path;

use proptest::prelude::*;

use super::reference;
use crate::sip;

/// Renders everything a caller can observe of one parse. A macro, so that the same code runs
/// over the two module trees (their types differ, their APIs do not).
macro_rules! render_sip {
    ($m:path, $sdp:path, $buf:expr) => {{
        use $m as m;
        use $sdp as s;
        let buf: &[u8] = $buf;
        let mut o = String::new();
        let _ = writeln!(o, "looks_like_sip {}", m::looks_like_sip(buf));
        for skip in [false, true] {
            let parsed = if skip {
                m::SipMessage::parse_skipping_junk(buf)
            } else {
                m::SipMessage::parse(buf)
            };
            match parsed {
                Err(e) => {
                    let _ = writeln!(o, "err {e:?} {e}");
                }
                Ok(msg) => {
                    let _ = writeln!(o, "kind {:?}", msg.kind());
                    let _ = writeln!(o, "quirks {:?} {}", msg.quirks(), msg.quirks().bits());
                    let _ = writeln!(o, "len {} body_off {}", msg.len(), msg.body_offset());
                    let _ = writeln!(o, "body {:?}", msg.body());
                    let _ = writeln!(o, "head {:?}", msg.header_bytes());
                    let _ = writeln!(o, "method {:?} {:?}", msg.method(), msg.method_kind());
                    let _ = writeln!(o, "status {:?} {:?}", msg.status(), msg.reason_phrase());
                    let _ = writeln!(
                        o,
                        "ruri {:?} version {:?}",
                        msg.request_uri(),
                        msg.version()
                    );
                    let _ = writeln!(o, "call_id {:?}", msg.call_id());
                    let _ = writeln!(o, "from {:?}", msg.from());
                    let _ = writeln!(o, "to {:?}", msg.to());
                    let _ = writeln!(o, "cseq {:?}", msg.cseq());
                    let _ = writeln!(o, "via {:?} {:?}", msg.via(), msg.via_branch());
                    if let Some(v) = msg.via() {
                        let _ = writeln!(o, "via params {:?} {:?}", v.received(), v.rport());
                    }
                    let _ = writeln!(o, "via_count {}", msg.via_count());
                    let _ = writeln!(o, "vias {:?}", msg.vias().collect::<Vec<_>>());
                    let _ = writeln!(o, "contact {:?}", msg.contact());
                    let _ = writeln!(o, "ctype {:?}", msg.content_type());
                    let _ = writeln!(o, "clen {:?}", msg.content_length());
                    let _ = writeln!(o, "ua {:?} server {:?}", msg.user_agent(), msg.server());
                    let _ = writeln!(o, "reasons {:?}", msg.reasons().collect::<Vec<_>>());
                    let _ = writeln!(o, "all {:?}", msg.all_headers().collect::<Vec<_>>());
                    for name in ["via", "v", "Call-ID", "contact", "Max-Forwards", "X-Id"] {
                        let _ = writeln!(
                            o,
                            "{name} {:?} {:?} {:?}",
                            msg.header(name),
                            msg.headers(name).collect::<Vec<_>>(),
                            msg.header_lines(name).collect::<Vec<_>>()
                        );
                    }
                    let _ = writeln!(o, "debug {msg:?}");
                    if let Some(sdp) = msg
                        .content_type()
                        .and_then(|ct| s::find_sdp(ct, msg.body()))
                    {
                        o.push_str(&render_sdp!(s, sdp));
                    }
                }
            }
        }
        o
    }};
}

macro_rules! render_sdp {
    ($sdp:path, $buf:expr) => {{
        use $sdp as s;
        let buf: &[u8] = $buf;
        let mut o = String::new();
        match s::Sdp::parse(buf) {
            Err(e) => {
                let _ = writeln!(o, "sdp err {e:?} {e}");
            }
            Ok(sdp) => {
                let _ = writeln!(o, "sdp c {:?} dir {:?}", sdp.connection(), sdp.direction());
                let _ = writeln!(o, "sdp o {:?} s {:?}", sdp.origin(), sdp.session_name());
                let _ = writeln!(o, "sdp a {:?}", sdp.attributes().collect::<Vec<_>>());
                for m in sdp.media() {
                    let _ = writeln!(o, "media {m:?}");
                    let _ = writeln!(o, " formats {:?}", m.formats().collect::<Vec<_>>());
                    let _ = writeln!(o, " attrs {:?}", m.attributes().collect::<Vec<_>>());
                    let _ = writeln!(o, " ip {:?} hold {}", m.ip(), m.legacy_hold());
                    for pt in m.payload_types() {
                        let _ = writeln!(
                            o,
                            " pt {pt} {:?} {:?} {:?}",
                            m.rtpmap(pt),
                            m.codec(pt),
                            m.fmtp(pt)
                        );
                    }
                    let _ = writeln!(o, " ptime attr {:?}", m.attribute(b"ptime"));
                }
            }
        }
        o
    }};
}

fn check(buf: &[u8]) {
    let new = render_sip!(sip, sip::sdp, buf);
    let old = render_sip!(reference, reference::sdp, buf);
    assert_eq!(new, old, "input {:?}", String::from_utf8_lossy(buf));
    let new = render_sdp!(sip::sdp, buf);
    let old = render_sdp!(reference::sdp, buf);
    assert_eq!(new, old, "sdp input {:?}", String::from_utf8_lossy(buf));
}

fn fixtures() -> &'static [Vec<u8>] {
    static ALL: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    ALL.get_or_init(load_fixtures)
}

fn load_fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sip/testdata");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.push(BENCH_INVITE.to_vec());
    out.push(
        String::from_utf8_lossy(BENCH_INVITE)
            .replace("\r\n", "\n")
            .into_bytes(),
    );
    out.push(MULTIPART.to_vec());
    out
}

/// The message of `benches/benches/sip_parse.rs`.
const BENCH_INVITE: &[u8] =
    b"INVITE sip:+4930123456789@sbc.carrier.example.net;user=phone SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---5f2c9a1b3e4d;rport\r\n\
Via: SIP/2.0/UDP 198.51.100.7:5060;received=198.51.100.7;branch=z9hG4bK3f9a0c2e\r\n\
Max-Forwards: 69\r\n\
Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n\
To: <sip:+4930123456789@sbc.carrier.example.net;user=phone>\r\n\
From: \"Alice Example\" <sip:alice@pbx.example.com>;tag=8f3a91c2\r\n\
Call-ID: 9b1f3e7c2a5d4e6f8a0b1c2d3e4f5a6b@192.0.2.10\r\n\
CSeq: 102 INVITE\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK\r\n\
User-Agent: ExamplePBX/16.4.1\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 297\r\n\
\r\n\
v=0\r\n\
o=ExamplePBX 1718351234 1718351235 IN IP4 192.0.2.10\r\n\
s=ExamplePBX call\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 40376 RTP/AVP 8 0 18 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:18 G729/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
a=rtcp:40377\r\n";

const MULTIPART: &[u8] = b"SIP/2.0 200 OK\r\n\
v: SIP/2.0/TCP h;branch=z9hG4bKx, SIP/2.0/UDP g\r\n\
f: <sip:a@b>;TAG=1\r\n\
t: sip:c@d;tag=2\r\n\
i: x@y\r\n\
CSeq: 1 INVITE\r\n\
c: multipart/mixed; boundary=\"b1\"\r\n\
l: 200\r\n\
\r\n\
--b1\r\n\
Content-Type: application/sdp\r\n\
\r\n\
v=0\r\n\
c=IN IP6 ::1\r\n\
m=audio 4000/2 RTP/AVP 0 96\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=rtcp:4001 IN IP4 10.0.0.1\r\n\
a=rtcp-mux\r\n\
a=inactive\r\n\
--b1--\r\n";

#[test]
fn fixtures_agree_with_reference() {
    for f in fixtures() {
        check(f);
        // Prefixes: truncated datagrams and partial stream reads.
        for cut in (0..f.len()).step_by(5) {
            check(f.get(..cut).unwrap());
        }
    }
}

/// Bytes the parsers branch on: mutations use these most.
const SPECIAL: &[u8] = b"\r\n \t:;,=\"<>/\\@0123456789acimvtlfACIMVTLF.-\x00\xff";

fn mutate(base: &[u8], edits: &[(u16, u8, u8)]) -> Vec<u8> {
    let mut v = base.to_vec();
    for &(pos, op, byte) in edits {
        let b = SPECIAL
            .get(usize::from(byte) % SPECIAL.len())
            .copied()
            .unwrap();
        let at = usize::from(pos) % (v.len() + 1);
        match op % 4 {
            0 => v.insert(at, b),
            1 if at < v.len() => {
                v.remove(at);
            }
            2 if at < v.len() => v[at] = b,
            3 if at < v.len() => v[at] = byte,
            _ => v.push(b),
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Mutated corpus messages (RFC 3261 §7 syntax bent in the places parsers branch on).
    #[test]
    fn mutated_messages_agree(
        which in any::<usize>(),
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let all = fixtures();
        let base = &all[which % all.len()];
        check(&mutate(base, &edits));
    }

    /// Messages assembled from header lines in random case, compact forms, line ends and
    /// folding, with SDP or multipart bodies.
    #[test]
    fn assembled_messages_agree(
        start in prop_oneof![
            Just("INVITE sip:a@b SIP/2.0"), Just("SIP/2.0 180 Ringing"), Just("BYE x SIP/2.0 "),
            Just("SIP/2.1 200 OK"), Just("\r\nOPTIONS sip:x SIP/2.0"), Just("junk\r\nACK a SIP/2.0"),
        ],
        picks in proptest::collection::vec((0..LINES.len(), any::<u8>()), 0..16),
        nl in prop_oneof![Just("\r\n"), Just("\n")],
        body in prop_oneof![
            Just(""), Just("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n"),
            Just("v=0\nm=audio 5 RTP/AVP 8 0\na=sendonly\nc=IN IP4 0.0.0.0\nm=video 6 RTP/AVP 31\n"),
            Just("xyz"),
        ],
        end in prop_oneof![Just(true), Just(false)],
    ) {
        let mut text = format!("{start}{nl}");
        for &(i, mask) in &picks {
            let line: String = LINES[i]
                .chars()
                .enumerate()
                .map(|(k, c)| if mask >> (k % 8) & 1 == 1 { c.to_ascii_uppercase() } else { c })
                .collect();
            text.push_str(&line);
            text.push_str(nl);
        }
        if end {
            text.push_str(nl);
        }
        text.push_str(body);
        check(text.as_bytes());
    }

    /// SDP bodies from random lines (RFC 4566 §5 line types, malformed ones included).
    #[test]
    fn sdp_bodies_agree(
        lines in proptest::collection::vec(0..SDP_LINES.len(), 0..14),
        nl in prop_oneof![Just("\r\n"), Just("\n"), Just(" \r\n")],
    ) {
        let mut text = String::from("v=0");
        text.push_str(nl);
        for i in lines {
            text.push_str(SDP_LINES[i]);
            text.push_str(nl);
        }
        check(text.as_bytes());
    }

    /// Arbitrary bytes (errors must match too).
    #[test]
    fn arbitrary_bytes_agree(buf in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(&buf);
    }
}

const LINES: &[&str] = &[
    "Via: SIP/2.0/UDP h:5060;branch=z9hG4bK1;rport",
    "v: SIP/2.0/TCP a, SIP/2.0/UDP b;branch=z9hG4bK2",
    "Via : SIP/2.0/UDP x;received=\"q;r\";branch=b",
    "From: \"A, B\" <sip:a@b>;tag=t1",
    "f: sip:a@b;tag=t2",
    "To: <sip:c@d>",
    "t: \"x\\\"y\" <sip:c@d;user=phone>;Tag=t3;x=\"a;tag=q\"",
    "Call-ID: abc@host",
    "i: second",
    "CSeq: 7 INVITE",
    "CSeq:  4294967296 BYE",
    "Contact: <sip:c@e>;expires=3, <sip:x@y>",
    "m: *",
    "Content-Type: application/sdp",
    "c: Application/SDP ; charset=utf-8",
    "Content-Length: 0",
    "l: 41",
    "Content-Length: 9999",
    "Content-Length: x",
    "Max-Forwards: 70",
    "No colon here",
    " folded continuation",
    "\tfolded: tab",
    "Reason: Q.850;cause=16;text=\"Normal\"",
    "User-Agent: ua, with, commas",
    "X-Id: 1",
    ": empty",
    "Call-ID\t: spaced",
];

const SDP_LINES: &[&str] = &[
    "o=- 1 2 IN IP4 192.0.2.1",
    "s=-",
    "c=IN IP4 10.0.0.1",
    "c=IN IP4 224.2.1.1/127/3",
    "c=IN IP6 FF15::101/3",
    "c=IN IP4 [::1]",
    "c=bad",
    "t=0 0",
    "m=audio 49170 RTP/AVP 0 8 97",
    "m=audio 49170/2 RTP/AVP 0",
    "m=video 0 RTP/AVP 31",
    "m=image 6000 udptl t38",
    "m=bad",
    "a=rtpmap:97 iLBC/8000",
    "a=rtpmap:0 PCMU/8000/1",
    "a=fmtp:97 mode=30",
    "a=sendonly",
    "a=recvonly",
    "a=inactive",
    "a=sendrecv",
    "a=rtcp:53020",
    "a=rtcp:53020 IN IP4 126.16.64.4",
    "a=rtcp-mux",
    "a=ptime:20",
    "a=maxptime:40",
    "a=ptime: x",
    "b=AS:64",
    "x",
    "",
    "a=",
];

/// Header lines that leave the fast path of the header pass (RFC 3261 §7.3.1 whitespace and
/// folding, §7.5 framing limits): each must give what the reference gives.
#[test]
fn slow_path_lines_agree() {
    let cases: &[&[u8]] = &[
        b"INVITE a SIP/2.0\r\n Via: SIP/2.0/UDP h;branch=b\r\nCall-ID: x\r\n\r\n",
        b"INVITE a SIP/2.0\r\n\x0cCall-ID: x\r\nCall-ID\x0c: y\r\n\r\n",
        b"INVITE a SIP/2.0\r\n\rCall-ID: x\r\n\r\n",
        b"INVITE a SIP/2.0\r\nCall-ID\r: x\r\n: y\r\n :z\r\n\r\n",
        b"INVITE a SIP/2.0\r\nFrom: <sip:a@b>\r\n ;tag=1\r\nTo\t: <sip:c@d>\n\t;tag=2\r\n\r\n",
        b"INVITE a SIP/2.0\r\nVia: a\r\n\r",
        b"INVITE a SIP/2.0\r\nVia: a\r",
        b"INVITE a SIP/2.0\r\nVia: a\n\r\n",
        b"INVITE a SIP/2.0\r\nVia: a\r\r\n\r\n",
        b"INVITE a SIP/2.0\r\nno colon\r\n\r\n",
        b"SIP/2.0 200 OK\nl: 3\n\nabc",
    ];
    for c in cases {
        check(c);
    }
    // Sections at the u16 limit of the stored ranges.
    for pad in [65_400usize, 65_480, 65_500, 65_540, 65_600] {
        for tail in [
            "Call-ID: x\r\n\r\n",
            "X-A: y\r\n\r\n",
            "no colon\r\n\r\n",
            "Via: v\r\n \r\n",
        ] {
            let mut m = b"INVITE a SIP/2.0\r\nX-Pad: ".to_vec();
            m.resize(pad, b'p');
            m.extend_from_slice(b"\r\n");
            m.extend_from_slice(tail.as_bytes());
            check(&m);
        }
    }
}
