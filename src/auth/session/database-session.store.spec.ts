import type { SessionData } from 'express-session';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../config/configuration';
import { createDatabase } from '../../database/database.factory';
import type { Database } from '../../database/database.types';
import { migrateToLatest } from '../../database/migrate';
import { Store } from 'express-session';
import { DatabaseSessionStore, pruneExpiredSessions } from './database-session.store';
import { SessionStore } from './session-store';

const IDLE_MS = 30 * 60_000;

function sessionData(userId?: string): SessionData {
  return {
    cookie: { originalMaxAge: 43_200_000, httpOnly: true, path: '/', sameSite: 'lax', secure: false },
    ...(userId === undefined ? {} : { userId, authenticatedAt: 1_735_689_600_000 }),
  } as unknown as SessionData;
}

describe(DatabaseSessionStore.name, () => {
  let dir: string;
  let db: Kysely<Database>;
  let store: DatabaseSessionStore;
  let get: (sid: string) => Promise<SessionData | null | undefined>;
  let set: (sid: string, session: SessionData) => Promise<void>;
  let destroy: (sid: string) => Promise<void>;
  let touch: (sid: string, session: SessionData) => Promise<void>;

  function row(sid: string) {
    return db.selectFrom('sessions').selectAll().where('sid', '=', sid).executeTakeFirst();
  }

  function setExpiresAt(sid: string, expiresAt: number) {
    return db.updateTable('sessions').set({ expiresAt }).where('sid', '=', sid).execute();
  }

  async function insertUser(): Promise<string> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await db
      .insertInto('users')
      .values({ id, name: id, nameKey: id, passwordHash: 'x', role: 'user', createdAt: now, updatedAt: now })
      .execute();
    return id;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'session-store-spec-'));
    db = createDatabase({ dialect: 'sqlite', file: join(dir, 'app.db') });
    await migrateToLatest(db);
    const config = loadConfig({ SESSION_SECRET: 'session-store-spec-secret', SESSION_IDLE_TIMEOUT: '30m' });
    store = new DatabaseSessionStore(db, config);
    get = promisify(store.get.bind(store));
    set = promisify(store.set.bind(store));
    destroy = promisify(store.destroy.bind(store));
    touch = promisify(store.touch.bind(store));
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns what was set', async () => {
    const data = sessionData();

    await set('sid-1', data);

    await expect(get('sid-1')).resolves.toEqual(data);
  });

  it.each(['{not json', 'null', '"a string"', '{"userId":"x"}'])(
    'treats a row holding %s as no session',
    async (data) => {
      await set('damaged', sessionData());
      await db.updateTable('sessions').set({ data }).where('sid', '=', 'damaged').execute();

      await expect(get('damaged')).resolves.toBeNull();
    },
  );

  it('returns null for an unknown sid', async () => {
    await expect(get('no-such-sid')).resolves.toBeNull();
  });

  it('replaces the data when the same sid is set again', async () => {
    const userId = await insertUser();
    await set('sid-1', sessionData());

    await set('sid-1', sessionData(userId));

    await expect(get('sid-1')).resolves.toEqual(sessionData(userId));
    await expect(db.selectFrom('sessions').select('sid').execute()).resolves.toHaveLength(1);
  });

  it('stores the idle deadline as expires_at', async () => {
    const before = Date.now();
    await set('sid-1', sessionData());
    const after = Date.now();

    const stored = await row('sid-1');
    expect(stored?.expiresAt).toBeGreaterThanOrEqual(before + IDLE_MS);
    expect(stored?.expiresAt).toBeLessThanOrEqual(after + IDLE_MS);
  });

  it('stores the userId in the user_id column', async () => {
    const userId = await insertUser();

    await set('sid-1', sessionData(userId));
    await set('sid-2', sessionData());

    await expect(row('sid-1')).resolves.toMatchObject({ userId });
    await expect(row('sid-2')).resolves.toMatchObject({ userId: null });
  });

  it('destroys a session', async () => {
    await set('sid-1', sessionData());
    await set('sid-2', sessionData());

    await destroy('sid-1');

    await expect(get('sid-1')).resolves.toBeNull();
    await expect(row('sid-1')).resolves.toBeUndefined();
    await expect(get('sid-2')).resolves.toEqual(sessionData());
  });

  it('does not return a session whose deadline has passed', async () => {
    await set('sid-1', sessionData());
    await setExpiresAt('sid-1', Date.now() - 1000);

    await expect(get('sid-1')).resolves.toBeNull();
  });

  describe(pruneExpiredSessions.name, () => {
    it('deletes dead rows only and returns how many', async () => {
      await set('dead', sessionData());
      await set('alive', sessionData());
      await setExpiresAt('dead', Date.now() - 1000);

      await expect(pruneExpiredSessions(db)).resolves.toBe(1);

      await expect(row('dead')).resolves.toBeUndefined();
      await expect(row('alive')).resolves.toBeDefined();
    });

    it('uses the given time as now', async () => {
      await set('sid-1', sessionData());
      const { expiresAt } = (await row('sid-1'))!;

      await expect(pruneExpiredSessions(db, expiresAt - 1)).resolves.toBe(0);
      await expect(pruneExpiredSessions(db, expiresAt)).resolves.toBe(1);
    });
  });

  it('is a SessionStore, and so an express-session Store', () => {
    expect(store).toBeInstanceOf(SessionStore);
    expect(store).toBeInstanceOf(Store);
  });

  describe('touch', () => {
    // A write is an UPDATE, so spying on updateTable tells a write from a skip without comparing clocks.
    function spyOnWrites() {
      return jest.spyOn(db, 'updateTable');
    }

    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('does not write right after get read a deadline that is still recent', async () => {
      await set('sid-1', sessionData());
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).not.toHaveBeenCalled();
    });

    it('moves the deadline to now plus the idle timeout when get read an old one', async () => {
      await set('sid-1', sessionData());
      // One minute moved is the threshold for a 30-minute idle timeout: min(60 s, idle / 10).
      await setExpiresAt('sid-1', Date.now() + IDLE_MS - 61_000);
      await get('sid-1');
      const writes = spyOnWrites();

      const before = Date.now();
      await touch('sid-1', sessionData());
      const after = Date.now();

      expect(writes).toHaveBeenCalledTimes(1);
      const stored = await row('sid-1');
      expect(stored?.expiresAt).toBeGreaterThanOrEqual(before + IDLE_MS);
      expect(stored?.expiresAt).toBeLessThanOrEqual(after + IDLE_MS);
    });

    it('does not write when get read a deadline moved by a little less than the threshold', async () => {
      await set('sid-1', sessionData());
      await setExpiresAt('sid-1', Date.now() + IDLE_MS - 50_000);
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).not.toHaveBeenCalled();
    });

    it('always writes when no get for that sid came before it', async () => {
      await set('sid-1', sessionData());
      await setExpiresAt('sid-1', Date.now() + IDLE_MS);
      const writes = spyOnWrites();

      const before = Date.now();
      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
      expect((await row('sid-1'))?.expiresAt).toBeGreaterThanOrEqual(before + IDLE_MS);
    });

    it("does not take another sid's read as its own", async () => {
      await set('sid-1', sessionData());
      await set('sid-2', sessionData());
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-2', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('uses up the read: a second touch after one get writes', async () => {
      await set('sid-1', sessionData());
      await get('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());
      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('remembers nothing from a get that found no live session', async () => {
      await set('sid-1', sessionData());
      await setExpiresAt('sid-1', Date.now() - 1000);
      await expect(get('sid-1')).resolves.toBeNull();
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('forgets the read when the session is set again', async () => {
      await set('sid-1', sessionData());
      await get('sid-1');
      await set('sid-1', sessionData());
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
    });

    it('forgets the read when the session is destroyed, and then creates no row', async () => {
      await set('sid-1', sessionData());
      await get('sid-1');
      await destroy('sid-1');
      const writes = spyOnWrites();

      await touch('sid-1', sessionData());

      expect(writes).toHaveBeenCalledTimes(1);
      await expect(row('sid-1')).resolves.toBeUndefined();
    });

    it('does not create a row for an unknown sid', async () => {
      await touch('no-such-sid', sessionData());

      await expect(row('no-such-sid')).resolves.toBeUndefined();
    });
  });

  describe('destroyByUser', () => {
    let alice: string;
    let bob: string;

    async function sids(): Promise<string[]> {
      const rows = await db.selectFrom('sessions').select('sid').orderBy('sid').execute();
      return rows.map((r) => r.sid);
    }

    beforeEach(async () => {
      alice = await insertUser();
      bob = await insertUser();
      await set('alice-1', sessionData(alice));
      await set('alice-2', sessionData(alice));
      await set('alice-3', sessionData(alice));
      await set('bob-1', sessionData(bob));
      await set('anonymous', sessionData());
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
});
