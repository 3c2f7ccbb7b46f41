//! TLS and PKI end to end: real rustls handshakes over loopback TCP between identities, trust
//! stores and issued certificates made by `callscope_shared::pki`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_shared::pki::rustls::pki_types::ServerName;
use callscope_shared::pki::rustls::{self, ClientConfig, ProtocolVersion, ServerConfig};
use callscope_shared::pki::{
    CertInfo, ClientAuth, HostnameCheck, Identity, IdentityConfig, LocalIssuer,
    PinnedOrCaServerVerifier, PkiError, PkiPaths, TrustStore, UnixTime, certificates_pem,
    client_config, client_config_with_versions, crypto_provider, peer_certificate, server_config,
};
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn now() -> UnixTime {
    UnixTime::now()
}

fn days_ago(days: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(now().as_secs() - days * 86_400))
}

fn config(cn: &str, dns: &[&str]) -> IdentityConfig {
    IdentityConfig {
        common_name: cn.to_owned(),
        dns_sans: dns.iter().map(|s| (*s).to_owned()).collect(),
        ip_sans: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        validity_days: 30,
    }
}

/// A machine: its identity and its trust store, under a temporary data directory.
struct Machine {
    _tmp: tempfile::TempDir,
    paths: PkiPaths,
    identity: Identity,
    trust: TrustStore,
}

fn machine(cn: &str) -> Machine {
    machine_at(cn, &["localhost", cn], now())
}

fn machine_at(cn: &str, dns: &[&str], created: UnixTime) -> Machine {
    let tmp = tempfile::tempdir().unwrap();
    let paths = PkiPaths::new(tmp.path());
    let identity = Identity::load_or_create(&paths.identity, &config(cn, dns), created).unwrap();
    let trust = TrustStore::open(&paths.trust).unwrap();
    Machine {
        _tmp: tmp,
        paths,
        identity,
        trust,
    }
}

fn pin(trust: &mut TrustStore, identity: &Identity) {
    trust.add(identity.cert_pem().as_bytes()).unwrap();
}

fn mutual_server(server: &Machine) -> Arc<ServerConfig> {
    server_config(
        &server.identity,
        ClientAuth::Required(server.trust.snapshot()),
    )
    .unwrap()
}

fn client(client: &Machine) -> Arc<ClientConfig> {
    client_config(&client.identity, &client.trust, HostnameCheck::Verify).unwrap()
}

/// What each side saw of one connection.
struct Outcome {
    /// The server: the client's certificate and the protocol version, or the error.
    server: Result<(Option<CertInfo>, Option<ProtocolVersion>), String>,
    /// The client: an application round trip, or the error.
    client: Result<(), String>,
}

impl Outcome {
    fn assert_ok(&self) -> CertInfo {
        if let Err(e) = &self.client {
            panic!("client failed: {e}");
        }
        match &self.server {
            Ok((Some(info), _)) => info.clone(),
            Ok((None, _)) => panic!("server saw no client certificate"),
            Err(e) => panic!("server failed: {e}"),
        }
    }

    fn server_error(&self) -> String {
        match &self.server {
            Ok(_) => panic!("the server accepted the client"),
            Err(e) => e.clone(),
        }
    }

    fn client_error(&self) -> String {
        match &self.client {
            Ok(()) => panic!("the client accepted the server"),
            Err(e) => e.clone(),
        }
    }
}

/// One TLS connection over loopback: the client sends "ping", the server answers "pong".
async fn connect(server: Arc<ServerConfig>, client: Arc<ClientConfig>, name: &str) -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(server);
    let server_side = async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
        tls.write_all(b"pong").await.map_err(|e| e.to_string())?;
        tls.shutdown().await.ok();
        let conn = tls.get_ref().1;
        Ok((peer_certificate(conn), conn.protocol_version()))
    };
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let connector = TlsConnector::from(client);
    let client_side = async move {
        let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let mut tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        tls.write_all(b"ping").await.map_err(|e| e.to_string())?;
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
        if &buf != b"pong" {
            return Err("unexpected answer".to_owned());
        }
        Ok(())
    };
    let (server, client) = tokio::join!(server_side, client_side);
    Outcome { server, client }
}

