import { Injectable } from '@nestjs/common';
import type { SessionData } from 'express-session';
import { Kysely } from 'kysely';
import { AppConfig } from '../../config/configuration';
import type { Database } from '../../database/database.types';
import '../auth.types';
import { SessionStore } from './session-store';

type Done = (error?: unknown) => void;

const MAX_REMEMBERED_DEADLINES = 10_000;

/**
 * express-session store on the app's database, so every process sees the same sessions.
 * The row's `expires_at` is the idle deadline; reads ignore dead rows, and
 * {@link pruneExpiredSessions} deletes them. `touch` writes only when the deadline has moved by
 * a useful amount, judged against what `get` read in the same request, so most requests are
 * reads only (DESIGN §8).
 */
@Injectable()
export class DatabaseSessionStore extends SessionStore {
  private readonly touchAfterMs: number;
  /** sid → deadline read by `get`, consumed by the `touch` of the same request. */
  private readonly loadedDeadlines = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: AppConfig,
  ) {
    super();
    this.touchAfterMs = Math.min(60_000, config.sessionIdleTimeoutMs / 10);
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    const read = this.db
      .selectFrom('sessions')
      .select(['data', 'expiresAt'])
      .where('sid', '=', sid)
      .where('expiresAt', '>', Date.now())
      .executeTakeFirst()
      .then((row) => {
        const session = row ? parseSession(row.data) : null;
        if (row && session) this.remember(sid, row.expiresAt);
        return session;
      });
    deliver(read, callback);
  }

  override set(sid: string, session: SessionData, callback?: Done): void {
    this.loadedDeadlines.delete(sid);
    const row = { userId: session.userId ?? null, data: JSON.stringify(session), expiresAt: this.deadline() };
    deliver(
      this.db
        .insertInto('sessions')
        .values({ sid, ...row })
        .onConflict((oc) => oc.column('sid').doUpdateSet(row))
        .execute(),
      callback,
    );
  }

  override destroy(sid: string, callback?: Done): void {
    this.loadedDeadlines.delete(sid);
    deliver(this.db.deleteFrom('sessions').where('sid', '=', sid).execute(), callback);
  }

  override touch(sid: string, _session: SessionData, callback?: Done): void {
    const loaded = this.loadedDeadlines.get(sid);
    this.loadedDeadlines.delete(sid);
    const expiresAt = this.deadline();
    if (loaded !== undefined && expiresAt - loaded < this.touchAfterMs) {
      deliver(Promise.resolve(), callback);
      return;
    }
    deliver(this.db.updateTable('sessions').set({ expiresAt }).where('sid', '=', sid).execute(), callback);
  }

  async destroyByUser(userId: string, exceptSid?: string): Promise<void> {
    let query = this.db.deleteFrom('sessions').where('userId', '=', userId);
    if (exceptSid !== undefined) query = query.where('sid', '<>', exceptSid);
    await query.execute();
  }

  private deadline(): number {
    return Date.now() + this.config.sessionIdleTimeoutMs;
  }

  private remember(sid: string, deadline: number): void {
    // Only an optimisation: requests that never reach touch (errors) must not grow it without bound.
    if (this.loadedDeadlines.size >= MAX_REMEMBERED_DEADLINES) this.loadedDeadlines.clear();
    this.loadedDeadlines.set(sid, deadline);
  }
}

/**
 * Deletes sessions past their deadline. Reads already ignore them; this only reclaims space, so
 * it runs once per machine (the supervisor, or the single process), not in every worker.
 */
export async function pruneExpiredSessions(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** How often dead sessions are pruned. */
export const PRUNE_EVERY_MS = 10 * 60_000;

/** Hands a promise's outcome to a Node-style callback, outside the promise chain. */
function deliver<T>(work: Promise<T>, callback?: (error: unknown, result?: T) => void): void {
  work.then(
    (result) => process.nextTick(() => callback?.(null, result)),
    (error: unknown) => process.nextTick(() => callback?.(error)),
  );
}

/** A row that does not hold a session (damaged, or written by something else) is no session. */
function parseSession(data: string): SessionData | null {
  try {
    const parsed = JSON.parse(data) as SessionData | null;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.cookie === 'object' ? parsed : null;
  } catch {
    return null;
  }
}
