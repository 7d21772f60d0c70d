import type { Migration } from 'kysely/migration';
import * as usersAndSessions from './0001-users-and-sessions.js';
import * as sessionActivity from './0002-session-activity.js';
import * as throttling from './0003-throttling.js';
import * as sessionSafety from './0004-session-safety.js';

/** Every migration, in order; names sort as they apply. */
export const migrations: Record<string, Migration> = {
  '0001-users-and-sessions': usersAndSessions,
  '0002-session-activity': sessionActivity,
  '0003-throttling': throttling,
  '0004-session-safety': sessionSafety,
};
