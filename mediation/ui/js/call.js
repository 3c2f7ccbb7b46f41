// Call detail: KPIs, all legs in one ladder (click an arrow for the raw message), legs, media
// quality (table and charts over time), SBC QoS, and the pcap download.
import { h, mount, clear, fmtTime, fmtDuration, fmtMs, fmtNum, mosBadge, statusClass, parseTime, copyText, pick } from './dom.js';
import { api, can } from './api.js';
import { buildLadder, PALETTE_SIZE } from './ladder.js';
import { lineChart } from './chart.js';
import { lastSearch } from './calls.js';

export async function renderCall(el, id) {
  mount(el, h('div', { class: 'muted' }, 'Loading call…'));
  const [detail, msgs] = await Promise.all([
    api('GET', '/calls/' + id),
    api('GET', '/calls/' + id + '/messages').catch((e) => ({ error: e })),
  ]);
  // The user went elsewhere while this loaded: leave the page to the newer view.
  if (!location.hash.startsWith('#/call/' + id)) return;
  const summary = detail.summary || {};
  const call = detail.call || {};
  const streams = detail.streams || [];
  const legs = call.legs || [];
  const legIndex = new Map();
  for (const cid of [...(summary.call_ids || []), ...legs.map((l) => l.call_id)]) {
    if (cid && !legIndex.has(cid)) legIndex.set(cid, legIndex.size);
  }
  const legCls = (cid) => 'leg-' + ((legIndex.has(cid) ? legIndex.get(cid) : PALETTE_SIZE - 1) % PALETTE_SIZE);

  const panel = h('aside', { class: 'panel', id: 'msg-panel', 'aria-live': 'polite' });
  const head = h('div', { class: 'call-head' },
    h('a', { href: lastSearch(), class: 'minor', id: 'back' }, '← Calls'),
    h('h1', {}, h('span', { class: 'num-id' }, summary.from || call.from || '?'), ' → ',
      h('span', { class: 'num-id' }, summary.to || call.to || '?')),
    h('span', { class: ['status', 'big', statusClass(summary.final_status)] }, summary.final_status ?? 'no final'),
    h('span', { class: 'spacer' }),
    can('calls:export')
      ? h('a', { class: 'btn', id: 'pcap', href: `/api/v1/calls/${id}/pcap`, download: `call-${id}.pcapng`, title: 'SIP and stored RTCP of every leg, as pcapng' }, 'Download pcap')
      : null);

  const kpis = h('div', { class: 'kpis', id: 'kpis' },
    kpi('Start (UTC)', fmtTime(summary.start || call.start)),
    kpi('Final status', [summary.final_status ?? call.final_status ?? '–', call.reason ? h('div', { class: 'sub' }, call.reason) : null], statusClass(summary.final_status)),
    kpi('Setup (PDD)', fmtMs(call.post_dial_delay_ms) || '–', null, 'post-dial delay: INVITE to first ringing/answer'),
    kpi('Answer delay', fmtMs(call.answer_delay_ms) || '–'),
    kpi('Duration', fmtDuration(summary.duration_s ?? call.duration_s) || '–'),
    kpi('Legs', legs.length || (summary.call_ids || []).length),
    kpi('Streams', streams.length),
    kpi('Worst MOS', mosBadge(summary.worst_mos ?? call.worst_mos)),
    kpi('State', call.state || '–'),
    kpi('Source', summary.source || '–'),
    call.q850_cause ? kpi('Q.850', call.q850_cause) : null);

  const ladderBox = h('div', { class: 'ladder-box', id: 'ladder-box' });
  mount(el, h('section', { class: 'page call' },
    head, kpis,
    h('h2', {}, 'Ladder', h('span', { class: 'muted hint' }, ' click an arrow (or Tab, Enter, j/k) for the raw message; Esc closes')),
    legend(legs, summary, legIndex, legCls),
    ladderBox,
    h('h2', {}, 'Legs'), h('div', { class: 'scroll-x' }, legsTable(legs, legCls)),
    h('h2', {}, 'Media quality'), quality(streams, call, legCls),
    sbcQos(call.sbc_qos || []),
    h('details', { class: 'raw-json' }, h('summary', {}, 'Call record (JSON)'), h('pre', {}, JSON.stringify(call, null, 2)))),
  panel);

  if (msgs.error) {
    mount(ladderBox, h('div', { class: 'error' }, 'Messages: ' + msgs.error.message));
    return;
  }
  const list = msgs.messages || [];
  if (!list.length) {
    mount(ladderBox, h('div', { class: 'muted' }, 'No SIP message stored for this call.'));
    return;
  }
  let current = -1;
  const select = (n) => {
    if (n < 0 || n >= ladder.rows.length) return;
    if (current >= 0) ladder.rows[current].el.classList.remove('sel');
    current = n;
    const r = ladder.rows[n];
    r.el.classList.add('sel');
    if (document.activeElement !== r.el) r.el.focus({ preventScroll: false });
    showMessage(panel, r, legCls, () => close());
    document.body.classList.add('with-panel');
  };
  const close = () => {
    if (current >= 0) ladder.rows[current].el.classList.remove('sel');
    current = -1;
    clear(panel);
    document.body.classList.remove('with-panel');
  };
  const ladder = buildLadder(list, legIndex, select);
  mount(ladderBox, ladder.svg);
  ladder.svg.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'j') select(current + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') select(Math.max(0, current - 1));
    else return;
    e.preventDefault();
  });
  const onKey = (e) => {
    if (!document.body.contains(panel)) {
      document.removeEventListener('keydown', onKey);
      return;
    }
    if (e.key === 'Escape') close();
  };
  document.addEventListener('keydown', onKey);
}

