// The REST API client: JSON in and out, the session cookie (same origin), the CSRF token on
// every non-GET request, and the session's failure modes turned into navigation.

export const session = {
  me: null, // the login/me body: {user, role, permissions, must_change_password, csrf_token, idle_timeout_s}
  notice: '', // shown on the login page (why the user is there)
};

/** An API error with the server's message, status and code. */
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const listeners = new Set();
/** `f(event)` with event 'expired' | 'password' | 'logout'. */
export function onSession(f) {
  listeners.add(f);
}
function emit(ev) {
  for (const f of listeners) f(ev);
}

export function can(perm) {
  return !!session.me && Array.isArray(session.me.permissions) && session.me.permissions.includes(perm);
}

async function body(r) {
  const type = r.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      return await r.json();
    } catch {
      return null;
    }
  }
  return r.text();
}

/**
 * `api('GET', '/calls', {query})` → parsed body. Throws ApiError. Paths are under /api/v1.
 * `opts.raw`: the body is sent as text with `opts.type`. `opts.quiet`: no session events.
 */
export async function api(method, path, opts = {}) {
  let url = '/api/v1' + path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const qs = q.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && method !== 'HEAD' && session.me && session.me.csrf_token) {
    headers['X-CSRF-Token'] = session.me.csrf_token;
  }
  if (opts.raw !== undefined) {
    headers['Content-Type'] = opts.type || 'text/plain';
    init.body = opts.raw;
  } else if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.json);
  }
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'the engine did not answer (' + e.message + '); is it running?', 'network');
  }
  const b = await body(r);
  if (r.ok) return b;
  const msg = (b && typeof b === 'object' && b.error) || (typeof b === 'string' && b) || r.statusText;
  const code = b && typeof b === 'object' ? b.code : undefined;
  const err = new ApiError(r.status, msg, code);
  if (!opts.quiet) {
    if (r.status === 401 && session.me) {
      session.me = null;
      session.notice = code === 'session_expired'
        ? 'Your session expired (idle too long). Log in again.'
        : 'You are logged out: ' + msg;
      emit('expired');
    } else if (r.status === 403 && code === 'password_change_required') {
      if (session.me) session.me.must_change_password = true;
      emit('password');
    }
  }
  throw err;
}

export async function me() {
  try {
    session.me = await api('GET', '/auth/me', { quiet: true });
  } catch (e) {
    if (e.status !== 401 && e.status !== 403 && e.status !== 404) throw e;
    session.me = null;
  }
  return session.me;
}

export async function login(username, password) {
  session.me = await api('POST', '/auth/login', { json: { username, password }, quiet: true });
  session.notice = '';
  return session.me;
}

export async function logout() {
  try {
    await api('POST', '/auth/logout', { quiet: true });
  } finally {
    session.me = null;
    session.notice = 'You are logged out.';
    emit('logout');
  }
}

export async function changePassword(current_password, new_password) {
  await api('POST', '/auth/password', { json: { current_password, new_password }, quiet: true });
  // The server may rotate the session; read it again (new CSRF token, flag cleared).
  const fresh = await me();
  if (fresh) fresh.must_change_password = false;
  return fresh;
}
