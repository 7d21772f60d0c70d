import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, http1Client, http2Client, makeCertificate } from '../utils/clients.js';
import { type ServerProcess, startServer } from '../utils/server-process.js';

const PASSWORD = 'a long enough password';
const CSS = readFileSync(join(import.meta.dirname, '..', '..', 'public', 'assets', 'app.css'));

interface Variant {
  name: string;
  protocol: 'http' | 'https' | 'http2';
  client: 'http1' | 'http2';
  wire: 'HTTP/1.1' | 'HTTP/2';
}

const VARIANTS: Variant[] = [
  { name: 'http', protocol: 'http', client: 'http1', wire: 'HTTP/1.1' },
  { name: 'https', protocol: 'https', client: 'http1', wire: 'HTTP/1.1' },
  { name: 'http2, spoken as HTTP/2', protocol: 'http2', client: 'http2', wire: 'HTTP/2' },
  {
    name: 'http2, spoken as HTTP/1.1 on the same port',
    protocol: 'http2',
    client: 'http1',
    wire: 'HTTP/1.1',
  },
];

describe.each(VARIANTS)('The API over $name', ({ protocol, client: kind, wire }) => {
  const tls = protocol !== 'http';
  const cookieName = tls ? '__Host-sid' : 'sid';
  let dir: string;
  let server: ServerProcess;
  let client: Client;
  let ca: Buffer | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `users-${protocol}-`));
    const env: Record<string, string> = { PROTOCOL: protocol };
    if (tls) {
      const { cert, key } = makeCertificate(join(dir, 'certs'));
      Object.assign(env, { TLS_CERT: cert, TLS_KEY: key, HTTP_REDIRECT_PORT: '0' });
      ca = readFileSync(cert);
    }
    server = await startServer(dir, env);
    client = kind === 'http2' ? http2Client(server.url, ca!) : http1Client(server.url, ca);
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`announces its real URL and answers over ${wire}`, async () => {
    expect(server.url).toMatch(tls ? /^https:\/\/127\.0\.0\.1:\d+$/ : /^http:\/\/127\.0\.0\.1:\d+$/);
    const about = await client.request('GET', '/about');
    expect(about.status).toBe(200);
    expect(about.text).toContain(`<dd id="protocol">${wire}</dd>`);
  });

  it('runs users CRUD with login, me and logout on a signed session cookie', async () => {
    const created = await client.request('POST', '/api/users', {
      body: { name: '홍길동', password: PASSWORD },
    });
    expect(created.status).toBe(201);
    const { id } = created.json<{ id: string }>();
    await client.request('POST', '/api/users', { body: { name: 'second', password: PASSWORD } });

    const login = await client.request('POST', '/api/auth/login', {
      body: { name: '홍길동', password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${cookieName}=s%3A`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie.includes('Secure')).toBe(tls);
    const cookie = login.cookie!;

    const me = await client.request('GET', '/api/auth/me', { cookie });
    expect(me.json()).toMatchObject({ id, name: '홍길동' });
    const list = await client.request('GET', '/api/users?limit=10', { cookie });
    expect(list.json()).toMatchObject({ total: 2 });
    const renamed = await client.request('PUT', `/api/users/${id}`, { cookie, body: { name: '김철수' } });
    expect(renamed.json()).toMatchObject({ name: '김철수' });
    const tampered = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await client.request('GET', '/api/auth/me', { cookie: tampered })).status).toBe(401);

    expect((await client.request('POST', '/api/auth/logout', { cookie })).status).toBe(204);
    expect((await client.request('GET', '/api/auth/me', { cookie })).status).toBe(401);
    const again = await client.request('POST', '/api/auth/login', {
      body: { name: '김철수', password: PASSWORD },
    });
    const deleted = await client.request('DELETE', `/api/users/${id}`, { cookie: again.cookie });
    expect(deleted.status).toBe(409);
  });

  it('serves static files byte for byte, with Range', async () => {
    const whole = await client.request('GET', '/assets/app.css');
    expect(whole.status).toBe(200);
    expect(whole.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(whole.body.equals(CSS)).toBe(true);
    const part = await client.request('GET', '/assets/app.css', { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${CSS.length}`);
    expect(part.body.equals(CSS.subarray(10, 20))).toBe(true);
  });

  it('answers unknown paths and bad input as over plain HTTP', async () => {
    const page = await client.request('GET', '/no/such/page');
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const api = await client.request('GET', '/api/nothing');
    expect(api.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/nothing' });
    const invalid = await client.request('POST', '/api/users', {
      body: { name: 'x'.repeat(65), password: 'p' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json<{ message: string[] }>().message).toEqual([
      'name must be at most 64 characters long (got 65)',
      'password must be 8 to 256 characters long',
    ]);
  });

  if (!tls) {
    it('sends no HSTS over plain HTTP', async () => {
      expect((await client.request('GET', '/')).headers['strict-transport-security']).toBeUndefined();
    });
  }

  if (tls) {
    it('sends HSTS, and redirects plain HTTP on HTTP_REDIRECT_PORT to HTTPS', async () => {
      const home = await client.request('GET', '/');
      expect(home.headers['strict-transport-security']).toBe('max-age=31536000');
      const port = /Redirecting http:\/\/127\.0\.0\.1:(\d+)/.exec(server.output())![1];
      const plain = http1Client(`http://127.0.0.1:${port}`);
      try {
        const moved = await plain.request('POST', '/api/users?x=1');
        expect(moved.status).toBe(308);
        expect(moved.headers.location).toBe(`${server.url}/api/users?x=1`);
        const landed = await client.request('GET', new URL(String(moved.headers.location)).pathname);
        expect(landed.status).toBe(401);
        const otherHost = await plain.request('GET', '/', { headers: { host: 'evil.example' } });
        expect(otherHost.status).toBe(400);
        const foreign = await plain.request('GET', '//evil.example/');
        expect(foreign.status).toBe(400);
        const badHost = await plain.request('GET', '/', { headers: { host: 'evil.example/path' } });
        expect(badHost.status).toBe(400);
      } finally {
        plain.close();
      }
    });
  }
});
