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
  /** Raised at every password or role change; sessions carry the value they were made under. */
  sessionVersion: Generated<number>;
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
  /** The session this one replaced at a renewal; ending that one ends this one too. */
  replaces: string | null;
  createdAt: Generated<string>;
}

/** A fixed-window request counter of @nestjs/throttler; `key` hashes the route and the address. */
export interface RateLimitsTable {
  key: string;
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/**
 * Password attempts for one subject (a login name, or a user changing their password), counted
 * before the check. `subject` is a digest, never the typed name. Times are epoch milliseconds.
 */
export interface LoginAttemptsTable {
  subject: string;
  failures: number;
  lastFailedAt: number;
  lockedUntil: number;
  /** A random tag of the last attempt let through, so that attempt knows it was the one. */
  lastAttempt: Generated<string>;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  rateLimits: RateLimitsTable;
  loginAttempts: LoginAttemptsTable;
}
