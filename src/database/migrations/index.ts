import type { Migration } from 'kysely';
import * as usersAndSessions from './0001-users-and-sessions';

/** Every migration, in order; names sort as they apply. */
export const migrations: Record<string, Migration> = {
  '0001-users-and-sessions': usersAndSessions,
};
