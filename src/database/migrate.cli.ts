import '../runtime-check';
import { ConfigError, loadConfig } from '../config/configuration';
import { createDatabase } from './database.factory';
import { migrateToLatest } from './migrate';

/** `npm run migrate`: applies pending migrations to the database DATABASE_URL names. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = createDatabase(config.database);
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
