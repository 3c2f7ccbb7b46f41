//! One direction of a TCP connection: sequence-number reassembly (RFC 9293 §3.4) feeding a
//! framer with contiguous bytes.
//!
//! - The SYN gives the initial sequence number; without it the first data segment seen
//!   starts the stream (capture started mid-connection).
//! - Bytes below the next expected sequence number are retransmissions (exact or partial):
//!   the copy that filled the sequence space first wins, the rest is counted and dropped.
//! - A segment above it is held (copied, bounded by count and bytes) until the hole fills.
//!   When the bound is reached, or the hole is older than `gap_timeout`, the hole is skipped:
//!   counted as a gap, the partial message before it is emitted as `Malformed(Gap)`, and the
//!   framer resynchronises on the next SIP start line.
//! - Sequence numbers compare modulo 2^32 (wrap-around).
//! - FIN closes the direction once every byte before it arrived; RST closes both at once.
use super::Out;
use super::framer::Framer;
use crate::net::{Flow, Nanos};
use crate::wire::decap::TcpInfo;

/// `a - b` in sequence space: positive when `a` is after `b` (RFC 9293 §3.4, modulo 2^32).
fn seq_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// An out-of-order segment waiting for the hole before it to fill.
#[derive(Debug)]
struct Held {
    seq: u32,
    data: Vec<u8>,
}

/// One direction of a connection.
#[derive(Debug)]
pub(crate) struct Half {
    flow: Flow,
    /// Initial sequence number, from the SYN.
    isn: Option<u32>,
    /// Next expected sequence number (None until the SYN or the first data segment).
    next_seq: Option<u32>,
    /// Sequence number of the FIN, once seen.
    fin_seq: Option<u32>,
    closed: bool,
    /// Sorted by sequence number relative to `next_seq`.
    held: Vec<Held>,
    held_bytes: usize,
    /// Capture time of the oldest held segment (when the hole opened).
    held_since: Nanos,
    /// Contiguous bytes not yet framed (a message spanning segments).
    buf: Vec<u8>,
    framer: Framer,
    last_ts: Nanos,
}

impl Half {
    pub(crate) fn new(flow: Flow) -> Self {
        Self {
            flow,
            isn: None,
            next_seq: None,
            fin_seq: None,
            closed: false,
            held: Vec::new(),
            held_bytes: 0,
            held_since: 0,
            buf: Vec::new(),
            framer: Framer::default(),
            last_ts: 0,
        }
    }

    pub(crate) fn flow(&self) -> Flow {
        self.flow
    }

