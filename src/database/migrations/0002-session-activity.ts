import type { Kysely } from 'kysely';

// Migrations are frozen once released: add a new file rather than editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Epoch ms of the last request, to within the store's write interval; null for sessions made
  // before this column existed, whose last activity nobody recorded.
  await db.schema.alterTable('sessions').addColumn('last_seen_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('last_seen_at').execute();
}
