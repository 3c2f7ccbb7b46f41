//! RFC 5118 "SIP Torture Test Messages for IPv6".
use super::rfc4475::crlf;
use crate::sip::sdp::Sdp;
use crate::sip::*;
use core::net::IpAddr;

/// §4.1 A REGISTER request with an IPv6 reference in the Request-URI and Via.
#[test]
fn ipv6_good() {
    let buf = crlf(
        b"REGISTER sip:[2001:db8::10] SIP/2.0\nTo: sip:user@example.com\nFrom: sip:user@example.com;tag=81x2\n\
Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\nCall-ID: SSG9559905523997077@hlau_4100\n\
Max-Forwards: 70\nContact: \"Caller\" <sip:caller@[2001:db8::1]>\nCSeq: 98176 REGISTER\nContent-Length: 0\n\n",
    );
    let m = SipMessage::parse(&buf).unwrap();
    assert_eq!(
        uri_hostport(m.request_uri().unwrap()),
        Some(&b"[2001:db8::10]"[..])
    );
    assert_eq!(uri_user(m.request_uri().unwrap()), None);
    assert_eq!(m.via().unwrap().sent_by, b"[2001:db8::9:1]");
    assert_eq!(m.via_branch(), Some(&b"z9hG4bKas3-111"[..]));
    let c = m.contact().unwrap();
    assert_eq!(c.display, Some(&b"Caller"[..]));
    assert_eq!(uri_hostport(c.uri), Some(&b"[2001:db8::1]"[..]));
}

/// §4.3 Port and IPv6 reference; §4.5 IPv6 reference in the received parameter.
#[test]
fn ipv6_port_and_received() {
    let buf = crlf(
        b"REGISTER sip:[2001:db8::10]:5070 SIP/2.0\nTo: sip:user@example.com\nFrom: sip:user@example.com;tag=1234\n\
Via: SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKas3-111\n\
Call-ID: SSG95523997077@hlau_4100\nMax-Forwards: 70\nContact: \"Caller\" <sip:caller@[2001:db8::9:1]:6050>\n\
CSeq: 98176 REGISTER\nContent-Length: 0\n\n",
    );
    let m = SipMessage::parse(&buf).unwrap();
    assert_eq!(
        uri_hostport(m.request_uri().unwrap()),
        Some(&b"[2001:db8::10]:5070"[..])
    );
    let v = m.via().unwrap();
    assert_eq!(v.sent_by, b"[2001:db8::9:1]:6050");
    assert_eq!(v.received(), Some(&b"[2001:db8::9:255]"[..]));
}

/// §4.8 Multiple IP addresses in SIP headers; §4.9/4.10 IPv6 and IPv4 in SDP.
#[test]
fn ipv6_in_sdp() {
    let body = crlf(
        b"v=0\no=assistant 971731711378798081 0 IN IP6 2001:db8::20\ns=Live video feed for today's meeting\n\
c=IN IP6 2001:db8::20\nt=3338481189 3370017201\na=sendonly\nm=audio 6000 RTP/AVP 2\na=rtpmap:2 G726-32/8000\n\
m=video 6024 RTP/AVP 107\nc=IN IP4 192.0.2.1\na=rtpmap:107 H263-1998/90000\n",
    );
    let sdp = Sdp::parse(&body).unwrap();
    assert_eq!(
        sdp.origin().unwrap().ip(),
        Some("2001:db8::20".parse::<IpAddr>().unwrap())
    );
    let media: Vec<_> = sdp.media().collect();
    assert_eq!(media.len(), 2);
    assert_eq!(
        media[0].ip(),
        Some("2001:db8::20".parse().unwrap()),
        "session c= inherited"
    );
    assert_eq!(
        media[1].ip(),
        Some("192.0.2.1".parse().unwrap()),
        "media c= overrides"
    );
    assert_eq!(media[0].direction, sdp::Direction::SendOnly);
    assert_eq!(media[0].codec(2), Some((&b"G726-32"[..], 8000)));
    assert_eq!(media[1].rtpmap(107).unwrap().clock_rate, 90000);
}
