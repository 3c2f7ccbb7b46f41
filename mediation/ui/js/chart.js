// Small SVG line charts (no library): one line per series, shared x axis in seconds from the
// call's start, a tooltip (<title>) per point. Colours come from CSS classes.
import { s, h } from './dom.js';

const W = 440;
const H = 170;
const PAD = { l: 40, r: 10, t: 22, b: 26 };

/** Round tick steps for [lo, hi]. */
export function ticks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

/**
 * `lineChart({id, title, unit, series, yMin, yMax, xMin, xMax, bands})` → a <figure>. A series
 * is `{name, cls, segments: [[x0, x1, y], ...]}`: each value holds over [x0, x1] (an interval
 * of the stream), drawn as steps joined where intervals touch.
 */
export function lineChart({ id, title, unit, series, yMin, yMax, xMin, xMax, bands = [], digits = 2 }) {
  const segs = series.flatMap((sr) => sr.segments);
  const fig = h('figure', { class: 'chart', id });
  fig.append(h('figcaption', {}, title, unit ? h('span', { class: 'muted' }, ` (${unit})`) : null));
  if (!segs.length) {
    fig.append(h('div', { class: 'muted empty' }, 'no data'));
    return fig;
  }
  const x0 = xMin ?? Math.min(...segs.map((p) => p[0]));
  let x1 = Math.max(xMax ?? -Infinity, ...segs.map((p) => p[1]));
  if (x1 - x0 < 1) x1 = x0 + 1;
  const y0 = yMin ?? Math.min(0, ...segs.map((p) => p[2]));
  let y1 = yMax ?? Math.max(...segs.map((p) => p[2])) * 1.15;
  if (!(y1 > y0)) y1 = y0 + 1;
  const X = (v) => PAD.l + ((v - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const Y = (v) => H - PAD.b - ((Math.min(Math.max(v, y0), y1) - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const svg = s('svg', { class: 'chart-svg', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  for (const b of bands) {
    const top = Y(Math.min(b.to, y1));
    const bottom = Y(Math.max(b.from, y0));
    if (bottom > top) svg.append(s('rect', { class: ['band', b.cls], x: PAD.l, y: top, width: W - PAD.l - PAD.r, height: bottom - top }));
  }
  for (const v of ticks(y0, y1, 4)) {
    svg.append(s('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: Y(v), y2: Y(v) }),
      s('text', { class: 'tick', x: PAD.l - 4, y: Y(v) + 3, 'text-anchor': 'end' }, fmt(v)));
  }
  for (const v of ticks(x0, x1, 5)) {
    svg.append(s('line', { class: 'grid', x1: X(v), x2: X(v), y1: PAD.t, y2: H - PAD.b }),
      s('text', { class: 'tick', x: X(v), y: H - PAD.b + 13, 'text-anchor': 'middle' }, fmt(v) + 's'));
  }
  svg.append(s('line', { class: 'axis', x1: PAD.l, x2: W - PAD.r, y1: H - PAD.b, y2: H - PAD.b }),
    s('line', { class: 'axis', x1: PAD.l, x2: PAD.l, y1: PAD.t, y2: H - PAD.b }));
  for (const sr of series) {
    if (!sr.segments.length) continue;
    const g = s('g', { class: ['series', sr.cls], 'data-series': sr.name });
    // One polyline per run of touching intervals.
    let run = [];
    const flush = () => {
      if (run.length) g.append(s('polyline', { class: 'line', points: run.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ') }));
      run = [];
    };
    let prevEnd = null;
    for (const [a, b, v] of sr.segments) {
      if (prevEnd !== null && Math.abs(a - prevEnd) > 1e-6) flush();
      run.push([X(a), Y(v)], [X(b), Y(v)]);
      prevEnd = b;
    }
    flush();
    for (const [a, b, v] of sr.segments) {
      // Dense series: invisible points, kept for their tooltips.
      const dense = sr.segments.length > 60;
      g.append(s('circle', { class: ['pt', dense ? 'dense' : null], cx: X((a + b) / 2).toFixed(1), cy: Y(v).toFixed(1), r: dense ? 3 : 2.5 },
        s('title', {}, `${sr.name}\n${fmt(a)}–${fmt(b)} s: ${v.toFixed(digits)}${unit ? ' ' + unit : ''}`)));
    }
    svg.append(g);
  }
  fig.append(svg);
  return fig;
}

function fmt(v) {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : String(Number(v.toFixed(2)));
}
