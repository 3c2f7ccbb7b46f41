//! Wireshark/tshark 4.0 RTP stream statistics, reproduced to every printed digit
//! (`tshark -q -z rtp,streams`; VOICE_QUALITY.md §2.2–2.3).
//!
//! This is a port of the 4.0 per-packet analysis (`rtppacket_analyse`) and of the
//! `rtpstream_info_calculate` totals, quirks included: the jitter is computed against the
//! nominal time derived from the stream's *first* timestamp with the clock divided by 1000 in
//! integer arithmetic, the "in time sequence" test is relative to the first timestamp, the
//! means divide by the count of all packets, and `lost` uses the *last* sequence number.

use crate::net::Nanos;

/// Payload type clock as Wireshark 4.0 resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtClock {
    /// Known clock rate in Hz.
    Rate(u32),
    /// RFC 4733 telephone-event: Wireshark sets the rate to 0 (no jitter).
    TelephoneEvent,
    /// Unknown (dynamic PT without SDP, or an unassigned static PT): no jitter.
    Unknown,
}

impl PtClock {
    pub fn rate(self) -> u32 {
        match self {
            PtClock::Rate(r) => r,
            _ => 0,
        }
    }
}

/// Wireshark's static clock table (`clock_map`, RFC 3551): 0 when the PT is not listed.
pub fn static_clock_rate(pt: u8) -> u32 {
    match pt {
        0..=5 | 7..=9 | 12 | 13 | 15 | 18 | 19 => 8000,
        6 => 16000,
        10 | 11 => 44100,
        14 | 25 | 26 | 28 | 31..=34 => 90000,
        16 => 11025,
        17 => 22050,
        _ => 0,
    }
}

/// Wireshark's MIME-name clock table used for a dynamic PT whose rtpmap gave no rate:
/// the last entry (in the table's order) that is a case-insensitive prefix of the name.
pub fn mime_clock_rate(name: &str) -> u32 {
    const TABLE: &[(&str, u32)] = &[
        ("AMR", 8000),
        ("AMR-WB", 16000),
        ("BMPEG", 90000),
        ("BT656", 90000),
        ("DV", 90000),
        ("EVRC", 8000),
        ("EVRC0", 8000),
        ("EVRC1", 8000),
        ("EVRCB", 8000),
        ("EVRCB0", 8000),
        ("EVRCB1", 8000),
        ("EVRCWB", 16000),
        ("EVRCWB0", 16000),
        ("EVRCWB1", 16000),
        ("EVS", 16000),
        ("G7221", 16000),
        ("G726-16", 8000),
        ("G726-24", 8000),
        ("G726-32", 8000),
        ("G726-40", 8000),
        ("G729D", 8000),
        ("G729E", 8000),
        ("GSM-EFR", 8000),
        ("H263-1998", 90000),
        ("H263-2000", 90000),
        ("H264", 90000),
        ("MP1S", 90000),
        ("MP2P", 90000),
        ("MP4V-ES", 90000),
        ("mpa-robust", 90000),
        ("pointer", 90000),
        ("raw", 90000),
        ("red", 1000),
        ("SMV", 8000),
        ("SMV0", 8000),
        ("t140", 1000),
        ("telephone-event", 8000),
    ];
    let n = name.as_bytes();
    TABLE
        .iter()
        .rev()
        .find(|(k, _)| n.len() >= k.len() && n[..k.len()].eq_ignore_ascii_case(k.as_bytes()))
        .map_or(0, |&(_, r)| r)
}

/// True when an rtpmap encoding name is RFC 4733 telephone-event (prefix, case-insensitive).
pub fn is_telephone_event(name: &str) -> bool {
    const TE: &[u8] = b"telephone-event";
    name.len() >= TE.len() && name.as_bytes()[..TE.len()].eq_ignore_ascii_case(TE)
}

