import type { User } from '../users/user.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the session guard when the request belongs to a logged-in user. */
      user?: User;
    }
  }
}
