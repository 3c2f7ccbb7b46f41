//! The engine's HTTPS listener offers TLS 1.2 and 1.3 only, with forward-secret AEAD cipher
//! suites only: checked from outside with `openssl s_client` against the real
//! `callscope-mediation serve` (RFC 8996 deprecates TLS 1.0 and 1.1; RFC 9325 §4.1-4.2
//! asks for TLS 1.2+ and AEAD suites with ECDHE, and forbids NULL, RC4, export, anonymous).
//!
//! The client's security level is lowered to 0 so it can offer old protocols and weak
//! suites; a refusal is then the server's (the `-msg` trace shows the ClientHello sent and the
//! server's alert). Every cipher suite the local OpenSSL knows for TLS 1.2 and below is tried
//! one at a time; those it was built without (RC4, 3DES, export) are covered by the check of
//! the rustls provider the engine is built with. `scripts/tls-scan.sh` runs testssl.sh for a
//! fuller human-readable report.
//!
//! Without openssl the tests are skipped, except with CI=true, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn openssl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(p) = std::env::split_paths(&path)
        .map(|d| d.join("openssl"))
        .find(|p| p.is_file())
    {
        return Some(p);
    }
    assert!(!in_ci(), "openssl not found in PATH: CI must install it");
    eprintln!("note: openssl not found; test skipped outside CI");
    None
}

