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
  /** Epoch milliseconds of the last request, to within the store's write interval. */
  lastSeenAt: number | null;
  createdAt: Generated<string>;
}

/** A fixed-window request counter of @nestjs/throttler; `key` hashes the route and the address. */
export interface RateLimitsTable {
  key: string;
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/** Consecutive failed logins for one name key (a user's or not). Times are epoch milliseconds. */
export interface LoginFailuresTable {
  nameKey: string;
  failures: number;
  lastFailedAt: number;
  lockedUntil: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  rateLimits: RateLimitsTable;
  loginFailures: LoginFailuresTable;
}
