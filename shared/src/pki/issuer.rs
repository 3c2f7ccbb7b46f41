//! The engine's local issuer of probe certificates.
//!
//! A small CA of its own (`<data_dir>/tls/issuer/`), created on first use. It is **not** a
//! trust anchor: every certificate it issues is pinned in the [`TrustStore`] instead, so that
//! removing that one pin revokes that one probe.

use super::cert::{CertInfo, certificates_pem, parse_certificates};
use super::fs::{PRIVATE, create_dir, read_string, write_atomic};
use super::identity::{bad_san, local_hostname, random_serial, set_leaf_fields, set_validity};
use super::{PkiError, TrustStore};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::fmt;
use std::path::{Path, PathBuf};

const KEY_FILE: &str = "key.pem";
const CERT_FILE: &str = "cert.pem";
const ISSUER_VALIDITY_DAYS: u32 = 3650;

/// A private key in PEM. It has no `Display`, and its `Debug` shows nothing of the key:
/// read it with [`SecretPem::expose`] to write it to a file of mode 0600.
pub struct SecretPem(String);

impl SecretPem {
    /// The PEM text of the key.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretPem([private key elided])")
    }
}

/// A new probe key and its certificate, already pinned in the trust store.
#[derive(Debug)]
pub struct IssuedPeer {
    /// The probe's private key (PKCS#8).
    pub key_pem: SecretPem,
    /// The probe's certificate.
    pub cert_pem: String,
    /// What the certificate says.
    pub info: CertInfo,
}

/// A certificate signed from a CSR, already pinned in the trust store.
#[derive(Debug)]
pub struct IssuedCert {
    /// The certificate.
    pub cert_pem: String,
    /// What it says.
    pub info: CertInfo,
}

/// The engine's local issuing CA for probe certificates.
pub struct LocalIssuer {
    dir: PathBuf,
    key: KeyPair,
    cert: CertificateDer<'static>,
}

