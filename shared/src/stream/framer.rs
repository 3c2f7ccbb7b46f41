//! What one direction of a TCP connection carries, and SIP framing of its contiguous bytes.
//!
//! The first bytes decide (cheaply, then never again): a SIP start line means SIP; `GET`
//! with `Upgrade: websocket` and `Sec-WebSocket-Protocol: sip` (and the peer's `101`) means
//! SIP over WebSocket (RFC 7118 §4); anything else means the connection is ignored. A
//! connection whose SYN we did not see may start inside a message, so its first 16 KiB are
//! searched for a start line before giving up; and a direction whose peer is SIP is never
//! given up on (it resynchronises instead).
//!
//! SIP framing follows RFC 3261 §18.3: headers end at the empty line, the body is
//! Content-Length bytes. Leading CRLFs are RFC 5626 keepalives. Bytes that do not start with
//! a SIP start line are skipped up to the next one (resynchronisation) and reported. After a
//! sequence gap the bytes may start inside a line, so only a status line or a known method is
//! taken at the cut; elsewhere a start line must follow a LF.
use memchr::{memchr, memchr_iter};

use super::websocket::WsDecoder;
use super::{Out, StreamError};
use crate::net::Transport;
use crate::sip::frame::MAX_HEADER_BYTES;

/// Longest start line accepted (request-URIs can be long, but not this long).
const MAX_START_LINE: usize = 4096;
/// Longest HTTP upgrade request or response head.
const MAX_HTTP_HEAD: usize = 8192;
/// Bytes of a connection seen mid-stream (or after a gap before anything was recognised)
/// searched for a SIP start line before giving up on it.
const PROBE_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    /// Nothing decided yet.
    #[default]
    Unknown,
    /// Reading an HTTP request head that may be a WebSocket upgrade.
    HttpRequest,
    /// Reading the HTTP answer to the peer's upgrade request.
    HttpResponse,
    Sip,
    /// WebSocket frames carrying SIP.
    Ws,
    /// Not SIP: ignored.
    NonSip,
}

/// Result of testing whether bytes start with a SIP start line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    Sip,
    NotSip,
    /// A valid prefix of a start line: more bytes are needed to tell.
    NeedMore,
}

#[derive(Debug, Default)]
pub(crate) struct Framer {
    mode: Mode,
    syn_seen: bool,
    probed: usize,
    /// Skipping bytes up to the next SIP start line.
    resync: bool,
    /// The pending bytes follow a gap, so they may start inside a line: a start line cut by
    /// the gap ("NVITE sip:...") must not be taken for one.
    cut: bool,
    /// Bytes still to discard (the rest of an oversized message).
    skip: usize,
    /// Classification gave up on the first bytes (not an HTTP or WebSocket failure).
    unknown_gave_up: bool,
    /// This direction sent the WebSocket upgrade request.
    ws_client: bool,
    /// The upgrade was answered with 101 (set on both directions).
    ws_confirmed: bool,
    /// This direction just answered 101 (taken once by `newly_ws_server`).
    ws_server_new: bool,
    /// Boxed: only WebSocket connections pay for it.
    ws: Option<Box<WsDecoder>>,
    /// The pending message cannot be complete before the pending bytes reach this length.
    wait_for: usize,
    /// The end of headers is not before this offset of the pending bytes.
    scan_from: usize,
}

impl Framer {
    pub(crate) fn set_syn_seen(&mut self) {
        self.syn_seen = true;
    }

    pub(crate) fn is_non_sip(&self) -> bool {
        self.mode == Mode::NonSip
    }

    pub(crate) fn carries_sip(&self) -> bool {
        self.mode == Mode::Sip || (self.mode == Mode::Ws && self.ws_confirmed)
    }

    pub(crate) fn upgrading_to_ws(&self) -> bool {
        self.mode == Mode::Ws && self.ws_client
    }

    pub(crate) fn newly_ws_server(&mut self) -> bool {
        std::mem::take(&mut self.ws_server_new)
    }

    pub(crate) fn confirm_ws(&mut self) {
        self.ws_confirmed = true;
    }

    pub(crate) fn is_plain_sip(&self) -> bool {
        self.mode == Mode::Sip
    }

