//! IPv4 header (RFC 791). The checksum is not verified (captures made on the sending host
//! carry offloaded, unfilled checksums).
use super::error::{DecodeError, Layer, LenError, be};
use std::net::Ipv4Addr;

mod field {
    pub(super) const VER_IHL: usize = 0;
    pub(super) const TOTAL_LEN: usize = 2;
    pub(super) const IDENT: usize = 4;
    pub(super) const FLAGS_FRAG: usize = 6;
    pub(super) const TTL: usize = 8;
    pub(super) const PROTOCOL: usize = 9;
    pub(super) const SRC: usize = 12;
    pub(super) const DST: usize = 16;
    pub(super) const MIN_HEADER_LEN: usize = 20;
}

/// IP protocol numbers (shared by IPv4 and the IPv6 next-header field).
pub mod protocol {
    pub const HOPOPT: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NO_NEXT: u8 = 59;
    pub const DST_OPTS: u8 = 60;
    pub const SCTP: u8 = 132;
}

/// A checked IPv4 header view.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv4Packet<'a> {
    pub const MIN_HEADER_LEN: usize = field::MIN_HEADER_LEN;

    /// Checks version, IHL >= 5, that the header (with options) fits, and total length >= IHL.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::Ipv4, buf, field::MIN_HEADER_LEN)?;
        let p = Self { buf };
        if p.version() != 4 {
            return Err(DecodeError::invalid(Layer::Ipv4, "version is not 4"));
        }
        if p.header_len() < field::MIN_HEADER_LEN {
            return Err(DecodeError::invalid(Layer::Ipv4, "IHL below 5"));
        }
        LenError::check(Layer::Ipv4, buf, p.header_len())?;
        if p.total_len_field() != 0 && usize::from(p.total_len_field()) < p.header_len() {
            return Err(DecodeError::invalid(
                Layer::Ipv4,
                "total length shorter than the header",
            ));
        }
        Ok(p)
    }
    #[inline]
    pub fn version(&self) -> u8 {
        be::u8_at(self.buf, field::VER_IHL) >> 4
    }
    /// Header length in bytes (IHL * 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(be::u8_at(self.buf, field::VER_IHL) & 0x0f) * 4
    }
    #[inline]
    pub fn total_len_field(&self) -> u16 {
        be::u16_at(self.buf, field::TOTAL_LEN)
    }
    /// Total length; a 0 field (TSO/GSO captures on the sender) means "what was captured".
    #[inline]
    pub fn total_len(&self) -> usize {
        match self.total_len_field() {
            0 => self.buf.len(),
            n => usize::from(n),
        }
    }
    /// The capture holds fewer bytes than the total length says (snap length cut it).
    #[inline]
    pub fn is_truncated(&self) -> bool {
        self.total_len() > self.buf.len()
    }
    #[inline]
    pub fn ident(&self) -> u16 {
        be::u16_at(self.buf, field::IDENT)
    }
    #[inline]
    pub fn dont_fragment(&self) -> bool {
        be::u16_at(self.buf, field::FLAGS_FRAG) & 0x4000 != 0
    }
    #[inline]
    pub fn more_fragments(&self) -> bool {
        be::u16_at(self.buf, field::FLAGS_FRAG) & 0x2000 != 0
    }
    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> usize {
        usize::from(be::u16_at(self.buf, field::FLAGS_FRAG) & 0x1fff) * 8
    }
    #[inline]
    pub fn is_fragment(&self) -> bool {
        self.more_fragments() || self.frag_offset() != 0
    }
    #[inline]
    pub fn ttl(&self) -> u8 {
        be::u8_at(self.buf, field::TTL)
    }
    #[inline]
    pub fn protocol(&self) -> u8 {
        be::u8_at(self.buf, field::PROTOCOL)
    }
    #[inline]
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(be::arr4(self.buf, field::SRC))
    }
    #[inline]
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(be::arr4(self.buf, field::DST))
    }
    /// Options bytes (between the 20-byte header and IHL * 4).
    #[inline]
    pub fn options(&self) -> &'a [u8] {
        be::range(self.buf, field::MIN_HEADER_LEN, self.header_len())
    }
    /// Payload up to the total length (drops link padding), clamped to what was captured.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::range(self.buf, self.header_len(), self.total_len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
pub(crate) mod tests {
    use super::*;

    /// A 20-byte (or longer with options) IPv4 header followed by `payload`.
    #[inline]
    pub(crate) fn build(
        proto: u8,
        src: [u8; 4],
        dst: [u8; 4],
        options: &[u8],
        payload: &[u8],
    ) -> Vec<u8> {
        let hl = 20 + options.len();
        let total = (hl + payload.len()) as u16;
        let mut v = vec![0x40 | (hl / 4) as u8, 0];
        v.extend_from_slice(&total.to_be_bytes());
        v.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, proto, 0, 0]);
        v.extend_from_slice(&src);
        v.extend_from_slice(&dst);
        v.extend_from_slice(options);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn fields_options_and_padding() {
        let mut p = build(17, [10, 0, 0, 1], [10, 0, 0, 2], &[1, 1, 1, 0], &[9, 9]);
        p.extend_from_slice(&[0; 6]); // Ethernet padding
        let ip = Ipv4Packet::new_checked(&p).unwrap();
        assert_eq!(
            (ip.header_len(), ip.total_len(), ip.protocol()),
            (24, 26, 17)
        );
        assert_eq!(ip.options(), &[1, 1, 1, 0]);
        assert_eq!(ip.payload(), &[9, 9]);
        assert_eq!(
            (ip.src(), ip.dst()),
            (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2))
        );
        assert!(ip.dont_fragment() && !ip.is_fragment() && !ip.is_truncated());
    }

    #[test]
    fn rejects_bad_headers() {
        let p = build(17, [1; 4], [2; 4], &[], &[]);
        let mut bad = p.clone();
        bad[0] = 0x44; // IHL 4
        assert!(matches!(
            Ipv4Packet::new_checked(&bad),
            Err(DecodeError::Invalid { .. })
        ));
        let mut bad = p.clone();
        bad[0] = 0x4f; // IHL 15 = 60 bytes, only 20 there
        assert!(
            matches!(Ipv4Packet::new_checked(&bad), Err(DecodeError::Len(e)) if e.required == 60)
        );
        let mut bad = p.clone();
        bad[3] = 10; // total length 10 < 20
        assert!(Ipv4Packet::new_checked(&bad).is_err());
        let mut v6 = p;
        v6[0] = 0x65;
        assert!(Ipv4Packet::new_checked(&v6).is_err());
        assert!(Ipv4Packet::new_checked(&[0x45; 19]).is_err());
    }

    #[test]
    fn fragment_fields_and_truncation() {
        let mut p = build(17, [1; 4], [2; 4], &[], &[0; 16]);
        p[6] = 0x20; // MF
        p[7] = 0x03; // offset 3 * 8
        let ip = Ipv4Packet::new_checked(&p[..30]).unwrap();
        assert!(ip.more_fragments() && ip.is_fragment() && ip.is_truncated());
        assert_eq!((ip.frag_offset(), ip.payload().len()), (24, 10));
    }
}
