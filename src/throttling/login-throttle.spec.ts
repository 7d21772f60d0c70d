import { jest } from '@jest/globals';
import { HttpStatus } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { createDatabase } from '../database/database.factory.js';
import type { Database } from '../database/database.types.js';
import { migrateToLatest } from '../database/migrate.js';
import { type AttemptOutcome, LoginAttemptsRepository } from './login-attempts.repository.js';
import { FREE_FAILURES, LoginThrottle } from './login-throttle.js';

type Public<T> = Pick<T, keyof T>;

const START = 1_767_225_600_000;
const MAX_LOCK_MS = 15 * 60_000;

interface Row {
  failures: number;
  lockedUntil: number;
}

/** Keeps counters in a Map and follows the real repository's rules (forgetting aside). */
class FakeLoginAttemptsRepository implements Public<LoginAttemptsRepository> {
  readonly rows = new Map<string, Row>();
  /** The lock each attempt let through set, in ms from its `now`; 0 for none. */
  readonly locks: number[] = [];

  attempt(subject: string, now: number, locksMs: readonly number[]): Promise<AttemptOutcome> {
    const row = this.rows.get(subject) ?? { failures: 0, lockedUntil: 0 };
    if (row.lockedUntil > now) return Promise.resolve({ letThrough: false, lockedUntil: row.lockedUntil });
    row.failures += 1;
    const ms = locksMs[Math.min(row.failures, locksMs.length) - 1] ?? 0;
    row.lockedUntil = ms > 0 ? now + ms : 0;
    this.rows.set(subject, row);
    this.locks.push(ms);
    return Promise.resolve({ letThrough: true, lockedUntil: row.lockedUntil });
  }

  clear(subject: string): Promise<void> {
    this.rows.delete(subject);
    return Promise.resolve();
  }
}