    /// The peer direction carries SIP, so this one does too even though its first bytes were
    /// not a start line (seen mid-message): look for the next start line instead of giving up.
    pub(crate) fn resync_if_gave_up(&mut self) -> bool {
        if self.mode == Mode::NonSip && self.unknown_gave_up {
            self.mode = Mode::Sip;
            self.resync = true;
            self.unknown_gave_up = false;
            return true;
        }
        false
    }

    pub(crate) fn memory(&self) -> usize {
        self.ws
            .as_ref()
            .map_or(0, |w| w.memory() + std::mem::size_of::<WsDecoder>())
    }

    pub(crate) fn free(&mut self) {
        self.ws = None;
    }

    fn reset_hints(&mut self) {
        self.wait_for = 0;
        self.scan_from = 0;
    }

    /// Frames as much of `data` (the pending bytes of this direction, in order) as possible
    /// and returns how many bytes were used; the caller keeps the rest for the next call.
    pub(crate) fn frame(&mut self, data: &[u8], peer_upgrading: bool, out: &mut Out<'_>) -> usize {
        if data.len() < self.wait_for {
            return 0;
        }
        let mut pos = 0;
        while let Some(rest) = data.get(pos..).filter(|r| !r.is_empty()) {
            if self.skip > 0 {
                let n = self.skip.min(rest.len());
                self.skip -= n;
                pos += n;
                continue;
            }
            let before = (self.mode, self.resync);
            let step = match self.mode {
                Mode::NonSip => Some(rest.len()),
                Mode::Unknown => self.classify(rest, peer_upgrading, out),
                Mode::HttpRequest => self.http_request(rest),
                Mode::HttpResponse => self.http_response(rest),
                Mode::Sip => self.sip(rest, out),
                Mode::Ws => {
                    out.transport = Transport::Ws;
                    let ws = self.ws.get_or_insert_with(Box::default);
                    let r = ws.decode(rest, out);
                    out.transport = Transport::Tcp;
                    if ws.is_broken() {
                        self.mode = Mode::NonSip;
                    }
                    r
                }
            };
            match step {
                Some(0) if before == (self.mode, self.resync) => break,
                Some(n) => {
                    pos += n;
                    if n > 0 {
                        self.reset_hints();
                    }
                }
                None => break,
            }
        }
        pos
    }

    /// Unknown mode: decide from the first bytes.
    fn classify(&mut self, rest: &[u8], peer_upgrading: bool, out: &mut Out<'_>) -> Option<usize> {
        let crlf = leading_crlf(rest);
        if crlf > 0 {
            out.stats.keepalives += 1;
            return Some(crlf);
        }
        let get = prefix_state(rest, b"GET ");
        let http = prefix_state(rest, b"HTTP/");
        // After a gap the bytes may start inside a line.
        let sip = if !self.cut {
            starts_like_sip(rest)
        } else {
            starts_like_known_sip(rest)
        };
        if get == Start::Sip {
            self.mode = Mode::HttpRequest;
            return Some(0);
        }
        if http == Start::Sip {
            self.mode = if peer_upgrading {
                Mode::HttpResponse
            } else {
                Mode::NonSip
            };
            return Some(0);
        }
        match sip {
            Start::Sip => {
                self.mode = Mode::Sip;
                Some(0)
            }
            Start::NeedMore => None,
            Start::NotSip if get == Start::NeedMore || http == Start::NeedMore => None,
            Start::NotSip if !self.syn_seen && self.probed < PROBE_BYTES => {
                // Capture started inside a message: look for the next one.
                let (used, found) = match find_start(rest, !self.cut) {
                    Some((i, Start::Sip)) => (i, true),
                    Some((0, _)) => return None,
                    Some((i, _)) => (i, false),
                    None => (rest.len(), false),
                };
                let skipped = rest.get(..used).unwrap_or_default();
                self.probed += used;
                self.cut = skipped.last() != Some(&b'\n');
                if found {
                    self.mode = Mode::Sip;
                    self.cut = false;
                    out.malformed(skipped, StreamError::Gap);
                }
                Some(used)
            }
            Start::NotSip => {
                self.mode = Mode::NonSip;
                self.unknown_gave_up = true;
                Some(rest.len())
            }
        }
    }

