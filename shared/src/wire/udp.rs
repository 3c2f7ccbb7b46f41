//! UDP header (RFC 768).
use super::error::{DecodeError, Layer, LenError, be};

/// A checked UDP header view.
#[derive(Debug, Clone, Copy)]
pub struct UdpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> UdpPacket<'a> {
    pub const HEADER_LEN: usize = 8;

    /// Checks the header fits and the length field is 0 (jumbogram) or at least 8.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::Udp, buf, Self::HEADER_LEN)?;
        let p = Self { buf };
        if p.len_field() != 0 && usize::from(p.len_field()) < Self::HEADER_LEN {
            return Err(DecodeError::invalid(Layer::Udp, "length below 8"));
        }
        Ok(p)
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
    pub fn len_field(&self) -> u16 {
        be::u16_at(self.buf, 4)
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        be::u16_at(self.buf, 6)
    }
    /// Datagram length (0 means "the rest of the IP payload").
    #[inline]
    pub fn len(&self) -> usize {
        match self.len_field() {
            0 => self.buf.len(),
            n => usize::from(n),
        }
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == Self::HEADER_LEN
    }
    #[inline]
    pub fn is_truncated(&self) -> bool {
        self.len() > self.buf.len()
    }
    /// Payload up to the length field, clamped to what was captured.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::range(self.buf, Self::HEADER_LEN, self.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
pub(crate) mod tests {
    use super::*;

    #[inline]
    pub(crate) fn build(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&sport.to_be_bytes());
        v.extend_from_slice(&dport.to_be_bytes());
        v.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn udp_fields() {
        let mut d = build(5060, 5061, b"abc");
        d.push(0); // trailing byte beyond the UDP length
        let u = UdpPacket::new_checked(&d).unwrap();
        assert_eq!(
            (u.src_port(), u.dst_port(), u.len(), u.payload()),
            (5060, 5061, 11, &b"abc"[..])
        );
        assert!(!u.is_truncated());
        let u = UdpPacket::new_checked(&d[..9]).unwrap();
        assert!(u.is_truncated());
        assert_eq!(u.payload(), b"a");
        assert!(UdpPacket::new_checked(&d[..7]).is_err());
        let mut bad = d.clone();
        bad[5] = 7;
        assert!(UdpPacket::new_checked(&bad).is_err());
    }
}
