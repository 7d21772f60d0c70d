import { Logger } from '@nestjs/common';
import type { RedisClientType } from 'redis';
import type { RedisConfig } from '../../config/configuration.js';
import { DependencyUnavailableError } from '../../common/dependency-unavailable.error.js';

export type RedisClient = RedisClientType;

/** A command waits at most this long; a Redis that hangs costs a request 2 s and a 503. */
const COMMAND_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * A connected-in-the-background client: the process starts (and reports not ready) while Redis
 * is down, and reconnects by itself for as long as it runs. While disconnected, commands fail at
 * once rather than queue, so a request gets its 503 without waiting.
 */
export async function createRedisClient({ url }: RedisConfig): Promise<RedisClient> {
  // Loaded only when REDIS_URL is set: the embedded default never pays for it.
  const { createClient } = await import('redis');
  const logger = new Logger('Redis');
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: COMMAND_TIMEOUT_MS,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
  }) as unknown as RedisClient;
  let down = false;
  // Without an error listener, a lost connection would crash the process.
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`connection lost, reconnecting: ${error.message}`);
  });
  client.on('ready', () => {
    if (down) logger.log('connection restored');
    down = false;
  });
  client.connect().catch(() => undefined);
  return client;
}

/** Stops reconnecting; waits for commands in flight when connected. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.isReady) await client.close();
  else if (client.isOpen) client.destroy();
}

// The reply errors that mean "not now" rather than "wrong": a restart loading its data, a
// replica promoted meanwhile, a script over its time limit.
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN)\b/;
const UNAVAILABLE_ERRORS = new Set([
  'ClientOfflineError',
  'ClientClosedError',
  'TimeoutError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'ReconnectStrategyError',
  'SocketTimeoutError',
]);

/**
 * `work`, or a {@link DependencyUnavailableError} once it has waited {@link COMMAND_TIMEOUT_MS}.
 * The client's own command timeout ends only the wait to be sent: a command already written to a
 * Redis that stopped answering (hung, or a network dropping packets) would wait forever.
 */
export async function withinCommandTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const cause = new Error(`no answer within ${COMMAND_TIMEOUT_MS} ms`);
      reject(new DependencyUnavailableError('session store', cause));
    }, COMMAND_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `error` as the 503 it deserves when it says Redis cannot be used right now; else unchanged. */
export function asStoreError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const unavailable =
    UNAVAILABLE_ERRORS.has(error.constructor.name) ||
    UNAVAILABLE_ERRORS.has(error.name) ||
    TRANSIENT_REPLY.test(error.message);
  return unavailable ? new DependencyUnavailableError('session store', error) : error;
}
