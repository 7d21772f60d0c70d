import { jest } from '@jest/globals';
import type { SessionData } from 'express-session';
import { Store } from 'express-session';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../config/configuration.js';
import { createDatabase } from '../database/database.factory.js';
import type { Database } from '../database/database.types.js';
import { migrateToLatest } from '../database/migrate.js';
import { DatabaseSessionStore, pruneExpiredSessions } from './database-session.store.js';
import { SessionStore } from './session-store.js';

const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 12 * 60 * 60_000;
const START = 1_767_225_600_000;

function sessionData(userId?: string, authenticatedAt = START): SessionData {
  return {
    cookie: { originalMaxAge: ABSOLUTE_MS, httpOnly: true, path: '/', sameSite: 'lax', secure: false },
    ...(userId === undefined ? {} : { userId, authenticatedAt }),
  } as unknown as SessionData;
}

describe(DatabaseSessionStore.name, () => {
  let dir: string;
  let db: Kysely<Database>;
  let store: DatabaseSessionStore;
  let now: number;
  let get: (sid: string) => Promise<SessionData | null | undefined>;
  let set: (sid: string, session: SessionData) => Promise<void>;
  let destroy: (sid: string) => Promise<void>;
  let touch: (sid: string, session: SessionData) => Promise<void>;

  function row(sid: string) {
    return db.selectFrom('sessions').selectAll().where('sid', '=', sid).executeTakeFirst();
  }

  async function sids(): Promise<string[]> {
    const rows = await db.selectFrom('sessions').select('sid').orderBy('sid').execute();
    return rows.map((r) => r.sid);
  }

  function setExpiresAt(sid: string, expiresAt: number) {
    return db.updateTable('sessions').set({ expiresAt }).where('sid', '=', sid).execute();
  }

  // A write is an UPDATE, so spying on updateTable tells a write from a skip without comparing rows.
  function spyOnWrites() {
    return jest.spyOn(db, 'updateTable');
  }

  async function insertUser(): Promise<string> {
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    await db
      .insertInto('users')
      .values({ id, name: id, nameKey: id, passwordHash: 'x', role: 'user', createdAt, updatedAt: createdAt })
      .execute();
    return id;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'session-store-spec-'));
    db = createDatabase({ dialect: 'sqlite', file: join(dir, 'app.db') });
    await migrateToLatest(db);
    const config = loadConfig({
      SESSION_SECRET: 'session-store-spec-secret',
      SESSION_IDLE_TIMEOUT: '30m',
      SESSION_ABSOLUTE_TIMEOUT: '12h',
    });
    store = new DatabaseSessionStore(db, config);
    now = START;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    get = promisify(store.get.bind(store));
    set = promisify(store.set.bind(store));
    destroy = promisify(store.destroy.bind(store));
    touch = promisify(store.touch.bind(store));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a SessionStore, and so an express-session Store', () => {
    expect(store).toBeInstanceOf(SessionStore);
    expect(store).toBeInstanceOf(Store);
  });

  it('returns what was created', async () => {
    const data = sessionData();

    await store.create('sid-1', data);

    await expect(get('sid-1')).resolves.toEqual(data);
  });

  it.each(['{not json', 'null', '"a string"', '{"userId":"x"}'])(
    'treats a row holding %s as no session',
    async (data) => {
      await store.create('damaged', sessionData());
      await db.updateTable('sessions').set({ data }).where('sid', '=', 'damaged').execute();

      await expect(get('damaged')).resolves.toBeNull();
    },
  );

  it('returns null for an unknown sid', async () => {
    await expect(get('no-such-sid')).resolves.toBeNull();
  });

  it('does not return a session once its deadline is reached', async () => {
    await store.create('sid-1', sessionData());

    now += IDLE_MS - 1;
    await expect(get('sid-1')).resolves.not.toBeNull();
    now += 1;
    await expect(get('sid-1')).resolves.toBeNull();
  });

  it('destroys a session', async () => {
    await store.create('sid-1', sessionData());
    await store.create('sid-2', sessionData());

    await destroy('sid-1');

    await expect(get('sid-1')).resolves.toBeNull();
    await expect(row('sid-1')).resolves.toBeUndefined();
    await expect(get('sid-2')).resolves.toEqual(sessionData());
  });

  describe('create', () => {
    it('stores the idle deadline as expires_at and now as last_seen_at', async () => {
      await store.create('sid-1', sessionData());

      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: START + IDLE_MS, lastSeenAt: START });
    });

    it('returns false and stores nothing when the user no longer exists, keeping the replaced session', async () => {
      await store.create('previous', sessionData());

      await expect(store.create('sid-1', sessionData(randomUUID()), 'previous')).resolves.toBe(false);

      await expect(row('sid-1')).resolves.toBeUndefined();
      await expect(row('previous')).resolves.toBeDefined();
    });

    it('stores the userId in the user_id column', async () => {
      const userId = await insertUser();

      await store.create('sid-1', sessionData(userId));
      await store.create('sid-2', sessionData());

      await expect(row('sid-1')).resolves.toMatchObject({ userId });
      await expect(row('sid-2')).resolves.toMatchObject({ userId: null });
    });

    it('ends the session it replaces', async () => {
      await store.create('old', sessionData());
      await store.create('other', sessionData());

      await store.create('new', sessionData(), 'old');

      await expect(sids()).resolves.toEqual(['new', 'other']);
    });

    it('creates the session when the one it replaces is already gone', async () => {
      await store.create('new', sessionData(), 'no-such-sid');

      await expect(get('new')).resolves.toEqual(sessionData());
    });

    it('keeps the replaced session when the new one cannot be stored', async () => {
      await store.create('taken', sessionData());
      await store.create('old', sessionData());

      await expect(store.create('taken', sessionData(), 'old')).rejects.toThrow();

      await expect(sids()).resolves.toEqual(['old', 'taken']);
    });
  });

  describe('rotate', () => {
    it('moves a live session to the new sid', async () => {
      const userId = await insertUser();
      await store.create('old', sessionData(userId));
      now += 60_000;

      await expect(store.rotate('old', 'new', sessionData(userId))).resolves.toBe(true);

      await expect(row('old')).resolves.toBeUndefined();
      await expect(get('new')).resolves.toEqual(sessionData(userId));
      await expect(row('new')).resolves.toMatchObject({ userId, expiresAt: now + IDLE_MS, lastSeenAt: now });
    });

    it('ends the new session too when the old sid is destroyed afterwards (a logout that raced it)', async () => {
      const userId = await insertUser();
      await store.create('old', sessionData(userId));
      await store.create('other', sessionData(userId));
      await store.rotate('old', 'new', sessionData(userId));

      await destroy('old');

      await expect(row('new')).resolves.toBeUndefined();
      await expect(row('other')).resolves.toBeDefined();
    });

    it('returns false and stores nothing when the old sid is unknown', async () => {
      await expect(store.rotate('no-such-sid', 'new', sessionData())).resolves.toBe(false);

      await expect(row('new')).resolves.toBeUndefined();
    });

    it('returns false and stores nothing when the old session was destroyed', async () => {
      await store.create('old', sessionData());
      await destroy('old');

      await expect(store.rotate('old', 'new', sessionData())).resolves.toBe(false);

      await expect(row('new')).resolves.toBeUndefined();
    });

    it('returns false and stores nothing when the old session has expired', async () => {
      await store.create('old', sessionData());
      now += IDLE_MS;

      await expect(store.rotate('old', 'new', sessionData())).resolves.toBe(false);

      await expect(row('new')).resolves.toBeUndefined();
    });

    it('keeps the old session when the new one cannot be stored', async () => {
      await store.create('old', sessionData());
      await store.create('taken', sessionData());

      await expect(store.rotate('old', 'taken', sessionData())).rejects.toThrow();

      await expect(get('old')).resolves.toEqual(sessionData());
    });
  });

  describe('set', () => {
    it('replaces the data of a live session', async () => {
      const userId = await insertUser();
      await store.create('sid-1', sessionData());

      await set('sid-1', sessionData(userId));

      await expect(get('sid-1')).resolves.toEqual(sessionData(userId));
      await expect(row('sid-1')).resolves.toMatchObject({ userId });
      await expect(sids()).resolves.toEqual(['sid-1']);
    });

    it('moves expires_at and last_seen_at to now', async () => {
      await store.create('sid-1', sessionData());
      now += 5 * 60_000;

      await set('sid-1', sessionData());

      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: now + IDLE_MS, lastSeenAt: now });
    });

    it('does not create a session for an unknown sid', async () => {
      await set('no-such-sid', sessionData());

      await expect(row('no-such-sid')).resolves.toBeUndefined();
    });

    it('does not bring back a session that has expired', async () => {
      const userId = await insertUser();
      await store.create('sid-1', sessionData());
      now += IDLE_MS;

      await set('sid-1', sessionData(userId));

      await expect(get('sid-1')).resolves.toBeNull();
      await expect(row('sid-1')).resolves.toMatchObject({ userId: null, expiresAt: START + IDLE_MS });
    });

    it('skips the write for the object create just wrote, unchanged', async () => {
      const data = sessionData();
      await store.create('sid-1', data);
      const writes = spyOnWrites();

      await set('sid-1', data);

      expect(writes).not.toHaveBeenCalled();
    });

    it('answers at once when it skips the write, so express-session sends the response in one piece', async () => {
      const data = sessionData();
      await store.create('sid-1', data);
      const answered = jest.fn();

      store.set('sid-1', data, answered);

      expect(answered).toHaveBeenCalledWith();
    });

    it('skips the write for the object rotate just wrote, unchanged', async () => {
      const data = sessionData();
      await store.create('old', sessionData());
      await store.rotate('old', 'new', data);
      const writes = spyOnWrites();

      await set('new', data);

      expect(writes).not.toHaveBeenCalled();
    });

    it('writes the object create wrote once it has changed', async () => {
      const data = sessionData();
      await store.create('sid-1', data);
      data.userAgent = 'Firefox';

      await set('sid-1', data);

      await expect(get('sid-1')).resolves.toMatchObject({ userAgent: 'Firefox' });
    });
  });

  describe('after a logout, a slower request of the same session', () => {
    it('cannot bring it back with set', async () => {
      await store.create('sid-1', sessionData());
      const loaded = (await get('sid-1'))!;
      await destroy('sid-1');

      await set('sid-1', loaded);

      await expect(row('sid-1')).resolves.toBeUndefined();
      await expect(get('sid-1')).resolves.toBeNull();
    });

    it('cannot bring it back with touch', async () => {
      await store.create('sid-1', sessionData());
      const loaded = (await get('sid-1'))!;
      await destroy('sid-1');

      await touch('sid-1', loaded);

      await expect(row('sid-1')).resolves.toBeUndefined();
      await expect(get('sid-1')).resolves.toBeNull();
    });

    it('cannot bring it back with set of the changed object that created it', async () => {
      const data = sessionData();
      await store.create('sid-1', data);
      await destroy('sid-1');
      data.userAgent = 'Firefox';

      await set('sid-1', data);

      await expect(row('sid-1')).resolves.toBeUndefined();
    });
  });

  describe('absolute timeout', () => {
    let userId: string;

    beforeEach(async () => {
      userId = await insertUser();
    });

    it('caps expires_at on create', async () => {
      const authenticatedAt = START - ABSOLUTE_MS + 10 * 60_000;

      await store.create('sid-1', sessionData(userId, authenticatedAt));

      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: authenticatedAt + ABSOLUTE_MS });
    });

    it('caps expires_at on set', async () => {
      const authenticatedAt = START - ABSOLUTE_MS + 40 * 60_000;
      await store.create('sid-1', sessionData(userId, authenticatedAt));
      now += 20 * 60_000;

      await set('sid-1', sessionData(userId, authenticatedAt));

      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: authenticatedAt + ABSOLUTE_MS });
    });

    it('caps expires_at on touch', async () => {
      const authenticatedAt = START - ABSOLUTE_MS + 40 * 60_000;
      await store.create('sid-1', sessionData(userId, authenticatedAt));
      now += 20 * 60_000;

      await touch('sid-1', sessionData(userId, authenticatedAt));

      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: authenticatedAt + ABSOLUTE_MS });
    });

    it('ends the session at the absolute deadline however active it is', async () => {
      const authenticatedAt = START - ABSOLUTE_MS + 10 * 60_000;
      await store.create('sid-1', sessionData(userId, authenticatedAt));
      now += 5 * 60_000;
      await touch('sid-1', sessionData(userId, authenticatedAt));

      now = authenticatedAt + ABSOLUTE_MS;

      await expect(get('sid-1')).resolves.toBeNull();
    });
  });

  describe('touch', () => {
    it('does not write right after get read a deadline that is still recent', async () => {
      await store.create('sid-1', sessionData());
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).not.toHaveBeenCalled();
    });

    it('answers at once when there is nothing to write, so express-session sends the response in one piece', async () => {
      await store.create('sid-1', sessionData());
      await get('sid-1');
      const answered = jest.fn();

      store.touch('sid-1', sessionData(), answered);

      expect(answered).toHaveBeenCalledWith();
    });

    it('moves the deadline to now plus the idle timeout when get read an old one', async () => {
      await store.create('sid-1', sessionData());
      // One minute moved is the threshold for a 30-minute idle timeout: min(60 s, idle / 10).
      now += 60_000;
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: now + IDLE_MS, lastSeenAt: now });
    });

    it('does not write when get read a deadline moved by a little less than the threshold', async () => {
      await store.create('sid-1', sessionData());
      now += 59_999;
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).not.toHaveBeenCalled();
      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: START + IDLE_MS, lastSeenAt: START });
    });

    it('always writes when no get for that sid came before it', async () => {
      await store.create('sid-1', sessionData());
      now += 1000;
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: now + IDLE_MS, lastSeenAt: now });
    });

    it("does not take another sid's read as its own", async () => {
      await store.create('sid-1', sessionData());
      await store.create('sid-2', sessionData());
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-2', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('uses up the read: a second touch after one get writes', async () => {
      await store.create('sid-1', sessionData());
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());
      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('remembers nothing from a get that found no live session', async () => {
      await store.create('sid-1', sessionData());
      await setExpiresAt('sid-1', START - 1000);
      await expect(get('sid-1')).resolves.toBeNull();
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('forgets the read when the session is set again', async () => {
      await store.create('sid-1', sessionData());
      await get('sid-1');
      await set('sid-1', sessionData());
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('does not bring back a session that has expired', async () => {
      await store.create('sid-1', sessionData());
      now += IDLE_MS;

      await touch('sid-1', sessionData());

      await expect(get('sid-1')).resolves.toBeNull();
      await expect(row('sid-1')).resolves.toMatchObject({ expiresAt: START + IDLE_MS, lastSeenAt: START });
    });

    it('does not create a row for an unknown sid', async () => {
      await touch('no-such-sid', sessionData());

      await expect(row('no-such-sid')).resolves.toBeUndefined();
    });

    it('is no error when the database cannot be used: the response is out, the next request touches again', async () => {
      await db.destroy();

      await expect(touch('sid-1', sessionData())).resolves.toBeUndefined();
      // A read still fails: the request that needs the session gets its 503.
      await expect(get('sid-1')).rejects.toThrow('driver has already been destroyed');
    });
  });

  describe('listByUser', () => {
    let alice: string;
    let bob: string;

    beforeEach(async () => {
      alice = await insertUser();
      bob = await insertUser();
    });

    it("returns the user's live sessions with when each was last seen", async () => {
      await store.create('alice-1', sessionData(alice));
      now += 1000;
      await store.create('alice-2', sessionData(alice, now));
      await store.create('bob-1', sessionData(bob));
      await store.create('anonymous', sessionData());

      const sessions = await store.listByUser(alice);

      expect(sessions.sort((a, b) => a.sid.localeCompare(b.sid))).toEqual([
        { sid: 'alice-1', session: sessionData(alice), lastSeenAt: START },
        { sid: 'alice-2', session: sessionData(alice, now), lastSeenAt: now },
      ]);
    });

    it('skips expired sessions', async () => {
      await store.create('alice-old', sessionData(alice));
      now += IDLE_MS;
      await store.create('alice-new', sessionData(alice, now));

      await expect(store.listByUser(alice)).resolves.toEqual([expect.objectContaining({ sid: 'alice-new' })]);
    });

    it('skips damaged rows', async () => {
      await store.create('alice-1', sessionData(alice));
      await store.create('alice-2', sessionData(alice));
      await db.updateTable('sessions').set({ data: '{not json' }).where('sid', '=', 'alice-1').execute();

      await expect(store.listByUser(alice)).resolves.toEqual([expect.objectContaining({ sid: 'alice-2' })]);
    });

    it('gives null as lastSeenAt for a session that never recorded it', async () => {
      await store.create('alice-1', sessionData(alice));
      await db.updateTable('sessions').set({ lastSeenAt: null }).where('sid', '=', 'alice-1').execute();

      await expect(store.listByUser(alice)).resolves.toEqual([
        { sid: 'alice-1', session: sessionData(alice), lastSeenAt: null },
      ]);
    });

    it('returns nothing for a user without sessions', async () => {
      await store.create('bob-1', sessionData(bob));

      await expect(store.listByUser(alice)).resolves.toEqual([]);
    });
  });

  describe('destroyByUser', () => {
    let alice: string;
    let bob: string;

    beforeEach(async () => {
      alice = await insertUser();
      bob = await insertUser();
      await store.create('alice-1', sessionData(alice));
      await store.create('alice-2', sessionData(alice));
      await store.create('alice-3', sessionData(alice));
      await store.create('bob-1', sessionData(bob));
      await store.create('anonymous', sessionData());
    });

    it("removes all of the user's sessions and keeps everyone else's", async () => {
      await store.destroyByUser(alice);

      await expect(sids()).resolves.toEqual(['anonymous', 'bob-1']);
    });

    it('keeps exceptSid', async () => {
      await store.destroyByUser(alice, 'alice-2');

      await expect(sids()).resolves.toEqual(['alice-2', 'anonymous', 'bob-1']);
    });

    it('does nothing for a user without sessions', async () => {
      await store.destroyByUser(randomUUID());

      await expect(sids()).resolves.toHaveLength(5);
    });
  });

  describe(pruneExpiredSessions.name, () => {
    it('deletes dead rows only and returns how many', async () => {
      await store.create('dead', sessionData());
      await store.create('alive', sessionData());
      await setExpiresAt('dead', START - 1000);

      await expect(pruneExpiredSessions(db)).resolves.toBe(1);

      await expect(sids()).resolves.toEqual(['alive']);
    });

    it('uses the given time as now', async () => {
      await store.create('sid-1', sessionData());

      await expect(pruneExpiredSessions(db, START + IDLE_MS - 1)).resolves.toBe(0);
      await expect(pruneExpiredSessions(db, START + IDLE_MS)).resolves.toBe(1);
    });
  });
});
