// The application shell: hash routes, the navigation bar by permission, session handling, and
// keyboard shortcuts. Views live in their own modules and render into <main>.
import { h, mount } from './dom.js';
import { session, me, logout, can, onSession, ApiError } from './api.js';
import { renderLogin, renderPassword } from './login.js';
import { renderCalls } from './calls.js';
import { renderCall } from './call.js';
import { renderUsers, renderKeys, renderAudit, renderPki, renderStatus, renderTenants } from './admin.js';

const main = document.getElementById('view');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

/** Routes: hash path pattern → view. `perm`: shown and allowed only with it (any of a list). */
const routes = [
  { path: /^calls$/, perm: 'calls:read', nav: 'Calls', href: '#/calls', view: (m, q) => renderCalls(main, q) },
  { path: /^call\/([0-9a-fA-F]+)$/, perm: 'calls:read', view: (m, q) => renderCall(main, m[1], q) },
  { path: /^status$/, perm: 'status:read', nav: 'Status', href: '#/status', view: () => renderStatus(main) },
  { path: /^keys$/, perm: ['keys:own', 'users:manage'], nav: 'API keys', href: '#/keys', view: () => renderKeys(main) },
  { path: /^admin\/users$/, perm: 'users:manage', nav: 'Users', href: '#/admin/users', view: () => renderUsers(main) },
  { path: /^admin\/tenants$/, perm: 'config:manage', nav: 'Tenants', href: '#/admin/tenants', view: () => renderTenants(main) },
  { path: /^admin\/audit$/, perm: 'audit:read', nav: 'Audit', href: '#/admin/audit', view: (m, q) => renderAudit(main, q) },
  { path: /^admin\/pki$/, perm: 'pki:view', nav: 'PKI', href: '#/admin/pki', view: () => renderPki(main) },
];

function allowed(perm) {
  if (!perm) return true;
  return (Array.isArray(perm) ? perm : [perm]).some(can);
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const i = raw.indexOf('?');
  const path = i < 0 ? raw : raw.slice(0, i);
  const query = new URLSearchParams(i < 0 ? '' : raw.slice(i + 1));
  return { path, query };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function renderNav(active) {
  if (!session.me || session.me.must_change_password) {
    mount(nav);
    mount(who);
    return;
  }
  mount(nav, routes.filter((r) => r.nav && allowed(r.perm)).map((r) =>
    h('a', { href: r.href, class: r === active ? 'active' : null }, r.nav)));
  mount(who,
    h('span', { class: 'user', title: (session.me.permissions || []).join(' ') },
      session.me.user, ' ', h('span', { class: 'role' }, session.me.role)),
    h('a', { href: '/api/v1/openapi.json', class: 'minor', target: '_blank', rel: 'noopener', title: 'The REST API (OpenAPI document)' }, 'API'),
    h('button', { type: 'button', class: 'btn minor', title: 'Keyboard shortcuts (?)', onclick: toggleHelp }, '?'),
    h('a', { href: '#/password', class: 'minor' }, 'Password'),
    h('button', { type: 'button', class: 'btn minor', id: 'logout', onclick: () => logout() }, 'Log out'));
}

let generation = 0;

async function route() {
  const gen = ++generation;
  const { path, query } = parseHash();
  document.body.classList.remove('with-panel');
  if (!session.me) {
    renderNav(null);
    document.title = 'callscope: log in';
    renderLogin(main, () => {
      const next = query.get('next');
      go(next && path === 'login' ? '#/' + next : location.hash && path !== 'login' ? location.hash : '#/');
    });
    return;
  }
  if (session.me.must_change_password || path === 'password') {
    renderNav(null);
    document.title = 'callscope: change password';
    renderPassword(main, !!session.me.must_change_password, () => go('#/'));
    return;
  }
  if (path === '' || path === 'login') {
    const first = routes.find((r) => r.nav && allowed(r.perm));
    go(first ? first.href : '#/status');
    return;
  }
  const r = routes.find((x) => x.path.test(path));
  renderNav(r);
  if (!r) {
    mount(main, h('div', { class: 'error' }, 'No such page: #/' + path + '. Use the menu above.'));
    return;
  }
  if (!allowed(r.perm)) {
    const need = Array.isArray(r.perm) ? r.perm.join(' or ') : r.perm;
    mount(main, h('div', { class: 'error forbidden', id: 'forbidden' },
      `Not allowed: your role (${session.me.role}) lacks the permission ${need}. Ask an administrator.`));
    return;
  }
  document.title = 'callscope: ' + (r.nav || path.split('/')[0]);
  try {
    await r.view(r.path.exec(path), query);
  } catch (e) {
    if (gen !== generation) return;
    showError(main, e);
  }
}

export function showError(el, e) {
  const msg = e instanceof ApiError ? `${e.message} (HTTP ${e.status})` : String(e && e.message ? e.message : e);
  mount(el, h('div', { class: 'error' }, msg));
}

onSession((ev) => {
  if (ev === 'expired' || ev === 'logout') {
    const { path } = parseHash();
    if (path && path !== 'login' && path !== 'password') {
      history.replaceState(null, '', '#/login?next=' + encodeURIComponent(location.hash.replace(/^#\/?/, '')));
    }
  }
  route();
});

const SHORTCUTS = [
  ['/', 'focus the search (or first) field'],
  ['Enter', 'open the focused call; select the focused ladder arrow'],
  ['j / k, ↓ / ↑', 'next / previous call row or ladder message'],
  ['Esc', 'close the message panel or this help'],
  ['g c', 'calls'], ['g s', 'status'], ['g k', 'API keys'], ['g u', 'users'], ['g a', 'audit'], ['g p', 'PKI'],
  ['?', 'this help'],
];
let help = null;
function toggleHelp() {
  if (help) {
    help.remove();
    help = null;
    return;
  }
  help = h('div', { class: 'help card', id: 'help', role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
    h('strong', {}, 'Keyboard'),
    h('table', { class: 'kv' }, h('tbody', {}, SHORTCUTS.map(([k, v]) => h('tr', {}, h('th', {}, h('kbd', {}, k)), h('td', {}, v))))));
  document.body.append(help);
}

// Keyboard: "/" focuses the first search field; "g c" calls, "g u" users, "g a" audit, "g k" keys.
let pendingG = false;
document.addEventListener('keydown', (e) => {
  const t = e.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '?') {
    toggleHelp();
  } else if (e.key === 'Escape' && help) {
    toggleHelp();
  } else if (e.key === '/') {
    const f = main.querySelector('[data-search-focus]') || main.querySelector('input');
    if (f) {
      e.preventDefault();
      f.focus();
      f.select && f.select();
    }
  } else if (e.key === 'g') {
    pendingG = true;
    setTimeout(() => (pendingG = false), 1000);
  } else if (pendingG) {
    pendingG = false;
    const target = { c: '#/calls', u: '#/admin/users', a: '#/admin/audit', k: '#/keys', p: '#/admin/pki', s: '#/status' }[e.key];
    if (target) go(target);
  }
});

window.addEventListener('hashchange', route);

(async () => {
  try {
    await me();
  } catch (e) {
    session.notice = String(e.message || e);
  }
  route();
})();
