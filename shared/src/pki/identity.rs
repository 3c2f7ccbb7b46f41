//! A machine's own key and certificate.

use super::cert::{CertInfo, Fingerprint, certificates_pem, parse_certificates, secs};
use super::fs::{PRIVATE, create_dir, read_string, write_atomic};
use super::{PkiError, tls::crypto_provider};
use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PublicKeyData, SerialNumber,
};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const KEY_FILE: &str = "key.pem";
const CERT_FILE: &str = "cert.pem";
/// Certificates start this long before their creation, for peers whose clocks are behind.
const BACKDATE_SECS: i64 = 3600;

/// What a generated self-signed certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityConfig {
    /// Subject common name.
    pub common_name: String,
    /// DNS subject alternative names.
    pub dns_sans: Vec<String>,
    /// IP subject alternative names.
    pub ip_sans: Vec<IpAddr>,
    /// Validity of generated certificates, in days.
    pub validity_days: u32,
}

impl Default for IdentityConfig {
    /// Common name: the host name; SANs: `localhost`, the host name, `127.0.0.1`, `::1`;
    /// 825 days.
    fn default() -> Self {
        let host = local_hostname();
        Self::new(&host)
    }
}

impl IdentityConfig {
    /// The defaults with another common name (the host name stays a SAN).
    pub fn new(common_name: &str) -> Self {
        let host = local_hostname();
        let mut dns_sans = vec!["localhost".to_owned()];
        for name in [host.as_str(), common_name] {
            if is_dns_name(name) && !dns_sans.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                dns_sans.push(name.to_owned());
            }
        }
        Self {
            common_name: common_name.to_owned(),
            dns_sans,
            ip_sans: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            validity_days: 825,
        }
    }

    /// All SANs as text, DNS names first.
    pub fn sans(&self) -> Vec<String> {
        self.dns_sans
            .iter()
            .cloned()
            .chain(self.ip_sans.iter().map(IpAddr::to_string))
            .collect()
    }
}

/// This machine's host name (from the kernel), or `localhost` if it cannot be read.
pub fn local_hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn is_dns_name(name: &str) -> bool {
    name.parse::<IpAddr>().is_err() && rustls_pki_types::DnsName::try_from(name).is_ok()
}

/// A machine's own ECDSA P-256 key and certificate chain, kept in a directory
/// (`key.pem`, mode 0600, and `cert.pem`: the leaf, then any intermediates).
pub struct Identity {
    dir: PathBuf,
    config: IdentityConfig,
    key: KeyPair,
    chain: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("dir", &self.dir)
            .field("fingerprint", &self.fingerprint_sha256())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Loads the identity in `dir`, or on first start generates a key and a self-signed
    /// certificate from `config` valid from `now`.
    ///
    /// An existing identity is never replaced: if only one of the two files exists, or they
    /// do not belong together, this fails and says what to do. A key file readable by others
    /// is set back to 0600, with a warning.
    pub fn load_or_create(
        dir: &Path,
        config: &IdentityConfig,
        now: UnixTime,
    ) -> Result<Self, PkiError> {
        create_dir(dir)?;
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        match (key_path.exists(), cert_path.exists()) {
            (true, true) => Self::load(dir, config),
            (false, false) => {
                let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
                let cert = self_signed(config, &key, now)?;
                let identity = Self {
                    dir: dir.to_owned(),
                    config: config.clone(),
                    key,
                    chain: vec![cert],
                };
                identity.write_key()?;
                identity.write_chain()?;
                tracing::info!(
                    dir = %dir.display(),
                    fingerprint = %identity.fingerprint_sha256(),
                    "generated a new TLS key and self-signed certificate"
                );
                Ok(identity)
            }
            (true, false) => Err(PkiError::IncompleteIdentity {
                dir: dir.to_owned(),
                present: KEY_FILE,
                missing: CERT_FILE,
            }),
            (false, true) => Err(PkiError::IncompleteIdentity {
                dir: dir.to_owned(),
                present: CERT_FILE,
                missing: KEY_FILE,
            }),
        }
    }

