//! Property: the same message written with random header case, compact or long names,
//! CRLF or LF line ends, folded values and extra whitespace parses to the same Call-ID,
//! CSeq, tags and branch.
use proptest::prelude::*;

use crate::sip::*;

#[derive(Debug, Clone)]
struct Style {
    lf_only: bool,
    compact: [bool; 5],
    upper: [u8; 8],
    fold: [bool; 4],
    space_before_colon: bool,
    order_seed: u8,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        any::<[bool; 5]>(),
        any::<[u8; 8]>(),
        any::<[bool; 4]>(),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(
            |(lf_only, compact, upper, fold, space_before_colon, order_seed)| Style {
                lf_only,
                compact,
                upper,
                fold,
                space_before_colon,
                order_seed,
            },
        )
}

/// Randomises the case of a header name with the bits of `mask`.
fn recase(name: &str, mask: u8) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 8) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn build(call_id: &str, seq: u32, tag: &str, branch: &str, body: &str, st: &Style) -> Vec<u8> {
    let nl = if st.lf_only { "\n" } else { "\r\n" };
    let fold = |yes: bool| {
        if yes {
            format!("{nl} \t ")
        } else {
            " ".to_string()
        }
    };
    let name = |long: &str, short: &str, i: usize| {
        let n = if st.compact.get(i).copied().unwrap_or(false) {
            short.to_string()
        } else {
            recase(long, st.upper[i])
        };
        if st.space_before_colon {
            format!("{n} ")
        } else {
            n
        }
    };
    let mut headers = vec![
        format!(
            "{}:{}SIP/2.0/UDP 192.0.2.1:5060;branch={branch}",
            name("Via", "v", 0),
            fold(st.fold[0])
        ),
        format!(
            "{}: \"Alice, A.\" <sip:alice@atlanta.example.com>{};tag={tag}",
            name("From", "f", 1),
            fold(st.fold[1])
        ),
        format!("{}: <sip:bob@biloxi.example.com>", name("To", "t", 2)),
        format!("{}:{}{call_id}", name("Call-ID", "i", 3), fold(st.fold[2])),
        format!(
            "{}: {seq}{}INVITE",
            recase("CSeq", st.upper[5]),
            fold(st.fold[3])
        ),
        format!("{}: 70", recase("Max-Forwards", st.upper[6])),
        format!("{}: {}", name("Content-Length", "l", 4), body.len()),
    ];
    let k = usize::from(st.order_seed) % headers.len();
    headers.rotate_left(k);
    let mut out = format!("INVITE sip:bob@biloxi.example.com SIP/2.0{nl}");
    for h in headers {
        out.push_str(&h);
        out.push_str(nl);
    }
    out.push_str(nl);
    out.push_str(body);
    out.into_bytes()
}

proptest! {
    #[test]
    fn same_fields_in_any_style(
        call_id in "[a-zA-Z0-9.!%*_+`'~()<>:\\\\\"/?{}-]{1,40}@[a-z0-9.]{1,20}",
        seq in any::<u32>(),
        tag in "[a-zA-Z0-9-]{1,20}",
        branch in "z9hG4bK[a-zA-Z0-9]{1,20}",
        body in "[ -~]{0,40}",
        st in style(),
    ) {
        let buf = build(&call_id, seq, &tag, &branch, &body, &st);
        let m = SipMessage::parse(&buf).unwrap();
        prop_assert_eq!(m.call_id(), Some(call_id.as_bytes()));
        prop_assert_eq!(m.cseq(), Some(CSeq { seq, method: b"INVITE" }));
        prop_assert_eq!(m.from().unwrap().tag, Some(tag.as_bytes()));
        prop_assert_eq!(m.from().unwrap().display, Some(&b"Alice, A."[..]));
        prop_assert_eq!(m.via_branch(), Some(branch.as_bytes()));
        prop_assert_eq!(m.to().unwrap().uri, &b"sip:bob@biloxi.example.com"[..]);
        prop_assert_eq!(m.body(), body.as_bytes());
        prop_assert_eq!(m.header("max-forwards"), Some(&b"70"[..]));
        prop_assert_eq!(m.quirks().contains(Quirks::LF_ONLY), st.lf_only);
        prop_assert_eq!(m.quirks().contains(Quirks::FOLDED_LINE), st.fold.iter().any(|f| *f));
        prop_assert_eq!(frame::message_len(&buf), frame::FrameLen::Complete(buf.len()));
    }

    /// Arbitrary bytes never panic, and every slice returned lies inside the input.
    #[test]
    fn arbitrary_bytes_stay_in_bounds(buf in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = looks_like_sip(&buf);
        let _ = frame::message_len(&buf);
        if let Ok(m) = SipMessage::parse(&buf) {
            let inside = |s: &[u8]| {
                let (b0, b1) = (buf.as_ptr() as usize, buf.as_ptr() as usize + buf.len());
                let s0 = s.as_ptr() as usize;
                s.is_empty() || (s0 >= b0 && s0 + s.len() <= b1)
            };
            prop_assert!(inside(m.body()));
            for (n, v) in m.all_headers() {
                prop_assert!(inside(n) && inside(v));
            }
        }
    }
}

