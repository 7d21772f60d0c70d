import { Injectable } from '@nestjs/common';
import { type ExpressionBuilder, Kysely, type RawBuilder, sql } from 'kysely';
import { isNotNullViolation, isUniqueViolation } from '../database/database.factory.js';
import { serializeOnPostgres } from '../database/database.locks.js';
import type { Database, Role, UsersTable } from '../database/database.types.js';
import { type PageRequest, type PaginatedQuery, paginatedQuery } from '../database/paginated-query.js';
import { type PreparedQuery, preparedQuery } from '../database/prepared-query.js';
import type { User } from './user.js';

const USER_COLUMNS = [
  'id',
  'name',
  'role',
  'sessionVersion',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof User)[];

export interface NewUser {
  id: string;
  name: string;
  nameKey: string;
  passwordHash: string;
  /** When omitted, the first user ever becomes admin and everyone after a user. */
  role?: Role;
  /** Insert only if there is no user yet, as admin (closed registration's one exception); `role` is then ignored. */
  onlyIfFirst?: boolean;
  now: string;
}

export type UserChanges = Partial<Pick<UsersTable, 'name' | 'nameKey' | 'passwordHash' | 'role'>>;

/**
 * Holds all SQL about users. Outcomes the caller must handle come back as strings, so driver
 * error codes stay in the data layer.
 */
@Injectable()
export class UsersRepository {
  // On every authenticated request (the session guard) and every page of the user list: built
  // and compiled once (see preparedQuery).
  private readonly byId: PreparedQuery<Database, { id: string }, User>;
  private readonly everyone: PaginatedQuery<Database, Record<string, never>, User>;

  constructor(private readonly db: Kysely<Database>) {
    this.byId = preparedQuery(db, (p: { id: string }) =>
      db.selectFrom('users').select(USER_COLUMNS).where('id', '=', p.id),
    );
    this.everyone = paginatedQuery(db, () =>
      db.selectFrom('users').select(USER_COLUMNS).orderBy('createdAt').orderBy('id'),
    );
  }

  findById(id: string, db: Kysely<Database> = this.db): Promise<User | undefined> {
    return this.byId.executeTakeFirst({ id }, db);
  }

  findWithPasswordByNameKey(nameKey: string): Promise<(User & { passwordHash: string }) | undefined> {
    return this.db
      .selectFrom('users')
      .select([...USER_COLUMNS, 'passwordHash'])
      .where('nameKey', '=', nameKey)
      .executeTakeFirst();
  }

  async findPasswordHash(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('users')
      .select('passwordHash')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.passwordHash;
  }

  page(page: PageRequest): Promise<{ items: User[]; total: number }> {
    return this.everyone.page({}, page);
  }

  async hasAnyUser(): Promise<boolean> {
    return (await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  async create(user: NewUser): Promise<User | 'name-taken' | 'not-first'> {
    // The statement itself decides "first user"; with onlyIfFirst a later user gets a NULL role,
    // which the NOT NULL constraint refuses. Serialised with every other decision about admins
    // (see serializeOnPostgres), so two simultaneous first sign-ups cannot both see no user.
    const firstAdmin = (later: RawBuilder<unknown>) =>
      sql<Role>`(case when exists (select 1 from users) then ${later} else 'admin' end)`;
    const role = user.onlyIfFirst ? firstAdmin(sql`null`) : (user.role ?? firstAdmin(sql`'user'`));
    const insert = (db: Kysely<Database>) =>
      db
        .insertInto('users')
        .values({
          id: user.id,
          name: user.name,
          nameKey: user.nameKey,
          passwordHash: user.passwordHash,
          role,
          createdAt: user.now,
          updatedAt: user.now,
        })
        .returning(USER_COLUMNS)
        .executeTakeFirstOrThrow();
    try {
      // An explicit role depends on nobody else: no need to wait for other writers.
      return user.onlyIfFirst || user.role === undefined
        ? await serializeOnPostgres(this.db, 'users.admins', insert)
        : await insert(this.db);
    } catch (error) {
      if (isUniqueViolation(error)) return 'name-taken';
      if (user.onlyIfFirst && isNotNullViolation(error)) return 'not-first';
      throw error;
    }
  }

  /**
   * Applies `changes`; refuses to demote the last admin. A new password or a different role
   * raises the session version in the same statement, so no session made before survives it.
   */
  async update(
    id: string,
    changes: UserChanges,
    now: string,
  ): Promise<User | 'missing' | 'last-admin' | 'name-taken'> {
    const sessionVersion =
      changes.passwordHash !== undefined
        ? sql<number>`session_version + 1`
        : changes.role !== undefined
          ? sql<number>`session_version + (case when role <> ${changes.role} then 1 else 0 end)`
          : undefined;
    const apply = async (db: Kysely<Database>) => {
      let query = db
        .updateTable('users')
        .set({ ...changes, ...(sessionVersion && { sessionVersion }), updatedAt: now })
        .where('id', '=', id);
      if (changes.role === 'user') query = query.where((eb) => this.keepsAnAdmin(eb));
      const updated = await query.returning(USER_COLUMNS).executeTakeFirst();
      return updated ?? ((await this.findById(id, db)) ? 'last-admin' : 'missing');
    };
    try {
      // Only a demotion can take the last admin away.
      return changes.role === 'user'
        ? await serializeOnPostgres(this.db, 'users.admins', apply)
        : await apply(this.db);
    } catch (error) {
      if (isUniqueViolation(error)) return 'name-taken';
      throw error;
    }
  }

  /** Deletes the user (their stored sessions go with them); refuses to delete the last admin. */
  delete(id: string): Promise<'deleted' | 'missing' | 'last-admin'> {
    return serializeOnPostgres(this.db, 'users.admins', async (db) => {
      const result = await db
        .deleteFrom('users')
        .where('id', '=', id)
        .where((eb) => this.keepsAnAdmin(eb))
        .executeTakeFirst();
      if (result.numDeletedRows > 0n) return 'deleted';
      return (await this.findById(id, db)) ? 'last-admin' : 'missing';
    });
  }

  // Checked inside the same statement as the write, and serialised with every other decision
  // about admins (serializeOnPostgres): two admins cannot remove each other at once.
  private keepsAnAdmin(eb: ExpressionBuilder<Database, 'users'>) {
    return eb.or([
      eb('role', '<>', 'admin'),
      eb(
        eb
          .selectFrom('users')
          .select((e) => e.fn.countAll<number>().as('n'))
          .where('role', '=', 'admin'),
        '>',
        1,
      ),
    ]);
  }
}
