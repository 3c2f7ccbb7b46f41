//! Every vector in `../shared/ipfix/vectors` decodes to `expected.json`, and re-encoding the
//! expected values with the exporter gives the same bytes.
use super::super::*;
use super::{read_reference, unhex};
use crate::net::Endpoint;
use serde_json::Value;
use std::net::{IpAddr, SocketAddrV4};

pub(crate) struct Vector {
    pub label: String,
    pub bytes: Vec<u8>,
    pub expected: Value,
}

/// The vectors with their expected decode, or `None` outside CI when absent.
pub(crate) fn load() -> Option<Vec<Vector>> {
    let json = read_reference("vectors/expected.json")?;
    let list: Vec<Value> = serde_json::from_slice(&json).unwrap();
    let mut out = Vec::new();
    for e in list {
        let label = e["label"].as_str().unwrap().to_string();
        let hex = read_reference(&format!("vectors/{label}.hex"))?;
        let bytes = unhex(std::str::from_utf8(&hex).unwrap());
        assert_eq!(bytes.len() as u64, e["len"].as_u64().unwrap(), "{label}");
        out.push(Vector {
            label,
            bytes,
            expected: e["decoded"].clone(),
        });
    }
    assert_eq!(out.len(), 8, "expected 8 vectors");
    Some(out)
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}
fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}
fn ts(t: SbcTime) -> String {
    format!("{}.{:06}", t.sec, t.usec)
}
fn parse_ts(x: &str) -> SbcTime {
    let (a, b) = x.split_once('.').unwrap();
    SbcTime {
        sec: a.parse().unwrap(),
        usec: b.parse().unwrap(),
    }
}
fn v4(x: &str) -> SocketAddrV4 {
    x.parse().unwrap()
}
fn ep(x: &str) -> Endpoint {
    let a: std::net::SocketAddr = x.parse().unwrap();
    Endpoint::new(a.ip(), a.port())
}
fn iface(v: &Value) -> Interface {
    Interface {
        slot: u(v, "slot") as u8,
        port: u(v, "port") as u8,
        vlan: u(v, "vlan") as u16,
    }
}
fn flow(x: &str) -> MediaFlow {
    let (a, b) = x.split_once(" -> ").unwrap();
    MediaFlow {
        src: v4(a),
        dst: v4(b),
    }
}

const LEG: [&str; 14] = [
    "RtpBytes",
    "RtpPackets",
    "RtpLostPackets",
    "RtpAvgJitter",
    "RtpMaxJitter",
    "RtcpBytes",
    "RtcpPackets",
    "RtcpLostPackets",
    "RtcpAvgJitter",
    "RtcpMaxJitter",
    "RtcpAvgLat",
    "RtcpMaxLat",
    "RVal",
    "Mos",
];

fn leg_values(l: &QosLeg) -> [u32; 14] {
    [
        l.rtp_bytes,
        l.rtp_packets,
        l.rtp_lost_packets,
        l.rtp_avg_jitter,
        l.rtp_max_jitter,
        l.rtcp_bytes,
        l.rtcp_packets,
        l.rtcp_lost_packets,
        l.rtcp_avg_jitter,
        l.rtcp_max_jitter,
        l.rtcp_avg_latency,
        l.rtcp_max_latency,
        l.r_factor_x100,
        l.mos_x100,
    ]
}

fn leg_from(v: &Value, prefix: &str) -> QosLeg {
    let f: Vec<u32> = LEG
        .iter()
        .map(|k| u(v, &format!("{prefix}{k}")) as u32)
        .collect();
    QosLeg {
        rtp_bytes: f[0],
        rtp_packets: f[1],
        rtp_lost_packets: f[2],
        rtp_avg_jitter: f[3],
        rtp_max_jitter: f[4],
        rtcp_bytes: f[5],
        rtcp_packets: f[6],
        rtcp_lost_packets: f[7],
        rtcp_avg_jitter: f[8],
        rtcp_max_jitter: f[9],
        rtcp_avg_latency: f[10],
        rtcp_max_latency: f[11],
        r_factor_x100: f[12],
        mos_x100: f[13],
    }
}

