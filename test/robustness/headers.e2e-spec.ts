import { Kysely } from 'kysely';
import { validateHeaderValue } from 'node:http';
import request from 'supertest';
import type { Database } from '../../src/database/database.types.js';
import { parseResponse, rawRequest as send, type RawReply } from '../utils/clients.js';
import { createTestApp, listen, PASSWORD, type TestApp } from '../utils/test-app.js';

// Header bytes as written (Latin-1), never half-closed: Node drops a response still in the works
// when the client half-closes.
const rawRequest = (port: number, bytes: string) => send(port, bytes, { encoding: 'latin1' });

const exchange = async (port: number, bytes: string) => parseResponse(await rawRequest(port, bytes));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SIGN_UP = JSON.stringify({ name: 'smuggled', password: PASSWORD });
const get = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;
const postUsers = (framing: string, body: string) =>
  `POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${framing}\r\n${body}`;
const chunked = (body: string) => `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

/** Node's own parser refusal: a bare status line, then the connection is closed. */
const PARSER_REFUSAL = (status: number) =>
  new RegExp(`^HTTP/1\\.1 ${status} [^\\r]+\\r\\nConnection: close\\r\\n\\r\\n$`);

describe('Hostile headers and URLs (e2e)', () => {
  let t: TestApp;
  let port: number;
  const names = async () =>
    (await t.app.get<Kysely<Database>>(Kysely).selectFrom('users').select('name').execute()).map(
      (u) => u.name,
    );

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_SIGNUP: 'off', RATE_LIMIT_LOGIN: 'off' });
    port = await listen(t);
    await t.agent().post('/api/users').send({ name: 'root', password: PASSWORD }).expect(201);
  });

  afterAll(() => t.close());

  afterEach(async () => {
    // Whatever came before, the same server answers a normal request and nothing was smuggled in.
    await request(t.app.getHttpServer())
      .get('/api/auth/status')
      .expect(200, { user: null, signUpOpen: true });
    expect(await names()).toEqual(['root']);
  });

  describe('limits', () => {
    it.each([
      ['one 17 KiB header', get('/api/auth/status', `X-Big: ${'a'.repeat(17 * 1024)}\r\n`)],
      ['2000 small headers', get('/api/auth/status', 'X-Many: v\r\n'.repeat(2000))],
    ])('answers a header block over 16 KiB (%s) with 431 and closes', async (_, bytes) => {
      expect(await rawRequest(port, bytes)).toMatch(PARSER_REFUSAL(431));
    });

    it('answers a request line longer than the header limit with 414 or 431', async () => {
      const raw = await rawRequest(port, get(`/api/auth/status?q=${'a'.repeat(17 * 1024)}`));
      expect(raw).toMatch(/^HTTP\/1\.1 (414|431) /);
    });

    it('still accepts a header block well within the limit (12 KiB)', async () => {
      const reply = await exchange(port, get('/api/auth/status', `X-Big: ${'a'.repeat(12 * 1024)}\r\n`));
      expect(reply.status).toBe(200);
    });
  });

  describe('framing that could smuggle a request', () => {
    it.each([
      [
        'Transfer-Encoding and Content-Length',
        `Transfer-Encoding: chunked\r\nContent-Length: 4\r\n`,
        chunked(SIGN_UP),
      ],
      [
        'Content-Length and Transfer-Encoding',
        `Content-Length: ${SIGN_UP.length}\r\nTransfer-Encoding: chunked\r\n`,
        chunked(SIGN_UP),
      ],
      [
        'Transfer-Encoding: identity and Content-Length',
        `Transfer-Encoding: identity\r\nContent-Length: ${SIGN_UP.length}\r\n`,
        SIGN_UP,
      ],
      ['a Transfer-Encoding not ending in chunked', 'Transfer-Encoding: chunked, gzip\r\n', chunked(SIGN_UP)],
      [
        'two different Content-Lengths',
        `Content-Length: ${SIGN_UP.length}\r\nContent-Length: 4\r\n`,
        SIGN_UP,
      ],
      ['a Content-Length list', `Content-Length: ${SIGN_UP.length}, ${SIGN_UP.length}\r\n`, SIGN_UP],
      ['a Content-Length too large for a number', 'Content-Length: 99999999999999999999\r\n', SIGN_UP],
      ['a negative Content-Length', 'Content-Length: -1\r\n', SIGN_UP],
    ])('refuses %s with 400 and never processes the body', async (_, framing, body) => {
      expect(await rawRequest(port, postUsers(framing, body))).toMatch(PARSER_REFUSAL(400));
    });
  });

  describe('malformed and old-style requests', () => {
    it.each([
      ['a space in a header name', 'Bad Header: x\r\n'],
      ['a separator in a header name', 'X(y): x\r\n'],
      ['a space before the colon', 'X-Request-Id : abc\r\n'],
      ['an obs-fold continuation line', 'X-Request-Id: abc\r\n  Set-Cookie: x=1\r\n'],
      ['a bare LF inside a header line', 'X-Request-Id: abc\nSet-Cookie: x=1\r\n'],
      ['a bare CR inside a header value', 'X-Request-Id: abc\rSet-Cookie: x=1\r\n'],
      ['a NUL in a header value', 'X-Request-Id: abc\0def\r\n'],
    ])('refuses %s with 400', async (_, line) => {
      expect(await rawRequest(port, get('/api/auth/status', line))).toMatch(PARSER_REFUSAL(400));
    });

    it('refuses a control character in the request target with 400', async () => {
      expect(await rawRequest(port, get('/api/\x01x'))).toMatch(PARSER_REFUSAL(400));
    });

    it.each([
      ['the API', 200, 'GET /api/auth/status HTTP/1.0\r\n\r\n'],
      ['a page', 200, 'GET / HTTP/1.0\r\n\r\n'],
      ['an unknown page', 404, 'GET /nowhere HTTP/1.0\r\n\r\n'],
      [
        'a sign-up without fields',
        400,
        'POST /api/users HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      ],
    ])('answers HTTP/1.0 without Host on %s (%i), never a 500', async (_, status, bytes) => {
      const reply = await exchange(port, bytes);
      expect(reply.status).toBe(status);
      expect(reply.headers).toContainEqual(['x-request-id', expect.stringMatching(UUID)]);
    });
  });

  describe('CR/LF injection', () => {
    const INJECTED = '%0d%0aSet-Cookie:%20x=1';
    /** No header line came from the payload; each header appears once, with no CR/LF in a value. */
    const expectNoInjection = (reply: RawReply) => {
      const names = reply.headers.map(([name]) => name);
      expect(names).not.toContain('set-cookie');
      expect(new Set(names).size).toBe(names.length);
      for (const [, value] of reply.headers) expect(value).not.toMatch(/[\r\n]|x=1/);
    };

    it('leaves CR/LF unsendable raw: Node refuses them in a header value', () => {
      expect(() => validateHeaderValue('x-request-id', 'a\r\nSet-Cookie: x=1')).toThrow(/Invalid character/);
    });

    it.each([
      [`/api/${INJECTED}`, 404],
      [`/${INJECTED}`, 404],
      [`/assets/${INJECTED}`, 404],
      [`/docs/${INJECTED}`, 404],
      [`/api/users/${INJECTED}`, 401],
      [`/api/auth/status?next=${INJECTED}`, 200],
    ])('never turns percent-encoded CR/LF in %s into a header (%i)', async (target, status) => {
      const reply = await exchange(port, get(target));
      expect(reply.status).toBe(status);
      expectNoInjection(reply);
    });

    it.each([
      ['percent-encoded CR/LF', INJECTED, UUID],
      ['spaces and quotes', 'a "b" c', UUID],
      ['129 characters', 'a'.repeat(129), UUID],
      ['a plain id', 'req-42.a:b_c', /^req-42\.a:b_c$/],
    ])('echoes X-Request-Id with %s as itself only when plain, else a fresh uuid', async (_, id, echo) => {
      const reply = await exchange(port, get('/api/auth/status', `X-Request-Id: ${id}\r\n`));
      expect(reply.status).toBe(200);
      expectNoInjection(reply);
      expect(reply.headers.filter(([name]) => name === 'x-request-id')).toEqual([
        ['x-request-id', expect.stringMatching(echo)],
      ]);
    });

    it.each([
      ['CR/LF', 'eve\r\nSet-Cookie: x=1'],
      ['a lone LF', 'eve\nLocation: //evil.example'],
      ['NEL (U+0085)', 'eve\u0085Set-Cookie: x=1'],
      ['a line separator (U+2028)', 'eve\u2028Set-Cookie: x=1'],
    ])('refuses a name with %s at sign-up (400) and sends no header from it', async (_, name) => {
      const admin = t.agent();
      const login = await admin
        .post('/api/auth/login')
        .send({ name: 'root', password: PASSWORD })
        .expect(200);
      const created = await admin.post('/api/users').send({ name, password: PASSWORD }).expect(400);
      expect(created.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: ['name must not contain control characters'],
      });
      const list = await admin.get('/api/users').expect(200);
      const { items } = list.body as { items: Array<{ name: string }> };
      expect(items.map((u) => u.name)).toEqual(['root']);
      for (const res of [login, created, list]) {
        const lines = res.headers as Record<string, string | string[]>;
        for (const [header, value] of Object.entries(lines)) {
          expect(header).not.toMatch(/^location$/);
          expect([value].flat().join('\n')).not.toMatch(/x=1|evil\.example/);
        }
      }
      // Login refuses control characters (400) and knows no such name (401); either way, no cookie.
      const failed = await t.agent().post('/api/auth/login').send({ name, password: PASSWORD });
      expect([400, 401]).toContain(failed.status);
      expect(failed.headers['set-cookie']).toBeUndefined();
    });
  });
});
