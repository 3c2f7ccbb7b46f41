//! RFC 4475 "SIP Torture Test Messages". Messages are written with `\n` line ends as printed
//! in the RFC and converted to CRLF by `crlf()` unless the test is about LF.
use crate::sip::sdp::{Sdp, find_sdp};
use crate::sip::*;

/// Converts `\n` to `\r\n` (the RFC shows messages with bare line ends).
pub(super) fn crlf(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 64);
    for &c in s {
        if c == b'\n' {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

const SDP150: &str = "v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.3\ns=-\nc=IN IP4 192.0.2.4\nt=0 0\nm=audio 49217 RTP/AVP 0 12\nm=video 3227 RTP/AVP 31\na=rtpmap:31 LPC\n";

/// §3.1.1 Valid messages.
mod section_3_1_1 {
    use super::*;

    /// §3.1.1.1 A Short Tortuous INVITE (wsinv).
    #[test]
    fn wsinv() {
        let text = format!(
            "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n\
TO :\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n\
from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\n  ;\n  tag = 98asjd8\n\
MaX-fOrWaRdS: 0068\n\
Call-ID: wsinv.ndaksdj@192.0.2.1\n\
Content-Length   : 150\n\
cseq: 0009\n  INVITE\n\
Via  : SIP  /   2.0\n /UDP\n    192.0.2.2;branch=390skdjuw\n\
s :\n\
NewFangledHeader:   newfangled value\n continued newfangled value\n\
UnknownHeaderWithUnusualValue: ;;,,;;,;\n\
Content-Type: application/sdp\n\
Route:\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n\
v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n  branch  =   z9hG4bK9ikj8  ,\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n z9hG4bK30239\n\
m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\n      newvalue ;\n  secondparam ; q = 0.33\n\n{SDP150}"
        );
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.method(), Some(&b"INVITE"[..]));
        assert_eq!(m.method_kind(), Some(Method::Invite));
        assert_eq!(
            m.request_uri(),
            Some(&b"sip:vivekg@chair-dnrc.example.com;unknownparam"[..])
        );
        assert_eq!(m.call_id(), Some(&b"wsinv.ndaksdj@192.0.2.1"[..]));
        let to = m.to().unwrap();
        assert_eq!(to.uri, b"sip:vivekg@chair-dnrc.example.com");
        assert_eq!(to.tag, Some(&b"1918181833n"[..]));
        assert_eq!(to.display, None);
        let from = m.from().unwrap();
        assert_eq!(from.tag, Some(&b"98asjd8"[..]));
        assert_eq!(from.display, Some(&br#"J Rosenberg \\\""#[..]));
        assert_eq!(from.user(), Some(&b"jdrosen"[..]));
        assert_eq!(
            m.cseq(),
            Some(CSeq {
                seq: 9,
                method: b"INVITE"
            })
        );
        assert_eq!(m.content_length(), Some(150));
        assert_eq!(m.body(), SDP150.replace('\n', "\r\n").as_bytes());
        assert_eq!(m.content_type(), Some(&b"application/sdp"[..]));
        // Three Via values over two header lines (one long, one compact with a comma).
        assert_eq!(m.via_count(), 3);
        let vias: Vec<_> = m.vias().collect();
        assert_eq!(vias.len(), 3);
        assert_eq!(vias[0].transport, b"UDP");
        assert_eq!(vias[0].sent_by, b"192.0.2.2");
        assert_eq!(m.via_branch(), Some(&b"390skdjuw"[..]));
        assert_eq!(vias[1].transport, b"TCP");
        assert_eq!(vias[1].sent_by, b"spindle.example.com");
        assert_eq!(vias[1].branch(), Some(&b"z9hG4bK9ikj8"[..]));
        assert_eq!(vias[2].sent_by, b"192.168.255.111");
        assert_eq!(vias[2].branch(), Some(&b"z9hG4bK30239"[..]));
        assert_eq!(
            m.header("Subject"),
            Some(&b""[..]),
            "an empty subject is present"
        );
        assert_eq!(m.header("Max-Forwards"), Some(&b"0068"[..]));
        let nf = m.header_lines("newfangledheader").next().unwrap();
        assert_eq!(
            unfold(nf).collect::<Vec<_>>(),
            [&b"newfangled value"[..], b"continued newfangled value"]
        );
        assert_eq!(m.header("UnknownHeaderWithUnusualValue"), Some(&b";;"[..]));
        let contact = m.contact().unwrap();
        assert_eq!(contact.uri, b"sip:jdrosen@example.com");
        assert_eq!(contact.display, Some(&br#"Quoted string \"\""#[..]));
        assert_eq!(
            contact.param_iter().get(b"newparam"),
            Some(&b"newvalue"[..])
        );
        assert_eq!(contact.param_iter().get(b"secondparam"), Some(&b""[..]));
        assert_eq!(contact.param_iter().get(b"q"), Some(&b"0.33"[..]));
        assert!(m.quirks().contains(Quirks::FOLDED_LINE));
        assert!(m.quirks().contains(Quirks::SPACE_BEFORE_COLON));
        assert!(!m.quirks().contains(Quirks::LF_ONLY));
        assert!(!m.quirks().contains(Quirks::MISSING_MANDATORY));
        let sdp = Sdp::parse(m.body()).unwrap();
        assert_eq!(sdp.media().count(), 2);
    }

    /// §3.1.1.2 Wide Range of Valid Characters (intmeth).
    #[test]
    fn intmeth() {
        let mut buf = Vec::new();
        buf.extend_from_slice(b"!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\n");
        buf.extend_from_slice(b"Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n");
        buf.extend_from_slice(b"To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\n");
        buf.extend_from_slice(b"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89\xD0\xB8\xD0\xB9\";tag=_token~1'+`*%!-.\n");
        buf.extend_from_slice(b"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n");
        buf.extend_from_slice(b"CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n");
        buf.extend_from_slice(b"Max-Forwards: 255\n");
        buf.extend_from_slice(
            b"extensionHeader-!.%*+_`'~:\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB\n",
        );
        buf.extend_from_slice(b"Content-Length: 0\n\n");
        let buf = crlf(&buf);
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(
            m.method(),
            Some(&b"!interesting-Method0123456789_*+`.%indeed'~"[..])
        );
        assert!(matches!(m.method_kind(), Some(Method::Unknown(_))));
        assert_eq!(m.via_branch(), Some(&b"z9hG4bK-.!%66*_+`'~"[..]));
        assert_eq!(
            m.call_id(),
            Some(&b"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"[..])
        );
        assert_eq!(m.cseq().unwrap().seq, 139122385);
        assert_eq!(m.cseq().unwrap().method, m.method().unwrap());
        let from = m.from().unwrap();
        assert_eq!(from.tag, Some(&b"_token~1'+`*%!-."[..]));
        assert_eq!(from.display, Some(&b"token1~` token2'+_ token3*%!.-"[..]));
        assert_eq!(from.uri, b"sip:mundane@example.com");
        let to = m.to().unwrap();
        assert_eq!(
            to.uri,
            b"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com"
        );
        assert_eq!(
            m.header("extensionHeader-!.%*+_`'~"),
            Some(&b"\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB"[..])
        );
        assert!(looks_like_sip(&buf));
    }

    /// §3.1.1.3 Valid Use of the % Escaping Mechanism (esc01).
    #[test]
    fn esc01() {
        let text = format!(
            "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n\
To: sip:%75se%72@example.com\n\
From: <sip:I%20have%20spaces@example.net>;tag=938\n\
Max-Forwards: 87\n\
i: esc01.239409asdfakjkn23onasd0-3234\n\
CSeq: 234234 INVITE\n\
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n\
C: application/sdp\n\
Contact:\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n\
Content-Length: 150\n\n{SDP150}"
        );
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(
            m.call_id(),
            Some(&b"esc01.239409asdfakjkn23onasd0-3234"[..])
        );
        assert_eq!(
            uri_user(m.request_uri().unwrap()),
            Some(&b"sips%3Auser%40example.com"[..])
        );
        assert_eq!(m.to().unwrap().user(), Some(&b"%75se%72"[..]));
        assert_eq!(m.from().unwrap().user(), Some(&b"I%20have%20spaces"[..]));
        assert_eq!(m.content_type(), Some(&b"application/sdp"[..]));
        let c = m.contact().unwrap();
        assert_eq!(
            c.uri,
            b"sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31"
        );
        let params: Vec<_> = uri_params(c.uri).collect();
        assert_eq!(
            params,
            [
                (&b"%6C%72"[..], None),
                (&b"n%61me"[..], Some(&b"v%61lue%25%34%31"[..]))
            ]
        );
        assert_eq!(
            find_sdp(m.content_type().unwrap(), m.body()),
            Some(m.body())
        );
    }

    /// §3.1.1.6 Message with No LWS between Display Name and < (lwsdisp).
    #[test]
    fn lwsdisp() {
        let buf = crlf(
            b"OPTIONS sip:user@example.com SIP/2.0\nTo: sip:user@example.com\nFrom: caller<sip:caller@example.com>;tag=323\n\
Max-Forwards: 70\nCall-ID: lwsdisp.1234abcd@funky.example.com\nCSeq: 60 OPTIONS\n\
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\nl: 0\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        let from = m.from().unwrap();
        assert_eq!(from.display, Some(&b"caller"[..]));
        assert_eq!(from.uri, b"sip:caller@example.com");
        assert_eq!(from.tag, Some(&b"323"[..]));
        assert_eq!(m.to().unwrap().uri, b"sip:user@example.com");
        assert_eq!(m.content_length(), Some(0));
        assert!(m.body().is_empty());
        assert!(m.quirks().is_empty(), "{:?}", m.quirks());
    }

    /// §3.1.1.7 Long Values in Header Fields (longreq), shortened: long tokens, many Vias,
    /// a long display name and an unknown header with a long value.
    #[test]
    fn longreq() {
        let long = "longreq.".repeat(40);
        let mut text = format!(
            "INVITE sip:user@example.com SIP/2.0\n\
To: \"I have a user name of {0} with a display\" <sip:user@example.com>\n\
From: sip:caller@example.net;tag={0}\n\
Call-ID: {0}@127.0.0.1\n\
CSeq: 3882340 INVITE\n\
Unknown-{0}: {0}\n\
Max-Forwards: 70\n",
            long
        );
        for i in 0..20 {
            text.push_str(&format!(
                "Via: SIP/2.0/TCP sip{i}.example.com;branch=z9hG4bK{i}{long}\n"
            ));
        }
        text.push_str("Content-Length: 0\n\n");
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.via_count(), 20);
        assert_eq!(m.vias().count(), 20);
        assert_eq!(m.via_branch(), Some(format!("z9hG4bK0{long}").as_bytes()));
        assert_eq!(m.from().unwrap().tag, Some(long.as_bytes()));
        assert_eq!(m.call_id().unwrap().len(), long.len() + 10);
        let unknown = format!("unknown-{long}");
        assert_eq!(m.header(&unknown), Some(long.as_bytes()));
    }

    /// §3.1.1.11 Multiple Requests in One Datagram (dblreq): only the first is the message;
    /// Content-Length 0 leaves the second as trailing bytes.
    #[test]
    fn dblreq() {
        let text = format!(
            "REGISTER sip:example.com SIP/2.0\nTo: sip:j.user@example.com\nFrom: sip:j.user@example.com;tag=43251j3j324\n\
Max-Forwards: 8\nI: dblreq.0ha0isndaksdj99sdfafnl3lk233412\nContact: sip:j.user@host.example.com\n\
CSeq: 8 REGISTER\nVia: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\nContent-Length: 0\n\n\n\
INVITE sip:joe@example.com SIP/2.0\nt: sip:joe@example.com\nFrom: sip:caller@example.net;tag=141334\n\
Max-Forwards: 8\nCall-ID: dblreq.0ha0isnda977644900765@192.0.2.15\nCSeq: 8 INVITE\n\
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\nContent-Type: application/sdp\nContent-Length: 150\n\n{SDP150}"
        );
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.method(), Some(&b"REGISTER"[..]));
        assert_eq!(
            m.call_id(),
            Some(&b"dblreq.0ha0isndaksdj99sdfafnl3lk233412"[..])
        );
        assert_eq!(m.from().unwrap().tag, Some(&b"43251j3j324"[..]));
        assert_eq!(m.contact().unwrap().uri, b"sip:j.user@host.example.com");
        assert!(m.body().is_empty());
        assert!(m.quirks().contains(Quirks::TRAILING_BYTES));
        // The second request is where the first one ends (after the extra CRLF keep-alive).
        let second = SipMessage::parse(&buf[m.len()..]).unwrap();
        assert_eq!(second.method(), Some(&b"INVITE"[..]));
        assert!(second.quirks().contains(Quirks::LEADING_CRLF));
        assert_eq!(second.to().unwrap().uri, b"sip:joe@example.com");
        assert_eq!(second.body().len(), 150);
        assert_eq!(frame::message_len(&buf), frame::FrameLen::Complete(m.len()));
    }

    /// §3.1.1.12 Semicolon-Separated Parameters in URI User Part (semiuri).
    #[test]
    fn semiuri() {
        let buf = crlf(
            b"OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\nTo: sip:j_user@example.com\n\
From: sip:caller@example.org;tag=33242\nMax-Forwards: 3\nCall-ID: semiuri.0ha0isndaksdj\nCSeq: 8 OPTIONS\n\
Accept: application/sdp, application/pkcs7-mime,\n        multipart/mixed, multipart/signed,\n        message/sip, message/sipfrag\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\nl: 0\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(
            uri_user(m.request_uri().unwrap()),
            Some(&b"user;par=u%40example.net"[..])
        );
        assert_eq!(
            uri_hostport(m.request_uri().unwrap()),
            Some(&b"example.com"[..])
        );
        assert_eq!(uri_params(m.request_uri().unwrap()).count(), 0);
        let accept: Vec<_> = m.headers("Accept").collect();
        assert_eq!(accept.len(), 6);
        assert_eq!(accept[5], b"message/sipfrag");
        // addr-spec form: ;tag is a header parameter.
        assert_eq!(m.from().unwrap().uri, b"sip:caller@example.org");
        assert_eq!(m.from().unwrap().tag, Some(&b"33242"[..]));
    }

    /// §3.1.1.13 Varied and Unknown Transport Types (transports).
    #[test]
    fn transports() {
        let buf = crlf(
            b"OPTIONS sip:user@example.com SIP/2.0\nTo: sip:user@example.com\nFrom: <sip:caller@example.com>;tag=323\n\
Max-Forwards: 70\nCall-ID:  transports.kijh4akdnaqjkwendsasfdj\nAccept: application/sdp\nCSeq: 60 OPTIONS\n\
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\nVia: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n\
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\nVia: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n\
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\nl: 0\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        let t: Vec<_> = m.vias().map(|v| v.transport).collect();
        assert_eq!(t, [&b"UDP"[..], b"SCTP", b"TLS", b"UNKNOWN", b"TCP"]);
        assert_eq!(
            m.call_id(),
            Some(&b"transports.kijh4akdnaqjkwendsasfdj"[..])
        );
        assert_eq!(m.via().unwrap().protocol, b"SIP/2.0/UDP");
    }

    /// §3.1.1.14 Multipart MIME Message (mpart01), with an SDP part added so that
    /// `find_sdp` has something to find.
    #[test]
    fn mpart01() {
        let body = "--7a9cbec02ceef655\nContent-Type: text/plain\nContent-Transfer-Encoding: binary\n\nHello\n\
--7a9cbec02ceef655\nContent-Type: application/sdp\n\nv=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n\
--7a9cbec02ceef655--\n";
        let body = String::from_utf8(crlf(body.as_bytes())).unwrap();
        let text = format!(
            "MESSAGE sip:kumiko@example.org SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport\r\n\
Max-Forwards: 70\r\nRoute: <sip:127.0.0.1:5080>\r\nContact: <sip:fluffy@127.0.0.1:5070>\r\n\
To: <sip:kumiko@example.org>\r\nFrom: <sip:fluffy@example.com>;tag=2fb0dcc9\r\n\
Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\r\nCSeq: 1 MESSAGE\r\n\
Content-Transfer-Encoding: binary\r\nContent-Type: multipart/mixed;boundary=7a9cbec02ceef655\r\n\
Date: Sat, 15 Oct 2005 04:44:56 GMT\r\nUser-Agent: SIPimp.org/0.2.5 (curses)\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let m = SipMessage::parse(text.as_bytes()).unwrap();
        assert_eq!(m.method_kind(), Some(Method::Message));
        assert_eq!(
            m.header("Date"),
            Some(&b"Sat, 15 Oct 2005 04:44:56 GMT"[..])
        );
        assert_eq!(m.user_agent(), Some(&b"SIPimp.org/0.2.5 (curses)"[..]));
        assert_eq!(m.via().unwrap().rport(), Some(&b""[..]));
        let sdp = find_sdp(m.content_type().unwrap(), m.body()).unwrap();
        assert!(sdp.starts_with(b"v=0\r\n"));
        assert!(sdp.ends_with(b"RTP/AVP 0"));
        let sdp = Sdp::parse(sdp).unwrap();
        assert_eq!(sdp.media().next().unwrap().port, 4000);
    }

    /// §3.1.1.15 Unusual Reason Phrase (unreason): UTF-8 in the reason phrase.
    #[test]
    fn unreason() {
        let text = format!(
            "SIP/2.0 200 = 2**3 * 5**2 \u{043d}\u{043e} \u{0441}\u{0442}\u{043e} \u{0434}\u{0435}\u{0432}\u{044f}\u{043d}\u{043e}\u{0441}\u{0442}\u{043e} \u{0434}\u{0435}\u{0432}\u{044f}\u{0442}\u{044c} - \u{043f}\u{0440}\u{043e}\u{0441}\u{0442}\u{043e}\u{0435}\n\
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\nCall-ID: unreason.1234ksdfak3j2erwedfsASdf\nCSeq: 35 INVITE\n\
From: sip:user@example.com;tag=11141343\nTo: sip:user@example.edu;tag=2229\nContent-Length: 150\n\
Content-Type: application/sdp\nContact: <sip:user@host198.example.com>\n\n{SDP150}"
        );
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.status(), Some(200));
        assert!(m.reason_phrase().unwrap().starts_with(b"= 2**3 * 5**2 "));
        assert!(m.reason_phrase().unwrap().ends_with("\u{0435}".as_bytes()));
        assert_eq!(m.to().unwrap().tag, Some(&b"2229"[..]));
        assert_eq!(m.body().len(), 150);
        assert!(looks_like_sip(&buf));
    }

    /// §3.1.1.16 Empty Reason Phrase (noreason): `SIP/2.0 100 ` with the SP kept.
    #[test]
    fn noreason() {
        let buf = crlf(
            b"SIP/2.0 100 \nVia: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\nCall-ID: noreason.asndj203insdf99223ndf\n\
CSeq: 35 INVITE\nFrom: <sip:user@example.com>;tag=39ansfi3\nTo: <sip:user@example.edu>;tag=902jndnke3\n\
Content-Length: 0\nContact: <sip:user@host105.example.com>\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.status(), Some(100));
        assert_eq!(m.reason_phrase(), Some(&b""[..]));
        assert_eq!(
            m.kind(),
            StartLine::Response {
                code: 100,
                reason: b"",
                version: b"SIP/2.0"
            }
        );
        assert!(looks_like_sip(&buf));
    }
}

/// §3.1.2 Invalid messages: parsed without panic, the problem visible as a quirk or `None`.
mod section_3_1_2 {
    use super::*;

    /// §3.1.2.1 Extraneous Header Field Separators (badinv01).
    #[test]
    fn badinv01() {
        let text = format!(
            "INVITE sip:user@example.com SIP/2.0\nTo: sip:j.user@example.com\nFrom: sip:caller@example.net;tag=134161461246\n\
Max-Forwards: 7\nCall-ID: badinv01.0ha0isndaksdjasdf3234nas\nCSeq: 8 INVITE\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\n\
Contact: \"Joe\" <sip:joe@example.org>;;;;\nContent-Length: 150\nContent-Type: application/sdp\n\n{SDP150}"
        );
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.via().unwrap().sent_by, b"192.0.2.15");
        assert_eq!(m.via_branch(), None);
        assert_eq!(m.contact().unwrap().display, Some(&b"Joe"[..]));
        assert_eq!(m.contact().unwrap().param_iter().count(), 0);
    }

    /// §3.1.2.2 Content Length Larger Than Message (clerr).
    #[test]
    fn clerr() {
        let text = format!(
            "INVITE sip:user@example.com SIP/2.0\nMax-Forwards: 80\nTo: sip:j.user@example.com\n\
From: sip:caller@example.net;tag=93942939o2\nContact: <sip:caller@hungry.example.net>\n\
Call-ID: clerr.0ha0isndaksdjweiafasdk3\nCSeq: 8 INVITE\nVia: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\n\
Content-Type: application/sdp\nContent-Length: 9999\n\n{SDP150}"
        );
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.content_length(), Some(9999));
        assert_eq!(m.body().len(), 150, "the bytes present");
        assert!(m.quirks().contains(Quirks::CONTENT_LENGTH_MISMATCH));
        assert_eq!(frame::message_len(&buf), frame::FrameLen::Incomplete);
    }

    /// §3.1.2.3 Negative Content-Length (ncl).
    #[test]
    fn ncl() {
        let text = format!(
            "INVITE sip:user@example.com SIP/2.0\nMax-Forwards: 254\nTo: sip:j.user@example.com\n\
From: sip:caller@example.net;tag=32394234\nCall-ID: ncl.0ha0isndaksdj2193423r542w35\nCSeq: 0 INVITE\n\
Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw\nContact: <sip:caller@example53.example.net>\n\
Content-Type: application/sdp\nContent-Length: -999\n\n{SDP150}"
        );
        let buf = crlf(text.as_bytes());
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.content_length(), None);
        assert!(m.quirks().contains(Quirks::BAD_CONTENT_LENGTH));
        assert!(!m.quirks().contains(Quirks::MISSING_CONTENT_LENGTH));
        assert_eq!(m.body().len(), 150, "the whole rest of the datagram");
        assert_eq!(
            m.cseq(),
            Some(CSeq {
                seq: 0,
                method: b"INVITE"
            })
        );
        assert!(matches!(
            frame::message_len(&buf),
            frame::FrameLen::NoContentLength(_)
        ));
    }

    /// §3.1.2.4 Request Scalar Fields with Overlarge Values (scalar02).
    #[test]
    fn scalar02() {
        let buf = crlf(
            b"REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3\n\
To: <sip:user@example.com>\nFrom: <sip:user@example.com>;tag=239232jh3\nCSeq: 36893488147419103232 REGISTER\n\
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32\nMax-Forwards: 300\n\
Expires: 1000000000000000000000000000000000000000\nContact: <sip:user@host129.example.com>\n  ;expires=280297596632815\n\
Content-Length: 0\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.cseq(), None, "CSeq overflows u32");
        assert_eq!(
            m.contact().unwrap().param_iter().get(b"expires"),
            Some(&b"280297596632815"[..])
        );
        assert_eq!(m.header("Expires").map(<[u8]>::len), Some(40));
    }

    /// §3.1.2.5 Response Scalar Fields with Overlarge Values (scalarlg): status code 4 digits.
    #[test]
    fn scalarlg_status_code() {
        let buf = crlf(b"SIP/2.0 503 Service Unavailable\nl: 0\n\n");
        assert!(SipMessage::parse(&buf).is_ok());
        let bad = crlf(b"SIP/2.0 5030 Service Unavailable\nl: 0\n\n");
        assert_eq!(
            SipMessage::parse(&bad).unwrap_err(),
            SipError::BadStatusCode { offset: 8 }
        );
        let bad = crlf(b"SIP/2.0 099 Too Low\nl: 0\n\n");
        assert!(matches!(
            SipMessage::parse(&bad),
            Err(SipError::BadStatusCode { .. })
        ));
    }

    /// §3.1.2.8 Multiple Values in Single Value Required Fields (multi01): duplicates flagged.
    #[test]
    fn multi01() {
        let buf = crlf(
            b"INVITE sip:user@company.com SIP/2.0\nContact: <sip:caller@host25.example.net>\n\
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw\nMax-Forwards: 70\nCSeq: 5 INVITE\n\
Call-ID: multi01.98asdh@192.0.2.1\nCSeq: 59 INVITE\nCall-ID: multi01.98asdh@192.0.2.2\n\
From: sip:caller@example.com;tag=3413415\nTo: sip:user@example.com\nTo: sip:other@example.net\n\
From: sip:caller@example.net;tag=2923420123\nContent-Type: application/sdp\nl: 0\nl: 154\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        let q = m.quirks();
        assert!(q.contains(
            Quirks::DUPLICATE_CALL_ID | Quirks::DUPLICATE_CSEQ | Quirks::DUPLICATE_FROM_TO
        ));
        assert!(q.contains(Quirks::DUPLICATE_CONTENT_LENGTH));
        assert_eq!(
            m.call_id(),
            Some(&b"multi01.98asdh@192.0.2.1"[..]),
            "first wins"
        );
        assert_eq!(m.cseq().unwrap().seq, 5);
        assert_eq!(m.content_length(), Some(0));
        assert_eq!(m.header_lines("call-id").count(), 2);
    }

    /// §3.1.2.16 Unknown Protocol Version (badvers).
    #[test]
    fn badvers() {
        let buf = crlf(
            b"OPTIONS sip:t.watson@example.org SIP/7.0\nVia: SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\n\
Max-Forwards: 70\nFrom: A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\nTo: T. Watson <sip:t.watson@example.org>\n\
Call-ID: badvers.31417@c.example.com\nCSeq: 1 OPTIONS\nl: 0\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.version(), b"SIP/7.0");
        assert!(m.quirks().contains(Quirks::UNUSUAL_VERSION));
        assert!(
            !looks_like_sip(&buf),
            "only SIP/2.0 is recognised on unknown ports"
        );
        assert_eq!(m.from().unwrap().display, Some(&b"A. Bell"[..]));
    }

    /// §3.1.2.13 Failure to Enclose name-addr URI in <> (regbadct) and §3.1.2.10 Spaces
    /// within addr-spec (badaspec).
    #[test]
    fn badaspec() {
        let buf = crlf(
            b"OPTIONS sip:user@example.org SIP/2.0\nVia: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234\n\
Max-Forwards: 70\nFrom: \"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=433423\n\
To: \"Watson, Thomas\" < sip:t.watson@example.org >\nCall-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\n\
Accept: application/sdp\nCSeq: 3923239 OPTIONS\nl: 0\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        assert_eq!(m.to().unwrap().uri, b"sip:t.watson@example.org");
        assert_eq!(m.from().unwrap().display, Some(&b"Bell, Alexander"[..]));
        assert_eq!(
            m.headers("From").count(),
            1,
            "comma inside quotes does not split"
        );
    }

    /// §3.1.2.11 Unterminated quoted string in display name (quotbal).
    #[test]
    fn quotbal() {
        let buf = crlf(
            b"INVITE sip:user@example.com SIP/2.0\nTo: \"Mr. J. User <sip:j.user@example.com>\n\
From: sip:caller@example.net;tag=93334\nMax-Forwards: 10\nCall-ID: quotbal.aksdj\nContact: <sip:caller@host59.example.net>\n\
CSeq: 8 INVITE\nVia: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\nContent-Type: application/sdp\nContent-Length: 0\n\n",
        );
        let m = SipMessage::parse(&buf).unwrap();
        // Lenient like tshark: the URI is still found.
        let to = m.to().unwrap();
        assert_eq!(to.uri, b"sip:j.user@example.com");
        assert_eq!(to.display, Some(&b"\"Mr. J. User"[..]));
        assert_eq!(m.call_id(), Some(&b"quotbal.aksdj"[..]));
    }

    /// §3.1.2.6 Unterminated header / insufficient headers (insuf).
    #[test]
    fn insuf() {
        let buf = crlf(b"INVITE sip:user@example.com SIP/2.0\nCSeq: 193942 INVITE\nVia: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\nContent-Type: application/sdp\nl: 0\n\n");
        let m = SipMessage::parse(&buf).unwrap();
        assert!(m.quirks().contains(Quirks::MISSING_MANDATORY));
        assert_eq!(m.call_id(), None);
    }

    /// §3.1.2.? Trailing whitespace and a request line with spaces in the URI (trws, lwsruri).
    #[test]
    fn start_line_whitespace() {
        let m =
            SipMessage::parse(b"OPTIONS sip:remote-target@example.com SIP/2.0  \r\nl: 0\r\n\r\n")
                .unwrap();
        assert_eq!(m.version(), b"SIP/2.0");
        let m =
            SipMessage::parse(b"INVITE sip:user@example.com; lr SIP/2.0\r\nl: 0\r\n\r\n").unwrap();
        assert_eq!(m.request_uri(), Some(&b"sip:user@example.com; lr"[..]));
        assert!(matches!(
            SipMessage::parse(b"INVITE SIP/2.0\r\n\r\n"),
            Err(SipError::BadRequestLine { .. })
        ));
        assert!(matches!(
            SipMessage::parse(b"INVITE sip:x SIP/2\r\n\r\n"),
            Err(SipError::BadVersion { .. })
        ));
    }
}
