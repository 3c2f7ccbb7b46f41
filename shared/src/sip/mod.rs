//! Zero-copy SIP (RFC 3261) and SDP (RFC 4566/8866) parsers.
//!
//! OWNER: sip helper. Contract (keep these names; add freely):
//! - `SipMessage::parse(&[u8]) -> Result<SipMessage<'_>, SipError>`; accessors return byte
//!   slices of the input: `method()`, `status()`, `request_uri()`, `call_id()`, `from()`, `to()`
//!   (`NameAddr { display, uri, tag }`), `cseq()` (`CSeq { seq, method }`), `via_branch()`,
//!   `header(name)` (first value, compact forms understood), `headers(name)` (all values,
//!   comma-separated values split), `content_type()`, `body()`.
//! - `looks_like_sip(&[u8]) -> bool`: cheap content test (a request or status line).
//! - `frame::message_len(&[u8]) -> FrameLen`: Content-Length framing in a byte stream.
//! - `sdp::Sdp::parse(&[u8])`.

pub mod frame;
pub mod sdp;
