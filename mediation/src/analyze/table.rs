//! The default output: one line per call, then the non-call traffic and the totals.
use callscope_shared::analysis::report::Report;
use std::io::{self, Write};

pub fn write(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(
        out,
        "{:<26} {:<22} {:<22} {:<10} {:>5} {:>9} {:>4} {:>7} {:>5}  CALL-ID",
        "START", "FROM", "TO", "STATE", "FINAL", "DUR(s)", "LEGS", "STREAMS", "MOS"
    )?;
    for c in &r.calls {
        writeln!(
            out,
            "{:<26} {:<22} {:<22} {:<10} {:>5} {:>9} {:>4} {:>7} {:>5}  {}",
            c.start.get(..26).unwrap_or(&c.start),
            clip(party(&c.from), 22),
            clip(party(&c.to), 22),
            serde_plain(&c.state),
            c.final_status
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            c.duration_s
                .map_or_else(|| "-".to_owned(), |d| format!("{d:.3}")),
            c.legs.len(),
            c.streams.len(),
            c.worst_mos
                .map_or_else(|| "-".to_owned(), |m| format!("{m:.2}")),
            c.call_ids.join(" + "),
        )?;
    }
    if !r.other.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<26} {:<10} {:<22} {:<22} {:>5} {:>5}  CALL-ID",
            "START", "KIND", "FROM", "TO", "FINAL", "MSGS"
        )?;
        for o in &r.other {
            writeln!(
                out,
                "{:<26} {:<10} {:<22} {:<22} {:>5} {:>5}  {}",
                o.start.get(..26).unwrap_or(&o.start),
                serde_plain(&o.kind),
                clip(party(&o.from), 22),
                clip(party(&o.to), 22),
                o.final_status
                    .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                o.messages,
                o.call_id
            )?;
        }
    }
    let s = &r.summary;
    writeln!(out)?;
    writeln!(
        out,
        "{} packets, {} SIP messages ({} retransmissions), {} calls, {} other Call-IDs, {} RTP streams ({} RTP, {} RTCP packets), {} malformed",
        s.packets,
        s.sip_messages,
        s.sip_retransmissions,
        s.calls,
        r.other.len(),
        s.streams,
        s.rtp_packets,
        s.rtcp_packets,
        s.malformed
    )?;
    Ok(())
}

/// A party as people read it: the URI without its scheme and parameters (`+4420...@host`).
fn party(uri: &str) -> &str {
    let rest = ["sip:", "sips:", "tel:"]
        .iter()
        .find_map(|p| uri.strip_prefix(p))
        .unwrap_or(uri);
    rest.split(';').next().unwrap_or(rest)
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The serde name of a unit enum value (`answered`, `register`, ...).
pub fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}
