//! Privacy mode: numbers, user names and display names masked for people who may not see
//! them, the same way in SIP messages, RTCP, JSON records and exported captures.
//!
//! The rule ([`mask_token`]): every letter, digit and non-ASCII byte becomes `*`, except the
//! last two (so calls stay distinguishable: `...89` and `...12` are different callers) and,
//! for an international number of 8 digits or more, the `+` and the two digits after it (the
//! country: `+33612345689` → `+33*******89`). A short value keeps less: half of it at most
//! (`1001` → `**01`, `42` → `*2`). Punctuation (`+`, `-`, `.`, `(`, `%`, ...) is kept.
//!
//! Masking never changes a length: a masked SIP message keeps its Content-Length, offsets and
//! framing, and a masked packet in a pcap keeps its headers and checksums valid once they are
//! computed over the masked bytes.
//!
//! What is masked in a SIP message ([`mask_sip`]):
//! - the user part (and password) of `sip:`/`sips:` URIs and the number of `tel:` URIs in the
//!   Request-URI and in From, To, Contact, P-Asserted-Identity, P-Preferred-Identity,
//!   Remote-Party-ID, Diversion, History-Info, Refer-To, Referred-By, P-Called-Party-ID and
//!   P-Served-User (compact forms `f`, `t`, `m`, `r`, `b` too), with the display names of those
//!   headers;
//! - the digest `username="..."` of Authorization and Proxy-Authorization;
//! - in bodies: the SDP `o=` username when it is a number, and the `LocalID`, `RemoteID` and
//!   `OrigID` URIs of RFC 6035 vq-rtcpxr reports.
//!
//! Not masked (see the gaps in the README): numbers inside binary bodies (ISUP in SIP-I/SIP-T),
//! user parts in other headers (Route, Via, Call-ID, custom headers).
//!
//! Pure: no allocation in the in-place functions, never panics on any input.
use crate::analysis::report::{CallRecord, OtherRecord, Report};

/// Headers whose URIs and display names are masked (lower case; compact forms included).
const URI_HEADERS: &[&[u8]] = &[
    b"from",
    b"f",
    b"to",
    b"t",
    b"contact",
    b"m",
    b"p-asserted-identity",
    b"p-preferred-identity",
    b"remote-party-id",
    b"diversion",
    b"history-info",
    b"refer-to",
    b"r",
    b"referred-by",
    b"b",
    b"p-called-party-id",
    b"p-served-user",
];

const AUTH_HEADERS: &[&[u8]] = &[b"authorization", b"proxy-authorization"];

/// What [`mask_sip`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Masked {
    /// Bytes replaced by `*`.
    pub bytes: usize,
}

fn maskable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Masks one value (a user part, a number, a display name) in place. See the module docs.
pub fn mask_token(v: &mut [u8]) -> usize {
    let n = v.iter().filter(|b| maskable(**b)).count();
    let tail = (n / 2).min(2);
    // `+` and 8 or more digits: an international number; its country code stays.
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    let plus = v
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != b'"');
    let international = plus.is_some_and(|i| v.get(i) == Some(&b'+')) && digits >= 8 && digits == n;
    let head = if international { 2 } else { 0 };
    let mut seen = 0;
    let mut masked = 0;
    for b in v.iter_mut() {
        if !maskable(*b) {
            continue;
        }
        seen += 1;
        if *b >= 0x80 || (seen > head && seen <= n - tail) {
            *b = b'*';
            masked += 1;
        }
    }
    masked
}

