//! RFC 3261 conformance: §7 message format (compact forms, folding, header case, lists),
//! §7.5 keep-alives, §18.3 framing, §20 header grammar; plus the looks_like_sip content test.
use super::rfc4475::crlf;
use crate::sip::frame::{FrameLen, message_len};
use crate::sip::*;

const BASE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\n\
Max-Forwards: 70\n\
To: Bob <sip:bob@biloxi.example.com>\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n\
CSeq: 314159 INVITE\n\
Contact: <sip:alice@pc33.atlanta.example.com>\n\
Content-Type: application/sdp\n\
Content-Length: 4\n\nabcd";

/// §7.3.3 Compact form.
mod section_7_3_3 {
    use super::*;

    #[test]
    fn every_compact_form_expands() {
        let pairs: &[(&[u8], &[u8])] = &[
            (b"a", b"Accept-Contact"),
            (b"b", b"Referred-By"),
            (b"c", b"Content-Type"),
            (b"d", b"Request-Disposition"),
            (b"e", b"Content-Encoding"),
            (b"f", b"From"),
            (b"i", b"Call-ID"),
            (b"j", b"Reject-Contact"),
            (b"k", b"Supported"),
            (b"l", b"Content-Length"),
            (b"m", b"Contact"),
            (b"o", b"Event"),
            (b"r", b"Refer-To"),
            (b"s", b"Subject"),
            (b"t", b"To"),
            (b"u", b"Allow-Events"),
            (b"v", b"Via"),
            (b"x", b"Session-Expires"),
            (b"y", b"Identity"),
        ];
        for (c, long) in pairs {
            assert_eq!(expand_compact(c), *long);
            assert_eq!(expand_compact(&c.to_ascii_uppercase()), *long);
        }
        assert_eq!(expand_compact(b"z"), b"z");
    }

    #[test]
    fn compact_message() {
        let buf = crlf(
            b"NOTIFY sip:a@b SIP/2.0\nv: SIP/2.0/TCP h;branch=z9hG4bK1\nf: <sip:x@y>;tag=9\nt: sip:a@b\n\
i: cid-1\nCSeq: 2 NOTIFY\nm: <sip:x@h>\no: presence\nu: presence, dialog\nk: timer\nx: 1800;refresher=uac\n\
r: <sip:c@d>\nb: <sip:e@f>\ns: hello\ne: gzip\nc: text/plain\nl: 2\n\nhi",
        );
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.call_id(), Some(&b"cid-1"[..]));
        assert_eq!(m.from().unwrap().tag, Some(&b"9"[..]));
        assert_eq!(m.to().unwrap().uri, b"sip:a@b");
        assert_eq!(m.via_branch(), Some(&b"z9hG4bK1"[..]));
        assert_eq!(m.contact().unwrap().uri, b"sip:x@h");
        assert_eq!(m.content_type(), Some(&b"text/plain"[..]));
        assert_eq!(m.body(), b"hi");
        assert_eq!(m.header("Event"), Some(&b"presence"[..]));
        assert_eq!(
            m.headers("Allow-Events").collect::<Vec<_>>(),
            [&b"presence"[..], b"dialog"]
        );
        assert_eq!(m.header("supported"), Some(&b"timer"[..]));
        assert_eq!(
            m.header("Session-Expires"),
            Some(&b"1800;refresher=uac"[..])
        );
        assert_eq!(m.header("Refer-To"), Some(&b"<sip:c@d>"[..]));
        assert_eq!(m.header("Referred-By"), Some(&b"<sip:e@f>"[..]));
        assert_eq!(m.header("Subject"), Some(&b"hello"[..]));
        assert_eq!(m.header("Content-Encoding"), Some(&b"gzip"[..]));
        // Lookup by compact name finds the long form too.
        assert_eq!(
            SipMessage::parse(&crlf(BASE)).unwrap().header("i"),
            Some(&b"a84b4c76e66710@pc33.atlanta.example.com"[..])
        );
    }
}

/// §7.3.1 Header field format: case, whitespace around the colon, folding, lists.
mod section_7_3_1 {
    use super::*;

