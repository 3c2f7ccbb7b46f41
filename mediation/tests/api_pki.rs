//! `/api/v1/pki` over the real HTTPS API of a real engine, driven with curl: certificate
//! status, a CSR (RFC 2986) with SANs signed by an OpenSSL CA and installed (checked against
//! the key and the chain; the engine presents it at once (and after a restart) and curl verifies it against
//! the CA, RFC 5280 §6), regenerate, the trust store (list, add PEM and DER, remove), clear
//! 400s for wrong input, permissions by role (pki:view, pki:manage), CSRF, and audit events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::web::{Client, WebEngine};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const ADMIN_PW: &str = "Adm1n-Chosen-Pass";
const USER_PW: &str = "Us3r-Chosen-Pass";

fn engine() -> WebEngine {
    let mut e = WebEngine::new("");
    e.start();
    e
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (CI installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A self-signed P-256 CA (`name.key`, `name.pem`) in `dir`.
fn make_ca(dir: &Path, name: &str, cn: &str) -> PathBuf {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "30",
            "-subj",
            &format!("/CN={cn}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    dir.join(format!("{name}.pem"))
}

/// Sends raw bytes (PEM or DER) with a PEM content type.
fn send_raw(c: &Client, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let (st, out, _) = c.request_full(
        method,
        path,
        Some(body),
        &["Content-Type: application/x-pem-file"],
    );
    let v = serde_json::from_slice(&out)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out).into_owned()));
    (st, v)
}

fn events(admin: &Client) -> Vec<Value> {
    let (st, v) = admin.get("/audit?limit=1000");
    assert_eq!(st, 200, "{v}");
    v["events"].as_array().unwrap().clone()
}

fn has_event(admin: &Client, event: &str, target: &str) -> bool {
    events(admin)
        .iter()
        .any(|e| e["event"] == event && e["target"] == target && e["actor"] == "admin")
}

fn error_text(v: &Value) -> String {
    v["error"].as_str().unwrap_or_default().to_owned()
}

