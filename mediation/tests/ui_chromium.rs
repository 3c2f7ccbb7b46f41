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

mod common;
mod webdriver;

use common::web::{Client, WebEngine};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use webdriver::{Driver, Element, Session};

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

/// Both browser programs, or None (skipped outside CI).
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    Some((program("chromium")?, program("chromedriver")?))
}

const NEW_ADMIN_PASSWORD: &str = "Ladder-Diagram-2026!";
const MONITOR_PASSWORD: &str = "Watch-The-Calls-42";
/// The callee of the B2BUA call in pcaps/b2bua_chain.pcap, in clear.
const CALLEE: &str = "+442071234567";

/// `serve` with the HTTPS API and UI and the repository's B2BUA capture (two calls, one with
/// three legs and six RTP streams) imported by the embedded probe.
fn engine(extra: &str) -> WebEngine {
    let capture = workspace().join("pcaps/b2bua_chain.pcap");
    let mut e = WebEngine::new(&format!(
        "# The capture is from 2023: keep its calls.\n[storage]\nmax_age_days = 36500\n\
         [calls]\nlinger_s = 1\n[capture]\nfile = {capture:?}\n{extra}"
    ));
    e.start();
    e
}

/// Waits until the engine has stored the capture's two calls (seen with an admin session).
fn wait_calls(admin: &Client) {
    common::web::wait_for("the capture's 2 calls stored", 60, || {
        let (st, v) = admin.get("/calls");
        (st == 200 && v["calls"].as_array().is_some_and(|c| c.len() == 2)).then_some(())
    });
}

