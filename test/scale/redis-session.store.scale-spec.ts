import { jest } from '@jest/globals';
import type { SessionData } from 'express-session';
import { Store } from 'express-session';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { RedisSessionStore } from '../../src/sessions/redis-session.store.js';
import { createSessionStore } from '../../src/sessions/session-store.factory.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { DependencyUnavailableError } from '../../src/common/dependency-unavailable.error.js';
import { type AppConfig, loadConfig } from '../../src/config/configuration.js';
import type { Database } from '../../src/database/database.types.js';
import { type Backend, freshBackend } from '../utils/backends.js';

/**
 * RedisSessionStore against the real Redis of the scale suite, case by case as the database
 * store's spec (src/sessions/database-session.store.spec.ts) where the contract is the same.
 * Redis keeps time itself, so the timeouts are short and real: 2 s idle, 3 s absolute.
 */

const IDLE_MS = 2000;
const ABSOLUTE_MS = 3000;
/** Slack for the time between a write and the PTTL that checks it. */
const SLACK_MS = 1000;

// A Redis store never reads the database: the factory takes it only for the database store.
const NO_DATABASE = null as unknown as Kysely<Database>;

function redisConfig(env: Record<string, string>): AppConfig {
  return loadConfig({
    SESSION_SECRET: 'redis-session-store-scale-spec-secret',
    SESSION_IDLE_TIMEOUT: `${IDLE_MS / 1000}s`,
    SESSION_ABSOLUTE_TIMEOUT: `${ABSOLUTE_MS / 1000}s`,
    ...env,
  });
}

function sessionData(userId?: string, authenticatedAt = Date.now()): SessionData {
  return {
    cookie: { originalMaxAge: ABSOLUTE_MS, httpOnly: true, path: '/', sameSite: 'lax', secure: false },
    ...(userId === undefined ? {} : { userId, authenticatedAt }),
  } as unknown as SessionData;
}

/** A promise that settles within `ms`, or a rejection saying it did not. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The store the factory builds when REDIS_URL is set. */
async function redisStore(env: Record<string, string>): Promise<RedisSessionStore> {
  const store = await createSessionStore(redisConfig(env), NO_DATABASE);
  if (!(store instanceof RedisSessionStore))
    throw new Error(`expected a Redis store, got ${store.constructor.name}`);
  return store;
}

async function answering(store: SessionStore, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await store.ping();
    } catch (error) {
      if (Date.now() > end) throw error;
      await sleep(50);
    }
  }
}

/**
 * A TCP proxy to Redis that can stop passing anything on, as a hung Redis or a network that
 * drops packets would: the connection stays open, and commands already sent get no answer.
 */
