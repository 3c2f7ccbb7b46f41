//! TCP header (RFC 9293): ports, sequence numbers, flags, data offset and options.
use super::decap::TcpInfo;
use super::error::{DecodeError, Layer, LenError, be};

mod field {
    pub(super) const SEQ: usize = 4;
    pub(super) const ACK: usize = 8;
    pub(super) const DATA_OFF: usize = 12;
    pub(super) const FLAGS: usize = 13;
    pub(super) const WINDOW: usize = 14;
    pub(super) const MIN_HEADER_LEN: usize = 20;
}

/// A checked TCP header view.
#[derive(Debug, Clone, Copy)]
pub struct TcpPacket<'a> {
    buf: &'a [u8],
}

impl<'a> TcpPacket<'a> {
    pub const MIN_HEADER_LEN: usize = field::MIN_HEADER_LEN;

    /// Checks data offset >= 5 and that the header with options fits.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::Tcp, buf, field::MIN_HEADER_LEN)?;
        let p = Self { buf };
        if p.header_len() < field::MIN_HEADER_LEN {
            return Err(DecodeError::invalid(Layer::Tcp, "data offset below 5"));
        }
        LenError::check(Layer::Tcp, buf, p.header_len())?;
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
    pub fn seq(&self) -> u32 {
        be::u32_at(self.buf, field::SEQ)
    }
    #[inline]
    pub fn ack(&self) -> u32 {
        be::u32_at(self.buf, field::ACK)
    }
    /// Header length in bytes (data offset * 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(be::u8_at(self.buf, field::DATA_OFF) >> 4) * 4
    }
    #[inline]
    pub fn flags(&self) -> u8 {
        be::u8_at(self.buf, field::FLAGS)
    }
    #[inline]
    pub fn window(&self) -> u16 {
        be::u16_at(self.buf, field::WINDOW)
    }
    #[inline]
    pub fn options(&self) -> &'a [u8] {
        be::range(self.buf, field::MIN_HEADER_LEN, self.header_len())
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, self.header_len())
    }
    #[inline]
    pub fn info(&self) -> TcpInfo {
        TcpInfo {
            seq: self.seq(),
            ack: self.ack(),
            flags: self.flags(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
pub(crate) mod tests {
    use super::*;

    #[inline]
    pub(crate) fn build(
        sport: u16,
        dport: u16,
        seq: u32,
        flags: u8,
        options: &[u8],
        payload: &[u8],
    ) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&sport.to_be_bytes());
        v.extend_from_slice(&dport.to_be_bytes());
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&7u32.to_be_bytes());
        v.push((((20 + options.len()) / 4) as u8) << 4);
        v.push(flags);
        v.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        v.extend_from_slice(options);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn tcp_fields_and_options() {
        let t = build(5060, 40000, 1000, 0x18, &[2, 4, 5, 0xb4], b"SIP");
        let p = TcpPacket::new_checked(&t).unwrap();
        assert_eq!(
            (p.src_port(), p.dst_port(), p.header_len()),
            (5060, 40000, 24)
        );
        assert_eq!(
            p.info(),
            TcpInfo {
                seq: 1000,
                ack: 7,
                flags: 0x18
            }
        );
        assert_eq!(
            (p.options(), p.payload()),
            (&[2u8, 4, 5, 0xb4][..], &b"SIP"[..])
        );
    }

    #[test]
    fn tcp_bad_offsets() {
        let mut t = build(1, 2, 0, 0x02, &[], &[]);
        t[12] = 0x40;
        assert!(matches!(
            TcpPacket::new_checked(&t),
            Err(DecodeError::Invalid { .. })
        ));
        t[12] = 0x60;
        assert!(matches!(TcpPacket::new_checked(&t), Err(DecodeError::Len(e)) if e.required == 24));
    }
}
