import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ServerProcess, startServer } from '../utils/server-process.js';

/*
 * Property-based robustness (issue 7): generated methods, paths, headers and JSON bodies sent to
 * the real built server (`npm run build` first), one process, logged in as its admin. Every reply
 * is below 500, the process never dies, and after each batch the health request succeeds and the
 * RSS stays within RSS_HEADROOM_MIB of its warmed-up level.
 *
 * A failure prints the seed: FC_SEED=<seed> npm run test:e2e -- --testPathPatterns robustness/property
 */

const BATCHES = 10;
const REQUESTS_PER_BATCH = 50;
const RSS_HEADROOM_MIB = 100;
const REQUEST_TIMEOUT_MS = 10_000;
/** Far past the 32 levels the server accepts: deeper bodies must get 400, never a stack overflow. */
const MAX_SAFE_DEPTH = 20_000;
/** The server's default BODY_LIMIT (100kb). */
const BODY_LIMIT_BYTES = 100 * 1024;
const PASSWORD = 'correct horse battery';
const ENV = {
  RATE_LIMIT_LOGIN: 'off',
  RATE_LIMIT_SIGNUP: 'off',
  SESSION_SECRET: 'property-test-secret-that-is-long-enough',
};
const BASE_SEED = process.env.FC_SEED
  ? Number(process.env.FC_SEED)
  : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;

// Placeholders expanded at send time, so a generated (and printed) request stays short and
// readable yet reaches the current session, user ids and server address.
const SELF = '{self}';
const OTHER = '{other}';
const SESSION = '{session}';
const OWN_ORIGIN = '{own-origin}';
const OWN_HOST = '{own-host}';
/** `⟦unit×n⟧` stands for `unit` repeated n times: long segments, deep nesting, big bodies. */
const repeat = (unit: string, times: number) => `⟦${unit}×${times}⟧`;
const REPEAT = /⟦([^⟦⟧×]{1,16})×(\d{1,8})⟧/g;

interface GeneratedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: { text: string; gzip: boolean };
}

interface Outcome {
  status?: number;
  error?: string;
  /** Bytes of the body as sent. */
  bodyBytes: number;
  /** Whether the reply came from the application (it carries X-Request-Id) rather than Node's HTTP parser. */
  fromApp: boolean;
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** What Node's client accepts in a header value: tab, printable ASCII and Latin-1 (sent as raw bytes). */
const headerChar = fc
  .oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    { weight: 1, arbitrary: fc.constant(0x09) },
  )
  .map((code) => String.fromCharCode(code));
const headerText = (maxLength = 40) => fc.string({ unit: headerChar, maxLength });

const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(SELF, OTHER) },
  { weight: 2, arbitrary: fc.uuid() },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E%2e%2F',
      '..%2f..%2fetc%2fpasswd',
      '%00',
      '%',
      '%ZZ',
      '%c0%ae%c0%ae',
      '%ff%fe',
      '%2f',
      '%5c',
      '.env',
      '.git',
      '__proto__',
      'constructor',
      'null',
      '0',
      '-1',
      '1e309',
      'NaN',
      '홍길동',
      '🙂',
      'e\u0301',
      '\u202eevil',
      '%F0%9F%99%82',
      'Ø',
      'app.css',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('%', '2', 'e', 'E', 'f', '0', '.', '/', '\\'),
      maxLength: 16,
    }),
  },
  // Long segments, around and beyond the 16 KiB header limit (431 or 414, never 5xx).
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => repeat('a', n)) },
);

const queryValue = fc.oneof(
  fc.integer({ min: -5, max: 200 }).map(String),
  fc.constantFrom('', '1.5', '1e3', 'abc', '9007199254740993', '-0', '%00', '[]', '{}'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom('limit', 'offset', 'limit[]', 'offset[a]', '__proto__[x]', 'constructor', 'q'),
      queryValue,
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

const path = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: segment.map((s) => `/api/users/${s}`) },
      { weight: 3, arbitrary: fc.constant('/api/users') },
      {
        weight: 5,
        arbitrary: fc
          .constantFrom('login', 'logout', 'me', 'status', 'sessions')
          .map((s) => `/api/auth/${s}`),
      },
      { weight: 2, arbitrary: segment.map((s) => `/api/auth/sessions/${s}`) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '/',
          '/about',
          '/docs',
          '/docs/',
          '/docs-json',
          '/api',
          '/assets/app.css',
          '/health/live',
          '/health/ready',
        ),
      },
      { weight: 2, arbitrary: segment.map((s) => `/assets/${s}`) },
      { weight: 2, arbitrary: fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join('/')}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '//evil.example',
          '//evil.example/%2e%2e',
          '/\\evil.example',
          '/api/users//',
          '/API/USERS',
          '/api/users/.%2e/..',
          'http://evil.example/api/auth/status',
          '*',
        ),
      },
    ),
    query,
  )
  .map(([p, q]) => p + q);

