import { type SessionData, Store } from 'express-session';
import { DependencyUnavailableError } from '../common/dependency-unavailable.error.js';
import type { AppConfig } from '../config/configuration.js';
import { isDatabaseUnavailable } from '../database/database.factory.js';

/** A live session as the store holds it. */
export interface StoredSession {
  sid: string;
  session: SessionData;
  /** Epoch ms of the last request, to within the store's write interval; null when unknown. */
  lastSeenAt: number | null;
}

/**
 * An express-session store with the guarantees account security needs, implemented on the
 * database and on Redis.
 *
 * Sessions come into being only through {@link create} and {@link rotate}: `set` (what
 * express-session calls for a changed session) and `touch` only update a session that is still
 * alive. So a slow request finishing after a logout cannot bring the session back.
 */
export abstract class SessionStore extends Store {
  /**
   * Stores a new session; `replaces`, the request's previous session if any, ends in the same
   * step. False, and nothing stored, when the store can tell that the session's user no longer
   * exists (deleted meanwhile); a store that cannot see users (Redis) leaves that to the session
   * guard, which refuses a session whose user is gone.
   */
  abstract create(sid: string, session: SessionData, replaces?: string): Promise<boolean>;

  /**
   * Gives a live session a new id in one step. False, and nothing stored, when `oldSid` has
   * ended meanwhile; and destroying `oldSid` later (a logout that loaded it before the renewal)
   * ends the new one too. Either way a logout racing a password change wins.
   */
  abstract rotate(oldSid: string, newSid: string, session: SessionData): Promise<boolean>;

  /** The user's live sessions, found through an index by user (never a scan of all sessions). */
  abstract listByUser(userId: string): Promise<StoredSession[]>;

  /** Resolves when the store answers; rejects when it cannot be used (readiness checks). */
  abstract ping(): Promise<void>;

  /** Ends every session of `userId`, except `exceptSid` when given. */
  abstract destroyByUser(userId: string, exceptSid?: string): Promise<void>;

  /** Lets go of connections the store owns (at shutdown); the database's are not its own. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Idle timeout from `now`, but never past the absolute timeout counted from the login. */
export function sessionDeadline(
  config: Pick<AppConfig, 'sessionIdleTimeoutMs' | 'sessionAbsoluteTimeoutMs'>,
  session: SessionData,
  now: number,
): number {
  const idle = now + config.sessionIdleTimeoutMs;
  const { authenticatedAt } = session;
  return typeof authenticatedAt === 'number'
    ? Math.min(idle, authenticatedAt + config.sessionAbsoluteTimeoutMs)
    : idle;
}

/**
 * Answers express-session's `set` or `touch` at once, for a call with nothing to write. An
 * answer in the same tick lets express-session send the response in one piece; a later one makes
 * it send all but the body's last byte, and that byte when the answer comes: two socket writes
 * instead of one on every request that uses a session.
 */
export function nothingToWrite(callback?: (error?: unknown) => void): void {
  callback?.();
}

/**
 * For `touch`, which only moves a live session's deadline: a store that cannot be reached right
 * now is no error. The response has been sent by then (express-session waits only for its last
 * byte), and an error there would cost the client its keep-alive connection for nothing; the
 * next request touches again.
 */
export function unlessUnavailable(error: unknown): void {
  if (error instanceof DependencyUnavailableError || isDatabaseUnavailable(error)) return;
  throw error;
}

/** Hands a promise's outcome to a Node-style callback, outside the promise chain. */
export function deliver<T>(work: Promise<T>, callback?: (error: unknown, result?: T) => void): void {
  work.then(
    (result) => process.nextTick(() => callback?.(null, result)),
    (error: unknown) => process.nextTick(() => callback?.(error)),
  );
}

/**
 * The session's own data, as express-session compares it: the cookie's expiry moves at the end
 * of every request (its touch), which is no change worth a write.
 */
export function withoutCookie(session: SessionData): string {
  return JSON.stringify(session, (key, value: unknown) => (key === 'cookie' ? undefined : value));
}

/** A row that does not hold a session (damaged, or written by something else) is no session. */
export function parseSession(data: string): SessionData | null {
  try {
    const parsed = JSON.parse(data) as SessionData | null;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.cookie === 'object' ? parsed : null;
  } catch {
    return null;
  }
}
