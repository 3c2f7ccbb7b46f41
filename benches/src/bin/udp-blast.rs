//! Sends RTP-shaped UDP datagrams (172 bytes: G.711 20 ms) as fast as it can, or at a given
//! rate, to measure live capture without kernel drops (`scripts/bench-live-capture.sh`).
//!
//! `udp-blast DEST_ADDR SECONDS [PACKETS_PER_SECOND]`
#![forbid(unsafe_code)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dest), Some(secs)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: udp-blast DEST_ADDR SECONDS [PACKETS_PER_SECOND]");
        std::process::exit(2);
    };
    let secs: f64 = secs.parse().unwrap_or(5.0);
    let rate: Option<u64> = args.get(3).and_then(|r| r.parse().ok());
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    sock.connect(dest)?;
    let mut pkt = [0u8; 172];
    pkt[0] = 0x80;
    pkt[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let mut sent: u64 = 0;
    let mut seq: u16 = 0;
    let mut ts: u32 = 0;
    loop {
        for _ in 0..64 {
            pkt[2..4].copy_from_slice(&seq.to_be_bytes());
            pkt[4..8].copy_from_slice(&ts.to_be_bytes());
            seq = seq.wrapping_add(1);
            ts = ts.wrapping_add(160);
            if sock.send(&pkt).is_ok() {
                sent += 1;
            }
        }
        let now = Instant::now();
        if now >= end {
            break;
        }
        if let Some(r) = rate {
            let due = start + Duration::from_secs_f64(sent as f64 / r as f64);
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
    let el = start.elapsed().as_secs_f64();
    println!(
        "sent {sent} packets in {el:.2} s: {:.0} packets/s",
        sent as f64 / el
    );
    Ok(())
}
