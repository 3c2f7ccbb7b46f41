//! Certificates as files and as facts: PEM/DER parsing, SHA-256 fingerprints, and the summary
//! ([`CertInfo`]) that lists and tables show.

use super::PkiError;
use rustls_pki_types::{CertificateDer, UnixTime};
use std::fmt;
use std::net::IpAddr;
use x509_parser::extensions::GeneralName;

/// SHA-256 of a certificate's DER encoding.
///
/// Displays as `openssl x509 -fingerprint -sha256` does: upper-case hex pairs joined by colons.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of `der`.
    pub fn of(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// Lower-case hex without separators (64 digits): the trust store's file names.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first 16 hex digits, enough to name a certificate in a table or on a command line.
    pub fn short(&self) -> String {
        self.hex().chars().take(16).collect()
    }

    /// Whether `prefix` (hex digits, colons allowed, any case) starts this fingerprint.
    pub fn starts_with(&self, prefix: &str) -> bool {
        match normalize_hex(prefix) {
            Some(wanted) if !wanted.is_empty() => self.hex().starts_with(&wanted),
            _ => false,
        }
    }
}

/// `prefix` as lower-case hex without colons, or `None` if it holds anything else.
pub(crate) fn normalize_hex(prefix: &str) -> Option<String> {
    let mut out = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        match c {
            ':' => {}
            c if c.is_ascii_hexdigit() => out.push(c.to_ascii_lowercase()),
            _ => return None,
        }
    }
    Some(out)
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// What a certificate says about itself, for lists, tables and log lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject distinguished name, as `CN=..., O=...`.
    pub subject: String,
    /// The subject's first common name, if any.
    pub common_name: Option<String>,
    /// The issuer distinguished name.
    pub issuer: String,
    /// Subject alternative names: DNS names and IP addresses as text, others prefixed
    /// (`URI:`, `email:`).
    pub sans: Vec<String>,
    /// Start of validity, seconds since the Unix epoch.
    pub not_before: i64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: i64,
    /// SHA-256 of the DER encoding.
    pub fingerprint: Fingerprint,
    /// Whether basic constraints say this is a CA certificate.
    pub is_ca: bool,
    /// Whether subject and issuer are the same name.
    pub self_issued: bool,
}

impl CertInfo {
    /// Parses one DER certificate. Trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
            PkiError::Invalid(format!(
                "not a valid X.509 certificate ({e}); give a PEM or DER certificate file"
            ))
        })?;
        if !rest.is_empty() {
            return Err(PkiError::Invalid(format!(
                "{} bytes follow the DER certificate; give one DER certificate, or PEM for several",
                rest.len()
            )));
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let mut sans = Vec::new();
        if let Ok(Some(ext)) = cert.subject_alternative_name() {
            for name in &ext.value.general_names {
                match name {
                    GeneralName::DNSName(s) => sans.push((*s).to_owned()),
                    GeneralName::IPAddress(bytes) => sans.push(ip_text(bytes)),
                    GeneralName::URI(s) => sans.push(format!("URI:{s}")),
                    GeneralName::RFC822Name(s) => sans.push(format!("email:{s}")),
                    _ => {}
                }
            }
        }
        Ok(Self {
            subject: cert.subject().to_string(),
            common_name,
            issuer: cert.issuer().to_string(),
            sans,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            fingerprint: Fingerprint::of(der),
            is_ca: cert.is_ca(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        })
    }

    /// The common name if there is one, else the whole subject.
    pub fn name(&self) -> &str {
        self.common_name.as_deref().unwrap_or(&self.subject)
    }

    /// Whether the certificate's validity ended before `now`.
    pub fn expired(&self, now: UnixTime) -> bool {
        secs(now) > self.not_after
    }

    /// Whether `now` is within the validity period.
    pub fn valid_at(&self, now: UnixTime) -> bool {
        let now = secs(now);
        self.not_before <= now && now <= self.not_after
    }

    /// Whole days from `now` to the end of validity (negative once expired).
    pub fn days_left(&self, now: UnixTime) -> i64 {
        (self.not_after - secs(now)).div_euclid(86_400)
    }

    /// Fails with [`PkiError::NotValidNow`] unless `now` is within the validity period.
    pub fn check_valid_at(&self, now: UnixTime) -> Result<(), PkiError> {
        if self.valid_at(now) {
            Ok(())
        } else {
            Err(PkiError::NotValidNow {
                subject: self.subject.clone(),
                not_before: format_utc(self.not_before),
                not_after: format_utc(self.not_after),
            })
        }
    }
}

