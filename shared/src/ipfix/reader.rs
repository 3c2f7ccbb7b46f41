//! A bounds-checked cursor over a set body (rustls `Reader` style): every read either returns
//! the bytes or a typed error naming the field, never panics.
use super::error::IpfixError;

/// Marks the long form of an RFC 7011 §7 variable-length field.
pub const VARLEN_LONG: u8 = 0xff;

#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], IpfixError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(IpfixError::Truncated {
                what,
                needed: n,
                available: self.remaining(),
            }),
        }
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], IpfixError> {
        let s = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, IpfixError> {
        Ok(u8::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, IpfixError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, IpfixError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// An RFC 7011 §7 variable-length field: one length octet below 255, or 0xFF and a
    /// two-octet length. The value must fit in what is left.
    pub(crate) fn varlen(&mut self, what: &'static str) -> Result<&'a [u8], IpfixError> {
        let first = self.u8(what)?;
        let len = if first == VARLEN_LONG {
            usize::from(self.u16(what)?)
        } else {
            usize::from(first)
        };
        if len > self.remaining() {
            return Err(IpfixError::VarlenOverrun {
                what,
                declared: len,
                available: self.remaining(),
            });
        }
        self.take(len, what)
    }
}

/// Appends `v` in the short variable-length form (1 length octet), or the long form when it
/// does not fit. Fails above 65535 bytes.
pub(crate) fn put_varlen_short(out: &mut Vec<u8>, v: &[u8]) -> Result<(), usize> {
    match u8::try_from(v.len()) {
        Ok(n) if n < VARLEN_LONG => {
            out.push(n);
            out.extend_from_slice(v);
            Ok(())
        }
        _ => put_varlen_long(out, v),
    }
}

/// Appends `v` in the long variable-length form (0xFF + 2 length octets), as the SBC does for
/// packets, SIP messages and QoS strings even when they are short.
pub(crate) fn put_varlen_long(out: &mut Vec<u8>, v: &[u8]) -> Result<(), usize> {
    let n = u16::try_from(v.len()).map_err(|_| v.len())?;
    out.push(VARLEN_LONG);
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7011 §7: both length encodings, and the long form used for a short value.
    #[test]
    fn rfc7011_section7_varlen_forms() {
        let mut r = Reader::new(&[3, b'a', b'b', b'c', 0xff, 0, 2, b'x', b'y']);
        assert_eq!(r.varlen("a").unwrap(), b"abc");
        assert_eq!(r.varlen("b").unwrap(), b"xy");
        assert_eq!(r.remaining(), 0);
        let mut r = Reader::new(&[0xff, 0x01]);
        assert!(matches!(r.varlen("c"), Err(IpfixError::Truncated { .. })));
        let mut r = Reader::new(&[5, 1, 2]);
        assert_eq!(
            r.varlen("d"),
            Err(IpfixError::VarlenOverrun {
                what: "d",
                declared: 5,
                available: 2
            })
        );
        let mut out = Vec::new();
        put_varlen_short(&mut out, &[7; 254]).unwrap();
        assert_eq!(out.first(), Some(&254));
        out.clear();
        put_varlen_short(&mut out, &[7; 255]).unwrap();
        assert_eq!(out.get(..3), Some(&[0xff, 0, 255][..]));
        assert!(put_varlen_long(&mut out, &vec![0; 65536]).is_err());
    }
}
