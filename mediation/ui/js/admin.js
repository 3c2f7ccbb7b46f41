// Administration: users, API keys, audit log, PKI, engine status. The server enforces every
// permission; these pages only hide what the user cannot do.
import { h, mount, clear, fmtTime, listOf, pick, confirmButton, copyText, kv } from './dom.js';
import { api, can, session } from './api.js';

const ROLES = ['monitor', 'operator', 'admin'];

function flash(el, text, cls = 'ok') {
  mount(el, h('div', { class: cls, role: cls === 'error' ? 'alert' : 'status' }, text));
}

function when(v) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'number') return fmtTime(v > 1e12 ? v : v * 1000, { ms: false });
  return fmtTime(v, { ms: false });
}

/** A secret shown once: read-only field, copy button, warning. */
function secretBox(id, label, secret, warning) {
  const field = h('input', { id, class: 'secret', readonly: true, value: secret, size: Math.min(Math.max(secret.length, 20), 72) });
  const copy = h('button', { type: 'button', class: 'btn', id: id + '-copy' }, 'Copy');
  copy.addEventListener('click', async () => {
    copy.textContent = (await copyText(secret, field)) ? 'Copied' : 'Press Ctrl+C';
  });
  field.addEventListener('focus', () => field.select());
  return h('div', { class: 'secret-box', role: 'alert' },
    h('div', {}, h('strong', {}, label)),
    h('div', { class: 'row' }, field, copy),
    h('div', { class: 'warn' }, warning));
}

// ---------------------------------------------------------------------------------------------
// Users.

const userName = (u) => pick(u, 'name', 'username', 'user');

export async function renderUsers(el) {
  const msg = h('div', { id: 'users-msg' });
  const listBox = h('div', { id: 'users-list' });
  const tenants = await api('GET', '/tenants').then((r) => listOf(r, 'tenants')).catch(() => []);

  const name = h('input', { id: 'new-user-name', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9._@\\-]+', 'data-search-focus': true });
  const role = h('select', { id: 'new-user-role' }, ROLES.map((r) => h('option', { value: r, selected: r === 'monitor' }, r)));
  const tenant = h('select', { id: 'new-user-tenant' }, h('option', { value: '' }, '(all calls)'),
    tenants.map((t) => { const n = pick(t, 'name', 'id'); return h('option', { value: n }, n); }));
  const form = h('form', { class: 'inline-form', id: 'new-user-form' },
    h('label', {}, 'User name', name), h('label', {}, 'Role', role), h('label', {}, 'Tenant', tenant),
    h('button', { type: 'submit', class: 'btn primary', id: 'new-user-submit' }, 'Create user'),
    h('span', { class: 'muted' }, 'The engine makes a temporary password, shown once.'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), role: role.value };
    if (tenant.value) body.tenant = tenant.value;
    if (!body.name) return flash(msg, 'Give a user name (letters, digits, - _ . @).', 'error');
    try {
      const r = await api('POST', '/users', { json: body });
      const hours = r && r.temporary_valid_hours ? ` It is valid for ${r.temporary_valid_hours} hours.` : '';
      mount(msg, secretBox('new-user-secret', `User ${body.name} created. Temporary password:`, (r && r.temporary_password) || '',
        `Give it to the user over a separate channel; they must change it at first login.${hours} It is not shown again.`));
      name.value = '';
      await load();
    } catch (ex) {
      flash(msg, ex.message, 'error');
    }
  });

  async function load() {
    const users = listOf(await api('GET', '/users'), 'users');
    mount(listBox, h('table', { class: 'grid', id: 'users-table' },
      h('thead', {}, h('tr', {}, ['User', 'Role', 'Tenant', 'State', 'Failed logins', 'Last login', 'Password set', 'Created', 'Extra grants/denies', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, users.map((u) => userRow(u)))));
  }

  function userRow(u) {
    const n = userName(u);
    const path = '/users/' + encodeURIComponent(n);
    const state = [
      u.locked ? h('span', { class: 'tag bad' }, 'locked') : null,
      u.disabled ? h('span', { class: 'tag bad' }, 'disabled') : null,
      u.must_change_password ? h('span', { class: 'tag' }, 'must change password') : null,
      pick(u, 'source', 'auth') === 'radius' ? h('span', { class: 'tag' }, 'RADIUS') : null,
    ];
    const roleSel = h('select', { 'aria-label': 'role of ' + n, disabled: n === session.me.user },
      ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)));
    roleSel.addEventListener('change', async () => {
      try {
        await api('PATCH', path, { json: { role: roleSel.value } });
        flash(msg, `${n} is now ${roleSel.value}.`);
      } catch (ex) {
        flash(msg, ex.message, 'error');
        roleSel.value = u.role;
      }
    });
    const act = async (f) => {
      try {
        await f();
        await load();
      } catch (ex) {
        flash(msg, ex.message, 'error');
      }
    };
    const grants = [...(u.grants || []).map((g) => '+' + g), ...(u.denies || []).map((d) => '−' + d)].join(' ');
    return h('tr', { 'data-user': n },
      h('td', {}, h('strong', {}, n)),
      h('td', {}, roleSel),
      h('td', {}, pick(u, 'tenant') ?? ''),
      h('td', {}, state),
      h('td', { class: 'r' }, u.failed_logins || ''),
      h('td', { class: 'nowrap' }, when(pick(u, 'last_login', 'last_login_at'))),
      h('td', { class: 'nowrap' }, when(pick(u, 'password_set_at', 'password_changed'))),
      h('td', { class: 'nowrap' }, when(u.created)),
      h('td', {}, grants),
      h('td', { class: 'row-actions nowrap' },
        u.locked ? h('button', { type: 'button', class: 'btn', onclick: () => act(async () => {
          await api('POST', path + '/unlock');
          flash(msg, `${n} unlocked.`);
        }) }, 'Unlock') : null,
        confirmButton('Reset password', 'Really reset?', () => act(async () => {
          const r = await api('POST', path + '/reset-password');
          mount(msg, secretBox('reset-secret', `New temporary password for ${n}:`, (r && r.temporary_password) || '',
            'Give it to the user over a separate channel; they must change it at next login. It is not shown again.'));
        })),
        n === session.me.user ? null : confirmButton('Delete', 'Really delete?', () => act(async () => {
          await api('DELETE', path);
          flash(msg, `${n} deleted.`);
        }), { class: 'danger' })));
  }

  mount(el, h('section', { class: 'page' }, h('h1', {}, 'Users'),
    h('h2', {}, 'New user'), form, msg, h('h2', {}, 'All users'), listBox));
  await load();
}