    #[test]
    fn header_names_are_case_insensitive() {
        let buf = crlf(BASE).to_ascii_lowercase();
        // Lowercasing the method makes it a different (unknown) method but still a request.
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.method_kind(), Some(Method::Unknown(b"invite")));
        assert_eq!(
            m.call_id(),
            Some(&b"a84b4c76e66710@pc33.atlanta.example.com"[..])
        );
        assert_eq!(m.cseq().unwrap().seq, 314159);
        assert_eq!(m.header("MAX-FORWARDS"), Some(&b"70"[..]));
    }

    #[test]
    fn whitespace_around_colon() {
        let buf = b"BYE sip:a SIP/2.0\r\nCall-ID   :   x1  \r\nCSeq\t:\t7 BYE\r\nl:0\r\n\r\n";
        let m = SipMessage::parse(buf).unwrap();
        assert_eq!(m.call_id(), Some(&b"x1"[..]));
        assert_eq!(
            m.cseq(),
            Some(CSeq {
                seq: 7,
                method: b"BYE"
            })
        );
        assert_eq!(m.content_length(), Some(0));
        assert!(m.quirks().contains(Quirks::SPACE_BEFORE_COLON));
    }

    #[test]
    fn folded_lines_span_the_fold() {
        let buf = b"OPTIONS sip:a SIP/2.0\r\nSubject: I know you're there,\r\n   pick up the phone\r\n\tand talk to me!\r\nCall-ID:\r\n x2\r\nl: 0\r\n\r\n";
        let m = SipMessage::parse(buf).unwrap();
        assert!(m.quirks().contains(Quirks::FOLDED_LINE));
        let subject = m.header("Subject").unwrap();
        assert_eq!(
            subject,
            b"I know you're there,\r\n   pick up the phone\r\n\tand talk to me!"
        );
        let parts: Vec<_> = unfold(subject).collect();
        assert_eq!(
            parts,
            [
                &b"I know you're there,"[..],
                b"pick up the phone",
                b"and talk to me!"
            ]
        );
        assert_eq!(m.call_id(), Some(&b"x2"[..]));
    }

    #[test]
    fn comma_lists_respect_quotes_and_angles() {
        let buf = b"REGISTER sip:r SIP/2.0\r\nContact: \"A, B\" <sip:a@h;x=1,2>;q=0.5, <sip:c@h>\r\nContact: sip:d@h\r\nl: 0\r\n\r\n";
        let m = SipMessage::parse(buf).unwrap();
        let c: Vec<_> = m.headers("m").collect();
        assert_eq!(
            c,
            [
                &b"\"A, B\" <sip:a@h;x=1,2>;q=0.5"[..],
                b"<sip:c@h>",
                b"sip:d@h"
            ]
        );
        let first = NameAddr::parse(c[0]).unwrap();
        assert_eq!(first.display, Some(&b"A, B"[..]));
        assert_eq!(first.uri, b"sip:a@h;x=1,2");
        assert_eq!(first.param_iter().get(b"q"), Some(&b"0.5"[..]));
        assert_eq!(
            CommaSplit::new(b" , ,a,,b ,").collect::<Vec<_>>(),
            [&b"a"[..], b"b"]
        );
    }

    #[test]
    fn authorization_is_not_split() {
        let buf = b"REGISTER sip:r SIP/2.0\r\nAuthorization: Digest username=\"a\", realm=\"b\", nonce=\"c\"\r\nl: 0\r\n\r\n";
        let m = SipMessage::parse(buf).unwrap();
        assert_eq!(m.headers("authorization").count(), 1);
    }

    #[test]
    fn line_without_colon_is_skipped_and_counted() {
        let buf = b"BYE sip:a SIP/2.0\r\nthis is not a header\r\nCall-ID: c\r\nl: 0\r\n\r\n";
        let m = SipMessage::parse(buf).unwrap();
        assert!(m.quirks().contains(Quirks::HEADER_WITHOUT_COLON));
        assert_eq!(m.call_id(), Some(&b"c"[..]));
        assert_eq!(m.all_headers().count(), 2);
    }

    #[test]
    fn more_headers_than_the_index_rescan() {
        let mut text = String::from("OPTIONS sip:a SIP/2.0\r\n");
        for i in 0..100 {
            text.push_str(&format!("X-H{i}: v{i}\r\n"));
        }
        text.push_str("Call-ID: late\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKlate\r\nl: 0\r\n\r\n");
        let m = SipMessage::parse(text.as_bytes()).unwrap();
        assert!(m.quirks().contains(Quirks::HEADER_INDEX_FULL));
        assert_eq!(m.call_id(), Some(&b"late"[..]));
        assert_eq!(m.header("X-H99"), Some(&b"v99"[..]));
        assert_eq!(m.via_branch(), Some(&b"z9hG4bKlate"[..]));
        assert_eq!(m.vias().count(), 1);
        assert_eq!(m.all_headers().count(), 103);
    }

    #[test]
    fn header_section_size_limit() {
        let mut text = b"OPTIONS sip:a SIP/2.0\r\nX-Big: ".to_vec();
        text.resize(70_000, b'a');
        text.extend_from_slice(b"\r\nCall-ID: c\r\n\r\n");
        let err = SipMessage::parse(&text).unwrap_err();
        assert!(
            matches!(err, SipError::HeadersTooLarge { limit: 65535, .. }),
            "{err}"
        );
        // A large body is fine: only header ranges are stored as u16.
        let mut text = b"MESSAGE sip:a SIP/2.0\r\nl: 100000\r\n\r\n".to_vec();
        text.resize(text.len() + 100_000, b'x');
        assert_eq!(SipMessage::parse(&text).unwrap().body().len(), 100_000);
    }

    #[test]
    fn non_utf8_bytes_are_kept() {
        let buf = b"MESSAGE sip:a SIP/2.0\r\nCall-ID: \xff\xfe@x\r\nX-Bin: \x80\x81\r\nl: 2\r\n\r\n\x00\xff";
        let m = SipMessage::parse(buf).unwrap();
        assert_eq!(m.call_id(), Some(&b"\xff\xfe@x"[..]));
        assert_eq!(m.header("x-bin"), Some(&b"\x80\x81"[..]));
        assert_eq!(m.body(), b"\x00\xff");
    }
}

