import type { Kysely } from 'kysely';

// Migrations are frozen once released: add a new file rather than editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Per-address request counters for @nestjs/throttler, shared by every process and instance.
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('window_ends_at', 'bigint', (c) => c.notNull())
    .addColumn('blocked_until', 'bigint', (c) => c.notNull())
    .execute();
  // Failed logins per name, whether or not such a user exists (so a lock tells nothing about it).
  await db.schema
    .createTable('login_failures')
    .addColumn('name_key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failed_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_failures').execute();
  await db.schema.dropTable('rate_limits').execute();
}
