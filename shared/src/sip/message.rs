//! The zero-copy SIP message view: one pass over the header section (one memchr per line for
//! its end, a word-at-a-time scan for the colon) records the byte ranges of the start line and of
//! the headers the monitor reads (Call-ID, From, To, CSeq, top Via, Content-Type, Contact,
//! Content-Length); headers are classified by name length and first letter before any byte
//! compare, and the others cost nothing more. Lines that need more (folded values, whitespace
//! around the name, no colon, sections past the u16 range) leave the straight path for a cold
//! one that does the general work. Generic lookups ([`SipMessage::header`],
//! [`SipMessage::all_headers`]) rescan the header bytes. No heap allocation.
use memchr::memchr;

use super::error::{Quirks, SipError};
use super::header::{
    CommaSplit, LineScan, RawHeaders, eq_lower, is_single_valued, name_eq, trim_range,
};
use super::name_addr::{CSeq, Method, NameAddr, Reason, Via, parse_u32};

/// Header lines past this count are flagged with [`Quirks::HEADER_INDEX_FULL`] (the message
/// view keeps no per-line index: generic lookups rescan the header bytes).
pub const INDEX_CAP: usize = 64;
/// Header ranges are stored as u16: the header section must end within this many bytes of the
/// start of the input.
pub const MAX_HEADER_SECTION: usize = u16::MAX as usize;
/// How far [`SipMessage::parse_skipping_junk`] looks for a start line.
pub const MAX_JUNK: usize = 1024;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u16,
    end: u16,
}

impl Span {
    #[inline]
    fn new(r: (usize, usize)) -> Result<Self, SipError> {
        match (u16::try_from(r.0), u16::try_from(r.1)) {
            (Ok(start), Ok(end)) => Ok(Self { start, end }),
            _ => Err(SipError::HeadersTooLarge {
                offset: r.1,
                limit: MAX_HEADER_SECTION,
            }),
        }
    }
    fn get(self, buf: &[u8]) -> &[u8] {
        buf.get(usize::from(self.start)..usize::from(self.end))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy)]
enum Line {
    Request {
        method: Span,
        uri: Span,
        version: Span,
    },
    Response {
        code: u16,
        reason: Span,
        version: Span,
    },
}

/// The start line (RFC 3261 §7.1, §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request {
        method: &'a [u8],
        uri: &'a [u8],
        version: &'a [u8],
    },
    Response {
        code: u16,
        reason: &'a [u8],
        version: &'a [u8],
    },
}

/// A parsed SIP message borrowing its input. See the module docs of [`crate::sip`].
#[derive(Clone)]
pub struct SipMessage<'a> {
    buf: &'a [u8],
    line: Line,
    /// Offset of the first header line (just after the start line).
    headers_start: usize,
    /// Offset of the empty line (or the input length when there is none).
    headers_end: usize,
    body_start: usize,
    body_end: usize,
    call_id: Option<Span>,
    from: Option<Span>,
    to: Option<Span>,
    cseq: Option<Span>,
    via: Option<Span>,
    via_count: u16,
    content_length: Option<usize>,
    content_type: Option<Span>,
    contact: Option<Span>,
    /// Header lines with a colon (the rest are skipped and flagged).
    header_count: u16,
    quirks: Quirks,
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Known {
    // The first six index `Slots`.
    CallId,
    From,
    To,
    CSeq,
    ContentType,
    Contact,
    Via,
    ContentLength,
    Other,
}

/// The quirk a second occurrence of a slotted header raises, by `Known` discriminant.
const DUPLICATE: [Quirks; 6] = [
    Quirks::DUPLICATE_CALL_ID,
    Quirks::DUPLICATE_FROM_TO,
    Quirks::DUPLICATE_FROM_TO,
    Quirks::DUPLICATE_CSEQ,
    Quirks::NONE,
    Quirks::NONE,
];