proptest! {
    /// The SWAR colon finder of the header pass agrees with a plain scan (colons and
    /// high bytes at any position, any length around the word boundaries).
    #[test]
    fn find_colon_is_exact(v in proptest::collection::vec(prop_oneof![Just(b':'), Just(0x3bu8), Just(0xbau8), Just(0u8), any::<u8>()], 0..40)) {
        prop_assert_eq!(
            crate::sip::message::find_colon(&v),
            v.iter().position(|&c| c == b':')
        );
    }

    /// The memchr fast path of `find_unquoted` agrees with the byte-by-byte state machine.
    #[test]
    fn find_unquoted_fast_path_is_exact(s in "[a,;\"<>\\\\ ]{0,40}", angles in any::<bool>()) {
        use crate::sip::header::{find_unquoted, find_unquoted_slow};
        for needle in [b',', b';', b'<'] {
            prop_assert_eq!(
                find_unquoted(s.as_bytes(), needle, angles),
                find_unquoted_slow(s.as_bytes(), needle, angles)
            );
        }
    }
}

/// Header lines for the pass-versus-rescan property: known and unknown names, compact forms,
/// odd spacing, lines without a colon, folds, bare LFs and stray CRs.
const LINES: &[&str] = &[
    "Call-ID: a@b\r\n",
    "i:c2\r\n",
    "From: \"A\" <sip:a@x>;tag=1\r\n",
    "f: <sip:f@x>;tag=2\n",
    "To: <sip:b@y>\r\n",
    "t:sip:t@y;tag=3\r\n",
    "CSeq: 7 INVITE\r\n",
    "Via: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/TCP g\r\n",
    "v: SIP/2.0/UDP v;branch=z9hG4bKv\r\n",
    "Contact: <sip:c@z>, <sip:d@z>\r\n",
    "m: *\r\n",
    "Content-Type: application/sdp\r\n",
    "c: text/plain\r\n",
    "Content-Length: 4\r\n",
    "l: x\r\n",
    "Max-Forwards: 70\r\n",
    "X-Call-ID: no\r\n",
    "Contact-X: no\r\n",
    "Via : SIP/2.0/UDP s;branch=z9hG4bKs\r\n",
    "no colon here\r\n",
    "Subject: folded\r\n  more\r\n",
    "From: <sip:fold@x>\r\n\t;tag=f\r\n",
    "Call\rID: cr\r\n",
    ": empty name\r\n",
    "Content-Length:  12  \r\n",
];

proptest! {
    /// The parser's header pass records what the generic rescan (`RawHeaders`, behind
    /// `all_headers`/`header_lines`) finds first for each indexed header.
    #[test]
    fn header_pass_agrees_with_rescan(
        picks in proptest::collection::vec((0..LINES.len(), any::<u8>()), 0..14),
        end in prop_oneof![Just("\r\n"), Just("\n"), Just("")],
    ) {
        let mut text = String::from("INVITE sip:a@b SIP/2.0\r\n");
        for &(i, mask) in &picks {
            text.push_str(&recase(LINES[i], mask));
        }
        text.push_str(end);
        text.push_str("body");
        let m = SipMessage::parse(text.as_bytes()).unwrap();
        let first = |name: &str| m.header_lines(name).next();
        prop_assert_eq!(m.call_id(), first("Call-ID"));
        prop_assert_eq!(m.content_type(), first("Content-Type"));
        prop_assert_eq!(m.from(), first("From").and_then(NameAddr::parse));
        prop_assert_eq!(m.to(), first("To").and_then(NameAddr::parse));
        prop_assert_eq!(m.cseq(), first("CSeq").and_then(CSeq::parse));
        prop_assert_eq!(
            m.contact(),
            first("Contact").and_then(|v| CommaSplit::new(v).next()).and_then(NameAddr::parse)
        );
        prop_assert_eq!(
            m.via(),
            first("Via").and_then(|v| CommaSplit::new(v).next()).and_then(Via::parse)
        );
        prop_assert_eq!(m.via_count(), m.headers("Via").count());
        let cl = first("Content-Length");
        prop_assert_eq!(
            m.content_length(),
            cl.and_then(|v| v.iter().all(u8::is_ascii_digit).then(|| std::str::from_utf8(v).ok()?.parse().ok()).flatten())
        );
        let mut raw = crate::sip::header::RawHeaders::new(text.as_bytes(), m.header_bytes().as_ptr() as usize - text.as_ptr() as usize);
        raw.by_ref().count();
        match raw.end {
            crate::sip::header::SectionEnd::Blank(e, body) => {
                prop_assert_eq!(m.header_bytes().len() + (m.header_bytes().as_ptr() as usize - text.as_ptr() as usize), e);
                prop_assert_eq!(m.body_offset(), body);
            }
            _ => prop_assert!(m.quirks().contains(Quirks::NO_EMPTY_LINE)),
        }
        prop_assert_eq!(m.quirks().contains(Quirks::LF_ONLY), raw.lf_only || text.starts_with('\n'));
    }
}
