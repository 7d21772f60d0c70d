import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { Database } from './database.types.js';

/**
 * Decisions that must see every competing write before they are made, each with the key of its
 * PostgreSQL advisory lock. The keys are arbitrary constants, distinct from Kysely's migration
 * lock; they hold for the whole database, so every schema of it shares them (harmlessly).
 */
const LOCK_KEYS = {
  /** Who is admin: the first user becomes one, the last one stays one. */
  'users.admins': 7_311_201_510_458_112n,
} as const;

export type LockName = keyof typeof LOCK_KEYS;

/**
 * Runs `work` so that no other `work` under the same `name` runs at the same time, anywhere.
 *
 * SQLite serialises every write already: `work` simply runs. PostgreSQL under READ COMMITTED
 * lets two statements each check the other's row before either commits (two first sign-ups both
 * seeing no user), so there `work` runs in a transaction that first takes an advisory lock held
 * until it ends: each statement after it sees what the previous holder committed.
 *
 * `work` must make all its queries through the handle it is given (another pool connection
 * could wait on the lock holder). An error it throws rolls the transaction back, then comes out
 * of this call unchanged, so the caller maps driver errors as without a transaction.
 */
export function serializeOnPostgres<T>(
  db: Kysely<Database>,
  name: LockName,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return work(db);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(LOCK_KEYS[name])})`.execute(trx);
    return work(trx);
  });
}
