//! Typed HEP decode and encode errors. None allocates; each says what was wrong and where.
use std::fmt;

/// A piece a HEP message must carry to be usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Missing {
    /// No captured payload (chunk 0x000f or 0x0010, or an empty HEPv1/v2 payload).
    Payload,
    /// No source address of the packet's family (chunk 0x0003 or 0x0005).
    SrcAddress,
    /// No destination address of the packet's family (chunk 0x0004 or 0x0006).
    DstAddress,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Missing::Payload => "captured payload (chunk 0x000f or 0x0010)",
            Missing::SrcAddress => "source address (chunk 0x0003 IPv4 or 0x0005 IPv6)",
            Missing::DstAddress => "destination address (chunk 0x0004 IPv4 or 0x0006 IPv6)",
        })
    }
}

/// Why bytes are not a usable HEP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HepError {
    /// The first bytes are neither "HEP3"/"EEP3" nor a HEPv1/v2 version byte.
    #[error(
        "not a HEP packet: starts with {0:02x?}, expected \"HEP3\"/\"EEP3\" (or version byte 1/2 for HEPv1/v2 over UDP); check the sender's HEP version and port"
    )]
    BadMagic([u8; 4]),
    /// Fewer bytes than the header or the declared length needs.
    #[error("HEP packet truncated: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    /// HEPv3 total length field below the 6-byte header.
    #[error("HEP3 total length {0} is below the 6-byte packet header")]
    BadTotalLength(u16),
    /// A chunk's length field is below its own 6-byte header.
    #[error("HEP3 chunk at byte {offset} declares length {len}, below its 6-byte header")]
    ChunkTooShort { offset: usize, len: u16 },
    /// A chunk (or a partial chunk header) runs past the packet's total length.
    #[error(
        "HEP3 chunk at byte {offset} needs {needed} bytes but the packet ends at byte {packet_len}"
    )]
    ChunkOverrun {
        offset: usize,
        needed: usize,
        packet_len: usize,
    },
    /// A fixed-size chunk whose payload has the wrong size (heplify-server rejects these too).
    #[error(
        "HEP3 chunk {name} (vendor {vendor:#06x}, type {type_id:#06x}) has {got} payload bytes, the specification says {expected}"
    )]
    ChunkSize {
        name: &'static str,
        vendor: u16,
        type_id: u16,
        expected: usize,
        got: usize,
    },
    /// A mandatory piece is absent.
    #[error("HEP message without a {0}: the sender's HEP configuration is incomplete")]
    Missing(Missing),
    /// HEPv1/v2: the address family byte is neither AF_INET nor a known AF_INET6 value.
    #[error("HEPv1/v2 address family {0} is neither AF_INET (2) nor AF_INET6 (10)")]
    BadFamily(u8),
}

/// Why a HEPv3 packet could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The packet would exceed the 65535-byte limit of the 16-bit length fields.
    #[error(
        "HEP3 packet would be {0} bytes, above the 65535-byte limit; split the payload or drop it"
    )]
    TooLong(usize),
    /// Source and destination are not of the same IP family.
    #[error("HEP3 source and destination addresses are of different IP families")]
    FamilyMismatch,
    /// The timestamp's seconds do not fit the 32-bit field (after 2106-02-07).
    #[error("timestamp {0} ns is beyond the 32-bit seconds field of HEP3")]
    TimestampRange(u64),
}
