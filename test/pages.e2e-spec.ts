import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PUBLIC_DIR } from '../src/pages/page-renderer.js';
import { createTestApp, logIn, signUp, type TestApp } from './utils/test-app.js';

const DOTFILE = join(PUBLIC_DIR, 'assets', '.e2e-secret');

/** A request whose path goes out byte for byte, as an attacker would send it (no URL normalising). */
function rawGet(t: TestApp, path: string): Promise<{ status: number; location?: string; body: string }> {
  const { port } = (t.app.getHttpServer() as { address(): AddressInfo }).address();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function directives(csp: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (csp ?? '').split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values.join(' ')];
    }),
  );
}

describe('Pages and assets (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    writeFileSync(DOTFILE, 'must never be served');
    t = await createTestApp();
    await new Promise<void>((resolve) => t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    rmSync(DOTFILE, { force: true });
    await t.close();
  });

  it('serves the users page in the language of Accept-Language, or of the saved choice', async () => {
    const ko = await t.agent().get('/').set('Accept-Language', 'ko-KR,ko;q=0.9,en;q=0.5').expect(200);
    expect(ko.get('Content-Type')).toBe('text/html; charset=utf-8');
    expect(ko.text).toContain('<html lang="ko">');
    const en = await t.agent().get('/').set('Accept-Language', 'fr, en;q=0.5').expect(200);
    expect(en.text).toContain('<html lang="en">');
    const chosen = await t.agent().get('/').set('Accept-Language', 'en').set('Cookie', 'lang=ko').expect(200);
    expect(chosen.text).toContain('<html lang="ko">');
    const forged = await t.agent().get('/').set('Cookie', 'lang="><script>').expect(200);
    expect(forged.text).toContain('<html lang="en">');
  });

  it('serves /about with the protocol and pid of this request, never cached', async () => {
    const res = await t.agent().get('/about').expect(200);
    expect(res.text).toContain('<dd id="protocol">HTTP/1.1</dd>');
    expect(res.text).toContain(`<dd id="pid">${process.pid}</dd>`);
    expect(res.get('Cache-Control')).toBe('no-store');
  });

  it('answers unknown page paths with the HTML 404 page and unknown API paths with JSON', async () => {
    const page = await t.agent().get('/no/such/page').set('Accept-Language', 'ko').expect(404);
    expect(page.get('Content-Type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<html lang="ko">');
    expect(page.text).toContain('data-i18n="notFound.title"');
    await t.agent().get('/api/no/such/thing').expect(404).expect('Content-Type', /json/);
    await t.agent().get('/api').expect(404).expect('Content-Type', /json/);
    await t.agent().get('/API/No/Such/Thing').expect(404).expect('Content-Type', /json/);
  });

  it('serves assets with their types, validators and a revalidating Cache-Control', async () => {
    const css = await t.agent().get('/assets/app.css').expect(200);
    expect(css.get('Content-Type')).toBe('text/css; charset=utf-8');
    expect(css.text).toBe(readFileSync(join(PUBLIC_DIR, 'assets', 'app.css'), 'utf8'));
    expect(css.get('Cache-Control')).toBe('public, max-age=0');
    expect(css.get('Last-Modified')).toBeDefined();
    await t.agent().get('/assets/app.css').set('If-None-Match', css.get('ETag')!).expect(304);
    await t
      .agent()
      .get('/assets/users.js')
      .expect(200)
      .expect('Content-Type', 'text/javascript; charset=utf-8');
    await t.agent().get('/assets/icon.svg').expect(200).expect('Content-Type', 'image/svg+xml');
  });

  it.each([
    ['a directory', '/assets/'],
    ['a directory without its slash', '/assets'],
    ['a dotfile', '/assets/.e2e-secret'],
    ['an encoded dotfile', '/assets/%2ee2e-secret'],
    ['..', '/assets/../package.json'],
    ['encoded ..', '/assets/%2e%2e/package.json'],
    ['encoded .. and slash', '/assets/%2e%2e%2fpackage.json'],
    ['a NUL byte', '/assets/app.css%00'],
    ['a NUL byte before an extension', '/assets/%00.css'],
    ['a doubled slash', '/assets//etc/passwd'],
    ['a backslash', '/assets/..%5cpackage.json'],
  ])('never serves %s (%s) and never redirects', async (_, path) => {
    const res = await rawGet(t, path);
    expect([400, 404]).toContain(res.status);
    expect(res.location).toBeUndefined();
    expect(res.body).not.toContain('must never be served');
    expect(res.body).not.toContain('"dependencies"');
  });

  it('keeps a strict Content-Security-Policy: nothing inline, nothing foreign', async () => {
    const res = await t.agent().get('/').expect(200);
    const csp = directives(res.get('Content-Security-Policy'));
    expect(csp).toMatchObject({
      'script-src': "'self'",
      'script-src-attr': "'none'",
      'style-src': "'self'",
      'font-src': "'self'",
      'object-src': "'none'",
    });
    expect(res.get('Content-Security-Policy')).not.toMatch(/unsafe-inline|https:/);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\son[a-z]+=/);
  });

  it('relaxes the policy for Swagger UI only as far as inline styles, never scripts', async () => {
    const docs = directives((await t.agent().get('/docs').expect(200)).get('Content-Security-Policy'));
    expect(docs).toMatchObject({ 'style-src': "'self' 'unsafe-inline'", 'script-src': "'self'" });
    const api = (await t.agent().get('/api/auth/status').expect(200)).get('Content-Security-Policy');
    expect(api).not.toContain('unsafe-inline');
  });

  it('says that pages vary by language preference', async () => {
    expect((await t.agent().get('/').expect(200)).get('Vary')).toBe('Accept-Language, Cookie');
    expect((await t.agent().get('/about').expect(200)).get('Vary')).toBe('Accept-Language, Cookie');
    expect((await t.agent().get('/nope').expect(404)).get('Vary')).toBe('Accept-Language, Cookie');
  });

  it('tells the page who is logged in and whether sign-up is open, without a 401', async () => {
    await t.agent().get('/api/auth/status').expect(200, { user: null, signUpOpen: true });
    const agent = t.agent();
    await signUp(agent, 'visitor');
    await logIn(agent, 'visitor');
    const status = await agent.get('/api/auth/status').expect(200);
    expect(status.body).toMatchObject({ user: { name: 'visitor' }, signUpOpen: true });
  });
});

describe('Sign-up status under closed registration (e2e)', () => {
  it('is open only until the first user exists', async () => {
    const t = await createTestApp({ REGISTRATION: 'closed' });
    try {
      await t.agent().get('/api/auth/status').expect(200, { user: null, signUpOpen: true });
      await signUp(t.agent(), 'founder');
      await t.agent().get('/api/auth/status').expect(200, { user: null, signUpOpen: false });
    } finally {
      await t.close();
    }
  });
});