/// Classifies a header name by length and first letter before comparing any bytes: most lines
/// of a message are headers the engine does not index and are rejected here in a few
/// instructions.
#[inline]
fn classify(name: &[u8]) -> Known {
    let Some(&first) = name.first() else {
        return Known::Other;
    };
    // `| 0x20` maps only 'A'-'Z' onto 'a'-'z' among the letters tested below; the guards then
    // compare exactly, the usual spelling first (a word compare).
    match (name.len(), first | 0x20) {
        (1, _) => match first.to_ascii_lowercase() {
            b'i' => Known::CallId,
            b'f' => Known::From,
            b't' => Known::To,
            b'v' => Known::Via,
            b'l' => Known::ContentLength,
            b'c' => Known::ContentType,
            b'm' => Known::Contact,
            _ => Known::Other,
        },
        (2, b't') if name == b"To" || eq_lower(name, b"to") => Known::To,
        (3, b'v') if name == b"Via" || eq_lower(name, b"via") => Known::Via,
        (4, b'f') if name == b"From" || eq_lower(name, b"from") => Known::From,
        (4, b'c') if name == b"CSeq" || eq_lower(name, b"cseq") => Known::CSeq,
        (7, b'c') if name == b"Call-ID" || eq_lower(name, b"call-id") => Known::CallId,
        (7, b'c') if name == b"Contact" || eq_lower(name, b"contact") => Known::Contact,
        (12, b'c') if name == b"Content-Type" || eq_lower(name, b"content-type") => {
            Known::ContentType
        }
        (14, b'c') if name == b"Content-Length" || eq_lower(name, b"content-length") => {
            Known::ContentLength
        }
        _ => Known::Other,
    }
}

/// What the header pass accumulates (see [`SipMessage::scan_headers`]).
struct ScanState {
    lf_only: bool,
    saw_content_length: bool,
    count: usize,
    /// Slotted header values live in an array indexed by `Known` rather than in the
    /// message's fields: that keeps the loop free of register shuffling.
    slots: [Span; 6],
    seen: u32,
    quirks: Quirks,
    via: Option<Span>,
    via_count: u16,
    content_length: Option<usize>,
}

impl ScanState {
    /// Records the value `[colon + 1, value_end)` (trimmed) of an indexed header.
    #[inline]
    fn record(
        &mut self,
        buf: &[u8],
        kind: Known,
        colon: usize,
        value_end: usize,
    ) -> Result<(), SipError> {
        let (v0, v1) = trim_range(buf, colon + 1, value_end);
        let span = Span::new((v0, v1))?;
        match kind {
            Known::Other => {}
            Known::Via => {
                if self.via.is_none() {
                    self.via = Some(span);
                }
                let value = buf.get(v0..v1).unwrap_or_default();
                let n = if memchr(b',', value).is_none() {
                    1
                } else {
                    CommaSplit::new(value).count()
                };
                self.via_count = self
                    .via_count
                    .saturating_add(u16::try_from(n).unwrap_or(u16::MAX));
            }
            Known::ContentLength => {
                if self.saw_content_length {
                    self.quirks.insert(Quirks::DUPLICATE_CONTENT_LENGTH);
                } else {
                    self.saw_content_length = true;
                    self.content_length =
                        parse_u32(buf.get(v0..v1).unwrap_or_default()).map(|n| n as usize);
                    if self.content_length.is_none() {
                        self.quirks.insert(Quirks::BAD_CONTENT_LENGTH);
                    }
                }
            }
            k => {
                let i = k as usize;
                let bit = 1u32 << i;
                if self.seen & bit != 0 {
                    self.quirks
                        .insert(DUPLICATE.get(i).copied().unwrap_or(Quirks::NONE));
                } else if let Some(slot) = self.slots.get_mut(i) {
                    self.seen |= bit;
                    *slot = span;
                }
            }
        }
        Ok(())
    }
}

/// RFC 3261 `token` characters (method names).
fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&c)
}

/// `SIP/<digits>.<digits>` (case-insensitive "SIP").
fn is_version(v: &[u8]) -> bool {
    let Some((sip, num)) = v.split_at_checked(4) else {
        return false;
    };
    if !sip.eq_ignore_ascii_case(b"SIP/") {
        return false;
    }
    let Some(dot) = num.iter().position(|&c| c == b'.') else {
        return false;
    };
    let (major, minor) = (
        num.get(..dot).unwrap_or_default(),
        num.get(dot + 1..).unwrap_or_default(),
    );
    !major.is_empty() && !minor.is_empty() && major.iter().chain(minor).all(u8::is_ascii_digit)
}

