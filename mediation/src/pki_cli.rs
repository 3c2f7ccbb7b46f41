//! Command-line management of the engine's TLS identity, its trust store and probe
//! certificates: `cert`, `trust` and `probe-cert`.
//!
//! Output is human tables on the given writer (stdout from [`run_cert`] and friends). Private
//! keys are only ever written to files of mode 0600, never to the output.
//!
//! [`EnginePki`] holds the operations themselves (typed [`PkiError`]s, no output), shared by
//! these commands and the HTTPS API (`api::pki`).

use anyhow::{Context, Result};
use callscope_shared::pki::{
    AddOutcome, CertInfo, Fingerprint, Identity, IdentityConfig, LocalIssuer, PRIVATE, PUBLIC,
    PkiError, PkiPaths, TrustStore, UnixTime, create_dir, format_utc, write_atomic, write_new,
};
use clap::Subcommand;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Default validity of probe certificates, in days.
const PROBE_DAYS: u32 = 825;

/// `cert`: this machine's key and certificate.
#[derive(Debug, Clone, Subcommand)]
pub enum CertCommand {
    /// Show this machine's certificate (generated on first use): subject, SANs, expiry,
    /// SHA-256 fingerprint.
    Show,
    /// Write a PKCS#10 certificate signing request for this machine's key, to have it signed
    /// by your CA.
    Csr {
        /// Subject alternative name (DNS name or IP address); repeat for several. Default:
        /// those of the current certificate.
        #[arg(long = "san", value_name = "NAME_OR_IP")]
        san: Vec<String>,
        /// Write the CSR to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Install the certificate your CA signed for this machine's key (PEM: the certificate,
    /// then any intermediates).
    Install {
        /// The PEM file.
        file: PathBuf,
    },
    /// Replace this machine's key and certificate with a new self-signed pair.
    Regenerate,
}

/// `trust`: the certificates this machine trusts.
#[derive(Debug, Clone, Subcommand)]
pub enum TrustCommand {
    /// List trusted certificates: name, kind, expiry, SANs, SHA-256 fingerprint.
    List,
    /// Trust the certificate(s) in a PEM or DER file: a peer's own certificate (pinned), or a
    /// CA certificate (peers it issued are trusted).
    Add {
        /// The certificate file.
        file: PathBuf,
    },
    /// Stop trusting a certificate, named by at least 8 hex digits of its fingerprint or by
    /// its exact common name.
    Remove {
        /// Fingerprint prefix or common name.
        id: String,
    },
}

/// `probe-cert`: certificates for probes, from the engine's local issuer.
#[derive(Debug, Clone, Subcommand)]
pub enum ProbeCertCommand {
    /// Generate a key and certificate for a probe, pin the certificate, and write key.pem
    /// (mode 0600), cert.pem and the engine's certificate engine.pem to a directory.
    Issue {
        /// The probe's name (the certificate's common name).
        name: String,
        /// Directory to write to (created if missing; must not hold key.pem or cert.pem).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Subject alternative name (DNS name or IP address); repeat for several. Default:
        /// the name, if it is a DNS name.
        #[arg(long = "san", value_name = "NAME_OR_IP")]
        san: Vec<String>,
        /// Validity in days.
        #[arg(long, default_value_t = PROBE_DAYS)]
        days: u32,
    },
    /// Sign a probe's certificate signing request and pin the certificate.
    Sign {
        /// The probe's CSR (PEM), as `cert csr` on the probe wrote it.
        csr: PathBuf,
        /// File to write the certificate to (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = PROBE_DAYS)]
        days: u32,
    },
}

/// Runs a `cert` command on the identity under `data_dir`, printing to stdout.
pub fn run_cert(cmd: &CertCommand, data_dir: &Path) -> Result<()> {
    let stdout = io::stdout();
    run_cert_to(
        cmd,
        data_dir,
        &IdentityConfig::default(),
        UnixTime::now(),
        &mut stdout.lock(),
    )
}

/// Runs a `trust` command on the trust store under `data_dir`, printing to stdout.
pub fn run_trust(cmd: &TrustCommand, data_dir: &Path) -> Result<()> {
    let stdout = io::stdout();
    run_trust_to(cmd, data_dir, UnixTime::now(), &mut stdout.lock())
}

/// Runs a `probe-cert` command with the engine's data under `data_dir`, printing to stdout.
pub fn run_probe_cert(cmd: &ProbeCertCommand, data_dir: &Path) -> Result<()> {
    let stdout = io::stdout();
    run_probe_cert_to(
        cmd,
        data_dir,
        &IdentityConfig::default(),
        UnixTime::now(),
        &mut stdout.lock(),
    )
}

/// The engine's TLS identity and trust store under a data directory, and what can be done
/// with them. Each call reads the files afresh (the daemon, the command line and the API may
/// all change them); writes are atomic.
#[derive(Debug, Clone)]
pub struct EnginePki {
    paths: PkiPaths,
    config: IdentityConfig,
}

impl EnginePki {
    /// `config` says what a generated self-signed certificate holds (first start,
    /// [`EnginePki::regenerate`]).
    pub fn new(data_dir: &Path, config: IdentityConfig) -> Self {
        Self {
            paths: PkiPaths::new(data_dir),
            config,
        }
    }

