//! Zero-copy SDP parser (RFC 4566 / RFC 8866) for what a VoIP monitor needs: origin, the
//! connection address and direction at session and media level, and per media line its port,
//! formats, rtpmap/fmtp, rtcp, rtcp-mux and ptime. Tolerates LF-only lines and unknown or
//! malformed lines (skipped); never allocates.
use core::net::IpAddr;

use memchr::{memchr, memmem};

use super::header::{Params, RawHeaders, SectionEnd, eq_lower, find_byte, unquote};
use super::name_addr::parse_u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    #[error("empty SDP body")]
    Empty,
    #[error("SDP does not start with a `v=` line (byte {offset})")]
    NoVersion { offset: usize },
}

/// Media direction attribute (RFC 3264 §5.1). The default is `SendRecv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// The direction named by an attribute (`a=sendonly` gives `sendonly`), if it is one.
    pub fn from_attribute(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"sendrecv" => Self::SendRecv,
            b"sendonly" => Self::SendOnly,
            b"recvonly" => Self::RecvOnly,
            b"inactive" => Self::Inactive,
            _ => return None,
        })
    }
}

/// Parses an IP address written in SDP, tolerating `[...]` around IPv6 (SIPp writes that).
pub fn parse_ip(s: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4(s) {
        return Some(IpAddr::V4(v4));
    }
    let s = match s {
        [b'[', inner @ .., b']'] => inner,
        _ => s,
    };
    if !s.contains(&b':') {
        return None;
    }
    core::str::from_utf8(s).ok()?.parse().ok()
}

/// Dotted-quad IPv4 (no leading `+` or zero, at most 3 digits per octet), in one pass;
/// faster than `str::parse`.
fn parse_ipv4(s: &[u8]) -> Option<core::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    let (mut val, mut digits) = (0u32, 0u8);
    for &c in s {
        match c {
            b'0'..=b'9' => {
                // A fourth digit, or a digit after a leading zero ("01"), is not an octet.
                if digits == 3 || (digits == 1 && val == 0) {
                    return None;
                }
                val = val * 10 + u32::from(c - b'0');
                digits += 1;
            }
            b'.' if digits > 0 => {
                *octets.get_mut(i)? = u8::try_from(val).ok()?;
                i += 1;
                (val, digits) = (0, 0);
            }
            _ => return None,
        }
    }
    if digits == 0 || i != 3 {
        return None;
    }
    *octets.get_mut(3)? = u8::try_from(val).ok()?;
    Some(core::net::Ipv4Addr::from(octets))
}

/// Space-separated tokens, runs of spaces skipped (what `split(' ').filter(non-empty)` gives,
/// without the iterator adaptors).
#[derive(Debug, Clone)]
struct Tokens<'a>(&'a [u8]);

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let skip = self.0.iter().position(|&c| c != b' ')?;
        let s = self.0.get(skip..)?;
        let end = s.iter().position(|&c| c == b' ').unwrap_or(s.len());
        let (t, rest) = s.split_at_checked(end)?;
        self.0 = rest;
        Some(t)
    }
}

/// The `o=` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    pub username: &'a [u8],
    pub session_id: &'a [u8],
    pub session_version: &'a [u8],
    pub address_type: &'a [u8],
    pub address: &'a [u8],
}

impl<'a> Origin<'a> {
    fn parse(v: &'a [u8]) -> Option<Self> {
        let mut t = Tokens(v);
        let (username, session_id, session_version) = (t.next()?, t.next()?, t.next()?);
        let _net = t.next()?;
        let (address_type, address) = (t.next()?, t.next()?);
        Some(Self {
            username,
            session_id,
            session_version,
            address_type,
            address,
        })
    }
    pub fn ip(&self) -> Option<IpAddr> {
        parse_ip(self.address)
    }
}

/// A `c=` line: `IN IP4 224.2.1.1/127/3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection<'a> {
    /// `IP4` or `IP6`.
    pub address_type: &'a [u8],
    /// The address without `/ttl/count` (may be a host name).
    pub address: &'a [u8],
    /// Parsed address, when it is a literal.
    pub ip: Option<IpAddr>,
    /// Multicast TTL (IPv4 only).
    pub ttl: Option<u8>,
    /// Number of consecutive multicast addresses.
    pub count: Option<u32>,
}

