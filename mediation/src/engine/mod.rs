//! The engine core: what every ingest path (HEP listeners, SBC export, the embedded probe,
//! pcap import) feeds, the thread that makes it durable, and the thread that assembles calls.
//!
//! `listeners -> Batch (crossbeam) -> ingest thread: dedup by spool sequence -> durable write
//! -> acknowledgement -> (bounded queue) -> assembly thread: CallAssembler -> finished calls
//! -> durable write`.
pub mod embedded;
pub mod pipeline;
pub mod rocks_adapter;

pub use pipeline::{AckSender, Batch, EngineStats, Input, Pipeline, PipelineHandle};
