//! The ingest and assembly threads. Durability first: a batch is written (synced) before it
//! is acknowledged to its probe and before it feeds call assembly, so a crash loses nothing
//! acknowledged, and a restart rebuilds open calls from the stored open messages.
use crate::storage_adapter::EngineStore;
use callscope_shared::analysis::AnalyzerConfig;
use callscope_shared::analysis::assemble::{AssembledCall, CallAssembler, SipInput};
use callscope_shared::analysis::live::{LivePolicy, StreamReport};
use callscope_shared::analysis::report::SbcQosRecord;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One item from a source.
#[derive(Debug, Clone)]
pub enum Input {
    Sip(SipInput),
    Report(Box<StreamReport>),
    /// An SBC's own QoS view of a call (IPFIX set 268).
    SbcQos(Box<SbcQosRecord>),
    /// An RTCP packet a probe forwarded (HEP type 5), kept with its call for pcap export.
    Rtcp {
        ts: u64,
        flow: callscope_shared::net::Flow,
        call_id: String,
        bytes: Vec<u8>,
    },
}

/// Where an acknowledgement goes: `(spool id, highest durable sequence)`.
pub type AckSender = tokio::sync::mpsc::UnboundedSender<(u64, u64)>;

/// Items from one source, in the source's order.
#[derive(Debug)]
pub struct Batch {
    /// Probe, agent or SBC name (its certificate subject, HEP capture agent, or config name).
    pub source: Arc<str>,
    /// A probe's spool id and each item's sequence number (exactly-once across reconnects).
    pub spool: Option<u64>,
    pub items: Vec<(Option<u64>, Input)>,
    pub ack: Option<AckSender>,
}

/// Counters shown by the status API and logs.
#[derive(Debug, Default)]
pub struct EngineStats {
    pub sip_messages: AtomicU64,
    pub stream_reports: AtomicU64,
    pub sbc_qos: AtomicU64,
    pub rtcp_packets: AtomicU64,
    pub duplicates: AtomicU64,
    pub malformed_sip: AtomicU64,
    pub calls_stored: AtomicU64,
    pub other_stored: AtomicU64,
    pub batches: AtomicU64,
    pub write_errors: AtomicU64,
    pub open_legs: AtomicU64,
    pub open_bytes: AtomicU64,
    pub recovered_messages: AtomicU64,
}

impl EngineStats {
    pub fn snapshot(&self) -> serde_json::Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "sip_messages": g(&self.sip_messages),
            "stream_reports": g(&self.stream_reports),
            "sbc_qos": g(&self.sbc_qos),
            "rtcp_packets": g(&self.rtcp_packets),
            "duplicates_dropped": g(&self.duplicates),
            "malformed_sip": g(&self.malformed_sip),
            "calls_stored": g(&self.calls_stored),
            "other_stored": g(&self.other_stored),
            "batches": g(&self.batches),
            "write_errors": g(&self.write_errors),
            "open_legs": g(&self.open_legs),
            "open_bytes": g(&self.open_bytes),
            "recovered_messages": g(&self.recovered_messages),
        })
    }
}

/// Handle the listeners use to feed the ingest thread.
#[derive(Clone)]
pub struct PipelineHandle {
    tx: Sender<Msg>,
    pub stats: Arc<EngineStats>,
}

enum Msg {
    Batch(Batch),
    /// Store every open call now and answer (end of a pcap import, shutdown).
    Flush(crossbeam_channel::Sender<()>),
}

impl PipelineHandle {
    /// Queues a batch; blocks when the ingest thread is behind (back-pressure to the sockets).
    pub fn send(&self, b: Batch) -> bool {
        self.tx.send(Msg::Batch(b)).is_ok()
    }

