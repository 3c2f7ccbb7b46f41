//! Live operation: the same pipeline as `analyze`, run for days on a probe or in the engine.
//!
//! - The probe feeds frames with [`Analyzer::on_frame_live`]: every SIP message and RTCP packet
//!   comes out as a [`LiveEvent`] (forwarded as HEP), [`Analyzer::poll_reports`] gives each
//!   stream's cumulative figures every few seconds, and [`Analyzer::prune`] sends the final
//!   report of streams whose call ended and forgets them, so memory follows open calls only.
//! - The engine feeds SIP messages ([`Analyzer::on_sip_message`]) and the probes' reports
//!   ([`Analyzer::add_stream_report`]); [`Analyzer::completed_calls`] says which calls are over,
//!   and [`Analyzer::forget`] drops them once stored.
//!
//! Everything is driven by the capture times given; nothing here reads a clock.
use super::report::StreamRecord;
use super::{Analyzer, stream_figures};
use crate::calls::{Leg, LegState, group_legs};
use crate::net::{Flow, Nanos, Transport};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What the live pipeline hands its consumer, borrowed from the frame being decoded.
#[derive(Debug, Clone, Copy)]
pub enum LiveEvent<'a> {
    /// A whole SIP message (UDP datagram, or framed from TCP/WebSocket/SCTP). `call_id` is
    /// `None` when the message did not parse (it is still forwarded: never a silent drop).
    Sip {
        ts: Nanos,
        flow: Flow,
        transport: Transport,
        bytes: &'a [u8],
        call_id: Option<&'a str>,
    },
    /// An RTCP compound packet on a media address (or found by the heuristic).
    Rtcp {
        ts: Nanos,
        flow: Flow,
        bytes: &'a [u8],
        call_id: Option<&'a str>,
    },
}

/// A stream's figures at capture time `ts`: cumulative since the stream began, as `analyze`
/// would print them if the capture ended there. The probe sends it as JSON in a HEP packet
/// (protocol type 0x22, correlation id = Call-ID); `final_report` marks the last one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamReport {
    /// Payload format version (1).
    pub version: u32,
    pub ts: Nanos,
    pub call_id: Option<String>,
    pub final_report: bool,
    /// Capture time of the stream's last packet (keeps the call open in the engine).
    pub last_packet: Nanos,
    pub stream: StreamRecord,
}

/// Timers of live operation, in capture time. Defaults are what the probe and engine use
/// when their configuration says nothing.
#[derive(Debug, Clone, Copy)]
pub struct LivePolicy {
    /// A stream's cumulative report is sent this often while packets arrive (5 s).
    pub report_interval: Nanos,
    /// An ended leg (BYE answered, failed, cancelled, non-call transaction done) is kept this
    /// long for late retransmissions, ACKs and linked legs before it is closed (32 s, Timer B).
    pub linger: Nanos,
    /// A stream with no packet for this long has ended (30 s).
    pub stream_idle: Nanos,
    /// A leg with no message and no media for this long is closed whatever its state: calls
    /// that never end (lost BYE) and registrations (4 h).
    pub idle_timeout: Nanos,
    /// Engine: after a restart with calls open, call timers wait this long (wall clock) so
    /// probes can reconnect and re-send what was not acknowledged (60 s; probes back off up to
    /// 30 s).
    pub restart_grace: Nanos,
}

const SECOND: Nanos = 1_000_000_000;

impl Default for LivePolicy {
    fn default() -> Self {
        Self {
            report_interval: 5 * SECOND,
            linger: 32 * SECOND,
            stream_idle: 30 * SECOND,
            idle_timeout: 4 * 3600 * SECOND,
            restart_grace: 60 * SECOND,
        }
    }
}

/// A call (or a non-call Call-ID) that is over: its Call-IDs, ready to be stored and forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedGroup {
    pub call_ids: Vec<String>,
    /// False for REGISTER, OPTIONS, ... (grouped by Call-ID, never counted as calls).
    pub is_call: bool,
    /// Closed by `idle_timeout` rather than by its own end.
    pub timed_out: bool,
}

/// What [`Analyzer::prune`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneStats {
    pub legs_closed: usize,
    pub streams_closed: usize,
}

fn ended(leg: &Leg) -> bool {
    matches!(
        leg.state,
        LegState::Completed | LegState::Cancelled | LegState::Failed | LegState::Done
    )
}

