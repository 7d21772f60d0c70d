/**
 * A dependency other than the database (the Redis session store) cannot be used right now. The
 * global filter answers 503 with Retry-After, as it does for an unavailable database.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    /** How the client is told about it: "The {dependency} is unavailable right now". */
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}
