//! SDP offer/answer examples: RFC 4317 (SDP Offer/Answer Examples), RFC 3264 hold, RFC 3605
//! rtcp attribute, RFC 5761 rtcp-mux, RFC 4566 multicast connection data.
use super::rfc4475::crlf;
use crate::sip::sdp::*;
use core::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// RFC 4317 §2.1 Audio and Video 1: two media lines, static and dynamic payload types.
#[test]
fn rfc4317_2_1_audio_and_video_offer() {
    let body = crlf(
        b"v=0\no=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\ns=\nc=IN IP4 host.atlanta.example.com\nt=0 0\n\
m=audio 49170 RTP/AVP 0 8 97\na=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000\na=rtpmap:97 iLBC/8000\n\
m=video 51372 RTP/AVP 31 32\na=rtpmap:31 H261/90000\na=rtpmap:32 MPV/90000\n",
    );
    let sdp = Sdp::parse(&body).unwrap();
    let o = sdp.origin().unwrap();
    assert_eq!(o.username, b"alice");
    assert_eq!(o.session_id, b"2890844526");
    assert_eq!(o.ip(), None, "a host name");
    assert_eq!(sdp.session_name(), Some(&b""[..]));
    let c = sdp.connection().unwrap();
    assert_eq!(c.address, b"host.atlanta.example.com");
    let m: Vec<_> = sdp.media().collect();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].kind, b"audio");
    assert_eq!(m[0].port, 49170);
    assert_eq!(m[0].proto, b"RTP/AVP");
    assert_eq!(m[0].payload_types().collect::<Vec<_>>(), [0, 8, 97]);
    assert_eq!(
        m[0].rtpmap(97),
        Some(RtpMap {
            payload_type: 97,
            encoding: b"iLBC",
            clock_rate: 8000,
            channels: None
        })
    );
    assert_eq!(m[0].direction, Direction::SendRecv);
    assert_eq!(m[1].kind, b"video");
    assert_eq!(m[1].formats().collect::<Vec<_>>(), [&b"31"[..], b"32"]);
    assert_eq!(m[1].codec(32), Some((&b"MPV"[..], 90000)));
    assert_eq!(m[1].rtpmap(0), None, "rtpmap is per media");
}

/// RFC 4317 §2.1 answer: Bob rejects video with port 0.
#[test]
fn rfc4317_2_1_answer_rejects_video() {
    let body = crlf(
        b"v=0\no=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com\ns=\nc=IN IP4 host.biloxi.example.com\nt=0 0\n\
m=audio 49174 RTP/AVP 0\na=rtpmap:0 PCMU/8000\nm=video 0 RTP/AVP 32\na=rtpmap:32 MPV/90000\n",
    );
    let sdp = Sdp::parse(&body).unwrap();
    let ports: Vec<_> = sdp.media().map(|m| m.port).collect();
    assert_eq!(ports, [49174, 0]);
}

/// RFC 3264 §8.4 Putting a unicast media stream on hold: sendonly, and the legacy c=0.0.0.0.
#[test]
fn hold_sendonly_and_legacy() {
    let body = crlf(
        b"v=0\no=alice 2890844526 2890844527 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n\
m=audio 49170 RTP/AVP 0\na=sendonly\n",
    );
    let sdp = Sdp::parse(&body).unwrap();
    let m = sdp.media().next().unwrap();
    assert_eq!(m.direction, Direction::SendOnly);
    assert!(!m.legacy_hold());
    let body = b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";
    let m = Sdp::parse(body).unwrap().media().next().unwrap();
    assert!(m.legacy_hold());
    assert_eq!(m.direction, Direction::SendRecv);
}

/// Session-level direction applies to every media unless one overrides it (RFC 3264 §5.1).
#[test]
fn direction_inheritance_and_inactive() {
    let body = b"v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\na=recvonly\n\
m=audio 4000 RTP/AVP 8\nm=audio 4002 RTP/AVP 8\na=inactive\nm=audio 4004 RTP/AVP 8\na=sendrecv\n";
    let sdp = Sdp::parse(body).unwrap();
    assert_eq!(sdp.direction(), Some(Direction::RecvOnly));
    let d: Vec<_> = sdp.media().map(|m| m.direction).collect();
    assert_eq!(
        d,
        [
            Direction::RecvOnly,
            Direction::Inactive,
            Direction::SendRecv
        ]
    );
}

/// RFC 3605 rtcp attribute, RFC 5761 rtcp-mux, ptime/maxptime, fmtp, telephone-event.
#[test]
fn rtcp_mux_ptime_fmtp() {
    let body = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
m=audio 49170 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\na=ptime:20\r\na=maxptime:40\r\na=rtcp:53020 IN IP4 126.16.64.4\r\na=rtcp-mux\r\n\
m=audio 49180 RTP/AVP 0\r\na=rtcp:49181\r\n";
    let sdp = Sdp::parse(body).unwrap();
    let m: Vec<_> = sdp.media().collect();
    assert_eq!(m[0].rtcp, Some((53020, Some(ip("126.16.64.4")))));
    assert!(m[0].rtcp_mux);
    assert_eq!(m[0].ptime, Some(20));
    assert_eq!(m[0].maxptime, Some(40));
    assert_eq!(m[0].fmtp(18), Some(&b"annexb=no"[..]));
    assert_eq!(m[0].fmtp(101), Some(&b"0-16"[..]));
    assert_eq!(m[0].codec(101), Some((&b"telephone-event"[..], 8000)));
    assert_eq!(m[0].attribute(b"rtcp-mux"), Some(&b""[..]));
    assert_eq!(m[1].rtcp, Some((49181, None)));
    assert!(!m[1].rtcp_mux);
    assert_eq!(
        m[1].codec(0),
        Some((&b"PCMU"[..], 8000)),
        "static payload type"
    );
}

