import { initLanguage, language, onLanguageChange, t, translatePage } from './i18n.js';

const PAGE_SIZE = 10;
const $ = (id) => document.getElementById(id);

const state = { user: null, signUpOpen: false, offset: 0, page: null, sessions: [], message: null };

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
    super(message || String(status));
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Calls the API; a failure becomes an ApiError carrying the server's own words. */
async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, null);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data, response.headers.get('Retry-After'));
  return data;
}

/** The words for a failure: the common cases in the page's language, the server's text otherwise. */
function explain(error) {
  if (error.status === 0) return ['error.network'];
  if (error.status === 401) return [state.user ? 'error.loggedOut' : 'error.wrongLogin'];
  if (error.status === 404) return ['error.gone'];
  if (error.status === 409 && /already taken/.test(error.message)) return ['error.nameTaken'];
  if (error.status === 409 && /last admin/.test(error.message)) return ['error.lastAdmin'];
  if (error.status === 403) return ['error.forbidden', { message: error.message }];
  if (error.status === 429) return ['error.tooMany', { seconds: error.retryAfter ?? '?' }];
  if (error.status === 400) return ['error.invalid', { message: error.message }];
  return ['error.status', { status: error.status, message: error.message }];
}

/** Shows a message (kept as a key, so a language switch re-words it) in the live region. */
function show(kind, key, values) {
  state.message = key ? { kind, key, values } : null;
  renderMessage();
}

function renderMessage() {
  const message = state.message;
  for (const region of ['status', 'error']) {
    // Emptied first and filled on the next frame, so the same words said twice are announced twice.
    $(region).textContent = '';
    if (region !== message?.kind) continue;
    requestAnimationFrame(() => {
      if (state.message === message) $(region).textContent = t(message.key, message.values);
    });
  }
}

const say = (key, values) => show('status', key, values);

/**
 * Runs an action with its control disabled meanwhile; a failure is put into words, and a list
 * that may be stale (someone else changed it) is reloaded.
 */
async function attempt(control, action) {
  if (control) control.disabled = true;
  try {
    await action();
  } catch (error) {
    const [key, values] = explain(error);
    show('error', key, values);
    if (error.status === 401 && state.user) {
      state.user = null;
      render();
      $('login-name').focus();
    } else if ([403, 404, 409].includes(error.status) && state.user) {
      await refresh().catch(() => undefined);
    }
  } finally {
    if (control) control.disabled = false;
  }
}

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function loadStatus() {
  const status = await api('GET', '/api/auth/status');
  state.user = status.user;
  state.signUpOpen = status.signUpOpen;
}

async function loadUsers(offset = state.offset) {
  let page = await api('GET', `/api/users?limit=${PAGE_SIZE}&offset=${offset}`);
  if (page.items.length === 0 && offset > 0) {
    offset = Math.max(0, Math.floor((page.total - 1) / PAGE_SIZE) * PAGE_SIZE);
    page = await api('GET', `/api/users?limit=${PAGE_SIZE}&offset=${offset}`);
  }
  state.page = page;
  state.offset = offset;
}

async function loadSessions() {
  state.sessions = await api('GET', '/api/auth/sessions');
}

function canChange(user) {
  return state.user && (state.user.role === 'admin' || state.user.id === user.id);
}

function renderUsers() {
  const list = $('user-list');
  list.replaceChildren();
  const { items, total } = state.page ?? { items: [], total: 0 };
  for (const user of items) list.append(userRow(user));
  if (items.length === 0) {
    const empty = document.createElement('li');
    empty.textContent = t('users.empty');
    list.append(empty);
  }
  $('page-info').textContent = total
    ? t('users.page', { from: state.offset + 1, to: state.offset + items.length, total })
    : '';
  $('previous').disabled = state.offset === 0;
  $('next').disabled = state.offset + items.length >= total;
}

function rowButton(id, selector) {
  return $('user-list').querySelector(`[data-id="${CSS.escape(id)}"] ${selector}`);
}

function userRow(user) {
  const row = $('user-row').content.firstElementChild.cloneNode(true);
  translatePage(row);
  row.dataset.id = user.id;
  row.querySelector('.name').textContent = user.name;
  row.querySelector('.role').textContent =
    t(`role.${user.role}`) + (user.id === state.user.id ? ` ${t('users.you')}` : '');
  const rename = row.querySelector('.rename');
  const remove = row.querySelector('.delete');
  const form = row.querySelector('.rename-form');
  const input = form.querySelector('input');
  input.id = `rename-${user.id}`;
  form.querySelector('label').htmlFor = input.id;
  rename.setAttribute('aria-label', `${t('users.rename')}: ${user.name}`);
  remove.setAttribute('aria-label', `${t('users.delete')}: ${user.name}`);
  if (!canChange(user)) row.querySelector('.actions').remove();

  rename.addEventListener('click', () => {
    form.hidden = false;
    input.value = user.name;
    input.focus();
    input.select();
  });
  form.querySelector('.cancel').addEventListener('click', () => {
    form.hidden = true;
    rename.focus();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void attempt(form.querySelector('button[type="submit"]'), async () => {
      const renamed = await api('PUT', `/api/users/${user.id}`, { name: input.value });
      if (renamed.id === state.user.id) state.user = renamed;
      await refresh();
      say('users.renamed', { name: renamed.name });
      rowButton(user.id, '.rename')?.focus();
    });
  });
  remove.addEventListener('click', () => {
    if (!window.confirm(t('users.confirmDelete', { name: user.name }))) return;
    void attempt(remove, async () => {
      await api('DELETE', `/api/users/${user.id}`);
      if (user.id === state.user.id) return loggedOut('users.deletedSelf');
      await refresh();
      say('users.deleted', { name: user.name });
      $('users-title').focus();
    });
  });
  return row;
}