/// Masks a SIP message in place (same length). Works on any bytes: a message that does not
/// parse is masked as far as its lines look like SIP.
pub fn mask_sip(msg: &mut [u8]) -> Masked {
    let mut out = Masked::default();
    let head_end = header_end(msg);
    let (head, body) = msg.split_at_mut(head_end.min(msg.len()));
    let mut first = true;
    let mut start = 0;
    // Header lines with their continuation lines (RFC 3261 §7.3.1 folding).
    while start < head.len() {
        let mut end = line_end(head, start);
        while head
            .get(next_line(head, end))
            .is_some_and(|b| *b == b' ' || *b == b'\t')
            && !first
        {
            end = line_end(head, next_line(head, end));
        }
        if let Some(line) = head.get_mut(start..end) {
            if first {
                out.bytes += mask_request_line(line);
            } else {
                out.bytes += mask_header(line);
            }
        }
        first = false;
        start = next_line(head, end);
    }
    out.bytes += mask_body(body);
    out
}

/// A masked copy of a SIP message.
pub fn masked_sip(msg: &[u8]) -> Vec<u8> {
    let mut v = msg.to_vec();
    mask_sip(&mut v);
    v
}

/// Offset just past the empty line ending the headers (the whole input when there is none).
fn header_end(msg: &[u8]) -> usize {
    let mut i = 0;
    while i < msg.len() {
        let e = line_end(msg, i);
        if e == i {
            return next_line(msg, e);
        }
        i = next_line(msg, e);
    }
    msg.len()
}

/// End of the line starting at `i` (before its CR LF or LF).
fn line_end(buf: &[u8], i: usize) -> usize {
    let rest = buf.get(i..).unwrap_or_default();
    let n = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let mut e = i + n;
    if e > i && buf.get(e - 1) == Some(&b'\r') {
        e -= 1;
    }
    e
}

/// Start of the line after the one ending at `e`.
fn next_line(buf: &[u8], e: usize) -> usize {
    match buf.get(e) {
        Some(b'\r') if buf.get(e + 1) == Some(&b'\n') => e + 2,
        Some(_) => e + 1,
        None => buf.len(),
    }
}

/// `METHOD SP Request-URI SP SIP/2.0`: the Request-URI. A status line has none.
fn mask_request_line(line: &mut [u8]) -> usize {
    if line.starts_with(b"SIP/") {
        return 0;
    }
    let Some(sp) = line.iter().position(|b| *b == b' ') else {
        return 0;
    };
    let uri_start = sp + 1;
    let rest = line.get(uri_start..).unwrap_or_default();
    let uri_end = uri_start + rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
    line.get_mut(uri_start..uri_end).map_or(0, mask_uri)
}

fn mask_header(line: &mut [u8]) -> usize {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return 0;
    };
    let (name, value) = line.split_at_mut(colon);
    let name = name.trim_ascii();
    let is = |list: &[&[u8]]| list.iter().any(|h| name.eq_ignore_ascii_case(h));
    let value = value.get_mut(1..).unwrap_or_default();
    if is(URI_HEADERS) {
        mask_address_list(value)
    } else if is(AUTH_HEADERS) {
        mask_param_value(value, b"username")
    } else {
        0
    }
}

/// A header value holding name-addr / addr-spec elements separated by commas: display names
/// and URI user parts are masked, header parameters are not.
pub fn mask_address_list(v: &mut [u8]) -> usize {
    let mut masked = 0;
    let mut i = 0;
    while i < v.len() {
        let end = element_end(v, i);
        if let Some(e) = v.get_mut(i..end) {
            masked += mask_element(e);
        }
        i = end + 1;
    }
    masked
}

/// End of the comma-separated element starting at `i` (commas in quotes or `<>` do not count).
fn element_end(v: &[u8], i: usize) -> usize {
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for (k, b) in v.iter().enumerate().skip(i) {
        match *b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => return k,
            _ => {}
        }
    }
    v.len()
}

/// One `"Display" <uri>;params` or `uri;params`.
fn mask_element(e: &mut [u8]) -> usize {
    let mut quoted = false;
    let mut lt = None;
    for (k, b) in e.iter().enumerate() {
        match *b {
            b'"' => quoted = !quoted,
            b'<' if !quoted => {
                lt = Some(k);
                break;
            }
            _ => {}
        }
    }
    match lt {
        Some(k) => {
            let (display, rest) = e.split_at_mut(k);
            let mut masked = mask_display(display);
            let rest = rest.get_mut(1..).unwrap_or_default();
            let gt = rest.iter().position(|b| *b == b'>').unwrap_or(rest.len());
            masked += rest.get_mut(..gt).map_or(0, mask_uri);
            masked
        }
        None => {
            let start = e
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(e.len());
            e.get_mut(start..).map_or(0, mask_uri)
        }
    }
}

