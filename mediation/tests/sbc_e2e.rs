//! SBC export end to end (issue #6): the real `callscope-mediation serve` daemon, the real
//! `sbc-export` test exporter over mutual TLS or cleartext TCP on loopback, and the REST API
//! over HTTPS. What the engine stores must be what `analyze` finds in the same capture.
//!
//! The SBC path carries SIP only (IPFIX.md §3: sets 258-261 are SIP copies; media is summarised
//! by QoS set 268, not copied), so stored calls have no RTP streams even when `analyze` finds
//! some in the capture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use callscope_shared::ipfix::{Exporter, Handshake, Message, set_id};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_callscope-mediation");
/// Generous: debug builds on a shared 2-core machine. Never a timing assertion, only a bound
/// on how long a test waits for something that must happen.
const DEADLINE: Duration = Duration::from_secs(90);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(args: &[&str]) -> Output {
    let out = Command::new(BIN).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "$ callscope-mediation {} ({})\n{}{}",
        args.join(" "),
        out.status,
        stdout.get(..400).unwrap_or(&stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "callscope-mediation {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// One engine daemon in a temporary directory; killed when dropped.
struct Engine {
    dir: tempfile::TempDir,
    child: Child,
    sbc_tls: SocketAddr,
    sbc_tcp: Option<SocketAddr>,
    https: SocketAddr,
    api_key: String,
    /// An exporter identity pinned in the engine's trust store (key.pem, cert.pem, engine.pem).
    exporter_dir: PathBuf,
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Engine {
    fn start(cleartext: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sbc_tls: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let sbc_tcp: Option<SocketAddr> =
            cleartext.then(|| format!("127.0.0.1:{}", free_port()).parse().unwrap());
        let https: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let config = dir.path().join("callscope.toml");
        std::fs::write(
            &config,
            format!(
                r#"data_dir = "{data}"
[hep]
tls_listen = ""
[sbc]
tls_listen = "{sbc_tls}"
tcp_listen = "{sbc_tcp}"
[https]
listen = "{https}"
[calls]
linger_s = 1
idle_timeout_s = 5
"#,
                data = dir.path().join("data").display(),
                sbc_tcp = sbc_tcp.map(|a| a.to_string()).unwrap_or_default(),
            ),
        )
        .unwrap();
        let cfg = config.to_str().unwrap();
        let exporter_dir = dir.path().join("sbc1");
        run_ok(&[
            "probe-cert",
            "issue",
            "sbc1",
            "--out",
            exporter_dir.to_str().unwrap(),
            "--config",
            cfg,
        ]);
        let api_key = run_ok(&["api-key", "create", "e2e", "--config", cfg])
            .trim()
            .to_owned();
        assert!(!api_key.is_empty(), "api-key create printed no key");
        let log = std::fs::File::create(dir.path().join("engine.log")).unwrap();
        let child = Command::new(BIN)
            .args(["serve", "--config", cfg])
            .env("CALLSCOPE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut e = Engine {
            dir,
            child,
            sbc_tls,
            sbc_tcp,
            https,
            api_key,
            exporter_dir,
        };
        // Listeners are bound in order (SBC, then HTTPS): the API line means all are up.
        e.wait_for(
            |e| e.log().contains("REST API on https://"),
            "the engine to listen",
        );
        e
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("engine.log")).unwrap_or_default()
    }

    /// Polls `ok` until it holds; fails with the engine log if the engine exits or time runs out.
    fn wait_for(&mut self, mut ok: impl FnMut(&Self) -> bool, what: &str) {
        let start = Instant::now();
        loop {
            if ok(self) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the engine exited ({status}) while waiting for {what}:\n{}",
                    self.log()
                );
            }
            assert!(
                start.elapsed() < DEADLINE,
                "gave up waiting for {what}; engine log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `sbc-export` of `capture` over TLS with the identity in `tls_dir`.
    fn export_tls(&self, tls_dir: &Path, capture: &Path) -> Output {
        run(&[
            "sbc-export",
            "--to",
            &self.sbc_tls.to_string(),
            "--tls-dir",
            tls_dir.to_str().unwrap(),
            "--server-name",
            "localhost",
            capture.to_str().unwrap(),
        ])
    }

    fn export_cleartext(&self, capture: &Path) -> Output {
        run(&[
            "sbc-export",
            "--to",
            &self.sbc_tcp.unwrap().to_string(),
            "--cleartext",
            capture.to_str().unwrap(),
        ])
    }

    /// GET an API path; `None` until the API answers 200.
    fn get(&self, path: &str) -> Option<Value> {
        let url = format!("https://{}{path}", self.https);
        let auth = format!("Authorization: Bearer {}", self.api_key);
        let body = if curl_available() {
            let out = Command::new("curl")
                .args(["-sk", "--fail", "--max-time", "20", "-H", &auth, &url])
                .output()
                .unwrap();
            out.status.success().then_some(out.stdout)?
        } else {
            https_get(&self.exporter_dir, self.https, path, &self.api_key)?
        };
        serde_json::from_slice(&body).ok()
    }

    /// Every stored call (summaries), following `next`.
    fn calls(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let Some(page) = self.get(&format!("/api/v1/calls?limit=1000{cursor}")) else {
                return Vec::new();
            };
            out.extend(page["calls"].as_array().cloned().unwrap_or_default());
            match page["next"].as_str() {
                Some(n) => cursor = format!("&cursor={n}"),
                None => return out,
            }
        }
    }

    fn stored_sip_messages(&self) -> Option<u64> {
        self.get("/api/v1/status")?["engine"]["sip_messages"].as_u64()
    }
}

fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Minimal HTTPS GET with tokio-rustls, pinning the engine certificate (used when there is
/// no curl). HTTP/1.1, `Connection: close`, body read to the end; chunked bodies decoded.
fn https_get(tls_dir: &Path, addr: SocketAddr, path: &str, key: &str) -> Option<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let read = |f: &str| std::fs::read(tls_dir.join(f)).unwrap();
    let trust =
        callscope_shared::pki::TrustSnapshot::from_certificates(&read("engine.pem")).unwrap();
    let cfg = callscope_shared::pki::client_config_from_files(
        &read("key.pem"),
        &read("cert.pem"),
        trust,
        callscope_shared::pki::HostnameCheck::Verify,
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let raw = rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
        let name = rustls::pki_types::ServerName::try_from("localhost").ok()?;
        let mut s = tokio_rustls::TlsConnector::from(cfg)
            .connect(name, tcp)
            .await
            .ok()?;
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        // A peer that closes without close_notify still gave us the whole response.
        let _ = s.read_to_end(&mut buf).await;
        Some(buf)
    })?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return None;
    }
    let body = &raw[split + 4..];
    if !head.contains("transfer-encoding: chunked") {
        return Some(body.to_vec());
    }
    let (mut out, mut rest) = (Vec::new(), body);
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..eol]).ok()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(eol + 2..eol + 2 + size)?);
        rest = rest.get(eol + 4 + size..)?;
    }
}