const contentType = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
      'application/json;charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset="utf-8"; boundary=x',
      'application/merge-patch+json',
      'application/vnd.api+json',
      'text/plain',
      'text/plain; charset=utf-8',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=----x',
      'application/octet-stream',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: headerText() },
);

const origin = fc.oneof(
  { weight: 6, arbitrary: fc.constant(OWN_ORIGIN) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'https://evil.example',
      'null',
      'http://127.0.0.1:1',
      'HTTP://127.0.0.1',
      'http://localhost',
      'file://',
      'http://[::1',
    ),
  },
  { weight: 1, arbitrary: headerText() },
);

const cookie = fc.oneof(
  { weight: 12, arbitrary: fc.constant(SESSION) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(`${SESSION}; lang=ko`, `lang=en; ${SESSION}`, `${SESSION}; ${SESSION}`),
  },
  { weight: 1, arbitrary: headerText().map((v) => `sid=${v}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.base64String({ maxLength: 48 }), fc.base64String({ maxLength: 48 }))
      .map(([id, mac]) => `sid=s:${id}.${mac}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'sid=',
      'sid=s:',
      'sid=s:%ZZ',
      'sid=%E0%A4%A',
      'lang=xx',
      'lang=ko; sid=j:{}',
      '=;;=',
    ),
  },
  { weight: 1, arbitrary: headerText(80) },
);

const acceptLanguage = fc.oneof(
  fc.constantFrom('ko-KR,ko;q=0.9,en;q=0.8', 'en', '*', 'ko;q=abc', 'en;q=-1', 'zz', ';;;,,,', ''),
  headerText(),
);

const requestId = fc.oneof(
  fc.uuid(),
  headerText(),
  fc.integer({ min: 120, max: 4000 }).map((n) => repeat('r', n)),
);

const secFetchSite = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('same-origin', 'none') },
  { weight: 2, arbitrary: fc.constantFrom('same-site', 'cross-site', 'SAME-ORIGIN', '') },
  { weight: 1, arbitrary: headerText(16) },
);

/** A header sent in `tenths` of the requests: mostly plausible requests, some hostile; shrinks to absent. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, tenths: number) =>
  fc.oneof(
    { withCrossShrink: true },
    { weight: 10 - tenths, arbitrary: fc.constant(undefined) },
    { weight: tenths, arbitrary },
  );

const headers: fc.Arbitrary<Record<string, string>> = fc
  .record({
    'content-type': sometimes(contentType, 7),
    origin: sometimes(origin, 5),
    cookie: sometimes(cookie, 8),
    'accept-language': sometimes(acceptLanguage, 5),
    'x-request-id': sometimes(requestId, 5),
    'sec-fetch-site': sometimes(secFetchSite, 4),
    'content-encoding': sometimes(
      fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'zstd', 'gzip, gzip', 'x'),
      2,
    ),
    accept: sometimes(fc.constantFrom('application/json', 'text/html', '*/*', 'image/*', ''), 5),
    host: sometimes(
      fc.oneof(fc.constant(OWN_HOST), fc.constantFrom('evil.example', '', '[::1', 'a:b:c'), headerText(20)),
      2,
    ),
  })
  .map(
    (all) =>
      Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>,
  );

const dtoKey = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      'name',
      'password',
      'role',
      'currentPassword',
      '__proto__',
      'constructor',
      'prototype',
      'id',
      'sessionVersion',
      'passwordHash',
      'isAdmin',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const dtoValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('admin', 'user', 'root', PASSWORD, '', ' ', 'ｈｏｎｇ', 'a\u0000b'),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constant({ prototype: { polluted: true } }) },
  { weight: 1, arbitrary: fc.integer({ min: 257, max: 5000 }).map((n) => repeat('p', n)) },
);
/** Objects shaped like the DTOs, written by hand so `__proto__` stays an own key in the JSON text. */
const dtoBody = fc
  .array(fc.tuple(dtoKey, dtoValue), { maxLength: 6 })
  .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);

