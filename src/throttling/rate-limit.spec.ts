import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerLimitDetail, ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { loadConfig } from '../config/configuration.js';
import type { Role } from '../database/database.types.js';
import type { DatabaseThrottlerStorage } from './database-throttler.storage.js';
import { AddressThrottlerGuard, throttlerOptions } from './rate-limit.js';

type ModuleOptions = Exclude<ThrottlerModuleOptions, ThrottlerOptions[]>;

const storage = {} as DatabaseThrottlerStorage;

function options(env: Record<string, string> = {}): ModuleOptions {
  const config = loadConfig({ SESSION_SECRET: 'rate-limit-spec-secret', ...env });
  return throttlerOptions(config, storage) as ModuleOptions;
}

function throttler(opts: ModuleOptions, name: string): ThrottlerOptions {
  const found = opts.throttlers.find((t) => t.name === name);
  if (!found) throw new Error(`no throttler named ${name}`);
  return found;
}

function contextFor(role?: Role): ExecutionContext {
  const req = role === undefined ? {} : { user: { id: 'u1', name: 'someone', role } };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

function skips(opts: ModuleOptions, name: string, role?: Role): boolean | undefined {
  return throttler(opts, name).skipIf?.(contextFor(role));
}

function refusal(timeToBlockExpire: number): Promise<void> {
  const guard = new AddressThrottlerGuard(options(), storage, new Reflector()) as unknown as {
    throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void>;
  };
  return guard.throwThrottlingException(contextFor(), { timeToBlockExpire } as ThrottlerLimitDetail);
}

describe(throttlerOptions.name, () => {
  it('names two throttlers, login and signup, with the default limits', () => {
    expect(options().throttlers).toEqual([
      expect.objectContaining({ name: 'login', limit: 20, ttl: 60_000 }),
      expect.objectContaining({ name: 'signup', limit: 30, ttl: 3_600_000 }),
    ]);
  });

  it('takes the limits from RATE_LIMIT_LOGIN and RATE_LIMIT_SIGNUP', () => {
    const opts = options({ RATE_LIMIT_LOGIN: '5/30s', RATE_LIMIT_SIGNUP: '2/1d' });

    expect(throttler(opts, 'login')).toMatchObject({ limit: 5, ttl: 30_000 });
    expect(throttler(opts, 'signup')).toMatchObject({ limit: 2, ttl: 86_400_000 });
  });

  it('counts in the given storage', () => {
    expect(options().storage).toBe(storage);
  });

  describe('skipIf', () => {
    it.each(['login', 'signup'])('counts %s requests from anonymous clients and users', (name) => {
      const opts = options();

      expect(skips(opts, name)).toBe(false);
      expect(skips(opts, name, 'user')).toBe(false);
    });

    it('skips sign-ups by an admin', () => {
      expect(skips(options(), 'signup', 'admin')).toBe(true);
    });

    it('counts logins by an admin', () => {
      expect(skips(options(), 'login', 'admin')).toBe(false);
    });

    it('skips logins when RATE_LIMIT_LOGIN is off, and only logins', () => {
      const opts = options({ RATE_LIMIT_LOGIN: 'off' });

      expect(skips(opts, 'login')).toBe(true);
      expect(skips(opts, 'signup')).toBe(false);
    });

    it('skips sign-ups when RATE_LIMIT_SIGNUP is off, and only sign-ups', () => {
      const opts = options({ RATE_LIMIT_SIGNUP: 'off' });

      expect(skips(opts, 'signup')).toBe(true);
      expect(skips(opts, 'login')).toBe(false);
    });
  });

  it("turns off the guard's own headers, whose names carry the throttler's", () => {
    expect(options().setHeaders).toBe(false);
  });
});

describe(AddressThrottlerGuard.name, () => {
  it('refuses with a TooManyRequestsException that carries the wait, for Retry-After', () => {
    let thrown: unknown;
    try {
      void refusal(42);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TooManyRequestsException);
    expect(thrown).toMatchObject({
      message: 'Too many requests from your address: try again in 42 seconds',
      retryAfterSeconds: 42,
    });
  });

  it('says "1 second" in the singular', () => {
    expect(() => refusal(1)).toThrow('Too many requests from your address: try again in 1 second');
  });
});