impl<'a> Connection<'a> {
    pub fn parse(v: &'a [u8]) -> Option<Self> {
        let mut t = Tokens(v);
        let _net = t.next()?;
        let (address_type, full) = (t.next()?, t.next()?);
        // Unicast (the common case) has no '/': skip the multicast parsing.
        if !full.contains(&b'/') {
            return Some(Self {
                address_type,
                address: full,
                ip: parse_ip(full),
                ttl: None,
                count: None,
            });
        }
        let mut parts = full.split(|&c| c == b'/');
        let address = parts.next()?;
        let ipv6 = address_type.eq_ignore_ascii_case(b"IP6");
        let (first, second) = (
            parts.next().and_then(parse_u32),
            parts.next().and_then(parse_u32),
        );
        // IP4 multicast: addr/ttl[/count]; IP6 multicast: addr[/count] (RFC 4566 §5.7).
        let (ttl, count) = if ipv6 {
            (None, first)
        } else {
            (first.and_then(|x| u8::try_from(x).ok()), second)
        };
        Some(Self {
            address_type,
            address,
            ip: parse_ip(address),
            ttl,
            count,
        })
    }

    /// `c=IN IP4 0.0.0.0`: the RFC 2543 way to put a call on hold (RFC 3264 §8.4 notes it).
    pub fn is_legacy_hold(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_unspecified())
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpMap<'a> {
    pub payload_type: u8,
    pub encoding: &'a [u8],
    pub clock_rate: u32,
    pub channels: Option<u32>,
}

impl<'a> RtpMap<'a> {
    pub fn parse(v: &'a [u8]) -> Option<Self> {
        let sp = memchr(b' ', v)?;
        let payload_type = u8::try_from(parse_u32(v.get(..sp)?.trim_ascii())?).ok()?;
        let mut p = v.get(sp + 1..)?.trim_ascii().split(|&c| c == b'/');
        let encoding = p.next()?;
        let clock_rate = parse_u32(p.next()?.trim_ascii())?;
        let channels = p.next().and_then(|c| parse_u32(c.trim_ascii()));
        Some(Self {
            payload_type,
            encoding,
            clock_rate,
            channels,
        })
    }
}

/// Static RTP payload types of RFC 3551 §6: (encoding name, clock rate).
pub fn static_payload_type(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        5 => ("DVI4", 8000),
        6 => ("DVI4", 16000),
        7 => ("LPC", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        10 | 11 => ("L16", 44100),
        12 => ("QCELP", 8000),
        13 => ("CN", 8000),
        14 => ("MPA", 90000),
        15 => ("G728", 8000),
        16 => ("DVI4", 11025),
        17 => ("DVI4", 22050),
        18 => ("G729", 8000),
        25 => ("CelB", 90000),
        26 => ("JPEG", 90000),
        28 => ("nv", 90000),
        31 => ("H261", 90000),
        32 => ("MPV", 90000),
        33 => ("MP2T", 90000),
        34 => ("H263", 90000),
        _ => return None,
    })
}

/// SDP lines `<type>=<value>` from `pos`, with their offsets; CRLF or LF; blank and malformed
/// lines are skipped.
#[derive(Debug, Clone)]
struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Lines<'a> {
    fn new(buf: &'a [u8], pos: usize) -> Self {
        Self { buf, pos }
    }
}

impl<'a> Iterator for Lines<'a> {
    /// (offset of the line, type letter, value)
    type Item = (usize, u8, &'a [u8]);
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let start = self.pos;
            let rest = self.buf.get(start..)?;
            if rest.is_empty() {
                return None;
            }
            let end = find_byte(rest, b'\n').unwrap_or(rest.len());
            self.pos = start + end + 1;
            let line = rest.get(..end).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let [t, b'=', value @ ..] = line {
                return Some((start, *t, value.trim_ascii_end()));
            }
        }
    }
}

/// A parsed SDP body.
#[derive(Debug, Clone)]
pub struct Sdp<'a> {
    buf: &'a [u8],
    connection: Option<Connection<'a>>,
    direction: Option<Direction>,
    /// Offset of the first `m=` line (or the length).
    media_start: usize,
}

