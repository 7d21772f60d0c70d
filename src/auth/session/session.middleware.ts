import type { RequestHandler } from 'express';
import session, { type Store } from 'express-session';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config/configuration.js';
import { sessionCookieName, sessionCookieSettings } from './session.cookie.js';

/** 256 random bits, base64url: unguessable, and the same alphabet in a cookie as in a log. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Sessions are created only at login (`saveUninitialized: false`), never for anonymous visits.
 * The cookie lives until the absolute timeout; the store enforces both timeouts.
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
    unset: 'destroy',
    cookie: sessionCookieSettings(config),
  });
}
