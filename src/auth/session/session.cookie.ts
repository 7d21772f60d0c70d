import type { CookieOptions, Request } from 'express';
import type { AppConfig } from '../../config/configuration';

/** `__Host-` binds the cookie to this exact origin under TLS; plain HTTP cannot use that prefix. */
export function sessionCookieName(config: AppConfig): string {
  return config.secureCookies ? '__Host-sid' : 'sid';
}

/**
 * Under TLS the cookie is always `Secure`. Over plain HTTP it is `Secure` exactly when Express
 * says the request was HTTPS, which only a proxy trusted through `TRUST_PROXY` can claim.
 */
export function sessionCookieOptions(config: AppConfig, req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: config.secureCookies || req.secure };
}