/// A display name (quoted or tokens): masked as one value, quotes and spaces kept.
fn mask_display(d: &mut [u8]) -> usize {
    if d.iter().all(|b| !maskable(*b)) {
        return 0;
    }
    mask_token(d)
}

/// Masks the user part of a `sip:`/`sips:` URI or the number of a `tel:` URI at the start of
/// `uri` (anything else is left alone).
pub fn mask_uri(uri: &mut [u8]) -> usize {
    let scheme_len = [&b"sips:"[..], b"sip:", b"tel:"]
        .iter()
        .find(|s| {
            uri.get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
        })
        .map(|s| s.len());
    let Some(skip) = scheme_len else {
        return 0;
    };
    let is_tel = uri
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"tel:"));
    let rest = uri.get_mut(skip..).unwrap_or_default();
    let stop = |b: &u8| matches!(*b, b'>' | b',' | b' ' | b'\t' | b'\r' | b'\n' | b'"');
    let end = rest.iter().position(stop).unwrap_or(rest.len());
    let user_end = if is_tel {
        rest.iter()
            .take(end)
            .position(|b| matches!(*b, b';' | b'?'))
            .unwrap_or(end)
    } else {
        // userinfo ends at '@' (a user part may hold ';' parameters: RFC 3261 §19.1.1).
        match rest.iter().take(end).position(|b| *b == b'@') {
            Some(at) => at,
            None => return 0,
        }
    };
    rest.get_mut(..user_end).map_or(0, mask_token)
}

/// `name="value"` or `name=value` in a parameter list: the value is masked.
fn mask_param_value(v: &mut [u8], name: &[u8]) -> usize {
    let mut i = 0;
    let mut masked = 0;
    while i + name.len() < v.len() {
        let here = v
            .get(i..i + name.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(name));
        let before_ok = i == 0
            || v.get(i - 1)
                .is_some_and(|b| matches!(*b, b' ' | b'\t' | b',' | b';'));
        let mut j = i + name.len();
        while v.get(j).is_some_and(|b| *b == b' ' || *b == b'\t') {
            j += 1;
        }
        if here && before_ok && v.get(j) == Some(&b'=') {
            j += 1;
            while v.get(j).is_some_and(|b| *b == b' ' || *b == b'\t') {
                j += 1;
            }
            let (start, end) = if v.get(j) == Some(&b'"') {
                let s = j + 1;
                let rest = v.get(s..).unwrap_or_default();
                (
                    s,
                    s + rest.iter().position(|b| *b == b'"').unwrap_or(rest.len()),
                )
            } else {
                let rest = v.get(j..).unwrap_or_default();
                (
                    j,
                    j + rest
                        .iter()
                        .position(|b| matches!(*b, b',' | b' ' | b'\t' | b'\r' | b'\n'))
                        .unwrap_or(rest.len()),
                )
            };
            masked += v.get_mut(start..end).map_or(0, mask_token);
            i = end;
        } else {
            i += 1;
        }
    }
    masked
}

/// Bodies: SDP `o=` usernames that are numbers, RFC 6035 `LocalID`/`RemoteID`/`OrigID` URIs.
fn mask_body(body: &mut [u8]) -> usize {
    let mut masked = 0;
    let mut start = 0;
    while start < body.len() {
        let end = line_end(body, start);
        if let Some(line) = body.get_mut(start..end) {
            masked += mask_body_line(line);
        }
        start = next_line(body, end);
    }
    masked
}

