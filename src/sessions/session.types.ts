/** What every stored session holds besides express-session's cookie. */
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

export {};
