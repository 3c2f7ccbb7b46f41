//! Zero-copy RTP header view (RFC 3550 §5.1).
//!
//! `RtpPacket::new_checked` validates every length the header announces (CSRC list, header
//! extension, padding) once; afterwards no accessor can panic or read out of bounds.

/// Why a datagram is not a well-formed RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    #[error("RTP packet shorter than the 12-byte fixed header ({0} bytes)")]
    TooShort(usize),
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    #[error("RTP header announces {csrc} CSRC entries but the packet has {len} bytes")]
    CsrcTruncated { csrc: u8, len: usize },
    #[error("RTP header extension needs {needed} bytes, packet has {len}")]
    ExtensionTruncated { needed: usize, len: usize },
    #[error("RTP padding length {pad} exceeds the {available} payload bytes")]
    BadPadding { pad: usize, available: usize },
}

/// Header extension (RFC 3550 §5.3.1): the 16-bit profile word and the extension body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpExtension<'a> {
    pub profile: u16,
    pub data: &'a [u8],
}

/// A validated view of one RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    /// Offset of the payload (after CSRCs and the extension).
    payload_start: usize,
    /// End of the payload (before the padding).
    payload_end: usize,
}

const FIXED_LEN: usize = 12;

impl<'a> RtpPacket<'a> {
    /// Validates the header and all announced lengths.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, RtpError> {
        let (b0, _) = match buf {
            [b0, b1, ..] if buf.len() >= FIXED_LEN => (*b0, *b1),
            _ => return Err(RtpError::TooShort(buf.len())),
        };
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let csrc = b0 & 0x0f;
        let mut off = FIXED_LEN + 4 * usize::from(csrc);
        if off > buf.len() {
            return Err(RtpError::CsrcTruncated {
                csrc,
                len: buf.len(),
            });
        }
        if b0 & 0x10 != 0 {
            let words = buf
                .get(off + 2..off + 4)
                .map(|w| usize::from(u16::from_be_bytes([w[0], w[1]])))
                .ok_or(RtpError::ExtensionTruncated {
                    needed: off + 4,
                    len: buf.len(),
                })?;
            let needed = off + 4 + 4 * words;
            if needed > buf.len() {
                return Err(RtpError::ExtensionTruncated {
                    needed,
                    len: buf.len(),
                });
            }
            off = needed;
        }
        let mut end = buf.len();
        if b0 & 0x20 != 0 {
            // The last octet counts the padding octets, itself included (RFC 3550 §5.1).
            let pad = usize::from(buf.last().copied().unwrap_or(0));
            let available = end - off;
            if pad == 0 || pad > available {
                return Err(RtpError::BadPadding { pad, available });
            }
            end -= pad;
        }
        Ok(Self {
            buf,
            payload_start: off,
            payload_end: end,
        })
    }

    fn byte(&self, i: usize) -> u8 {
        self.buf.get(i).copied().unwrap_or(0)
    }

    fn be32(&self, i: usize) -> u32 {
        match self.buf.get(i..i + 4) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// Always 2 for a checked packet.
    pub fn version(&self) -> u8 {
        self.byte(0) >> 6
    }
    pub fn has_padding(&self) -> bool {
        self.byte(0) & 0x20 != 0
    }
    pub fn has_extension(&self) -> bool {
        self.byte(0) & 0x10 != 0
    }
    pub fn csrc_count(&self) -> u8 {
        self.byte(0) & 0x0f
    }
    pub fn marker(&self) -> bool {
        self.byte(1) & 0x80 != 0
    }
    pub fn payload_type(&self) -> u8 {
        self.byte(1) & 0x7f
    }
    pub fn sequence(&self) -> u16 {
        u16::from_be_bytes([self.byte(2), self.byte(3)])
    }
    pub fn timestamp(&self) -> u32 {
        self.be32(4)
    }
    pub fn ssrc(&self) -> u32 {
        self.be32(8)
    }
    /// The i-th contributing source, if present.
    pub fn csrc(&self, i: usize) -> Option<u32> {
        (i < usize::from(self.csrc_count())).then(|| self.be32(FIXED_LEN + 4 * i))
    }
    /// The header extension, if the X bit is set.
    pub fn extension(&self) -> Option<RtpExtension<'a>> {
        if !self.has_extension() {
            return None;
        }
        let at = FIXED_LEN + 4 * usize::from(self.csrc_count());
        let profile = self.buf.get(at..at + 2)?;
        Some(RtpExtension {
            profile: u16::from_be_bytes([profile[0], profile[1]]),
            data: self.buf.get(at + 4..self.payload_start)?,
        })
    }
    /// Payload without header, CSRCs, extension and padding.
    pub fn payload(&self) -> &'a [u8] {
        self.buf
            .get(self.payload_start..self.payload_end)
            .unwrap_or(&[])
    }
    /// Number of padding octets (0 without the P bit).
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end
    }
    /// The whole packet as given.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