    fn http_request(&mut self, rest: &[u8]) -> Option<usize> {
        let Some((hdr_end, body)) = header_end(rest) else {
            if rest.len() > MAX_HTTP_HEAD {
                self.mode = Mode::NonSip;
                return Some(rest.len());
            }
            return None;
        };
        let head = rest.get(..hdr_end).unwrap_or_default();
        let upgrade = header_value(head, b"upgrade").is_some_and(|v| has_token(v, b"websocket"));
        let sip =
            header_value(head, b"sec-websocket-protocol").is_some_and(|v| has_token(v, b"sip"));
        if upgrade && sip {
            self.mode = Mode::Ws;
            self.ws_client = true;
            Some(body)
        } else {
            self.mode = Mode::NonSip;
            Some(rest.len())
        }
    }

    fn http_response(&mut self, rest: &[u8]) -> Option<usize> {
        let Some((_, body)) = header_end(rest) else {
            if rest.len() > MAX_HTTP_HEAD {
                self.mode = Mode::NonSip;
                return Some(rest.len());
            }
            return None;
        };
        // "HTTP/1.1 101 Switching Protocols"
        let status = rest
            .iter()
            .position(|&b| b == b' ')
            .and_then(|sp| rest.get(sp + 1..sp + 4));
        if status == Some(b"101") {
            self.mode = Mode::Ws;
            self.ws_confirmed = true;
            self.ws_server_new = true;
            Some(body)
        } else {
            self.mode = Mode::NonSip;
            Some(rest.len())
        }
    }

    /// Sip mode: one keepalive run, one skipped region or one message.
    fn sip(&mut self, rest: &[u8], out: &mut Out<'_>) -> Option<usize> {
        let crlf = leading_crlf(rest);
        if crlf > 0 {
            // RFC 5626 §4.4.1: CRLFCRLF ping, CRLF pong.
            out.stats.keepalives += 1;
            self.cut = rest.get(crlf - 1) != Some(&b'\n');
            return Some(crlf);
        }
        if self.resync {
            let found = find_start(rest, !self.cut);
            let used = match found {
                Some((0, Start::Sip)) => {
                    self.resync = false;
                    return Some(0);
                }
                Some((0, _)) => return None,
                Some((i, _)) => i,
                None => rest.len(),
            };
            if found.is_some_and(|(_, st)| st == Start::Sip) {
                self.resync = false;
            }
            let skipped = rest.get(..used).unwrap_or_default();
            self.cut = skipped.last() != Some(&b'\n');
            out.malformed(skipped, StreamError::NotSip);
            return Some(used);
        }
        match starts_like_sip(rest) {
            Start::NotSip => {
                self.resync = true;
                // A message boundary: what follows starts a line.
                self.cut = false;
                Some(0)
            }
            Start::NeedMore => None,
            Start::Sip => self.sip_message(rest, out),
        }
    }

    /// Frames the message starting at `rest` by Content-Length.
    fn sip_message(&mut self, rest: &[u8], out: &mut Out<'_>) -> Option<usize> {
        let from = self.scan_from.min(rest.len());
        let found = if from == 0 {
            scan_head(rest)
        } else {
            // Resuming a long head: the part before `from` has no empty line.
            let end = rest
                .get(from..)
                .and_then(header_end)
                .map(|(h, b)| (h + from, b + from));
            end.map(|(h, b)| (h, b, content_length_of(rest.get(..h).unwrap_or_default())))
        };
        let Some((hdr_end, body, cl)) = found else {
            if rest.len() > MAX_HEADER_BYTES {
                out.malformed(rest, StreamError::TooLarge);
                self.resync = true;
                return Some(rest.len());
            }
            self.scan_from = rest.len().saturating_sub(3);
            self.wait_for = rest.len() + 1;
            return None;
        };
        let Some(cl) = cl else {
            let head = rest.get(..body).unwrap_or_default();
            if body > out.cfg.max_message_bytes {
                out.malformed(head, StreamError::TooLarge);
            } else {
                out.message(head, true);
            }
            return Some(body);
        };
        let total = body.saturating_add(cl);
        if total > out.cfg.max_message_bytes {
            // Too long to buffer: report what is here and discard the rest of it.
            let have = rest.len().min(total);
            out.malformed(rest.get(..have).unwrap_or_default(), StreamError::TooLarge);
            self.skip = total - have;
            return Some(have);
        }
        match rest.get(..total) {
            Some(msg) => {
                out.message(msg, false);
                Some(total)
            }
            None => {
                self.wait_for = total;
                self.scan_from = hdr_end;
                None
            }
        }
    }

