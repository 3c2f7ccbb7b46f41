//! A small W3C WebDriver client (<https://www.w3.org/TR/webdriver2/>) over a loopback HTTP/1.1
//! connection to Debian's chromedriver, for the browser tests: enough to open pages, find and
//! click elements, type, read text and attributes, run a script, read the browser's console
//! log (chromedriver's `se/log`) and send Chrome DevTools commands (`goog/cdp/execute`).
//! Blocking and dependency-free on purpose: each command is one short request.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One HTTP/1.1 exchange (Connection: close) with a loopback server: (status, JSON body).
pub fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("cannot connect to chromedriver at {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(180))).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    // Read the head, then exactly the body its framing announces (the server may keep the
    // connection open whatever we asked).
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "chromedriver closed the connection mid-response");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("HTTP status line");
    let length = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let done = match length {
            Some(n) => body.len() >= n,
            None if chunked => body.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if let Some(n) = length {
        body.truncate(n);
    } else if chunked {
        body = dechunk(&body);
    }
    let v = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "chromedriver answered non-JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })
    };
    (status, v)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..eol])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 || b.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
}

/// chromedriver on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    pub addr: SocketAddr,
}

impl Driver {
    pub fn start(chromedriver: &Path, log: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = std::fs::File::create(log).unwrap();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            // Local connections only (the default, said explicitly).
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!(
                "--log-path={}",
                log.with_extension("verbose.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut d = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = d.child.try_wait().unwrap() {
                panic!(
                    "chromedriver exited ({st}): {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if TcpStream::connect(addr).is_ok() {
                let (code, v) = http(addr, "GET", "/status", None);
                if code == 200 && v["value"]["ready"] == true {
                    return d;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver not ready in 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver error: the W3C error code and message.
#[derive(Debug)]
pub struct WdError {
    pub error: String,
    pub message: String,
}

/// A browser session; closed (browser quit) when dropped.
pub struct Session {
    addr: SocketAddr,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element(pub String);

impl Session {
    pub fn new(driver: &Driver, capabilities: Value) -> Self {
        let (code, v) = http(
            driver.addr,
            "POST",
            "/session",
            Some(&json!({ "capabilities": { "alwaysMatch": capabilities } })),
        );
        assert_eq!(code, 200, "new session refused: {v}");
        let id = v["value"]["sessionId"].as_str().unwrap().to_owned();
        Self {
            addr: driver.addr,
            id,
        }
    }

    /// One command: `Ok(value)` or the W3C error.
    pub fn try_cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        let full = format!("/session/{}{path}", self.id);
        let body = match (method, body) {
            ("POST", None) => Some(json!({})),
            (_, b) => b,
        };
        let (code, v) = http(self.addr, method, &full, body.as_ref());
        if code == 200 {
            Ok(v["value"].clone())
        } else {
            Err(WdError {
                error: v["value"]["error"].as_str().unwrap_or("?").to_owned(),
                message: v["value"]["message"].as_str().unwrap_or("").to_owned(),
            })
        }
    }

    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {}: {}", e.error, e.message))
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn refresh(&self) {
        self.cmd("POST", "/refresh", None);
    }

    pub fn try_find(&self, css: &str) -> Option<Element> {
        self.try_cmd(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        )
        .ok()
        .and_then(|v| v[ELEMENT].as_str().map(|s| Element(s.to_owned())))
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.cmd(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v[ELEMENT].as_str().map(|s| Element(s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
    }

    /// Polls (every 100 ms, at most `secs`) until `css` matches a displayed element.
    pub fn wait(&self, css: &str, secs: u64) -> Element {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.try_find(css)
                && self.displayed(&e)
            {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "no visible element {css:?} after {secs} s; page text:\n{}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls until `f` gives a value.
    pub fn wait_until<T>(&self, what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {secs} s waiting for {what}; page text:\n{}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn displayed(&self, e: &Element) -> bool {
        self.try_cmd("GET", &format!("/element/{}/displayed", e.0), None)
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    pub fn click(&self, e: &Element) {
        self.cmd("POST", &format!("/element/{}/click", e.0), None);
    }

    pub fn clear(&self, e: &Element) {
        self.cmd("POST", &format!("/element/{}/clear", e.0), None);
    }

    pub fn send_keys(&self, e: &Element, text: &str) {
        self.cmd(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        );
    }

    /// Clears a field, then types into it.
    pub fn fill(&self, css: &str, text: &str) {
        let e = self.wait(css, 20);
        self.clear(&e);
        self.send_keys(&e, text);
    }

    pub fn text(&self, e: &Element) -> String {
        self.try_cmd("GET", &format!("/element/{}/text", e.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn attr(&self, e: &Element, name: &str) -> Option<String> {
        self.cmd("GET", &format!("/element/{}/attribute/{name}", e.0), None)
            .as_str()
            .map(str::to_owned)
    }

    /// A property, or `None` when the element went stale (the page re-rendered it).
    pub fn try_property(&self, e: &Element, name: &str) -> Option<Value> {
        self.try_cmd("GET", &format!("/element/{}/property/{name}", e.0), None)
            .ok()
    }

    pub fn property(&self, e: &Element, name: &str) -> Value {
        self.cmd("GET", &format!("/element/{}/property/{name}", e.0), None)
    }

    /// Runs `script` (a function body) with `args`; WebDriver scripts are not subject to the
    /// page's CSP.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    pub fn page_text(&self) -> String {
        self.try_cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": "return document.body ? document.body.innerText : ''", "args": [] })),
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
    }

    /// Presses and releases a key (W3C Actions), delivered to the focused element.
    pub fn press_key(&self, key: &str) {
        self.cmd(
            "POST",
            "/actions",
            Some(
                json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
                { "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }
            ] }] }),
            ),
        );
        let _ = self.try_cmd("DELETE", "/actions", None);
    }

    /// Sends a Chrome DevTools Protocol command.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    /// The browser console entries since the last call (needs `goog:loggingPrefs`).
    pub fn browser_log(&self) -> Vec<Value> {
        self.cmd("POST", "/se/log", Some(json!({ "type": "browser" })))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn screenshot_png(&self) -> Vec<u8> {
        let b64 = self.cmd("GET", "/screenshot", None);
        base64_decode(b64.as_str().unwrap_or(""))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            let _ = self.try_cmd("DELETE", "", None);
        });
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | u32::from(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
