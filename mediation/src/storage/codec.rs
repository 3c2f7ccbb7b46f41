//! Byte layouts of keys and values (big-endian integers, length-prefixed strings). Decoding never
//! panics: a short or malformed value is a `Corrupt` error.
use super::{CallId, CallSummary, MsgId, NewMessage, StoreError, StoredMessage};
use callscope_shared::net::{Endpoint, Nanos, Transport};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

pub const DAY_NS: u64 = 86_400 * 1_000_000_000;

/// Chunk value format version.
const CHUNK_V1: u8 = 1;
/// Summary value format version.
const SUMMARY_V1: u8 = 1;

pub fn day(start: Nanos) -> u32 {
    u32::try_from(start / DAY_NS).unwrap_or(u32::MAX)
}

pub fn call_key(id: CallId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.start.to_be_bytes());
    k[8..].copy_from_slice(&id.seq.to_be_bytes());
    k
}

/// The `CallId` in the last 16 bytes of an index key (or a whole call key).
pub fn call_id_suffix(key: &[u8]) -> Option<CallId> {
    let at = key.len().checked_sub(16)?;
    let start = u64::from_be_bytes(key.get(at..at + 8)?.try_into().ok()?);
    let seq = u64::from_be_bytes(key.get(at + 8..at + 16)?.try_into().ok()?);
    Some(CallId { start, seq })
}

/// Bytes of a string as used in index keys: NUL (the separator) removed.
fn push_text(k: &mut Vec<u8>, text: &[u8]) {
    k.extend(text.iter().copied().filter(|&b| b != 0));
}

/// `day + kind + text + 0`: the prefix of every entry for this exact text in that day.
pub fn text_prefix(day: u32, kind: Option<u8>, text: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(text.len() + 22);
    k.extend_from_slice(&day.to_be_bytes());
    k.extend(kind);
    push_text(&mut k, text);
    k.push(0);
    k
}

pub fn text_key(kind: Option<u8>, text: &[u8], id: CallId) -> Vec<u8> {
    let mut k = text_prefix(day(id.start), kind, text);
    k.extend_from_slice(&call_key(id));
    k
}

/// The text of a `day + kind + text + 0 + CallId` key.
pub fn text_of_key(key: &[u8], kind_len: usize) -> Option<&[u8]> {
    let end = key.len().checked_sub(17)?;
    key.get(4 + kind_len..end)
}

pub fn ip16(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

pub fn ip_prefix(day: u32, ip: IpAddr) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..4].copy_from_slice(&day.to_be_bytes());
    k[4..].copy_from_slice(&ip16(ip));
    k
}

pub fn ip_key(ip: IpAddr, id: CallId) -> [u8; 36] {
    let mut k = [0u8; 36];
    k[..20].copy_from_slice(&ip_prefix(day(id.start), ip));
    k[20..].copy_from_slice(&call_key(id));
    k
}

pub fn reversed(text: &str) -> Vec<u8> {
    text.bytes().rev().collect()
}

/// Meta key of a spool cursor.
pub fn cursor_key(spool: &str) -> Vec<u8> {
    let mut k = b"c/".to_vec();
    k.extend_from_slice(spool.as_bytes());
    k
}

/// Meta key of a chunk directory entry.
pub fn dir_key(first: MsgId) -> [u8; 9] {
    let mut k = [b'd'; 9];
    k[1..].copy_from_slice(&first.0.to_be_bytes());
    k
}

/// Meta key of the closed-message list of a call: by the call's highest message id.
pub fn closed_key(max: MsgId, id: CallId) -> [u8; 25] {
    let mut k = [b'x'; 25];
    k[1..9].copy_from_slice(&max.0.to_be_bytes());
    k[9..].copy_from_slice(&call_key(id));
    k
}

/// A chunk directory entry: the writer's clock, the message bytes and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry {
    pub now: Nanos,
    pub bytes: u64,
    pub count: u32,
}

