import type { CookieOptions, Request } from 'express';
import type { SessionOptions } from 'express-session';
import type { AppConfig } from '../config/configuration.js';

const ALWAYS = { httpOnly: true, sameSite: 'lax', path: '/' } as const;

/** `__Host-` binds the cookie to this exact origin under TLS; plain HTTP cannot use that prefix. */
export function sessionCookieName(config: AppConfig): string {
  return config.secureCookies ? '__Host-sid' : 'sid';
}

/**
 * Under TLS the cookie is always `Secure`. Over plain HTTP it is `Secure` exactly when Express
 * says the request was HTTPS, which only a proxy trusted through `TRUST_PROXY` can claim.
 */
export function sessionCookieOptions(config: AppConfig, req: Request): CookieOptions {
  return { ...ALWAYS, secure: config.secureCookies || req.secure };
}

/** The same rules for express-session, which decides `'auto'` per request and sets the lifetime. */
export function sessionCookieSettings(config: AppConfig): SessionOptions['cookie'] {
  return { ...ALWAYS, secure: config.secureCookies ? true : 'auto', maxAge: config.sessionAbsoluteTimeoutMs };
}
