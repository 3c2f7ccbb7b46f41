//! Header-level building blocks: the raw header-line scanner (shared by the parser, the
//! framing code and the generic header lookups), compact forms, comma splitting and
//! unfolding. Everything borrows the input; nothing allocates.
use memchr::memchr;

/// Long form of a compact header name (RFC 3261 §7.3.3 and the IANA SIP header registry).
pub fn expand_compact(name: &[u8]) -> &[u8] {
    let [c] = name else { return name };
    match c.to_ascii_lowercase() {
        b'a' => b"Accept-Contact",
        b'b' => b"Referred-By",
        b'c' => b"Content-Type",
        b'd' => b"Request-Disposition",
        b'e' => b"Content-Encoding",
        b'f' => b"From",
        b'i' => b"Call-ID",
        b'j' => b"Reject-Contact",
        b'k' => b"Supported",
        b'l' => b"Content-Length",
        b'm' => b"Contact",
        b'n' => b"Identity-Info",
        b'o' => b"Event",
        b'r' => b"Refer-To",
        b's' => b"Subject",
        b't' => b"To",
        b'u' => b"Allow-Events",
        b'v' => b"Via",
        b'x' => b"Session-Expires",
        b'y' => b"Identity",
        _ => name,
    }
}

/// True when two header names denote the same header (case-insensitive, compact forms equal).
pub fn name_eq(a: &[u8], b: &[u8]) -> bool {
    expand_compact(a).eq_ignore_ascii_case(expand_compact(b))
}

/// Headers whose values contain commas that do not separate list elements (RFC 3261 §7.3.1):
/// `headers()` returns their lines whole.
pub(crate) fn is_single_valued(name: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"Authorization",
        b"Proxy-Authorization",
        b"WWW-Authenticate",
        b"Proxy-Authenticate",
        b"Authentication-Info",
        b"Date",
        b"Call-ID",
        b"CSeq",
        b"Content-Length",
        b"Content-Type",
        b"Subject",
        b"Organization",
        b"User-Agent",
        b"Server",
        b"Retry-After",
        b"Timestamp",
        b"Max-Forwards",
        b"Expires",
    ];
    let name = expand_compact(name);
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// One header line as found by [`RawHeaders`]: absolute byte ranges into the scanned buffer.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHeader {
    pub name: (usize, usize),
    pub value: (usize, usize),
    /// The value continues over folded lines.
    pub folded: bool,
    /// No colon on the line: `name` covers the whole line, `value` is empty.
    pub no_colon: bool,
    pub space_before_colon: bool,
}

/// Where the header section ended.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionEnd {
    /// Still scanning.
    Open,
    /// Empty line found: (offset of the empty line, offset of the body).
    Blank(usize, usize),
    /// The input ended first.
    Eof,
}

/// Scans header lines from `pos` (just after the start line) up to the empty line.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct RawHeaders<'a> {
    buf: &'a [u8],
    pos: usize,
    pub end: SectionEnd,
    /// Some line ended with a bare LF.
    pub lf_only: bool,
}

impl<'a> RawHeaders<'a> {
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        Self {
            buf,
            pos,
            end: SectionEnd::Open,
            lf_only: false,
        }
    }

    /// End of the line starting at `from` (index of its `\n`, or the buffer length) and the end
    /// of its content (without the CR).
    #[inline]
    fn line_at(&mut self, from: usize) -> (usize, usize) {
        let rest = self.buf.get(from..).unwrap_or_default();
        match memchr(b'\n', rest) {
            Some(i) => {
                let nl = from + i;
                if nl > from && self.buf.get(nl - 1) == Some(&b'\r') {
                    (nl, nl - 1)
                } else {
                    self.lf_only = true;
                    (nl, nl)
                }
            }
            None => (self.buf.len(), self.buf.len()),
        }
    }
}