/// Engine and probe that pinned each other's self-signed certificates.
fn pinned_pair() -> (Machine, Machine) {
    let mut engine = machine("engine");
    let mut probe = machine("probe-1");
    pin(&mut engine.trust, &probe.identity);
    pin(&mut probe.trust, &engine.identity);
    (engine, probe)
}

/// A CA of the operator's, made with rcgen: (certificate PEM, issuer).
fn operator_ca() -> (String, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Operator Test CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), rcgen::Issuer::new(params, key))
}

/// The operator's CA signs `csr_pem` for TLS client and server use.
fn ca_sign(issuer: &rcgen::Issuer<'static, rcgen::KeyPair>, csr_pem: &str) -> String {
    let mut csr = rcgen::CertificateSigningRequestParams::from_pem(csr_pem).unwrap();
    csr.params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    csr.params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    csr.params.not_after = rcgen::date_time_ymd(2090, 1, 1);
    csr.signed_by(issuer).unwrap().pem()
}

// RFC 8446 §4.4.2.4 / RFC 5246 §7.4.6: a client certificate pinned in the store is accepted,
// and the server learns which one it was.
#[tokio::test]
async fn pinned_client_is_accepted_and_named() {
    let (engine, probe) = pinned_pair();
    let outcome = connect(mutual_server(&engine), client(&probe), "localhost").await;
    let seen = outcome.assert_ok();
    assert_eq!(seen.fingerprint, probe.identity.fingerprint_sha256());
    assert_eq!(seen.common_name.as_deref(), Some("probe-1"));
}

#[tokio::test]
async fn unknown_self_signed_client_is_refused() {
    let (engine, _probe) = pinned_pair();
    let mut stranger = machine("stranger");
    pin(&mut stranger.trust, &engine.identity);
    let outcome = connect(mutual_server(&engine), client(&stranger), "localhost").await;
    let err = outcome.server_error();
    assert!(err.contains("not pinned"), "{err}");
    assert!(
        err.contains("trust add"),
        "the error says what to do: {err}"
    );
}

// RFC 8446 §4.4.2.4: a server that requires a certificate aborts when the client sends none.
#[tokio::test]
async fn client_without_certificate_is_refused() {
    let (engine, probe) = pinned_pair();
    let provider = crypto_provider();
    let verifier =
        PinnedOrCaServerVerifier::new(probe.trust.snapshot(), HostnameCheck::Verify, &provider);
    let anonymous = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let outcome = connect(mutual_server(&engine), Arc::new(anonymous), "localhost").await;
    let err = outcome.server_error();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
}

// RFC 5280 §6.1: a client whose certificate chains to a CA certificate added to the store is
// accepted although the certificate itself is not pinned. This also installs a CA-signed
// certificate from the identity's own CSR (RFC 2986).
#[tokio::test]
async fn client_signed_by_added_ca_is_accepted() {
    let (ca_pem, ca) = operator_ca();
    let mut engine = machine("engine");
    let mut probe = machine("probe-ca");
    engine.trust.add(ca_pem.as_bytes()).unwrap();
    pin(&mut probe.trust, &engine.identity);
    let csr = probe.identity.csr_pem(&[]).unwrap();
    let signed = ca_sign(&ca, &csr);
    let chain = format!("{signed}{ca_pem}");
    let info = probe.identity.install_signed(&chain, now()).unwrap();
    assert_eq!(info.issuer, "CN=Operator Test CA");
    assert!(
        info.sans.contains(&"probe-ca".to_owned()),
        "{:?}",
        info.sans
    );
    assert!(!engine.trust.contains(probe.identity.leaf()));

    let outcome = connect(mutual_server(&engine), client(&probe), "localhost").await;
    assert_eq!(outcome.assert_ok().common_name.as_deref(), Some("probe-ca"));

    // The installed chain survives a restart.
    let reloaded = Identity::load(&probe.paths.identity, probe.identity.config()).unwrap();
    assert_eq!(reloaded.chain().len(), 2);
    assert_eq!(
        reloaded.fingerprint_sha256(),
        probe.identity.fingerprint_sha256()
    );
}

