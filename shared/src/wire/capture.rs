//! pcap and pcapng readers over a byte slice (usually a memory-mapped file).
//!
//! - `CaptureReader::new(&[u8]) -> Result<CaptureReader, CaptureError>` detects pcap (both
//!   byte orders, micro/nanosecond magic) and pcapng (several sections, each with its own byte
//!   order; interfaces with their own link type, snap length, `if_tsresol` (powers of 10 and of
//!   2) and `if_tsoffset`; EPB, SPB and the obsolete PB; other blocks skipped).
//! - `Iterator<Item = Result<Frame<'a>, CaptureError>>`: a truncated last record yields one
//!   `Err` and then `None`; the frames before it are kept. Any error ends the iteration.
//! - `CaptureReader::offset()` is the byte offset read so far (progress reporting).
//! - No allocation per frame: frames borrow the input; only interface descriptions are stored.
use crate::net::Nanos;

/// LINKTYPE_* value of the interface a frame was captured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured frame, borrowed from the capture buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts: Nanos,
    pub link_type: LinkType,
    /// The captured bytes (possibly shorter than `orig_len` when the snap length cut them).
    pub data: &'a [u8],
    pub orig_len: u32,
    /// pcapng interface index within its section (0 for pcap).
    pub interface: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error(
        "not a pcap or pcapng file (first bytes {0:02x?}); give a capture written by tcpdump, tshark or dumpcap"
    )]
    UnknownFormat([u8; 4]),
    #[error("the capture file is empty or shorter than its header ({0} bytes)")]
    TooShort(usize),
    #[error("capture truncated at byte {offset}: record needs {needed} bytes, {available} left")]
    Truncated {
        offset: usize,
        needed: usize,
        available: usize,
    },
    #[error("malformed capture block at byte {offset}: {what}")]
    Malformed { offset: usize, what: &'static str },
}

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap,
    PcapNg,
}

/// Timestamp units of an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TsRes {
    /// 10^-n seconds.
    Pow10(u8),
    /// 2^-n seconds.
    Pow2(u8),
}