describe(LoginThrottle.name, () => {
  let attempts: FakeLoginAttemptsRepository;
  let throttle: LoginThrottle;
  let now: number;

  /** Makes `times` attempts, each once the lock before it has ended. */
  async function attempt(subject: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      now = Math.max(now, attempts.rows.get(subject)?.lockedUntil ?? 0);
      await throttle.attempt(subject);
    }
  }

  async function refusal(subject: string): Promise<TooManyRequestsException> {
    const error: unknown = await throttle.attempt(subject).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TooManyRequestsException);
    return error as TooManyRequestsException;
  }

  beforeEach(() => {
    attempts = new FakeLoginAttemptsRepository();
    throttle = new LoginThrottle(attempts as unknown as LoginAttemptsRepository);
    now = START;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('attempt', () => {
    it('lets four attempts through without a lock', async () => {
      expect(FREE_FAILURES).toBe(4);

      await attempt('name:alice', FREE_FAILURES);

      expect(attempts.locks).toEqual([0, 0, 0, 0]);
      expect(attempts.rows.get('name:alice')).toEqual({ failures: FREE_FAILURES, lockedUntil: 0 });
    });

    it('counts each attempt at the current time, before the password is checked', async () => {
      const spy = jest.spyOn(attempts, 'attempt');

      await throttle.attempt('name:alice');

      expect(spy).toHaveBeenCalledWith('name:alice', START, expect.any(Array));
      expect(attempts.rows.get('name:alice')).toMatchObject({ failures: 1 });
    });

    it('lets the fifth attempt through, locks for 1 s, and doubles the lock with each one after', async () => {
      await attempt('name:alice', FREE_FAILURES + 5);

      expect(attempts.locks.slice(FREE_FAILURES)).toEqual([1000, 2000, 4000, 8000, 16_000]);
    });

    it('caps the lock at 15 minutes', async () => {
      await attempt('name:alice', FREE_FAILURES + 12);

      expect(attempts.locks.slice(-3)).toEqual([512_000, MAX_LOCK_MS, MAX_LOCK_MS]);
    });

    it('keeps the 15-minute cap for a count far past the doubling', async () => {
      attempts.rows.set('name:alice', { failures: 10_000, lockedUntil: 0 });

      await throttle.attempt('name:alice');

      expect(attempts.locks).toEqual([MAX_LOCK_MS]);
    });

    it('refuses with 429 and the seconds to wait while the subject is locked, without counting', async () => {
      attempts.rows.set('user:u1', { failures: 9, lockedUntil: START + 16_000 });

      const error = await refusal('user:u1');

      expect(error.getStatus()).toBe(HttpStatus.TOO_MANY_REQUESTS);
      expect(error.retryAfterSeconds).toBe(16);
      expect(error.message).toBe('Too many failed password attempts: try again in 16 seconds');
      expect(attempts.rows.get('user:u1')).toEqual({ failures: 9, lockedUntil: START + 16_000 });
    });

    it.each([
      [1, 1, 'try again in 1 second'],
      [1000, 1, 'try again in 1 second'],
      [1001, 2, 'try again in 2 seconds'],
      [MAX_LOCK_MS, 900, 'try again in 900 seconds'],
    ])('rounds %j ms left up to %j s: "%s"', async (waitMs, seconds, ending) => {
      attempts.rows.set('name:alice', { failures: 5, lockedUntil: START + waitMs });

      const error = await refusal('name:alice');

      expect(error.retryAfterSeconds).toBe(seconds);
      expect(error.message).toBe(`Too many failed password attempts: ${ending}`);
    });

    it('lets an attempt through once the lock has ended', async () => {
      await attempt('name:alice', FREE_FAILURES + 1);
      now += 999;
      await refusal('name:alice');

      now += 1;

      await expect(throttle.attempt('name:alice')).resolves.toBeUndefined();
      expect(attempts.rows.get('name:alice')).toMatchObject({ failures: FREE_FAILURES + 2 });
    });

    it("does not lock other subjects with one subject's attempts", async () => {
      await attempt('name:alice', FREE_FAILURES + 3);

      await refusal('name:alice');
      await expect(throttle.attempt('name:bob')).resolves.toBeUndefined();
      await expect(throttle.attempt('user:u1')).resolves.toBeUndefined();
    });
  });

  describe('succeeded', () => {
    it('lifts the lock and starts the count again', async () => {
      await attempt('name:alice', FREE_FAILURES + 2);

      await throttle.succeeded('name:alice');

      attempts.locks.length = 0;
      await attempt('name:alice', FREE_FAILURES);
      expect(attempts.locks).toEqual([0, 0, 0, 0]);
    });

    it("leaves other subjects' counts alone", async () => {
      await attempt('name:bob', FREE_FAILURES + 1);

      await throttle.succeeded('name:alice');

      await refusal('name:bob');
    });
  });
});

describe(`${LoginThrottle.name} over the database`, () => {
  let dir: string;
  let db: Kysely<Database>;
  let throttle: LoginThrottle;
  let now: number;

  /** The lock of the only subject these tests count. */
  async function lockedUntil(): Promise<number> {
    const row = await db.selectFrom('loginAttempts').select('lockedUntil').executeTakeFirstOrThrow();
    return row.lockedUntil;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-throttle-spec-'));
    db = createDatabase({ dialect: 'sqlite', file: join(dir, 'app.db') });
    await migrateToLatest(db);
    throttle = new LoginThrottle(new LoginAttemptsRepository(db));
    now = START;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('doubles the lock from 1 s and caps it at 15 minutes', async () => {
    const locks: number[] = [];
    for (let i = 0; i < FREE_FAILURES + 12; i++) {
      await throttle.attempt('name:alice');
      const until = await lockedUntil();
      locks.push(until === 0 ? 0 : until - now);
      now = Math.max(now, until);
    }

    expect(locks).toEqual([
      ...Array<number>(FREE_FAILURES).fill(0),
      ...[1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((s) => s * 1000),
      MAX_LOCK_MS,
      MAX_LOCK_MS,
    ]);
  });

  it('lets exactly one of 20 simultaneous attempts through when the lock ends', async () => {
    for (let i = 0; i < FREE_FAILURES + 1; i++) await throttle.attempt('name:alice');
    now += 1000;

    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => throttle.attempt('name:alice')),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(refusals).toHaveLength(19);
    for (const error of refusals) {
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect(error).toMatchObject({ retryAfterSeconds: 2 });
    }
  });
});
