//! SIP/SDP conformance tests, organised by RFC section (hickory style).
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod corpus;
mod proptests;
mod rfc3261;
mod rfc4475;
mod rfc5118;
mod sdp_rfc4317;
