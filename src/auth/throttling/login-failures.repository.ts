import { Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { Database } from '../../database/database.types';

/** A run of failures is forgotten a day after the last one. */
export const FORGET_AFTER_MS = 24 * 3_600_000;

/** SQL for the per-name failed-login counters; shared by every process through the database. */
@Injectable()
export class LoginFailuresRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Epoch ms until which logins with this name are refused; 0 when they are not. */
  async lockedUntil(nameKey: string): Promise<number> {
    const row = await this.db
      .selectFrom('loginFailures')
      .select('lockedUntil')
      .where('nameKey', '=', nameKey)
      .executeTakeFirst();
    return row?.lockedUntil ?? 0;
  }

  /**
   * Counts one more failure, in one statement so that concurrent failures all count, and returns
   * the new count. A count whose last failure is more than {@link FORGET_AFTER_MS} old starts
   * again at 1.
   */
  async add(nameKey: string, now: number): Promise<number> {
    const forgetBefore = now - FORGET_AFTER_MS;
    const row = await this.db
      .insertInto('loginFailures')
      .values({ nameKey, failures: 1, lastFailedAt: now, lockedUntil: 0 })
      .onConflict((oc) =>
        oc.column('nameKey').doUpdateSet({
          failures: sql<number>`case when login_failures.last_failed_at < ${forgetBefore} then 1 else login_failures.failures + 1 end`,
          lastFailedAt: now,
        }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    return row.failures;
  }

  /** Refuses logins with this name until `until`, unless a longer lock is already in place. */
  async lock(nameKey: string, until: number): Promise<void> {
    await this.db
      .updateTable('loginFailures')
      .set({ lockedUntil: until })
      .where('nameKey', '=', nameKey)
      .where('lockedUntil', '<', until)
      .execute();
  }

  async clear(nameKey: string): Promise<void> {
    await this.db.deleteFrom('loginFailures').where('nameKey', '=', nameKey).execute();
  }
}

/** Deletes counters that no longer lock and are old enough to be forgotten. */
export async function pruneLoginFailures(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('loginFailures')
    .where('lastFailedAt', '<', now - FORGET_AFTER_MS)
    .where('lockedUntil', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