impl fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalIssuer")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl LocalIssuer {
    /// Loads the issuer in `dir`, or creates it (ECDSA P-256, ten years from `now`).
    pub fn load_or_create(dir: &Path, now: UnixTime) -> Result<Self, PkiError> {
        create_dir(dir)?;
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        match (key_path.exists(), cert_path.exists()) {
            (true, true) => {
                let key = KeyPair::from_pem(&read_string(&key_path)?).map_err(|_| {
                    PkiError::Invalid(format!(
                        "{} is not a PKCS#8 PEM private key; restore it, or move {} away to create \
                         a new issuer (certificates already issued stay pinned and valid)",
                        key_path.display(),
                        dir.display()
                    ))
                })?;
                let cert = parse_certificates(read_string(&cert_path)?.as_bytes())?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        PkiError::Invalid(format!("{} holds no certificate", cert_path.display()))
                    })?;
                Ok(Self {
                    dir: dir.to_owned(),
                    key,
                    cert,
                })
            }
            (false, false) => {
                let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
                let mut params = CertificateParams::default();
                params.distinguished_name = rcgen::DistinguishedName::new();
                params.distinguished_name.push(
                    DnType::CommonName,
                    format!("callscope probe issuer on {}", local_hostname()),
                );
                set_validity(&mut params, now, ISSUER_VALIDITY_DAYS)?;
                params.serial_number = Some(random_serial()?);
                params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                params.key_usages = vec![
                    KeyUsagePurpose::KeyCertSign,
                    KeyUsagePurpose::CrlSign,
                    KeyUsagePurpose::DigitalSignature,
                ];
                let cert = params.self_signed(&key)?.der().clone();
                write_atomic(&key_path, key.serialize_pem().as_bytes(), PRIVATE)?;
                write_atomic(
                    &cert_path,
                    certificates_pem(std::slice::from_ref(&cert)).as_bytes(),
                    PRIVATE,
                )?;
                tracing::info!(dir = %dir.display(), "created the local issuer of probe certificates");
                Ok(Self {
                    dir: dir.to_owned(),
                    key,
                    cert,
                })
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

    /// The issuer's own certificate (never added to the trust store by this program).
    pub fn certificate(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// What the issuer's certificate says.
    pub fn info(&self) -> Result<CertInfo, PkiError> {
        CertInfo::from_der(&self.cert)
    }

    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, PkiError> {
        Ok(Issuer::from_ca_cert_der(&self.cert, &self.key)?)
    }

    /// Generates a key for a probe called `name` and signs a certificate for it (common name
    /// `name`; SANs `sans`, or `name` when it is a DNS name and no SAN is given), valid
    /// `validity_days` from `now`, and pins the certificate in `trust`.
    pub fn issue_peer(
        &self,
        trust: &mut TrustStore,
        name: &str,
        sans: &[String],
        validity_days: u32,
        now: UnixTime,
    ) -> Result<IssuedPeer, PkiError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(PkiError::Invalid(
                "a probe certificate needs a name (its common name); give one".into(),
            ));
        }
        let sans = if sans.is_empty() && rustls_pki_types::DnsName::try_from(name).is_ok() {
            vec![name.to_owned()]
        } else {
            sans.to_vec()
        };
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(sans).map_err(bad_san)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        set_leaf_fields(&mut params, now, validity_days)?;
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        let outcome = trust.add_der(cert.der().clone())?;
        tracing::info!(
            name,
            fingerprint = %outcome.info.fingerprint,
            "issued and pinned a probe certificate"
        );
        Ok(IssuedPeer {
            key_pem: SecretPem(key.serialize_pem()),
            cert_pem: certificates_pem(std::slice::from_ref(cert.der())),
            info: outcome.info,
        })
    }

    /// Signs a probe's PKCS#10 CSR (its signature checked first) for `validity_days` from
    /// `now`, and pins the certificate in `trust`. The subject and SANs come from the CSR;
    /// the certificate is always a leaf for TLS server and client use, whatever was requested.
    pub fn sign_csr(
        &self,
        trust: &mut TrustStore,
        csr_pem: &str,
        validity_days: u32,
        now: UnixTime,
    ) -> Result<IssuedCert, PkiError> {
        let mut csr = CertificateSigningRequestParams::from_pem(csr_pem).map_err(|e| {
            PkiError::Invalid(match e {
                rcgen::Error::InvalidCertificationRequestSignature => {
                    "the CSR's signature does not verify: it was altered or is not signed by \
                     its own key; produce a new CSR on the probe"
                        .to_owned()
                }
                rcgen::Error::UnsupportedExtension => {
                    "the CSR asks for an extension this issuer does not sign (only subject \
                     alternative names, key usage, extended key usage, basic constraints); \
                     produce a CSR without it"
                        .to_owned()
                }
                other => format!(
                    "not a PEM certificate signing request ({other}); give the file that \
                     `cert csr` wrote on the probe (-----BEGIN CERTIFICATE REQUEST-----)"
                ),
            })
        })?;
        let has_cn = csr
            .params
            .distinguished_name
            .get(&DnType::CommonName)
            .is_some();
        if !has_cn {
            return Err(PkiError::Invalid(
                "the CSR's subject has no common name, which names the probe; produce a CSR \
                 with one"
                    .into(),
            ));
        }
        set_leaf_fields(&mut csr.params, now, validity_days)?;
        csr.params.use_authority_key_identifier_extension = true;
        let cert = csr.signed_by(&self.issuer()?)?;
        let outcome = trust.add_der(cert.der().clone())?;
        tracing::info!(
            subject = %outcome.info.subject,
            fingerprint = %outcome.info.fingerprint,
            "signed and pinned a probe certificate from a CSR"
        );
        Ok(IssuedCert {
            cert_pem: certificates_pem(std::slice::from_ref(cert.der())),
            info: outcome.info,
        })
    }
}
