import { Kysely } from 'kysely';
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { SessionData } from 'express-session';
import { SessionStore } from '../../src/sessions/session-store.js';
import type { Database } from '../../src/database/database.types.js';
import {
  createTestApp,
  PASSWORD,
  sessionCookie,
  sessionId,
  signUp,
  type TestApp,
} from '../utils/test-app.js';

interface SessionEntry {
  id: string;
  createdAt: string;
  lastSeenAt: string | null;
  userAgent: string | null;
  current: boolean;
}

describe('Session security (e2e)', () => {
  let t: TestApp;
  let kimId: string;

  async function login(name: string, headers: Record<string, string> = {}): Promise<string> {
    const res = await t
      .agent()
      .post('/api/auth/login')
      .set(headers)
      .send({ name, password: PASSWORD })
      .expect(200);
    return sessionCookie(res);
  }

  const me = (cookie: string) => t.agent().get('/api/auth/me').set('Cookie', cookie);
  const as = (cookie: string) => ({
    get: (path: string) => t.agent().get(path).set('Cookie', cookie),
    patch: (path: string) => t.agent().patch(path).set('Cookie', cookie),
    delete: (path: string) => t.agent().delete(path).set('Cookie', cookie),
  });

  async function sessionsOf(cookie: string): Promise<SessionEntry[]> {
    return (await as(cookie).get('/api/auth/sessions').expect(200)).body as SessionEntry[];
  }

  beforeEach(async () => {
    t = await createTestApp();
    await signUp(t.agent(), 'boss');
    kimId = (await signUp(t.agent(), 'kim')).id;
  });

  afterEach(async () => {
    await t.close();
  });

  it('gives every login a new random id of 256 bits', async () => {
    const sids = [];
    for (let i = 0; i < 10; i++) sids.push(sessionId(await login('kim')));
    expect(new Set(sids).size).toBe(sids.length);
    for (const sid of sids) expect(sid).toMatch(/^[\w-]{43}$/);
  });

  it('never adopts the session id a browser brings to the login, and the old id dies at once', async () => {
    const planted = await login('boss');
    const res = await t
      .agent()
      .post('/api/auth/login')
      .set('Cookie', planted)
      .send({ name: 'kim', password: PASSWORD })
      .expect(200);
    const fresh = sessionCookie(res);
    expect(sessionId(fresh)).not.toBe(sessionId(planted));
    await me(planted).expect(401);
    await me(fresh).expect(200, /"name":"kim"/);
  });

  it('refuses a cookie replayed after its logout', async () => {
    const cookie = await login('kim');
    await t.agent().post('/api/auth/logout').set('Cookie', cookie).expect(204);
    await me(cookie).expect(401);
    await t.agent().post('/api/auth/logout').set('Cookie', cookie).expect(401);
  });

  it('keeps a session dead when a request that loaded it before a logout saves it afterwards', async () => {
    const cookie = await login('kim');
    const sid = sessionId(cookie);
    const store = t.app.get(SessionStore);
    // What express-session does at the end of a slow request: load early, then set or touch late.
    const loaded = await promisify<string, SessionData | null | undefined>(store.get.bind(store))(sid);
    expect(loaded).toMatchObject({ userId: kimId });
    await t.agent().post('/api/auth/logout').set('Cookie', cookie).expect(204);
    await new Promise<void>((resolve, reject) =>
      store.set(sid, { ...loaded!, userAgent: 'late' }, (error?: Error) =>
        error ? reject(error) : resolve(),
      ),
    );
    await new Promise<void>((resolve) => store.touch!(sid, loaded!, () => resolve()));
    await me(cookie).expect(401);
    const db = t.app.get<Kysely<Database>>(Kysely);
    await expect(db.selectFrom('sessions').select('sid').where('sid', '=', sid).execute()).resolves.toEqual(
      [],
    );
  });

  it('gives your session a new id when your role changes, and ends your other sessions', async () => {
    const boss = await login('boss');
    await as(boss).patch(`/api/users/${kimId}`).send({ role: 'admin' }).expect(200);
    const mine = await login('kim');
    const laptop = await login('kim');
    const res = await as(mine).patch(`/api/users/${kimId}`).send({ role: 'user' }).expect(200);
    const renewed = sessionCookie(res);
    expect(sessionId(renewed)).not.toBe(sessionId(mine));
    await me(mine).expect(401);
    await me(laptop).expect(401);
    await me(renewed).expect(200, /"role":"user"/);
    await me(boss).expect(200);
  });

  it('refuses a session made under an older password, even one stored after the change', async () => {
    const kim = await login('kim');
    await as(kim)
      .patch(`/api/users/${kimId}`)
      .send({ password: 'a brand new password', currentPassword: PASSWORD })
      .expect(200);
    // What a login that read the old password just before the change would store just after it.
    const store = t.app.get(SessionStore);
    const forge = async (sessionVersion: number) => {
      const sid = randomBytes(32).toString('base64url');
      const session = {
        cookie: { originalMaxAge: 60_000, httpOnly: true, path: '/' },
        userId: kimId,
        authenticatedAt: Date.now(),
        sessionVersion,
      } as unknown as SessionData;
      await store.create(sid, session);
      const signature = createHmac('sha256', t.config.sessionSecrets[0]).update(sid).digest('base64');
      return `sid=${encodeURIComponent(`s:${sid}.${signature.replace(/=+$/, '')}`)}`;
    };
    await me(await forge(0)).expect(401);
    await me(await forge(1)).expect(200, /"name":"kim"/);
  });

  it("ends all of a user's sessions when an admin changes their role", async () => {
    const kim = await login('kim');
    const boss = await login('boss');
    await as(boss).patch(`/api/users/${kimId}`).send({ role: 'admin' }).expect(200);
    await me(kim).expect(401);
    await me(boss).expect(200);
  });

  describe('GET and DELETE /api/auth/sessions', () => {
    it('lists my sessions with login time, last activity, user agent and which is current', async () => {
      const phone = await login('kim', { 'User-Agent': 'Phone browser' });
      const laptop = await login('kim', { 'User-Agent': 'Laptop browser' });
      await login('boss');
      const list = await sessionsOf(laptop);
      expect(list).toHaveLength(2);
      expect(list.map((s) => [s.userAgent, s.current])).toEqual([
        ['Laptop browser', true],
        ['Phone browser', false],
      ]);
      for (const entry of list) {
        expect(entry.id).toMatch(/^[\w-]{22}$/);
        expect(Date.parse(entry.createdAt)).toBeGreaterThan(Date.now() - 60_000);
        expect(Date.parse(entry.lastSeenAt!)).toBeGreaterThanOrEqual(Date.parse(entry.createdAt));
      }
      const text = JSON.stringify(list);
      for (const cookie of [phone, laptop]) expect(text).not.toContain(sessionId(cookie).slice(0, 8));
    });

    it('ends one of my sessions by its handle and leaves the others', async () => {
      const phone = await login('kim', { 'User-Agent': 'Phone browser' });
      const laptop = await login('kim', { 'User-Agent': 'Laptop browser' });
      const target = (await sessionsOf(laptop)).find((s) => s.userAgent === 'Phone browser')!;
      await as(laptop).delete(`/api/auth/sessions/${target.id}`).expect(204);
      await me(phone).expect(401);
      await me(laptop).expect(200);
      await as(laptop).delete(`/api/auth/sessions/${target.id}`).expect(404);
    });

    it("answers 404 for anyone else's handle, a made-up one or a raw session id", async () => {
      const kim = await login('kim');
      const boss = await login('boss');
      const [bossSession] = await sessionsOf(boss);
      await as(kim)
        .delete(`/api/auth/sessions/${bossSession.id}`)
        .expect(404, /no session with this id/);
      await as(kim).delete('/api/auth/sessions/not-a-handle').expect(404);
      await as(kim)
        .delete(`/api/auth/sessions/${sessionId(kim)}`)
        .expect(404);
      await me(boss).expect(200);
      await me(kim).expect(200);
    });

    it('logs out when the handle is the current session, clearing the cookie', async () => {
      const kim = await login('kim');
      const [current] = await sessionsOf(kim);
      const res = await as(kim).delete(`/api/auth/sessions/${current.id}`).expect(204);
      expect(res.get('Set-Cookie')?.[0]).toMatch(/^sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
      await me(kim).expect(401);
    });

    it('ends all my other sessions and keeps this one and everyone else’s', async () => {
      const phone = await login('kim');
      const tablet = await login('kim');
      const laptop = await login('kim');
      const boss = await login('boss');
      await as(laptop).delete('/api/auth/sessions').expect(204);
      await me(phone).expect(401);
      await me(tablet).expect(401);
      await me(laptop).expect(200);
      await me(boss).expect(200);
      expect(await sessionsOf(laptop)).toHaveLength(1);
    });

    it('needs a login', async () => {
      await t.agent().get('/api/auth/sessions').expect(401);
      await t.agent().delete('/api/auth/sessions').expect(401);
    });
  });
});

describe('Session activity (e2e)', () => {
  let t: TestApp;

  afterEach(async () => {
    await t.close();
  });

  it('records the last request of a session, to within a tenth of the idle timeout', async () => {
    // A 10 s idle timeout makes the store write the deadline (and last seen) after 1 s of use.
    t = await createTestApp({ SESSION_IDLE_TIMEOUT: '10s' });
    await signUp(t.agent(), 'kim');
    const agent = t.agent();
    await agent.post('/api/auth/login').send({ name: 'kim', password: PASSWORD }).expect(200);
    const lastSeen = async () =>
      Date.parse(((await agent.get('/api/auth/sessions').expect(200)).body as SessionEntry[])[0].lastSeenAt!);
    const first = await lastSeen();
    await sleep(1300);
    await agent.get('/api/auth/me').expect(200);
    expect(await lastSeen()).toBeGreaterThanOrEqual(first + 1000);
  });
});
