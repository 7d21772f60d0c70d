import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Session } from 'express-session';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/configuration.js';
import './session.types.js';
import { sessionCookieName, sessionCookieOptions } from './session.cookie.js';
import { SessionStore } from './session-store.js';

/** What a user sees of one of their sessions; `id` is a handle, never the session id itself. */
export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string | null;
  userAgent: string | null;
  current: boolean;
}

const MAX_USER_AGENT = 256;

/** Who a session is for: any user record with these two fields (sessions know nothing more of users). */
export interface SessionOwner {
  id: string;
  sessionVersion: number;
}

/**
 * Starts, renews, lists and ends sessions; the one place that drives express-session. New ids
 * come from express-session's own generator (`sessionStore.generate`, what `regenerate` uses)
 * and are stored only through the store's `create` and `rotate`.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly config: AppConfig,
  ) {}

  /**
   * A fresh session (new id) for `user`, authenticated now; the request's old session ends.
   * False when the user was deleted meanwhile.
   */
  async start(req: Request, user: SessionOwner): Promise<boolean> {
    const previous = req.session ? req.sessionID : undefined;
    req.sessionStore.generate(req);
    req.session.userId = user.id;
    req.session.sessionVersion = user.sessionVersion;
    req.session.authenticatedAt = Date.now();
    const userAgent = req.get('user-agent');
    if (userAgent) req.session.userAgent = userAgent.slice(0, MAX_USER_AGENT);
    if (await unlessFailed(req, this.store.create(req.sessionID, req.session, previous))) return true;
    await destroySession(req.session);
    return false;
  }

  /**
   * Gives the request's session a new id and the user's new session version, keeping its login
   * time: the old id is dead at once. False when the session ended meanwhile (a logout
   * elsewhere); the request is then anonymous.
   */
  async renew(req: Request, sessionVersion: number): Promise<boolean> {
    const previous = req.sessionID;
    const { cookie: _, ...data } = req.session;
    req.sessionStore.generate(req);
    Object.assign(req.session, data, { sessionVersion });
    // The cookie must not outlive the absolute timeout, which still counts from the login.
    // (Setting expires also sets originalMaxAge, which express-session's touch() resets to.)
    const end = (data.authenticatedAt ?? Date.now()) + this.config.sessionAbsoluteTimeoutMs;
    req.session.cookie.expires = new Date(end);
    if (await unlessFailed(req, this.store.rotate(previous, req.sessionID, req.session))) return true;
    await destroySession(req.session);
    return false;
  }

  /**
   * Ends the request's session without touching the response: the request goes on as
   * anonymous (a login can still follow), and no cookie is sent back.
   */
  async drop(req: Request): Promise<void> {
    if (req.session) await destroySession(req.session);
  }

  /** Destroys the request's session and tells the browser to forget the cookie. */
  async end(req: Request, res: Response): Promise<void> {
    await this.drop(req);
    res.clearCookie(sessionCookieName(this.config), sessionCookieOptions(this.config, req));
  }

  /** The user's live sessions, newest login first. */
  async list(req: Request, userId: string): Promise<SessionInfo[]> {
    const sessions = await this.store.listByUser(userId);
    return sessions
      .sort((a, b) => (b.session.authenticatedAt ?? 0) - (a.session.authenticatedAt ?? 0))
      .map(({ sid, session, lastSeenAt }) => ({
        id: sessionHandle(sid),
        createdAt: new Date(session.authenticatedAt ?? 0).toISOString(),
        lastSeenAt: lastSeenAt === null ? null : new Date(lastSeenAt).toISOString(),
        userAgent: session.userAgent ?? null,
        current: sid === req.sessionID,
      }));
  }

  /** Ends the user's session with this handle; false when they have none such. */
  async endByHandle(req: Request, res: Response, userId: string, handle: string): Promise<boolean> {
    const found = (await this.store.listByUser(userId)).find(({ sid }) => sessionHandle(sid) === handle);
    if (!found) return false;
    if (found.sid === req.sessionID) await this.end(req, res);
    else
      await new Promise<void>((resolve, reject) =>
        this.store.destroy(found.sid, (error?: Error) => (error ? reject(error) : resolve())),
      );
    return true;
  }

  /** Ends every session of `userId` but the request's own. */
  async endOthers(req: Request, userId: string): Promise<void> {
    await this.store.destroyByUser(userId, req.sessionID);
  }

  async endAll(userId: string): Promise<void> {
    await this.store.destroyByUser(userId);
  }

  /** Whether the session store answers (readiness). */
  ping(): Promise<void> {
    return this.store.ping();
  }
}

/**
 * The public handle of a session: a one-way digest of its id. The id has 256 random bits, so the
 * handle reveals nothing usable, yet stays the same for as long as the id does, in any store.
 */
export function sessionHandle(sid: string): string {
  return createHash('sha256').update(sid).digest('base64url').slice(0, 22);
}

/**
 * `write`'s outcome. When it fails (the store is down), the request forgets the new session, so
 * no cookie names a session that was never stored; the old one, if any, was left as it was.
 */
async function unlessFailed(req: Request, write: Promise<boolean>): Promise<boolean> {
  try {
    return await write;
  } catch (error) {
    const sessionState = req as { session?: unknown; sessionID?: unknown };
    delete sessionState.session;
    delete sessionState.sessionID;
    throw error;
  }
}

function destroySession(session: Session): Promise<void> {
  return new Promise((resolve, reject) =>
    session.destroy((error?: Error) => (error ? reject(error) : resolve())),
  );
}