/// The fingerprint the engine printed at its last start.
fn logged_fingerprint(e: &WebEngine) -> String {
    e.log_text()
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("engine certificate SHA-256 fingerprint: "))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn certificate_status_and_permissions_by_role() {
    let e = engine();
    let admin = e.admin(ADMIN_PW);
    let (st, v) = admin.get("/pki/certificate");
    assert_eq!(st, 200, "{v}");
    let c = &v["certificate"];
    assert_eq!(c["fingerprint_sha256"], logged_fingerprint(&e));
    assert_eq!(c["self_signed"], true);
    assert_eq!(c["is_ca"], false);
    assert_eq!(c["subject"], "CN=callscope-mediation");
    let sans: Vec<&str> = c["sans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        sans.contains(&"localhost") && sans.contains(&"127.0.0.1"),
        "{sans:?}"
    );
    let days = c["days_left"].as_i64().unwrap();
    assert!((800..=825).contains(&days), "{days}");
    assert!(c["not_after"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["intermediates"], json!([]));
    assert!(
        v["pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(!v.to_string().contains("PRIVATE KEY"));

    // Operator: pki:view only.
    let op = e.user(&admin, "olga", "operator", None, USER_PW);
    assert_eq!(op.get("/pki/certificate").0, 200);
    assert_eq!(op.get("/pki/trust").0, 200);
    let dir = tempfile::tempdir().unwrap();
    let ca = std::fs::read(make_ca(dir.path(), "ca", "Some CA")).unwrap();
    for (method, path) in [
        ("POST", "/pki/csr"),
        ("POST", "/pki/regenerate"),
        ("PUT", "/pki/certificate"),
        ("POST", "/pki/trust"),
        ("DELETE", "/pki/trust/00000000"),
    ] {
        let (st, v) = send_raw(&op, method, path, &ca);
        assert_eq!(st, 403, "operator {method} {path}: {v}");
        assert_eq!(v["code"], "forbidden");
        assert!(error_text(&v).contains("pki:manage"), "{v}");
    }
    // Monitor: neither.
    let mon = e.user(&admin, "mona", "monitor", None, USER_PW);
    for path in ["/pki/certificate", "/pki/trust"] {
        let (st, v) = mon.get(path);
        assert_eq!(st, 403, "{v}");
        assert!(error_text(&v).contains("pki:view"), "{v}");
    }
    // Nobody: 401.
    assert_eq!(Client::anonymous(e.https).get("/pki/certificate").0, 401);
    // A session without the CSRF token cannot change anything.
    let mut no_csrf = Client::anonymous(e.https);
    assert_eq!(no_csrf.login("admin", ADMIN_PW).0, 200);
    no_csrf.csrf = None;
    let (st, v) = send_raw(&no_csrf, "POST", "/pki/trust", &ca);
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["code"], "csrf");
    assert_eq!(admin.get("/pki/trust").1["certificates"], json!([]));
}

#[test]
fn rfc2986_csr_signed_by_a_ca_is_installed_and_presented_without_restart() {
    let mut e = engine();
    let admin = e.admin(ADMIN_PW);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The CSR carries the SANs asked for and a valid self-signature.
    let (st, v) = admin.post(
        "/pki/csr",
        &json!({"sans": ["mediation.example.net", "192.0.2.10"]}),
    );
    assert_eq!(st, 200, "{v}");
    let csr = v["csr"].as_str().unwrap();
    assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    std::fs::write(d.join("engine.csr"), csr).unwrap();
    let text = openssl(
        d,
        &["req", "-in", "engine.csr", "-noout", "-verify", "-text"],
    );
    assert!(text.contains("verify OK"), "{text}");
    assert!(text.contains("DNS:mediation.example.net"), "{text}");
    assert!(text.contains("IP Address:192.0.2.10"), "{text}");
    let (st, v) = admin.post("/pki/csr", &json!({"sans": ["not a name"]}));
    assert_eq!(st, 400, "{v}");
    let (st, v) = admin.post("/pki/csr", &json!({"names": []}));
    assert_eq!(st, 400, "{v}");
    assert!(error_text(&v).contains("sans"), "{v}");

    // An OpenSSL CA signs it, keeping the requested SANs.
    make_ca(d, "ca", "Test Root CA");
    std::fs::write(
        d.join("leaf.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "engine.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "20",
            "-copy_extensions",
            "copyall",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ],
    );
    let leaf = std::fs::read_to_string(d.join("leaf.pem")).unwrap();
    let ca = std::fs::read_to_string(d.join("ca.pem")).unwrap();

    // Wrong input: clear 400s, nothing installed.
    let before = admin.get("/pki/certificate").1["certificate"]["fingerprint"].clone();
    let (st, v) = send_raw(&admin, "PUT", "/pki/certificate", b"hello");
    assert_eq!(st, 400, "{v}");
    assert!(!error_text(&v).is_empty());
    let (st, v) = send_raw(&admin, "PUT", "/pki/certificate", ca.as_bytes());
    assert_eq!(st, 400, "{v}");
    assert!(error_text(&v).contains("different key"), "{v}");
    make_ca(d, "other", "Unrelated CA");
    let other = std::fs::read_to_string(d.join("other.pem")).unwrap();
    let (st, v) = send_raw(
        &admin,
        "PUT",
        "/pki/certificate",
        format!("{leaf}{other}").as_bytes(),
    );
    assert_eq!(st, 400, "{v}");
    assert!(error_text(&v).contains("not signed by"), "{v}");
    let (st, v) = admin.put("/pki/certificate", &json!({"certificate": leaf}));
    assert_eq!(st, 400, "{v}");
    assert_eq!(
        admin.get("/pki/certificate").1["certificate"]["fingerprint"],
        before
    );

    // The chain (leaf, then the CA), as JSON {"pem": ...}.
    let (st, v) = admin.put("/pki/certificate", &json!({"pem": format!("{leaf}{ca}")}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["restart_required"], false);
    let c = &v["certificate"];
    assert_eq!(c["issuer"], "CN=Test Root CA");
    assert_eq!(c["self_signed"], false);
    let fp = c["fingerprint"].as_str().unwrap().to_owned();
    let (_, v) = admin.get("/pki/certificate");
    assert_eq!(v["certificate"]["fingerprint"], fp.as_str());
    assert_eq!(v["intermediates"][0]["subject"], "CN=Test Root CA");
    assert!(has_event(&admin, "certificate_installed", &fp));

    // The engine presents it at once, and after a restart; it verifies against the CA by name.
    let verify = |e: &WebEngine| {
        Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "20",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .arg("--cacert")
            .arg(d.join("ca.pem"))
            .arg("--resolve")
            .arg(format!(
                "mediation.example.net:{}:127.0.0.1",
                e.https.port()
            ))
            .arg(format!(
                "https://mediation.example.net:{}/api/v1/openapi.json",
                e.https.port()
            ))
            .output()
            .unwrap()
    };
    let out = verify(&e);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200",
        "no restart: {out:?}"
    );
    e.stop();
    e.start();
    assert_eq!(logged_fingerprint(&e).replace(':', "").to_lowercase(), fp);
    let out = verify(&e);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200",
        "after restart: {out:?}"
    );
}

#[test]
fn regenerate_keeps_the_names_and_is_audited() {
    let e = engine();
    let admin = e.admin(ADMIN_PW);
    let (_, before) = admin.get("/pki/certificate");
    let (st, v) = admin.post("/pki/regenerate", &json!({}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["replaces"], before["certificate"]["fingerprint_sha256"]);
    assert_eq!(v["restart_required"], false);
    let new = &v["certificate"];
    assert_ne!(new["fingerprint"], before["certificate"]["fingerprint"]);
    assert_eq!(new["self_signed"], true);
    assert_eq!(new["subject"], before["certificate"]["subject"]);
    assert_eq!(new["sans"], before["certificate"]["sans"]);
    let (_, now) = admin.get("/pki/certificate");
    assert_eq!(now["certificate"]["fingerprint"], new["fingerprint"]);
    assert!(has_event(
        &admin,
        "certificate_regenerated",
        new["fingerprint"].as_str().unwrap()
    ));
    // The private key never leaves the engine.
    assert!(!v.to_string().contains("PRIVATE KEY"));
}

#[test]
fn trust_store_list_add_remove() {
    let e = engine();
    let admin = e.admin(ADMIN_PW);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (st, v) = admin.get("/pki/trust");
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["certificates"], json!([]));

    // A CA in PEM: added (201), then already there (200).
    let ca = std::fs::read(make_ca(d, "ca", "Probe CA")).unwrap();
    let (st, v) = send_raw(&admin, "POST", "/pki/trust", &ca);
    assert_eq!(st, 201, "{v}");
    let added = &v["certificates"][0];
    assert_eq!(added["added"], true);
    assert_eq!(added["is_ca"], true);
    assert_eq!(added["subject"], "CN=Probe CA");
    let ca_fp = added["fingerprint"].as_str().unwrap().to_owned();
    let ca_fp_colons = added["fingerprint_sha256"].as_str().unwrap().to_owned();
    let (st, v) = send_raw(&admin, "POST", "/pki/trust", &ca);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["certificates"][0]["added"], false);

    // A peer certificate in DER, with a SAN: pinned.
    std::fs::write(
        d.join("peer.cnf"),
        "[req]\ndistinguished_name = dn\nx509_extensions = peer\nprompt = no\n\
         [dn]\nCN = probe7\n\
         [peer]\nbasicConstraints = critical,CA:FALSE\nsubjectAltName = DNS:probe7.example.net\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-config",
            "peer.cnf",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "peer.key",
            "-out",
            "peer.der",
            "-outform",
            "DER",
            "-days",
            "10",
        ],
    );
    let der = std::fs::read(d.join("peer.der")).unwrap();
    let (st, v) = send_raw(&admin, "POST", "/pki/trust", &der);
    assert_eq!(st, 201, "{v}");
    let peer = &v["certificates"][0];
    assert_eq!(peer["is_ca"], false);
    assert_eq!(peer["sans"], json!(["probe7.example.net"]));
    assert!((9..=10).contains(&peer["days_left"].as_i64().unwrap()));

    let (_, v) = admin.get("/pki/trust");
    let list = v["certificates"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for c in list {
        for k in [
            "subject",
            "sans",
            "not_after",
            "fingerprint_sha256",
            "days_left",
        ] {
            assert!(!c[k].is_null(), "{k} missing in {c}");
        }
    }

    // Wrong input.
    let (st, v) = send_raw(
        &admin,
        "POST",
        "/pki/trust",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    assert_eq!(st, 400, "{v}");
    let (st, v) = admin.post("/pki/trust", &json!({}));
    assert_eq!(st, 400, "{v}");
    let (st, v) = send_raw(&admin, "POST", "/pki/trust", b"");
    assert_eq!(st, 400, "{v}");

    // Remove by the fingerprint as listed (with colons), then it is gone.
    let (st, v) = admin.delete(&format!("/pki/trust/{ca_fp_colons}"));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["removed"]["fingerprint"], ca_fp.as_str());
    let (st, v) = admin.delete(&format!("/pki/trust/{ca_fp}"));
    assert_eq!(st, 404, "{v}");
    assert!(error_text(&v).contains("/api/v1/pki/trust"), "{v}");
    let (st, v) = admin.delete("/pki/trust/probe7");
    assert_eq!(st, 400, "{v}");
    let (_, v) = admin.get("/pki/trust");
    assert_eq!(v["certificates"].as_array().unwrap().len(), 1);
    assert!(has_event(&admin, "trust_added", &ca_fp));
    assert!(has_event(&admin, "trust_removed", &ca_fp));

    // The CLI sees the same store.
    let out = Command::new(env!("CARGO_BIN_EXE_callscope-mediation"))
        .args(["trust", "list", "--config"])
        .arg(&e.config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("probe7") && !text.contains("Probe CA"),
        "{text}"
    );
}

#[test]
fn api_key_changes_pki_without_csrf() {
    let e = engine();
    let admin = e.admin(ADMIN_PW);
    let (st, v) = admin.post("/keys", &json!({"name": "pki-automation"}));
    assert_eq!(st, 201, "{v}");
    let key = Client::with_key(e.https, v["key"].as_str().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let ca = std::fs::read(make_ca(dir.path(), "ca", "Automation CA")).unwrap();
    let (st, v) = send_raw(&key, "POST", "/pki/trust", &ca);
    assert_eq!(st, 201, "{v}");
    let (st, v) = key.post("/pki/csr", &json!({}));
    assert_eq!(st, 200, "{v}");
    // No SANs asked for: the current certificate's.
    assert!(
        v["sans"].as_array().unwrap().contains(&json!("localhost")),
        "{v}"
    );
    assert!(v["csr"].as_str().unwrap().contains("CERTIFICATE REQUEST"));
}
