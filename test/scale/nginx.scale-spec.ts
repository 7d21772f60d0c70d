import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type Backend, freshBackend } from '../utils/backends.js';
import { type ServerProcess, startServer } from '../utils/server-process.js';
import { type Service, startNginx, startRedis } from '../utils/services.js';
import { PASSWORD } from '../utils/test-app.js';
import { migrations } from '../../src/database/migrations/index.js';

const SECRET = 'scale-suite-secret-that-is-long-enough-for-tests';

interface Answer {
  status: number;
  servedBy: string | null;
  body: string;
}

async function get(base: string, path: string, cookie?: string): Promise<Answer> {
  const res = await fetch(base + path, { headers: cookie ? { cookie } : {} });
  return { status: res.status, servedBy: res.headers.get('x-served-by'), body: await res.text() };
}

async function post(base: string, path: string, body: unknown, cookie?: string): Promise<Response> {
  return fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
}

async function logIn(base: string, name: string): Promise<string> {
  const res = await post(base, '/api/auth/login', { name, password: PASSWORD });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0].split(';')[0];
}

function port(server: ServerProcess): number {
  return Number(new URL(server.url).port);
}

/**
 * Two instances, each a 2-worker cluster, on one PostgreSQL and one Redis, behind a real nginx
 * (round-robin): the deployment docs/scale-out.md describes.
 */
describe('Two instances behind nginx on PostgreSQL and Redis (scale)', () => {
  let dir: string;
  let backend: Backend;
  let redis: Service;
  let nginx: Service;
  let a: ServerProcess;
  let b: ServerProcess;
  let cookie: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'users-scale-'));
    for (const sub of ['a', 'b', 'redis', 'nginx']) mkdirSync(join(dir, sub));
    backend = await freshBackend();
    // A Redis of its own: this file restarts it, which must not disturb other test files.
    redis = await startRedis(join(dir, 'redis'));
    const env = {
      ...backend.env,
      REDIS_URL: redis.url,
      SESSION_SECRET: SECRET,
      WORKERS: '2',
      TRUST_PROXY: 'loopback',
    };
    // Started together on an empty database: both supervisors migrate at once.
    [a, b] = await Promise.all([startServer(join(dir, 'a'), env), startServer(join(dir, 'b'), env)]);
    nginx = await startNginx(join(dir, 'nginx'), [port(a), port(b)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([nginx?.stop(), a?.stop(), b?.stop()]);
    await redis?.stop();
    await backend?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('applies each migration once when two instances start together on an empty database', async () => {
    const client = new Client({ connectionString: backend.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        'select name from kysely_migration order by name',
      );
      expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    } finally {
      await client.end();
    }
  });

  it('logs in through nginx, and 200 requests from both instances all see the same user', async () => {
    expect((await post(nginx.url, '/api/users', { name: '관리자', password: PASSWORD })).status).toBe(201);
    cookie = await logIn(nginx.url, '관리자');

    const answers = await Promise.all(
      Array.from({ length: 200 }, () => get(nginx.url, '/api/auth/me', cookie)),
    );

    expect(answers.filter((r) => r.status !== 200)).toEqual([]);
    expect(new Set(answers.map((r) => (JSON.parse(r.body) as { name: string }).name))).toEqual(
      new Set(['관리자']),
    );
    const servedBy = new Set(answers.map((r) => r.servedBy));
    expect(servedBy).toEqual(new Set([`127.0.0.1:${port(a)}`, `127.0.0.1:${port(b)}`]));
  }, 60_000);

  it('knows a session made on one instance on the other, and a logout on one ends it on both', async () => {
    const direct = await logIn(a.url, '관리자');
    expect((await get(b.url, '/api/auth/me', direct)).status).toBe(200);

    expect((await post(b.url, '/api/auth/logout', {}, direct)).status).toBe(204);

    expect((await get(a.url, '/api/auth/me', direct)).status).toBe(401);
    expect((await get(b.url, '/api/auth/me', direct)).status).toBe(401);
  });

  it('fails over when an instance stops under load: every request answered, no session lost', async () => {
    let stopping = true;
    const answers: Answer[] = [];
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (stopping) answers.push(await get(nginx.url, '/api/auth/me', cookie));
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await a.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stopping = false;
    await load;

    expect(answers.length).toBeGreaterThan(50);
    expect(answers.filter((r) => r.status !== 200)).toEqual([]);
    const after = await Promise.all(Array.from({ length: 20 }, () => get(nginx.url, '/api/auth/me', cookie)));
    expect(after.map((r) => [r.status, r.servedBy])).toEqual(
      Array.from({ length: 20 }, () => [200, `127.0.0.1:${port(b)}`]),
    );
  }, 60_000);

  it('answers 503 while Redis is down, then keeps every session after its restart, by itself', async () => {
    await redis.stop();
    try {
      const down = await get(nginx.url, '/api/auth/me', cookie);
      // Neither a 500 nor a 401 ("logged out"): the session exists, the store cannot be asked.
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The session store is unavailable right now; try again shortly',
      });
      // Asked of the instance itself: what a load balancer's health check sees.
      const ready = await get(b.url, '/health/ready');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toMatchObject({ error: { sessions: { status: 'down' } } });
      expect((await get(b.url, '/health/live')).status).toBe(200);
    } finally {
      await redis.start();
    }

    // The app reconnects on its own (no restart), and the session survived in Redis's log.
    const deadline = Date.now() + 10_000;
    let me = await get(nginx.url, '/api/auth/me', cookie);
    while (me.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      me = await get(nginx.url, '/api/auth/me', cookie);
    }
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body).name).toBe('관리자');
    expect((await get(nginx.url, '/health/ready')).status).toBe(200);
  }, 60_000);
});
