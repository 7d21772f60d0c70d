import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, Kysely, SqliteDialect } from 'kysely';

export interface UsersTable {
  id: string;
  name: string;
  nameKey: string;
  passwordHash: string;
  role: string;
  sessionVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface SessionsTable {
  sid: string;
  userId: string | null;
  data: string;
  expiresAt: number;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
}

export const databaseProvider = {
  provide: Kysely,
  useFactory: (): Kysely<DB> =>
    new Kysely<DB>({
      dialect: new SqliteDialect({
        database: new BetterSqlite3(process.env.DATABASE_FILE, { timeout: 5000 }),
      }),
      plugins: [new CamelCasePlugin()],
    }),
};
