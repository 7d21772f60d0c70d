import { Store } from 'express-session';

/**
 * An express-session store that can also find sessions by user, which password changes and
 * account deletion need. The database store implements it; a Redis store can too.
 */
export abstract class SessionStore extends Store {
  /** Ends every session of `userId`, except `exceptSid` when given. */
  abstract destroyByUser(userId: string, exceptSid?: string): Promise<void>;
}