/** JSON nested `depth` levels deep: arrays, objects, and DTO-shaped objects of arrays. */
const nested = (maxDepth: number) =>
  fc
    .tuple(
      fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"name":[', ']}']),
      fc.integer({ min: 1, max: maxDepth }),
    )
    .map(([[open, close], depth]) => `${repeat(open, depth)}1${repeat(close, depth)}`);

const bodyText = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 5, arbitrary: dtoBody },
  { weight: 1, arbitrary: fc.constant(JSON.stringify({ name: 'prop-admin', password: PASSWORD })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\n\t ',
      '{',
      '{"name":',
      'nul',
      '[1,2',
      '{"a":1}x',
      '\u0000',
      '"\\ud800"',
      '\ufeff{}',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: nested(MAX_SAFE_DEPTH) },
  // Around and beyond the 100 kB body limit (413, never 5xx); gzipped when `gzip` is set.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 90_000, max: 200_000 }).map((n) => `{"name":"${repeat('x', n)}"}`),
  },
  // 10 MB of JSON that gzips to about 10 kB: must be cut at the limit, not inflated.
  { weight: 1, arbitrary: fc.constant(`[${repeat('0,', 5_000_000)}0]`) },
);

const body = fc.option(fc.record({ text: bodyText, gzip: fc.boolean() }), { nil: undefined, freq: 3 });

const generatedRequest: fc.Arbitrary<GeneratedRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  path,
  headers,
  body,
});

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

interface State {
  server: ServerProcess;
  url: URL;
  /** `sid=...` of the logged-in session the generated requests may use. */
  session: string;
  name: string;
  selfId: string;
  otherId: string;
}

function expand(text: string, state: State): string {
  return text
    .replaceAll(SELF, state.selfId)
    .replaceAll(OTHER, state.otherId)
    .replaceAll(SESSION, state.session)
    .replaceAll(OWN_ORIGIN, state.url.origin)
    .replaceAll(OWN_HOST, state.url.host)
    .replace(REPEAT, (_, unit: string, times: string) => unit.repeat(Number(times)));
}

/** Percent-encodes what Node refuses in a request target (space, controls, above U+00FF) as UTF-8. */
function legalPath(raw: string): string {
  let out = '';
  for (const char of raw) {
    const code = char.codePointAt(0)!;
    if (code >= 0x21 && code <= 0xff) out += char;
    else
      for (const byte of Buffer.from(char, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Sends one request with `http.request` (no normalisation beyond Node's own) and reads the whole reply. */
function send(state: State, req: GeneratedRequest): Promise<Outcome> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = expand(value, state);
  let payload: Buffer | undefined;
  if (req.body) {
    const text = Buffer.from(expand(req.body.text, state), 'utf8');
    payload = req.body.gzip ? gzipSync(text) : text;
    if (req.body.gzip) headers['content-encoding'] = 'gzip';
    // Node frames a GET/HEAD/DELETE/OPTIONS body with no length at all: the server would read it
    // as the next request.
    headers['content-length'] = String(payload.length);
  }
  const bodyBytes = payload?.length ?? 0;
  return new Promise<Outcome>((done) => {
    let settled = false;
    const finish = (outcome: { status?: number; error?: string }, fromApp = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done({ ...outcome, bodyBytes, fromApp });
    };
    const timer = setTimeout(() => {
      finish({ error: `no reply within ${REQUEST_TIMEOUT_MS} ms` });
      client.destroy();
    }, REQUEST_TIMEOUT_MS);
    const client = httpRequest(
      {
        host: state.url.hostname,
        port: state.url.port,
        method: req.method,
        path: legalPath(expand(req.path, state)),
        headers,
        agent: false,
        // A generated Host header, if any, is sent as it is.
        setHost: headers.host === undefined,
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => finish({ status: res.statusCode }, res.headers['x-request-id'] !== undefined));
        res.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
      },
    );
    client.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    client.end(payload);
  });
}

function rssMiB(pid: number): number {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(status, 'utf8'))?.[1];
    if (kib) return Number(kib) / 1024;
  }
  return (
    Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .toString()
        .trim(),
    ) / 1024
  );
}

