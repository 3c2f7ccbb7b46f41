//! The web UI in headless Chromium (Debian's chromium and chromium-driver), driven over
//! WebDriver from Rust: the real `callscope-mediation serve` over TLS with RocksDB and a
//! capture imported, the browser pinned to the engine's self-signed certificate by its SPKI
//! hash (no blanket certificate-error bypass), everything on loopback.
//!
//! Every test reads the browser console after each step and fails on any Content Security
//! Policy violation, JavaScript error or failed asset load: the UI must work under the CSP the
//! engine sends (`default-src 'self'`, no inline script or style).
//!
//! Missing chromium or chromedriver skip with a note, except with CI=true, where they fail.
//! Waits are bounded polls for elements; nothing asserts on timing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod webdriver;

use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use webdriver::{Driver, Session};

// ---------------------------------------------------------------------------------------------
// Environment.

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A program from PATH; None (skip) when missing, a failure under CI.
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    assert!(
        !in_ci(),
        "program {name} not found in PATH: CI must install it (Debian chromium, chromium-driver)"
    );
    eprintln!("note: program {name} not found in PATH; browser test skipped outside CI");
    None
}

fn mediation() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_callscope-mediation"))
}

fn free_tcp() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s: {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn test_dir() -> tempfile::TempDir {
    let mut d = tempfile::tempdir().unwrap();
    if std::env::var_os("E2E_KEEP").is_some() {
        eprintln!("keeping {}", d.path().display());
        d.disable_cleanup(true);
    }
    d
}

// ---------------------------------------------------------------------------------------------
// The engine.

struct Engine {
    dir: tempfile::TempDir,
    https: SocketAddr,
    log: PathBuf,
    child: Child,
}

impl Engine {
    /// `serve` with the HTTPS API and UI, the repository's B2BUA capture imported by the
    /// embedded probe, and no ingest listener.
    fn start() -> Self {
        let dir = test_dir();
        let https = free_tcp();
        let config = dir.path().join("engine.toml");
        let capture = workspace().join("pcaps/b2bua_chain.pcap");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\n[hep]\ntls_listen = \"\"\n[sbc]\ntls_listen = \"\"\n\
                 [https]\nlisten = \"{https}\"\n\
                 # The capture is from 2023: keep its calls.\n[storage]\nmax_age_days = 36500\n\
                 [calls]\nlinger_s = 1\n[capture]\nfile = {capture:?}\n",
                dir.path().join("data"),
            ),
        )
        .unwrap();
        let log = dir.path().join("engine.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(mediation())
            .args(["serve", "--config"])
            .arg(&config)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let mut e = Self {
            dir,
            https,
            log,
            child,
        };
        wait_for("the engine's HTTPS server", 60, || {
            if let Some(st) = e.child.try_wait().unwrap() {
                panic!("engine exited ({st}):\n{}", e.log_text());
            }
            (e.curl_status("/") == Some(200)).then_some(())
        });
        e
    }

    fn base(&self) -> String {
        format!("https://{}", self.https)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The HTTP status of a GET (certificate checks off: only the status matters here).
    fn curl_status(&self, path: &str) -> Option<u16> {
        let out = Command::new("curl")
            .args([
                "-sk",
                "--max-time",
                "10",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .arg(format!("{}{path}", self.base()))
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }

    /// Response headers of a GET, lower-cased names.
    fn headers(&self, path: &str, extra: &[&str]) -> (u16, Vec<(String, String)>) {
        let mut cmd = Command::new("curl");
        cmd.args(["-sk", "--max-time", "10", "-o", "/dev/null", "-D", "-"]);
        for h in extra {
            cmd.args(["-H", h]);
        }
        let out = cmd.arg(format!("{}{path}", self.base())).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut lines = text.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        (status, headers)
    }

    /// Base64 SHA-256 of the engine certificate's SubjectPublicKeyInfo, for Chromium's
    /// `--ignore-certificate-errors-spki-list` (trust this key, nothing else).
    fn spki_pin(&self) -> String {
        let cert = self.dir.path().join("data/tls/cert.pem");
        let out = Command::new("sh")
            .arg("-c")
            .arg(
                "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der \
                 | openssl dgst -sha256 -binary | openssl base64 -A",
            )
            .arg("sh")
            .arg(&cert)
            .output()
            .unwrap();
        let pin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert_eq!(
            pin.len(),
            44,
            "SPKI pin of {}: {}",
            cert.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        pin
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The browser.

struct Browser {
    session: Session,
    // Dropped after the session (fields drop in order).
    _driver: Driver,
    #[allow(dead_code)] // used by the download test
    downloads: PathBuf,
    base: String,
}

impl Browser {
    /// Headless Chromium that trusts the engine's key only, logs its console, and saves
    /// downloads in `<test dir>/downloads-<name>`. None: skipped (programs missing).
    fn open(engine: &Engine, name: &str) -> Option<Self> {
        let chromium = program("chromium")?;
        let chromedriver = program("chromedriver")?;
        let dir = engine.dir.path();
        let driver = Driver::start(&chromedriver, &dir.join(format!("chromedriver-{name}.log")));
        let downloads = dir.join(format!("downloads-{name}"));
        std::fs::create_dir_all(&downloads).unwrap();
        let profile = dir.join(format!("profile-{name}"));
        let session = Session::new(
            &driver,
            json!({
                "browserName": "chrome",
                "acceptInsecureCerts": false,
                "goog:loggingPrefs": { "browser": "ALL" },
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--no-first-run",
                        "--disable-extensions",
                        "--disable-background-networking",
                        "--disable-sync",
                        "--disable-component-update",
                        "--window-size=1400,1000",
                        format!("--user-data-dir={}", profile.display()),
                        format!("--ignore-certificate-errors-spki-list={}", engine.spki_pin()),
                    ],
                    "prefs": {
                        "download.default_directory": downloads,
                        "download.prompt_for_download": false,
                        "download.directory_upgrade": true,
                        "safebrowsing.enabled": false,
                    },
                },
            }),
        );
        // Headless Chromium also needs to be told at run time where downloads go.
        session.cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": downloads, "eventsEnabled": true }),
        );
        Some(Self {
            session,
            _driver: driver,
            downloads,
            base: engine.base(),
        })
    }

    fn goto(&self, path: &str) {
        self.session.goto(&format!("{}{path}", self.base));
    }

    /// Console entries that mean the UI is broken: CSP violations, JavaScript errors, assets
    /// that failed to load. (Refusals of API calls, like the 401 of `auth/me` before login, are
    /// the API's answers and show as network entries for /api/v1: those are allowed.)
    fn console_problems(&self) -> Vec<String> {
        self.session
            .browser_log()
            .into_iter()
            .filter_map(|e| {
                let level = e["level"].as_str().unwrap_or("");
                let source = e["source"].as_str().unwrap_or("");
                let msg = e["message"].as_str().unwrap_or("").to_owned();
                let csp = msg.contains("Content Security Policy")
                    || msg.contains("Content-Security-Policy");
                let api_answer = source == "network" && msg.contains("/api/v1/");
                (csp || (level == "SEVERE" && !api_answer))
                    .then(|| format!("[{level} {source}] {msg}"))
            })
            .collect()
    }

    /// Fails on any console problem since the last check.
    fn assert_clean_console(&self, step: &str) {
        let problems = self.console_problems();
        assert!(
            problems.is_empty(),
            "browser console after {step}:\n{}",
            problems.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// The login page loads from the engine under its CSP, with no console error; the assets
/// carry their types, the CSP and an ETag that revalidates.
#[test]
fn login_page_loads_under_the_csp_without_errors() {
    let engine = Engine::start();
    let Some(b) = Browser::open(&engine, "login") else {
        return;
    };
    b.goto("/");
    b.session.wait("#login-form", 30);
    b.session.wait("#login-user", 5);
    b.session.wait("#login-password", 5);
    assert_eq!(
        b.session.execute("return document.title", vec![]),
        json!("callscope: log in")
    );
    b.assert_clean_console("loading the login page");

    // Headers: CSP on the page and its modules, the right types, revalidation.
    let csp = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    for (path, ctype) in [
        ("/", "text/html"),
        ("/ui/js/app.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let (status, h) = engine.headers(path, &[]);
        let get = |k: &str| {
            h.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(status, 200, "{path}");
        assert_eq!(get("content-security-policy"), csp, "{path}");
        assert!(
            get("content-type").starts_with(ctype),
            "{path}: {}",
            get("content-type")
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get("cache-control"), "no-cache", "{path}");
        let etag = get("etag");
        assert!(!etag.is_empty(), "{path}: ETag");
        let (again, _) = engine.headers(path, &[&format!("If-None-Match: {etag}")]);
        assert_eq!(again, 304, "{path} revalidates");
    }
    assert_eq!(engine.curl_status("/ui/nope.js"), Some(404));
    assert_eq!(engine.curl_status("/nope"), Some(404));
}

/// The console check is not vacuous: an inline script, which the CSP refuses, is reported.
#[test]
fn console_check_reports_a_csp_violation() {
    let engine = Engine::start();
    let Some(b) = Browser::open(&engine, "csp") else {
        return;
    };
    b.goto("/");
    b.session.wait("#login-form", 30);
    b.assert_clean_console("loading the login page");
    // WebDriver's own script is exempt from the CSP; the inline script it inserts is not.
    b.session.execute(
        "const s = document.createElement('script'); s.textContent = 'window.x = 1'; \
         document.body.append(s); const d = document.createElement('div'); \
         d.setAttribute('style', 'color: red'); document.body.append(d);",
        vec![],
    );
    let problems = b
        .session
        .wait_until("the CSP violation in the console", 20, || {
            let p = b.console_problems();
            (!p.is_empty()).then_some(p)
        });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Content Security Policy")),
        "{problems:?}"
    );
    assert_eq!(
        b.session.execute("return window.x === undefined", vec![]),
        Value::Bool(true),
        "the inline script did not run"
    );
}
