//! WebSocket framing (RFC 6455 §5) of SIP (RFC 7118): each complete text or binary message
//! is one SIP message (RFC 7118 §5).
//!
//! Handled: FIN/continuation fragmentation (§5.4), control frames (close, ping, pong)
//! interleaved between the fragments of a message, 7/16/64-bit payload lengths (§5.2),
//! masking (§5.3: client frames are masked; unmasking copies into a reused buffer).
//! Unmasked single-frame messages are emitted without copying. Frames with RSV bits set
//! (permessage-deflate, RFC 7692) are reported, not inflated.

use super::framer::{Start, leading_crlf, starts_like_sip};
use super::{Out, StreamError};

/// WebSocket opcode (RFC 6455 §5.2); reserved values are kept as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
    Unknown(u8),
}

impl From<u8> for Opcode {
    fn from(v: u8) -> Self {
        match v & 0x0f {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xa => Self::Pong,
            other => Self::Unknown(other),
        }
    }
}

impl Opcode {
    /// Control frames have the high opcode bit set (§5.5).
    pub fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
            || matches!(self, Self::Unknown(v) if v & 0x8 != 0)
    }
}

/// A parsed frame header (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    /// RSV1..RSV3 bits (0x70 of the first byte), non-zero only with an extension.
    pub rsv: u8,
    pub opcode: Opcode,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
    /// Bytes of the header (2 to 14).
    pub header_len: usize,
}

/// Why a frame header cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("frame header needs {needed} bytes")]
    Incomplete { needed: usize },
    /// §5.2: the most significant bit of a 64-bit length must be 0.
    #[error("64-bit payload length with the high bit set")]
    BadLength,
}

impl FrameHeader {
    /// Parses the header at the start of `b`.
    pub fn parse(b: &[u8]) -> Result<Self, FrameError> {
        let (Some(&b0), Some(&b1)) = (b.first(), b.get(1)) else {
            return Err(FrameError::Incomplete { needed: 2 });
        };
        let masked = b1 & 0x80 != 0;
        let (len_bytes, short) = match b1 & 0x7f {
            126 => (2, None),
            127 => (8, None),
            n => (0, Some(u64::from(n))),
        };
        let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
        let Some(head) = b.get(..header_len) else {
            return Err(FrameError::Incomplete { needed: header_len });
        };
        let ext = head.get(2..2 + len_bytes).unwrap_or_default();
        let payload_len =
            short.unwrap_or_else(|| ext.iter().fold(0u64, |n, &d| n << 8 | u64::from(d)));
        if payload_len >> 63 != 0 {
            return Err(FrameError::BadLength);
        }
        let mask = head
            .get(2 + len_bytes..header_len)
            .and_then(|m| <[u8; 4]>::try_from(m).ok());
        Ok(Self {
            fin: b0 & 0x80 != 0,
            rsv: b0 & 0x70,
            opcode: Opcode::from(b0),
            mask: if masked { mask } else { None },
            payload_len,
            header_len,
        })
    }
}

/// Copies `payload` into `dst` (appending), unmasking with `mask` (RFC 6455 §5.3) starting at
/// payload offset `offset`.
pub fn unmask_into(dst: &mut Vec<u8>, payload: &[u8], mask: Option<[u8; 4]>, offset: usize) {
    match mask {
        None => dst.extend_from_slice(payload),
        Some(key) => dst.extend(
            payload
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[(offset + i) % 4]),
        ),
    }
}

/// The frame decoder of one direction.
#[derive(Debug, Default)]
pub(crate) struct WsDecoder {
    /// Unmasked payload of a fragmented message in progress.
    frag: Vec<u8>,
    /// A fragmented message is in progress.
    in_message: bool,
    /// Reused buffer for unmasking a single-frame message.
    scratch: Vec<u8>,
    /// Bytes still to discard (the rest of an oversized frame).
    skip: u64,
    /// Framing is lost (a frame header that cannot be valid).
    broken: bool,
    /// A close frame was seen: what follows is not framed.
    closed: bool,
}

impl WsDecoder {
    pub(crate) fn is_broken(&self) -> bool {
        self.broken
    }

    pub(crate) fn memory(&self) -> usize {
        self.frag.capacity() + self.scratch.capacity()
    }

