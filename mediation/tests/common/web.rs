//! A real `callscope-mediation serve` with its HTTPS API, and a curl-based client with a cookie
//! jar (sessions, CSRF) or an API key. Request bodies and key headers go through stdin and
//! files, never the command line. Children are killed when dropped.
#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_tcp() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Polls `f` every 100 ms until it gives a value; panics with `what` after `secs`.
pub fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub struct WebEngine {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub https: SocketAddr,
    pub log: PathBuf,
    child: Option<Child>,
}

impl WebEngine {
    /// An engine with its own data directory and free loopback ports. `extra` is appended to
    /// the configuration (TOML tables such as `[auth]` or `[capture]`).
    pub fn new(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (hep, sbc, https) = (free_tcp(), free_tcp(), free_tcp());
        let config = dir.path().join("engine.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\n[hep]\ntls_listen = \"{hep}\"\n[sbc]\ntls_listen = \"{sbc}\"\n\
                 [https]\nlisten = \"{https}\"\n{extra}\n",
                dir.path().join("data")
            ),
        )
        .unwrap();
        let log = dir.path().join("engine.log");
        Self {
            dir,
            config,
            https,
            log,
            child: None,
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn start(&mut self) {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_callscope-mediation"))
            .args(["serve", "--config"])
            .arg(&self.config)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let addr = self.https;
        wait_for("engine HTTPS up", 60, || {
            if let Some(st) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("engine exited ({st}):\n{}", self.log_text());
            }
            let c = Client::anonymous(addr);
            (c.get("/auth/me").0 == 401).then_some(())
        });
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The built-in admin's one-time password (first start).
    pub fn initial_password(&self) -> String {
        std::fs::read_to_string(self.data().join("initial-admin-password"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Logs in as admin with the one-time password, sets `new_password`, returns the session.
    pub fn admin(&self, new_password: &str) -> Client {
        let mut c = Client::anonymous(self.https);
        let (st, body) = c.login("admin", &self.initial_password());
        assert_eq!(st, 200, "{body}");
        assert_eq!(body["must_change_password"], true);
        let (st, body) = c.post(
            "/auth/password",
            &serde_json::json!({"current_password": self.initial_password(), "new_password": new_password}),
        );
        assert_eq!(st, 200, "{body}");
        c
    }

    /// Creates a user (as `admin`), logs in with the temporary password and sets
    /// `password`; returns the user's session.
    pub fn user(
        &self,
        admin: &Client,
        name: &str,
        role: &str,
        tenant: Option<&str>,
        password: &str,
    ) -> Client {
        let (st, body) = admin.post(
            "/users",
            &serde_json::json!({"name": name, "role": role, "tenant": tenant}),
        );
        assert_eq!(st, 201, "{body}");
        let temp = body["temporary_password"].as_str().unwrap().to_owned();
        let mut c = Client::anonymous(self.https);
        let (st, body) = c.login(name, &temp);
        assert_eq!(st, 200, "{body}");
        assert_eq!(body["must_change_password"], true);
        let (st, body) = c.post(
            "/auth/password",
            &serde_json::json!({"current_password": temp, "new_password": password}),
        );
        assert_eq!(st, 200, "{body}");
        c
    }
}

impl Drop for WebEngine {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A curl client: a session (cookie jar + CSRF token) or an API key header file.
pub struct Client {
    pub base: String,
    dir: tempfile::TempDir,
    pub csrf: Option<String>,
    key_header: Option<PathBuf>,
}

impl Client {
    pub fn anonymous(https: SocketAddr) -> Self {
        Self {
            base: format!("https://{https}/api/v1"),
            dir: tempfile::tempdir().unwrap(),
            csrf: None,
            key_header: None,
        }
    }

    /// A client that sends `key` in the Authorization header (from a file).
    pub fn with_key(https: SocketAddr, key: &str) -> Self {
        let c = Self::anonymous(https);
        let h = c.dir.path().join("key.header");
        std::fs::write(&h, format!("Authorization: Bearer {key}\n")).unwrap();
        Self {
            key_header: Some(h),
            ..c
        }
    }

    fn jar(&self) -> PathBuf {
        self.dir.path().join("cookies")
    }

    /// The cookie jar file (for raw curl calls with this client's session).
    pub fn jar_path(&self) -> PathBuf {
        self.jar()
    }

    /// Sends a request; returns the status, the body (JSON or a string) and the headers.
    pub fn request_full(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        extra_headers: &[&str],
    ) -> (u16, Vec<u8>, String) {
        let headers_file = self.dir.path().join(format!("h-{}", rand_suffix()));
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sk",
            "--max-time",
            "30",
            "-X",
            method,
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
        ])
        .arg("-D")
        .arg(&headers_file)
        .arg("-b")
        .arg(self.jar())
        .arg("-c")
        .arg(self.jar());
        if let Some(h) = &self.key_header {
            cmd.arg("-H").arg(format!("@{}", h.display()));
        }
        if let Some(t) = &self.csrf {
            cmd.arg("-H").arg(format!("X-CSRF-Token: {t}"));
        }
        for h in extra_headers {
            cmd.arg("-H").arg(h);
        }
        if body.is_some() {
            cmd.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
            ]);
        }
        let url = if path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        cmd.arg(url);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        {
            let mut stdin = child.stdin.take().unwrap();
            if let Some(b) = body {
                stdin.write_all(b).unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        let mut stdout = out.stdout;
        let nl = stdout.iter().rposition(|&b| b == b'\n').unwrap_or(0);
        let code = String::from_utf8_lossy(stdout.get(nl + 1..).unwrap_or_default())
            .trim()
            .parse()
            .unwrap_or(0);
        stdout.truncate(nl);
        let headers = std::fs::read_to_string(&headers_file).unwrap_or_default();
        let _ = std::fs::remove_file(&headers_file);
        (code, stdout, headers)
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let b = body.map(|b| serde_json::to_vec(b).unwrap());
        let (code, out, _) = self.request_full(method, path, b.as_deref(), &[]);
        let v = serde_json::from_slice(&out)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out).into_owned()));
        (code, v)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.request("POST", path, Some(body))
    }

    pub fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        self.request("PATCH", path, Some(body))
    }

    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.request("PUT", path, Some(body))
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        self.request("DELETE", path, None)
    }

    /// Logs in; on success keeps the session cookie and CSRF token.
    pub fn login(&mut self, user: &str, password: &str) -> (u16, Value) {
        let (st, v) = self.post(
            "/auth/login",
            &serde_json::json!({"username": user, "password": password}),
        );
        if st == 200 {
            self.csrf = v["csrf_token"].as_str().map(str::to_owned);
        }
        (st, v)
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether `text` contains `secret` (for "never in logs/responses" checks).
pub fn leaks(text: &str, secret: &str) -> bool {
    !secret.is_empty() && text.contains(secret)
}

pub fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}
