import { applyDecorators, type ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Request } from 'express';
import type { AppConfig, RateLimit } from '../../config/configuration';
import { ErrorResponse } from '../../common/error.response';
import type { DatabaseThrottlerStorage } from './database-throttler.storage';

type Limited = 'login' | 'signup';
const LIMITED: readonly Limited[] = ['login', 'signup'];

/**
 * Limits a route per client address with the named limit from the configuration
 * (`RATE_LIMIT_LOGIN`, `RATE_LIMIT_SIGNUP`); 429 with `Retry-After` past it.
 */
export function RateLimited(name: Limited): MethodDecorator {
  const others = Object.fromEntries(LIMITED.filter((other) => other !== name).map((other) => [other, true]));
  return applyDecorators(
    UseGuards(ThrottlerGuard),
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
    errorMessage: (_context, { timeToBlockExpire }) =>
      `Too many requests from your address: try again in ${timeToBlockExpire} second${timeToBlockExpire === 1 ? '' : 's'}`,
  };
}