/// §7.5 Framing SIP messages: CRLF before the start line is ignored; bare LF tolerated.
mod section_7_5 {
    use super::*;

    #[test]
    fn leading_crlf_and_lf_only() {
        let mut buf = b"\r\n\r\n".to_vec();
        buf.extend_from_slice(BASE);
        let m = SipMessage::parse(&buf).unwrap();
        assert!(m.quirks().contains(Quirks::LEADING_CRLF | Quirks::LF_ONLY));
        assert_eq!(m.body(), b"abcd");
        assert_eq!(m.len(), buf.len());
        assert!(looks_like_sip(&buf));
        assert_eq!(SipMessage::parse(b"\r\n\r\n").unwrap_err(), SipError::Empty);
    }

    #[test]
    fn junk_before_the_start_line() {
        let mut buf = b"\x00\x00\x00\x00garbage\r\n".to_vec();
        buf.extend_from_slice(&crlf(BASE));
        assert_eq!(
            SipMessage::parse(&buf).unwrap_err(),
            SipError::NoStartLine { offset: 0 }
        );
        let m = SipMessage::parse_skipping_junk(&buf).unwrap();
        assert!(m.quirks().contains(Quirks::JUNK_PREFIX));
        assert_eq!(m.method(), Some(&b"INVITE"[..]));
        assert!(!looks_like_sip(&buf));
    }

    #[test]
    fn no_empty_line() {
        let m = SipMessage::parse(b"SIP/2.0 200 OK\r\nCall-ID: x\r\n").unwrap();
        assert!(m.quirks().contains(Quirks::NO_EMPTY_LINE));
        assert_eq!(m.call_id(), Some(&b"x"[..]));
        assert!(m.body().is_empty());
    }
}

/// §18.3 Framing over streams: Content-Length delimits the body.
mod section_18_3 {
    use super::*;

    #[test]
    fn body_limited_to_content_length() {
        let mut buf = crlf(BASE);
        buf.extend_from_slice(b"SIP/2.0 100 Trying\r\n");
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.body(), b"abcd");
        assert!(m.quirks().contains(Quirks::TRAILING_BYTES));
        assert_eq!(message_len(&buf), FrameLen::Complete(m.len()));
        assert_eq!(m.body_offset() + m.body().len(), m.len());
    }

    #[test]
    fn missing_content_length_runs_to_the_end() {
        let buf = b"MESSAGE sip:a SIP/2.0\r\nCall-ID: x\r\n\r\nhello";
        let m = SipMessage::parse(buf).unwrap();
        assert!(m.quirks().contains(Quirks::MISSING_CONTENT_LENGTH));
        assert_eq!(m.body(), b"hello");
        assert_eq!(message_len(buf), FrameLen::NoContentLength(m.body_offset()));
    }
}

/// §20 header grammar helpers: CSeq, Via, Reason (RFC 3326), URIs.
mod section_20 {
    use super::*;

