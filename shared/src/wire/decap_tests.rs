//! Decoder tests over hand-built frames, one per link type and encapsulation (the corpus has
//! no QinQ, MPLS, VXLAN, GTP-U, ERSPAN III or IPv4 fragments).
use super::capture::{Frame, LinkType};
use super::decap::{DecodeEvent, Decoder, DecoderConfig, IgnoreReason};
use super::error::{DecodeError, Layer};
use super::{ipv4, ipv6, tcp, udp};
use crate::net::Transport;

#[derive(Debug, PartialEq)]
enum Out {
    Seg {
        flow: String,
        transport: Transport,
        payload: Vec<u8>,
        quoted: bool,
    },
    Malformed {
        layer: Layer,
        error: DecodeError,
    },
    Ignored(IgnoreReason),
}

fn seg(flow: &str, transport: Transport, payload: &[u8]) -> Out {
    Out::Seg {
        flow: flow.into(),
        transport,
        payload: payload.to_vec(),
        quoted: false,
    }
}

fn decode_with(dec: &mut Decoder, link: LinkType, ts: u64, data: &[u8]) -> Vec<Out> {
    decode_frame(dec, link, ts, data, data.len() as u32)
}

fn decode_frame(
    dec: &mut Decoder,
    link: LinkType,
    ts: u64,
    data: &[u8],
    orig_len: u32,
) -> Vec<Out> {
    let frame = Frame {
        ts,
        link_type: link,
        data,
        orig_len,
        interface: 0,
    };
    let mut out = Vec::new();
    dec.decode(&frame, &mut |ev| {
        out.push(match ev {
            DecodeEvent::Segment(s) => Out::Seg {
                flow: format!("{} -> {}", s.flow.src, s.flow.dst),
                transport: s.transport,
                payload: s.payload.to_vec(),
                quoted: s.icmp_quoted,
            },
            DecodeEvent::Malformed {
                layer,
                error,
                data: d,
                ..
            } => {
                assert_eq!(d, data);
                Out::Malformed { layer, error }
            }
            DecodeEvent::Ignored { reason, .. } => Out::Ignored(reason),
        })
    });
    out
}

fn decode(link: LinkType, data: &[u8]) -> Vec<Out> {
    decode_with(&mut Decoder::default(), link, 0, data)
}

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const SIP: &[u8] = b"OPTIONS sip:x SIP/2.0\r\n\r\n";

fn udp4(payload: &[u8]) -> Vec<u8> {
    ipv4::tests::build(17, A, B, &[], &udp::tests::build(5060, 5080, payload))
}
fn udp4_flow() -> &'static str {
    "10.0.0.1:5060 -> 10.0.0.2:5080"
}
fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}
fn gre(flags: u16, proto: u16, opts: &[u8], payload: &[u8]) -> Vec<u8> {
    cat(&[&flags.to_be_bytes(), &proto.to_be_bytes(), opts, payload])
}

// --- link types ---------------------------------------------------------------------------

#[test]
fn ethernet_ipv4_udp_with_padding() {
    let mut f = eth(0x0800, &udp4(b"hi"));
    f.extend_from_slice(&[0; 20]); // minimum-size padding after a short packet
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, b"hi")]
    );
}

#[test]
fn ethernet_802_3_snap_and_plain_llc() {
    let ip = udp4(SIP);
    let snap = cat(&[&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], &ip]);
    let f = eth(snap.len() as u16, &snap);
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // STP BPDU over 802.3/LLC.
    let stp = eth(38, &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
    assert_eq!(
        decode(LinkType::ETHERNET, &stp),
        [Out::Ignored(IgnoreReason::NonIp)]
    );
    let arp = eth(0x0806, &[0; 28]);
    assert_eq!(
        decode(LinkType::ETHERNET, &arp),
        [Out::Ignored(IgnoreReason::NonIp)]
    );
    let lldp = eth(0x88cc, &[0; 20]);
    assert_eq!(
        decode(LinkType::ETHERNET, &lldp),
        [Out::Ignored(IgnoreReason::NonIp)]
    );
}

