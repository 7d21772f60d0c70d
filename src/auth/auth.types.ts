import type { User } from '../users/user';

declare module 'express-session' {
  interface SessionData {
    userId: string;
    /** Epoch ms of the login; the absolute timeout counts from here. */
    authenticatedAt: number;
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
