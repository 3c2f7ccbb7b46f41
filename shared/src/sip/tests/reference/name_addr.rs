//! Structured views of individual header values: name-addr (From/To/Contact), CSeq, Via,
//! Reason, and SIP URI helpers. All borrow the header value.
use memchr::memchr;

use super::header::{Params, find_unquoted, unquote};

/// A `name-addr` or `addr-spec` (RFC 3261 §25.1) as used by From, To, Contact, Refer-To.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name without the surrounding quotes (escapes are left as they are).
    pub display: Option<&'a [u8]>,
    /// The URI, without `<` `>`.
    pub uri: &'a [u8],
    /// The `tag` header parameter.
    pub tag: Option<&'a [u8]>,
    /// Header parameters after the URI, starting at the first `;` (empty if none).
    pub params: &'a [u8],
}

impl<'a> NameAddr<'a> {
    /// Parses one name-addr. `None` when the value is empty or a `<` is never closed.
    pub fn parse(value: &'a [u8]) -> Option<Self> {
        let value = value.trim_ascii();
        if value.is_empty() {
            return None;
        }
        // An unbalanced quote (RFC 4475 quotbal) hides the '<': fall back to the first one.
        // Most values have no display name and start with '<'.
        let lt = if value.first() == Some(&b'<') {
            Some(0)
        } else {
            find_unquoted(value, b'<', false).or_else(|| memchr(b'<', value))
        };
        let (display, uri, params) = match lt {
            Some(lt) => {
                let after = value.get(lt + 1..)?;
                let gt = memchr(b'>', after)?;
                let display = value.get(..lt)?.trim_ascii();
                let display = (!display.is_empty()).then(|| unquote(display));
                (
                    display,
                    after.get(..gt)?.trim_ascii(),
                    after.get(gt + 1..)?.trim_ascii(),
                )
            }
            // addr-spec form: parameters after the URI belong to the header (§20.10).
            None => match memchr(b';', value) {
                Some(semi) => (None, value.get(..semi)?.trim_ascii(), value.get(semi..)?),
                None => (None, value, &b""[..]),
            },
        };
        let tag = Params::new(params).get(b"tag").filter(|t| !t.is_empty());
        Some(Self {
            display,
            uri,
            tag,
            params,
        })
    }

    /// Iterator over the header parameters.
    pub fn param_iter(&self) -> Params<'a> {
        Params::new(self.params)
    }

    /// The user part of the URI (`alice` in `sip:alice@host`).
    pub fn user(&self) -> Option<&'a [u8]> {
        uri_user(self.uri)
    }
}

/// The user part of a SIP/SIPS/TEL URI: the text between the scheme and `@` (without any
/// `:password`), or the number of a `tel:` URI. `None` for a URI without a user part.
pub fn uri_user(uri: &[u8]) -> Option<&[u8]> {
    let colon = memchr(b':', uri)?;
    let scheme = uri.get(..colon)?;
    let rest = uri.get(colon + 1..)?;
    if scheme.eq_ignore_ascii_case(b"tel") {
        let end = memchr(b';', rest).unwrap_or(rest.len());
        return rest.get(..end).filter(|u| !u.is_empty());
    }
    // The user part ends at '@'; parameters or headers before any '@' mean there is none.
    let at = memchr(b'@', rest)?;
    let userinfo = rest.get(..at)?;
    if userinfo.iter().any(|&c| c == b'>' || c == b'?') {
        return None;
    }
    let user = match memchr(b':', userinfo) {
        Some(pw) => userinfo.get(..pw)?,
        None => userinfo,
    };
    (!user.is_empty()).then_some(user)
}

/// The host (and port) part of a SIP URI: between `@` (or the scheme) and the first `;`/`?`.
pub fn uri_hostport(uri: &[u8]) -> Option<&[u8]> {
    let colon = memchr(b':', uri)?;
    let rest = uri.get(colon + 1..)?;
    // The user part may hold ';' (RFC 4475 semiuri), so skip it first.
    let rest = rest.get(memchr(b'@', rest).map_or(0, |a| a + 1)..)?;
    let end = rest
        .iter()
        .position(|&c| c == b';' || c == b'?')
        .unwrap_or(rest.len());
    rest.get(..end).filter(|h| !h.is_empty())
}

/// URI parameters (`;transport=udp;lr`), excluding `?headers`.
pub fn uri_params(uri: &[u8]) -> Params<'_> {
    // Skip past the userinfo: a ';' in the user part is not a URI parameter.
    let host_start = memchr(b'@', uri).unwrap_or(0);
    let after = uri.get(host_start..).unwrap_or_default();
    let params = match memchr(b';', after) {
        Some(s) => after.get(s..).unwrap_or_default(),
        None => &b""[..],
    };
    let end = memchr(b'?', params).unwrap_or(params.len());
    Params::new(params.get(..end).unwrap_or_default())
}

/// The CSeq header (RFC 3261 §20.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: &'a [u8],
}

impl<'a> CSeq<'a> {
    /// `None` unless the value is `digits LWS method` with a number that fits u32.
    pub fn parse(value: &'a [u8]) -> Option<Self> {
        let value = value.trim_ascii();
        // One pass over the number (what `parse_u32` accepts: 1 to 10 digits, fits u32).
        let (mut seq, mut digits) = (0u32, 0usize);
        for &c in value {
            if !c.is_ascii_digit() {
                break;
            }
            if digits == 10 {
                return None;
            }
            seq = seq.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
            digits += 1;
        }
        if digits == 0 {
            return None;
        }
        let method = value.get(digits..)?.trim_ascii();
        if method.is_empty() || method.iter().any(u8::is_ascii_whitespace) {
            return None;
        }
        Some(Self { seq, method })
    }
}

