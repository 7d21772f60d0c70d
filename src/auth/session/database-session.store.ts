import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Store, type SessionData } from 'express-session';
import { Kysely } from 'kysely';
import { AppConfig } from '../../config/configuration';
import type { Database } from '../../database/database.types';
import '../auth.types';

type Callback<T = void> = (error?: unknown, result?: T) => void;

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * express-session store on the app's database, so every process sees the same sessions.
 * The row's `expires_at` is the idle deadline; a read ignores dead rows and a periodic prune
 * deletes them. `touch` writes only when the deadline has moved by a useful amount, so reads
 * stay reads (DESIGN §8).
 */
@Injectable()
export class DatabaseSessionStore extends Store implements OnModuleInit, OnModuleDestroy {
  private pruneTimer?: NodeJS.Timeout;
  private readonly touchAfterMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: AppConfig,
  ) {
    super();
    this.touchAfterMs = Math.min(60_000, config.sessionIdleTimeoutMs / 10);
  }

  onModuleInit(): void {
    this.pruneTimer = setInterval(() => void this.pruneExpired().catch(() => undefined), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    void this.db
      .selectFrom('sessions')
      .select('data')
      .where('sid', '=', sid)
      .where('expiresAt', '>', Date.now())
      .executeTakeFirst()
      .then(
        (row) => callback(null, row ? parseSession(row.data) : null),
        (error) => callback(error),
      );
  }

  override set(sid: string, session: SessionData, callback?: Callback): void {
    const row = {
      userId: session.userId ?? null,
      data: JSON.stringify(session),
      expiresAt: this.deadline(),
    };
    void this.db
      .insertInto('sessions')
      .values({ sid, ...row })
      .onConflict((oc) => oc.column('sid').doUpdateSet(row))
      .execute()
      .then(
        () => callback?.(),
        (error) => callback?.(error),
      );
  }

  override destroy(sid: string, callback?: Callback): void {
    void this.db
      .deleteFrom('sessions')
      .where('sid', '=', sid)
      .execute()
      .then(
        () => callback?.(),
        (error) => callback?.(error),
      );
  }

  override touch(sid: string, _session: SessionData, callback?: Callback): void {
    const expiresAt = this.deadline();
    void this.db
      .updateTable('sessions')
      .set({ expiresAt })
      .where('sid', '=', sid)
      .where('expiresAt', '<', expiresAt - this.touchAfterMs)
      .execute()
      .then(
        () => callback?.(),
        (error) => callback?.(error),
      );
  }

  /** Deletes dead rows; returns how many. */
  async pruneExpired(now = Date.now()): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expiresAt', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private deadline(): number {
    return Date.now() + this.config.sessionIdleTimeoutMs;
  }
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
