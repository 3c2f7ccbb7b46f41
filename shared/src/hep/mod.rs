//! HEP (Homer Encapsulation Protocol) codec: HEPv3/EEPv3 decode and encode, HEPv1/v2 decode,
//! stream framing, and callscope's extension chunks.
//!
//! # Contract
//!
//! Every decoder here takes untrusted bytes and never panics: views are checked once at
//! construction ([`Hep3Packet::new_checked`]: ID "HEP3" or "EEP3", total length 6..=65535 and
//! within the buffer, every chunk length >= 6 and inside the packet), after which no accessor
//! panics. Decoded messages borrow the input ([`HepMessage`]: zero-copy). Errors are typed
//! ([`HepError`]) and do not allocate. Nothing here does I/O or reads a clock.
//!
//! # Entry points
//!
//! - UDP datagram (any version): [`HepMessage::parse_datagram`].
//! - TCP/TLS stream: [`next_packet`] says whether a whole packet is at the start of the
//!   buffer; [`Hep3Packet::new_checked`] + [`HepMessage::decode_v3`] decode it; after garbage,
//!   [`resync`] finds the next "HEP3"/"EEP3" ID and says how many bytes it skipped (the engine
//!   counts them; nothing is dropped silently).
//! - Writing: [`HepEncoder`] appends one packet to a `Vec<u8>`; [`encode_ack`]/[`parse_ack`].
//! - Authentication: [`auth_key_matches`] (constant time).
//!
//! # Decoding rules (where implementations differ)
//!
//! - The vendor ID is part of a chunk's identity. A chunk of another vendor is counted
//!   (`vendor_chunks`) and never read as the generic chunk with the same type number
//!   (heplify-server ignores the vendor ID and would misread it).
//! - Fixed-size chunks the message exposes (family, protocol, addresses, ports, timestamp,
//!   protocol type, capture id, keep-alive, VLAN, MOS, callscope's u64s) must have their
//!   specified size, else [`HepError::ChunkSize`] names the chunk (heplify-server also rejects
//!   such packets). Other defined chunks are skipped unread; undefined types are counted in
//!   `unknown_chunks`.
//! - Mandatory: source and destination address of the packet's family, and a payload
//!   (0x000f, or 0x0010 which is reported with `payload_compressed` and not inflated).
//!   Missing ports read as 0, a missing protocol type as `Unknown(0)`, a missing timestamp as
//!   `ts: None`.
//! - Chunk 0x0013 is a string whether the sender means the spec's capture agent name or
//!   VoIPmonitor's `group_id`.
//! - The capture id is reported as sent: sngrep and sipgrep put their 16-bit id in the high
//!   half of the 32-bit field (id 2002 arrives as 0x07d20000).
//! - HEPv1/v2: see [`v2`] (C struct padding and host byte order of the time header).
//!
//! # callscope extension chunks (vendor ID 0x4353, "CS")
//!
//! callscope uses vendor ID **0x4353** (ASCII "CS"). It is not registered with sipcapture;
//! the registered IDs stop at 0x0008, so a collision is unlikely, and decoders that honour the
//! vendor ID (this one) skip these chunks. **heplify-server ignores the
//! vendor ID**: it would read type 0x0001 as the IP family chunk with 8 bytes instead of 1 and
//! reject the whole packet (it validates fixed sizes). So a sender feeding HOMER must leave
//! these chunks out: [`HepEncoder`] writes them only when `seq`/`spool_id` are set.
//! All three payloads are uint64, big-endian:
//!
//! | type | direction | meaning |
//! |---|---|---|
//! | 0x0001 | probe -> engine | sequence number of this packet in the sender's spool |
//! | 0x0002 | engine -> probe | acknowledgement: every packet with seq <= this value is durably stored |
//! | 0x0003 | both | spool id: a random u64 chosen when the probe's spool is created; the engine keeps one cursor per spool id |
//!
//! An acknowledgement is a HEPv3 packet holding only the generic protocol type chunk
//! (0x000b = 0) and chunks 0x0003 and 0x0002 ([`encode_ack`], [`ACK_LEN`] bytes).
//!
//! # What callscope's probe sends
//!
//! - SIP: protocol type 0x01, original addresses and capture time.
//! - Per-stream quality reports: protocol type 0x22 ([`QUALITY_REPORT_PROTO`], "MOS full
//!   report") with a JSON payload and the Call-ID as correlation id (0x0011).
//! - RTCP: protocol type 0x05 ([`RTCP_PROTO`]) with the raw RTCP compound packet as payload.
//!   HOMER expects JSON under 0x05 (heplify sends its RTCP as JSON); callscope's engine accepts
//!   both, told apart by [`RtcpPayloadKind::of`] (raw: first byte has version 2).

mod auth;
mod encode;
mod error;
mod stream;
pub mod v2;
mod v3;

pub use auth::auth_key_matches;
pub use encode::{ACK_LEN, HepEncoder, encode_ack, parse_ack};
pub use error::{EncodeError, HepError, Missing};
pub use stream::{Resync, next_packet, resync};
pub use v2::decode_v12;
pub use v3::{
    CHUNK_HEADER_LEN, Chunk, ChunkIter, HEADER_LEN, Hep3Packet, HepMessage, HepVersion, IpFamily,
    MAGIC_EEP3, MAGIC_HEP3, MAX_PACKET_LEN, ProtocolType, QUALITY_REPORT_PROTO, RTCP_PROTO,
    RtcpPayloadKind, chunk, cs_chunk, vendor,
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
mod tests;
