import './runtime-check.js';
import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { Supervisor } from './cluster/supervisor.js';
import { leaveCluster, onShutdownRequest, tellSupervisor, watchMemory } from './cluster/worker-channel.js';
import { type AppConfig, ConfigError, loadConfig } from './config/configuration.js';
import { createDatabase } from './database/database.factory.js';
import { migrateToLatest } from './database/migrate.js';
import { housekeeping, HOUSEKEEPING_EVERY_MS } from './housekeeping.js';
import { createLogger } from './logging/logger.js';
import { listenMetrics } from './metrics/metrics-server.js';
import { loadTls, type TlsMaterial } from './server/tls.js';
import { startServer } from './worker.js';

/** npm start: one process when WORKERS=1, else a supervisor and WORKERS worker processes. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Checked before anything forks, so a bad file is one line, not one per worker.
  const tls = config.tls && loadTls(config.tls);
  if (cluster.isWorker) return runWorker(config, tls);
  const db = createDatabase(config.database);
  await migrateToLatest(db);
  if (config.workers === 1) {
    await db.destroy();
    return runAlone(config, tls);
  }
  const log = createLogger(config);
  // METRICS_PORT is the supervisor's, which sums what every worker counted; opened before any
  // fork, so a busy port is one line.
  const metrics = await listenMetrics(config, () => supervisor.metrics());
  if (metrics) log.info(`supervisor ${process.pid}: metrics on ${metrics.url}`);
  const supervisor = new Supervisor({
    workers: config.workers,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    housekeeping: { everyMs: HOUSEKEEPING_EVERY_MS, run: () => housekeeping(db) },
    cleanup: async () => {
      await metrics?.close();
      await db.destroy();
    },
    log: (line, event) => log.info({ ...event }, line),
    // No worker could start (port, certificate): one plain line, as when WORKERS=1.
    logError: (line, event) =>
      event?.event === 'start-failed' ? console.error(line) : log.error({ ...event }, line),
  });
  process.exit(await supervisor.start());
}

// Nest's Logger: written through pino once the app has started.
const processLog = new Logger('Process');

async function runAlone(config: AppConfig, tls: TlsMaterial | undefined): Promise<void> {
  const drain = new Drain(config.shutdownTimeoutMs);
  process.on('SIGHUP', () => processLog.warn('SIGHUP: nothing to reload with WORKERS=1 (restart instead)'));
  const server = await startServer(config, tls);
  const metrics = await listenMetrics(config, () => server.metrics());
  if (metrics) processLog.log(`Metrics on ${metrics.url}`);
  // Its own connection, as the supervisor's: a long prune must not count as the database not
  // answering, as it would under the requests' timeout and circuit breaker.
  const housekeepingDb = createDatabase(config.database);
  const prune = setInterval(
    () => void housekeeping(housekeepingDb).catch(() => undefined),
    HOUSEKEEPING_EVERY_MS,
  );
  prune.unref();
  drain.attach(async () => {
    clearInterval(prune);
    await metrics?.close();
    await server.close();
    await housekeepingDb.destroy();
  });
}

/** A cluster worker: reports ready over IPC, drains when told, and is replaced when it crashes. */
async function runWorker(config: AppConfig, tls: TlsMaterial | undefined): Promise<void> {
  const logger = new Logger('Worker');
  process.on('uncaughtException', (error) => {
    logger.error(`uncaught exception, exiting to be replaced: ${error.stack ?? String(error)}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled promise rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
  // The supervisor reloads on SIGHUP; a hang-up reaching the whole process group must not kill workers.
  process.on('SIGHUP', () => undefined);
  // Listening before the server starts: a stop asked for meanwhile is kept, not lost.
  const drain = new Drain(config.shutdownTimeoutMs);
  onShutdownRequest(() => drain.begin());
  const server = await startServer(config, tls);
  drain.attach(async () => {
    try {
      await server.close();
    } finally {
      await leaveCluster();
    }
  });
  if (drain.requested) return;
  tellSupervisor({ type: 'ready', url: server.url });
  if (config.maxWorkerMemoryMb !== undefined)
    watchMemory(config.maxWorkerMemoryMb, (line) => logger.warn(line));
}

/**
 * One graceful stop per process: stop accepting, let requests in flight finish (within
 * SHUTDOWN_TIMEOUT), close everything, exit 0. SIGTERM/SIGINT or the supervisor's request start
 * it; the supervisor asking again (after a signal to the whole process group, say) changes
 * nothing, while a second signal exits at once.
 */
class Drain {
  private started = false;
  private signals = 0;
  private close?: () => Promise<void>;

  constructor(private readonly timeoutMs: number) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (++this.signals > 1) process.exit(1);
        this.begin();
      });
    }
  }

  get requested(): boolean {
    return this.started;
  }

  /** What closes the server; if a stop was asked for while it started, it runs now. */
  attach(close: () => Promise<void>): void {
    this.close = close;
    if (this.started) this.run();
  }

  begin(): void {
    if (this.started) return;
    this.started = true;
    setTimeout(() => {
      processLog.error(`Requests still running after SHUTDOWN_TIMEOUT (${this.timeoutMs} ms): exiting`);
      process.exit(1);
    }, this.timeoutMs).unref();
    if (this.close) this.run();
  }

  private run(): void {
    this.close!().then(
      () => process.exit(0),
      (error: unknown) => {
        processLog.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  }
}

/** Start-up failures end in one line and exit code 1; stack traces are for bugs, not for setup. */
function describe(error: unknown): string {
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`;
  const { code, message, address, port } = error as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
  };
  if (code === 'EADDRINUSE') return `Cannot listen on ${address}:${port}: the port is already in use`;
  if (code === 'EACCES') return `Cannot listen on ${address}:${port}: permission denied`;
  return `Cannot start: ${message ?? String(error)}`;
}

main().catch((error: unknown) => {
  const line = describe(error);
  // A worker leaves the telling to the supervisor, so two workers failing alike make one line.
  if (cluster.isWorker) tellSupervisor({ type: 'fatal', message: line }, () => process.exit(1));
  else {
    console.error(line);
    process.exit(1);
  }
});
