//! rustls configurations: TLS 1.2 and 1.3 with the ring provider, mutual authentication by
//! pinned certificates or added CA certificates.

use super::cert::{CertInfo, Fingerprint};
use super::{Identity, PkiError, TrustSnapshot, TrustStore};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use rustls::sign::SingleCertAndKey;
use rustls::{
    CertificateError, ClientConfig, CommonState, DigitallySignedStruct, DistinguishedName,
    OtherError, ServerConfig, SignatureScheme, SupportedProtocolVersion,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// The ring crypto provider with its default cipher suites and key exchange groups. No other
/// provider is used anywhere in callscope.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

const VERSIONS: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Whether a server asks for client certificates.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// No client authentication (listeners for clients without certificates).
    None,
    /// A client certificate is mandatory and must be pinned in, or chain to a CA of, this
    /// snapshot of the trust store.
    Required(Arc<TrustSnapshot>),
}

/// Whether a client checks that the server's certificate names the host it connects to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostnameCheck {
    /// The certificate must have a SAN matching the server name (the default).
    Verify,
    /// The certificate is still verified (pinned or chained to a CA) but its names are not:
    /// an explicit per-peer opt-in, logged as a warning.
    SkipLoggedOptIn,
}

/// Presents the engine's identity as it is on disk: when the key or certificate file changes
/// (`cert install`, `cert regenerate`, the PKI API), the next handshake re-reads them, so a new
/// certificate is served without a restart. A half-written pair (certificate not matching the
/// key) is not taken: the previous one is served and the files are read again next time.
#[derive(Debug)]
pub struct FollowingIdentity {
    dir: std::path::PathBuf,
    config: super::IdentityConfig,
    current: std::sync::RwLock<(FileStamp, Arc<rustls::sign::CertifiedKey>)>,
}

/// Modification times and sizes of the key and certificate files.
type FileStamp = [(Option<std::time::SystemTime>, u64); 2];

impl FollowingIdentity {
    pub fn new(identity: &Identity) -> Result<Arc<Self>, PkiError> {
        let dir = identity.dir().to_path_buf();
        let stamp = Identity::stamp_files(identity.dir());
        Ok(Arc::new(Self {
            config: identity.config().clone(),
            current: std::sync::RwLock::new((stamp, identity.certified_key()?)),
            dir,
        }))
    }

    /// The key and chain to present now (re-read from disk when the files changed).
    pub fn current(&self) -> Arc<rustls::sign::CertifiedKey> {
        let probe = Identity::stamp_files(&self.dir);
        if let Ok(cur) = self.current.read()
            && cur.0 == probe
        {
            return cur.1.clone();
        }
        match Identity::load(&self.dir, &self.config).and_then(|i| i.certified_key()) {
            Ok(ck) => {
                if let Ok(mut cur) = self.current.write() {
                    *cur = (probe, ck.clone());
                }
                tracing::info!(dir = %self.dir.display(), "TLS identity changed on disk: presenting the new certificate");
                ck
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS identity files changed but cannot be used (yet); keeping the previous certificate");
                self.current
                    .read()
                    .map(|c| c.1.clone())
                    .unwrap_or_else(|p| p.into_inner().1.clone())
            }
        }
    }
}

impl rustls::server::ResolvesServerCert for FollowingIdentity {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.current())
    }
}

/// [`server_config`] presenting a [`FollowingIdentity`].
pub fn server_config_following(
    identity: Arc<FollowingIdentity>,
    client_auth: ClientAuth,
) -> Result<Arc<ServerConfig>, PkiError> {
    let provider = crypto_provider();
    let builder =
        ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(VERSIONS)?;
    let builder = match client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Required(trust) => builder
            .with_client_cert_verifier(Arc::new(PinnedOrCaClientVerifier::new(trust, &provider)?)),
    };
    Ok(Arc::new(builder.with_cert_resolver(identity)))
}

