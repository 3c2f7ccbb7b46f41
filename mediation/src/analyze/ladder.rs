//! A call's ladder diagram in the terminal: one column per address, one arrow per message,
//! with the SDP media lines under the messages that carry SDP.
use callscope_shared::analysis::report::{CallRecord, Report};
use callscope_shared::calls::LinkReason;
use callscope_shared::net::Endpoint;
use std::io::{self, Write};

const COL: usize = 30;

pub fn write(out: &mut impl Write, r: &Report, call: &CallRecord) -> io::Result<()> {
    let Some(messages) = r.messages.as_ref() else {
        return writeln!(out, "(no messages kept)");
    };
    let mut ids: Vec<usize> = call
        .legs
        .iter()
        .flat_map(|l| l.messages.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let msgs: Vec<_> = ids.iter().filter_map(|&i| messages.get(i)).collect();
    let mut hosts: Vec<Endpoint> = Vec::new();
    for m in &msgs {
        for e in [m.src, m.dst] {
            if !hosts.contains(&e) {
                hosts.push(e);
            }
        }
    }
    writeln!(
        out,
        "Call {} -> {}  ({})",
        call.from,
        call.to,
        call.call_ids.join(" + ")
    )?;
    for leg in &call.legs {
        let link = match &leg.link {
            LinkReason::Root => "first leg".to_owned(),
            LinkReason::Header(name, value) => format!("linked by {name}: {value}"),
            LinkReason::Heuristic(why) => format!("linked by heuristic: {why}"),
        };
        let status = leg
            .final_status
            .map_or_else(String::new, |s| format!(" {s}"));
        writeln!(
            out,
            "  leg {}: {}{status} ({link})",
            leg.call_id,
            super::table::serde_plain(&leg.state)
        )?;
        for s in leg.streams.iter().filter_map(|&i| r.streams.get(i)) {
            let mos = s.mos.map_or_else(
                || format!("- ({})", s.mos_reason.as_deref().unwrap_or("n/a")),
                |m| format!("{m:.2}"),
            );
            writeln!(
                out,
                "    RTP {} -> {} {} {}: {} pkts, lost {}, max jitter {:.3} ms, max delta {:.3} ms, MOS {mos}",
                s.src, s.dst, s.ssrc, s.codec, s.packets, s.lost, s.max_jitter_ms, s.max_delta_ms
            )?;
        }
    }
    writeln!(out)?;
    let mut header = format!("{:>12}  ", "time");
    for h in &hosts {
        header.push_str(&format!("{:<COL$}", h.to_string()));
    }
    writeln!(out, "{}", header.trim_end())?;
    let base = msgs.first().map_or(0.0, |m| m.time_rel);
    for m in msgs {
        let (Some(a), Some(b)) = (
            hosts.iter().position(|h| *h == m.src),
            hosts.iter().position(|h| *h == m.dst),
        ) else {
            continue;
        };
        let label = match (&m.method, m.status) {
            (Some(method), _) => method.clone(),
            // `200 OK`, from the status line (`SIP/2.0 200 OK`).
            (None, Some(status)) => m
                .first_line
                .split_once(' ')
                .map_or_else(|| status.to_string(), |(_, rest)| rest.to_owned()),
            _ => "?".to_owned(),
        };
        let label = if m.sdp.is_empty() {
            label
        } else {
            format!("{label} (SDP)")
        };
        writeln!(
            out,
            "{:>12.6}  {}",
            m.time_rel - base,
            arrow(a, b, hosts.len(), &label).trim_end()
        )?;
        for line in &m.sdp {
            writeln!(
                out,
                "{:>12}  {}{}",
                "",
                " ".repeat(a.min(b) * COL + 2),
                line
            )?;
        }
    }
    Ok(())
}

/// One row: `|` at every column, and an arrow from column `a` to column `b`, labelled.
fn arrow(a: usize, b: usize, n: usize, label: &str) -> String {
    let width = n.saturating_sub(1) * COL + 1;
    let mut row: Vec<char> = vec![' '; width];
    for i in 0..n {
        if let Some(c) = row.get_mut(i * COL) {
            *c = '|';
        }
    }
    let (lo, hi) = (a.min(b) * COL, a.max(b) * COL);
    if hi > lo + 2 {
        for c in row.iter_mut().take(hi).skip(lo + 1) {
            *c = '-';
        }
        if a < b {
            if let Some(c) = row.get_mut(hi - 1) {
                *c = '>';
            }
        } else if let Some(c) = row.get_mut(lo + 1) {
            *c = '<';
        }
        let text: Vec<char> = format!(" {label} ").chars().collect();
        let span = hi - lo - 3;
        let text = &text[..text.len().min(span)];
        let start = lo + 2 + (span - text.len()) / 2;
        for (k, ch) in text.iter().enumerate() {
            if let Some(c) = row.get_mut(start + k) {
                *c = *ch;
            }
        }
    }
    row.into_iter().collect()
}