    /// Decodes the frame at the start of `rest`: `Some(bytes used)`, or `None` when the frame
    /// is not complete yet.
    pub(crate) fn decode(&mut self, rest: &[u8], out: &mut Out<'_>) -> Option<usize> {
        if self.skip > 0 {
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(rest.len());
            self.skip -= n as u64;
            return Some(n);
        }
        if self.closed {
            return Some(rest.len());
        }
        let h = match FrameHeader::parse(rest) {
            Ok(h) => h,
            Err(FrameError::Incomplete { .. }) => return None,
            Err(FrameError::BadLength) => {
                out.malformed(rest, StreamError::WebSocket);
                self.broken = true;
                return Some(rest.len());
            }
        };
        // Largest payload we buffer: a whole frame must fit in the per-direction bound.
        let max = out.cfg.max_message_bytes.saturating_sub(14) as u64;
        if h.payload_len > max || (h.opcode.is_control() && h.payload_len > 125) {
            let have = rest
                .len()
                .min(h.header_len.saturating_add(h.payload_len as usize));
            out.malformed(rest.get(..have).unwrap_or_default(), StreamError::TooLarge);
            self.skip = (h.header_len as u64 + h.payload_len).saturating_sub(have as u64);
            self.drop_message(out);
            return Some(have);
        }
        let total = h.header_len + h.payload_len as usize;
        let payload = rest.get(h.header_len..total)?;
        let raw = rest.get(..total).unwrap_or_default();
        match h.opcode {
            Opcode::Close | Opcode::Ping | Opcode::Pong => {
                out.stats.ws_control_frames += 1;
                if !h.fin {
                    out.malformed(raw, StreamError::WebSocket);
                }
                if h.opcode == Opcode::Close {
                    self.closed = true;
                }
            }
            Opcode::Unknown(_) => {
                out.malformed(raw, StreamError::WebSocket);
                self.drop_message(out);
            }
            _ if h.rsv != 0 => {
                out.malformed(raw, StreamError::WebSocketCompressed);
                self.drop_message(out);
            }
            Opcode::Text | Opcode::Binary => {
                if self.in_message {
                    // A new message before the last one finished (§5.4 violation).
                    self.drop_message(out);
                }
                if h.fin {
                    if h.mask.is_none() {
                        emit(payload, out);
                    } else {
                        let mut scratch = std::mem::take(&mut self.scratch);
                        scratch.clear();
                        unmask_into(&mut scratch, payload, h.mask, 0);
                        emit(&scratch, out);
                        self.scratch = scratch;
                    }
                } else {
                    self.frag.clear();
                    unmask_into(&mut self.frag, payload, h.mask, 0);
                    self.in_message = true;
                }
            }
            Opcode::Continuation => {
                if !self.in_message {
                    out.malformed(raw, StreamError::WebSocket);
                } else if self.frag.len() + payload.len() > out.cfg.max_message_bytes {
                    out.malformed(&self.frag, StreamError::TooLarge);
                    self.frag.clear();
                    self.in_message = false;
                } else {
                    unmask_into(&mut self.frag, payload, h.mask, 0);
                    if h.fin {
                        emit(&self.frag, out);
                        self.frag.clear();
                        self.in_message = false;
                    }
                }
            }
        }
        Some(total)
    }

    /// Reports and forgets a fragmented message in progress.
    fn drop_message(&mut self, out: &mut Out<'_>) {
        if self.in_message {
            out.malformed(&self.frag, StreamError::Incomplete);
            self.frag.clear();
            self.in_message = false;
        }
    }

    /// The direction ends (or loses framing): reports a message in progress and `pending`.
    pub(crate) fn on_end(&mut self, pending: &[u8], error: StreamError, out: &mut Out<'_>) {
        if self.in_message {
            out.malformed(&self.frag, error);
            self.frag.clear();
            self.in_message = false;
        }
        if !pending.is_empty() && self.skip == 0 && !self.closed {
            out.malformed(pending, error);
        }
    }
}

/// One complete WebSocket message: a SIP message, or a CRLF keepalive.
fn emit(msg: &[u8], out: &mut Out<'_>) {
    if leading_crlf(msg) == msg.len() {
        out.stats.keepalives += 1;
    } else if starts_like_sip(msg) == Start::Sip {
        out.stats.ws_messages += 1;
        out.message(msg, false);
    } else {
        out.malformed(msg, StreamError::NotSip);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 6455 §5.7 examples.
    #[test]
    fn rfc6455_examples() {
        // A single-frame unmasked text message "Hello".
        let h = FrameHeader::parse(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]).unwrap();
        assert_eq!(
            (h.fin, h.opcode, h.mask, h.payload_len, h.header_len),
            (true, Opcode::Text, None, 5, 2)
        );
        // A single-frame masked text message "Hello".
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let h = FrameHeader::parse(&masked).unwrap();
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        let mut v = Vec::new();
        unmask_into(&mut v, &masked[6..], h.mask, 0);
        assert_eq!(v, b"Hello");
        // A fragmented unmasked text message: "Hel" then "lo".
        let h = FrameHeader::parse(&[0x01, 0x03, 0x48, 0x65, 0x6c]).unwrap();
        assert_eq!((h.fin, h.opcode), (false, Opcode::Text));
        let h = FrameHeader::parse(&[0x80, 0x02, 0x6c, 0x6f]).unwrap();
        assert_eq!((h.fin, h.opcode), (true, Opcode::Continuation));
        // Unmasked ping with body "Hello".
        let h = FrameHeader::parse(&[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]).unwrap();
        assert_eq!(h.opcode, Opcode::Ping);
        assert!(h.opcode.is_control());
        // 256 bytes binary message in a single unmasked frame: 16-bit length.
        let h = FrameHeader::parse(&[0x82, 0x7e, 0x01, 0x00]).unwrap();
        assert_eq!(
            (h.opcode, h.payload_len, h.header_len),
            (Opcode::Binary, 256, 4)
        );
        // 64 KiB binary message: 64-bit length.
        let h = FrameHeader::parse(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]).unwrap();
        assert_eq!((h.payload_len, h.header_len), (65536, 10));
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            FrameHeader::parse(&[0x81]),
            Err(FrameError::Incomplete { needed: 2 })
        );
        assert_eq!(
            FrameHeader::parse(&[0x81, 0xfe, 0x01]),
            Err(FrameError::Incomplete { needed: 8 })
        );
        assert_eq!(
            FrameHeader::parse(&[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(FrameError::BadLength)
        );
        assert_eq!(Opcode::from(0x83), Opcode::Unknown(3));
    }
}
