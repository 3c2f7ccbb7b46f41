//! The engine core: what every ingest path (HEP listeners, SBC export, the embedded probe,
//! pcap import) feeds, and the one thread that makes it durable and assembles calls.
//!
//! `listeners -> Batch (crossbeam) -> ingest thread: dedup by spool sequence -> durable write
//! -> acknowledgement -> CallAssembler -> finished calls -> durable write`.
pub mod embedded;
pub mod pipeline;
pub mod rocks_adapter;

pub use pipeline::{AckSender, Batch, EngineStats, Input, Pipeline, PipelineHandle};
