import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PASSWORD } from '../utils/test-app.js';
import { type ServerProcess, startServer } from '../utils/server-process.js';
import { type Service, startPostgres, startRedis } from '../utils/services.js';

/**
 * A session store that stops answering for a few seconds (SIGSTOP: its connections stay open and
 * the kernel takes what the app sends, but nothing answers: a long fsync, a paused VM, a stalled
 * network) under logged-in traffic from several users. Nobody may be logged out by it: every
 * request meanwhile gets a fast 503 (never a 500, never a hang), requests that need no session
 * go on, and once the store answers again the same cookies work, without a restart.
 */

const USERS = 4;
const FREEZE_MS = 4000;
/** What the test allows on top of the server's timeout: a loaded 2-core machine's jitter. */
const MARGIN_MS = 250;
/** The server's defaults, which these tests exercise: REDIS_COMMAND_TIMEOUT, DATABASE_QUERY_TIMEOUT. */
const REDIS_TIMEOUT_MS = 150;
const POSTGRES_TIMEOUT_MS = 500;
/** A client gives up here: a request still running this long is a hang. */
const CLIENT_LIMIT_MS = 5000;
const RECOVERY_LIMIT_MS = 5000;

interface Sample {
  path: string;
  user?: string;
  startedAt: number;
  ms: number;
  /** 0: no answer within CLIENT_LIMIT_MS, or the connection failed. */
  status: number;
  retryAfter: string | null;
  body: string;
}

interface User {
  name: string;
  cookie: string;
}

async function timed(url: string, path: string, cookie?: string): Promise<Sample> {
  const startedAt = Date.now();
  try {
    const res = await fetch(url + path, {
      headers: cookie ? { cookie } : {},
      signal: AbortSignal.timeout(CLIENT_LIMIT_MS),
    });
    const body = await res.text();
    return {
      path,
      startedAt,
      ms: Date.now() - startedAt,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body,
    };
  } catch (error) {
    return { path, startedAt, ms: Date.now() - startedAt, status: 0, retryAfter: null, body: String(error) };
  }
}

async function post(url: string, path: string, body: unknown, cookie?: string): Promise<Response> {
  return fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url, ...(cookie && { cookie }) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CLIENT_LIMIT_MS),
  });
}

/** Signs up and logs in `count` users; the first is an admin. */
async function logInUsers(url: string, count: number): Promise<User[]> {
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    const name = `user-${i}`;
    expect((await post(url, '/api/users', { name, password: PASSWORD }, users[0]?.cookie)).status).toBe(201);
    const login = await post(url, '/api/auth/login', { name, password: PASSWORD });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('sid='));
    if (!cookie) throw new Error('no session cookie');
    users.push({ name, cookie: cookie.split(';')[0] });
  }
  return users;
}

/** What needs no session: pages, assets, the API document, liveness. */
const SESSIONLESS = ['/about', '/assets/app.css', '/docs-json', '/health/live'];

