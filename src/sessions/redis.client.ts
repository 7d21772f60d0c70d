import { Logger } from '@nestjs/common';
import type { RedisClientType } from 'redis';
import type { RedisConfig } from '../config/configuration.js';
import { DependencyUnavailableError } from '../common/dependency-unavailable.error.js';

export type RedisClient = RedisClientType;

const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;
const CLOSE_WAIT_MS = 1000;

/**
 * A connected-in-the-background client: the process starts (and reports not ready) while Redis
 * is down, and reconnects by itself for as long as it runs. While disconnected, commands fail at
 * once rather than queue, so a request gets its 503 without waiting. A command waits at most
 * `commandTimeoutMs` for its answer, also once written to a Redis that stopped answering (hung,
 * frozen, or behind a network dropping packets): `rejectInFlight` makes the client's own timeout
 * cover that wait too, and drop the late reply when it comes, so replies stay matched to commands.
 */
export async function createRedisClient({ url, commandTimeoutMs }: RedisConfig): Promise<RedisClient> {
  // Loaded only when REDIS_URL is set: the embedded default never pays for it.
  const { createClient } = await import('redis');
  const logger = new Logger('Redis');
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs, rejectInFlight: true },
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
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

/**
 * Stops reconnecting; waits for commands in flight when connected, but at most
 * {@link CLOSE_WAIT_MS}: a Redis that hangs must not hold up the process's shutdown.
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (!client.isReady) {
    if (client.isOpen) client.destroy();
    return;
  }
  // destroy() settles a close() that is still waiting for replies.
  const timer = setTimeout(() => client.destroy(), CLOSE_WAIT_MS);
  try {
    await client.close();
  } finally {
    clearTimeout(timer);
  }
}

// The reply errors that mean "not now" rather than "wrong": a restart loading its data, a
// replica promoted meanwhile, a script over its time limit.
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN)\b/;
const UNAVAILABLE_ERRORS = new Set([
  'ClientOfflineError',
  'ClientClosedError',
  'DisconnectsClientError',
  'TimeoutError',
  'TimeoutReadError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'ReconnectStrategyError',
  'SocketTimeoutError',
]);

/**
 * `error` as the 503 it deserves when it says Redis cannot be used right now (down, or no answer
 * in time); else unchanged.
 */
export function asStoreError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const unavailable =
    UNAVAILABLE_ERRORS.has(error.constructor.name) ||
    UNAVAILABLE_ERRORS.has(error.name) ||
    TRANSIENT_REPLY.test(error.message);
  return unavailable ? new DependencyUnavailableError('session store', error) : error;
}
