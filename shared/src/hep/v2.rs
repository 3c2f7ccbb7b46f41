//! HEPv1 and HEPv2 (legacy, UDP only: no length framing).
//!
//! Layout (captagent `transport_hep.h`, Kamailio/OpenSIPS `hep.h`, sngrep `capture_eep.c`):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | version (1 or 2) |
//! | 1 | 1 | header length `hp_l` |
//! | 2 | 1 | address family (2 AF_INET, 10 AF_INET6) |
//! | 3 | 1 | IP protocol |
//! | 4 | 2 | source port (big-endian) |
//! | 6 | 2 | destination port (big-endian) |
//! | 8 | 4+4 or 16+16 | source, destination address |
//! | 16 / 40 | 12 | v2 only: `struct hep_timehdr { u32 tv_sec; u32 tv_usec; u16 captid; }` |
//! | … | … | payload (SIP) |
//!
//! Interop quirks handled here:
//! - `hep_timehdr` is a C struct written with `memcpy`: 10 bytes of fields plus 2 bytes of
//!   padding (12 in all) from every C sender (captagent, Kamailio, OpenSIPS, sngrep), and its
//!   fields (capture id included) are in the sender's byte order, not network order (little-endian on x86/ARM, as the
//!   sngrep capture in the corpus shows). heplify-server reads 10 bytes big-endian instead.
//!   The padding is detected by the header length byte: `hp_l` = address end + 10 means a
//!   packed 10-byte time header, `hp_l` = address end + 12 or anything else (captagent and
//!   Kamailio write `hp_l` = address end; sngrep writes a truncated `htons(total)`) means 12.
//!   The padding bytes are uninitialised memory (sngrep 1.6 sends non-zero bytes there), so
//!   they cannot be recognised by content.
//! - Byte order of the time fields: little-endian, unless that gives microseconds >= 1e6 and
//!   big-endian does not (a big-endian sender).
//! - AF_INET6 is 10 on Linux; the BSD, macOS and Windows values (23, 24, 28, 30) are accepted.
use super::error::{HepError, Missing};
use super::v3::{HepMessage, HepVersion, IpFamily, ProtocolType};
use crate::net::Endpoint;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Fixed header before the addresses.
const BASE_LEN: usize = 8;
/// `hep_timehdr` fields without padding.
const TIME_FIELDS_LEN: usize = 10;
/// `hep_timehdr` as C lays it out (with 2 bytes of tail padding).
const TIME_STRUCT_LEN: usize = 12;

fn bytes<const N: usize>(buf: &[u8], at: usize) -> Result<[u8; N], HepError> {
    buf.get(at..at + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(HepError::Truncated {
            needed: at + N,
            available: buf.len(),
        })
}

/// Decodes a HEPv1 or HEPv2 datagram. The payload is reported as SIP (the only thing v1/v2
/// carry); v1 has no timestamp (`ts` = `None`) and no capture id.
pub fn decode_v12(buf: &[u8]) -> Result<HepMessage<'_>, HepError> {
    let [version, hp_l, family, proto, s0, s1, d0, d1] = bytes::<8>(buf, 0).map_err(|e| {
        // A short buffer that does not start like HEPv1/v2 is reported as such.
        match buf.first() {
            Some(1 | 2) | None => e,
            Some(_) => HepError::BadMagic(first4(buf)),
        }
    })?;
    let version = match version {
        1 => HepVersion::V1,
        2 => HepVersion::V2,
        _ => return Err(HepError::BadMagic(first4(buf))),
    };
    let (ip_family, src, dst, addr_end) = match family {
        2 => {
            let s = Ipv4Addr::from(bytes::<4>(buf, BASE_LEN)?);
            let d = Ipv4Addr::from(bytes::<4>(buf, BASE_LEN + 4)?);
            (IpFamily::V4, IpAddr::V4(s), IpAddr::V4(d), BASE_LEN + 8)
        }
        10 | 23 | 24 | 28 | 30 => {
            let s = Ipv6Addr::from(bytes::<16>(buf, BASE_LEN)?);
            let d = Ipv6Addr::from(bytes::<16>(buf, BASE_LEN + 16)?);
            (IpFamily::V6, IpAddr::V6(s), IpAddr::V6(d), BASE_LEN + 32)
        }
        other => return Err(HepError::BadFamily(other)),
    };
    let mut at = addr_end;
    let (mut ts, mut capture_id) = (None, None);
    if version == HepVersion::V2 {
        let t = bytes::<TIME_FIELDS_LEN>(buf, at)?;
        let (sec, usec, big) = time_fields(&t);
        ts = Some(u64::from(sec) * 1_000_000_000 + u64::from(usec) * 1_000);
        let [.., c0, c1] = t;
        let id = if big {
            u16::from_be_bytes([c0, c1])
        } else {
            u16::from_le_bytes([c0, c1])
        };
        capture_id = Some(u32::from(id));
        at += if usize::from(hp_l) == addr_end + TIME_FIELDS_LEN {
            TIME_FIELDS_LEN
        } else {
            TIME_STRUCT_LEN
        };
    }
    let payload = buf.get(at..).unwrap_or_default();
    if payload.is_empty() {
        return Err(HepError::Missing(Missing::Payload));
    }
    Ok(HepMessage {
        version,
        ip_family,
        ip_proto: Some(proto),
        src: Endpoint::new(src, u16::from_be_bytes([s0, s1])),
        dst: Endpoint::new(dst, u16::from_be_bytes([d0, d1])),
        ts,
        proto_type: ProtocolType::Sip,
        capture_id,
        capture_name: None,
        auth_key: None,
        payload,
        payload_compressed: false,
        correlation_id: None,
        vlan: None,
        mos: None,
        keepalive: None,
        group_id: None,
        seq: None,
        spool_id: None,
        unknown_chunks: 0,
        vendor_chunks: 0,
    })
}

/// tv_sec and tv_usec in the sender's byte order (see the module docs), and whether that
/// order is big-endian (the capture id follows the same order).
fn time_fields(t: &[u8; TIME_FIELDS_LEN]) -> (u32, u32, bool) {
    let [a0, a1, a2, a3, b0, b1, b2, b3, ..] = *t;
    let le = (
        u32::from_le_bytes([a0, a1, a2, a3]),
        u32::from_le_bytes([b0, b1, b2, b3]),
    );
    let be = (
        u32::from_be_bytes([a0, a1, a2, a3]),
        u32::from_be_bytes([b0, b1, b2, b3]),
    );
    if le.1 >= 1_000_000 && be.1 < 1_000_000 {
        (be.0, be.1, true)
    } else {
        (le.0, le.1, false)
    }
}

fn first4(buf: &[u8]) -> [u8; 4] {
    let mut m = [0u8; 4];
    for (d, s) in m.iter_mut().zip(buf) {
        *d = *s;
    }
    m
}
