import cluster, { type Worker } from 'node:cluster';
import { Backoff, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.js';
import { isWorkerMessage, type SupervisorMessage } from './messages.js';
import { collectMetrics } from './metrics-collector.js';

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
  /** Where events are told, one line each, with what they are about for structured logs. */
  log?: (line: string, event?: SupervisorEvent) => void;
  /** Where failures are told (one line each). */
  logError?: (line: string, event?: SupervisorEvent) => void;
}

/** What a supervisor log line is about; `worker` is the worker's pid. */
export interface SupervisorEvent {
  event:
    | 'start'
    | 'start-failed'
    | 'fork'
    | 'ready'
    | 'exit'
    | 'crash-loop'
    | 'reload'
    | 'reloaded'
    | 'stop'
    | 'stopped';
  worker?: number;
  code?: number | null;
  signal?: string | null;
}

interface Managed {
  worker: Worker;
  startedAt: number;
  ready: boolean;
  /** Stopping on purpose (reload, shutdown, memory, failed start): its exit is not a crash. */
  retiring: boolean;
  /** A replacement for it is on its way. */
  replacing: boolean;
  /** Set once it has been asked to stop, so it is asked only once. */
  stopped?: Promise<void>;
}

/**
 * Keeps `workers` copies of this program running under node:cluster: replaces crashed ones with
 * growing back-off and gives up on a crash loop; SIGHUP replaces them one at a time, each old one
 * stopping only after its replacement is ready; SIGTERM/SIGINT drain them (a second signal stops
 * at once). It knows nothing of what the workers serve. `start()` resolves with the exit code.
 */
export class Supervisor {
  private readonly managed = new Map<number, Managed>();
  private readonly backoff: Backoff;
  private readonly log: (line: string, event?: SupervisorEvent) => void;
  private readonly logError: (line: string, event?: SupervisorEvent) => void;
  private everReady = false;
  private stopping?: Promise<number>;
  private reloading = false;
  /** Replacements (reload, memory) run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private housekeeping?: NodeJS.Timeout;
  /** The metrics collection under way; scrapes arriving meanwhile share it. */
  private collecting?: Promise<string>;
  private finish!: (code: number) => void;
  private readonly done = new Promise<number>((resolve) => (this.finish = resolve));

  constructor(private readonly options: SupervisorOptions) {
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.log = options.log ?? ((line) => console.log(line));
    this.logError = options.logError ?? ((line) => console.error(line));
  }