    /// Loads an existing identity; fails if `dir` holds none.
    pub fn load(dir: &Path, config: &IdentityConfig) -> Result<Self, PkiError> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        tighten_key_mode(&key_path)?;
        let key = KeyPair::from_pem(&read_string(&key_path)?).map_err(|_| {
            PkiError::Invalid(format!(
                "{} is not a PKCS#8 PEM private key this program can use (ECDSA P-256 expected); \
                 restore the original file, or move {KEY_FILE} and {CERT_FILE} away to generate a new identity",
                key_path.display()
            ))
        })?;
        let chain_text = read_string(&cert_path)?;
        let chain = parse_certificates(chain_text.as_bytes()).map_err(|e| {
            PkiError::Invalid(format!(
                "{}: {e}; restore it, or run `cert regenerate` for a new self-signed certificate",
                cert_path.display()
            ))
        })?;
        let identity = Self {
            dir: dir.to_owned(),
            config: config.clone(),
            key,
            chain,
        };
        identity.check_leaf_matches_key(identity.leaf())?;
        identity.warn_missing_sans();
        Ok(identity)
    }

    /// Modification times and sizes of the key and certificate files in `dir` (to notice a
    /// change without reading them).
    pub fn stamp_files(dir: &Path) -> [(Option<std::time::SystemTime>, u64); 2] {
        let one = |p: PathBuf| {
            std::fs::metadata(p)
                .map(|m| (m.modified().ok(), m.len()))
                .unwrap_or((None, 0))
        };
        [one(dir.join(KEY_FILE)), one(dir.join(CERT_FILE))]
    }

    /// The identity's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The private key file (mode 0600).
    pub fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    /// The certificate chain file.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join(CERT_FILE)
    }

    /// The configuration used for generated certificates and CSRs.
    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    /// The leaf certificate.
    pub fn leaf(&self) -> &CertificateDer<'static> {
        // `chain` is never empty: every constructor checks it.
        &self.chain[0]
    }

    /// The leaf followed by any intermediates.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The chain as PEM (what peers pin, e.g. `engine.pem`).
    pub fn cert_pem(&self) -> String {
        certificates_pem(&self.chain)
    }

    /// What the leaf certificate says.
    pub fn info(&self) -> Result<CertInfo, PkiError> {
        CertInfo::from_der(self.leaf())
    }

    /// SHA-256 fingerprint of the leaf certificate (displays as `AB:CD:...`, like openssl).
    pub fn fingerprint_sha256(&self) -> Fingerprint {
        Fingerprint::of(self.leaf())
    }

    /// A PKCS#10 certificate signing request for this machine's key, with the identity's
    /// common name and `sans` (DNS names or IP addresses); with no `sans`, those of the
    /// current certificate.
    pub fn csr_pem(&self, sans: &[String]) -> Result<String, PkiError> {
        let sans = if sans.is_empty() {
            let current = self.info()?.sans;
            if current.is_empty() {
                self.config.sans()
            } else {
                current
            }
        } else {
            sans.to_vec()
        };
        let mut params = CertificateParams::new(sans).map_err(bad_san)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, self.common_name());
        Ok(params.serialize_request(&self.key)?.pem()?)
    }

    /// Installs a certificate chain issued for this machine's key (PEM: the leaf, then its
    /// intermediates), after checking that the leaf carries our public key, that each
    /// certificate is signed by the next, and that all are valid at `now`. The chain file is
    /// replaced atomically.
    pub fn install_signed(&mut self, chain_pem: &str, now: UnixTime) -> Result<CertInfo, PkiError> {
        let chain = parse_certificates(chain_pem.as_bytes())?;
        let leaf = chain
            .first()
            .ok_or_else(|| PkiError::Invalid("the file holds no certificate".into()))?;
        self.check_leaf_matches_key(leaf)?;
        check_chain(&chain)?;
        for cert in &chain {
            CertInfo::from_der(cert)?.check_valid_at(now)?;
        }
        let info = CertInfo::from_der(leaf)?;
        self.chain = chain;
        self.write_chain()?;
        tracing::info!(
            subject = %info.subject,
            issuer = %info.issuer,
            fingerprint = %info.fingerprint,
            "installed a signed TLS certificate"
        );
        Ok(info)
    }

    /// Replaces the key and certificate with a new key and a new self-signed certificate
    /// from the configuration, valid from `now`. Peers that pinned the old certificate must
    /// pin the new one.
    pub fn regenerate(&mut self, now: UnixTime) -> Result<(), PkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let cert = self_signed(&self.config, &key, now)?;
        self.key = key;
        self.chain = vec![cert];
        self.write_key()?;
        self.write_chain()?;
        tracing::info!(
            dir = %self.dir.display(),
            fingerprint = %self.fingerprint_sha256(),
            "regenerated the TLS key and self-signed certificate"
        );
        Ok(())
    }

    /// The chain and key for rustls.
    pub fn certified_key(&self) -> Result<Arc<CertifiedKey>, PkiError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()));
        Ok(Arc::new(CertifiedKey::from_der(
            self.chain.clone(),
            key,
            &crypto_provider(),
        )?))
    }

    fn common_name(&self) -> String {
        self.info()
            .ok()
            .and_then(|i| i.common_name)
            .unwrap_or_else(|| self.config.common_name.clone())
    }

    fn check_leaf_matches_key(&self, leaf: &CertificateDer<'_>) -> Result<(), PkiError> {
        let (_, cert) = x509_parser::parse_x509_certificate(leaf)
            .map_err(|e| PkiError::Invalid(format!("not a valid X.509 certificate ({e})")))?;
        if cert.public_key().raw != self.key.subject_public_key_info().as_slice() {
            return Err(PkiError::KeyMismatch {
                subject: cert.subject().to_string(),
                key_path: self.key_path(),
            });
        }
        Ok(())
    }

    fn warn_missing_sans(&self) {
        let Ok(info) = self.info() else { return };
        let missing: Vec<String> = self
            .config
            .sans()
            .into_iter()
            .filter(|s| !info.sans.iter().any(|have| have.eq_ignore_ascii_case(s)))
            .collect();
        if !missing.is_empty() && info.self_issued {
            tracing::warn!(
                missing = ?missing,
                "the TLS certificate lacks configured subject alternative names; \
                 run `cert regenerate` (self-signed) or install a certificate that has them"
            );
        }
    }

    fn write_key(&self) -> Result<(), PkiError> {
        write_atomic(
            &self.key_path(),
            self.key.serialize_pem().as_bytes(),
            PRIVATE,
        )
    }

    fn write_chain(&self) -> Result<(), PkiError> {
        write_atomic(&self.cert_path(), self.cert_pem().as_bytes(), PRIVATE)
    }
}

