//! MPLS label stack (RFC 3032) and the Ethernet pseudowire control word (RFC 4448).
use super::error::{Layer, LenError, be};

/// One 4-byte label stack entry.
#[derive(Debug, Clone, Copy)]
pub struct MplsEntry<'a> {
    buf: &'a [u8],
}

impl<'a> MplsEntry<'a> {
    pub const HEADER_LEN: usize = 4;

    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, LenError> {
        LenError::check(Layer::Mpls, buf, Self::HEADER_LEN)?;
        Ok(Self { buf })
    }
    #[inline]
    pub fn label(&self) -> u32 {
        be::u32_at(self.buf, 0) >> 12
    }
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (be::u8_at(self.buf, 2) >> 1) & 0x07
    }
    /// Bottom-of-stack bit.
    #[inline]
    pub fn bottom(&self) -> bool {
        be::u8_at(self.buf, 2) & 0x01 != 0
    }
    #[inline]
    pub fn ttl(&self) -> u8 {
        be::u8_at(self.buf, 3)
    }
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        be::tail(self.buf, Self::HEADER_LEN)
    }
}

/// What follows the bottom of an MPLS stack: MPLS does not say, so guess by the first nibble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MplsPayload {
    Ipv4,
    Ipv6,
    /// Nibble 0: an RFC 4448 control word (4 bytes) then an Ethernet frame.
    EthernetWithControlWord,
    /// Anything else: an Ethernet pseudowire without control word.
    Ethernet,
}

/// Guesses the payload type after the bottom of stack.
#[inline]
pub fn guess_payload(payload: &[u8]) -> MplsPayload {
    match payload.first().map(|b| b >> 4) {
        Some(4) => MplsPayload::Ipv4,
        Some(6) => MplsPayload::Ipv6,
        Some(0) => MplsPayload::EthernetWithControlWord,
        _ => MplsPayload::Ethernet,
    }
}

/// Length of the pseudowire control word.
pub const CONTROL_WORD_LEN: usize = 4;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn label_stack_entry() {
        // label 16, TC 0, S=1, TTL 64
        let e = MplsEntry::new_checked(&[0x00, 0x01, 0x01, 0x40, 0x45]).unwrap();
        assert_eq!((e.label(), e.bottom(), e.ttl()), (16, true, 64));
        assert_eq!(guess_payload(e.payload()), MplsPayload::Ipv4);
        assert_eq!(
            guess_payload(&[0x00, 0, 0, 0]),
            MplsPayload::EthernetWithControlWord
        );
        assert_eq!(guess_payload(&[0x60]), MplsPayload::Ipv6);
        assert!(MplsEntry::new_checked(&[0, 1, 1]).is_err());
    }
}