impl Iterator for RawHeaders<'_> {
    type Item = RawHeader;

    fn next(&mut self) -> Option<RawHeader> {
        if self.end != SectionEnd::Open {
            return None;
        }
        let start = self.pos;
        if start >= self.buf.len() {
            self.end = SectionEnd::Eof;
            return None;
        }
        let (nl, content_end) = self.line_at(start);
        if content_end == start {
            // The empty line: the body starts after its LF.
            self.end = SectionEnd::Blank(start, (nl + 1).min(self.buf.len()));
            return None;
        }
        // Folded continuation lines start with SP or HTAB (RFC 3261 §7.3.1).
        let mut value_end = content_end;
        let mut next = nl + 1;
        let mut folded = false;
        while matches!(self.buf.get(next), Some(b' ' | b'\t')) {
            let (nl2, end2) = self.line_at(next);
            folded = true;
            value_end = end2;
            next = nl2 + 1;
        }
        self.pos = next;
        let line = self.buf.get(start..content_end).unwrap_or_default();
        // Header names are short: a scalar scan beats a memchr call here.
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            return Some(RawHeader {
                name: (start, content_end),
                value: (content_end, content_end),
                folded,
                no_colon: true,
                space_before_colon: false,
            });
        };
        let (n0, n1) = trim_range(self.buf, start, start + colon);
        let space_before_colon = n1 < start + colon;
        let (v0, v1) = trim_range(self.buf, start + colon + 1, value_end);
        Some(RawHeader {
            name: (n0, n1),
            value: (v0, v1),
            folded,
            no_colon: false,
            space_before_colon,
        })
    }
}

#[cfg(target_arch = "x86_64")]
use memchr::arch::x86_64::avx2::memchr as avx2;

/// Byte finders for the per-line scans of the header and SDP passes. memchr's AVX2 routines
/// are called directly: the generic `memchr` re-dispatches on the CPU at every call, which
/// costs as much as the search itself on lines of a few dozen bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineScan {
    #[cfg(target_arch = "x86_64")]
    nl: Option<avx2::One>,
}

impl LineScan {
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(target_arch = "x86_64")]
            nl: avx2::One::new(b'\n'),
        }
    }

    /// Index of the first `\n`.
    #[inline]
    pub(crate) fn nl(&self, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(f) = &self.nl {
            return f.find(hay);
        }
        memchr(b'\n', hay)
    }
}

/// `s` equals `lit` ignoring ASCII case, where `lit` is lowercase: cheaper than
/// `eq_ignore_ascii_case`, which lowercases both sides of every byte.
#[inline(always)]
pub(crate) fn eq_lower(s: &[u8], lit: &[u8]) -> bool {
    s.len() == lit.len()
        && s.iter()
            .zip(lit)
            .all(|(&a, &b)| a == b || (b.is_ascii_lowercase() && a | 0x20 == b))
}

/// Shrinks `[a, b)` to exclude surrounding whitespace (SP, HTAB, CR, LF).
#[inline]
pub(crate) fn trim_range(buf: &[u8], mut a: usize, mut b: usize) -> (usize, usize) {
    while a < b && buf.get(a).is_some_and(u8::is_ascii_whitespace) {
        a += 1;
    }
    while b > a && buf.get(b - 1).is_some_and(u8::is_ascii_whitespace) {
        b -= 1;
    }
    (a, b)
}

/// Splits a header value at commas that are outside quoted strings and `<...>`
/// (RFC 3261 §7.3.1); yields trimmed, non-empty elements.
#[derive(Debug, Clone)]
pub struct CommaSplit<'a> {
    rest: &'a [u8],
}

