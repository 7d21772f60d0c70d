import type { Generated } from 'kysely';

export type Role = 'admin' | 'user';

/** Column names are camelCase here and snake_case in SQL (Kysely's CamelCasePlugin). */
export interface UsersTable {
  id: string;
  name: string;
  /** `name` NFC-normalised and lower-cased: what uniqueness is decided on. */
  nameKey: string;
  passwordHash: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

export interface SessionsTable {
  sid: string;
  userId: string | null;
  data: string;
  /** Epoch milliseconds after which the row is dead. */
  expiresAt: number;
  createdAt: Generated<string>;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
}
