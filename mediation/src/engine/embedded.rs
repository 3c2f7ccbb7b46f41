//! The embedded probe: frames captured (or read from a file) in the engine itself run through
//! the probe's live analysis and enter the ingest pipeline like a remote probe's HEP would.
use super::{Batch, Input, PipelineHandle};
use anyhow::Context;
use callscope_shared::analysis::assemble::SipInput;
use callscope_shared::analysis::live::{LiveEvent, LivePolicy};
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::mmap::MappedFile;
use callscope_shared::net::Nanos;
use callscope_shared::wire::capture::{CaptureReader, Frame};
use std::path::Path;
use std::sync::Arc;

const BATCH: usize = 1024;
const SECOND: Nanos = 1_000_000_000;

pub struct EmbeddedProbe {
    analyzer: Analyzer,
    handle: PipelineHandle,
    source: Arc<str>,
    pending: Vec<(Option<u64>, Input)>,
    policy: LivePolicy,
    last_tick: Nanos,
    pub frames: u64,
}

impl EmbeddedProbe {
    pub fn new(
        handle: PipelineHandle,
        cfg: AnalyzerConfig,
        policy: LivePolicy,
        name: &str,
    ) -> Self {
        Self {
            analyzer: Analyzer::new(AnalyzerConfig { live: true, ..cfg }),
            handle,
            source: Arc::from(name),
            pending: Vec::with_capacity(BATCH),
            policy,
            last_tick: 0,
            frames: 0,
        }
    }

    pub fn on_frame(&mut self, f: &Frame<'_>) {
        self.frames += 1;
        let pending = &mut self.pending;
        self.analyzer.on_frame_live(f, &mut |ev| match ev {
            LiveEvent::Sip {
                ts,
                flow,
                transport,
                bytes,
                ..
            } => pending.push((
                None,
                Input::Sip(SipInput {
                    ts,
                    flow,
                    transport,
                    bytes: bytes.to_vec(),
                }),
            )),
            // Kept with its call, as a remote probe's HEP RTCP is (for the pcap export).
            LiveEvent::Rtcp {
                ts,
                flow,
                bytes,
                call_id: Some(call_id),
            } if !call_id.is_empty() => pending.push((
                None,
                Input::Rtcp {
                    ts,
                    flow,
                    call_id: call_id.to_owned(),
                    bytes: bytes.to_vec(),
                },
            )),
            LiveEvent::Rtcp { .. } => {}
        });
        if f.ts >= self.last_tick + SECOND {
            self.last_tick = f.ts;
            self.tick(f.ts);
        }
        if self.pending.len() >= BATCH {
            self.send();
        }
    }

    /// Periodic reports and pruning at capture time `now`.
    pub fn tick(&mut self, now: Nanos) {
        let pending = &mut self.pending;
        let mut push = |r| pending.push((None, Input::Report(Box::new(r))));
        self.analyzer.poll_reports(now, &self.policy, &mut push);
        self.analyzer.prune(now, &self.policy, &mut push);
    }

    fn send(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let items = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
        self.handle.send(Batch {
            source: self.source.clone(),
            spool: None,
            items,
            ack: None,
        });
    }

    /// End of input: every stream's final report, then every open call stored.
    pub fn finish(mut self) {
        let end = self
            .last_tick
            .saturating_add(self.policy.idle_timeout + self.policy.stream_idle);
        let pending = &mut self.pending;
        self.analyzer.prune(end, &self.policy, &mut |r| {
            pending.push((None, Input::Report(Box::new(r))));
        });
        self.send();
        self.handle.flush();
    }
}

/// Imports a capture file through the embedded probe; returns the frames read.
pub fn import_file(
    path: &Path,
    handle: PipelineHandle,
    cfg: AnalyzerConfig,
    policy: LivePolicy,
    name: &str,
) -> anyhow::Result<u64> {
    let map = MappedFile::open(path)
        .with_context(|| format!("cannot open capture '{}'", path.display()))?;
    let reader = CaptureReader::new(map.bytes())
        .with_context(|| format!("'{}' is not a readable capture", path.display()))?;
    let mut probe = EmbeddedProbe::new(handle, cfg, policy, name);
    for item in reader {
        match item {
            Ok(f) => probe.on_frame(&f),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "capture ends early; frames before it were imported");
                break;
            }
        }
    }
    let frames = probe.frames;
    probe.finish();
    Ok(frames)
}

/// Captures on a network interface in this thread until the process stops (the engine's
/// embedded probe), with the probe crate's libpcap capture (TPACKET_V3 ring).
pub fn capture_live(
    interface: &str,
    filter: &str,
    handle: PipelineHandle,
    cfg: AnalyzerConfig,
    policy: LivePolicy,
    name: &str,
) -> anyhow::Result<()> {
    use callscope_probe::config::LiveConfig;
    let live = callscope_probe::capture::LiveCapture::open(&LiveConfig {
        interface: interface.to_owned(),
        filter: filter.to_owned(),
        ..LiveConfig::default()
    })
    .with_context(|| format!("cannot capture on {interface} (needs root or CAP_NET_RAW)"))?;
    let counters = callscope_probe::status::Counters::default();
    let mut probe = EmbeddedProbe::new(handle, cfg, policy, name);
    let wall = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    };
    let mut last_wake = wall();
    let probe_ref = std::cell::RefCell::new(&mut probe);
    live.run(
        &counters,
        |f| {
            probe_ref.borrow_mut().on_frame(f);
            Ok(())
        },
        || {
            // Idle link: reports and timers still run on the wall clock.
            let now = wall();
            if now >= last_wake + SECOND {
                last_wake = now;
                let mut p = probe_ref.borrow_mut();
                p.tick(now);
                p.send();
            }
            Ok(())
        },
    )?;
    probe.finish();
    Ok(())
}
