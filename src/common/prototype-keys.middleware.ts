import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses JSON bodies with `__proto__`, `constructor` or `prototype` keys at any depth. Nothing
 * here would be polluted by them (JSON.parse makes them plain own properties), but
 * class-transformer drops them silently, so the DTO whitelist would never report them: say so
 * instead of quietly ignoring what the client sent.
 */
export function rejectPrototypeKeys(req: Request, _res: Response, next: NextFunction): void {
  const found = findForbiddenKey(req.body as unknown, '');
  if (found) return next(new BadRequestException([`property ${found} should not exist`]));
  next();
}

function findForbiddenKey(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (FORBIDDEN.has(key)) return at;
    const inner = findForbiddenKey((value as Record<string, unknown>)[key], at);
    if (inner) return inner;
  }
  return undefined;
}
