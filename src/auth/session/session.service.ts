import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Session } from 'express-session';
import { AppConfig } from '../../config/configuration';
import '../auth.types';
import { sessionCookieName, sessionCookieOptions } from './session.cookie';
import { SessionStore } from './session-store';

/** Starts, renews and ends sessions; the one place that drives express-session's callbacks. */
@Injectable()
export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly config: AppConfig,
  ) {}

  /** A fresh session (new id, the old one destroyed) for `userId`, authenticated now. */
  async start(req: Request, userId: string): Promise<void> {
    await call(req.session, 'regenerate');
    req.session.userId = userId;
    req.session.authenticatedAt = Date.now();
    await call(req.session, 'save');
  }

  /**
   * Drops the request's session without touching the response: the request goes on as
   * anonymous with an empty session that is never stored (so a login can still follow).
   */
  async drop(req: Request): Promise<void> {
    if (req.session) await call(req.session, 'regenerate');
  }

  /** Destroys the request's session and tells the browser to forget the cookie. */
  async end(req: Request, res: Response): Promise<void> {
    if (req.session) await call(req.session, 'destroy');
    res.clearCookie(sessionCookieName(this.config), sessionCookieOptions(this.config));
  }

  /** Ends every session of `userId` but the request's own. */
  async endOthers(req: Request, userId: string): Promise<void> {
    await this.store.destroyByUser(userId, req.sessionID);
  }

  async endAll(userId: string): Promise<void> {
    await this.store.destroyByUser(userId);
  }
}

function call(session: Session, method: 'regenerate' | 'save' | 'destroy'): Promise<void> {
  return new Promise((resolve, reject) =>
    session[method]((error?: Error) => (error ? reject(error) : resolve())),
  );
}
