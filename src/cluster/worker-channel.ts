import cluster from 'node:cluster';
import { isShutdown, isSupervisorMessage, type WorkerMessage } from './messages.js';

// Longer than the supervisor's own collection timeout, which it reports as an error.
const METRICS_ANSWER_TIMEOUT_MS = 10_000;
let metricsRequests = 0;

/** The worker's half of the supervisor protocol; harmless when the process runs on its own. */
export function tellSupervisor(message: WorkerMessage, then: () => void = () => undefined): void {
  if (process.send) process.send(message, () => then());
  else then();
}

export function onShutdownRequest(listener: () => void): void {
  process.on('message', (message: unknown) => {
    if (isShutdown(message)) listener();
  });
}

/**
 * The last step of a worker's drain, once its servers have closed: node:cluster's own
 * `worker.disconnect()`, which waits for the supervisor's answer before closing the channel.
 *
 * The supervisor's process accepts every connection and hands it to a worker over this channel.
 * One handed over just before the supervisor learnt that the server closed is still unread in the
 * channel; a worker that exited now would leave that client waiting forever, as the supervisor
 * keeps the connection open until the worker answers for it. The answer to the disconnect comes
 * after it, so the worker reads it first and sends it back to be given to another worker.
 * Resolves at once outside a cluster or when the channel is already closed.
 */
export function leaveCluster(): Promise<void> {
  const worker = cluster.worker;
  if (!worker?.isConnected()) return Promise.resolve();
  return new Promise((resolve) => {
    worker.once('disconnect', () => resolve());
    worker.disconnect();
  });
}

/**
 * Reports `memory-exceeded` every 5 s while the process uses more than `limitMb`, until the
 * supervisor replaces it. A limit that a freshly started process already exceeds would replace
 * workers forever, so that case is only warned about.
 */
export function watchMemory(limitMb: number, warn: (line: string) => void): void {
  let first = true;
  const timer = setInterval(() => {
    const rssMb = Math.round(process.memoryUsage.rss() / 1_048_576);
    if (rssMb > limitMb && first) {
      warn(`uses ${rssMb} MiB right after starting, over MAX_WORKER_MEMORY_MB=${limitMb}: not replacing it`);
      clearInterval(timer);
    } else if (rssMb > limitMb) {
      tellSupervisor({ type: 'memory-exceeded', rssMb });
    }
    first = false;
  }, 5_000);
  timer.unref();
}

/** Answers the supervisor's collections with this worker's metrics; returns what stops answering. */
export function answerMetricsCollection(snapshot: () => Promise<object[]>): () => void {
  const listener = (message: unknown) => {
    if (!isSupervisorMessage(message) || message.type !== 'metrics-collect') return;
    const { id } = message;
    snapshot().then(
      (metrics) => tellSupervisor({ type: 'metrics-snapshot', id, metrics }),
      (error: Error) => tellSupervisor({ type: 'metrics-snapshot', id, error: error.message }),
    );
  };
  process.on('message', listener);
  return () => process.off('message', listener);
}

/** Every worker's metrics summed, in Prometheus text, as the supervisor collects them. */
export function askSupervisorForMetrics(): Promise<string> {
  const id = metricsRequests++;
  return new Promise((resolve, reject) => {
    const finish = (result: string | Error) => {
      clearTimeout(timer);
      process.off('message', listener);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const listener = (message: unknown) => {
      if (!isSupervisorMessage(message) || message.type !== 'metrics' || message.id !== id) return;
      finish(message.text ?? new Error(message.error ?? 'no metrics'));
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer from the supervisor within ${METRICS_ANSWER_TIMEOUT_MS} ms`)),
      METRICS_ANSWER_TIMEOUT_MS,
    );
    process.on('message', listener);
    tellSupervisor({ type: 'metrics-request', id });
  });
}
