import type { Database as BetterSqlite3Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** How many distinct statements stay prepared; the app has a few dozen, the rest are rare. */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * The database Kysely's SQLite driver sees, keeping each prepared statement for reuse: the driver
 * prepares every query's SQL anew, which cost more than running the query itself (the profile of
 * `npm run bench:profile`). Least recently used statements are dropped past `size`. A statement
 * still being iterated (a streamed query) is busy, so that query gets a fresh one of its own.
 */
export function withStatementCache(
  database: BetterSqlite3Database,
  size = STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string): Statement {
      const cached = statements.get(sql);
      if (cached && !cached.busy) {
        // Map order is insertion order: moving it to the end keeps the oldest first.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      if (!cached) {
        statements.set(sql, statement);
        if (statements.size > size) statements.delete(statements.keys().next().value!);
      }
      return statement;
    },
  };
}
