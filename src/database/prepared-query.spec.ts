import { type Kysely, sql } from 'kysely';
import { createDatabase } from './database.factory.js';
import type { Database } from './database.types.js';
import { migrateToLatest } from './migrate.js';
import { preparedQuery } from './prepared-query.js';

const COLUMNS = ['id', 'name', 'nameKey', 'role', 'sessionVersion', 'createdAt'] as const;

describe(preparedQuery.name, () => {
  let db: Kysely<Database>;

  function insertUser(target: Kysely<Database>, n: number, role: 'admin' | 'user' = 'user') {
    const at = new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();
    return target
      .insertInto('users')
      .values({
        id: `id-${n}`,
        name: `User ${n}`,
        nameKey: `user ${n}`,
        passwordHash: `hash-${n}`,
        role,
        createdAt: at,
        updatedAt: at,
      })
      .execute();
  }

  beforeEach(async () => {
    db = createDatabase({ dialect: 'sqlite', file: ':memory:' });
    await migrateToLatest(db);
    for (let n = 1; n <= 5; n++) await insertUser(db, n, n % 2 ? 'user' : 'admin');
  });

  afterEach(() => db.destroy());

  const page = (p: { limit: number; offset: number }) =>
    db.selectFrom('users').select(COLUMNS).orderBy('createdAt').orderBy('id').limit(p.limit).offset(p.offset);

  it('compiles the SQL of the built query once, and returns its rows for each set of values', async () => {
    const prepared = preparedQuery(db, page);
    expect(prepared.compiled.sql).toBe(page({ limit: 1, offset: 0 }).compile().sql);
    for (const values of [
      { limit: 2, offset: 0 },
      { limit: 2, offset: 2 },
      { limit: 10, offset: 3 },
      { limit: 0, offset: 0 },
      { limit: 3, offset: 9 },
    ]) {
      expect(await prepared.execute(values)).toEqual(await page(values).execute());
    }
    expect((await prepared.execute({ limit: 2, offset: 1 })).map((u) => u.id)).toEqual(['id-2', 'id-3']);
  });

  it('takes the first row, or undefined', async () => {
    const byId = preparedQuery(db, (p: { id: string }) =>
      db.selectFrom('users').select(COLUMNS).where('id', '=', p.id),
    );
    for (const id of ['id-1', 'id-4', 'id-2']) {
      expect(await byId.executeTakeFirst({ id })).toEqual(
        await db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst(),
      );
    }
    expect(await byId.executeTakeFirst({ id: 'nobody' })).toBeUndefined();
  });

  it('maps result columns to camelCase, as the CamelCasePlugin does for built queries', async () => {
    const byId = preparedQuery(db, (p: { id: string }) =>
      db.selectFrom('users').select(['nameKey', 'passwordHash', 'sessionVersion']).where('id', '=', p.id),
    );
    expect(byId.compiled.sql).toContain('"name_key"');
    expect(await byId.executeTakeFirst({ id: 'id-3' })).toEqual({
      nameKey: 'user 3',
      passwordHash: 'hash-3',
      sessionVersion: 0,
    });
  });

  it('keeps constants, and puts a value used twice in both places', async () => {
    const query = preparedQuery(db, (p: { key: string }) =>
      db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'admin')
        .where((eb) => eb.or([eb('id', '=', p.key), eb('nameKey', '=', p.key)]))
        .limit(5),
    );
    expect(query.compiled.parameters.filter((v) => typeof v !== 'object')).toEqual(['admin', 5]);
    expect(await query.execute({ key: 'id-2' })).toEqual([{ id: 'id-2' }]);
    expect(await query.execute({ key: 'user 4' })).toEqual([{ id: 'id-4' }]);
    // A user, not an admin: the constant still filters.
    expect(await query.execute({ key: 'id-3' })).toEqual([]);
  });

  it('takes values in sql templates too', async () => {
    const query = preparedQuery(db, (p: { n: number }) =>
      db
        .selectFrom('users')
        .select(sql<number>`${p.n} + 1`.as('next'))
        .limit(1),
    );
    expect(await query.executeTakeFirst({ n: 41 })).toEqual({ next: 42 });
    expect(await query.executeTakeFirst({ n: 1 })).toEqual({ next: 2 });
  });

  it('runs inside a transaction it is given', async () => {
    const byId = preparedQuery(db, (p: { id: string }) =>
      db.selectFrom('users').select('id').where('id', '=', p.id),
    );
    await expect(
      db.transaction().execute(async (trx) => {
        await insertUser(trx, 6);
        expect(await byId.executeTakeFirst({ id: 'id-6' }, trx)).toEqual({ id: 'id-6' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await byId.executeTakeFirst({ id: 'id-6' })).toBeUndefined();
  });

  it('fails at preparation when a value does not become a parameter of its own', () => {
    expect(() =>
      preparedQuery(db, (p: { name: string }) =>
        db.selectFrom('users').select('id').where('name', '=', `${p.name}`),
      ),
    ).toThrow(/name did not become a query parameter/);
    expect(() =>
      preparedQuery(db, (p: { id: string; unused: string }) => {
        void p.unused;
        return db.selectFrom('users').select('id').where('id', '=', p.id);
      }),
    ).toThrow(/unused did not become a query parameter/);
    expect(() =>
      preparedQuery(db, (p: { id: string }) =>
        db.selectFrom('users').select('id').where('id', '=', sql.lit(p.id)),
      ),
    ).toThrow();
  });

  it('refuses an array value (lists are not supported)', async () => {
    const query = preparedQuery(db, (p: { ids: string[] }) =>
      db.selectFrom('users').select('id').where('id', 'in', p.ids),
    );
    await expect(query.execute({ ids: ['id-1', 'id-2'] })).rejects.toThrow(/ids is an array/);
  });
});
