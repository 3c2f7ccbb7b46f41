//! Checking the authentication key chunk (0x000e).
use subtle::ConstantTimeEq;

/// Does the key a sender put in chunk 0x000e equal the configured key?
///
/// Compares in constant time for keys of the configured length (a wrong length is rejected
/// without comparing, which reveals only the length). A missing key never matches. The key
/// travels in clear inside the HEP packet: accept it only over TLS. Never log either key.
pub fn auth_key_matches(sent: Option<&[u8]>, configured: &[u8]) -> bool {
    match sent {
        Some(sent) => bool::from(sent.ct_eq(configured)),
        None => false,
    }
}