function kpi(label, value, cls, title) {
  return h('div', { class: ['kpi', cls], title }, h('div', { class: 'k' }, label), h('div', { class: 'v' }, value));
}

function legend(legs, summary, legIndex, legCls) {
  const ids = [...legIndex.keys()];
  const byId = new Map(legs.map((l) => [l.call_id, l]));
  let only = null;
  const ul = h('ul', { class: 'legend', id: 'legend', title: 'Click a leg to highlight its messages; again to show all' });
  const apply = () => {
    for (const li of ul.children) li.classList.toggle('dim', only !== null && li.dataset.callId !== only);
    for (const g of document.querySelectorAll('#ladder g.msg')) {
      g.classList.toggle('dim', only !== null && g.dataset.callId !== only);
    }
  };
  for (const cid of ids) {
    const l = byId.get(cid);
    const li = h('li', { class: legCls(cid), tabindex: 0, role: 'button', 'data-call-id': cid },
      h('span', { class: 'chip' }), h('code', {}, cid),
      l ? h('span', { class: 'muted' }, ` ${l.final_status ?? '–'} ${l.state || ''}`) : null);
    const toggle = () => {
      only = only === cid ? null : cid;
      apply();
    };
    li.addEventListener('click', toggle);
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        toggle();
      }
    });
    ul.append(li);
  }
  return ul;
}

function showMessage(panel, r, legCls, close) {
  const m = r.msg;
  const pre = h('pre', { class: 'raw', id: 'raw-message' });
  const raw = typeof m.raw === 'string' ? m.raw.replace(/\r\n/g, '\n') : '';
  const nl = raw.indexOf('\n');
  pre.append(h('strong', {}, nl < 0 ? raw : raw.slice(0, nl)), nl < 0 ? '' : raw.slice(nl));
  const ta = h('textarea', { class: 'hidden', readonly: true, 'aria-hidden': 'true' });
  ta.value = m.raw || '';
  const copy = h('button', { type: 'button', class: 'btn minor', id: 'copy-raw' }, 'Copy');
  copy.addEventListener('click', async () => {
    copy.textContent = (await copyText(m.raw || '', ta)) ? 'Copied' : 'Press Ctrl+C';
  });
  mount(panel,
    h('div', { class: 'panel-head' },
      h('strong', {}, r.info.label),
      h('span', { class: 'spacer' }),
      copy,
      h('button', { type: 'button', class: 'btn minor', id: 'close-panel', title: 'Esc', onclick: close }, '✕')),
    h('table', { class: 'kv' }, h('tbody', {},
      row('Time', fmtTime(r.t) + fmtMicros(m.ts)),
      row('From', m.src), row('To', m.dst),
      row('Transport', m.transport), row('Source', m.source),
      row('Call-ID', h('span', { class: legCls(m.call_id) }, h('span', { class: 'chip' }), ' ', m.call_id)))),
    pre, ta);
}

