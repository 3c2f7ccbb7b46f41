//! IPFIX (RFC 7011) as the Oracle/Acme SBC "comm-monitor" export uses it, plus standard
//! template-based IPFIX so other exporters work too. Pure code: no I/O, no clock.
//!
//! - [`message`]: the 16-byte message header and the set walk (checked zero-copy views).
//! - [`sbc`]: the SBC's fixed record layouts (`IPFIX.md` §3.4): handshake 256/257, SIP over
//!   UDP 258/259 (whole IP datagram, decoded with [`crate::wire`]'s views), SIP over TCP
//!   260/261, QoS 268; each with `parse` and `emit`.
//! - [`template`]: template and options template records, withdrawals, variable-length
//!   fields, enterprise numbers; a per-session template cache keyed by observation domain.
//! - [`session`]: [`CollectorSession`], the per-connection state machine: stream framing,
//!   the 257 reply, keepalives, sequence tracking, events and counters.
//! - [`exporter`]: [`Exporter`], an encoder that speaks like an SBC (byte-compatible with the
//!   reference vectors in `../shared/ipfix/vectors`).
//!
//! A framing or record error (bad version, length lies, set length < 4, truncated record,
//! varlen overrun) fails the session: the caller closes that connection and logs the error
//! (RFC 7011 §9.1: discard rather than resynchronise). An embedded datagram that does not
//! decode, an unknown set ID or a data set without template are events and counters only.
pub mod error;
pub mod exporter;
pub mod message;
mod reader;
pub mod sbc;
pub mod session;
pub mod template;

#[cfg(test)]
mod tests;

pub use error::{DatagramError, EncodeError, IpfixError, SessionError};
pub use exporter::{Exporter, KEEPALIVE};
pub use message::{Message, MessageHeader, Set, Sets, set_id};
pub use reader::VARLEN_LONG;
pub use sbc::{
    DatagramParams, Direction, Handshake, Interface, MediaFlow, QosLeg, QosRecord, SbcTime,
    SipTcpRecord, SipUdpRecord, UdpDatagram,
};
pub use session::{
    CollectorConfig, CollectorEvent, CollectorSession, PeerInfo, SessionCounters, SipCopy,
};
pub use template::{DataField, Defined, FieldSpec, Template, TemplateCache, TemplateItem};
