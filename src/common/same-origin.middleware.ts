import { ForbiddenException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// What browsers send for a request from this origin, or one the user typed or bookmarked.
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * Cross-site request forgery defence for the API, beside `SameSite=Lax` cookies (docs/security.md). A state-changing request must come from this server's own origin, and its
 * body, if any, must be JSON: a plain HTML form can send neither, and a script on another
 * origin cannot send JSON without a CORS preflight, which this server never grants.
 */
export function sameOriginJsonOnly(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
  const site = req.get('sec-fetch-site');
  if (site !== undefined && !OWN_FETCH_SITES.has(site)) {
    return next(new ForbiddenException(`Cross-site requests are refused (Sec-Fetch-Site: ${site})`));
  }
  const origin = req.get('origin');
  if (origin !== undefined && !isOwnOrigin(req, origin)) {
    return next(new ForbiddenException('Cross-origin requests are refused: Origin is not this server'));
  }
  if (hasBody(req) && !req.is('application/json')) {
    return next(new UnsupportedMediaTypeException('Send the request body as application/json'));
  }
  next();
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
}

/** Compares origins as URLs (case, default ports); protocol and host follow `TRUST_PROXY`. */
function isOwnOrigin(req: Request, origin: string): boolean {
  try {
    return new URL(origin).origin === new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    // "null" (sandboxed frames, privacy redirects) or garbage: not ours.
    return false;
  }
}
