//! The RADIUS client against a real FreeRADIUS (Debian's `freeradius`, started by each test
//! on a free loopback port with a generated configuration): PAP (RFC 2865 §5.2) with
//! Message-Authenticator (RFC 3579 §3.2) required both ways, roles from Filter-Id or a vendor
//! attribute, reject, wrong shared secret, a server that does not sign its replies
//! (Blast-RADIUS), fallback to the next server, and timeouts. A few cases use a scripted UDP
//! server on loopback to send replies FreeRADIUS never would (forged, badly signed).
//!
//! No secret or password may appear in what the client logs (captured at TRACE level) or in
//! its errors. Without FreeRADIUS the tests are skipped, except with CI=true, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use callscope_mediation::auth::radius::{
    RadiusClient, RadiusConfig, RadiusError, RadiusOutcome, RadiusServerConfig,
};
use callscope_shared::radius::{self as codec, Code, Packet, PacketBuilder, attr};
use std::io::Write;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FREERADIUS: &str = "/usr/sbin/freeradius";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A random printable secret (hex), different in every test.
fn random_secret() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const USERS: &str = r#"alice	Cleartext-Password := "Alice-pass-1"
	Filter-Id := "operator"
bob	Cleartext-Password := "Bob-pass-2"
carol	Cleartext-Password := "Carol-pass-3"
	Filter-Id := "callscope:role=admin"
dave	Cleartext-Password := "Dave-pass-4"
	Cisco-AVPair := "shell:priv-lvl=1",
	Cisco-AVPair += "callscope:role=monitor"
"#;

/// The passwords and usernames above, to look for in logs.
const PASSWORDS: [&str; 4] = ["Alice-pass-1", "Bob-pass-2", "Carol-pass-3", "Dave-pass-4"];

