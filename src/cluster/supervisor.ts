import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { Backoff, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff';
import { isWorkerMessage, type SupervisorMessage } from './messages';

export interface SupervisorOptions {
  workers: number;
  /** How long a worker may take to finish its requests when asked to stop, before SIGKILL. */
  shutdownTimeoutMs: number;
  /** How long a new worker may take to report ready. */
  readyTimeoutMs?: number;
  backoff?: BackoffPolicy;
  /** Work that must run once per machine, not in every worker (e.g. pruning dead sessions). */
  housekeeping?: { everyMs: number; run(): Promise<unknown> };
  /** Released when the supervisor stops (e.g. closes its database connection). */
  cleanup?: () => Promise<void>;
  log?: (line: string) => void;
  /** Where a failure that stops the supervisor is told (one line). */
  logError?: (line: string) => void;
}

interface Managed {
  worker: Worker;
  startedAt: number;
  ready: boolean;
  /** Stopping on purpose (reload, shutdown, memory): its exit is not a crash. */
  retiring: boolean;
}

/**
 * Keeps `workers` copies of this program running under node:cluster: replaces crashed ones with
 * growing back-off and gives up on a crash loop; SIGHUP replaces them one at a time, each old one
 * stopping only after its replacement is ready; SIGTERM/SIGINT drain them (a second signal stops
 * at once). It knows nothing of what the workers serve. Resolves with the exit code.
 */
export class Supervisor {
  private readonly managed = new Map<number, Managed>();
  private readonly backoff: Backoff;
  private readonly log: (line: string) => void;
  private readonly logError: (line: string) => void;
  private everReady = false;
  private stopping?: Promise<number>;
  private reloading = false;
  private housekeeping?: NodeJS.Timeout;
  private finish!: (code: number) => void;
  readonly done = new Promise<number>((resolve) => (this.finish = resolve));

  constructor(private readonly options: SupervisorOptions) {
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.log = options.log ?? ((line) => console.log(line));
    this.logError = options.logError ?? ((line) => console.error(line));
  }

  async start(): Promise<number> {
    this.log(`supervisor ${process.pid}: starting ${this.options.workers} workers`);
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    process.on('SIGHUP', () => void this.reload());
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (this.stopping) this.forceStop(signal);
        else void this.stop(0, `${signal}: draining workers`);
      });
    }
    const { housekeeping } = this.options;
    if (housekeeping) {
      this.housekeeping = setInterval(
        () => void housekeeping.run().catch((e) => this.log(`housekeeping failed: ${String(e)}`)),
        housekeeping.everyMs,
      );
      this.housekeeping.unref();
    }
    const started = await Promise.allSettled(Array.from({ length: this.options.workers }, () => this.fork()));
    if (started.some((s) => s.status === 'rejected') && !this.everReady) {
      const reason = (started.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason as Error;
      this.logError(reason.message);
      return this.stop(1);
    }
    this.log(`supervisor ${process.pid}: ${this.managed.size} workers ready`);
    return this.done;
  }

  /** Forks one worker and resolves once it reports ready; rejects with its fatal message. */
  private fork(): Promise<Managed> {
    const worker = cluster.fork();
    const managed: Managed = { worker, startedAt: Date.now(), ready: false, retiring: false };
    this.managed.set(worker.id, managed);
    this.log(`supervisor: forked worker ${worker.process.pid}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        managed.retiring = true;
        worker.kill('SIGKILL');
        reject(
          new Error(`worker ${worker.process.pid} did not report ready within ${this.readyTimeoutMs} ms`),
        );
      }, this.readyTimeoutMs);
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message.type === 'ready') {
          clearTimeout(timer);
          managed.ready = true;
          this.everReady = true;
          this.log(`worker ${worker.process.pid} ready at ${message.url}`);
          resolve(managed);
        } else if (message.type === 'fatal') {
          clearTimeout(timer);
          managed.retiring = !this.everReady;
          reject(new Error(message.message));
        } else if (message.type === 'memory-exceeded') {
          this.log(
            `worker ${worker.process.pid} uses ${message.rssMb} MiB, over MAX_WORKER_MEMORY_MB: replacing it`,
          );
          void this.replace(managed);
        }
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        if (!managed.ready) reject(new Error(`worker ${worker.process.pid} exited before it was ready`));
      });
    });
  }

  private get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? 30_000;
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const managed = this.managed.get(worker.id);
    this.managed.delete(worker.id);
    if (!managed || managed.retiring || this.stopping) return;
    const ranMs = Date.now() - managed.startedAt;
    const delay = this.backoff.exited(ranMs);
    if (delay === undefined) {
      const { crashLoopExits, crashLoopWindowMs } = this.options.backoff ?? DEFAULT_BACKOFF;
      this.logError(
        `worker ${worker.process.pid} exited (code ${code}, signal ${signal}): crash loop, ` +
          `${crashLoopExits} exits within ${crashLoopWindowMs / 1000} s; stopping`,
      );
      void this.stop(1);
      return;
    }
    this.log(
      `worker ${worker.process.pid} exited (code ${code}, signal ${signal}); replacing it in ${delay} ms`,
    );
    setTimeout(() => {
      if (!this.stopping) this.fork().catch((e: Error) => this.log(`replacement failed: ${e.message}`));
    }, delay);
  }

  /** Starts a replacement, waits for it to be ready, then drains the old worker. */
  private async replace(old: Managed): Promise<boolean> {
    if (old.retiring || this.stopping) return false;
    try {
      await this.fork();
    } catch (error) {
      this.log(
        `replacement for worker ${old.worker.process.pid} failed (${(error as Error).message}); keeping it`,
      );
      return false;
    }
    await this.retire(old);
    return true;
  }

  /** SIGHUP: replaces every worker, one at a time, without dropping a request. */
  async reload(): Promise<void> {
    if (this.reloading || this.stopping) return;
    this.reloading = true;
    this.log('SIGHUP: replacing workers one at a time');
    try {
      for (const old of [...this.managed.values()].filter((m) => m.ready && !m.retiring)) {
        if (!(await this.replace(old))) break;
      }
      this.log('reload finished');
    } finally {
      this.reloading = false;
    }
  }

  /** Asks a worker to finish its requests and exit; kills it at the shutdown deadline. */
  private async retire(managed: Managed): Promise<void> {
    managed.retiring = true;
    const { worker } = managed;
    if (worker.isDead()) return;
    const exited = once(worker, 'exit');
    const message: SupervisorMessage = { type: 'shutdown' };
    if (worker.isConnected()) worker.send(message);
    else worker.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.log(
        `worker ${worker.process.pid} still running after ${this.options.shutdownTimeoutMs} ms: killing it`,
      );
      worker.kill('SIGKILL');
    }, this.options.shutdownTimeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Drains every worker, then resolves `done` with `code`. */
  stop(code: number, reason?: string): Promise<number> {
    if (reason) this.log(reason);
    this.stopping ??= (async () => {
      clearInterval(this.housekeeping);
      await Promise.all([...this.managed.values()].map((m) => this.retire(m)));
      await this.options.cleanup?.().catch(() => undefined);
      this.log(`supervisor ${process.pid}: all workers stopped`);
      this.finish(code);
      return code;
    })();
    return this.stopping;
  }

  private forceStop(signal: string): void {
    this.log(`${signal} again: stopping now`);
    for (const { worker } of this.managed.values()) worker.process.kill('SIGKILL');
    this.finish(1);
  }
}
