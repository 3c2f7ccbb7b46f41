//! GRE (RFC 2784 with RFC 2890 key and sequence; RFC 2637 enhanced GRE for PPTP) and the
//! ERSPAN headers it carries (type II, and type III with its optional platform subheader).
use super::error::{DecodeError, Layer, LenError, be};

mod flags {
    pub(super) const CHECKSUM: u16 = 0x8000;
    pub(super) const ROUTING: u16 = 0x4000;
    pub(super) const KEY: u16 = 0x2000;
    pub(super) const SEQ: u16 = 0x1000;
    /// Enhanced GRE (version 1) acknowledgment present.
    pub(super) const ACK: u16 = 0x0080;
    pub(super) const VERSION: u16 = 0x0007;
}

/// A GRE header with its optional fields located.
#[derive(Debug, Clone, Copy)]
pub struct GreHeader<'a> {
    buf: &'a [u8],
    header_len: usize,
}

impl<'a> GreHeader<'a> {
    pub const MIN_HEADER_LEN: usize = 4;

    /// Checks the flags, the version (0, or 1 for PPTP) and that the optional fields fit.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::Gre, buf, Self::MIN_HEADER_LEN)?;
        let f = be::u16_at(buf, 0);
        if f & flags::ROUTING != 0 {
            return Err(DecodeError::invalid(
                Layer::Gre,
                "source routing (RFC 1701) is not supported",
            ));
        }
        let mut len = Self::MIN_HEADER_LEN;
        match f & flags::VERSION {
            0 => {
                if f & flags::CHECKSUM != 0 {
                    len += 4;
                }
                if f & flags::KEY != 0 {
                    len += 4;
                }
                if f & flags::SEQ != 0 {
                    len += 4;
                }
            }
            1 => {
                // RFC 2637 §4.1: key (payload length + call id) is mandatory, no checksum.
                if f & flags::KEY == 0 || f & flags::CHECKSUM != 0 {
                    return Err(DecodeError::invalid(Layer::Gre, "enhanced GRE without key"));
                }
                len += 4;
                if f & flags::SEQ != 0 {
                    len += 4;
                }
                if f & flags::ACK != 0 {
                    len += 4;
                }
            }
            _ => return Err(DecodeError::invalid(Layer::Gre, "unknown GRE version")),
        }
        LenError::check(Layer::Gre, buf, len)?;
        Ok(Self {
            buf,
            header_len: len,
        })
    }
    #[inline]
    pub fn flags(&self) -> u16 {
        be::u16_at(self.buf, 0)
    }
    #[inline]
    pub fn version(&self) -> u8 {
        (self.flags() & flags::VERSION) as u8
    }
    #[inline]
    pub fn protocol(&self) -> u16 {
        be::u16_at(self.buf, 2)
    }
    #[inline]
    pub fn has_seq(&self) -> bool {
        self.flags() & flags::SEQ != 0
    }
    fn opt_offset(&self, before: &[u16]) -> usize {
        let f = self.flags();
        4 + before.iter().filter(|&&b| f & b != 0).count() * 4
    }
    /// Key (version 0), or payload length << 16 | call id (version 1).
    #[inline]
    pub fn key(&self) -> Option<u32> {
        (self.flags() & flags::KEY != 0)
            .then(|| be::u32_at(self.buf, self.opt_offset(&[flags::CHECKSUM])))
    }
    #[inline]
    pub fn seq(&self) -> Option<u32> {
        self.has_seq()
            .then(|| be::u32_at(self.buf, self.opt_offset(&[flags::CHECKSUM, flags::KEY])))
    }
    /// Enhanced GRE acknowledgment number.
    #[inline]
    pub fn ack(&self) -> Option<u32> {
        (self.version() == 1 && self.flags() & flags::ACK != 0)
            .then(|| be::u32_at(self.buf, self.opt_offset(&[flags::KEY, flags::SEQ])))
    }
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let p = be::tail(self.buf, self.header_len);
        if self.version() == 1 {
            // The key's high half is the payload length: trims padding.
            let plen = self.key().map_or(p.len(), |k| (k >> 16) as usize);
            return be::range(p, 0, plen);
        }
        p
    }
}

/// ERSPAN type II header (8 bytes); followed by the mirrored Ethernet frame.
#[derive(Debug, Clone, Copy)]
pub struct ErspanII<'a> {
    buf: &'a [u8],
}

