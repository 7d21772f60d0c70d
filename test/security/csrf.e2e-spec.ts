import { Kysely } from 'kysely';
import type { Database } from '../../src/database/database.types.js';
import { createTestApp, listen, PASSWORD, signUp, type TestApp } from '../utils/test-app.js';

type Headers = Record<string, string>;
type Response = { status: number; body: { message?: unknown }; get(name: string): string[] | undefined };

const LOGIN = { name: 'admin', password: PASSWORD };
const ORIGIN_REFUSED = 'Cross-origin requests are refused: Origin is not this server';
const NOT_JSON = {
  statusCode: 415,
  error: 'Unsupported Media Type',
  message: 'Send the request body as application/json',
};

/** Listens on 127.0.0.1, so supertest sends `Host: 127.0.0.1:<port>` to a known port; returns that host. */
const listenHost = async (t: TestApp) => `127.0.0.1:${await listen(t)}`;

function sid(res: Response): string | undefined {
  return res.get('Set-Cookie')?.find((c) => c.startsWith('sid='));
}

function sessionCount(t: TestApp): Promise<number> {
  return t.app
    .get<Kysely<Database>>(Kysely)
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
    .then((row) => Number(row.n));
}

describe('CSRF defence of the API (e2e)', () => {
  let t: TestApp;
  let own: string;
  let admin: string;

  let victims = 0;
  const post = () => t.agent().post('/api/auth/login');
  const login = (headers: Headers = {}) => post().set(headers).send(LOGIN);

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_LOGIN: 'off' });
    own = `http://${await listenHost(t)}`;
    await signUp(t.agent(), 'admin');
    admin = sid(await login().expect(200))!.split(';')[0];
  });

  afterAll(async () => {
    await t.close();
  });

  describe.each<[string, Headers, string]>([
    ['a foreign Origin', { Origin: 'https://evil.example' }, ORIGIN_REFUSED],
    ['Origin: null', { Origin: 'null' }, ORIGIN_REFUSED],
    ['its own host on another port as Origin', { Origin: 'http://127.0.0.1:1' }, ORIGIN_REFUSED],
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }, '(Sec-Fetch-Site: cross-site)'],
    ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }, '(Sec-Fetch-Site: same-site)'],
  ])('a write with %s', (_, headers, message) => {
    let victim: string;

    beforeAll(async () => {
      victim = (await signUp(t.agent(), `victim-${++victims}`)).id;
    });

    it.each([
      ['POST', 'login', () => login(headers)],
      ['PUT', 'rename', () => t.agent().put(`/api/users/${victim}`).send({ name: 'renamed' })],
      ['PATCH', 'promote', () => t.agent().patch(`/api/users/${victim}`).send({ role: 'admin' })],
      ['DELETE', 'delete', () => t.agent().delete(`/api/users/${victim}`)],
    ])('is refused with 403 for %s (%s) and changes nothing', async (_method, _what, send) => {
      const res = await send().set('Cookie', admin).set(headers);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect(res.body.message).toContain(message);
      expect(sid(res)).toBeUndefined();
      const user = await t.agent().get(`/api/users/${victim}`).set('Cookie', admin).expect(200);
      expect(user.body).toMatchObject({ id: victim, role: 'user' });
      expect(user.body.name).toMatch(/^victim-/);
    });
  });

  it.each<[string, () => Headers]>([
    ['Sec-Fetch-Site: same-origin', () => ({ 'Sec-Fetch-Site': 'same-origin' })],
    ['Sec-Fetch-Site: none', () => ({ 'Sec-Fetch-Site': 'none' })],
    ['its own Origin', () => ({ Origin: own, 'Sec-Fetch-Site': 'same-origin' })],
    ['its own Origin in capitals', () => ({ Origin: own.toUpperCase() })],
    ['no Origin and no Sec-Fetch-Site (a non-browser client)', () => ({})],
  ])('accepts a login with %s', async (_, headers) => {
    const res = await login(headers()).expect(200);
    expect(sid(res)).toBeDefined();
  });

  it('does not refuse a GET with a foreign Origin or from another site', async () => {
    const res = await t
      .agent()
      .get('/api/auth/me')
      .set({ Cookie: admin, Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' })
      .expect(200);
    expect(res.body.name).toBe('admin');
  });

  describe('takes request bodies as JSON only', () => {
    it.each([
      ['text/plain', () => post().set('Content-Type', 'text/plain').send(JSON.stringify(LOGIN))],
      ['form-urlencoded', () => post().type('form').send(new URLSearchParams(LOGIN).toString())],
      ['multipart/form-data', () => post().field(LOGIN)],
      ['no Content-Type', () => post().send(Buffer.from(JSON.stringify(LOGIN)))],
    ])('answers 415 to a %s login with the right password, and logs nobody in', async (_, send) => {
      const before = await sessionCount(t);
      const res = await send();
      expect(res.status).toBe(415);
      expect(res.body).toEqual(NOT_JSON);
      expect(sid(res)).toBeUndefined();
      expect(await sessionCount(t)).toBe(before);
    });

    it('accepts application/json with a charset', async () => {
      const res = await post()
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify(LOGIN))
        .expect(200);
      expect(sid(res)).toBeDefined();
    });

    it('accepts a logout with no body and no Content-Type', async () => {
      const cookie = sid(await login().expect(200))!.split(';')[0];
      await t.agent().post('/api/auth/logout').set('Cookie', cookie).expect(204);
      await t.agent().get('/api/auth/me').set('Cookie', cookie).expect(401);
    });
  });

  it('changes no user and creates or ends no session on any documented GET', async () => {
    const db = t.app.get<Kysely<Database>>(Kysely);
    const other = await signUp(t.agent(), 'other');
    await t.agent().post('/api/auth/login').send({ name: 'other', password: PASSWORD }).expect(200);
    const users = () => db.selectFrom('users').selectAll().orderBy('id').execute();
    const sessions = () =>
      db.selectFrom('sessions').select(['sid', 'userId', 'data']).orderBy('sid').execute();
    const [usersBefore, sessionsBefore] = [await users(), await sessions()];

    const doc = (await t.agent().get('/docs-json').expect(200)).body as { paths: Record<string, object> };
    const paths = Object.keys(doc.paths).filter((path) => 'get' in doc.paths[path]);
    expect(paths).toEqual(expect.arrayContaining(['/api/auth/me', '/api/users', '/api/users/{id}']));
    for (const path of paths) {
      const url = path.replace('{id}', other.id);
      expect(url).not.toContain('{');
      const res = await t.agent().get(url).set('Cookie', admin);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      expect(sid(res)).toBeUndefined();
    }

    expect(await users()).toEqual(usersBefore);
    expect(await sessions()).toEqual(sessionsBefore);
  });

  it('marks API responses, errors included, Cache-Control: no-store, but not static assets', async () => {
    const responses = [
      await t.agent().get('/api/auth/me').set('Cookie', admin).expect(200),
      await t.agent().get('/api/users').set('Cookie', admin).expect(200),
      await t.agent().get('/api/auth/me').expect(401),
      await t.agent().get('/api/users/no-such-user').set('Cookie', admin).expect(400),
      await t.agent().get('/api/nowhere').expect(404),
      await login({ Origin: 'https://evil.example' }).expect(403),
    ];
    for (const res of responses) expect(res.get('Cache-Control')).toBe('no-store');
    const css = await t.agent().get('/assets/app.css').expect(200);
    expect(css.get('Cache-Control')).toBe('public, max-age=0');
  });
});

describe('CSRF defence behind a TLS-terminating proxy (e2e)', () => {
  const apps: TestApp[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((t) => t.close()));
  });

  async function forwardedLogins(env: Headers): Promise<{ https: number; http: number }> {
    const t = await createTestApp(env);
    apps.push(t);
    const host = await listenHost(t);
    await signUp(t.agent(), 'admin');
    const attempt = async (scheme: string) =>
      (
        await t
          .agent()
          .post('/api/auth/login')
          .set({ 'X-Forwarded-Proto': 'https', Origin: `${scheme}://${host}` })
          .send(LOGIN)
      ).status;
    return { https: await attempt('https'), http: await attempt('http') };
  }

  it('with TRUST_PROXY=loopback, takes the https origin the proxy reports as its own', async () => {
    expect(await forwardedLogins({ TRUST_PROXY: 'loopback' })).toEqual({ https: 200, http: 403 });
  });

  it('without TRUST_PROXY, ignores X-Forwarded-Proto and refuses the https origin', async () => {
    expect(await forwardedLogins({})).toEqual({ https: 403, http: 200 });
  });
});
