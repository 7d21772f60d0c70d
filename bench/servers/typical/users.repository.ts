import { Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { DB, UsersTable } from './database.js';

@Injectable()
export class UsersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(id: string): Promise<UsersTable | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findPage(limit: number, offset: number): Promise<UsersTable[]> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .orderBy('createdAt')
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute();
  }

  async count(): Promise<number> {
    const { total } = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirstOrThrow();
    return Number(total);
  }
}
