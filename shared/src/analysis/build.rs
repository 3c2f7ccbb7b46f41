//! Turns the pipeline's state at end of input into the [`Report`].
use super::Core;
use super::report::*;
use super::time::{rel, rfc3339};
use crate::calls::{Leg, group_legs};

pub(super) fn report(mut core: Core, stream_layer: crate::stream::StreamStats) -> Report {
    let base = core.first_ts.unwrap_or(0);
    let legs = core.legs.into_vec();
    let groups = group_legs(&legs, &core.cfg.correlation);

    // Leg -> call index, for streams.
    let mut call_of_leg: Vec<Option<usize>> = vec![None; legs.len()];
    for (ci, g) in groups.iter().enumerate() {
        for (li, _) in &g.legs {
            if let Some(slot) = call_of_leg.get_mut(*li) {
                *slot = Some(ci);
            }
        }
    }

    // Streams in order of first packet.
    let mut streams: Vec<StreamRecord> = Vec::with_capacity(core.media.list.len());
    let mut streams_of_leg: Vec<Vec<usize>> = vec![Vec::new(); legs.len()];
    let list = std::mem::take(&mut core.media.list);
    let media_ref = &core.media;
    for (i, t) in list.iter().enumerate() {
        let call = t.leg.and_then(|l| call_of_leg.get(l).copied().flatten());
        let call_id = t.leg.and_then(|l| legs.get(l)).map(|l| l.call_id.clone());
        if let Some(l) = t.leg
            && let Some(v) = streams_of_leg.get_mut(l)
        {
            v.push(i);
        }
        streams.push(super::stream_figures::record(
            i, t, media_ref, call, call_id, base,
        ));
    }

    // Streams measured elsewhere (probe reports in the engine), linked by their Call-ID.
    let leg_of_call_id: std::collections::HashMap<&str, usize> = legs
        .iter()
        .enumerate()
        .map(|(i, l)| (l.call_id.as_str(), i))
        .collect();
    for (mut s, _) in std::mem::take(&mut core.external_streams) {
        let i = streams.len();
        let leg = s
            .call_id
            .as_deref()
            .and_then(|c| leg_of_call_id.get(c).copied());
        s.id = i;
        s.call = leg.and_then(|l| call_of_leg.get(l).copied().flatten());
        if let Some(v) = leg.and_then(|l| streams_of_leg.get_mut(l)) {
            v.push(i);
        }
        streams.push(s);
    }

    // Endpoint reports name the call they measured by its Call-ID.
    let mut vq_reports = std::mem::take(&mut core.vq_reports);
    let mut vq_of_call: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (i, vq) in vq_reports.iter_mut().enumerate() {
        let leg = legs.iter().position(|l| l.call_id == vq.call_id);
        vq.call = leg.and_then(|l| call_of_leg.get(l).copied().flatten());
        if let Some(v) = vq.call.and_then(|c| vq_of_call.get_mut(c)) {
            v.push(i);
        }
    }

    let mut calls = Vec::with_capacity(groups.len());
    for (ci, g) in groups.iter().enumerate() {
        let mut leg_records = Vec::with_capacity(g.legs.len());
        let mut call_streams = Vec::new();
        for (li, why) in &g.legs {
            let Some(leg) = legs.get(*li) else { continue };
            let ls = streams_of_leg.get(*li).cloned().unwrap_or_default();
            let worst = worst_mos(&streams, &ls);
            call_streams.extend(ls.iter().copied());
            leg_records.push(leg_record(leg, why.clone(), ls, worst));
        }
        let Some(first) = g.legs.first().and_then(|(li, _)| legs.get(*li)) else {
            continue;
        };
        let start = g
            .legs
            .iter()
            .filter_map(|(li, _)| legs.get(*li))
            .map(|l| l.first_ts)
            .min()
            .unwrap_or(first.first_ts);
        let end = g
            .legs
            .iter()
            .filter_map(|(li, _)| legs.get(*li))
            .map(|l| l.last_ts)
            .max()
            .unwrap_or(first.last_ts);
        calls.push(CallRecord {
            id: ci,
            call_ids: g
                .legs
                .iter()
                .filter_map(|(li, _)| legs.get(*li))
                .map(|l| l.call_id.clone())
                .collect(),
            from: first.from_uri.clone(),
            to: first.to_uri.clone(),
            start: rfc3339(start),
            end: rfc3339(end),
            start_rel: rel(start, base),
            state: first.state,
            final_status: first.final_status,
            reason: first.reason.clone(),
            q850_cause: q850(first.reason.as_deref()),
            post_dial_delay_ms: first.post_dial_delay_ms(),
            answer_delay_ms: first.answer_delay_ms(),
            duration_s: first.duration_s(),
            worst_mos: worst_mos(&streams, &call_streams),
            vq_reports: vq_of_call.get(ci).cloned().unwrap_or_default(),
            sbc_qos: core
                .sbc_qos
                .iter()
                .filter(|q| {
                    g.legs
                        .iter()
                        .filter_map(|(li, _)| legs.get(*li))
                        .any(|l| l.call_id == q.inc_call_id || l.call_id == q.out_call_id)
                })
                .cloned()
                .collect(),
            streams: call_streams,
            legs: leg_records,
        });
    }

    let other = legs
        .iter()
        .filter(|l| !l.is_call())
        .map(|l| OtherRecord {
            call_id: l.call_id.clone(),
            kind: l.kind,
            from: l.from_uri.clone(),
            to: l.to_uri.clone(),
            start: rfc3339(l.first_ts),
            final_status: l.final_status,
            messages: l.messages.len(),
        })
        .collect();

    let mut ignored = core.ignored;
    if core.media.rtp_malformed > 0 {
        *ignored.entry("media_port_not_rtp".into()).or_default() += core.media.rtp_malformed;
    }
    let summary = Summary {
        packets: core.frame_no,
        sip_messages: core.messages.iter().filter(|m| m.error.is_none()).count() as u64,
        malformed: core.malformed_count,
        calls: calls.len() as u64,
        streams: streams.len() as u64,
        call_ids: legs.len() as u64,
        rtp_packets: core.media.rtp_packets,
        rtcp_packets: core.media.rtcp_packets,
        first: core.first_ts.map(rfc3339),
        last: core.first_ts.map(|_| rfc3339(core.last_ts)),
        sip_retransmissions: legs.iter().map(|l| u64::from(l.retransmissions)).sum(),
        ignored,
        streams_layer: stream_layer,
    };
    Report {
        summary,
        calls,
        streams,
        other,
        messages: Some(core.messages),
        malformed: core.malformed,
        vq_reports,
    }
}

