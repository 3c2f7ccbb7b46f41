//! `callscope-mediation analyze FILE...`: the whole analysis of captures, offline.
mod input;
mod ladder;
mod table;

use anyhow::{Context, bail};
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Output format: a table of calls for people, or one JSON document for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Include every SIP message (in capture order) in the JSON output.
    #[arg(long)]
    pub messages: bool,
    /// Print the ladder diagram of the call with this Call-ID (any of its legs).
    #[arg(long, value_name = "CALL-ID")]
    pub call: Option<String>,
    /// Also find RTP streams whose SIP is not in the capture (content heuristic, as tshark's
    /// rtp.heuristic_rtp).
    #[arg(long)]
    pub rtp_heuristic: bool,
    /// Do not link B2BUA legs by number/timing/address when no correlation header links them.
    #[arg(long)]
    pub no_leg_heuristic: bool,
    /// Extra correlation header names that link B2BUA legs (repeatable), besides Session-ID,
    /// X-CID, P-Charging-Vector and X-Call-ID.
    #[arg(long = "correlation-header", value_name = "NAME")]
    pub correlation_headers: Vec<String>,
    /// Show progress on stderr (default: only when stderr is a terminal).
    #[arg(long)]
    pub progress: bool,
    /// Capture files (pcap or pcapng). Several files are merged by capture time.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let mut cfg = AnalyzerConfig {
        rtp_heuristic: args.rtp_heuristic,
        ..AnalyzerConfig::default()
    };
    cfg.correlation.heuristic = !args.no_leg_heuristic;
    for h in &args.correlation_headers {
        cfg.correlation.headers.push(h.to_ascii_lowercase());
    }
    let mut analyzer = Analyzer::new(cfg);
    let captures = input::open_all(&args.files)?;
    let show_progress = args.progress || std::io::IsTerminal::is_terminal(&std::io::stderr());
    let warnings = input::feed(&captures, &mut analyzer, show_progress)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut report = analyzer.finish();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(id) = &args.call {
        let Some(call) = report
            .calls
            .iter()
            .find(|c| c.call_ids.iter().any(|c| c == id))
        else {
            let other = report.other.iter().any(|o| &o.call_id == id);
            if other {
                bail!(
                    "Call-ID '{id}' is not a call (no INVITE); run with --format json --messages to see its messages"
                );
            }
            bail!(
                "no call with Call-ID '{id}' in the capture; run without --call to list the calls"
            );
        };
        if args.format == Format::Json {
            serde_json::to_writer_pretty(&mut out, call)?;
            writeln!(out)?;
        } else {
            ladder::write(&mut out, &report, call)?;
        }
        return out.flush().context("writing to stdout");
    }
    match args.format {
        Format::Json => {
            if !args.messages {
                report.messages = None;
            }
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Table => table::write(&mut out, &report)?,
    }
    out.flush().context("writing to stdout")
}
