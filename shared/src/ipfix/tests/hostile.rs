//! Hostile and broken input: each fails the session with a typed error, never panics, and
//! never buffers more than one message.
use super::super::*;
use super::message;

fn feed(data: &[u8]) -> (Result<(), SessionError>, CollectorSession) {
    let mut s = CollectorSession::new(CollectorConfig::default());
    let r = s.on_bytes(data, 0, &mut |_| {});
    (r, s)
}

fn ipfix_error(data: &[u8]) -> IpfixError {
    match feed(data).0 {
        Err(SessionError::Message { error, .. }) => error,
        other => panic!("expected a message error, got {other:?}"),
    }
}

/// RFC 7011 §3.1: version 10 and length >= 16; rejected as soon as 4 bytes are in.
#[test]
fn rfc7011_section3_1_header_checks() {
    assert_eq!(ipfix_error(&[0, 9, 0, 20]), IpfixError::Version(9));
    assert_eq!(ipfix_error(&[0x16, 3, 1, 0]), IpfixError::Version(0x1603));
    assert_eq!(ipfix_error(&[0, 10, 0, 15]), IpfixError::LengthTooSmall(15));
    // A header-only message is well formed.
    let (r, s) = feed(&message(0, 0, 0, &[]));
    assert!(r.is_ok());
    assert_eq!(s.counters().messages, 1);
    // Message::new_checked on a buffer that disagrees with its length field.
    let mut m = message(0, 0, 0, &[(0, &[])]);
    m.push(0);
    assert_eq!(
        Message::new_checked(&m).unwrap_err(),
        IpfixError::LengthMismatch {
            declared: 20,
            available: 21
        }
    );
    assert_eq!(
        MessageHeader::parse(&m[..5]).unwrap_err(),
        IpfixError::ShortHeader { len: 5 }
    );
}

/// RFC 7011 §3.3.2 / §11.7: set length below 4, or past the message end; stray bytes.
#[test]
fn rfc7011_section3_3_set_length_lies() {
    let mut m = message(0, 0, 0, &[(258, &[0; 8])]);
    m[18..20].copy_from_slice(&3u16.to_be_bytes());
    assert!(matches!(
        ipfix_error(&m),
        IpfixError::SetTooShort { len: 3, .. }
    ));
    m[18..20].copy_from_slice(&13u16.to_be_bytes());
    assert!(matches!(
        ipfix_error(&m),
        IpfixError::SetOverrun { len: 13, .. }
    ));
    let mut m = message(0, 0, 0, &[(0, &[])]);
    m.extend([0, 0]);
    m[2..4].copy_from_slice(&22u16.to_be_bytes());
    assert_eq!(ipfix_error(&m), IpfixError::TrailingBytes(2));
}

/// Truncated SBC records and variable-length fields that claim more than the set holds
/// (RFC 7011 §7, §11.7).
#[test]
fn truncated_records_and_varlen_lies() {
    // Handshake cut in its fixed part.
    let e = ipfix_error(&message(0, 0, 0, &[(256, &[0; 10])]));
    assert!(matches!(
        e,
        IpfixError::Truncated {
            what: "handshake",
            ..
        }
    ));
    // 258 whose datagram length says 0x0100 with 4 bytes present.
    let mut b = vec![0u8; 12];
    b.extend([0xff, 0x01, 0x00, 0x45, 0, 0, 0]);
    let e = ipfix_error(&message(0, 0, 0, &[(258, &b)]));
    assert!(matches!(
        e,
        IpfixError::VarlenOverrun {
            declared: 256,
            available: 4,
            ..
        }
    ));
    // 259 with the call-id cut.
    let mut b = vec![0u8; 12];
    b.push(40);
    let e = ipfix_error(&message(0, 0, 0, &[(259, &b)]));
    assert!(matches!(e, IpfixError::VarlenOverrun { declared: 40, .. }));
    // 260 without its addresses, 268 without its strings.
    let e = ipfix_error(&message(0, 0, 0, &[(260, &[0; 20])]));
    assert!(matches!(e, IpfixError::Truncated { .. }));
    let e = ipfix_error(&message(0, 0, 0, &[(268, &[0; 185])]));
    assert!(matches!(e, IpfixError::Truncated { .. }));
    // A template whose field count the set cannot hold.
    let e = ipfix_error(&message(0, 0, 0, &[(2, &[1, 0, 0xff, 0xff, 0, 8, 0, 4])]));
    assert!(matches!(
        e,
        IpfixError::Truncated {
            needed: 262_140,
            ..
        }
    ));
    // A template ID below 256.
    let e = ipfix_error(&message(0, 0, 0, &[(2, &[0, 255, 0, 1, 0, 8, 0, 4])]));
    assert!(matches!(
        e,
        IpfixError::InvalidTemplateId {
            template_id: 255,
            ..
        }
    ));
}