impl TsRes {
    fn to_nanos(self, units: u64) -> Nanos {
        match self {
            TsRes::Pow10(9) => units,
            TsRes::Pow10(n) if n < 9 => units.saturating_mul(10u64.pow(u32::from(9 - n))),
            TsRes::Pow10(n) => match 10u64.checked_pow(u32::from(n - 9)) {
                Some(div) => units / div,
                None => 0,
            },
            TsRes::Pow2(n) => {
                let ns = (u128::from(units) * 1_000_000_000) >> n.min(127);
                u64::try_from(ns).unwrap_or(u64::MAX)
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    res: TsRes,
    /// `if_tsoffset`: seconds added to every timestamp.
    offset_secs: i64,
}

#[derive(Debug, Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, b: &[u8], off: usize) -> Option<u16> {
        let a: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }
    fn u32(self, b: &[u8], off: usize) -> Option<u32> {
        let a: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
    fn i64(self, b: &[u8], off: usize) -> Option<i64> {
        let a: [u8; 8] = b.get(off..off.checked_add(8)?)?.try_into().ok()?;
        Some(if self.big {
            i64::from_be_bytes(a)
        } else {
            i64::from_le_bytes(a)
        })
    }
}

mod pcap {
    pub(super) const HEADER_LEN: usize = 24;
    pub(super) const RECORD_LEN: usize = 16;
    pub(super) const MAGIC_US: u32 = 0xa1b2_c3d4;
    pub(super) const MAGIC_NS: u32 = 0xa1b2_3c4d;
}

mod ng {
    pub(super) const SHB: u32 = 0x0a0d_0d0a;
    pub(super) const IDB: u32 = 1;
    pub(super) const PB: u32 = 2;
    pub(super) const SPB: u32 = 3;
    pub(super) const EPB: u32 = 6;
    pub(super) const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
    /// Block type + total length + trailing total length.
    pub(super) const MIN_BLOCK: usize = 12;
    pub(super) const OPT_END: u16 = 0;
    pub(super) const IF_TSRESOL: u16 = 9;
    pub(super) const IF_TSOFFSET: u16 = 14;
}

/// Reads frames from a pcap or pcapng file held in memory.
#[derive(Debug, Clone)]
pub struct CaptureReader<'a> {
    buf: &'a [u8],
    pos: usize,
    format: CaptureFormat,
    endian: Endian,
    done: bool,
    /// pcap: link type and timestamp units of the file.
    pcap_link: LinkType,
    pcap_res: TsRes,
    /// pcapng: interfaces of the current section.
    interfaces: Vec<Interface>,
    /// Last timestamp seen (simple packet blocks carry none).
    last_ts: Nanos,
}

impl<'a> CaptureReader<'a> {
    /// Detects the format and reads the file header.
    pub fn new(buf: &'a [u8]) -> Result<Self, CaptureError> {
        let magic: [u8; 4] = match buf.get(..4) {
            Some(&[a, b, c, d]) => [a, b, c, d],
            _ => return Err(CaptureError::TooShort(buf.len())),
        };
        let mut r = Self {
            buf,
            pos: 0,
            format: CaptureFormat::Pcap,
            endian: Endian { big: false },
            done: false,
            pcap_link: LinkType::ETHERNET,
            pcap_res: TsRes::Pow10(6),
            interfaces: Vec::new(),
            last_ts: 0,
        };
        let (le, be) = (u32::from_le_bytes(magic), u32::from_be_bytes(magic));
        if le == ng::SHB {
            r.format = CaptureFormat::PcapNg;
            if buf.len() < ng::MIN_BLOCK {
                return Err(CaptureError::TooShort(buf.len()));
            }
            section_endian(buf, 0)?;
            return Ok(r);
        }
        let (big, res) = match (le, be) {
            (pcap::MAGIC_US, _) => (false, TsRes::Pow10(6)),
            (pcap::MAGIC_NS, _) => (false, TsRes::Pow10(9)),
            (_, pcap::MAGIC_US) => (true, TsRes::Pow10(6)),
            (_, pcap::MAGIC_NS) => (true, TsRes::Pow10(9)),
            _ => return Err(CaptureError::UnknownFormat(magic)),
        };
        if buf.len() < pcap::HEADER_LEN {
            return Err(CaptureError::TooShort(buf.len()));
        }
        r.endian = Endian { big };
        r.pcap_res = res;
        // The upper bits of the link type field hold FCS information.
        let link = r.endian.u32(buf, 20).unwrap_or(1) & 0xffff;
        r.pcap_link = LinkType(link);
        r.pos = pcap::HEADER_LEN;
        Ok(r)
    }

    /// pcap or pcapng.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Total size of the input.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn truncated(&self, needed: usize) -> CaptureError {
        CaptureError::Truncated {
            offset: self.pos,
            needed,
            available: self.buf.len() - self.pos,
        }
    }