/// Checks one decoded set against its expected JSON object.
fn check_set(label: &str, set: &Set<'_>, want: &Value) {
    assert_eq!(u64::from(set.id), u(want, "set_id"), "{label}");
    match set.id {
        set_id::KEEPALIVE => {
            assert_eq!(s(want, "type"), "keepalive");
            assert!(set.body.is_empty());
        }
        set_id::HANDSHAKE | set_id::HANDSHAKE_ACK => {
            let h = Handshake::parse(set.body).unwrap();
            for (k, got) in [
                ("major", h.major),
                ("minor", h.minor),
                ("cflags1", h.cflags1),
                ("cflags2", h.cflags2),
                ("sflags", h.sflags),
                ("timeout", h.timeout),
                ("product", h.product),
            ] {
                assert_eq!(u64::from(got), u(want, k), "{label} {k}");
            }
            assert_eq!(u64::from(h.system_id), u(want, "system_id"));
            assert_eq!(h.software(), s(want, "sw"));
            assert_eq!(h.hostname_lossy(), s(want, "hostname"));
        }
        set_id::SIP_UDP_IN | set_id::SIP_UDP_OUT => {
            let dir = if set.id == set_id::SIP_UDP_IN {
                Direction::In
            } else {
                Direction::Out
            };
            assert_eq!(dir.as_str(), s(want, "direction"));
            let r = SipUdpRecord::parse(set.body, dir).unwrap();
            assert_eq!(ts(r.time), s(want, "ts"), "{label}");
            assert_eq!(r.iface, iface(want));
            assert_eq!(
                r.call_id.map(|c| std::str::from_utf8(c).unwrap()),
                want["call_id"].as_str()
            );
            let d = r.udp().unwrap();
            assert_eq!(u64::from(d.ip_version), u(want, "ip_version"));
            assert_eq!(u(want, "l4_proto"), 17);
            assert_eq!(d.src.to_string(), s(want, "src"));
            assert_eq!(d.dst.to_string(), s(want, "dst"));
            assert_eq!(String::from_utf8_lossy(d.payload), s(want, "payload"));
        }
        set_id::SIP_TCP_IN | set_id::SIP_TCP_OUT => {
            let dir = if set.id == set_id::SIP_TCP_IN {
                Direction::In
            } else {
                Direction::Out
            };
            assert_eq!(dir.as_str(), s(want, "direction"));
            assert_eq!(s(want, "transport"), "tcp");
            let r = SipTcpRecord::parse(set.body, dir).unwrap();
            assert_eq!(ts(r.time), s(want, "ts"));
            assert_eq!(r.iface, iface(want));
            assert_eq!(r.src.to_string(), s(want, "src"));
            assert_eq!(r.dst.to_string(), s(want, "dst"));
            assert_eq!(u64::from(r.context), u(want, "context"));
            assert_eq!(
                r.call_id.map(|c| std::str::from_utf8(c).unwrap()),
                want["call_id"].as_str()
            );
            assert_eq!(String::from_utf8_lossy(r.sip), s(want, "payload"));
        }
        set_id::QOS => {
            let q = QosRecord::parse(set.body).unwrap();
            for (prefix, leg) in [("Inc", &q.inc), ("Out", &q.out)] {
                for (k, got) in LEG.iter().zip(leg_values(leg)) {
                    assert_eq!(u64::from(got), u(want, &format!("{prefix}{k}")), "{k}");
                }
            }
            assert_eq!(q.inc.mos(), want["IncMos_real"].as_f64().unwrap());
            assert_eq!(q.inc.r_factor(), want["IncR_real"].as_f64().unwrap());
            assert_eq!(u64::from(q.media_type), u(want, "Type"));
            for (k, f) in [
                ("CallerInc", q.caller_inc),
                ("CalleeInc", q.callee_inc),
                ("CallerOut", q.caller_out),
                ("CalleeOut", q.callee_out),
            ] {
                assert_eq!(format!("{} -> {}", f.src, f.dst), s(want, k));
            }
            for (p, i) in [("Caller", q.caller_iface), ("Callee", q.callee_iface)] {
                assert_eq!(u64::from(i.slot), u(want, &format!("{p}IntSlot")));
                assert_eq!(u64::from(i.port), u(want, &format!("{p}IntPort")));
                assert_eq!(u64::from(i.vlan), u(want, &format!("{p}IntVlan")));
            }
            assert_eq!(ts(q.begin), s(want, "Begin"));
            assert_eq!(ts(q.end), s(want, "End"));
            for (k, v) in [
                ("IncRealm", q.inc_realm),
                ("OutRealm", q.out_realm),
                ("IncCallID", q.inc_call_id),
                ("OutCallID", q.out_call_id),
            ] {
                assert_eq!(std::str::from_utf8(v).unwrap(), s(want, k));
            }
        }
        other => panic!("{label}: unexpected set {other}"),
    }
}