/// Base64 SHA-256 of the engine certificate's SubjectPublicKeyInfo, for Chromium's
/// `--ignore-certificate-errors-spki-list` (trust this key, nothing else).
fn spki_pin(e: &WebEngine) -> String {
    let cert = e.data().join("tls/cert.pem");
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

/// Response headers of a GET, lower-cased names.
fn headers(e: &WebEngine, path: &str, extra: &[&str]) -> (u16, Vec<(String, String)>) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sk", "--max-time", "10", "-o", "/dev/null", "-D", "-"]);
    for h in extra {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .arg(format!("https://{}{path}", e.https))
        .output()
        .unwrap();
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

// ---------------------------------------------------------------------------------------------
// The browser.

struct Browser {
    session: Session,
    // Dropped after the session (fields drop in order).
    _driver: Driver,
    downloads: PathBuf,
    base: String,
}

impl Browser {
    /// Headless Chromium that trusts the engine's key only, logs its console, and saves
    /// downloads in `<engine dir>/downloads-<name>`.
    fn open(engine: &WebEngine, name: &str, (chromium, chromedriver): &(PathBuf, PathBuf)) -> Self {
        let dir = engine.dir.path();
        let driver = Driver::start(chromedriver, &dir.join(format!("chromedriver-{name}.log")));
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
                        format!("--ignore-certificate-errors-spki-list={}", spki_pin(engine)),
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
            json!({ "behavior": "allow", "downloadPath": downloads }),
        );
        Self {
            session,
            _driver: driver,
            downloads,
            base: format!("https://{}", engine.https),
        }
    }

    fn goto(&self, path: &str) {
        self.session.goto(&format!("{}{path}", self.base));
    }

    fn wait(&self, css: &str) -> Element {
        self.session.wait(css, 30)
    }

    /// Clicks the element `css` matches, finding it again if the page re-rendered it.
    fn click(&self, css: &str) {
        self.wait(css);
        self.session
            .wait_until(&format!("a click on {css:?}"), 30, || {
                let e = self.session.try_find(css)?;
                self.session
                    .try_cmd("POST", &format!("/element/{}/click", e.0), None)
                    .ok()
            });
    }

    fn text(&self, css: &str) -> String {
        let e = self.wait(css);
        self.session.text(&e)
    }

    /// Waits until the element's text contains `what`; returns the text.
    fn wait_text(&self, css: &str, what: &str) -> String {
        self.session
            .wait_until(&format!("{css:?} to contain {what:?}"), 30, || {
                let t = self.session.try_find(css).map(|e| self.session.text(&e))?;
                t.contains(what).then_some(t)
            })
    }

    /// The value of a form field, waited for (non-empty), tolerant of re-rendering.
    fn value(&self, css: &str) -> String {
        self.session
            .wait_until(&format!("a value in {css:?}"), 30, || {
                let e = self.session.try_find(css)?;
                let v = self.session.try_property(&e, "value")?;
                v.as_str().filter(|v| !v.is_empty()).map(str::to_owned)
            })
    }

    fn count(&self, css: &str) -> usize {
        self.session.find_all(css).len()
    }

    fn nav(&self) -> Vec<String> {
        self.session
            .find_all("#nav a")
            .iter()
            .map(|e| self.session.text(e))
            .collect()
    }

    /// The status of a request the page itself makes (same origin, its session cookie).
    fn fetch_status(&self, method: &str, path: &str) -> u64 {
        self.session
            .execute(
                "return fetch(arguments[1], {method: arguments[0], credentials: 'same-origin'})\
                 .then((r) => r.status)",
                vec![json!(method), json!(path)],
            )
            .as_u64()
            .unwrap()
    }

    fn login(&self, user: &str, password: &str) {
        self.wait("#login-form");
        self.session.fill("#login-user", user);
        self.session.fill("#login-password", password);
        self.click("#login-submit");
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

    /// With `UI_SCREENSHOTS=DIR`, saves a PNG of the page as `DIR/<name>.png` (for a human
    /// look; nothing is compared).
    fn snap(&self, name: &str) {
        if let Some(dir) = std::env::var_os("UI_SCREENSHOTS") {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join(format!("{name}.png")),
                self.session.screenshot_png(),
            )
            .unwrap();
        }
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

    /// A finished download (no partial `.crdownload`), waited for.
    fn downloaded(&self, secs: u64) -> PathBuf {
        self.session.wait_until("a finished download", secs, || {
            let files: Vec<PathBuf> = std::fs::read_dir(&self.downloads)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .collect();
            if files
                .iter()
                .any(|p| p.extension().is_some_and(|x| x == "crdownload"))
            {
                return None;
            }
            files
                .into_iter()
                .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// The login page loads from the engine under its CSP, with no console error; the assets
/// carry their types, the CSP and an ETag that revalidates.
#[test]
fn login_page_loads_under_the_csp_without_errors() {
    let Some(progs) = browser_programs() else {
        return;
    };
    let engine = engine("");
    let b = Browser::open(&engine, "login", &progs);
    b.goto("/");
    b.wait("#login-form");
    b.wait("#login-user");
    b.wait("#login-password");
    assert_eq!(
        b.session.execute("return document.title", vec![]),
        json!("callscope: log in")
    );
    assert!(b.nav().is_empty(), "no page links before login");
    b.assert_clean_console("loading the login page");

    // Headers: CSP on the page and its modules, the right types, revalidation.
    let csp = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    for (path, ctype) in [
        ("/", "text/html"),
        ("/ui/js/app.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let (status, h) = headers(&engine, path, &[]);
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
        assert_eq!(get("x-frame-options"), "DENY", "{path}");
        assert_eq!(get("cache-control"), "no-cache", "{path}");
        let etag = get("etag");
        assert!(!etag.is_empty(), "{path}: ETag");
        let (again, _) = headers(&engine, path, &[&format!("If-None-Match: {etag}")]);
        assert_eq!(again, 304, "{path} revalidates");
    }
    assert_eq!(headers(&engine, "/ui/nope.js", &[]).0, 404);
    assert_eq!(headers(&engine, "/nope", &[]).0, 404);
    // API answers are not cached.
    let (_, h) = headers(&engine, "/api/v1/auth/me", &[]);
    assert!(h.contains(&("cache-control".into(), "no-store".into())));
}

/// The console check is not vacuous: an inline script and a style attribute, which the CSP
/// refuses, are reported.
#[test]
fn console_check_reports_a_csp_violation() {
    let Some(progs) = browser_programs() else {
        return;
    };
    let engine = engine("");
    let b = Browser::open(&engine, "csp", &progs);
    b.goto("/");
    b.wait("#login-form");
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

/// The built-in admin logs in with the one-time password, is forced to change it (and can do
/// nothing else before), then searches calls, opens the B2BUA call, reads the ladder of its
/// three legs, clicks an arrow for the raw SIP message, walks the ladder with the keyboard,
/// and downloads the call as pcapng.
#[test]
fn admin_is_forced_to_change_password_then_searches_opens_the_ladder_and_downloads_pcap() {
    let Some(progs) = browser_programs() else {
        return;
    };
    let engine = engine("");
    let b = Browser::open(&engine, "admin", &progs);
    b.goto("/");
    b.login("admin", &engine.initial_password());

    // Forced password change: the page says why, no other page is offered, the API refuses.
    b.wait("#pw-form");
    assert!(b.text("#pw-forced").contains("admin"));
    assert!(b.nav().is_empty(), "no page links before the change");
    assert_eq!(b.fetch_status("GET", "/api/v1/calls"), 403);
    b.goto("/#/calls");
    b.wait("#pw-form");
    // A mismatch is caught in the page; a weak password by the server's policy.
    b.session.fill("#pw-current", &engine.initial_password());
    b.session.fill("#pw-new", NEW_ADMIN_PASSWORD);
    b.session.fill("#pw-again", "something else");
    b.click("#pw-submit");
    b.wait_text("#pw-error", "differ");
    b.session.fill("#pw-new", "short");
    b.session.fill("#pw-again", "short");
    b.click("#pw-submit");
    let policy = b.session.wait_until("the server's policy message", 30, || {
        let t = b.session.text(&b.session.try_find("#pw-error")?);
        (!t.is_empty() && !t.contains("differ")).then_some(t)
    });
    assert!(policy.contains("12"), "the policy rule is shown: {policy}");
    b.session.fill("#pw-new", NEW_ADMIN_PASSWORD);
    b.session.fill("#pw-again", NEW_ADMIN_PASSWORD);
    b.click("#pw-submit");
    b.assert_clean_console("the forced password change");

    // Now the pages open.
    b.wait("#search-form");
    let nav = b.nav();
    for page in ["Calls", "Users", "API keys", "Audit"] {
        assert!(nav.iter().any(|n| n == page), "{page} in {nav:?}");
    }
    let mut admin = Client::anonymous(engine.https);
    assert_eq!(admin.login("admin", NEW_ADMIN_PASSWORD).0, 200);
    wait_calls(&admin);

    // Search: everything, then the callee with a wildcard.
    b.click("#search-submit");
    b.wait_text("#result-count", "2 calls");
    assert_eq!(b.count("#calls-table tbody tr"), 2);
    // Paging with the API's cursor, both ways.
    b.goto("/#/calls?limit=1");
    b.wait_text("#result-count", "1 call, page 1");
    let first = b.text("#calls-table tbody");
    b.click("#page-next");
    b.wait_text("#result-count", "page 2");
    assert_ne!(b.text("#calls-table tbody"), first);
    b.click("#page-prev");
    b.wait_text("#result-count", "page 1");
    assert_eq!(b.text("#calls-table tbody"), first);
    b.goto("/#/calls");
    b.wait_text("#result-count", "2 calls");
    b.session.fill("#q-number", "+4420*");
    b.click("#search-submit");
    b.wait_text("#result-count", "1 call,");
    assert!(b.text("#calls-table").contains(CALLEE));
    assert!(
        b.session.url().contains("number=%2B4420*") || b.session.url().contains("number=+4420*")
    );
    b.assert_clean_console("the search");

    // The call: KPIs, one ladder for the three legs.
    b.click("#calls-table tbody tr");
    b.wait("#ladder");
    let kpis = b.text("#kpis");
    assert!(kpis.contains("200") && kpis.contains("55 ms"), "{kpis}");
    assert_eq!(b.count("#legend li"), 3, "three legs, one colour each");
    assert_eq!(
        b.count("#ladder g.host-col"),
        4,
        "hosts 10.1.0.1 to 10.1.0.4"
    );
    let hosts: Vec<String> = b
        .session
        .find_all("#ladder g.host-col")
        .iter()
        .map(|e| b.session.attr(e, "data-host").unwrap())
        .collect();
    assert_eq!(
        hosts,
        [
            "10.1.0.1:5060",
            "10.1.0.2:5060",
            "10.1.0.3:5060",
            "10.1.0.4:5060"
        ],
        "columns in order of first appearance"
    );
    let arrows = b.session.find_all("#ladder g.msg");
    assert_eq!(arrows.len(), 18, "6 messages per leg");
    let legs: std::collections::BTreeSet<String> = arrows
        .iter()
        .map(|e| b.session.attr(e, "class").unwrap())
        .filter_map(|c| {
            c.split(' ')
                .find(|x| x.starts_with("leg-"))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(legs.len(), 3, "arrows coloured by Call-ID: {legs:?}");
    assert_eq!(b.count("#streams-table tbody tr"), 6);
    // The legend highlights one leg (the others dimmed), and back.
    b.click("#legend li[data-call-id='b2b-leg-2@10.1.0.2']");
    assert_eq!(b.count("#ladder g.msg.dim"), 12);
    b.click("#legend li[data-call-id='b2b-leg-2@10.1.0.2']");
    assert_eq!(b.count("#ladder g.msg.dim"), 0);
    // Quality over time, from each stream's series.
    for chart in ["#chart-mos", "#chart-loss", "#chart-jitter"] {
        b.wait(chart);
    }
    assert_eq!(b.count("#chart-jitter g.series"), 6, "one line per stream");

    // Click an arrow: its raw message in the side panel.
    b.session.click(&arrows[0]);
    let raw = b.wait_text("#raw-message", "INVITE sip:");
    assert!(
        raw.starts_with(&format!("INVITE sip:{CALLEE}@10.1.0.2 SIP/2.0")),
        "{raw}"
    );
    assert!(raw.contains("Call-ID: b2b-leg-1@10.1.0.1"));
    assert!(b.text("#msg-panel").contains("10.1.0.1:5060"));
    // Keyboard: j selects the next message (the B2BUA's INVITE on leg 2), Escape closes.
    b.session.press_key("j");
    b.wait_text("#raw-message", "Call-ID: b2b-leg-2@10.1.0.2");
    b.snap("call-detail");
    b.session
        .execute("document.getElementById('charts').scrollIntoView()", vec![]);
    b.snap("call-quality");
    b.session.execute("window.scrollTo(0, 0)", vec![]);
    b.session.press_key("\u{E00C}");
    b.session.wait_until("the panel to close", 10, || {
        (!b.session.displayed(&b.session.try_find("#msg-panel")?)).then_some(())
    });
    b.assert_clean_console("the ladder");

    // Download the call as pcapng (RFC-less, but the pcapng Section Header Block magic).
    b.click("#pcap");
    let file = b.downloaded(60);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(
        bytes.get(..4),
        Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]),
        "{} is pcapng",
        file.display()
    );
    b.assert_clean_console("the pcap download");

    // Log out: back to the login page, the session is gone.
    b.click("#logout");
    b.wait("#login-form");
    assert_eq!(b.fetch_status("GET", "/api/v1/auth/me"), 401);
    b.assert_clean_console("logging out");
}

/// A monitor sees calls with masked numbers, cannot export them, is refused the admin
/// pages in the UI and by the server.
#[test]
fn monitor_is_refused_admin_pages_sees_masked_numbers_and_cannot_export() {
    let Some(progs) = browser_programs() else {
        return;
    };
    let engine = engine("");
    let admin = engine.admin(NEW_ADMIN_PASSWORD);
    engine.user(&admin, "watcher", "monitor", None, MONITOR_PASSWORD);
    wait_calls(&admin);

    let b = Browser::open(&engine, "monitor", &progs);
    b.goto("/#/calls?status=2xx");
    b.login("watcher", MONITOR_PASSWORD);
    b.wait("#search-form");
    assert_eq!(b.nav(), ["Calls", "Status"], "a monitor's pages");
    b.wait_text("#result-count", "1 call,");
    let table = b.text("#calls-table");
    assert!(!table.contains(CALLEE), "numbers are masked: {table}");
    assert!(
        table.contains("+44********67"),
        "the page shows what it gets: {table}"
    );
    // A wildcard would read numbers digit by digit: refused, and the page says why.
    b.session.fill("#q-number", "+4420*");
    b.click("#search-submit");
    b.wait_text("#search-error", "numbers:view");
    b.goto("/#/calls?status=2xx");
    b.wait_text("#result-count", "1 call,");

    // The call: no export, masked numbers in the raw messages too.
    b.click("#calls-table tbody tr");
    b.wait("#ladder");
    assert!(
        b.session.try_find("#pcap").is_none(),
        "no pcap button without calls:export"
    );
    assert_eq!(
        b.fetch_status("GET", &format!("/api/v1/calls/{}/pcap", call_id(&b))),
        403
    );
    let arrows = b.session.find_all("#ladder g.msg");
    b.session.click(&arrows[0]);
    let raw = b.wait_text("#raw-message", "INVITE");
    assert!(
        !raw.contains(CALLEE),
        "numbers are masked in the raw message: {raw}"
    );
    b.snap("monitor-call");
    b.assert_clean_console("the monitor's call view");

    // Admin pages: refused in the UI, and by the server whatever the UI does.
    for (page, perm) in [
        ("admin/users", "users:manage"),
        ("admin/audit", "audit:read"),
        ("admin/pki", "pki:view"),
        ("admin/tenants", "config:manage"),
        ("keys", "keys:own"),
    ] {
        b.goto(&format!("/#/{page}"));
        let t = b.wait_text("#forbidden", "Not allowed");
        assert!(t.contains(perm), "{page}: {t}");
    }
    for path in [
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/keys",
        "/api/v1/tenants",
    ] {
        assert_eq!(b.fetch_status("GET", path), 403, "{path}");
    }
    b.assert_clean_console("the refused pages");
}

/// The id of the call the page shows (from its URL).
fn call_id(b: &Browser) -> String {
    let url = b.session.url();
    url.rsplit('/').next().unwrap().to_owned()
}

/// The admin pages: a user created with a temporary password shown once, reset and deleted;
/// an API key created (shown once), rotated and revoked; the audit log lists all of it.
#[test]
fn admin_manages_users_and_api_keys_and_reads_the_audit_log() {
    let Some(progs) = browser_programs() else {
        return;
    };
    let engine = engine("");
    let _admin = engine.admin(NEW_ADMIN_PASSWORD);
    let b = Browser::open(&engine, "pages", &progs);
    b.goto("/");
    b.login("admin", NEW_ADMIN_PASSWORD);
    b.wait("#search-form");

    // Users.
    b.goto("/#/admin/users");
    b.wait("#users-table");
    b.session.fill("#new-user-name", "nadia");
    b.click("#new-user-role option[value='operator']");
    b.click("#new-user-submit");
    let temp = b.value("#new-user-secret");
    assert!(temp.len() >= 12, "a temporary password: {temp:?}");
    b.wait("#new-user-secret-copy");
    b.wait_text("#users-table", "nadia");
    let row = b.text("#users-table tr[data-user='nadia']");
    assert!(row.contains("must change password"), "{row}");
    // The temporary password works once, for a password change only.
    let mut nadia = Client::anonymous(engine.https);
    let (st, me) = nadia.login("nadia", &temp);
    assert_eq!(st, 200);
    assert_eq!(me["must_change_password"], true);
    assert_eq!(me["role"], "operator");
    // Reset (two clicks: the button asks again), then delete.
    b.click("#users-table tr[data-user='nadia'] td.row-actions button:nth-of-type(1)");
    b.click("#users-table tr[data-user='nadia'] td.row-actions button:nth-of-type(1)");
    let temp2 = b.value("#reset-secret");
    assert!(temp2.len() >= 12 && temp2 != temp);
    b.click("#users-table tr[data-user='nadia'] button.danger");
    b.click("#users-table tr[data-user='nadia'] button.danger");
    b.session.wait_until("nadia deleted", 30, || {
        b.session
            .try_find("#users-table tr[data-user='nadia']")
            .is_none()
            .then_some(())
    });
    b.assert_clean_console("the users page");

    // API keys: shown once with a copy button and a warning; rotate; revoke.
    b.goto("/#/keys");
    b.wait("#new-key-form");
    b.session.fill("#new-key-name", "grafana");
    b.click("#new-key-submit");
    let key = b.value("#key-secret");
    assert!(b.text("#keys-msg").contains("shown only once"));
    b.wait("#key-secret-copy");
    let with_key = Client::with_key(engine.https, &key);
    assert_eq!(with_key.get("/calls").0, 200, "the new key works");
    b.wait_text("#keys-table", "grafana");
    b.click("#keys-table tbody tr td.row-actions button:nth-of-type(1)");
    b.click("#keys-table tbody tr td.row-actions button:nth-of-type(1)");
    // The page re-renders the secret box: read its value in one go, retrying a stale element.
    let rotated = b.session.wait_until("the rotated key", 30, || {
        let e = b.session.try_find("#key-secret")?;
        let v = b.session.try_property(&e, "value")?;
        let v = v.as_str()?.to_owned();
        (!v.is_empty() && v != key).then_some(v)
    });
    assert_eq!(with_key.get("/calls").0, 401, "the old key no longer works");
    assert_eq!(
        Client::with_key(engine.https, &rotated).get("/calls").0,
        200
    );
    b.click("#keys-table tbody tr button.danger");
    b.click("#keys-table tbody tr button.danger");
    b.wait_text("#keys-msg", "revoked");
    assert_eq!(
        Client::with_key(engine.https, &rotated).get("/calls").0,
        401
    );
    b.assert_clean_console("the API keys page");

    // Audit: the table shows what was done, the CSV export downloads.
    b.goto("/#/admin/audit");
    let audit = b.wait_text("#audit-table", "user_created");
    for event in [
        "password_reset",
        "user_deleted",
        "key_created",
        "key_rotated",
        "key_revoked",
    ] {
        assert!(audit.contains(event), "{event} in the audit table");
    }
    b.session.fill("#audit-filter", "key_rotated");
    b.session.wait_until("the filter", 10, || {
        (b.count("#audit-table tbody tr") == 1).then_some(())
    });
    b.click("#audit-csv");
    let csv = std::fs::read_to_string(b.downloaded(60)).unwrap();
    assert!(csv.contains("user_created"), "{csv}");
    b.assert_clean_console("the audit page");
}

/// An idle session ends on the server; the next action brings the login page back with the
/// reason, and logging in again returns to the page.
#[test]
fn expired_session_returns_to_login_with_a_message() {
    let Some(progs) = browser_programs() else {
        return;
    };
    let engine = engine("[auth]\nsession_idle_timeout_s = 2\n");
    let _admin = engine.admin(NEW_ADMIN_PASSWORD);
    let b = Browser::open(&engine, "expiry", &progs);
    b.goto("/#/calls?status=2xx");
    b.login("admin", NEW_ADMIN_PASSWORD);
    b.wait("#search-form");
    b.wait("#result-count"); // the page's last request is answered
    // Idle past the timeout (the server decides; this only waits for it).
    std::thread::sleep(Duration::from_secs(3));
    b.click("#search-submit");
    let notice = b.wait_text("#login-notice", "expired");
    assert!(notice.contains("Log in again"), "{notice}");
    b.login("admin", NEW_ADMIN_PASSWORD);
    b.wait("#search-form");
    assert!(
        b.session.url().contains("#/calls?status=2xx"),
        "back to the same page"
    );
    b.assert_clean_console("the session expiry");
}

fn openssl(dir: &Path, args: &[&str]) {
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
}

/// Pastes `text` into a text field (as a paste would: one input, not one key per character).
fn paste(b: &Browser, css: &str, text: &str) {
    let e = b.wait(css);
    b.session.execute(
        "arguments[0].value = arguments[1]; \
         arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        vec![
            json!({ "element-6066-11e4-a52e-4f735466cecf": e.0 }),
            json!(text),
        ],
    );
}

/// The PKI page: certificate status, a CSR with SANs signed by an OpenSSL CA and installed
/// (checked by the engine against its key and the chain), the CA trusted then removed, and
/// a regenerated self-signed certificate.
#[test]
fn admin_pki_page_makes_a_csr_installs_the_signed_certificate_and_edits_the_trust_store() {
    let Some(progs) = browser_programs() else {
        return;
    };
    let engine = engine("");
    let _admin = engine.admin(NEW_ADMIN_PASSWORD);
    let b = Browser::open(&engine, "pki", &progs);
    b.goto("/#/admin/pki");
    b.login("admin", NEW_ADMIN_PASSWORD);
    let status = b.wait_text("#pki-cert", "SHA-256");
    assert!(status.contains("callscope-mediation"), "{status}");
    assert!(status.contains("days left"), "{status}");

    // CSR with SANs.
    b.session.fill("#csr-sans", "ui.example.net, 192.0.2.20");
    b.click("#csr-form button[type='submit']");
    let csr = b.value("#csr-pem");
    assert!(
        csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"),
        "{csr}"
    );
    let d = engine.dir.path();
    std::fs::write(d.join("ui.csr"), &csr).unwrap();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=UI Test Root CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
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
            "ui.csr",
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

    // A certificate for another key is refused with the engine's reason; the chain installs.
    paste(&b, "#cert-pem", &ca);
    b.click("#cert-upload-form button[type='submit']");
    b.wait_text("#pki-msg", "different key");
    paste(&b, "#cert-pem", &format!("{leaf}{ca}"));
    b.click("#cert-upload-form button[type='submit']");
    b.wait_text("#pki-msg", "installed");
    let status = b.wait_text("#pki-cert", "UI Test Root CA");
    assert!(status.contains("ui.example.net"), "{status}");

    // Trust the CA, then remove it.
    paste(&b, "#trust-pem", &ca);
    b.click("#trust-add-form button[type='submit']");
    b.wait_text("#pki-msg", "added");
    let row = b.wait_text("#trust-table", "UI Test Root CA");
    assert!(row.contains("CA"), "{row}");
    b.click("#trust-table tbody tr button.danger");
    b.click("#trust-table tbody tr button.danger");
    b.wait_text("#pki-msg", "refused");
    b.session
        .wait_until("the CA gone from the trust table", 30, || {
            (!b.text("#pki-trust").contains("UI Test Root CA")).then_some(())
        });

    b.assert_clean_console("the PKI page");

    // Regenerate (asks again first). New connections get the new key at once, which this
    // browser is not pinned to: a new browser pinned to the new key sees the new certificate.
    let before = b.text("#pki-cert");
    b.click("#pki-regenerate");
    b.click("#pki-regenerate");
    b.wait_text("#pki-msg", "self-signed");
    drop(b);
    let b = Browser::open(&engine, "pki-after", &progs);
    b.goto("/#/admin/pki");
    b.login("admin", NEW_ADMIN_PASSWORD);
    let status = b.wait_text("#pki-cert", "SHA-256");
    assert!(!status.contains("UI Test Root CA"), "{status}");
    assert!(
        status.contains("Self-signed\nyes") || status.contains("Self-signed yes"),
        "{status}"
    );
    assert_ne!(status, before);
    b.assert_clean_console("the PKI page after regeneration");
}
