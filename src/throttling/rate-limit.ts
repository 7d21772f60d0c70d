import { applyDecorators, type ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import {
  SkipThrottle,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import type { Request } from 'express';
import type { AppConfig, RateLimit } from '../config/configuration.js';
import { ErrorResponse } from '../common/error.response.js';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import type { DatabaseThrottlerStorage } from './database-throttler.storage.js';

type Limited = 'login' | 'signup';
const LIMITED: readonly Limited[] = ['login', 'signup'];

/**
 * @nestjs/throttler's guard, answering like the rest of the API: its own headers carry the
 * throttler's name (`Retry-After-login`), which no client understands, so they are off and the
 * 429 goes through the global filter with a plain `Retry-After`.
 */
@Injectable()
export class AddressThrottlerGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    _context: ExecutionContext,
    { timeToBlockExpire: seconds }: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new TooManyRequestsException(
      `Too many requests from your address: try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
      seconds,
    );
  }
}

/**
 * Limits a route per client address with the named limit from the configuration
 * (`RATE_LIMIT_LOGIN`, `RATE_LIMIT_SIGNUP`); 429 with `Retry-After` past it.
 */
export function RateLimited(name: Limited): MethodDecorator {
  const others = Object.fromEntries(LIMITED.filter((other) => other !== name).map((other) => [other, true]));
  return applyDecorators(
    UseGuards(AddressThrottlerGuard),
    SkipThrottle(others),
    ApiTooManyRequestsResponse({
      type: ErrorResponse,
      description: 'Too many attempts; Retry-After says when to try again',
    }),
  );
}

/** @nestjs/throttler's options: the address is Express's `req.ip`, so `TRUST_PROXY` decides it. */
export function throttlerOptions(
  config: AppConfig,
  storage: DatabaseThrottlerStorage,
): ThrottlerModuleOptions {
  const throttler = (name: Limited, limit: RateLimit | undefined) => ({
    name,
    limit: limit?.limit ?? 0,
    ttl: limit?.ttlMs ?? 0,
    // Off in the configuration, or an admin adding users: not counted at all.
    skipIf: (context: ExecutionContext) =>
      limit === undefined ||
      (name === 'signup' && context.switchToHttp().getRequest<Request>().user?.role === 'admin'),
  });
  return {
    throttlers: [throttler('login', config.rateLimits.login), throttler('signup', config.rateLimits.signup)],
    storage,
    setHeaders: false,
  };
}
