//! VXLAN (RFC 7348) and GTP-U (3GPP TS 29.281) tunnel headers found in UDP.
use super::error::{DecodeError, Layer, LenError, be};

/// IANA port of VXLAN.
pub const VXLAN_PORT: u16 = 4789;
/// IANA port of GTP-U.
pub const GTPU_PORT: u16 = 2152;

/// The 8-byte VXLAN header; an Ethernet frame follows.
#[derive(Debug, Clone, Copy)]
pub struct VxlanHeader<'a> {
    buf: &'a [u8],
}

impl<'a> VxlanHeader<'a> {
    pub const HEADER_LEN: usize = 8;

    /// Requires the I flag (valid VNI), as RFC 7348 §5 does.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::Vxlan, buf, Self::HEADER_LEN)?;
        if be::u8_at(buf, 0) & 0x08 == 0 {
            return Err(DecodeError::invalid(Layer::Vxlan, "I flag not set"));
        }
        Ok(Self { buf })
    }
    #[inline]
    pub fn vni(&self) -> u32 {
        be::u32_at(self.buf, 4) >> 8
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

/// GTP-U message type of user data.
pub const GTPU_G_PDU: u8 = 0xff;

/// A GTPv1-U header with its optional fields and extension headers skipped.
#[derive(Debug, Clone, Copy)]
pub struct GtpUHeader<'a> {
    buf: &'a [u8],
    header_len: usize,
    end: usize,
}

impl<'a> GtpUHeader<'a> {
    pub const MIN_HEADER_LEN: usize = 8;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::GtpU, buf, Self::MIN_HEADER_LEN)?;
        let flags = be::u8_at(buf, 0);
        if flags >> 5 != 1 || flags & 0x10 == 0 {
            return Err(DecodeError::invalid(Layer::GtpU, "not GTPv1 with PT=1"));
        }
        // The length field counts everything after the mandatory 8 bytes.
        let end = Self::MIN_HEADER_LEN + usize::from(be::u16_at(buf, 2));
        let mut len = Self::MIN_HEADER_LEN;
        if flags & 0x07 != 0 {
            len += 4;
            LenError::check(Layer::GtpU, buf, len)?;
            let mut next = be::u8_at(buf, len - 1);
            // Each extension: length in 4-byte units, content, next type in its last byte.
            while next != 0 {
                let units = usize::from(be::u8_at(buf, len));
                if units == 0 {
                    return Err(DecodeError::invalid(
                        Layer::GtpU,
                        "extension header of length 0",
                    ));
                }
                len += units * 4;
                LenError::check(Layer::GtpU, buf, len)?;
                next = be::u8_at(buf, len - 1);
            }
        }
        if end < len {
            return Err(DecodeError::invalid(
                Layer::GtpU,
                "length shorter than the header",
            ));
        }
        Ok(Self {
            buf,
            header_len: len,
            end,
        })
    }
    #[inline]
    pub fn message_type(&self) -> u8 {
        be::u8_at(self.buf, 1)
    }
    #[inline]
    pub fn teid(&self) -> u32 {
        be::u32_at(self.buf, 4)
    }
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// The T-PDU (an IP packet for G-PDU), trimmed to the declared length.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::range(self.buf, self.header_len, self.end)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn vxlan_header() {
        let v = VxlanHeader::new_checked(&[0x08, 0, 0, 0, 0, 0x12, 0x34, 0, 0xee]).unwrap();
        assert_eq!((v.vni(), v.payload()), (0x1234, &[0xeeu8][..]));
        assert!(VxlanHeader::new_checked(&[0; 8]).is_err());
    }

    #[test]
    fn gtpu_with_extension() {
        // E flag, G-PDU, length 4+4+1, TEID 1; seq/npdu/next=0x85 (PDU session container),
        // extension of 1 unit (4 bytes) ending with next=0, then payload 0x45.
        let b = [
            0x34, 0xff, 0x00, 0x09, 0, 0, 0, 1, 0, 0, 0, 0x85, 0x01, 0x00, 0x01, 0x00, 0x45,
        ];
        let g = GtpUHeader::new_checked(&b).unwrap();
        assert_eq!(
            (g.message_type(), g.teid(), g.header_len()),
            (GTPU_G_PDU, 1, 16)
        );
        assert_eq!(g.payload(), &[0x45]);
        assert!(GtpUHeader::new_checked(&b[..14]).is_err());
        let plain = [0x30, 0xff, 0x00, 0x01, 0, 0, 0, 9, 0x60, 0xaa];
        assert_eq!(GtpUHeader::new_checked(&plain).unwrap().payload(), &[0x60]);
    }
}