    #[test]
    fn reason_header_q850() {
        let buf = b"BYE sip:a SIP/2.0\r\nReason: Q.850;cause=16;text=\"Normal call clearing\", SIP;cause=200;text=\"OK\"\r\nl: 0\r\n\r\n";
        let m = SipMessage::parse(buf).unwrap();
        let r = m.reason().unwrap();
        assert_eq!(
            r,
            Reason {
                protocol: b"Q.850",
                cause: Some(16),
                text: Some(b"Normal call clearing")
            }
        );
        assert_eq!(m.reasons().count(), 2);
    }

    #[test]
    fn uri_helpers() {
        assert_eq!(
            uri_user(b"sip:+15551234@gw;user=phone"),
            Some(&b"+15551234"[..])
        );
        assert_eq!(
            uri_user(b"sips:alice:secret@host:5061"),
            Some(&b"alice"[..])
        );
        assert_eq!(
            uri_user(b"tel:+1-201-555-0123;phone-context=x"),
            Some(&b"+1-201-555-0123"[..])
        );
        assert_eq!(uri_user(b"sip:host.example.com;transport=tcp"), None);
        assert_eq!(uri_user(b"sip:200.57.7.195:55061;user=phone"), None);
        assert_eq!(
            uri_hostport(b"sip:alice@host:5061;transport=tls"),
            Some(&b"host:5061"[..])
        );
        let p: Vec<_> = uri_params(b"sip:a@h;transport=tcp;lr?subject=x").collect();
        assert_eq!(
            p,
            [(&b"transport"[..], Some(&b"tcp"[..])), (&b"lr"[..], None)]
        );
    }

    #[test]
    fn cseq_and_via_edge_cases() {
        assert_eq!(
            CSeq::parse(b"4294967295 ACK"),
            Some(CSeq {
                seq: u32::MAX,
                method: b"ACK"
            })
        );
        assert_eq!(CSeq::parse(b"4294967296 ACK"), None);
        assert_eq!(CSeq::parse(b"12"), None);
        assert_eq!(CSeq::parse(b"1 IN VITE"), None);
        let v = Via::parse(b"SIP/2.0/WSS df7jal23ls0d.invalid;received=192.0.2.1;rport=5060;branch=z9hG4bK56sdasks").unwrap();
        assert_eq!(v.transport, b"WSS");
        assert_eq!(v.received(), Some(&b"192.0.2.1"[..]));
        assert_eq!(v.rport(), Some(&b"5060"[..]));
        assert_eq!(Via::parse(b"garbage"), None);
    }

    #[test]
    fn methods_round_trip() {
        for m in [
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "REGISTER",
            "OPTIONS",
            "PRACK",
            "UPDATE",
            "REFER",
            "SUBSCRIBE",
            "NOTIFY",
            "MESSAGE",
            "INFO",
            "PUBLISH",
            "FOO",
        ] {
            let k = Method::from_bytes(m.as_bytes());
            assert_eq!(k.as_bytes(), m.as_bytes());
            assert_eq!(matches!(k, Method::Unknown(_)), m == "FOO");
        }
    }
}

/// looks_like_sip: finds SIP on any port, rejects everything else.
mod content_test {
    use super::*;

    #[test]
    fn accepts_requests_and_responses() {
        assert!(looks_like_sip(&crlf(BASE)));
        assert!(looks_like_sip(b"SIP/2.0 200 OK\r\n"));
        assert!(looks_like_sip(b"SIP/2.0 180 Ringing"));
        assert!(looks_like_sip(b"\r\nOPTIONS sip:x SIP/2.0\r\n"));
    }

    #[test]
    fn rejects_other_protocols() {
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!looks_like_sip(b"HTTP/1.1 200 OK\r\n\r\n"));
        assert!(!looks_like_sip(b"\r\n\r\n"));
        assert!(!looks_like_sip(b"hello"));
        // ndpi_sip_hello.pcapng: 5-byte keep-alives on port 5060.
        assert!(!looks_like_sip(b"\x00\x00\x00\x00\x00"));
        assert!(!looks_like_sip(b"jaKu\n"));
        // RTP (version 2, PT 0) and a STUN binding request.
        let mut rtp = vec![0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef];
        rtp.extend_from_slice(&[0xff; 160]);
        assert!(!looks_like_sip(&rtp));
        let stun = [
            0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ];
        assert!(!looks_like_sip(&stun));
        assert!(!looks_like_sip(b"SIP/2.0 2000 OK\r\n"));
        assert!(!looks_like_sip(b"INVITE sip:x SIP/2.0\x00junk\r\n"));
    }
}