#[test]
fn null_loop_both_byte_orders_and_raw() {
    let v4 = udp4(SIP);
    let v6 = ipv6::tests::build(17, [1; 16], [2; 16], &udp::tests::build(1, 2, b"x"));
    for link in [LinkType::NULL, LinkType::LOOP] {
        for af in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let out = decode(link, &cat(&[&af, &v4]));
            assert_eq!(out, [seg(udp4_flow(), Transport::Udp, SIP)]);
        }
        for af in [[24u8, 0, 0, 0], [0, 0, 0, 28], [30, 0, 0, 0], [0, 0, 0, 30]] {
            let out = decode(link, &cat(&[&af, &v6]));
            assert!(
                matches!(&out[..], [Out::Seg { payload, .. }] if payload == b"x"),
                "{af:?}"
            );
        }
        assert_eq!(
            decode(link, &cat(&[&[7, 0, 0, 0], &v4])),
            [Out::Ignored(IgnoreReason::NonIp)]
        );
    }
    for link in [LinkType::RAW, LinkType(12), LinkType(14), LinkType::IPV4] {
        assert_eq!(decode(link, &v4), [seg(udp4_flow(), Transport::Udp, SIP)]);
    }
    assert_eq!(decode(LinkType::IPV6, &v6).len(), 1);
    assert_eq!(decode(LinkType::RAW, &v6).len(), 1);
    assert!(matches!(
        &decode(LinkType::RAW, &[0x15, 0])[..],
        [Out::Malformed {
            layer: Layer::Ipv4,
            ..
        }]
    ));
    assert_eq!(
        decode(LinkType(147), &v4),
        [Out::Ignored(IgnoreReason::LinkType)]
    );
}