class FrozenProxy {
  private frozen = false;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async to(target: URL): Promise<FrozenProxy> {
    const server = createServer();
    const proxy = new FrozenProxy(server);
    server.on('connection', (client) => proxy.pass(client, target));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Passes data on again, on new connections and on the ones it froze (which then drop). */
  thaw(): void {
    this.frozen = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private pass(client: Socket, target: URL): void {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => this.frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => this.frozen || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

describe(RedisSessionStore.name, () => {
  let backend: Backend;
  let prefix: string;
  let store: RedisSessionStore;
  let redis: ReturnType<typeof createClient>;
  let get: (sid: string) => Promise<SessionData | null | undefined>;
  let set: (sid: string, session: SessionData) => Promise<void>;
  let destroy: (sid: string) => Promise<void>;
  let touch: (sid: string, session: SessionData) => Promise<void>;

  const sessionKey = (sid: string) => `${prefix}sess:${sid}`;
  const indexKey = (userId: string) => `${prefix}user-sessions:${userId}`;
  const renewedKey = (sid: string) => `${prefix}renewed:${sid}`;
  const exists = (key: string) => redis.exists(key);
  const pttl = (key: string) => redis.pTTL(key);
  const indexed = (userId: string) => redis.zRange(indexKey(userId), 0, -1);
  const lastSeen = (userId: string, sid: string) => redis.zScore(indexKey(userId), sid);

  /** Ends the key now, as its TTL running out would. */
  async function expireNow(key: string): Promise<void> {
    await redis.pExpire(key, 1);
    await sleep(20);
  }

  /** Ids unique to the test, so no test sees another's sessions or users. */
  function ids(...names: string[]): string[] {
    const run = randomUUID();
    return names.map((name) => `${name}-${run}`);
  }

  beforeAll(async () => {
    backend = await freshBackend();
    const { REDIS_URL, REDIS_PREFIX } = backend.env;
    prefix = REDIS_PREFIX;
    store = await redisStore({ REDIS_URL, REDIS_PREFIX });
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
    get = promisify(store.get.bind(store));
    set = promisify(store.set.bind(store));
    destroy = promisify(store.destroy.bind(store));
    touch = promisify(store.touch.bind(store));
    // The store connects in the background, failing commands until then: wait until it answers.
    await answering(store);
  });

  afterAll(async () => {
    await store?.close();
    redis?.destroy();
    await backend?.drop();
  });

  it('is a RedisSessionStore, a SessionStore and so an express-session Store', () => {
    expect(store).toBeInstanceOf(RedisSessionStore);
    expect(store).toBeInstanceOf(SessionStore);
    expect(store).toBeInstanceOf(Store);
  });

  it('returns null for an unknown sid', async () => {
    await expect(get(randomUUID())).resolves.toBeNull();
  });

  it.each(['{not json', 'null', '"a string"', '{"userId":"x"}', '[1,2]'])(
    'treats a value of %s as no session, not an error',
    async (value) => {
      const [sid] = ids('damaged');
      await store.create(sid, sessionData());
      await redis.set(sessionKey(sid), value, { KEEPTTL: true });

      await expect(get(sid)).resolves.toBeNull();
    },
  );

  it('destroys a session and no other, and takes it out of the index', async () => {
    const [user, sid1, sid2] = ids('user', 'sid-1', 'sid-2');
    await store.create(sid1, sessionData(user));
    await store.create(sid2, sessionData(user));

    await destroy(sid1);

    await expect(get(sid1)).resolves.toBeNull();
    await expect(exists(sessionKey(sid1))).resolves.toBe(0);
    await expect(indexed(user)).resolves.toEqual([sid2]);
    await expect(get(sid2)).resolves.toMatchObject({ userId: user });
  });

  it('ends a session left idle for the idle timeout, and its index with it', async () => {
    const [user, sid] = ids('user', 'sid');
    await store.create(sid, sessionData(user));

    await sleep(IDLE_MS + 300);

    await expect(get(sid)).resolves.toBeNull();
    await expect(exists(sessionKey(sid))).resolves.toBe(0);
    await expect(store.listByUser(user)).resolves.toEqual([]);
    await expect(exists(indexKey(user))).resolves.toBe(0);
  });

  describe('create', () => {
    it('stores a session that get returns', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);

      await expect(store.create(sid, data)).resolves.toBe(true);

      await expect(get(sid)).resolves.toEqual(data);
    });

    it('stores it for the idle timeout', async () => {
      const [user, sid] = ids('user', 'sid');

      await store.create(sid, sessionData(user));

      const ttl = await pttl(sessionKey(sid));
      expect(ttl).toBeLessThanOrEqual(IDLE_MS);
      expect(ttl).toBeGreaterThan(IDLE_MS - SLACK_MS);
    });

    it('stores it no longer than the absolute timeout from the login', async () => {
      const [user, sid] = ids('user', 'sid');
      // One second of the absolute timeout left: less than the idle timeout.
      const authenticatedAt = Date.now() - ABSOLUTE_MS + 1000;
      const before = Date.now();

      await store.create(sid, sessionData(user, authenticatedAt));

      const ttl = await pttl(sessionKey(sid));
      expect(ttl).toBeGreaterThan(0);
      expect(before + ttl).toBeLessThanOrEqual(authenticatedAt + ABSOLUTE_MS);
    });

    it('indexes it under its user, last seen now', async () => {
      const [user, sid] = ids('user', 'sid');
      const before = Date.now();

      await store.create(sid, sessionData(user));

      await expect(indexed(user)).resolves.toEqual([sid]);
      const score = await lastSeen(user, sid);
      expect(score).toBeGreaterThanOrEqual(before);
      expect(score).toBeLessThanOrEqual(Date.now());
    });

    it('ends the session it replaces', async () => {
      const [user, old, other, sid] = ids('user', 'old', 'other', 'new');
      await store.create(old, sessionData(user));
      await store.create(other, sessionData(user));

      await store.create(sid, sessionData(user), old);

      await expect(exists(sessionKey(old))).resolves.toBe(0);
      await expect(get(old)).resolves.toBeNull();
      await expect(get(sid)).resolves.toMatchObject({ userId: user });
      await expect(get(other)).resolves.toMatchObject({ userId: user });
      const listed = await store.listByUser(user);
      expect(listed.map((s) => s.sid).sort()).toEqual([sid, other].sort());
    });

    it('creates the session when the one it replaces is already gone', async () => {
      const [user, sid, gone] = ids('user', 'new', 'gone');

      await expect(store.create(sid, sessionData(user), gone)).resolves.toBe(true);

      await expect(get(sid)).resolves.toMatchObject({ userId: user });
    });
  });

  describe('set', () => {
    it('replaces the data of a live session', async () => {
      const [user, sid] = ids('user', 'sid');
      await store.create(sid, sessionData(user));
      const changed = { ...sessionData(user), userAgent: 'Firefox' } as SessionData;

      await set(sid, changed);

      await expect(get(sid)).resolves.toEqual(changed);
      await expect(indexed(user)).resolves.toEqual([sid]);
    });

    it('moves the expiry and the last activity to now', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);
      const created = (await lastSeen(user, sid))!;
      await sleep(700);

      await set(sid, { ...data, userAgent: 'Firefox' });

      expect(await pttl(sessionKey(sid))).toBeGreaterThan(IDLE_MS - 500);
      expect(await lastSeen(user, sid)).toBeGreaterThanOrEqual(created + 700);
    });

    it('keeps the index alive at least as long as the session it moved', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);
      await sleep(700);

      await set(sid, { ...data, userAgent: 'Firefox' });

      expect(await pttl(indexKey(user))).toBeGreaterThanOrEqual(await pttl(sessionKey(sid)));
    });

    it('does not create a session for an unknown sid', async () => {
      const [user, sid] = ids('user', 'sid');

      await set(sid, sessionData(user));

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(get(sid)).resolves.toBeNull();
      await expect(exists(indexKey(user))).resolves.toBe(0);
    });

    it('does not bring back a session that has expired', async () => {
      const [user, sid] = ids('user', 'sid');
      await store.create(sid, sessionData(user));
      await expireNow(sessionKey(sid));

      await set(sid, { ...sessionData(user), userAgent: 'Firefox' });

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(store.listByUser(user)).resolves.toEqual([]);
    });

    it('skips the write for the object create just wrote, unchanged', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);
      // A marker only a write by set would overwrite.
      await redis.set(sessionKey(sid), JSON.stringify({ ...data, marker: true }), { KEEPTTL: true });

      await set(sid, data);

      await expect(get(sid)).resolves.toMatchObject({ marker: true });
    });

    it('writes the object create wrote once it has changed', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);
      data.userAgent = 'Firefox';

      await set(sid, data);

      await expect(get(sid)).resolves.toMatchObject({ userAgent: 'Firefox' });
    });

    it('caps the expiry at the absolute timeout', async () => {
      const [user, sid] = ids('user', 'sid');
      const authenticatedAt = Date.now() - ABSOLUTE_MS + 1500;
      await store.create(sid, sessionData(user, authenticatedAt));
      await sleep(300);
      const before = Date.now();

      await set(sid, { ...sessionData(user, authenticatedAt), userAgent: 'Firefox' });

      const ttl = await pttl(sessionKey(sid));
      expect(ttl).toBeGreaterThan(0);
      expect(before + ttl).toBeLessThanOrEqual(authenticatedAt + ABSOLUTE_MS);
    });
  });

  describe('after a logout, a slower request of the same session', () => {
    it('cannot bring it back with set', async () => {
      const [user, sid] = ids('user', 'sid');
      await store.create(sid, sessionData(user));
      const loaded = (await get(sid))!;
      await destroy(sid);

      await set(sid, { ...loaded, userAgent: 'Firefox' });

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(get(sid)).resolves.toBeNull();
      await expect(indexed(user)).resolves.toEqual([]);
    });

    it('cannot bring it back with touch', async () => {
      const [user, sid] = ids('user', 'sid');
      await store.create(sid, sessionData(user));
      const loaded = (await get(sid))!;
      await destroy(sid);
      // Past the store's memory of its own recent touch (a tenth of the idle timeout).
      await sleep(IDLE_MS / 10 + 100);

      await touch(sid, loaded);

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(get(sid)).resolves.toBeNull();
      await expect(indexed(user)).resolves.toEqual([]);
    });

    it('cannot bring it back with set of the changed object that created it', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);
      await destroy(sid);
      data.userAgent = 'Firefox';

      await set(sid, data);

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
    });
  });

  describe('touch', () => {
    it('moves the expiry and the last activity to now', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);
      const created = (await lastSeen(user, sid))!;
      await sleep(700);

      await touch(sid, data);

      expect(await pttl(sessionKey(sid))).toBeGreaterThan(IDLE_MS - 500);
      expect(await lastSeen(user, sid)).toBeGreaterThanOrEqual(created + 700);
      const [listed] = await store.listByUser(user);
      expect(listed.lastSeenAt).toBeGreaterThanOrEqual(created + 700);
    });

    it('answers at once when there is nothing to write: a touch moments after create, a set of what create wrote', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);
      const first = jest.fn();
      const second = jest.fn();

      store.touch(sid, data, first); // create counts as a touch: nothing to write
      expect(first).toHaveBeenCalledWith();
      store.set(sid, data, second); // what create wrote, unchanged
      expect(second).toHaveBeenCalledWith();
    });

    it('keeps a session in use alive past the idle timeout', async () => {
      const [user, sid] = ids('user', 'sid');
      const data = sessionData(user);
      await store.create(sid, data);

      // 2.4 s in all: past the idle timeout, not yet at the absolute one.
      for (let i = 0; i < 3; i++) {
        await sleep(800);
        await touch(sid, data);
      }

      await expect(get(sid)).resolves.toEqual(data);
      await expect(exists(indexKey(user))).resolves.toBe(1);
    });

    it('does not create a session for an unknown sid', async () => {
      const [user, sid] = ids('user', 'sid');

      await touch(sid, sessionData(user));

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(exists(indexKey(user))).resolves.toBe(0);
    });

    it('does not bring back a session that has expired', async () => {
      const [user, sid] = ids('user', 'sid');
      await store.create(sid, sessionData(user));
      await expireNow(sessionKey(sid));
      await sleep(IDLE_MS / 10 + 100);

      await touch(sid, sessionData(user));

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(store.listByUser(user)).resolves.toEqual([]);
    });

    it('never moves the expiry past the absolute timeout', async () => {
      const [user, sid] = ids('user', 'sid');
      const authenticatedAt = Date.now() - ABSOLUTE_MS + 1500;
      const data = sessionData(user, authenticatedAt);
      await store.create(sid, data);
      await sleep(IDLE_MS / 10 + 100);
      const before = Date.now();

      await touch(sid, data);

      const ttl = await pttl(sessionKey(sid));
      expect(ttl).toBeGreaterThan(0);
      expect(before + ttl).toBeLessThanOrEqual(authenticatedAt + ABSOLUTE_MS);
    });

    it('ends the session at the absolute deadline however active it is', async () => {
      const [user, sid] = ids('user', 'sid');
      const authenticatedAt = Date.now() - ABSOLUTE_MS + 1000;
      const data = sessionData(user, authenticatedAt);
      await store.create(sid, data);
      await sleep(500);
      await touch(sid, data);

      await sleep(authenticatedAt + ABSOLUTE_MS - Date.now() + 100);
      await touch(sid, data);

      await expect(get(sid)).resolves.toBeNull();
      await expect(exists(sessionKey(sid))).resolves.toBe(0);
    });
  });

  describe('rotate', () => {
    it('moves a live session to the new sid, ending the old one at once', async () => {
      const [user, old, sid] = ids('user', 'old', 'new');
      await store.create(old, sessionData(user));
      const data = { ...sessionData(user), sessionVersion: 2 } as SessionData;

      await expect(store.rotate(old, sid, data)).resolves.toBe(true);

      await expect(exists(sessionKey(old))).resolves.toBe(0);
      await expect(get(old)).resolves.toBeNull();
      await expect(get(sid)).resolves.toEqual(data);
      await expect(indexed(user)).resolves.toEqual([sid]);
      const ttl = await pttl(sessionKey(sid));
      expect(ttl).toBeGreaterThan(IDLE_MS - SLACK_MS);
      expect(ttl).toBeLessThanOrEqual(IDLE_MS);
    });

    it('ends the new session too when the old sid is destroyed afterwards (a logout that raced it)', async () => {
      const [user, old, other, sid] = ids('user', 'old', 'other', 'new');
      await store.create(old, sessionData(user));
      await store.create(other, sessionData(user));
      await store.rotate(old, sid, sessionData(user));

      await destroy(old);

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(get(sid)).resolves.toBeNull();
      await expect(exists(renewedKey(old))).resolves.toBe(0);
      await expect(get(other)).resolves.toMatchObject({ userId: user });
      await expect(indexed(user)).resolves.toEqual([other]);
    });

    it('returns false and stores nothing when the old sid is unknown', async () => {
      const [user, old, sid] = ids('user', 'old', 'new');

      await expect(store.rotate(old, sid, sessionData(user))).resolves.toBe(false);

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(exists(renewedKey(old))).resolves.toBe(0);
      await expect(exists(indexKey(user))).resolves.toBe(0);
    });

    it('returns false and stores nothing when the old session was destroyed', async () => {
      const [user, old, sid] = ids('user', 'old', 'new');
      await store.create(old, sessionData(user));
      await destroy(old);

      await expect(store.rotate(old, sid, sessionData(user))).resolves.toBe(false);

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
      await expect(exists(renewedKey(old))).resolves.toBe(0);
      await expect(store.listByUser(user)).resolves.toEqual([]);
    });

    it('returns false and stores nothing when the old session has expired', async () => {
      const [user, old, sid] = ids('user', 'old', 'new');
      await store.create(old, sessionData(user));
      await expireNow(sessionKey(old));

      await expect(store.rotate(old, sid, sessionData(user))).resolves.toBe(false);

      await expect(exists(sessionKey(sid))).resolves.toBe(0);
    });

    it('lets the renewal link expire with the new session', async () => {
      const [user, old, sid] = ids('user', 'old', 'new');
      await store.create(old, sessionData(user));

      await store.rotate(old, sid, sessionData(user));

      const link = await pttl(renewedKey(old));
      expect(link).toBeGreaterThan(0);
      expect(link).toBeLessThanOrEqual(IDLE_MS);
    });
  });

  describe('listByUser', () => {
    it("returns the user's live sessions with when each was last seen", async () => {
      const [alice, bob, alice1, alice2, bob1] = ids('alice', 'bob', 'alice-1', 'alice-2', 'bob-1');
      const before = Date.now();
      await store.create(alice1, sessionData(alice));
      await sleep(50);
      const second = Date.now();
      await store.create(alice2, sessionData(alice));
      await store.create(bob1, sessionData(bob));

      const sessions = await store.listByUser(alice);

      expect(sessions.sort((a, b) => a.sid.localeCompare(b.sid))).toEqual([
        { sid: alice1, session: await get(alice1), lastSeenAt: expect.any(Number) as number },
        { sid: alice2, session: await get(alice2), lastSeenAt: expect.any(Number) as number },
      ]);
      const [first, latest] = sessions;
      expect(first.lastSeenAt).toBeGreaterThanOrEqual(before);
      expect(first.lastSeenAt).toBeLessThan(second);
      expect(latest.lastSeenAt).toBeGreaterThanOrEqual(second);
      expect(latest.lastSeenAt).toBeLessThanOrEqual(Date.now());
    });

    it('skips sessions expired by their TTL, and takes their ids out of the index', async () => {
      const [alice, gone, live] = ids('alice', 'gone', 'live');
      await store.create(gone, sessionData(alice));
      await store.create(live, sessionData(alice));
      await expireNow(sessionKey(gone));

      await expect(store.listByUser(alice)).resolves.toEqual([expect.objectContaining({ sid: live })]);

      await expect(indexed(alice)).resolves.toEqual([live]);
    });

    it('skips damaged values', async () => {
      const [alice, damaged, live] = ids('alice', 'damaged', 'live');
      await store.create(damaged, sessionData(alice));
      await store.create(live, sessionData(alice));
      await redis.set(sessionKey(damaged), '{not json', { KEEPTTL: true });

      await expect(store.listByUser(alice)).resolves.toEqual([expect.objectContaining({ sid: live })]);
    });

    it('returns nothing for a user without sessions', async () => {
      const [alice, bob, bob1] = ids('alice', 'bob', 'bob-1');
      await store.create(bob1, sessionData(bob));

      await expect(store.listByUser(alice)).resolves.toEqual([]);
    });
  });

  describe('the index by user', () => {
    it('expires with the longest-lived of its sessions, never before', async () => {
      const [alice, long, short] = ids('alice', 'long', 'short');
      await store.create(long, sessionData(alice));
      // A session near its absolute deadline, created later, must not shorten the index.
      await store.create(short, sessionData(alice, Date.now() - ABSOLUTE_MS + 500));

      const index = await pttl(indexKey(alice));
      expect(index).toBeGreaterThan(0);
      expect(index).toBeGreaterThanOrEqual(await pttl(sessionKey(long)));
      expect(index).toBeLessThanOrEqual(IDLE_MS);
    });

    it('is extended when a touch moves a session past it', async () => {
      const [alice, sid] = ids('alice', 'sid');
      const data = sessionData(alice);
      await store.create(sid, data);
      await sleep(700);

      await touch(sid, data);

      expect(await pttl(indexKey(alice))).toBeGreaterThanOrEqual(await pttl(sessionKey(sid)));
    });
  });

  describe('destroyByUser', () => {
    let alice: string;
    let bob: string;
    let sids: Record<'alice1' | 'alice2' | 'alice3' | 'bob1', string>;

    beforeEach(async () => {
      const [a, b, alice1, alice2, alice3, bob1] = ids(
        'alice',
        'bob',
        'alice-1',
        'alice-2',
        'alice-3',
        'bob-1',
      );
      alice = a;
      bob = b;
      sids = { alice1, alice2, alice3, bob1 };
      await store.create(alice1, sessionData(alice));
      await store.create(alice2, sessionData(alice));
      await store.create(alice3, sessionData(alice));
      await store.create(bob1, sessionData(bob));
    });

    async function live(): Promise<string[]> {
      const found: string[] = [];
      for (const [name, sid] of Object.entries(sids)) if (await get(sid)) found.push(name);
      return found;
    }

    it("removes all of the user's sessions and keeps everyone else's", async () => {
      await store.destroyByUser(alice);

      await expect(live()).resolves.toEqual(['bob1']);
      await expect(store.listByUser(alice)).resolves.toEqual([]);
      await expect(indexed(alice)).resolves.toEqual([]);
    });

    it('keeps exceptSid', async () => {
      await store.destroyByUser(alice, sids.alice2);

      await expect(live()).resolves.toEqual(['alice2', 'bob1']);
      await expect(indexed(alice)).resolves.toEqual([sids.alice2]);
    });

    it('does nothing for a user without sessions', async () => {
      await store.destroyByUser(randomUUID());

      await expect(live()).resolves.toEqual(['alice1', 'alice2', 'alice3', 'bob1']);
    });
  });

  describe('when Redis cannot be reached', () => {
    /** Resolves when `work` fails as the dependency being unavailable, quickly. */
    async function expectUnavailable(work: Promise<unknown>): Promise<void> {
      const started = Date.now();
      const error = await within(3000, work).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(Date.now() - started).toBeLessThan(2500);
    }

    async function expectEachCallUnavailable(down: RedisSessionStore): Promise<void> {
      const data = sessionData(randomUUID());
      await expectUnavailable(promisify(down.get.bind(down))(randomUUID()));
      await expectUnavailable(down.create(randomUUID(), data));
      await expectUnavailable(down.rotate(randomUUID(), randomUUID(), data));
      await expectUnavailable(down.listByUser(randomUUID()));
      await expectUnavailable(down.destroyByUser(randomUUID()));
      await expectUnavailable(down.ping());
      await expectUnavailable(promisify(down.set.bind(down))(randomUUID(), { ...data, changed: 1 } as never));
      // A touch only moves a deadline, after the response is out: no error, the next one tries again.
      await expect(
        within(3000, promisify(down.touch.bind(down))(randomUUID(), data)),
      ).resolves.toBeUndefined();
      await expectUnavailable(promisify(down.destroy.bind(down))(randomUUID()));
    }

    async function storeAt(url: string): Promise<{ down: RedisSessionStore; disconnects: jest.Mock }> {
      const down = await redisStore({ REDIS_URL: url, REDIS_PREFIX: prefix });
      // express-session stops loading sessions on 'disconnect' (every request then looks logged out).
      const disconnects = jest.fn();
      down.on('disconnect', disconnects);
      return { down, disconnects };
    }

    it('fails every call at once with DependencyUnavailableError when nothing listens', async () => {
      const { down, disconnects } = await storeAt('redis://127.0.0.1:1');
      try {
        await expectEachCallUnavailable(down);
        // Again once the client has been retrying for a while.
        await sleep(1500);
        await expectEachCallUnavailable(down);
        expect(disconnects).not.toHaveBeenCalled();
      } finally {
        await within(3000, down.close());
      }
    });

    describe('when Redis stops answering on a connection that was working', () => {
      let proxy: FrozenProxy;

      beforeAll(async () => {
        proxy = await FrozenProxy.to(new URL(process.env.REDIS_URL!));
      });

      afterAll(() => proxy.close());

      it('fails each call with DependencyUnavailableError within the command timeout, then recovers', async () => {
        const { down, disconnects } = await storeAt(proxy.url);
        try {
          await answering(down);
          proxy.freeze();

          await Promise.all([
            expectUnavailable(promisify(down.get.bind(down))(randomUUID())),
            expectUnavailable(down.create(randomUUID(), sessionData(randomUUID()))),
            expectUnavailable(down.listByUser(randomUUID())),
            expectUnavailable(down.ping()),
          ]);

          proxy.thaw();
          await answering(down, 10_000);
          expect(disconnects).not.toHaveBeenCalled();
        } finally {
          await within(3000, down.close());
        }
      });
    });

    describe('when the server accepts connections but never answers', () => {
      let server: Server;
      const sockets = new Set<Socket>();

      beforeAll(async () => {
        server = createServer((socket) => {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.resume();
        }).listen(0, '127.0.0.1');
        await once(server, 'listening');
      });

      afterAll(async () => {
        for (const socket of sockets) socket.destroy();
        server.close();
        await once(server, 'close');
      });

      it('fails every call at once with DependencyUnavailableError (the client never gets ready)', async () => {
        const { port } = server.address() as { port: number };
        const { down, disconnects } = await storeAt(`redis://127.0.0.1:${port}`);
        try {
          await expectEachCallUnavailable(down);
          expect(disconnects).not.toHaveBeenCalled();
        } finally {
          await within(3000, down.close());
        }
      });
    });
  });
});
