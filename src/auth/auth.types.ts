import type { User } from '../users/user.js';

declare module 'express-session' {
  interface SessionData {
    /** Set for every stored session: there are no anonymous ones. */
    userId?: string;
    /** Epoch ms of the login; the absolute timeout counts from here. */
    authenticatedAt?: number;
    /** The user's session version at login: a password or role change since makes it stale. */
    sessionVersion?: number;
    /** The browser's User-Agent at login (cut to a sane length), to tell sessions apart in lists. */
    userAgent?: string;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the session guard when the request belongs to a logged-in user. */
      user?: User;
    }
  }
}
