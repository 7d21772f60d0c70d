import { type Kysely, sql } from 'kysely';

// Migrations are frozen once released: add a new file rather than editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Raised at every password or role change: a session made under an older value is dead, even
  // one whose login was still checking the old password while the change was committed.
  await db.schema
    .alterTable('users')
    .addColumn('session_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The session a renewal replaced: ending that one (a racing logout) ends its successor too.
  await db.schema.alterTable('sessions').addColumn('replaces', 'text').execute();
  await db.schema.createIndex('sessions_replaces_idx').on('sessions').column('replaces').execute();
  // Login attempts are counted before the password is checked, under a digest of what is
  // throttled (never a typed name, which is sometimes a password typed in the wrong field).
  await db.schema.dropTable('login_failures').execute();
  await db.schema
    .createTable('login_attempts')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failed_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint', (c) => c.notNull())
    .addColumn('last_attempt', 'text', (c) => c.notNull().defaultTo(sql`''`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_attempts').execute();
  await db.schema
    .createTable('login_failures')
    .addColumn('name_key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failed_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.dropIndex('sessions_replaces_idx').execute();
  await db.schema.alterTable('sessions').dropColumn('replaces').execute();
  await db.schema.alterTable('users').dropColumn('session_version').execute();
}
