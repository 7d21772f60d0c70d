import { jest } from '@jest/globals';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  NotFoundException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { LoginThrottle } from '../throttling/login-throttle.js';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { loadConfig, type Registration } from '../config/configuration.js';
import type { Selectable } from 'kysely';
import type { Role, UsersTable } from '../database/database.types.js';
import type { PasswordHasher } from './password.hasher.js';
import { nameKey } from './user-name.js';
import type { User } from './user.js';
import type { NewUser, UserChanges, UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

type Public<T> = Pick<T, keyof T>;
type Row = Selectable<UsersTable>;

const CLOSED = 'Registration is closed: ask an admin to create your account';

function withoutHash({ id, name, role, sessionVersion, createdAt, updatedAt }: Row): User {
  return { id, name, role, sessionVersion, createdAt, updatedAt };
}

/**
 * Keeps users in a Map and follows the real repository's rules: first user admin, unique name
 * keys ('name-taken'), `onlyIfFirst` ('not-first', checked before the name like SQLite's NOT NULL
 * before UNIQUE) and the last admin kept.
 */
class FakeUsersRepository implements Public<UsersRepository> {
  readonly rows = new Map<string, Row>();

  findById(id: string): Promise<User | undefined> {
    const row = this.rows.get(id);
    return Promise.resolve(row && withoutHash(row));
  }

  findWithPasswordByNameKey(key: string): Promise<(User & { passwordHash: string }) | undefined> {
    const row = [...this.rows.values()].find((r) => r.nameKey === key);
    return Promise.resolve(row && { ...withoutHash(row), passwordHash: row.passwordHash });
  }

  findPasswordHash(id: string): Promise<string | undefined> {
    return Promise.resolve(this.rows.get(id)?.passwordHash);
  }

  page({ limit, offset }: { limit: number; offset: number }): Promise<{ items: User[]; total: number }> {
    const all = [...this.rows.values()].map(withoutHash);
    return Promise.resolve({ items: all.slice(offset, offset + limit), total: all.length });
  }

  hasAnyUser(): Promise<boolean> {
    return Promise.resolve(this.rows.size > 0);
  }

  create(user: NewUser): Promise<User | 'name-taken' | 'not-first'> {
    if (user.onlyIfFirst && user.role === undefined && this.rows.size > 0)
      return Promise.resolve('not-first');
    if (this.taken(user.nameKey)) return Promise.resolve('name-taken');
    const row: Row = {
      id: user.id,
      name: user.name,
      nameKey: user.nameKey,
      passwordHash: user.passwordHash,
      role: user.role ?? (this.rows.size > 0 ? 'user' : 'admin'),
      sessionVersion: 0,
      createdAt: user.now,
      updatedAt: user.now,
    };
    this.rows.set(row.id, row);
    return Promise.resolve(withoutHash(row));
  }

  update(
    id: string,
    changes: UserChanges,
    now: string,
  ): Promise<User | 'missing' | 'last-admin' | 'name-taken'> {
    const row = this.rows.get(id);
    if (!row) return Promise.resolve('missing');
    if (changes.nameKey !== undefined && this.taken(changes.nameKey, id))
      return Promise.resolve('name-taken');
    if (changes.role === 'user' && this.isLastAdmin(row)) return Promise.resolve('last-admin');
    const accessChanged =
      changes.passwordHash !== undefined || (changes.role !== undefined && changes.role !== row.role);
    Object.assign(row, changes, { updatedAt: now });
    if (accessChanged) row.sessionVersion++;
    return Promise.resolve(withoutHash(row));
  }

  delete(id: string): Promise<'deleted' | 'missing' | 'last-admin'> {
    const row = this.rows.get(id);
    if (!row) return Promise.resolve('missing');
    if (this.isLastAdmin(row)) return Promise.resolve('last-admin');
    this.rows.delete(id);
    return Promise.resolve('deleted');
  }

  private taken(key: string, exceptId?: string): boolean {
    return [...this.rows.values()].some((r) => r.nameKey === key && r.id !== exceptId);
  }

  private isLastAdmin(row: Row): boolean {
    return row.role === 'admin' && [...this.rows.values()].filter((r) => r.role === 'admin').length === 1;
  }
}

// A fake hasher keeps these tests fast; the real scrypt hasher has its own spec.
class FakePasswordHasher implements Public<PasswordHasher> {
  onModuleInit(): Promise<void> {
    return Promise.resolve();
  }

  hash(password: string): Promise<string> {
    return Promise.resolve(`fake$${password.normalize('NFC')}`);
  }

  verify(password: string, stored: string): Promise<boolean> {
    return Promise.resolve(stored === `fake$${password.normalize('NFC')}`);
  }

  dummyHash(): Promise<string> {
    return Promise.resolve('fake$dummy');
  }
}

class FakeLoginThrottle implements Public<LoginThrottle> {
  readonly locked = new Set<string>();
  readonly calls: Array<[string, string]> = [];

  attempt(subject: string): Promise<void> {
    this.calls.push(['attempt', subject]);
    return this.locked.has(subject)
      ? Promise.reject(
          new TooManyRequestsException('Too many failed password attempts: try again in 1 second', 1),
        )
      : Promise.resolve();
  }

  succeeded(subject: string): Promise<void> {
    this.calls.push(['succeeded', subject]);
    return Promise.resolve();
  }
}

describe(UsersService.name, () => {
  let users: FakeUsersRepository;
  let passwords: FakePasswordHasher;
  let throttle: FakeLoginThrottle;

  function makeService(registration: Registration = 'open'): UsersService {
    const config = loadConfig({ SESSION_SECRET: 'users-service-spec-secret', REGISTRATION: registration });
    return new UsersService(
      users as unknown as UsersRepository,
      passwords as unknown as PasswordHasher,
      throttle as unknown as LoginThrottle,
      config,
    );
  }

  function seed(name: string, role: Role, password = `${name}-password`): User {
    const now = new Date().toISOString();
    const row: Row = {
      id: randomUUID(),
      name,
      nameKey: nameKey(name),
      passwordHash: `fake$${password}`,
      role,
      sessionVersion: 0,
      createdAt: now,
      updatedAt: now,
    };
    users.rows.set(row.id, row);
    return withoutHash(row);
  }

  /** A caller as the session sees them, without a row: lets a test start from an empty table. */
  function caller(role: Role): User {
    const now = new Date().toISOString();
    return { id: randomUUID(), name: `a ${role}`, role, sessionVersion: 0, createdAt: now, updatedAt: now };
  }

  beforeEach(() => {
    users = new FakeUsersRepository();
    passwords = new FakePasswordHasher();
    throttle = new FakeLoginThrottle();
  });

  describe('create', () => {
    it('stores the hashed password and the name key, and returns the user without the hash', async () => {
      const created = await makeService().create({ name: 'Émile', password: 'a long password' });

      expect(created).toEqual({
        id: expect.any(String),
        name: 'Émile',
        role: 'admin',
        sessionVersion: 0,
        createdAt: expect.any(String),
        updatedAt: created.createdAt,
      });
      expect(created).not.toHaveProperty('passwordHash');
      expect(users.rows.get(created.id)).toMatchObject({
        nameKey: 'émile',
        passwordHash: 'fake$a long password',
      });
    });

    it('leaves the role to the repository when none is asked for', async () => {
      seed('admin', 'admin');
      const create = jest.spyOn(users, 'create');

      const created = await makeService().create({ name: 'bob', password: 'a long password' });

      expect(create.mock.calls[0][0].role).toBeUndefined();
      expect(created.role).toBe('user');
    });

    it.each([
      ['an anonymous caller', undefined],
      ['a non-admin', 'user' as const],
    ])('throws ForbiddenException when %s asks for role admin', async (_label, actorRole) => {
      const actor = actorRole && seed('carol', actorRole);

      await expect(
        makeService().create({ name: 'mallory', password: 'a long password', role: 'admin' }, actor),
      ).rejects.toThrow(ForbiddenException);
      expect(await users.findWithPasswordByNameKey('mallory')).toBeUndefined();
    });

    it('lets an admin create an admin', async () => {
      const admin = seed('root', 'admin');

      const created = await makeService().create(
        { name: 'deputy', password: 'a long password', role: 'admin' },
        admin,
      );

      expect(created.role).toBe('admin');
    });

    describe('when registration is closed', () => {
      it('throws ForbiddenException for an anonymous caller once a user exists', async () => {
        seed('root', 'admin');

        await expect(
          makeService('closed').create({ name: 'stranger', password: 'a long password' }),
        ).rejects.toThrow(CLOSED);
        expect(users.rows.size).toBe(1);
      });

      it('throws ForbiddenException for a non-admin actor', async () => {
        seed('root', 'admin');
        const member = seed('member', 'user');

        await expect(
          makeService('closed').create({ name: 'friend', password: 'a long password' }, member),
        ).rejects.toThrow(ForbiddenException);
      });

      it('lets an admin create a user', async () => {
        const admin = seed('root', 'admin');

        const created = await makeService('closed').create(
          { name: 'newcomer', password: 'a long password' },
          admin,
        );

        expect(created.role).toBe('user');
      });

      it('makes the very first user admin even when they asked for role user', async () => {
        const created = await makeService('closed').create({
          name: 'founder',
          password: 'a long password',
          role: 'user',
        });

        expect(created.role).toBe('admin');
      });

      it('still lets the very first user sign up', async () => {
        const created = await makeService('closed').create({ name: 'founder', password: 'a long password' });

        expect(created.role).toBe('admin');
      });
    });

    it("throws ConflictException naming the name when the repository answers 'name-taken'", async () => {
      seed('Émile', 'admin');

      const attempt = makeService().create({ name: 'E\u0301MILE', password: 'a long password' });

      await expect(attempt).rejects.toThrow(ConflictException);
      await expect(attempt).rejects.toThrow('The name "E\u0301MILE" is already taken');
      expect(users.rows.size).toBe(1);
    });

    // Driver error codes are the repository's business: the service maps outcomes, not errors.
    it.each([
      ['an I/O error', 'SQLITE_IOERR'],
      ['even a unique violation', '23505'],
    ])('passes %s from the repository through unchanged', async (_label, code) => {
      const failure = Object.assign(new Error('driver failure'), { code });
      jest.spyOn(users, 'create').mockRejectedValue(failure);

      await expect(makeService().create({ name: 'unlucky', password: 'a long password' })).rejects.toBe(
        failure,
      );
    });

    describe('the role passed to the repository', () => {
      it.each([
        ['an anonymous caller', undefined],
        ['a non-admin', 'user' as const],
      ])('is never the one %s asked for', async (_label, actorRole) => {
        seed('root', 'admin');
        const create = jest.spyOn(users, 'create');

        await makeService().create(
          { name: 'newcomer', password: 'a long password', role: 'user' },
          actorRole && caller(actorRole),
        );

        expect(create).toHaveBeenCalledTimes(1);
        expect(create.mock.calls[0][0].role).toBeUndefined();
      });

      it.each(['user', 'admin'] as const)('is the one an admin asked for (%s)', async (role) => {
        const admin = seed('root', 'admin');
        const create = jest.spyOn(users, 'create');

        await makeService().create({ name: 'newcomer', password: 'a long password', role }, admin);

        expect(create.mock.calls[0][0].role).toBe(role);
      });
    });

    describe('onlyIfFirst', () => {
      it.each([
        ['an anonymous caller', undefined],
        ['a non-admin', 'user' as const],
      ])('is true for %s under closed registration', async (_label, actorRole) => {
        const create = jest.spyOn(users, 'create');

        await makeService('closed').create(
          { name: 'founder', password: 'a long password' },
          actorRole && caller(actorRole),
        );

        expect(create).toHaveBeenCalledTimes(1);
        expect(create.mock.calls[0][0].onlyIfFirst).toBe(true);
      });

      it.each([
        ['an anonymous caller under open registration', 'open', undefined],
        ['a non-admin under open registration', 'open', 'user'],
        ['an admin under open registration', 'open', 'admin'],
        ['an admin under closed registration', 'closed', 'admin'],
      ] as const)('is false for %s', async (_label, registration, actorRole) => {
        seed('root', 'admin');
        const create = jest.spyOn(users, 'create');

        await makeService(registration).create(
          { name: 'newcomer', password: 'a long password' },
          actorRole && caller(actorRole),
        );

        expect(create).toHaveBeenCalledTimes(1);
        expect(create.mock.calls[0][0].onlyIfFirst).toBe(false);
      });

      it("turns 'not-first' into ForbiddenException when a first sign-up wins the race", async () => {
        // Both sign-ups saw an empty table; the other one inserted first.
        jest.spyOn(users, 'hasAnyUser').mockResolvedValue(false);
        seed('winner', 'admin');

        const attempt = makeService('closed').create({ name: 'loser', password: 'a long password' });

        await expect(attempt).rejects.toThrow(ForbiddenException);
        await expect(attempt).rejects.toThrow(CLOSED);
        expect(users.rows.size).toBe(1);
      });
    });
  });

  describe('get', () => {
    it('returns the user', async () => {
      const alice = seed('alice', 'user');

      await expect(makeService().get(alice.id)).resolves.toEqual(alice);
    });

    it('throws NotFoundException when the user is missing', async () => {
      await expect(makeService().get(randomUUID())).rejects.toThrow(NotFoundException);
    });
  });

  describe('list', () => {
    it('returns the page and the total from the repository', async () => {
      seed('root', 'admin');
      const alice = seed('alice', 'user');
      seed('bob', 'user');

      await expect(makeService().list({ limit: 1, offset: 1 })).resolves.toEqual({
        items: [alice],
        total: 3,
      });
    });
  });

  describe('update', () => {
    let admin: User;
    let alice: User;
    let bob: User;

    beforeEach(() => {
      admin = seed('root', 'admin');
      alice = seed('alice', 'user', 'alice-old-password');
      bob = seed('bob', 'user');
    });

    it('renames the user and updates the name key, which leaves access as it was', async () => {
      const { user: updated, accessChanged } = await makeService().update(
        alice.id,
        { name: 'Alicia' },
        alice,
      );

      expect(updated.name).toBe('Alicia');
      expect(accessChanged).toBe(false);
      expect(users.rows.get(alice.id)?.nameKey).toBe('alicia');
    });

    it('throws ForbiddenException when a non-admin changes someone else', async () => {
      await expect(makeService().update(bob.id, { name: 'robert' }, alice)).rejects.toThrow(
        ForbiddenException,
      );
      expect(users.rows.get(bob.id)?.name).toBe('bob');
    });

    it('throws ForbiddenException when a non-admin changes a role, even their own', async () => {
      await expect(makeService().update(alice.id, { role: 'admin' }, alice)).rejects.toThrow(
        ForbiddenException,
      );
      expect(users.rows.get(alice.id)?.role).toBe('user');
    });

    it('lets an admin change a role, which changes access', async () => {
      const { user: updated, accessChanged } = await makeService().update(alice.id, { role: 'admin' }, admin);

      expect(updated.role).toBe('admin');
      expect(accessChanged).toBe(true);
    });

    it('does not count setting the role a user already has as an access change', async () => {
      const { accessChanged } = await makeService().update(alice.id, { role: 'user' }, admin);

      expect(accessChanged).toBe(false);
    });

    it('throws BadRequestException when a user changes their password without currentPassword', async () => {
      await expect(makeService().update(alice.id, { password: 'a new password' }, alice)).rejects.toThrow(
        BadRequestException,
      );
      expect(users.rows.get(alice.id)?.passwordHash).toBe('fake$alice-old-password');
    });

    it('throws ForbiddenException when currentPassword is wrong', async () => {
      await expect(
        makeService().update(
          alice.id,
          { password: 'a new password', currentPassword: 'not-my-password' },
          alice,
        ),
      ).rejects.toThrow(ForbiddenException);
      expect(users.rows.get(alice.id)?.passwordHash).toBe('fake$alice-old-password');
    });

    it('counts a guess at currentPassword as an attempt for that user, by id', async () => {
      await expect(
        makeService().update(alice.id, { password: 'a new password', currentPassword: 'a guess' }, alice),
      ).rejects.toThrow(ForbiddenException);

      expect(throttle.calls).toEqual([['attempt', `user:${alice.id}`]]);
    });

    it('throws TooManyRequestsException without checking currentPassword while the name is locked', async () => {
      throttle.locked.add(`user:${alice.id}`);
      const verify = jest.spyOn(passwords, 'verify');

      await expect(
        makeService().update(
          alice.id,
          { password: 'a new password', currentPassword: 'alice-old-password' },
          alice,
        ),
      ).rejects.toThrow(TooManyRequestsException);
      expect(verify).not.toHaveBeenCalled();
      expect(users.rows.get(alice.id)?.passwordHash).toBe('fake$alice-old-password');
    });

    it('changes the password when currentPassword is right, which changes access', async () => {
      const { accessChanged } = await makeService().update(
        alice.id,
        { password: 'a new password', currentPassword: 'alice-old-password' },
        alice,
      );

      expect(users.rows.get(alice.id)?.passwordHash).toBe('fake$a new password');
      expect(accessChanged).toBe(true);
      expect(throttle.calls).toEqual([
        ['attempt', `user:${alice.id}`],
        ['succeeded', `user:${alice.id}`],
      ]);
    });

    it('asks an admin for currentPassword when changing their own password', async () => {
      await expect(makeService().update(admin.id, { password: 'a new password' }, admin)).rejects.toThrow(
        BadRequestException,
      );
    });

    it("lets an admin reset another user's password without currentPassword", async () => {
      await makeService().update(alice.id, { password: 'a reset password' }, admin);

      expect(users.rows.get(alice.id)?.passwordHash).toBe('fake$a reset password');
    });

    it('throws ConflictException when the repository refuses to demote the last admin', async () => {
      await expect(makeService().update(admin.id, { role: 'user' }, admin)).rejects.toThrow(
        ConflictException,
      );
      expect(users.rows.get(admin.id)?.role).toBe('admin');
    });

    it("throws ConflictException naming the name when the repository answers 'name-taken'", async () => {
      const attempt = makeService().update(alice.id, { name: 'BOB' }, alice);

      await expect(attempt).rejects.toThrow(ConflictException);
      await expect(attempt).rejects.toThrow('The name "BOB" is already taken');
      expect(users.rows.get(alice.id)?.name).toBe('alice');
    });

    it('passes a repository error through unchanged, even a unique violation', async () => {
      const failure = Object.assign(new Error('duplicate key'), { code: '23505' });
      jest.spyOn(users, 'update').mockRejectedValue(failure);

      await expect(makeService().update(alice.id, { name: 'BOB' }, alice)).rejects.toBe(failure);
    });

    it('throws NotFoundException when the user is missing', async () => {
      await expect(makeService().update(randomUUID(), { name: 'ghost' }, admin)).rejects.toThrow(
        NotFoundException,
      );
    });

    it('throws NotFoundException when the user disappears before the write', async () => {
      jest.spyOn(users, 'update').mockResolvedValue('missing');

      await expect(makeService().update(alice.id, { name: 'late' }, alice)).rejects.toThrow(
        NotFoundException,
      );
    });

    it('returns the user unchanged without writing when nothing is to change', async () => {
      const update = jest.spyOn(users, 'update');

      await expect(makeService().update(alice.id, {}, alice)).resolves.toEqual({
        user: alice,
        accessChanged: false,
      });
      expect(update).not.toHaveBeenCalled();
    });
  });

  describe('remove', () => {
    let admin: User;
    let alice: User;
    let bob: User;

    beforeEach(() => {
      admin = seed('root', 'admin');
      alice = seed('alice', 'user');
      bob = seed('bob', 'user');
    });

    it('throws ForbiddenException when a non-admin deletes someone else', async () => {
      await expect(makeService().remove(bob.id, alice)).rejects.toThrow(ForbiddenException);
      expect(users.rows.has(bob.id)).toBe(true);
    });

    it('lets a user delete their own account', async () => {
      await makeService().remove(alice.id, alice);

      expect(users.rows.has(alice.id)).toBe(false);
    });

    it('lets an admin delete someone else', async () => {
      await makeService().remove(bob.id, admin);

      expect(users.rows.has(bob.id)).toBe(false);
    });

    it('throws ConflictException when the repository refuses to delete the last admin', async () => {
      await expect(makeService().remove(admin.id, admin)).rejects.toThrow(ConflictException);
      expect(users.rows.has(admin.id)).toBe(true);
    });

    it('throws NotFoundException when the user is missing', async () => {
      await expect(makeService().remove(randomUUID(), admin)).rejects.toThrow(NotFoundException);
    });
  });

  describe('authenticate', () => {
    let alice: User;

    beforeEach(() => {
      alice = seed('Alice', 'user', 'alice-password');
    });

    it('returns undefined for an unknown name, after verifying against the dummy hash', async () => {
      const verify = jest.spyOn(passwords, 'verify');

      await expect(makeService().authenticate('nobody', 'alice-password')).resolves.toBeUndefined();
      expect(verify).toHaveBeenCalledWith('alice-password', 'fake$dummy');
    });

    it('returns undefined for a wrong password', async () => {
      await expect(makeService().authenticate('Alice', 'wrong-password')).resolves.toBeUndefined();
    });

    it('returns the user without passwordHash for the right password, ignoring the case of the name', async () => {
      const user = await makeService().authenticate('ALICE', 'alice-password');

      expect(user).toEqual(alice);
      expect(user).not.toHaveProperty('passwordHash');
    });
  });
});