/// Decimal digits to u32; `None` on empty input, a non-digit or overflow.
pub(crate) fn parse_u32(d: &[u8]) -> Option<u32> {
    if d.is_empty() || d.len() > 10 {
        return None;
    }
    let mut n: u32 = 0;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
    }
    Some(n)
}

/// One Via value (RFC 3261 §20.42): `SIP/2.0/UDP host:port;branch=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// `SIP/2.0/UDP` as written (whitespace around the slashes kept).
    pub protocol: &'a [u8],
    /// `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`...
    pub transport: &'a [u8],
    /// `host[:port]`.
    pub sent_by: &'a [u8],
    /// Parameters from the first `;`.
    pub params: &'a [u8],
}

impl<'a> Via<'a> {
    pub fn parse(value: &'a [u8]) -> Option<Self> {
        let value = value.trim_ascii();
        let semi = find_unquoted(value, b';', false).unwrap_or(value.len());
        let head = value.get(..semi)?.trim_ascii();
        let params = value.get(semi..)?;
        // sent-protocol may contain LWS around '/' (RFC 4475 §3.1.1.1), so find the last '/'
        // and then the first whitespace after the transport token.
        let slash = head.iter().rposition(|&c| c == b'/')?;
        let after = head.get(slash + 1..)?;
        let lead = after.iter().take_while(|c| c.is_ascii_whitespace()).count();
        let after = after.get(lead..)?;
        let tlen = after
            .iter()
            .take_while(|c| !c.is_ascii_whitespace())
            .count();
        let transport = after.get(..tlen)?;
        let sent_by = after.get(tlen..)?.trim_ascii();
        let protocol = head.get(..slash + 1 + lead + tlen)?;
        if transport.is_empty() {
            return None;
        }
        Some(Self {
            protocol,
            transport,
            sent_by,
            params,
        })
    }
    pub fn param_iter(&self) -> Params<'a> {
        Params::new(self.params)
    }
    pub fn branch(&self) -> Option<&'a [u8]> {
        self.param_iter().get(b"branch")
    }
    pub fn received(&self) -> Option<&'a [u8]> {
        self.param_iter().get(b"received")
    }
    /// `Some(b"")` when `rport` is present without a value.
    pub fn rport(&self) -> Option<&'a [u8]> {
        self.param_iter().get(b"rport")
    }
}

/// One Reason header value (RFC 3326): `Q.850;cause=16;text="Normal call clearing"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason<'a> {
    /// `SIP`, `Q.850`, ...
    pub protocol: &'a [u8],
    pub cause: Option<u16>,
    /// The text parameter without its quotes.
    pub text: Option<&'a [u8]>,
}

impl<'a> Reason<'a> {
    pub fn parse(value: &'a [u8]) -> Option<Self> {
        let value = value.trim_ascii();
        let semi = find_unquoted(value, b';', false).unwrap_or(value.len());
        let protocol = value.get(..semi)?.trim_ascii();
        if protocol.is_empty() {
            return None;
        }
        let params = Params::new(value.get(semi..)?);
        let cause = params
            .clone()
            .get(b"cause")
            .and_then(parse_u32)
            .and_then(|c| u16::try_from(c).ok());
        let text = params.get(b"text").map(unquote);
        Some(Self {
            protocol,
            cause,
            text,
        })
    }
}

/// SIP request methods (RFC 3261 and extensions), with a catch-all for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Prack,
    Update,
    Refer,
    Subscribe,
    Notify,
    Message,
    Info,
    Publish,
    /// Any other token (methods are case-sensitive, RFC 3261 §7.1).
    Unknown(&'a [u8]),
}

impl<'a> Method<'a> {
    pub fn from_bytes(m: &'a [u8]) -> Self {
        match m {
            b"INVITE" => Self::Invite,
            b"ACK" => Self::Ack,
            b"BYE" => Self::Bye,
            b"CANCEL" => Self::Cancel,
            b"REGISTER" => Self::Register,
            b"OPTIONS" => Self::Options,
            b"PRACK" => Self::Prack,
            b"UPDATE" => Self::Update,
            b"REFER" => Self::Refer,
            b"SUBSCRIBE" => Self::Subscribe,
            b"NOTIFY" => Self::Notify,
            b"MESSAGE" => Self::Message,
            b"INFO" => Self::Info,
            b"PUBLISH" => Self::Publish,
            other => Self::Unknown(other),
        }
    }

    pub fn as_bytes(&self) -> &'a [u8] {
        match self {
            Self::Invite => b"INVITE",
            Self::Ack => b"ACK",
            Self::Bye => b"BYE",
            Self::Cancel => b"CANCEL",
            Self::Register => b"REGISTER",
            Self::Options => b"OPTIONS",
            Self::Prack => b"PRACK",
            Self::Update => b"UPDATE",
            Self::Refer => b"REFER",
            Self::Subscribe => b"SUBSCRIBE",
            Self::Notify => b"NOTIFY",
            Self::Message => b"MESSAGE",
            Self::Info => b"INFO",
            Self::Publish => b"PUBLISH",
            Self::Unknown(m) => m,
        }
    }
}
