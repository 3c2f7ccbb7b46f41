//! RADIUS (RFC 2865) client codec for PAP authentication with Message-Authenticator
//! (RFC 3579 §3.2): pure, no I/O, no clock, no randomness (identifiers and Request
//! Authenticators come in as arguments).
//!
//! - [`PacketBuilder`] encodes an Access-Request: User-Name, User-Password hidden with the
//!   shared secret (RFC 2865 §5.2), NAS-Identifier, NAS-IP-Address, and a
//!   Message-Authenticator as the **first** attribute (the Blast-RADIUS hardening,
//!   CVE-2024-3596). It can also encode replies, as a server would (tests, fuzzing).
//! - [`Packet`] is the checked zero-copy view of received bytes: once
//!   [`Packet::new_checked`] succeeds, the header fields and every attribute lie inside the
//!   packet's Length, and no accessor panics. Octets past Length are padding and ignored
//!   (RFC 2865 §3).
//! - [`Packet::verify_reply`] turns a view into a [`VerifiedReply`] only when the identifier
//!   matches, the code is an Access reply, the packet carries exactly one valid
//!   Message-Authenticator (**required**: a reply without one is rejected, whatever its
//!   code), and the Response Authenticator is right (RFC 2865 §3).
//!
//! Errors ([`RadiusError`]) never contain the secret, a password or a digest.
mod error;
#[cfg(test)]
mod tests;

pub use error::RadiusError;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use std::net::Ipv4Addr;
use subtle::ConstantTimeEq;

/// Header: Code (1), Identifier (1), Length (2), Authenticator (16).
pub const HEADER_LEN: usize = 20;
/// Largest packet RFC 2865 §3 allows.
pub const MAX_PACKET_LEN: usize = 4096;
/// Request and Response Authenticator length.
pub const AUTHENTICATOR_LEN: usize = 16;
/// Largest attribute value (255 minus the 2-byte attribute header).
pub const MAX_VALUE_LEN: usize = 253;
/// Largest User-Password before hiding (RFC 2865 §5.2).
pub const MAX_PASSWORD_LEN: usize = 128;
/// Message-Authenticator value length (RFC 3579 §3.2).
pub const MESSAGE_AUTHENTICATOR_LEN: usize = 16;

/// A Request or Response Authenticator.
pub type Authenticator = [u8; AUTHENTICATOR_LEN];

/// Packet codes (RFC 2865 §3, RFC 2866, RFC 5997); unknown codes are kept, never an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    AccessRequest,
    AccessAccept,
    AccessReject,
    AccountingRequest,
    AccountingResponse,
    AccessChallenge,
    StatusServer,
    StatusClient,
    Unknown(u8),
}

impl From<u8> for Code {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::AccessRequest,
            2 => Self::AccessAccept,
            3 => Self::AccessReject,
            4 => Self::AccountingRequest,
            5 => Self::AccountingResponse,
            11 => Self::AccessChallenge,
            12 => Self::StatusServer,
            13 => Self::StatusClient,
            other => Self::Unknown(other),
        }
    }
}

impl From<Code> for u8 {
    fn from(c: Code) -> Self {
        match c {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccountingRequest => 4,
            Code::AccountingResponse => 5,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::StatusClient => 13,
            Code::Unknown(v) => v,
        }
    }
}

/// Attribute types used by callscope (RFC 2865 §5, RFC 3579 §3.2).
pub mod attr {
    pub const USER_NAME: u8 = 1;
    pub const USER_PASSWORD: u8 = 2;
    pub const NAS_IP_ADDRESS: u8 = 4;
    pub const NAS_PORT: u8 = 5;
    pub const SERVICE_TYPE: u8 = 6;
    pub const FILTER_ID: u8 = 11;
    pub const LOGIN_IP_HOST: u8 = 14;
    pub const LOGIN_SERVICE: u8 = 15;
    pub const REPLY_MESSAGE: u8 = 18;
    pub const CLASS: u8 = 25;
    pub const VENDOR_SPECIFIC: u8 = 26;
    pub const NAS_IDENTIFIER: u8 = 32;
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;