pub(crate) fn secs(now: UnixTime) -> i64 {
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}

fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        IpAddr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        IpAddr::from(v6).to_string()
    } else {
        format!("IP:{bytes:02x?}")
    }
}

/// `secs` since the epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_utc(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{secs} s since 1970"),
    }
}

/// The certificates in `bytes`: PEM with one or more `CERTIFICATE` blocks, or one DER
/// certificate. Each is checked to parse as X.509.
///
/// A file holding a private key is refused (keys are never copied into a trust store or
/// installed as a certificate), and so is a CSR.
pub fn parse_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let looks_pem = bytes
        .windows(b"-----BEGIN ".len())
        .any(|w| w == b"-----BEGIN ");
    if !looks_pem {
        CertInfo::from_der(bytes)?;
        return Ok(vec![CertificateDer::from(bytes.to_vec())]);
    }
    let blocks = pem::parse_many(bytes).map_err(|e| {
        PkiError::Invalid(format!(
            "malformed PEM ({e}); give a file of -----BEGIN CERTIFICATE----- blocks or one DER certificate"
        ))
    })?;
    let mut certs = Vec::new();
    for block in blocks {
        match block.tag() {
            "CERTIFICATE" => {
                CertInfo::from_der(block.contents())?;
                certs.push(CertificateDer::from(block.contents().to_vec()));
            }
            tag if tag.contains("PRIVATE KEY") => {
                return Err(PkiError::Invalid(
                    "the file holds a private key; give a file with only the certificate(s), \
                     and keep the key where it is"
                        .into(),
                ));
            }
            tag if tag.contains("REQUEST") => {
                return Err(PkiError::Invalid(
                    "the file holds a certificate signing request, not a certificate; \
                     have it signed first (`probe-cert sign` or your CA)"
                        .into(),
                ));
            }
            _ => {}
        }
    }
    if certs.is_empty() {
        return Err(PkiError::Invalid(
            "no certificate found: the PEM file has no -----BEGIN CERTIFICATE----- block".into(),
        ));
    }
    Ok(certs)
}

/// PEM text of `certs`, one `CERTIFICATE` block each, with `\n` line endings.
pub fn certificates_pem(certs: &[CertificateDer<'_>]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    certs
        .iter()
        .map(|c| pem::encode_config(&pem::Pem::new("CERTIFICATE", c.as_ref()), config))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_formats_like_openssl_and_matches_prefixes() {
        let fp = Fingerprint([0xab; 32]);
        let shown = fp.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert!(shown.starts_with("AB:AB:") && shown.ends_with(":AB"));
        assert_eq!(fp.hex(), "ab".repeat(32));
        assert_eq!(fp.short(), "ab".repeat(8));
        assert!(fp.starts_with("AB:ab:AB:AB"));
        assert!(fp.starts_with("abababab"));
        assert!(!fp.starts_with("ababac"));
        assert!(!fp.starts_with(""));
        assert!(!fp.starts_with("probe-1"));
        // FIPS 180-2 B.1: SHA-256("abc").
        assert_eq!(
            Fingerprint::of(b"abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn parse_certificates_says_what_is_wrong() {
        let err = parse_certificates(b"").unwrap_err().to_string();
        assert!(err.contains("not a valid X.509 certificate"), "{err}");
        let err =
            parse_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("X.509"), "{err}");
        let err =
            parse_certificates(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("no certificate found"), "{err}");
    }

    #[test]
    fn utc_format() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }
}