/// A server configuration presenting `identity`, TLS 1.2 and 1.3.
pub fn server_config(
    identity: &Identity,
    client_auth: ClientAuth,
) -> Result<Arc<ServerConfig>, PkiError> {
    let provider = crypto_provider();
    let builder =
        ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(VERSIONS)?;
    let builder = match client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Required(trust) => builder
            .with_client_cert_verifier(Arc::new(PinnedOrCaClientVerifier::new(trust, &provider)?)),
    };
    let config =
        builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(identity.certified_key()?)));
    Ok(Arc::new(config))
}

/// A client configuration presenting `identity`'s certificate, verifying servers against
/// `trust`, TLS 1.2 and 1.3.
pub fn client_config(
    identity: &Identity,
    trust: &TrustStore,
    hostname: HostnameCheck,
) -> Result<Arc<ClientConfig>, PkiError> {
    client_config_with_versions(identity, trust, hostname, VERSIONS)
}

/// [`client_config`] restricted to some protocol versions (e.g. `&[&rustls::version::TLS12]`).
pub fn client_config_with_versions(
    identity: &Identity,
    trust: &TrustStore,
    hostname: HostnameCheck,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<Arc<ClientConfig>, PkiError> {
    let config = client_builder(trust.snapshot(), hostname, versions)?
        .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(identity.certified_key()?)));
    Ok(Arc::new(config))
}

/// A client configuration builder up to the client certificate: the versions, and server
/// verification by pin or CA (with the logged hostname opt-out).
fn client_builder(
    trust: Arc<TrustSnapshot>,
    hostname: HostnameCheck,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>, PkiError> {
    let provider = crypto_provider();
    if hostname == HostnameCheck::SkipLoggedOptIn {
        tracing::warn!(
            "hostname validation of the server certificate is disabled for this peer \
             (explicit opt-in); the certificate itself is still verified"
        );
    }
    let verifier = PinnedOrCaServerVerifier::new(trust, hostname, &provider);
    Ok(ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier)))
}

/// A client configuration from plain files (a probe's `key.pem`, `cert.pem` and its engine's
/// certificate), verifying the server by pin or CA, TLS 1.2 and 1.3.
pub fn client_config_from_files(
    key_pem: &[u8],
    cert_pem: &[u8],
    trust: Arc<TrustSnapshot>,
    hostname: HostnameCheck,
) -> Result<Arc<ClientConfig>, PkiError> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let chain = super::cert::parse_certificates(cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        PkiError::Invalid(format!(
            "the key file is not a PEM private key ({e}); give the key.pem written by \
             `callscope-mediation probe-cert issue`"
        ))
    })?;
    let config = client_builder(trust, hostname, VERSIONS)?.with_client_auth_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// What the peer's certificate says, once the handshake is done (the engine names a probe by
/// it). `None` before the handshake or if the peer sent no certificate.
pub fn peer_certificate(conn: &CommonState) -> Option<CertInfo> {
    conn.peer_certificates()
        .and_then(|certs| certs.first())
        .and_then(|der| CertInfo::from_der(der).ok())
}

fn refusal(message: String) -> rustls::Error {
    tracing::warn!("{message}");
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
        PkiError::Invalid(message),
    ))))
}

fn describe(der: &CertificateDer<'_>) -> String {
    match CertInfo::from_der(der) {
        Ok(info) => format!("{} (SHA-256 {})", info.subject, info.fingerprint),
        Err(_) => format!(
            "an unparsable certificate (SHA-256 {})",
            Fingerprint::of(der)
        ),
    }
}

fn pinned_check(
    trust: &TrustSnapshot,
    end_entity: &CertificateDer<'_>,
    now: UnixTime,
) -> Option<Result<(), rustls::Error>> {
    trust.pinned_valid(end_entity, now).map(|r| {
        r.map(|_| ()).map_err(|e| {
            tracing::warn!("pinned peer certificate refused: {e}");
            let info = trust.pinned(end_entity);
            let expired = info.is_some_and(|i| i.expired(now));
            rustls::Error::InvalidCertificate(if expired {
                CertificateError::Expired
            } else {
                CertificateError::NotValidYet
            })
        })
    })
}

