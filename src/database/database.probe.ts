import BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import type { DatabaseConfig } from '../config/configuration.js';
import type { Database } from './database.types.js';

/** Long enough for another worker's write to finish, short enough to block this one barely. */
const SQLITE_PROBE_WAIT_MS = 100;

/**
 * Resolves when the database answers and could take a write now; rejects otherwise (readiness).
 * On SQLite a plain query is not enough: reads go on (WAL) while another process holds the write
 * lock, yet every write then waits out the busy timeout and fails. A second connection that
 * barely waits tells at once whether the lock can be had.
 */
export async function probeDatabase(db: Kysely<Database>, config: DatabaseConfig): Promise<void> {
  await sql`select 1`.execute(db);
  if (config.dialect !== 'sqlite' || config.file === ':memory:') return;
  const probe = new BetterSqlite3(config.file, { fileMustExist: true, timeout: SQLITE_PROBE_WAIT_MS });
  try {
    probe.exec('begin immediate');
    probe.exec('rollback');
  } finally {
    probe.close();
  }
}