/// The Q.850 cause of a Reason header value (`Q.850;cause=16;text="..."`).
fn q850(reason: Option<&str>) -> Option<u16> {
    let r = crate::sip::Reason::parse(reason?.as_bytes())?;
    r.protocol
        .eq_ignore_ascii_case(b"Q.850")
        .then_some(r.cause)
        .flatten()
}

fn worst_mos(streams: &[StreamRecord], ids: &[usize]) -> Option<f64> {
    ids.iter()
        .filter_map(|&i| streams.get(i).and_then(|s| s.mos))
        .min_by(f64::total_cmp)
}

fn leg_record(
    leg: &Leg,
    link: crate::calls::LinkReason,
    streams: Vec<usize>,
    worst: Option<f64>,
) -> LegRecord {
    LegRecord {
        call_id: leg.call_id.clone(),
        from: leg.from_uri.clone(),
        to: leg.to_uri.clone(),
        link,
        state: leg.state,
        final_status: leg.final_status,
        reason: leg.reason.clone(),
        q850_cause: q850(leg.reason.as_deref()),
        start: rfc3339(leg.first_ts),
        end: rfc3339(leg.last_ts),
        invite_ts: leg.invite_ts.map(rfc3339),
        ringing_ts: leg.ringing_ts.map(rfc3339),
        answer_ts: leg.answer_ts.map(rfc3339),
        bye_ts: leg.bye_ts.map(rfc3339),
        post_dial_delay_ms: leg.post_dial_delay_ms(),
        answer_delay_ms: leg.answer_delay_ms(),
        duration_s: leg.duration_s(),
        ended_by: leg.ended_by,
        hops: leg
            .hops
            .iter()
            .map(|h| HopRecord {
                src: h.src,
                dst: h.dst,
            })
            .collect(),
        forks: leg.to_tags.len(),
        reinvites: leg.reinvites,
        retransmissions: leg.retransmissions,
        messages: leg.messages.clone(),
        media: leg.media.clone(),
        streams,
        worst_mos: worst,
    }
}
