//! SIP/SDP conformance tests, organised by RFC section (hickory style).
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod corpus;
mod differential;
mod proptests;
mod reference;
mod rfc3261;
mod rfc4475;
mod rfc5118;
mod sdp_rfc4317;