    /// A hole in the sequence space was skipped: `pending` are the bytes before it.
    pub(crate) fn on_gap(&mut self, pending: &[u8], out: &mut Out<'_>) {
        self.reset_hints();
        self.skip = 0;
        match self.mode {
            Mode::Sip => {
                if leading_crlf(pending) < pending.len() {
                    out.malformed(pending, StreamError::Gap);
                }
                self.resync = true;
                self.cut = true;
            }
            Mode::Ws => {
                // Frame boundaries are lost with the hole: give up on this direction.
                out.transport = Transport::Ws;
                if let Some(ws) = &mut self.ws {
                    ws.on_end(pending, StreamError::Gap, out);
                } else if !pending.is_empty() {
                    out.malformed(pending, StreamError::Gap);
                }
                out.transport = Transport::Tcp;
                self.mode = Mode::NonSip;
            }
            Mode::Unknown => {
                self.syn_seen = false;
                self.cut = true;
            }
            Mode::HttpRequest | Mode::HttpResponse => self.mode = Mode::NonSip,
            Mode::NonSip => {}
        }
    }

    /// More than the bound is pending.
    pub(crate) fn on_too_large(&mut self, pending: &[u8], out: &mut Out<'_>) {
        self.reset_hints();
        match self.mode {
            Mode::Sip => {
                out.malformed(pending, StreamError::TooLarge);
                self.resync = true;
            }
            Mode::Ws => {
                out.transport = Transport::Ws;
                if let Some(ws) = &mut self.ws {
                    ws.on_end(pending, StreamError::TooLarge, out);
                } else if !pending.is_empty() {
                    out.malformed(pending, StreamError::TooLarge);
                }
                out.transport = Transport::Tcp;
                self.mode = Mode::NonSip;
            }
            _ => self.mode = Mode::NonSip,
        }
    }

    /// The direction ends: `pending` is what was never framed.
    pub(crate) fn on_end(&mut self, pending: &[u8], out: &mut Out<'_>) {
        self.reset_hints();
        match self.mode {
            Mode::Sip if leading_crlf(pending) < pending.len() => {
                out.malformed(pending, StreamError::Incomplete);
            }
            Mode::Unknown if !pending.is_empty() && starts_like_sip(pending) == Start::NeedMore => {
                out.malformed(pending, StreamError::Incomplete);
            }
            Mode::Ws => {
                out.transport = Transport::Ws;
                if let Some(ws) = &mut self.ws {
                    ws.on_end(pending, StreamError::Incomplete, out);
                } else if !pending.is_empty() {
                    out.malformed(pending, StreamError::Incomplete);
                }
                out.transport = Transport::Tcp;
            }
            _ => {}
        }
    }
}

/// Number of CR and LF bytes at the start.
pub(crate) fn leading_crlf(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| c == b'\r' || c == b'\n').count()
}

/// `Sip` if `b` starts with `prefix`, `NeedMore` if `b` is a shorter prefix of it.
fn prefix_state(b: &[u8], prefix: &[u8]) -> Start {
    if b.starts_with(prefix) {
        Start::Sip
    } else if prefix.starts_with(b) {
        Start::NeedMore
    } else {
        Start::NotSip
    }
}

/// RFC 3261 §25.1 token characters (a method name).
fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&c)
}

/// Does `b` start with a SIP request line (`METHOD SP URI SP SIP/2.0 CRLF`) or status line
/// (`SIP/2.0 SP DDD SP`)?
pub(crate) fn starts_like_sip(b: &[u8]) -> Start {
    const VERSION: &[u8] = b"SIP/2.0";
    match prefix_state(b, b"SIP/2.0 ") {
        Start::Sip => {
            for i in 8..12 {
                let Some(&c) = b.get(i) else {
                    return Start::NeedMore;
                };
                let ok = if i < 11 {
                    c.is_ascii_digit()
                } else {
                    matches!(c, b' ' | b'\r' | b'\n')
                };
                if !ok {
                    return Start::NotSip;
                }
            }
            return Start::Sip;
        }
        Start::NeedMore => return Start::NeedMore,
        Start::NotSip => {}
    }
    let method = b.iter().take_while(|&&c| is_token(c)).count();
    if method == b.len() {
        return if method <= 32 {
            Start::NeedMore
        } else {
            Start::NotSip
        };
    }
    if method == 0 || method > 32 || b.get(method) != Some(&b' ') {
        return Start::NotSip;
    }
    let uri_start = method + 1;
    let tail = b.get(uri_start..).unwrap_or_default();
    let uri = tail.iter().take_while(|&&c| c > b' ' && c != 0x7f).count();
    if uri == tail.len() {
        return if uri_start + uri < MAX_START_LINE {
            Start::NeedMore
        } else {
            Start::NotSip
        };
    }
    if uri == 0 || tail.get(uri) != Some(&b' ') {
        return Start::NotSip;
    }
    let version = tail.get(uri + 1..).unwrap_or_default();
    match prefix_state(version, VERSION) {
        Start::Sip => match version.get(VERSION.len()) {
            Some(b'\r' | b'\n') => Start::Sip,
            Some(_) => Start::NotSip,
            None => Start::NeedMore,
        },
        other => other,
    }
}