  async start(): Promise<number> {
    this.log(`supervisor ${process.pid}: starting ${this.options.workers} workers`, { event: 'start' });
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
      const run = () => housekeeping.run().catch((e) => this.logError(`housekeeping failed: ${String(e)}`));
      this.housekeeping = setInterval(() => void run(), housekeeping.everyMs);
      this.housekeeping.unref();
    }
    const started = await Promise.allSettled(Array.from({ length: this.options.workers }, () => this.fork()));
    const failures = started.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
    if (this.stopping) return this.done;
    if (!this.everReady) {
      // Every worker failed alike (port in use, bad certificate): say it once and stop.
      this.logError(failures[0], { event: 'start-failed' });
      void this.stop(1);
      return this.done;
    }
    for (const failure of failures) {
      this.logError(`a worker failed to start (${failure}); starting another`);
      this.fork().catch((e: Error) => this.logError(`replacement failed: ${e.message}`));
    }
    this.log(`supervisor ${process.pid}: ${started.length - failures.length} workers ready`);
    return this.done;
  }

  /** Forks one worker and resolves once it reports ready; rejects with its fatal message. */
  private fork(): Promise<Managed> {
    const worker = cluster.fork();
    const managed: Managed = {
      worker,
      startedAt: Date.now(),
      ready: false,
      retiring: false,
      replacing: false,
    };
    this.managed.set(worker.id, managed);
    // An IPC write to a worker dying at that moment fails; that is no reason to crash.
    worker.on('error', (error) => this.log(`worker ${worker.process.pid}: ${error.message}`));
    this.log(`supervisor: forked worker ${worker.process.pid}`, {
      event: 'fork',
      worker: worker.process.pid,
    });
    return new Promise((resolve, reject) => {
      // A worker that never becomes ready is stopped and reported by whoever awaits this fork,
      // not treated as a crash to respawn.
      const fail = (message: string) => {
        clearTimeout(timer);
        managed.retiring = true;
        reject(new Error(message));
      };
      const timer = setTimeout(() => {
        fail(`worker ${worker.process.pid} did not report ready within ${this.readyTimeoutMs} ms`);
        worker.kill('SIGKILL');
      }, this.readyTimeoutMs);
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message.type === 'ready') {
          clearTimeout(timer);
          managed.ready = true;
          this.everReady = true;
          this.log(`worker ${worker.process.pid} ready at ${message.url}`, {
            event: 'ready',
            worker: worker.process.pid,
          });
          resolve(managed);
          // A worker asked to stop while it was starting goes now (it will not take requests).
          if (this.stopping) void this.retire(managed);
        } else if (message.type === 'fatal') {
          fail(message.message);
        } else if (message.type === 'memory-exceeded' && !managed.replacing && !managed.retiring) {
          this.log(
            `worker ${worker.process.pid} uses ${message.rssMb} MiB, over MAX_WORKER_MEMORY_MB: replacing it`,
          );
          void this.enqueue(() => this.replace(managed));
        } else if (message.type === 'metrics-request') {
          void this.answerMetrics(worker, message.id);
        }
      });
      worker.once('exit', () => {
        if (!managed.ready) fail(`worker ${worker.process.pid} exited before it was ready`);
      });
    });
  }

  /**
   * Every serving worker's metrics summed, in Prometheus text (workers answer only when the app
   * records metrics). Workers still starting or already stopping are not asked.
   */
  metrics(): Promise<string> {
    const serving = [...this.managed.values()]
      .filter((m) => m.ready && !m.retiring && m.worker.isConnected())
      .map((m) => m.worker);
    this.collecting ??= collectMetrics(serving).finally(() => (this.collecting = undefined));
    return this.collecting;
  }

  private async answerMetrics(worker: Worker, id: number): Promise<void> {
    const reply: SupervisorMessage = await this.metrics().then(
      (text) => ({ type: 'metrics', id, text }),
      (error: Error) => ({ type: 'metrics', id, error: error.message }),
    );
    if (worker.isConnected()) worker.send(reply, () => undefined);
  }

  private get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? 30_000;
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const exit: SupervisorEvent = { event: 'exit', worker: worker.process.pid, code, signal };
    const managed = this.managed.get(worker.id);
    this.managed.delete(worker.id);
    if (!managed) return;
    if (managed.retiring) {
      if (code !== 0 && managed.ready)
        this.log(`worker ${worker.process.pid} exited while stopping (code ${code}, signal ${signal})`, exit);
      return;
    }
    if (this.stopping) return;
    const delay = this.backoff.exited(Date.now() - managed.startedAt);
    if (delay === undefined) {
      const { crashLoopExits, crashLoopWindowMs } = this.options.backoff ?? DEFAULT_BACKOFF;
      this.logError(
        `worker ${worker.process.pid} exited (code ${code}, signal ${signal}): crash loop, ` +
          `${crashLoopExits} exits within ${crashLoopWindowMs / 1000} s; stopping`,
        { ...exit, event: 'crash-loop' },
      );
      void this.stop(1);
      return;
    }
    this.log(
      `worker ${worker.process.pid} exited (code ${code}, signal ${signal}); replacing it in ${delay} ms`,
      exit,
    );
    setTimeout(() => {
      if (!this.stopping) this.fork().catch((e: Error) => this.logError(`replacement failed: ${e.message}`));
    }, delay);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Starts a replacement, waits for it to be ready, then drains the old worker. */
  private async replace(old: Managed): Promise<boolean> {
    const gone = old.worker.isDead() || !this.managed.has(old.worker.id);
    if (old.replacing || old.retiring || gone || this.stopping) return false;
    old.replacing = true;
    let fresh: Managed;
    try {
      fresh = await this.fork();
    } catch (error) {
      old.replacing = false;
      this.logError(
        `replacement for worker ${old.worker.process.pid} failed (${(error as Error).message}); keeping it`,
      );
      return false;
    }
    if (this.stopping) {
      await this.retire(fresh);
      return false;
    }
    await this.retire(old);
    return true;
  }

  /** SIGHUP: replaces every worker, one at a time, without dropping a request. */
  async reload(): Promise<void> {
    if (this.stopping) return;
    if (this.reloading) {
      this.log('SIGHUP: a reload is already running');
      return;
    }
    this.reloading = true;
    this.log('SIGHUP: replacing workers one at a time', { event: 'reload' });
    const old = [...this.managed.values()].filter((m) => m.ready && !m.retiring);
    let replaced = 0;
    try {
      for (const managed of old) {
        if (!(await this.enqueue(() => this.replace(managed)))) break;
        replaced++;
      }
      if (replaced === old.length) this.log('reload finished', { event: 'reloaded' });
      else if (!this.stopping) this.logError(`reload stopped after ${replaced} of ${old.length} workers`);
    } finally {
      this.reloading = false;
    }
  }

  /** Asks a worker to finish its requests and exit (once); kills it at the shutdown deadline. */
  private retire(managed: Managed): Promise<void> {
    managed.retiring = true;
    managed.stopped ??= (async () => {
      const { worker } = managed;
      if (worker.isDead()) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const message: SupervisorMessage = { type: 'shutdown' };
      if (worker.isConnected()) worker.send(message, () => undefined);
      else worker.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.log(
          `worker ${worker.process.pid} still running after ${this.options.shutdownTimeoutMs} ms: killing it`,
        );
        worker.kill('SIGKILL');
      }, this.options.shutdownTimeoutMs);
      await exited;
      clearTimeout(timer);
    })();
    return managed.stopped;
  }

  /** Drains every worker, then resolves `start()` with `code`. */
  private stop(code: number, reason?: string): Promise<number> {
    if (reason) this.log(reason, { event: 'stop' });
    this.stopping ??= (async () => {
      clearInterval(this.housekeeping);
      await Promise.all([...this.managed.values()].map((m) => this.retire(m)));
      await this.options.cleanup?.().catch(() => undefined);
      this.log(`supervisor ${process.pid}: all workers stopped`, { event: 'stopped' });
      this.finish(code);
      return code;
    })();
    return this.stopping;
  }

  private forceStop(signal: string): void {
    this.logError(`${signal} again: stopping now`);
    for (const { worker } of this.managed.values()) worker.process.kill('SIGKILL');
    this.finish(1);
  }
}
