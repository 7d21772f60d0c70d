import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

// A caller's id is kept only when it is short and plain, so it cannot inject into logs or headers.
const ACCEPTABLE = /^[\w.:-]{1,128}$/;

/** Gives every request an id, echoed as `X-Request-Id` and used in logs. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  res.setHeader('X-Request-Id', incoming && ACCEPTABLE.test(incoming) ? incoming : randomUUID());
  next();
}