/// Methods a start line may begin with when it is not known to start a line (after a gap):
/// no suffix of one of them is another, so a start line cut by the gap is not taken for one.
const KNOWN_METHODS: [&[u8]; 14] = [
    b"INVITE ",
    b"ACK ",
    b"BYE ",
    b"CANCEL ",
    b"OPTIONS ",
    b"REGISTER ",
    b"PRACK ",
    b"SUBSCRIBE ",
    b"NOTIFY ",
    b"PUBLISH ",
    b"INFO ",
    b"REFER ",
    b"MESSAGE ",
    b"UPDATE ",
];

/// Like `starts_like_sip`, but only for a status line or a known method.
fn starts_like_known_sip(b: &[u8]) -> Start {
    const STATUS: &[u8] = b"SIP/2.0 ";
    let mut best = Start::NotSip;
    for m in KNOWN_METHODS.iter().chain([&STATUS]) {
        match prefix_state(b, m) {
            Start::Sip => return starts_like_sip(b),
            Start::NeedMore => best = Start::NeedMore,
            Start::NotSip => {}
        }
    }
    best
}

/// First offset where a SIP start line begins (or may begin: more bytes needed): offset 0
/// (only a known method or a status line unless `line_start`) or just after a LF.
pub(crate) fn find_start(b: &[u8], line_start: bool) -> Option<(usize, Start)> {
    let first = if line_start {
        starts_like_sip(b)
    } else {
        starts_like_known_sip(b)
    };
    if first != Start::NotSip {
        return Some((0, first));
    }
    let mut at = memchr(b'\n', b)? + 1;
    loop {
        let rest = b.get(at..)?;
        match starts_like_sip(rest) {
            Start::NotSip => {}
            found => return Some((at, found)),
        }
        at += memchr(b'\n', rest)? + 1;
    }
}

/// `sip::frame::header_end` in one pass that stops at the first empty line: (end of headers,
/// start of body) for CRLFCRLF or LFLF, whichever comes first. (Searching each pattern over
/// the whole buffer would rescan every following message of a segment.)
pub(crate) fn header_end(buf: &[u8]) -> Option<(usize, usize)> {
    // An empty line is a line break right after a line break: LF LF, or LF CR LF.
    memchr_iter(b'\n', buf).find_map(|p| match (buf.get(p + 1), buf.get(p + 2)) {
        (Some(b'\n'), _) => Some((p, p + 2)),
        (Some(b'\r'), Some(b'\n')) => Some((line_break_start(buf, p), p + 3)),
        _ => None,
    })
}

/// Where the line break ending at the LF `p` starts (the CR before it, if any).
fn line_break_start(buf: &[u8], p: usize) -> usize {
    if p > 0 && buf.get(p - 1) == Some(&b'\r') {
        p - 1
    } else {
        p
    }
}

/// One pass over a message head, the common case: (end of headers, start of body,
/// Content-Length) with the rules of `sip::frame::{header_end, content_length}`.
pub(crate) fn scan_head(buf: &[u8]) -> Option<(usize, usize, Option<usize>)> {
    // Outer None: no Content-Length line yet; Some(v): the first one's value (None if invalid).
    let mut cl: Option<Option<usize>> = None;
    let mut line_start = 0;
    for p in memchr_iter(b'\n', buf) {
        if cl.is_none() {
            cl = content_length_line(buf.get(line_start..p).unwrap_or_default());
        }
        match (buf.get(p + 1), buf.get(p + 2)) {
            (Some(b'\n'), _) => return Some((p, p + 2, cl.flatten())),
            (Some(b'\r'), Some(b'\n')) => {
                return Some((line_break_start(buf, p), p + 3, cl.flatten()));
            }
            _ => {}
        }
        line_start = p + 1;
    }
    None
}