impl Analyzer {
    /// Feeds one SIP message received as such (HEP, SBC export), not as a captured frame.
    /// Returns its Call-ID (`None` when it did not parse: it is counted as malformed).
    pub fn on_sip_message(
        &mut self,
        ts: Nanos,
        flow: Flow,
        transport: Transport,
        bytes: &[u8],
    ) -> Option<&str> {
        let core = &mut self.core;
        core.frame_no += 1;
        if core.first_ts.is_none() {
            core.first_ts = Some(ts);
            core.media.origin = ts;
        }
        core.last_ts = core.last_ts.max(ts);
        let leg = core.on_sip(ts, flow, transport, bytes, &mut None)?;
        core.legs.all().get(leg).map(|l| l.call_id.as_str())
    }

    /// Adds (or replaces, by flow and SSRC) a stream measured elsewhere: a probe's report.
    pub fn add_stream_report(&mut self, report: StreamReport) {
        let mut s = report.stream;
        if s.call_id.is_none() {
            s.call_id = report.call_id;
        }
        let list = &mut self.core.external_streams;
        let last = report.last_packet;
        match list
            .iter_mut()
            .find(|(e, _)| e.src == s.src && e.dst == s.dst && e.ssrc == s.ssrc)
        {
            Some(slot) => *slot = (s, last),
            None => list.push((s, last)),
        }
    }

    /// Adds an SBC's QoS report (linked to its call by either Call-ID).
    pub fn add_sbc_qos(&mut self, q: super::report::SbcQosRecord) {
        self.core.sbc_qos.push(q);
    }

    /// Reports of streams that received packets since their last report and whose last report
    /// is at least `report_interval` old at capture time `now`.
    pub fn poll_reports(
        &mut self,
        now: Nanos,
        policy: &LivePolicy,
        out: &mut dyn FnMut(StreamReport),
    ) {
        let core = &mut self.core;
        let base = core.first_ts.unwrap_or(now);
        for i in 0..core.media.list.len() {
            let Some(t) = core.media.list.get(i) else {
                continue;
            };
            let packets = t.stats.packets();
            if packets == t.reported_packets
                || now.saturating_sub(t.reported_at) < policy.report_interval
            {
                continue;
            }
            let call_id = t
                .leg
                .and_then(|l| core.legs.all().get(l))
                .map(|l| l.call_id.clone());
            out(StreamReport {
                version: 1,
                ts: now,
                call_id: call_id.clone(),
                final_report: false,
                last_packet: t.stats.last_arrival(),
                stream: stream_figures::record(i, t, &core.media, None, call_id, base),
            });
            if let Some(t) = core.media.list.get_mut(i) {
                t.reported_at = now;
                t.reported_packets = packets;
            }
        }
    }

    /// Closes what is over at capture time `now`: legs that ended `linger` ago (or went idle
    /// for `idle_timeout`) with their streams, and streams idle for `stream_idle`. Each closed
    /// stream gets its final report first. The probe calls this every second or so.
    pub fn prune(
        &mut self,
        now: Nanos,
        policy: &LivePolicy,
        out: &mut dyn FnMut(StreamReport),
    ) -> PruneStats {
        let core = &mut self.core;
        let base = core.first_ts.unwrap_or(now);
        // A leg's media keeps it open while packets flow (a call whose BYE we missed).
        let mut media_last = vec![0; core.legs.all().len()];
        for t in &core.media.list {
            if let Some(slot) = t.leg.and_then(|l| media_last.get_mut(l)) {
                *slot = (*slot).max(t.stats.last_arrival());
            }
        }
        let close_leg: Vec<bool> = core
            .legs
            .all()
            .iter()
            .zip(&media_last)
            .map(|(leg, &media)| {
                let quiet = now.saturating_sub(leg.last_ts.max(media));
                (ended(leg) && now.saturating_sub(leg.last_ts) >= policy.linger)
                    || quiet >= policy.idle_timeout
            })
            .collect();
        let mut stats = PruneStats::default();
        let close_stream: Vec<bool> = core
            .media
            .list
            .iter()
            .map(|t| {
                let leg_closed = t.leg.is_some_and(|l| close_leg.get(l) == Some(&true));
                leg_closed || now.saturating_sub(t.stats.last_arrival()) >= policy.stream_idle
            })
            .collect();
        for (i, close) in close_stream.iter().enumerate() {
            let Some(t) = core.media.list.get(i).filter(|_| *close) else {
                continue;
            };
            let call_id = t
                .leg
                .and_then(|l| core.legs.all().get(l))
                .map(|l| l.call_id.clone());
            out(StreamReport {
                version: 1,
                ts: now,
                call_id: call_id.clone(),
                final_report: true,
                last_packet: t.stats.last_arrival(),
                stream: stream_figures::record(i, t, &core.media, None, call_id, base),
            });
            stats.streams_closed += 1;
        }
        stats.legs_closed = close_leg.iter().filter(|c| **c).count();
        if stats.legs_closed > 0 || stats.streams_closed > 0 {
            self.compact(&close_leg, &close_stream);
        }
        stats
    }