    pub fn paths(&self) -> &PkiPaths {
        &self.paths
    }

    /// The identity (generated on first use).
    pub fn identity(&self, now: UnixTime) -> Result<Identity, PkiError> {
        Identity::load_or_create(&self.paths.identity, &self.config, now)
    }

    pub fn trust(&self) -> Result<TrustStore, PkiError> {
        TrustStore::open(&self.paths.trust)
    }

    /// A PKCS#10 CSR for the identity's key with `sans` (default: the current certificate's).
    pub fn csr(&self, sans: &[String], now: UnixTime) -> Result<String, PkiError> {
        self.identity(now)?.csr_pem(sans)
    }

    /// Installs a CA-signed chain (PEM, leaf first) after checking it against the key, the
    /// chain's signatures and the validity dates.
    pub fn install(&self, chain_pem: &str, now: UnixTime) -> Result<CertInfo, PkiError> {
        self.identity(now)?.install_signed(chain_pem, now)
    }

    /// A new key and self-signed certificate from the configuration: (the replaced
    /// certificate's fingerprint, the new certificate).
    pub fn regenerate(&self, now: UnixTime) -> Result<(Fingerprint, CertInfo), PkiError> {
        let mut identity = self.identity(now)?;
        let old = identity.fingerprint_sha256();
        identity.regenerate(now)?;
        Ok((old, identity.info()?))
    }

    /// Trusts the certificates of a PEM or DER file.
    pub fn trust_add(&self, bytes: &[u8]) -> Result<Vec<AddOutcome>, PkiError> {
        self.trust()?.add(bytes)
    }

