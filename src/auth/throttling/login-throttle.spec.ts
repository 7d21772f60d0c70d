import { HttpStatus } from '@nestjs/common';
import { TooManyRequestsException } from '../../common/too-many-requests.exception';
import type { LoginFailuresRepository } from './login-failures.repository';
import { FREE_FAILURES, LoginThrottle } from './login-throttle';

type Public<T> = Pick<T, keyof T>;

const START = 1_767_225_600_000;
const MAX_LOCK_MS = 15 * 60_000;

interface Row {
  failures: number;
  lastFailedAt: number;
  lockedUntil: number;
}

/** Keeps counters in a Map and follows the real repository's rules: locks only ever rise. */
class FakeLoginFailuresRepository implements Public<LoginFailuresRepository> {
  readonly rows = new Map<string, Row>();
  readonly locks: [string, number][] = [];

  lockedUntil(nameKey: string): Promise<number> {
    return Promise.resolve(this.rows.get(nameKey)?.lockedUntil ?? 0);
  }

  add(nameKey: string, now: number): Promise<number> {
    const row = this.rows.get(nameKey) ?? { failures: 0, lastFailedAt: now, lockedUntil: 0 };
    row.failures += 1;
    row.lastFailedAt = now;
    this.rows.set(nameKey, row);
    return Promise.resolve(row.failures);
  }

  lock(nameKey: string, until: number): Promise<void> {
    this.locks.push([nameKey, until]);
    const row = this.rows.get(nameKey);
    if (row && row.lockedUntil < until) row.lockedUntil = until;
    return Promise.resolve();
  }

  clear(nameKey: string): Promise<void> {
    this.rows.delete(nameKey);
    return Promise.resolve();
  }
}

describe(LoginThrottle.name, () => {
  let failures: FakeLoginFailuresRepository;
  let throttle: LoginThrottle;
  let now: number;

  async function fail(nameKey: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) await throttle.failed(nameKey);
  }

  function lockDurations(): number[] {
    return failures.locks.map(([, until]) => until - now);
  }

  async function refusal(nameKey: string): Promise<TooManyRequestsException> {
    const error: unknown = await throttle.check(nameKey).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TooManyRequestsException);
    return error as TooManyRequestsException;
  }

  beforeEach(() => {
    failures = new FakeLoginFailuresRepository();
    throttle = new LoginThrottle(failures as unknown as LoginFailuresRepository);
    now = START;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('allows four failures without a lock', async () => {
    expect(FREE_FAILURES).toBe(4);

    await fail('alice', FREE_FAILURES);

    expect(failures.locks).toEqual([]);
    await expect(throttle.check('alice')).resolves.toBeUndefined();
  });

  it('records each failure at the current time', async () => {
    await throttle.failed('alice');

    expect(failures.rows.get('alice')).toMatchObject({ failures: 1, lastFailedAt: START });
  });

  it('locks for 1 s after the fifth failure and doubles the lock with each failure after it', async () => {
    await fail('alice', FREE_FAILURES + 5);

    expect(lockDurations()).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(failures.locks.every(([name]) => name === 'alice')).toBe(true);
  });

  it('caps the lock at 15 minutes', async () => {
    await fail('alice', FREE_FAILURES + 12);

    expect(lockDurations().slice(-3)).toEqual([512_000, MAX_LOCK_MS, MAX_LOCK_MS]);
  });

  it('keeps the 15-minute cap for a count far past the doubling', async () => {
    failures.rows.set('alice', { failures: 10_000, lastFailedAt: START, lockedUntil: 0 });

    await throttle.failed('alice');

    expect(lockDurations()).toEqual([MAX_LOCK_MS]);
  });

  describe('check', () => {
    it('passes a name that was never locked', async () => {
      await expect(throttle.check('nobody')).resolves.toBeUndefined();
    });

    it('throws TooManyRequestsException with the seconds to wait while the name is locked', async () => {
      failures.rows.set('alice', { failures: 9, lastFailedAt: START, lockedUntil: START + 16_000 });

      const error = await refusal('alice');

      expect(error.getStatus()).toBe(HttpStatus.TOO_MANY_REQUESTS);
      expect(error.retryAfterSeconds).toBe(16);
      expect(error.message).toBe('Too many failed logins with this name: try again in 16 seconds');
    });

    it.each([
      [1, 1, 'try again in 1 second'],
      [1000, 1, 'try again in 1 second'],
      [1001, 2, 'try again in 2 seconds'],
      [MAX_LOCK_MS, 900, 'try again in 900 seconds'],
    ])('rounds %j ms left up to %j s: "%s"', async (waitMs, seconds, ending) => {
      failures.rows.set('alice', { failures: 5, lastFailedAt: START, lockedUntil: START + waitMs });

      const error = await refusal('alice');

      expect(error.retryAfterSeconds).toBe(seconds);
      expect(error.message).toBe(`Too many failed logins with this name: ${ending}`);
    });

    it('passes once the lock has ended', async () => {
      await fail('alice', FREE_FAILURES + 1);
      await refusal('alice');

      now += 1000;

      await expect(throttle.check('alice')).resolves.toBeUndefined();
    });

    it("does not lock other names with one name's failures", async () => {
      await fail('alice', FREE_FAILURES + 3);

      await refusal('alice');
      await expect(throttle.check('bob')).resolves.toBeUndefined();
    });
  });

  describe('succeeded', () => {
    it('lifts the lock and starts the count again', async () => {
      await fail('alice', FREE_FAILURES + 2);

      await throttle.succeeded('alice');

      await expect(throttle.check('alice')).resolves.toBeUndefined();
      failures.locks.length = 0;
      await fail('alice', FREE_FAILURES);
      expect(failures.locks).toEqual([]);
    });

    it("leaves other names' counts alone", async () => {
      await fail('bob', FREE_FAILURES + 1);

      await throttle.succeeded('alice');

      await refusal('bob');
    });
  });
});