#[tokio::test]
async fn removed_pin_is_refused_after_reload() {
    let (mut engine, probe) = pinned_pair();
    let outcome = connect(mutual_server(&engine), client(&probe), "localhost").await;
    outcome.assert_ok();

    // Another process (the command line) removes the pin by fingerprint prefix.
    let mut cli_view = TrustStore::open(&engine.paths.trust).unwrap();
    let prefix = probe.identity.fingerprint_sha256().to_string()[..11].to_owned(); // "AB:CD:EF:01"
    let removed = cli_view.remove(&prefix).unwrap();
    assert_eq!(removed.common_name.as_deref(), Some("probe-1"));

    engine.trust.reload().unwrap();
    let outcome = connect(mutual_server(&engine), client(&probe), "localhost").await;
    assert!(outcome.server_error().contains("not pinned"));
}

// RFC 5280 §4.1.2.5: a certificate is not accepted after its notAfter, pinned or not.
#[tokio::test]
async fn expired_pinned_client_is_refused() {
    let mut engine = machine("engine");
    let mut old = machine_at("old-probe", &["localhost"], days_ago(400)); // valid 30 days
    assert!(old.identity.info().unwrap().expired(now()));
    pin(&mut engine.trust, &old.identity);
    pin(&mut old.trust, &engine.identity);
    let outcome = connect(mutual_server(&engine), client(&old), "localhost").await;
    let err = outcome.server_error();
    assert!(err.to_lowercase().contains("expired"), "{err}");
}

#[tokio::test]
async fn issued_probe_certificate_is_accepted_and_issuer_is_not_trusted() {
    let mut engine = machine("engine");
    let issuer = LocalIssuer::load_or_create(&engine.paths.issuer, now()).unwrap();
    let issued = issuer
        .issue_peer(&mut engine.trust, "probe-7", &[], 30, now())
        .unwrap();
    assert!(!format!("{issued:?}").contains("PRIVATE KEY"));
    assert!(issued.key_pem.expose().contains("PRIVATE KEY"));
    assert_eq!(issued.info.sans, vec!["probe-7".to_owned()]);
    // Pinned, but the issuing CA itself is not a trust anchor.
    let listed = engine.trust.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].fingerprint, issued.info.fingerprint);
    assert!(!engine.trust.contains(issuer.certificate()));

    // The probe runs with the issued key and certificate as its identity.
    let probe_tmp = tempfile::tempdir().unwrap();
    let probe_paths = PkiPaths::new(probe_tmp.path());
    std::fs::create_dir_all(&probe_paths.identity).unwrap();
    std::fs::write(
        probe_paths.identity.join("key.pem"),
        issued.key_pem.expose(),
    )
    .unwrap();
    std::fs::write(probe_paths.identity.join("cert.pem"), &issued.cert_pem).unwrap();
    let probe_identity = Identity::load(&probe_paths.identity, &config("probe-7", &[])).unwrap();
    let mut probe_trust = TrustStore::open(&probe_paths.trust).unwrap();
    pin(&mut probe_trust, &engine.identity);
    let probe_client = client_config(&probe_identity, &probe_trust, HostnameCheck::Verify).unwrap();

    let outcome = connect(mutual_server(&engine), probe_client.clone(), "localhost").await;
    assert_eq!(outcome.assert_ok().common_name.as_deref(), Some("probe-7"));

    // Removing the one pin revokes the probe.
    engine.trust.remove("probe-7").unwrap();
    let outcome = connect(mutual_server(&engine), probe_client, "localhost").await;
    outcome.server_error();
}

// RFC 2986 §3: the CSR's signature proves possession of the key; the signed certificate is
// pinned and the probe can install it over its self-signed one.
#[tokio::test]
async fn certificate_signed_from_csr_is_accepted() {
    let mut engine = machine("engine");
    let mut probe = machine("probe-csr");
    pin(&mut probe.trust, &engine.identity);
    let issuer = LocalIssuer::load_or_create(&engine.paths.issuer, now()).unwrap();
    let csr = probe
        .identity
        .csr_pem(&["probe-csr.example".to_owned(), "10.0.0.7".to_owned()])
        .unwrap();
    let signed = issuer.sign_csr(&mut engine.trust, &csr, 30, now()).unwrap();
    assert_eq!(signed.info.sans, vec!["probe-csr.example", "10.0.0.7"]);
    assert_eq!(signed.info.common_name.as_deref(), Some("probe-csr"));
    assert!(!signed.info.is_ca);
    probe
        .identity
        .install_signed(&signed.cert_pem, now())
        .unwrap();

    let outcome = connect(mutual_server(&engine), client(&probe), "localhost").await;
    assert_eq!(outcome.assert_ok().fingerprint, signed.info.fingerprint);
}

