//! End to end: the real `callscope-mediation serve` and `callscope-probe run` binaries, HEP over
//! mutual TLS (RFC 8446 client authentication), real HEP senders (sngrep, sipgrep), live capture
//! of SIPp calls on loopback, and the HTTPS REST API read with curl. The reference for every
//! figure is `callscope-mediation analyze --format json` on the same capture.
//!
//! Each test has its own temporary directory and free loopback ports, polls the API against a
//! deadline (no fixed sleeps decide a result), and kills every child process it started when
//! it ends, passing or not. Missing corpus files or programs skip with a note, except with
//! CI=true, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

// ---------------------------------------------------------------------------------------------
// Environment: files, programs, binaries.

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn skip(what: &str) {
    assert!(!in_ci(), "{what}: CI must provide it");
    eprintln!("note: {what}; test skipped outside CI");
}

/// A corpus capture from `../shared` (None: skipped, or a failure under CI).
fn corpus(name: &str) -> Option<PathBuf> {
    let p = workspace().join("../shared/corpus/pcaps").join(name);
    if p.exists() {
        return Some(p);
    }
    skip(&format!("{} is missing", p.display()));
    None
}

fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    skip(&format!("program {name} not found in PATH"));
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn mediation() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_callscope-mediation"))
}

fn newest_mtime(p: &Path) -> SystemTime {
    let mut best = SystemTime::UNIX_EPOCH;
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            best = best.max(newest_mtime(&e.path()));
        }
    } else if let Ok(m) = std::fs::metadata(p).and_then(|m| m.modified()) {
        best = m;
    }
    best
}

/// The probe binary beside the engine's (same target directory and profile). `cargo test
/// --workspace --all-targets` builds it; when it is missing or older than its sources (a test
/// of this crate alone), it is built here, once per test binary.
fn probe_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = mediation().parent().unwrap();
        let bin = dir.join("callscope-probe");
        let ws = workspace();
        let sources = ["probe/src", "probe/Cargo.toml", "shared/src", "Cargo.lock"]
            .iter()
            .map(|p| newest_mtime(&ws.join(p)))
            .max()
            .unwrap();
        let fresh = std::fs::metadata(&bin)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= sources);
        if !fresh {
            let profile = match dir.file_name().and_then(|n| n.to_str()) {
                Some("debug") => "dev".to_owned(),
                Some(p) => p.to_owned(),
                None => "dev".to_owned(),
            };
            eprintln!("building callscope-probe ({profile}) for the end-to-end tests");
            let st = Command::new(env!("CARGO"))
                .args(["build", "-p", "callscope-probe", "--bin", "callscope-probe"])
                .arg("--profile")
                .arg(&profile)
                .arg("--target-dir")
                .arg(dir.parent().unwrap())
                .current_dir(&ws)
                .status()
                .expect("cargo runs");
            assert!(st.success(), "cargo build -p callscope-probe failed");
        }
        assert!(bin.exists(), "{} not built", bin.display());
        bin
    })
}

fn free_tcp() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn free_udp() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Polls `f` every 200 ms until it gives a value; panics with `what` after `secs`.
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

// ---------------------------------------------------------------------------------------------
// Child processes.