impl<'a> Sdp<'a> {
    pub fn parse(buf: &'a [u8]) -> Result<Self, SdpError> {
        let lead = buf.iter().take_while(|c| c.is_ascii_whitespace()).count();
        if lead >= buf.len() {
            return Err(SdpError::Empty);
        }
        let mut lines = Lines::new(buf, lead);
        match lines.next() {
            Some((_, b'v', _)) => {}
            _ => return Err(SdpError::NoVersion { offset: lead }),
        }
        let mut sdp = Self {
            buf,
            connection: None,
            direction: None,
            media_start: buf.len(),
        };
        for (off, t, v) in lines {
            match t {
                b'm' => {
                    sdp.media_start = off;
                    break;
                }
                b'c' if sdp.connection.is_none() => sdp.connection = Connection::parse(v),
                b'a' => {
                    if let Some(d) = Direction::from_attribute(v) {
                        sdp.direction = Some(d);
                    }
                }
                _ => {}
            }
        }
        Ok(sdp)
    }

    /// The first well-formed `o=` line (parsed on demand: the engine rarely needs it).
    pub fn origin(&self) -> Option<Origin<'a>> {
        self.session_lines()
            .filter(|l| l.1 == b'o')
            .find_map(|l| Origin::parse(l.2))
    }
    pub fn session_name(&self) -> Option<&'a [u8]> {
        self.session_lines().find(|l| l.1 == b's').map(|l| l.2)
    }
    /// Lines before the first `m=`.
    fn session_lines(&self) -> Lines<'a> {
        Lines::new(self.buf.get(..self.media_start).unwrap_or_default(), 0)
    }
    /// Session-level `c=`.
    pub fn connection(&self) -> Option<Connection<'a>> {
        self.connection
    }
    /// Session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.direction
    }
    /// Session-level attributes (before the first `m=`), as (name, value).
    pub fn attributes(&self) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> {
        let session = self.buf.get(..self.media_start).unwrap_or_default();
        Lines::new(session, 0)
            .filter(|l| l.1 == b'a')
            .map(|l| split_attr(l.2))
    }
    /// The media descriptions in order.
    pub fn media(&self) -> MediaIter<'a> {
        MediaIter {
            buf: self.buf,
            pos: self.media_start,
            connection: self.connection,
            direction: self.direction,
        }
    }
}

fn split_attr(v: &[u8]) -> (&[u8], Option<&[u8]>) {
    // Attribute names are short: a scalar scan beats a memchr call.
    match v.iter().position(|&c| c == b':') {
        Some(c) => (v.get(..c).unwrap_or_default(), v.get(c + 1..)),
        None => (v, None),
    }
}

/// Iterator over the `m=` sections; see [`Sdp::media`].
#[derive(Debug, Clone)]
pub struct MediaIter<'a> {
    buf: &'a [u8],
    pos: usize,
    connection: Option<Connection<'a>>,
    direction: Option<Direction>,
}

impl<'a> Iterator for MediaIter<'a> {
    type Item = Media<'a>;
    fn next(&mut self) -> Option<Media<'a>> {
        let mut lines = Lines::new(self.buf, self.pos);
        let (_, t, mline) = lines.next()?;
        if t != b'm' {
            self.pos = self.buf.len();
            return None;
        }
        let attrs_start = lines.pos.min(self.buf.len());
        let mut m = Media::from_mline(mline, self.connection, self.direction.unwrap_or_default());
        let mut end = self.buf.len();
        for (off, t, v) in lines {
            match t {
                b'm' => {
                    end = off;
                    break;
                }
                b'c' => {
                    if let Some(c) = Connection::parse(v) {
                        m.connection = Some(c);
                    }
                }
                b'a' => m.apply_attribute(v),
                _ => {}
            }
        }
        m.section = self.buf.get(attrs_start..end).unwrap_or_default();
        self.pos = end;
        Some(m)
    }
}

/// One media description (`m=` line and its attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Media<'a> {
    /// `audio`, `video`, `image`, `application`, ...
    pub kind: &'a [u8],
    pub port: u16,
    /// `m=audio 49170/2 ...` gives `Some(2)`.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, `udptl`, ...
    pub proto: &'a [u8],
    /// The format list as written.
    pub formats_raw: &'a [u8],
    /// Media-level `c=`, else the session's.
    pub connection: Option<Connection<'a>>,
    /// Media-level direction, else the session's, else sendrecv.
    pub direction: Direction,
    /// `a=rtcp:<port> [IN IP4 <addr>]` (RFC 3605).
    pub rtcp: Option<(u16, Option<IpAddr>)>,
    pub rtcp_mux: bool,
    pub ptime: Option<u32>,
    pub maxptime: Option<u32>,
    /// Lines after the `m=` line up to the next `m=`.
    section: &'a [u8],
}

