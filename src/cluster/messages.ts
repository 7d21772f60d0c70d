/** What workers and the supervisor say to each other over the cluster IPC channel. */
export type WorkerMessage =
  | { type: 'ready'; url: string }
  | { type: 'fatal'; message: string }
  | { type: 'memory-exceeded'; rssMb: number }
  /** A scrape reached this worker: it wants every worker's metrics, summed. */
  | { type: 'metrics-request'; id: number }
  /** This worker's own metrics (prom-client's `getMetricsAsJSON()`) for collection `id`, or why not. */
  | { type: 'metrics-snapshot'; id: number; metrics?: object[]; error?: string };

export type SupervisorMessage =
  | { type: 'shutdown' }
  | { type: 'metrics-collect'; id: number }
  /** The answer to a `metrics-request`: the summed metrics in Prometheus text, or why not. */
  | { type: 'metrics'; id: number; text?: string; error?: string };

function hasType(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return hasType(value);
}

export function isSupervisorMessage(value: unknown): value is SupervisorMessage {
  return hasType(value);
}

export function isShutdown(value: unknown): value is SupervisorMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'shutdown';
}
