import { isShutdown, type WorkerMessage } from './messages';

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
