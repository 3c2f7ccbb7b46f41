//! PPPoE session stage (RFC 2516) and the PPP protocol field (RFC 1661, RFC 1662 framing).
use super::error::{DecodeError, Layer, LenError, be};

/// PPP protocol numbers the decoder follows.
pub mod ppp_proto {
    pub const IPV4: u16 = 0x0021;
    pub const IPV6: u16 = 0x0057;
    pub const MPLS: u16 = 0x0281;
}

/// The 6-byte PPPoE header.
#[derive(Debug, Clone, Copy)]
pub struct PppoeHeader<'a> {
    buf: &'a [u8],
}

impl<'a> PppoeHeader<'a> {
    pub const HEADER_LEN: usize = 6;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::Pppoe, buf, Self::HEADER_LEN)?;
        let h = Self { buf };
        if h.version() != 1 || h.type_() != 1 {
            return Err(DecodeError::invalid(
                Layer::Pppoe,
                "version/type is not 1/1",
            ));
        }
        Ok(h)
    }
    #[inline]
    pub fn version(&self) -> u8 {
        be::u8_at(self.buf, 0) >> 4
    }
    #[inline]
    pub fn type_(&self) -> u8 {
        be::u8_at(self.buf, 0) & 0x0f
    }
    /// 0 in the session stage.
    #[inline]
    pub fn code(&self) -> u8 {
        be::u8_at(self.buf, 1)
    }
    #[inline]
    pub fn session_id(&self) -> u16 {
        be::u16_at(self.buf, 2)
    }
    /// Declared payload length (PPP protocol field included).
    #[inline]
    pub fn length(&self) -> u16 {
        be::u16_at(self.buf, 4)
    }
    /// The PPP frame, trimmed to the declared length (this drops Ethernet padding).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let end = Self::HEADER_LEN + usize::from(self.length());
        be::range(self.buf, Self::HEADER_LEN, end)
    }
}

/// Splits a PPP frame into (protocol, payload). Accepts the optional HDLC address/control
/// bytes `FF 03` and a compressed 1-byte protocol field (RFC 1661 §6.5: odd first byte).
#[inline]
pub fn ppp_split(buf: &[u8]) -> Result<(u16, &[u8]), LenError> {
    let buf = match buf {
        [0xff, 0x03, rest @ ..] => rest,
        _ => buf,
    };
    match buf {
        [p, rest @ ..] if p & 1 == 1 => Ok((u16::from(*p), rest)),
        [p0, p1, rest @ ..] => Ok((u16::from_be_bytes([*p0, *p1]), rest)),
        _ => Err(LenError {
            layer: Layer::Ppp,
            required: 2,
            len: buf.len(),
            offset: 0,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn pppoe_session_trims_padding() {
        let b = [
            0x11, 0x00, 0x12, 0x34, 0x00, 0x03, 0x00, 0x21, 0x45, 0, 0, 0,
        ];
        let h = PppoeHeader::new_checked(&b).unwrap();
        assert_eq!((h.code(), h.session_id(), h.length()), (0, 0x1234, 3));
        assert_eq!(
            ppp_split(h.payload()).unwrap(),
            (ppp_proto::IPV4, &[0x45u8][..])
        );
        assert!(PppoeHeader::new_checked(&[0x21, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn ppp_forms() {
        assert_eq!(
            ppp_split(&[0xff, 0x03, 0x00, 0x57, 1]).unwrap(),
            (0x57, &[1u8][..])
        );
        assert_eq!(ppp_split(&[0x21, 1]).unwrap(), (0x21, &[1u8][..]));
        assert!(ppp_split(&[0x00]).is_err());
    }
}
