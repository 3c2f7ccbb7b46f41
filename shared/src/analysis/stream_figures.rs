//! A stream's figures for the report: tshark 4.0's, RFC 3550's, the E-model's, RTCP's.
use super::media::{MediaTracker, Tracked};
use super::report::{
    IntervalRecord, Rfc3550Record, RtcpRecord, SeriesRecord, StreamRecord, XrRecord,
};
use super::time::{rel, rfc3339};
use crate::rtp::RowIdentity;
use crate::rtp::codec::Codec;
use crate::rtp::codec::{CodecLookup, by_encoding_name, by_static_pt};
use crate::rtp::emodel::{mos_for_interval, mos_for_stream};
use crate::rtp::series::QualitySeries;

pub(super) fn record(
    id: usize,
    t: &Tracked,
    media: &MediaTracker,
    call: Option<usize>,
    call_id: Option<String>,
    base: u64,
) -> StreamRecord {
    // The interval still open at end of input (or at a periodic report) counts too.
    let open = t.stats.current_interval();
    let open = (open.received > 0).then_some(open);
    let row = t.stats.tshark().row();
    let session = t.rtcp_key.and_then(|k| media.rtcp.get(&k));
    let rtt_ms = session
        .and_then(|s| s.rtt_end_to_end_ns())
        .map(|ns| ns as f64 / 1e6);
    let lookup = match &t.encoding {
        Some(name) => by_encoding_name(name),
        None => by_static_pt(t.payload_type),
    };
    let quality = mos_for_stream(&t.stats, lookup, rtt_ms);
    let (mos, r_factor, mos_reason) = match &quality {
        Ok(q) => (Some(round(q.mos, 2)), Some(round(q.r, 1)), None),
        Err(e) => (None, None, Some(e.to_string())),
    };
    let intervals = match (lookup, &quality) {
        (CodecLookup::Voice(codec), Ok(q)) => t
            .intervals
            .iter()
            .chain(open.iter())
            .map(|iv| IntervalRecord {
                start_rel: rel(iv.start, base),
                packets: u64::from(iv.received),
                lost: i64::from(iv.lost),
                mos: mos_for_interval(iv, &codec, q.one_way_delay_ms)
                    .ok()
                    .map(|q| round(q.mos, 2)),
            })
            .collect(),
        _ => Vec::new(),
    };
    let voice = match (lookup, &quality) {
        (CodecLookup::Voice(codec), Ok(q)) => Some((codec, q.one_way_delay_ms)),
        _ => None,
    };
    let series = series_record(t.stats.series(), voice, base);
    let rtcp = session.map(|s| {
        let reported = s.reported(t.ssrc);
        RtcpRecord {
            reported_fraction_lost: reported.map(|r| f64::from(r.block.fraction_lost) / 256.0),
            reported_cumulative_lost: reported.map(|r| i64::from(r.block.cumulative_lost)),
            reported_jitter_ms: reported.and_then(|r| {
                let clock = t.stats.clock_for(t.payload_type).rate();
                (clock > 0).then(|| f64::from(r.block.jitter) * 1000.0 / f64::from(clock))
            }),
            rtt_ms,
            xr: s.reported_voip_metrics(t.ssrc).map(|(_, _, vm)| XrRecord {
                loss_rate: f64::from(vm.loss_rate) / 256.0,
                discard_rate: f64::from(vm.discard_rate) / 256.0,
                round_trip_delay_ms: vm.round_trip_delay,
                end_system_delay_ms: vm.end_system_delay,
                r_factor: vm.r_factor,
                mos_lq: vm.mos_lq.map(|m| f64::from(m) / 10.0),
                mos_cq: vm.mos_cq.map(|m| f64::from(m) / 10.0),
            }),
        }
    });
    let tshark_payload = t.stats.payload_names(|pt| {
        t.payloads
            .iter()
            .find(|p| p.0 == pt && !p.1.is_empty())
            .map(|p| p.1.as_str())
    });
    let tshark_row = t.stats.tshark_row(&RowIdentity {
        capture_start: base,
        src: t.flow.src.ip,
        src_port: t.flow.src.port,
        dst: t.flow.dst.ip,
        dst_port: t.flow.dst.port,
        ssrc: t.ssrc,
        payload_names: &tshark_payload,
    });
    let codec = t.encoding.clone().unwrap_or_else(|| tshark_payload.clone());
    let expected = t.stats.expected();
    let rfc_lost = i64::from(t.stats.rfc3550_lost());
    StreamRecord {
        id,
        src: t.flow.src,
        dst: t.flow.dst,
        ssrc: format!("0x{:08X}", t.ssrc),
        payload_type: t.payload_type,
        codec,
        call,
        call_id,
        found_by: t.found_by.into(),
        first_frame: t.first_frame,
        start: rfc3339(t.stats.first_arrival()),
        end: rfc3339(t.stats.last_arrival()),
        start_rel: rel(t.stats.first_arrival(), base),
        end_rel: rel(t.stats.last_arrival(), base),
        packets: u64::from(row.packets),
        lost: i64::from(row.lost),
        lost_percent: row.lost_percent,
        min_delta_ms: row.min_delta_ms,
        mean_delta_ms: row.mean_delta_ms,
        max_delta_ms: row.max_delta_ms,
        min_jitter_ms: row.min_jitter_ms,
        mean_jitter_ms: row.mean_jitter_ms,
        max_jitter_ms: row.max_jitter_ms,
        problems: row.problem,
        tshark_payload,
        tshark_row,
        rfc3550: Rfc3550Record {
            expected,
            lost: rfc_lost,
            fraction_lost: f64::from(t.stats.rfc3550_fraction_lost()) / 256.0,
            jitter_ms: t.stats.jitter_ms().unwrap_or(0.0),
            burst_ratio: quality.as_ref().ok().map(|q| round(q.burst_r, 3)),
        },
        sequence_errors: u64::from(row.sequence_errors),
        duplicates: t.stats.duplicates(),
        out_of_order: t.stats.late(),
        mos,
        r_factor,
        mos_reason,
        mos_intervals: intervals,
        rtcp,
        series,
    }
}

