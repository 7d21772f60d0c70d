import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createClient } from 'redis';

/**
 * Set by `npm run test:scale` (test/scale/setup.ts): every test app and server process then
 * runs on PostgreSQL and Redis, from DATABASE_URL and REDIS_URL, instead of a SQLite file.
 */
export const SCALE = process.env.TEST_SCALE === '1';

export interface Backend {
  /** DATABASE_URL, REDIS_URL and REDIS_PREFIX for a fresh, empty database and session store. */
  env: Record<string, string>;
  /** Deletes everything made for it. */
  drop(): Promise<void>;
}

function required(name: 'DATABASE_URL' | 'REDIS_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set for the scale suite (see scripts/services.sh)`);
  return value;
}

/**
 * A PostgreSQL schema and a Redis key prefix of their own, so tests running side by side on one
 * server never see each other's users or sessions.
 */
export async function freshBackend(): Promise<Backend> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const databaseUrl = required('DATABASE_URL');
  const redisUrl = required('REDIS_URL');
  await onPostgres(databaseUrl, `create schema ${name}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    env: { DATABASE_URL: url.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: `${name}:` },
    drop: async () => {
      await onPostgres(databaseUrl, `drop schema if exists ${name} cascade`);
      await deleteKeys(redisUrl, `${name}:*`);
    },
  };
}

async function onPostgres(url: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}
