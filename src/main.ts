import './runtime-check';
import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { PRUNE_EVERY_MS, pruneExpiredSessions } from './auth/session/database-session.store';
import type { WorkerMessage } from './cluster/messages';
import { Supervisor } from './cluster/supervisor';
import { type AppConfig, ConfigError, loadConfig } from './config/configuration';
import { createDatabase } from './database/database.factory';
import { migrateToLatest } from './database/migrate';
import { loadTls, type TlsMaterial } from './server/tls';
import { startServer } from './worker';

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
  const supervisor = new Supervisor({
    workers: config.workers,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    housekeeping: { everyMs: PRUNE_EVERY_MS, run: () => pruneExpiredSessions(db) },
    cleanup: () => db.destroy(),
    log: (line) => console.log(line),
    logError: (line) => console.error(line),
  });
  process.exit(await supervisor.start());
}

async function runAlone(config: AppConfig, tls: TlsMaterial | undefined): Promise<void> {
  const server = await startServer(config, tls);
  const prune = setInterval(
    () => void pruneExpiredSessions(server.db).catch(() => undefined),
    PRUNE_EVERY_MS,
  );
  prune.unref();
  stopOnSignal(config, async () => {
    clearInterval(prune);
    await server.close();
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
  const server = await startServer(config, tls);
  const stop = stopOnSignal(config, () => server.close());
  process.on('message', (message: unknown) => {
    if ((message as { type?: unknown }).type === 'shutdown') stop();
  });
  send({ type: 'ready', url: server.url });
  if (config.maxWorkerMemoryMb !== undefined) watchMemory(config.maxWorkerMemoryMb);
}

function watchMemory(limitMb: number): void {
  const timer = setInterval(() => {
    const rssMb = Math.round(process.memoryUsage.rss() / 1_048_576);
    if (rssMb <= limitMb) return;
    clearInterval(timer);
    send({ type: 'memory-exceeded', rssMb });
  }, 5_000);
  timer.unref();
}

/**
 * SIGTERM/SIGINT (or the returned trigger): stop accepting, let requests in flight finish within
 * SHUTDOWN_TIMEOUT, close everything, exit 0. A second signal exits at once.
 */
function stopOnSignal(config: AppConfig, close: () => Promise<void>): () => void {
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => {
      console.error(
        `Requests still running after SHUTDOWN_TIMEOUT (${config.shutdownTimeoutMs} ms): exiting`,
      );
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return stop;
}

function send(message: WorkerMessage, then: () => void = () => undefined): void {
  if (process.send) process.send(message, () => then());
  else then();
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
  if (cluster.isWorker) send({ type: 'fatal', message: line }, () => process.exit(1));
  else {
    console.error(line);
    process.exit(1);
  }
});
