//! Capture pseudo-headers that precede the network layer: BSD NULL/LOOP and Linux cooked
//! captures (SLL v1 and v2).
use super::error::{Layer, LenError, be};

/// Address families found in NULL/LOOP headers (values differ between BSDs).
pub mod af {
    pub const INET: u32 = 2;
    /// OpenBSD / NetBSD / BSD/OS.
    pub const INET6_BSD: u32 = 24;
    /// FreeBSD / DragonFly.
    pub const INET6_FREEBSD: u32 = 28;
    /// Darwin (macOS, iOS).
    pub const INET6_DARWIN: u32 = 30;
    /// Linux's AF_INET6, seen in some hand-made captures.
    pub const INET6_LINUX: u32 = 10;
}

/// What a NULL/LOOP header says follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullFamily {
    Ipv4,
    Ipv6,
    /// Any other family (the raw value as read in the capture's byte order guess).
    Unknown(u32),
}

/// The 4-byte BSD loopback header. Its byte order is that of the capturing host for
/// LINKTYPE_NULL and network order for LINKTYPE_LOOP; both orders are accepted for both.
#[derive(Debug, Clone, Copy)]
pub struct NullHeader<'a> {
    buf: &'a [u8],
}

impl<'a> NullHeader<'a> {
    pub const HEADER_LEN: usize = 4;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Null, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    #[inline]
    pub fn family(&self) -> NullFamily {
        let raw = be::arr4(self.buf, 0);
        let classify = |v: u32| match v {
            af::INET => Some(NullFamily::Ipv4),
            af::INET6_BSD | af::INET6_FREEBSD | af::INET6_DARWIN | af::INET6_LINUX => {
                Some(NullFamily::Ipv6)
            }
            _ => None,
        };
        let le = u32::from_le_bytes(raw);
        classify(le)
            .or_else(|| classify(u32::from_be_bytes(raw)))
            .unwrap_or(NullFamily::Unknown(le))
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

/// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16 bytes).
#[derive(Debug, Clone, Copy)]
pub struct SllHeader<'a> {
    buf: &'a [u8],
}

impl<'a> SllHeader<'a> {
    pub const HEADER_LEN: usize = 16;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::LinuxSll, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    #[inline]
    pub fn packet_type(&self) -> u16 {
        be::u16_at(self.buf, 0)
    }
    #[inline]
    pub fn arphrd(&self) -> u16 {
        be::u16_at(self.buf, 2)
    }
    /// The protocol field: an EtherType for most devices.
    #[inline]
    pub fn protocol(&self) -> u16 {
        be::u16_at(self.buf, 14)
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

/// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20 bytes).
#[derive(Debug, Clone, Copy)]
pub struct Sll2Header<'a> {
    buf: &'a [u8],
}

impl<'a> Sll2Header<'a> {
    pub const HEADER_LEN: usize = 20;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::LinuxSll2, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    /// The protocol field: an EtherType for most devices.
    #[inline]
    pub fn protocol(&self) -> u16 {
        be::u16_at(self.buf, 0)
    }
    #[inline]
    pub fn interface_index(&self) -> u32 {
        be::u32_at(self.buf, 4)
    }
    #[inline]
    pub fn arphrd(&self) -> u16 {
        be::u16_at(self.buf, 8)
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

/// ARPHRD values whose SLL protocol field is not an EtherType.
pub mod arphrd {
    /// Netlink monitor captures.
    pub const NETLINK: u16 = 824;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn null_both_byte_orders() {
        for (hdr, fam) in [
            ([2u8, 0, 0, 0], NullFamily::Ipv4),
            ([0, 0, 0, 2], NullFamily::Ipv4),
            ([24, 0, 0, 0], NullFamily::Ipv6),
            ([0, 0, 0, 28], NullFamily::Ipv6),
            ([30, 0, 0, 0], NullFamily::Ipv6),
            ([7, 0, 0, 0], NullFamily::Unknown(7)),
        ] {
            assert_eq!(
                NullHeader::new_checked(&hdr).unwrap().family(),
                fam,
                "{hdr:?}"
            );
        }
    }

    #[test]
    fn sll_and_sll2() {
        let mut s = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00, 0x45];
        let h = SllHeader::new_checked(&s).unwrap();
        assert_eq!(
            (h.arphrd(), h.protocol(), h.payload()),
            (1, 0x0800, &[0x45u8][..])
        );
        s.truncate(15);
        assert_eq!(SllHeader::new_checked(&s).unwrap_err().required, 16);
        let s2 = [
            0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x60,
        ];
        let h = Sll2Header::new_checked(&s2).unwrap();
        assert_eq!(
            (h.protocol(), h.interface_index(), h.arphrd()),
            (0x86dd, 3, 1)
        );
        assert_eq!(h.payload(), &[0x60]);
    }
}