/// Parses a start line whose content (without CR/LF) is `buf[a..b]`.
fn parse_start_line(buf: &[u8], a: usize, b: usize) -> Result<(Line, bool), SipError> {
    // Trailing whitespace after the version (RFC 4475 §3.1.2.? "trws") is tolerated.
    let mut b = b;
    while b > a && matches!(buf.get(b - 1), Some(b' ' | b'\t')) {
        b -= 1;
    }
    let line = buf.get(a..b).unwrap_or_default();
    // The fields are short: plain scans beat memchr calls here.
    let sp = line.iter().position(|&c| c == b' ');
    let first = line.get(..sp.unwrap_or(line.len())).unwrap_or_default();
    if first.len() >= 4
        && first
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let common = first == b"SIP/2.0";
        if !common && !is_version(first) {
            return Err(SipError::BadVersion { offset: a });
        }
        let version = (a, a + first.len());
        let rest_at = a + first.len() + 1;
        let code_bytes = buf.get(rest_at..(rest_at + 3).min(b)).unwrap_or_default();
        let code = match (code_bytes.len(), parse_u32(code_bytes)) {
            (3, Some(c @ 100..=699)) => c as u16,
            _ => {
                return Err(SipError::BadStatusCode {
                    offset: rest_at.min(b),
                });
            }
        };
        // After the code: SP reason, or nothing (RFC 4475 noreason keeps the SP; be lenient).
        match buf.get(rest_at + 3) {
            Some(b' ' | b'\t') => {}
            _ if rest_at + 3 >= b => {}
            _ => return Err(SipError::BadStatusCode { offset: rest_at }),
        }
        let reason = trim_range(buf, (rest_at + 3).min(b), b);
        let unusual = !common && !first.eq_ignore_ascii_case(b"SIP/2.0");
        return Ok((
            Line::Response {
                code,
                reason: Span::new(reason)?,
                version: Span::new(version)?,
            },
            unusual,
        ));
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let Some(sp) = sp else {
        return Err(SipError::NoStartLine { offset: a });
    };
    if first.is_empty() || !first.iter().all(|&c| is_token(c)) {
        return Err(SipError::NoStartLine { offset: a });
    }
    let last_sp = line.iter().rposition(|&c| c == b' ').unwrap_or(sp);
    let version = line.get(last_sp + 1..).unwrap_or_default();
    // "SIP/2.0" as written by nearly everyone passes both checks below.
    let common = version == b"SIP/2.0";
    if !common
        && !version
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        return Err(SipError::NoStartLine { offset: a });
    }
    if !common && !is_version(version) {
        return Err(SipError::BadVersion {
            offset: a + last_sp + 1,
        });
    }
    let uri = trim_range(buf, a + sp + 1, a + last_sp);
    if last_sp <= sp || uri.0 >= uri.1 {
        return Err(SipError::BadRequestLine { offset: a + sp });
    }
    let unusual = !common && !version.eq_ignore_ascii_case(b"SIP/2.0");
    Ok((
        Line::Request {
            method: Span::new((a, a + sp))?,
            uri: Span::new(uri)?,
            version: Span::new((a + last_sp + 1, b))?,
        },
        unusual,
    ))
}

/// End of the line starting at `a`: (index of `\n` or input length, end of content without CR).
fn line_end(buf: &[u8], a: usize) -> (usize, usize) {
    line_end_with(buf, a, &LineScan::new())
}

/// [`line_end`] with the caller's finder.
#[inline]
fn line_end_with(buf: &[u8], a: usize, scan: &LineScan) -> (usize, usize) {
    match scan.nl(buf.get(a..).unwrap_or_default()) {
        Some(i) => {
            let nl = a + i;
            let cr = nl > a && buf.get(nl - 1) == Some(&b'\r');
            (nl, if cr { nl - 1 } else { nl })
        }
        None => (buf.len(), buf.len()),
    }
}

