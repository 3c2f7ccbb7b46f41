//! ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) error messages that quote the offending packet.
use super::error::{Layer, LenError, be};

/// A checked ICMP (v4 or v6) header view: type, code, 4 bytes of rest-of-header, body.
#[derive(Debug, Clone, Copy)]
pub struct IcmpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> IcmpPacket<'a> {
    pub const HEADER_LEN: usize = 8;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Icmp, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    #[inline]
    pub fn type_(&self) -> u8 {
        be::u8_at(self.buf, 0)
    }
    #[inline]
    pub fn code(&self) -> u8 {
        be::u8_at(self.buf, 1)
    }
    /// ICMPv4 errors: destination unreachable, source quench, redirect, time exceeded,
    /// parameter problem.
    #[inline]
    pub fn is_v4_error(&self) -> bool {
        matches!(self.type_(), 3 | 4 | 5 | 11 | 12)
    }
    /// ICMPv6 errors: destination unreachable, packet too big, time exceeded, parameter problem.
    #[inline]
    pub fn is_v6_error(&self) -> bool {
        matches!(self.type_(), 1..=4)
    }
    /// The quoted packet of an error message (everything after the 8-byte header).
    #[inline]
    pub fn body(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn icmp_error_kinds() {
        let p = IcmpPacket::new_checked(&[3, 3, 0, 0, 0, 0, 0, 0, 0x45]).unwrap();
        assert!(p.is_v4_error() && p.code() == 3 && p.body() == [0x45]);
        let echo = IcmpPacket::new_checked(&[8, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(!echo.is_v4_error());
        let v6 = IcmpPacket::new_checked(&[1, 4, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(v6.is_v6_error());
        assert!(IcmpPacket::new_checked(&[3, 3, 0]).is_err());
    }
}
