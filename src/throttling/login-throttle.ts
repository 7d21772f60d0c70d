import { Injectable } from '@nestjs/common';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { LoginAttemptsRepository } from './login-attempts.repository.js';

/** Attempts let through before the first lock. */
export const FREE_FAILURES = 4;
const FIRST_LOCK_MS = 1000;
const MAX_LOCK_MS = 15 * 60_000;

/** The lock earned by the n-th counted attempt at index n - 1; the last entry holds beyond. */
const LOCKS_MS: readonly number[] = (() => {
  const locks: number[] = Array<number>(FREE_FAILURES).fill(0);
  for (let ms = FIRST_LOCK_MS; ms < MAX_LOCK_MS; ms *= 2) locks.push(ms);
  locks.push(MAX_LOCK_MS);
  return locks;
})();

/**
 * Slows password guessing against one subject (`name:<nameKey>` for logins, `user:<id>` for
 * password changes), across every process and instance (the counts live in the database).
 * Each attempt is counted as a failure before the password is checked, so parallel guesses
 * cannot slip through between a check and a count. Each attempt after the first
 * {@link FREE_FAILURES} locks the subject for twice as long as the one before (1 s, 2 s, 4 s …
 * at most 15 min); attempts while locked are refused and not counted. A success clears the
 * count, and a day without attempts forgets it.
 * Names are counted whether or not a user has them, so a lock reveals nothing.
 */
@Injectable()
export class LoginThrottle {
  constructor(private readonly attempts: LoginAttemptsRepository) {}

  /**
   * Counts an attempt at the subject's password, to be called before checking it; throws
   * {@link TooManyRequestsException} (not counting the attempt) while the subject is locked.
   */
  async attempt(subject: string): Promise<void> {
    const now = Date.now();
    const { letThrough, lockedUntil } = await this.attempts.attempt(subject, now, LOCKS_MS);
    if (!letThrough) {
      const seconds = Math.max(1, Math.ceil((lockedUntil - now) / 1000));
      throw new TooManyRequestsException(
        `Too many failed password attempts: try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
        seconds,
      );
    }
  }

  /** Clears the subject's count and lock, after the password was right. */
  async succeeded(subject: string): Promise<void> {
    await this.attempts.clear(subject);
  }
}
