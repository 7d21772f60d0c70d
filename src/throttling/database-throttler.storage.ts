import type { ThrottlerStorage } from '@nestjs/throttler';
import { Kysely, sql } from 'kysely';
import type { Database } from '../database/database.types.js';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler's storage in the app's database, so every worker and instance counts the
 * same requests (its default storage is one process's memory). A fixed window per key: the
 * count starts again when the window ends; past the limit, the key is blocked for
 * `blockDuration`. Used only on login and sign-up, so one write per such request is cheap.
 */
export class DatabaseThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly db: Kysely<Database>) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    const row = await this.db
      .insertInto('rateLimits')
      .values({ key, hits: 1, windowEndsAt: now + ttl, blockedUntil: 0 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          hits: sql<number>`case when rate_limits.window_ends_at <= ${now} then 1 else rate_limits.hits + 1 end`,
          windowEndsAt: sql<number>`case when rate_limits.window_ends_at <= ${now} then ${now + ttl} else rate_limits.window_ends_at end`,
        }),
      )
      .returning(['hits', 'windowEndsAt', 'blockedUntil'])
      .executeTakeFirstOrThrow();
    let { blockedUntil } = row;
    if (blockedUntil <= now && row.hits > limit) {
      blockedUntil = now + blockDuration;
      await this.db.updateTable('rateLimits').set({ blockedUntil }).where('key', '=', key).execute();
    }
    const isBlocked = blockedUntil > now;
    return {
      totalHits: row.hits,
      timeToExpire: Math.ceil((row.windowEndsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((blockedUntil - now) / 1000) : 0,
    };
  }
}

/** Deletes counters whose window and block have both ended. */
export async function pruneRateLimits(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('rateLimits')
    .where('windowEndsAt', '<=', now)
    .where('blockedUntil', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
