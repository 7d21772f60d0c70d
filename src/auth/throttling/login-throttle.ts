import { Injectable } from '@nestjs/common';
import { TooManyRequestsException } from '../../common/too-many-requests.exception';
import { LoginFailuresRepository } from './login-failures.repository';

/** Failures allowed before the first lock. */
export const FREE_FAILURES = 4;
const FIRST_LOCK_MS = 1000;
const MAX_LOCK_MS = 15 * 60_000;

/**
 * Slows password guessing against one name, across every process and instance (the counts live
 * in the database). Each failure after the first {@link FREE_FAILURES} locks the name for twice
 * as long as the one before (1 s, 2 s, 4 s … at most 15 min); a successful login clears the
 * count, and a day without failures forgets it.
 * Names are counted whether or not a user has them, so a lock reveals nothing.
 */
@Injectable()
export class LoginThrottle {
  constructor(private readonly failures: LoginFailuresRepository) {}

  /** Throws {@link TooManyRequestsException} while logins with this name are locked. */
  async check(nameKey: string): Promise<void> {
    const waitMs = (await this.failures.lockedUntil(nameKey)) - Date.now();
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new TooManyRequestsException(
        `Too many failed logins with this name: try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
        seconds,
      );
    }
  }

  async failed(nameKey: string): Promise<void> {
    const now = Date.now();
    const count = await this.failures.add(nameKey, now);
    if (count > FREE_FAILURES) {
      const lockMs = Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(count - FREE_FAILURES - 1, 20));
      await this.failures.lock(nameKey, now + lockMs);
    }
  }

  async succeeded(nameKey: string): Promise<void> {
    await this.failures.clear(nameKey);
  }
}