/// `Some(value)` if `line` is a Content-Length (or `l`) header; the value is None unless it
/// is a decimal number that fits 32 bits (as in `sip::frame::content_length`). A line that
/// starts with white space continues the previous header (folding) and is not a header.
fn content_length_line(line: &[u8]) -> Option<Option<usize>> {
    // A line starting with SP/HT continues the previous header; stray CRs before a name are
    // skipped, as the SIP parser does.
    let start = line.iter().position(|&b| b != b'\r').unwrap_or(line.len());
    if !matches!(line.get(start), Some(b'C' | b'c' | b'L' | b'l')) {
        return None;
    }
    let colon = memchr(b':', line)?;
    let name = line.get(..colon).unwrap_or_default().trim_ascii();
    if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
        return None;
    }
    let v = line.get(colon + 1..).unwrap_or_default().trim_ascii();
    let valid = (1..=10).contains(&v.len()) && v.iter().all(u8::is_ascii_digit);
    if !valid {
        return Some(None);
    }
    let n = v
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d.wrapping_sub(b'0')));
    Some(
        (n <= u64::from(u32::MAX))
            .then(|| usize::try_from(n).ok())
            .flatten(),
    )
}

/// `sip::frame::content_length` looking only at lines that can be Content-Length or `l`.
fn content_length_of(headers: &[u8]) -> Option<usize> {
    headers
        .split(|&c| c == b'\n')
        .find_map(content_length_line)
        .flatten()
}

/// Value of the first header `name` (case-insensitive) in an HTTP head.
fn header_value<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&c| c == b'\n').skip(1).find_map(|line| {
        let colon = memchr(b':', line)?;
        let (n, v) = line.split_at(colon);
        n.trim_ascii()
            .eq_ignore_ascii_case(name)
            .then(|| v.get(1..).unwrap_or_default().trim_ascii())
    })
}