/// IPFIX.md §3.4 layouts and RFC 7011 §3.1 header: every vector decodes to `expected.json`.
#[test]
fn every_vector_decodes_to_expected_json() {
    let Some(vectors) = load() else { return };
    for v in &vectors {
        let m = Message::new_checked(&v.bytes).unwrap();
        let h = m.header();
        assert_eq!(u64::from(h.export_time), u(&v.expected, "export_time"));
        assert_eq!(u64::from(h.sequence), u(&v.expected, "seq"));
        assert_eq!(u64::from(h.observation_domain), u(&v.expected, "domain"));
        let sets: Vec<_> = m.sets().collect::<Result<_, _>>().unwrap();
        let want = v.expected["sets"].as_array().unwrap();
        assert_eq!(sets.len(), want.len(), "{}", v.label);
        for (set, w) in sets.iter().zip(want) {
            check_set(&v.label, set, w);
        }
    }
}

/// Encodes the SBC->collector vectors (all but the 257 reply) from their expected values with
/// one `Exporter`, in order.
pub(crate) fn encode_expected(vectors: &[Vector]) -> Vec<Vec<u8>> {
    let mut ex = Exporter::new(0);
    let mut out = Vec::new();
    for v in vectors {
        let w = &v.expected["sets"][0];
        let export_time = u(&v.expected, "export_time") as u32;
        let mut m = Vec::new();
        match u(w, "set_id") as u16 {
            set_id::HANDSHAKE_ACK => continue,
            set_id::KEEPALIVE => ex.keepalive(&mut m),
            set_id::HANDSHAKE => {
                let sw: Vec<u8> = s(w, "sw").split('.').map(|x| x.parse().unwrap()).collect();
                let hs = Handshake {
                    major: u(w, "major") as u16,
                    minor: u(w, "minor") as u16,
                    cflags1: u(w, "cflags1") as u16,
                    cflags2: u(w, "cflags2") as u16,
                    sflags: u(w, "sflags") as u16,
                    timeout: u(w, "timeout") as u16,
                    system_id: u(w, "system_id") as u32,
                    product: u(w, "product") as u16,
                    sw_major: sw[0],
                    sw_minor: sw[1],
                    sw_revision: sw[2],
                    hostname: s(w, "hostname").as_bytes(),
                };
                ex.handshake(&hs, export_time, &mut m).unwrap();
            }
            id @ (set_id::SIP_UDP_IN | set_id::SIP_UDP_OUT) => {
                let dir = if id == set_id::SIP_UDP_IN {
                    Direction::In
                } else {
                    Direction::Out
                };
                ex.sip_udp_message(
                    dir,
                    parse_ts(s(w, "ts")),
                    iface(w),
                    w["call_id"].as_str().map(str::as_bytes),
                    ep(s(w, "src")),
                    ep(s(w, "dst")),
                    s(w, "payload").as_bytes(),
                    DatagramParams::default(),
                    export_time,
                    &mut m,
                )
                .unwrap();
            }
            id @ (set_id::SIP_TCP_IN | set_id::SIP_TCP_OUT) => {
                let dir = if id == set_id::SIP_TCP_IN {
                    Direction::In
                } else {
                    Direction::Out
                };
                let rec = SipTcpRecord {
                    time: parse_ts(s(w, "ts")),
                    iface: iface(w),
                    src: v4(s(w, "src")),
                    dst: v4(s(w, "dst")),
                    context: u(w, "context") as u32,
                    call_id: w["call_id"].as_str().map(str::as_bytes),
                    sip: s(w, "payload").as_bytes(),
                };
                ex.sip_tcp(dir, &rec, export_time, &mut m).unwrap();
            }
            set_id::QOS => {
                let ifc = |p: &str| Interface {
                    slot: u(w, &format!("{p}IntSlot")) as u8,
                    port: u(w, &format!("{p}IntPort")) as u8,
                    vlan: u(w, &format!("{p}IntVlan")) as u16,
                };
                let rec = QosRecord {
                    inc: leg_from(w, "Inc"),
                    out: leg_from(w, "Out"),
                    media_type: u(w, "Type") as u8,
                    caller_inc: flow(s(w, "CallerInc")),
                    callee_inc: flow(s(w, "CalleeInc")),
                    caller_out: flow(s(w, "CallerOut")),
                    callee_out: flow(s(w, "CalleeOut")),
                    caller_iface: ifc("Caller"),
                    callee_iface: ifc("Callee"),
                    begin: parse_ts(s(w, "Begin")),
                    end: parse_ts(s(w, "End")),
                    inc_realm: s(w, "IncRealm").as_bytes(),
                    out_realm: s(w, "OutRealm").as_bytes(),
                    inc_call_id: s(w, "IncCallID").as_bytes(),
                    out_call_id: s(w, "OutCallID").as_bytes(),
                };
                ex.qos(&rec, export_time, &mut m).unwrap();
            }
            other => panic!("unexpected set {other}"),
        }
        out.push(m);
    }
    out
}

