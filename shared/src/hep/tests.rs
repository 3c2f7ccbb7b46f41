//! HEP codec tests, named by the section of the HEP3 specification (rev. 37, as summarised in
//! `../shared/HEP.md`) or the interop quirk they check.
use super::*;
use crate::net::Endpoint;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Builds a packet by hand (independently of `HepEncoder`): header + (vendor, type, payload).
fn raw(magic: &[u8; 4], chunks: &[(u16, u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (v, t, p) in chunks {
        body.extend_from_slice(&v.to_be_bytes());
        body.extend_from_slice(&t.to_be_bytes());
        body.extend_from_slice(&((6 + p.len()) as u16).to_be_bytes());
        body.extend_from_slice(p);
    }
    let mut out = magic.to_vec();
    out.extend_from_slice(&((6 + body.len()) as u16).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

const SIP: &[u8] = b"OPTIONS sip:bob@10.0.0.2 SIP/2.0\r\nCall-ID: abc\r\n\r\n";

/// The chunks sngrep 1.6 sends (1-4, 7-12, 14, 15), with its capture-id quirk.
fn sngrep_like() -> Vec<(u16, u16, &'static [u8])> {
    vec![
        (0, 0x01, &[2]),
        (0, 0x02, &[17]),
        (0, 0x03, &[127, 0, 0, 1]),
        (0, 0x04, &[127, 0, 0, 2]),
        (0, 0x07, &[0x13, 0xc8]), // 5064
        (0, 0x08, &[0x13, 0xd2]), // 5074
        (0, 0x09, &[0x6b, 0x03, 0x2d, 0x46]),
        (0, 0x0a, &[0x00, 0x09, 0x53, 0x1f]), // 611103 us
        (0, 0x0b, &[1]),
        (0, 0x0c, &[0x07, 0xd2, 0x00, 0x00]),
        (0, 0x0e, b"myHep"),
        (0, 0x0f, SIP),
    ]
}

fn decode(bytes: &[u8]) -> Result<HepMessage<'_>, HepError> {
    HepMessage::decode_v3(&Hep3Packet::new_checked(bytes)?)
}

// ---- spec "Packet header" -------------------------------------------------------------

#[test]
fn spec_packet_header_hep3_decodes_all_generic_fields() {
    let bytes = raw(&MAGIC_HEP3, &sngrep_like());
    let p = Hep3Packet::new_checked(&bytes).unwrap();
    assert_eq!((p.total_len(), p.is_eep()), (bytes.len(), false));
    assert_eq!(p.chunks().count(), 12);
    let m = HepMessage::decode_v3(&p).unwrap();
    assert_eq!(m.version, HepVersion::V3);
    assert_eq!(m.ip_family, IpFamily::V4);
    assert_eq!(m.ip_proto, Some(17));
    assert_eq!(
        m.src,
        Endpoint::new(Ipv4Addr::new(127, 0, 0, 1).into(), 5064)
    );
    assert_eq!(
        m.dst,
        Endpoint::new(Ipv4Addr::new(127, 0, 0, 2).into(), 5074)
    );
    assert_eq!(m.ts, Some(0x6b03_2d46 * 1_000_000_000 + 611_103_000));
    assert_eq!(m.proto_type, ProtocolType::Sip);
    assert_eq!(m.capture_id, Some(0x07d2_0000));
    assert_eq!(m.auth_key, Some(&b"myHep"[..]));
    assert_eq!((m.payload, m.payload_compressed), (SIP, false));
    assert_eq!(
        (m.correlation_id, m.vlan, m.mos, m.keepalive),
        (None, None, None, None)
    );
    assert_eq!((m.seq, m.spool_id), (None, None));
    assert_eq!((m.unknown_chunks, m.vendor_chunks), (0, 0));
}

#[test]
fn spec_packet_header_eep3_id_is_accepted() {
    let bytes = raw(&MAGIC_EEP3, &sngrep_like());
    let p = Hep3Packet::new_checked(&bytes).unwrap();
    assert!(p.is_eep());
    assert_eq!(HepMessage::parse_datagram(&bytes).unwrap().payload, SIP);
}

#[test]
fn spec_packet_header_rejects_other_ids() {
    let mut bytes = raw(&MAGIC_HEP3, &sngrep_like());
    bytes[3] = b'2';
    assert_eq!(
        Hep3Packet::new_checked(&bytes),
        Err(HepError::BadMagic(*b"HEP2"))
    );
}

#[test]
fn spec_packet_header_total_length_below_6_is_rejected() {
    for len in 0..6u16 {
        let mut b = b"HEP3".to_vec();
        b.extend_from_slice(&len.to_be_bytes());
        assert_eq!(
            Hep3Packet::new_checked(&b),
            Err(HepError::BadTotalLength(len))
        );
        assert_eq!(next_packet(&b), Err(HepError::BadTotalLength(len)));
    }
}

#[test]
fn spec_packet_header_total_length_beyond_buffer_is_truncated() {
    let bytes = raw(&MAGIC_HEP3, &sngrep_like());
    let cut = &bytes[..bytes.len() - 1];
    assert_eq!(
        Hep3Packet::new_checked(cut),
        Err(HepError::Truncated {
            needed: bytes.len(),
            available: bytes.len() - 1
        })
    );
    assert!(matches!(
        Hep3Packet::new_checked(&bytes[..4]),
        Err(HepError::Truncated { .. })
    ));
}

#[test]
fn spec_packet_header_empty_packet_of_6_bytes_has_no_chunks() {
    let p = Hep3Packet::new_checked(b"HEP3\x00\x06").unwrap();
    assert_eq!(p.chunks().count(), 0);
    assert_eq!(
        HepMessage::decode_v3(&p),
        Err(HepError::Missing(Missing::SrcAddress))
    );
}

#[test]
fn spec_packet_header_view_stops_at_total_length() {
    let one = raw(&MAGIC_HEP3, &sngrep_like());
    let mut two = one.clone();
    two.extend_from_slice(b"HEP3 trailing bytes of the next packet");
    let p = Hep3Packet::new_checked(&two).unwrap();
    assert_eq!(p.as_bytes(), &one[..]);
}

#[test]
fn spec_packet_header_largest_packet_65535() {
    let payload = vec![b'x'; 65535 - 6 - 6];
    let bytes = raw(&MAGIC_HEP3, &[(0, 0x0f, &payload)]);
    assert_eq!(bytes.len(), 65535);
    let p = Hep3Packet::new_checked(&bytes).unwrap();
    assert_eq!(p.chunks().next().unwrap().payload.len(), payload.len());
}

// ---- spec "Chunk" ----------------------------------------------------------------------

#[test]
fn spec_chunk_length_below_6_is_rejected() {
    let mut bytes = raw(&MAGIC_HEP3, &[(0, 0x0b, &[1])]);
    bytes[10..12].copy_from_slice(&5u16.to_be_bytes());
    assert_eq!(
        Hep3Packet::new_checked(&bytes),
        Err(HepError::ChunkTooShort { offset: 6, len: 5 })
    );
}

#[test]
fn spec_chunk_running_past_the_packet_is_rejected() {
    let mut bytes = raw(&MAGIC_HEP3, &[(0, 0x0b, &[1]), (0, 0x0f, SIP)]);
    // Second chunk claims one byte more than the packet holds.
    let at = 6 + 7;
    let len = (6 + SIP.len() + 1) as u16;
    bytes[at + 4..at + 6].copy_from_slice(&len.to_be_bytes());
    assert_eq!(
        Hep3Packet::new_checked(&bytes),
        Err(HepError::ChunkOverrun {
            offset: at,
            needed: usize::from(len),
            packet_len: bytes.len()
        })
    );
}

#[test]
fn spec_chunk_partial_header_at_the_end_is_rejected() {
    let mut bytes = raw(&MAGIC_HEP3, &[(0, 0x0b, &[1])]);
    bytes.extend_from_slice(&[0, 0, 0]);
    let total = bytes.len() as u16;
    bytes[4..6].copy_from_slice(&total.to_be_bytes());
    assert_eq!(
        Hep3Packet::new_checked(&bytes),
        Err(HepError::ChunkOverrun {
            offset: 13,
            needed: 6,
            packet_len: 16
        })
    );
}

#[test]
fn spec_chunk_iteration_yields_vendor_type_payload_offset() {
    let bytes = raw(&MAGIC_HEP3, &[(0, 0x0b, &[1]), (0x0002, 0x0020, b"ab")]);
    let p = Hep3Packet::new_checked(&bytes).unwrap();
    let chunks: Vec<_> = p.chunks().collect();
    assert_eq!(
        chunks,
        vec![
            Chunk {
                vendor: 0,
                type_id: 0x0b,
                payload: &[1],
                offset: 6
            },
            Chunk {
                vendor: 2,
                type_id: 0x20,
                payload: b"ab",
                offset: 13
            },
        ]
    );
    assert_eq!(p.find(2, 0x20).unwrap().payload, b"ab");
    assert_eq!(p.find(0, 0x20), None);
}

// ---- spec "Generic chunk types" ---------------------------------------------------------

#[test]
fn spec_generic_chunks_ipv6_addresses() {
    let s6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    let d6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
    let bytes = raw(
        &MAGIC_HEP3,
        &[
            (0, 0x01, &[10]),
            (0, 0x02, &[6]),
            (0, 0x05, &s6.octets()),
            (0, 0x06, &d6.octets()),
            (0, 0x07, &5060u16.to_be_bytes()),
            (0, 0x08, &5061u16.to_be_bytes()),
            (0, 0x0f, SIP),
        ],
    );
    let m = decode(&bytes).unwrap();
    assert_eq!(m.ip_family, IpFamily::V6);
    assert_eq!(m.src, Endpoint::new(IpAddr::V6(s6), 5060));
    assert_eq!(m.dst, Endpoint::new(IpAddr::V6(d6), 5061));
    assert_eq!((m.ip_proto, m.ts), (Some(6), None));
}

#[test]
fn spec_generic_chunks_family_absent_is_inferred_from_addresses() {
    let s6 = Ipv6Addr::LOCALHOST.octets();
    let bytes = raw(
        &MAGIC_HEP3,
        &[(0, 0x05, &s6), (0, 0x06, &s6), (0, 0x0f, SIP)],
    );
    let m = decode(&bytes).unwrap();
    assert_eq!((m.ip_family, m.src.port, m.dst.port), (IpFamily::V6, 0, 0));
    assert_eq!(m.proto_type, ProtocolType::Unknown(0));
}

#[test]
fn spec_generic_chunks_family_chooses_the_address_pair() {
    // Family says IPv6 but only IPv4 addresses: the mandatory source is missing.
    let bytes = raw(
        &MAGIC_HEP3,
        &[
            (0, 0x01, &[10]),
            (0, 0x03, &[1, 2, 3, 4]),
            (0, 0x04, &[1, 2, 3, 5]),
            (0, 0x0f, SIP),
        ],
    );
    assert_eq!(decode(&bytes), Err(HepError::Missing(Missing::SrcAddress)));
}

#[test]
fn spec_generic_chunks_missing_destination_or_payload_is_an_error() {
    let no_dst = raw(&MAGIC_HEP3, &[(0, 0x03, &[1, 2, 3, 4]), (0, 0x0f, SIP)]);
    assert_eq!(decode(&no_dst), Err(HepError::Missing(Missing::DstAddress)));
    let mut chunks = sngrep_like();
    chunks.pop();
    let no_payload = raw(&MAGIC_HEP3, &chunks);
    assert_eq!(
        decode(&no_payload),
        Err(HepError::Missing(Missing::Payload))
    );
    // The message says what is missing.
    let text = HepError::Missing(Missing::Payload).to_string();
    assert!(text.contains("0x000f"), "{text}");
}

#[test]
fn spec_generic_chunks_fixed_size_mismatch_names_the_chunk() {
    let cases: &[(u16, &[u8], &str, usize)] = &[
        (0x01, &[2, 0], "IP protocol family", 1),
        (0x07, &[0x13], "source port", 2),
        (0x03, &[127, 0, 0], "IPv4 source address", 4),
        (0x05, &[0; 4], "IPv6 source address", 16),
        (0x09, &[0; 8], "timestamp seconds", 4),
        (0x0c, &[0x07, 0xd2], "capture agent ID", 4),
        (0x12, &[1], "VLAN ID", 2),
    ];
    for &(t, payload, name, expected) in cases {
        let mut chunks = sngrep_like();
        chunks.retain(|c| c.1 != t);
        chunks.insert(0, (0, t, payload));
        let bytes = raw(&MAGIC_HEP3, &chunks);
        assert_eq!(
            decode(&bytes),
            Err(HepError::ChunkSize {
                name,
                vendor: 0,
                type_id: t,
                expected,
                got: payload.len()
            }),
            "chunk {t:#x}"
        );
    }
    let text = decode(&raw(&MAGIC_HEP3, &[(0, 0x07, &[1])]))
        .unwrap_err()
        .to_string();
    assert!(text.contains("source port"), "{text}");
}

#[test]
fn spec_generic_chunks_optional_fields() {
    let mut chunks = sngrep_like();
    chunks.extend_from_slice(&[
        (0, 0x0d, &[0, 30]),
        (0, 0x11, b"call-1@host"),
        (0, 0x12, &[0, 100]),
        (0, 0x20, &[0x01, 0xa9]), // 4.25 x 100
        (0, 0x29, b"grp"),
        (0, 0x14, &[0; 8]), // defined, not exposed: skipped, not counted
    ]);
    let bytes = raw(&MAGIC_HEP3, &chunks);
    let m = decode(&bytes).unwrap();
    assert_eq!(m.keepalive, Some(30));
    assert_eq!(m.correlation_id, Some(&b"call-1@host"[..]));
    assert_eq!((m.vlan, m.mos), (Some(100), Some(425)));
    assert_eq!(m.group_id, Some(&b"grp"[..]));
    assert_eq!((m.unknown_chunks, m.vendor_chunks), (0, 0));
}

#[test]
fn spec_generic_chunks_reserved_types_are_counted_as_unknown() {
    let mut chunks = sngrep_like();
    chunks.push((0, 0x0019, b"x"));
    chunks.push((0, 0x7777, b"y"));
    let bytes = raw(&MAGIC_HEP3, &chunks);
    assert_eq!(decode(&bytes).unwrap().unknown_chunks, 2);
}

#[test]
fn spec_generic_chunks_compressed_payload_0x10() {
    let mut chunks = sngrep_like();
    chunks.pop();
    chunks.push((0, 0x10, b"\x1f\x8b\x08gzip"));
    let bytes = raw(&MAGIC_HEP3, &chunks);
    let m = decode(&bytes).unwrap();
    assert_eq!(
        (m.payload, m.payload_compressed),
        (&b"\x1f\x8b\x08gzip"[..], true)
    );
}

#[test]
fn spec_generic_chunks_timestamp_is_sec_1e9_plus_usec_1e3() {
    let mut chunks = sngrep_like();
    chunks.retain(|c| c.1 != 0x0a);
    let bytes = raw(&MAGIC_HEP3, &chunks);
    // Seconds without microseconds.
    assert_eq!(
        decode(&bytes).unwrap().ts,
        Some(0x6b03_2d46 * 1_000_000_000)
    );
    let max = raw(
        &MAGIC_HEP3,
        &[
            (0, 0x03, &[1, 1, 1, 1]),
            (0, 0x04, &[1, 1, 1, 1]),
            (0, 0x09, &[0xff; 4]),
            (0, 0x0a, &[0xff; 4]),
            (0, 0x0f, b"x"),
        ],
    );
    let ts = u64::from(u32::MAX) * 1_000_000_000 + u64::from(u32::MAX) * 1_000;
    assert_eq!(decode(&max).unwrap().ts, Some(ts));
}

// ---- interop quirks (HEP.md "Implementation quirks") -------------------------------------

#[test]
fn quirk_vendor_chunk_with_generic_type_number_is_not_generic() {
    // heplify-server would take Kamailio's (vendor 2) type 0x000f as the payload.
    let mut chunks = sngrep_like();
    chunks.pop();
    chunks.push((vendor::KAMAILIO, 0x000f, b"not the payload"));
    chunks.push((vendor::FREESWITCH, 0x0007, b"x")); // wrong size, but not ours to check
    let bytes = raw(&MAGIC_HEP3, &chunks);
    assert_eq!(decode(&bytes), Err(HepError::Missing(Missing::Payload)));
    let mut chunks = sngrep_like();
    chunks.insert(0, (vendor::KAMAILIO, 0x0003, &[9, 9, 9, 9]));
    let bytes = raw(&MAGIC_HEP3, &chunks);
    let m = decode(&bytes).unwrap();
    assert_eq!(m.src.ip, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(m.vendor_chunks, 1);
}

#[test]
fn quirk_voipmonitor_0x13_group_id_is_the_capture_name_string() {
    let mut chunks = sngrep_like();
    chunks.push((0, chunk::CAPTURE_NAME, b"voipmonitor-sensor-1"));
    let bytes = raw(&MAGIC_HEP3, &chunks);
    let m = decode(&bytes).unwrap();
    assert_eq!(m.capture_name, Some(&b"voipmonitor-sensor-1"[..]));
}

#[test]
fn quirk_repeated_chunk_last_wins() {
    let mut chunks = sngrep_like();
    chunks.push((0, 0x07, &[0, 1]));
    assert_eq!(decode(&raw(&MAGIC_HEP3, &chunks)).unwrap().src.port, 1);
}

// ---- spec "Protocol types" ---------------------------------------------------------------

#[test]
fn spec_protocol_types_round_trip_every_value() {
    for v in 0..=255u8 {
        assert_eq!(u8::from(ProtocolType::from(v)), v);
    }
    let named = [
        (0x01, ProtocolType::Sip),
        (0x05, ProtocolType::Rtcp),
        (0x22, ProtocolType::MosFullReport),
        (0x23, ProtocolType::MosShortReport),
        (0x26, ProtocolType::Horaclifix),
        (0x32, ProtocolType::SipJson),
        (0x3d, ProtocolType::Verto),
        (0x63, ProtocolType::Unclassified),
        (0x64, ProtocolType::Log),
    ];
    for (v, p) in named {
        assert_eq!(ProtocolType::from(v), p);
    }
    for reserved in [0x00, 0x33, 0x34, 0x3b, 0x0e, 0xff] {
        assert_eq!(
            ProtocolType::from(reserved),
            ProtocolType::Unknown(reserved)
        );
    }
    assert_eq!(u8::from(QUALITY_REPORT_PROTO), 0x22);
    assert_eq!(u8::from(RTCP_PROTO), 0x05);
}

#[test]
fn spec_protocol_type_5_payload_raw_rtcp_or_json() {
    // RTCP RR header: V=2, PT=201.
    assert_eq!(
        RtcpPayloadKind::of(&[0x81, 201, 0, 7]),
        RtcpPayloadKind::Raw
    );
    assert_eq!(
        RtcpPayloadKind::of(br#"{"sender_information":{}}"#),
        RtcpPayloadKind::Json
    );
    assert_eq!(RtcpPayloadKind::of(b" \n[1]"), RtcpPayloadKind::Json);
    assert_eq!(RtcpPayloadKind::of(b""), RtcpPayloadKind::Other);
    assert_eq!(RtcpPayloadKind::of(b"hello"), RtcpPayloadKind::Other);
}

// ---- stream framing ----------------------------------------------------------------------

#[test]
fn framing_next_packet_needs_the_whole_packet() {
    let one = raw(&MAGIC_HEP3, &sngrep_like());
    for cut in 0..one.len() {
        assert_eq!(next_packet(&one[..cut]), Ok(None), "cut {cut}");
    }
    assert_eq!(next_packet(&one), Ok(Some(one.len())));
    let mut two = one.clone();
    two.extend_from_slice(&raw(&MAGIC_EEP3, &sngrep_like()));
    assert_eq!(next_packet(&two), Ok(Some(one.len())));
    assert_eq!(next_packet(&two[one.len()..]), Ok(Some(one.len())));
}

#[test]
fn framing_bad_id_is_an_error_as_soon_as_visible() {
    assert_eq!(next_packet(b"HE"), Ok(None));
    assert_eq!(next_packet(b"EEP"), Ok(None));
    assert_eq!(next_packet(b"HX"), Err(HepError::BadMagic(*b"HX\0\0")));
    assert_eq!(
        next_packet(b"INVITE sip:"),
        Err(HepError::BadMagic(*b"INVI"))
    );
}

#[test]
fn framing_resync_finds_the_next_id_and_counts_skipped_bytes() {
    let pkt = raw(&MAGIC_HEP3, &sngrep_like());
    let mut buf = b"garbage!".to_vec();
    buf.extend_from_slice(&pkt);
    assert_eq!(
        resync(&buf),
        Resync {
            skipped: 8,
            found: true
        }
    );
    assert_eq!(next_packet(&buf[8..]), Ok(Some(pkt.len())));
    // EEP3 too.
    assert_eq!(
        resync(b"xxEEP3..."),
        Resync {
            skipped: 2,
            found: true
        }
    );
    // A marker at 0 is the packet that failed: skip past it.
    let r = resync(&pkt);
    assert!(r.skipped >= 1);
    // No marker: skip everything but a tail that may start one.
    assert_eq!(
        resync(b"abcdefHE"),
        Resync {
            skipped: 6,
            found: false
        }
    );
    assert_eq!(
        resync(b"abcdefg"),
        Resync {
            skipped: 7,
            found: false
        }
    );
    assert_eq!(
        resync(b""),
        Resync {
            skipped: 0,
            found: false
        }
    );
    assert_eq!(
        resync(b"H"),
        Resync {
            skipped: 1,
            found: false
        }
    );
}

// ---- encoder -----------------------------------------------------------------------------

fn v4(a: u8, port: u16) -> Endpoint {
    Endpoint::new(Ipv4Addr::new(10, 0, 0, a).into(), port)
}

#[test]
fn encoder_writes_what_the_decoder_reads() {
    let mut out = Vec::new();
    let enc = HepEncoder::new(v4(1, 5060), v4(2, 5062), SIP)
        .ts(1_795_382_086_611_103_000)
        .capture_id(0x07d2_0000)
        .capture_name(b"probe-1")
        .auth_key(b"myHep")
        .correlation_id(b"abc")
        .vlan(42)
        .mos(431)
        .keepalive(15)
        .group_id(b"g")
        .seq(99)
        .spool_id(0xdead_beef_0123_4567);
    let n = enc.encode(&mut out).unwrap();
    assert_eq!((n, out.len()), (enc.encoded_len().unwrap(), n));
    let m = decode(&out).unwrap();
    assert_eq!(HepEncoder::from_message(&m), enc);
    assert_eq!(m.ts, Some(1_795_382_086_611_103_000));
    assert_eq!((m.seq, m.spool_id), (Some(99), Some(0xdead_beef_0123_4567)));
    assert_eq!((m.unknown_chunks, m.vendor_chunks), (0, 0));
    // The generic chunks come first in spec order, the payload last.
    let p = Hep3Packet::new_checked(&out).unwrap();
    let types: Vec<_> = p.chunks().map(|c| (c.vendor, c.type_id)).collect();
    assert_eq!(types.first(), Some(&(0, chunk::IP_FAMILY)));
    assert_eq!(types.last(), Some(&(0, chunk::PAYLOAD)));
}

#[test]
fn encoder_appends_without_allocating_when_capacity_suffices() {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"previous packet");
    let ptr = out.as_ptr();
    let enc = HepEncoder::new(v4(1, 1), v4(2, 2), SIP).ts(1);
    enc.encode(&mut out).unwrap();
    enc.encode(&mut out).unwrap();
    assert_eq!((out.as_ptr(), out.capacity()), (ptr, 4096));
    assert_eq!(&out[..15], b"previous packet");
    let first = next_packet(&out[15..]).unwrap().unwrap();
    assert_eq!(next_packet(&out[15 + first..]), Ok(Some(first)));
}

#[test]
fn encoder_errors_leave_the_buffer_unchanged() {
    let mut out = b"keep".to_vec();
    let v6 = Endpoint::new(Ipv6Addr::LOCALHOST.into(), 1);
    assert_eq!(
        HepEncoder::new(v4(1, 1), v6, SIP).encode(&mut out),
        Err(EncodeError::FamilyMismatch)
    );
    let big = vec![0u8; 65_535];
    assert!(matches!(
        HepEncoder::new(v4(1, 1), v4(2, 2), &big).encode(&mut out),
        Err(EncodeError::TooLong(_))
    ));
    let ts = (u64::from(u32::MAX) + 1) * 1_000_000_000;
    assert_eq!(
        HepEncoder::new(v4(1, 1), v4(2, 2), SIP)
            .ts(ts)
            .encode(&mut out),
        Err(EncodeError::TimestampRange(ts))
    );
    assert_eq!(out, b"keep");
}

#[test]
fn encoder_compressed_payload_and_ipv6() {
    let s = Endpoint::new(Ipv6Addr::LOCALHOST.into(), 5060);
    let mut out = Vec::new();
    HepEncoder::new(s, s, b"zz")
        .compressed(true)
        .ip_proto(None)
        .proto_type(ProtocolType::Log)
        .encode(&mut out)
        .unwrap();
    let m = decode(&out).unwrap();
    assert_eq!((m.ip_family, m.ip_proto), (IpFamily::V6, None));
    assert_eq!((m.payload, m.payload_compressed), (&b"zz"[..], true));
    assert_eq!(m.proto_type, ProtocolType::Log);
}

// ---- callscope extension chunks (vendor 0x4353) ------------------------------------------

#[test]
fn callscope_ack_round_trip() {
    let mut out = Vec::new();
    encode_ack(0x0123_4567_89ab_cdef, 42, &mut out);
    assert_eq!(out.len(), ACK_LEN);
    let p = Hep3Packet::new_checked(&out).unwrap();
    assert_eq!(parse_ack(&p), Some((0x0123_4567_89ab_cdef, 42)));
    let chunks: Vec<_> = p.chunks().map(|c| (c.vendor, c.type_id)).collect();
    assert_eq!(
        chunks,
        vec![(0, 0x000b), (0x4353, 0x0003), (0x4353, 0x0002)]
    );
    assert_eq!(p.find(0, 0x0b).unwrap().payload, &[0]);
    // An ack is not a message: no addresses, no payload.
    assert_eq!(
        HepMessage::decode_v3(&p),
        Err(HepError::Missing(Missing::SrcAddress))
    );
}

#[test]
fn callscope_ack_needs_both_chunks_of_8_bytes() {
    let data = raw(&MAGIC_HEP3, &sngrep_like());
    assert_eq!(parse_ack(&Hep3Packet::new_checked(&data).unwrap()), None);
    let only_ack = raw(&MAGIC_HEP3, &[(0x4353, 2, &[0; 8])]);
    assert_eq!(
        parse_ack(&Hep3Packet::new_checked(&only_ack).unwrap()),
        None
    );
    let short = raw(&MAGIC_HEP3, &[(0x4353, 3, &[0; 8]), (0x4353, 2, &[0; 4])]);
    assert_eq!(parse_ack(&Hep3Packet::new_checked(&short).unwrap()), None);
}

#[test]
fn callscope_chunks_wrong_size_is_an_error_and_unknown_types_are_counted() {
    let mut chunks = sngrep_like();
    chunks.push((0x4353, 0x0001, &[0; 4]));
    assert_eq!(
        decode(&raw(&MAGIC_HEP3, &chunks)),
        Err(HepError::ChunkSize {
            name: "callscope seq",
            vendor: 0x4353,
            type_id: 1,
            expected: 8,
            got: 4
        })
    );
    let mut chunks = sngrep_like();
    chunks.push((0x4353, 0x0099, b"future"));
    assert_eq!(
        decode(&raw(&MAGIC_HEP3, &chunks)).unwrap().unknown_chunks,
        1
    );
}

// ---- authentication key (chunk 0x000e) ---------------------------------------------------

#[test]
fn auth_key_comparison() {
    assert!(auth_key_matches(Some(b"myHep"), b"myHep"));
    assert!(!auth_key_matches(Some(b"myHeq"), b"myHep"));
    assert!(!auth_key_matches(Some(b"myHe"), b"myHep"));
    assert!(!auth_key_matches(Some(b""), b"myHep"));
    assert!(!auth_key_matches(None, b"myHep"));
    assert!(auth_key_matches(Some(b""), b""));
}

// ---- HEPv1/v2 ----------------------------------------------------------------------------

/// A captagent/sngrep-style HEPv2 datagram: time fields little-endian, 12-byte time header.
fn v2_packet(hp_l: u8, time: [u8; 8], captid: [u8; 2], pad: usize) -> Vec<u8> {
    let mut b = vec![2, hp_l, 2, 17, 0x13, 0xc4, 0x13, 0xc6]; // 5060 -> 5062
    b.extend_from_slice(&[192, 168, 0, 1, 192, 168, 0, 2]);
    b.extend_from_slice(&time);
    b.extend_from_slice(&captid);
    b.extend(std::iter::repeat_n(0u8, pad));
    b.extend_from_slice(SIP);
    b
}

const SEC: u32 = 1_118_000_000; // 2005, as in sngrep's aaa.pcap replay
const USEC: u32 = 123_456;

fn le_time() -> [u8; 8] {
    let mut t = [0u8; 8];
    t[..4].copy_from_slice(&SEC.to_le_bytes());
    t[4..].copy_from_slice(&USEC.to_le_bytes());
    t
}

#[test]
fn hepv2_captagent_layout_with_struct_padding() {
    let b = v2_packet(16, le_time(), 2002u16.to_le_bytes(), 2);
    let m = HepMessage::parse_datagram(&b).unwrap();
    assert_eq!(m.version, HepVersion::V2);
    assert_eq!(
        m.src,
        Endpoint::new(Ipv4Addr::new(192, 168, 0, 1).into(), 5060)
    );
    assert_eq!(
        m.dst,
        Endpoint::new(Ipv4Addr::new(192, 168, 0, 2).into(), 5062)
    );
    assert_eq!(
        m.ts,
        Some(u64::from(SEC) * 1_000_000_000 + u64::from(USEC) * 1_000)
    );
    assert_eq!(m.capture_id, Some(2002));
    assert_eq!(
        (m.payload, m.proto_type, m.ip_proto),
        (SIP, ProtocolType::Sip, Some(17))
    );
}

#[test]
fn hepv2_packed_time_header_detected_by_header_length() {
    let b = v2_packet(16 + 10, le_time(), 7u16.to_le_bytes(), 0);
    let m = decode_v12(&b).unwrap();
    assert_eq!((m.payload, m.capture_id), (SIP, Some(7)));
    // hp_l = address end + 12 says the same as the C struct.
    let b = v2_packet(16 + 12, le_time(), 7u16.to_le_bytes(), 2);
    assert_eq!(decode_v12(&b).unwrap().payload, SIP);
    // sngrep writes a truncated htons(total) into hp_l: treated as the C struct.
    let b = v2_packet(0, le_time(), 7u16.to_le_bytes(), 2);
    assert_eq!(decode_v12(&b).unwrap().payload, SIP);
}

#[test]
fn hepv2_big_endian_time_header_is_recognised() {
    let mut t = [0u8; 8];
    t[..4].copy_from_slice(&SEC.to_be_bytes());
    t[4..].copy_from_slice(&USEC.to_be_bytes());
    let b = v2_packet(16, t, 2002u16.to_be_bytes(), 2);
    let m = decode_v12(&b).unwrap();
    assert_eq!(
        m.ts,
        Some(u64::from(SEC) * 1_000_000_000 + u64::from(USEC) * 1_000)
    );
    assert_eq!(m.capture_id, Some(2002));
}

#[test]
fn hepv1_has_no_time_header() {
    let mut b = vec![1, 40, 10, 6, 0x13, 0xc4, 0x13, 0xc4];
    b.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    b.extend_from_slice(&Ipv6Addr::UNSPECIFIED.octets());
    b.extend_from_slice(SIP);
    let m = HepMessage::parse_datagram(&b).unwrap();
    assert_eq!(
        (m.version, m.ip_family, m.ts, m.capture_id),
        (HepVersion::V1, IpFamily::V6, None, None)
    );
    assert_eq!(
        (m.src.ip, m.dst.ip),
        (
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        )
    );
    assert_eq!(m.payload, SIP);
    // BSD's AF_INET6 (28) is accepted too.
    b[2] = 28;
    assert_eq!(decode_v12(&b).unwrap().ip_family, IpFamily::V6);
}

#[test]
fn hepv12_errors() {
    let good = v2_packet(16, le_time(), [0, 0], 2);
    for cut in 0..26 {
        assert!(
            matches!(decode_v12(&good[..cut]), Err(HepError::Truncated { .. })),
            "cut {cut}"
        );
    }
    for cut in 26..=28 {
        assert_eq!(
            decode_v12(&good[..cut]),
            Err(HepError::Missing(Missing::Payload))
        );
    }
    let mut bad = good.clone();
    bad[2] = 7;
    assert_eq!(decode_v12(&bad), Err(HepError::BadFamily(7)));
    assert_eq!(
        HepMessage::parse_datagram(b"SIP/2.0 200 OK\r\n"),
        Err(HepError::BadMagic(*b"SIP/"))
    );
    assert_eq!(
        HepMessage::parse_datagram(b"X"),
        Err(HepError::BadMagic(*b"X\0\0\0"))
    );
}

// ---- property tests ----------------------------------------------------------------------

fn endpoint_pair() -> impl Strategy<Value = (Endpoint, Endpoint)> {
    prop_oneof![
        (
            any::<[u8; 4]>(),
            any::<u16>(),
            any::<[u8; 4]>(),
            any::<u16>()
        )
            .prop_map(|(a, p, b, q)| (
                Endpoint::new(Ipv4Addr::from(a).into(), p),
                Endpoint::new(Ipv4Addr::from(b).into(), q)
            )),
        (
            any::<[u8; 16]>(),
            any::<u16>(),
            any::<[u8; 16]>(),
            any::<u16>()
        )
            .prop_map(|(a, p, b, q)| (
                Endpoint::new(Ipv6Addr::from(a).into(), p),
                Endpoint::new(Ipv6Addr::from(b).into(), q)
            )),
    ]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    /// encode -> decode gives back every field the encoder was given.
    #[test]
    fn prop_encode_decode_round_trip(
        (src, dst) in endpoint_pair(),
        payload in bytes(600),
        compressed in any::<bool>(),
        ip_proto in any::<Option<u8>>(),
        ts_us in any::<Option<u32>>(),
        secs in any::<u32>(),
        proto in any::<u8>(),
        capture_id in any::<Option<u32>>(),
        name in proptest::option::of(bytes(20)),
        key in proptest::option::of(bytes(20)),
        corr in proptest::option::of(bytes(40)),
        vlan in any::<Option<u16>>(),
        mos in any::<Option<u16>>(),
        keepalive in any::<Option<u16>>(),
        seq in any::<Option<u64>>(),
        spool in any::<Option<u64>>(),
    ) {
        let mut enc = HepEncoder::new(src, dst, &payload)
            .compressed(compressed)
            .ip_proto(ip_proto)
            .proto_type(ProtocolType::from(proto));
        if let Some(us) = ts_us {
            enc = enc.ts(u64::from(secs) * 1_000_000_000 + u64::from(us % 1_000_000) * 1_000);
        }
        if let Some(v) = capture_id { enc = enc.capture_id(v); }
        if let Some(v) = &name { enc = enc.capture_name(v); }
        if let Some(v) = &key { enc = enc.auth_key(v); }
        if let Some(v) = &corr { enc = enc.correlation_id(v); }
        if let Some(v) = vlan { enc = enc.vlan(v); }
        if let Some(v) = mos { enc = enc.mos(v); }
        if let Some(v) = keepalive { enc = enc.keepalive(v); }
        if let Some(v) = seq { enc = enc.seq(v); }
        if let Some(v) = spool { enc = enc.spool_id(v); }
        let mut out = vec![0xaa];
        let n = enc.encode(&mut out).unwrap();
        prop_assert_eq!(n + 1, out.len());
        prop_assert_eq!(next_packet(&out[1..]), Ok(Some(n)));
        let m = decode(&out[1..]).unwrap();
        prop_assert_eq!(HepEncoder::from_message(&m), enc);
        prop_assert_eq!(m.payload, &payload[..]);
        prop_assert_eq!((m.src, m.dst), (src, dst));
    }

    /// Any bytes: no panic; a decoded v3 message re-encodes to the same message.
    #[test]
    fn prop_arbitrary_bytes_never_panic(data in bytes(300), prefix in 0usize..3) {
        let mut buf = match prefix { 0 => b"HEP3".to_vec(), 1 => vec![2u8], _ => Vec::new() };
        buf.extend_from_slice(&data);
        if let Ok(m) = HepMessage::parse_datagram(&buf) {
            let mut out = Vec::new();
            if HepEncoder::from_message(&m).encode(&mut out).is_ok() {
                let again = decode(&out).unwrap();
                prop_assert_eq!(HepEncoder::from_message(&again), HepEncoder::from_message(&m));
            }
        }
        if let Ok(Some(n)) = next_packet(&buf) {
            prop_assert!((HEADER_LEN..=buf.len()).contains(&n));
        }
        let r = resync(&buf);
        prop_assert!(r.skipped <= buf.len());
        prop_assert!(buf.is_empty() || r.skipped >= 1);
        if r.found {
            let at = &buf[r.skipped..r.skipped + 4];
            prop_assert!(at == MAGIC_HEP3 || at == MAGIC_EEP3);
        }
    }

    /// Garbage, then valid packets: resync + next_packet recover every packet.
    #[test]
    fn prop_resync_recovers_packets_after_garbage(garbage in bytes(64), n in 1usize..4) {
        let pkt = raw(&MAGIC_HEP3, &sngrep_like());
        let mut stream = garbage.clone();
        for _ in 0..n { stream.extend_from_slice(&pkt); }
        let (mut at, mut skipped, mut found) = (0, 0, 0);
        while at < stream.len() {
            match next_packet(&stream[at..]) {
                Ok(Some(len)) => match Hep3Packet::new_checked(&stream[at..]) {
                    Ok(p) if decode(p.as_bytes()).is_ok() => { found += 1; at += len; }
                    _ => { let r = resync(&stream[at..]); skipped += r.skipped; at += r.skipped; }
                },
                Ok(None) | Err(_) => {
                    let r = resync(&stream[at..]);
                    if r.skipped == 0 { break; }
                    skipped += r.skipped; at += r.skipped;
                }
            }
        }
        prop_assert!(found >= n);
        prop_assert!(skipped <= garbage.len());
    }
}
