import { Injectable } from '@nestjs/common';
import { Kysely, type RawBuilder, sql } from 'kysely';
import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '../database/database.types.js';

/** A run of attempts is forgotten a day after the last one counted. */
export const FORGET_AFTER_MS = 24 * 3_600_000;

/** What became of one attempt. */
export interface AttemptOutcome {
  /** True when the attempt was counted and may go on to the password check. */
  letThrough: boolean;
  /** Epoch ms until which further attempts are refused; 0 or past when they are not. */
  lockedUntil: number;
}

/**
 * SQL for the per-subject attempt counters, shared by every process through the database.
 * A subject is stored only as its SHA-256 digest (base64url), so a typed name, sometimes a
 * password typed in the wrong field, never reaches the database.
 */
@Injectable()
export class LoginAttemptsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Refuses the attempt while the subject is locked; otherwise counts it (starting again at 1 when
   * the last counted one is more than {@link FORGET_AFTER_MS} old) and sets the lock the new count
   * earns: `locksMs[count - 1]`, the last entry for every higher count, 0 for none.
   *
   * The decision and the update are one statement, so of many simultaneous attempts at a lock's
   * end exactly one is let through: each carries a random tag, and only the one whose tag the
   * row returns was counted.
   */
  async attempt(subject: string, now: number, locksMs: readonly number[]): Promise<AttemptOutcome> {
    const tag = randomUUID();
    // Cast so PostgreSQL types the epoch as bigint rather than guessing integer or text.
    const at = sql<number>`cast(${now} as bigint)`;
    const locked = sql<boolean>`login_attempts.locked_until > ${at}`;
    const count = sql<number>`case when login_attempts.last_failed_at < ${at} - ${sql.lit(FORGET_AFTER_MS)} then 1 else login_attempts.failures + 1 end`;
    const row = await this.db
      .insertInto('loginAttempts')
      .values({
        subject: digest(subject),
        failures: 1,
        lastFailedAt: now,
        lockedUntil: lockFor(1, now, locksMs),
        lastAttempt: tag,
      })
      .onConflict((oc) =>
        oc.column('subject').doUpdateSet({
          failures: sql<number>`case when ${locked} then login_attempts.failures else ${count} end`,
          lastFailedAt: sql<number>`case when ${locked} then login_attempts.last_failed_at else ${at} end`,
          lockedUntil: sql<number>`case when ${locked} then login_attempts.locked_until else ${lockCase(count, at, locksMs)} end`,
          lastAttempt: sql<string>`case when ${locked} then login_attempts.last_attempt else ${tag} end`,
        }),
      )
      .returning(['lastAttempt', 'lockedUntil'])
      .executeTakeFirstOrThrow();
    return { letThrough: row.lastAttempt === tag, lockedUntil: row.lockedUntil };
  }

  /** Forgets the subject's count and lock. */
  async clear(subject: string): Promise<void> {
    await this.db.deleteFrom('loginAttempts').where('subject', '=', digest(subject)).execute();
  }
}

/** Deletes counters that no longer lock and are old enough to be forgotten. */
export async function pruneLoginAttempts(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('loginAttempts')
    .where('lastFailedAt', '<', now - FORGET_AFTER_MS)
    .where('lockedUntil', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

function digest(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url');
}

function lockFor(count: number, now: number, locksMs: readonly number[]): number {
  const ms = locksMs[Math.min(count, locksMs.length) - 1] ?? 0;
  return ms > 0 ? now + ms : 0;
}

/** `lockFor` in SQL, as plain CASE so SQLite and PostgreSQL read it alike. */
function lockCase(
  count: RawBuilder<number>,
  at: RawBuilder<number>,
  locksMs: readonly number[],
): RawBuilder<number> {
  const until = (ms: number) => (ms > 0 ? sql`${at} + ${sql.lit(ms)}` : sql`0`);
  const last = until(locksMs.at(-1) ?? 0);
  if (locksMs.length < 2) return sql<number>`${last}`;
  const whens = locksMs.slice(0, -1).map((ms, i) => sql`when ${sql.lit(i + 1)} then ${until(ms)}`);
  return sql<number>`case (${count}) ${sql.join(whens, sql` `)} else ${last} end`;
}
