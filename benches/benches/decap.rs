//! Decapsulation cost per frame: a plain Ethernet/IPv4/UDP/RTP frame, and a mirrored frame
//! behind VLAN + IPv4 + GRE + ERSPAN II + Ethernet + VLAN + IPv4 + UDP.
use callscope_shared::wire::capture::{Frame, LinkType};
use callscope_shared::wire::decap::{DecodeEvent, Decoder};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    v.extend_from_slice(payload);
    v
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn vlan(vid: u16, inner_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vid.to_be_bytes().to_vec();
    v.extend_from_slice(&inner_type.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// G.711 RTP packet: 12-byte header + 160 bytes of audio.
fn rtp() -> Vec<u8> {
    let mut v = vec![
        0x80, 0x08, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef,
    ];
    v.resize(12 + 160, 0xd5);
    v
}

fn rtp_frame() -> Vec<u8> {
    eth(0x0800, &ipv4(17, &udp(40000, 20000, &rtp())))
}

fn erspan_frame() -> Vec<u8> {
    let mirrored = eth(
        0x8100,
        &vlan(20, 0x0800, &ipv4(17, &udp(5060, 5060, &rtp()))),
    );
    let mut gre = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1]; // S bit, ERSPAN II, seq 1
    gre.extend_from_slice(&[0x10, 0x14, 0x00, 0x01, 0, 0, 0, 0]); // ERSPAN II header
    gre.extend_from_slice(&mirrored);
    eth(0x8100, &vlan(10, 0x0800, &ipv4(47, &gre)))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decap");
    g.throughput(Throughput::Elements(1));
    for (name, bytes) in [
        ("eth_ipv4_udp_rtp", rtp_frame()),
        ("vlan_gre_erspan_eth_vlan_ipv4_udp", erspan_frame()),
    ] {
        let frame = Frame {
            ts: 1,
            link_type: LinkType::ETHERNET,
            data: &bytes,
            orig_len: bytes.len() as u32,
            interface: 0,
        };
        let mut dec = Decoder::default();
        // Sanity: the frame decodes to one segment with the RTP payload.
        let mut ok = false;
        dec.decode(&frame, &mut |ev| {
            ok = matches!(ev, DecodeEvent::Segment(s) if s.payload.len() == 172)
        });
        assert!(ok, "{name} does not decode");
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                dec.decode(black_box(&frame), &mut |ev| {
                    if let DecodeEvent::Segment(s) = ev {
                        n += s.payload.len();
                    }
                });
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
