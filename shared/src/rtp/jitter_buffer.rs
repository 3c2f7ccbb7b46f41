//! Jitter-buffer discard models (VOICE_QUALITY.md §3.3, §4.1: packets the buffer drops as
//! late are lost to the listener and count in the E-model's Ppl).
//!
//! Both models play packets out on the capture timeline. A packet's *transit* is its arrival
//! minus its media time (RTP timestamp / clock), in ms. The playout reference is the transit
//! of the packet that started the current talkspurt (first packet, marker bit, or a resync);
//! a packet whose transit exceeds that reference by more than the buffer delay arrives after
//! its playout instant and is discarded.
//! - Fixed: constant delay (e.g. 60 ms).
//! - Adaptive: the delay is re-chosen at each talkspurt start as 3 × the running jitter
//!   (RFC 3550 estimator of the transit), clamped to [min, max], and grows at once to the
//!   observed lateness after a discard (never beyond max), as adaptive buffers do on underrun.

/// Buffer flavour and its parameters (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JitterBufferKind {
    Fixed { delay_ms: f64 },
    Adaptive { min_ms: f64, max_ms: f64 },
}

/// A transit this far from the reference (ms) is a discontinuity (sender reset, splice):
/// re-anchor rather than discard.
const RESYNC_MS: f64 = 1000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JitterBufferModel {
    kind: JitterBufferKind,
    anchored: bool,
    reference: f64,
    delay_ms: f64,
    last_transit: f64,
    jitter_ms: f64,
    pub played: u64,
    pub discarded: u64,
    pub resyncs: u32,
}

impl JitterBufferModel {
    pub fn new(kind: JitterBufferKind) -> Self {
        let delay_ms = match kind {
            JitterBufferKind::Fixed { delay_ms } => delay_ms,
            JitterBufferKind::Adaptive { min_ms, .. } => min_ms,
        };
        Self {
            kind,
            anchored: false,
            reference: 0.0,
            delay_ms,
            last_transit: 0.0,
            jitter_ms: 0.0,
            played: 0,
            discarded: 0,
            resyncs: 0,
        }
    }

    pub fn fixed(delay_ms: f64) -> Self {
        Self::new(JitterBufferKind::Fixed { delay_ms })
    }

    pub fn adaptive(min_ms: f64, max_ms: f64) -> Self {
        Self::new(JitterBufferKind::Adaptive { min_ms, max_ms })
    }

    pub fn kind(&self) -> JitterBufferKind {
        self.kind
    }

    /// Current playout delay, ms.
    pub fn delay_ms(&self) -> f64 {
        self.delay_ms
    }

    /// One packet with transit `transit_ms`; `talkspurt_start` on the marker bit.
    /// Returns true when the packet is discarded as late.
    pub fn on_packet(&mut self, transit_ms: f64, talkspurt_start: bool) -> bool {
        if self.anchored {
            let d = (transit_ms - self.last_transit).abs();
            self.jitter_ms += (d - self.jitter_ms) / 16.0;
        }
        self.last_transit = transit_ms;
        let off = transit_ms - self.reference;
        if !self.anchored || talkspurt_start || off.abs() > RESYNC_MS {
            if self.anchored && !talkspurt_start {
                self.resyncs += 1;
            }
            self.anchored = true;
            self.reference = transit_ms;
            if let JitterBufferKind::Adaptive { min_ms, max_ms } = self.kind {
                self.delay_ms = (3.0 * self.jitter_ms).clamp(min_ms, max_ms);
            }
            self.played += 1;
            return false;
        }
        if off > self.delay_ms {
            self.discarded += 1;
            if let JitterBufferKind::Adaptive { max_ms, .. } = self.kind {
                self.delay_ms = off.min(max_ms);
            }
            true
        } else {
            self.played += 1;
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn fixed_discards_late_packets() {
        let mut jb = JitterBufferModel::fixed(60.0);
        assert!(!jb.on_packet(10.0, false));
        assert!(!jb.on_packet(69.0, false));
        assert!(jb.on_packet(71.0, false));
        // A marker re-anchors.
        assert!(!jb.on_packet(200.0, true));
        assert!(!jb.on_packet(250.0, false));
        // A 2 s jump is a resync, not a discard.
        assert!(!jb.on_packet(2500.0, false));
        assert_eq!((jb.played, jb.discarded, jb.resyncs), (5, 1, 1));
    }

    #[test]
    fn adaptive_grows_after_discard() {
        let mut jb = JitterBufferModel::adaptive(20.0, 200.0);
        assert!(!jb.on_packet(0.0, false));
        assert!(jb.on_packet(50.0, false));
        assert_eq!(jb.delay_ms(), 50.0);
        assert!(!jb.on_packet(45.0, false));
        assert!(jb.on_packet(500.0, false) || jb.delay_ms() <= 200.0);
    }
}
