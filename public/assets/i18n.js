// Korean and English texts for every page. The server picks the first language (the visitor's
// saved choice, else Accept-Language) and writes it into <html lang>; the switch changes it here
// and remembers it in a cookie, so the next page the server renders starts in it too.

const TEXTS = {
  en: {
    'title.users': 'Users',
    'title.about': 'About',
    'title.notFound': 'Page not found',
    'nav.label': 'Pages',
    'nav.users': 'Users',
    'nav.about': 'About',
    'nav.docs': 'API docs',
    'field.name': 'Name',
    'field.password': 'Password',
    'field.newPassword': 'Password (8 to 256 characters)',
    'field.role': 'Role',
    'role.user': 'user',
    'role.admin': 'admin',
    'login.title': 'Log in',
    'login.submit': 'Log in',
    'signup.title': 'New here? Create an account',
    'signup.submit': 'Sign up',
    'signup.done': 'Welcome! Your account is ready.',
    greeting: 'Hello, {name}',
    logout: 'Log out',
    'logout.done': 'You are logged out.',
    'users.title': 'Users',
    'users.pager': 'Pages of users',
    'users.previous': 'Previous',
    'users.next': 'Next',
    'users.page': '{from}–{to} of {total}',
    'users.empty': 'No users on this page.',
    'users.rename': 'Rename',
    'users.newName': 'New name',
    'users.save': 'Save',
    'users.cancel': 'Cancel',
    'users.delete': 'Delete',
    'users.you': '(you)',
    'users.confirmDelete': 'Delete {name}? This cannot be undone.',
    'users.renamed': 'Renamed to {name}.',
    'users.deleted': '{name} was deleted.',
    'users.deletedSelf': 'Your account was deleted.',
    'sessions.title': 'Where you are logged in',
    'sessions.unknownAgent': 'Unknown browser',
    'sessions.current': '(this browser)',
    'sessions.when': 'logged in {created}, last active {seen}',
    'sessions.end': 'Log out',
    'sessions.endOthers': 'Log out everywhere else',
    'sessions.ended': 'That session was logged out.',
    'sessions.endedOthers': 'Your other sessions were logged out.',
    'add.title': 'Add a user',
    'add.submit': 'Add user',
    'add.done': '{name} was added.',
    'error.network': 'The server could not be reached. Check your connection and try again.',
    'error.loggedOut': 'Your session has ended. Please log in again.',
    'error.wrongLogin': 'Wrong name or password.',
    'error.gone': 'That user no longer exists. The list has been reloaded.',
    'error.nameTaken': 'That name is already taken. Please choose another.',
    'error.lastAdmin': 'The last admin cannot be deleted or lose the admin role.',
    'error.forbidden': 'You are not allowed to do that: {message}',
    'error.invalid': 'Please check what you entered: {message}',
    'error.status': 'The request failed ({status}): {message}',
    'error.tooMany': 'Too many attempts. Please wait {seconds} seconds and try again.',
    'languages.label': 'Language',
    'about.title': 'About this server',
    'about.what':
      'A NestJS backend grown from the classic Node http-module lessons: a users API, cookie sessions, and these pages.',
    'about.request': 'The request that served this page',
    'about.version': 'Version',
    'about.protocol': 'Protocol',
    'about.pid': 'Process id (pid)',
    'about.node': 'Node.js',
    'about.reload': 'Under the cluster, each reload may be served by another worker process.',
    'notFound.title': 'Page not found',
    'notFound.text': 'There is no page at this address.',
    'notFound.home': 'Go to the users page',
  },
  ko: {
    'title.users': '사용자',
    'title.about': '소개',
    'title.notFound': '페이지를 찾을 수 없습니다',
    'nav.label': '페이지',
    'nav.users': '사용자',
    'nav.about': '소개',
    'nav.docs': 'API 문서',
    'field.name': '이름',
    'field.password': '비밀번호',
    'field.newPassword': '비밀번호 (8~256자)',
    'field.role': '역할',
    'role.user': '사용자',
    'role.admin': '관리자',
    'login.title': '로그인',
    'login.submit': '로그인',
    'signup.title': '처음이신가요? 계정을 만드세요',
    'signup.submit': '가입하기',
    'signup.done': '환영합니다! 계정이 만들어졌습니다.',
    greeting: '{name}님 안녕하세요',
    logout: '로그아웃',
    'logout.done': '로그아웃되었습니다.',
    'users.title': '사용자 목록',
    'users.pager': '사용자 목록 페이지',
    'users.previous': '이전',
    'users.next': '다음',
    'users.page': '전체 {total}명 중 {from}–{to}',
    'users.empty': '이 페이지에는 사용자가 없습니다.',
    'users.rename': '이름 변경',
    'users.newName': '새 이름',
    'users.save': '저장',
    'users.cancel': '취소',
    'users.delete': '삭제',
    'users.you': '(나)',
    'users.confirmDelete': '{name}님을 삭제할까요? 되돌릴 수 없습니다.',
    'users.renamed': '이름을 {name}(으)로 바꿨습니다.',
    'users.deleted': '{name}님을 삭제했습니다.',
    'users.deletedSelf': '계정이 삭제되었습니다.',
    'sessions.title': '로그인된 곳',
    'sessions.unknownAgent': '알 수 없는 브라우저',
    'sessions.current': '(이 브라우저)',
    'sessions.when': '{created}에 로그인, 마지막 사용 {seen}',
    'sessions.end': '로그아웃',
    'sessions.endOthers': '다른 곳에서 모두 로그아웃',
    'sessions.ended': '그 세션을 로그아웃했습니다.',
    'sessions.endedOthers': '다른 세션을 모두 로그아웃했습니다.',
    'add.title': '사용자 추가',
    'add.submit': '추가',
    'add.done': '{name}님을 추가했습니다.',
    'error.network': '서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.',
    'error.loggedOut': '세션이 끝났습니다. 다시 로그인하세요.',
    'error.wrongLogin': '이름 또는 비밀번호가 틀렸습니다.',
    'error.gone': '그 사용자는 더 이상 없습니다. 목록을 다시 불러왔습니다.',
    'error.nameTaken': '이미 사용 중인 이름입니다. 다른 이름을 고르세요.',
    'error.lastAdmin': '마지막 관리자는 삭제하거나 관리자 역할을 뺄 수 없습니다.',
    'error.forbidden': '그 작업을 할 권한이 없습니다: {message}',
    'error.invalid': '입력한 내용을 확인하세요: {message}',
    'error.status': '요청이 실패했습니다 ({status}): {message}',
    'error.tooMany': '시도가 너무 많습니다. {seconds}초 뒤에 다시 시도하세요.',
    'languages.label': '언어',
    'about.title': '이 서버에 대하여',
    'about.what':
      'Node http 모듈 강의에서 출발한 NestJS 백엔드입니다: 사용자 API, 쿠키 세션, 그리고 이 페이지들.',
    'about.request': '이 페이지를 보낸 요청',
    'about.version': '버전',
    'about.protocol': '프로토콜',
    'about.pid': '프로세스 번호 (pid)',
    'about.node': 'Node.js',
    'about.reload': '클러스터에서는 새로고침할 때마다 다른 워커 프로세스가 응답할 수 있습니다.',
    'notFound.title': '페이지를 찾을 수 없습니다',
    'notFound.text': '이 주소에는 페이지가 없습니다.',
    'notFound.home': '사용자 페이지로 가기',
  },
};

const listeners = [];

export function language() {
  return document.documentElement.lang === 'ko' ? 'ko' : 'en';
}

function savedLanguage() {
  return /(?:^|;\s*)lang=(ko|en)(?:;|$)/.exec(document.cookie)?.[1];
}

/** The text for `key` in the current language, with `{placeholders}` filled in. */
export function t(key, values = {}) {
  const text = TEXTS[language()][key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/** Translates every element marked with data-i18n (text) or data-i18n-label (aria-label). */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-label]')) {
    element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  }
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === language()));
  }
}

export function onLanguageChange(listener) {
  listeners.push(listener);
}

function setLanguage(lang) {
  document.documentElement.lang = lang;
  document.cookie = `lang=${lang}; Path=/; Max-Age=31536000; SameSite=Lax`;
  translatePage();
  for (const listener of listeners) listener();
}

/** The saved choice wins over the server's pick: a page restored by Back may predate the switch. */
function applySavedLanguage() {
  const saved = savedLanguage();
  if (saved && saved !== language()) setLanguage(saved);
  else translatePage();
}

/** Translates the page and wires the language switch. */
export function initLanguage() {
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  }
  applySavedLanguage();
  window.addEventListener('pageshow', (event) => event.persisted && applySavedLanguage());
}
