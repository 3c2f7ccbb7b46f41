//! `cert`, `trust` and `probe-cert` as an operator runs them: tables on the output, files in
//! the data directory, and never a private key on the output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_mediation::pki_cli::{
    CertCommand, ProbeCertCommand, TrustCommand, run_cert_to, run_probe_cert_to, run_trust_to,
};
use callscope_shared::pki::{Identity, IdentityConfig, PkiPaths, TrustStore, UnixTime};
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn config() -> IdentityConfig {
    IdentityConfig {
        common_name: "engine".into(),
        dns_sans: vec!["localhost".into(), "engine.example".into()],
        ip_sans: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        validity_days: 365,
    }
}

/// Runs commands against one data directory and keeps everything they printed.
struct Cli {
    data: tempfile::TempDir,
    printed: String,
}

impl Cli {
    fn new() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            printed: String::new(),
        }
    }

    fn dir(&self) -> &Path {
        self.data.path()
    }

    fn keep(&mut self, out: Vec<u8>) -> String {
        let text = String::from_utf8(out).unwrap();
        self.printed.push_str(&text);
        text
    }

    fn cert(&mut self, cmd: CertCommand) -> anyhow::Result<String> {
        let mut out = Vec::new();
        let r = run_cert_to(&cmd, self.dir(), &config(), UnixTime::now(), &mut out);
        let text = self.keep(out);
        r.map(|()| text)
    }

    fn trust(&mut self, cmd: TrustCommand) -> anyhow::Result<String> {
        let mut out = Vec::new();
        let r = run_trust_to(&cmd, self.dir(), UnixTime::now(), &mut out);
        let text = self.keep(out);
        r.map(|()| text)
    }

    fn probe_cert(&mut self, cmd: ProbeCertCommand) -> anyhow::Result<String> {
        let mut out = Vec::new();
        let r = run_probe_cert_to(&cmd, self.dir(), &config(), UnixTime::now(), &mut out);
        let text = self.keep(out);
        r.map(|()| text)
    }
}

/// The base64 lines of a PEM private key file.
fn key_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_owned)
        .collect()
}

fn assert_no_key_material(printed: &str, keys: &[PathBuf]) {
    assert!(!printed.contains("PRIVATE KEY"), "{printed}");
    for key in keys {
        let lines = key_lines(key);
        assert!(!lines.is_empty());
        for line in lines {
            assert!(
                !printed.contains(&line),
                "key material of {} printed",
                key.display()
            );
        }
    }
}

#[test]
fn cert_show_csr_and_regenerate() {
    let mut cli = Cli::new();
    let paths = PkiPaths::new(cli.dir());
    let shown = cli.cert(CertCommand::Show).unwrap();
    let identity = Identity::load(&paths.identity, &config()).unwrap();
    let fingerprint = identity.fingerprint_sha256().to_string();
    assert!(shown.contains(&fingerprint), "{shown}");
    assert!(shown.contains("CN=engine"), "{shown}");
    assert!(
        shown.contains("localhost, engine.example, 127.0.0.1"),
        "{shown}"
    );
    assert!(
        shown.contains("(in 365 days)") || shown.contains("(in 364 days)"),
        "{shown}"
    );
    let old_key = paths.identity.join("old-key.pem");
    std::fs::copy(identity.key_path(), &old_key).unwrap();

    // RFC 2986: the CSR goes to stdout (it is public) or to a file.
    let csr = cli
        .cert(CertCommand::Csr {
            san: vec![],
            out: None,
        })
        .unwrap();
    assert!(
        csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"),
        "{csr}"
    );
    let csr_file = cli.dir().join("engine.csr");
    let said = cli
        .cert(CertCommand::Csr {
            san: vec!["engine.example".into(), "192.0.2.10".into()],
            out: Some(csr_file.clone()),
        })
        .unwrap();
    assert!(said.contains("cert install"), "{said}");
    assert!(
        std::fs::read_to_string(&csr_file)
            .unwrap()
            .contains("CERTIFICATE REQUEST")
    );

    let regenerated = cli.cert(CertCommand::Regenerate).unwrap();
    assert!(
        regenerated.contains(&format!("replaces:    {fingerprint}")),
        "{regenerated}"
    );
    let new = Identity::load(&paths.identity, &config()).unwrap();
    assert_ne!(new.fingerprint_sha256().to_string(), fingerprint);

    assert_no_key_material(&cli.printed, &[old_key, new.key_path()]);
}