    fn next_pcap(&mut self) -> Option<Result<Frame<'a>, CaptureError>> {
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let e = self.endian;
        let (Some(sec), Some(frac), Some(incl), Some(orig)) = (
            e.u32(rest, 0),
            e.u32(rest, 4),
            e.u32(rest, 8),
            e.u32(rest, 12),
        ) else {
            return Some(Err(self.truncated(pcap::RECORD_LEN)));
        };
        let needed = pcap::RECORD_LEN.saturating_add(incl as usize);
        let Some(data) = rest.get(pcap::RECORD_LEN..needed) else {
            return Some(Err(self.truncated(needed)));
        };
        self.pos += needed;
        let ts = u64::from(sec) * 1_000_000_000 + self.pcap_res.to_nanos(u64::from(frac));
        Some(Ok(Frame {
            ts,
            link_type: self.pcap_link,
            data,
            orig_len: orig,
            interface: 0,
        }))
    }

    fn next_pcapng(&mut self) -> Option<Result<Frame<'a>, CaptureError>> {
        loop {
            let start = self.pos;
            let rest = self.buf.get(start..)?;
            if rest.is_empty() {
                return None;
            }
            if rest.len() < ng::MIN_BLOCK {
                return Some(Err(self.truncated(ng::MIN_BLOCK)));
            }
            let mut e = self.endian;
            let is_shb = e.u32(rest, 0) == Some(ng::SHB);
            if is_shb {
                e = match section_endian(self.buf, start) {
                    Ok(e) => e,
                    Err(err) => return Some(Err(err)),
                };
            }
            let total = e.u32(rest, 4).unwrap_or(0) as usize;
            if total < ng::MIN_BLOCK || total & 3 != 0 {
                return Some(Err(CaptureError::Malformed {
                    offset: start,
                    what: "block length below 12 or not a multiple of 4",
                }));
            }
            if total > rest.len() {
                return Some(Err(self.truncated(total)));
            }
            let body = rest.get(8..total - 4).unwrap_or(&[]);
            let btype = e.u32(rest, 0).unwrap_or(0);
            self.pos += total;
            let malformed = |what| {
                Some(Err(CaptureError::Malformed {
                    offset: start,
                    what,
                }))
            };
            match btype {
                ng::SHB => {
                    if body.len() < 16 {
                        return malformed("section header block shorter than 28 bytes");
                    }
                    self.endian = e;
                    self.interfaces.clear();
                }
                ng::IDB => {
                    let (Some(link), Some(snaplen)) = (e.u16(body, 0), e.u32(body, 4)) else {
                        return malformed("interface description block shorter than 20 bytes");
                    };
                    let mut itf = Interface {
                        link_type: LinkType(u32::from(link)),
                        snaplen,
                        res: TsRes::Pow10(6),
                        offset_secs: 0,
                    };
                    if let Err(what) = read_if_options(e, body.get(8..).unwrap_or(&[]), &mut itf) {
                        return malformed(what);
                    }
                    self.interfaces.push(itf);
                }
                ng::EPB | ng::PB => {
                    let (iface, hdr): (Option<u32>, usize) = if btype == ng::EPB {
                        (e.u32(body, 0), 20)
                    } else {
                        (e.u16(body, 0).map(u32::from), 20)
                    };
                    let (Some(iface), Some(hi), Some(lo), Some(cap), Some(orig)) = (
                        iface,
                        e.u32(body, 4),
                        e.u32(body, 8),
                        e.u32(body, 12),
                        e.u32(body, 16),
                    ) else {
                        return malformed("packet block shorter than its fixed fields");
                    };
                    let Some(data) = body.get(hdr..hdr.saturating_add(cap as usize)) else {
                        return malformed("captured length exceeds the block");
                    };
                    let Some(itf) = self.interfaces.get(iface as usize) else {
                        return malformed("packet block refers to an undefined interface");
                    };
                    let units = (u64::from(hi) << 32) | u64::from(lo);
                    let ts = itf
                        .res
                        .to_nanos(units)
                        .saturating_add_signed(itf.offset_secs.saturating_mul(1_000_000_000));
                    self.last_ts = ts;
                    let f = Frame {
                        ts,
                        link_type: itf.link_type,
                        data,
                        orig_len: orig,
                        interface: iface,
                    };
                    return Some(Ok(f));
                }
                ng::SPB => {
                    let Some(orig) = e.u32(body, 0) else {
                        return malformed("simple packet block shorter than 16 bytes");
                    };
                    let Some(itf) = self.interfaces.first() else {
                        return malformed("simple packet block without an interface");
                    };
                    // The captured length is implied: the original length cut by the snap length.
                    let mut cap = (orig as usize).min(body.len() - 4);
                    if itf.snaplen != 0 {
                        cap = cap.min(itf.snaplen as usize);
                    }
                    let data = body.get(4..4 + cap).unwrap_or(&[]);
                    let f = Frame {
                        ts: self.last_ts,
                        link_type: itf.link_type,
                        data,
                        orig_len: orig,
                        interface: 0,
                    };
                    return Some(Ok(f));
                }
                // Name resolution, statistics, decryption secrets, custom blocks, ...
                _ => {}
            }
        }
    }
}

