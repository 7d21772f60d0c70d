import type { CookieOptions } from 'express';
import type { AppConfig } from '../../config/configuration';

/** `__Host-` binds the cookie to this exact origin under TLS; plain HTTP cannot use that prefix. */
export function sessionCookieName(config: AppConfig): string {
  return config.secureCookies ? '__Host-sid' : 'sid';
}

export function sessionCookieOptions(config: AppConfig): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: config.secureCookies };
}
