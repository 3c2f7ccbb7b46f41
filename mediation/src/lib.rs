//! The mediation engine as a library: the `callscope-mediation` binary is a thin command line
//! over these modules, and the benchmarks in `benches/` drive them directly.
//!
//! - [`analyze`]: offline analysis of capture files (`callscope-mediation analyze`).
#![forbid(unsafe_code)]

pub mod analyze;