impl DirEntry {
    pub fn encode(&self) -> [u8; 20] {
        let mut v = [0u8; 20];
        v[..8].copy_from_slice(&self.now.to_be_bytes());
        v[8..16].copy_from_slice(&self.bytes.to_be_bytes());
        v[16..].copy_from_slice(&self.count.to_be_bytes());
        v
    }
    pub fn decode(v: &[u8]) -> Result<Self, StoreError> {
        let mut r = Reader::new(v, "chunk directory entry");
        Ok(DirEntry {
            now: r.u64()?,
            bytes: r.u64()?,
            count: r.u32()?,
        })
    }
}

pub fn u64_value(v: &[u8], what: &'static str) -> Result<u64, StoreError> {
    Reader::new(v, what).u64()
}

/// Appends varint-coded deltas of increasing ids.
pub fn encode_ids(ids: &[MsgId]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 2 + 4);
    let mut prev = 0u64;
    for id in ids {
        put_varint(&mut out, id.0.wrapping_sub(prev));
        prev = id.0;
    }
    out
}

pub fn decode_ids(v: &[u8]) -> Result<Vec<MsgId>, StoreError> {
    let mut r = Reader::new(v, "message id list");
    let mut out = Vec::new();
    let mut prev = 0u64;
    while !r.is_empty() {
        prev = prev.wrapping_add(r.varint()?);
        out.push(MsgId(prev));
    }
    Ok(out)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str16(out: &mut Vec<u8>, s: &[u8]) {
    let s = s.get(..s.len().min(u16::MAX as usize)).unwrap_or_default();
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

fn put_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            out.push(4);
            out.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            out.push(6);
            out.extend_from_slice(&v6.octets());
        }
    }
}

fn put_endpoint(out: &mut Vec<u8>, ep: &Endpoint) {
    put_ip(out, ep.ip);
    out.extend_from_slice(&ep.port.to_be_bytes());
}

fn transport_code(t: Transport) -> u8 {
    match t {
        Transport::Udp => 0,
        Transport::Tcp => 1,
        Transport::Sctp => 2,
        Transport::Ws => 3,
    }
}

/// Size of a message in a chunk (for cutting chunks).
pub fn encoded_len(m: &NewMessage<'_>) -> usize {
    8 + 8 + 1 + 2 * 19 + 2 + m.source.len() + 2 + m.call_id.len() + 4 + m.raw.len()
}

/// Appends one message to a chunk being built (`start_chunk` first).
pub fn start_chunk(out: &mut Vec<u8>, count: u32) {
    out.push(CHUNK_V1);
    out.extend_from_slice(&count.to_be_bytes());
}

pub fn put_message(out: &mut Vec<u8>, m: &NewMessage<'_>) {
    out.extend_from_slice(&m.id.0.to_be_bytes());
    out.extend_from_slice(&m.ts.to_be_bytes());
    out.push(transport_code(m.transport));
    put_endpoint(out, &m.src);
    put_endpoint(out, &m.dst);
    put_str16(out, m.source.as_bytes());
    put_str16(out, m.call_id);
    let raw = m
        .raw
        .get(..m.raw.len().min(u32::MAX as usize))
        .unwrap_or_default();
    out.extend_from_slice(&(raw.len() as u32).to_be_bytes());
    out.extend_from_slice(raw);
}

