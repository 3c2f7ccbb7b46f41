//! TLS and PKI for the daemons (feature `tls`): each machine's own key and certificate, the
//! store of trusted certificates, a local issuer for probe certificates, and the rustls
//! configurations built from them.
//!
//! Trust is explicit: a peer is accepted when its exact certificate is **pinned** in the
//! [`TrustStore`], or when it chains to a **CA certificate** the operator added to the store.
//! Nothing else is trusted, not even the engine's own [`LocalIssuer`]: the certificates it
//! issues are pinned one by one, so removing a pin revokes that probe.
//!
//! Layout under a daemon's data directory (see [`PkiPaths`]):
//!
//! ```text
//! <data_dir>/tls/key.pem           this machine's ECDSA P-256 key (PKCS#8, mode 0600)
//! <data_dir>/tls/cert.pem          its certificate: the leaf, then any intermediates (0600)
//! <data_dir>/tls/issuer/           the local issuing CA for probes (created on first use)
//! <data_dir>/trust/<sha256>.pem    trusted certificates, one file each, named by fingerprint
//! ```
//!
//! Files are written atomically (temporary file, then rename). Times come in as arguments
//! ([`UnixTime`]); only the rustls verifiers read the clock, through rustls, during handshakes.
//! Private keys are never logged and never part of an error message.

mod cert;
mod error;
mod fs;
mod identity;
mod issuer;
mod tls;
mod trust;

pub use cert::{CertInfo, Fingerprint, certificates_pem, format_utc, parse_certificates};
pub use error::PkiError;
pub use fs::{PRIVATE, PUBLIC, create_dir, write_atomic, write_new};
pub use identity::{Identity, IdentityConfig, local_hostname};
pub use issuer::{IssuedCert, IssuedPeer, LocalIssuer, SecretPem};
pub use tls::{
    ClientAuth, FollowingIdentity, HostnameCheck, PinnedOrCaClientVerifier,
    PinnedOrCaServerVerifier, client_config, client_config_from_files, client_config_with_versions,
    crypto_provider, peer_certificate, server_config, server_config_following,
};
pub use trust::{AddOutcome, TrustSnapshot, TrustStore};

pub use rustls;
pub use rustls_pki_types::UnixTime;

use std::path::{Path, PathBuf};

/// Where the PKI files of a daemon live under its data directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkiPaths {
    /// `<data_dir>/tls`: the machine's own key and certificate.
    pub identity: PathBuf,
    /// `<data_dir>/tls/issuer`: the local issuing CA for probe certificates.
    pub issuer: PathBuf,
    /// `<data_dir>/trust`: the trusted certificates.
    pub trust: PathBuf,
}

impl PkiPaths {
    /// The standard layout under `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        let identity = data_dir.join("tls");
        Self {
            issuer: identity.join("issuer"),
            identity,
            trust: data_dir.join("trust"),
        }
    }
}