/** The fields the setup reads from a user, a login or `GET /api/auth/status`. */
interface ApiReply {
  status: number;
  json: { id?: string; name?: string; user?: { id: string; name: string } | null; signUpOpen?: boolean };
  cookie?: string;
}

async function call(
  state: State,
  method: string,
  path: string,
  body?: unknown,
  session = state.session,
): Promise<ApiReply> {
  const res = await fetch(new URL(path, state.url), {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), cookie: session },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('sid='))
    ?.split(';')[0];
  return { status: res.status, json: text ? (JSON.parse(text) as ApiReply['json']) : {}, cookie };
}

let fresh = 0;

/** Makes sure `state.session` is a live session: generated requests may log out, rename or delete. */
async function ensureSession(state: State): Promise<void> {
  const status = await call(state, 'GET', '/api/auth/status');
  if (status.status === 200 && status.json.user) {
    state.name = status.json.user.name;
    state.selfId = status.json.user.id;
    return;
  }
  let login = await call(state, 'POST', '/api/auth/login', { name: state.name, password: PASSWORD }, '');
  if (login.status !== 200) {
    // Renamed, or given a new password, then logged out: carry on as a new user.
    state.name = `prop-user-${++fresh}`;
    const created = await call(state, 'POST', '/api/users', { name: state.name, password: PASSWORD }, '');
    if (created.status !== 201) throw new Error(`cannot sign up a fresh user: ${JSON.stringify(created)}`);
    login = await call(state, 'POST', '/api/auth/login', { name: state.name, password: PASSWORD }, '');
  }
  if (login.status !== 200 || !login.cookie) throw new Error(`cannot log in again: ${JSON.stringify(login)}`);
  state.session = login.cookie;
  state.selfId = login.json.id!;
}

function describeRequest(state: State, req: GeneratedRequest): string {
  const shown = (text: string) => {
    const full = expand(text, state);
    return full.length > 300 ? `${full.slice(0, 300)}… (${full.length} characters)` : full;
  };
  const lines = [`${req.method} ${shown(req.path)}`];
  for (const [name, value] of Object.entries(req.headers)) lines.push(`${name}: ${shown(value)}`);
  if (req.body) lines.push(`body${req.body.gzip ? ' (gzip)' : ''}: ${shown(req.body.text)}`);
  return lines.join('\n');
}

function alive(server: ServerProcess): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

