//! The RFC 7011 message header (§3.1) and set walk (§3.3), as checked zero-copy views.
use super::error::IpfixError;

/// IPFIX protocol version (RFC 7011 §3.1).
pub const VERSION: u16 = 10;
/// Message header length.
pub const HEADER_LEN: usize = 16;
/// Set header length.
pub const SET_HEADER_LEN: usize = 4;
/// Largest message the 16-bit length field allows (RFC 7011 §10).
pub const MAX_MESSAGE_LEN: usize = 65_535;

/// Set IDs with a meaning of their own (RFC 7011 §3.3.2) and the SBC's fixed layouts
/// (`IPFIX.md` §3.3).
pub mod set_id {
    /// SBC keepalive: an empty set 0 (not valid RFC 7011, but what the SBC sends).
    pub const KEEPALIVE: u16 = 0;
    /// Template Set (RFC 7011 §3.4.1).
    pub const TEMPLATE: u16 = 2;
    /// Options Template Set (RFC 7011 §3.4.2).
    pub const OPTIONS_TEMPLATE: u16 = 3;
    /// First data set ID (RFC 7011 §3.3.2).
    pub const MIN_DATA: u16 = 256;
    /// SBC handshake (SBC to collector).
    pub const HANDSHAKE: u16 = 256;
    /// Handshake reply (collector to SBC): the handshake echoed.
    pub const HANDSHAKE_ACK: u16 = 257;
    /// SIP over UDP received by the SBC (whole IP datagram).
    pub const SIP_UDP_IN: u16 = 258;
    /// SIP over UDP sent by the SBC (call-id + whole IP datagram).
    pub const SIP_UDP_OUT: u16 = 259;
    /// SIP over TCP received by the SBC (addresses + SIP text).
    pub const SIP_TCP_IN: u16 = 260;
    /// SIP over TCP sent by the SBC (addresses + call-id + SIP text).
    pub const SIP_TCP_OUT: u16 = 261;
    /// Raw IP packet received ("UdpIn", layout of 258; seen by one decoder only).
    pub const RAW_IP_IN: u16 = 266;
    /// Raw IP packet sent ("UdpOut", layout of 259; seen by one decoder only).
    pub const RAW_IP_OUT: u16 = 267;
    /// Per-call QoS report.
    pub const QOS: u16 = 268;
}

/// The 16-byte message header (RFC 7011 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageHeader {
    pub version: u16,
    /// Whole message length, header included.
    pub length: u16,
    /// Seconds since the Unix epoch at export.
    pub export_time: u32,
    /// Data records sent before this message in this session and domain, modulo 2^32.
    pub sequence: u32,
    pub observation_domain: u32,
}

impl MessageHeader {
    /// Reads the first 16 bytes; checks version 10 and length >= 16, not the length against
    /// `buf` (a stream framer calls this on a prefix).
    pub fn parse(buf: &[u8]) -> Result<Self, IpfixError> {
        let h: &[u8; HEADER_LEN] = buf
            .get(..HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(IpfixError::ShortHeader { len: buf.len() })?;
        let u32_at = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let hdr = Self {
            version: u16::from_be_bytes([h[0], h[1]]),
            length: u16::from_be_bytes([h[2], h[3]]),
            export_time: u32_at(4),
            sequence: u32_at(8),
            observation_domain: u32_at(12),
        };
        check_prefix(hdr.version, hdr.length)?;
        Ok(hdr)
    }

    /// Appends the 16 header bytes.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
        out.extend_from_slice(&self.export_time.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.observation_domain.to_be_bytes());
    }
}

/// Checks the first four header bytes (version, length): what a stream framer can reject
/// before buffering the rest.
pub fn check_prefix(version: u16, length: u16) -> Result<(), IpfixError> {
    if version != VERSION {
        return Err(IpfixError::Version(version));
    }
    if usize::from(length) < HEADER_LEN {
        return Err(IpfixError::LengthTooSmall(length));
    }
    Ok(())
}

/// A checked view of one whole IPFIX message. Once `new_checked` succeeds, the header is
/// valid and the buffer is exactly the message; sets are checked as they are walked.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    header: MessageHeader,
    buf: &'a [u8],
}

impl<'a> Message<'a> {
    /// Checks the header and that `buf` is exactly `length` bytes long.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, IpfixError> {
        let header = MessageHeader::parse(buf)?;
        if usize::from(header.length) != buf.len() {
            return Err(IpfixError::LengthMismatch {
                declared: usize::from(header.length),
                available: buf.len(),
            });
        }
        Ok(Self { header, buf })
    }

    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    /// The whole message, header included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The sets, in order. Each item is a set or the framing error that ends the walk.
    pub fn sets(&self) -> Sets<'a> {
        Sets {
            buf: self.buf,
            pos: HEADER_LEN,
            failed: false,
        }
    }
}

/// One set: its ID, its body (after the 4-byte set header, padding included) and where it
/// starts in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Set<'a> {
    pub id: u16,
    /// Byte offset of the set header in the message.
    pub offset: usize,
    pub body: &'a [u8],
}

/// Iterator over the sets of a message (RFC 7011 §3.3.1). Stops after the first error.
#[derive(Debug, Clone)]
pub struct Sets<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Iterator for Sets<'a> {
    type Item = Result<Set<'a>, IpfixError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        if rest.is_empty() {
            return None;
        }
        let offset = self.pos;
        let r = match rest {
            [a, b, c, d, ..] => {
                let id = u16::from_be_bytes([*a, *b]);
                let len = u16::from_be_bytes([*c, *d]);
                if usize::from(len) < SET_HEADER_LEN {
                    Err(IpfixError::SetTooShort {
                        set_id: id,
                        offset,
                        len,
                    })
                } else {
                    match rest.get(SET_HEADER_LEN..usize::from(len)) {
                        Some(body) => {
                            self.pos += usize::from(len);
                            Ok(Set { id, offset, body })
                        }
                        None => Err(IpfixError::SetOverrun {
                            set_id: id,
                            offset,
                            len,
                            remaining: rest.len(),
                        }),
                    }
                }
            }
            _ => Err(IpfixError::TrailingBytes(rest.len())),
        };
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}

/// Appends a message carrying one set, as the SBC sends them (`IPFIX.md` §5.2: one set per
/// message, set length = message length - 16, no padding). Fails when the message would exceed
/// 65535 bytes.
pub fn emit_single_set(
    out: &mut Vec<u8>,
    set_id: u16,
    body: &[u8],
    export_time: u32,
    sequence: u32,
    observation_domain: u32,
) -> Result<(), usize> {
    let total = HEADER_LEN + SET_HEADER_LEN + body.len();
    let length = u16::try_from(total).map_err(|_| total)?;
    MessageHeader {
        version: VERSION,
        length,
        export_time,
        sequence,
        observation_domain,
    }
    .emit(out);
    out.extend_from_slice(&set_id.to_be_bytes());
    out.extend_from_slice(&(length - HEADER_LEN as u16).to_be_bytes());
    out.extend_from_slice(body);
    Ok(())
}
