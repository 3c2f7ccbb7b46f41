//! The ingest pipeline's storage on the engine's [`Store`] (RocksDB).
//!
//! Messages get increasing ids as they are written; the adapter remembers which open call
//! (by Call-ID) each belongs to, so a finished call closes exactly its messages. Stream
//! reports of open calls are stored as marked pseudo-messages, so a restart between a
//! stream's final report and its call's end loses nothing either.
use crate::engine::Input;
use crate::storage::{FinishedCall, MsgId, NewMessage, Store, StoredMessage, WriteSet};
use crate::storage_adapter::EngineStore;
use callscope_shared::analysis::assemble::{AssembledCall, SipInput};
use callscope_shared::analysis::live::StreamReport;
use callscope_shared::net::Transport;
use std::collections::HashMap;
use std::sync::Arc;

/// Raw bytes of a stored stream report start with this (never the start of a SIP message).
pub const REPORT_MARK: &[u8] = b"\0callscope-stream-report\0";
/// Raw bytes of a stored SBC QoS report start with this.
pub const QOS_MARK: &[u8] = b"\0callscope-sbc-qos\0";
/// Raw bytes of a stored RTCP packet start with this (then the packet as received).
pub const RTCP_MARK: &[u8] = b"\0callscope-rtcp\0";

/// Stored pseudo-messages (reports, RTCP) are not SIP: the SIP views of the API skip them.
pub fn is_pseudo(raw: &[u8]) -> bool {
    raw.starts_with(REPORT_MARK) || raw.starts_with(QOS_MARK) || raw.starts_with(RTCP_MARK)
}

/// Open message ids of one Call-ID, with the source each came from.
type OpenIds = Vec<(MsgId, Arc<str>)>;

pub struct RocksEngineStore {
    store: Arc<dyn Store>,
    next_id: u64,
    /// Open messages by Call-ID (reports by the Call-ID they name), with their source.
    open: HashMap<String, OpenIds>,
    /// Messages without a Call-ID: closed by the next `open_from` move.
    unlinked: Vec<MsgId>,
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The Call-ID of a SIP message, if it parses.
fn call_id_of(bytes: &[u8]) -> Option<String> {
    let m = callscope_shared::sip::SipMessage::parse(bytes).ok()?;
    let c = m.call_id()?;
    Some(String::from_utf8_lossy(c).into_owned())
}

impl RocksEngineStore {
    pub fn new(store: Arc<dyn Store>) -> Self {
        let next_id = store.next_message_id().0;
        Self {
            store,
            next_id,
            open: HashMap::new(),
            unlinked: Vec::new(),
        }
    }

    fn lowest_open(&self) -> MsgId {
        let open = self
            .open
            .values()
            .filter_map(|v| v.first().map(|(id, _)| id.0))
            .min();
        MsgId(open.unwrap_or(self.next_id))
    }
}

/// A stored message as an engine input (a report pseudo-message back into a report).
pub fn input_of(m: &StoredMessage) -> Option<Input> {
    if let Some(json) = m.raw.strip_prefix(REPORT_MARK) {
        let r: StreamReport = serde_json::from_slice(json).ok()?;
        return Some(Input::Report(Box::new(r)));
    }
    if let Some(json) = m.raw.strip_prefix(QOS_MARK) {
        return Some(Input::SbcQos(Box::new(serde_json::from_slice(json).ok()?)));
    }
    if let Some(bytes) = m.raw.strip_prefix(RTCP_MARK) {
        return Some(Input::Rtcp {
            ts: m.ts,
            flow: callscope_shared::net::Flow {
                src: m.src,
                dst: m.dst,
            },
            call_id: String::from_utf8_lossy(&m.call_id).into_owned(),
            bytes: bytes.to_vec(),
        });
    }
    Some(Input::Sip(SipInput {
        ts: m.ts,
        flow: callscope_shared::net::Flow {
            src: m.src,
            dst: m.dst,
        },
        transport: m.transport,
        bytes: m.raw.clone(),
    }))
}

impl EngineStore for RocksEngineStore {
    fn cursor(&self, spool: u64) -> anyhow::Result<Option<u64>> {
        Ok(self.store.cursor(&format!("{spool:016x}"))?)
    }

    fn open_inputs(&mut self) -> anyhow::Result<Vec<(Arc<str>, Input)>> {
        let mut out = Vec::new();
        for m in self.store.open_messages()? {
            let m = m?;
            if let Some(i) = input_of(&m) {
                let source: Arc<str> = Arc::from(m.source.as_str());
                // Open again, so the call that finishes them after the restart links them.
                if m.call_id.is_empty() {
                    self.unlinked.push(m.id);
                } else {
                    self.open
                        .entry(String::from_utf8_lossy(&m.call_id).into_owned())
                        .or_default()
                        .push((m.id, source.clone()));
                }
                out.push((source, i));
            }
        }
        Ok(out)
    }