/// Cheap content test for a UDP payload: version 2, at least a fixed header, and a payload
/// type outside the range RTCP packet types alias to (72..=76 are SR/RR/SDES/BYE/APP with the
/// marker bit set, RFC 5761 §4).
pub fn looks_like_rtp(buf: &[u8]) -> bool {
    match buf {
        [b0, b1, ..] if buf.len() >= FIXED_LEN => {
            let pt = b1 & 0x7f;
            b0 >> 6 == 2 && !(72..=76).contains(&pt) && RtpPacket::new_checked(buf).is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // RFC 3550 §5.1 layout, hand-built: V=2 P=0 X=0 CC=0 M=1 PT=0 seq=0x1234 ts=0xdeadbeef
    // ssrc=0x11223344, 4 payload bytes.
    const SIMPLE: [u8; 16] = [
        0x80, 0x80, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4,
    ];

    #[test]
    fn fixed_header_fields() {
        let p = RtpPacket::new_checked(&SIMPLE).unwrap();
        assert_eq!(p.version(), 2);
        assert!(p.marker());
        assert_eq!(p.payload_type(), 0);
        assert_eq!(p.sequence(), 0x1234);
        assert_eq!(p.timestamp(), 0xdeadbeef);
        assert_eq!(p.ssrc(), 0x11223344);
        assert_eq!(p.payload(), &[1, 2, 3, 4]);
        assert_eq!(p.csrc(0), None);
        assert!(p.extension().is_none());
        assert!(looks_like_rtp(&SIMPLE));
    }

    #[test]
    fn csrc_extension_and_padding() {
        // CC=1, X=1, P=1, PT=8.
        let mut b = vec![0xB1, 0x08, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9];
        b.extend_from_slice(&0xCAFEBABEu32.to_be_bytes());
        b.extend_from_slice(&[0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0]); // RFC 8285 one-byte ext
        b.extend_from_slice(&[7, 7, 7]);
        b.extend_from_slice(&[0, 0, 3]); // 3 padding bytes
        let p = RtpPacket::new_checked(&b).unwrap();
        assert_eq!(p.csrc(0), Some(0xCAFEBABE));
        let ext = p.extension().unwrap();
        assert_eq!(ext.profile, 0xBEDE);
        assert_eq!(ext.data, &[0x10, 0xAA, 0, 0]);
        assert_eq!(p.payload(), &[7, 7, 7]);
        assert_eq!(p.padding_len(), 3);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(
            RtpPacket::new_checked(&SIMPLE[..11]),
            Err(RtpError::TooShort(11))
        );
        let mut v1 = SIMPLE;
        v1[0] = 0x40;
        assert_eq!(RtpPacket::new_checked(&v1), Err(RtpError::BadVersion(1)));
        let mut cc = SIMPLE;
        cc[0] = 0x82; // 2 CSRCs need 20 bytes
        assert!(matches!(
            RtpPacket::new_checked(&cc),
            Err(RtpError::CsrcTruncated { .. })
        ));
        let mut x = SIMPLE;
        x[0] = 0x90;
        x[14] = 0;
        x[15] = 5; // 5 words of extension: too long
        assert!(matches!(
            RtpPacket::new_checked(&x),
            Err(RtpError::ExtensionTruncated { .. })
        ));
        let mut pad = SIMPLE;
        pad[0] = 0xA0;
        pad[15] = 9;
        assert!(matches!(
            RtpPacket::new_checked(&pad),
            Err(RtpError::BadPadding { .. })
        ));
        pad[15] = 0;
        assert!(matches!(
            RtpPacket::new_checked(&pad),
            Err(RtpError::BadPadding { .. })
        ));
        // An RTCP SR (PT 200 = marker + 72) is not RTP.
        let sr = [0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0];
        assert!(!looks_like_rtp(&sr));
    }
}