    /// The dictionary name of a standard attribute type callscope knows, for messages.
    pub fn name(t: u8) -> Option<&'static str> {
        Some(match t {
            USER_NAME => "User-Name",
            USER_PASSWORD => "User-Password",
            NAS_IP_ADDRESS => "NAS-IP-Address",
            NAS_PORT => "NAS-Port",
            SERVICE_TYPE => "Service-Type",
            FILTER_ID => "Filter-Id",
            LOGIN_IP_HOST => "Login-IP-Host",
            LOGIN_SERVICE => "Login-Service",
            REPLY_MESSAGE => "Reply-Message",
            CLASS => "Class",
            VENDOR_SPECIFIC => "Vendor-Specific",
            NAS_IDENTIFIER => "NAS-Identifier",
            MESSAGE_AUTHENTICATOR => "Message-Authenticator",
            _ => return None,
        })
    }

    /// The type of a standard attribute from its dictionary name (case-insensitive).
    pub fn by_name(name: &str) -> Option<u8> {
        (1..=255u8).find(|t| self::name(*t).is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

/// A checked zero-copy view of one RADIUS packet (exactly its Length bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    bytes: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Checks the header and every attribute header (RFC 2865 §3, §5). Octets after Length
    /// are padding and ignored; fewer than Length is an error.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, RadiusError> {
        if buf.len() < HEADER_LEN {
            return Err(RadiusError::Truncated {
                needed: HEADER_LEN,
                available: buf.len(),
            });
        }
        let len = be16(buf, 2).ok_or(RadiusError::Truncated {
            needed: HEADER_LEN,
            available: buf.len(),
        })?;
        let n = usize::from(len);
        if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&n) {
            return Err(RadiusError::BadLength(len));
        }
        let bytes = buf.get(..n).ok_or(RadiusError::Truncated {
            needed: n,
            available: buf.len(),
        })?;
        let mut at = HEADER_LEN;
        while at < n {
            let Some(&alen) = bytes.get(at + 1) else {
                return Err(RadiusError::AttributeOverrun {
                    offset: at,
                    needed: 2,
                    packet_len: n,
                });
            };
            if alen < 2 {
                return Err(RadiusError::AttributeTooShort {
                    offset: at,
                    len: alen,
                });
            }
            let end = at + usize::from(alen);
            if end > n {
                return Err(RadiusError::AttributeOverrun {
                    offset: at,
                    needed: usize::from(alen),
                    packet_len: n,
                });
            }
            at = end;
        }
        Ok(Self { bytes })
    }

    /// The packet's bytes (its Length, without padding).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn code(&self) -> Code {
        Code::from(self.bytes.first().copied().unwrap_or(0))
    }

    pub fn identifier(&self) -> u8 {
        self.bytes.get(1).copied().unwrap_or(0)
    }

    /// The Length field (the view's length).
    pub fn length(&self) -> usize {
        self.bytes.len()
    }

    /// The Request or Response Authenticator.
    pub fn authenticator(&self) -> Authenticator {
        self.bytes
            .get(4..HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; AUTHENTICATOR_LEN])
    }

    /// The attributes in packet order.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            bytes: self.bytes,
            at: HEADER_LEN,
        }
    }

    /// The value of the first attribute of type `t`.
    pub fn attribute(&self, t: u8) -> Option<&'a [u8]> {
        self.attributes().find(|a| a.type_id == t).map(|a| a.value)
    }

    /// Checks this packet as the reply to the Access-Request with `identifier` and
    /// `request_authenticator`, sent with `secret`: identifier, code (Accept, Reject or
    /// Challenge), exactly one valid Message-Authenticator (RFC 3579 §3.2, required), and
    /// the Response Authenticator (RFC 2865 §3).
    pub fn verify_reply(
        self,
        identifier: u8,
        request_authenticator: &Authenticator,
        secret: &[u8],
    ) -> Result<VerifiedReply<'a>, RadiusError> {
        if secret.is_empty() {
            return Err(RadiusError::EmptySecret);
        }
        if self.identifier() != identifier {
            return Err(RadiusError::IdentifierMismatch {
                expected: identifier,
                got: self.identifier(),
            });
        }
        match self.code() {
            Code::AccessAccept | Code::AccessReject | Code::AccessChallenge => {}
            other => return Err(RadiusError::NotAnAccessReply(u8::from(other))),
        }
        self.check_message_authenticator(Some(request_authenticator), secret)?
            .ok_or(RadiusError::MissingMessageAuthenticator)?;
        let expected = response_authenticator(self.bytes, request_authenticator, secret);
        if !bool::from(expected.ct_eq(&self.authenticator())) {
            return Err(RadiusError::BadResponseAuthenticator);
        }
        Ok(VerifiedReply { packet: self })
    }

    /// Checks the Response Authenticator alone (RFC 2865 §3), for replies from before
    /// RFC 3579. callscope's client does not accept such replies: use
    /// [`Packet::verify_reply`].
    pub fn response_authenticator_valid(
        &self,
        request_authenticator: &Authenticator,
        secret: &[u8],
    ) -> bool {
        let expected = response_authenticator(self.bytes, request_authenticator, secret);
        bool::from(expected.ct_eq(&self.authenticator()))
    }

    /// Checks the Message-Authenticator (RFC 3579 §3.2). `request_authenticator` is the
    /// Access-Request's for a reply, `None` for a request (its own authenticator is used).
    /// `Ok(None)`: the packet has none; `Ok(Some(()))`: present and valid.
    pub fn check_message_authenticator(
        &self,
        request_authenticator: Option<&Authenticator>,
        secret: &[u8],
    ) -> Result<Option<()>, RadiusError> {
        let mut found = None;
        for a in self.attributes() {
            if a.type_id == attr::MESSAGE_AUTHENTICATOR {
                if found.is_some() {
                    return Err(RadiusError::DuplicateMessageAuthenticator);
                }
                if a.value.len() != MESSAGE_AUTHENTICATOR_LEN {
                    return Err(RadiusError::MessageAuthenticatorLength(a.value.len()));
                }
                found = Some(a);
            }
        }
        let Some(ma) = found else { return Ok(None) };
        let auth = request_authenticator
            .copied()
            .unwrap_or_else(|| self.authenticator());
        let mac = message_authenticator(self.bytes, ma.offset + 2, &auth, secret)?;
        if bool::from(mac.ct_eq(ma.value)) {
            Ok(Some(()))
        } else {
            Err(RadiusError::BadMessageAuthenticator)
        }
    }
}