/// Wireshark's short payload names (`rtp_payload_type_short_vals`) for PTs without an rtpmap.
pub fn short_payload_name(pt: u8) -> &'static str {
    const DYN: [&str; 32] = [
        "RTPType-96",
        "RTPType-97",
        "RTPType-98",
        "RTPType-99",
        "RTPType-100",
        "RTPType-101",
        "RTPType-102",
        "RTPType-103",
        "RTPType-104",
        "RTPType-105",
        "RTPType-106",
        "RTPType-107",
        "RTPType-108",
        "RTPType-109",
        "RTPType-110",
        "RTPType-111",
        "RTPType-112",
        "RTPType-113",
        "RTPType-114",
        "RTPType-115",
        "RTPType-116",
        "RTPType-117",
        "RTPType-118",
        "RTPType-119",
        "RTPType-120",
        "RTPType-121",
        "RTPType-122",
        "RTPType-123",
        "RTPType-124",
        "RTPType-125",
        "RTPType-126",
        "RTPType-127",
    ];
    match pt {
        0 => "g711U",
        1 => "fs-1016",
        2 => "g721",
        3 => "GSM",
        4 => "g723",
        5 => "DVI4 8k",
        6 => "DVI4 16k",
        7 => "Exp. from Xerox PARC",
        8 => "g711A",
        9 => "g722",
        10 => "16-bit audio, stereo",
        11 => "16-bit audio, monaural",
        12 => "Qualcomm",
        13 => "CN",
        14 => "MPEG-I/II Audio",
        15 => "g728",
        16 => "DVI4 11k",
        17 => "DVI4 22k",
        18 => "g729",
        19 => "CN(old)",
        25 => "CellB",
        26 => "JPEG",
        28 => "NV",
        31 => "h261",
        32 => "MPEG-I/II Video",
        33 => "MPEG-II streams",
        34 => "h263",
        72..=76 => "Reserved for RTCP conflict avoidance",
        96..=127 => DYN[usize::from(pt - 96)],
        _ => "Unassigned",
    }
}

const FLAG_MARKER: u8 = 1;
const FLAG_WRONG_SEQ: u8 = 2;
const FLAG_PT_CN: u8 = 4;
const FLAG_FOLLOW_PT_CN: u8 = 8;
const FLAG_WRONG_TIMESTAMP: u8 = 16;

fn is_cn(pt: u8) -> bool {
    pt == 13 || pt == 19
}

/// Per-stream state of the tshark 4.0 analysis. Fixed size, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TsharkStats {
    total_nr: u32,
    first_arrival: Nanos,
    last_arrival: Nanos,
    start_seq_nr: u32,
    stop_seq_nr: u32,
    seq_num: u32,
    seq_cycles: u32,
    under: bool,
    problem: bool,
    pt: u8,
    first_timestamp: u32,
    /// Arrival (ms, relative to the stream's first packet) of the last in-time-sequence packet.
    time: f64,
    lastnominaltime: f64,
    jitter: f64,
    delta: f64,
    max_delta: f64,
    min_delta: f64,
    mean_delta: f64,
    max_jitter: f64,
    min_jitter: f64,
    mean_jitter: f64,
    sequence: u32,
    /// Bit i set when payload type i was seen (names are listed in PT order).
    pts_seen: u128,
    /// Time origin (tshark: the capture's first packet); the stream's first packet if unset.
    origin: Nanos,
    origin_set: bool,
    /// Cache of `clock_rate / 1000` (an integer division per packet otherwise).
    khz_clock: u32,
    khz: f64,
}

/// The figures of one `rtp,streams` row (before formatting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsharkRow {
    pub packets: u32,
    pub expected: u32,
    pub lost: i32,
    pub lost_percent: f64,
    pub min_delta_ms: f64,
    pub mean_delta_ms: f64,
    pub max_delta_ms: f64,
    pub min_jitter_ms: f64,
    pub mean_jitter_ms: f64,
    pub max_jitter_ms: f64,
    pub sequence_errors: u32,
    pub problem: bool,
}

