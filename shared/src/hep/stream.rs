//! Framing of HEPv3 packets in a byte stream (TCP, TLS): where the next packet ends, and how
//! to find the next packet after garbage.
//!
//! HEPv1/v2 have no length field and cannot be framed in a stream; only HEPv3/EEPv3 here.
use super::error::HepError;
use super::v3::{HEADER_LEN, MAGIC_EEP3, MAGIC_HEP3};

/// Checks the 6-byte header at the start of `buf` and returns the total length it declares
/// (6..=65535). `Truncated` when `buf` is shorter than the header.
pub(super) fn check_header(buf: &[u8]) -> Result<usize, HepError> {
    let Some(&[a, b, c, d, h, l]) = buf.get(..HEADER_LEN) else {
        check_magic_prefix(buf)?;
        return Err(HepError::Truncated {
            needed: HEADER_LEN,
            available: buf.len(),
        });
    };
    let magic = [a, b, c, d];
    if magic != MAGIC_HEP3 && magic != MAGIC_EEP3 {
        return Err(HepError::BadMagic(magic));
    }
    let total = u16::from_be_bytes([h, l]);
    if usize::from(total) < HEADER_LEN {
        return Err(HepError::BadTotalLength(total));
    }
    Ok(usize::from(total))
}

/// Fails early when the bytes present (fewer than 4) cannot start "HEP3" or "EEP3".
fn check_magic_prefix(buf: &[u8]) -> Result<(), HepError> {
    let n = buf.len().min(4);
    let head = buf.get(..n).unwrap_or_default();
    if MAGIC_HEP3.starts_with(head) || MAGIC_EEP3.starts_with(head) {
        return Ok(());
    }
    let mut m = [0u8; 4];
    for (dst, src) in m.iter_mut().zip(head) {
        *dst = *src;
    }
    Err(HepError::BadMagic(m))
}

/// Is a complete HEPv3 packet at the start of `buf`?
///
/// - `Ok(Some(len))`: yes, `buf[..len]` is one packet (its chunks are not checked yet: give it
///   to [`super::Hep3Packet::new_checked`]; if that fails, the stream is still in sync and the
///   caller skips `len` bytes).
/// - `Ok(None)`: not yet; read more bytes (at most 65535 are ever needed).
/// - `Err(_)`: the bytes at the start are not a HEPv3 header (bad ID or total length < 6):
///   the stream is out of sync; call [`resync`] and count what it skips.
pub fn next_packet(buf: &[u8]) -> Result<Option<usize>, HepError> {
    match check_header(buf) {
        Ok(total) if total <= buf.len() => Ok(Some(total)),
        Ok(_) => Ok(None),
        Err(HepError::Truncated { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Result of [`resync`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resync {
    /// Bytes to drop from the front of the buffer (the engine counts them).
    pub skipped: usize,
    /// A "HEP3"/"EEP3" ID starts right after the skipped bytes. When false, the whole buffer
    /// was skipped except a last 1-3 bytes that may begin an ID: keep them and read more.
    pub found: bool,
}

/// Finds the next "HEP3" or "EEP3" ID after the first byte of `buf` (the byte at 0 is known not
/// to start a valid packet, so at least one byte is always skipped when `buf` is not empty).
///
/// A marker found this way may be a coincidence inside a payload; the caller then gets an error
/// from [`next_packet`] or [`super::Hep3Packet::new_checked`] and resyncs again.
pub fn resync(buf: &[u8]) -> Resync {
    let Some(rest) = buf.get(1..) else {
        return Resync {
            skipped: 0,
            found: false,
        };
    };
    let finder = memchr::memmem::find_iter(rest, b"EP3");
    for i in finder {
        // The 'H' or 'E' before "EP3" is at rest[i - 1], i.e. buf[i].
        if matches!(buf.get(i), Some(b'H' | b'E')) && i >= 1 {
            return Resync {
                skipped: i,
                found: true,
            };
        }
    }
    // Keep a tail that may be the start of an ID ("H", "HE", "HEP", "E", "EE", "EEP").
    let mut keep = 0;
    for k in (1..=3usize).rev() {
        let Some(start) = buf.len().checked_sub(k) else {
            continue;
        };
        if start == 0 {
            continue;
        }
        let tail = buf.get(start..).unwrap_or_default();
        if MAGIC_HEP3.starts_with(tail) || MAGIC_EEP3.starts_with(tail) {
            keep = k;
            break;
        }
    }
    Resync {
        skipped: buf.len() - keep,
        found: false,
    }
}