/// A reply whose identifier, code, Message-Authenticator and Response Authenticator were
/// checked by [`Packet::verify_reply`]: the only way to read a reply's attributes in
/// callscope's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedReply<'a> {
    packet: Packet<'a>,
}

impl<'a> VerifiedReply<'a> {
    pub fn code(&self) -> Code {
        self.packet.code()
    }
    pub fn packet(&self) -> Packet<'a> {
        self.packet
    }
    pub fn attributes(&self) -> Attributes<'a> {
        self.packet.attributes()
    }
    pub fn attribute(&self, t: u8) -> Option<&'a [u8]> {
        self.packet.attribute(t)
    }
}

/// One attribute: type, value, and the byte offset of its header in the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    pub type_id: u8,
    pub value: &'a [u8],
    pub offset: usize,
}

impl<'a> Attribute<'a> {
    /// The Vendor-Id and data of a Vendor-Specific attribute (RFC 2865 §5.26); `None` for
    /// other types.
    pub fn vendor_specific(&self) -> Option<Result<VendorSpecific<'a>, RadiusError>> {
        if self.type_id != attr::VENDOR_SPECIFIC {
            return None;
        }
        let too_short = RadiusError::VendorSpecificTooShort {
            offset: self.offset,
            len: self.value.len(),
        };
        Some(match (self.value.get(..4), self.value.get(4..)) {
            (Some(id), Some(data)) if !data.is_empty() => {
                let id: [u8; 4] = id.try_into().unwrap_or([0; 4]);
                Ok(VendorSpecific {
                    vendor_id: u32::from_be_bytes(id),
                    data,
                })
            }
            _ => Err(too_short),
        })
    }
}

/// Iterator over a checked packet's attributes.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;
    fn next(&mut self) -> Option<Attribute<'a>> {
        let type_id = *self.bytes.get(self.at)?;
        let len = usize::from(*self.bytes.get(self.at + 1)?);
        let value = self.bytes.get(self.at + 2..self.at.checked_add(len)?)?;
        let offset = self.at;
        self.at += len.max(2);
        Some(Attribute {
            type_id,
            value,
            offset,
        })
    }
}

