import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';

/**
 * What differs between SQLite and PostgreSQL in a table definition, so a migration names a
 * column's kind once and never branches on the dialect by hand:
 *
 *   const { uuid, timestamp, now } = columnTypes(db);
 *   .addColumn('id', uuid, (c) => c.primaryKey())
 *   .addColumn('owner_id', uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
 *   .addColumn('created_at', timestamp, (c) => c.notNull().defaultTo(now))
 *
 * Timestamps are ISO 8601 strings on SQLite and `timestamptz` on PostgreSQL; the pg driver is set
 * to read those back as ISO strings too (database.factory.ts), so both give the same values.
 */
export interface ColumnTypes {
  postgres: boolean;
  /** `uuid`, or `text` on SQLite. */
  uuid: RawBuilder<unknown>;
  /** `timestamptz`, or `text` (ISO 8601, UTC) on SQLite. */
  timestamp: RawBuilder<unknown>;
  /** The current time as a column default, in the form {@link timestamp} stores. */
  now: RawBuilder<unknown>;
}

export function columnTypes(db: Kysely<unknown>): ColumnTypes {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    postgres,
    uuid: sql.raw(postgres ? 'uuid' : 'text'),
    timestamp: sql.raw(postgres ? 'timestamptz' : 'text'),
    now: postgres ? sql`now()` : sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
  };
}
