//! SIP over SCTP (RFC 4168): walks the chunks of a packet (RFC 9260 §3.2) and takes the user
//! data of DATA chunks (§3.3.1) that carry SIP. One SCTP user message is one SIP message.
//!
//! PPID: RFC 4168 registers none for SIP, so stacks send 0 ("unspecified"; OpenSIPS in the
//! corpus does); 39 is accepted too. With PPID 0 the payload must look like SIP.
//! Fragmented user messages (B/E flags) are reassembled by TSN per (direction, stream,
//! ordered/unordered), bounded in streams, fragments and bytes; I-DATA (RFC 8260) fragments
//! by FSN per message id. Retransmitted chunks (a TSN already seen in that direction, within
//! a 64-TSN window) are dropped. Other chunk types (INIT, SACK, HEARTBEAT...) are skipped.
use std::collections::HashMap;

use super::framer::{Start, starts_like_sip};
use super::{Out, StreamConfig, StreamError, StreamEvent, StreamStats};
use crate::net::{Flow, Nanos, Transport};

/// Chunk types (RFC 9260 §3.2, RFC 8260 §2.1).
pub const CHUNK_DATA: u8 = 0;
pub const CHUNK_IDATA: u8 = 64;
/// DATA chunk flags (RFC 9260 §3.3.1).
pub const FLAG_END: u8 = 0x01;
pub const FLAG_BEGIN: u8 = 0x02;
pub const FLAG_UNORDERED: u8 = 0x04;
/// Payload protocol identifiers taken as SIP.
pub const SIP_PPIDS: [u32; 2] = [0, 39];
/// Fragments held per stream.
const MAX_FRAGMENTS: usize = 64;

/// One chunk of an SCTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub kind: u8,
    pub flags: u8,
    /// The chunk value (after the 4-byte header, without padding).
    pub value: &'a [u8],
}

/// Iterates over the chunks of a packet; a malformed chunk ends the walk with `Err(offset)`.
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Chunks<'a> {
    pub fn new(chunks: &'a [u8]) -> Self {
        Self {
            rest: chunks,
            offset: 0,
        }
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<Chunk<'a>, usize>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let at = self.offset;
        let parsed = (|| {
            let head = self.rest.get(..4)?;
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let value = self.rest.get(4..len)?;
            Some((
                Chunk {
                    kind: head[0],
                    flags: head[1],
                    value,
                },
                len,
            ))
        })();
        let Some((chunk, len)) = parsed else {
            self.rest = &[];
            return Some(Err(at));
        };
        // Chunks are padded to 4 bytes; the last one's padding may be missing.
        let padded = (len + 3) & !3;
        self.rest = self.rest.get(padded..).unwrap_or_default();
        self.offset += padded;
        Some(Ok(chunk))
    }
}

/// The fields of a DATA (or I-DATA) chunk that matter here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data<'a> {
    pub tsn: u32,
    pub stream: u16,
    /// I-DATA: the message identifier (fragments of one message share it).
    pub mid: Option<u32>,
    /// Position of the fragment: the TSN for DATA, the FSN for I-DATA (0 for the first).
    pub fragment: u32,
    /// PPID (for I-DATA: only in the first fragment; 0 otherwise).
    pub ppid: u32,
    pub flags: u8,
    pub user_data: &'a [u8],
}

impl<'a> Data<'a> {
    /// Parses the value of a DATA chunk (RFC 9260 §3.3.1) or I-DATA chunk (RFC 8260 §2.1).
    pub fn parse(chunk: &Chunk<'a>) -> Option<Self> {
        let v = chunk.value;
        let be32 = |at: usize| {
            v.get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
        };
        let tsn = be32(0)?;
        let stream = v
            .get(4..6)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_be_bytes)?;
        let first = chunk.flags & FLAG_BEGIN != 0;
        let (mid, fragment, ppid, data_at) = match chunk.kind {
            CHUNK_DATA => (None, tsn, be32(8)?, 12),
            // PPID and FSN share a field: the first fragment has the PPID and FSN 0.
            CHUNK_IDATA if first => (Some(be32(8)?), 0, be32(12)?, 16),
            CHUNK_IDATA => (Some(be32(8)?), be32(12)?, 0, 16),
            _ => return None,
        };
        Some(Self {
            tsn,
            stream,
            mid,
            fragment,
            ppid,
            flags: chunk.flags,
            user_data: v.get(data_at..)?,
        })
    }
}