    pub(crate) fn last_ts(&self) -> Nanos {
        self.last_ts
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn is_non_sip(&self) -> bool {
        self.framer.is_non_sip()
    }

    pub(crate) fn carries_sip(&self) -> bool {
        self.framer.carries_sip()
    }

    pub(crate) fn upgrading_to_ws(&self) -> bool {
        self.framer.upgrading_to_ws()
    }

    pub(crate) fn newly_ws_server(&mut self) -> bool {
        self.framer.newly_ws_server()
    }

    pub(crate) fn confirm_ws(&mut self) {
        self.framer.confirm_ws();
    }

    pub(crate) fn is_plain_sip(&self) -> bool {
        self.framer.is_plain_sip()
    }

    pub(crate) fn resync_if_gave_up(&mut self) -> bool {
        self.framer.resync_if_gave_up()
    }

    /// Bytes held by this direction (buffers' capacity, for memory accounting).
    pub(crate) fn memory(&self) -> usize {
        self.buf.capacity()
            + self.held.iter().map(|h| h.data.capacity()).sum::<usize>()
            + self.framer.memory()
    }

    /// Releases the buffers (the connection is ignored from now on).
    pub(crate) fn free(&mut self) {
        self.buf = Vec::new();
        self.held = Vec::new();
        self.held_bytes = 0;
        self.framer.free();
    }

    pub(crate) fn on_segment(
        &mut self,
        tcp: TcpInfo,
        payload: &[u8],
        peer_upgrading: bool,
        out: &mut Out<'_>,
    ) {
        self.last_ts = self.last_ts.max(out.ts);
        let mut data_seq = tcp.seq;
        if tcp.syn() {
            let known = self.next_seq.is_some() || self.closed;
            if known && self.isn != Some(tcp.seq) {
                // A new connection on the same ports (a retransmitted SYN has the same ISN):
                // finish the old one first.
                self.close(out);
                *self = Self::new(self.flow);
                self.last_ts = out.ts;
            }
            if self.next_seq.is_none() {
                self.isn = Some(tcp.seq);
                self.next_seq = Some(tcp.seq.wrapping_add(1));
                self.framer.set_syn_seen();
            }
            data_seq = tcp.seq.wrapping_add(1);
        }
        let Some(next) = self
            .next_seq
            .or_else(|| (!payload.is_empty()).then_some(data_seq))
        else {
            if tcp.fin() {
                // Nothing was sent this way: the direction simply ends.
                self.close(out);
            }
            return;
        };
        self.next_seq = Some(next);
        if tcp.fin() && self.fin_seq.is_none() {
            self.fin_seq = Some(data_seq.wrapping_add(payload.len() as u32));
        }
        if self.closed {
            out.stats.retransmitted_bytes += payload.len() as u64;
            return;
        }
        if !payload.is_empty() {
            let off = seq_diff(data_seq, next);
            if off <= 0 {
                let overlap = off.unsigned_abs() as usize;
                match payload.get(overlap..) {
                    Some(fresh) if !fresh.is_empty() => {
                        out.stats.retransmitted_bytes += overlap as u64;
                        self.deliver(fresh, peer_upgrading, out);
                    }
                    _ => out.stats.retransmitted_bytes += payload.len() as u64,
                }
            } else {
                self.hold(data_seq, payload, peer_upgrading, out);
            }
        }
        self.drain_held(peer_upgrading, out);
        if !self.held.is_empty() && self.held_too_old(out) {
            self.skip_gap(peer_upgrading, out);
        }
        if self.fin_seq.is_some() && self.fin_seq == self.next_seq {
            self.close(out);
        }
    }

    fn held_too_old(&self, out: &Out<'_>) -> bool {
        out.ts.saturating_sub(self.held_since) > out.cfg.gap_timeout
    }

    /// Keeps a segment that arrived ahead of a hole.
    fn hold(&mut self, seq: u32, payload: &[u8], peer_upgrading: bool, out: &mut Out<'_>) {
        let Some(next) = self.next_seq else { return };
        if self.framer.is_non_sip() {
            return;
        }
        // Offsets from the next expected byte: held segments are all ahead of it.
        let rel = |s: u32| u64::from(s.wrapping_sub(next));
        let first = rel(seq);
        let end = first + payload.len() as u64;
        // The parts of the segment not held yet: earlier copies win.
        let mut fresh: Vec<(u64, u64)> = Vec::new();
        let mut at = first;
        for h in &self.held {
            let (hs, he) = (rel(h.seq), rel(h.seq) + h.data.len() as u64);
            if he <= at {
                continue;
            }
            if hs >= end {
                break;
            }
            if hs > at {
                fresh.push((at, hs));
            }
            at = at.max(he);
            if at >= end {
                break;
            }
        }
        if at < end {
            fresh.push((at, end));
        }
        let kept: u64 = fresh.iter().map(|(a, b)| b - a).sum();
        out.stats.retransmitted_bytes += payload.len() as u64 - kept;
        if fresh.is_empty() {
            return;
        }
        if self.held.is_empty() {
            self.held_since = out.ts;
        }
        out.stats.out_of_order_segments += 1;
        for (a, b) in fresh {
            let Some(data) = payload.get((a - first) as usize..(b - first) as usize) else {
                continue;
            };
            let pos = self.held.partition_point(|h| rel(h.seq) < a);
            self.held.insert(
                pos,
                Held {
                    seq: next.wrapping_add(a as u32),
                    data: data.to_vec(),
                },
            );
            self.held_bytes += data.len();
        }
        while self.held.len() > out.cfg.max_out_of_order_segments
            || self.held_bytes + self.buf.len() > out.cfg.max_buffered_per_direction
        {
            // Bound reached: the hole will not be filled in time.
            let before = self.held.len();
            self.skip_gap(peer_upgrading, out);
            if self.held.len() == before {
                break;
            }
        }
    }

    /// Delivers the held segments that the sequence space has reached.
    fn drain_held(&mut self, peer_upgrading: bool, out: &mut Out<'_>) {
        while let Some(first) = self.held.first() {
            let Some(next) = self.next_seq else { return };
            let off = seq_diff(first.seq, next);
            if off > 0 {
                return;
            }
            let h = self.held.remove(0);
            self.held_bytes = self.held_bytes.saturating_sub(h.data.len());
            let overlap = off.unsigned_abs() as usize;
            match h.data.get(overlap..) {
                Some(fresh) if !fresh.is_empty() => {
                    out.stats.retransmitted_bytes += overlap as u64;
                    self.deliver(fresh, peer_upgrading, out);
                }
                _ => out.stats.retransmitted_bytes += h.data.len() as u64,
            }
            if self.held.is_empty() {
                self.held_since = 0;
            } else {
                self.held_since = out.ts;
            }
        }
    }

    /// Gives up on the hole before the first held segment: whatever was pending is cut.
    fn skip_gap(&mut self, peer_upgrading: bool, out: &mut Out<'_>) {
        let Some(first) = self.held.first() else {
            return;
        };
        out.stats.gaps += 1;
        self.next_seq = Some(first.seq);
        let pending = std::mem::take(&mut self.buf);
        self.framer.on_gap(&pending, out);
        self.buf = pending;
        self.buf.clear();
        self.drain_held(peer_upgrading, out);
    }

    /// Hands contiguous in-order bytes to the framer: straight from the segment when nothing
    /// is pending (zero copy), else after appending to the pending bytes.
    fn deliver(&mut self, data: &[u8], peer_upgrading: bool, out: &mut Out<'_>) {
        if let Some(next) = self.next_seq {
            self.next_seq = Some(next.wrapping_add(data.len() as u32));
        }
        if self.framer.is_non_sip() {
            return;
        }
        if self.buf.is_empty() {
            let used = self.framer.frame(data, peer_upgrading, out);
            if let Some(rest) = data.get(used..) {
                self.buf.extend_from_slice(rest);
            }
        } else {
            self.buf.extend_from_slice(data);
            let buf = std::mem::take(&mut self.buf);
            let used = self.framer.frame(&buf, peer_upgrading, out);
            self.buf = buf;
            self.buf.drain(..used.min(self.buf.len()));
        }
        if self.buf.len()
            > out
                .cfg
                .max_message_bytes
                .min(out.cfg.max_buffered_per_direction)
        {
            let pending = std::mem::take(&mut self.buf);
            self.framer.on_too_large(&pending, out);
            self.buf = pending;
            self.buf.clear();
        }
        if self.framer.is_non_sip() {
            self.free();
        }
    }

    /// Emits what is left (skipping holes) and frees the direction.
    pub(crate) fn close(&mut self, out: &mut Out<'_>) {
        if self.closed {
            return;
        }
        while !self.held.is_empty() && !self.framer.is_non_sip() {
            self.skip_gap(false, out);
        }
        let pending = std::mem::take(&mut self.buf);
        self.framer.on_end(&pending, out);
        self.free();
        self.closed = true;
    }
}