// ---------------------------------------------------------------------------------------------
// API keys.

export async function renderKeys(el) {
  const msg = h('div', { id: 'keys-msg' });
  const listBox = h('div', { id: 'keys-list' });
  const name = h('input', { id: 'new-key-name', required: true, placeholder: 'grafana, ticket-bot, …', 'data-search-focus': true });
  const days = h('select', { id: 'new-key-expiry' },
    [['30', '30 days'], ['90', '90 days'], ['365', '1 year'], ['', 'never']].map(([v, l]) => h('option', { value: v, selected: v === '90' }, l)));
  const all = can('users:manage');
  const owner = all ? h('input', { id: 'new-key-owner', placeholder: session.me.user, autocomplete: 'off' }) : null;
  const form = h('form', { class: 'inline-form', id: 'new-key-form' },
    h('label', {}, 'Name', name), h('label', {}, 'Expires in', days),
    owner ? h('label', {}, 'Owner', owner) : null,
    h('button', { type: 'submit', class: 'btn primary', id: 'new-key-submit' }, 'Create key'));
  const showKey = (r, what) => {
    const secret = pick(r, 'key', 'secret', 'api_key', 'token') || '';
    mount(msg, secretBox('key-secret', `${what} Send it as the header "Authorization: Bearer KEY":`, secret,
      'Copy it now: it is shown only once and stored only as a hash. Never put it in a URL or on a command line.'));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim() };
    if (days.value) body.expires_days = Number(days.value);
    if (owner && owner.value.trim()) body.user = owner.value.trim();
    try {
      showKey(await api('POST', '/keys', { json: body }), `Key "${body.name}" created.`);
      name.value = '';
      await load();
    } catch (ex) {
      flash(msg, ex.message, 'error');
    }
  });
  async function load() {
    const keys = listOf(await api('GET', '/keys'), 'keys');
    mount(listBox, keys.length ? h('table', { class: 'grid', id: 'keys-table' },
      h('thead', {}, h('tr', {}, ['ID', 'Name', all ? 'Owner' : null, 'Created', 'Expires', 'Last used', ''].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, keys.map((k) => {
        const id = pick(k, 'id', 'prefix');
        const act = async (f) => {
          try {
            await f();
            await load();
          } catch (ex) {
            flash(msg, ex.message, 'error');
          }
        };
        const expired = typeof k.expires === 'number' && k.expires * 1000 < Date.now();
        return h('tr', { 'data-key': id, class: expired ? 'muted' : null },
          h('td', {}, h('code', {}, id)), h('td', {}, k.name),
          all ? h('td', {}, pick(k, 'owner', 'user') ?? '') : null,
          h('td', { class: 'nowrap' }, when(k.created)),
          h('td', { class: 'nowrap' }, k.expires ? when(k.expires) + (expired ? ' (expired)' : '') : 'never'),
          h('td', { class: 'nowrap' }, when(k.last_used)),
          h('td', { class: 'row-actions nowrap' },
            confirmButton('Rotate', 'Really rotate?', () => act(async () => {
              showKey(await api('POST', `/keys/${encodeURIComponent(id)}/rotate`), `Key "${k.name}" rotated; the old one no longer works.`);
            })),
            confirmButton('Revoke', 'Really revoke?', () => act(async () => {
              await api('DELETE', '/keys/' + encodeURIComponent(id));
              flash(msg, `Key "${k.name}" revoked.`);
            }), { class: 'danger' })));
      }))) : h('div', { class: 'muted' }, 'No API key.'));
  }
  mount(el, h('section', { class: 'page' }, h('h1', {}, 'API keys'),
    h('p', { class: 'muted' }, all ? 'Every user\'s keys. A key acts with its owner\'s permissions.' : 'Your keys. A key acts with your permissions.'),
    form, msg, listBox));
  await load();
}

