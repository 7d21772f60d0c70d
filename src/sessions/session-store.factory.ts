import type { Kysely } from 'kysely';
import type { AppConfig } from '../config/configuration.js';
import type { Database } from '../database/database.types.js';
import { DatabaseSessionStore } from './database-session.store.js';
import { createRedisClient } from './redis.client.js';
import { RedisSessionStore } from './redis-session.store.js';
import type { SessionStore } from './session-store.js';

/** Sessions in Redis when `REDIS_URL` is set, else in the app's database (DESIGN §7). */
export async function createSessionStore(config: AppConfig, db: Kysely<Database>): Promise<SessionStore> {
  if (!config.redis) return new DatabaseSessionStore(db, config);
  const client = await createRedisClient(config.redis);
  const { RedisStore } = await import('connect-redis');
  const sessions = new RedisStore({ client, prefix: `${config.redis.prefix}sess:` });
  return new RedisSessionStore(client, sessions, config.redis, config);
}
