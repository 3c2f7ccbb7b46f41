//! Typed RADIUS errors. None allocates, none carries a secret, a password or a digest value.

/// Why bytes are not a usable RADIUS packet, why a reply fails verification, or why a
/// request cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RadiusError {
    /// Fewer bytes than the 20-byte header or than the packet's Length field says
    /// (RFC 2865 §3: such a packet is silently discarded).
    #[error("RADIUS packet truncated: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    /// The Length field is outside 20..=4096 (RFC 2865 §3).
    #[error("RADIUS Length field {0} is outside 20..=4096 (RFC 2865 section 3)")]
    BadLength(u16),
    /// An attribute's Length field is below its own 2-byte header (RFC 2865 §5).
    #[error("RADIUS attribute at byte {offset} declares length {len}, below its 2-byte header")]
    AttributeTooShort { offset: usize, len: u8 },
    /// An attribute (or a lone attribute type byte) runs past the packet's Length.
    #[error(
        "RADIUS attribute at byte {offset} needs {needed} bytes but the packet ends at byte {packet_len}"
    )]
    AttributeOverrun {
        offset: usize,
        needed: usize,
        packet_len: usize,
    },
    /// A Vendor-Specific attribute shorter than its 4-byte Vendor-Id plus one byte
    /// (RFC 2865 §5.26).
    #[error(
        "RADIUS Vendor-Specific attribute at byte {offset} has {len} value bytes, at least 5 needed (Vendor-Id and data)"
    )]
    VendorSpecificTooShort { offset: usize, len: usize },
    /// The data of a Vendor-Specific attribute is not a list of type-length-value
    /// sub-attributes in the format RFC 2865 §5.26 suggests.
    #[error(
        "RADIUS Vendor-Specific data at value byte {offset} is not a type-length-value sub-attribute (RFC 2865 section 5.26)"
    )]
    VendorAttributeMalformed { offset: usize },
    /// The reply's code is not Access-Accept, Access-Reject or Access-Challenge.
    #[error(
        "RADIUS reply has code {0}, expected Access-Accept (2), Access-Reject (3) or Access-Challenge (11)"
    )]
    NotAnAccessReply(u8),
    /// The reply answers another request.
    #[error("RADIUS reply identifier {got} does not match the request's {expected}")]
    IdentifierMismatch { expected: u8, got: u8 },
    /// The reply's Response Authenticator is wrong (RFC 2865 §3): wrong shared secret, or a
    /// forged or corrupted reply.
    #[error(
        "RADIUS reply fails the Response Authenticator check (RFC 2865 section 3): the shared secret differs from the server's, or the reply was forged"
    )]
    BadResponseAuthenticator,
    /// The reply carries no Message-Authenticator. callscope requires one (RFC 3579 §3.2;
    /// the Blast-RADIUS hardening, CVE-2024-3596): configure the server to send it
    /// (FreeRADIUS: `require_message_authenticator = yes` for this client).
    #[error(
        "RADIUS reply has no Message-Authenticator (RFC 3579 section 3.2); callscope requires one against Blast-RADIUS forgeries: enable it on the server for this client"
    )]
    MissingMessageAuthenticator,
    /// More than one Message-Authenticator attribute.
    #[error("RADIUS packet has more than one Message-Authenticator attribute")]
    DuplicateMessageAuthenticator,
    /// A Message-Authenticator whose value is not 16 bytes.
    #[error("RADIUS Message-Authenticator has {0} value bytes, RFC 3579 section 3.2 says 16")]
    MessageAuthenticatorLength(usize),
    /// The Message-Authenticator HMAC-MD5 does not match (RFC 3579 §3.2).
    #[error(
        "RADIUS Message-Authenticator does not match (RFC 3579 section 3.2): the shared secret differs from the server's, or the packet was forged"
    )]
    BadMessageAuthenticator,
    /// The shared secret is empty (RFC 2865 §3: it must not be).
    #[error("RADIUS shared secret is empty; RFC 2865 section 3 requires a non-empty secret")]
    EmptySecret,
    /// An attribute value longer than one attribute can carry.
    #[error("RADIUS attribute {attribute} value is {len} bytes, at most {max} fit")]
    ValueTooLong {
        attribute: u8,
        len: usize,
        max: usize,
    },
    /// A User-Password longer than 128 bytes (RFC 2865 §5.2).
    #[error("RADIUS User-Password is {0} bytes, at most 128 fit (RFC 2865 section 5.2)")]
    PasswordTooLong(usize),
    /// A hidden User-Password whose length is not a non-zero multiple of 16 up to 128.
    #[error("hidden RADIUS User-Password is {0} bytes, not a multiple of 16 in 16..=128")]
    HiddenPasswordLength(usize),
    /// The encoded packet would exceed 4096 bytes.
    #[error("RADIUS packet would be {0} bytes, above the 4096 maximum")]
    PacketTooLong(usize),
}