    /// Stores every open call and waits until it is durable.
    pub fn flush(&self) {
        let (tx, rx) = bounded(1);
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

/// The store, shared by the ingest thread (messages) and the assembly thread (calls).
type SharedStore = Arc<Mutex<Box<dyn EngineStore>>>;

fn lock(store: &SharedStore) -> std::sync::MutexGuard<'_, Box<dyn EngineStore>> {
    store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The ingest thread: dedup, durable write, acknowledgement. Call assembly runs on its own
/// thread ([`Assembly`]) so acknowledgements never wait for it.
pub struct Pipeline {
    store: SharedStore,
    cursors: HashMap<u64, u64>,
    stats: Arc<EngineStats>,
    rx: Receiver<Msg>,
    to_assembly: Sender<AsmMsg>,
}

/// What the ingest thread hands the assembly thread, in order.
enum AsmMsg {
    Inputs(Vec<(Arc<str>, Input)>),
    Flush(crossbeam_channel::Sender<()>),
}

/// The assembly thread's state: open calls, their timers, and storing finished calls.
struct Assembly {
    store: SharedStore,
    assembler: CallAssembler,
    policy: LivePolicy,
    stats: Arc<EngineStats>,
    rx: Receiver<AsmMsg>,
    /// Latest capture time received, and when: call timers run on capture time advanced by
    /// the wall clock since, so an imported old capture closes calls by its own timeline.
    max_ts: u64,
    max_ts_at: Instant,
    /// Call timers are held until then after a restart with open calls (see `restart_grace`).
    hold_until: Option<Instant>,
}

/// Most items written in one durable write (group commit).
const MAX_GROUP: usize = 20_000;

impl Pipeline {
    /// Opens the pipeline over `store`, replaying the open messages of a previous run. The
    /// returned thread handle ends when every [`PipelineHandle`] is dropped and both threads
    /// have finished their queues.
    pub fn start(
        store: Box<dyn EngineStore>,
        analyzer: AnalyzerConfig,
        policy: LivePolicy,
    ) -> anyhow::Result<(PipelineHandle, std::thread::JoinHandle<()>)> {
        let (tx, rx) = bounded(1024);
        let (to_assembly, asm_rx) = bounded(8);
        let stats = Arc::new(EngineStats::default());
        let store: SharedStore = Arc::new(Mutex::new(store));
        let mut a = Assembly {
            store: store.clone(),
            assembler: CallAssembler::new(analyzer),
            policy,
            stats: stats.clone(),
            rx: asm_rx,
            max_ts: 0,
            max_ts_at: Instant::now(),
            hold_until: None,
        };
        let open = lock(&store).open_inputs()?;
        let n = open.len();
        for input in open {
            a.feed(input);
        }
        a.stats
            .recovered_messages
            .store(n as u64, Ordering::Relaxed);
        if n > 0 {
            a.hold_until = Some(Instant::now() + Duration::from_nanos(a.policy.restart_grace));
            tracing::info!(
                messages = n,
                "recovered open calls from the database after restart"
            );
        }
        let p = Pipeline {
            cursors: HashMap::new(),
            store,
            stats: stats.clone(),
            rx,
            to_assembly,
        };
        let assembly = std::thread::Builder::new()
            .name("assembly".into())
            .spawn(move || a.run())?;
        let join = std::thread::Builder::new()
            .name("ingest".into())
            .spawn(move || {
                p.run();
                let _ = assembly.join();
            })?;
        Ok((PipelineHandle { tx, stats }, join))
    }

    fn run(mut self) {
        loop {
            match self.rx.recv() {
                Ok(Msg::Batch(b)) => {
                    let mut group = vec![b];
                    let mut n: usize = group.iter().map(|b| b.items.len()).sum();
                    // Group commit: take what is already queued, up to a bound.
                    while n < MAX_GROUP {
                        match self.rx.try_recv() {
                            Ok(Msg::Batch(b)) => {
                                n += b.items.len();
                                group.push(b);
                            }
                            Ok(Msg::Flush(done)) => {
                                self.commit(std::mem::take(&mut group));
                                let _ = self.to_assembly.send(AsmMsg::Flush(done));
                            }
                            Err(_) => break,
                        }
                    }
                    self.commit(group);
                }
                Ok(Msg::Flush(done)) => {
                    let _ = self.to_assembly.send(AsmMsg::Flush(done));
                }
                // Shutdown: open calls stay open in the database and resume at restart.
                Err(_) => return,
            }
        }
    }

    /// Dedups, writes durably, acknowledges, then hands the inputs to assembly.
    fn commit(&mut self, group: Vec<Batch>) {
        if group.is_empty() {
            return;
        }
        let mut fresh: Vec<(Arc<str>, Input)> = Vec::new();
        let mut acks: Vec<(AckSender, u64, u64)> = Vec::new();
        let mut cursor_updates: HashMap<u64, u64> = HashMap::new();
        for b in group {
            self.stats.batches.fetch_add(1, Ordering::Relaxed);
            let mut high = None;
            for (seq, input) in b.items {
                if let (Some(spool), Some(seq)) = (b.spool, seq) {
                    if !self.cursors.contains_key(&spool) {
                        match lock(&self.store).cursor(spool) {
                            Ok(c) => {
                                self.cursors.insert(spool, c.unwrap_or(0));
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "cannot read ingest cursor");
                            }
                        }
                    }
                    let cur = cursor_updates
                        .get(&spool)
                        .or_else(|| self.cursors.get(&spool))
                        .copied()
                        .filter(|c| *c > 0);
                    if cur.is_some_and(|c| seq <= c) {
                        // Re-sent after a reconnect: already stored.
                        self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                        high = high.max(Some(seq));
                        continue;
                    }
                    cursor_updates.insert(spool, seq);
                    high = high.max(Some(seq));
                }
                fresh.push((b.source.clone(), input));
            }
            if let (Some(spool), Some(high), Some(ack)) = (b.spool, high, b.ack) {
                acks.push((ack, spool, high));
            }
        }
        let cursors: Vec<(u64, u64)> = cursor_updates.iter().map(|(k, v)| (*k, *v)).collect();
        if let Err(e) = lock(&self.store).ingest(&fresh, &cursors) {
            // Not acknowledged: the probe keeps it in its spool and sends it again.
            self.stats.write_errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, items = fresh.len(), "storage write failed; batch not acknowledged");
            return;
        }
        self.cursors.extend(cursor_updates);
        for (ack, spool, seq) in acks {
            let _ = ack.send((spool, seq));
        }
        if !fresh.is_empty() {
            let _ = self.to_assembly.send(AsmMsg::Inputs(fresh));
        }
    }
}