impl TsharkStats {
    /// Feeds one packet in capture order. `clock` is the clock Wireshark would use for `pt`.
    pub fn on_packet(
        &mut self,
        arrival: Nanos,
        seq: u16,
        ts: u32,
        pt: u8,
        marker: bool,
        clock: PtClock,
    ) {
        self.pts_seen |= 1u128 << (pt & 0x7f);
        let seq = u32::from(seq);
        // nstime_to_msec of the time relative to the origin: seconds × 1000 + ns / 1e6.
        let origin = if self.origin_set {
            self.origin
        } else {
            self.first_arrival
        };
        let rel = if self.total_nr == 0 && !self.origin_set {
            0
        } else {
            arrival.saturating_sub(origin)
        };
        let current_time =
            (rel / 1_000_000_000) as f64 * 1000.0 + (rel % 1_000_000_000) as f64 / 1_000_000.0;
        if self.total_nr == 0 {
            self.first_arrival = arrival;
            self.last_arrival = arrival;
            self.start_seq_nr = seq;
            self.stop_seq_nr = seq;
            self.seq_num = seq;
            self.first_timestamp = ts;
            self.time = current_time;
            self.lastnominaltime = 0.0;
            self.pt = pt;
            self.min_delta = -1.0;
            self.min_jitter = -1.0;
            self.total_nr = 1;
            return;
        }
        self.last_arrival = arrival;
        let mut flags = 0u8;

        // In time sequence: within half the 32-bit range at or after the *first* timestamp.
        let d = ts.wrapping_sub(self.first_timestamp);
        let in_time_sequence = if ts >= self.first_timestamp {
            d < 0x8000_0000
        } else {
            d - 1 < 0x8000_0000
        };
        if !in_time_sequence {
            flags |= FLAG_WRONG_TIMESTAMP;
        }

        // Wrap counting against the start sequence number (the 4.0 `under` heuristic).
        // (first wrap below the start number, or 65535 -> 0 right after the start).
        let wrapped = seq < self.start_seq_nr || (seq == 0 && self.stop_seq_nr == 65535);
        if wrapped && in_time_sequence && !self.under {
            self.seq_cycles = self.seq_cycles.wrapping_add(1);
            self.under = true;
        } else if seq > self.start_seq_nr && in_time_sequence && self.under {
            self.under = false;
        }

        // Sequence check against the last in-order number (32-bit unsigned as in C).
        // In order, or the 65535 -> 0 step (C compares 32-bit values, so +1 never wraps).
        if in_time_sequence && (self.seq_num + 1 == seq || (self.seq_num == 65535 && seq == 0)) {
            self.seq_num = seq;
        } else if in_time_sequence
            && (self.seq_num + 1 < seq || self.seq_num.wrapping_sub(seq) > 0xFF00)
        {
            self.seq_num = seq;
            self.sequence = self.sequence.saturating_add(1);
            flags |= FLAG_WRONG_SEQ;
        } else if self.seq_num + 1 > seq {
            self.sequence = self.sequence.saturating_add(1);
            flags |= FLAG_WRONG_SEQ;
        }

        if is_cn(pt) {
            flags |= FLAG_PT_CN;
        }
        if is_cn(self.pt) {
            flags |= FLAG_FOLLOW_PT_CN;
        }
        self.pt = pt;

        // Rates under 1 kHz would divide by zero in Wireshark's integer kHz; treat as unknown.
        let clock_rate = match clock.rate() {
            r if r >= 1000 => r,
            _ => 0,
        };
        let mut current_jitter = 0.0;
        if in_time_sequence {
            if clock_rate != 0 {
                // Integer kHz, as Wireshark divides `clock_rate / 1000` in integers.
                if clock_rate != self.khz_clock {
                    self.khz_clock = clock_rate;
                    self.khz = f64::from(clock_rate / 1000);
                }
                let khz = self.khz;
                let nominaltime = f64::from(ts.wrapping_sub(self.first_timestamp)) / khz;
                let expected_time = self.time + (nominaltime - self.lastnominaltime);
                let diff = (current_time - expected_time).abs();
                current_jitter = (15.0 * self.jitter + diff) / 16.0;
                self.delta = current_time - self.time;
                self.jitter = current_jitter;
                self.lastnominaltime = nominaltime;
            } else {
                self.delta = current_time - self.time;
            }
        }
        if marker {
            flags |= FLAG_MARKER;
        }

        let excluded = FLAG_MARKER | FLAG_PT_CN | FLAG_WRONG_TIMESTAMP | FLAG_FOLLOW_PT_CN;
        if flags & excluded == 0 {
            if self.delta > self.max_delta {
                self.max_delta = self.delta;
            }
            if self.min_delta == -1.0 || self.delta < self.min_delta {
                self.min_delta = self.delta;
            }
            let n = f64::from(self.total_nr);
            self.mean_delta = (self.mean_delta * (n - 1.0) + self.delta) / n;
            if clock_rate != 0 {
                if self.jitter > self.max_jitter {
                    self.max_jitter = self.jitter;
                }
                self.mean_jitter = (self.mean_jitter * (n - 1.0) + current_jitter) / n;
                if self.min_jitter == -1.0 || self.jitter < self.min_jitter {
                    self.min_jitter = self.jitter;
                }
            }
        }
        if flags & (FLAG_WRONG_SEQ | FLAG_WRONG_TIMESTAMP) != 0 {
            self.problem = true;
        }
        if in_time_sequence {
            self.time = current_time;
        }
        self.stop_seq_nr = seq;
        self.total_nr = self.total_nr.saturating_add(1);
    }