/// The exporter is byte-compatible with the vectors (IPFIX.md §5.2): re-encoding each
/// vector's expected values gives its bytes, sequence numbers included.
#[test]
fn exporter_reencodes_every_vector_byte_for_byte() {
    let Some(vectors) = load() else { return };
    let encoded = encode_expected(&vectors);
    let sbc: Vec<&Vector> = vectors
        .iter()
        .filter(|v| v.expected["sets"][0]["set_id"] != 257)
        .collect();
    assert_eq!(encoded.len(), sbc.len());
    for (v, m) in sbc.iter().zip(&encoded) {
        assert_eq!(hex(m), hex(&v.bytes), "{}", v.label);
    }
}

/// IPFIX.md §3.2: the reply to the real handshake is the echo with set ID 257 (vector 02).
#[test]
fn handshake_reply_matches_vector() {
    let Some(vectors) = load() else { return };
    let reply = sbc::handshake_reply(&vectors[0].bytes, 16, None);
    assert_eq!(reply, vectors[1].bytes);
    // horaclifix's variant: Timeout 0.
    let zero = sbc::handshake_reply(&vectors[0].bytes, 16, Some(0));
    let m = Message::new_checked(&zero).unwrap();
    let set = m.sets().next().unwrap().unwrap();
    assert_eq!(set.id, 257);
    assert_eq!(Handshake::parse(set.body).unwrap().timeout, 0);
}

/// The embedded datagram of 258/259 as synthesised: IPv4 header and UDP checksums verify, and
/// an IPv6 datagram decodes back (RFC 8200 / RFC 768 pseudo-header).
#[test]
fn synthesised_datagrams_roundtrip() {
    let src = Endpoint::new("2001:db8::1".parse::<IpAddr>().unwrap(), 5060);
    let dst = Endpoint::new("2001:db8::2".parse::<IpAddr>().unwrap(), 5062);
    let mut d = Vec::new();
    sbc::emit_udp_datagram(&mut d, src, dst, b"OPTIONS", DatagramParams::default()).unwrap();
    let u6 = UdpDatagram::parse(&d).unwrap();
    assert_eq!(
        (u6.ip_version, u6.src, u6.dst, u6.payload),
        (6, src, dst, &b"OPTIONS"[..])
    );
    let v4s = ep("192.0.2.1:5060");
    assert_eq!(
        sbc::emit_udp_datagram(&mut d, v4s, dst, b"x", DatagramParams::default()),
        Err(EncodeError::MixedFamilies)
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