/** Why `outcome` breaks the property, or undefined when it is fine. */
async function failureOf(state: State, req: GeneratedRequest, outcome: Outcome): Promise<string | undefined> {
  const { child } = state.server;
  if (!alive(state.server)) return `the server exited (code ${child.exitCode}, signal ${child.signalCode})`;
  if (outcome.status !== undefined) return outcome.status >= 500 ? `status ${outcome.status}` : undefined;
  if (outcome.bodyBytes === 0 || (outcome.error !== 'ECONNRESET' && outcome.error !== 'EPIPE')) {
    return `no response: ${outcome.error}`;
  }
  // A reset while the body was still being sent. The server may refuse a body without reading it
  // and close: one over BODY_LIMIT, or any behind a head Node's HTTP parser rejects (a raw Latin-1
  // byte in the target, say: 400 and an immediate destroy). Its reply is then lost to the reset
  // (no lingering close). Fine in those two cases, if the same head alone gets a proper reply.
  const probe = await send(state, { ...req, body: undefined });
  if (probe.status === undefined || probe.status >= 500) {
    return `${outcome.error} with the body, then ${probe.status ?? probe.error} without it`;
  }
  const parserRefused = !probe.fromApp && (probe.status === 400 || probe.status === 431);
  return parserRefused || outcome.bodyBytes > BODY_LIMIT_BYTES ? undefined : `no response: ${outcome.error}`;
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

describe('Generated requests against the real server (property-based)', () => {
  let cwd: string;
  let state: State;
  const statuses = new Map<number, number>();
  let loggedInOk = 0;

  async function start(): Promise<void> {
    const server = await startServer(cwd, ENV);
    state = {
      ...(state ?? { session: '', name: 'prop-admin', selfId: '', otherId: '' }),
      server,
      url: new URL(server.url),
    };
  }

  /** One property run: a live server and session, the request, and the request printed on failure. */
  async function run(req: GeneratedRequest): Promise<Outcome> {
    // A crash fails the run that caused it; shrinking then needs a live server again.
    if (!alive(state.server)) await start();
    await ensureSession(state);
    const outcome = await send(state, req);
    const failure = await failureOf(state, req, outcome);
    if (failure) {
      throw new Error(
        `${failure} for\n${describeRequest(state, req)}\n--- server output (tail) ---\n` +
          state.server.output().slice(-3000),
      );
    }
    return outcome;
  }

  async function check(
    label: string,
    property: fc.IAsyncProperty<[GeneratedRequest]>,
    seed: number,
    numRuns: number,
  ) {
    try {
      await fc.assert(property, { seed, numRuns, interruptAfterTimeLimit: 60_000 });
    } catch (error) {
      const message = (error as Error).message;
      (error as Error).message = `Reproduce with FC_SEED=${BASE_SEED} (${label}, seed ${seed})\n${message}`;
      throw error;
    }
  }

  async function health(): Promise<void> {
    const res = await call(state, 'GET', '/api/auth/status', undefined, '');
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['signUpOpen', 'user']);
    expect(res.json.user).toBeNull();
  }

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'users-property-'));
    await start();
    const admin = await call(state, 'POST', '/api/users', { name: 'prop-admin', password: PASSWORD }, '');
    const other = await call(state, 'POST', '/api/users', { name: 'prop-other', password: PASSWORD }, '');
    expect([admin.status, other.status]).toEqual([201, 201]);
    state.selfId = admin.json.id!;
    state.otherId = other.json.id!;
    await ensureSession(state);
    expect(state.session).toMatch(/^sid=s%3A/);
  });

  afterAll(async () => {
    await state?.server.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it(`answers ${BATCHES} batches of ${REQUESTS_PER_BATCH} generated requests without a 5xx, a crash or growing memory`, async () => {
    // Warm-up: the main routes a few times, so JIT, caches and the heap reach their working size.
    const warmUp = [
      '/',
      '/about',
      '/docs-json',
      '/assets/app.css',
      '/api/auth/me',
      '/api/users',
      `/api/users/${SELF}`,
    ];
    for (let i = 0; i < 3; i++) {
      for (const p of warmUp) await send(state, { method: 'GET', path: p, headers: { cookie: SESSION } });
    }
    await health();
    const baseline = rssMiB(state.server.child.pid!);
    const bound = baseline + RSS_HEADROOM_MIB;

    for (let batch = 1; batch <= BATCHES; batch++) {
      const property = fc.asyncProperty(generatedRequest, async (req) => {
        const { status } = await run(req);
        if (status === undefined) return;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const loggedInRoute = /^\/api\/(users|auth\/(me|sessions))/.test(req.path);
        if (status < 300 && loggedInRoute && req.headers.cookie?.startsWith(SESSION)) loggedInOk++;
      });
      await check(`batch ${batch}`, property, BASE_SEED + batch, REQUESTS_PER_BATCH);

      expect(alive(state.server)).toBe(true);
      await health();
      const rss = rssMiB(state.server.child.pid!);
      if (rss > bound) {
        throw new Error(
          `RSS ${rss.toFixed(1)} MiB after batch ${batch} is over ${bound.toFixed(1)} MiB ` +
            `(${baseline.toFixed(1)} MiB after warm-up + ${RSS_HEADROOM_MIB}); FC_SEED=${BASE_SEED}`,
        );
      }
    }

    // Not vacuous: the run reached the logged-in routes, and both accepted and refused input.
    expect(loggedInOk).toBeGreaterThan(0);
    for (const status of [200, 400, 401, 404]) expect(statuses.get(status)).toBeGreaterThan(0);
  }, 150_000);

  // Once a 500 (a stack overflow in class-transformer); now refused at 32 levels, before any recursion.
  it('answers deeply nested JSON bodies with 4xx, never 5xx', async () => {
    const deep = fc.record({
      method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'),
      path: fc.constantFrom('/api/users', `/api/users/${SELF}`, '/api/auth/login', '/api/auth/logout'),
      headers: fc.constant({ 'content-type': 'application/json', cookie: SESSION, origin: OWN_ORIGIN }),
      body: nested(20_000).map((text) => ({ text, gzip: false })),
    });
    await check(
      'deep nesting',
      fc.asyncProperty(deep, async (req) => void (await run(req))),
      BASE_SEED,
      100,
    );
  }, 120_000);
});
