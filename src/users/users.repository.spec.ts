import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../database/database.factory.js';
import type { Database, Role } from '../database/database.types.js';
import { migrateToLatest } from '../database/migrate.js';
import { nameKey } from './user-name.js';
import type { User } from './user.js';
import { type UserChanges, UsersRepository } from './users.repository.js';

describe(UsersRepository.name, () => {
  let dir: string;
  let db: Kysely<Database>;
  let repository: UsersRepository;
  let clock: number;

  function attempt(name: string, options: { role?: Role; onlyIfFirst?: boolean } = {}) {
    clock += 1000;
    return repository.create({
      id: randomUUID(),
      name,
      nameKey: nameKey(name),
      passwordHash: `hash-of-${name}`,
      ...options,
      now: new Date(clock).toISOString(),
    });
  }

  /** Creates a user the test needs; an outcome other than a user fails the test. */
  async function create(name: string, role?: Role): Promise<User> {
    const created = await attempt(name, { role });
    if (typeof created === 'string') throw new Error(`could not create ${name}: ${created}`);
    return created;
  }

  async function count(): Promise<number> {
    const { n } = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'users-repository-spec-'));
    db = createDatabase({ dialect: 'sqlite', file: join(dir, 'app.db') });
    await migrateToLatest(db);
    repository = new UsersRepository(db);
    clock = Date.UTC(2025, 0, 1);
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('create', () => {
    it('makes the first user an admin and the next ones users', async () => {
      const first = await create('first');
      const second = await create('second');

      expect(first.role).toBe('admin');
      expect(second.role).toBe('user');
    });

    it('respects an explicit role', async () => {
      const first = await create('first', 'user');
      const second = await create('second', 'admin');

      expect(first.role).toBe('user');
      expect(second.role).toBe('admin');
    });

    it('returns the stored user without passwordHash', async () => {
      const user = await create('홍길동');

      expect(user).toEqual({
        id: expect.any(String),
        name: '홍길동',
        role: 'admin',
        sessionVersion: 0,
        createdAt: '2025-01-01T00:00:01.000Z',
        updatedAt: '2025-01-01T00:00:01.000Z',
      });
    });

    it("returns 'name-taken' for a name key already taken, and inserts nothing", async () => {
      await create('Émile');

      await expect(attempt('E\u0301MILE')).resolves.toBe('name-taken');
      expect(await count()).toBe(1);
    });

    it('throws other driver errors', async () => {
      const error: unknown = await attempt('alice', { role: 'owner' as Role }).catch((e: unknown) => e);

      // Not toBeInstanceOf(Error): better-sqlite3's native module keeps the first test file's realm.
      expect(error).toHaveProperty('code', 'SQLITE_CONSTRAINT_CHECK');
      expect(await count()).toBe(0);
    });

    describe('with onlyIfFirst', () => {
      it('creates the first user, as admin, in an empty table', async () => {
        const created = await attempt('founder', { onlyIfFirst: true });

        expect(created).toMatchObject({ name: 'founder', role: 'admin' });
        expect(await count()).toBe(1);
      });

      it("returns 'not-first' and inserts nothing once a user exists", async () => {
        await create('founder');

        await expect(attempt('latecomer', { onlyIfFirst: true })).resolves.toBe('not-first');
        expect(await count()).toBe(1);
        await expect(repository.findWithPasswordByNameKey('latecomer')).resolves.toBeUndefined();
      });

      it('makes no difference when false', async () => {
        await create('founder');

        await expect(attempt('second', { onlyIfFirst: false })).resolves.toMatchObject({ role: 'user' });
      });
    });
  });

  describe('findById', () => {
    it('returns the user without passwordHash', async () => {
      const created = await create('alice');

      const found = await repository.findById(created.id);

      expect(found).toEqual(created);
      expect(found).not.toHaveProperty('passwordHash');
    });

    it('returns undefined for an unknown id', async () => {
      await expect(repository.findById(randomUUID())).resolves.toBeUndefined();
    });
  });

  describe('findWithPasswordByNameKey', () => {
    it('returns the user with passwordHash', async () => {
      const created = await create('Alice');

      await expect(repository.findWithPasswordByNameKey('alice')).resolves.toEqual({
        ...created,
        passwordHash: 'hash-of-Alice',
      });
    });

    it('returns undefined for an unknown name key', async () => {
      await expect(repository.findWithPasswordByNameKey('nobody')).resolves.toBeUndefined();
    });
  });

  describe('findPasswordHash', () => {
    it('returns the hash, or undefined for an unknown id', async () => {
      const created = await create('alice');

      await expect(repository.findPasswordHash(created.id)).resolves.toBe('hash-of-alice');
      await expect(repository.findPasswordHash(randomUUID())).resolves.toBeUndefined();
    });
  });

  describe('hasAnyUser', () => {
    it('is false for an empty table and true after a user is created', async () => {
      await expect(repository.hasAnyUser()).resolves.toBe(false);
      await create('alice');
      await expect(repository.hasAnyUser()).resolves.toBe(true);
    });
  });

  describe('page', () => {
    let created: User[];

    beforeEach(async () => {
      created = [];
      for (const name of ['carol', 'alice', 'bob', 'dave', 'erin']) created.push(await create(name));
    });

    it('returns the users in creation order with the total', async () => {
      await expect(repository.page({ limit: 10, offset: 0 })).resolves.toEqual({ items: created, total: 5 });
    });

    it('respects limit and offset, and still counts every user', async () => {
      await expect(repository.page({ limit: 2, offset: 1 })).resolves.toEqual({
        items: created.slice(1, 3),
        total: 5,
      });
    });

    it('returns no items past the end', async () => {
      await expect(repository.page({ limit: 10, offset: 5 })).resolves.toEqual({ items: [], total: 5 });
    });

    it('returns a numeric total', async () => {
      const { total } = await repository.page({ limit: 1, offset: 0 });

      expect(typeof total).toBe('number');
    });
  });

  describe('update', () => {
    it('applies the changes and the new updatedAt', async () => {
      const alice = await create('alice', 'user');

      const updated = await repository.update(
        alice.id,
        { name: 'Alicia', nameKey: 'alicia', passwordHash: 'new-hash' },
        '2025-02-01T00:00:00.000Z',
      );

      expect(updated).toEqual({
        ...alice,
        name: 'Alicia',
        sessionVersion: 1,
        updatedAt: '2025-02-01T00:00:00.000Z',
      });
      await expect(repository.findPasswordHash(alice.id)).resolves.toBe('new-hash');
      await expect(repository.findWithPasswordByNameKey('alicia')).resolves.toBeDefined();
    });

    it('raises the session version for a new password or a different role, not for a rename or the same role', async () => {
      const alice = await create('alice', 'user');
      const at = '2025-02-01T00:00:00.000Z';
      const version = async (changes: UserChanges) =>
        ((await repository.update(alice.id, changes, at)) as User).sessionVersion;

      await expect(version({ name: 'Alicia', nameKey: 'alicia' })).resolves.toBe(0);
      await expect(version({ role: 'user' })).resolves.toBe(0);
      await expect(version({ role: 'admin' })).resolves.toBe(1);
      await expect(version({ passwordHash: 'another-hash' })).resolves.toBe(2);
      await expect(version({ role: 'admin', passwordHash: 'a third hash' })).resolves.toBe(3);
    });

    it("returns 'missing' for an unknown id", async () => {
      await create('alice');

      await expect(
        repository.update(randomUUID(), { name: 'x', nameKey: 'x' }, new Date().toISOString()),
      ).resolves.toBe('missing');
    });

    it("returns 'last-admin' when demoting the only admin, and leaves the role", async () => {
      const admin = await create('root');
      await create('alice');

      await expect(repository.update(admin.id, { role: 'user' }, new Date().toISOString())).resolves.toBe(
        'last-admin',
      );
      await expect(repository.findById(admin.id)).resolves.toMatchObject({ role: 'admin' });
    });

    it('demotes an admin while another admin remains', async () => {
      const root = await create('root');
      await create('deputy', 'admin');

      await expect(
        repository.update(root.id, { role: 'user' }, new Date().toISOString()),
      ).resolves.toMatchObject({
        role: 'user',
      });
    });

    it('lets the only admin change other fields', async () => {
      const admin = await create('root');

      await expect(
        repository.update(admin.id, { name: 'boss', nameKey: 'boss' }, new Date().toISOString()),
      ).resolves.toMatchObject({ name: 'boss', role: 'admin' });
    });

    it("returns 'name-taken' when renaming onto a taken name key, and leaves the row", async () => {
      await create('alice');
      const bob = await create('bob');

      await expect(
        repository.update(bob.id, { name: 'ALICE', nameKey: 'alice' }, new Date().toISOString()),
      ).resolves.toBe('name-taken');
      await expect(repository.findById(bob.id)).resolves.toEqual(bob);
    });
  });

  describe('delete', () => {
    it("returns 'last-admin' for the only admin and keeps the row", async () => {
      const admin = await create('root');
      await create('alice');

      await expect(repository.delete(admin.id)).resolves.toBe('last-admin');
      await expect(repository.findById(admin.id)).resolves.toBeDefined();
    });

    it("returns 'deleted' for a user and removes the row", async () => {
      await create('root');
      const alice = await create('alice');

      await expect(repository.delete(alice.id)).resolves.toBe('deleted');
      await expect(repository.findById(alice.id)).resolves.toBeUndefined();
    });

    it("returns 'deleted' for an admin while another admin remains", async () => {
      const root = await create('root');
      await create('deputy', 'admin');

      await expect(repository.delete(root.id)).resolves.toBe('deleted');
    });

    it("returns 'missing' for an unknown id", async () => {
      await expect(repository.delete(randomUUID())).resolves.toBe('missing');
    });

    it("deletes the user's sessions with the user", async () => {
      await create('root');
      const alice = await create('alice');
      const bob = await create('bob');
      const expiresAt = Date.now() + 60_000;
      await db
        .insertInto('sessions')
        .values([
          { sid: 'alice-1', userId: alice.id, data: '{}', expiresAt },
          { sid: 'alice-2', userId: alice.id, data: '{}', expiresAt },
          { sid: 'bob-1', userId: bob.id, data: '{}', expiresAt },
        ])
        .execute();

      await repository.delete(alice.id);

      const left = await db.selectFrom('sessions').select('sid').execute();
      expect(left).toEqual([{ sid: 'bob-1' }]);
    });
  });
});