/// A FreeRADIUS server with its own configuration directory; killed when dropped.
struct FreeRadius {
    child: Child,
    port: u16,
    secret: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FreeRadius {
    /// Starts FreeRADIUS; `sign_replies` adds Message-Authenticator to every reply (what
    /// FreeRADIUS 3.2.5+ does by itself, and what 3.2.1 needs the post-auth `update` for).
    /// None: FreeRADIUS is not installed (and we are not in CI).
    fn start(sign_replies: bool) -> Option<Self> {
        if !Path::new(FREERADIUS).exists() {
            assert!(
                !in_ci(),
                "{FREERADIUS} is missing: CI must install freeradius"
            );
            eprintln!("note: {FREERADIUS} not found; test skipped outside CI");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["log", "run"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let secret = random_secret();
        let sign = if sign_replies {
            "update reply {\n\t\t\tMessage-Authenticator := 0x00\n\t\t}"
        } else {
            ""
        };
        // Start on a free port; if another process takes it meanwhile, try another.
        for _ in 0..5 {
            let port = free_udp_port();
            let conf = format!(
                r#"prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = {d}/log
raddbdir = {d}
radacctdir = {d}/log
name = freeradius
confdir = {d}
modconfdir = {d}
run_dir = {d}/run
db_dir = {d}
libdir = /usr/lib/freeradius
pidfile = {d}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 1024
hostname_lookups = no
log {{
	destination = stdout
	auth = yes
}}
security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}}
client callscope {{
	ipaddr = 127.0.0.1
	secret = {secret}
	require_message_authenticator = yes
}}
modules {{
	pap {{
		normalise = yes
	}}
	files {{
		filename = {d}/users
	}}
}}
server default {{
	listen {{
		type = auth
		ipaddr = 127.0.0.1
		port = {port}
	}}
	authorize {{
		files
		pap
	}}
	authenticate {{
		Auth-Type PAP {{
			pap
		}}
	}}
	post-auth {{
		{sign}
		Post-Auth-Type REJECT {{
			{sign}
		}}
	}}
}}
"#,
                d = d.display()
            );
            std::fs::write(d.join("radiusd.conf"), conf).unwrap();
            std::fs::write(d.join("users"), USERS).unwrap();
            let log = d.join("freeradius.log");
            let out = std::fs::File::create(&log).unwrap();
            let mut child = Command::new(FREERADIUS)
                .args(["-X", "-f", "-d"])
                .arg(d)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start freeradius");
            // Wait for "Ready to process requests" (or an early exit).
            let deadline = Instant::now() + Duration::from_secs(60);
            let failure = loop {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if text.contains("Ready to process requests") {
                    return Some(FreeRadius {
                        child,
                        port,
                        secret,
                        log,
                        _dir: dir,
                    });
                }
                match child.try_wait() {
                    Ok(Some(_)) if text.contains("Address already in use") => break None,
                    Ok(Some(status)) => break Some(format!("freeradius exited ({status})")),
                    _ => {}
                }
                if Instant::now() > deadline {
                    break Some("freeradius not ready after 60 s".to_string());
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            let _ = child.kill();
            let _ = child.wait();
            if let Some(why) = failure {
                panic!(
                    "{why}:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        }
        panic!("freeradius could not bind a free port in 5 tries");
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A shared-secret file in `dir`.
fn secret_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(f, "{secret}").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p
}

fn config(servers: Vec<(String, PathBuf)>) -> RadiusConfig {
    RadiusConfig {
        servers: servers
            .into_iter()
            .map(|(address, secret_file)| RadiusServerConfig {
                address,
                secret_file,
            })
            .collect(),
        timeout_ms: 3000,
        retries: 2,
        nas_identifier: "callscope".into(),
        nas_ip_address: None,
        role_attribute: "Filter-Id".into(),
        default_role: None,
    }
}

/// Everything the client logs while a test runs (TRACE level, this thread only).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let w = self.clone();
        let sub = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || w.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(sub)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// No password and no secret in the logs or in `also` (error messages).
    fn assert_clean(&self, secrets: &[&str], also: &[String]) {
        let logs = self.text();
        for s in PASSWORDS.iter().chain(secrets) {
            assert!(
                !logs.contains(s),
                "{s:?} appears in the client's logs:\n{logs}"
            );
            for a in also {
                assert!(!a.contains(s), "{s:?} appears in {a:?}");
            }
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn rfc2865_pap_accept_with_role_reject_and_no_role() {
    let Some(fr) = FreeRadius::start(true) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sf = secret_file(dir.path(), "secret", &fr.secret);
    let logs = Captured::default();
    let _g = logs.install();
    let rt = runtime();
    let client = RadiusClient::new(&config(vec![(fr.address(), sf.clone())])).unwrap();
    // RFC 2865 §5.11 Filter-Id carries the role.
    assert_eq!(
        rt.block_on(client.authenticate("alice", "Alice-pass-1"))
            .unwrap(),
        RadiusOutcome::Accept {
            role: Some("operator".into())
        }
    );
    // Wrong password: Access-Reject (signed, so verified).
    assert_eq!(
        rt.block_on(client.authenticate("alice", "Bob-pass-2"))
            .unwrap(),
        RadiusOutcome::Reject
    );
    assert_eq!(
        rt.block_on(client.authenticate("nobody", "Alice-pass-1"))
            .unwrap(),
        RadiusOutcome::Reject
    );
    // Accepted without a role: no role (the login layer refuses), unless a default is set.
    assert_eq!(
        rt.block_on(client.authenticate("bob", "Bob-pass-2"))
            .unwrap(),
        RadiusOutcome::Accept { role: None }
    );
    let mut with_default = config(vec![(fr.address(), sf.clone())]);
    with_default.default_role = Some("monitor".into());
    let client2 = RadiusClient::new(&with_default).unwrap();
    assert_eq!(
        rt.block_on(client2.authenticate("bob", "Bob-pass-2"))
            .unwrap(),
        RadiusOutcome::Accept {
            role: Some("monitor".into())
        }
    );
    // "callscope:role=" form in Filter-Id.
    assert_eq!(
        rt.block_on(client.authenticate("carol", "Carol-pass-3"))
            .unwrap(),
        RadiusOutcome::Accept {
            role: Some("admin".into())
        }
    );
    // RFC 2865 §5.26 Vendor-Specific: Cisco-AVPair (vendor 9, type 1), second value.
    let mut vsa = config(vec![(fr.address(), sf)]);
    vsa.role_attribute = "vendor:9:1".into();
    let client3 = RadiusClient::new(&vsa).unwrap();
    assert_eq!(
        rt.block_on(client3.authenticate("dave", "Dave-pass-4"))
            .unwrap(),
        RadiusOutcome::Accept {
            role: Some("monitor".into())
        }
    );
    // With Filter-Id as the role attribute dave has no role.
    assert_eq!(
        rt.block_on(client.authenticate("dave", "Dave-pass-4"))
            .unwrap(),
        RadiusOutcome::Accept { role: None }
    );
    // The server saw our requests with a valid Message-Authenticator and our NAS-Identifier.
    let server_log = fr.log_text();
    assert!(server_log.contains("Login OK: [alice"), "{server_log}");
    assert!(
        server_log.contains("NAS-Identifier = \"callscope\""),
        "{server_log}"
    );
    assert!(!server_log.contains("invalid Message-Authenticator"));
    logs.assert_clean(&[&fr.secret], &[]);
}

#[test]
fn wrong_shared_secret_gets_no_accepted_answer() {
    let Some(fr) = FreeRadius::start(true) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let wrong = random_secret();
    let sf = secret_file(dir.path(), "secret", &wrong);
    let logs = Captured::default();
    let _g = logs.install();
    let mut cfg = config(vec![(fr.address(), sf)]);
    cfg.timeout_ms = 300;
    cfg.retries = 1;
    let client = RadiusClient::new(&cfg).unwrap();
    let err = runtime()
        .block_on(client.authenticate("alice", "Alice-pass-1"))
        .unwrap_err();
    // FreeRADIUS drops a request whose Message-Authenticator fails with its secret (RFC 3579
    // §3.2), so the client sees no answer at all.
    assert!(err.is_unreachable(), "{err}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !fr.log_text().contains("Message-Authenticator") {
        assert!(Instant::now() < deadline, "{}", fr.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        fr.log_text().contains("invalid Message-Authenticator"),
        "{}",
        fr.log_text()
    );
    logs.assert_clean(
        &[&fr.secret, &wrong],
        &[err.to_string(), format!("{err:?}")],
    );
}

#[test]
fn blast_radius_unsigned_replies_are_refused() {
    // FreeRADIUS 3.2.1 without the post-auth update sends Access-Accept without
    // Message-Authenticator: the client must not believe it (RFC 3579 §3.2, CVE-2024-3596).
    let Some(fr) = FreeRadius::start(false) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sf = secret_file(dir.path(), "secret", &fr.secret);
    let logs = Captured::default();
    let _g = logs.install();
    let mut cfg = config(vec![(fr.address(), sf)]);
    cfg.timeout_ms = 300;
    cfg.retries = 0;
    let client = RadiusClient::new(&cfg).unwrap();
    let err = runtime()
        .block_on(client.authenticate("alice", "Alice-pass-1"))
        .unwrap_err();
    assert_eq!(
        err,
        RadiusError::InvalidReplies {
            server: fr.address(),
            reason: codec::RadiusError::MissingMessageAuthenticator
        }
    );
    assert!(!err.is_unreachable());
    assert!(fr.log_text().contains("Login OK: [alice"));
    logs.assert_clean(&[&fr.secret], &[err.to_string()]);
}

#[test]
fn first_server_dead_then_second_answers() {
    let Some(fr) = FreeRadius::start(true) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sf = secret_file(dir.path(), "secret", &fr.secret);
    let other = secret_file(dir.path(), "other", &random_secret());
    // A port nobody listens on (ICMP port unreachable), and a socket that never answers.
    let dead = format!("127.0.0.1:{}", free_udp_port());
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let logs = Captured::default();
    let _g = logs.install();
    let mut cfg = config(vec![
        (dead, other.clone()),
        (silent_addr, other),
        (fr.address(), sf),
    ]);
    cfg.timeout_ms = 200;
    cfg.retries = 1;
    let client = RadiusClient::new(&cfg).unwrap();
    assert_eq!(
        runtime()
            .block_on(client.authenticate("alice", "Alice-pass-1"))
            .unwrap(),
        RadiusOutcome::Accept {
            role: Some("operator".into())
        }
    );
    // The silent server got the first send and one retransmission, identical (RFC 5080
    // §2.2.1); with a valid Message-Authenticator as first attribute.
    silent.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = silent.recv(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], got[1]);
    let p = Packet::new_checked(&got[0]).unwrap();
    assert_eq!(p.code(), Code::AccessRequest);
    assert_eq!(
        p.attributes().next().unwrap().type_id,
        attr::MESSAGE_AUTHENTICATOR
    );
    logs.assert_clean(&[&fr.secret], &[]);
}

#[test]
fn timeout_when_no_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let s = random_secret();
    let sf = secret_file(dir.path(), "secret", &s);
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let logs = Captured::default();
    let _g = logs.install();
    let mut cfg = config(vec![
        (a.local_addr().unwrap().to_string(), sf.clone()),
        (b.local_addr().unwrap().to_string(), sf),
    ]);
    cfg.timeout_ms = 100;
    cfg.retries = 1;
    let client = RadiusClient::new(&cfg).unwrap();
    let err = runtime()
        .block_on(client.authenticate("alice", "Alice-pass-1"))
        .unwrap_err();
    match &err {
        RadiusError::Unreachable { tried, sends, .. } => {
            assert_eq!((*tried, *sends), (2, 2));
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(err.to_string().contains("no RADIUS server answered"));
    logs.assert_clean(&[&s], &[err.to_string()]);
}

/// A scripted server on loopback: answers each request with `replies(request)` (each
/// datagram in order), then stops.
fn scripted_server(
    replies: impl Fn(&Packet<'_>) -> Vec<Vec<u8>> + Send + 'static,
) -> (String, std::thread::JoinHandle<()>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap().to_string();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let h = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            let p = Packet::new_checked(&buf[..n]).unwrap();
            for r in replies(&p) {
                sock.send_to(&r, from).unwrap();
            }
        }
    });
    (addr, h)
}

fn signed_accept(req: &Packet<'_>, secret: &[u8], role: &[u8]) -> Vec<u8> {
    let mut b = PacketBuilder::with_message_authenticator(Code::AccessAccept, req.identifier());
    b.attribute(attr::FILTER_ID, role).unwrap();
    b.finish_reply(&req.authenticator(), secret).unwrap()
}

#[test]
fn rfc2865_3_forged_replies_are_discarded_and_the_real_one_counts() {
    let dir = tempfile::tempdir().unwrap();
    let s = random_secret();
    let sf = secret_file(dir.path(), "secret", &s);
    let key = s.clone().into_bytes();
    let forger = random_secret();
    let forger_key = forger.clone().into_bytes();
    // Garbage, a reply signed with another secret, an unsigned accept, a reply to another
    // identifier, then the genuine signed reply.
    let (addr, h) = scripted_server(move |req| {
        let mut unsigned = PacketBuilder::new(Code::AccessAccept, req.identifier());
        unsigned.attribute(attr::FILTER_ID, b"admin").unwrap();
        vec![
            b"\x02\x00\x00\x05junk".to_vec(),
            signed_accept(req, &forger_key, b"admin"),
            unsigned.finish_reply(&req.authenticator(), &key).unwrap(),
            {
                let mut b = PacketBuilder::with_message_authenticator(
                    Code::AccessAccept,
                    req.identifier().wrapping_add(1),
                );
                b.attribute(attr::FILTER_ID, b"admin").unwrap();
                b.finish_reply(&req.authenticator(), &key).unwrap()
            },
            signed_accept(req, &key, b"monitor"),
        ]
    });
    let logs = Captured::default();
    let _g = logs.install();
    let client = RadiusClient::new(&config(vec![(addr, sf)])).unwrap();
    assert_eq!(
        runtime()
            .block_on(client.authenticate("alice", "Alice-pass-1"))
            .unwrap(),
        RadiusOutcome::Accept {
            role: Some("monitor".into())
        }
    );
    h.join().unwrap();
    let text = logs.text();
    assert!(text.contains("RADIUS reply discarded"), "{text}");
    logs.assert_clean(&[&s, &forger], &[]);
}

#[test]
fn rfc3579_3_2_badly_signed_replies_only_is_an_invalid_reply_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = random_secret();
    let sf = secret_file(dir.path(), "secret", &s);
    let (addr, h) = scripted_server(|req| vec![signed_accept(req, b"not-the-secret", b"admin")]);
    let mut cfg = config(vec![(addr.clone(), sf)]);
    cfg.timeout_ms = 200;
    cfg.retries = 0;
    let client = RadiusClient::new(&cfg).unwrap();
    let err = runtime()
        .block_on(client.authenticate("alice", "Alice-pass-1"))
        .unwrap_err();
    assert_eq!(
        err,
        RadiusError::InvalidReplies {
            server: addr,
            reason: codec::RadiusError::BadMessageAuthenticator
        }
    );
    assert!(err.to_string().contains("shared secret"));
    h.join().unwrap();
}

#[test]
fn requests_too_long_or_empty_users_never_leave() {
    let dir = tempfile::tempdir().unwrap();
    let sf = secret_file(dir.path(), "secret", &random_secret());
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let client = RadiusClient::new(&config(vec![(
        silent.local_addr().unwrap().to_string(),
        sf,
    )]))
    .unwrap();
    let rt = runtime();
    let long = "p".repeat(129);
    assert_eq!(
        rt.block_on(client.authenticate("alice", &long)),
        Err(RadiusError::Request(codec::RadiusError::PasswordTooLong(
            129
        )))
    );
    assert_eq!(
        rt.block_on(client.authenticate("", "x")),
        Ok(RadiusOutcome::Reject)
    );
    silent.set_nonblocking(true).unwrap();
    assert!(silent.recv(&mut [0u8; 64]).is_err());
}

/// The engine's web login through FreeRADIUS: `local-first` (local accounts decide for their
/// names, other names go to RADIUS with the reply's role) and `radius-first` (RADIUS decides;
/// local accounts only when no RADIUS server answers).
#[test]
fn web_login_through_freeradius_in_combined_modes() {
    use common::web::{Client, WebEngine, leaks};
    let Some(fr) = FreeRadius::start(true) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "radius.secret", &fr.secret);
    let auth = |mode: &str| {
        format!(
            "[auth]\nmode = \"{mode}\"\n[auth.radius]\ntimeout_ms = 300\nretries = 1\n\
             servers = [{{ address = \"{}\", secret_file = {:?} }}]\n",
            fr.address(),
            secret
        )
    };
    let mut e = WebEngine::new(&auth("local-first"));
    e.start();
    let admin = e.admin("Granite-Harbor-5");
    let mut alice = Client::anonymous(e.https);
    let (st, me) = alice.login("alice", "Alice-pass-1");
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["role"], "operator");
    assert_eq!(me["must_change_password"], false);
    assert_eq!(alice.get("/calls").0, 200);
    assert_eq!(alice.get("/users").0, 403, "operator from RADIUS");
    let mut carol = Client::anonymous(e.https);
    assert_eq!(carol.login("carol", "Carol-pass-3").1["role"], "admin");
    assert_eq!(carol.get("/users").0, 200);
    // Accepted without a role and no default_role: refused. Wrong password: refused.
    assert_eq!(Client::anonymous(e.https).login("bob", "Bob-pass-2").0, 401);
    assert_eq!(Client::anonymous(e.https).login("alice", "nope").0, 401);
    // A RADIUS user has no local password to change.
    let (st, _) = alice.post(
        "/auth/password",
        &serde_json::json!({"current_password": "Alice-pass-1", "new_password": "Another-Pass-77"}),
    );
    assert_eq!(st, 400);
    let (_, audit) = admin.get("/audit");
    assert!(
        audit["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "login"
                && e["actor"] == "alice"
                && e["detail"].as_str().unwrap().contains("RADIUS")),
        "{audit}"
    );
    // radius-first: RADIUS decides while it answers, even for a local name...
    e.stop();
    let cfg = std::fs::read_to_string(&e.config)
        .unwrap()
        .replace("mode = \"local-first\"", "mode = \"radius-first\"");
    std::fs::write(&e.config, cfg).unwrap();
    e.start();
    assert_eq!(
        Client::anonymous(e.https)
            .login("admin", "Granite-Harbor-5")
            .0,
        401
    );
    assert_eq!(
        Client::anonymous(e.https).login("alice", "Alice-pass-1").0,
        200
    );
    // ...and the local account works when no RADIUS server answers.
    drop(fr);
    let mut c = Client::anonymous(e.https);
    let (st, v) = c.login("admin", "Granite-Harbor-5");
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        Client::anonymous(e.https).login("alice", "Alice-pass-1").0,
        401
    );
    let log = e.log_text();
    for s in PASSWORDS.iter().copied().chain(["Granite-Harbor-5"]) {
        assert!(!leaks(&log, s), "engine log leaks a password");
    }
    assert!(!leaks(
        &log,
        std::fs::read_to_string(&secret).unwrap().trim()
    ));
}
