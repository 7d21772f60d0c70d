import type { Request, Response } from 'express';
import type { CookieOptions } from 'express';
import type { AppConfig } from '../../config/configuration';

/** `__Host-` binds the cookie to this exact origin under TLS; plain HTTP cannot use that prefix. */
export function sessionCookieName(config: AppConfig): string {
  return config.secureCookies ? '__Host-sid' : 'sid';
}

export function sessionCookieOptions(config: AppConfig): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: config.secureCookies };
}

/** Destroys the request's session in the store and tells the browser to drop the cookie. */
export async function endSession(req: Request, res: Response, config: AppConfig): Promise<void> {
  const session = req.session;
  if (session)
    await new Promise<void>((resolve, reject) =>
      session.destroy((error?: Error) => (error ? reject(error) : resolve())),
    );
  res.clearCookie(sessionCookieName(config), sessionCookieOptions(config));
}