/// Index of the first `:` of a header line, eight bytes at a time (SWAR): header names are a
/// word or two long, where a memchr call costs more than it saves. In `(w - 0x01..) & !w &
/// 0x80..` a borrow can only mark bytes above the first zero byte, so the lowest mark is exact.
#[inline(always)]
pub(crate) fn find_colon(line: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const COLON: u64 = LO * b':' as u64;
    let mut words = line.chunks_exact(8);
    let mut off = 0;
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or([0; 8])) ^ COLON;
        let hit = x.wrapping_sub(LO) & !x & HI;
        if hit != 0 {
            return Some(off + (hit.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == b':')
        .map(|k| off + k)
}

/// End of a line's content given the index of its `\n` (or the input length): without the
/// CR of a CRLF; a bare LF sets `lf_only`. The line is never empty here.
#[inline]
fn line_content_end(buf: &[u8], nl: usize, lf_only: &mut bool) -> usize {
    if nl >= buf.len() {
        return buf.len();
    }
    if nl.checked_sub(1).and_then(|p| buf.get(p)) == Some(&b'\r') {
        nl - 1
    } else {
        *lf_only = true;
        nl
    }
}

/// The first element of a comma-separated header value, as [`CommaSplit`] gives it; a value
/// without any comma (the usual top Via or Contact) is the element itself.
#[inline]
fn first_element(line: &[u8]) -> Option<&[u8]> {
    if memchr(b',', line).is_none() {
        let v = line.trim_ascii();
        return (!v.is_empty()).then_some(v);
    }
    CommaSplit::new(line).next()
}

/// Number of leading CR/LF bytes (RFC 3261 §7.5 keep-alives).
pub(crate) fn leading_crlf(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|c| matches!(c, b'\r' | b'\n'))
        .count()
}

/// Cheap content test: does `buf` start (after optional CRLFs) with a SIP/2.0 status line or a
/// request line ending in `SIP/2.0`? Used to find SIP on any port, so it rejects HTTP, RTP,
/// STUN and short keep-alives.
pub fn looks_like_sip(buf: &[u8]) -> bool {
    let a = leading_crlf(buf);
    // "SIP/2.0 200 " is the shortest status line; "A x SIP/2.0" the shortest request.
    if buf.len().saturating_sub(a) < 11 {
        return false;
    }
    let (_, b) = line_end(buf, a);
    let line = buf.get(a..b).unwrap_or_default();
    let version = match parse_start_line(buf, a, b) {
        Ok((Line::Request { version, .. } | Line::Response { version, .. }, _)) => version.get(buf),
        Err(_) => return false,
    };
    // Reject control bytes in the line (binary protocols that happen to contain the text).
    version.eq_ignore_ascii_case(b"SIP/2.0") && !line.iter().any(|&c| c < 0x20 && c != b'\t')
}

impl<'a> SipMessage<'a> {
    /// Parses one SIP message at the start of `buf` (leading CRLF keep-alives are skipped and
    /// flagged). Like tshark, a first line that is not a start line is an error; see
    /// [`Self::parse_skipping_junk`] for stream resynchronisation.
    pub fn parse(buf: &'a [u8]) -> Result<Self, SipError> {
        let lead = leading_crlf(buf);
        if lead >= buf.len() {
            return Err(SipError::Empty);
        }
        let mut m = Self::parse_at(buf, lead)?;
        if lead > 0 {
            m.quirks.insert(Quirks::LEADING_CRLF);
        }
        Ok(m)
    }

    /// Like [`Self::parse`], but skips whole lines of junk (within the first [`MAX_JUNK`]
    /// bytes) until a valid start line, flagging [`Quirks::JUNK_PREFIX`]. tshark does not do
    /// this for a datagram; it is meant for a TCP stream that starts mid-message.
    pub fn parse_skipping_junk(buf: &'a [u8]) -> Result<Self, SipError> {
        let first = Self::parse(buf);
        let Err(err) = first else { return first };
        let mut a = leading_crlf(buf);
        while a < buf.len().min(MAX_JUNK) {
            let (nl, b) = line_end(buf, a);
            if a > 0 && parse_start_line(buf, a, b).is_ok() {
                let mut m = Self::parse_at(buf, a)?;
                m.quirks.insert(Quirks::JUNK_PREFIX);
                return Ok(m);
            }
            a = nl + 1;
        }
        Err(err)
    }