/// A Vendor-Specific attribute's Vendor-Id (SMI Network Management Private Enterprise
/// Code) and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorSpecific<'a> {
    pub vendor_id: u32,
    pub data: &'a [u8],
}

impl<'a> VendorSpecific<'a> {
    /// The sub-attributes, when the data has the type-length-value format RFC 2865 §5.26
    /// suggests (checked whole before iterating).
    pub fn sub_attributes(&self) -> Result<VendorAttributes<'a>, RadiusError> {
        let mut at = 0usize;
        while at < self.data.len() {
            let len = self
                .data
                .get(at + 1)
                .map(|l| usize::from(*l))
                .filter(|l| *l >= 2 && at + l <= self.data.len())
                .ok_or(RadiusError::VendorAttributeMalformed { offset: at + 4 })?;
            at += len;
        }
        Ok(VendorAttributes {
            data: self.data,
            at: 0,
        })
    }
}

/// One vendor sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorAttribute<'a> {
    pub vendor_type: u8,
    pub value: &'a [u8],
}

/// Iterator over checked vendor sub-attributes.
#[derive(Debug, Clone)]
pub struct VendorAttributes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Iterator for VendorAttributes<'a> {
    type Item = VendorAttribute<'a>;
    fn next(&mut self) -> Option<VendorAttribute<'a>> {
        let vendor_type = *self.data.get(self.at)?;
        let len = usize::from(*self.data.get(self.at + 1)?);
        let value = self.data.get(self.at + 2..self.at.checked_add(len)?)?;
        self.at += len.max(2);
        Some(VendorAttribute { vendor_type, value })
    }
}

/// MD5(Code+Identifier+Length+RequestAuth+Attributes+Secret) (RFC 2865 §3), over `packet`
/// whose authenticator field is replaced by `request_authenticator`.
fn response_authenticator(
    packet: &[u8],
    request_authenticator: &Authenticator,
    secret: &[u8],
) -> Authenticator {
    let mut h = Md5::new();
    h.update(packet.get(..4).unwrap_or_default());
    h.update(request_authenticator);
    h.update(packet.get(HEADER_LEN..).unwrap_or_default());
    h.update(secret);
    h.finalize().into()
}

/// HMAC-MD5 keyed by the secret over `packet` with its authenticator field replaced by
/// `authenticator` and the 16 Message-Authenticator bytes at `ma_value_at` zeroed
/// (RFC 3579 §3.2).
fn message_authenticator(
    packet: &[u8],
    ma_value_at: usize,
    authenticator: &Authenticator,
    secret: &[u8],
) -> Result<[u8; MESSAGE_AUTHENTICATOR_LEN], RadiusError> {
    let mut mac =
        <Hmac<Md5> as Mac>::new_from_slice(secret).map_err(|_| RadiusError::EmptySecret)?;
    mac.update(packet.get(..4).unwrap_or_default());
    mac.update(authenticator);
    mac.update(packet.get(HEADER_LEN..ma_value_at).unwrap_or_default());
    mac.update(&[0u8; MESSAGE_AUTHENTICATOR_LEN]);
    mac.update(
        packet
            .get(ma_value_at + MESSAGE_AUTHENTICATOR_LEN..)
            .unwrap_or_default(),
    );
    Ok(mac.finalize().into_bytes().into())
}

/// Hides a User-Password (RFC 2865 §5.2): pads to a multiple of 16 with NULs, then
/// c(1) = p(1) XOR MD5(S + RA), c(i) = p(i) XOR MD5(S + c(i-1)).
pub fn hide_password(
    password: &[u8],
    secret: &[u8],
    request_authenticator: &Authenticator,
) -> Result<Vec<u8>, RadiusError> {
    if secret.is_empty() {
        return Err(RadiusError::EmptySecret);
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(RadiusError::PasswordTooLong(password.len()));
    }
    let padded = password.len().div_ceil(16).max(1) * 16;
    let mut out = Vec::with_capacity(padded);
    let mut prev: [u8; 16] = *request_authenticator;
    for i in 0..padded / 16 {
        let mut h = Md5::new();
        h.update(secret);
        h.update(prev);
        let b: [u8; 16] = h.finalize().into();
        let mut block = [0u8; 16];
        for ((c, k), j) in block.iter_mut().zip(b.iter()).zip(i * 16..) {
            *c = password.get(j).copied().unwrap_or(0) ^ k;
        }
        out.extend_from_slice(&block);
        prev = block;
    }
    Ok(out)
}

