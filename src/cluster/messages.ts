/** What workers and the supervisor say to each other over the cluster IPC channel. */
export type WorkerMessage =
  | { type: 'ready'; url: string }
  | { type: 'fatal'; message: string }
  | { type: 'memory-exceeded'; rssMb: number };

export type SupervisorMessage = { type: 'shutdown' };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

export function isShutdown(value: unknown): value is SupervisorMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'shutdown';
}