/// A child process, killed (SIGKILL) and reaped when dropped.
struct Proc {
    child: Child,
    name: String,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &str, mut cmd: Command, log: &Path) -> Self {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        cmd.env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            child,
            name: name.to_owned(),
            log: log.to_path_buf(),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status();
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Waits for the process to end by itself.
    fn wait(&mut self, secs: u64) -> std::process::ExitStatus {
        let name = self.name.clone();
        let log = self.log.clone();
        wait_for(
            &format!("{name} to exit; log {}:\n{}", log.display(), tail(&log)),
            secs,
            || self.exited(),
        )
    }

    /// SIGTERM, then waits for the exit.
    fn terminate(&mut self, secs: u64) -> std::process::ExitStatus {
        self.signal("TERM");
        self.wait(secs)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// With `E2E_KEEP=1` the test directories stay (their paths are printed) for a post-mortem.
fn test_dir() -> tempfile::TempDir {
    let mut d = tempfile::tempdir().unwrap();
    if std::env::var_os("E2E_KEEP").is_some() {
        eprintln!("keeping {}", d.path().display());
        d.disable_cleanup(true);
    }
    d
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ ... final byte in @..~
            for d in it.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn tail(log: &Path) -> String {
    let s = strip_ansi(&std::fs::read_to_string(log).unwrap_or_default());
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// The engine.

struct Engine {
    dir: tempfile::TempDir,
    config: PathBuf,
    hep_tls: SocketAddr,
    sbc_tls: SocketAddr,
    https: SocketAddr,
    /// `curl -H @file`: the API key never shows in a process list.
    auth_header: PathBuf,
    log: PathBuf,
    proc: Option<Proc>,
}

impl Engine {
    /// An engine with its own data directory; `extra` is appended to `[hep]`, `calls` is the
    /// `[calls]` table body.
    fn new(hep_extra: &str, calls: &str) -> Self {
        let dir = test_dir();
        let (hep_tls, sbc_tls, https) = (free_tcp(), free_tcp(), free_tcp());
        let config = dir.path().join("engine.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\n[hep]\ntls_listen = \"{hep_tls}\"\n{hep_extra}\n\
                 [sbc]\ntls_listen = \"{sbc_tls}\"\n[https]\nlisten = \"{https}\"\n\
                 [calls]\n{calls}\n",
                dir.path().join("data")
            ),
        )
        .unwrap();
        // API keys are read when the engine starts: create it first.
        let out = Command::new(mediation())
            .args(["api-key", "create", "e2e", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = String::from_utf8(out.stdout).unwrap();
        let auth_header = dir.path().join("auth.header");
        std::fs::write(
            &auth_header,
            format!("Authorization: Bearer {}\n", key.trim()),
        )
        .unwrap();
        let log = dir.path().join("engine.log");
        Self {
            dir,
            config,
            hep_tls,
            sbc_tls,
            https,
            auth_header,
            log,
            proc: None,
        }
    }

    fn with_defaults() -> Self {
        Self::new("", "linger_s = 1\nidle_timeout_s = 600")
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn start(&mut self) {
        let mut cmd = Command::new(mediation());
        cmd.args(["serve", "--config"]).arg(&self.config);
        self.proc = Some(Proc::spawn("engine", cmd, &self.log));
        let log = self.log.clone();
        wait_for("engine API up", 60, || {
            if let Some(st) = self.proc.as_mut().unwrap().exited() {
                panic!("engine exited ({st}):\n{}", tail(&log));
            }
            self.try_api("/status")
        });
    }

    fn proc(&mut self) -> &mut Proc {
        self.proc.as_mut().expect("engine running")
    }

    /// The engine's log, without terminal colour codes.
    fn log_text(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// `probe-cert issue NAME --out DIR`: key.pem, cert.pem, engine.pem.
    fn issue_probe(&self, name: &str) -> PathBuf {
        let out = self.path(&format!("probe-{name}"));
        let o = Command::new(mediation())
            .args(["probe-cert", "issue", name, "--out"])
            .arg(&out)
            .arg("--config")
            .arg(&self.config)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    }

    fn try_api(&self, path: &str) -> Option<Value> {
        let out = Command::new("curl")
            .args(["-sk", "--max-time", "20", "-H"])
            .arg(format!("@{}", self.auth_header.display()))
            .arg(format!("https://{}/api/v1{path}", self.https))
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        serde_json::from_slice(&out.stdout).ok()
    }

    fn api(&self, path: &str) -> Value {
        let v = self
            .try_api(path)
            .unwrap_or_else(|| panic!("GET {path} failed; log:\n{}", tail(&self.log)));
        assert!(v.get("error").is_none(), "GET {path}: {v}");
        v
    }

    fn status(&self, section: &str, counter: &str) -> u64 {
        self.api("/status")[section][counter].as_u64().unwrap()
    }

    /// Every stored call summary (all pages).
    fn calls(&self) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self.api(&format!("/calls?limit=500{cursor}"));
            all.extend(page["calls"].as_array().unwrap().iter().cloned());
            match page["next"].as_str() {
                Some(n) => cursor = format!("&cursor={n}"),
                None => return all,
            }
        }
    }

    /// Waits until `n` calls are stored, then a little longer to see that no more come
    /// (one ingest poll period); returns the summaries.
    fn wait_calls(&self, n: usize, secs: u64) -> Vec<Value> {
        let mut last = 0;
        wait_for(&format!("{n} stored calls (have {last})"), secs, || {
            let c = self.calls();
            last = c.len();
            (c.len() >= n).then_some(())
        });
        std::thread::sleep(Duration::from_millis(1500));
        self.calls()
    }
}

// ---------------------------------------------------------------------------------------------
// The probe.

enum Source<'a> {
    File { path: &'a Path, speed: &'a str },
    Live { interface: &'a str, filter: &'a str },
}

fn probe_config(
    dir: &Path,
    name: &str,
    engine: SocketAddr,
    tls: &Path,
    src: &Source<'_>,
) -> PathBuf {
    let capture = match src {
        Source::File { path, speed } => {
            format!("[capture.file]\npath = {path:?}\nspeed = {speed}\n")
        }
        Source::Live { interface, filter } => format!(
            "[capture.live]\ninterface = {interface:?}\nfilter = {filter:?}\nbuffer_mib = 8\npromisc = false\n"
        ),
    };
    let cfg = dir.join(format!("probe-{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "[agent]\nname = {name:?}\nreport_interval_secs = 1\n{capture}\
             [engine]\naddress = \"{engine}\"\nserver_name = \"localhost\"\n\
             [tls]\nkey = {:?}\ncert = {:?}\nengine_trust = {:?}\n\
             [spool]\ndir = {:?}\n[status]\nsocket = {:?}\n[privileges]\nuser = \"\"\n",
            tls.join("key.pem"),
            tls.join("cert.pem"),
            tls.join("engine.pem"),
            dir.join(format!("spool-{name}")),
            dir.join(format!("status-{name}.sock")),
        ),
    )
    .unwrap();
    cfg
}

fn start_probe(cfg: &Path, log: &Path) -> Proc {
    let mut cmd = Command::new(probe_bin());
    cmd.args(["run", "--config"]).arg(cfg);
    Proc::spawn("probe", cmd, log)
}

/// The probe's counters, from its status socket.
fn probe_status(socket: &Path) -> Option<Value> {
    let out = Command::new(probe_bin())
        .args(["status", "--socket"])
        .arg(socket)
        .output()
        .ok()?;
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(v["counters"].clone())
}

// ---------------------------------------------------------------------------------------------
// Comparison with `analyze`.

fn analyze(capture: &Path) -> Value {
    let out = Command::new(mediation())
        .args(["analyze", "--format", "json"])
        .arg(capture)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Floats to 6 decimals (both sides print them from the same f64s; rounding only hides the
/// last digit of a JSON round trip).
fn f6(v: &Value) -> String {
    match v.as_f64() {
        Some(f) => format!("{f:.6}"),
        None => v.to_string(),
    }
}

/// What must agree for one call: final status and state, each leg's status and message count,
/// the number of distinct messages, and each stream's figures.
#[derive(Debug, PartialEq, Eq)]
struct CallView {
    final_status: String,
    state: String,
    /// call_id -> (state, final_status, messages)
    legs: BTreeMap<String, (String, String, usize)>,
    messages: usize,
    /// (src, dst, ssrc) -> (packets, lost, max_jitter_ms, mos)
    streams: BTreeMap<StreamKey, StreamFigures>,
}

type StreamKey = (String, String, String);
type StreamFigures = (u64, i64, String, String);

impl CallView {
    /// Two captures of the same packets (the probe's and tcpdump's) stamp them a few
    /// microseconds apart, so jitter (RFC 3550 A.8, from arrival times) may differ in its
    /// last digits: within 0.1 ms, and MOS within 0.05. Everything else must be equal.
    fn same_up_to_timing(&self, o: &Self) -> bool {
        let near = |a: &str, b: &str, tol: f64| match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => (x - y).abs() <= tol,
            _ => a == b,
        };
        (&self.final_status, &self.state, &self.legs, self.messages)
            == (&o.final_status, &o.state, &o.legs, o.messages)
            && self.streams.keys().eq(o.streams.keys())
            && self.streams.values().zip(o.streams.values()).all(
                |((p1, l1, j1, m1), (p2, l2, j2, m2))| {
                    p1 == p2 && l1 == l2 && near(j1, j2, 0.1) && near(m1, m2, 0.05)
                },
            )
    }
}

fn call_view(call: &Value, streams: &[&Value], with_streams: bool) -> CallView {
    let legs = call["legs"].as_array().unwrap();
    let mut msgs = BTreeSet::new();
    let legs = legs
        .iter()
        .map(|l| {
            let m = l["messages"].as_array().unwrap();
            msgs.extend(m.iter().map(|x| x.as_u64().unwrap()));
            (
                l["call_id"].as_str().unwrap().to_owned(),
                (
                    l["state"].to_string(),
                    l["final_status"].to_string(),
                    m.len(),
                ),
            )
        })
        .collect();
    let streams = if with_streams {
        streams
            .iter()
            .map(|s| {
                (
                    (
                        s["src"].as_str().unwrap().to_owned(),
                        s["dst"].as_str().unwrap().to_owned(),
                        s["ssrc"].to_string(),
                    ),
                    (
                        s["packets"].as_u64().unwrap(),
                        s["lost"].as_i64().unwrap(),
                        f6(&s["max_jitter_ms"]),
                        f6(&s["mos"]),
                    ),
                )
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    CallView {
        final_status: call["final_status"].to_string(),
        state: call["state"].to_string(),
        legs,
        messages: msgs.len(),
        streams,
    }
}

fn call_key(call: &Value) -> Vec<String> {
    let mut k: Vec<String> = call["call_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    k.sort();
    k
}

/// Calls of an `analyze` report, keyed by their sorted Call-IDs.
fn reference(report: &Value, with_streams: bool) -> BTreeMap<Vec<String>, CallView> {
    let streams = report["streams"].as_array().unwrap();
    report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mine: Vec<&Value> = streams.iter().filter(|s| s["call"] == c["id"]).collect();
            (call_key(c), call_view(c, &mine, with_streams))
        })
        .collect()
}

/// The engine's calls through the API; `messages` is what `/calls/{id}/messages` returns, so
/// a duplicated message would show (the record's legs count each message once).
fn engine_view(engine: &Engine, with_streams: bool) -> BTreeMap<Vec<String>, CallView> {
    let mut out = BTreeMap::new();
    for s in engine.calls() {
        let id = s["id"].as_str().unwrap();
        let detail = engine.api(&format!("/calls/{id}"));
        let streams: Vec<&Value> = detail["streams"].as_array().unwrap().iter().collect();
        let mut view = call_view(&detail["call"], &streams, with_streams);
        let msgs = engine.api(&format!("/calls/{id}/messages"));
        view.messages = msgs["messages"].as_array().unwrap().len();
        let key = call_key(&detail["call"]);
        assert_eq!(
            key,
            call_key(&s),
            "summary and record name the same Call-IDs"
        );
        assert!(
            out.insert(key.clone(), view).is_none(),
            "call {key:?} stored twice"
        );
    }
    out
}

fn assert_same_calls(engine: &Engine, report: &Value, with_streams: bool) {
    assert_same_calls_by(engine, report, with_streams, |a, b| a == b);
}

fn assert_same_calls_by(
    engine: &Engine,
    report: &Value,
    with_streams: bool,
    same: impl Fn(&CallView, &CallView) -> bool,
) {
    let want = reference(report, with_streams);
    let got = engine_view(engine, with_streams);
    let wk: Vec<_> = want.keys().collect();
    let gk: Vec<_> = got.keys().collect();
    assert_eq!(gk, wk, "the engine's calls are analyze's calls");
    for (k, w) in &want {
        let g = &got[k];
        assert!(same(g, w), "call {k:?}\n engine: {g:?}\nanalyze: {w:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Probe replay -> engine over mutual TLS -> API equals analyze.

fn replay_equals_analyze(capture: &Path) {
    let report = analyze(capture);
    let mut engine = Engine::with_defaults();
    engine.start();
    let tls = engine.issue_probe("probe-a");
    let cfg = probe_config(
        engine.dir.path(),
        "probe-a",
        engine.hep_tls,
        &tls,
        &Source::File {
            path: capture,
            speed: "\"max\"",
        },
    );
    let mut probe = start_probe(&cfg, &engine.path("probe.log"));
    // File mode: the probe exits once the engine acknowledged everything.
    let st = probe.wait(120);
    assert!(st.success(), "probe: {st}\n{}", tail(&probe.log));
    let n = report["calls"].as_array().unwrap().len();
    let calls = engine.wait_calls(n, 60);
    assert_eq!(calls.len(), n);
    for c in &calls {
        assert_eq!(
            c["source"], "probe-a",
            "the source is the probe's certificate name"
        );
    }
    assert_same_calls(&engine, &report, true);
    // The quality series went through HEP and storage unchanged (same capture times).
    let key = |s: &Value| {
        (
            s["src"].to_string(),
            s["dst"].to_string(),
            s["ssrc"].to_string(),
            s["start"].to_string(),
        )
    };
    let want: BTreeMap<_, Value> = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (key(s), s["series"].clone()))
        .collect();
    for c in &calls {
        let detail = engine.api(&format!("/calls/{}", c["id"].as_str().unwrap()));
        for s in detail["streams"].as_array().unwrap() {
            let k = key(s);
            assert!(s["series"]["packets"].is_array(), "{s}");
            assert_eq!(s["series"], want[&k], "series of {k:?}");
        }
    }
    assert_eq!(engine.status("engine", "duplicates_dropped"), 0);
    assert_eq!(engine.status("hep", "malformed"), 0);
    if n > 0 {
        // (With nothing to send, the probe has no reason to connect.)
        assert!(engine.log_text().contains("probe=probe-a"));
    }
}

#[test]
fn replay_b2bua_chain_over_mutual_tls_equals_analyze() {
    replay_equals_analyze(&workspace().join("pcaps/b2bua_chain.pcap"));
}

#[test]
fn replay_sipp_uac_pcap_rtp_echo_over_mutual_tls_equals_analyze() {
    if let Some(p) = corpus("gen_sipp_uac_pcap_rtp_echo.pcap") {
        replay_equals_analyze(&p);
    }
}

#[test]
fn replay_rtp_without_signalling_stores_no_call_like_analyze() {
    // sipp_g711a.pcap is RTP alone: analyze finds no call, and the engine stores none.
    if let Some(p) = corpus("sipp_g711a.pcap") {
        assert!(analyze(&p)["calls"].as_array().unwrap().is_empty());
        replay_equals_analyze(&p);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. A probe the engine does not trust is refused; it keeps its records.

fn untrusted_probe_is_refused(key_cert_dir: &Path, engine: &mut Engine, label: &str) {
    // The probe trusts the real engine (its engine.pem), the engine does not trust the probe.
    let legit = engine.issue_probe(&format!("legit-{label}"));
    let tls = engine.path(&format!("rogue-{label}"));
    std::fs::create_dir_all(&tls).unwrap();
    for f in ["key.pem", "cert.pem"] {
        std::fs::copy(key_cert_dir.join(f), tls.join(f)).unwrap();
    }
    std::fs::copy(legit.join("engine.pem"), tls.join("engine.pem")).unwrap();
    let name = format!("rogue-{label}");
    let cfg = probe_config(
        engine.dir.path(),
        &name,
        engine.hep_tls,
        &tls,
        &Source::File {
            path: &workspace().join("pcaps/b2bua_chain.pcap"),
            speed: "\"max\"",
        },
    );
    let log = engine.path(&format!("{name}.log"));
    let mut probe = start_probe(&cfg, &log);
    let socket = engine.path(&format!("status-{name}.sock"));
    let refused_before = engine
        .log_text()
        .matches("HEP/TLS connection refused")
        .count();
    wait_for(
        &format!("the engine to log a refusal for {label}"),
        60,
        || {
            let n = engine
                .log_text()
                .matches("HEP/TLS connection refused")
                .count();
            (n > refused_before).then_some(())
        },
    );
    let counters = wait_for("the probe's counters", 30, || {
        let c = probe_status(&socket)?;
        (c["spool_records"].as_u64()? > 0 && c["packets"].as_u64()? == 919).then_some(c)
    });
    assert_eq!(counters["acked"], 0, "nothing acknowledged: {counters}");
    assert!(
        probe.exited().is_none(),
        "the probe keeps trying: {}",
        tail(&log)
    );
    probe.terminate(60);
    // The records stay in the spool for the next start.
    let spool = engine.dir.path().join(format!("spool-{name}"));
    let bytes: u64 = std::fs::read_dir(&spool)
        .unwrap()
        .flatten()
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(bytes > 0, "spool {} is empty", spool.display());
}

#[test]
fn probe_with_unknown_certificate_is_refused_and_keeps_its_spool() {
    let mut engine = Engine::with_defaults();
    engine.start();

    // (a) A certificate issued by another engine (its own data directory).
    let other = Engine::with_defaults();
    let foreign = other.issue_probe("foreign");
    untrusted_probe_is_refused(&foreign, &mut engine, "other-engine");

    // (b) A self-signed certificate made with openssl.
    if let Some(openssl) = program("openssl") {
        let dir = engine.path("selfsigned");
        std::fs::create_dir_all(&dir).unwrap();
        let st = Command::new(openssl)
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=selfsigned",
                "-addext",
                "subjectAltName=DNS:selfsigned",
            ])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        untrusted_probe_is_refused(&dir, &mut engine, "openssl");
    }

    assert!(engine.calls().is_empty(), "nothing stored");
    assert_eq!(engine.status("hep", "sessions"), 0, "no HEP session opened");
    assert_eq!(engine.status("hep", "packets"), 0);
    assert_eq!(engine.status("engine", "sip_messages"), 0);
}

// ---------------------------------------------------------------------------------------------
// 3. Cleartext HEP is off by default.

/// Ports of the listening TCP sockets and bound UDP sockets a process owns (its socket
/// inodes matched against /proc/net/{tcp,tcp6,udp,udp6}).
fn own_sockets(pid: u32) -> (BTreeSet<u16>, BTreeSet<u16>) {
    let mut inodes = BTreeSet::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        if let Ok(t) = std::fs::read_link(e.path()) {
            let t = t.to_string_lossy().into_owned();
            if let Some(i) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                inodes.insert(i.to_owned());
            }
        }
    }
    let scan = |files: &[&str], listen_only: bool| {
        let mut ports = BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(format!("/proc/{pid}/net/{f}")).unwrap_or_default();
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split_whitespace().collect();
                let (Some(local), Some(state), Some(inode)) =
                    (cols.get(1), cols.get(3), cols.get(9))
                else {
                    continue;
                };
                if !inodes.contains(*inode) || (listen_only && *state != "0A") {
                    continue;
                }
                let port = local.rsplit(':').next().unwrap();
                ports.insert(u16::from_str_radix(port, 16).unwrap());
            }
        }
        ports
    };
    (scan(&["tcp", "tcp6"], true), scan(&["udp", "udp6"], false))
}

#[test]
fn cleartext_hep_and_sbc_listeners_are_closed_by_default() {
    // The config sets only the TLS and HTTPS addresses; hep.tcp_listen, hep.udp_listen and
    // sbc.tcp_listen keep their defaults (off).
    let mut engine = Engine::with_defaults();
    assert!(
        !std::fs::read_to_string(&engine.config)
            .unwrap()
            .contains("tcp_listen")
    );
    engine.start();
    let (tcp, udp) = own_sockets(engine.proc().pid());
    let want: BTreeSet<u16> = [engine.hep_tls, engine.sbc_tls, engine.https]
        .iter()
        .map(SocketAddr::port)
        .collect();
    assert_eq!(tcp, want, "only the TLS and HTTPS listeners");
    assert!(udp.is_empty(), "no UDP socket (HEP/UDP off): {udp:?}");
    assert!(!engine.log_text().contains("INSECURE"));
}

// ---------------------------------------------------------------------------------------------
// 4. SIGKILL of the engine mid-run: nothing lost, nothing twice.

#[test]
fn engine_killed_mid_run_and_restarted_stores_every_call_once() {
    let Some(capture) = corpus("gen_sipp_tcp_burst.pcap") else {
        return;
    };
    let report = analyze(&capture);
    let n = report["calls"].as_array().unwrap().len();
    assert_eq!(n, 300);
    // Call timers wait 15 s after the restart for the probe to reconnect and re-send.
    let mut engine = Engine::new(
        "",
        "linger_s = 1\nidle_timeout_s = 600\nrestart_grace_s = 15",
    );
    engine.start();
    let tls = engine.issue_probe("burst");
    // 2.5 s of capture replayed at a quarter of its speed: about 10 s of traffic.
    let cfg = probe_config(
        engine.dir.path(),
        "burst",
        engine.hep_tls,
        &tls,
        &Source::File {
            path: &capture,
            speed: "0.25",
        },
    );
    let mut probe = start_probe(&cfg, &engine.path("probe.log"));
    // Kill once part of the traffic (and some finished calls) are stored.
    wait_for("some calls stored before the kill", 60, || {
        (engine.status("engine", "calls_stored") >= 5).then_some(())
    });
    let before = engine.status("engine", "sip_messages");
    engine.proc().kill();
    assert!(probe.exited().is_none(), "the probe was still replaying");
    assert!(before < 1800, "killed mid-run ({before} of 1800 messages)");
    engine.start();
    let st = probe.wait(180);
    assert!(st.success(), "probe: {st}\n{}", tail(&probe.log));
    let calls = engine.wait_calls(n, 120);
    assert_eq!(calls.len(), n);
    assert_same_calls(&engine, &report, true);
    let log = engine.log_text();
    assert!(
        log.matches("HEP/TLS session").count() >= 2,
        "the probe reconnected"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. HEP from real third-party senders; malformed HEP is counted and skipped.

#[test]
fn sngrep_hepv3_over_udp_equals_analyze_and_malformed_tcp_is_counted() {
    let (Some(sngrep), Some(source)) = (
        program("sngrep"),
        corpus("gen_sipp_failures_cancel_register.pcap"),
    ) else {
        return;
    };
    let (udp, tcp) = (free_udp(), free_tcp());
    let dir = test_dir();
    let key = dir.path().join("hep.key");
    std::fs::write(&key, "myHep\n").unwrap();
    let mut engine = Engine::new(
        &format!("udp_listen = \"{udp}\"\ntcp_listen = \"{tcp}\"\nauth_key_file = {key:?}"),
        "linger_s = 1\nidle_timeout_s = 600",
    );
    engine.start();
    assert!(
        engine.log_text().contains("INSECURE"),
        "cleartext listeners are warned about"
    );

    // Garbage, then a HEP3 header whose length is too short, on the cleartext TCP listener.
    {
        use std::io::Write;
        let mut s = TcpStream::connect(tcp).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        s.write_all(b"HEP3\x00\x07\x00\x00\x00\x00\x00\x00\x00")
            .unwrap();
        s.write_all(&[0xff; 300]).unwrap();
    }
    wait_for("hep.malformed > 0", 30, || {
        (engine.status("hep", "malformed") > 0).then_some(())
    });
    assert_eq!(engine.status("engine", "sip_messages"), 0);

    // The engine keeps working: sngrep 1.6 sends the capture's SIP as HEPv3 with password.
    let conf = dir.path().join("sngrep.conf");
    std::fs::write(
        &conf,
        "set eep.send.version 3\nset eep.send.id 2002\nset eep.send.pass myHep\n",
    )
    .unwrap();
    let mut cmd = Command::new(sngrep);
    cmd.arg("-F")
        .arg("-f")
        .arg(&conf)
        .arg("-I")
        .arg(&source)
        .args(["-N", "-q", "-H", &format!("udp:{udp}")]);
    let mut s = Proc::spawn("sngrep", cmd, &dir.path().join("sngrep.log"));
    s.wait(60);
    let report = analyze(&source);
    let n = report["calls"].as_array().unwrap().len();
    assert!(n > 0);
    wait_for("79 SIP messages received", 30, || {
        (engine.status("engine", "sip_messages") == 79).then_some(())
    });
    let calls = engine.wait_calls(n, 60);
    assert_eq!(calls.len(), n);
    assert_same_calls(&engine, &report, false);
    assert_eq!(engine.status("hep", "auth_failures"), 0);
    for c in &calls {
        assert_eq!(c["source"], format!("hep-agent-{}", 2002u32 << 16));
    }
}

#[test]
fn sipgrep_hepv3_over_udp_equals_analyze() {
    let (Some(sipgrep), Some(source)) = (
        program("sipgrep"),
        corpus("gen_sipp_uac_pcap_rtp_echo.pcap"),
    ) else {
        return;
    };
    let udp = free_udp();
    let mut engine = Engine::new(
        &format!("udp_listen = \"{udp}\""),
        "linger_s = 1\nidle_timeout_s = 600",
    );
    engine.start();
    let mut cmd = Command::new(sipgrep);
    cmd.arg("-I")
        .arg(&source)
        .args(["-C", "-H", &format!("udp:{udp}")]);
    let mut s = Proc::spawn("sipgrep", cmd, &engine.path("sipgrep.log"));
    s.wait(60);
    let report = analyze(&source);
    let n = report["calls"].as_array().unwrap().len();
    let calls = engine.wait_calls(n, 60);
    assert_eq!(calls.len(), n);
    // sipgrep sends SIP only: calls and legs agree, there are no streams.
    assert_same_calls(&engine, &report, false);
    for c in &calls {
        let d = engine.api(&format!("/calls/{}", c["id"].as_str().unwrap()));
        assert!(d["streams"].as_array().unwrap().is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Live capture of SIPp calls on loopback.

#[test]
fn live_probe_on_loopback_with_sipp_equals_analyze_of_tcpdump() {
    let (Some(sipp), Some(tcpdump)) = (program("sipp"), program("tcpdump")) else {
        return;
    };
    let media = Path::new("/usr/share/sip-tester");
    if !media.join("g711a.pcap").exists() {
        skip("/usr/share/sip-tester/g711a.pcap (SIPp's media) is missing");
        return;
    }
    if !is_root() {
        skip("live capture needs root");
        return;
    }
    // Own loopback addresses (the whole 127/8 answers on lo), so other traffic on lo (this
    // engine's HEP and HTTPS, other tests' SIPp) stays out of both captures.
    let net = 100 + (std::process::id() % 150) as u8;
    let (uac, uas) = (format!("127.77.{net}.1"), format!("127.77.{net}.2"));
    let filter = format!("net 127.77.{net}.0/24");

    // linger_s = 5: the probe's final stream reports (sent when it stops, right after the
    // last call) reach the engine before it stores the calls.
    let mut engine = Engine::new("", "linger_s = 5\nidle_timeout_s = 600");
    engine.start();
    let tls = engine.issue_probe("live");
    let cfg = probe_config(
        engine.dir.path(),
        "live",
        engine.hep_tls,
        &tls,
        &Source::Live {
            interface: "lo",
            filter: &filter,
        },
    );
    let work = engine.path("sipp");
    std::fs::create_dir_all(&work).unwrap();
    std::os::unix::fs::symlink(media, work.join("pcap")).unwrap();
    let pcap = engine.path("lo.pcap");
    let mut dump = {
        let mut c = Command::new(tcpdump);
        c.args(["-i", "lo", "-s", "0", "-U", "--immediate-mode", "-w"])
            .arg(&pcap)
            .arg(&filter);
        Proc::spawn("tcpdump", c, &engine.path("tcpdump.log"))
    };
    let mut probe = start_probe(&cfg, &engine.path("probe.log"));
    let socket = engine.path("status-live.sock");
    wait_for("the probe and tcpdump listening", 30, || {
        let ok = probe_status(&socket).is_some()
            && engine.log_text().contains("probe=live")
            && std::fs::read_to_string(engine.path("tcpdump.log"))
                .unwrap_or_default()
                .contains("listening on");
        ok.then_some(())
    });

    let mut uas_proc = {
        let mut c = Command::new(&sipp);
        c.current_dir(&work)
            .args([
                "-sn", "uas", "-i", &uas, "-p", "5060", "-mi", &uas, "-mp", "6000",
            ])
            .args(["-rtp_echo", "-nostdin", "-trace_err"]);
        Proc::spawn("sipp uas", c, &engine.path("sipp-uas.log"))
    };
    let mut uac_proc = {
        let mut c = Command::new(&sipp);
        c.current_dir(&work)
            .arg(format!("{uas}:5060"))
            .args(["-sn", "uac_pcap", "-i", &uac, "-p", "5061", "-mi", &uac])
            .args([
                "-m", "2", "-l", "2", "-r", "2", "-nostdin", "-timeout", "60s",
            ]);
        Proc::spawn("sipp uac", c, &engine.path("sipp-uac.log"))
    };
    let st = uac_proc.wait(120);
    assert!(st.success(), "sipp uac: {st}\n{}", tail(&uac_proc.log));
    uas_proc.kill();
    // Stop the captures: the probe sends its final reports and what its spool holds.
    let counters = probe_status(&socket).unwrap();
    let st = probe.terminate(60);
    assert!(st.success(), "probe: {st}\n{}", tail(&probe.log));
    // Its last counters line: the final stream reports were sent and acknowledged.
    let log = strip_ansi(&std::fs::read_to_string(&probe.log).unwrap());
    let last = log.lines().rfind(|l| l.contains(" counters ")).unwrap();
    assert!(last.contains(" spool_records=0 "), "{last}");
    dump.terminate(30);

    let report = analyze(&pcap);
    let n = report["calls"].as_array().unwrap().len();
    assert_eq!(n, 2, "SIPp made two calls");
    assert!(!report["streams"].as_array().unwrap().is_empty());
    assert_eq!(counters["kernel_drops"], 0, "{counters}");
    let calls = engine.wait_calls(n, 60);
    assert_eq!(calls.len(), n);
    // Both captures saw the same packets on lo (no kernel drop above, tcpdump -U): the same
    // calls, legs, messages, stream packet and loss counts; jitter and MOS up to the capture
    // timestamps' difference.
    assert_same_calls_by(&engine, &report, true, CallView::same_up_to_timing);
}
