//! The mediation engine as a library: the `callscope-mediation` binary is a thin command line
//! over these modules, and the benchmarks in `benches/` drive them directly.
//!
//! - [`analyze`]: offline analysis of capture files (`callscope-mediation analyze`).
//! - [`sbc`]: Oracle/Acme SBC comm-monitor IPFIX over a stream: collector session and a test
//!   exporter that replays a capture's SIP.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod sbc;
