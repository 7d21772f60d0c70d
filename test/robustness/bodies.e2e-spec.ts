import { Kysely } from 'kysely';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import type { Database } from '../../src/database/database.types.js';
import { rawRequest } from '../utils/clients.js';
import { createTestApp, listen, PASSWORD, type TestApp } from '../utils/test-app.js';

/** Splits what came back into responses (bodies framed by Content-Length). */
function replies(raw: string): Array<{ status: number; body: string }> {
  const out = [];
  let rest = raw;
  while (rest.length > 0) {
    const split = rest.indexOf('\r\n\r\n');
    if (split < 0) throw new Error(`not an HTTP response: ${JSON.stringify(rest)}`);
    const [statusLine, ...lines] = rest.slice(0, split).split('\r\n');
    const length = Number(/^content-length: *(\d+)$/im.exec(lines.join('\n'))?.[1] ?? 0);
    out.push({ status: Number(statusLine.split(' ')[1]), body: rest.slice(split + 4, split + 4 + length) });
    rest = rest.slice(split + 4 + length);
  }
  return out;
}

const head = (path: string, extra: string[]) =>
  [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', ...extra, '', ''].join(
    '\r\n',
  );

/** One complete request with a correct Content-Length that asks the server to close afterwards. */
const post = (path: string, body: string | Buffer, extra: string[] = []) => [
  head(path, [`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', ...extra]),
  body,
];

const SMUGGLED = JSON.stringify({ name: 'smuggled', password: PASSWORD });
const SMUGGLE = `POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`;
const FOLLOW_UP = 'GET /api/auth/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
const TOO_LARGE = { statusCode: 413, error: 'Payload Too Large', message: 'Request body is too large' };
const badRequest = (message: unknown) => ({ statusCode: 400, error: 'Bad Request', message });
const NOT_JSON = expect.stringMatching(/^Request body is not valid JSON: \S/);
const MISSING = ['name must be a string', 'password must be a string'];

describe('Hostile request bodies (e2e)', () => {
  let t: TestApp;
  let port: number;
  const smuggled = () =>
    t.app
      .get<Kysely<Database>>(Kysely)
      .selectFrom('users')
      .select('id')
      .where('name', '=', 'smuggled')
      .executeTakeFirst();

  beforeAll(async () => {
    t = await createTestApp({
      BODY_LIMIT: '1kb',
      REQUEST_TIMEOUT: '2s',
      HEADERS_TIMEOUT: '1s',
      RATE_LIMIT_SIGNUP: 'off',
      RATE_LIMIT_LOGIN: 'off',
    });
    port = await listen(t);
    // The first user becomes admin; everyone after it must be a plain user.
    await t.agent().post('/api/users').send({ name: 'root', password: PASSWORD }).expect(201);
  });

  afterAll(() => t.close());

  afterEach(async () => {
    // Whatever came before, the same server answers a normal request and nothing was smuggled in.
    await request(t.app.getHttpServer())
      .get('/api/auth/status')
      .expect(200, { user: null, signUpOpen: true });
    expect(await smuggled()).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['malformed JSON', '/api/users', post('/api/users', "{'name': 'x',}"), NOT_JSON],
    ['a whitespace-only body', '/api/users', post('/api/users', ' \r\n\t '), NOT_JSON],
    ['an empty body with Content-Length: 0', '/api/users', post('/api/users', ''), MISSING],
    [
      'an empty body with neither length nor chunks',
      '/api/auth/login',
      [head('/api/auth/login', ['Connection: close'])],
      MISSING,
    ],
    ['a JSON number', '/api/auth/login', post('/api/auth/login', '42'), NOT_JSON],
    ['a JSON string', '/api/auth/login', post('/api/auth/login', '"root"'), NOT_JSON],
    ['JSON true', '/api/users', post('/api/users', 'true'), NOT_JSON],
    ['JSON null', '/api/auth/login', post('/api/auth/login', 'null'), NOT_JSON],
    [
      'a JSON array of the fields',
      '/api/auth/login',
      post('/api/auth/login', `["root","${PASSWORD}"]`),
      expect.arrayContaining(MISSING),
    ],
  ])('answers %s on %s with 400 and says why', async (_, _path, bytes, message) => {
    const [reply, ...more] = replies(await rawRequest(port, bytes));
    expect(more).toEqual([]);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual(badRequest(message));
  });

  it('answers a body shorter than its Content-Length with 408 once REQUEST_TIMEOUT (2 s) is up', async () => {
    const started = Date.now();
    const raw = await rawRequest(port, [head('/api/users', ['Content-Length: 100']), '{"name":"slow"'], {
      timeoutMs: 6000,
    });
    const elapsed = Date.now() - started;
    expect(raw).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[^]*Connection: close\r\n/);
    // Checked every second: the 408 comes between 2 s and 2 s + one check (plus slack).
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4500);
  });

  it('never runs bytes beyond a short Content-Length as a request', async () => {
    // The declared length cuts the JSON mid-way; the rest, with a sign-up inside, is not HTTP.
    const body = `{"name":"x","password":"${PASSWORD}"}${SMUGGLE}`;
    const raw = await rawRequest(port, [head('/api/users', ['Content-Length: 15']), body]);
    // Node's parser refuses the tail (400, then close); the cut JSON may get its own 400 first.
    expect(new Set(replies(raw).map((r) => r.status))).toEqual(new Set([400]));
  });

  it.each([
    ['refused as not JSON (415)', 'text/plain', 415, SMUGGLE],
    ['refused as too large by its Content-Length (413)', 'application/json', 413, SMUGGLE + ' '.repeat(2048)],
  ])(
    'skips the body of a request %s: a request inside it is data, not a request',
    async (_, type, status, body) => {
      const bytes = `POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      // The follow-up on the same connection proves the server skipped exactly the declared body.
      const got = replies(await rawRequest(port, [bytes, FOLLOW_UP]));
      expect(got.map((r) => r.status)).toEqual([status, 200]);
      expect(JSON.parse(got[0].body)).toMatchObject({ statusCode: status, message: expect.any(String) });
    },
  );

  it.each([
    ['ends before the body its Content-Length declared', [head('/api/users', ['Content-Length: 10'])], true],
    [
      'ends in the middle of a chunk',
      [head('/api/users', ['Transfer-Encoding: chunked']), '40\r\n{"name":"cut'],
      true,
    ],
    [
      'sends an invalid chunk size',
      [head('/api/users', ['Transfer-Encoding: chunked']), `zz\r\n${SMUGGLED}\r\n0\r\n\r\n`],
      false,
    ],
    [
      'sends an overflowing chunk size',
      [head('/api/users', ['Transfer-Encoding: chunked']), `${'f'.repeat(20)}\r\n{}\r\n0\r\n\r\n`],
      false,
    ],
  ])('answers (400) or closes when the client %s', async (_, bytes, end) => {
    const raw = await rawRequest(port, bytes, { end });
    expect(raw === '' || /^HTTP\/1\.1 (400|413) /.test(raw)).toBe(true);
  });

  describe('over BODY_LIMIT (1kb here)', () => {
    const big = JSON.stringify({ name: 'big', password: PASSWORD, pad: 'x'.repeat(2000) });

    it('accepts a body just under the limit, so the limit is the one configured', async () => {
      const body = JSON.stringify({ name: 'fits', password: PASSWORD }).padEnd(1000, ' ');
      expect(replies(await rawRequest(port, post('/api/users', body)))[0].status).toBe(201);
    });

    it.each([
      ['with Content-Length', post('/api/users', big)],
      [
        'chunked, without Content-Length',
        [
          head('/api/users', ['Transfer-Encoding: chunked', 'Connection: close']),
          `${(800).toString(16)}\r\n${big.slice(0, 800)}\r\n`,
          `${(big.length - 800).toString(16)}\r\n${big.slice(800)}\r\n0\r\n\r\n`,
        ],
      ],
    ])('answers a body over it %s with 413', async (_, bytes) => {
      const [reply] = replies(await rawRequest(port, bytes));
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.body)).toEqual(TOO_LARGE);
    });

    it('inflates gzip bodies, and counts the limit after inflating (a zip bomb gets 413)', async () => {
      const small = gzipSync(JSON.stringify({ name: 'zipped', password: PASSWORD }));
      const ok = replies(await rawRequest(port, post('/api/users', small, ['Content-Encoding: gzip'])));
      expect(ok[0].status).toBe(201);
      // Half a megabyte of JSON in under 1 kB on the wire: only the inflated size can exceed the limit.
      const bomb = gzipSync(JSON.stringify({ name: 'bomb', password: PASSWORD, pad: ' '.repeat(512 << 10) }));
      expect(bomb.length).toBeLessThan(1024);
      const [reply] = replies(await rawRequest(port, post('/api/users', bomb, ['Content-Encoding: gzip'])));
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.body)).toEqual(TOO_LARGE);
    });

    it.each([
      ['corrupt gzip', 400, 'gzip', Buffer.from('not gzip at all')],
      ['truncated gzip', 400, 'gzip', gzipSync(SMUGGLED).subarray(0, 12)],
      ['an unknown encoding', 415, 'compress', Buffer.from('{}')],
    ])('answers %s with %i', async (_, status, encoding, body) => {
      const [reply] = replies(
        await rawRequest(port, post('/api/users', body, [`Content-Encoding: ${encoding}`])),
      );
      expect(reply.status).toBe(status);
      expect(Object.keys(JSON.parse(reply.body) as object)).toEqual(['statusCode', 'error', 'message']);
    });
  });

  describe('prototype keys', () => {
    const PAYLOADS = [
      ['__proto__', `"__proto__":{"polluted":"yes","role":"admin","isAdmin":true}`],
      [
        'constructor.prototype',
        `"constructor":{"prototype":{"polluted":"yes","role":"admin","isAdmin":true}}`,
      ],
    ];
    const signUp = (name: string, extra: string) =>
      post('/api/users', `{"name":"${name}","password":"${PASSWORD}",${extra}}`);
    const logIn = (extra: string) =>
      post('/api/auth/login', `{"name":"root","password":"${PASSWORD}",${extra}}`);

    it.each(PAYLOADS)('never pollute a prototype: %s in sign-up and login bodies', async (key, extra) => {
      const tag = key.replace(/\W/g, '');
      for (const bytes of [signUp(`p-${tag}`, extra), logIn(extra)]) {
        const [reply] = replies(await rawRequest(port, bytes));
        expect([200, 201, 400]).toContain(reply.status);
        expect(reply.body).not.toMatch(/polluted|isAdmin/);
        if (reply.status === 201) expect(JSON.parse(reply.body)).toMatchObject({ role: 'user' });
      }
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(Object.prototype).not.toHaveProperty('isAdmin');
      // The server behaves as before: the next plain sign-up is a plain user, a wrong password still fails.
      await t
        .agent()
        .post('/api/users')
        .send({ name: `after-${tag}`, password: PASSWORD })
        .expect(201, /"role":"user"/);
      await t.agent().post('/api/auth/login').send({ name: 'root', password: 'wrong password!' }).expect(401);
    });

    it.each(PAYLOADS)('are refused with 400, naming the key: %s', async (key, extra) => {
      const property = key.split('.')[0];
      for (const bytes of [signUp(`w-${property}`, extra), logIn(extra)]) {
        const [reply] = replies(await rawRequest(port, bytes));
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body)).toEqual(badRequest([`property ${property} should not exist`]));
      }
    });
  });
});