    #[inline]
    fn parse_at(buf: &'a [u8], a: usize) -> Result<Self, SipError> {
        let scan = LineScan::new();
        let (nl, b) = line_end_with(buf, a, &scan);
        let (line, unusual) = parse_start_line(buf, a, b)?;
        let mut quirks = Quirks::NONE;
        if unusual {
            quirks.insert(Quirks::UNUSUAL_VERSION);
        }
        if nl < buf.len() && b == nl {
            quirks.insert(Quirks::LF_ONLY);
        }
        let headers_start = (nl + 1).min(buf.len());
        let mut m = SipMessage {
            buf,
            line,
            headers_start,
            headers_end: buf.len(),
            body_start: buf.len(),
            body_end: buf.len(),
            call_id: None,
            from: None,
            to: None,
            cseq: None,
            via: None,
            via_count: 0,
            content_length: None,
            content_type: None,
            contact: None,
            header_count: 0,
            quirks,
        };
        let saw_content_length = m.scan_headers(&scan)?;
        let avail = buf.len() - m.body_start;
        m.body_end = match m.content_length {
            Some(n) if n <= avail => {
                if n < avail {
                    m.quirks.insert(Quirks::TRAILING_BYTES);
                }
                m.body_start + n
            }
            Some(_) => {
                m.quirks.insert(Quirks::CONTENT_LENGTH_MISMATCH);
                buf.len()
            }
            None => {
                if !saw_content_length {
                    m.quirks.insert(Quirks::MISSING_CONTENT_LENGTH);
                }
                buf.len()
            }
        };
        if m.call_id.is_none()
            || m.cseq.is_none()
            || m.from.is_none()
            || m.to.is_none()
            || m.via.is_none()
        {
            m.quirks.insert(Quirks::MISSING_MANDATORY);
        }
        Ok(m)
    }

