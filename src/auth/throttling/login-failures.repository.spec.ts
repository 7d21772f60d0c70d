import type { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../../database/database.factory';
import type { Database } from '../../database/database.types';
import { migrateToLatest } from '../../database/migrate';
import { FORGET_AFTER_MS, LoginFailuresRepository, pruneLoginFailures } from './login-failures.repository';

const START = 1_767_225_600_000;
const HOUR_MS = 3_600_000;

describe(LoginFailuresRepository.name, () => {
  let dir: string;
  let db: Kysely<Database>;
  let repository: LoginFailuresRepository;

  function row(nameKey: string) {
    return db.selectFrom('loginFailures').selectAll().where('nameKey', '=', nameKey).executeTakeFirst();
  }

  async function nameKeys(): Promise<string[]> {
    const rows = await db.selectFrom('loginFailures').select('nameKey').orderBy('nameKey').execute();
    return rows.map((r) => r.nameKey);
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'login-failures-spec-'));
    db = createDatabase({ dialect: 'sqlite', file: join(dir, 'app.db') });
    await migrateToLatest(db);
    repository = new LoginFailuresRepository(db);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('lockedUntil', () => {
    it('returns 0 for a name without failures', async () => {
      await expect(repository.lockedUntil('nobody')).resolves.toBe(0);
    });

    it('returns 0 for a name with failures but no lock', async () => {
      await repository.add('alice', START);

      await expect(repository.lockedUntil('alice')).resolves.toBe(0);
    });

    it('returns the lock set for the name', async () => {
      await repository.add('alice', START);
      await repository.lock('alice', START + 1000);

      await expect(repository.lockedUntil('alice')).resolves.toBe(START + 1000);
    });
  });

  describe('add', () => {
    it('returns the running count and records the time of the last failure', async () => {
      await expect(repository.add('alice', START)).resolves.toBe(1);
      await expect(repository.add('alice', START + 1000)).resolves.toBe(2);
      await expect(repository.add('alice', START + 2000)).resolves.toBe(3);

      await expect(row('alice')).resolves.toEqual({
        nameKey: 'alice',
        failures: 3,
        lastFailedAt: START + 2000,
        lockedUntil: 0,
      });
    });

    it('counts every one of many concurrent failures', async () => {
      const counts = await Promise.all(Array.from({ length: 20 }, () => repository.add('alice', START)));

      expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await expect(row('alice')).resolves.toMatchObject({ failures: 20 });
    });

    it('counts each name on its own', async () => {
      await repository.add('alice', START);
      await repository.add('alice', START);

      await expect(repository.add('bob', START)).resolves.toBe(1);
    });

    it('keeps counting while the last failure is less than FORGET_AFTER_MS old', async () => {
      await repository.add('alice', START);
      await repository.add('alice', START + 20 * HOUR_MS);

      await expect(repository.add('alice', START + 20 * HOUR_MS + FORGET_AFTER_MS - 1)).resolves.toBe(3);
    });

    it('starts again at 1 once the last failure is more than FORGET_AFTER_MS old', async () => {
      await repository.add('alice', START);
      await repository.add('alice', START + 1000);
      const later = START + 1000 + FORGET_AFTER_MS + 1;

      await expect(repository.add('alice', later)).resolves.toBe(1);
      await expect(row('alice')).resolves.toMatchObject({ failures: 1, lastFailedAt: later });
    });

    it('forgets after one day', () => {
      expect(FORGET_AFTER_MS).toBe(24 * HOUR_MS);
    });

    it('keeps the lock in place', async () => {
      await repository.add('alice', START);
      await repository.lock('alice', START + 4000);

      await repository.add('alice', START + 1000);

      await expect(repository.lockedUntil('alice')).resolves.toBe(START + 4000);
    });
  });

  describe('lock', () => {
    beforeEach(async () => {
      await repository.add('alice', START);
    });

    it('raises a lock', async () => {
      await repository.lock('alice', START + 1000);

      await repository.lock('alice', START + 2000);

      await expect(repository.lockedUntil('alice')).resolves.toBe(START + 2000);
    });

    it('does not shorten a longer lock already in place', async () => {
      await repository.lock('alice', START + 8000);

      await repository.lock('alice', START + 2000);

      await expect(repository.lockedUntil('alice')).resolves.toBe(START + 8000);
    });

    it('locks only the given name', async () => {
      await repository.add('bob', START);

      await repository.lock('alice', START + 1000);

      await expect(repository.lockedUntil('bob')).resolves.toBe(0);
    });

    it('does not create a counter for a name without failures', async () => {
      await repository.lock('nobody', START + 1000);

      await expect(row('nobody')).resolves.toBeUndefined();
    });
  });

  describe('clear', () => {
    it("removes the name's count and lock, so the next failure counts 1", async () => {
      await repository.add('alice', START);
      await repository.add('alice', START);
      await repository.lock('alice', START + 1000);

      await repository.clear('alice');

      await expect(repository.lockedUntil('alice')).resolves.toBe(0);
      await expect(repository.add('alice', START)).resolves.toBe(1);
    });

    it("leaves other names' counts alone", async () => {
      await repository.add('alice', START);
      await repository.add('bob', START);

      await repository.clear('alice');

      await expect(nameKeys()).resolves.toEqual(['bob']);
    });
  });

  describe(pruneLoginFailures.name, () => {
    it('deletes counters whose last failure is more than FORGET_AFTER_MS old and returns how many', async () => {
      await repository.add('old-1', START - FORGET_AFTER_MS - 1);
      await repository.add('old-2', START - 2 * FORGET_AFTER_MS);
      await repository.add('recent', START - FORGET_AFTER_MS + 1);

      await expect(pruneLoginFailures(db, START)).resolves.toBe(2);

      await expect(nameKeys()).resolves.toEqual(['recent']);
    });

    it('keeps an old counter while its lock lasts', async () => {
      await repository.add('alice', START - FORGET_AFTER_MS - 1);
      await db
        .updateTable('loginFailures')
        .set({ lockedUntil: START + 1 })
        .execute();

      await expect(pruneLoginFailures(db, START)).resolves.toBe(0);
      await expect(pruneLoginFailures(db, START + 1)).resolves.toBe(1);
    });

    it('uses Date.now() when no time is given', async () => {
      await repository.add('alice', START);
      jest.spyOn(Date, 'now').mockReturnValue(START + FORGET_AFTER_MS);
      await expect(pruneLoginFailures(db)).resolves.toBe(0);

      jest.spyOn(Date, 'now').mockReturnValue(START + FORGET_AFTER_MS + 1);

      await expect(pruneLoginFailures(db)).resolves.toBe(1);
    });
  });
});
