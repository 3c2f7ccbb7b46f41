//! The per-message summary the call model consumes: owned, small, parser-independent.
use crate::net::{Endpoint, Flow, Nanos, Transport};

/// Request method or response status of a SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKind {
    Request { method: String },
    Response { status: u16 },
}

/// One `m=` section of an SDP body, reduced to what media tracking needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MediaInfo {
    /// `audio`, `video`, `image`, ...
    pub kind: String,
    /// Transport protocol of the m= line (`RTP/AVP`, `RTP/SAVPF`, `udptl`, ...).
    pub proto: String,
    /// Where this side wants to receive media (c= address and m= port). None when the
    /// address is missing or unparseable.
    pub rtp: Option<Endpoint>,
    /// RTCP address: `a=rtcp`, else RTP port + 1; equal to `rtp` with `a=rtcp-mux`.
    pub rtcp: Option<Endpoint>,
    pub rtcp_mux: bool,
    /// `sendrecv`, `sendonly`, `recvonly` or `inactive` (c=0.0.0.0 legacy hold reads as `inactive`).
    pub direction: &'static str,
    /// Payload types offered, with encoding name and clock rate when known.
    pub payloads: Vec<(u8, String, u32)>,
}

/// A SIP message summarised for the call model.
#[derive(Debug, Clone)]
pub struct SipInfo {
    /// Index of the message in capture order (the `messages` array position).
    pub index: usize,
    pub ts: Nanos,
    pub flow: Flow,
    pub transport: Transport,
    pub kind: MessageKind,
    pub call_id: String,
    pub from_uri: String,
    pub from_user: String,
    pub from_tag: Option<String>,
    pub to_uri: String,
    pub to_user: String,
    pub to_tag: Option<String>,
    pub cseq: Option<(u32, String)>,
    pub branch: Option<String>,
    /// Correlation header values as (lower-case header name, raw value).
    pub correlation: Vec<(String, String)>,
    /// Raw `Reason` header (RFC 3326), e.g. `Q.850;cause=16;text="Normal call clearing"`.
    pub reason: Option<String>,
    /// Media sections of the SDP body, if any.
    pub media: Vec<MediaInfo>,
}

impl SipInfo {
    pub fn method(&self) -> Option<&str> {
        match &self.kind {
            MessageKind::Request { method } => Some(method),
            MessageKind::Response { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self.kind {
            MessageKind::Response { status } => Some(status),
            MessageKind::Request { .. } => None,
        }
    }

    /// Method of the transaction (the request's method, or the response's CSeq method).
    pub fn transaction_method(&self) -> Option<&str> {
        match &self.kind {
            MessageKind::Request { method } => Some(method),
            MessageKind::Response { .. } => self.cseq.as_ref().map(|(_, m)| m.as_str()),
        }
    }
}