impl<'a> CommaSplit<'a> {
    pub fn new(value: &'a [u8]) -> Self {
        Self { rest: value }
    }
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let end = find_unquoted(self.rest, b',', true).unwrap_or(self.rest.len());
            let item = self.rest.get(..end).unwrap_or_default().trim_ascii();
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

/// Index of the first `needle` outside double quotes (and outside `<...>` if `angles`).
/// Backslash escapes inside quotes are honoured. Jumps between special bytes with memchr
/// instead of walking the value byte by byte ([`find_unquoted_slow`] is the reference).
#[inline]
pub(crate) fn find_unquoted(s: &[u8], needle: u8, angles: bool) -> Option<usize> {
    let mut i = 0;
    loop {
        let rest = s.get(i..)?;
        let j = i + if angles {
            memchr::memchr3(needle, b'"', b'<', rest)?
        } else {
            memchr::memchr2(needle, b'"', rest)?
        };
        match s.get(j) {
            Some(&c) if c == needle => return Some(j),
            Some(b'"') => {
                // Skip the quoted string, honouring backslash escapes.
                let mut k = j + 1;
                loop {
                    let q = k + memchr::memchr2(b'"', b'\\', s.get(k..)?)?;
                    if s.get(q) == Some(&b'\\') {
                        k = q + 2;
                    } else {
                        i = q + 1;
                        break;
                    }
                }
            }
            // '<' (only searched for when `angles`): skip to the matching '>'.
            _ => i = j + 1 + memchr(b'>', s.get(j + 1..)?)? + 1,
        }
    }
}

/// Byte-by-byte reference implementation of [`find_unquoted`] (used by the tests).
#[cfg(test)]
pub(crate) fn find_unquoted_slow(s: &[u8], needle: u8, angles: bool) -> Option<usize> {
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, &c) in s.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_quotes = false;
            }
            continue;
        }
        if in_angle {
            if c == b'>' {
                in_angle = false;
            }
            continue;
        }
        if c == needle {
            return Some(i);
        }
        match c {
            b'"' => in_quotes = true,
            b'<' if angles => in_angle = true,
            _ => {}
        }
    }
    None
}

/// The fragments of a (possibly folded) header value with the line breaks and the leading
/// whitespace of continuation lines removed; concatenated with one SP between them they give
/// the unfolded value (RFC 3261 §7.3.1). An unfolded value yields itself once.
#[derive(Debug, Clone)]
pub struct Unfold<'a> {
    rest: &'a [u8],
}

/// See [`Unfold`].
pub fn unfold(value: &[u8]) -> Unfold<'_> {
    Unfold { rest: value }
}

impl<'a> Iterator for Unfold<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (line, rest) = match memchr(b'\n', self.rest) {
                Some(i) => (
                    self.rest.get(..i).unwrap_or_default(),
                    self.rest.get(i + 1..).unwrap_or_default(),
                ),
                None => (self.rest, &b""[..]),
            };
            self.rest = rest;
            let frag = line.trim_ascii();
            if !frag.is_empty() {
                return Some(frag);
            }
        }
    }
}

/// `;name[=value]` parameters (URI or header parameters), split outside quotes.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    rest: &'a [u8],
}

impl<'a> Params<'a> {
    /// `s` may start with `;` or directly with the first parameter.
    pub fn new(s: &'a [u8]) -> Self {
        Self { rest: s }
    }

    /// Value of the first parameter named `name` (case-insensitive); `Some(b"")` for a flag.
    pub fn get(self, name: &[u8]) -> Option<&'a [u8]> {
        self.into_iter()
            .find(|(n, _)| *n == name || n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.unwrap_or_default())
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // Leading separators give empty items: skip them without a search.
            let skip = self.rest.iter().take_while(|&&c| c == b';').count();
            self.rest = self.rest.get(skip..).unwrap_or_default();
            if self.rest.is_empty() {
                return None;
            }
            let end = find_unquoted(self.rest, b';', false).unwrap_or(self.rest.len());
            let item = self.rest.get(..end).unwrap_or_default().trim_ascii();
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            if item.is_empty() {
                continue;
            }
            // Parameter names are short: a plain scan beats a memchr call.
            return Some(match item.iter().position(|&c| c == b'=') {
                Some(eq) => (
                    item.get(..eq).unwrap_or_default().trim_ascii(),
                    Some(item.get(eq + 1..).unwrap_or_default().trim_ascii()),
                ),
                None => (item, None),
            });
        }
    }
}

/// Removes one pair of surrounding double quotes, if present.
pub fn unquote(s: &[u8]) -> &[u8] {
    match s {
        [b'"', inner @ .., b'"'] => inner,
        _ => s,
    }
}
