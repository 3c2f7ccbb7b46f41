//! `callscope-probe`: live capture and HEP forwarding (not built yet; see the README).
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "callscope-probe: live capture and HEP-over-TLS forwarding are not available in this version.\n\
         To analyse a capture file now, run: callscope-mediation analyze FILE.pcap"
    );
    ExitCode::from(2)
}
