//! The analysis thread: frame batches in, encoded records into the spool.
//!
//! `capture/replay thread --batches--> Pipeline (analyzer -> encoder) --records--> spool`
//!
//! The analyzer side is the small [`LiveAnalyzer`] trait, shaped like the live API being added
//! to `callscope_shared::analysis::Analyzer` (`on_frame_live`, `poll_reports`); the encoder is
//! the [`Encode`] trait. Both are placeholders to be swapped by the lead:
//! - TODO(lead: live API): implement [`LiveAnalyzer`] for `Analyzer` (or call it directly) and
//!   drop [`InterimAnalyzer`], which only finds SIP in UDP datagrams and measures no media.
//! - TODO(lead: HEP): replace [`JsonLines`] by the HEP encoder.
//!
//! Records of one batch are encoded into one reusable buffer and appended to the spool under
//! one lock, then the spool is flushed to the OS and the sender is woken.
use crate::batch::{BatchPool, FrameBatch};
use crate::sender::SharedSpool;
use crate::status::Counters;
use callscope_shared::net::Nanos;
use callscope_shared::wire::capture::Frame;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use callscope_shared::analysis::live::LiveEvent;
use callscope_shared::analysis::live::{LivePolicy, StreamReport};
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};

/// The live analysis as the pipeline uses it.
pub trait LiveAnalyzer {
    fn on_frame_live(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(LiveEvent<'_>));
    /// Reports of streams due at `now` (periodic, and final ones of streams that ended).
    fn poll_reports(&mut self, now: Nanos, out: &mut dyn FnMut(StreamReport));
    /// End of input: the final report of every open stream.
    fn finish(&mut self, _now: Nanos, _out: &mut dyn FnMut(StreamReport)) {}
    /// Malformed inputs seen so far.
    fn malformed(&self) -> u64 {
        0
    }
    /// Open streams (status counter).
    fn open_streams(&self) -> u64 {
        0
    }
    /// RTP packets measured so far (status counter).
    fn rtp_packets(&self) -> u64 {
        0
    }
}

/// Turns events and reports into record bytes for the spool; false when one cannot be
/// encoded (counted by the encoder, nothing appended).
pub trait Encode {
    fn encode_event(&mut self, ev: &LiveEvent<'_>, out: &mut Vec<u8>) -> bool;
    fn encode_report(&mut self, report: &StreamReport, out: &mut Vec<u8>) -> bool;
}

/// The shared analysis in live mode: `analyze`'s decoding, SIP framing and stream statistics,
/// with memory bounded by the open calls (ended calls and idle streams are pruned after
/// their final report).
pub struct ProbeAnalyzer {
    inner: Analyzer,
    policy: LivePolicy,
}

impl ProbeAnalyzer {
    pub fn new(mut cfg: AnalyzerConfig, policy: LivePolicy) -> Self {
        cfg.live = true;
        Self {
            inner: Analyzer::new(cfg),
            policy,
        }
    }
}

impl LiveAnalyzer for ProbeAnalyzer {
    fn on_frame_live(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(LiveEvent<'_>)) {
        self.inner.on_frame_live(frame, out);
    }
    fn poll_reports(&mut self, now: Nanos, out: &mut dyn FnMut(StreamReport)) {
        self.inner.poll_reports(now, &self.policy, out);
        self.inner.prune(now, &self.policy, out);
    }
    fn finish(&mut self, now: Nanos, out: &mut dyn FnMut(StreamReport)) {
        let end = now.saturating_add(self.policy.idle_timeout + self.policy.stream_idle);
        self.inner.prune(end, &self.policy, out);
    }
    fn malformed(&self) -> u64 {
        self.inner.malformed_count()
    }
    fn open_streams(&self) -> u64 {
        self.inner.open_counts().1 as u64
    }
    fn rtp_packets(&self) -> u64 {
        self.inner.media_packets().0
    }
}

/// Where "now" comes from for stream reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Live capture: the wall clock (frames carry wall-clock times too), so reports go out
    /// while the link is idle.
    Wall,
    /// Replay: the time of the last frame, so a replay at any speed gives the same reports.
    Capture,
}

/// The analysis thread's state.
pub struct Pipeline<A, E> {
    analyzer: A,
    encoder: E,
    spool: Arc<SharedSpool>,
    counters: Arc<Counters>,
    clock: Clock,
    report_every: Nanos,
    next_report: Option<Nanos>,
    last_ts: Nanos,
    /// Encoded records of the current batch, back to back, and where each ends.
    buf: Vec<u8>,
    ends: Vec<usize>,
    /// Records lost to spool write errors (logged once per failure, not per batch).
    write_failures: u64,
}

impl<A: LiveAnalyzer, E: Encode> Pipeline<A, E> {
    pub fn new(
        analyzer: A,
        encoder: E,
        spool: Arc<SharedSpool>,
        counters: Arc<Counters>,
        clock: Clock,
        report_interval: Duration,
    ) -> Self {
        Self {
            analyzer,
            encoder,
            spool,
            counters,
            clock,
            report_every: u64::try_from(report_interval.as_nanos())
                .unwrap_or(u64::MAX)
                .max(1),
            next_report: None,
            last_ts: 0,
            buf: Vec::with_capacity(1 << 20),
            ends: Vec::with_capacity(1024),
            write_failures: 0,
        }
    }

    /// Runs until the capture side closes the channel; batches go back to `pool`.
    pub fn run(mut self, rx: &Receiver<FrameBatch>, pool: &BatchPool) -> A {
        let tick = Duration::from_nanos(self.report_every).min(Duration::from_secs(1));
        loop {
            match rx.recv_timeout(tick) {
                Ok(batch) => {
                    self.on_batch(&batch);
                    pool.put(batch);
                }
                Err(RecvTimeoutError::Timeout) => self.poll(),
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.poll();
        // End of input (replay done, or the probe stops): every open stream's final report.
        let now = self.now();
        let (encoder, buf, ends) = (&mut self.encoder, &mut self.buf, &mut self.ends);
        self.analyzer.finish(now, &mut |r| {
            if encoder.encode_report(&r, buf) {
                ends.push(buf.len());
            }
        });
        self.commit();
        self.analyzer
    }

    /// Analyses one batch and commits its records.
    pub fn on_batch(&mut self, batch: &FrameBatch) {
        let (encoder, buf, ends) = (&mut self.encoder, &mut self.buf, &mut self.ends);
        let (mut sip, mut rtcp) = (0, 0);
        for frame in batch.frames() {
            self.last_ts = self.last_ts.max(frame.ts);
            self.analyzer.on_frame_live(&frame, &mut |ev| {
                match ev {
                    LiveEvent::Sip { .. } => sip += 1,
                    LiveEvent::Rtcp { .. } => rtcp += 1,
                }
                if encoder.encode_event(&ev, buf) {
                    ends.push(buf.len());
                }
            });
        }
        Counters::add(&self.counters.sip_messages, sip);
        Counters::add(&self.counters.rtcp_packets, rtcp);
        Counters::set(&self.counters.malformed, self.analyzer.malformed());
        Counters::set(&self.counters.rtp_packets, self.analyzer.rtp_packets());
        self.poll();
        self.commit();
    }

    fn now(&self) -> Nanos {
        match self.clock {
            Clock::Capture => self.last_ts,
            Clock::Wall => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
                .unwrap_or(self.last_ts),
        }
    }

    /// Asks the analyzer for due stream reports once per report interval.
    fn poll(&mut self) {
        let now = self.now();
        if now == 0 {
            return;
        }
        let due = *self
            .next_report
            .get_or_insert(now.saturating_add(self.report_every));
        if now < due {
            return;
        }
        self.next_report = Some(now.saturating_add(self.report_every));
        let (encoder, buf, ends) = (&mut self.encoder, &mut self.buf, &mut self.ends);
        let mut n = 0;
        self.analyzer.poll_reports(now, &mut |r| {
            n += 1;
            if encoder.encode_report(&r, buf) {
                ends.push(buf.len());
            }
        });
        Counters::add(&self.counters.stream_reports, n);
        Counters::set(&self.counters.streams, self.analyzer.open_streams());
        self.commit();
    }

    /// Appends the encoded records to the spool under one lock, flushes, wakes the sender.
    fn commit(&mut self) {
        if self.ends.is_empty() {
            return;
        }
        let mut stored = 0;
        {
            let mut spool = self.spool.lock();
            let mut start = 0;
            for &end in &self.ends {
                let rec = self.buf.get(start..end).unwrap_or_default();
                start = end;
                match spool.append(rec) {
                    Ok(Some(_)) => stored += 1,
                    Ok(None) => {}
                    Err(e) => {
                        if self.write_failures == 0 {
                            tracing::error!(error = %e, "spool write failed; records are being lost until the probe is restarted");
                        }
                        self.write_failures += 1;
                        break;
                    }
                }
            }
            if let Err(e) = spool.flush()
                && self.write_failures == 0
            {
                tracing::error!(error = %e, "spool flush failed");
                self.write_failures += 1;
            }
            self.spool.update_counters(&spool);
        }
        Counters::add(&self.counters.records, stored);
        self.buf.clear();
        self.ends.clear();
        self.spool.appended();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hep_out::HepEncode;
    use crate::spool::{Spool, SpoolConfig};
    use callscope_shared::analysis::report::StreamRecord;
    use callscope_shared::hep::{
        Hep3Packet, HepMessage, ProtocolType, QUALITY_REPORT_PROTO, RTCP_PROTO,
    };
    use callscope_shared::net::Flow;
    use callscope_shared::wire::capture::LinkType;

    /// An IPv4/UDP packet (LINKTYPE_RAW) carrying `payload`.
    pub(crate) fn raw_udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
        let total = 20 + 8 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
            127,
            0,
            0,
            1,
            127,
            0,
            0,
            1,
        ];
        let udp_len = 8 + payload.len();
        p.extend_from_slice(&src_port.to_be_bytes());
        p.extend_from_slice(&dst_port.to_be_bytes());
        p.extend_from_slice(&(udp_len as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    fn hep_payloads(spool: &Arc<SharedSpool>) -> Vec<(ProtocolType, Vec<u8>)> {
        spool
            .lock()
            .read_from(1)
            .unwrap()
            .map(|r| {
                let bytes = r.unwrap().bytes;
                let p = Hep3Packet::new_checked(&bytes).unwrap();
                let m = HepMessage::decode_v3(&p).unwrap();
                (m.proto_type, m.payload.to_vec())
            })
            .collect()
    }

    #[test]
    fn sip_datagrams_become_spooled_hep_records() {
        let dir = tempfile::tempdir().unwrap();
        let counters = Arc::new(Counters::default());
        let spool = SharedSpool::new(
            Spool::open(SpoolConfig::new(dir.path(), 1 << 20)).unwrap(),
            counters.clone(),
        );
        let mut p = Pipeline::new(
            ProbeAnalyzer::new(AnalyzerConfig::default(), LivePolicy::default()),
            HepEncode::new(1, "t"),
            spool.clone(),
            counters.clone(),
            Clock::Capture,
            Duration::from_secs(5),
        );
        let sip = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: abc@h\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        let frames = [
            raw_udp(5060, 5060, sip),
            raw_udp(4000, 4001, b"not sip at all, just bytes"),
            vec![0x45, 0, 0],
        ];
        let mut batch = FrameBatch::default();
        for (i, data) in frames.iter().enumerate() {
            batch.push(&Frame {
                ts: 1_000_000 + i as u64 * 1000,
                link_type: LinkType::RAW,
                data,
                orig_len: data.len() as u32,
                interface: 0,
            });
        }
        p.on_batch(&batch);
        let s = counters.snapshot();
        assert_eq!(s.sip_messages, 1);
        assert_eq!(s.records, 1);
        assert_eq!(s.malformed, 1);
        assert_eq!(s.spool_records, 1);
        let recs = hep_payloads(&spool);
        assert_eq!(recs, vec![(ProtocolType::Sip, sip.to_vec())]);
    }

    /// Emits one report per poll, and an RTCP event per frame.
    struct Fake {
        polls: Vec<Nanos>,
    }

    impl LiveAnalyzer for Fake {
        fn on_frame_live(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(LiveEvent<'_>)) {
            let flow: Flow = Flow {
                src: callscope_shared::net::Endpoint::new([10, 0, 0, 1].into(), 4000),
                dst: callscope_shared::net::Endpoint::new([10, 0, 0, 2].into(), 4001),
            };
            out(LiveEvent::Rtcp {
                ts: frame.ts,
                flow,
                bytes: frame.data,
                call_id: Some("c1"),
            });
        }
        fn poll_reports(&mut self, now: Nanos, out: &mut dyn FnMut(StreamReport)) {
            self.polls.push(now);
            let stream: StreamRecord = serde_json::from_value(serde_json::json!({
                "id": 0, "src": "10.0.0.1:4000", "dst": "10.0.0.2:4001", "ssrc": "0x00000001",
                "payload_type": 0, "codec": "PCMU", "call": null, "call_id": "c1",
                "found_by": "sdp", "first_frame": 1, "start": "", "end": "", "start_rel": 0.0,
                "end_rel": 0.0, "packets": 1, "lost": 0, "lost_percent": 0.0,
                "min_delta_ms": 0.0, "mean_delta_ms": 0.0, "max_delta_ms": 0.0,
                "min_jitter_ms": 0.0, "mean_jitter_ms": 0.0, "max_jitter_ms": 0.0,
                "problems": false, "tshark_payload": "g711U",
                "rfc3550": {"expected": 1, "lost": 0, "fraction_lost": 0.0, "jitter_ms": 0.0, "burst_ratio": null},
                "sequence_errors": 0, "duplicates": 0, "out_of_order": 0, "mos": null,
                "r_factor": null, "mos_reason": null
            }))
            .unwrap();
            out(StreamReport {
                version: 1,
                ts: now,
                call_id: Some("c1".into()),
                final_report: false,
                last_packet: now,
                stream,
            });
        }
    }

    #[test]
    fn reports_follow_capture_time_once_per_interval() {
        let dir = tempfile::tempdir().unwrap();
        let counters = Arc::new(Counters::default());
        let spool = SharedSpool::new(
            Spool::open(SpoolConfig::new(dir.path(), 1 << 20)).unwrap(),
            counters.clone(),
        );
        let mut p = Pipeline::new(
            Fake { polls: Vec::new() },
            HepEncode::new(1, "t"),
            spool.clone(),
            counters.clone(),
            Clock::Capture,
            Duration::from_secs(5),
        );
        let s = 1_000_000_000u64;
        // Frames every second of capture time for 12 s: reports at 5 s and 10 s after the
        // first frame, whatever the replay speed.
        for t in 0..=12 {
            let mut b = FrameBatch::default();
            b.push(&Frame {
                ts: 100 * s + t * s,
                link_type: LinkType::RAW,
                data: b"rtcp",
                orig_len: 4,
                interface: 0,
            });
            p.on_batch(&b);
        }
        assert_eq!(p.analyzer.polls, vec![105 * s, 110 * s]);
        let c = counters.snapshot();
        assert_eq!(c.rtcp_packets, 13);
        assert_eq!(c.stream_reports, 2);
        assert_eq!(c.records, 15);
        let kinds: Vec<ProtocolType> = hep_payloads(&spool).into_iter().map(|r| r.0).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == QUALITY_REPORT_PROTO).count(),
            2
        );
        assert_eq!(kinds.iter().filter(|k| **k == RTCP_PROTO).count(), 13);
    }
}