impl<'a> ErspanII<'a> {
    pub const HEADER_LEN: usize = 8;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Erspan, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    #[inline]
    pub fn version(&self) -> u8 {
        be::u8_at(self.buf, 0) >> 4
    }
    #[inline]
    pub fn vlan(&self) -> u16 {
        be::u16_at(self.buf, 0) & 0x0fff
    }
    #[inline]
    pub fn session_id(&self) -> u16 {
        be::u16_at(self.buf, 2) & 0x03ff
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

/// ERSPAN type III header (12 bytes, plus 8 when the O bit announces the platform subheader).
#[derive(Debug, Clone, Copy)]
pub struct ErspanIII<'a> {
    buf: &'a [u8],
    header_len: usize,
}

impl<'a> ErspanIII<'a> {
    pub const BASE_LEN: usize = 12;
    pub const PLATFORM_LEN: usize = 8;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Erspan, buf, Self::BASE_LEN)?;
        let o = be::u16_at(buf, 10) & 0x0001 != 0;
        let header_len = Self::BASE_LEN + if o { Self::PLATFORM_LEN } else { 0 };
        LenError::check(Layer::Erspan, buf, header_len)?;
        Ok(Self { buf, header_len })
    }
    #[inline]
    pub fn version(&self) -> u8 {
        be::u8_at(self.buf, 0) >> 4
    }
    #[inline]
    pub fn session_id(&self) -> u16 {
        be::u16_at(self.buf, 2) & 0x03ff
    }
    #[inline]
    pub fn timestamp(&self) -> u32 {
        be::u32_at(self.buf, 4)
    }
    /// Frame type: 0 Ethernet, 2 IP.
    #[inline]
    pub fn frame_type(&self) -> u8 {
        ((be::u16_at(self.buf, 10) >> 10) & 0x1f) as u8
    }
    #[inline]
    pub fn has_platform_subheader(&self) -> bool {
        self.header_len > Self::BASE_LEN
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, self.header_len)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn gre_plain_and_options() {
        let g = GreHeader::new_checked(&[0x00, 0x00, 0x08, 0x00, 0x45]).unwrap();
        assert_eq!(
            (g.protocol(), g.header_len(), g.payload()),
            (0x0800, 4, &[0x45u8][..])
        );
        // C, K, S: checksum+reserved, key 7, seq 9.
        let b = [
            0xb0, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0xaa,
        ];
        let g = GreHeader::new_checked(&b).unwrap();
        assert_eq!((g.key(), g.seq(), g.header_len()), (Some(7), Some(9), 16));
        assert!(GreHeader::new_checked(&b[..15]).is_err());
        assert!(GreHeader::new_checked(&[0x40, 0, 8, 0]).is_err());
        assert!(GreHeader::new_checked(&[0x00, 0x02, 8, 0]).is_err());
    }

    #[test]
    fn enhanced_gre_with_ack() {
        // K, S, A, version 1, PPP; payload length 2, call id 5, seq 1, ack 3.
        let b = [
            0x30, 0x81, 0x88, 0x0b, 0, 2, 0, 5, 0, 0, 0, 1, 0, 0, 0, 3, 0x21, 0x45, 0, 0,
        ];
        let g = GreHeader::new_checked(&b).unwrap();
        assert_eq!(
            (g.version(), g.seq(), g.ack(), g.header_len()),
            (1, Some(1), Some(3), 16)
        );
        assert_eq!(g.payload(), &[0x21, 0x45]);
        // Without ack.
        let b = [0x30, 0x01, 0x88, 0x0b, 0, 1, 0, 5, 0, 0, 0, 1, 0xff];
        let g = GreHeader::new_checked(&b).unwrap();
        assert_eq!((g.ack(), g.payload()), (None, &[0xffu8][..]));
    }

    #[test]
    fn erspan_headers() {
        let e = ErspanII::new_checked(&[0x10, 0x64, 0x00, 0x2a, 0, 0, 0, 0, 0xee]).unwrap();
        assert_eq!(
            (e.version(), e.vlan(), e.session_id(), e.payload()),
            (1, 100, 42, &[0xeeu8][..])
        );
        let mut b3 = vec![0x20, 0x00, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0x00, 0x01];
        b3.extend_from_slice(&[9; 8]);
        b3.push(0xee);
        let e = ErspanIII::new_checked(&b3).unwrap();
        assert!(e.has_platform_subheader());
        assert_eq!(
            (e.version(), e.session_id(), e.frame_type(), e.payload()),
            (2, 7, 0, &[0xeeu8][..])
        );
        assert!(ErspanIII::new_checked(&b3[..15]).is_err());
    }
}
