//! SIP/SDP conformance tests, organised by RFC section (hickory style).
mod corpus;
mod rfc3261;
mod rfc4475;
mod rfc5118;
mod sdp_rfc4317;
mod proptests;
