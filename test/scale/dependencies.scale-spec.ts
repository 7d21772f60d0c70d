import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent as TestAgent } from 'supertest';
import { type Service, startPostgres, startRedis } from '../utils/services.js';
import { createTestApp, logIn, PASSWORD, signUp, type TestApp } from '../utils/test-app.js';

const DATABASE_DOWN = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'The database is unavailable right now; try again shortly',
};
const STORE_DOWN = {
  ...DATABASE_DOWN,
  message: 'The session store is unavailable right now; try again shortly',
};

/** Retries `request` until it stops answering 503 (the dependency is back), for 15 s at most. */
async function recovered(request: () => Promise<{ status: number }>): Promise<number> {
  const deadline = Date.now() + 15_000;
  let { status } = await request();
  while (status === 503 && Date.now() < deadline) {
    await sleep(200);
    ({ status } = await request());
  }
  return status;
}

/**
 * PostgreSQL and Redis stopped under a running app, each a server of this file's own (a real
 * outage and restart, not a mock): 503 with a clear message, nobody treated as logged in or out,
 * and recovery without restarting the app.
 */
describe('PostgreSQL or Redis stopped under a running app (scale)', () => {
  let dir: string;
  let pgDir: string;
  let postgres: Service;
  let redis: Service;
  let t: TestApp;
  let agent: TestAgent;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'users-outage-'));
    pgDir = mkdtempSync(join(tmpdir(), 'users-outage-pg-'));
    [postgres, redis] = await Promise.all([startPostgres(pgDir), startRedis(dir)]);
    t = await createTestApp({ DATABASE_URL: postgres.url, REDIS_URL: redis.url });
    agent = t.agent();
    await signUp(agent, 'admin');
    await logIn(agent, 'admin');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    for (const folder of [dir, pgDir]) if (folder) rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 while PostgreSQL is stopped, keeps the session, and recovers by itself', async () => {
    await postgres.stop();
    try {
      expect((await agent.get('/api/users')).body).toEqual(DATABASE_DOWN);
      const me = await agent.get('/api/auth/me').expect(503);
      expect(me.body).toEqual(DATABASE_DOWN);
      expect(me.get('Retry-After')).toBe('5');
      const login = await t
        .agent()
        .post('/api/auth/login')
        .send({ name: 'admin', password: PASSWORD })
        .expect(503);
      expect(login.get('Set-Cookie')).toBeUndefined();
      const ready = await agent.get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({
        error: { database: { status: 'down' } },
        info: { sessions: { status: 'up' } },
      });
    } finally {
      await postgres.start();
    }

    expect(await recovered(() => agent.get('/api/users'))).toBe(200);
    await agent.get('/api/auth/me').expect(200, /"name":"admin"/);
    await agent.post('/api/users').send({ name: 'after the outage', password: PASSWORD }).expect(201);
    await agent.get('/health/ready').expect(200);
  }, 60_000);

  it('answers 503 while Redis is stopped, never as logged in or logged out, and recovers by itself', async () => {
    await redis.stop();
    try {
      expect((await agent.get('/api/auth/me').expect(503)).body).toEqual(STORE_DOWN);
      expect((await agent.get('/api/users').expect(503)).body).toEqual(STORE_DOWN);
      const login = await t.agent().post('/api/auth/login').send({ name: 'admin', password: PASSWORD });
      expect(login.status).toBe(503);
      expect(login.get('Set-Cookie')).toBeUndefined();
      await agent.post('/api/auth/logout').expect(503);
      const ready = await agent.get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({
        error: { sessions: { status: 'down' } },
        info: { database: { status: 'up' } },
      });
      // Pages and public endpoints that need no session go on.
      await agent.get('/health/live').expect(200);
      await agent.get('/about').expect(200);
    } finally {
      await redis.start();
    }

    // The logout above never happened: the session is still there once Redis is back.
    expect(await recovered(() => agent.get('/api/auth/me'))).toBe(200);
    await agent.get('/api/auth/me').expect(200, /"name":"admin"/);
    await agent.get('/health/ready').expect(200);
  }, 60_000);
});
