import { Injectable } from '@nestjs/common';
import { type ExpressionBuilder, Kysely, sql } from 'kysely';
import type { Database, Role, UsersTable } from '../database/database.types';

const USER_COLUMNS = ['id', 'name', 'role', 'createdAt', 'updatedAt'] as const;

/** A user as the rest of the server sees it: never with the password hash. */
export type User = Pick<UsersTable, (typeof USER_COLUMNS)[number]>;

export interface NewUser {
  id: string;
  name: string;
  nameKey: string;
  passwordHash: string;
  /** When omitted, the first user ever becomes admin and everyone after a user. */
  role?: Role;
  now: string;
}

export type UserChanges = Partial<Pick<UsersTable, 'name' | 'nameKey' | 'passwordHash' | 'role'>>;

/** Holds all SQL about users. Unique-name violations surface as the driver's error. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findById(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
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

  async page(limit: number, offset: number): Promise<{ items: User[]; total: number }> {
    const [items, count] = await Promise.all([
      this.db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .orderBy('createdAt')
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(count.total) };
  }

  async hasAnyUser(): Promise<boolean> {
    return (await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  create(user: NewUser): Promise<User> {
    // One statement decides "first user" and inserts, so two first sign-ups cannot both see none.
    const role =
      user.role ?? sql<Role>`(case when exists (select 1 from users) then 'user' else 'admin' end)`;
    return this.db
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
  }

  /** Applies `changes`; refuses to demote the last admin. */
  async update(id: string, changes: UserChanges, now: string): Promise<User | 'missing' | 'last-admin'> {
    let query = this.db
      .updateTable('users')
      .set({ ...changes, updatedAt: now })
      .where('id', '=', id);
    if (changes.role === 'user') query = query.where((eb) => this.keepsAnAdmin(eb));
    const updated = await query.returning(USER_COLUMNS).executeTakeFirst();
    return updated ?? ((await this.findById(id)) ? 'last-admin' : 'missing');
  }

  /** Deletes the user (their stored sessions go with them); refuses to delete the last admin. */
  async delete(id: string): Promise<'deleted' | 'missing' | 'last-admin'> {
    const result = await this.db
      .deleteFrom('users')
      .where('id', '=', id)
      .where((eb) => this.keepsAnAdmin(eb))
      .executeTakeFirst();
    if (result.numDeletedRows > 0n) return 'deleted';
    return (await this.findById(id)) ? 'last-admin' : 'missing';
  }

  // Checked inside the same statement as the write, so two admins cannot remove each other at once.
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
