//! The mediation engine as a library: the `callscope-mediation` binary is a thin command line
//! over these modules, and the benchmarks in `benches/` drive them directly.
//!
//! - [`analyze`]: offline analysis of capture files (`callscope-mediation analyze`).
//! - [`storage`]: the engine's storage (messages, calls, streams, indexes, retention) behind
//!   the [`storage::Store`] trait, on RocksDB.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod storage;