    /// The header pass: one walk over the header lines that records the ranges of the headers
    /// the engine reads and flags quirks on the way. Per line: one memchr for its end, a word
    /// scan for the colon, and a dispatch on the name's length and first letter; lines that
    /// need more (folding, whitespace around the name, no colon, huge sections) take a cold
    /// path that does the general work. Mirrors [`RawHeaders`] (used by the rescans) line for
    /// line. Returns whether a Content-Length header was seen.
    #[inline]
    fn scan_headers(&mut self, scan: &LineScan) -> Result<bool, SipError> {
        let buf = self.buf;
        let len = buf.len();
        let mut pos = self.headers_start;
        let mut st = ScanState {
            lf_only: false,
            saw_content_length: false,
            count: 0,
            slots: [Span::default(); 6],
            seen: 0,
            quirks: self.quirks,
            via: None,
            via_count: 0,
            content_length: None,
        };
        loop {
            let start = pos;
            let rest = buf.get(start..).unwrap_or_default();
            let first = match rest.first() {
                None => {
                    st.quirks.insert(Quirks::NO_EMPTY_LINE);
                    break;
                }
                Some(&c) => c,
            };
            if first == b'\r' && rest.get(1) == Some(&b'\n') {
                self.headers_end = start;
                self.body_start = start + 2;
                break;
            }
            if first == b'\n' {
                st.lf_only = true;
                self.headers_end = start;
                self.body_start = start + 1;
                break;
            }
            let nl = scan.nl(rest).map_or(len, |k| start + k);
            let line = rest.get(..nl - start).unwrap_or_default();
            let colon = find_colon(line);
            // The line is not empty, so `nl - 1` is inside it.
            let crlf = buf.get(nl.wrapping_sub(1)) == Some(&b'\r');
            let content_end = if nl < len && crlf { nl - 1 } else { nl };
            st.lf_only |= nl < len && !crlf;
            let next = nl + 1;
            pos = next;
            // The fast path: a name without surrounding whitespace, an unfolded value, a
            // section that fits u16 ranges.
            let (Some(k), true) = (
                colon,
                first > b' '
                    && nl <= MAX_HEADER_SECTION
                    && !matches!(buf.get(next), Some(b' ' | b'\t')),
            ) else {
                pos = self.header_line_slow(&mut st, start, nl, content_end, colon, scan)?;
                continue;
            };
            let colon = start + k;
            let name = line.get(..k).unwrap_or_default();
            match name.last() {
                Some(&c) if c > b' ' => {}
                _ => {
                    pos = self.header_line_slow(&mut st, start, nl, content_end, Some(k), scan)?;
                    continue;
                }
            }
            st.count += 1;
            let kind = classify(name);
            if kind != Known::Other {
                st.record(buf, kind, colon, content_end)?;
            }
        }
        let ScanState {
            lf_only,
            saw_content_length,
            count,
            slots,
            seen,
            mut quirks,
            via,
            via_count,
            content_length,
        } = st;
        let slot = |k: Known| {
            let i = k as u32;
            (seen & (1 << i) != 0)
                .then(|| slots.get(i as usize).copied())
                .flatten()
        };
        self.call_id = slot(Known::CallId);
        self.from = slot(Known::From);
        self.to = slot(Known::To);
        self.cseq = slot(Known::CSeq);
        self.content_type = slot(Known::ContentType);
        self.contact = slot(Known::Contact);
        self.via = via;
        self.via_count = via_count;
        self.content_length = content_length;
        if lf_only {
            quirks.insert(Quirks::LF_ONLY);
        }
        if count > INDEX_CAP {
            quirks.insert(Quirks::HEADER_INDEX_FULL);
        }
        self.quirks = quirks;
        self.header_count = u16::try_from(count).unwrap_or(u16::MAX);
        Ok(saw_content_length)
    }

    /// The general treatment of one header line (what the fast path of [`Self::scan_headers`]
    /// does not cover): folded values, whitespace before the name or the colon, no colon, and
    /// sections past the u16 range. Returns the offset of the next line.
    #[cold]
    #[inline(never)]
    fn header_line_slow(
        &self,
        st: &mut ScanState,
        start: usize,
        nl: usize,
        content_end: usize,
        colon: Option<usize>,
        scan: &LineScan,
    ) -> Result<usize, SipError> {
        let buf = self.buf;
        let len = buf.len();
        // Folded continuation lines start with SP or HTAB (RFC 3261 §7.3.1).
        let mut value_end = content_end;
        let mut next = nl + 1;
        if matches!(buf.get(next), Some(b' ' | b'\t')) {
            st.quirks.insert(Quirks::FOLDED_LINE);
            while matches!(buf.get(next), Some(b' ' | b'\t')) {
                let nl2 = scan
                    .nl(buf.get(next..).unwrap_or_default())
                    .map_or(len, |k| next + k);
                value_end = line_content_end(buf, nl2, &mut st.lf_only);
                next = nl2 + 1;
            }
        }
        let Some(colon) = colon.map(|k| start + k) else {
            st.quirks.insert(Quirks::HEADER_WITHOUT_COLON);
            if content_end > MAX_HEADER_SECTION {
                return Err(SipError::HeadersTooLarge {
                    offset: content_end,
                    limit: MAX_HEADER_SECTION,
                });
            }
            return Ok(next);
        };
        let (n0, n1) = trim_range(buf, start, colon);
        if n1 < colon {
            st.quirks.insert(Quirks::SPACE_BEFORE_COLON);
        }
        st.count += 1;
        let kind = classify(buf.get(n0..n1).unwrap_or_default());
        if value_end > MAX_HEADER_SECTION {
            // Ranges are stored as u16 (checked exactly here, on the rare long input).
            if n1 > MAX_HEADER_SECTION {
                return Err(SipError::HeadersTooLarge {
                    offset: n1,
                    limit: MAX_HEADER_SECTION,
                });
            }
            Span::new(trim_range(buf, colon + 1, value_end))?;
        }
        if kind != Known::Other {
            st.record(buf, kind, colon, value_end)?;
        }
        Ok(next)
    }

