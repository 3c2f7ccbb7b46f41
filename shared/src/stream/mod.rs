//! Transport framing of SIP: TCP stream reassembly per connection, WebSocket (RFC 7118) and
//! SCTP DATA chunks. OWNER: stream helper.
//!
//! Contract (keep these names; add freely):
//! - `SipStreams::new(StreamConfig)`; `on_tcp(&mut self, &Segment, &mut dyn FnMut(StreamEvent<'_>))`,
//!   `on_sctp(...)`, `flush(&mut self, sink)` at end of input, `expire(&mut self, now: Nanos, sink)`.
//! - `StreamEvent::Message(StreamMessage { ts, flow, transport, bytes })` for each whole SIP
//!   message in stream order (ts = capture time of the segment that completed it);
//!   `StreamEvent::Malformed { .. }` for bytes that cannot be framed (kept, counted).
//! - Memory per connection and the number of connections are bounded.