/// RFC 4566 §5.7 multicast connection data, port counts, T.38 image media.
#[test]
fn multicast_port_count_and_image() {
    let body = b"v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 224.2.36.42/127/3\nt=0 0\n\
m=audio 49170/2 RTP/AVP 0\nm=image 4002 udptl t38\nc=IN IP6 ff15::101/3\n";
    let sdp = Sdp::parse(body).unwrap();
    let c = sdp.connection().unwrap();
    assert_eq!(
        (c.ip, c.ttl, c.count),
        (Some(ip("224.2.36.42")), Some(127), Some(3))
    );
    let m: Vec<_> = sdp.media().collect();
    assert_eq!(m[0].port_count, Some(2));
    assert_eq!(m[1].kind, b"image");
    assert_eq!(m[1].proto, b"udptl");
    assert_eq!(m[1].formats().collect::<Vec<_>>(), [&b"t38"[..]]);
    assert_eq!(m[1].payload_types().count(), 0);
    let c6 = m[1].connection.unwrap();
    assert_eq!(
        (c6.ip, c6.ttl, c6.count),
        (Some(ip("ff15::101")), None, Some(3))
    );
}

#[test]
fn static_payload_types() {
    assert_eq!(static_payload_type(0), Some(("PCMU", 8000)));
    assert_eq!(static_payload_type(3), Some(("GSM", 8000)));
    assert_eq!(static_payload_type(4), Some(("G723", 8000)));
    assert_eq!(static_payload_type(8), Some(("PCMA", 8000)));
    assert_eq!(static_payload_type(9), Some(("G722", 8000)));
    assert_eq!(static_payload_type(15), Some(("G728", 8000)));
    assert_eq!(static_payload_type(18), Some(("G729", 8000)));
    assert_eq!(static_payload_type(96), None);
}

#[test]
fn errors_and_tolerance() {
    assert_eq!(Sdp::parse(b"").unwrap_err(), SdpError::Empty);
    assert_eq!(Sdp::parse(b"\r\n  ").unwrap_err(), SdpError::Empty);
    assert_eq!(
        Sdp::parse(b"o=- 1 1 IN IP4 1.2.3.4\r\n").unwrap_err(),
        SdpError::NoVersion { offset: 0 }
    );
    // Garbage lines and a broken m= line are skipped or read as far as they go.
    let sdp = Sdp::parse(b"v=0\nthis is junk\nm=audio notaport RTP/AVP\nm=\n").unwrap();
    let m: Vec<_> = sdp.media().collect();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].port, 0);
    assert_eq!(m[0].formats().count(), 0);
    assert!(m[1].kind.is_empty());
    // SIPp writes IPv6 literals in brackets.
    assert_eq!(parse_ip(b"[::1]"), Some(ip("::1")));
    assert_eq!(parse_ip(b"192.0.2.1"), Some(ip("192.0.2.1")));
    assert_eq!(parse_ip(b"0.0.0.0"), Some(ip("0.0.0.0")));
    for bad in [
        &b"256.1.1.1"[..],
        b"1.2.3",
        b"1.2.3.4.5",
        b"01.2.3.4",
        b"1..2.3",
        b"host.example.com",
        b"",
        b"[]",
    ] {
        assert_eq!(parse_ip(bad), None, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn find_sdp_variants() {
    assert_eq!(find_sdp(b"application/sdp", b"v=0"), Some(&b"v=0"[..]));
    assert_eq!(
        find_sdp(b"Application/SDP ; charset=utf-8", b"v=0"),
        Some(&b"v=0"[..])
    );
    assert_eq!(find_sdp(b"text/plain", b"v=0"), None);
    // The word-compare fast path: any letter case, but exact on the '/' and the length.
    for ct in [
        &b"APPLICATION/SDP"[..],
        b"aPpLiCaTiOn/sDp",
        b" application/sdp",
    ] {
        assert_eq!(find_sdp(ct, b"v=0"), Some(&b"v=0"[..]));
    }
    for ct in [
        &b"application\x0fsdp"[..],
        b"application/sdq",
        b"applicatio/sdp",
        b"application/sdpx",
        b"application/sd",
        b"applic\x01tion/sdp",
    ] {
        assert_eq!(find_sdp(ct, b"v=0"), None);
    }
    let body = b"--b1\r\nContent-Type: application/isup\r\n\r\n\x01\x02\r\n--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 1 RTP/AVP 0\r\n\r\n--b1--\r\n";
    let sdp = find_sdp(b"multipart/mixed; boundary=\"b1\"", body).unwrap();
    assert_eq!(sdp, b"v=0\r\nm=audio 1 RTP/AVP 0\r\n");
    assert_eq!(find_sdp(b"multipart/mixed", body), None, "no boundary");
    assert_eq!(find_sdp(b"multipart/mixed;boundary=zz", body), None);
}
