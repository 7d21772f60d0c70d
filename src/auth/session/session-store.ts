import { type SessionData, Store } from 'express-session';

/** A live session as the store holds it. */
export interface StoredSession {
  sid: string;
  session: SessionData;
  /** Epoch ms of the last request, to within the store's write interval; null when unknown. */
  lastSeenAt: number | null;
}

/**
 * An express-session store with the guarantees account security needs; the database store
 * implements it, and a Redis store can too.
 *
 * Sessions come into being only through {@link create} and {@link rotate}: `set` (what
 * express-session calls for a changed session) and `touch` only update a session that is still
 * alive. So a slow request finishing after a logout cannot bring the session back.
 */
export abstract class SessionStore extends Store {
  /**
   * Stores a new session; `replaces`, the request's previous session if any, ends in the same
   * step. False, and nothing stored, when the session's user no longer exists (deleted meanwhile).
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
}
