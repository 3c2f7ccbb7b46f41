//! The pcap export and privacy mode over the real HTTPS API of a real engine (RocksDB, TLS,
//! embedded probe importing a capture): the downloaded pcapng opens in tshark with every SIP
//! message and the stored RTCP; a monitor gets masked numbers and names in search results,
//! call records, raw messages and (once granted calls:export) the pcap; an operator gets them
//! as captured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::web::{Client, WebEngine, wait_for};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const ADMIN_PW: &str = "Adm1n-Chosen-Pass";

fn tshark_fields(file: &Path, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args([
        "-n",
        "-o",
        "udp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
        "-r",
    ])
    .arg(file)
    .args(["-Y", filter, "-T", "fields", "-E", "occurrence=a"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark is installed (CI installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Downloads the call's pcap; returns the status, the file and the response headers.
fn download(c: &Client, id: &str, dir: &Path, name: &str) -> (u16, std::path::PathBuf, String) {
    let (st, body, headers) = c.request_full("GET", &format!("/calls/{id}/pcap"), None, &[]);
    let path = dir.join(name);
    std::fs::write(&path, &body).unwrap();
    (st, path, headers)
}

fn raw_messages(c: &Client, id: &str) -> Vec<String> {
    let (st, v) = c.get(&format!("/calls/{id}/messages"));
    assert_eq!(st, 200, "{v}");
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["raw"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn pcap_export_opens_in_tshark_and_privacy_mode_masks_numbers() {
    let capture = common::web::workspace().join("pcaps/vq_xr.pcap");
    let mut e = WebEngine::new(&format!(
        "[capture]\nfile = {capture:?}\nname = \"probe-1\"\n"
    ));
    e.start();
    let admin = e.admin(ADMIN_PW);
    let all = wait_for("imported calls", 60, || {
        let (_, v) = admin.get("/calls");
        let n = v["calls"].as_array().map_or(0, Vec::len);
        (n > 0).then_some(v)
    });
    let call = all["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_ids"][0] == "vq-call-1@198.51.100.1")
        .unwrap_or_else(|| panic!("{all}"));
    let id = call["id"].as_str().unwrap().to_owned();
    let op = e.user(&admin, "op", "operator", None, "Copper-Violet-63");
    let mon = e.user(&admin, "mon", "monitor", None, "Basalt-Willow-28");
    let dir = tempfile::tempdir().unwrap();

    // The operator's download: a pcapng named after the call, every SIP message as stored and
    // the RTCP the probe forwarded, valid checksums.
    let (st, file, headers) = download(&op, &id, dir.path(), "op.pcapng");
    assert_eq!(
        st,
        200,
        "{}",
        std::fs::read_to_string(&file).unwrap_or_default()
    );
    let h = headers.to_ascii_lowercase();
    assert!(
        h.contains("content-type: application/vnd.tcpdump.pcap"),
        "{headers}"
    );
    assert!(
        h.contains(&format!(
            "content-disposition: attachment; filename=\"call-{id}.pcapng\""
        )),
        "{headers}"
    );
    assert!(h.contains("cache-control: no-store"), "{headers}");
    let raw = raw_messages(&op, &id);
    assert!(raw.len() >= 5, "{raw:?}");
    let sip = tshark_fields(&file, "sip", &["sip.Call-ID", "sip.from.user"]);
    assert_eq!(sip.len(), raw.len(), "every stored SIP message: {sip:?}");
    assert!(
        sip.iter()
            .all(|l| l.starts_with("vq-call-1@198.51.100.1\talice")),
        "{sip:?}"
    );
    let original_rtcp = tshark_fields(&capture, "rtcp", &["frame.number"]).len();
    assert!(original_rtcp > 0);
    assert_eq!(
        tshark_fields(&file, "rtcp", &["rtcp.pt"]).len(),
        original_rtcp,
        "the stored RTCP"
    );
    let bad = tshark_fields(
        &file,
        "ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || _ws.malformed",
        &["frame.number"],
    );
    assert!(bad.is_empty(), "{bad:?}");
    // The payloads are the stored bytes.
    let payloads = tshark_fields(&file, "sip", &["udp.payload"]);
    for (p, r) in payloads.iter().zip(&raw) {
        let bytes: Vec<u8> = (0..p.len() / 2)
            .map(|i| u8::from_str_radix(&p[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(String::from_utf8_lossy(&bytes), *r);
    }
    let info = Command::new("capinfos").arg(&file).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains(&format!("callscope call {id}, exported ")),
        "{info}"
    );
    assert!(
        info.contains("by op") && !info.contains("numbers masked"),
        "{info}"
    );

    // A monitor may not export (403), and sees masked names in every JSON answer.
    let (st, _, _) = mon.request_full("GET", &format!("/calls/{id}/pcap"), None, &[]);
    assert_eq!(st, 403);
    let (_, v) = mon.get(&format!("/calls/{id}/pcap"));
    assert_eq!(v["code"], "forbidden", "{v}");
    let (st, s) = mon.get("/calls");
    assert_eq!(st, 200);
    let mine = s["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (mine["from"].as_str(), mine["to"].as_str()),
        (Some("***ce"), Some("**b"))
    );
    let (_, c) = mon.get(&format!("/calls/{id}"));
    assert_eq!(c["call"]["from"], "sip:***ce@198.51.100.1", "{c}");
    assert_eq!(
        c["call"]["legs"][0]["to"]
            .as_str()
            .map(|t| t.starts_with("sip:**b@")),
        Some(true)
    );
    assert_eq!(c["summary"]["from"], "***ce");
    // Streams keep their figures and series.
    let (_, c_op) = op.get(&format!("/calls/{id}"));
    assert_eq!(c["streams"], c_op["streams"]);
    assert!(c_op["streams"][0]["series"]["packets"].is_array(), "{c_op}");
    let masked = raw_messages(&mon, &id);
    assert_eq!(masked.len(), raw.len());
    for (m, r) in masked.iter().zip(&raw) {
        assert_eq!(m.len(), r.len(), "same length, same Content-Length");
        let from = m.lines().find(|l| l.starts_with("From:")).unwrap();
        assert!(!from.contains("alice"), "{from}");
        assert!(from.contains("***ce"), "{from}");
    }
    // Numbers are searched whole, never by pattern, without numbers:view.
    let (st, v) = mon.get("/calls?number=ali*");
    assert_eq!((st, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    let (st, v) = mon.get("/calls?number=alice");
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["calls"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(op.get("/calls?number=ali*").0, 200);

    // Granted calls:export but not numbers:view: the pcap is masked, and still valid.
    let (st, v) = admin.patch("/users/mon", &json!({"grants": ["calls:export"]}));
    assert_eq!(st, 200, "{v}");
    let mut mon = Client::anonymous(e.https);
    assert_eq!(mon.login("mon", "Basalt-Willow-28").0, 200);
    let (st, file, _) = download(&mon, &id, dir.path(), "mon.pcapng");
    assert_eq!(st, 200);
    let sip = tshark_fields(
        &file,
        "sip",
        &["sip.from.user", "sip.to.user", "sip.Call-ID"],
    );
    assert_eq!(sip.len(), raw.len());
    for l in &sip {
        assert!(l.starts_with("***ce\t**b\tvq-call-1@198.51.100.1"), "{l}");
    }
    assert_eq!(
        tshark_fields(&file, "rtcp", &["rtcp.pt"]).len(),
        original_rtcp
    );
    let bad = tshark_fields(
        &file,
        "ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || _ws.malformed",
        &["frame.number"],
    );
    assert!(bad.is_empty(), "{bad:?}");
    let info = Command::new("capinfos").arg(&file).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains("by mon; numbers masked"));

    // Unknown call, malformed id.
    assert_eq!(
        op.request_full("GET", &format!("/calls/{}/pcap", "0".repeat(32)), None, &[])
            .0,
        404
    );
    let (st, v) = op.get("/calls/not-an-id/pcap");
    assert_eq!(st, 400, "{v}");
    let _: Value = v;
    e.stop();
}
