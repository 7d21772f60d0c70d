import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newPage, PageProblems } from '../utils/browser.js';
import { type ServerProcess, startServer } from '../utils/server-process.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-results');
const ADMIN = { name: '관리자', password: '관리자의 비밀번호' };

describe('Pages in Chromium', () => {
  let cwd: string;
  let server: ServerProcess;
  let browser: Browser;
  const problems = new PageProblems();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    cwd = mkdtempSync(join(tmpdir(), 'users-browser-'));
    server = await startServer(cwd);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(problems.take()).toEqual([]);
  });

  const heading = (page: Page, name: string) => page.getByRole('heading', { name, exact: true }).waitFor();
  const listed = (page: Page, name: string) =>
    page.locator('#user-list .name', { hasText: new RegExp(`^${name}$`) });

  it('lets a new visitor sign up, manage users, switch language and log out, without curl', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'ko-KR' });
    await page.goto(`${server.url}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('ko');

    const signup = page.locator('#signup-form');
    await signup.getByLabel('이름').fill(ADMIN.name);
    await signup.getByLabel('비밀번호 (8~256자)').fill(ADMIN.password);
    await signup.getByRole('button', { name: '가입하기' }).click();
    await heading(page, '관리자님 안녕하세요');
    await page.getByText('환영합니다! 계정이 만들어졌습니다.').waitFor();

    const add = page.locator('#add-form');
    await add.getByLabel('이름').fill('kim');
    await add.getByLabel('비밀번호 (8~256자)').fill('kim password');
    await add.getByRole('button', { name: '추가' }).click();
    await page.getByText('kim님을 추가했습니다.').waitFor();
    await listed(page, 'kim').waitFor();

    await page.getByRole('button', { name: '이름 변경: kim' }).click();
    await page.getByRole('textbox', { name: '새 이름' }).fill('김철수');
    await page.getByRole('button', { name: '저장' }).click();
    await listed(page, '김철수').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'users-ko.png'), fullPage: true });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: '삭제: 김철수' }).click();
    await page.getByText('김철수님을 삭제했습니다.').waitFor();
    await listed(page, '김철수').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'English' }).click();
    await heading(page, `Hello, ${ADMIN.name}`);
    await page.reload();
    await heading(page, `Hello, ${ADMIN.name}`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.screenshot({ path: join(ARTIFACTS, 'users-en.png'), fullPage: true });

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByText('You are logged out.').waitFor();
    await heading(page, 'Log in');
    await context.close();
  });

  /** The HTTP error and Chromium's console line that one deliberately failed request leaves. */
  const failed = (status: number, path: string): unknown[] => [
    `HTTP ${status}: ${server.url}${path}`,
    expect.stringMatching(new RegExp(`^console: Failed to load resource: .*status of ${status}`)),
  ];

  async function logInOnPage(page: Page, name: string, password: string, labels = ['Name', 'Password']) {
    const login = page.locator('#login-form');
    await login.getByLabel(labels[0]).fill(name);
    await login.getByLabel(labels[1]).fill(password);
    await login.locator('button[type="submit"]').click();
  }

  it('shows API errors to the person in words, in their language', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    await page.goto(`${server.url}/`);
    await logInOnPage(page, ADMIN.name, 'not the password');
    await page.getByRole('alert').getByText('Wrong name or password.').waitFor();

    await logInOnPage(page, ADMIN.name, ADMIN.password);
    const add = page.locator('#add-form');
    await add.getByLabel('Name').fill(ADMIN.name.toUpperCase());
    await add.getByLabel('Password (8 to 256 characters)').fill('whatever password');
    await add.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('alert').getByText('That name is already taken. Please choose another.').waitFor();

    await page.getByRole('button', { name: '한국어' }).click();
    await page.getByRole('alert').getByText('이미 사용 중인 이름입니다. 다른 이름을 고르세요.').waitFor();
    expect(problems.take()).toEqual([...failed(401, '/api/auth/login'), ...failed(409, '/api/users')]);
    await context.close();
  });

  it('can be used with the keyboard alone, keeping focus where the work goes on', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    const focused = () =>
      page.evaluate('document.activeElement.id || document.activeElement.getAttribute("aria-label")');
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${server.url}/`);
    await page.locator('#login-name').focus();
    await page.keyboard.type(ADMIN.name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    await heading(page, `Hello, ${ADMIN.name}`);
    expect(await focused()).toBe('greeting');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Log out');

    await page.locator('#add-name').focus();
    await page.keyboard.type('keyboard');
    await page.keyboard.press('Tab');
    await page.keyboard.type('typed password');
    await page.keyboard.press('Enter');
    await page.getByText('keyboard was added.').waitFor();
    expect(await focused()).toBe('add-name');

    await page.getByRole('button', { name: 'Rename: keyboard' }).focus();
    await page.keyboard.press('Enter');
    expect(await focused()).toMatch(/^rename-/);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('typist');
    await page.keyboard.press('Enter');
    await page.getByText('Renamed to typist.').waitFor();
    expect(await focused()).toBe('Rename: typist');

    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Delete: typist');
    await page.keyboard.press('Enter');
    await page.getByText('typist was deleted.').waitFor();
    expect(await focused()).toBe('users-title');
    await context.close();
  });

  it('fits a 360 px wide phone screen and keeps messages in view', async () => {
    const { context, page } = await newPage(browser, problems, {
      locale: 'ko-KR',
      viewport: { width: 360, height: 740 },
    });
    await page.goto(`${server.url}/`);
    await logInOnPage(page, ADMIN.name, ADMIN.password, ['이름', '비밀번호']);
    await heading(page, '관리자님 안녕하세요');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(ARTIFACTS, 'users-360px.png'), fullPage: true });

    const add = page.locator('#add-form');
    await add.getByLabel('이름').fill(ADMIN.name);
    await add.getByLabel('비밀번호 (8~256자)').fill('whatever password');
    await add.getByRole('button', { name: '추가' }).click();
    const alert = page.getByRole('alert').getByText('이미 사용 중인 이름입니다. 다른 이름을 고르세요.');
    await alert.waitFor();
    const box = (await alert.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(740);
    expect(problems.take()).toEqual(failed(409, '/api/users'));
    await context.close();
  });

  it('lets a user with a 40-emoji name (80 UTF-16 units) log in and see their greeting', async () => {
    const name = '😀'.repeat(40);
    const created = await fetch(`${server.url}/api/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, password: 'emoji password' }),
    });
    expect(created.status).toBe(201);
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    await page.goto(`${server.url}/`);
    await logInOnPage(page, name, 'emoji password');
    await heading(page, `Hello, ${name}`);
    await context.close();
  });

  it('shows Korean, emoji and right-to-left names exactly, and greets such a user', async () => {
    // Typed decomposed (Hangul as conjoining jamo, Zoe + U+0308): the page shows the stored NFC form.
    const korean = '홍길동 👩‍💻 שלום';
    const arabic = 'مرحبا Zoë 🚀';
    const created = await fetch(`${server.url}/api/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: arabic.normalize('NFD'), password: 'unicode password' }),
    });
    expect(created.status).toBe(201);
    const { context, page } = await newPage(browser, problems, { locale: 'ko-KR' });
    await page.goto(`${server.url}/`);
    const signup = page.locator('#signup-form');
    await signup.getByLabel('이름').fill(korean.normalize('NFD'));
    await signup.getByLabel('비밀번호 (8~256자)').fill('unicode password');
    await signup.getByRole('button', { name: '가입하기' }).click();
    await heading(page, `${korean}님 안녕하세요`);
    expect(await page.locator('#greeting').textContent()).toBe(`${korean}님 안녕하세요`);
    await listed(page, korean).waitFor();
    expect(await page.locator('#user-list .name').allTextContents()).toEqual(
      expect.arrayContaining([korean, arabic]),
    );
    // The session cookie is plain ASCII whatever the name, and carries the login across a reload.
    const [sid] = (await context.cookies()).filter((c) => c.name === 'sid');
    expect(sid.value).toMatch(/^[\x21-\x7e]+$/);
    await page.reload();
    await heading(page, `${korean}님 안녕하세요`);
    await context.close();
  });

  it('remembers the language when going back to a page shown before the switch', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    await page.goto(`${server.url}/`);
    await heading(page, 'Log in');
    await page.getByRole('link', { name: 'About' }).click();
    await page.getByRole('button', { name: '한국어' }).click();
    await heading(page, '이 서버에 대하여');
    await page.goBack();
    await heading(page, '로그인');
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    await context.close();
  });

  it('shows on /about the protocol and the pid of the process that served it', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    await page.goto(`${server.url}/about`);
    await heading(page, 'About this server');
    expect(await page.locator('#protocol').textContent()).toBe('HTTP/1.1');
    expect(await page.locator('#pid').textContent()).toBe(String(server.child.pid));
    await page.getByRole('button', { name: '한국어' }).click();
    await heading(page, '이 서버에 대하여');
    await context.close();
  });

  it('answers an unknown page with the HTML 404 page', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    const response = await page.goto(`${server.url}/no/such/page`);
    expect(response?.status()).toBe(404);
    await heading(page, 'Page not found');
    expect(problems.take()).toEqual(failed(404, '/no/such/page'));
    await context.close();
  });

  it('loads Swagger UI under the CSP, and "Try it out" runs as the user logged in there', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    await page.goto(`${server.url}/docs`);
    const login = page.locator('#operations-auth-AuthController_login');
    await login.locator('.opblock-summary').click();
    await login.getByRole('button', { name: 'Try it out' }).click();
    await login.locator('textarea.body-param__text').fill(JSON.stringify(ADMIN));
    await login.getByRole('button', { name: 'Execute' }).click();
    await login.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor();

    const me = page.locator('#operations-auth-AuthController_me');
    await me.locator('.opblock-summary').click();
    await me.getByRole('button', { name: 'Try it out' }).click();
    await me.getByRole('button', { name: 'Execute' }).click();
    await me.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor();
    expect(await me.locator('.live-responses-table .microlight').first().textContent()).toContain(ADMIN.name);
    await page.screenshot({ path: join(ARTIFACTS, 'swagger-me.png') });
    await context.close();
  });

  it('lists where you are logged in, and logs another browser out from this one', async () => {
    const browsers = await Promise.all(
      ['First browser', 'Second browser'].map((userAgent) =>
        newPage(browser, problems, { locale: 'en-US', userAgent }),
      ),
    );
    const [first, second] = browsers.map(({ page }) => page);
    const logInAgain = async (page: Page) => {
      await page.goto(`${server.url}/`);
      await logInOnPage(page, ADMIN.name, ADMIN.password);
      await heading(page, `Hello, ${ADMIN.name}`);
    };
    await logInAgain(first);
    await logInAgain(second);
    await first.reload();
    const sessions = first.locator('#session-list');
    await sessions.getByText('First browser (this browser)', { exact: true }).waitFor();
    await sessions.getByText('Second browser', { exact: true }).waitFor();
    await first.screenshot({ path: join(ARTIFACTS, 'sessions-en.png'), fullPage: true });

    await first.getByRole('button', { name: 'Log out: Second browser' }).click();
    await first.getByText('That session was logged out.').waitFor();
    await sessions.getByText('Second browser', { exact: true }).waitFor({ state: 'detached' });
    await second.reload();
    await heading(second, 'Log in');

    await logInAgain(second);
    await first.getByRole('button', { name: 'Log out everywhere else' }).click();
    await first.getByText('Your other sessions were logged out.').waitFor();
    expect(await sessions.locator('li').count()).toBe(1);
    await second.reload();
    await heading(second, 'Log in');
    await heading(first, `Hello, ${ADMIN.name}`);
    await Promise.all(browsers.map(({ context }) => context.close()));
  });
});
