// Login and password change (forced after a temporary password or at the first admin login).
import { h, mount } from './dom.js';
import { session, login, changePassword, logout, ApiError } from './api.js';

function errorText(e) {
  if (e instanceof ApiError) {
    if (e.code === 'locked') return 'This account is locked after too many failed logins. An administrator must unlock it.';
    if (e.status === 429) return 'Too many login attempts: wait a minute and try again.';
    if (e.status === 401) return 'Wrong user name or password.';
    if (e.status === 404) return 'This engine has no login endpoint (is it an older version?).';
    return e.message;
  }
  return String(e && e.message ? e.message : e);
}

export function renderLogin(el, done) {
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div', { class: session.notice ? 'notice' : 'hidden', id: 'login-notice', role: 'status' }, session.notice);
  const err = h('div', { class: 'hidden', id: 'login-error', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'btn primary', id: 'login-submit' }, 'Log in');
  const form = h('form', { class: 'card narrow', id: 'login-form', novalidate: true },
    h('h1', {}, 'callscope'),
    h('p', { class: 'muted' }, 'Mediation engine: log in to investigate calls.'),
    msg,
    h('label', {}, 'User', user),
    h('label', {}, 'Password', pass),
    err,
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!user.value || !pass.value) {
      err.className = 'error';
      err.textContent = 'Give a user name and a password.';
      return;
    }
    btn.disabled = true;
    err.className = 'hidden';
    try {
      await login(user.value.trim(), pass.value);
      pass.value = '';
      done();
    } catch (ex) {
      err.className = 'error';
      err.textContent = errorText(ex);
      pass.select();
    } finally {
      btn.disabled = false;
    }
  });
  mount(el, h('div', { class: 'center' }, form));
  user.focus();
}

export function renderPassword(el, forced, done) {
  const cur = h('input', { id: 'pw-current', type: 'password', autocomplete: 'current-password', required: true });
  const nw = h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true });
  const again = h('input', { id: 'pw-again', type: 'password', autocomplete: 'new-password', required: true });
  const err = h('div', { class: 'hidden', id: 'pw-error', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'btn primary', id: 'pw-submit' }, 'Change password');
  const form = h('form', { class: 'card narrow', id: 'pw-form', novalidate: true },
    h('h1', {}, forced ? 'Set a new password' : 'Change password'),
    forced
      ? h('p', { class: 'notice', id: 'pw-forced' },
        `${session.me ? session.me.user : 'This account'} has a temporary or initial password: choose your own before anything else.`)
      : null,
    h('label', {}, 'Current password', cur),
    h('label', {}, 'New password', nw),
    h('label', {}, 'New password again', again),
    err,
    h('div', { class: 'actions' },
      btn,
      forced
        ? h('button', { type: 'button', class: 'btn minor', onclick: () => logout() }, 'Log out')
        : h('a', { href: '#/', class: 'minor' }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fail = (t) => {
      err.className = 'error';
      err.textContent = t;
    };
    if (!cur.value || !nw.value) return fail('Fill in the current and the new password.');
    if (nw.value !== again.value) return fail('The two new passwords differ: type the same one twice.');
    if (nw.value === cur.value) return fail('The new password must differ from the current one.');
    btn.disabled = true;
    err.className = 'hidden';
    try {
      const me = await changePassword(cur.value, nw.value);
      if (!me) {
        session.notice = 'Password changed: log in with the new one.';
      }
      done();
    } catch (ex) {
      fail(ex instanceof ApiError && ex.status === 401 ? 'The current password is wrong.' : ex.message);
    } finally {
      btn.disabled = false;
    }
  });
  mount(el, h('div', { class: 'center' }, form));
  cur.focus();
}