fn mask_body_line(line: &mut [u8]) -> usize {
    if let Some(rest) = line.strip_prefix(b"o=") {
        // o=<username> <sess-id> <sess-version> IN IP4 <address> (RFC 8866 §5.2)
        let user_len = rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
        let user = rest.get(..user_len).unwrap_or_default();
        let number = user.iter().any(u8::is_ascii_digit)
            && user
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(*b, b'+' | b'-' | b'.'));
        let sdp = rest.windows(6).any(|w| w == b" IN IP");
        if number && sdp {
            return line.get_mut(2..2 + user_len).map_or(0, mask_token);
        }
        return 0;
    }
    for key in [&b"LocalID:"[..], b"RemoteID:", b"OrigID:"] {
        if line
            .get(..key.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(key))
        {
            return line.get_mut(key.len()..).map_or(0, mask_address_list);
        }
    }
    0
}

/// A masked copy of an address as the JSON records carry it: a URI, a name-addr, or a bare
/// user part / number (the search index's `from`/`to`).
pub fn mask_address(s: &str) -> String {
    let mut v = s.as_bytes().to_vec();
    let lower = s.to_ascii_lowercase();
    if lower.contains("sip:") || lower.contains("sips:") || lower.contains("tel:") {
        mask_address_list(&mut v);
    } else {
        mask_token(&mut v);
    }
    // Only ASCII bytes were written over whole bytes: a multi-byte character became several
    // '*', so the result is valid UTF-8.
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Masks a call record's addresses (the call's and each leg's From and To).
pub fn mask_call_record(c: &mut CallRecord) {
    c.from = mask_address(&c.from);
    c.to = mask_address(&c.to);
    for leg in &mut c.legs {
        leg.from = mask_address(&leg.from);
        leg.to = mask_address(&leg.to);
    }
}

/// Masks everything personal in an `analyze` report: calls, other Call-IDs, and the first
/// lines of its messages.
pub fn mask_report(r: &mut Report) {
    for c in &mut r.calls {
        mask_call_record(c);
    }
    for o in &mut r.other {
        mask_other(o);
    }
    for m in r.messages.iter_mut().flatten() {
        let mut line = std::mem::take(&mut m.first_line).into_bytes();
        mask_request_line(&mut line);
        m.first_line = String::from_utf8_lossy(&line).into_owned();
    }
}

fn mask_other(o: &mut OtherRecord) {
    o.from = mask_address(&o.from);
    o.to = mask_address(&o.to);
}

/// RTCP SDES items (RFC 3550 §6.5) that can name a person: CNAME (its user part, before `@`),
/// NAME, EMAIL and PHONE; masked in place in every SDES packet of a compound packet.
pub fn mask_rtcp(buf: &mut [u8]) -> usize {
    let mut masked = 0;
    let mut at = 0;
    while at + 4 <= buf.len() {
        let (Some(&b0), Some(&pt)) = (buf.get(at), buf.get(at + 1)) else {
            break;
        };
        let words = buf
            .get(at + 2..at + 4)
            .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])));
        let len = (words + 1) * 4;
        if b0 >> 6 != 2 || at + len > buf.len() {
            break;
        }
        if pt == 202 {
            let count = usize::from(b0 & 0x1F);
            if let Some(p) = buf.get_mut(at + 4..at + len) {
                masked += mask_sdes_chunks(p, count);
            }
        }
        at += len;
    }
    masked
}