#[test]
fn cert_install_of_a_certificate_for_another_key_says_what_to_do() {
    let mut cli = Cli::new();
    cli.cert(CertCommand::Show).unwrap();
    let other = Cli::new();
    let other_identity = Identity::load_or_create(
        &PkiPaths::new(other.dir()).identity,
        &config(),
        UnixTime::now(),
    )
    .unwrap();
    let file = cli.dir().join("other.pem");
    std::fs::write(&file, other_identity.cert_pem()).unwrap();
    let err = cli.cert(CertCommand::Install { file }).unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("different key"), "{text}");
    assert!(text.contains("cert csr"), "{text}");
}

#[test]
fn probe_cert_issue_and_sign_then_trust_list_and_remove() {
    let mut cli = Cli::new();
    let paths = PkiPaths::new(cli.dir());
    let out_dir = cli.dir().join("probe-1-files");
    let issued = cli
        .probe_cert(ProbeCertCommand::Issue {
            name: "probe-1".into(),
            out: out_dir.clone(),
            san: vec![],
            days: 90,
        })
        .unwrap();
    assert!(issued.contains("Issued and pinned"), "{issued}");
    let key = out_dir.join("key.pem");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let engine = Identity::load(&paths.identity, &config()).unwrap();
    assert_eq!(
        std::fs::read_to_string(out_dir.join("engine.pem")).unwrap(),
        engine.cert_pem()
    );
    // The probe can run with what was written.
    let probe = Identity::load(&out_dir, &IdentityConfig::default()).unwrap();
    assert!(
        TrustStore::open(&paths.trust)
            .unwrap()
            .contains(probe.leaf())
    );

    // Issuing again into the same directory would overwrite the key: refused.
    let err = cli
        .probe_cert(ProbeCertCommand::Issue {
            name: "probe-1".into(),
            out: out_dir.clone(),
            san: vec![],
            days: 90,
        })
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");

    // A second probe with its own key sends a CSR.
    let second = tempfile::tempdir().unwrap();
    let second_identity = Identity::load_or_create(
        second.path(),
        &IdentityConfig::new("probe-2"),
        UnixTime::now(),
    )
    .unwrap();
    let csr = cli.dir().join("probe-2.csr");
    std::fs::write(&csr, second_identity.csr_pem(&[]).unwrap()).unwrap();
    let signed_file = cli.dir().join("probe-2.pem");
    let signed = cli
        .probe_cert(ProbeCertCommand::Sign {
            csr,
            out: signed_file.clone(),
            days: 90,
        })
        .unwrap();
    assert!(signed.contains("cert install probe-2.pem"), "{signed}");
    let mut second_identity = second_identity;
    second_identity
        .install_signed(
            &std::fs::read_to_string(&signed_file).unwrap(),
            UnixTime::now(),
        )
        .unwrap();

    let list = cli.trust(TrustCommand::List).unwrap();
    assert!(list.starts_with("NAME"), "{list}");
    assert!(
        list.contains("probe-1") && list.contains("probe-2"),
        "{list}"
    );
    assert!(
        list.contains("in 90 days") || list.contains("in 89 days"),
        "{list}"
    );
    assert!(
        list.contains(&probe.fingerprint_sha256().to_string()),
        "{list}"
    );

    let removed = cli
        .trust(TrustCommand::Remove {
            id: probe.fingerprint_sha256().hex()[..10].to_owned(),
        })
        .unwrap();
    assert!(removed.contains("CN=probe-1"), "{removed}");
    let err = cli
        .trust(TrustCommand::Remove {
            id: "probe-1".into(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("trust list"), "{err}");

    assert_no_key_material(
        &cli.printed,
        &[key, engine.key_path(), paths.issuer.join("key.pem")],
    );
}

#[test]
fn trust_add_and_empty_list_explain_themselves() {
    let mut cli = Cli::new();
    let empty = cli.trust(TrustCommand::List).unwrap();
    assert!(empty.contains("no peer can connect"), "{empty}");

    let peer = tempfile::tempdir().unwrap();
    let peer_identity =
        Identity::load_or_create(peer.path(), &IdentityConfig::new("sbc-1"), UnixTime::now())
            .unwrap();
    let added = cli
        .trust(TrustCommand::Add {
            file: peer_identity.cert_path(),
        })
        .unwrap();
    assert!(added.contains("trusted: CN=sbc-1 (pinned"), "{added}");
    let again = cli
        .trust(TrustCommand::Add {
            file: peer_identity.cert_path(),
        })
        .unwrap();
    assert!(again.contains("already trusted"), "{again}");

    // Handing it the key file by mistake is refused, and the key is not echoed.
    let err = cli
        .trust(TrustCommand::Add {
            file: peer_identity.key_path(),
        })
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("private key"), "{text}");
    assert_no_key_material(
        &format!("{}{text}", cli.printed),
        &[peer_identity.key_path()],
    );
}
