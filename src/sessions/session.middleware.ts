import type { RequestHandler } from 'express';
import session, { type Store } from 'express-session';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config/configuration.js';
import { sessionCookieName, sessionCookieSettings } from './session.cookie.js';

/** 256 random bits, base64url: unguessable, and the same alphabet in a cookie as in a log. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Sessions are created only at login (`saveUninitialized: false`), never for anonymous visits.
 * The cookie lives until the absolute timeout; the store enforces both timeouts.
 *
 * Sessions end only through SessionService (`session.destroy()`), never as a side effect:
 * `unset: 'keep'`, because with `'destroy'` express-session destroys the cookie's session at the
 * end of every request that has no `req.session`, and a request whose session could not be read
 * (the store timed out) has none. That destroy, sent to a store that was not answering, ran when
 * it answered again and logged everyone out who had made a request meanwhile.
 */
export function createSessionMiddleware(config: AppConfig, store: Store): RequestHandler {
  return session({
    name: sessionCookieName(config),
    secret: config.sessionSecrets,
    store,
    genid: newSessionId,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'keep',
    cookie: sessionCookieSettings(config),
  });
}
