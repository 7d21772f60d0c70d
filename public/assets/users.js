import { initLanguage, onLanguageChange, t, translatePage } from './i18n.js';

const PAGE_SIZE = 10;
const $ = (id) => document.getElementById(id);

const state = { user: null, signUpOpen: false, offset: 0, page: null };

class ApiError extends Error {
  constructor(status, body) {
    const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
    super(message || String(status));
    this.status = status;
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
    throw new ApiError(0, { message: t('error.network') });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function say(message) {
  $('error').hidden = true;
  $('status').textContent = message;
  $('status').hidden = !message;
}

function complain(error) {
  $('status').hidden = true;
  if (error.status === 0) $('error').textContent = error.message;
  else if (error.status === 401 && state.user) $('error').textContent = t('error.loggedOut');
  else $('error').textContent = t('error.status', { status: error.status, message: error.message });
  $('error').hidden = false;
  if (error.status === 401 && state.user) {
    state.user = null;
    render();
  }
}

/**
 * Runs an action, reporting any failure in words; the form's button is disabled meanwhile.
 * Actions refresh the list before saying they succeeded, so the message never contradicts it.
 */
async function attempt(form, action) {
  const button = form?.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    complain(error);
  } finally {
    if (button) button.disabled = false;
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

async function loadUsers() {
  state.page = await api('GET', `/api/users?limit=${PAGE_SIZE}&offset=${state.offset}`);
  if (state.page.items.length === 0 && state.offset > 0) {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    state.page = await api('GET', `/api/users?limit=${PAGE_SIZE}&offset=${state.offset}`);
  }
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
  const inputId = `rename-${user.id}`;
  input.id = inputId;
  form.querySelector('label').htmlFor = inputId;
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
    void attempt(form, async () => {
      const renamed = await api('PUT', `/api/users/${user.id}`, { name: input.value });
      if (renamed.id === state.user.id) state.user = renamed;
      await refresh();
      say(t('users.renamed', { name: renamed.name }));
    });
  });
  remove.addEventListener('click', () => {
    if (!window.confirm(t('users.confirmDelete', { name: user.name }))) return;
    void attempt(null, async () => {
      await api('DELETE', `/api/users/${user.id}`);
      if (user.id === state.user.id) {
        state.user = null;
        await loadStatus();
        say(t('users.deletedSelf'));
        render();
        return;
      }
      await refresh();
      say(t('users.deleted', { name: user.name }));
    });
  });
  return row;
}

function render() {
  const user = state.user;
  $('anonymous').hidden = Boolean(user);
  $('member').hidden = !user;
  $('signup').hidden = Boolean(user) || !state.signUpOpen;
  if (!user) return;
  $('greeting').textContent = t('greeting', { name: user.name });
  $('add-user').hidden = user.role !== 'admin';
  renderUsers();
}

async function refresh() {
  if (state.user) await loadUsers();
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
  void attempt(form, async () => {
    const { name, password } = fields(form);
    await logIn(name, password);
    form.reset();
    say('');
    $('greeting').focus();
  });
});

$('signup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void attempt(form, async () => {
    const { name, password } = fields(form);
    await api('POST', '/api/users', { name, password });
    await logIn(name, password);
    form.reset();
    say(t('signup.done'));
  });
});

$('add-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void attempt(form, async () => {
    const created = await api('POST', '/api/users', fields(form));
    form.reset();
    await refresh();
    say(t('add.done', { name: created.name }));
  });
});

$('logout').addEventListener('click', () => {
  void attempt(null, async () => {
    await api('POST', '/api/auth/logout');
    state.user = null;
    state.page = null;
    await loadStatus();
    render();
    say(t('logout.done'));
    $('login-name').focus();
  });
});

$('previous').addEventListener('click', () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE);
  void attempt(null, refresh);
});

$('next').addEventListener('click', () => {
  state.offset += PAGE_SIZE;
  void attempt(null, refresh);
});

$('greeting').tabIndex = -1;
initLanguage();
onLanguageChange(render);
void attempt(null, async () => {
  await loadStatus();
  await refresh();
});