impl Assembly {
    fn run(mut self) {
        let mut last_poll = Instant::now();
        loop {
            match self.rx.recv_timeout(Duration::from_millis(250)) {
                Ok(AsmMsg::Inputs(inputs)) => {
                    for input in inputs {
                        self.feed(input);
                    }
                }
                Ok(AsmMsg::Flush(done)) => {
                    self.flush_all();
                    let _ = done.send(());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let held = self.hold_until.is_some_and(|t| Instant::now() < t);
            if !held && last_poll.elapsed() >= Duration::from_secs(1) {
                last_poll = Instant::now();
                let now = self
                    .max_ts
                    .saturating_add(self.max_ts_at.elapsed().as_nanos() as u64);
                let done = self.assembler.poll(now, &self.policy);
                self.store_calls(done);
                self.update_open();
            }
        }
    }

    fn update_open(&self) {
        let (legs, _, bytes) = self.assembler.open();
        self.stats.open_legs.store(legs as u64, Ordering::Relaxed);
        self.stats.open_bytes.store(bytes as u64, Ordering::Relaxed);
    }

    fn feed(&mut self, (_source, input): (Arc<str>, Input)) {
        match input {
            Input::Sip(m) => {
                self.stats.sip_messages.fetch_add(1, Ordering::Relaxed);
                if m.ts > self.max_ts {
                    self.max_ts = m.ts;
                    self.max_ts_at = Instant::now();
                }
                if self.assembler.on_sip(m).is_none() {
                    self.stats.malformed_sip.fetch_add(1, Ordering::Relaxed);
                }
            }
            Input::Report(r) => {
                self.stats.stream_reports.fetch_add(1, Ordering::Relaxed);
                self.assembler.on_report(*r);
            }
            Input::SbcQos(q) => {
                self.stats.sbc_qos.fetch_add(1, Ordering::Relaxed);
                self.assembler.on_sbc_qos(*q);
            }
            // Stored with the call's messages; the probe's reports carry the RTCP figures.
            Input::Rtcp { .. } => {
                self.stats.rtcp_packets.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn flush_all(&mut self) {
        let done = self.assembler.flush_all();
        self.store_calls(done);
        self.update_open();
    }

    fn store_calls(&mut self, calls: Vec<AssembledCall>) {
        if calls.is_empty() {
            return;
        }
        let (n_calls, n_other) = calls.iter().fold((0, 0), |(c, o), a| {
            if a.group.is_call {
                (c + 1, o)
            } else {
                (c, o + 1)
            }
        });
        match lock(&self.store).finish_calls(&calls) {
            Ok(()) => {
                self.stats
                    .calls_stored
                    .fetch_add(n_calls, Ordering::Relaxed);
                self.stats
                    .other_stored
                    .fetch_add(n_other, Ordering::Relaxed);
            }
            Err(e) => {
                // The messages stay open in the database: the calls are rebuilt at restart.
                self.stats.write_errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, calls = calls.len(), "storing finished calls failed");
            }
        }
    }
}
