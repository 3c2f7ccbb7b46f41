//! SIP message framing in a byte stream (RFC 3261 §18.3): headers end at the first empty line,
//! the body is `Content-Length` (or compact `l`) bytes.
use super::header::{RawHeaders, SectionEnd};
use super::message::leading_crlf;
use super::name_addr::parse_u32;

/// Result of looking for one whole SIP message at the start of a stream buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameLen {
    /// A whole message of this many bytes is at the start of the buffer.
    Complete(usize),
    /// More bytes are needed (headers not finished, or body shorter than Content-Length).
    Incomplete,
    /// Headers are complete but Content-Length is missing or not a number: a stream transport
    /// requires it (§18.3). The value is the header length; treat the message as bodiless.
    NoContentLength(usize),
}

/// Upper bound for a header section before we call the stream garbage (DoS bound).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Finds the length of the first SIP message in `buf`.
pub fn message_len(buf: &[u8]) -> FrameLen {
    let (hdr_end, body_start) = match header_end(buf) {
        Some(v) => v,
        None => return FrameLen::Incomplete,
    };
    let headers = buf.get(..hdr_end).unwrap_or_default();
    match content_length(headers) {
        Some(cl) => {
            let total = body_start.saturating_add(cl);
            if total <= buf.len() {
                FrameLen::Complete(total)
            } else {
                FrameLen::Incomplete
            }
        }
        None => FrameLen::NoContentLength(body_start),
    }
}

/// Returns (end of headers, start of body): the offset of the first empty line (CRLF or bare
/// LF) after the start line, and the offset just past it. Leading CRLF keep-alives (RFC 3261
/// §7.5) are skipped, so they count as part of the message that follows them. Uses the same
/// line scanner as [`super::SipMessage::parse`], so both agree on where the body starts.
pub fn header_end(buf: &[u8]) -> Option<(usize, usize)> {
    let a = leading_crlf(buf);
    let nl = a + memchr::memchr(b'\n', buf.get(a..)?)?;
    let mut raw = RawHeaders::new(buf, nl + 1);
    raw.by_ref().for_each(drop);
    match raw.end {
        SectionEnd::Blank(e, b) => Some((e, b)),
        _ => None,
    }
}

/// Value of the first Content-Length (or `l`) header in a header block, if numeric
/// (at most 4294967295).
pub fn content_length(headers: &[u8]) -> Option<usize> {
    let (_, v) = RawHeaders::new(headers, leading_crlf(headers))
        .filter(|h| !h.no_colon)
        .map(|h| (headers.get(h.name.0..h.name.1).unwrap_or_default(), h.value))
        .find(|(n, _)| n.eq_ignore_ascii_case(b"content-length") || n.eq_ignore_ascii_case(b"l"))?;
    parse_u32(headers.get(v.0..v.1)?).and_then(|n| usize::try_from(n).ok())
}

/// Number of CR/LF bytes at the start of `buf` (keep-alives between messages on a stream).
pub fn keepalive_len(buf: &[u8]) -> usize {
    leading_crlf(buf)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn two_messages_in_one_buffer() {
        let m = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabcBYE sip:b SIP/2.0\r\nl: 0\r\n\r\n";
        assert_eq!(message_len(m), FrameLen::Complete(47));
        // (the skeleton said 28: the second message is 17 + 2 + 4 + 2 + 2 bytes)
        assert_eq!(message_len(&m[47..]), FrameLen::Complete(27));
        assert_eq!(m.len(), 47 + 27);
    }

    #[test]
    fn incomplete_body_waits() {
        assert_eq!(
            message_len(b"INVITE x SIP/2.0\r\nContent-Length: 10\r\n\r\nabc"),
            FrameLen::Incomplete
        );
        assert_eq!(
            message_len(b"INVITE x SIP/2.0\r\nContent-Le"),
            FrameLen::Incomplete
        );
    }

    #[test]
    fn leading_keepalives_belong_to_the_next_message() {
        let m = b"\r\n\r\nBYE x SIP/2.0\r\nl: 2\r\n\r\nab";
        assert_eq!(keepalive_len(m), 4);
        assert_eq!(message_len(m), FrameLen::Complete(m.len()));
        assert_eq!(message_len(b"\r\n\r\n"), FrameLen::Incomplete);
    }

    #[test]
    fn folded_content_length_and_spaces() {
        let m = b"BYE x SIP/2.0\r\nContent-Length :\r\n  3\r\n\r\nabc";
        assert_eq!(message_len(m), FrameLen::Complete(m.len()));
    }

    #[test]
    fn lf_only_and_missing_length() {
        assert_eq!(
            message_len(b"BYE x SIP/2.0\nl: 0\n\n"),
            FrameLen::Complete(20)
        );
        assert_eq!(
            message_len(b"BYE x SIP/2.0\nVia: x\n\n"),
            FrameLen::NoContentLength(22)
        );
    }
}
