import type { RequestHandler } from 'express';
import session, { type Store } from 'express-session';
import type { AppConfig } from '../../config/configuration';
import { sessionCookieName, sessionCookieOptions } from './session.cookie';

/**
 * Sessions are created only at login (`saveUninitialized: false`), never for anonymous visits.
 * The cookie lives until the absolute timeout; the store enforces the idle one.
 */
export function createSessionMiddleware(config: AppConfig, store: Store): RequestHandler {
  return session({
    name: sessionCookieName(config),
    secret: config.sessionSecrets,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    cookie: { ...sessionCookieOptions(config), maxAge: config.sessionAbsoluteTimeoutMs },
  });
}
