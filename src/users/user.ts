import type { UsersTable } from '../database/database.types.js';

/** A user as the rest of the server sees it: never with the password hash. */
export type User = Pick<UsersTable, 'id' | 'name' | 'role' | 'createdAt' | 'updatedAt'> & {
  /** Sessions made under another value are dead (see UsersTable). */
  sessionVersion: number;
};
