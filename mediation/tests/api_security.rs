//! Adversarial checks of the engine's authentication and HTTP layer over its real HTTPS API
//! (RocksDB, TLS, curl): a RADIUS user whose name equals a local account's gets none of that
//! account's keys or record; a password change ends the account's other sessions; wrong
//! current passwords count towards the lockout; the login rate limit ignores
//! X-Forwarded-For; a cross-site form cannot log a browser in (login CSRF); changes through
//! HEAD/OPTIONS or a method-override header do not skip the CSRF check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use callscope_shared::radius::{Code, Packet, PacketBuilder, attr};
use common::web::{Client, WebEngine};
use serde_json::json;
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const ADMIN_PW: &str = "Adm1n-Chosen-Pass";

fn engine(auth: &str) -> WebEngine {
    let mut e = WebEngine::new(auth);
    e.start();
    e
}

/// A RADIUS server on loopback that accepts every user and password with the role `role`
/// (Filter-Id), replies signed with Message-Authenticator (RFC 3579 §3.2). Stops when the
/// flag is dropped.
struct AcceptAll {
    addr: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AcceptAll {
    fn start(secret: &str, role: &'static [u8]) -> Self {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap().to_string();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let key = secret.as_bytes().to_vec();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !flag.load(Ordering::Relaxed) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(req) = Packet::new_checked(&buf[..n]) else {
                    continue;
                };
                let mut b =
                    PacketBuilder::with_message_authenticator(Code::AccessAccept, req.identifier());
                b.attribute(attr::FILTER_ID, role).unwrap();
                let reply = b.finish_reply(&req.authenticator(), &key).unwrap();
                sock.send_to(&reply, from).unwrap();
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for AcceptAll {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// curl with `args` on `path`; the status and the response headers.
fn raw(https: std::net::SocketAddr, args: &[&str], path: &str) -> (u16, String) {
    let out = std::process::Command::new("curl")
        .args(["-sk", "--max-time", "30", "-D", "-", "-o", "/dev/null"])
        .args(args)
        .arg(format!("https://{https}/api/v1{path}"))
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = headers
        .lines()
        .rfind(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, headers)
}

/// In `radius` mode RADIUS decides who `admin` is. A RADIUS operator named `admin` is not the
/// local `admin` account: it must not create, list, rotate or use that account's API keys
/// (which act with the local account's permissions, here all of them), nor read its record or
/// change its password.
#[test]
fn radius_user_named_like_a_local_account_gets_nothing_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "4f7c1b2a9e3d5c6b8a7f0e1d2c3b4a59";
    let secret_file = dir.path().join("radius.secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let radius = AcceptAll::start(secret, b"operator");
    let e = engine(&format!(
        "[auth]\nmode = \"radius\"\n[auth.radius]\ntimeout_ms = 500\nretries = 1\n\
         servers = [{{ address = \"{}\", secret_file = {:?} }}]\n",
        radius.addr, secret_file
    ));
    let mut op = Client::anonymous(e.https);
    let (st, me) = op.login("admin", "anything-RADIUS-accepts-1");
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["role"], "operator", "{me}");
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "keys:own"),
        "an operator owns keys: {me}"
    );
    assert_eq!(op.get("/users").0, 403, "an operator");
    // The local admin's record is not this user's own.
    assert_eq!(op.get("/users/admin").0, 403);
    // No key for the local account, by default or by name.
    let (st, v) = op.post("/keys", &json!({"name": "escalate"}));
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("RADIUS"), "{v}");
    let (st, v) = op.post("/keys", &json!({"name": "escalate", "user": "admin"}));
    assert_eq!(st, 403, "{v}");
    if let Some(key) = v["key"].as_str() {
        // (Before the fix: a key acting as the local admin.)
        let k = Client::with_key(e.https, key);
        panic!("key made: /users with it answers {}", k.get("/users").0);
    }
    // Nor the local admin's existing keys (made on the engine's machine).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscope-mediation"))
        .args(["api-key", "create", "ops-script", "--config"])
        .arg(&e.config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let id = key.split_once('.').unwrap().0.to_owned();
    // Used once, the engine loads it from disk.
    assert_eq!(Client::with_key(e.https, &key).get("/status").0, 200);
    let (st, v) = op.get("/keys");
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["keys"], json!([]), "{v}");
    assert_eq!(op.post(&format!("/keys/{id}/rotate"), &json!({})).0, 404);
    assert_eq!(op.delete(&format!("/keys/{id}")).0, 404);
    // Nor the local password.
    let (st, v) = op.post(
        "/auth/password",
        &json!({"current_password": e.initial_password(), "new_password": "Taken-Over-Pass-9"}),
    );
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("RADIUS"), "{v}");
    drop(radius);
}

