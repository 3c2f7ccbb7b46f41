// The ladder (sequence) diagram of a call: every leg in one SVG, hosts as columns in order of
// first appearance, one row per message, arrows coloured by Call-ID. Pure DOM building; the
// caller decides what a selection does.
import { s, parseTime, fmtTime } from './dom.js';

const COL_W = 170;
const LEFT = 150; // time column
const TOP = 46; // host header
const ROW_H = 30;
export const PALETTE_SIZE = 8;

/** First line, method or status, CSeq method, and whether it carries SDP. */
export function sipSummary(raw) {
  const text = typeof raw === 'string' ? raw : '';
  const eol = text.indexOf('\n');
  const first = (eol < 0 ? text : text.slice(0, eol)).replace(/\r$/, '');
  let label = first;
  let method = null;
  let status = null;
  const resp = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(first);
  if (resp) {
    status = Number(resp[1]);
    label = `${resp[1]} ${resp[2]}`.trim();
  } else {
    const req = /^([A-Za-z]+)\s/.exec(first);
    if (req) {
      method = req[1].toUpperCase();
      label = method;
    }
  }
  const cseq = /^(?:CSeq)\s*:\s*\d+\s+([A-Za-z]+)/im.exec(text);
  const cseqMethod = cseq ? cseq[1].toUpperCase() : null;
  if (status !== null && cseqMethod && cseqMethod !== 'INVITE') label += ` (${cseqMethod})`;
  const hasSdp = /\r?\n\r?\nv=0/.test(text) || /^m=(audio|video|image)/m.test(text);
  if (hasSdp) label += ' (SDP)';
  return { first, label, method, status, cseqMethod, hasSdp };
}

/** Column key of an endpoint: the address as the API prints it. */
const hostOf = (ep) => String(ep ?? '?');

/**
 * Builds the ladder. `messages`: the API's list (sorted here by time); `legIndex`: Call-ID →
 * colour index. Returns {svg, rows}: rows[i] = {msg, info, el} in display order.
 */
export function buildLadder(messages, legIndex, onSelect) {
  const rows = messages
    .map((msg, i) => ({ msg, i, t: parseTime(msg.ts), info: sipSummary(msg.raw) }))
    .sort((a, b) => a.t - b.t || a.i - b.i);
  const hosts = [];
  const col = new Map();
  for (const r of rows) {
    for (const ep of [r.msg.src, r.msg.dst]) {
      const k = hostOf(ep);
      if (!col.has(k)) {
        col.set(k, hosts.length);
        hosts.push(k);
      }
    }
  }
  const width = LEFT + Math.max(hosts.length, 2) * COL_W;
  const height = TOP + rows.length * ROW_H + 16;
  const x = (k) => LEFT + col.get(k) * COL_W + COL_W / 2;
  const svg = s('svg', {
    class: 'ladder', id: 'ladder', width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'list', 'aria-label': 'SIP ladder diagram',
  });

  // Host columns.
  hosts.forEach((hst, i) => {
    const cx = LEFT + i * COL_W + COL_W / 2;
    const [ip, port] = splitHost(hst);
    svg.append(s('g', { class: 'host-col', 'data-host': hst },
      s('line', { class: 'host-line', x1: cx, x2: cx, y1: TOP - 6, y2: height - 4 }),
      s('text', { class: 'host', x: cx, y: 16, 'text-anchor': 'middle' }, ip),
      s('text', { class: 'host-port', x: cx, y: 32, 'text-anchor': 'middle' }, port ? ':' + port : ''),
      s('title', {}, hst)));
  });

  const t0 = rows.length ? rows[0].t : 0;
  let prev = t0;
  rows.forEach((r, n) => {
    const y = TOP + n * ROW_H + ROW_H * 0.62;
    const src = hostOf(r.msg.src);
    const dst = hostOf(r.msg.dst);
    const x1 = x(src);
    const x2 = x(dst);
    const leg = legIndex.has(r.msg.call_id) ? legIndex.get(r.msg.call_id) % PALETTE_SIZE : PALETTE_SIZE - 1;
    const dt = r.t - prev;
    prev = r.t;
    const g = s('g', {
      class: ['msg', 'leg-' + leg, r.info.status >= 400 ? 'fail' : null], tabindex: 0, role: 'listitem',
      'data-index': n, 'data-call-id': r.msg.call_id || '',
      'aria-label': `${fmtTime(r.t, { date: false })} ${src} to ${dst}: ${r.info.label}`,
    });
    const lo = Math.min(x1, x2);
    const hi = Math.max(x1, x2);
    // Hit area: the whole row, so a click anywhere near the arrow selects it.
    g.append(s('rect', { class: 'hit', x: 0, y: y - ROW_H * 0.62, width, height: ROW_H }));
    g.append(
      s('text', { class: 'time', x: 6, y: y - 2 }, fmtTime(r.t, { date: false })),
      s('text', { class: 'delta', x: 6, y: y + 10 }, n === 0 ? '' : '+' + fmtDelta(dt)));
    if (x1 === x2) {
      // To itself: a small loop on the right of the column.
      g.append(s('path', { class: 'arrow', d: `M${x1} ${y - 6} h28 v12 h-26` }),
        s('path', { class: 'head', d: `M${x1} ${y + 6} l7 -4 v8 z` }),
        s('text', { class: 'label', x: x1 + 34, y: y + 4 }, r.info.label));
    } else {
      const dir = x2 > x1 ? 1 : -1;
      g.append(
        s('line', { class: 'arrow', x1, y1: y, x2: x2 - dir * 7, y2: y }),
        s('path', { class: 'head', d: `M${x2} ${y} l${-dir * 9} -4.5 v9 z` }),
        s('text', { class: 'label', x: (lo + hi) / 2, y: y - 5, 'text-anchor': 'middle' }, truncate(r.info.label, Math.floor((hi - lo) / 6.5))));
    }
    g.append(s('title', {}, `${r.info.first}\n${src} → ${dst} (${r.msg.transport || ''})\nCall-ID ${r.msg.call_id || ''}`));
    g.addEventListener('click', () => onSelect(n));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onSelect(n);
      }
    });
    r.el = g;
    svg.append(g);
  });
  return { svg, rows, hosts };
}

function splitHost(hst) {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(hst);
  return m ? [m[1], m[2]] : [hst, ''];
}

function fmtDelta(ms) {
  if (!Number.isFinite(ms)) return '';
  if (ms < 1) return (ms * 1000).toFixed(0) + ' µs';
  if (ms < 1000) return ms.toFixed(ms < 10 ? 2 : 0) + ' ms';
  return (ms / 1000).toFixed(3) + ' s';
}

function truncate(t, n) {
  return t.length > n && n > 4 ? t.slice(0, n - 1) + '…' : t;
}
