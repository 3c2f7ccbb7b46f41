//! `gen-capture [--small] FILE`: writes the benchmark workload (DESIGN.md: 2,000 G.711 calls,
//! 500 concurrent, ~11.9 M packets, 1 % loss) as a pcap.
#![forbid(unsafe_code)]

use std::io::BufWriter;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let small = args.iter().any(|a| a == "--small");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: gen-capture [--small] FILE");
        std::process::exit(2);
    };
    let spec = if small {
        callscope_benches::Spec::small()
    } else {
        callscope_benches::Spec::design()
    };
    let w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let n = callscope_benches::write_capture(w, &spec)?;
    eprintln!(
        "{path}: {} packets ({} RTP, {} SIP), {} MB",
        n.packets,
        n.rtp_packets,
        n.sip_messages,
        n.bytes / 1_000_000
    );
    Ok(())
}