impl<'a> Media<'a> {
    fn from_mline(v: &'a [u8], connection: Option<Connection<'a>>, direction: Direction) -> Self {
        // m=<media> <port>[/<count>] <proto> <fmt> ...; the formats are the rest of the line.
        let mut rest = v;
        let mut token = || {
            let r = rest.trim_ascii_start();
            let end = r.iter().position(|&c| c == b' ').unwrap_or(r.len());
            let (t, after) = r.split_at_checked(end).unwrap_or((r, &[]));
            rest = after;
            t
        };
        let (kind, ports, proto) = (token(), token(), token());
        let formats_raw = rest.trim_ascii();
        let mut p = ports.split(|&c| c == b'/');
        let port = p
            .next()
            .and_then(parse_u32)
            .and_then(|x| u16::try_from(x).ok())
            .unwrap_or(0);
        let port_count = p
            .next()
            .and_then(parse_u32)
            .and_then(|x| u16::try_from(x).ok());
        Self {
            kind,
            port,
            port_count,
            proto,
            formats_raw,
            connection,
            direction,
            rtcp: None,
            rtcp_mux: false,
            ptime: None,
            maxptime: None,
            section: &[],
        }
    }

    fn apply_attribute(&mut self, v: &'a [u8]) {
        // Most attributes are rtpmap/fmtp lines we read lazily: reject them cheaply.
        match v.first() {
            // No attribute read here starts with "rtpm": a 4-byte compare skips rtpmap.
            Some(b's' | b'r' | b'i' | b'p' | b'm') if v.first_chunk::<4>() != Some(b"rtpm") => {}
            _ => return,
        }
        if let Some(d) = Direction::from_attribute(v) {
            self.direction = d;
            return;
        }
        let (name, value) = split_attr(v);
        let value = value.unwrap_or_default().trim_ascii();
        match name {
            b"rtcp-mux" => self.rtcp_mux = true,
            b"ptime" => self.ptime = parse_u32(value),
            b"maxptime" => self.maxptime = parse_u32(value),
            b"rtcp" => {
                let mut t = Tokens(value);
                if let Some(port) = t
                    .next()
                    .and_then(parse_u32)
                    .and_then(|x| u16::try_from(x).ok())
                {
                    let _net = t.next();
                    let _ty = t.next();
                    self.rtcp = Some((port, t.next().and_then(parse_ip)));
                }
            }
            _ => {}
        }
    }

    /// The format tokens (payload type numbers for RTP profiles).
    pub fn formats(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.formats_raw
            .split(|&c| c == b' ')
            .filter(|t| !t.is_empty())
    }

    /// The formats that are payload type numbers.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + use<'a> {
        self.formats()
            .filter_map(|f| parse_u32(f).and_then(|n| u8::try_from(n).ok()))
    }

    /// Media-level attributes as (name, value).
    pub fn attributes(&self) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + use<'a> {
        Lines::new(self.section, 0)
            .filter(|l| l.1 == b'a')
            .map(|l| split_attr(l.2))
    }

    /// First value of media attribute `name` (`Some(b"")` for a flag attribute).
    pub fn attribute(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.attributes()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.unwrap_or_default())
    }

    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap<'a>> {
        self.attributes()
            .filter(|(n, _)| *n == b"rtpmap")
            .filter_map(|(_, v)| RtpMap::parse(v?))
            .find(|r| r.payload_type == pt)
    }

    /// The `a=fmtp:<pt> ...` parameters of a payload type.
    pub fn fmtp(&self, pt: u8) -> Option<&'a [u8]> {
        self.attributes()
            .filter(|(n, _)| *n == b"fmtp")
            .find_map(|(_, v)| {
                let v = v?;
                let sp = memchr(b' ', v).unwrap_or(v.len());
                (parse_u32(v.get(..sp)?)? == u32::from(pt))
                    .then(|| v.get(sp..).unwrap_or_default().trim_ascii())
            })
    }

    /// Encoding name and clock rate: from rtpmap, else the static table of RFC 3551.
    pub fn codec(&self, pt: u8) -> Option<(&'a [u8], u32)> {
        match self.rtpmap(pt) {
            Some(r) => Some((r.encoding, r.clock_rate)),
            None => static_payload_type(pt).map(|(n, r)| (n.as_bytes(), r)),
        }
    }

    /// The connection address (media-level, else session-level), when it is a literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.connection.and_then(|c| c.ip)
    }

    /// `c=0.0.0.0` hold (RFC 2543 style).
    pub fn legacy_hold(&self) -> bool {
        self.connection.is_some_and(|c| c.is_legacy_hold())
    }
}

