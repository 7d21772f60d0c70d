import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { createTestApp, logIn, PASSWORD, signUp, type TestApp } from '../utils/test-app.js';

describe('Health and a failing database (e2e)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  it('reports live and ready while the database and the session store answer', async () => {
    await t.agent().get('/health/live').expect(200, { status: 'ok' });
    const ready = await t.agent().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, sessions: { status: 'up' } },
    });
  });

  it('turns ready to 503 naming the database when it is gone, while live stays 200', async () => {
    await t.app.get(Kysely).destroy();
    const ready = await t.agent().get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({
      status: 'error',
      error: { database: { status: 'down' }, sessions: { status: 'down' } },
    });
    await t.agent().get('/health/live').expect(200);
  });

  it('answers 503 and is not ready while another process holds the SQLite write lock, then recovers by itself', async () => {
    const agent = t.agent();
    await signUp(agent, 'admin');
    await logIn(agent, 'admin');
    const { database } = t.config;
    if (database.dialect !== 'sqlite') throw new Error('this test holds a SQLite lock');
    const other = new BetterSqlite3(database.file);
    other.exec('begin immediate');
    try {
      // Waits out the 5 s busy timeout, then gives up on the write: a clear 503, not a 500.
      const res = await agent.post('/api/users').send({ name: 'blocked', password: PASSWORD }).expect(503);
      expect(res.body.message).toBe('The database is unavailable right now; try again shortly');
      expect(res.get('Retry-After')).toBe('5');
      // Reads go on (WAL), and the session still belongs to the admin: nobody is logged out.
      await agent.get('/api/auth/me').expect(200, /"name":"admin"/);
      // Not ready, though: a load balancer should send writes elsewhere until the lock is gone.
      const ready = await t.agent().get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({ error: { database: { status: 'down' } } });
    } finally {
      other.exec('rollback');
      other.close();
    }
    await agent.post('/api/users').send({ name: 'unblocked', password: PASSWORD }).expect(201);
    await t.agent().get('/health/ready').expect(200);
  }, 30_000);
});