/// Each certificate of `chain` names the next as issuer and is signed by its key; a final
/// self-issued certificate must verify with its own key.
fn check_chain(chain: &[CertificateDer<'_>]) -> Result<(), PkiError> {
    let parsed = chain
        .iter()
        .map(|c| {
            x509_parser::parse_x509_certificate(c)
                .map(|(_, cert)| cert)
                .map_err(|e| PkiError::Invalid(format!("not a valid X.509 certificate ({e})")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (index, pair) in parsed.windows(2).enumerate() {
        let [cert, next] = pair else { continue };
        let broken = |reason: &str| PkiError::ChainBroken {
            index,
            subject: cert.subject().to_string(),
            next: next.subject().to_string(),
            reason: reason.to_owned(),
        };
        if cert.issuer().as_raw() != next.subject().as_raw() {
            return Err(broken(
                "its issuer name is not the next certificate's subject",
            ));
        }
        cert.verify_signature(Some(next.public_key()))
            .map_err(|_| broken("the signature does not verify with the next certificate's key"))?;
    }
    if let Some(last) = parsed.last()
        && parsed.len() > 1
        && last.subject().as_raw() == last.issuer().as_raw()
    {
        last.verify_signature(None)
            .map_err(|_| PkiError::ChainBroken {
                index: parsed.len() - 1,
                subject: last.subject().to_string(),
                next: last.subject().to_string(),
                reason: "the self-signed root's signature does not verify".into(),
            })?;
    }
    Ok(())
}

/// A self-signed leaf certificate for `key`, from `config`, valid from `now` (less an hour).
fn self_signed(
    config: &IdentityConfig,
    key: &KeyPair,
    now: UnixTime,
) -> Result<CertificateDer<'static>, PkiError> {
    let mut params = CertificateParams::new(config.sans()).map_err(bad_san)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, config.common_name.as_str());
    set_leaf_fields(&mut params, now, config.validity_days)?;
    Ok(params.self_signed(key)?.der().clone())
}

/// Validity, serial number and usages of a leaf certificate (TLS server and client).
pub(crate) fn set_leaf_fields(
    params: &mut CertificateParams,
    now: UnixTime,
    validity_days: u32,
) -> Result<(), PkiError> {
    set_validity(params, now, validity_days)?;
    params.serial_number = Some(random_serial()?);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    Ok(())
}

pub(crate) fn set_validity(
    params: &mut CertificateParams,
    now: UnixTime,
    validity_days: u32,
) -> Result<(), PkiError> {
    if validity_days == 0 {
        return Err(PkiError::Invalid(
            "a validity of 0 days makes a certificate that is never valid; give at least 1 day"
                .into(),
        ));
    }
    let now = secs(now);
    let start = time::OffsetDateTime::from_unix_timestamp(now - BACKDATE_SECS);
    let end = time::OffsetDateTime::from_unix_timestamp(
        now.saturating_add(i64::from(validity_days) * 86_400),
    );
    match (start, end) {
        (Ok(start), Ok(end)) => {
            params.not_before = start;
            params.not_after = end;
            Ok(())
        }
        _ => Err(PkiError::Invalid(format!(
            "the validity period ({validity_days} days from now) is out of range; give fewer days"
        ))),
    }
}

/// A random positive 128-bit serial number.
pub(crate) fn random_serial() -> Result<SerialNumber, PkiError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| PkiError::Invalid("the system random generator failed".into()))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

pub(crate) fn bad_san(e: rcgen::Error) -> PkiError {
    PkiError::Invalid(format!(
        "invalid subject alternative name ({e}); give DNS names (letters, digits, '-', '.') or IP addresses"
    ))
}

fn tighten_key_mode(path: &Path) -> Result<(), PkiError> {
    let meta = std::fs::metadata(path).map_err(|e| PkiError::io("read", path, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            file = %path.display(),
            mode = format!("{mode:o}"),
            "the private key was readable by other users; setting it to 0600"
        );
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE))
            .map_err(|e| PkiError::io("set permissions of", path, e))?;
    }
    Ok(())
}