// ---------------------------------------------------------------------------------------------
// Audit log.

const AUDIT_ORDER = ['ts', 'time', 'at', 'event', 'action', 'kind', 'actor', 'user', 'outcome', 'result', 'success', 'target', 'object', 'client', 'ip', 'remote', 'peer', 'detail', 'details', 'message'];

export async function renderAudit(el, query) {
  const toApi = (v) => (v ? (v.length === 16 ? v + ':00' : v) + 'Z' : '');
  const fromApi = (v) => (v ? v.replace(/Z$/, '').replace(/\.\d+$/, '') : '');
  const from = h('input', { id: 'audit-from', type: 'datetime-local', step: 1, value: fromApi(query.get('from')) });
  const to = h('input', { id: 'audit-to', type: 'datetime-local', step: 1, value: fromApi(query.get('to')) });
  const limit = h('select', { id: 'audit-limit' }, ['100', '500', '1000', '5000'].map((v) => h('option', { value: v, selected: v === (query.get('limit') || '500') }, v)));
  const filter = h('input', { id: 'audit-filter', placeholder: 'filter shown rows', 'data-search-focus': true });
  const q = () => ({ from: toApi(from.value), to: toApi(to.value), limit: limit.value });
  const csv = h('a', { class: 'btn', id: 'audit-csv', download: 'audit.csv' }, 'Export CSV');
  const setCsv = () => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...q(), format: 'csv' })) if (v) p.set(k, v);
    csv.href = '/api/v1/audit?' + p;
  };
  const form = h('form', { class: 'inline-form', id: 'audit-form' },
    h('label', {}, 'From (UTC)', from), h('label', {}, 'To (UTC)', to), h('label', {}, 'Rows', limit),
    h('button', { type: 'submit', class: 'btn primary' }, 'Show'), csv, h('label', {}, 'Filter', filter));
  const box = h('div', { id: 'audit-list' });
  let rows = [];
  const render = () => {
    const f = filter.value.trim().toLowerCase();
    const shown = f ? rows.filter((r) => JSON.stringify(r).toLowerCase().includes(f)) : rows;
    const keys = [];
    for (const r of shown.slice(0, 50)) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
    keys.sort((a, b) => rank(a) - rank(b));
    mount(box, shown.length ? h('table', { class: 'grid', id: 'audit-table' },
      h('thead', {}, h('tr', {}, keys.map((k) => h('th', { scope: 'col' }, k)))),
      h('tbody', {}, shown.map((r) => h('tr', { class: /fail|locked|refused|denied/.test(String(r.event || r.outcome || '')) ? 'problem' : null },
        keys.map((k) => h('td', { class: k === 'ts' || k === 'time' ? 'nowrap' : null }, cell(k, r[k])))))))
      : h('div', { class: 'muted' }, 'No audit event in this range.'));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await load();
  });
  filter.addEventListener('input', render);
  [from, to, limit].forEach((i) => i.addEventListener('change', setCsv));
  async function load() {
    setCsv();
    try {
      rows = listOf(await api('GET', '/audit', { query: { ...q(), format: 'json' } }), 'events', 'entries', 'audit');
      render();
    } catch (ex) {
      flash(box, ex.message, 'error');
    }
  }
  mount(el, h('section', { class: 'page' }, h('h1', {}, 'Audit log'), form, box));
  await load();
}