#[test]
fn csr_with_a_bad_signature_is_refused() {
    let engine = machine("engine");
    let probe = machine("probe-x");
    let mut trust = TrustStore::open(&engine.paths.trust).unwrap();
    let issuer = LocalIssuer::load_or_create(&engine.paths.issuer, now()).unwrap();
    let csr = probe.identity.csr_pem(&[]).unwrap();
    let mut der = pem::parse(&csr).unwrap().contents().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01; // inside the signature
    let tampered = pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", der));
    let err = issuer
        .sign_csr(&mut trust, &tampered, 30, now())
        .unwrap_err();
    assert!(
        err.to_string().contains("signature does not verify"),
        "{err}"
    );
    assert!(trust.list().is_empty());
}

#[test]
fn install_signed_refuses_a_certificate_for_another_key() {
    let (_ca_pem, ca) = operator_ca();
    let mut mine = machine("mine");
    let other = machine("other");
    let before = mine.identity.fingerprint_sha256();
    let for_other = ca_sign(&ca, &other.identity.csr_pem(&[]).unwrap());
    let err = mine.identity.install_signed(&for_other, now()).unwrap_err();
    assert!(matches!(err, PkiError::KeyMismatch { .. }), "{err}");
    assert!(err.to_string().contains("cert csr"), "{err}");
    // Nothing changed, on disk either.
    assert_eq!(mine.identity.fingerprint_sha256(), before);
    let reloaded = Identity::load(&mine.paths.identity, mine.identity.config()).unwrap();
    assert_eq!(reloaded.fingerprint_sha256(), before);
}

// RFC 5280 §6.1.3 (a)(1), (a)(4): each certificate is signed by, and names, the next one.
#[test]
fn install_signed_refuses_a_broken_chain_and_an_expired_certificate() {
    let (_ca_pem, ca) = operator_ca();
    let (unrelated_ca_pem, _) = operator_ca();
    let mut mine = machine("mine");
    let signed = ca_sign(&ca, &mine.identity.csr_pem(&[]).unwrap());
    let err = mine
        .identity
        .install_signed(&format!("{signed}{unrelated_ca_pem}"), now())
        .unwrap_err();
    assert!(
        matches!(err, PkiError::ChainBroken { index: 0, .. }),
        "{err}"
    );

    // Valid 2020..2090: at a time of 1990 it is not yet valid.
    let long_ago = UnixTime::since_unix_epoch(Duration::from_secs(631_152_000));
    let err = mine.identity.install_signed(&signed, long_ago).unwrap_err();
    assert!(matches!(err, PkiError::NotValidNow { .. }), "{err}");
    mine.identity.install_signed(&signed, now()).unwrap();
}

// RFC 6125 §6.4: the server's certificate must name the host the client asked for, unless the
// client opted out for this peer; the certificate itself is verified either way.
#[tokio::test]
async fn hostname_mismatch_is_refused_unless_opted_out() {
    let mut engine = machine_at("engine", &["engine.example"], now());
    let mut probe = machine("probe-1");
    pin(&mut engine.trust, &probe.identity);
    pin(&mut probe.trust, &engine.identity);

    let ok = connect(mutual_server(&engine), client(&probe), "engine.example").await;
    ok.assert_ok();
    let by_ip = connect(mutual_server(&engine), client(&probe), "127.0.0.1").await;
    by_ip.assert_ok();

    let wrong = connect(mutual_server(&engine), client(&probe), "other.example").await;
    let err = wrong.client_error();
    assert!(err.to_lowercase().contains("name"), "{err}");

    let skip = client_config(
        &probe.identity,
        &probe.trust,
        HostnameCheck::SkipLoggedOptIn,
    )
    .unwrap();
    let skipped = connect(mutual_server(&engine), skip.clone(), "other.example").await;
    skipped.assert_ok();

    // Skipping names does not skip trust: an unpinned server is still refused.
    let stranger = machine_at("stranger", &["other.example"], now());
    let mut stranger_server = stranger;
    pin(&mut stranger_server.trust, &probe.identity);
    let refused = connect(mutual_server(&stranger_server), skip, "other.example").await;
    assert!(refused.client_error().contains("not pinned"));
}