/// A data record that starts but overruns its set (a varlen lying inside template data).
#[test]
fn rfc7011_section7_template_data_varlen_overrun() {
    let t = [1, 0, 0, 1, 0, 82, 0xff, 0xff];
    let e = ipfix_error(&message(
        0,
        0,
        0,
        &[(2, &t), (256, &[0xff, 0x10, 0x00, 1, 2])],
    ));
    assert!(matches!(
        e,
        IpfixError::VarlenOverrun { declared: 4096, .. }
    ));
}

/// A peer that floods: a huge declared message is bounded by `max_message_len`, the buffer
/// never exceeds one message, junk fails fast, and a failed session stays closed.
#[test]
fn huge_and_junk_input_is_bounded() {
    let mut s = CollectorSession::new(CollectorConfig {
        max_message_len: 1000,
        ..CollectorConfig::default()
    });
    let r = s.on_bytes(&[0, 10, 0xff, 0xff], 0, &mut |_| {});
    assert!(matches!(
        r,
        Err(SessionError::MessageTooLarge {
            len: 65535,
            max: 1000,
            ..
        })
    ));
    assert!(s.is_failed());
    assert_eq!(s.on_bytes(&[0], 0, &mut |_| {}), Err(SessionError::Closed));

    // A 65535-byte message arriving slowly is held, never more.
    let mut s = CollectorSession::new(CollectorConfig::default());
    let big = message(0, 0, 0, &[(999, &vec![0u8; 65535 - 20])]);
    for c in big.chunks(4096).take(15) {
        s.on_bytes(c, 0, &mut |_| {}).unwrap();
    }
    assert!(s.buffered() <= 65535);
    let mut n = 0;
    for c in big.chunks(4096).skip(15) {
        s.on_bytes(c, 0, &mut |_| n += 1).unwrap();
    }
    assert_eq!((n, s.buffered(), s.counters().unknown_sets), (1, 0, 1));

    // 1 MiB of junk after one good message: the error names the stream offset.
    let mut junk = message(0, 0, 0, &[(0, &[])]);
    junk.extend((0..1 << 20).map(|i| (i * 7 + 3) as u8));
    match feed(&junk).0 {
        Err(SessionError::Message { offset: 20, .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// Limits on templates and domains, and on reply bytes not drained.
#[test]
fn session_limits() {
    let cfg = CollectorConfig {
        max_templates: 1,
        max_domains: 2,
        max_pending_transmit: 100,
        ..CollectorConfig::default()
    };
    let t = [1, 0, 0, 1, 0, 7, 0, 2, 1, 1, 0, 1, 0, 7, 0, 2];
    let mut s = CollectorSession::new(cfg);
    let r = s.on_bytes(&message(0, 0, 0, &[(2, &t)]), 0, &mut |_| {});
    assert!(matches!(
        r,
        Err(SessionError::Message {
            error: IpfixError::TooManyTemplates { limit: 1 },
            ..
        })
    ));
    let mut s = CollectorSession::new(cfg);
    for d in 0..2 {
        s.on_bytes(&message(0, 0, d, &[]), 0, &mut |_| {}).unwrap();
    }
    let r = s.on_bytes(&message(0, 0, 2, &[]), 0, &mut |_| {});
    assert!(matches!(
        r,
        Err(SessionError::Message {
            error: IpfixError::TooManyDomains { limit: 2 },
            ..
        })
    ));
    // Handshakes flood while nobody drains the replies.
    let hs = hex_handshake();
    let mut s = CollectorSession::new(cfg);
    s.on_bytes(&hs, 0, &mut |_| {}).unwrap();
    s.on_bytes(&hs, 0, &mut |_| {}).unwrap();
    assert!(matches!(
        s.on_bytes(&hs, 0, &mut |_| {}),
        Err(SessionError::TransmitBacklog {
            pending: 144,
            max: 100
        })
    ));
}

/// A 258 whose datagram is not UDP, or is cut, is an event; the session goes on.
#[test]
fn bad_embedded_datagram_is_counted_not_fatal() {
    let mut tcp = vec![
        0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    tcp.extend([0u8; 20]);
    let mut body = vec![0u8; 12];
    body.extend([0xff, 0, 40]);
    body.extend(&tcp);
    let mut cut = tcp.clone();
    cut[3] = 200; // IP total length beyond the record
    let mut body2 = vec![0u8; 12];
    body2.extend([0xff, 0, 40]);
    body2.extend(&cut);
    let mut s = CollectorSession::new(CollectorConfig::default());
    let mut errs = Vec::new();
    for b in [&body, &body2] {
        s.on_bytes(&message(0, 0, 0, &[(258, b)]), 0, &mut |e| {
            if let CollectorEvent::BadDatagram { error, .. } = e {
                errs.push(error);
            }
        })
        .unwrap();
    }
    assert_eq!(errs, [DatagramError::NotUdp(6), DatagramError::Truncated]);
    assert_eq!(s.counters().bad_datagrams, 2);
    assert!(!s.is_failed());
}

fn hex_handshake() -> Vec<u8> {
    super::unhex(
        "000a0030594137380000000000000000010000200001000200fc77310000001e00000000435a0703000665637a373330",
    )
}
