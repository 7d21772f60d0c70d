import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
/** Far deeper than any DTO here; recursive code downstream (class-transformer) overflows near 1000. */
export const MAX_BODY_DEPTH = 32;

/**
 * Checks a parsed JSON body before anything recursive sees it, with an explicit stack:
 * - nesting deeper than {@link MAX_BODY_DEPTH} gets 400 (it would overflow the call stack);
 * - `__proto__`, `constructor` or `prototype` keys get 400 naming the key. JSON.parse makes
 *   them plain own properties, so nothing is polluted, but class-transformer drops them
 *   silently and the DTO whitelist would never report them.
 */
export function checkBodyShape(req: Request, _res: Response, next: NextFunction): void {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [
    { value: req.body as unknown, path: '', depth: 0 },
  ];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, path, depth } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) {
      return next(new BadRequestException(`Request body is nested more than ${MAX_BODY_DEPTH} levels deep`));
    }
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (FORBIDDEN.has(key)) return next(new BadRequestException([`property ${at} should not exist`]));
      pending.push({ value: (value as Record<string, unknown>)[key], path: at, depth: depth + 1 });
    }
  }
  next();
}