/// Decodes a chunk; `want` filters by id (all when it returns true).
pub fn decode_chunk(
    v: &[u8],
    mut want: impl FnMut(MsgId) -> bool,
    out: &mut Vec<StoredMessage>,
) -> Result<(), StoreError> {
    let mut r = Reader::new(v, "message chunk");
    let version = r.u8()?;
    if version != CHUNK_V1 {
        return Err(r.corrupt(format!("unknown chunk version {version}")));
    }
    let count = r.u32()?;
    for _ in 0..count {
        let id = MsgId(r.u64()?);
        if !want(id) {
            r.skip_message()?;
            continue;
        }
        let ts = r.u64()?;
        let transport = match r.u8()? {
            0 => Transport::Udp,
            1 => Transport::Tcp,
            2 => Transport::Sctp,
            3 => Transport::Ws,
            t => return Err(r.corrupt(format!("unknown transport {t}"))),
        };
        let src = r.endpoint()?;
        let dst = r.endpoint()?;
        let source = String::from_utf8_lossy(r.str16()?).into_owned();
        let call_id = r.str16()?.to_vec();
        let len = r.u32()? as usize;
        let raw = r.bytes(len)?.to_vec();
        out.push(StoredMessage {
            id,
            ts,
            src,
            dst,
            transport,
            source,
            call_id,
            raw,
        });
    }
    Ok(())
}

pub fn encode_summary(s: &CallSummary) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(SUMMARY_V1);
    out.extend_from_slice(&s.end.to_be_bytes());
    out.extend_from_slice(&s.final_status.unwrap_or(0).to_be_bytes());
    let dur = s.duration.map_or(u64::MAX, |d| {
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX - 1)
    });
    out.extend_from_slice(&dur.to_be_bytes());
    out.extend_from_slice(&s.worst_mos.unwrap_or(f64::NAN).to_bits().to_be_bytes());
    put_str16(&mut out, s.source.as_bytes());
    put_str16(&mut out, s.from_user.as_bytes());
    put_str16(&mut out, s.to_user.as_bytes());
    let n = s.call_ids.len().min(u16::MAX as usize);
    out.extend_from_slice(&(n as u16).to_be_bytes());
    for c in s.call_ids.iter().take(n) {
        put_str16(&mut out, c.as_bytes());
    }
    let n = s.ips.len().min(u16::MAX as usize);
    out.extend_from_slice(&(n as u16).to_be_bytes());
    for ip in s.ips.iter().take(n) {
        put_ip(&mut out, *ip);
    }
    out
}

/// Fields of a summary the search filters on, decoded without allocating.
pub struct SummaryView<'a> {
    pub id: CallId,
    pub end: Nanos,
    pub final_status: Option<u16>,
    pub duration: Option<Duration>,
    pub worst_mos: Option<f64>,
    pub source: &'a [u8],
    pub from_user: &'a [u8],
    pub to_user: &'a [u8],
    rest: Reader<'a>,
}

impl<'a> SummaryView<'a> {
    pub fn parse(id: CallId, v: &'a [u8]) -> Result<Self, StoreError> {
        let mut r = Reader::new(v, "call summary");
        let version = r.u8()?;
        if version != SUMMARY_V1 {
            return Err(r.corrupt(format!("unknown summary version {version}")));
        }
        let end = r.u64()?;
        let final_status = Some(r.u16()?).filter(|&s| s != 0);
        let duration = Some(r.u64()?)
            .filter(|&d| d != u64::MAX)
            .map(Duration::from_nanos);
        let worst_mos = Some(f64::from_bits(r.u64()?)).filter(|m| !m.is_nan());
        let source = r.str16()?;
        let from_user = r.str16()?;
        let to_user = r.str16()?;
        Ok(SummaryView {
            id,
            end,
            final_status,
            duration,
            worst_mos,
            source,
            from_user,
            to_user,
            rest: r,
        })
    }

