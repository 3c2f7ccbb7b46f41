//! The mediation engine as a library: the `callscope-mediation` binary is a thin command line
//! over these modules, and the benchmarks in `benches/` drive them directly.
//!
//! - [`analyze`]: offline analysis of capture files (`callscope-mediation analyze`).
//! - [`auth`]: authentication (RADIUS client).
//! - [`config`]: the `serve` configuration (TOML, validated, documented defaults).
//! - [`engine`]: the ingest pipeline: dedup, durable writes, acknowledgements, call assembly.
//! - [`ingest`]: network ingest: HEP (TLS, TCP, UDP).
//! - [`storage_adapter`]: the small storage trait the pipeline needs.
//! - [`pki_cli`]: `cert`, `trust` and `probe-cert`: the engine's TLS identity, trust store and
//!   probe certificates.
//! - [`sbc`]: Oracle/Acme SBC comm-monitor IPFIX over a stream: collector session and a test
//!   exporter that replays a capture's SIP.
//! - [`storage`]: the engine's storage (messages, calls, streams, indexes, retention) behind
//!   the [`storage::Store`] trait, on RocksDB.
//! - [`serve`]: the engine daemon (`callscope-mediation serve`).
#![forbid(unsafe_code)]

pub mod analyze;
pub mod api;
pub mod auth;
pub mod config;
pub mod engine;
pub mod ingest;
pub mod pki_cli;
pub mod sbc;
pub mod serve;
pub mod storage;
pub mod storage_adapter;