/// OWASP ASVS 3.3.3: changing the password ends the account's other sessions (someone who
/// stole one is out); the session the change came from stays. And a session cannot be used
/// to guess the password: a wrong current password counts as a failed login and locks the
/// account after `max_failed_logins`.
#[test]
fn password_change_ends_other_sessions_and_wrong_current_passwords_lock() {
    let e = engine("[auth]\nmax_failed_logins = 3\nlogin_rate_per_minute = 1000\n");
    let admin = e.admin(ADMIN_PW);
    let alice = e.user(&admin, "alice", "operator", None, "Harbor-First-Pass-1");
    let mut stolen = Client::anonymous(e.https);
    assert_eq!(stolen.login("alice", "Harbor-First-Pass-1").0, 200);
    assert_eq!(stolen.get("/auth/me").0, 200);
    let (st, v) = alice.post(
        "/auth/password",
        &json!({"current_password": "Harbor-First-Pass-1", "new_password": "Harbor-Second-Pass-2"}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(alice.get("/auth/me").0, 200, "the changing session stays");
    let (st, v) = stolen.get("/auth/me");
    assert_eq!(st, 401, "the other session ended: {v}");
    // The admin's session is unaffected.
    assert_eq!(admin.get("/users").0, 200);

    // Guessing through the password change: 2 wrong answers are refused, the 3rd locks.
    for guess in ["Guess-Number-One-1", "Guess-Number-Two-2"] {
        let (st, v) = alice.post(
            "/auth/password",
            &json!({"current_password": guess, "new_password": "Harbor-Third-Pass-3"}),
        );
        assert_eq!(st, 400, "{v}");
        assert_eq!(v["code"], "password_policy");
    }
    let (st, v) = alice.post(
        "/auth/password",
        &json!({"current_password": "Guess-Number-Three-3", "new_password": "Harbor-Third-Pass-3"}),
    );
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["code"], "locked", "{v}");
    assert_ne!(
        alice.get("/auth/me").0,
        200,
        "a locked account's session ends"
    );
    let (st, v) = admin.get("/users/alice");
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["locked"], true, "{v}");
    assert_eq!(
        Client::anonymous(e.https)
            .login("alice", "Harbor-Second-Pass-2")
            .1["code"],
        "locked"
    );
}

/// The rate limit counts the TCP peer, never X-Forwarded-For / X-Real-IP / Forwarded (any
/// client can send those); login needs a JSON body, so a cross-site HTML form (text/plain or
/// urlencoded, no preflight) cannot log a browser into the attacker's account; and a change
/// with the session cookie needs the CSRF token whatever method games are played.
#[test]
fn forwarded_headers_login_csrf_and_method_games() {
    let e = engine("[auth]\nlogin_rate_per_minute = 3\nmax_failed_logins = 100\n");
    let anon = Client::anonymous(e.https);
    let body = br#"{"username":"nobody","password":"Wrong-Password-1"}"#;
    let mut codes = Vec::new();
    for i in 0..6 {
        let h = [
            format!("X-Forwarded-For: 198.51.100.{i}"),
            format!("X-Real-IP: 198.51.100.{i}"),
            format!("Forwarded: for=198.51.100.{i}"),
        ];
        let h: Vec<&str> = h.iter().map(String::as_str).collect();
        codes.push(anon.request_full("POST", "/auth/login", Some(body), &h).0);
    }
    assert_eq!(codes, [401, 401, 401, 429, 429, 429], "{codes:?}");

    // Login CSRF: the same body as a form would send it (no JSON content type) is refused
    // before any password is checked, and sets no cookie.
    let e2 = engine("");
    let pw = e2.initial_password();
    // The body goes through a file: no password on a command line.
    let body_dir = tempfile::tempdir().unwrap();
    let body_file = body_dir.path().join("login.json");
    std::fs::write(
        &body_file,
        format!(r#"{{"username":"admin","password":"{pw}"}}"#),
    )
    .unwrap();
    let data = format!("@{}", body_file.display());
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (st, headers) = raw(
            e2.https,
            &[
                "-X",
                "POST",
                "-H",
                &format!("Content-Type: {ct}"),
                "--data-binary",
                &data,
            ],
            "/auth/login",
        );
        assert_eq!(st, 400, "{ct}: {headers}");
        assert!(
            !headers.to_ascii_lowercase().contains("set-cookie"),
            "{ct}: {headers}"
        );
    }

    // CSRF with the session cookie: POST without the token, with a method-override header,
    // and the change routes under HEAD / OPTIONS, never act.
    let mut admin = Client::anonymous(e2.https);
    assert_eq!(admin.login("admin", &pw).0, 200);
    let token = admin.csrf.take().unwrap();
    let (st, v) = admin.post(
        "/auth/password",
        &json!({"current_password": pw, "new_password": ADMIN_PW}),
    );
    assert_eq!((st, v["code"].clone()), (403, json!("csrf")), "{v}");
    for h in [
        "X-HTTP-Method-Override: GET",
        "X-HTTP-Method: GET",
        "X-Method-Override: GET",
    ] {
        let b =
            serde_json::to_vec(&json!({"current_password": pw, "new_password": ADMIN_PW})).unwrap();
        let (st, out, _) = admin.request_full("POST", "/auth/password", Some(&b), &[h]);
        assert_eq!(st, 403, "{h}: {}", String::from_utf8_lossy(&out));
    }
    let jar = admin.jar_path();
    for args in [["-I", "-X", "HEAD"], ["-X", "OPTIONS", "-s"]] {
        let mut a = vec!["-b", jar.to_str().unwrap()];
        a.extend(args);
        let (st, headers) = raw(e2.https, &a, "/auth/logout");
        assert_eq!(st, 405, "{args:?} /auth/logout: {headers}");
    }
    // Still logged in (no logout happened), still the one-time password.
    assert_eq!(admin.get("/auth/me").0, 200);
    admin.csrf = Some(token);
    let (st, v) = admin.post(
        "/auth/password",
        &json!({"current_password": pw, "new_password": ADMIN_PW}),
    );
    assert_eq!(st, 200, "{v}");
}
