import type { Kysely } from 'kysely';
import type { AppConfig } from '../../config/configuration';
import type { Database } from '../../database/database.types';
import { DatabaseSessionStore } from './database-session.store';
import { createRedisClient } from './redis.client';
import { RedisSessionStore } from './redis-session.store';
import type { SessionStore } from './session-store';

/** Sessions in Redis when `REDIS_URL` is set, else in the app's database (DESIGN §7). */
export async function createSessionStore(config: AppConfig, db: Kysely<Database>): Promise<SessionStore> {
  if (!config.redis) return new DatabaseSessionStore(db, config);
  const client = await createRedisClient(config.redis);
  const { RedisStore } = await import('connect-redis');
  const sessions = new RedisStore({ client, prefix: `${config.redis.prefix}sess:` });
  return new RedisSessionStore(client, sessions, config.redis, config);
}
