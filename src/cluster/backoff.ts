export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** A worker that ran this long was healthy: the next delay starts from the beginning again. */
  stableMs: number;
  /** This many unexpected exits ... */
  crashLoopExits: number;
  /** ... within this window mean a crash loop: stop instead of forking forever. */
  crashLoopWindowMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 100,
  factor: 1.5,
  maxMs: 15_000,
  stableMs: 30_000,
  crashLoopExits: 10,
  crashLoopWindowMs: 60_000,
};

/** Decides how long to wait before replacing a crashed worker, and when to give up. */
export class Backoff {
  private failures = 0;
  private readonly exits: number[] = [];

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** Records an unexpected exit; returns the delay before respawning, or undefined for a crash loop. */
  exited(ranMs: number, now = Date.now()): number | undefined {
    this.exits.push(now);
    while (this.exits.length && this.exits[0] <= now - this.policy.crashLoopWindowMs) this.exits.shift();
    if (this.exits.length >= this.policy.crashLoopExits) return undefined;
    if (ranMs >= this.policy.stableMs) this.failures = 0;
    const delay = Math.min(this.policy.maxMs, this.policy.initialMs * this.policy.factor ** this.failures);
    this.failures++;
    return Math.round(delay);
  }
}
