import { jest } from '@jest/globals';
import * as crypto from 'node:crypto';

// The hasher imports scrypt by name, which a spy on the module object cannot reach in ESM: the
// module is mocked with a jest.fn that runs the real scrypt until a test says otherwise.
const scrypt = jest.fn(crypto.scrypt);
jest.unstable_mockModule('node:crypto', () => ({ ...crypto, default: crypto, scrypt }));
const { randomBytes, scryptSync } = crypto;
const { PasswordHasher } = await import('./password.hasher.js');

const PASSWORD = 'correct horse battery';
const HASH_FORMAT = /^\$scrypt\$ln=15,r=8,p=3\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

describe(PasswordHasher.name, () => {
  let hasher: InstanceType<typeof PasswordHasher>;
  let stored: string;

  beforeAll(async () => {
    hasher = new PasswordHasher();
    stored = await hasher.hash(PASSWORD);
  });

  it('hashes into $scrypt$ln=15,r=8,p=3$salt$hash with a 16-byte salt and a 32-byte key', () => {
    const match = HASH_FORMAT.exec(stored);

    expect(match).not.toBeNull();
    expect(Buffer.from(match![1], 'base64')).toHaveLength(16);
    expect(Buffer.from(match![2], 'base64')).toHaveLength(32);
  });

  it('salts every hash, so the same password hashes differently', async () => {
    expect(await hasher.hash(PASSWORD)).not.toBe(stored);
  });

  it('verifies the right password', async () => {
    await expect(hasher.verify(PASSWORD, stored)).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    await expect(hasher.verify('correct horse battery!', stored)).resolves.toBe(false);
  });

  it.each([
    ['an empty string', ''],
    ['a plain-text password', PASSWORD],
    ['a bcrypt hash', '$2b$12$abcdefghijklmnopqrstuuJ9bN8bY5V8n0lHqGqk5N2pQ0kE6VZ7a'],
    ['a hash without its key', '$scrypt$ln=15,r=8,p=3$c2FsdA=='],
    ['a hash with a non-numeric cost', '$scrypt$ln=x,r=8,p=3$c2FsdA==$a2V5'],
    ['a cost scrypt refuses (ln=0)', '$scrypt$ln=0,r=8,p=3$c2FsdA==$a2V5'],
    ['a ruinous memory cost (ln=99)', '$scrypt$ln=99,r=8,p=3$c2FsdA==$a2V5'],
    ['a ruinous block size (r=99)', '$scrypt$ln=15,r=99,p=3$c2FsdA==$a2V5'],
    ['a zero parallelism (p=0)', '$scrypt$ln=15,r=8,p=0$c2FsdA==$a2V5'],
  ])('returns false for %s as the stored value', async (_label, malformed) => {
    await expect(hasher.verify(PASSWORD, malformed)).resolves.toBe(false);
  });

  describe('cost bounds of a stored hash', () => {
    beforeEach(() => {
      // Stands in for scrypt, so a bound that let a huge cost through fails fast instead of
      // allocating gigabytes.
      scrypt.mockClear().mockImplementation(() => {
        throw new Error('scrypt stand-in');
      });
    });

    afterEach(() => {
      scrypt.mockImplementation(crypto.scrypt);
    });

    it.each([
      ['ln=18', '$scrypt$ln=18,r=8,p=3$c2FsdA==$a2V5'],
      ['r=17', '$scrypt$ln=15,r=17,p=3$c2FsdA==$a2V5'],
      ['p=5', '$scrypt$ln=15,r=8,p=5$c2FsdA==$a2V5'],
      ['ln=9', '$scrypt$ln=9,r=8,p=3$c2FsdA==$a2V5'],
    ])('returns false for %s without running scrypt', async (_label, hostile) => {
      await expect(hasher.verify(PASSWORD, hostile)).resolves.toBe(false);
      expect(scrypt).not.toHaveBeenCalled();
    });

    it.each([
      ['the largest accepted cost (ln=17, r=16, p=4)', '$scrypt$ln=17,r=16,p=4$c2FsdA==$a2V5'],
      ['the smallest accepted cost (ln=10, r=1, p=1)', '$scrypt$ln=10,r=1,p=1$c2FsdA==$a2V5'],
    ])('runs scrypt for %s', async (_label, stored) => {
      await expect(hasher.verify(PASSWORD, stored)).resolves.toBe(false);
      expect(scrypt).toHaveBeenCalledTimes(1);
    });
  });

  it('returns false when the stored key has another length', async () => {
    const [prefix, salt] = stored.split('$').slice(2, 4);
    const shortKey = randomBytes(16).toString('base64');

    await expect(hasher.verify(PASSWORD, `$scrypt$${prefix}$${salt}$${shortKey}`)).resolves.toBe(false);
  });

  it('verifies a hash stored with other cost parameters', async () => {
    const salt = randomBytes(16);
    const key = scryptSync(PASSWORD, salt, 32, { N: 2 ** 10, r: 8, p: 1 });
    const cheap = `$scrypt$ln=10,r=8,p=1$${salt.toString('base64')}$${key.toString('base64')}`;

    await expect(hasher.verify(PASSWORD, cheap)).resolves.toBe(true);
  });

  it('normalises to NFC, so composed and decomposed forms of a password match', async () => {
    const decomposed = 'Cafe\u0301 au lait';
    const composed = 'Caf\u00e9 au lait';

    await expect(hasher.verify(composed, await hasher.hash(decomposed))).resolves.toBe(true);
  });

  it('uses all of a 256-character Unicode password', async () => {
    const password = '비밀번호🔑'.repeat(51) + 'a';
    expect(Array.from(password)).toHaveLength(256);
    const hash = await hasher.hash(password);

    await expect(hasher.verify(password, hash)).resolves.toBe(true);
    await expect(hasher.verify(password.slice(0, -1) + 'b', hash)).resolves.toBe(false);
  });

  it('makes the dummy hash in onModuleInit, and dummyHash then returns that very value', async () => {
    const fresh = new PasswordHasher();
    const hash = jest.spyOn(fresh, 'hash');

    await expect(fresh.onModuleInit()).resolves.toBeUndefined();
    expect(hash).toHaveBeenCalledTimes(1);
    const made = (await hash.mock.results[0].value) as string;

    await expect(fresh.dummyHash()).resolves.toBe(made);
    expect(made).toMatch(HASH_FORMAT);
    expect(hash).toHaveBeenCalledTimes(1);
  });

  it('returns the same dummy hash every time', async () => {
    const first = await hasher.dummyHash();
    const second = await hasher.dummyHash();

    expect(first).toMatch(HASH_FORMAT);
    expect(second).toBe(first);
  });
});
