//! SIP message framing in a byte stream (RFC 3261 §18.3): headers end at the first empty line,
//! the body is `Content-Length` (or compact `l`) bytes.
use memchr::memmem;

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
    let headers = &buf[..hdr_end];
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

/// Returns (end of headers, start of body): the empty line may be CRLFCRLF or LFLF.
pub fn header_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = memmem::find(buf, b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = memmem::find(buf, b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// Value of the Content-Length (or `l`) header in a header block, if present and numeric.
pub fn content_length(headers: &[u8]) -> Option<usize> {
    for line in headers.split(|&b| b == b'\n') {
        let Some(colon) = memchr::memchr(b':', line) else { continue };
        let name = trim(&line[..colon]);
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            let v = trim(&line[colon + 1..]);
            if v.is_empty() || v.len() > 9 || !v.iter().all(u8::is_ascii_digit) {
                return None;
            }
            return Some(v.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0')));
        }
    }
    None
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_messages_in_one_buffer() {
        let m = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabcBYE sip:b SIP/2.0\r\nl: 0\r\n\r\n";
        assert_eq!(message_len(m), FrameLen::Complete(47));
        assert_eq!(message_len(&m[47..]), FrameLen::Complete(28));
    }

    #[test]
    fn incomplete_body_waits() {
        assert_eq!(message_len(b"INVITE x SIP/2.0\r\nContent-Length: 10\r\n\r\nabc"), FrameLen::Incomplete);
        assert_eq!(message_len(b"INVITE x SIP/2.0\r\nContent-Le"), FrameLen::Incomplete);
    }

    #[test]
    fn lf_only_and_missing_length() {
        assert_eq!(message_len(b"BYE x SIP/2.0\nl: 0\n\n"), FrameLen::Complete(20));
        assert_eq!(message_len(b"BYE x SIP/2.0\nVia: x\n\n"), FrameLen::NoContentLength(22));
    }
}