/// Accepts a client certificate pinned in the trust store (exact DER, within validity), or
/// one that chains to a CA certificate of the store (rustls's WebPKI verifier); refuses
/// everything else. Client authentication is mandatory.
#[derive(Debug)]
pub struct PinnedOrCaClientVerifier {
    trust: Arc<TrustSnapshot>,
    webpki: Option<Arc<dyn ClientCertVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedOrCaClientVerifier {
    /// A verifier over `trust`, with the algorithms of `provider`.
    pub fn new(
        trust: Arc<TrustSnapshot>,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Self, PkiError> {
        let webpki = if trust.roots().is_empty() {
            None
        } else {
            Some(
                WebPkiClientVerifier::builder_with_provider(
                    trust.roots().clone(),
                    provider.clone(),
                )
                .build()?,
            )
        };
        Ok(Self {
            trust,
            webpki,
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for PinnedOrCaClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: a client sends its one certificate, pinned or CA-issued.
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if let Some(result) = pinned_check(&self.trust, end_entity, now) {
            return result.map(|()| ClientCertVerified::assertion());
        }
        match &self.webpki {
            Some(webpki) => webpki
                .verify_client_cert(end_entity, intermediates, now)
                .inspect_err(|e| {
                    tracing::warn!(
                        "client certificate {} refused: not pinned, and no chain to a trusted CA ({e})",
                        describe(end_entity)
                    );
                }),
            None => Err(refusal(format!(
                "client certificate {} refused: it is not pinned in the trust store and the store \
                 has no CA certificate; add it with `trust add` (or issue the probe's certificate \
                 with `probe-cert`)",
                describe(end_entity)
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Verifies a server's certificate: pinned in the trust store (exact DER, within validity)
/// or chained to a CA certificate of the store; then, unless opted out, that it names the
/// server.
#[derive(Debug)]
pub struct PinnedOrCaServerVerifier {
    trust: Arc<TrustSnapshot>,
    hostname: HostnameCheck,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedOrCaServerVerifier {
    /// A verifier over `trust`, with the algorithms of `provider`.
    pub fn new(
        trust: Arc<TrustSnapshot>,
        hostname: HostnameCheck,
        provider: &Arc<CryptoProvider>,
    ) -> Self {
        Self {
            trust,
            hostname,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinnedOrCaServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let parsed = ParsedCertificate::try_from(end_entity)?;
        match pinned_check(&self.trust, end_entity, now) {
            Some(result) => result?,
            None if !self.trust.roots().is_empty() => {
                rustls::client::verify_server_cert_signed_by_trust_anchor(
                    &parsed,
                    self.trust.roots(),
                    intermediates,
                    now,
                    self.algorithms.all,
                )
                .inspect_err(|e| {
                    tracing::warn!(
                        "server certificate {} refused: not pinned, and no chain to a trusted CA ({e})",
                        describe(end_entity)
                    );
                })?;
            }
            None => {
                return Err(refusal(format!(
                    "server certificate {} refused: it is not pinned in the trust store and the \
                     store has no CA certificate; add the server's certificate with `trust add`",
                    describe(end_entity)
                )));
            }
        }
        match self.hostname {
            HostnameCheck::Verify => rustls::client::verify_server_name(&parsed, server_name)
                .inspect_err(|_| {
                    tracing::warn!(
                        "server certificate {} does not name {}; connect by a name it has, get a \
                         certificate with that name, or opt out of hostname validation for this peer",
                        describe(end_entity),
                        server_name.to_str()
                    );
                })?,
            HostnameCheck::SkipLoggedOptIn => {
                tracing::debug!(
                    server = %server_name.to_str(),
                    "hostname validation skipped (opt-in)"
                );
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
