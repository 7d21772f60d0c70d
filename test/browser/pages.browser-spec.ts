import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newPage, PageProblems } from '../utils/browser';
import { type ServerProcess, startServer } from '../utils/server-process';

const ARTIFACTS = join(__dirname, '..', '..', 'test-results');
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

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    await heading(page, 'Log in');
    await context.close();
  });

  it('shows API errors to the person in words', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    await page.goto(`${server.url}/`);
    const login = page.locator('#login-form');
    await login.getByLabel('Name').fill(ADMIN.name);
    await login.getByLabel('Password').fill('not the password');
    await login.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('The request failed (401): Wrong name or password').waitFor();

    await login.getByLabel('Password').fill(ADMIN.password);
    await login.getByRole('button', { name: 'Log in' }).click();
    const add = page.locator('#add-form');
    await add.getByLabel('Name').fill(ADMIN.name.toUpperCase());
    await add.getByLabel('Password (8 to 256 characters)').fill('whatever password');
    await add.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('alert').getByText(`The name "${ADMIN.name}" is already taken`).waitFor();
    // Chromium logs every failed fetch; these two are the ones this test provoked on purpose.
    expect(problems.take()).toEqual([
      expect.stringMatching(/status of 401 \(Unauthorized\)/),
      expect.stringMatching(/status of 409 \(Conflict\)/),
    ]);
    await context.close();
  });

  it('can be used with the keyboard alone', async () => {
    const { context, page } = await newPage(browser, problems, { locale: 'en-US' });
    await page.goto(`${server.url}/`);
    await page.locator('#login-name').focus();
    await page.keyboard.type(ADMIN.name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    await heading(page, `Hello, ${ADMIN.name}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Log out');
    await context.close();
  });

  it('fits a 360 px wide phone screen', async () => {
    const { context, page } = await newPage(browser, problems, {
      locale: 'ko-KR',
      viewport: { width: 360, height: 740 },
    });
    await page.goto(`${server.url}/`);
    const login = page.locator('#login-form');
    await login.getByLabel('이름').fill(ADMIN.name);
    await login.getByLabel('비밀번호').fill(ADMIN.password);
    await login.getByRole('button', { name: '로그인' }).click();
    await heading(page, '관리자님 안녕하세요');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(ARTIFACTS, 'users-360px.png'), fullPage: true });
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
    expect(problems.take()).toEqual([expect.stringMatching(/status of 404 \(Not Found\)/)]);
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
});
