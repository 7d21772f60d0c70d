import { Injectable, type OnModuleInit } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// OWASP's scrypt equivalents: N=2^15, r=8, p=3 costs 32 MiB per hash (N=2^17, p=1 would cost 128).
const COST = { logN: 15, r: 8, p: 3 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([\w+/]+={0,2})\$([\w+/]+={0,2})$/;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/**
 * scrypt password hashes in a self-describing format (`$scrypt$ln=15,r=8,p=3$salt$hash`), so the
 * cost can be raised later without breaking stored hashes. At most one hash per core runs at a
 * time: each takes 32 MiB, and a burst of logins must not exhaust memory.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly limit = availableParallelism();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dummy?: Promise<string>;

  /** Made at start, so not even the first unknown-name login costs an extra hash. */
  async onModuleInit(): Promise<void> {
    await this.dummyHash();
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const key = await this.bounded(() => derive(password, salt, COST.logN, COST.r, COST.p));
    return `$scrypt$ln=${COST.logN},r=${COST.r},p=${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const match = FORMAT.exec(stored);
    if (!match) return false;
    const [logN, r, p] = match.slice(1, 4).map(Number);
    // A damaged or hostile row must not cost seconds and gigabytes (at most 256 MiB here), nor throw.
    if (logN < 10 || logN > 17 || r < 1 || r > 16 || p < 1 || p > 4) return false;
    const expectedKey = Buffer.from(match[5], 'base64');
    try {
      const key = await this.bounded(() => derive(password, Buffer.from(match[4], 'base64'), logN, r, p));
      return key.length === expectedKey.length && timingSafeEqual(key, expectedKey);
    } catch {
      return false;
    }
  }

  /** A hash of a random password, verified against when a name is unknown so timing gives nothing away. */
  dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(16).toString('base64'));
    return this.dummy;
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
