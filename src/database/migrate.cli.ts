import '../runtime-check.js';
import { ConfigError, DEFAULT_DATABASE_URL, parseDatabaseUrl } from '../config/configuration.js';
import { createDatabase } from './database.factory.js';
import { migrateToLatest } from './migrate.js';

/** `npm run migrate`: applies pending migrations to the database DATABASE_URL names (nothing else is read). */
async function main(): Promise<void> {
  const db = createDatabase(parseDatabaseUrl(process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL));
  try {
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database is up to date');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError
      ? `Configuration error: ${error.message}`
      : `Migration failed: ${(error as Error).message}`,
  );
  process.exit(1);
});