/// Reverses [`hide_password`] (as a server does), dropping the NUL padding.
pub fn unhide_password(
    hidden: &[u8],
    secret: &[u8],
    request_authenticator: &Authenticator,
) -> Result<Vec<u8>, RadiusError> {
    if secret.is_empty() {
        return Err(RadiusError::EmptySecret);
    }
    if hidden.is_empty() || !hidden.len().is_multiple_of(16) || hidden.len() > MAX_PASSWORD_LEN {
        return Err(RadiusError::HiddenPasswordLength(hidden.len()));
    }
    let mut out = Vec::with_capacity(hidden.len());
    let mut prev: &[u8] = request_authenticator;
    for block in hidden.chunks(16) {
        let mut h = Md5::new();
        h.update(secret);
        h.update(prev);
        let b: [u8; 16] = h.finalize().into();
        out.extend(block.iter().zip(b.iter()).map(|(c, k)| c ^ k));
        prev = block;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Ok(out)
}

/// Encodes a RADIUS packet: attributes in the order added, Length filled in,
/// Message-Authenticator (if asked for, as the first attribute) and, for replies, the
/// Response Authenticator computed by [`PacketBuilder::finish_request`] /
/// [`PacketBuilder::finish_reply`].
#[derive(Debug, Clone)]
pub struct PacketBuilder {
    buf: Vec<u8>,
    ma_value_at: Option<usize>,
}

impl PacketBuilder {
    /// A packet with `code` and `identifier`, without Message-Authenticator.
    pub fn new(code: Code, identifier: u8) -> Self {
        let mut buf = Vec::with_capacity(128);
        buf.push(u8::from(code));
        buf.push(identifier);
        buf.extend_from_slice(&[0; 2 + AUTHENTICATOR_LEN]);
        Self {
            buf,
            ma_value_at: None,
        }
    }

    /// A packet whose first attribute is a Message-Authenticator (RFC 3579 §3.2; first as
    /// the Blast-RADIUS advisories recommend), filled in by `finish_*`.
    pub fn with_message_authenticator(code: Code, identifier: u8) -> Self {
        let mut b = Self::new(code, identifier);
        b.buf.push(attr::MESSAGE_AUTHENTICATOR);
        b.buf.push(2 + MESSAGE_AUTHENTICATOR_LEN as u8);
        b.ma_value_at = Some(b.buf.len());
        b.buf.extend_from_slice(&[0; MESSAGE_AUTHENTICATOR_LEN]);
        b
    }

    /// Appends one attribute (value 0..=253 bytes).
    pub fn attribute(&mut self, type_id: u8, value: &[u8]) -> Result<&mut Self, RadiusError> {
        if value.len() > MAX_VALUE_LEN {
            return Err(RadiusError::ValueTooLong {
                attribute: type_id,
                len: value.len(),
                max: MAX_VALUE_LEN,
            });
        }
        let len = self.buf.len() + 2 + value.len();
        if len > MAX_PACKET_LEN {
            return Err(RadiusError::PacketTooLong(len));
        }
        self.buf.push(type_id);
        self.buf.push((2 + value.len()) as u8);
        self.buf.extend_from_slice(value);
        Ok(self)
    }

    /// Appends a Vendor-Specific attribute with one sub-attribute (RFC 2865 §5.26 format).
    pub fn vendor_attribute(
        &mut self,
        vendor_id: u32,
        vendor_type: u8,
        value: &[u8],
    ) -> Result<&mut Self, RadiusError> {
        if value.len() > MAX_VALUE_LEN - 6 {
            return Err(RadiusError::ValueTooLong {
                attribute: attr::VENDOR_SPECIFIC,
                len: value.len(),
                max: MAX_VALUE_LEN - 6,
            });
        }
        let mut v = Vec::with_capacity(6 + value.len());
        v.extend_from_slice(&vendor_id.to_be_bytes());
        v.push(vendor_type);
        v.push((2 + value.len()) as u8);
        v.extend_from_slice(value);
        self.attribute(attr::VENDOR_SPECIFIC, &v)
    }

    /// User-Name (RFC 2865 §5.1).
    pub fn user_name(&mut self, name: &[u8]) -> Result<&mut Self, RadiusError> {
        self.attribute(attr::USER_NAME, name)
    }

    /// User-Password hidden with `secret` and the Request Authenticator the request will
    /// carry (RFC 2865 §5.2).
    pub fn user_password(
        &mut self,
        password: &[u8],
        secret: &[u8],
        request_authenticator: &Authenticator,
    ) -> Result<&mut Self, RadiusError> {
        let hidden = hide_password(password, secret, request_authenticator)?;
        self.attribute(attr::USER_PASSWORD, &hidden)
    }

    /// NAS-Identifier (RFC 2865 §5.32).
    pub fn nas_identifier(&mut self, id: &[u8]) -> Result<&mut Self, RadiusError> {
        self.attribute(attr::NAS_IDENTIFIER, id)
    }

    /// NAS-IP-Address (RFC 2865 §5.4).
    pub fn nas_ip_address(&mut self, ip: Ipv4Addr) -> Result<&mut Self, RadiusError> {
        self.attribute(attr::NAS_IP_ADDRESS, &ip.octets())
    }

    /// NAS-Port (RFC 2865 §5.5).
    pub fn nas_port(&mut self, port: u32) -> Result<&mut Self, RadiusError> {
        self.attribute(attr::NAS_PORT, &port.to_be_bytes())
    }

    fn set_length(&mut self) {
        let len = (self.buf.len() as u16).to_be_bytes();
        if let Some(s) = self.buf.get_mut(2..4) {
            s.copy_from_slice(&len);
        }
    }

    fn set_authenticator(&mut self, a: &Authenticator) {
        if let Some(s) = self.buf.get_mut(4..HEADER_LEN) {
            s.copy_from_slice(a);
        }
    }

    fn fill_message_authenticator(
        &mut self,
        authenticator: &Authenticator,
        secret: &[u8],
    ) -> Result<(), RadiusError> {
        if let Some(at) = self.ma_value_at {
            let mac = message_authenticator(&self.buf, at, authenticator, secret)?;
            if let Some(s) = self.buf.get_mut(at..at + MESSAGE_AUTHENTICATOR_LEN) {
                s.copy_from_slice(&mac);
            }
        }
        Ok(())
    }

    /// A request (Access-Request, Status-Server) carrying `request_authenticator` (16
    /// random bytes for an Access-Request, RFC 2865 §3).
    pub fn finish_request(
        mut self,
        request_authenticator: &Authenticator,
        secret: &[u8],
    ) -> Result<Vec<u8>, RadiusError> {
        if secret.is_empty() {
            return Err(RadiusError::EmptySecret);
        }
        self.set_length();
        self.set_authenticator(request_authenticator);
        self.fill_message_authenticator(request_authenticator, secret)?;
        Ok(self.buf)
    }

    /// A reply to the request with `request_authenticator`: Message-Authenticator computed
    /// over the request's authenticator (RFC 3579 §3.2), then the Response Authenticator
    /// (RFC 2865 §3).
    pub fn finish_reply(
        mut self,
        request_authenticator: &Authenticator,
        secret: &[u8],
    ) -> Result<Vec<u8>, RadiusError> {
        if secret.is_empty() {
            return Err(RadiusError::EmptySecret);
        }
        self.set_length();
        self.fill_message_authenticator(request_authenticator, secret)?;
        let ra = response_authenticator(&self.buf, request_authenticator, secret);
        self.set_authenticator(&ra);
        Ok(self.buf)
    }
}

/// An Access-Request for PAP as callscope sends it: Message-Authenticator first, then
/// User-Name, hidden User-Password, NAS-Identifier and the optional NAS-IP-Address.
pub fn pap_access_request(
    identifier: u8,
    request_authenticator: &Authenticator,
    user: &[u8],
    password: &[u8],
    nas_identifier: &[u8],
    nas_ip_address: Option<Ipv4Addr>,
    secret: &[u8],
) -> Result<Vec<u8>, RadiusError> {
    let mut b = PacketBuilder::with_message_authenticator(Code::AccessRequest, identifier);
    b.user_name(user)?
        .user_password(password, secret, request_authenticator)?
        .nas_identifier(nas_identifier)?;
    if let Some(ip) = nas_ip_address {
        b.nas_ip_address(ip)?;
    }
    b.finish_request(request_authenticator, secret)
}
