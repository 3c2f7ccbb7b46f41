//! Zero-copy SIP (RFC 3261) and SDP (RFC 4566/8866) parsers.
//!
//! Contract (names kept from the skeleton; others call these):
//! - [`SipMessage::parse`]`(&[u8]) -> Result<SipMessage<'_>, SipError>`; accessors return byte
//!   slices of the input: `kind()`, `method()`, `status()`, `request_uri()`, `call_id()`,
//!   `from()`, `to()` ([`NameAddr`] `{ display, uri, tag, params }`), `cseq()`
//!   ([`CSeq`] `{ seq, method }`), `via_branch()`, `vias()`, `contact()`, `header(name)` (first
//!   value, compact forms understood), `headers(name)` (all values, comma-separated values
//!   split), `content_type()`, `content_length()`, `body()`, `reason()`, `quirks()`.
//! - [`looks_like_sip`]`(&[u8]) -> bool`: cheap content test (a request or status line).
//! - [`frame::message_len`]`(&[u8]) -> FrameLen`: Content-Length framing in a byte stream.
//! - [`sdp::Sdp::parse`]`(&[u8])`, [`sdp::find_sdp`] for `multipart/mixed` bodies.
//!
//! What the parser guarantees: it never panics and never allocates; every slice it returns
//! lies inside the input; the header section must end within [`message::MAX_HEADER_SECTION`]
//! bytes of the start of the input (ranges are stored as u16 to keep the message view small).
//!
//! Tolerance follows tshark 4.0, the reference of the project: header lines without a colon,
//! LF-only line endings, folded values, leading CRLFs, missing or wrong Content-Length and
//! duplicated headers are accepted and reported as [`Quirks`] so the engine can count them.
//! A first line that is not a start line is an error (tshark does not dissect such a datagram;
//! the zeek `sip-junk-before-request` capture has its junk in a separate datagram).
//! [`SipMessage::parse_skipping_junk`] resynchronises on the next start line for streams.
//!
//! Cost (`benches/benches/sip_parse.rs`, 936-byte INVITE with SDP, extracting Call-ID, tags,
//! branch, CSeq, SDP c=/m=): no allocation; about 8.8 K instructions per message (callgrind;
//! 12.6 K before the first header-pass rework, 9.4 K before the fast-path/cold-path split), of
//! which the header pass is ~3.6 K, the SDP ~2.9 K and the From/To/Via/CSeq accessors ~1.8 K.
//! About 0.7 M msg/s on the 2 GHz bench machine: short of the 2 M msg/s target. What remains
//! is per-line work (a memchr call and bounds-checked bookkeeping per header and SDP line, about
//! 100 instructions for a header line the engine does not read); going further needs a bulk SIMD
//! line classifier, which safe Rust on stable (rust-version 1.85) cannot express without
//! `unsafe` or a new dependency. `tests/reference/` keeps the previous implementation, and
//! `tests/differential.rs` checks that every rewrite gives the same results.
//!
//! Folded values: accessors return the raw range, which spans the CRLF and the leading
//! whitespace of the continuation lines; the structured parsers (NameAddr, Via, CSeq, params)
//! treat those as whitespace, and [`header::unfold`] yields the fragments without them.

pub mod error;
pub mod frame;
pub mod header;
pub mod message;
pub mod name_addr;
pub mod sdp;

pub use error::{Quirks, SipError};
pub use header::{CommaSplit, Params, expand_compact, unfold, unquote};
pub use message::{HeaderLines, Headers, SipMessage, StartLine, looks_like_sip};
pub use name_addr::{CSeq, Method, NameAddr, Reason, Via, uri_hostport, uri_params, uri_user};

#[cfg(test)]
mod tests;
