//! Checked zero-copy views of capture files and packet headers (smoltcp `wire` style), and the
//! decapsulation stack that turns a captured frame into transport segments.
//!
//! Contract of every view here: construction checks lengths once; after that no accessor
//! panics. Unknown field values are kept (`Unknown(raw)`), never an error. Errors are typed
//! per layer and carry the byte offset of the failing layer ([`error`]).
//!
//! Entry points: [`capture::CaptureReader`] (pcap/pcapng over a byte slice) and
//! [`decap::Decoder`] (frame -> [`decap::DecodeEvent`]s).

pub mod capture;
pub mod decap;
pub mod error;
pub mod ethernet;
pub mod frag;
pub mod gre;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod link;
pub mod mpls;
pub mod pppoe;
pub mod sctp;
pub mod tcp;
pub mod udp;
pub mod vxlan;

pub use capture::{CaptureError, CaptureFormat, CaptureReader, Frame, LinkType};
pub use decap::{DecodeEvent, DecodeStats, Decoder, DecoderConfig, IgnoreReason, Segment, TcpInfo};
pub use error::{DecodeError, Layer, LenError};

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod corpus_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod decap_tests;
