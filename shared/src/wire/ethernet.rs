//! Ethernet II / IEEE 802.3 frames and 802.1Q/802.1ad tags.
use super::error::{Layer, LenError, be};

/// EtherType values the decoder follows.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const IPV6: u16 = 0x86dd;
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MCAST: u16 = 0x8848;
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// PPP carried by GRE (PPTP's enhanced GRE).
    pub const PPP: u16 = 0x880b;
    /// Transparent Ethernet bridging (GRE carrying Ethernet).
    pub const TEB: u16 = 0x6558;
    pub const ERSPAN_II: u16 = 0x88be;
    pub const ERSPAN_III: u16 = 0x22eb;
    /// Values up to this one are an 802.3 length, not a type.
    pub const MAX_802_3_LEN: u16 = 1500;
}

mod field {
    pub(super) const TYPE: usize = 12;
    pub(super) const HEADER_LEN: usize = 14;
}

/// An Ethernet II or 802.3 frame header.
#[derive(Debug, Clone, Copy)]
pub struct EthernetFrame<'a> {
    buf: &'a [u8],
}

impl<'a> EthernetFrame<'a> {
    pub const HEADER_LEN: usize = field::HEADER_LEN;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Ethernet, buf, field::HEADER_LEN)?;
        Ok(Self { buf })
    }
    #[inline]
    pub fn dst(&self) -> &'a [u8] {
        be::range(self.buf, 0, 6)
    }
    #[inline]
    pub fn src(&self) -> &'a [u8] {
        be::range(self.buf, 6, 12)
    }
    /// EtherType, or the 802.3 length when `<= 1500`.
    #[inline]
    pub fn ethertype(&self) -> u16 {
        be::u16_at(self.buf, field::TYPE)
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, field::HEADER_LEN)
    }
}

/// An 802.1Q / 802.1ad tag (the 4 bytes after the outer type field).
#[derive(Debug, Clone, Copy)]
pub struct VlanTag<'a> {
    buf: &'a [u8],
}

impl<'a> VlanTag<'a> {
    pub const HEADER_LEN: usize = 4;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Vlan, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    /// VLAN identifier (12 bits).
    #[inline]
    pub fn vid(&self) -> u16 {
        be::u16_at(self.buf, 0) & 0x0fff
    }
    #[inline]
    pub fn priority(&self) -> u8 {
        be::u8_at(self.buf, 0) >> 5
    }
    /// The inner EtherType (or 802.3 length).
    #[inline]
    pub fn ethertype(&self) -> u16 {
        be::u16_at(self.buf, 2)
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

/// 802.2 LLC header, with its SNAP extension when DSAP = SSAP = 0xAA.
/// Returns the SNAP EtherType, or `None` for plain LLC (STP, NetBIOS, ...).
#[inline]
pub fn llc_snap_ethertype(payload: &[u8]) -> Option<(u16, &[u8])> {
    match payload {
        [0xaa, 0xaa, 0x03, _, _, _, t0, t1, rest @ ..] => {
            Some((u16::from_be_bytes([*t0, *t1]), rest))
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn ethernet_fields() {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[0, 1, 2, 3, 4, 5, 0x08, 0x00, 0x45]);
        let e = EthernetFrame::new_checked(&f).unwrap();
        assert_eq!(e.ethertype(), ethertype::IPV4);
        assert_eq!(e.src(), &[0, 1, 2, 3, 4, 5]);
        assert_eq!(e.payload(), &[0x45]);
    }

    #[test]
    fn ethernet_too_short() {
        let err = EthernetFrame::new_checked(&[0u8; 13]).unwrap_err();
        assert_eq!(
            (err.layer, err.required, err.len),
            (Layer::Ethernet, 14, 13)
        );
    }

    #[test]
    fn vlan_tag_fields() {
        let t = VlanTag::new_checked(&[0xa0, 0x64, 0x86, 0xdd, 0x60]).unwrap();
        assert_eq!(
            (t.priority(), t.vid(), t.ethertype()),
            (5, 100, ethertype::IPV6)
        );
        assert!(VlanTag::new_checked(&[0x00, 0x64, 0x08]).is_err());
    }

    #[test]
    fn snap() {
        assert_eq!(
            llc_snap_ethertype(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 0x45]),
            Some((0x0800, &[0x45u8][..]))
        );
        // STP BPDU: DSAP/SSAP 0x42.
        assert_eq!(llc_snap_ethertype(&[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]), None);
    }
}
