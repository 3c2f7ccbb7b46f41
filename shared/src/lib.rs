//! callscope's shared library: everything two or more binaries need.
//!
//! Layers, from bytes up (see `docs/ARCHITECTURE.md`):
//! - [`wire`]: checked zero-copy views of capture files and packet headers, and the
//!   decapsulation stack that turns a captured frame into transport segments.
//! - [`stream`]: transport framing of SIP (TCP reassembly, WebSocket, SCTP DATA chunks).
//! - [`sip`]: zero-copy SIP and SDP parsers.
//! - [`rtp`]: RTP/RTCP views, per-stream statistics (RFC 3550 and tshark's), E-model.
//! - [`calls`]: transactions, dialogs, legs and calls.
//! - [`hep`]: HEP (HEPv3/EEPv3, HEPv1/v2) codec, stream framing, callscope's extension chunks.
//! - [`privacy`]: masking of numbers and names in SIP, RTCP and records (privacy mode).
//! - [`export`]: a stored call as a pcapng file (synthesised headers around stored payloads).
//! - [`analysis`]: the pure pipeline that ties the above together, driven by capture time.
//! - `pki` (feature `tls`): TLS identities, trust store and rustls configurations for the
//!   daemons; it reads and writes key and certificate files.
//! - [`radius`]: RADIUS client codec (RFC 2865 PAP, RFC 3579 Message-Authenticator).
//! - [`ipfix`]: the SBC comm-monitor IPFIX export and template-based IPFIX (collector
//!   session, exporter).
//!
//! Protocol logic here does no I/O and reads no clock: every function is driven by the
//! timestamps it is given. The one exception to `unsafe_code = deny` is [`mmap`], which maps
//! a capture file into memory.
#![deny(unsafe_code)]

pub mod analysis;
pub mod calls;
pub mod export;
pub mod hep;
pub mod ipfix;
pub mod mmap;
pub mod net;
#[cfg(feature = "tls")]
pub mod pki;
pub mod privacy;
pub mod radius;
pub mod rtp;
pub mod sip;
pub mod stream;
pub mod wire;