/// Does a comma-separated header value list `token` (case-insensitive)?
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&c| c == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn start_lines() {
        assert_eq!(
            starts_like_sip(b"INVITE sip:bob@b.example SIP/2.0\r\n"),
            Start::Sip
        );
        assert_eq!(starts_like_sip(b"SIP/2.0 200 OK\r\n"), Start::Sip);
        assert_eq!(starts_like_sip(b"SIP/2.0 180"), Start::NeedMore);
        assert_eq!(starts_like_sip(b"SIP/2"), Start::NeedMore);
        assert_eq!(
            starts_like_sip(b"INVITE sip:bob@b.example SIP/2"),
            Start::NeedMore
        );
        assert_eq!(starts_like_sip(b"INV"), Start::NeedMore);
        assert_eq!(starts_like_sip(b"\x16\x03\x01\x02\x00"), Start::NotSip);
        assert_eq!(starts_like_sip(b"SSH-2.0-OpenSSH_9.2\r\n"), Start::NotSip);
        assert_eq!(starts_like_sip(b"GET / HTTP/1.1\r\n"), Start::NotSip);
        assert_eq!(starts_like_sip(b"SIP/2.0 2x0 OK\r\n"), Start::NotSip);
        assert_eq!(starts_like_sip(b"v=0\r\n"), Start::NotSip);
    }

    #[test]
    fn find_start_after_line_feed() {
        assert_eq!(
            find_start(b"a=sendrecv\r\nBYE sip:a SIP/2.0\r\n", true),
            Some((12, Start::Sip))
        );
        assert_eq!(
            find_start(b"a=sendrecv\r\nBYE sip:a", true),
            Some((12, Start::NeedMore))
        );
        assert_eq!(find_start(b"a=sendrecv\r\n\x00\x01", true), None);
        // After a gap, a start line cut at its beginning is not one.
        let cut = b"NVITE sip:bob@b SIP/2.0\r\nVia: x\r\nACK sip:b SIP/2.0\r\n";
        assert_eq!(find_start(cut, true), Some((0, Start::Sip)));
        assert_eq!(find_start(cut, false), Some((33, Start::Sip)));
        assert_eq!(
            find_start(b"INVITE sip:a SIP/2.0\r\n", false),
            Some((0, Start::Sip))
        );
        assert_eq!(
            find_start(b"SIP/2.0 200 OK\r\n", false),
            Some((0, Start::Sip))
        );
        assert_eq!(find_start(b"INV", false), Some((0, Start::NeedMore)));
        assert_eq!(find_start(b"FOO sip:a SIP/2.0\r\nx\x00", false), None);
    }

    #[test]
    fn header_end_matches_the_shared_one() {
        use crate::sip::frame;
        let cases: [&[u8]; 9] = [
            b"A\r\nB\r\n\r\nbody\n\n",
            b"A\nB\n\nbody\r\n\r\n",
            b"A\r\n\nB",
            b"\r\n\r\n",
            b"\n\n",
            b"A\n\r\nB",
            b"A\r\nB\r\n",
            b"",
            b"x\r\n\r",
        ];
        // Where the body starts and what Content-Length says must agree (the framer is only
        // called on a buffer that starts with a start line, after keep-alive CRLFs). The end of
        // the headers may differ by the line break they count in.
        for c in cases {
            if c.first().is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                continue;
            }
            assert_eq!(
                header_end(c).map(|x| x.1),
                frame::header_end(c).map(|x| x.1),
                "{c:?}"
            );
            let shared = frame::header_end(c).map(|(h, b)| (b, frame::content_length(&c[..h])));
            assert_eq!(scan_head(c).map(|(_, b, cl)| (b, cl)), shared, "{c:?}");
        }
    }

    #[test]
    fn content_length_matches_the_shared_one() {
        use crate::sip::frame;
        let cases: [&[u8]; 7] = [
            b"INVITE sip:a SIP/2.0\r\nCall-ID: x\r\nContent-Length: 12\r\n",
            b"INVITE sip:a SIP/2.0\r\nl: 7",
            b"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\ncontent-length :  0 \r\nl: 9\r\n",
            b"BYE sip:a SIP/2.0\r\nContent-Length: x\r\nl: 3\r\n",
            b"BYE sip:a SIP/2.0\r\nContent-Type: a/b\r\n",
            b"BYE sip:a SIP/2.0\r\n Content-Length: 4\r\n",
            b"BYE sip:a SIP/2.0\r\nContent-Length: 1234567890\r\n",
        ];
        for c in cases {
            assert_eq!(content_length_of(c), frame::content_length(c), "{c:?}");
            let mut msg = c.to_vec();
            msg.extend_from_slice(b"\r\n\r\nbody");
            let (h, b) = frame::header_end(&msg).unwrap();
            let shared = (b, frame::content_length(&msg[..h]));
            assert_eq!(
                scan_head(&msg).map(|(_, b, cl)| (b, cl)),
                Some(shared),
                "{c:?}"
            );
        }
    }

    proptest::proptest! {
        /// The one-pass scan agrees with the shared framing functions on any head.
        #[test]
        fn scan_head_agrees_with_shared_framing(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "\r\n", "\n", "\r", "Content-Length", "content-length", "l", "L", ":", " ", "12", "0",
                "x", "CSeq: 1", "1234567890",
            ]),
            0..40,
        )) {
            use crate::sip::frame;
            let mut buf = b"INVITE sip:a SIP/2.0\r\n".to_vec();
            buf.extend_from_slice(parts.concat().as_bytes());
            let shared = frame::header_end(&buf).map(|(h, b)| (b, frame::content_length(&buf[..h])));
            proptest::prop_assert_eq!(scan_head(&buf).map(|(_, b, cl)| (b, cl)), shared);
            proptest::prop_assert_eq!(header_end(&buf).map(|x| x.1), frame::header_end(&buf).map(|x| x.1));
        }
    }

    #[test]
    fn http_headers() {
        let head = b"GET / HTTP/1.1\r\nUpgrade: WebSocket\r\nSec-WebSocket-Protocol: xmpp, sip";
        assert!(header_value(head, b"upgrade").is_some_and(|v| has_token(v, b"websocket")));
        assert!(
            header_value(head, b"sec-websocket-protocol").is_some_and(|v| has_token(v, b"sip"))
        );
        assert!(header_value(head, b"host").is_none());
    }
}