    fn ingest(
        &mut self,
        items: &[(Arc<str>, Input)],
        cursors: &[(u64, u64)],
    ) -> anyhow::Result<()> {
        // Report JSON and Call-IDs are made first: NewMessage borrows them.
        let mut owned: Vec<(MsgId, String, Vec<u8>)> = Vec::with_capacity(items.len());
        let mut id = self.next_id;
        for (_, input) in items {
            let (call_id, raw) = match input {
                Input::Sip(m) => (call_id_of(&m.bytes).unwrap_or_default(), Vec::new()),
                Input::Report(r) => {
                    let mut raw = REPORT_MARK.to_vec();
                    serde_json::to_writer(&mut raw, r)?;
                    (r.call_id.clone().unwrap_or_default(), raw)
                }
                Input::SbcQos(q) => {
                    let mut raw = QOS_MARK.to_vec();
                    serde_json::to_writer(&mut raw, q)?;
                    (q.inc_call_id.clone(), raw)
                }
                Input::Rtcp { call_id, bytes, .. } => {
                    let mut raw = RTCP_MARK.to_vec();
                    raw.extend_from_slice(bytes);
                    (call_id.clone(), raw)
                }
            };
            owned.push((MsgId(id), call_id, raw));
            id += 1;
        }
        let unspecified =
            callscope_shared::net::Endpoint::new(std::net::Ipv4Addr::UNSPECIFIED.into(), 0);
        let spools: Vec<String> = cursors.iter().map(|(s, _)| format!("{s:016x}")).collect();
        let messages = items
            .iter()
            .zip(&owned)
            .map(|((source, input), (id, call_id, raw))| match input {
                Input::Sip(m) => NewMessage {
                    id: *id,
                    ts: m.ts,
                    src: m.flow.src,
                    dst: m.flow.dst,
                    transport: m.transport,
                    source,
                    call_id: call_id.as_bytes(),
                    raw: &m.bytes,
                },
                Input::Report(r) => NewMessage {
                    id: *id,
                    ts: r.ts,
                    src: r.stream.src,
                    dst: r.stream.dst,
                    transport: Transport::Udp,
                    source,
                    call_id: call_id.as_bytes(),
                    raw,
                },
                Input::Rtcp { ts, flow, .. } => NewMessage {
                    id: *id,
                    ts: *ts,
                    src: flow.src,
                    dst: flow.dst,
                    transport: Transport::Udp,
                    source,
                    call_id: call_id.as_bytes(),
                    raw,
                },
                Input::SbcQos(_) => NewMessage {
                    id: *id,
                    ts: now_ns(),
                    src: unspecified,
                    dst: unspecified,
                    transport: Transport::Udp,
                    source,
                    call_id: call_id.as_bytes(),
                    raw,
                },
            })
            .collect();
        let set = WriteSet {
            now: now_ns(),
            messages,
            calls: Vec::new(),
            cursors: spools
                .iter()
                .zip(cursors)
                .map(|(s, (_, seq))| (s.as_str(), *seq))
                .collect(),
            open_from: None,
        };
        self.store.write(&set)?;
        self.next_id = id;
        for ((source, _), (id, call_id, _)) in items.iter().zip(owned) {
            if call_id.is_empty() {
                self.unlinked.push(id);
            } else {
                self.open
                    .entry(call_id)
                    .or_default()
                    .push((id, source.clone()));
            }
        }
        Ok(())
    }

    fn finish_calls(&mut self, calls: &[AssembledCall]) -> anyhow::Result<()> {
        let mut finished = Vec::new();
        let mut closed: Vec<(String, OpenIds)> = Vec::new();
        for c in calls {
            let mut ids: Vec<MsgId> = Vec::new();
            let mut source: Option<Arc<str>> = None;
            for cid in &c.group.call_ids {
                if let Some(v) = self.open.remove(cid) {
                    source = source.or_else(|| v.first().map(|(_, s)| s.clone()));
                    ids.extend(v.iter().map(|(id, _)| *id));
                    closed.push((cid.clone(), v));
                }
            }
            ids.sort_unstable();
            let start = c.messages.iter().map(|m| m.ts).min().unwrap_or(0);
            let end = c.messages.iter().map(|m| m.ts).max().unwrap_or(start);
            let source = source.as_deref().unwrap_or("");
            for record in &c.report.calls {
                finished.push(FinishedCall::from_record(
                    record,
                    &c.report.streams,
                    start,
                    end,
                    source,
                    ids.clone(),
                )?);
            }
        }
        self.unlinked.clear();
        let set = WriteSet {
            now: now_ns(),
            messages: Vec::new(),
            calls: finished,
            cursors: Vec::new(),
            open_from: Some(self.lowest_open()),
        };
        if let Err(e) = self.store.write(&set) {
            // Keep them open: they are retried at the next poll or rebuilt at restart.
            for (cid, v) in closed {
                self.open.insert(cid, v);
            }
            return Err(e.into());
        }
        Ok(())
    }
}
