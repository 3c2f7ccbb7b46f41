//! The mediation engine as a library: the `callscope-mediation` binary is a thin command line
//! over these modules, and the benchmarks in `benches/` drive them directly.
//!
//! - [`analyze`]: offline analysis of capture files (`callscope-mediation analyze`).
//! - [`pki_cli`]: `cert`, `trust` and `probe-cert`: the engine's TLS identity, trust store and
//!   probe certificates.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod pki_cli;