/// What a call looks like for the comparison: final status, legs, SIP messages.
#[derive(Debug, PartialEq, Eq)]
struct CallShape {
    final_status: Option<u64>,
    legs: usize,
    messages: usize,
}

/// `analyze --format json --messages` of a capture, by sorted Call-ID list; and how many
/// streams it found (the SBC path cannot carry them).
fn analyzed(capture: &Path) -> (BTreeMap<Vec<String>, CallShape>, usize) {
    let json = run_ok(&[
        "analyze",
        "--format",
        "json",
        "--messages",
        capture.to_str().unwrap(),
    ]);
    let r: Value = serde_json::from_str(&json).unwrap();
    let mut calls = BTreeMap::new();
    for c in r["calls"].as_array().unwrap() {
        let mut ids: Vec<String> = c["call_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        let legs = c["legs"].as_array().unwrap();
        let shape = CallShape {
            final_status: c["final_status"].as_u64(),
            legs: legs.len(),
            messages: legs
                .iter()
                .map(|l| l["messages"].as_array().unwrap().len())
                .sum(),
        };
        calls.insert(ids, shape);
    }
    (calls, r["streams"].as_array().unwrap().len())
}

/// The stored calls as the API gives them, by sorted Call-ID list; asserts the SBC source
/// and that no stream came with them.
fn stored(e: &Engine, source: &str) -> BTreeMap<Vec<String>, CallShape> {
    let mut out = BTreeMap::new();
    for s in e.calls() {
        let id = s["id"].as_str().unwrap();
        assert!(
            s["source"].as_str().unwrap().starts_with(source),
            "call {id} from {:?}, expected {source}",
            s["source"]
        );
        let detail = e.get(&format!("/api/v1/calls/{id}")).unwrap();
        assert_eq!(
            detail["streams"].as_array().map(Vec::len),
            Some(0),
            "SIP-only path: call {id} has no stream"
        );
        let msgs = e.get(&format!("/api/v1/calls/{id}/messages")).unwrap();
        let mut ids: Vec<String> = s["call_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        out.insert(
            ids,
            CallShape {
                final_status: s["final_status"].as_u64(),
                legs: detail["call"]["legs"].as_array().unwrap().len(),
                messages: msgs["messages"].as_array().unwrap().len(),
            },
        );
    }
    out
}

/// Exports `capture` over mutual TLS and checks the engine stores exactly the calls `analyze`
/// finds: same Call-IDs, final status, legs and SIP messages per call.
fn tls_export_matches_analyze(capture: &Path) {
    if !common::require(capture) {
        return;
    }
    let (want, streams) = analyzed(capture);
    assert!(!want.is_empty(), "{} has no call", capture.display());
    if streams > 0 {
        eprintln!(
            "note: analyze finds {streams} RTP streams in {}; the SBC export carries SIP only, \
             so none is stored",
            capture.display()
        );
    }
    let mut e = Engine::start(false);
    let out = e.export_tls(&e.exporter_dir.clone(), capture);
    assert!(out.status.success(), "sbc-export over TLS failed");
    e.wait_for(|e| e.calls().len() >= want.len(), "the calls to be stored");
    assert!(
        e.log().contains("SBC handshake"),
        "engine log has no SBC handshake:\n{}",
        e.log()
    );
    let got = stored(&e, "sbc:sbc1");
    assert_eq!(got, want, "stored calls differ from analyze");
}

/// IPFIX.md §3.2 over TLS (RFC 7011 §10.4.1 transport security, mutual authentication):
/// a B2BUA chain (3 legs linked by header, and a 2-leg failed call) over UDP SIP.
#[test]
fn tls_export_of_b2bua_chain_is_stored_as_analyzed() {
    tls_export_matches_analyze(&common::pcaps_dir().join("b2bua_chain.pcap"));
}

/// IPFIX.md §3.3 (set 268): the exporter sends a QoS report per call with media; the engine
/// stores it with the call as the SBC's view (`call.sbc_qos`), figures as sent.
#[test]
fn sbc_qos_report_is_stored_with_its_call() {
    let capture = common::pcaps_dir().join("b2bua_chain.pcap");
    let mut e = Engine::start(false);
    let out = e.export_tls(&e.exporter_dir.clone(), &capture);
    assert!(out.status.success(), "sbc-export over TLS failed");
    e.wait_for(|e| e.calls().len() >= 2, "the calls to be stored");
    let mut with_qos = Vec::new();
    for s in e.calls() {
        let id = s["id"].as_str().unwrap();
        let d = e.get(&format!("/api/v1/calls/{id}")).unwrap();
        if let Some(q) = d["call"]["sbc_qos"].as_array().filter(|q| !q.is_empty()) {
            with_qos.push((s["call_ids"].clone(), q.clone()));
        }
    }
    // Only the answered 3-leg call has media; its first stream has 150 packets, MOS 4.37.
    assert_eq!(with_qos.len(), 1, "{with_qos:?}");
    let q = &with_qos[0].1[0];
    assert_eq!(q["inc_call_id"], "b2b-leg-1@10.1.0.1");
    assert_eq!(q["inc"]["rtp_packets"], 150);
    assert_eq!(q["inc"]["mos"], 4.37);
    assert!(q["source"].as_str().unwrap().starts_with("sbc:"));
}

/// SIP over TCP (sets 260/261, RFC 3261 §18.3 framing) and over UDP in one capture.
#[test]
fn tls_export_of_tcp_framing_is_stored_as_analyzed() {
    tls_export_matches_analyze(&common::pcaps_dir().join("tcp_framing.pcap"));
}

/// Failed calls (486, 503, 404, CANCEL/487; RFC 3261 §9) and REGISTER (not a call).
#[test]
fn tls_export_of_failures_corpus_is_stored_as_analyzed() {
    tls_export_matches_analyze(&common::corpus("gen_sipp_failures_cancel_register.pcap"));
}

/// 300 calls over SIP/TCP from the corpus (RFC 3261 §18.3).
#[test]
fn tls_export_of_tcp_burst_corpus_is_stored_as_analyzed() {
    tls_export_matches_analyze(&common::corpus("gen_sipp_tcp_burst.pcap"));
}

/// An exporter whose certificate is not in the trust store is refused (mutual TLS, RFC 8446
/// §4.4.2.4: the server aborts on a certificate it does not accept); nothing of it is stored,
/// and a pinned exporter is still served afterwards.
#[test]
fn tls_exporter_with_unknown_certificate_is_refused() {
    let mut e = Engine::start(false);
    // A certificate from another engine's issuer, with the right engine pin beside it: the
    // exporter trusts our engine, our engine does not know the exporter.
    let other = e.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let other_cfg = other.join("callscope.toml");
    std::fs::write(
        &other_cfg,
        format!("data_dir = \"{}\"\n", other.join("data").display()),
    )
    .unwrap();
    let rogue = e.dir.path().join("rogue");
    run_ok(&[
        "probe-cert",
        "issue",
        "rogue",
        "--out",
        rogue.to_str().unwrap(),
        "--config",
        other_cfg.to_str().unwrap(),
    ]);
    std::fs::copy(e.exporter_dir.join("engine.pem"), rogue.join("engine.pem")).unwrap();

    let refused = e.export_tls(&rogue, &common::pcaps_dir().join("b2bua_chain.pcap"));
    assert!(
        !refused.status.success(),
        "an exporter with an unknown certificate got through"
    );
    e.wait_for(
        |e| e.log().contains("SBC/TLS connection refused"),
        "the engine to log the refusal",
    );

    // The engine still serves a pinned exporter; once its calls are stored, they are the only
    // ones and every stored SIP message is theirs.
    let good = common::pcaps_dir().join("tcp_framing.pcap");
    let (want, _) = analyzed(&good);
    let out = e.export_tls(&e.exporter_dir.clone(), &good);
    assert!(
        out.status.success(),
        "pinned exporter failed after a refusal"
    );
    e.wait_for(|e| e.calls().len() >= want.len(), "the calls to be stored");
    assert_eq!(stored(&e, "sbc:sbc1"), want);
    let messages: usize = want.values().map(|c| c.messages).sum();
    assert_eq!(e.stored_sip_messages(), Some(messages as u64));
    assert_eq!(
        e.log().matches("SBC handshake").count(),
        1,
        "only the pinned exporter got an IPFIX session"
    );
}

/// Connects; when `handshake` is given, sends it and reads the engine's reply message; then
/// sends `bytes`, half-closes when `half_close`, and reads until the engine closes the
/// connection (EOF or reset). Returns the handshake reply and what came after it.
fn hostile_session(
    addr: SocketAddr,
    handshake: Option<&[u8]>,
    bytes: &[u8],
    half_close: bool,
) -> (Vec<u8>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut reply = Vec::new();
    if let Some(hs) = handshake {
        s.write_all(hs).unwrap();
        let mut head = [0u8; 16];
        s.read_exact(&mut head).unwrap();
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        reply = head.to_vec();
        reply.resize(len.max(16), 0);
        s.read_exact(&mut reply[16..]).unwrap();
    }
    s.write_all(bytes).unwrap();
    if half_close {
        s.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut after = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (reply, after),
            Ok(n) => after.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (reply, after),
            Err(e) => panic!("the engine did not close the hostile session: {e}"),
        }
    }
}