/// `callscope-mediation serve` with only the HTTPS listener, killed when dropped.
struct Engine {
    child: Child,
    https: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Engine {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let https = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let config = dir.path().join("engine.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\n[hep]\ntls_listen = \"\"\n[sbc]\ntls_listen = \"\"\n\
                 [https]\nlisten = \"{https}\"\n",
                dir.path().join("data")
            ),
        )
        .unwrap();
        let log = dir.path().join("engine.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_callscope-mediation"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let mut e = Engine {
            child,
            https,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&e.log).unwrap_or_default();
            if text.contains("REST API on https://") && TcpStream::connect(https).is_ok() {
                return e;
            }
            if let Ok(Some(st)) = e.child.try_wait() {
                panic!("engine exited ({st}):\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "engine not listening after 60 s:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `openssl s_client` against the engine with `args`: (handshake succeeded, output).
    fn s_client(&self, openssl: &Path, args: &[&str]) -> (bool, String) {
        let dir = tempfile::tempdir().unwrap();
        let out_path = dir.path().join("out");
        let out = std::fs::File::create(&out_path).unwrap();
        let mut child = Command::new(openssl)
            .arg("s_client")
            .arg("-connect")
            .arg(self.https.to_string())
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("openssl s_client {args:?} did not finish in 30 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let text = std::fs::read_to_string(&out_path).unwrap();
        (status.success(), text)
    }
}

/// The value after `key` on its own line of `openssl s_client -brief` output.
fn brief_field(out: &str, key: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_owned())
}

/// Cipher suite names `openssl ciphers` gives for `spec` at security level 0.
fn openssl_ciphers(openssl: &Path, spec: &str) -> Vec<String> {
    let out = Command::new(openssl)
        .args(["ciphers", &format!("{spec}:@SECLEVEL=0")])
        .output()
        .unwrap();
    if !out.status.success() {
        return Vec::new(); // "no cipher match": this OpenSSL was built without them.
    }
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .split(':')
        .map(str::to_owned)
        .collect()
}

/// A TLS 1.2 suite RFC 9325 §4.2 recommends: ECDHE key exchange and an AEAD cipher.
fn strong_tls12(name: &str) -> bool {
    name.starts_with("ECDHE-")
        && (name.contains("-GCM-") || name.ends_with("CHACHA20-POLY1305"))
        && !name.contains("PSK")
}

#[test]
fn rfc8996_tls10_and_tls11_refused_tls12_and_tls13_accepted() {
    let Some(openssl) = openssl() else { return };
    let engine = Engine::start();
    for (flag, name) in [("-tls1", "TLS 1.0"), ("-tls1_1", "TLS 1.1")] {
        let (ok, out) = engine.s_client(&openssl, &[flag, "-msg", "-cipher", "ALL:@SECLEVEL=0"]);
        assert!(!ok, "{name} handshake succeeded:\n{out}");
        // The client did offer the old version and the server answered with a fatal alert.
        assert!(
            out.contains(&format!(">>> {name}, Handshake")) && out.contains("ClientHello"),
            "{name}: the client did not send its ClientHello:\n{out}"
        );
        assert!(out.contains("Alert") && out.contains("fatal"), "{out}");
        assert!(!out.contains("Protocol version: TLSv1"), "{out}");
    }
    for (flag, want) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (ok, out) = engine.s_client(&openssl, &[flag, "-brief"]);
        assert!(ok, "{want} handshake failed:\n{out}");
        assert_eq!(
            brief_field(&out, "Protocol version:").as_deref(),
            Some(want),
            "{out}"
        );
    }
    // Without a version flag the client gets TLS 1.3.
    let (ok, out) = engine.s_client(&openssl, &["-brief"]);
    assert!(ok, "{out}");
    assert_eq!(
        brief_field(&out, "Protocol version:").as_deref(),
        Some("TLSv1.3")
    );
}

#[test]
fn rfc9325_4_2_only_ecdhe_aead_suites_with_tls12() {
    let Some(openssl) = openssl() else { return };
    let engine = Engine::start();
    // Every TLS 1.2-and-below suite this OpenSSL knows, one at a time.
    let all: Vec<String> = openssl_ciphers(&openssl, "ALL:COMPLEMENTOFALL")
        .into_iter()
        .filter(|c| !c.starts_with("TLS_"))
        .collect();
    assert!(all.len() > 50, "openssl lists only {} suites", all.len());
    let mut accepted = Vec::new();
    for c in &all {
        let spec = format!("{c}:@SECLEVEL=0");
        let (ok, out) = engine.s_client(&openssl, &["-tls1_2", "-brief", "-cipher", &spec]);
        if ok {
            assert_eq!(
                brief_field(&out, "Ciphersuite:").as_deref(),
                Some(c.as_str())
            );
            accepted.push(c.clone());
        }
    }
    eprintln!(
        "TLS 1.2 suites accepted ({} of {} tried): {accepted:?}",
        accepted.len(),
        all.len()
    );
    assert!(!accepted.is_empty());
    for c in &accepted {
        assert!(strong_tls12(c), "weak TLS 1.2 suite accepted: {c}");
    }
    // The weak classes by name, each tried as a whole list.
    for class in [
        "RC4", "3DES", "DES", "NULL", "eNULL", "aNULL", "EXPORT", "LOW", "MEDIUM", "SEED", "IDEA",
        "CAMELLIA", "kRSA", "kDHE", "PSK", "SRP", "SHA1",
    ] {
        let list = openssl_ciphers(&openssl, class);
        let offered: Vec<&String> = list.iter().filter(|c| !c.starts_with("TLS_")).collect();
        if offered.is_empty() {
            eprintln!("{class}: this OpenSSL cannot offer any (covered by the provider check)");
            continue;
        }
        let spec = format!("{class}:@SECLEVEL=0");
        let (ok, out) = engine.s_client(&openssl, &["-tls1_2", "-brief", "-cipher", &spec]);
        assert!(!ok, "a {class} suite was negotiated:\n{out}");
    }
}

#[test]
fn rfc8446_tls13_suites_and_the_engine_provider() {
    let Some(openssl) = openssl() else { return };
    let engine = Engine::start();
    let mut accepted = Vec::new();
    for s in [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_CCM_SHA256",
        "TLS_AES_128_CCM_8_SHA256",
    ] {
        let (ok, out) = engine.s_client(&openssl, &["-tls1_3", "-brief", "-ciphersuites", s]);
        if ok {
            assert_eq!(brief_field(&out, "Ciphersuite:").as_deref(), Some(s));
            accepted.push(s);
        }
    }
    assert_eq!(
        accepted,
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    // The provider the engine builds every server configuration from: AEAD suites only,
    // TLS 1.2 ones with ECDHE (so RC4, 3DES, CBC, NULL, export and anonymous suites cannot be
    // negotiated whatever a client offers).
    let provider = callscope_shared::pki::crypto_provider();
    for s in &provider.cipher_suites {
        let name = format!("{:?}", s.suite());
        assert!(
            name.starts_with("TLS13_AES_")
                || name.starts_with("TLS13_CHACHA20_")
                || (name.starts_with("TLS_ECDHE_")
                    && (name.contains("_GCM_") || name.contains("CHACHA20_POLY1305"))),
            "provider suite {name}"
        );
        assert!(!name.contains("CBC") && !name.contains("NULL") && !name.contains("RC4"));
    }
}
