import type { Kysely } from 'kysely';
import { pruneExpiredSessions } from './sessions/database-session.store.js';
import { pruneRateLimits } from './throttling/database-throttler.storage.js';
import { pruneLoginAttempts } from './throttling/login-attempts.repository.js';
import type { Database } from './database/database.types.js';

export const HOUSEKEEPING_EVERY_MS = 10 * 60_000;

/**
 * Deletes rows that reads already ignore (dead sessions, ended rate-limit windows, forgotten
 * login failures). It only reclaims space, so it runs once per machine (the supervisor, or the
 * single process), not in every worker.
 */
export async function housekeeping(db: Kysely<Database>): Promise<void> {
  await pruneExpiredSessions(db);
  await pruneRateLimits(db);
  await pruneLoginAttempts(db);
}