// RFC 5280 §6.1 with RFC 6125 §6.4 on the CA path: a server certificate issued by an added CA
// is accepted for its names only.
#[tokio::test]
async fn server_signed_by_added_ca_is_verified_with_hostname() {
    let (ca_pem, ca) = operator_ca();
    let mut engine = machine_at("engine", &["engine.example"], now());
    let mut probe = machine("probe-1");
    let signed = ca_sign(&ca, &engine.identity.csr_pem(&[]).unwrap());
    engine.identity.install_signed(&signed, now()).unwrap();
    pin(&mut engine.trust, &probe.identity);
    probe.trust.add(ca_pem.as_bytes()).unwrap();

    connect(mutual_server(&engine), client(&probe), "engine.example")
        .await
        .assert_ok();
    let wrong = connect(mutual_server(&engine), client(&probe), "other.example").await;
    wrong.client_error();
    let skip = client_config(
        &probe.identity,
        &probe.trust,
        HostnameCheck::SkipLoggedOptIn,
    )
    .unwrap();
    connect(mutual_server(&engine), skip, "other.example")
        .await
        .assert_ok();
}

// RFC 5246 (TLS 1.2) and RFC 8446 (TLS 1.3): a client limited to either version connects.
#[tokio::test]
async fn tls12_only_and_tls13_only_clients_connect() {
    let (engine, probe) = pinned_pair();
    for (version, expected) in [
        (&rustls::version::TLS12, ProtocolVersion::TLSv1_2),
        (&rustls::version::TLS13, ProtocolVersion::TLSv1_3),
    ] {
        let only = client_config_with_versions(
            &probe.identity,
            &probe.trust,
            HostnameCheck::Verify,
            &[version],
        )
        .unwrap();
        let outcome = connect(mutual_server(&engine), only, "localhost").await;
        outcome.assert_ok();
        assert_eq!(outcome.server.unwrap().1, Some(expected));
    }
}

#[tokio::test]
async fn server_without_client_auth_accepts_anonymous_clients() {
    let (engine, probe) = pinned_pair();
    let server = server_config(&engine.identity, ClientAuth::None).unwrap();
    let outcome = connect(server, client(&probe), "localhost").await;
    assert!(outcome.client.is_ok());
    assert!(matches!(outcome.server, Ok((None, _))));
}

