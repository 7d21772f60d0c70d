import { jest } from '@jest/globals';
import type { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../database/database.factory.js';
import type { Database } from '../database/database.types.js';
import { migrateToLatest } from '../database/migrate.js';
import { DatabaseThrottlerStorage, pruneRateLimits } from './database-throttler.storage.js';

const START = 1_767_225_600_000;
const TTL_MS = 60_000;
const LIMIT = 3;
const BLOCK_MS = 30_000;

describe(DatabaseThrottlerStorage.name, () => {
  let dir: string;
  let db: Kysely<Database>;
  let storage: DatabaseThrottlerStorage;
  let now: number;

  function hit(key = 'login:1.2.3.4', blockMs = BLOCK_MS) {
    return storage.increment(key, TTL_MS, LIMIT, blockMs);
  }

  async function hits(times: number, key?: string) {
    for (let i = 0; i < times - 1; i++) await hit(key);
    return hit(key);
  }

  function row(key: string) {
    return db.selectFrom('rateLimits').selectAll().where('key', '=', key).executeTakeFirst();
  }

  async function keys(): Promise<string[]> {
    const rows = await db.selectFrom('rateLimits').select('key').orderBy('key').execute();
    return rows.map((r) => r.key);
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'throttler-storage-spec-'));
    db = createDatabase({ dialect: 'sqlite', file: join(dir, 'app.db') });
    await migrateToLatest(db);
    storage = new DatabaseThrottlerStorage(db);
    now = START;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('increment', () => {
    it('opens a window of ttl on the first hit', async () => {
      await expect(hit()).resolves.toEqual({
        totalHits: 1,
        timeToExpire: 60,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
      await expect(row('login:1.2.3.4')).resolves.toEqual({
        key: 'login:1.2.3.4',
        hits: 1,
        windowEndsAt: START + TTL_MS,
        blockedUntil: 0,
      });
    });

    it('counts hits in a fixed window whose end does not move', async () => {
      await hit();
      now += 20_000;
      await hit();
      now += 10_500;

      await expect(hit()).resolves.toEqual({
        totalHits: 3,
        timeToExpire: 30,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
    });

    it('rounds the time to the end of the window up to whole seconds', async () => {
      await hit();
      now += TTL_MS - 1;

      await expect(hit()).resolves.toMatchObject({ timeToExpire: 1 });
    });

    it('does not block at the limit', async () => {
      await expect(hits(LIMIT)).resolves.toMatchObject({ totalHits: LIMIT, isBlocked: false });
    });

    it('blocks past the limit for blockDuration', async () => {
      await hits(LIMIT);

      await expect(hit()).resolves.toEqual({
        totalHits: LIMIT + 1,
        timeToExpire: 60,
        isBlocked: true,
        timeToBlockExpire: 30,
      });
      await expect(row('login:1.2.3.4')).resolves.toMatchObject({ blockedUntil: START + BLOCK_MS });
    });

    it('stays blocked without extending the block until it ends', async () => {
      await hits(LIMIT + 1);
      now += BLOCK_MS - 1500;

      await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 2 });
      await expect(row('login:1.2.3.4')).resolves.toMatchObject({ blockedUntil: START + BLOCK_MS });
    });

    it('blocks again once the block ends while the window still holds too many hits', async () => {
      await hits(LIMIT + 1);
      now += BLOCK_MS;

      await expect(hit()).resolves.toMatchObject({
        totalHits: LIMIT + 2,
        isBlocked: true,
        timeToBlockExpire: 30,
      });
    });

    it('starts a new window with one hit when the old one has ended', async () => {
      await hits(LIMIT);
      now += TTL_MS;

      await expect(hit()).resolves.toEqual({
        totalHits: 1,
        timeToExpire: 60,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
      await expect(row('login:1.2.3.4')).resolves.toMatchObject({ windowEndsAt: now + TTL_MS });
    });

    it('lets a blocked key through once both its block and its window have ended', async () => {
      await hits(LIMIT + 1, 'signup:5.6.7.8');
      now += TTL_MS;

      await expect(hit('signup:5.6.7.8')).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('keeps the block for its whole duration even when the window ends first', async () => {
      await hits(LIMIT);
      now += TTL_MS - 1000;
      await expect(hit('login:1.2.3.4', 5 * 60_000)).resolves.toMatchObject({ isBlocked: true });
      now += 1000;

      await expect(hit()).resolves.toMatchObject({ totalHits: 1, isBlocked: true, timeToBlockExpire: 299 });
    });

    it('counts every one of many concurrent hits', async () => {
      const records = await Promise.all(Array.from({ length: 10 }, () => hit()));

      expect(records.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await expect(row('login:1.2.3.4')).resolves.toMatchObject({ hits: 10, blockedUntil: START + BLOCK_MS });
    });

    it('counts each key on its own', async () => {
      await hits(LIMIT + 1, 'login:1.2.3.4');

      await expect(hit('login:5.6.7.8')).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('shares counts between storages on the same database', async () => {
      await hits(LIMIT);

      await expect(
        new DatabaseThrottlerStorage(db).increment('login:1.2.3.4', TTL_MS, LIMIT, BLOCK_MS),
      ).resolves.toMatchObject({ totalHits: LIMIT + 1, isBlocked: true });
    });
  });

  describe(pruneRateLimits.name, () => {
    it('deletes counters whose window has ended and returns how many', async () => {
      await hit('old-1');
      await hit('old-2');
      now += 1000;
      await hit('recent');

      await expect(pruneRateLimits(db, START + TTL_MS)).resolves.toBe(2);

      await expect(keys()).resolves.toEqual(['recent']);
    });

    it('keeps a counter while its block lasts', async () => {
      await hits(LIMIT);
      now += TTL_MS - 1000;
      await hit('login:1.2.3.4', 5 * 60_000);

      await expect(pruneRateLimits(db, START + TTL_MS)).resolves.toBe(0);
      await expect(pruneRateLimits(db, now + 5 * 60_000)).resolves.toBe(1);
    });

    it('uses Date.now() when no time is given', async () => {
      await hit();
      now = START + TTL_MS - 1;
      await expect(pruneRateLimits(db)).resolves.toBe(0);

      now = START + TTL_MS;

      await expect(pruneRateLimits(db)).resolves.toBe(1);
    });
  });
});