#[derive(Debug)]
struct Frag {
    /// TSN (DATA) or FSN (I-DATA).
    seq: u32,
    flags: u8,
    ppid: u32,
    data: Vec<u8>,
}

#[derive(Debug, Default)]
struct Reassembly {
    frags: Vec<Frag>,
    bytes: usize,
    last_ts: Nanos,
}

/// Direction, stream, unordered, I-DATA message id.
type StreamKey = (Flow, u16, bool, Option<u32>);

/// The TSNs recently seen in one direction of an association, to drop retransmitted DATA.
#[derive(Debug, Clone, Copy)]
struct TsnWindow {
    /// Highest TSN seen.
    max: u32,
    /// Bit i set: TSN `max - i` seen.
    seen: u64,
    last_ts: Nanos,
}

impl TsnWindow {
    /// Records `tsn`; false if it was already seen (a retransmission).
    fn insert(&mut self, tsn: u32) -> bool {
        let d = tsn.wrapping_sub(self.max) as i32;
        if d > 0 {
            self.seen = if d >= 64 { 0 } else { self.seen << d };
            self.seen |= 1;
            self.max = tsn;
            true
        } else if d > -64 {
            let bit = 1u64 << d.unsigned_abs();
            let fresh = self.seen & bit == 0;
            self.seen |= bit;
            fresh
        } else {
            // Far behind the window: an association restart with a new initial TSN.
            *self = Self {
                max: tsn,
                seen: 1,
                last_ts: self.last_ts,
            };
            true
        }
    }
}

/// Fragment reassembly state of every SCTP stream seen.
#[derive(Debug, Default)]
pub(crate) struct SctpState {
    streams: HashMap<StreamKey, Reassembly>,
    /// Per direction of an association.
    tsns: HashMap<Flow, TsnWindow>,
    /// Reused buffer for a reassembled message.
    scratch: Vec<u8>,
}

impl SctpState {
    pub(crate) fn on_packet(&mut self, chunks: &[u8], out: &mut Out<'_>) {
        for chunk in Chunks::new(chunks) {
            let chunk = match chunk {
                Ok(c) => c,
                Err(at) => {
                    out.malformed(chunks.get(at..).unwrap_or_default(), StreamError::SctpChunk);
                    break;
                }
            };
            if chunk.kind != CHUNK_DATA && chunk.kind != CHUNK_IDATA {
                continue;
            }
            out.stats.sctp_data_chunks += 1;
            let Some(data) = Data::parse(&chunk) else {
                out.malformed(chunk.value, StreamError::SctpChunk);
                continue;
            };
            if !self.fresh_tsn(data.tsn, out) {
                out.stats.sctp_retransmitted_chunks += 1;
                continue;
            }
            let whole = data.flags & (FLAG_BEGIN | FLAG_END) == FLAG_BEGIN | FLAG_END;
            if whole {
                emit(data.user_data, data.ppid, out);
            } else if data.flags & FLAG_BEGIN != 0 || chunk.kind == CHUNK_DATA {
                if SIP_PPIDS.contains(&data.ppid) {
                    self.fragment(data, out);
                } else {
                    out.stats.sctp_non_sip_chunks += 1;
                }
            } else {
                self.fragment(data, out);
            }
        }
    }

    fn fresh_tsn(&mut self, tsn: u32, out: &Out<'_>) -> bool {
        if let Some(w) = self.tsns.get_mut(&out.flow) {
            w.last_ts = out.ts;
            return w.insert(tsn);
        }
        if self.tsns.len() < out.cfg.max_sctp_streams {
            self.tsns.insert(
                out.flow,
                TsnWindow {
                    max: tsn,
                    seen: 1,
                    last_ts: out.ts,
                },
            );
        }
        true
    }