/// Byte order of the section whose header block starts at `start`.
fn section_endian(buf: &[u8], start: usize) -> Result<Endian, CaptureError> {
    let m: [u8; 4] = buf
        .get(start + 8..start + 12)
        .and_then(|m| m.try_into().ok())
        .ok_or(CaptureError::Truncated {
            offset: start,
            needed: ng::MIN_BLOCK,
            available: buf.len().saturating_sub(start),
        })?;
    if u32::from_le_bytes(m) == ng::BYTE_ORDER_MAGIC {
        Ok(Endian { big: false })
    } else if u32::from_be_bytes(m) == ng::BYTE_ORDER_MAGIC {
        Ok(Endian { big: true })
    } else {
        Err(CaptureError::Malformed {
            offset: start,
            what: "section header byte-order magic is wrong",
        })
    }
}

/// Reads the IDB options the reader needs (`if_tsresol`, `if_tsoffset`).
fn read_if_options(e: Endian, mut opts: &[u8], itf: &mut Interface) -> Result<(), &'static str> {
    while opts.len() >= 4 {
        let code = e.u16(opts, 0).unwrap_or(0);
        let len = usize::from(e.u16(opts, 2).unwrap_or(0));
        if code == ng::OPT_END {
            break;
        }
        let value = opts
            .get(4..4 + len)
            .ok_or("interface option longer than its block")?;
        match (code, value) {
            (ng::IF_TSRESOL, &[r, ..]) => {
                itf.res = if r & 0x80 != 0 {
                    TsRes::Pow2(r & 0x7f)
                } else {
                    TsRes::Pow10(r)
                };
            }
            (ng::IF_TSOFFSET, v) if v.len() == 8 => itf.offset_secs = e.i64(v, 0).unwrap_or(0),
            _ => {}
        }
        opts = opts.get(4 + len.next_multiple_of(4)..).unwrap_or(&[]);
    }
    Ok(())
}