/// Essence of a media type (`application/sdp` of `Application/SDP ; charset=x`).
fn mime_essence(ct: &[u8]) -> &[u8] {
    // Content types are short: a plain scan beats a memchr call.
    let end = ct.iter().position(|&c| c == b';').unwrap_or(ct.len());
    ct.get(..end).unwrap_or_default().trim_ascii()
}

/// `application/sdp` exactly (ASCII case-insensitive), as two word compares: the common
/// Content-Type, checked before the general parse of the media type. OR-ing 0x20 into letter
/// positions only (not into the `/`) makes the compare exact.
fn is_application_sdp(ct: &[u8]) -> bool {
    const CASE_A: u64 = 0x2020_2020_2020_2020;
    const CASE_B: u64 = u64::from_le_bytes([0x20, 0x20, 0x20, 0x20, 0, 0x20, 0x20, 0x20]);
    let word = |r: core::ops::Range<usize>| {
        ct.get(r)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    match (ct.len(), word(0..8), word(7..15)) {
        (15, Some(a), Some(b)) => {
            a | CASE_A == u64::from_le_bytes(*b"applicat")
                && b | CASE_B == u64::from_le_bytes(*b"tion/sdp")
        }
        _ => false,
    }
}

/// The SDP in a SIP body: the body itself for `application/sdp`, or the first
/// `application/sdp` part of a `multipart/*` body (RFC 2046 §5.1).
pub fn find_sdp<'a>(content_type: &[u8], body: &'a [u8]) -> Option<&'a [u8]> {
    if is_application_sdp(content_type) {
        return Some(body);
    }
    let essence = mime_essence(content_type);
    if eq_lower(essence, b"application/sdp") {
        return Some(body);
    }
    if !essence
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"multipart/"))
    {
        return None;
    }
    let semi = memchr(b';', content_type)?;
    let boundary = unquote(Params::new(content_type.get(semi..)?).get(b"boundary")?);
    if boundary.is_empty() {
        return None;
    }
    // Delimiters are "--boundary" at the start of a line.
    let delims = memmem::find_iter(body, boundary).filter(|&i| {
        i >= 2
            && body.get(i - 2..i) == Some(b"--")
            && (i == 2 || matches!(body.get(i - 3), Some(b'\n')))
    });
    let mut prev: Option<usize> = None;
    for d in delims {
        if let Some(p) = prev {
            // Part: from after the previous delimiter line to the line break before "--".
            let part = body.get(p..d - 2).unwrap_or_default();
            let part = part.strip_suffix(b"\n").unwrap_or(part);
            let part = part.strip_suffix(b"\r").unwrap_or(part);
            if let Some(sdp) = sdp_part(part) {
                return Some(sdp);
            }
        }
        let line_end = memchr(b'\n', body.get(d..)?).map_or(body.len(), |e| d + e + 1);
        prev = Some(line_end);
    }
    None
}

/// The body of a MIME part whose Content-Type is application/sdp.
fn sdp_part(part: &[u8]) -> Option<&[u8]> {
    let mut raw = RawHeaders::new(part, 0);
    let mut is_sdp = false;
    for h in raw.by_ref() {
        let name = part.get(h.name.0..h.name.1).unwrap_or_default();
        if name.eq_ignore_ascii_case(b"content-type") || name.eq_ignore_ascii_case(b"c") {
            is_sdp = mime_essence(part.get(h.value.0..h.value.1).unwrap_or_default())
                .eq_ignore_ascii_case(b"application/sdp");
        }
    }
    match raw.end {
        SectionEnd::Blank(_, body) if is_sdp => part.get(body..),
        _ => None,
    }
}
