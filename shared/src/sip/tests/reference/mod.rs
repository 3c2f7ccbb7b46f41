//! A frozen copy of the SIP and SDP parsers as they were before the single-pass rewrite
//! (commit a1aa0b6), kept as the behavioural reference: `differential.rs` checks that the
//! current parsers give the same results on corpus fixtures and on random and mutated
//! messages. Test-only; never changed except to keep it compiling.
#![allow(dead_code, unused_imports, clippy::all)]
pub mod error;
pub mod header;
pub mod message;
pub mod name_addr;
pub mod sdp;

pub use message::{SipMessage, looks_like_sip};