    /// Sets the time origin tshark measures from (the first packet of the capture). Floating
    /// point rounding of the per-packet arithmetic depends on it, so set it for bit-exact
    /// tshark figures; without it the stream's first packet is the origin (differences show
    /// at most in the last printed digit, and only on exact ties).
    pub fn set_time_origin(&mut self, origin: Nanos) {
        self.origin = origin;
        self.origin_set = true;
    }

    /// Packets seen (duplicates included).
    pub fn packets(&self) -> u32 {
        self.total_nr
    }
    pub fn first_arrival(&self) -> Nanos {
        self.first_arrival
    }
    pub fn last_arrival(&self) -> Nanos {
        self.last_arrival
    }
    /// Payload types seen, as a bitmap (bit = PT).
    pub fn payload_types_seen(&self) -> u128 {
        self.pts_seen
    }

    /// The totals `rtpstream_info_calculate` derives (C integer arithmetic kept).
    pub fn row(&self) -> TsharkRow {
        let expected = self
            .stop_seq_nr
            .wrapping_add(self.seq_cycles.wrapping_mul(0x10000))
            .wrapping_sub(self.start_seq_nr)
            .wrapping_add(1);
        let lost = expected.wrapping_sub(self.total_nr) as i32;
        let lost_percent = if expected != 0 {
            f64::from(lost.wrapping_mul(100)) / f64::from(expected)
        } else {
            0.0
        };
        TsharkRow {
            packets: self.total_nr,
            expected,
            lost,
            lost_percent,
            min_delta_ms: self.min_delta,
            mean_delta_ms: self.mean_delta,
            max_delta_ms: self.max_delta,
            min_jitter_ms: self.min_jitter,
            mean_jitter_ms: self.mean_jitter,
            max_jitter_ms: self.max_jitter,
            sequence_errors: self.sequence,
            problem: self.problem,
        }
    }

    /// Payload names joined with ", " in PT order, as tshark lists them. `rtpmap_name` gives
    /// the SDP encoding name Wireshark would show for a PT (it only uses it for dynamic PTs).
    pub fn payload_names<'n>(&self, rtpmap_name: impl Fn(u8) -> Option<&'n str>) -> String {
        let mut out = String::new();
        for pt in 0..128u8 {
            if self.pts_seen & (1u128 << pt) == 0 {
                continue;
            }
            if !out.is_empty() {
                out.push_str(", ");
            }
            let name = if pt >= 96 { rtpmap_name(pt) } else { None };
            out.push_str(name.unwrap_or_else(|| short_payload_name(pt)));
        }
        out
    }
}

/// The `rtp,streams` title line (tshark 4.0).
pub const TSHARK_TITLE: &str = "========================= RTP Streams ========================";
/// The closing line.
pub const TSHARK_FOOTER: &str = "==============================================================";

/// The `rtp,streams` header line (tshark 4.0).
pub const TSHARK_HEADER: &str = "   Start time      End time     Src IP addr  Port    Dest IP addr  Port       SSRC          Payload  Pkts         Lost   Min Delta(ms)  Mean Delta(ms)   Max Delta(ms)  Min Jitter(ms) Mean Jitter(ms)  Max Jitter(ms) Problems?";

