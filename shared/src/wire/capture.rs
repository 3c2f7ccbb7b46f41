//! pcap and pcapng readers over a byte slice (usually a memory-mapped file).
//!
//! OWNER: wire helper. Contract (keep these names; add freely):
//! - `CaptureReader::new(&[u8]) -> Result<CaptureReader, CaptureError>` detects pcap (both
//!   byte orders, micro/nanosecond magic) and pcapng (several sections/interfaces, link type
//!   and timestamp resolution per interface).
//! - `Iterator<Item = Result<Frame<'a>, CaptureError>>`: a truncated last record yields one
//!   `Err` and then `None`; the frames before it are kept.
//! - `CaptureReader::offset()` is the byte offset read so far (progress reporting).
use crate::net::Nanos;

/// LINKTYPE_* value of the interface a frame was captured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured frame, borrowed from the capture buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts: Nanos,
    pub link_type: LinkType,
    /// The captured bytes (possibly shorter than `orig_len` when the snap length cut them).
    pub data: &'a [u8],
    pub orig_len: u32,
    /// pcapng interface index (0 for pcap).
    pub interface: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error("not a pcap or pcapng file (first bytes {0:02x?}); give a capture written by tcpdump, tshark or dumpcap")]
    UnknownFormat([u8; 4]),
    #[error("the capture file is empty or shorter than its header ({0} bytes)")]
    TooShort(usize),
    #[error("capture truncated at byte {offset}: record needs {needed} bytes, {available} left")]
    Truncated { offset: usize, needed: usize, available: usize },
    #[error("malformed capture block at byte {offset}: {what}")]
    Malformed { offset: usize, what: &'static str },
}