#[test]
fn linux_sll_and_sll2() {
    let v4 = udp4(SIP);
    let sll = cat(&[&[0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00], &v4]);
    assert_eq!(
        decode(LinkType::LINUX_SLL, &sll),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    let sll2 = cat(&[
        &[
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ],
        &v4,
    ]);
    assert_eq!(
        decode(LinkType::LINUX_SLL2, &sll2),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // Protocol 0x0004 is 802.2 LLC, not an EtherType.
    let llc = cat(&[
        &[0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x00, 0x04],
        &[0x42; 8],
    ]);
    assert_eq!(
        decode(LinkType::LINUX_SLL, &llc),
        [Out::Ignored(IgnoreReason::NonIp)]
    );
    assert!(matches!(
        &decode(LinkType::LINUX_SLL2, &sll2[..19])[..],
        [Out::Malformed {
            layer: Layer::LinuxSll2,
            ..
        }]
    ));
}

// --- encapsulations -----------------------------------------------------------------------

#[test]
fn vlan_qinq_and_old_tpid() {
    let ip = udp4(SIP);
    let dot1q = eth(0x8100, &cat(&[&[0, 100, 0x08, 0x00], &ip]));
    assert_eq!(
        decode(LinkType::ETHERNET, &dot1q),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    let qinq = eth(
        0x88a8,
        &cat(&[&[0, 10, 0x81, 0x00], &[0, 20, 0x08, 0x00], &ip]),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &qinq),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    let old = eth(
        0x9100,
        &cat(&[
            &[0, 10, 0x81, 0x00],
            &[0, 20, 0x86, 0xdd],
            &ipv6::tests::build(
                6,
                [1; 16],
                [2; 16],
                &tcp::tests::build(5060, 5061, 1, 0x18, &[], SIP),
            ),
        ]),
    );
    assert!(
        matches!(&decode(LinkType::ETHERNET, &old)[..], [Out::Seg { transport: Transport::Tcp, payload, .. }] if payload == SIP)
    );
    // A tag cut short is malformed at the VLAN layer, offset 14.
    let cut = eth(0x8100, &[0, 100]);
    match &decode(LinkType::ETHERNET, &cut)[..] {
        [
            Out::Malformed {
                layer: Layer::Vlan,
                error,
            },
        ] => assert_eq!(error.offset(), 14),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mpls_stack_ip_and_pseudowire() {
    let ip = udp4(SIP);
    // Two labels, bottom of stack on the second, then IPv4 guessed by its nibble.
    let labels = [0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40];
    let f = eth(0x8847, &cat(&[&labels, &ip]));
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // Ethernet pseudowire with control word: label, CW (nibble 0), inner Ethernet with VLAN.
    let inner = eth(0x8100, &cat(&[&[0, 5, 0x08, 0x00], &ip]));
    let f = eth(
        0x8848,
        &cat(&[&[0x00, 0x03, 0x01, 0x40], &[0, 0, 0, 0], &inner]),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // A label stack that never ends.
    let f = eth(0x8847, &[0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x00]);
    assert!(matches!(
        &decode(LinkType::ETHERNET, &f)[..],
        [Out::Malformed {
            layer: Layer::Mpls,
            ..
        }]
    ));
}

#[test]
fn pppoe_session_ppp() {
    let ip = udp4(SIP);
    let ppp = cat(&[&[0x00, 0x21], &ip]);
    let mut pppoe = vec![0x11, 0x00, 0x00, 0x07];
    pppoe.extend_from_slice(&(ppp.len() as u16).to_be_bytes());
    let mut f = eth(0x8864, &cat(&[&pppoe, &ppp]));
    f.extend_from_slice(&[0xee; 4]);
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // LCP is not IP.
    let lcp = eth(0x8864, &[0x11, 0, 0, 7, 0, 4, 0xc0, 0x21, 1, 1]);
    assert_eq!(
        decode(LinkType::ETHERNET, &lcp),
        [Out::Ignored(IgnoreReason::NonIp)]
    );
}

#[test]
fn gre_plain_with_options_and_teb() {
    let ip = udp4(SIP);
    let outer = |g: &[u8]| {
        eth(
            0x0800,
            &ipv4::tests::build(47, [192, 0, 2, 1], [192, 0, 2, 2], &[], g),
        )
    };
    let f = outer(&gre(0, 0x0800, &[], &ip));
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // Checksum + key + sequence number, IPv6 inside.
    let v6 = ipv6::tests::build(17, [1; 16], [2; 16], &udp::tests::build(7, 8, b"v6"));
    let f = outer(&gre(
        0xb000,
        0x86dd,
        &[0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1],
        &v6,
    ));
    assert!(
        matches!(&decode(LinkType::ETHERNET, &f)[..], [Out::Seg { payload, .. }] if payload == b"v6")
    );
    // Transparent Ethernet bridging with a key.
    let f = outer(&gre(0x2000, 0x6558, &[0, 0, 0, 5], &eth(0x0800, &ip)));
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // Options announced but missing.
    let f = outer(&gre(0x3000, 0x0800, &[0, 0, 0, 5], &[]));
    assert!(
        matches!(&decode(LinkType::ETHERNET, &f)[..], [Out::Malformed { layer: Layer::Gre, error: DecodeError::Len(e) }] if e.offset == 34)
    );
}

#[test]
fn pptp_enhanced_gre_ppp_with_ack() {
    let ip = udp4(SIP);
    let ppp = cat(&[&[0xff, 0x03, 0x00, 0x21], &ip]);
    let mut opts = (ppp.len() as u16).to_be_bytes().to_vec();
    opts.extend_from_slice(&[0, 9, 0, 0, 0, 4, 0, 0, 0, 3]); // call id 9, seq 4, ack 3
    let g = gre(0x3081, 0x880b, &opts, &ppp);
    let f = eth(
        0x8100,
        &cat(&[
            &[0, 1, 0x08, 0x00],
            &ipv4::tests::build(47, [192, 0, 2, 1], [192, 0, 2, 2], &[], &g),
        ]),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
}

#[test]
fn erspan_type_i_ii_and_iii() {
    let ip = udp4(SIP);
    let mirrored = eth(0x8100, &cat(&[&[0, 7, 0x08, 0x00], &ip]));
    let outer = |g: &[u8]| {
        eth(
            0x0800,
            &ipv4::tests::build(47, [192, 0, 2, 1], [192, 0, 2, 2], &[], g),
        )
    };
    // Type II: GRE with sequence number, 8-byte ERSPAN header.
    let ii = gre(
        0x1000,
        0x88be,
        &[0, 0, 0, 1],
        &cat(&[&[0x10, 0x07, 0x00, 0x01, 0, 0, 0, 0], &mirrored]),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &outer(&ii)),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // Type I: no sequence number, no ERSPAN header.
    let i = gre(0, 0x88be, &[], &mirrored);
    assert_eq!(
        decode(LinkType::ETHERNET, &outer(&i)),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // Type III with the platform-specific subheader (O bit).
    let hdr3 = [
        0x20, 0x00, 0x00, 0x01, 0, 0, 0, 5, 0, 0, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8,
    ];
    let iii = gre(0x1000, 0x22eb, &[0, 0, 0, 1], &cat(&[&hdr3, &mirrored]));
    assert_eq!(
        decode(LinkType::ETHERNET, &outer(&iii)),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // Type III without subheader.
    let iii = gre(
        0x1000,
        0x22eb,
        &[0, 0, 0, 1],
        &cat(&[&hdr3[..10], &[0, 0], &mirrored]),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &outer(&iii)),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
}

#[test]
fn vxlan_and_gtpu() {
    let ip = udp4(SIP);
    let vx = cat(&[&[0x08, 0, 0, 0, 0, 0, 42, 0], &eth(0x0800, &ip)]);
    let f = eth(
        0x0800,
        &ipv4::tests::build(
            17,
            [192, 0, 2, 1],
            [192, 0, 2, 2],
            &[],
            &udp::tests::build(49152, 4789, &vx),
        ),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // GTP-U G-PDU with sequence number and a PDU session container extension.
    let mut gtp = vec![0x34, 0xff];
    gtp.extend_from_slice(&((8 + ip.len()) as u16).to_be_bytes());
    gtp.extend_from_slice(&[0, 0, 0, 1, 0, 1, 0, 0x85, 0x01, 0x00, 0x01, 0x00]);
    gtp.extend_from_slice(&ip);
    let f = eth(
        0x0800,
        &ipv4::tests::build(
            17,
            [192, 0, 2, 1],
            [192, 0, 2, 2],
            &[],
            &udp::tests::build(2152, 2152, &gtp),
        ),
    );
    assert_eq!(
        decode(LinkType::ETHERNET, &f),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    // GTP-U echo request stays a UDP segment.
    let echo = [0x32, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0, 1, 0, 0];
    let f = eth(
        0x0800,
        &ipv4::tests::build(17, A, B, &[], &udp::tests::build(2152, 2152, &echo)),
    );
    assert!(
        matches!(&decode(LinkType::ETHERNET, &f)[..], [Out::Seg { payload, .. }] if payload == &echo)
    );
    // Disabled by configuration.
    let mut dec = Decoder::new(DecoderConfig {
        vxlan_port: None,
        ..Default::default()
    });
    let f = eth(
        0x0800,
        &ipv4::tests::build(17, A, B, &[], &udp::tests::build(1, 4789, &vx)),
    );
    assert!(
        matches!(&decode_with(&mut dec, LinkType::ETHERNET, 0, &f)[..], [Out::Seg { payload, .. }] if payload == &vx)
    );
}

#[test]
fn ip_in_ip_all_four_ways() {
    let v4 = udp4(SIP);
    let v6 = ipv6::tests::build(17, [1; 16], [2; 16], &udp::tests::build(5060, 5060, SIP));
    let v4in4 = ipv4::tests::build(4, [9; 4], [8; 4], &[], &v4);
    let v6in4 = ipv4::tests::build(41, [9; 4], [8; 4], &[], &v6);
    let v4in6 = ipv6::tests::build(4, [9; 16], [8; 16], &v4);
    let v6in6 = ipv6::tests::build(41, [9; 16], [8; 16], &v6);
    for (name, p) in [
        ("4in4", v4in4),
        ("6in4", v6in4),
        ("4in6", v4in6),
        ("6in6", v6in6),
    ] {
        let out = decode(LinkType::RAW, &p);
        assert!(
            matches!(&out[..], [Out::Seg { payload, .. }] if payload == SIP),
            "{name}: {out:?}"
        );
    }
}

#[test]
fn depth_bound() {
    let mut p = udp4(SIP);
    for _ in 0..40 {
        p = ipv4::tests::build(4, [9; 4], [8; 4], &[], &p);
    }
    assert!(matches!(
        &decode(LinkType::RAW, &p)[..],
        [Out::Malformed {
            error: DecodeError::TooDeep { .. },
            ..
        }]
    ));
}

// --- IP layer -------------------------------------------------------------------------------

#[test]
fn ipv4_options_and_bad_headers() {
    let p = ipv4::tests::build(
        17,
        A,
        B,
        &[0x94, 0x04, 0, 0],
        &udp::tests::build(5060, 5080, SIP),
    );
    assert_eq!(
        decode(LinkType::RAW, &p),
        [seg(udp4_flow(), Transport::Udp, SIP)]
    );
    let mut bad = p.clone();
    bad[0] = 0x43;
    assert!(matches!(
        &decode(LinkType::RAW, &bad)[..],
        [Out::Malformed {
            layer: Layer::Ipv4,
            ..
        }]
    ));
    // Snap length cut the payload: the segment is what was captured, counted as truncated.
    let mut dec = Decoder::default();
    let out = decode_with(&mut dec, LinkType::RAW, 0, &p[..p.len() - 5]);
    assert_eq!(
        out,
        [seg(udp4_flow(), Transport::Udp, &SIP[..SIP.len() - 5])]
    );
    assert_eq!(dec.stats().truncated, 2); // IP and UDP lengths both exceed the capture
    // UDP header cut: malformed at the UDP layer (offset 24).
    match &decode(LinkType::RAW, &p[..28])[..] {
        [
            Out::Malformed {
                layer: Layer::Udp,
                error,
            },
        ] => assert_eq!(error.offset(), 24),
        other => panic!("{other:?}"),
    }
}

#[test]
fn header_cut_by_snap_length_is_not_malformed() {
    let f = eth(0x0800, &udp4(SIP));
    let mut dec = Decoder::default();
    // 30 of the frame's bytes captured: the IPv4 header is cut by the snap length.
    let out = decode_frame(&mut dec, LinkType::ETHERNET, 0, &f[..30], f.len() as u32);
    assert_eq!(out, [Out::Ignored(IgnoreReason::Snapped)]);
    // The same bytes with no snap length in play: malformed.
    let out = decode_frame(&mut dec, LinkType::ETHERNET, 0, &f[..30], 30);
    assert!(matches!(
        &out[..],
        [Out::Malformed {
            layer: Layer::Ipv4,
            ..
        }]
    ));
    assert_eq!(
        (
            dec.stats().ignored(IgnoreReason::Snapped),
            dec.stats().malformed
        ),
        (1, 1)
    );
}

#[test]
fn ipv6_extension_headers() {
    let u = udp::tests::build(5060, 5060, SIP);
    // Hop-by-hop (8) -> routing (8, len 0) -> destination options (16, len 1) -> AH (12) -> UDP
    let mut ext = vec![43, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[51, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    let p = ipv6::tests::build(0, [1; 16], [2; 16], &cat(&[&ext, &u]));
    assert!(matches!(&decode(LinkType::RAW, &p)[..], [Out::Seg { payload, .. }] if payload == SIP));
    // ESP and no-next-header are not decoded.
    let esp = ipv6::tests::build(50, [1; 16], [2; 16], &[0; 16]);
    assert_eq!(
        decode(LinkType::RAW, &esp),
        [Out::Ignored(IgnoreReason::IpProtocol)]
    );
    let none = ipv6::tests::build(59, [1; 16], [2; 16], &[]);
    assert_eq!(
        decode(LinkType::RAW, &none),
        [Out::Ignored(IgnoreReason::IpProtocol)]
    );
    // Atomic fragment (offset 0, M = 0) needs no reassembly.
    let atomic = ipv6::tests::build(
        44,
        [1; 16],
        [2; 16],
        &cat(&[&[17, 0, 0, 0, 0, 0, 0, 9], &u]),
    );
    assert!(
        matches!(&decode(LinkType::RAW, &atomic)[..], [Out::Seg { payload, .. }] if payload == SIP)
    );
    // Extension header cut short.
    let cut = ipv6::tests::build(60, [1; 16], [2; 16], &[17, 1, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        &decode(LinkType::RAW, &cut)[..],
        [Out::Malformed {
            layer: Layer::Ipv6Ext,
            ..
        }]
    ));
}

#[test]
fn tcp_and_sctp_segments() {
    let t = tcp::tests::build(
        5060,
        40000,
        77,
        0x18,
        &[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
        SIP,
    );
    let p = ipv4::tests::build(6, A, B, &[], &t);
    let mut tcp_info = None;
    let frame = Frame {
        ts: 5,
        link_type: LinkType::RAW,
        data: &p,
        orig_len: 0,
        interface: 0,
    };
    Decoder::default().decode(&frame, &mut |ev| {
        if let DecodeEvent::Segment(s) = ev {
            assert_eq!((s.payload, s.ts, s.transport), (SIP, 5, Transport::Tcp));
            tcp_info = s.tcp;
        }
    });
    assert_eq!(
        tcp_info.map(|t| (t.seq, t.ack, t.flags)),
        Some((77, 7, 0x18))
    );
    let chunks = [
        0, 3, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', b'c', b'd',
    ];
    let s = cat(&[&[0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 1, 0, 0, 0, 0], &chunks]);
    let p = ipv4::tests::build(132, A, B, &[], &s);
    assert!(
        matches!(&decode(LinkType::RAW, &p)[..], [Out::Seg { transport: Transport::Sctp, payload, .. }] if payload == &chunks)
    );
    let igmp = ipv4::tests::build(2, A, B, &[], &[0x16, 0, 0, 0, 224, 0, 0, 1]);
    assert_eq!(
        decode(LinkType::RAW, &igmp),
        [Out::Ignored(IgnoreReason::IpProtocol)]
    );
}

#[test]
fn icmp_errors_quote_segments() {
    // Port unreachable quoting the whole UDP datagram (as Linux does, up to 576 bytes).
    let quoted = udp4(SIP);
    let icmp = cat(&[&[3, 3, 0, 0, 0, 0, 0, 0], &quoted]);
    let p = ipv4::tests::build(1, B, A, &[], &icmp);
    let out = decode(LinkType::RAW, &p);
    assert_eq!(
        out,
        [Out::Seg {
            flow: udp4_flow().into(),
            transport: Transport::Udp,
            payload: SIP.to_vec(),
            quoted: true
        }]
    );
    // A quote cut after 8 bytes of UDP (RFC 792 minimum) with a longer declared length.
    let p = ipv4::tests::build(1, B, A, &[], &icmp[..8 + 20 + 8 + 3]);
    assert!(
        matches!(&decode(LinkType::RAW, &p)[..], [Out::Seg { quoted: true, payload, .. }] if payload == &SIP[..3])
    );
    // A TCP quote of only 8 bytes holds no whole header; echo requests are not errors.
    let t = ipv4::tests::build(6, A, B, &[], &tcp::tests::build(1, 2, 3, 0x10, &[], &[]));
    let p = ipv4::tests::build(1, B, A, &[], &cat(&[&[11, 0, 0, 0, 0, 0, 0, 0], &t[..28]]));
    assert_eq!(
        decode(LinkType::RAW, &p),
        [Out::Ignored(IgnoreReason::IcmpNoSegment)]
    );
    let p = ipv4::tests::build(1, B, A, &[], &cat(&[&[8, 0, 0, 0, 0, 0, 0, 0], &quoted]));
    assert_eq!(
        decode(LinkType::RAW, &p),
        [Out::Ignored(IgnoreReason::IcmpNoSegment)]
    );
    // ICMPv6 destination unreachable quoting IPv6/UDP.
    let q6 = ipv6::tests::build(17, [1; 16], [2; 16], &udp::tests::build(5060, 5062, SIP));
    let p = ipv6::tests::build(
        58,
        [2; 16],
        [1; 16],
        &cat(&[&[1, 4, 0, 0, 0, 0, 0, 0], &q6]),
    );
    let out = decode(LinkType::RAW, &p);
    assert!(
        matches!(&out[..], [Out::Seg { quoted: true, flow, .. }] if flow == "[101:101:101:101:101:101:101:101]:5060 -> [202:202:202:202:202:202:202:202]:5062"),
        "{out:?}"
    );
}

// --- fragment reassembly ------------------------------------------------------------------

/// Splits an IPv4 packet into fragments of `size` payload bytes (a multiple of 8), in order.
fn fragment_v4(packet: &[u8], size: usize) -> Vec<Vec<u8>> {
    let (hdr, payload) = packet.split_at(20);
    let chunks: Vec<&[u8]> = payload.chunks(size).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut h = hdr.to_vec();
            let more = if i + 1 < chunks.len() { 0x2000 } else { 0 };
            let off = ((i * size / 8) as u16) | more;
            h[2..4].copy_from_slice(&((20 + c.len()) as u16).to_be_bytes());
            h[6..8].copy_from_slice(&off.to_be_bytes());
            cat(&[&h, c])
        })
        .collect()
}

#[test]
fn ipv4_fragments_in_and_out_of_order() {
    let body: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let packet = udp4(&body);
    let frags = fragment_v4(&packet, 1480);
    assert_eq!(frags.len(), 3);
    for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
        let mut dec = Decoder::default();
        let mut outs = Vec::new();
        for i in order {
            outs.push(decode_with(
                &mut dec,
                LinkType::ETHERNET,
                1,
                &eth(0x0800, &frags[i]),
            ));
        }
        assert_eq!(outs[0], [Out::Ignored(IgnoreReason::FragmentHeld)]);
        assert_eq!(outs[1], [Out::Ignored(IgnoreReason::FragmentHeld)]);
        assert_eq!(outs[2], [seg(udp4_flow(), Transport::Udp, &body)]);
        let s = dec.stats();
        assert_eq!(
            (
                s.frag.reassembled,
                s.frag.fragments,
                dec.fragments_in_flight()
            ),
            (1, 3, (0, 0))
        );
    }
}

#[test]
fn ipv4_fragments_overlap_duplicate_and_keying() {
    let body = vec![0x55u8; 100];
    let packet = udp4(&body);
    let frags = fragment_v4(&packet, 56);
    let mut dec = Decoder::default();
    decode_with(&mut dec, LinkType::RAW, 0, &frags[0]);
    // Same id and addresses but another protocol: a different datagram.
    let mut other = frags[1].clone();
    other[9] = 6;
    assert_eq!(
        decode_with(&mut dec, LinkType::RAW, 0, &other),
        [Out::Ignored(IgnoreReason::FragmentHeld)]
    );
    // A duplicate of the first fragment with different bytes: the first copy wins.
    let mut dup = frags[0].clone();
    let n = dup.len();
    dup[n - 1] ^= 0xff;
    decode_with(&mut dec, LinkType::RAW, 0, &dup);
    let out = decode_with(&mut dec, LinkType::RAW, 0, &frags[1]);
    assert_eq!(out, [seg(udp4_flow(), Transport::Udp, &body)]);
    assert_eq!(dec.fragments_in_flight().0, 1);
}

#[test]
fn fragments_expire_by_capture_time_and_memory_is_bounded() {
    let packet = udp4(&[7u8; 200]);
    let frags = fragment_v4(&packet, 64);
    let cfg = DecoderConfig {
        frag_timeout: 1_000,
        frag_max_datagrams: 2,
        ..Default::default()
    };
    let mut dec = Decoder::new(cfg);
    decode_with(&mut dec, LinkType::RAW, 0, &frags[0]);
    // Next fragment arrives after the timeout: the first is gone, so no datagram completes.
    for f in &frags[1..] {
        decode_with(&mut dec, LinkType::RAW, 2_000, f);
    }
    assert_eq!(
        (dec.stats().frag.expired, dec.stats().frag.reassembled),
        (1, 0)
    );
    // Three datagrams in flight with a limit of two: the oldest is evicted.
    let mut dec = Decoder::new(cfg);
    for id in 0..3u16 {
        let mut f = frags[0].clone();
        f[4..6].copy_from_slice(&id.to_be_bytes());
        decode_with(&mut dec, LinkType::RAW, 0, &f);
    }
    assert_eq!(
        (dec.stats().frag.evicted, dec.fragments_in_flight().0),
        (1, 2)
    );
    // A fragment beyond the maximum datagram size is rejected.
    let mut big = frags[1].clone();
    big[6..8].copy_from_slice(&0x1fffu16.to_be_bytes());
    assert_eq!(
        decode_with(&mut dec, LinkType::RAW, 0, &big),
        [Out::Ignored(IgnoreReason::FragmentRejected)]
    );
}

#[test]
fn fragments_inside_and_outside_tunnels() {
    let body = vec![0x33u8; 400];
    let inner = udp4(&body);
    // Inner fragments carried by GRE: each outer packet is whole.
    let mut dec = Decoder::default();
    let mut last = Vec::new();
    for f in fragment_v4(&inner, 200) {
        let outer = ipv4::tests::build(
            47,
            [192, 0, 2, 1],
            [192, 0, 2, 2],
            &[],
            &gre(0, 0x0800, &[], &f),
        );
        last = decode_with(&mut dec, LinkType::ETHERNET, 0, &eth(0x0800, &outer));
    }
    assert_eq!(last, [seg(udp4_flow(), Transport::Udp, &body)]);
    // Outer fragments of an IP-in-IP packet: reassembled first, then decapsulated.
    let outer = ipv4::tests::build(4, [192, 0, 2, 1], [192, 0, 2, 2], &[], &inner);
    let mut dec = Decoder::default();
    for f in fragment_v4(&outer, 160) {
        last = decode_with(&mut dec, LinkType::RAW, 0, &f);
    }
    assert_eq!(last, [seg(udp4_flow(), Transport::Udp, &body)]);
}

#[test]
fn ipv6_fragments() {
    let u = udp::tests::build(5060, 5060, &[0x44; 300]);
    let (first, second) = u.split_at(160);
    let fh = |off: u16, more: bool| {
        let of = off | u16::from(more);
        cat(&[&[17, 0], &of.to_be_bytes(), &[0xb0, 0x64, 0x77, 0x80]])
    };
    // Hop-by-hop before the fragment header stays in the unfragmentable part.
    let hbh = [44, 0, 1, 4, 0, 0, 0, 0];
    let f1 = ipv6::tests::build(0, [1; 16], [2; 16], &cat(&[&hbh, &fh(0, true), first]));
    let f2 = ipv6::tests::build(0, [1; 16], [2; 16], &cat(&[&hbh, &fh(160, false), second]));
    let mut dec = Decoder::default();
    assert_eq!(
        decode_with(&mut dec, LinkType::RAW, 0, &f2),
        [Out::Ignored(IgnoreReason::FragmentHeld)]
    );
    let out = decode_with(&mut dec, LinkType::RAW, 0, &f1);
    assert!(
        matches!(&out[..], [Out::Seg { payload, .. }] if payload == &[0x44; 300]),
        "{out:?}"
    );
}

// --- generated encapsulation stacks -------------------------------------------------------

/// One encapsulation step applied from the inside out.
#[derive(Debug, Clone, Copy)]
enum Wrap {
    Vlan,
    QinQ,
    Mpls,
    Pppoe,
    Gre,
    GreTeb,
    ErspanII,
    ErspanIII,
    Vxlan,
    GtpU,
    IpIp4,
    IpIp6,
}

const WRAPS: [Wrap; 12] = [
    Wrap::Vlan,
    Wrap::QinQ,
    Wrap::Mpls,
    Wrap::Pppoe,
    Wrap::Gre,
    Wrap::GreTeb,
    Wrap::ErspanII,
    Wrap::ErspanIII,
    Wrap::Vxlan,
    Wrap::GtpU,
    Wrap::IpIp4,
    Wrap::IpIp6,
];

/// A packet being built: an IP packet (layer 3) or an Ethernet frame (layer 2).
enum Pkt {
    L3(Vec<u8>),
    L2(Vec<u8>),
}

fn ip_type(ip: &[u8]) -> u16 {
    if ip[0] >> 4 == 6 { 0x86dd } else { 0x0800 }
}
fn ip_proto(ip: &[u8]) -> u8 {
    if ip[0] >> 4 == 6 { 41 } else { 4 }
}
fn to_l2(p: Pkt) -> Vec<u8> {
    match p {
        Pkt::L2(f) => f,
        Pkt::L3(ip) => eth(ip_type(&ip), &ip),
    }
}
fn to_l3(p: Pkt) -> Vec<u8> {
    match p {
        Pkt::L3(ip) => ip,
        // Any L2 frame can ride in an IP tunnel as transparent Ethernet over GRE.
        Pkt::L2(f) => ipv4::tests::build(
            47,
            [192, 0, 2, 9],
            [192, 0, 2, 8],
            &[],
            &gre(0, 0x6558, &[], &f),
        ),
    }
}
fn outer4(proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4::tests::build(proto, [192, 0, 2, 1], [192, 0, 2, 2], &[], payload)
}

fn apply(w: Wrap, p: Pkt) -> Pkt {
    match w {
        Wrap::Vlan | Wrap::QinQ => {
            let f = to_l2(p);
            let tpid: u16 = if matches!(w, Wrap::Vlan) {
                0x8100
            } else {
                0x88a8
            };
            Pkt::L2(cat(&[&f[..12], &tpid.to_be_bytes(), &[0, 42], &f[12..]]))
        }
        Wrap::Mpls => {
            let ip = to_l3(p);
            Pkt::L2(eth(0x8847, &cat(&[&[0, 0, 0x51, 0x40], &ip])))
        }
        Wrap::Pppoe => {
            let ip = to_l3(p);
            let proto: u16 = if ip_type(&ip) == 0x86dd {
                0x0057
            } else {
                0x0021
            };
            let len = (ip.len() + 2) as u16;
            Pkt::L2(eth(
                0x8864,
                &cat(&[
                    &[0x11, 0, 0, 1],
                    &len.to_be_bytes(),
                    &proto.to_be_bytes(),
                    &ip,
                ]),
            ))
        }
        Wrap::Gre => {
            let ip = to_l3(p);
            Pkt::L3(outer4(47, &gre(0x2000, ip_type(&ip), &[0, 0, 0, 1], &ip)))
        }
        Wrap::GreTeb => Pkt::L3(outer4(47, &gre(0, 0x6558, &[], &to_l2(p)))),
        Wrap::ErspanII => {
            let body = cat(&[&[0x10, 0, 0, 1, 0, 0, 0, 0], &to_l2(p)]);
            Pkt::L3(outer4(47, &gre(0x1000, 0x88be, &[0, 0, 0, 7], &body)))
        }
        Wrap::ErspanIII => {
            let body = cat(&[&[0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], &to_l2(p)]);
            Pkt::L3(outer4(47, &gre(0x1000, 0x22eb, &[0, 0, 0, 7], &body)))
        }
        Wrap::Vxlan => {
            let body = cat(&[&[0x08, 0, 0, 0, 0, 0, 1, 0], &to_l2(p)]);
            Pkt::L3(outer4(17, &udp::tests::build(50000, 4789, &body)))
        }
        Wrap::GtpU => {
            let ip = to_l3(p);
            let hdr = cat(&[
                &[0x30, 0xff],
                &(ip.len() as u16).to_be_bytes(),
                &[0, 0, 0, 5],
            ]);
            Pkt::L3(outer4(
                17,
                &udp::tests::build(2152, 2152, &cat(&[&hdr, &ip])),
            ))
        }
        Wrap::IpIp4 => {
            let ip = to_l3(p);
            Pkt::L3(outer4(ip_proto(&ip), &ip))
        }
        Wrap::IpIp6 => {
            let ip = to_l3(p);
            Pkt::L3(ipv6::tests::build(ip_proto(&ip), [7; 16], [8; 16], &ip))
        }
    }
}

proptest::proptest! {
    /// Any stack of up to 6 encapsulations around a UDP or TCP segment decodes to that segment,
    /// and every truncation of the frame gives exactly one event without panicking.
    #[test]
    fn generated_stacks_decode_to_the_inner_segment(
        wraps in proptest::collection::vec(0..WRAPS.len(), 0..6),
        v6 in proptest::bool::ANY,
        use_tcp in proptest::bool::ANY,
        payload in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        cut in 0usize..400,
    ) {
        let transport = if use_tcp { tcp::tests::build(5060, 5061, 9, 0x18, &[], &payload) } else { udp::tests::build(5060, 5061, &payload) };
        let proto = if use_tcp { 6 } else { 17 };
        let inner = if v6 {
            ipv6::tests::build(proto, [1; 16], [2; 16], &transport)
        } else {
            ipv4::tests::build(proto, A, B, &[], &transport)
        };
        let mut p = Pkt::L3(inner);
        for &w in &wraps {
            p = apply(WRAPS[w], p);
        }
        let frame = to_l2(p);
        let out = decode(LinkType::ETHERNET, &frame);
        let want = if v6 { "[101:101:101:101:101:101:101:101]:5060 -> [202:202:202:202:202:202:202:202]:5061" } else { "10.0.0.1:5060 -> 10.0.0.2:5061" };
        let t = if use_tcp { Transport::Tcp } else { Transport::Udp };
        proptest::prop_assert_eq!(out, vec![seg(want, t, &payload)], "{:?}", wraps.iter().map(|&w| WRAPS[w]).collect::<Vec<_>>());
        let cut = cut.min(frame.len());
        proptest::prop_assert_eq!(decode(LinkType::ETHERNET, &frame[..cut]).len(), 1);
    }
}
