// DOM and formatting helpers. Everything is built with createElement and textContent: no HTML
// strings, no inline styles or handlers (the server's CSP forbids them and so do we).

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An HTML element: h('div', {class: 'x', onclick: f}, child, 'text', [more]). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element (attributes are set as SVG attributes, never as style). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces the children of `el`. */
export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// ---------------------------------------------------------------------------------------------
// Time. The API gives RFC 3339 with up to 9 fractional digits; Date keeps milliseconds, so the
// fraction is kept apart to show microseconds in ladders.

/** Milliseconds since the epoch (fractional), or NaN. */
export function parseTime(t) {
  if (typeof t === 'number') return t * 1000;
  if (typeof t !== 'string') return NaN;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(t);
  if (!m) return Date.parse(t);
  const base = Date.parse(m[1] + (m[3] === 'Z' ? 'Z' : m[3]));
  const frac = m[2] ? Number('0.' + m[2]) * 1000 : 0;
  return base + frac;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** `2023-11-14 22:13:20.020` (UTC). */
export function fmtTime(t, { date = true, ms = true } = {}) {
  const v = typeof t === 'number' ? t : parseTime(t);
  if (!Number.isFinite(v)) return t ? String(t) : '';
  const d = new Date(Math.floor(v));
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const frac = ms ? '.' + pad(d.getUTCMilliseconds(), 3) : '';
  return (date ? day + ' ' : '') + clock + frac;
}

/** Seconds as `1:02:03` / `2:03.4` / `3.004 s`. */
export function fmtDuration(secs) {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return '';
  if (secs < 60) return secs.toFixed(secs < 10 ? 3 : 1) + ' s';
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const ss = (secs % 60).toFixed(0);
  return (h ? `${h}:${pad(m)}` : `${m}`) + `:${pad(ss)}`;
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  return ms >= 10000 ? (ms / 1000).toFixed(2) + ' s' : Math.round(ms) + ' ms';
}

export function fmtNum(v, digits = 2) {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v !== 'number') return String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** ITU-T G.107 user satisfaction bands, as CSS classes. */
export function mosClass(mos) {
  if (mos === null || mos === undefined || !Number.isFinite(mos)) return 'mos-none';
  if (mos >= 4.03) return 'mos-good';
  if (mos >= 3.6) return 'mos-fair';
  if (mos >= 3.1) return 'mos-poor';
  return 'mos-bad';
}

export function statusClass(status) {
  if (!status) return 'st-none';
  return 'st-' + String(status)[0] + 'xx';
}

/** A MOS badge. */
export function mosBadge(mos) {
  return h('span', { class: ['mos', mosClass(mos)], title: mos == null ? 'no MOS (no media seen)' : 'MOS ' + mos },
    mos == null ? '–' : mos.toFixed(2));
}

/** An array from a response that is either an array or an object holding one under a key. */
export function listOf(resp, ...keys) {
  if (Array.isArray(resp)) return resp;
  if (!resp || typeof resp !== 'object') return [];
  for (const k of keys) if (Array.isArray(resp[k])) return resp[k];
  const arrays = Object.values(resp).filter(Array.isArray);
  return arrays.length === 1 ? arrays[0] : [];
}

/** The first present field among `names`. */
export function pick(o, ...names) {
  if (!o) return undefined;
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
}

/** Copies text to the clipboard; falls back to selecting it for Ctrl+C. */
export async function copyText(text, fallbackEl) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackEl && fallbackEl.select) {
      fallbackEl.focus();
      fallbackEl.select();
    }
    return false;
  }
}

/** A button that asks again before acting (no modal dialogs: keyboard and test friendly). */
export function confirmButton(label, confirmLabel, action, attrs = {}) {
  let armed = null;
  const b = h('button', { type: 'button', ...attrs, class: ['btn', attrs.class] }, label);
  b.addEventListener('click', async () => {
    if (!armed) {
      b.textContent = confirmLabel;
      b.classList.add('armed');
      armed = setTimeout(() => {
        armed = null;
        b.textContent = label;
        b.classList.remove('armed');
      }, 5000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    b.textContent = label;
    b.classList.remove('armed');
    b.disabled = true;
    try {
      await action();
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

/** A small key/value table. */
export function kv(rows) {
  return h('table', { class: 'kv' },
    h('tbody', {}, rows.filter((r) => r && r[1] !== undefined && r[1] !== null && r[1] !== '')
      .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

/** Triggers a download of `text` as a file (Blob URL: allowed by CSP 'self'? blob: is not
 * 'self', but navigation to a blob URL for download is not a fetch the CSP governs). */
export function downloadText(name, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, class: 'hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
