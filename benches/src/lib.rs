//! Synthetic workloads for the benchmarks: a capture of many concurrent G.711 calls with RTP
//! both ways and set loss, written as a classic pcap. Deterministic (seeded LCG), so tshark
//! and callscope measure the same bytes.
#![deny(unsafe_code)]

pub mod alloc_count;

use std::io::{self, Write};

/// What to generate. The DESIGN.md workload is `Spec::design()`.
#[derive(Debug, Clone)]
pub struct Spec {
    pub calls: u32,
    pub concurrent: u32,
    /// Seconds of RTP per call.
    pub call_seconds: u32,
    /// Probability of dropping an RTP packet, in parts per million.
    pub loss_ppm: u32,
    pub seed: u64,
}

impl Spec {
    /// 2,000 G.711 calls, 500 concurrent, ~11.9 M packets, 1 % loss (DESIGN.md budgets).
    pub fn design() -> Self {
        Self {
            calls: 2000,
            concurrent: 500,
            call_seconds: 60,
            loss_ppm: 10_000,
            seed: 42,
        }
    }

    /// A small version for criterion: same shape, fewer calls and seconds.
    pub fn small() -> Self {
        Self {
            calls: 100,
            concurrent: 50,
            call_seconds: 20,
            loss_ppm: 10_000,
            seed: 42,
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub packets: u64,
    pub rtp_packets: u64,
    pub sip_messages: u64,
    pub bytes: u64,
}

const T0_US: u64 = 1_700_000_000_000_000;
const TICK_US: u64 = 20_000;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// Writes the capture to `w` and returns what it wrote.
pub fn write_capture(mut w: impl Write, spec: &Spec) -> io::Result<Written> {
    let mut out = Written::default();
    w.write_all(&pcap_header())?;
    let mut rng = Lcg(spec.seed);
    let spacing_us = u64::from(spec.call_seconds) * 1_000_000 / u64::from(spec.concurrent.max(1));
    let ticks_per_call = u64::from(spec.call_seconds) * 1_000_000 / TICK_US;
    let last_start = u64::from(spec.calls.saturating_sub(1)) * spacing_us;
    let end_us = last_start + u64::from(spec.call_seconds) * 1_000_000 + 2_000_000;
    let mut frame = Vec::with_capacity(2048);
    let mut tick_pkts: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut t = 0u64;
    while t <= end_us {
        tick_pkts.clear();
        // Calls whose lifetime overlaps this tick.
        let first = (t.saturating_sub(u64::from(spec.call_seconds) * 1_000_000 + 1_000_000))
            / spacing_us.max(1);
        let last = (t / spacing_us.max(1)).min(u64::from(spec.calls.saturating_sub(1)));
        for c in first..=last {
            let start = c * spacing_us;
            if t < start || t >= start + TICK_US * (ticks_per_call + 60) {
                continue;
            }
            let rel = t - start;
            let call = c as u32;
            // Signalling at fixed offsets from the call's start.
            for (at, msg) in sip_schedule(call, spec) {
                if at >= rel && at < rel + TICK_US {
                    let (src, dst) = if msg.from_caller {
                        (caller_ip(call), callee_ip(call))
                    } else {
                        (callee_ip(call), caller_ip(call))
                    };
                    tick_pkts.push((
                        T0_US + start + at,
                        udp_frame(&mut frame, src, 5060, dst, 5060, &msg.bytes),
                    ));
                    out.sip_messages += 1;
                }
            }
            // RTP both ways from 1 s after start for call_seconds.
            let media_start = 1_000_000;
            if rel >= media_start && rel < media_start + ticks_per_call * TICK_US {
                let n = (rel - media_start) / TICK_US;
                for dir in 0..2u32 {
                    if rng.next() % 1_000_000 < spec.loss_ppm {
                        continue;
                    }
                    let jitter = u64::from(rng.next() % 2000);
                    let (src, sport, dst, dport) = if dir == 0 {
                        (
                            caller_ip(call),
                            20_000 + (call % 20_000) as u16 * 2,
                            callee_ip(call),
                            40_000,
                        )
                    } else {
                        (
                            callee_ip(call),
                            40_000,
                            caller_ip(call),
                            20_000 + (call % 20_000) as u16 * 2,
                        )
                    };
                    let rtp = rtp_packet(
                        n as u16,
                        (n as u32).wrapping_mul(160),
                        0x1000_0000 + call * 2 + dir,
                    );
                    let ts = T0_US + start + rel + (c % 500) * 20 + u64::from(dir) * 7 + jitter;
                    tick_pkts.push((ts, udp_frame(&mut frame, src, sport, dst, dport, &rtp)));
                    out.rtp_packets += 1;
                }
            }
        }
        tick_pkts.sort_by_key(|p| p.0);
        for (ts, data) in &tick_pkts {
            write_record(&mut w, *ts, data)?;
            out.packets += 1;
            out.bytes += 16 + data.len() as u64;
        }
        t += TICK_US;
    }
    Ok(out)
}

struct Sip {
    from_caller: bool,
    bytes: Vec<u8>,
}

fn sip_schedule(call: u32, spec: &Spec) -> Vec<(u64, Sip)> {
    let a = ip_str(caller_ip(call));
    let b = ip_str(callee_ip(call));
    let id = format!("bench-{call}@{a}");
    let aport = 20_000 + (call % 20_000) * 2;
    let sdp = |ip: &str, port: u32| {
        format!(
            "v=0\r\no=- {call} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
        )
    };
    let msg = |first: &str, cseq: &str, to_tag: bool, body: &str| {
        let tag = if to_tag { ";tag=callee" } else { "" };
        let ct = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{first}\r\nVia: SIP/2.0/UDP {a}:5060;branch=z9hG4bK{call}x{cseq_n}\r\nFrom: <sip:+1555{call:07}@{a}>;tag=caller\r\nTo: <sip:+1666{call:07}@{b}>{tag}\r\nCall-ID: {id}\r\nCSeq: {cseq}\r\nContact: <sip:u@{a}:5060>\r\nMax-Forwards: 70\r\n{ct}Content-Length: {}\r\n\r\n{body}",
            body.len(),
            cseq_n = cseq.len()
        )
        .into_bytes()
    };
    let uri = format!("sip:+1666{call:07}@{b}");
    let end = 1_000_000 + u64::from(spec.call_seconds) * 1_000_000;
    vec![
        (
            0,
            Sip {
                from_caller: true,
                bytes: msg(
                    &format!("INVITE {uri} SIP/2.0"),
                    "1 INVITE",
                    false,
                    &sdp(&a, aport),
                ),
            },
        ),
        (
            2_000,
            Sip {
                from_caller: false,
                bytes: msg("SIP/2.0 100 Trying", "1 INVITE", false, ""),
            },
        ),
        (
            100_000,
            Sip {
                from_caller: false,
                bytes: msg("SIP/2.0 180 Ringing", "1 INVITE", true, ""),
            },
        ),
        (
            900_000,
            Sip {
                from_caller: false,
                bytes: msg("SIP/2.0 200 OK", "1 INVITE", true, &sdp(&b, 40_000)),
            },
        ),
        (
            902_000,
            Sip {
                from_caller: true,
                bytes: msg(&format!("ACK {uri} SIP/2.0"), "1 ACK", true, ""),
            },
        ),
        (
            end + 20_000,
            Sip {
                from_caller: true,
                bytes: msg(&format!("BYE {uri} SIP/2.0"), "2 BYE", true, ""),
            },
        ),
        (
            end + 22_000,
            Sip {
                from_caller: false,
                bytes: msg("SIP/2.0 200 OK", "2 BYE", true, ""),
            },
        ),
    ]
}

fn caller_ip(call: u32) -> [u8; 4] {
    [10, 10, (call >> 8) as u8, call as u8]
}

fn callee_ip(call: u32) -> [u8; 4] {
    [10, 20, (call >> 8) as u8, call as u8]
}

fn ip_str(ip: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

fn rtp_packet(seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(172);
    p.extend_from_slice(&[0x80, 8]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.resize(172, 0xD5);
    p
}

fn udp_frame(
    buf: &mut Vec<u8>,
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    buf.clear();
    buf.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let total = 20 + 8 + payload.len();
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    buf.extend_from_slice(&ip);
    buf.extend_from_slice(&sport.to_be_bytes());
    buf.extend_from_slice(&dport.to_be_bytes());
    buf.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    buf.extend_from_slice(&[0, 0]);
    buf.extend_from_slice(payload);
    buf.clone()
}

fn pcap_header() -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&65535u32.to_le_bytes());
    h[20..24].copy_from_slice(&1u32.to_le_bytes());
    h
}

fn write_record(w: &mut impl Write, ts_us: u64, data: &[u8]) -> io::Result<()> {
    let mut r = [0u8; 16];
    r[0..4].copy_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
    r[4..8].copy_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
    r[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
    r[12..16].copy_from_slice(&(data.len() as u32).to_le_bytes());
    w.write_all(&r)?;
    w.write_all(data)
}