    /// The whole input given to `parse`.
    pub fn input(&self) -> &'a [u8] {
        self.buf
    }

    /// Bytes of the input this message occupies, from the start of the input (leading CRLFs
    /// included) to the end of its body. A second message, if any, starts here.
    pub fn len(&self) -> usize {
        self.body_end
    }

    /// Never true for a parsed message (kept for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        self.body_end == 0
    }

    /// Non-fatal deviations found while parsing.
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }

    pub fn kind(&self) -> StartLine<'a> {
        match self.line {
            Line::Request {
                method,
                uri,
                version,
            } => StartLine::Request {
                method: method.get(self.buf),
                uri: uri.get(self.buf),
                version: version.get(self.buf),
            },
            Line::Response {
                code,
                reason,
                version,
            } => StartLine::Response {
                code,
                reason: reason.get(self.buf),
                version: version.get(self.buf),
            },
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(self.line, Line::Request { .. })
    }

    /// The request method as written; `None` for a response.
    pub fn method(&self) -> Option<&'a [u8]> {
        match self.line {
            Line::Request { method, .. } => Some(method.get(self.buf)),
            Line::Response { .. } => None,
        }
    }

    /// The request method as an enum; `None` for a response.
    pub fn method_kind(&self) -> Option<Method<'a>> {
        self.method().map(Method::from_bytes)
    }

    /// The status code; `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.line {
            Line::Response { code, .. } => Some(code),
            Line::Request { .. } => None,
        }
    }

    /// The reason phrase of a response (may be empty).
    pub fn reason_phrase(&self) -> Option<&'a [u8]> {
        match self.line {
            Line::Response { reason, .. } => Some(reason.get(self.buf)),
            Line::Request { .. } => None,
        }
    }

    pub fn request_uri(&self) -> Option<&'a [u8]> {
        match self.line {
            Line::Request { uri, .. } => Some(uri.get(self.buf)),
            Line::Response { .. } => None,
        }
    }

    pub fn version(&self) -> &'a [u8] {
        match self.line {
            Line::Request { version, .. } | Line::Response { version, .. } => version.get(self.buf),
        }
    }

    /// Call-ID (or `i`), first occurrence.
    pub fn call_id(&self) -> Option<&'a [u8]> {
        self.call_id.map(|s| s.get(self.buf))
    }

    pub fn from(&self) -> Option<NameAddr<'a>> {
        self.from.and_then(|s| NameAddr::parse(s.get(self.buf)))
    }

    pub fn to(&self) -> Option<NameAddr<'a>> {
        self.to.and_then(|s| NameAddr::parse(s.get(self.buf)))
    }

    pub fn cseq(&self) -> Option<CSeq<'a>> {
        self.cseq.and_then(|s| CSeq::parse(s.get(self.buf)))
    }

    /// The top Via value.
    pub fn via(&self) -> Option<Via<'a>> {
        first_element(self.via?.get(self.buf)).and_then(Via::parse)
    }

    /// The branch parameter of the top Via.
    pub fn via_branch(&self) -> Option<&'a [u8]> {
        self.via()?.branch()
    }

    /// Every Via value, top first, across lines and commas.
    pub fn vias(&self) -> impl Iterator<Item = Via<'a>> {
        self.headers("Via").filter_map(Via::parse)
    }

    /// Number of Via values (all lines, comma-separated values counted).
    pub fn via_count(&self) -> usize {
        usize::from(self.via_count)
    }

    /// The first Contact value (`*` gives a NameAddr whose uri is `*`).
    pub fn contact(&self) -> Option<NameAddr<'a>> {
        first_element(self.contact?.get(self.buf)).and_then(NameAddr::parse)
    }

    /// Content-Type (or `c`) value, parameters included.
    pub fn content_type(&self) -> Option<&'a [u8]> {
        self.content_type.map(|s| s.get(self.buf))
    }

    /// The declared Content-Length, when present and numeric.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length
    }

    /// The body: the bytes after the empty line, limited to Content-Length when it is valid
    /// and not larger than what is present (see the CONTENT_LENGTH quirks otherwise).
    pub fn body(&self) -> &'a [u8] {
        self.buf
            .get(self.body_start..self.body_end)
            .unwrap_or_default()
    }

    /// Offset of the body in the input.
    pub fn body_offset(&self) -> usize {
        self.body_start
    }

    /// The raw header section (between the start line and the empty line).
    pub fn header_bytes(&self) -> &'a [u8] {
        self.buf
            .get(self.headers_start..self.headers_end)
            .unwrap_or_default()
    }

    /// Every header line as (name, value), in order. Values are raw: a folded value spans its
    /// line breaks (use [`super::header::unfold`] to read it without them).
    pub fn all_headers(&self) -> HeaderLines<'_, 'a> {
        HeaderLines {
            msg: self,
            raw: RawHeaders::new(self.buf, self.headers_start),
        }
    }

    /// Raw values of every line of header `name` (case-insensitive, compact forms understood),
    /// not comma-split.
    pub fn header_lines<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> {
        let name = name.as_bytes();
        self.all_headers()
            .filter(move |(n, _)| name_eq(n, name))
            .map(|(_, v)| v)
    }

    /// All values of header `name`: every line, comma-separated lists split (except for
    /// headers whose grammar has commas inside a value, e.g. Authorization, Date, User-Agent).
    pub fn headers<'n>(&self, name: &'n str) -> Headers<'_, 'a, 'n> {
        Headers {
            lines: self.all_headers(),
            name: name.as_bytes(),
            split: !is_single_valued(name.as_bytes()),
            current: None,
        }
    }

    /// The first value of header `name` (see [`Self::headers`]).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers(name).next()
    }

    pub fn user_agent(&self) -> Option<&'a [u8]> {
        self.header("User-Agent")
    }

    pub fn server(&self) -> Option<&'a [u8]> {
        self.header("Server")
    }

    /// The first Reason value (RFC 3326), e.g. Q.850 cause of a BYE or CANCEL.
    pub fn reason(&self) -> Option<Reason<'a>> {
        self.reasons().next()
    }

    pub fn reasons(&self) -> impl Iterator<Item = Reason<'a>> {
        self.headers("Reason").filter_map(Reason::parse)
    }
}

