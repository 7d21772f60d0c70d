import { Store, type SessionData } from 'express-session';
import type { Kysely } from 'kysely';
import type { DB } from './database.js';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
  }
}

const ONE_DAY_MS = 86_400_000;

/** A minimal express-session store on the `sessions` table, as connect-sqlite3 or connect-pg-simple work. */
export class KyselySessionStore extends Store {
  constructor(private readonly db: Kysely<DB>) {
    super();
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.db
      .selectFrom('sessions')
      .select('data')
      .where('sid', '=', sid)
      .where('expiresAt', '>', Date.now())
      .executeTakeFirst()
      .then((row) => callback(null, row ? (JSON.parse(row.data) as SessionData) : null), callback);
  }

  override set(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    const row = { data: JSON.stringify(session), expiresAt: expiry(session), userId: session.userId ?? null };
    this.db
      .insertInto('sessions')
      .values({ sid, ...row })
      .onConflict((conflict) => conflict.column('sid').doUpdateSet(row))
      .execute()
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.db
      .deleteFrom('sessions')
      .where('sid', '=', sid)
      .execute()
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  override touch(sid: string, session: SessionData, callback?: () => void): void {
    this.db
      .updateTable('sessions')
      .set({ expiresAt: expiry(session) })
      .where('sid', '=', sid)
      .execute()
      .then(
        () => callback?.(),
        () => callback?.(),
      );
  }
}

function expiry(session: SessionData): number {
  return session.cookie.expires ? new Date(session.cookie.expires).getTime() : Date.now() + ONE_DAY_MS;
}
