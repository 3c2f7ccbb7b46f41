//! The one error type of [`crate::pki`]: each message says what was wrong and what to do.

use std::path::PathBuf;

/// What went wrong in a PKI operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A file or directory could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "create directory", ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Input that is not what was expected (a PEM file without certificates, a bad CSR, ...).
    /// The message says what to give instead.
    #[error("{0}")]
    Invalid(String),
    /// A signed certificate does not carry this machine's public key.
    #[error(
        "the certificate {subject} is for a different key than this machine's (its public key does not match {}); \
         install the certificate issued for the CSR this machine produced (`cert csr`), or produce a new CSR",
        key_path.display()
    )]
    KeyMismatch {
        /// Subject of the offered leaf certificate.
        subject: String,
        /// This machine's key file.
        key_path: PathBuf,
    },
    /// A certificate of a chain is not signed by the one after it.
    #[error(
        "certificate {index} of the chain ({subject}) is not signed by the next one ({next}): {reason}; \
         the file must hold the leaf first, then each issuer in order"
    )]
    ChainBroken {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
        /// Subject of the certificate after it.
        next: String,
        /// Why the link failed.
        reason: String,
    },
    /// A certificate is not valid at the given time.
    #[error(
        "the certificate {subject} is not valid now: it is valid from {not_before} to {not_after}; \
         get a certificate with current dates (or check this machine's clock)"
    )]
    NotValidNow {
        /// Its subject.
        subject: String,
        /// Start of validity (UTC).
        not_before: String,
        /// End of validity (UTC).
        not_after: String,
    },
    /// No trusted certificate matches an identifier.
    #[error(
        "no trusted certificate matches {id:?}; give at least 8 hex digits of a fingerprint or the exact \
         subject common name, as `trust list` shows them"
    )]
    NotFound {
        /// The identifier given.
        id: String,
    },
    /// An identifier matches more than one trusted certificate.
    #[error(
        "{id:?} matches {} trusted certificates: {}; give more digits of the fingerprint",
        candidates.len(),
        candidates.join(", ")
    )]
    Ambiguous {
        /// The identifier given.
        id: String,
        /// Each candidate as "fingerprint (subject)".
        candidates: Vec<String>,
    },
    /// Only one of the two identity files exists.
    #[error(
        "the TLS identity in {} is incomplete: {} exists but {} does not; restore the missing file, \
         or move the other one away so that a new key and certificate are generated",
        dir.display(), present, missing
    )]
    IncompleteIdentity {
        /// The identity directory.
        dir: PathBuf,
        /// The file that exists.
        present: &'static str,
        /// The file that is missing.
        missing: &'static str,
    },
    /// Key or certificate generation failed.
    #[error("cannot generate or sign a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Tls(#[from] rustls::Error),
    /// The CA certificates of the trust store could not make a verifier.
    #[error("cannot build a verifier from the CA certificates of the trust store: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

impl PkiError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
