import { type Kysely, Migrator } from 'kysely';
import type { Database } from './database.types';
import { migrations } from './migrations';

/**
 * Applies pending migrations. Kysely's migrator takes a lock in the database, so instances that
 * start together apply each migration once. Returns the names applied now.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