function renderSessions() {
  const when = new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'short' });
  const list = $('session-list');
  list.replaceChildren();
  // This browser first, then the others, newest login first (the API's order).
  for (const session of [...state.sessions].sort((a, b) => Number(b.current) - Number(a.current))) {
    const row = $('session-row').content.firstElementChild.cloneNode(true);
    translatePage(row);
    const agent = session.userAgent ?? t('sessions.unknownAgent');
    row.querySelector('.agent').textContent = session.current ? `${agent} ${t('sessions.current')}` : agent;
    row.querySelector('.when').textContent = t('sessions.when', {
      created: when.format(new Date(session.createdAt)),
      seen: when.format(new Date(session.lastSeenAt ?? session.createdAt)),
    });
    const end = row.querySelector('.end');
    end.setAttribute('aria-label', `${t('sessions.end')}: ${agent}`);
    end.addEventListener(
      'click',
      () =>
        void attempt(end, async () => {
          await api('DELETE', `/api/auth/sessions/${encodeURIComponent(session.id)}`);
          if (session.current) return loggedOut('logout.done');
          await refresh();
          say('sessions.ended');
          $('sessions-title').focus();
        }),
    );
    list.append(row);
  }
  $('end-others').disabled = state.sessions.length < 2;
}

/** Back to the login form once the session has ended on purpose. */
async function loggedOut(message) {
  state.user = null;
  state.page = null;
  state.sessions = [];
  await loadStatus();
  render();
  say(message);
  $('login-name').focus();
}

function render() {
  const user = state.user;
  $('anonymous').hidden = Boolean(user);
  $('member').hidden = !user;
  $('signup').hidden = Boolean(user) || !state.signUpOpen;
  renderMessage();
  if (!user) return;
  $('greeting').textContent = t('greeting', { name: user.name });
  $('add-user').hidden = user.role !== 'admin';
  renderUsers();
  renderSessions();
}

async function refresh() {
  if (state.user) await Promise.all([loadUsers(), loadSessions()]);
  render();
}

async function logIn(name, password) {
  state.user = await api('POST', '/api/auth/login', { name, password });
  state.offset = 0;
  await refresh();
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void attempt(form.querySelector('button[type="submit"]'), async () => {
    const { name, password } = fields(form);
    await logIn(name, password);
    form.reset();
    show(null);
    $('greeting').focus();
  });
});

$('signup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void attempt(form.querySelector('button[type="submit"]'), async () => {
    const { name, password } = fields(form);
    await api('POST', '/api/users', { name, password });
    await logIn(name, password);
    form.reset();
    say('signup.done');
    $('greeting').focus();
  });
});

$('add-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void attempt(form.querySelector('button[type="submit"]'), async () => {
    const created = await api('POST', '/api/users', fields(form));
    form.reset();
    await refresh();
    say('add.done', { name: created.name });
    $('add-name').focus();
  });
});

$('logout').addEventListener('click', (event) => {
  void attempt(event.currentTarget, async () => {
    await api('POST', '/api/auth/logout');
    await loggedOut('logout.done');
  });
});

$('end-others').addEventListener('click', (event) => {
  void attempt(event.currentTarget, async () => {
    await api('DELETE', '/api/auth/sessions');
    await refresh();
    say('sessions.endedOthers');
  });
});

/** Moves to another page of users; the offset changes only once that page has arrived. */
function turnPage(button, offset) {
  void attempt(button, async () => {
    await loadUsers(Math.max(0, offset));
    render();
  }).then(() => {
    if (button.disabled) (button.id === 'next' ? $('previous') : $('next')).focus();
  });
}

$('previous').addEventListener('click', (event) => turnPage(event.currentTarget, state.offset - PAGE_SIZE));
$('next').addEventListener('click', (event) => turnPage(event.currentTarget, state.offset + PAGE_SIZE));

for (const id of ['greeting', 'users-title', 'sessions-title']) $(id).tabIndex = -1;
initLanguage();
onLanguageChange(render);
void attempt(null, async () => {
  await loadStatus();
  await refresh();
});