fn handshake_message() -> Vec<u8> {
    let mut ex = Exporter::new(0);
    let mut out = Vec::new();
    let hs = Handshake {
        major: 1,
        minor: 2,
        cflags1: 0x00fc,
        cflags2: 0x7731,
        sflags: 0,
        timeout: 30,
        system_id: 0,
        product: 0x435a,
        sw_major: 7,
        sw_minor: 3,
        sw_revision: 0,
        hostname: b"hostile",
    };
    ex.handshake(&hs, 1_700_000_000, &mut out).unwrap();
    out
}

/// RFC 7011 §10.4.1 / §9.1: a collector closes a TCP session whose message cannot be decoded
/// rather than resynchronise. Garbage, a set overrunning its message, and a message cut by the
/// peer's close each end their session; nothing of them is stored, and a good exporter on the
/// same listener is served afterwards.
#[test]
fn hostile_cleartext_sessions_are_closed_and_the_listener_survives() {
    let mut e = Engine::start(true);
    let tcp = e.sbc_tcp.unwrap();

    // Not IPFIX at all (version 0xabab): closed without waiting for more.
    let (_, got) = hostile_session(tcp, None, &[0xab; 64], false);
    assert!(got.is_empty(), "reply to garbage: {got:?}");

    // A valid handshake (answered with 257), then a message whose set runs past its end.
    let hs = handshake_message();
    let mut bad = Vec::new();
    bad.extend_from_slice(&10u16.to_be_bytes());
    bad.extend_from_slice(&24u16.to_be_bytes()); // message length: header + 8
    bad.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    bad.extend_from_slice(&1u32.to_be_bytes());
    bad.extend_from_slice(&0u32.to_be_bytes());
    bad.extend_from_slice(&258u16.to_be_bytes());
    bad.extend_from_slice(&400u16.to_be_bytes()); // set length beyond the message
    bad.extend_from_slice(&[0; 4]);
    let (reply, got) = hostile_session(tcp, Some(&hs), &bad, false);
    let reply = Message::new_checked(&reply).expect("an IPFIX handshake reply");
    assert_eq!(
        reply.sets().next().unwrap().unwrap().id,
        set_id::HANDSHAKE_ACK
    );
    assert!(got.is_empty(), "reply to a broken message: {got:?}");

    // A handshake, then a message declaring 1000 bytes cut after 40 by the peer's close.
    let mut cut = Vec::new();
    cut.extend_from_slice(&10u16.to_be_bytes());
    cut.extend_from_slice(&1000u16.to_be_bytes());
    cut.extend_from_slice(&[0x5a; 38]);
    let (_, got) = hostile_session(tcp, Some(&hs), &cut, true);
    assert!(got.is_empty(), "reply to a cut message: {got:?}");

    e.wait_for(
        |e| {
            let log = e.log();
            log.matches("SBC session ended with an error").count() >= 2
                && log.contains("connection closed inside an IPFIX message")
        },
        "the engine to log the hostile sessions",
    );

    // The listener still serves a good exporter; only its messages are stored.
    let good = common::pcaps_dir().join("tcp_framing.pcap");
    let (want, _) = analyzed(&good);
    let out = e.export_cleartext(&good);
    assert!(
        out.status.success(),
        "good exporter failed after hostile sessions"
    );
    e.wait_for(|e| e.calls().len() >= want.len(), "the calls to be stored");
    assert_eq!(stored(&e, "sbc:127.0.0.1:"), want);
    let messages: usize = want.values().map(|c| c.messages).sum();
    assert_eq!(e.stored_sip_messages(), Some(messages as u64));
}
