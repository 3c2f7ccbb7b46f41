//! Typed decode errors (etherparse style): every error names the layer and the byte offset of
//! that layer's start in the frame, and never allocates.
use std::fmt;

/// The protocol layer a header or error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// Ethernet II / 802.3 header (including LLC/SNAP).
    Ethernet,
    /// BSD NULL/LOOP address-family header.
    Null,
    /// Linux cooked capture v1.
    LinuxSll,
    /// Linux cooked capture v2.
    LinuxSll2,
    /// 802.1Q / 802.1ad tag.
    Vlan,
    /// MPLS label stack entry or pseudowire control word.
    Mpls,
    /// PPPoE session header.
    Pppoe,
    /// PPP protocol field.
    Ppp,
    /// GRE header.
    Gre,
    /// ERSPAN type II or III header.
    Erspan,
    /// VXLAN header.
    Vxlan,
    /// GTP-U header and extension headers.
    GtpU,
    /// IPv4 header.
    Ipv4,
    /// IPv6 fixed header.
    Ipv6,
    /// IPv6 extension header (hop-by-hop, routing, destination options, fragment, AH).
    Ipv6Ext,
    /// UDP header.
    Udp,
    /// TCP header.
    Tcp,
    /// SCTP common header.
    Sctp,
    /// ICMPv4 or ICMPv6 header.
    Icmp,
}

impl Layer {
    /// Short lowercase name, as used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Ethernet => "ethernet",
            Layer::Null => "null",
            Layer::LinuxSll => "linux-sll",
            Layer::LinuxSll2 => "linux-sll2",
            Layer::Vlan => "vlan",
            Layer::Mpls => "mpls",
            Layer::Pppoe => "pppoe",
            Layer::Ppp => "ppp",
            Layer::Gre => "gre",
            Layer::Erspan => "erspan",
            Layer::Vxlan => "vxlan",
            Layer::GtpU => "gtp-u",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
            Layer::Ipv6Ext => "ipv6-ext",
            Layer::Udp => "udp",
            Layer::Tcp => "tcp",
            Layer::Sctp => "sctp",
            Layer::Icmp => "icmp",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A header did not fit in the bytes available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{layer} header at byte {offset} needs {required} bytes, {len} available")]
pub struct LenError {
    pub layer: Layer,
    /// Bytes the header (or the length it declares) requires.
    pub required: usize,
    /// Bytes that were available.
    pub len: usize,
    /// Offset of the layer's first byte in the frame (or in the reassembled datagram).
    pub offset: usize,
}

impl LenError {
    /// Checks that `buf` holds at least `required` bytes.
    pub(crate) fn check(layer: Layer, buf: &[u8], required: usize) -> Result<(), LenError> {
        if buf.len() < required {
            Err(LenError {
                layer,
                required,
                len: buf.len(),
                offset: 0,
            })
        } else {
            Ok(())
        }
    }
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A header is cut short.
    #[error(transparent)]
    Len(#[from] LenError),
    /// A header field holds an impossible value.
    #[error("{layer} header at byte {offset}: {what}")]
    Invalid {
        layer: Layer,
        offset: usize,
        what: &'static str,
    },
    /// More nested encapsulations than `DecoderConfig::max_depth`.
    #[error("more than {limit} nested header layers (at the {layer} header at byte {offset})")]
    TooDeep {
        layer: Layer,
        offset: usize,
        limit: u8,
    },
}

impl DecodeError {
    pub(crate) fn invalid(layer: Layer, what: &'static str) -> Self {
        DecodeError::Invalid {
            layer,
            offset: 0,
            what,
        }
    }

    /// The layer that failed.
    pub fn layer(&self) -> Layer {
        match self {
            DecodeError::Len(e) => e.layer,
            DecodeError::Invalid { layer, .. } | DecodeError::TooDeep { layer, .. } => *layer,
        }
    }

    /// Offset of the failing layer's first byte.
    pub fn offset(&self) -> usize {
        match self {
            DecodeError::Len(e) => e.offset,
            DecodeError::Invalid { offset, .. } | DecodeError::TooDeep { offset, .. } => *offset,
        }
    }

    /// Shifts the offset by `base` (views report offsets relative to their own start).
    pub(crate) fn at(mut self, base: usize) -> Self {
        match &mut self {
            DecodeError::Len(e) => e.offset = e.offset.saturating_add(base),
            DecodeError::Invalid { offset, .. } | DecodeError::TooDeep { offset, .. } => {
                *offset = offset.saturating_add(base)
            }
        }
        self
    }
}

/// Panic-free big-endian reads: a read past the end yields 0. Views call these only after their
/// constructor checked the length, so the fallback never triggers in practice.
pub(crate) mod be {
    #[inline]
    pub(crate) fn u8_at(buf: &[u8], off: usize) -> u8 {
        buf.get(off).copied().unwrap_or(0)
    }
    #[inline]
    pub(crate) fn u16_at(buf: &[u8], off: usize) -> u16 {
        match buf.get(off..off.saturating_add(2)) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        }
    }
    #[inline]
    pub(crate) fn u32_at(buf: &[u8], off: usize) -> u32 {
        match buf.get(off..off.saturating_add(4)) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }
    #[inline]
    pub(crate) fn arr16(buf: &[u8], off: usize) -> [u8; 16] {
        let mut out = [0u8; 16];
        if let Some(s) = buf.get(off..off.saturating_add(16)) {
            out.copy_from_slice(s);
        }
        out
    }
    #[inline]
    pub(crate) fn arr4(buf: &[u8], off: usize) -> [u8; 4] {
        match buf.get(off..off.saturating_add(4)) {
            Some(&[a, b, c, d]) => [a, b, c, d],
            _ => [0; 4],
        }
    }
    /// `buf[from..]`, or empty.
    #[inline]
    pub(crate) fn tail(buf: &[u8], from: usize) -> &[u8] {
        buf.get(from..).unwrap_or(&[])
    }
    /// `buf[from..to]` clamped to the buffer (lax: a declared length longer than the capture
    /// gives what was captured).
    #[inline]
    pub(crate) fn range(buf: &[u8], from: usize, to: usize) -> &[u8] {
        let to = to.min(buf.len());
        buf.get(from..to).unwrap_or(&[])
    }
}