impl core::fmt::Debug for SipMessage<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SipMessage")
            .field("start_line", &self.kind())
            .field("call_id", &self.call_id().map(String::from_utf8_lossy))
            .field("headers", &self.header_count)
            .field("body_len", &self.body().len())
            .field("quirks", &self.quirks)
            .finish()
    }
}

/// Iterator over (name, value) header lines; see [`SipMessage::all_headers`]. It rescans the
/// header bytes (the parse keeps only the ranges of the headers the engine reads).
#[derive(Clone)]
pub struct HeaderLines<'m, 'a> {
    msg: &'m SipMessage<'a>,
    raw: RawHeaders<'a>,
}

impl<'a> Iterator for HeaderLines<'_, 'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let buf = self.msg.buf;
        let get = |r: (usize, usize)| buf.get(r.0..r.1).unwrap_or_default();
        self.raw
            .find(|h| !h.no_colon)
            .map(|h| (get(h.name), get(h.value)))
    }
}

/// Iterator over the values of one header; see [`SipMessage::headers`].
pub struct Headers<'m, 'a, 'n> {
    lines: HeaderLines<'m, 'a>,
    name: &'n [u8],
    split: bool,
    current: Option<CommaSplit<'a>>,
}

impl<'a> Iterator for Headers<'_, 'a, '_> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            if let Some(v) = self.current.as_mut().and_then(Iterator::next) {
                return Some(v);
            }
            let (n, v) = self.lines.next()?;
            if !name_eq(n, self.name) {
                continue;
            }
            if self.split {
                self.current = Some(CommaSplit::new(v));
            } else {
                return Some(v);
            }
        }
    }
}
