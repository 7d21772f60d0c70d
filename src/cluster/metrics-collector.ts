import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { isWorkerMessage, type SupervisorMessage } from './messages.js';

/** Prometheus's own scrape timeout is 10 s; a worker busy for this long fails the scrape. */
export const COLLECT_TIMEOUT_MS = 5_000;

let collections = 0;

/**
 * Asks each worker for its metrics and sums them with prom-client's AggregatorRegistry (counters
 * and histogram buckets added, each metric's own aggregator for the rest). Rejects when a worker
 * does not answer in time; a worker that exits meanwhile counts for nothing.
 *
 * Not prom-client's `clusterMetrics()`: that asks every forked worker, including one still
 * starting that cannot answer yet, so a scrape during a reload would wait and fail.
 */
export async function collectMetrics(workers: Worker[], timeoutMs = COLLECT_TIMEOUT_MS): Promise<string> {
  const id = collections++;
  const snapshots = await Promise.all(workers.map((worker) => snapshot(worker, id, timeoutMs)));
  return AggregatorRegistry.aggregate(snapshots).metrics();
}

function snapshot(worker: Worker, id: number, timeoutMs: number): Promise<object[]> {
  return new Promise((resolve, reject) => {
    const finish = (metrics: object[] | Error) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      if (metrics instanceof Error) reject(metrics);
      else resolve(metrics);
    };
    const onMessage = (message: unknown) => {
      if (!isWorkerMessage(message) || message.type !== 'metrics-snapshot' || message.id !== id) return;
      finish(message.metrics ?? new Error(`worker ${worker.process.pid}: ${message.error}`));
    };
    const onExit = () => finish([]);
    const timer = setTimeout(
      () => finish(new Error(`worker ${worker.process.pid} did not send its metrics within ${timeoutMs} ms`)),
      timeoutMs,
    );
    worker.on('message', onMessage);
    worker.once('exit', onExit);
    const request: SupervisorMessage = { type: 'metrics-collect', id };
    // A worker whose channel closed just now is exiting: its 'exit' settles this.
    worker.send(request, () => undefined);
  });
}