    /// Stops trusting the certificate named by `id` (fingerprint prefix of 8+ hex digits, or
    /// exact common name).
    pub fn trust_remove(&self, id: &str) -> Result<CertInfo, PkiError> {
        self.trust()?.remove(id)
    }
}

/// What a regenerated self-signed certificate should keep of `info`: its common name and
/// its DNS and IP subject alternative names (other kinds of names are dropped).
pub fn identity_config_of(info: &CertInfo) -> IdentityConfig {
    let mut config = IdentityConfig::new(
        info.common_name
            .as_deref()
            .filter(|cn| !cn.is_empty())
            .unwrap_or("callscope-mediation"),
    );
    config.dns_sans.clear();
    config.ip_sans.clear();
    for san in &info.sans {
        if let Ok(ip) = san.parse::<std::net::IpAddr>() {
            config.ip_sans.push(ip);
        } else if !san.contains(':') {
            config.dns_sans.push(san.clone());
        }
    }
    config
}

fn load_identity(paths: &PkiPaths, config: &IdentityConfig, now: UnixTime) -> Result<Identity> {
    Identity::load_or_create(&paths.identity, config, now)
        .with_context(|| format!("loading the TLS identity in {}", paths.identity.display()))
}

fn open_trust(paths: &PkiPaths) -> Result<TrustStore> {
    TrustStore::open(&paths.trust)
        .with_context(|| format!("opening the trust store {}", paths.trust.display()))
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// [`run_cert`] with the identity configuration, the time and the output given.
pub fn run_cert_to(
    cmd: &CertCommand,
    data_dir: &Path,
    config: &IdentityConfig,
    now: UnixTime,
    out: &mut dyn Write,
) -> Result<()> {
    let pki = EnginePki::new(data_dir, config.clone());
    let paths = pki.paths().clone();
    let identity = load_identity(&paths, config, now)?;
    match cmd {
        CertCommand::Show => {
            writeln!(
                out,
                "This machine's TLS certificate ({})",
                identity.cert_path().display()
            )?;
            write_details(out, &identity.info()?, now)?;
            if identity.chain().len() > 1 {
                writeln!(
                    out,
                    "  chain:       {} intermediate certificate(s) follow",
                    identity.chain().len() - 1
                )?;
            }
            if paths.issuer.join("cert.pem").exists() {
                let issuer = LocalIssuer::load_or_create(&paths.issuer, now)?;
                writeln!(out)?;
                writeln!(
                    out,
                    "Local issuer of probe certificates (not trusted itself; each issued certificate is pinned)"
                )?;
                write_details(out, &issuer.info()?, now)?;
            }
        }
        CertCommand::Csr { san, out: file } => {
            let csr = pki.csr(san, now)?;
            match file {
                Some(file) => {
                    write_atomic(file, csr.as_bytes(), PUBLIC)?;
                    writeln!(
                        out,
                        "Wrote a certificate signing request to {}.\nHave your CA sign it, then run `cert install <signed.pem>`.",
                        file.display()
                    )?;
                }
                None => out.write_all(csr.as_bytes())?,
            }
        }
        CertCommand::Install { file } => {
            let text = String::from_utf8(read_file(file)?).with_context(|| {
                format!(
                    "{} is not a PEM text file; give the signed certificate in PEM",
                    file.display()
                )
            })?;
            let info = pki
                .install(&text, now)
                .with_context(|| format!("installing {}", file.display()))?;
            writeln!(
                out,
                "Installed the signed certificate; a running engine presents it to new connections at once."
            )?;
            write_details(out, &info, now)?;
            writeln!(
                out,
                "Peers must trust its issuer (`trust add <ca.pem>` on them) or pin this certificate."
            )?;
        }
        CertCommand::Regenerate => {
            let (old, info) = pki.regenerate(now)?;
            writeln!(
                out,
                "Generated a new key and self-signed certificate; a running engine presents it to new connections at once."
            )?;
            write_details(out, &info, now)?;
            writeln!(out, "  replaces:    {old}")?;
            writeln!(
                out,
                "Peers that pinned the old certificate must pin the new one: copy {} to them and run `trust add` there.",
                identity.cert_path().display()
            )?;
        }
    }
    Ok(())
}

/// [`run_trust`] with the time and the output given.
pub fn run_trust_to(
    cmd: &TrustCommand,
    data_dir: &Path,
    now: UnixTime,
    out: &mut dyn Write,
) -> Result<()> {
    let pki = EnginePki::new(data_dir, IdentityConfig::default());
    let trust = open_trust(pki.paths())?;
    match cmd {
        TrustCommand::List => {
            let list = trust.list();
            if list.is_empty() {
                writeln!(
                    out,
                    "No trusted certificates in {}: no peer can connect. Add one with `trust add FILE`, \
                     or issue probe certificates with `probe-cert issue`.",
                    trust.dir().display()
                )?;
            } else {
                write_table(out, &list, now)?;
                writeln!(
                    out,
                    "\n{} certificate(s) in {}. Remove one with `trust remove <first 8+ hex digits or name>`.",
                    list.len(),
                    trust.dir().display()
                )?;
            }
        }
        TrustCommand::Add { file } => {
            let bytes = read_file(file)?;
            let outcomes = pki
                .trust_add(&bytes)
                .with_context(|| format!("adding {}", file.display()))?;
            for o in &outcomes {
                let what = if o.added {
                    "trusted"
                } else {
                    "already trusted"
                };
                let kind = if o.info.is_ca {
                    "CA: peers it issued are accepted"
                } else {
                    "pinned: this exact certificate is accepted"
                };
                writeln!(out, "{what}: {} ({kind})", o.info.subject)?;
            }
            let infos: Vec<CertInfo> = outcomes.into_iter().map(|o| o.info).collect();
            write_table(out, &infos, now)?;
            writeln!(
                out,
                "Running daemons use it once they reload the trust store."
            )?;
        }
        TrustCommand::Remove { id } => {
            let removed = pki.trust_remove(id)?;
            writeln!(
                out,
                "Removed: {} ({})",
                removed.subject, removed.fingerprint
            )?;
            writeln!(
                out,
                "Peers presenting it are refused once the daemons reload the trust store."
            )?;
        }
    }
    Ok(())
}

/// [`run_probe_cert`] with the identity configuration, the time and the output given.
pub fn run_probe_cert_to(
    cmd: &ProbeCertCommand,
    data_dir: &Path,
    config: &IdentityConfig,
    now: UnixTime,
    out: &mut dyn Write,
) -> Result<()> {
    let paths = PkiPaths::new(data_dir);
    let identity = load_identity(&paths, config, now)?;
    let mut trust = open_trust(&paths)?;
    let issuer = LocalIssuer::load_or_create(&paths.issuer, now)
        .with_context(|| format!("loading the local issuer in {}", paths.issuer.display()))?;
    match cmd {
        ProbeCertCommand::Issue {
            name,
            out: dir,
            san,
            days,
        } => {
            let key_path = dir.join("key.pem");
            let cert_path = dir.join("cert.pem");
            let engine_path = dir.join("engine.pem");
            for existing in [&key_path, &cert_path] {
                anyhow::ensure!(
                    !existing.exists(),
                    "{} already exists; give an empty directory with --out, or move the old files away",
                    existing.display()
                );
            }
            create_dir(dir)?;
            let issued = issuer.issue_peer(&mut trust, name, san, *days, now)?;
            let written = write_new(&key_path, issued.key_pem.expose().as_bytes(), PRIVATE)
                .and_then(|()| write_new(&cert_path, issued.cert_pem.as_bytes(), PUBLIC))
                .and_then(|()| write_atomic(&engine_path, identity.cert_pem().as_bytes(), PUBLIC));
            if let Err(e) = written {
                // Do not leave a pin for a key nobody holds.
                let _ = trust.remove(&issued.info.fingerprint.hex());
                let _ = std::fs::remove_file(&key_path);
                return Err(e.into());
            }
            writeln!(out, "Issued and pinned a certificate for probe {name:?}:")?;
            write_details(out, &issued.info, now)?;
            writeln!(out, "Wrote to {}:", dir.display())?;
            writeln!(
                out,
                "  key.pem     the probe's private key (mode 0600: keep it secret)"
            )?;
            writeln!(out, "  cert.pem    the probe's certificate")?;
            writeln!(
                out,
                "  engine.pem  this engine's certificate ({})",
                identity.fingerprint_sha256()
            )?;
            writeln!(
                out,
                "On the probe: put key.pem and cert.pem in <data_dir>/tls/, and run `trust add engine.pem`."
            )?;
        }
        ProbeCertCommand::Sign {
            csr,
            out: file,
            days,
        } => {
            let text = String::from_utf8(read_file(csr)?).with_context(|| {
                format!(
                    "{} is not a PEM text file; give the CSR that `cert csr` wrote",
                    csr.display()
                )
            })?;
            anyhow::ensure!(
                !file.exists(),
                "{} already exists; give another file name with --out, or move the old file away",
                file.display()
            );
            let signed = issuer
                .sign_csr(&mut trust, &text, *days, now)
                .with_context(|| format!("signing {}", csr.display()))?;
            if let Err(e) = write_new(file, signed.cert_pem.as_bytes(), PUBLIC) {
                let _ = trust.remove(&signed.info.fingerprint.hex());
                return Err(e.into());
            }
            writeln!(
                out,
                "Signed and pinned a probe certificate, written to {}:",
                file.display()
            )?;
            write_details(out, &signed.info, now)?;
            writeln!(
                out,
                "On the probe: run `cert install {}`, and trust this engine's certificate ({}), \
                 e.g. `trust add engine.pem` with a copy of {}.",
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                identity.fingerprint_sha256(),
                identity.cert_path().display()
            )?;
        }
    }
    Ok(())
}

/// "in 824 days", "expires today", "EXPIRED 3 days ago", "not valid yet".
pub fn expiry(info: &CertInfo, now: UnixTime) -> String {
    if info.expired(now) {
        let ago = -info.days_left(now) - 1;
        return match ago {
            0 => "EXPIRED today".to_owned(),
            1 => "EXPIRED 1 day ago".to_owned(),
            n => format!("EXPIRED {n} days ago"),
        };
    }
    if !info.valid_at(now) {
        return format!("not valid before {}", format_utc(info.not_before));
    }
    match info.days_left(now) {
        0 => "expires today".to_owned(),
        1 => "in 1 day".to_owned(),
        n => format!("in {n} days"),
    }
}

fn kind(info: &CertInfo) -> &'static str {
    if info.is_ca { "CA" } else { "pinned" }
}

fn sans_text(info: &CertInfo) -> String {
    if info.sans.is_empty() {
        "-".to_owned()
    } else {
        info.sans.join(", ")
    }
}

fn write_details(out: &mut dyn Write, info: &CertInfo, now: UnixTime) -> Result<()> {
    writeln!(out, "  subject:     {}", info.subject)?;
    writeln!(out, "  issuer:      {}", info.issuer)?;
    writeln!(out, "  SANs:        {}", sans_text(info))?;
    writeln!(
        out,
        "  valid:       {} to {} ({})",
        format_utc(info.not_before),
        format_utc(info.not_after),
        expiry(info, now)
    )?;
    writeln!(out, "  SHA-256:     {}", info.fingerprint)?;
    Ok(())
}

fn write_table(out: &mut dyn Write, list: &[CertInfo], now: UnixTime) -> Result<()> {
    let header = ["NAME", "KIND", "EXPIRES", "SANS", "SHA-256 FINGERPRINT"];
    let rows: Vec<[String; 5]> = list
        .iter()
        .map(|i| {
            [
                i.name().to_owned(),
                kind(i).to_owned(),
                expiry(i, now),
                sans_text(i),
                i.fingerprint.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s
    };
    writeln!(out, "{}", line(header))?;
    for row in &rows {
        writeln!(
            out,
            "{}",
            line([&row[0], &row[1], &row[2], &row[3], &row[4]])
        )?;
    }
    Ok(())
}