/** Light traffic until `stop()`: each user asks who they are every 50 ms; visitors read the rest. */
function load(url: string, users: User[]) {
  const samples: Sample[] = [];
  let running = true;
  const loop = async (next: () => Promise<Sample>) => {
    while (running) {
      samples.push(await next());
      await sleep(50);
    }
  };
  const loops = [
    ...users.map((user) =>
      loop(async () => ({ ...(await timed(url, '/api/auth/me', user.cookie)), user: user.name })),
    ),
    ...[0, 1].map((visitor) => {
      let i = visitor;
      return loop(() => timed(url, SESSIONLESS[i++ % SESSIONLESS.length]));
    }),
  ];
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * Freezes `store` for FREEZE_MS under load, then checks what every client saw and that every user
 * is still logged in with the same cookie within RECOVERY_LIMIT_MS of the thaw.
 */
async function freezeUnderLoad(server: ServerProcess, store: Service, users: User[], timeoutMs: number) {
  const traffic = load(server.url, users);
  await sleep(500);
  const frozenAt = Date.now();
  store.freeze();
  const ready: Sample[] = [];
  let thawedAt: number;
  try {
    // At once, while the first commands still wait out their timeout; and once the circuit is open.
    ready.push(await timed(server.url, '/health/ready'));
    await sleep(1000);
    ready.push(await timed(server.url, '/health/ready'));
    await sleep(FREEZE_MS - 1000);
  } finally {
    store.thaw();
    thawedAt = Date.now();
  }
  // Every user back, with the cookie they had; then a moment of normal traffic.
  const back = new Map<string, number>();
  while (back.size < users.length && Date.now() - thawedAt < RECOVERY_LIMIT_MS + 1000) {
    for (const s of traffic.samples)
      if (s.user && s.status === 200 && s.startedAt >= thawedAt && !back.has(s.user))
        back.set(s.user, s.startedAt);
    await sleep(50);
  }
  await sleep(300);
  await traffic.stop();
  const { samples } = traffic;

  const sessionRequests = samples.filter((s) => s.user);
  const duringFreeze = sessionRequests.filter(
    (s) => s.startedAt >= frozenAt + 50 && s.startedAt + s.ms <= thawedAt,
  );
  // Every request that started while the store hung, pages included (the moment of the thaw,
  // when PostgreSQL takes its backlog of connections, is recovery, bounded by the limits below).
  const slowest = Math.max(
    ...samples.filter((s) => s.startedAt >= frozenAt && s.startedAt < thawedAt).map((s) => s.ms),
  );

  // No answer other than 200 and 503: no 500, no 401 (nobody logged out), no request left hanging.
  expect(samples.filter((s) => s.status !== 200 && s.status !== 503)).toEqual([]);
  // None waited longer than the timeout plus the margin, however far into the freeze it came.
  expect(slowest).toBeLessThanOrEqual(timeoutMs + MARGIN_MS);
  // The freeze was felt: every request that needs a session got its 503, with Retry-After.
  expect(duringFreeze.length).toBeGreaterThan(USERS * 10);
  expect(duringFreeze.filter((s) => s.status !== 503 || s.retryAfter === null)).toEqual([]);
  // What needs no session went on as usual.
  const pages = samples.filter((s) => !s.user && s.startedAt >= frozenAt && s.startedAt <= thawedAt);
  expect(pages.length).toBeGreaterThan(40);
  expect(new Set(pages.map((s) => s.path))).toEqual(new Set(SESSIONLESS));
  expect(pages.filter((s) => s.status !== 200)).toEqual([]);
  // A load balancer hears about it within a second, from the first moment on.
  expect(ready.map((s) => ({ status: s.status, fast: s.ms < 1000 }))).toEqual([
    { status: 503, fast: true },
    { status: 503, fast: true },
  ]);
  // Everyone is still logged in, with the same cookie, soon after the store answers again.
  expect([...back.keys()].sort()).toEqual(users.map((u) => u.name).sort());
  expect(Math.max(...back.values()) - thawedAt).toBeLessThan(RECOVERY_LIMIT_MS);
  for (const user of users) {
    const me = await timed(server.url, '/api/auth/me', user.cookie);
    expect({ status: me.status, name: (JSON.parse(me.body) as { name?: string }).name }).toEqual({
      status: 200,
      name: user.name,
    });
  }
  expect((await timed(server.url, '/health/ready')).status).toBe(200);
  // Served throughout by the same process: nothing was restarted.
  expect(server.child.exitCode).toBeNull();
}

describe('a session store frozen under load, then resumed (scale)', () => {
  let dir: string;
  let service: Service | undefined;
  let server: ServerProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'users-freeze-'));
  });

  afterEach(async () => {
    await server?.stop();
    await service?.stop();
    server = service = undefined;
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('Redis: fast 503s while it hangs, nobody logged out, back within seconds', async () => {
    service = await startRedis(dir);
    server = await startServer(dir, { REDIS_URL: service.url });
    const users = await logInUsers(server.url, USERS);
    await freezeUnderLoad(server, service, users, REDIS_TIMEOUT_MS);
  }, 60_000);

  it('Redis: a server stopped while Redis hangs drains and exits 0 without waiting for it', async () => {
    service = await startRedis(dir);
    server = await startServer(dir, { REDIS_URL: service.url, SHUTDOWN_TIMEOUT: '10s' });
    const [user] = await logInUsers(server.url, 1);
    service.freeze();
    try {
      // Commands sent, never answered: what a close that waits for replies would wait for.
      for (let i = 0; i < 5; i++)
        expect((await timed(server.url, '/api/auth/me', user.cookie)).status).toBe(503);
      const exited = once(server.child, 'exit');
      const stoppingAt = Date.now();
      server.child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect({ code, fast: Date.now() - stoppingAt < 5000 }).toEqual({ code: 0, fast: true });
    } finally {
      service.thaw();
    }
  }, 60_000);

  it('PostgreSQL (sessions in the database): fast 503s while it hangs, nobody logged out, back within seconds', async () => {
    service = await startPostgres(dir);
    server = await startServer(dir, {
      DATABASE_URL: service.url,
      SESSION_SECRET: 'store-freeze-test-secret-that-is-long-enough',
    });
    const users = await logInUsers(server.url, USERS);
    await freezeUnderLoad(server, service, users, POSTGRES_TIMEOUT_MS);
  }, 60_000);
});
