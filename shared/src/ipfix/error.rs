//! Typed errors of the IPFIX codec and of a collector session.
use crate::wire::DecodeError;

/// Why bytes are not a well-formed IPFIX message, set or record (RFC 7011 framing, the SBC's
/// fixed record layouts, or a template). Every variant is a fault of the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IpfixError {
    /// Fewer than the 16 header bytes (RFC 7011 §3.1).
    #[error("IPFIX message of {len} bytes is shorter than the 16-byte message header")]
    ShortHeader { len: usize },
    /// The version field is not 10 (RFC 7011 §3.1). NetFlow v9 (9) or a TLS record (0x16..)
    /// on a cleartext port land here.
    #[error(
        "IPFIX version field is {0}, expected 10 (is the exporter sending NetFlow, or TLS to a cleartext port?)"
    )]
    Version(u16),
    /// The header length field is below 16 (RFC 7011 §3.1).
    #[error("IPFIX message length field {0} is below the 16-byte header")]
    LengthTooSmall(u16),
    /// The header length field disagrees with the bytes given.
    #[error("IPFIX message length field says {declared} bytes, {available} given")]
    LengthMismatch { declared: usize, available: usize },
    /// A set header declares a length below 4 (RFC 7011 §3.3.2).
    #[error("set {set_id} at message byte {offset}: length {len} is below the 4-byte set header")]
    SetTooShort {
        set_id: u16,
        offset: usize,
        len: u16,
    },
    /// A set runs past the end of its message (RFC 7011 §3.3.2, §11.7).
    #[error(
        "set {set_id} at message byte {offset}: length {len} runs past the message end ({remaining} bytes left)"
    )]
    SetOverrun {
        set_id: u16,
        offset: usize,
        len: u16,
        remaining: usize,
    },
    /// 1 to 3 stray bytes after the last set: too short for a set header.
    #[error("{0} stray bytes after the last set of the message")]
    TrailingBytes(usize),
    /// A fixed-size field of a record does not fit in its set.
    #[error("{what}: needs {needed} bytes, {available} left in the set")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    /// A variable-length field (RFC 7011 §7) declares more bytes than its set holds.
    #[error("{what}: variable-length field declares {declared} bytes, {available} left in the set")]
    VarlenOverrun {
        what: &'static str,
        declared: usize,
        available: usize,
    },
    /// A template record names an ID below 256 (RFC 7011 §3.4.1).
    #[error(
        "template record in set {set_id} has template ID {template_id}; data templates start at 256"
    )]
    InvalidTemplateId { set_id: u16, template_id: u16 },
    /// An options template's scope field count is 0 or above its field count (RFC 7011 §3.4.2.2).
    #[error(
        "options template {template_id}: scope field count {scope} must be between 1 and the field count {fields}"
    )]
    InvalidScopeCount {
        template_id: u16,
        scope: u16,
        fields: u16,
    },
    /// The session holds more templates than `CollectorConfig::max_templates`.
    #[error(
        "more than {limit} templates in one session; raise the collector's max_templates if the exporter really needs them"
    )]
    TooManyTemplates { limit: usize },
    /// The session saw more observation domains than `CollectorConfig::max_domains`.
    #[error("more than {limit} observation domains in one session")]
    TooManyDomains { limit: usize },
}

/// Why the IP datagram embedded in a 258/259 record could not be decoded. The IPFIX framing
/// around it is intact, so the session goes on; the record is counted as bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatagramError {
    /// An IPv4, IPv6 or UDP header is malformed or cut short.
    #[error(transparent)]
    Header(#[from] DecodeError),
    /// The first byte's version nibble is neither 4 nor 6.
    #[error("embedded packet has IP version {0}, expected 4 or 6")]
    Version(u8),
    /// The datagram carries another protocol than UDP.
    #[error("embedded packet carries IP protocol {0}, expected UDP (17)")]
    NotUdp(u8),
    /// The datagram is an IP fragment (the SBC exports whole datagrams).
    #[error("embedded packet is an IP fragment")]
    Fragment,
    /// The IP or UDP length fields claim more bytes than the record holds.
    #[error("embedded packet is shorter than its IP/UDP length fields say")]
    Truncated,
}

/// Why a collector session ended. The caller closes that one connection and logs this; other
/// sessions are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A message failed to decode (RFC 7011 §9.1: discard and close rather than resync).
    #[error("IPFIX message at stream byte {offset}: {error}")]
    Message { offset: u64, error: IpfixError },
    /// A message is longer than `CollectorConfig::max_message_len`.
    #[error("IPFIX message at stream byte {offset} declares {len} bytes, above the limit of {max}")]
    MessageTooLarge { offset: u64, len: usize, max: usize },
    /// More reply bytes are queued than `CollectorConfig::max_pending_transmit`: the caller does
    /// not drain `poll_transmit`, or the peer floods handshakes.
    #[error(
        "{pending} reply bytes queued, above the limit of {max}; is the peer flooding handshakes?"
    )]
    TransmitBacklog { pending: usize, max: usize },
    /// `on_bytes` was called after the session failed.
    #[error("the session already failed; close the connection")]
    Closed,
}

/// Why the exporter could not encode a record. These are caller errors (values that do not fit
/// the SBC layouts), not peer faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field or the whole message exceeds its 16-bit length (65535 bytes).
    #[error("{what} is {len} bytes; the IPFIX encoding allows at most 65535")]
    TooLong { what: &'static str, len: usize },
    /// The layout has 4-byte address fields (260/261, 268) and got an IPv6 address.
    #[error("{what} must be an IPv4 address: the SBC layout has no IPv6 form")]
    NotIpv4 { what: &'static str },
    /// Source and destination of a synthesised datagram are of different IP families.
    #[error("source and destination of the embedded datagram mix IPv4 and IPv6")]
    MixedFamilies,
}
