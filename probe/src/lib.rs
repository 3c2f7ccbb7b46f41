//! `callscope-probe` as a library: the parts of the probe binary, so tests and benches can
//! drive them.
//!
//! `capture` (live, libpcap) or `replay` (a file) -> [`batch`] -> [`pipeline`] (decoding,
//! SIP framing, stream statistics, encoding) -> [`spool`] (bounded disk journal) -> [`sender`]
//! (engine connection, acks, reconnects); [`hep_out`] is the HEPv3 encoding and framing. [`status`] holds the counters and the local status
//! socket; [`privdrop`] drops root after the capture is open; [`config`] is the TOML file.
#![forbid(unsafe_code)]

pub mod batch;
pub mod capture;
pub mod config;
pub mod hep_out;
pub mod pipeline;
pub mod privdrop;
pub mod replay;
pub mod sender;
pub mod spool;
pub mod status;
