//! The store of trusted certificates: a directory of PEM files named by fingerprint.

use super::PkiError;
use super::cert::{CertInfo, Fingerprint, certificates_pem, normalize_hex, parse_certificates};
use super::fs::{PUBLIC, create_dir, write_atomic};
use rustls::RootCertStore;
use rustls_pki_types::{CertificateDer, UnixTime};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Fewest hex digits of a fingerprint accepted to name a certificate.
const MIN_PREFIX: usize = 8;

#[derive(Clone, Debug)]
struct Entry {
    der: CertificateDer<'static>,
    info: CertInfo,
    /// The file it was read from (several certificates may share a file dropped in by hand).
    path: PathBuf,
}

/// The result of adding one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddOutcome {
    /// What the certificate says.
    pub info: CertInfo,
    /// False if the store already held it (nothing was written).
    pub added: bool,
}

/// Trusted certificates in `<data_dir>/trust/`, one PEM file each, named
/// `<sha256 hex>.pem`.
///
/// Every certificate in the store is **pinned**: a peer presenting exactly that certificate
/// is accepted while it is within its validity. Those that are CA certificates are also
/// **trust anchors**: peers with a chain to one are accepted too.
///
/// Changes made by another process (the command line) are seen after [`TrustStore::reload`];
/// daemons then build new TLS configurations from a new [`TrustStore::snapshot`].
#[derive(Clone, Debug)]
pub struct TrustStore {
    dir: PathBuf,
    entries: Vec<Entry>,
}

impl TrustStore {
    /// Opens the store in `dir` (created, mode 0700, if missing) and reads it.
    pub fn open(dir: &Path) -> Result<Self, PkiError> {
        create_dir(dir)?;
        let mut store = Self {
            dir: dir.to_owned(),
            entries: Vec::new(),
        };
        store.reload()?;
        Ok(store)
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the directory again. Files that are not certificates are skipped with a warning
    /// (skipping can only reduce what is trusted).
    pub fn reload(&mut self) -> Result<(), PkiError> {
        let read_dir =
            std::fs::read_dir(&self.dir).map_err(|e| PkiError::io("read", &self.dir, e))?;
        let mut paths: Vec<PathBuf> = read_dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "pem" || e == "crt")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        paths.sort();
        let mut entries: Vec<Entry> = Vec::new();
        for path in paths {
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "cannot read a trusted certificate file; skipped");
                    continue;
                }
            };
            let certs = match parse_certificates(&bytes) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "not a certificate file; skipped");
                    continue;
                }
            };
            for der in certs {
                let Ok(info) = CertInfo::from_der(&der) else {
                    continue;
                };
                if entries
                    .iter()
                    .all(|e| e.info.fingerprint != info.fingerprint)
                {
                    entries.push(Entry {
                        der,
                        info,
                        path: path.clone(),
                    });
                }
            }
        }
        entries.sort_by_key(|e| e.info.fingerprint);
        self.entries = entries;
        Ok(())
    }

    /// Adds the certificates in `bytes` (PEM with one or more certificates, or one DER
    /// certificate), each to its own file; one already in the store is left as it is.
    pub fn add(&mut self, bytes: &[u8]) -> Result<Vec<AddOutcome>, PkiError> {
        let certs = parse_certificates(bytes)?;
        certs.into_iter().map(|der| self.add_der(der)).collect()
    }

    /// Adds one DER certificate.
    pub fn add_der(&mut self, der: CertificateDer<'static>) -> Result<AddOutcome, PkiError> {
        let info = CertInfo::from_der(&der)?;
        if self
            .entries
            .iter()
            .any(|e| e.info.fingerprint == info.fingerprint)
        {
            return Ok(AddOutcome { info, added: false });
        }
        let path = self.dir.join(format!("{}.pem", info.fingerprint.hex()));
        write_atomic(
            &path,
            certificates_pem(std::slice::from_ref(&der)).as_bytes(),
            PUBLIC,
        )?;
        tracing::info!(
            subject = %info.subject,
            fingerprint = %info.fingerprint,
            ca = info.is_ca,
            "added a trusted certificate"
        );
        let at = self
            .entries
            .partition_point(|e| e.info.fingerprint < info.fingerprint);
        self.entries.insert(
            at,
            Entry {
                der,
                info: info.clone(),
                path,
            },
        );
        Ok(AddOutcome { info, added: true })
    }

    /// What each trusted certificate says, ordered by fingerprint.
    pub fn list(&self) -> Vec<CertInfo> {
        self.entries.iter().map(|e| e.info.clone()).collect()
    }

    /// Whether the store holds exactly this certificate.
    pub fn contains(&self, der: &[u8]) -> bool {
        self.entries.iter().any(|e| e.der.as_ref() == der)
    }

    /// The one certificate named by `id`: at least 8 hex digits of its fingerprint (colons
    /// allowed), or its exact subject common name.
    pub fn find(&self, id: &str) -> Result<&CertInfo, PkiError> {
        let index = self.find_index(id)?;
        self.entries
            .get(index)
            .map(|e| &e.info)
            .ok_or_else(|| PkiError::NotFound { id: id.to_owned() })
    }

    fn find_index(&self, id: &str) -> Result<usize, PkiError> {
        let id = id.trim();
        let hex = normalize_hex(id).filter(|h| h.len() >= MIN_PREFIX);
        let matches: Vec<usize> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                hex.as_deref()
                    .is_some_and(|h| e.info.fingerprint.starts_with(h))
                    || e.info.common_name.as_deref() == Some(id)
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(PkiError::NotFound { id: id.to_owned() }),
            many => Err(PkiError::Ambiguous {
                id: id.to_owned(),
                candidates: many
                    .iter()
                    .filter_map(|&i| self.entries.get(i))
                    .map(|e| format!("{} ({})", e.info.fingerprint.short(), e.info.subject))
                    .collect(),
            }),
        }
    }

    /// Removes the certificate named by `id` (see [`TrustStore::find`]) and returns what it
    /// said. Peers that presented it are refused once daemons reload the store.
    pub fn remove(&mut self, id: &str) -> Result<CertInfo, PkiError> {
        let index = self.find_index(id)?;
        let entry = self.entries.remove(index);
        let others: Vec<CertificateDer<'static>> = self
            .entries
            .iter()
            .filter(|e| e.path == entry.path)
            .map(|e| e.der.clone())
            .collect();
        if others.is_empty() {
            std::fs::remove_file(&entry.path)
                .map_err(|e| PkiError::io("remove", &entry.path, e))?;
        } else {
            write_atomic(&entry.path, certificates_pem(&others).as_bytes(), PUBLIC)?;
        }
        tracing::info!(
            subject = %entry.info.subject,
            fingerprint = %entry.info.fingerprint,
            "removed a trusted certificate"
        );
        Ok(entry.info)
    }

    /// An immutable view for TLS verifiers.
    pub fn snapshot(&self) -> Arc<TrustSnapshot> {
        let mut pinned = HashMap::new();
        let mut roots = RootCertStore::empty();
        for e in &self.entries {
            pinned.insert(e.der.as_ref().to_vec(), e.info.clone());
            if e.info.is_ca
                && let Err(err) = roots.add(e.der.clone())
            {
                tracing::warn!(
                    subject = %e.info.subject,
                    error = %err,
                    "a CA certificate of the trust store cannot be a trust anchor; it stays pinned only"
                );
            }
        }
        Arc::new(TrustSnapshot {
            pinned,
            roots: Arc::new(roots),
        })
    }
}

