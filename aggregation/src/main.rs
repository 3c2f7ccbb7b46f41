//! `callscope-aggregation`: federated search across mediation engines (not built yet).
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "callscope-aggregation: federation of mediation engines is not available in this version.\n\
         To analyse a capture file now, run: callscope-mediation analyze FILE.pcap"
    );
    ExitCode::from(2)
}
