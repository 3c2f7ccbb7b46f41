// Call search: every filter of GET /api/v1/calls, kept in the URL (#/calls?...) so the back
// button, reloads and shared links give the same page; paged with the API's `next` cursor.
import { h, mount, fmtTime, fmtDuration, mosBadge, statusClass } from './dom.js';
import { api } from './api.js';

// The API's search parameters, in form order: [name, label, input attributes].
const FIELDS = [
  ['from', 'From (UTC)', { type: 'datetime-local', step: 1 }],
  ['to', 'To (UTC)', { type: 'datetime-local', step: 1 }],
  ['number', 'Number / URI user', { placeholder: '+4420* or alice', 'data-search-focus': true }],
  ['call_id', 'Call-ID', { placeholder: 'exact, or with * ?' }],
  ['ip', 'IP', { placeholder: '10.1.0.2' }],
  ['status', 'Status', null],
  ['min_duration_s', 'Min duration (s)', { type: 'number', min: 0, step: 'any' }],
  ['max_duration_s', 'Max duration (s)', { type: 'number', min: 0, step: 'any' }],
  ['mos_below', 'MOS below', { type: 'number', min: 1, max: 5, step: 0.1 }],
  ['source', 'Source (probe/SBC)', { placeholder: 'probe or SBC name' }],
  ['limit', 'Per page', null],
];
const STATUS = [['', 'any'], ['1xx', '1xx (no final)'], ['2xx', '2xx answered'], ['3xx', '3xx'], ['4xx', '4xx'], ['5xx', '5xx'], ['6xx', '6xx'], ['0', 'none']];
const LIMITS = ['50', '100', '200', '500'];

/** datetime-local (taken as UTC) → RFC 3339, and back. */
const toApiTime = (v) => (v ? (v.length === 16 ? v + ':00' : v) + 'Z' : '');
const fromApiTime = (v) => (v ? v.replace(/Z$/, '').replace(/\.\d+$/, '') : '');

function input(name, attrs, value) {
  if (name === 'status') {
    return h('select', { id: 'q-status', name }, STATUS.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
  }
  if (name === 'limit') {
    return h('select', { id: 'q-limit', name }, LIMITS.map((v) => h('option', { value: v, selected: v === (value || '100') }, v)));
  }
  return h('input', { id: 'q-' + name, name, ...attrs, value: (name === 'from' || name === 'to') ? fromApiTime(value) : value || '' });
}

/** Quick time ranges relative to now. */
const RANGES = [['15m', 15 * 60], ['1h', 3600], ['24h', 86400], ['7d', 7 * 86400]];

export async function renderCalls(el, query) {
  const values = Object.fromEntries(FIELDS.map(([n]) => [n, query.get(n) || '']));
  const inputs = {};
  const form = h('form', { class: 'search', id: 'search-form' },
    FIELDS.map(([name, label, attrs]) => {
      inputs[name] = input(name, attrs, values[name]);
      return h('label', {}, label, inputs[name]);
    }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn primary', id: 'search-submit' }, 'Search'),
      h('button', { type: 'button', class: 'btn minor', id: 'search-reset', onclick: () => { location.hash = '#/calls'; } }, 'Clear'),
      h('span', { class: 'muted' }, 'Last:'),
      RANGES.map(([label, secs]) => h('button', {
        type: 'button', class: 'btn minor', onclick: () => {
          const now = new Date();
          inputs.from.value = new Date(now.getTime() - secs * 1000).toISOString().slice(0, 19);
          inputs.to.value = '';
          form.requestSubmit();
        },
      }, label))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [name] of FIELDS) {
      let v = inputs[name].value.trim();
      if (name === 'from' || name === 'to') v = toApiTime(v);
      if (name === 'limit' && v === '100') v = '';
      if (v) q.set(name, v);
    }
    const hash = '#/calls' + (q.toString() ? '?' + q : '');
    if (location.hash === hash) run();
    else location.hash = hash;
  });

  const results = h('div', { id: 'results' });
  mount(el, h('section', { class: 'page' }, h('h1', {}, 'Calls'), form, results));

  // Pages: the cursors seen so far, so "previous" works without the API going backwards.
  const cursors = [query.get('cursor') || ''];
  let seq = 0;
  async function run(page = 0) {
    const mine = ++seq;
    const q = {};
    for (const [name] of FIELDS) if (values[name]) q[name] = values[name];
    if (cursors[page]) q.cursor = cursors[page];
    mount(results, h('div', { class: 'muted' }, 'Searching…'));
    let resp;
    try {
      resp = await api('GET', '/calls', { query: q });
    } catch (e) {
      if (mine === seq) mount(results, h('div', { class: 'error', id: 'search-error' }, e.message));
      return;
    }
    if (mine !== seq) return; // a newer search or page was asked for meanwhile
    const calls = resp.calls || [];
    if (resp.next) cursors[page + 1] = resp.next;
    else cursors.length = page + 1;
    mount(results,
      h('div', { class: 'pager' },
        h('span', { id: 'result-count' }, calls.length ? `${calls.length} call${calls.length === 1 ? '' : 's'}, page ${page + 1}` : page > 0 ? 'No more calls.' : 'No call matches.'),
        h('button', { type: 'button', class: 'btn minor', id: 'page-prev', disabled: page === 0, onclick: () => run(page - 1) }, '← Previous'),
        h('button', { type: 'button', class: 'btn minor', id: 'page-next', disabled: !resp.next, onclick: () => run(page + 1) }, 'Next →')),
      calls.length ? table(calls) : null);
  }
  await run();
}

function table(calls) {
  const open = (id) => { location.hash = '#/call/' + id; };
  return h('table', { class: 'grid calls', id: 'calls-table' },
    h('thead', {}, h('tr', {}, ['Start (UTC)', 'From', 'To', 'Status', 'Duration', 'Worst MOS', 'Legs', 'Source']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, calls.map((c) => {
      const tr = h('tr', { tabindex: 0, class: 'click', 'data-id': c.id },
        h('td', { class: 'nowrap' }, h('a', { href: '#/call/' + c.id }, fmtTime(c.start))),
        h('td', { class: 'num-id' }, c.from || ''),
        h('td', { class: 'num-id' }, c.to || ''),
        h('td', {}, h('span', { class: ['status', statusClass(c.final_status)] }, c.final_status ?? '–')),
        h('td', { class: 'r' }, fmtDuration(c.duration_s)),
        h('td', { class: 'r' }, mosBadge(c.worst_mos)),
        h('td', { class: 'r', title: (c.call_ids || []).join('\n') }, (c.call_ids || []).length),
        h('td', {}, c.source || ''));
      tr.addEventListener('click', (e) => {
        if (e.target instanceof HTMLAnchorElement) return;
        open(c.id);
      });
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') open(c.id);
        else if (e.key === 'ArrowDown' || e.key === 'j') { tr.nextElementSibling?.focus(); e.preventDefault(); }
        else if (e.key === 'ArrowUp' || e.key === 'k') { tr.previousElementSibling?.focus(); e.preventDefault(); }
      });
      return tr;
    })));
}


let last = '#/calls';
window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#/calls')) last = location.hash;
});
if (location.hash.startsWith('#/calls')) last = location.hash;
/** The last search page shown (for "back to the calls"). */
export function lastSearch() {
  return last;
}
