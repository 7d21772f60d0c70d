import { jest } from '@jest/globals';
import type { Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../database/database.factory.js';
import type { Database } from '../database/database.types.js';
import { migrateToLatest } from '../database/migrate.js';
import { FORGET_AFTER_MS, LoginAttemptsRepository, pruneLoginAttempts } from './login-attempts.repository.js';

const START = 1_767_225_600_000;
const HOUR_MS = 3_600_000;
/** Two free attempts, then 1 s, 2 s, 4 s, and 8 s for every attempt after those. */
const LOCKS_MS = [0, 0, 1000, 2000, 4000, 8000];

function digest(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url');
}

describe(LoginAttemptsRepository.name, () => {
  let dir: string;
  let db: Kysely<Database>;
  let repository: LoginAttemptsRepository;

  function attempt(subject: string, now: number, locksMs: readonly number[] = LOCKS_MS) {
    return repository.attempt(subject, now, locksMs);
  }

  /** Makes `times` attempts, each at the moment the lock before it ends; returns the last outcome. */
  async function attempts(subject: string, times: number, now = START) {
    let outcome = await attempt(subject, now);
    for (let i = 1; i < times; i++) {
      now = Math.max(now, outcome.lockedUntil);
      outcome = await attempt(subject, now);
    }
    return outcome;
  }

  function row(subject: string) {
    return db
      .selectFrom('loginAttempts')
      .selectAll()
      .where('subject', '=', digest(subject))
      .executeTakeFirst();
  }

  async function subjects(): Promise<string[]> {
    const rows = await db.selectFrom('loginAttempts').select('subject').orderBy('subject').execute();
    return rows.map((r) => r.subject);
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-attempts-spec-'));
    db = createDatabase({ dialect: 'sqlite', file: join(dir, 'app.db') });
    await migrateToLatest(db);
    repository = new LoginAttemptsRepository(db);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('attempt', () => {
    it('lets the first attempt through and counts it', async () => {
      await expect(attempt('name:alice', START)).resolves.toEqual({ letThrough: true, lockedUntil: 0 });

      await expect(row('name:alice')).resolves.toEqual({
        subject: digest('name:alice'),
        failures: 1,
        lastFailedAt: START,
        lockedUntil: 0,
        lastAttempt: expect.any(String),
      });
    });

    it('stores the subject only as its SHA-256 digest, base64url', async () => {
      await attempt('name:correct horse battery staple', START);

      const rows = await db.selectFrom('loginAttempts').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0].subject).toBe(digest('name:correct horse battery staple'));
      expect(rows[0].subject).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(rows)).not.toContain('correct horse');
    });

    it('counts the free attempts without a lock, recording the time of the last one', async () => {
      await attempt('name:alice', START);

      await expect(attempt('name:alice', START + 1000)).resolves.toEqual({
        letThrough: true,
        lockedUntil: 0,
      });
      await expect(row('name:alice')).resolves.toMatchObject({
        failures: 2,
        lastFailedAt: START + 1000,
        lockedUntil: 0,
      });
    });

    it('lets the first attempt past the free ones through and locks for its entry in the schedule', async () => {
      await attempts('name:alice', 2);

      await expect(attempt('name:alice', START + 5)).resolves.toEqual({
        letThrough: true,
        lockedUntil: START + 5 + 1000,
      });
      await expect(row('name:alice')).resolves.toMatchObject({ failures: 3, lockedUntil: START + 1005 });
    });

    it('refuses attempts while locked, without counting them or moving the lock', async () => {
      await attempts('name:alice', 3);
      const before = await row('name:alice');

      await expect(attempt('name:alice', START + 999)).resolves.toEqual({
        letThrough: false,
        lockedUntil: START + 1000,
      });
      await expect(attempt('name:alice', START + 500)).resolves.toMatchObject({ letThrough: false });

      await expect(row('name:alice')).resolves.toEqual(before);
    });

    it('lets an attempt through once the lock has ended and locks again for the next entry', async () => {
      await attempts('name:alice', 3);

      await expect(attempt('name:alice', START + 1000)).resolves.toEqual({
        letThrough: true,
        lockedUntil: START + 1000 + 2000,
      });
      await expect(row('name:alice')).resolves.toMatchObject({ failures: 4 });
    });

    it('doubles the lock with each attempt let through, then keeps the last entry', async () => {
      const locks: number[] = [];
      let now = START;
      for (let i = 0; i < 9; i++) {
        const { letThrough, lockedUntil } = await attempt('name:alice', now);
        expect(letThrough).toBe(true);
        locks.push(lockedUntil === 0 ? 0 : lockedUntil - now);
        now = Math.max(now, lockedUntil);
      }

      expect(locks).toEqual([0, 0, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    });

    it('keeps the last entry for a count far past the schedule', async () => {
      await attempt('name:alice', START);
      await db.updateTable('loginAttempts').set({ failures: 10_000 }).execute();

      await expect(attempt('name:alice', START)).resolves.toEqual({
        letThrough: true,
        lockedUntil: START + 8000,
      });
      await expect(row('name:alice')).resolves.toMatchObject({ failures: 10_001 });
    });

    it('lets exactly one of many simultaneous attempts through when a lock ends', async () => {
      const { lockedUntil } = await attempts('name:alice', 4);

      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () => attempt('name:alice', lockedUntil)),
      );

      expect(outcomes.filter((o) => o.letThrough)).toEqual([
        { letThrough: true, lockedUntil: lockedUntil + 4000 },
      ]);
      expect(outcomes.filter((o) => !o.letThrough)).toHaveLength(19);
      expect(outcomes.every((o) => o.lockedUntil === lockedUntil + 4000)).toBe(true);
      await expect(row('name:alice')).resolves.toMatchObject({
        failures: 5,
        lockedUntil: lockedUntil + 4000,
      });
    });

    it('lets only the free attempts and one more through when many arrive at once', async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => attempt('name:alice', START)));

      expect(outcomes.filter((o) => o.letThrough)).toHaveLength(3);
      await expect(row('name:alice')).resolves.toMatchObject({ failures: 3, lockedUntil: START + 1000 });
    });

    it('tells the attempt let through from the others by its own tag', async () => {
      await attempts('name:alice', 3);
      const { lastAttempt } = (await row('name:alice'))!;

      await attempt('name:alice', START + 1);

      await expect(row('name:alice')).resolves.toMatchObject({ lastAttempt });
      await attempt('name:alice', START + 1000);
      expect((await row('name:alice'))!.lastAttempt).not.toBe(lastAttempt);
    });

    it('counts each subject on its own', async () => {
      await attempts('name:alice', 3);

      await expect(attempt('user:2f1c0b9e-3c59-4b8e-9d59-6f2f0b1f7a10', START)).resolves.toEqual({
        letThrough: true,
        lockedUntil: 0,
      });
      await expect(attempt('name:bob', START)).resolves.toMatchObject({ letThrough: true });
    });

    it('keeps counting while the last counted attempt is less than FORGET_AFTER_MS old', async () => {
      await attempt('name:alice', START);
      await attempt('name:alice', START + FORGET_AFTER_MS);

      await expect(attempt('name:alice', START + 2 * FORGET_AFTER_MS)).resolves.toEqual({
        letThrough: true,
        lockedUntil: START + 2 * FORGET_AFTER_MS + 1000,
      });
    });

    it('starts again at 1 once the last counted attempt is more than FORGET_AFTER_MS old', async () => {
      const { lockedUntil } = await attempts('name:alice', 6);
      const later = lockedUntil + FORGET_AFTER_MS + 1;

      await expect(attempt('name:alice', later)).resolves.toEqual({ letThrough: true, lockedUntil: 0 });
      await expect(row('name:alice')).resolves.toMatchObject({
        failures: 1,
        lastFailedAt: later,
        lockedUntil: 0,
      });
    });

    it('forgets after one day', () => {
      expect(FORGET_AFTER_MS).toBe(24 * HOUR_MS);
    });

    it('locks from the first attempt when the schedule has no free ones', async () => {
      await expect(attempt('name:alice', START, [1000, 2000])).resolves.toEqual({
        letThrough: true,
        lockedUntil: START + 1000,
      });
      await expect(attempt('name:alice', START + 1000, [1000, 2000])).resolves.toMatchObject({
        lockedUntil: START + 3000,
      });
    });

    it('never locks with an empty schedule', async () => {
      for (let i = 0; i < 5; i++) {
        await expect(attempt('name:alice', START, [])).resolves.toEqual({ letThrough: true, lockedUntil: 0 });
      }
    });
  });

  describe('clear', () => {
    it("removes the subject's count and lock, so the next attempt counts 1", async () => {
      await attempts('name:alice', 4);

      await repository.clear('name:alice');

      await expect(row('name:alice')).resolves.toBeUndefined();
      await expect(attempt('name:alice', START)).resolves.toEqual({ letThrough: true, lockedUntil: 0 });
      await expect(row('name:alice')).resolves.toMatchObject({ failures: 1 });
    });

    it("leaves other subjects' counts alone", async () => {
      await attempt('name:alice', START);
      await attempt('name:bob', START);

      await repository.clear('name:alice');

      await expect(subjects()).resolves.toEqual([digest('name:bob')]);
    });

    it('does nothing for a subject without attempts', async () => {
      await expect(repository.clear('name:nobody')).resolves.toBeUndefined();
    });
  });

  describe(pruneLoginAttempts.name, () => {
    it('deletes counters whose last attempt is more than FORGET_AFTER_MS old and returns how many', async () => {
      await attempt('name:old-1', START - FORGET_AFTER_MS - 1);
      await attempt('name:old-2', START - 2 * FORGET_AFTER_MS);
      await attempt('name:recent', START - FORGET_AFTER_MS);

      await expect(pruneLoginAttempts(db, START)).resolves.toBe(2);

      await expect(subjects()).resolves.toEqual([digest('name:recent')]);
    });

    it('keeps an old counter while its lock lasts', async () => {
      await attempt('name:alice', START - FORGET_AFTER_MS - 1);
      await db
        .updateTable('loginAttempts')
        .set({ lockedUntil: START + 1 })
        .execute();

      await expect(pruneLoginAttempts(db, START)).resolves.toBe(0);
      await expect(pruneLoginAttempts(db, START + 1)).resolves.toBe(1);
    });

    it('uses Date.now() when no time is given', async () => {
      await attempt('name:alice', START);
      jest.spyOn(Date, 'now').mockReturnValue(START + FORGET_AFTER_MS);
      await expect(pruneLoginAttempts(db)).resolves.toBe(0);

      jest.spyOn(Date, 'now').mockReturnValue(START + FORGET_AFTER_MS + 1);

      await expect(pruneLoginAttempts(db)).resolves.toBe(1);
    });
  });
});