impl<'a> Iterator for CaptureReader<'a> {
    type Item = Result<Frame<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.format {
            CaptureFormat::Pcap => self.next_pcap(),
            CaptureFormat::PcapNg => self.next_pcapng(),
        };
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl std::iter::FusedIterator for CaptureReader<'_> {}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn w32(v: &mut Vec<u8>, big: bool, x: u32) {
        v.extend_from_slice(&if big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        });
    }
    fn w16(v: &mut Vec<u8>, big: bool, x: u16) {
        v.extend_from_slice(&if big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        });
    }

    fn pcap(big: bool, magic: u32, link: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut v = Vec::new();
        w32(&mut v, big, magic);
        w16(&mut v, big, 2);
        w16(&mut v, big, 4);
        w32(&mut v, big, 0);
        w32(&mut v, big, 0);
        w32(&mut v, big, 65535);
        w32(&mut v, big, link);
        for (sec, frac, data) in records {
            w32(&mut v, big, *sec);
            w32(&mut v, big, *frac);
            w32(&mut v, big, data.len() as u32);
            w32(&mut v, big, data.len() as u32 + 10);
            v.extend_from_slice(data);
        }
        v
    }

    #[test]
    fn pcap_le_microseconds() {
        let f = pcap(
            false,
            0xa1b2c3d4,
            1,
            &[(10, 5, b"abc"), (11, 999_999, b"de")],
        );
        let mut r = CaptureReader::new(&f).unwrap();
        assert_eq!(r.format(), CaptureFormat::Pcap);
        let a = r.next().unwrap().unwrap();
        assert_eq!(
            (a.ts, a.link_type, a.data, a.orig_len, a.interface),
            (10_000_005_000, LinkType::ETHERNET, &b"abc"[..], 13, 0)
        );
        let b = r.next().unwrap().unwrap();
        assert_eq!((b.ts, b.data), (11_999_999_000, &b"de"[..]));
        assert!(r.next().is_none());
        assert_eq!(r.offset(), f.len());
    }

    #[test]
    fn pcap_be_nanoseconds_and_link_type() {
        let f = pcap(true, 0xa1b23c4d, 113, &[(1, 123_456_789, b"x")]);
        assert_eq!(&f[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
        let frames: Vec<_> = CaptureReader::new(&f)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            (frames[0].ts, frames[0].link_type),
            (1_123_456_789, LinkType::LINUX_SLL)
        );
        // Big-endian microseconds.
        let f = pcap(true, 0xa1b2c3d4, 101, &[(1, 2, b"x")]);
        let fr = CaptureReader::new(&f).unwrap().next().unwrap().unwrap();
        assert_eq!((fr.ts, fr.link_type), (1_000_002_000, LinkType::RAW));
    }

    #[test]
    fn pcap_truncated_last_record_yields_one_error() {
        let f = pcap(false, 0xa1b2c3d4, 1, &[(1, 0, b"abcd"), (2, 0, b"efgh")]);
        for cut in [f.len() - 1, f.len() - 4 - 9] {
            let mut r = CaptureReader::new(&f[..cut]).unwrap();
            assert!(r.next().unwrap().is_ok());
            assert!(matches!(
                r.next(),
                Some(Err(CaptureError::Truncated { offset: 44, .. }))
            ));
            assert!(r.next().is_none());
            assert!(r.next().is_none());
        }
    }

    #[test]
    fn unknown_and_short_inputs() {
        assert_eq!(
            CaptureReader::new(b"").unwrap_err(),
            CaptureError::TooShort(0)
        );
        assert_eq!(
            CaptureReader::new(b"GET / HTTP").unwrap_err(),
            CaptureError::UnknownFormat(*b"GET ")
        );
        let f = pcap(false, 0xa1b2c3d4, 1, &[]);
        assert_eq!(
            CaptureReader::new(&f[..20]).unwrap_err(),
            CaptureError::TooShort(20)
        );
        assert_eq!(CaptureReader::new(&f).unwrap().count(), 0);
    }

    fn block(big: bool, btype: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().next_multiple_of(4);
        let total = (12 + padded) as u32;
        let mut v = Vec::new();
        w32(&mut v, big, btype);
        w32(&mut v, big, total);
        v.extend_from_slice(body);
        v.resize(8 + padded, 0);
        w32(&mut v, big, total);
        v
    }
    fn shb(big: bool) -> Vec<u8> {
        let mut b = Vec::new();
        w32(&mut b, big, 0x1a2b3c4d);
        w16(&mut b, big, 1);
        w16(&mut b, big, 0);
        b.extend_from_slice(&[0xff; 8]); // section length unknown
        block(big, 0x0a0d0d0a, &b)
    }
    fn idb(big: bool, link: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut b = Vec::new();
        w16(&mut b, big, link);
        w16(&mut b, big, 0);
        w32(&mut b, big, snaplen);
        for (code, val) in opts {
            w16(&mut b, big, *code);
            w16(&mut b, big, val.len() as u16);
            b.extend_from_slice(val);
            b.resize(b.len().next_multiple_of(4), 0);
        }
        w32(&mut b, big, 0); // opt_endofopt
        block(big, 1, &b)
    }
    fn epb(big: bool, iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        w32(&mut b, big, iface);
        w32(&mut b, big, (ts >> 32) as u32);
        w32(&mut b, big, ts as u32);
        w32(&mut b, big, data.len() as u32);
        w32(&mut b, big, data.len() as u32);
        b.extend_from_slice(data);
        block(big, 6, &b)
    }

    #[test]
    fn pcapng_interfaces_resolutions_offsets_and_sections() {
        let mut f = shb(false);
        f.extend(idb(false, 1, 0, &[])); // 0: Ethernet, microseconds (default)
        f.extend(idb(false, 113, 0, &[(9, &[9]), (2, b"eth1")])); // 1: SLL, nanoseconds
        f.extend(idb(false, 101, 0, &[(9, &[0x80 | 10])])); // 2: raw, 2^-10 s
        let off: i64 = 100;
        f.extend(idb(false, 0, 0, &[(9, &[3]), (14, &off.to_le_bytes())])); // 3: ms + 100 s
        f.extend(block(false, 4, &[0, 0, 0, 0])); // name resolution block: skipped
        f.extend(epb(false, 0, 1_500_000, b"e0"));
        f.extend(epb(false, 1, 2_000_000_123, b"e1"));
        f.extend(block(false, 5, &[0; 16])); // interface statistics: skipped
        f.extend(epb(false, 2, 3 * 1024 + 512, b"e2"));
        f.extend(epb(false, 3, 4_250, b"e3"));
        f.extend(block(false, 0x0000_0bad, &[1, 2, 3])); // custom block: skipped
        // A second, big-endian section: interfaces start again from 0.
        f.extend(shb(true));
        f.extend(idb(true, 228, 0, &[(9, &[6])]));
        f.extend(epb(true, 0, 7_000_001, b"be"));
        let frames: Vec<Frame<'_>> = CaptureReader::new(&f)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let got: Vec<_> = frames
            .iter()
            .map(|f| (f.ts, f.link_type.0, f.interface, f.data))
            .collect();
        assert_eq!(
            got,
            [
                (1_500_000_000, 1, 0, &b"e0"[..]),
                (2_000_000_123, 113, 1, &b"e1"[..]),
                (3_500_000_000, 101, 2, &b"e2"[..]),
                (104_250_000_000, 0, 3, &b"e3"[..]),
                (7_000_001_000, 228, 0, &b"be"[..]),
            ]
        );
    }

    #[test]
    fn pcapng_simple_and_obsolete_packet_blocks() {
        let mut f = shb(true);
        f.extend(idb(true, 1, 4, &[]));
        f.extend(epb(true, 0, 9, b"a"));
        // SPB: original length 6, snap length 4 -> 4 bytes, timestamp of the previous packet.
        let mut spb = Vec::new();
        w32(&mut spb, true, 6);
        spb.extend_from_slice(b"abcdef");
        f.extend(block(true, 3, &spb));
        // Obsolete packet block: 16-bit interface id and drops count.
        let mut pb = Vec::new();
        w16(&mut pb, true, 0);
        w16(&mut pb, true, 0);
        w32(&mut pb, true, 0);
        w32(&mut pb, true, 11);
        w32(&mut pb, true, 2);
        w32(&mut pb, true, 2);
        pb.extend_from_slice(b"pb");
        f.extend(block(true, 2, &pb));
        let frames: Vec<Frame<'_>> = CaptureReader::new(&f)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let got: Vec<_> = frames.iter().map(|f| (f.ts, f.data, f.orig_len)).collect();
        assert_eq!(
            got,
            [
                (9_000, &b"a"[..], 1),
                (9_000, &b"abcd"[..], 6),
                (11_000, &b"pb"[..], 2)
            ]
        );
    }

    #[test]
    fn pcapng_errors() {
        let mut f = shb(false);
        f.extend(idb(false, 1, 0, &[]));
        f.extend(epb(false, 0, 1, b"ok"));
        let good = f.len();
        f.extend(epb(false, 0, 2, b"cut"));
        let mut r = CaptureReader::new(&f[..f.len() - 2]).unwrap();
        assert!(r.next().unwrap().is_ok());
        assert!(
            matches!(r.next(), Some(Err(CaptureError::Truncated { offset, .. })) if offset == good)
        );
        assert!(r.next().is_none());
        // Packet on an interface never described.
        let mut g = f[..good].to_vec();
        g.extend(epb(false, 5, 1, b"x"));
        assert!(matches!(
            CaptureReader::new(&g).unwrap().nth(1),
            Some(Err(CaptureError::Malformed { .. }))
        ));
        // Block length not a multiple of 4.
        let mut h = f[..good].to_vec();
        h.extend_from_slice(&[6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(
            CaptureReader::new(&h).unwrap().nth(1),
            Some(Err(CaptureError::Malformed { .. }))
        ));
        // Wrong byte-order magic.
        let mut bad = shb(false);
        bad[8] = 0;
        assert!(matches!(
            CaptureReader::new(&bad),
            Err(CaptureError::Malformed { offset: 0, .. })
        ));
    }

    #[test]
    fn timestamp_resolutions() {
        assert_eq!(TsRes::Pow10(6).to_nanos(3), 3_000);
        assert_eq!(TsRes::Pow10(0).to_nanos(3), 3_000_000_000);
        assert_eq!(TsRes::Pow10(12).to_nanos(3_000), 3);
        assert_eq!(TsRes::Pow10(127).to_nanos(u64::MAX), 0);
        assert_eq!(TsRes::Pow2(1).to_nanos(3), 1_500_000_000);
        assert_eq!(TsRes::Pow2(30).to_nanos(1 << 30), 1_000_000_000);
        assert_eq!(TsRes::Pow2(0).to_nanos(u64::MAX), u64::MAX);
    }
}