function row(k, v) {
  return v === undefined || v === null || v === '' ? null : h('tr', {}, h('th', {}, k), h('td', {}, v));
}

/** The digits beyond the millisecond Date keeps (microseconds, nanoseconds). */
function fmtMicros(ts) {
  const m = /\.(\d{4,})/.exec(ts || '');
  return m ? m[1].slice(3).replace(/0+$/, '') : '';
}

function legsTable(legs, legCls) {
  if (!legs.length) return h('div', { class: 'muted' }, 'No leg.');
  return h('table', { class: 'grid', id: 'legs-table' },
    h('thead', {}, h('tr', {}, ['Call-ID', 'From', 'To', 'Status', 'Reason', 'PDD', 'Answer', 'Duration', 'Ended by', 'Hops', 'Linked by', 'Re-INV', 'Retrans', 'MOS']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, legs.map((l) => h('tr', {},
      h('td', { class: [legCls(l.call_id), 'nowrap'] }, h('span', { class: 'chip' }), h('code', {}, l.call_id)),
      h('td', { class: 'num-id' }, l.from), h('td', { class: 'num-id' }, l.to),
      h('td', {}, h('span', { class: ['status', statusClass(l.final_status)] }, l.final_status ?? '–')),
      h('td', { class: 'wrap' }, l.reason || ''),
      h('td', { class: 'r' }, fmtMs(l.post_dial_delay_ms)),
      h('td', { class: 'r' }, fmtMs(l.answer_delay_ms)),
      h('td', { class: 'r' }, fmtDuration(l.duration_s)),
      h('td', {}, l.ended_by || ''),
      h('td', {}, (l.hops || []).map((x) => `${x.src} → ${x.dst}`).join(', ')),
      h('td', {}, linkText(l.link)),
      h('td', { class: 'r' }, l.reinvites || ''),
      h('td', { class: 'r' }, l.retransmissions || ''),
      h('td', { class: 'r' }, mosBadge(l.worst_mos))))));
}

function linkText(link) {
  if (!link) return '';
  if (typeof link === 'string') return link;
  const v = Array.isArray(link.value) ? link.value.join(': ') : link.value;
  return link.by + (v ? ` (${v})` : '');
}

// ---------------------------------------------------------------------------------------------
// Media quality.

/**
 * The per-interval figures of a stream as rows `{start_rel, duration_s, packets, expected,
 * lost, jitter_ms, jitter_max_ms, mos}`: from `series` (columns over fixed buckets: entry i
 * of each array is the bucket at `start_rel + i × interval_s`), or else from a list of timed
 * rows such as `mos_intervals` (10 s windows).
 */
export function intervalsOf(stream) {
  const sr = stream.series;
  if (sr && typeof sr === 'object' && !Array.isArray(sr) && typeof sr.interval_s === 'number') {
    const n = Math.max(0, ...['packets', 'mos', 'lost', 'jitter_mean_ms'].map((k) => (Array.isArray(sr[k]) ? sr[k].length : 0)));
    const at = (k, i) => (Array.isArray(sr[k]) ? sr[k][i] : undefined);
    const rows = [];
    const t0 = parseTime(sr.start) / 1000;
    for (let i = 0; i < n; i++) {
      rows.push({
        t_abs: Number.isFinite(t0) ? t0 + i * sr.interval_s : undefined,
        start_rel: (sr.start_rel ?? 0) + i * sr.interval_s,
        duration_s: sr.interval_s,
        packets: at('packets', i),
        expected: at('expected', i),
        lost: at('lost', i),
        jitter_ms: at('jitter_mean_ms', i),
        jitter_max_ms: at('jitter_max_ms', i),
        jb_discards: at('jb_discards', i),
        r_factor: at('r_factor', i),
        mos: at('mos', i),
      });
    }
    return rows;
  }
  for (const k of ['intervals', 'quality_intervals', 'series', 'windows', 'mos_intervals']) {
    if (Array.isArray(stream[k]) && stream[k].length) return stream[k];
  }
  return [];
}

function timeOf(iv) {
  const t = pick(iv, 'start_rel', 't', 'rel', 'offset_s');
  if (typeof t === 'number') return t;
  const ts = pick(iv, 'start', 'ts', 'time');
  return typeof ts === 'string' ? parseTime(ts) / 1000 : undefined;
}

function lossPercent(iv) {
  const p = pick(iv, 'loss_percent', 'lost_percent');
  if (typeof p === 'number') return p;
  const f = pick(iv, 'fraction_lost', 'loss_rate');
  if (typeof f === 'number') return f <= 1 ? f * 100 : f;
  const lost = iv.lost;
  const pk = pick(iv, 'packets', 'received');
  if (typeof lost === 'number' && typeof pk === 'number') {
    const expected = pick(iv, 'expected') ?? pk + Math.max(lost, 0);
    // No packet expected (hold, silence suppression): no figure, a gap in the chart.
    return expected > 0 ? (Math.max(lost, 0) / expected) * 100 : undefined;
  }
  return undefined;
}

function jitterOf(iv) {
  const j = pick(iv, 'jitter_ms', 'mean_jitter_ms', 'max_jitter_ms', 'jitter');
  return typeof j === 'number' ? j : undefined;
}

function quality(streams, call, legCls) {
  if (!streams.length) return h('div', { class: 'muted', id: 'no-streams' }, 'No media stream seen for this call.');
  // Times in seconds from the call's start: `start_rel` fields share the call's origin,
  // absolute times are taken against the call's start time.
  const callStart = parseTime(call.start) / 1000;
  const callRel = typeof call.start_rel === 'number' ? call.start_rel : null;
  const rel = (iv) => {
    if (Number.isFinite(iv.t_abs) && Number.isFinite(callStart)) return iv.t_abs - callStart;
    if (typeof iv.start_rel === 'number' && callRel !== null) return iv.start_rel - callRel;
    const t = timeOf(iv);
    return t !== undefined && typeof iv.start_rel !== 'number' && Number.isFinite(callStart) ? t - callStart : t;
  };
  const streamEnd = (st) => (Number.isFinite(parseTime(st.end)) && Number.isFinite(callStart) ? parseTime(st.end) / 1000 - callStart
    : typeof st.end_rel === 'number' && callRel !== null ? st.end_rel - callRel : undefined);
  /** [start, end, value] per interval: an interval lasts until the next one starts, the last
   * one for the common window length (or until the stream ends). */
  const series = (f) => streams.map((st, i) => {
    const ivs = intervalsOf(st).map((iv) => ({ iv, t: rel(iv) })).filter((x) => Number.isFinite(x.t)).sort((a, b) => a.t - b.t);
    const width = ivs.length > 1 ? ivs[1].t - ivs[0].t : 10;
    const end = streamEnd(st);
    const segments = ivs.map(({ iv, t }, k) => {
      let e = typeof iv.end_rel === 'number' && callRel !== null ? iv.end_rel - callRel
        : typeof iv.duration_s === 'number' ? t + iv.duration_s
          : k + 1 < ivs.length ? ivs[k + 1].t : t + width;
      if (k + 1 === ivs.length && Number.isFinite(end) && end > t) e = Math.min(e, end);
      return [t, e, f(iv)];
    }).filter(([, , y]) => Number.isFinite(y));
    return { name: streamName(st, i), cls: legCls(st.call_id), segments };
  });
  const span = Math.max(0, ...streams.map(streamEnd).filter(Number.isFinite), Number(call.duration_s) || 0);
  const mos = series((iv) => iv.mos);
  const loss = series(lossPercent);
  const jit = series(jitterOf);
  const any = (ss) => ss.some((x) => x.segments.length);
  const charts = h('div', { class: 'charts', id: 'charts' },
    any(mos) ? lineChart({
      id: 'chart-mos', title: 'MOS over time', series: mos, yMin: 1, yMax: 4.5, xMin: 0, xMax: span,
      bands: [{ from: 1, to: 3.1, cls: 'bad' }, { from: 3.1, to: 3.6, cls: 'poor' }],
    }) : null,
    any(loss) ? lineChart({ id: 'chart-loss', title: 'Packet loss', unit: '%', series: loss, yMin: 0, xMin: 0, xMax: span }) : null,
    any(jit) ? lineChart({ id: 'chart-jitter', title: 'Jitter', unit: 'ms', series: jit, yMin: 0, xMin: 0, xMax: span }) : null);
  if (!charts.children.length) charts.append(h('div', { class: 'muted' }, 'No per-interval figures for these streams.'));

  const table = h('table', { class: 'grid', id: 'streams-table' },
    h('thead', {}, h('tr', {}, ['Stream', 'SSRC', 'Codec', 'Leg', 'Start', 'Packets', 'Lost', 'Loss %', 'Jitter mean/max (ms)', 'Seq err', 'MOS', 'R', 'RTCP loss/jitter/RTT', 'Found by']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, streams.map((st, i) => {
      const rtcp = st.rtcp || {};
      const rtcpText = [
        rtcp.reported_fraction_lost != null ? fmtNum(rtcp.reported_fraction_lost * 100, 1) + '%' : '–',
        rtcp.reported_jitter_ms != null ? fmtNum(rtcp.reported_jitter_ms, 1) : '–',
        rtcp.rtt_ms != null ? fmtNum(rtcp.rtt_ms, 1) : '–',
      ].join(' / ');
      const name = streamName(st, i);
      const hl = (on) => {
        for (const g of document.querySelectorAll('#charts g.series')) {
          g.classList.toggle('dim', on && g.dataset.series !== name);
        }
      };
      return h('tr', { class: st.problems ? 'problem' : null, tabindex: 0, title: 'Highlight this stream in the charts',
        onmouseenter: () => hl(true), onmouseleave: () => hl(false), onfocus: () => hl(true), onblur: () => hl(false) },
        h('td', { class: 'nowrap' }, `${st.src} → ${st.dst}`),
        h('td', {}, h('code', {}, st.ssrc)),
        h('td', {}, st.codec || st.payload_type),
        h('td', { class: legCls(st.call_id) }, h('span', { class: 'chip', title: st.call_id || 'no leg' })),
        h('td', { class: 'nowrap' }, fmtTime(st.start, { date: false })),
        h('td', { class: 'r' }, st.packets),
        h('td', { class: 'r' }, st.lost),
        h('td', { class: 'r' }, fmtNum(st.lost_percent, 2)),
        h('td', { class: 'r' }, `${fmtNum(st.mean_jitter_ms, 2)} / ${fmtNum(st.max_jitter_ms, 2)}`),
        h('td', { class: 'r' }, st.sequence_errors || ''),
        h('td', { class: 'r', title: st.mos_reason || '' }, mosBadge(st.mos)),
        h('td', { class: 'r' }, fmtNum(st.r_factor, 1)),
        h('td', { class: 'r nowrap' }, st.rtcp ? rtcpText : ''),
        h('td', {}, st.found_by || ''));
    })));
  return h('div', { class: 'quality' }, charts, h('div', { class: 'scroll-x' }, table));
}

function streamName(st, i) {
  return st.src && st.dst ? `${st.src} → ${st.dst} ${st.ssrc || ''}`.trim() : `stream ${i + 1}`;
}

function sbcQos(list) {
  if (!list.length) return null;
  const leg = (x) => x ? `${x.rtp_packets} pkts, ${x.rtp_lost_packets} lost, jitter ${x.rtp_avg_jitter}/${x.rtp_max_jitter}, latency ${x.rtcp_avg_latency}/${x.rtcp_max_latency}, MOS ${fmtNum(x.mos)} R ${fmtNum(x.r_factor, 1)}` : '';
  return h('div', {},
    h('h2', {}, 'SBC QoS (the SBC\'s own view)'),
    h('table', { class: 'grid', id: 'sbc-qos' },
      h('thead', {}, h('tr', {}, ['SBC', 'Incoming (realm, Call-ID)', 'Incoming figures', 'Outgoing (realm, Call-ID)', 'Outgoing figures'].map((t) => h('th', {}, t)))),
      h('tbody', {}, list.map((q) => h('tr', {},
        h('td', {}, q.source),
        h('td', {}, `${q.inc_realm} `, h('code', {}, q.inc_call_id)), h('td', {}, leg(q.inc)),
        h('td', {}, `${q.out_realm} `, h('code', {}, q.out_call_id)), h('td', {}, leg(q.out)))))));
}
