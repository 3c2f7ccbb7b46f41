//! The engine's call assembly: SIP messages and stream reports arrive one by one (from probes,
//! HEP agents, SBCs, in any order across sources); finished calls come out as the same
//! [`Report`] `analyze` would give for a capture holding just their messages.
//!
//! A live [`Analyzer`] tracks open legs and how they group into calls; when a call is over,
//! its messages (kept here, raw) are replayed through a fresh batch analyzer together with
//! its streams' last reports, so a stored call is computed by exactly `analyze`'s code.
use super::live::{CompletedGroup, LivePolicy, StreamReport};
use super::report::{Report, SbcQosRecord};
use super::{Analyzer, AnalyzerConfig};
use crate::net::{Flow, Nanos, Transport};
use std::collections::HashMap;

/// SBC QoS reports waiting for their call, at most.
const MAX_PENDING_QOS: usize = 100_000;

/// One SIP message as the engine received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipInput {
    pub ts: Nanos,
    pub flow: Flow,
    pub transport: Transport,
    pub bytes: Vec<u8>,
}

/// A finished call (or non-call Call-ID), with everything needed to store it.
#[derive(Debug)]
pub struct AssembledCall {
    pub group: CompletedGroup,
    /// `analyze`'s report over the group's messages and streams (one call, or one `other`).
    pub report: Report,
    /// The group's messages in capture order (the report's `messages` index them).
    pub messages: Vec<SipInput>,
}

/// Open calls and their raw messages.
pub struct CallAssembler {
    cfg: AnalyzerConfig,
    live: Analyzer,
    messages: HashMap<String, Vec<SipInput>>,
    reports: HashMap<String, Vec<StreamReport>>,
    /// SBC QoS reports by the SBC's ingress Call-ID (and egress, for lookup).
    sbc_qos: Vec<SbcQosRecord>,
    held_bytes: usize,
}

impl CallAssembler {
    pub fn new(cfg: AnalyzerConfig) -> Self {
        let mut live_cfg = cfg.clone();
        live_cfg.live = true;
        Self {
            live: Analyzer::new(live_cfg),
            cfg,
            messages: HashMap::new(),
            reports: HashMap::new(),
            sbc_qos: Vec::new(),
            held_bytes: 0,
        }
    }

    /// Takes one SIP message. Returns its Call-ID when it parsed; a message without one
    /// never joins a call (the caller keeps it as stored on its own).
    pub fn on_sip(&mut self, msg: SipInput) -> Option<String> {
        let call_id = self
            .live
            .on_sip_message(msg.ts, msg.flow, msg.transport, &msg.bytes)
            .map(str::to_owned)?;
        self.held_bytes += msg.bytes.len();
        self.messages.entry(call_id.clone()).or_default().push(msg);
        Some(call_id)
    }

    /// Takes a stream report (replacing an earlier one of the same stream).
    pub fn on_report(&mut self, report: StreamReport) {
        if let Some(c) = report.call_id.clone() {
            let list = self.reports.entry(c).or_default();
            let same = |r: &StreamReport| {
                r.stream.src == report.stream.src
                    && r.stream.dst == report.stream.dst
                    && r.stream.ssrc == report.stream.ssrc
            };
            match list.iter_mut().find(|r| same(r)) {
                Some(slot) => *slot = report.clone(),
                None => list.push(report.clone()),
            }
        }
        self.live.add_stream_report(report);
    }

    /// Takes an SBC's QoS report; it joins the call holding either of its Call-IDs.
    pub fn on_sbc_qos(&mut self, q: SbcQosRecord) {
        // Reports for calls never seen must not pile up: keep the latest ones.
        if self.sbc_qos.len() >= MAX_PENDING_QOS {
            self.sbc_qos.remove(0);
        }
        self.sbc_qos.push(q);
    }

    /// Calls over at `now` (capture time, or the wall clock in a live engine).
    pub fn poll(&mut self, now: Nanos, policy: &LivePolicy) -> Vec<AssembledCall> {
        let groups = self.live.completed_calls(now, policy);
        self.assemble(groups)
    }

    /// Every open call, as it stands (end of a capture file, or shutdown).
    pub fn flush_all(&mut self) -> Vec<AssembledCall> {
        let groups = self.live.completed_calls(
            u64::MAX,
            &LivePolicy {
                linger: 0,
                idle_timeout: 0,
                ..LivePolicy::default()
            },
        );
        self.assemble(groups)
    }

    fn assemble(&mut self, groups: Vec<CompletedGroup>) -> Vec<AssembledCall> {
        let mut out = Vec::with_capacity(groups.len());
        // Forgotten together after the loop: `forget` walks every open leg and stream, so once
        // per group made a poll that closes C calls among L open legs cost O(C x L).
        let mut done: Vec<String> = Vec::new();
        for group in groups {
            let mut messages: Vec<SipInput> = group
                .call_ids
                .iter()
                .flat_map(|c| self.messages.remove(c).unwrap_or_default())
                .collect();
            // Sources deliver in their own order: capture order is time order (stable, so
            // one source's order survives equal timestamps).
            messages.sort_by_key(|m| m.ts);
            self.held_bytes -= messages.iter().map(|m| m.bytes.len()).sum::<usize>();
            let mut batch = Analyzer::new(AnalyzerConfig {
                live: false,
                ..self.cfg.clone()
            });
            for m in &messages {
                batch.on_sip_message(m.ts, m.flow, m.transport, &m.bytes);
            }
            for c in &group.call_ids {
                for r in self.reports.remove(c).unwrap_or_default() {
                    batch.add_stream_report(r);
                }
            }
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.sbc_qos)
                .into_iter()
                .partition(|q| {
                    group
                        .call_ids
                        .iter()
                        .any(|c| *c == q.inc_call_id || *c == q.out_call_id)
                });
            self.sbc_qos = rest;
            for q in mine {
                batch.add_sbc_qos(q);
            }
            done.extend(group.call_ids.iter().cloned());
            out.push(AssembledCall {
                group,
                report: batch.finish(),
                messages,
            });
        }
        if !done.is_empty() {
            self.live.forget(&done);
        }
        out
    }

    /// Open legs, streams, and raw bytes held for them.
    pub fn open(&self) -> (usize, usize, usize) {
        let (legs, streams) = self.live.open_counts();
        (legs, streams, self.held_bytes)
    }
}
