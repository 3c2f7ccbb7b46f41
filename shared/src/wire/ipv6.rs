//! IPv6 fixed header (RFC 8200) and the extension headers the decoder walks through.
use super::error::{DecodeError, Layer, LenError, be};
use super::ipv4::protocol;
use std::net::Ipv6Addr;

mod field {
    pub(super) const PAYLOAD_LEN: usize = 4;
    pub(super) const NEXT_HEADER: usize = 6;
    pub(super) const HOP_LIMIT: usize = 7;
    pub(super) const SRC: usize = 8;
    pub(super) const DST: usize = 24;
    pub(super) const HEADER_LEN: usize = 40;
}

/// A checked IPv6 fixed header view.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv6Packet<'a> {
    pub const HEADER_LEN: usize = field::HEADER_LEN;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        LenError::check(Layer::Ipv6, buf, field::HEADER_LEN)?;
        if be::u8_at(buf, 0) >> 4 != 6 {
            return Err(DecodeError::invalid(Layer::Ipv6, "version is not 6"));
        }
        Ok(Self { buf })
    }
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        ((be::u16_at(self.buf, 0) >> 4) & 0xff) as u8
    }
    #[inline]
    pub fn flow_label(&self) -> u32 {
        be::u32_at(self.buf, 0) & 0x000f_ffff
    }
    #[inline]
    pub fn payload_len_field(&self) -> u16 {
        be::u16_at(self.buf, field::PAYLOAD_LEN)
    }
    /// Payload length; 0 (jumbogram or TSO capture) means "what was captured".
    #[inline]
    pub fn payload_len(&self) -> usize {
        match self.payload_len_field() {
            0 => self.buf.len().saturating_sub(field::HEADER_LEN),
            n => usize::from(n),
        }
    }
    #[inline]
    pub fn is_truncated(&self) -> bool {
        field::HEADER_LEN + self.payload_len() > self.buf.len()
    }
    #[inline]
    pub fn next_header(&self) -> u8 {
        be::u8_at(self.buf, field::NEXT_HEADER)
    }
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        be::u8_at(self.buf, field::HOP_LIMIT)
    }
    #[inline]
    pub fn src(&self) -> Ipv6Addr {
        Ipv6Addr::from(be::arr16(self.buf, field::SRC))
    }
    #[inline]
    pub fn dst(&self) -> Ipv6Addr {
        Ipv6Addr::from(be::arr16(self.buf, field::DST))
    }
    /// Payload up to the payload length (drops link padding), clamped to what was captured.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::range(
            self.buf,
            field::HEADER_LEN,
            field::HEADER_LEN + self.payload_len(),
        )
    }
}

/// Fields of an IPv6 fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Frag {
    pub next_header: u8,
    /// Offset in bytes.
    pub offset: usize,
    pub more: bool,
    pub ident: u32,
}

/// One extension header, located.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtHeader<'a> {
    /// Next header value found in this header.
    pub next_header: u8,
    /// Bytes this header occupies.
    pub len: usize,
    /// Set for the fragment header.
    pub frag: Option<Ipv6Frag>,
    /// What follows this header.
    pub rest: &'a [u8],
}

/// Whether `next` is an extension header the decoder skips (hop-by-hop, routing, destination
/// options, fragment, AH).
#[inline]
pub fn is_extension(next: u8) -> bool {
    matches!(
        next,
        protocol::HOPOPT
            | protocol::ROUTING
            | protocol::DST_OPTS
            | protocol::FRAGMENT
            | protocol::AH
    )
}

/// Parses the extension header of type `kind` at the start of `buf`.
#[inline]
pub fn ext_header(kind: u8, buf: &[u8]) -> Result<ExtHeader<'_>, DecodeError> {
    LenError::check(Layer::Ipv6Ext, buf, 8)?;
    let next_header = be::u8_at(buf, 0);
    let b1 = usize::from(be::u8_at(buf, 1));
    let (len, frag) = match kind {
        protocol::FRAGMENT => {
            let off_flags = be::u16_at(buf, 2);
            let frag = Ipv6Frag {
                next_header,
                offset: usize::from(off_flags & 0xfff8),
                more: off_flags & 1 != 0,
                ident: be::u32_at(buf, 4),
            };
            (8, Some(frag))
        }
        // RFC 4302 §2.2: payload length in 4-byte units, minus 2.
        protocol::AH => ((b1 + 2) * 4, None),
        protocol::HOPOPT | protocol::ROUTING | protocol::DST_OPTS => ((b1 + 1) * 8, None),
        _ => {
            return Err(DecodeError::invalid(
                Layer::Ipv6Ext,
                "not an extension header",
            ));
        }
    };
    LenError::check(Layer::Ipv6Ext, buf, len)?;
    Ok(ExtHeader {
        next_header,
        len,
        frag,
        rest: be::tail(buf, len),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
pub(crate) mod tests {
    use super::*;

    #[inline]
    pub(crate) fn build(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(&[next, 64]);
        v.extend_from_slice(&src);
        v.extend_from_slice(&dst);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn fixed_header() {
        let mut p = build(17, [1; 16], [2; 16], &[7, 7, 7]);
        p.push(0); // padding
        let ip = Ipv6Packet::new_checked(&p).unwrap();
        assert_eq!(
            (ip.next_header(), ip.payload(), ip.hop_limit()),
            (17, &[7u8, 7, 7][..], 64)
        );
        assert_eq!(ip.src(), Ipv6Addr::from([1; 16]));
        assert!(!ip.is_truncated());
        assert!(ip.payload_len() == 3 && ip.flow_label() == 0);
        assert!(Ipv6Packet::new_checked(&p[..39]).is_err());
        p[0] = 0x45;
        assert!(Ipv6Packet::new_checked(&p).is_err());
    }

    #[test]
    fn extension_headers() {
        // Hop-by-hop with 8 bytes (len 0) -> next 44.
        let h = ext_header(protocol::HOPOPT, &[44, 0, 1, 4, 0, 0, 0, 0, 0xaa]).unwrap();
        assert_eq!((h.next_header, h.len, h.rest), (44, 8, &[0xaau8][..]));
        let f = ext_header(
            protocol::FRAGMENT,
            &[17, 0, 0x05, 0xb9, 0xb0, 0x64, 0x77, 0x80],
        )
        .unwrap();
        let frag = f.frag.unwrap();
        assert_eq!(
            (frag.offset, frag.more, frag.ident, frag.next_header),
            (1464, true, 0xb0647780, 17)
        );
        // AH with payload len 4 -> (4+2)*4 = 24 bytes.
        let mut ah = vec![17, 4];
        ah.resize(24, 0);
        assert_eq!(ext_header(protocol::AH, &ah).unwrap().len, 24);
        assert!(ext_header(protocol::AH, &ah[..20]).is_err());
        assert!(ext_header(protocol::ROUTING, &[17, 1, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
