import type { Kysely } from 'kysely';
import { parseDatabaseUrl } from '../../src/config/configuration.js';
import { createDatabase } from '../../src/database/database.factory.js';
import type { Database } from '../../src/database/database.types.js';
import { migrateToLatest } from '../../src/database/migrate.js';
import { preparedQuery } from '../../src/database/prepared-query.js';
import { UsersRepository } from '../../src/users/users.repository.js';
import { type Backend, freshBackend } from '../utils/backends.js';

/**
 * The queries compiled once (src/database/prepared-query.ts) on PostgreSQL: `$n` placeholders
 * filled by position, int8 counts parsed to numbers, CamelCase rows, and runs inside a
 * transaction on that transaction's connection.
 */
describe('queries compiled once, on PostgreSQL (scale)', () => {
  let backend: Backend;
  let db: Kysely<Database>;
  let users: UsersRepository;

  beforeAll(async () => {
    backend = await freshBackend();
    db = createDatabase(parseDatabaseUrl(backend.env.DATABASE_URL, 2));
    await migrateToLatest(db);
    for (let n = 1; n <= 5; n++) {
      const at = new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();
      await db
        .insertInto('users')
        .values({
          id: `00000000-0000-4000-8000-00000000000${n}`,
          name: `User ${n}`,
          nameKey: `user ${n}`,
          passwordHash: 'hash',
          role: 'user',
          createdAt: at,
          updatedAt: at,
        })
        .execute();
    }
    users = new UsersRepository(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await backend?.drop();
  });

  it('pages and counts with new values on every run', async () => {
    for (const [limit, offset] of [
      [2, 0],
      [2, 2],
      [10, 4],
    ]) {
      const { items, total } = await users.page({ limit, offset });
      expect(total).toBe(5);
      expect(items.map((user) => user.name)).toEqual(
        ['User 1', 'User 2', 'User 3', 'User 4', 'User 5'].slice(offset, offset + limit),
      );
      expect(items[0]).toEqual(
        expect.objectContaining({ sessionVersion: expect.any(Number), createdAt: expect.any(String) }),
      );
    }
  });

  it('finds by id, outside and inside a transaction, which sees its own uncommitted write', async () => {
    const id = '00000000-0000-4000-8000-000000000003';
    await expect(users.findById(id)).resolves.toMatchObject({ name: 'User 3' });
    await expect(users.findById('00000000-0000-4000-8000-000000000009')).resolves.toBeUndefined();

    await db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('users').set({ name: 'Renamed' }).where('id', '=', id).execute();
        await expect(users.findById(id, trx)).resolves.toMatchObject({ name: 'Renamed' });
        await expect(users.findById(id)).resolves.toMatchObject({ name: 'User 3' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await expect(users.findById(id)).resolves.toMatchObject({ name: 'User 3' });
  });

  it('numbers the placeholders as PostgreSQL wants, a value used twice included', async () => {
    const query = preparedQuery(db, (p: { name: string }) =>
      db.selectFrom('users').select('id').where('name', '=', p.name).where('nameKey', '!=', p.name),
    );
    expect(query.compiled.sql).toMatch(/\$1.*\$2/);
    await expect(query.execute({ name: 'User 2' })).resolves.toHaveLength(1);
  });
});