/// Addresses and identity of a row (what tshark prints before the figures).
#[derive(Debug, Clone, Copy)]
pub struct RowIdentity<'a> {
    /// Time of the first packet of the capture (tshark's times are relative to it).
    pub capture_start: Nanos,
    pub src: std::net::IpAddr,
    pub src_port: u16,
    pub dst: std::net::IpAddr,
    pub dst_port: u16,
    pub ssrc: u32,
    pub payload_names: &'a str,
}

fn rel_seconds(t: Nanos, start: Nanos) -> f64 {
    // nstime_to_sec: seconds + nanoseconds / 1e9, of the difference.
    let d = t.saturating_sub(start);
    (d / 1_000_000_000) as f64 + (d % 1_000_000_000) as f64 / 1e9
}

/// Formats one row exactly like tshark 4.0's
/// `"%13.6f %13.6f %15s %5u %15s %5u 0x%08X %16s %5u %5d (%.1f%%) %15.3f ×6 %s"`.
pub fn format_tshark_row(id: &RowIdentity<'_>, stats: &TsharkStats) -> String {
    let r = stats.row();
    format!(
        "{:13.6} {:13.6} {:>15} {:5} {:>15} {:5} 0x{:08X} {:>16} {:5} {:5} ({:.1}%) {:15.3} {:15.3} {:15.3} {:15.3} {:15.3} {:15.3} {}",
        rel_seconds(stats.first_arrival, id.capture_start),
        rel_seconds(stats.last_arrival, id.capture_start),
        id.src.to_string(),
        id.src_port,
        id.dst.to_string(),
        id.dst_port,
        id.ssrc,
        id.payload_names,
        r.packets,
        r.lost,
        r.lost_percent,
        r.min_delta_ms,
        r.mean_delta_ms,
        r.max_delta_ms,
        r.min_jitter_ms,
        r.mean_jitter_ms,
        r.max_jitter_ms,
        if r.problem { "X" } else { "" }
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn clock_tables() {
        assert_eq!(static_clock_rate(0), 8000);
        assert_eq!(static_clock_rate(9), 8000); // G.722 quirk (RFC 3551)
        assert_eq!(static_clock_rate(6), 16000);
        assert_eq!(static_clock_rate(11), 44100);
        assert_eq!(static_clock_rate(20), 0);
        // Last matching prefix in table order: AMR-WB is not AMR.
        assert_eq!(mime_clock_rate("AMR-WB"), 16000);
        assert_eq!(mime_clock_rate("amr"), 8000);
        assert_eq!(mime_clock_rate("EVRCWB0"), 16000);
        assert_eq!(mime_clock_rate("iLBC"), 0);
        assert!(is_telephone_event("Telephone-Event"));
        assert!(!is_telephone_event("tel"));
        assert_eq!(short_payload_name(101), "RTPType-101");
        assert_eq!(short_payload_name(127), "RTPType-127");
        assert_eq!(short_payload_name(21), "Unassigned");
    }

    /// §2.1 row layout: the S3 stream of the reference scenario.
    #[test]
    fn row_format() {
        let mut s = TsharkStats::default();
        s.set_time_origin(1_000_030_000_000);
        let base = 1_000_050_000_000u64;
        for i in 0..10u32 {
            let t = base + u64::from(i) * 20_000_000;
            s.on_packet(t, 7 + i as u16, 160 * i, 0, false, PtClock::Rate(8000));
            if [2, 5, 8].contains(&i) {
                s.on_packet(
                    t + 2_000_000,
                    7 + i as u16,
                    160 * i,
                    0,
                    false,
                    PtClock::Rate(8000),
                );
            }
        }
        let names = s.payload_names(|_| None);
        let id = RowIdentity {
            capture_start: 1_000_030_000_000,
            src: "10.0.0.1".parse().unwrap(),
            src_port: 40004,
            dst: "10.0.0.2".parse().unwrap(),
            dst_port: 50004,
            ssrc: 0x33333333,
            payload_names: &names,
        };
        assert_eq!(
            format_tshark_row(&id, &s),
            "     0.020000      0.200000        10.0.0.1 40004        10.0.0.2 50004 0x33333333            g711U    13    -3 (-30.0%)           2.000          15.000          20.000           0.000           0.283           0.574 X"
        );
    }
}
