//! SCTP common header (RFC 9260 §3.1); the chunks follow it.
use super::error::{Layer, LenError, be};

/// A checked SCTP common header view.
#[derive(Debug, Clone, Copy)]
pub struct SctpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> SctpPacket<'a> {
    pub const HEADER_LEN: usize = 12;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Sctp, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    #[inline]
    pub fn src_port(&self) -> u16 {
        be::u16_at(self.buf, 0)
    }
    #[inline]
    pub fn dst_port(&self) -> u16 {
        be::u16_at(self.buf, 2)
    }
    #[inline]
    pub fn verification_tag(&self) -> u32 {
        be::u32_at(self.buf, 4)
    }
    /// The chunks.
    #[inline]
    pub fn chunks(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn sctp_common_header() {
        let b = [0x13, 0xc4, 0x13, 0xc5, 0, 0, 0, 9, 0, 0, 0, 0, 0, 3, 0, 4];
        let s = SctpPacket::new_checked(&b).unwrap();
        assert_eq!(
            (s.src_port(), s.dst_port(), s.verification_tag()),
            (5060, 5061, 9)
        );
        assert_eq!(s.chunks(), &[0, 3, 0, 4]);
        assert!(SctpPacket::new_checked(&b[..11]).is_err());
    }
}