function rank(k) {
  const i = AUDIT_ORDER.indexOf(k);
  return i < 0 ? AUDIT_ORDER.length : i;
}

function cell(k, v) {
  if (v === null || v === undefined) return '';
  if ((k === 'ts' || k === 'time' || k === 'at') && (typeof v === 'string' || typeof v === 'number')) return when(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// PKI.

function certRows(c) {
  if (!c || typeof c !== 'object') return [];
  const sans = pick(c, 'sans', 'subject_alt_names', 'san');
  const notAfter = pick(c, 'not_after', 'expires', 'valid_until');
  const daysLeft = pick(c, 'days_left', 'days_remaining') ?? (notAfter ? Math.floor((Date.parse(notAfter) - Date.now()) / 86400000) : undefined);
  return [
    ['Subject', pick(c, 'subject', 'common_name')],
    ['SANs', Array.isArray(sans) ? sans.join(', ') : sans],
    ['Issuer', c.issuer],
    ['Self-signed', c.self_signed === undefined ? undefined : c.self_signed ? 'yes' : 'no'],
    ['Valid from', when(pick(c, 'not_before', 'valid_from'))],
    ['Valid until', notAfter ? [when(notAfter), Number.isFinite(daysLeft) ? h('span', { class: daysLeft < 30 ? 'tag bad' : 'tag' }, `${daysLeft} days left`) : null] : undefined],
    ['Valid now', c.valid_now === undefined ? undefined : c.valid_now ? 'yes' : h('span', { class: 'tag bad' }, 'no')],
    ['CA', c.is_ca === undefined ? undefined : c.is_ca ? 'yes' : 'no'],
    ['SHA-256', h('code', { class: 'fp' }, pick(c, 'fingerprint_sha256', 'fingerprint', 'sha256') || '')],
    ['Serial', c.serial],
  ];
}

export async function renderPki(el) {
  const manage = can('pki:manage');
  const msg = h('div', { id: 'pki-msg' });
  const certBox = h('div', { id: 'pki-cert' });
  const trustBox = h('div', { id: 'pki-trust' });
  const act = async (f) => {
    try {
      await f();
    } catch (ex) {
      flash(msg, ex.message, 'error');
    }
  };
  async function loadCert() {
    const c = await api('GET', '/pki/certificate');
    const inter = c.intermediates || c.chain || [];
    const pem = typeof c.pem === 'string' ? c.pem : '';
    mount(certBox, kv([...certRows(c.certificate || c), ['Key', typeof c.key === 'string' ? c.key : undefined],
      ['Chain', inter.length ? inter.map((i) => pick(i, 'subject', 'common_name')).join(' → ') : undefined]]),
    pem ? h('details', {}, h('summary', {}, 'Certificate (PEM)'), h('pre', { class: 'raw', id: 'cert-pem-shown' }, pem)) : null);
  }
  const done = (r, fallback) => flash(msg, (r && r.message) || fallback);
  async function loadTrust() {
    const list = listOf(await api('GET', '/pki/trust'), 'trusted', 'certificates', 'trust');
    mount(trustBox, list.length ? h('table', { class: 'grid', id: 'trust-table' },
      h('thead', {}, h('tr', {}, ['Subject', 'Kind', 'SANs', 'Expires', 'SHA-256', manage ? '' : null].filter((x) => x !== null).map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((t) => {
        const fp = pick(t, 'fingerprint_sha256', 'fingerprint', 'sha256');
        const sans = pick(t, 'sans', 'subject_alt_names');
        return h('tr', { 'data-fingerprint': fp },
          h('td', {}, pick(t, 'subject', 'name') || ''),
          h('td', {}, t.is_ca === undefined ? '' : t.is_ca ? 'CA' : 'pinned'),
          h('td', {}, Array.isArray(sans) ? sans.join(', ') : sans || ''),
          h('td', { class: 'nowrap' }, when(pick(t, 'not_after')), t.valid_now === false ? h('span', { class: 'tag bad' }, 'expired') : null),
          h('td', {}, h('code', { class: 'fp' }, fp)),
          manage ? h('td', {}, confirmButton('Remove', 'Really remove?', () => act(async () => {
            done(await api('DELETE', '/pki/trust/' + encodeURIComponent(pick(t, 'fingerprint', 'fingerprint_sha256'))), 'Certificate removed from the trust store.');
            await loadTrust();
          }), { class: 'danger' })) : null);
      }))) : h('div', { class: 'muted' }, 'No trusted certificate.'));
  }

  const pemInput = (id) => {
    const ta = h('textarea', { id, rows: 6, cols: 66, placeholder: '-----BEGIN CERTIFICATE-----', spellcheck: 'false' });
    const file = h('input', { type: 'file', accept: '.pem,.crt,.cer', 'aria-label': 'PEM file' });
    file.addEventListener('change', async () => {
      if (file.files && file.files[0]) ta.value = await file.files[0].text();
    });
    return { ta, file };
  };

  const manageForms = [];
  let addForm = null;
  if (manage) {
    const sans = h('textarea', { id: 'csr-sans', rows: 2, cols: 66, placeholder: 'engine.example.net, 192.0.2.10 (one per line or comma separated)' });
    const csrOut = h('div', { id: 'csr-out' });
    const csrForm = h('form', { class: 'stack-form', id: 'csr-form' },
      h('label', {}, 'SANs (DNS names and IP addresses)', sans),
      h('button', { type: 'submit', class: 'btn primary' }, 'Make CSR'), csrOut);
    csrForm.addEventListener('submit', (e) => {
      e.preventDefault();
      act(async () => {
        const list = sans.value.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
        const r = await api('POST', '/pki/csr', { json: { sans: list } });
        const pem = typeof r === 'string' ? r : pick(r, 'csr', 'pem') || '';
        const ta = h('textarea', { id: 'csr-pem', rows: 10, cols: 66, readonly: true });
        ta.value = pem;
        const copy = h('button', { type: 'button', class: 'btn minor' }, 'Copy');
        copy.addEventListener('click', async () => { copy.textContent = (await copyText(pem, ta)) ? 'Copied' : 'Press Ctrl+C'; });
        mount(csrOut, h('p', {}, 'Send this CSR to your CA, then upload the signed certificate below. The private key stays on the engine.'), ta, copy);
      });
    });

    const up = pemInput('cert-pem');
    const upForm = h('form', { class: 'stack-form', id: 'cert-upload-form' },
      h('label', {}, 'Signed certificate (PEM, with its chain)', up.ta), up.file,
      h('button', { type: 'submit', class: 'btn primary' }, 'Install certificate'));
    upForm.addEventListener('submit', (e) => {
      e.preventDefault();
      act(async () => {
        const r = await api('PUT', '/pki/certificate', { raw: up.ta.value, type: 'application/x-pem-file' });
        up.ta.value = '';
        done(r, 'Certificate installed: checked against the key and chain.');
        await loadCert();
      });
    });

    const regen = confirmButton('Regenerate self-signed certificate', 'Really regenerate? Probes must trust the new one', () => act(async () => {
      done(await api('POST', '/pki/regenerate', { json: {} }), 'A new key and self-signed certificate were made. Give probes the new certificate.');
      await loadCert();
    }), { class: 'danger', id: 'pki-regenerate' });

    const add = pemInput('trust-pem');
    addForm = h('form', { class: 'stack-form', id: 'trust-add-form' },
      h('label', {}, 'Certificate to trust (probe, SBC or CA; PEM)', add.ta), add.file,
      h('button', { type: 'submit', class: 'btn primary' }, 'Add to trust store'));
    addForm.addEventListener('submit', (e) => {
      e.preventDefault();
      act(async () => {
        const r = await api('POST', '/pki/trust', { raw: add.ta.value, type: 'application/x-pem-file' });
        add.ta.value = '';
        const certs = listOf(r, 'certificates');
        flash(msg, certs.length
          ? certs.map((c) => `${pick(c, 'subject', 'common_name')}: ${c.added === false ? 'already trusted' : 'added'}`).join('; ')
          : 'Certificate added to the trust store.');
        await loadTrust();
      });
    });
    manageForms.push(h('h2', {}, 'Certificate signing request'), csrForm,
      h('h2', {}, 'Install a signed certificate'), upForm,
      h('h2', {}, 'Regenerate'), h('p', { class: 'muted' }, 'A new key pair and self-signed certificate; the current one stops being used.'), regen);
  }

  mount(el, h('section', { class: 'page' }, h('h1', {}, 'PKI'), msg,
    h('h2', {}, 'Server certificate'), certBox,
    ...manageForms,
    h('h2', {}, 'Trusted certificates'), trustBox, addForm));
  await Promise.all([loadCert().catch((e) => flash(certBox, e.message, 'error')), loadTrust().catch((e) => flash(trustBox, e.message, 'error'))]);
}

// ---------------------------------------------------------------------------------------------
// Engine status.

export async function renderStatus(el) {
  const box = h('div', { id: 'status' });
  mount(el, h('section', { class: 'page' }, h('h1', {}, 'Engine status'), box));
  const st = await api('GET', '/status');
  clear(box);
  for (const [section, v] of Object.entries(st || {})) {
    box.append(h('h2', {}, section), v && typeof v === 'object' ? kv(Object.entries(v).map(([k, x]) => [k, typeof x === 'object' ? JSON.stringify(x) : String(x)])) : h('div', {}, String(v)));
  }
}

// ---------------------------------------------------------------------------------------------
// Tenants (config:manage): who sees which calls.

export async function renderTenants(el) {
  const msg = h('div', { id: 'tenants-msg' });
  const listBox = h('div', { id: 'tenants-list' });
  const split = (v) => v.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  const name = h('input', { id: 'tenant-name', required: true, autocomplete: 'off', 'data-search-focus': true });
  const sources = h('input', { id: 'tenant-sources', size: 30, placeholder: 'probe-east*, sbc:10.0.0.5' });
  const networks = h('input', { id: 'tenant-networks', size: 30, placeholder: '10.1.0.0/16, 2001:db8::/32' });
  const realms = h('input', { id: 'tenant-realms', size: 30, placeholder: '*.east.example.net' });
  const form = h('form', { class: 'inline-form', id: 'tenant-form' },
    h('label', {}, 'Name', name), h('label', {}, 'Sources (probe, SBC)', sources),
    h('label', {}, 'Networks (CIDR)', networks), h('label', {}, 'Realms / domains', realms),
    h('button', { type: 'submit', class: 'btn primary' }, 'Save tenant'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = { name: name.value.trim(), sources: split(sources.value), networks: split(networks.value), realms: split(realms.value) };
    try {
      await api('PUT', '/tenants/' + encodeURIComponent(t.name), { json: t });
      flash(msg, `Tenant ${t.name} saved.`);
      await load();
    } catch (ex) {
      flash(msg, ex.message, 'error');
    }
  });
  async function load() {
    const list = listOf(await api('GET', '/tenants'), 'tenants');
    mount(listBox, list.length ? h('table', { class: 'grid', id: 'tenants-table' },
      h('thead', {}, h('tr', {}, ['Tenant', 'Sources', 'Networks', 'Realms', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((t) => h('tr', { 'data-tenant': t.name },
        h('td', {}, h('strong', {}, t.name)),
        h('td', {}, (t.sources || []).join(', ')),
        h('td', {}, (t.networks || []).join(', ')),
        h('td', {}, (t.realms || []).join(', ')),
        h('td', { class: 'row-actions nowrap' },
          h('button', { type: 'button', class: 'btn minor', onclick: () => {
            name.value = t.name;
            sources.value = (t.sources || []).join(', ');
            networks.value = (t.networks || []).join(', ');
            realms.value = (t.realms || []).join(', ');
            name.focus();
          } }, 'Edit'),
          confirmButton('Delete', 'Really delete?', async () => {
            try {
              await api('DELETE', '/tenants/' + encodeURIComponent(t.name));
              flash(msg, `Tenant ${t.name} deleted.`);
              await load();
            } catch (ex) {
              flash(msg, ex.message, 'error');
            }
          }, { class: 'danger' }))))))
      : h('div', { class: 'muted' }, 'No tenant: every user without a tenant sees all calls.'));
  }
  mount(el, h('section', { class: 'page' }, h('h1', {}, 'Tenants'),
    h('p', { class: 'muted' }, 'A user with a tenant sees only the calls of its sources, networks or realms.'),
    form, msg, listBox));
  await load();
}