#[tokio::test]
async fn unknown_server_is_refused_by_the_client() {
    let (engine, _) = pinned_pair();
    let lonely = machine("lonely");
    let outcome = connect(mutual_server(&engine), client(&lonely), "localhost").await;
    let err = outcome.client_error();
    assert!(err.contains("not pinned"), "{err}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn identity_files_are_private_and_identity_is_stable() {
    let m = machine("engine");
    assert_eq!(mode(&m.identity.key_path()), 0o600);
    assert_eq!(mode(&m.identity.cert_path()), 0o600);
    assert_eq!(mode(&m.paths.identity), 0o700);
    let issuer = LocalIssuer::load_or_create(&m.paths.issuer, now()).unwrap();
    assert_eq!(mode(&m.paths.issuer.join("key.pem")), 0o600);
    assert!(issuer.info().unwrap().is_ca);

    // A second start loads the same identity; a loosened key file is set back to 0600.
    std::fs::set_permissions(
        m.identity.key_path(),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let again = Identity::load_or_create(&m.paths.identity, m.identity.config(), now()).unwrap();
    assert_eq!(again.fingerprint_sha256(), m.identity.fingerprint_sha256());
    assert_eq!(mode(&m.identity.key_path()), 0o600);
    let issuer_again = LocalIssuer::load_or_create(&m.paths.issuer, now()).unwrap();
    assert_eq!(issuer_again.certificate(), issuer.certificate());

    // Regeneration replaces both, atomically, keeping the modes.
    let mut m = m;
    m.identity.regenerate(now()).unwrap();
    assert_ne!(m.identity.fingerprint_sha256(), again.fingerprint_sha256());
    assert_eq!(mode(&m.identity.key_path()), 0o600);
    assert_eq!(mode(&m.identity.cert_path()), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&m.paths.identity)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn incomplete_identity_is_not_overwritten() {
    let m = machine("engine");
    std::fs::remove_file(m.identity.cert_path()).unwrap();
    let key_before = std::fs::read(m.identity.key_path()).unwrap();
    let err = Identity::load_or_create(&m.paths.identity, m.identity.config(), now()).unwrap_err();
    assert!(matches!(err, PkiError::IncompleteIdentity { .. }), "{err}");
    assert_eq!(std::fs::read(m.identity.key_path()).unwrap(), key_before);
}

#[test]
fn default_config_has_the_usual_sans() {
    let cfg = IdentityConfig::default();
    let sans = cfg.sans();
    for want in ["localhost", "127.0.0.1", "::1"] {
        assert!(sans.contains(&want.to_owned()), "{sans:?}");
    }
    let host = callscope_shared::pki::local_hostname();
    if rustls::pki_types::DnsName::try_from(host.as_str()).is_ok() {
        assert!(sans.contains(&host), "{sans:?}");
    }
}

#[test]
fn fingerprint_matches_openssl() {
    let m = machine("engine");
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(m.identity.cert_path())
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "openssl is needed for this test in CI: {e}"
            );
            eprintln!("skipped: openssl not found ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (_, theirs) = text.trim().split_once('=').unwrap();
    assert_eq!(m.identity.fingerprint_sha256().to_string(), theirs);

    // openssl also reads the key, and agrees it is P-256 (prime256v1).
    let out = std::process::Command::new("openssl")
        .args(["pkey", "-noout", "-text", "-in"])
        .arg(m.identity.key_path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("prime256v1"));
}

#[test]
fn trust_store_adds_dedupes_lists_and_removes() {
    let a = machine("alpha");
    let b = machine("beta");
    let b2 = machine("beta");
    let tmp = tempfile::tempdir().unwrap();
    let mut store = TrustStore::open(tmp.path()).unwrap();

    // A PEM bundle of two, then one of them again as DER.
    let bundle = certificates_pem(&[a.identity.leaf().clone(), b.identity.leaf().clone()]);
    let added = store.add(bundle.as_bytes()).unwrap();
    assert!(added.iter().all(|o| o.added));
    let again = store.add(b.identity.leaf().as_ref()).unwrap();
    assert!(!again[0].added);
    store.add(b2.identity.cert_pem().as_bytes()).unwrap();
    let list = store.list();
    assert_eq!(list.len(), 3);
    let mut files: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = list
        .iter()
        .map(|i| format!("{}.pem", i.fingerprint.hex()))
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    let alpha = list.iter().find(|i| i.name() == "alpha").unwrap();
    assert_eq!(alpha.sans, vec!["localhost", "alpha", "127.0.0.1"]);
    assert!(!alpha.is_ca && alpha.self_issued && !alpha.expired(now()));
    assert!(alpha.days_left(now()) >= 29);

    // Two certificates called "beta": the name is ambiguous and the error lists both.
    let err = store.remove("beta").unwrap_err();
    match &err {
        PkiError::Ambiguous { candidates, .. } => assert_eq!(candidates.len(), 2),
        other => panic!("{other}"),
    }
    // Fewer than 8 hex digits do not name a certificate.
    let short = &b.identity.fingerprint_sha256().hex()[..7];
    assert!(matches!(
        store.remove(short),
        Err(PkiError::NotFound { .. })
    ));
    let removed = store
        .remove(&b.identity.fingerprint_sha256().hex()[..8])
        .unwrap();
    assert_eq!(removed.fingerprint, b.identity.fingerprint_sha256());
    store.remove("alpha").unwrap();
    assert_eq!(store.list().len(), 1);

    // Another view sees the same after reload; a stray file is skipped.
    std::fs::write(tmp.path().join("junk.pem"), "not a certificate").unwrap();
    let mut other = TrustStore::open(tmp.path()).unwrap();
    assert_eq!(other.list().len(), 1);
    other.reload().unwrap();
    assert_eq!(
        other.list()[0].fingerprint,
        b2.identity.fingerprint_sha256()
    );
}

#[test]
fn trust_store_refuses_private_keys_and_csrs() {
    let a = machine("alpha");
    let tmp = tempfile::tempdir().unwrap();
    let mut store = TrustStore::open(tmp.path()).unwrap();
    let key = std::fs::read(a.identity.key_path()).unwrap();
    let mut with_key = a.identity.cert_pem().into_bytes();
    with_key.extend_from_slice(&key);
    let err = store.add(&with_key).unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let err = store
        .add(a.identity.csr_pem(&[]).unwrap().as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("signing request"), "{err}");
    assert!(store.add(b"garbage").is_err());
    assert!(store.list().is_empty());
}