fn mask_sdes_chunks(p: &mut [u8], count: usize) -> usize {
    let mut masked = 0;
    let mut at = 0;
    for _ in 0..count {
        at += 4; // SSRC/CSRC
        loop {
            let Some(&ty) = p.get(at) else {
                return masked;
            };
            if ty == 0 {
                // End of the item list: skip to the next 32-bit boundary.
                at = (at + 4) & !3;
                break;
            }
            let len = usize::from(p.get(at + 1).copied().unwrap_or(0));
            let Some(text) = p.get_mut(at + 2..at + 2 + len) else {
                return masked;
            };
            masked += match ty {
                // CNAME: user@host; the host is an address, not a person.
                1 => {
                    let user = text.iter().position(|b| *b == b'@').unwrap_or(0);
                    text.get_mut(..user).map_or(0, mask_token)
                }
                2..=4 => mask_token(text),
                _ => 0,
            };
            at += 2 + len;
        }
    }
    masked
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::live::LiveEvent;
    use crate::analysis::{Analyzer, AnalyzerConfig};
    use crate::sip::SipMessage;
    use crate::wire::capture::CaptureReader;

    fn token(s: &str) -> String {
        let mut v = s.as_bytes().to_vec();
        mask_token(&mut v);
        String::from_utf8(v).unwrap()
    }

    fn sip(s: &str) -> String {
        String::from_utf8(masked_sip(s.as_bytes())).unwrap()
    }

    #[test]
    fn tokens_keep_the_country_and_the_last_two() {
        assert_eq!(token("+33612345689"), "+33*******89");
        assert_eq!(token("0612345689"), "********89");
        assert_eq!(token("+1-555-123-4567"), "+1-5**-***-**67");
        assert_eq!(token("1001"), "**01");
        assert_eq!(token("42"), "*2");
        assert_eq!(token("7"), "*");
        assert_eq!(token("alice"), "***ce");
        assert_eq!(token("\"Alice Smith\""), "\"***** ***th\"");
        // Non-ASCII bytes are always masked (é is two bytes: two '*').
        assert_eq!(token("José"), "*****");
        assert_eq!(token(""), "");
        assert_eq!(token("+123"), "+**3");
    }

    /// RFC 3261 §20.20/§20.39/§20.10 name-addr and addr-spec forms, §7.3.1 folding and
    /// compact forms; RFC 3966 tel URIs; header parameters untouched.
    #[test]
    fn header_forms() {
        let m = sip("INVITE sip:+33612345689@example.com;user=phone SIP/2.0\r\n\
             From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n\
             t: tel:+442071234567;phone-context=example.com\r\n\
             Contact: <sip:+33612345689@10.0.0.1:5060;transport=tcp>;expires=60, sip:bob@h\r\n\
             P-Asserted-Identity: \"0612345689\" <sip:0612345689@a.example>,\r\n <tel:0612345689>\r\n\
             Diversion: <sip:1001@pbx>;reason=unconditional;counter=1\r\n\
             History-Info: <sip:bob@b.example?Reason=SIP%3Bcause%3D302>;index=1.1\r\n\
             Authorization: Digest username=\"0612345689\", realm=\"example.com\", uri=\"sip:x@y\"\r\n\
             Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK776asdhds\r\n\
             Call-ID: 0612345689@10.0.0.1\r\n\
             Content-Length: 0\r\n\r\n");
        let want = "INVITE sip:+33*******89@example.com;user=phone SIP/2.0\r\n\
             From: \"***ce\" <sip:***ce@example.com>;tag=1928301774\r\n\
             t: tel:+44********67;phone-context=example.com\r\n\
             Contact: <sip:+33*******89@10.0.0.1:5060;transport=tcp>;expires=60, sip:**b@h\r\n\
             P-Asserted-Identity: \"********89\" <sip:********89@a.example>,\r\n <tel:********89>\r\n\
             Diversion: <sip:**01@pbx>;reason=unconditional;counter=1\r\n\
             History-Info: <sip:**b@b.example?Reason=SIP%3Bcause%3D302>;index=1.1\r\n\
             Authorization: Digest username=\"********89\", realm=\"example.com\", uri=\"sip:x@y\"\r\n\
             Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK776asdhds\r\n\
             Call-ID: 0612345689@10.0.0.1\r\n\
             Content-Length: 0\r\n\r\n";
        assert_eq!(m, want);
        // Responses have no Request-URI; a status line is left as it is.
        assert_eq!(
            sip("SIP/2.0 180 Ringing\r\nTo: <sip:2000@b>;tag=x\r\n\r\n"),
            "SIP/2.0 180 Ringing\r\nTo: <sip:**00@b>;tag=x\r\n\r\n"
        );
        // A user part with RFC 3261 §19.1.1 telephone-subscriber parameters, and a password.
        assert_eq!(
            sip(
                "REFER sip:x SIP/2.0\r\nRefer-To: <sip:+15551234567;npdi;rn=+15550000000@h>\r\nReferred-By: sip:carol:secret@h\r\n\r\n"
            ),
            "REFER sip:x SIP/2.0\r\nRefer-To: <sip:+***********;****;**=+*********00@h>\r\nReferred-By: sip:*****:****et@h\r\n\r\n"
        );
    }

    #[test]
    fn bodies_sdp_origin_and_vq_ids() {
        let body = "v=0\r\no=0612345689 123 456 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n";
        let msg = format!(
            "INVITE sip:b@h SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let m = sip(&msg);
        assert!(
            m.contains("o=********89 123 456 IN IP4 10.0.0.1\r\n"),
            "{m}"
        );
        assert_eq!(m.len(), msg.len());
        // A name that is not a number stays (it is the device, not the person).
        assert!(sip(&msg.replace("o=0612345689", "o=user1")).contains("o=user1 123"));
        let vq = "VQSessionReport: CallTerm\r\nLocalID: <sip:+33612345689@h>\r\nRemoteID: \"B\" <sip:0612345689@h>\r\n";
        let m = sip(&format!(
            "PUBLISH sip:c@h SIP/2.0\r\nContent-Length: {}\r\n\r\n{vq}",
            vq.len()
        ));
        assert!(
            m.contains("LocalID: <sip:+33*******89@h>\r\nRemoteID: \"*\" <sip:********89@h>"),
            "{m}"
        );
    }

    proptest::proptest! {
        /// Any bytes: same length, and only letters, digits and non-ASCII bytes become '*'.
        #[test]
        fn masking_only_replaces_maskable_bytes(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
                                                 prefix in "(INVITE sip:[0-9+]{0,12}@h SIP/2.0\r\n|SIP/2.0 200 OK\r\n)(From|To|Contact|f|t|m|P-Asserted-Identity): ") {
            let mut input = prefix.into_bytes();
            input.extend_from_slice(&data);
            let mut v = input.clone();
            let n = mask_sip(&mut v).bytes;
            proptest::prop_assert_eq!(v.len(), input.len());
            let mut changed = 0;
            for (a, b) in input.iter().zip(&v) {
                if a != b {
                    changed += 1;
                    proptest::prop_assert!(*b == b'*' && (a.is_ascii_alphanumeric() || *a >= 0x80));
                }
            }
            proptest::prop_assert_eq!(n, changed);
            let mut r = input.clone();
            mask_rtcp(&mut r);
            proptest::prop_assert_eq!(r.len(), input.len());
        }
    }

    #[test]
    fn json_addresses() {
        assert_eq!(
            mask_address("sip:+442071234567@10.1.0.2"),
            "sip:+44********67@10.1.0.2"
        );
        assert_eq!(mask_address("+442071234567"), "+44********67");
        assert_eq!(mask_address("\"Bob\" <tel:2000>"), "\"**b\" <tel:**00>");
        assert_eq!(mask_address(""), "");
    }

    #[test]
    fn rtcp_sdes_items() {
        // RFC 3550 §6.5: SR (no report blocks) + SDES with CNAME, NAME and PHONE.
        let mut sdes_items = Vec::new();
        for (ty, text) in [
            (1u8, &b"0612345689@10.0.0.1"[..]),
            (2, b"Alice"),
            (4, b"+33612345689"),
        ] {
            sdes_items.push(ty);
            sdes_items.push(text.len() as u8);
            sdes_items.extend_from_slice(text);
        }
        sdes_items.push(0);
        while (4 + sdes_items.len()) % 4 != 0 {
            sdes_items.push(0);
        }
        let mut pkt = vec![0x80, 200, 0, 6];
        pkt.extend_from_slice(&[0x11; 24]);
        let words = (4 + 4 + sdes_items.len()) / 4 - 1;
        pkt.extend_from_slice(&[0x81, 202, 0, words as u8, 0x11, 0x11, 0x11, 0x11]);
        pkt.extend_from_slice(&sdes_items);
        let before = pkt.clone();
        assert!(mask_rtcp(&mut pkt) > 0);
        assert_eq!(pkt.len(), before.len());
        let text = String::from_utf8_lossy(&pkt);
        assert!(text.contains("********89@10.0.0.1"), "{text}");
        assert!(text.contains("***ce"));
        assert!(text.contains("+33*******89"));
        assert_eq!(pkt[..28], before[..28], "the SR is untouched");
        // Garbage never panics and stays the same length.
        for n in 0..64 {
            let mut g: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8 | 0x80).collect();
            mask_rtcp(&mut g);
        }
    }

    /// Every SIP message of our captures and of public ones (RFC 3261 real traffic: UDP, TCP,
    /// WebSocket, SCTP, IPv6, large bodies): the same length, it still parses to the same
    /// Call-ID, CSeq and Content-Length, and no From/To/Request-URI user of 5+ characters is
    /// left in the masked headers.
    #[test]
    fn real_messages_keep_framing_and_lose_numbers() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files: Vec<std::path::PathBuf> = [
            "b2bua_chain.pcap",
            "tcp_framing.pcap",
            "ws_sctp.pcap",
            "vq_xr.pcap",
        ]
        .iter()
        .map(|f| root.join("pcaps").join(f))
        .collect();
        let corpus = root.join("../shared/corpus/pcaps");
        for f in [
            "heplify_sip_sctp.pcap",
            "heplify_sip_tcp_websocket.pcap",
            "heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
            "sv_public-cloudshark-sip-s0.pcap",
            "gen_sipp_failures_cancel_register.pcap",
            "sv_sip_compact_form.pcap",
        ] {
            let p = corpus.join(f);
            if p.exists() {
                files.push(p);
            } else {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "{} missing",
                    p.display()
                );
            }
        }
        let mut checked = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let mut msgs: Vec<Vec<u8>> = Vec::new();
            let mut a = Analyzer::new(AnalyzerConfig {
                live: true,
                ..AnalyzerConfig::default()
            });
            for f in CaptureReader::new(&bytes).unwrap() {
                a.on_frame_live(&f.unwrap(), &mut |e| {
                    if let LiveEvent::Sip { bytes, .. } = e {
                        msgs.push(bytes.to_vec());
                    }
                });
            }
            for raw in msgs {
                let Ok(orig) = SipMessage::parse(&raw) else {
                    continue;
                };
                let masked = masked_sip(&raw);
                assert_eq!(masked.len(), raw.len());
                let m = SipMessage::parse(&masked).unwrap();
                assert_eq!(m.call_id(), orig.call_id(), "{}", path.display());
                assert_eq!(m.cseq().map(|c| c.seq), orig.cseq().map(|c| c.seq));
                assert_eq!(m.content_length(), orig.content_length());
                assert_eq!(m.body_offset(), orig.body_offset());
                let head = String::from_utf8_lossy(m.header_bytes()).to_string();
                let users = [
                    orig.from().and_then(|n| n.user()),
                    orig.to().and_then(|n| n.user()),
                    orig.request_uri().and_then(crate::sip::uri_user),
                ];
                for u in users.into_iter().flatten() {
                    let u = String::from_utf8_lossy(u);
                    if u.len() >= 5 {
                        let from_line = head
                            .lines()
                            .filter(|l| {
                                let l = l.to_ascii_lowercase();
                                l.starts_with("from")
                                    || l.starts_with("to")
                                    || l.starts_with("f:")
                                    || l.starts_with("t:")
                            })
                            .collect::<Vec<_>>()
                            .join("\n");
                        assert!(!from_line.contains(&*u), "{u} left in {from_line}");
                        let first = head.lines().next().unwrap_or("");
                        assert!(!first.contains(&*u), "{u} left in {first}");
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