    fn fragment(&mut self, data: Data<'_>, out: &mut Out<'_>) {
        let key = (
            out.flow,
            data.stream,
            data.flags & FLAG_UNORDERED != 0,
            data.mid,
        );
        if !self.streams.contains_key(&key) && self.streams.len() >= out.cfg.max_sctp_streams {
            out.malformed(data.user_data, StreamError::SctpFragments);
            return;
        }
        let r = self.streams.entry(key).or_default();
        r.last_ts = out.ts;
        if r.frags.len() >= MAX_FRAGMENTS
            || r.bytes + data.user_data.len() > out.cfg.max_message_bytes
        {
            // The oldest fragments will not complete in time.
            for f in r.frags.drain(..) {
                out.malformed(&f.data, StreamError::SctpFragments);
            }
            r.bytes = 0;
        }
        r.bytes += data.user_data.len();
        r.frags.push(Frag {
            seq: data.fragment,
            flags: data.flags,
            ppid: data.ppid,
            data: data.user_data.to_vec(),
        });
        // Sequence order modulo 2^32 (fragments of one message are close together).
        let anchor = r.frags.first().map_or(0, |f| f.seq);
        r.frags.sort_by_key(|f| f.seq.wrapping_sub(anchor) as i32);
        while let Some((b, e)) = complete_run(&r.frags) {
            let ppid = r.frags.get(b).map_or(0, |f| f.ppid);
            self.scratch.clear();
            for f in r.frags.drain(b..=e) {
                r.bytes = r.bytes.saturating_sub(f.data.len());
                self.scratch.extend_from_slice(&f.data);
            }
            emit(&self.scratch, ppid, out);
        }
        if r.frags.is_empty() {
            self.streams.remove(&key);
        }
    }

    pub(crate) fn flush(
        &mut self,
        cfg: &StreamConfig,
        stats: &mut StreamStats,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        self.expire(Nanos::MAX, cfg, stats, sink);
        self.streams.clear();
        self.tsns.clear();
    }

    pub(crate) fn expire(
        &mut self,
        now: Nanos,
        cfg: &StreamConfig,
        stats: &mut StreamStats,
        sink: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let mut idle: Vec<StreamKey> = self
            .streams
            .iter()
            .filter(|(_, r)| now == Nanos::MAX || now.saturating_sub(r.last_ts) > cfg.idle_timeout)
            .map(|(k, _)| *k)
            .collect();
        idle.sort();
        self.tsns
            .retain(|_, w| now != Nanos::MAX && now.saturating_sub(w.last_ts) <= cfg.idle_timeout);
        for key in idle {
            let Some(r) = self.streams.remove(&key) else {
                continue;
            };
            let mut out = Out {
                flow: key.0,
                ts: r.last_ts,
                transport: Transport::Sctp,
                cfg,
                stats,
                sink,
            };
            for f in &r.frags {
                out.malformed(&f.data, StreamError::SctpFragments);
            }
        }
    }
}

/// Indexes of the first B..E run of consecutive sequence numbers in `frags` (sorted).
fn complete_run(frags: &[Frag]) -> Option<(usize, usize)> {
    let mut start = None;
    for (i, f) in frags.iter().enumerate() {
        let contiguous = i > 0
            && frags
                .get(i - 1)
                .is_some_and(|p| p.seq.wrapping_add(1) == f.seq);
        if f.flags & FLAG_BEGIN != 0 {
            start = Some(i);
        } else if !contiguous {
            start = None;
        }
        if f.flags & FLAG_END != 0 {
            if let Some(b) = start {
                return Some((b, i));
            }
            start = None;
        }
    }
    None
}

/// One SCTP user message.
fn emit(msg: &[u8], ppid: u32, out: &mut Out<'_>) {
    if !SIP_PPIDS.contains(&ppid) {
        out.stats.sctp_non_sip_chunks += 1;
    } else if msg.len() > out.cfg.max_message_bytes {
        out.malformed(msg, StreamError::TooLarge);
    } else if starts_like_sip(msg) == Start::Sip {
        out.message(msg, false);
    } else if ppid == 0 {
        // Unspecified PPID: some other protocol.
        out.stats.sctp_non_sip_chunks += 1;
    } else {
        out.malformed(msg, StreamError::NotSip);
    }
}
