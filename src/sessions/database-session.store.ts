import { Injectable } from '@nestjs/common';
import type { SessionData } from 'express-session';
import { Kysely, type Transaction } from 'kysely';
import { AppConfig } from '../config/configuration.js';
import { isForeignKeyViolation } from '../database/database.factory.js';
import type { Database } from '../database/database.types.js';
import { type PreparedQuery, preparedQuery } from '../database/prepared-query.js';
import './session.types.js';
import {
  deliver,
  nothingToWrite,
  unlessUnavailable,
  parseSession,
  sessionDeadline,
  SessionStore,
  type StoredSession,
  withoutCookie,
} from './session-store.js';

const MAX_REMEMBERED_DEADLINES = 10_000;

/**
 * express-session store on the app's database, so every process sees the same sessions.
 * The row's `expires_at` is the idle deadline, never past the absolute one; reads ignore dead
 * rows, and {@link pruneExpiredSessions} deletes them. `touch` writes only when the deadline has
 * moved by a useful amount, judged against what `get` read in the same request, so most requests
 * are reads only (DESIGN §8). The `user_id` column, indexed, is the index by user.
 */
@Injectable()
export class DatabaseSessionStore extends SessionStore {
  private readonly touchAfterMs: number;
  /** sid → deadline read by `get`, consumed by the `touch` of the same request. */
  private readonly loadedDeadlines = new Map<string, number>();
  /** What `create`/`rotate` wrote, so express-session's save at the end of that request is skipped. */
  private readonly written = new WeakMap<SessionData, string>();
  /** `get`'s query, on every request: built and compiled once (see preparedQuery). */
  private readonly liveSession: PreparedQuery<
    Database,
    { sid: string; now: number },
    { data: string; expiresAt: number }
  >;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: AppConfig,
  ) {
    super();
    this.touchAfterMs = Math.min(60_000, config.sessionIdleTimeoutMs / 10);
    this.liveSession = preparedQuery(db, (p: { sid: string; now: number }) =>
      db
        .selectFrom('sessions')
        .select(['data', 'expiresAt'])
        .where('sid', '=', p.sid)
        .where('expiresAt', '>', p.now),
    );
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    const read = this.liveSession.executeTakeFirst({ sid, now: Date.now() }).then((row) => {
      const session = row ? parseSession(row.data) : null;
      if (row && session) this.remember(sid, row.expiresAt);
      return session;
    });
    deliver(read, callback);
  }

  /** Updates a live session; never creates one (see {@link SessionStore}). */
  override set(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    this.loadedDeadlines.delete(sid);
    if (this.written.get(session) === withoutCookie(session)) {
      nothingToWrite(callback);
      return;
    }
    const now = Date.now();
    deliver(
      this.db
        .updateTable('sessions')
        .set({ ...this.row(session, now), data: JSON.stringify(session) })
        .where('sid', '=', sid)
        .where('expiresAt', '>', now)
        .execute(),
      callback,
    );
  }

  /** Ends the session and the one that replaced it, if a renewal raced this (a logout wins). */
  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.loadedDeadlines.delete(sid);
    deliver(
      this.db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('sid', '=', sid), eb('replaces', '=', sid)]))
        .execute(),
      callback,
    );
  }

  override touch(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    const loaded = this.loadedDeadlines.get(sid);
    this.loadedDeadlines.delete(sid);
    const now = Date.now();
    const expiresAt = this.deadline(session, now);
    if (loaded !== undefined && expiresAt - loaded < this.touchAfterMs) {
      nothingToWrite(callback);
      return;
    }
    deliver(
      this.db
        .updateTable('sessions')
        .set({ expiresAt, lastSeenAt: now })
        .where('sid', '=', sid)
        .where('expiresAt', '>', now)
        .execute()
        .catch(unlessUnavailable),
      callback,
    );
  }

  async create(sid: string, session: SessionData, replaces?: string): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        if (replaces !== undefined) await trx.deleteFrom('sessions').where('sid', '=', replaces).execute();
        await this.insert(trx, sid, session);
      });
      return true;
    } catch (error) {
      if (isForeignKeyViolation(error)) return false;
      throw error;
    }
  }

  async rotate(oldSid: string, newSid: string, session: SessionData): Promise<boolean> {
    this.loadedDeadlines.delete(oldSid);
    return this.db.transaction().execute(async (trx) => {
      const ended = await trx
        .deleteFrom('sessions')
        .where('sid', '=', oldSid)
        .where('expiresAt', '>', Date.now())
        .executeTakeFirst();
      if (ended.numDeletedRows === 0n) return false;
      await this.insert(trx, newSid, session, oldSid);
      return true;
    });
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['sid', 'data', 'lastSeenAt'])
      .where('userId', '=', userId)
      .where('expiresAt', '>', Date.now())
      .execute();
    return rows.flatMap(({ sid, data, lastSeenAt }) => {
      const session = parseSession(data);
      return session ? [{ sid, session, lastSeenAt }] : [];
    });
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('sessions').select('sid').limit(1).execute();
  }

  async destroyByUser(userId: string, exceptSid?: string): Promise<void> {
    let query = this.db.deleteFrom('sessions').where('userId', '=', userId);
    if (exceptSid !== undefined) query = query.where('sid', '<>', exceptSid);
    await query.execute();
  }

  private async insert(
    trx: Transaction<Database>,
    sid: string,
    session: SessionData,
    replaces: string | null = null,
  ): Promise<void> {
    const data = JSON.stringify(session);
    await trx
      .insertInto('sessions')
      .values({ sid, ...this.row(session, Date.now()), data, replaces })
      .execute();
    this.written.set(session, withoutCookie(session));
  }

  private row(session: SessionData, now: number) {
    return { userId: session.userId ?? null, expiresAt: this.deadline(session, now), lastSeenAt: now };
  }

  private deadline(session: SessionData, now: number): number {
    return sessionDeadline(this.config, session, now);
  }

  private remember(sid: string, deadline: number): void {
    // Only an optimisation: requests that never reach touch (errors) must not grow it without bound.
    if (this.loadedDeadlines.size >= MAX_REMEMBERED_DEADLINES) this.loadedDeadlines.clear();
    this.loadedDeadlines.set(sid, deadline);
  }
}

/** Deletes sessions past their deadline (see src/housekeeping.ts). */
export async function pruneExpiredSessions(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
