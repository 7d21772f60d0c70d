import { Logger } from '@nestjs/common';
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import { DependencyUnavailableError } from './dependency-unavailable.error.js';

/** Failures in a row (each a timeout or a lost connection) that show a dependency is down. */
const FAILURES_TO_OPEN = 3;
/** While open, one call in this long is let through to find out whether it answers again. */
const HALF_OPEN_AFTER_MS = 1000;

/**
 * Fails calls to a dependency at once while it is known to be down, instead of letting each
 * request wait out its timeout (cockatiel's circuit breaker; docs/reliability.md). Only failures that
 * `isUnavailable` names count: a bad query or a script error says nothing about the server.
 * While open, a call throws {@link DependencyUnavailableError}, which the global filter answers
 * with 503 and Retry-After; no command is sent, so none is left queued on a server that hangs.
 */
export class DependencyCircuit {
  private readonly breaker;

  constructor(
    /** As the client is told: "The {dependency} is unavailable right now". */
    readonly dependency: string,
    isUnavailable: (error: unknown) => boolean,
    options: { failuresToOpen?: number; halfOpenAfterMs?: number } = {},
  ) {
    this.breaker = circuitBreaker(handleWhen(isUnavailable), {
      halfOpenAfter: options.halfOpenAfterMs ?? HALF_OPEN_AFTER_MS,
      breaker: new ConsecutiveBreaker(options.failuresToOpen ?? FAILURES_TO_OPEN),
    });
    const logger = new Logger('Circuit');
    this.breaker.onBreak(() => logger.warn(`${dependency}: not answering; failing fast until it does`));
    this.breaker.onReset(() => logger.log(`${dependency}: answering again`));
  }

  /** `work`'s outcome; rejects at once, without calling it, while the circuit is open. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.execute(work);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new DependencyUnavailableError(this.dependency, error);
      throw error;
    }
  }
}