/// An immutable copy of a [`TrustStore`] for TLS verifiers: the pinned certificates and the
/// CA certificates as trust anchors.
#[derive(Debug)]
pub struct TrustSnapshot {
    pinned: HashMap<Vec<u8>, CertInfo>,
    roots: Arc<RootCertStore>,
}

impl TrustSnapshot {
    /// A snapshot of the certificates in one PEM (or DER) file: a probe's copy of its engine's
    /// certificate, or of the CA that signed it. Each is pinned; CA certificates also anchor.
    pub fn from_certificates(bytes: &[u8]) -> Result<Arc<Self>, PkiError> {
        let mut pinned = HashMap::new();
        let mut roots = RootCertStore::empty();
        for der in super::cert::parse_certificates(bytes)? {
            let info = CertInfo::from_der(der.as_ref())?;
            if info.is_ca {
                let _ = roots.add(der.clone());
            }
            pinned.insert(der.as_ref().to_vec(), info);
        }
        Ok(Arc::new(TrustSnapshot {
            pinned,
            roots: Arc::new(roots),
        }))
    }

    /// The pinned certificate with exactly these DER bytes.
    pub fn pinned(&self, der: &[u8]) -> Option<&CertInfo> {
        self.pinned.get(der)
    }

    /// Whether `der` is pinned and valid at `now`.
    pub fn pinned_valid(&self, der: &[u8], now: UnixTime) -> Option<Result<&CertInfo, PkiError>> {
        self.pinned(der)
            .map(|info| info.check_valid_at(now).map(|()| info))
    }

    /// The CA certificates, as rustls trust anchors.
    pub fn roots(&self) -> &Arc<RootCertStore> {
        &self.roots
    }

    /// Number of pinned certificates (every certificate in the store).
    pub fn len(&self) -> usize {
        self.pinned.len()
    }

    /// Whether the store was empty.
    pub fn is_empty(&self) -> bool {
        self.pinned.is_empty()
    }

    /// The fingerprints of all pinned certificates.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.pinned.values().map(|i| i.fingerprint).collect()
    }
}