    /// Calls (groups of legs, as `analyze` groups them) and non-call Call-IDs that are over at
    /// capture time `now`: every leg ended `linger` ago, or the whole group has been quiet for
    /// `idle_timeout`. Linked legs close together, so a B2BUA's second leg is never split off.
    pub fn completed_calls(&self, now: Nanos, policy: &LivePolicy) -> Vec<CompletedGroup> {
        let legs = self.core.legs.all();
        // Probe reports keep a call open while its media flows.
        let mut media_last: std::collections::HashMap<&str, Nanos> =
            std::collections::HashMap::new();
        for (s, last) in &self.core.external_streams {
            if let Some(c) = &s.call_id {
                let e = media_last.entry(c.as_str()).or_default();
                *e = (*e).max(*last);
            }
        }
        let quiet = |leg: &Leg| {
            let media = media_last.get(leg.call_id.as_str()).copied().unwrap_or(0);
            now.saturating_sub(leg.last_ts.max(media))
        };
        let mut out = Vec::new();
        for g in group_legs(legs, &self.core.cfg.correlation) {
            let members: Vec<&Leg> = g.legs.iter().filter_map(|(i, _)| legs.get(*i)).collect();
            let all_ended = members
                .iter()
                .all(|l| ended(l) && now.saturating_sub(l.last_ts) >= policy.linger);
            let timed_out = members.iter().all(|l| quiet(l) >= policy.idle_timeout);
            if all_ended || timed_out {
                out.push(CompletedGroup {
                    call_ids: members.iter().map(|l| l.call_id.clone()).collect(),
                    is_call: true,
                    timed_out: timed_out && !all_ended,
                });
            }
        }
        for leg in legs.iter().filter(|l| !l.is_call()) {
            let done = ended(leg) && now.saturating_sub(leg.last_ts) >= policy.linger;
            let timed_out = quiet(leg) >= policy.idle_timeout;
            if done || timed_out {
                out.push(CompletedGroup {
                    call_ids: vec![leg.call_id.clone()],
                    is_call: false,
                    timed_out: timed_out && !done,
                });
            }
        }
        out
    }

    /// Drops the legs with these Call-IDs, their media and reports (after the caller stored
    /// them).
    pub fn forget(&mut self, call_ids: &[String]) {
        let gone: HashSet<&str> = call_ids.iter().map(String::as_str).collect();
        let close_leg: Vec<bool> = self
            .core
            .legs
            .all()
            .iter()
            .map(|l| gone.contains(l.call_id.as_str()))
            .collect();
        let close_stream: Vec<bool> = self
            .core
            .media
            .list
            .iter()
            .map(|t| t.leg.is_some_and(|l| close_leg.get(l) == Some(&true)))
            .collect();
        self.core
            .external_streams
            .retain(|(s, _)| !s.call_id.as_deref().is_some_and(|c| gone.contains(c)));
        self.core
            .vq_reports
            .retain(|v| !gone.contains(v.call_id.as_str()));
        self.core.sbc_qos.retain(|q| {
            !gone.contains(q.inc_call_id.as_str()) && !gone.contains(q.out_call_id.as_str())
        });
        self.compact(&close_leg, &close_stream);
    }

    /// Removes closed legs and streams, renumbering what stays.
    fn compact(&mut self, close_leg: &[bool], close_stream: &[bool]) {
        let core = &mut self.core;
        let leg_map = core
            .legs
            .retain(|i, _| !close_leg.get(i).copied().unwrap_or(false));
        core.media.retain(&leg_map, close_stream);
    }

    /// RTP and RTCP packets measured so far.
    pub fn media_packets(&self) -> (u64, u64) {
        (self.core.media.rtp_packets, self.core.media.rtcp_packets)
    }

    /// Inputs that did not decode so far (frames, SIP messages).
    pub fn malformed_count(&self) -> u64 {
        self.core.malformed_count
    }

    /// Open legs and streams (for status counters).
    pub fn open_counts(&self) -> (usize, usize) {
        (
            self.core.legs.all().len(),
            self.core.media.list.len() + self.core.external_streams.len(),
        )
    }
}
