import { type Kysely, sql } from 'kysely';
import { createDatabase } from './database.factory.js';
import { columnTypes } from './migration-helpers.js';

describe(columnTypes.name, () => {
  it('gives SQLite text columns, and a default time in the ISO form the app stores', async () => {
    const db = createDatabase({ dialect: 'sqlite', file: ':memory:' });
    try {
      const { postgres, uuid, timestamp, now } = columnTypes(db as unknown as Kysely<unknown>);
      await db.schema
        .createTable('things')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('created_at', timestamp, (c) => c.notNull().defaultTo(now))
        .execute();
      await sql`insert into things (id) values ('00000000-0000-4000-8000-000000000000')`.execute(db);
      const { rows } = await sql<{ createdAt: string; type: string }>`
        select created_at, typeof(created_at) as type from things`.execute(db);

      expect(postgres).toBe(false);
      expect(rows[0].type).toBe('text');
      expect(new Date(rows[0].createdAt).toISOString()).toBe(rows[0].createdAt);
    } finally {
      await db.destroy();
    }
  });
});