/// The series as columns; MOS and R per bucket with the stream's codec and one-way delay.
fn series_record(
    s: &QualitySeries,
    voice: Option<(Codec, f64)>,
    base: u64,
) -> Option<SeriesRecord> {
    if s.is_empty() {
        return None;
    }
    let n = s.len();
    let mut r = SeriesRecord {
        interval_s: s.width() as f64 / 1e9,
        start: rfc3339(s.start()),
        start_rel: round((s.start() as f64 - base as f64) / 1e9, 9),
        packets: Vec::with_capacity(n),
        expected: Vec::with_capacity(n),
        lost: Vec::with_capacity(n),
        jitter_mean_ms: Vec::with_capacity(n),
        jitter_max_ms: Vec::with_capacity(n),
        jb_discards: Vec::with_capacity(n),
        r_factor: Vec::with_capacity(n),
        mos: Vec::with_capacity(n),
    };
    let mut start = s.start();
    for b in s.buckets() {
        let end = start.saturating_add(s.width());
        r.packets.push(b.received);
        r.expected.push(b.expected);
        r.lost.push(b.lost());
        r.jitter_mean_ms
            .push(b.mean_jitter_ms().map(|j| round(j, 3)));
        r.jitter_max_ms.push(b.max_jitter_ms().map(|j| round(j, 3)));
        r.jb_discards.push(b.jb_discards);
        let q = voice.and_then(|(codec, delay)| {
            mos_for_interval(&b.as_interval(start, end), &codec, delay).ok()
        });
        r.r_factor.push(q.map(|q| round(q.r, 1)));
        r.mos.push(q.map(|q| round(q.mos, 2)));
        start = end;
    }
    Some(r)
}

fn round(v: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (v * p).round() / p
}