    /// Call-IDs and addresses (the rest of the value).
    pub fn lists(&self) -> Result<(Vec<String>, Vec<IpAddr>), StoreError> {
        let mut r = self.rest.clone();
        let n = r.u16()?;
        let mut call_ids = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            call_ids.push(String::from_utf8_lossy(r.str16()?).into_owned());
        }
        let n = r.u16()?;
        let mut ips = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            ips.push(r.ip()?);
        }
        Ok((call_ids, ips))
    }

    pub fn has_ip(&self, ip: IpAddr) -> Result<bool, StoreError> {
        Ok(self.lists()?.1.contains(&ip))
    }

    pub fn has_call_id(&self, call_id: &str) -> Result<bool, StoreError> {
        Ok(self.lists()?.0.iter().any(|c| c == call_id))
    }

    pub fn to_summary(&self) -> Result<CallSummary, StoreError> {
        let (call_ids, ips) = self.lists()?;
        Ok(CallSummary {
            id: self.id,
            start: self.id.start,
            end: self.end,
            call_ids,
            from_user: String::from_utf8_lossy(self.from_user).into_owned(),
            to_user: String::from_utf8_lossy(self.to_user).into_owned(),
            ips,
            final_status: self.final_status,
            duration: self.duration,
            worst_mos: self.worst_mos,
            source: String::from_utf8_lossy(self.source).into_owned(),
        })
    }
}

/// A bounds-checked reader over a stored value.
#[derive(Clone)]
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, pos: 0, what }
    }
    fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            what: self.what,
            detail: format!("{detail} at byte {}", self.pos),
        }
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|e| self.buf.get(self.pos..e)) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(self.corrupt(format!("truncated: {n} more bytes expected"))),
        }
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, StoreError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, StoreError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn varint(&mut self) -> Result<u64, StoreError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt("varint too long".into()))
    }
    fn str16(&mut self) -> Result<&'a [u8], StoreError> {
        let n = self.u16()?;
        self.bytes(usize::from(n))
    }
    fn ip(&mut self) -> Result<IpAddr, StoreError> {
        match self.u8()? {
            4 => Ok(IpAddr::V4(Ipv4Addr::from(self.array::<4>()?))),
            6 => Ok(IpAddr::V6(Ipv6Addr::from(self.array::<16>()?))),
            f => Err(self.corrupt(format!("unknown address family {f}"))),
        }
    }
    fn endpoint(&mut self) -> Result<Endpoint, StoreError> {
        let ip = self.ip()?;
        Ok(Endpoint::new(ip, self.u16()?))
    }
    /// Skips the rest of a chunk message after its id.
    fn skip_message(&mut self) -> Result<(), StoreError> {
        self.bytes(9)?;
        self.endpoint()?;
        self.endpoint()?;
        self.str16()?;
        self.str16()?;
        let len = self.u32()? as usize;
        self.bytes(len)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let ids = [
            MsgId(1),
            MsgId(2),
            MsgId(300),
            MsgId(1 << 40),
            MsgId(u64::MAX),
        ];
        assert_eq!(decode_ids(&encode_ids(&ids)).unwrap(), ids);
    }

    #[test]
    fn truncated_values_are_errors_not_panics() {
        let s = CallSummary {
            id: CallId { start: 5, seq: 1 },
            start: 5,
            end: 9,
            call_ids: vec!["a@b".into()],
            from_user: "100".into(),
            to_user: "200".into(),
            ips: vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            final_status: Some(200),
            duration: Some(Duration::from_millis(1500)),
            worst_mos: Some(4.1),
            source: "probe1".into(),
        };
        let v = encode_summary(&s);
        let view = SummaryView::parse(s.id, &v).unwrap();
        assert_eq!(view.to_summary().unwrap(), s);
        for cut in 0..v.len() {
            let r = SummaryView::parse(s.id, &v[..cut]).and_then(|v| v.to_summary());
            assert!(r.is_err(), "cut at {cut}");
        }
        let mut out = Vec::new();
        for cut in 0..12 {
            let _ = decode_chunk(
                &[1, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7][..cut],
                |_| true,
                &mut out,
            );
        }
    }

    #[test]
    fn text_keys_hold_the_call_id() {
        let id = CallId {
            start: 3 * DAY_NS + 7,
            seq: 42,
        };
        let k = text_key(Some(b'f'), b"49\x0030", id);
        assert_eq!(call_id_suffix(&k), Some(id));
        assert_eq!(text_of_key(&k, 1), Some(&b"4930"[..]));
        assert!(k.starts_with(&text_prefix(3, Some(b'f'), b"4930")));
    }
}
