import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import type { AppConfig, LogLevel } from '../config/configuration.js';

export type { Logger } from 'pino';

const PINO_LEVELS: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  // Nest's name for the level below debug.
  verbose: 'trace',
};

/**
 * Never written, whatever a log call is handed. Nothing here logs headers, bodies or sessions
 * in the first place; these paths are the safety net for a call that one day does.
 */
const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.body',
  'req.session',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  'cookie',
  'cookies',
  'authorization',
  'body',
  'password',
  'currentPassword',
  'session',
  'sessionId',
  'sid',
];

/**
 * Whole lines up to this many bytes go out in one write: a pipe write of at most PIPE_BUF (4 KiB
 * on Linux) is atomic, so a cluster's workers sharing one stdout pipe never interleave within a
 * line (a single line longer than this, a long stack trace, is written alone, as before).
 */
const MAX_WRITE_BYTES = 4096;

export interface BatchedLines extends DestinationStream {
  /** Writes out every held line now. */
  flush(this: void): void;
}

/**
 * Holds the lines written during one turn of the event loop and writes them to `out` together
 * at its end (`setImmediate`), or sooner when `maxBytes` would be exceeded: under load, one write
 * for the lines of many requests instead of one each, in order, and still synchronous, so a full
 * pipe slows the process rather than piling lines up in memory.
 */
export function batchedLines(out: DestinationStream, maxBytes = MAX_WRITE_BYTES): BatchedLines {
  let held = '';
  let heldBytes = 0;
  let scheduled = false;
  const flush = () => {
    if (heldBytes === 0) return;
    const lines = held;
    held = '';
    heldBytes = 0;
    out.write(lines);
  };
  const endOfTurn = () => {
    scheduled = false;
    flush();
  };
  return {
    flush,
    write(line: string) {
      const bytes = Buffer.byteLength(line);
      if (heldBytes + bytes > maxBytes) flush();
      held += line;
      heldBytes += bytes;
      if (!scheduled) {
        scheduled = true;
        setImmediate(endOfTurn);
      }
    },
  };
}

let stdout: BatchedLines | undefined;

/**
 * The process's stdout for log lines, one per process. What is held is written when the process
 * exits (an `exit` event: `process.exit()`, the end of a drain, the uncaught-exception handler);
 * a process killed by SIGKILL or a crash of V8 itself loses the lines of its last turn.
 */
function batchedStdout(): BatchedLines {
  if (!stdout) {
    stdout = batchedLines(pino.destination({ dest: 1, sync: true }));
    process.on('exit', stdout.flush);
  }
  return stdout;
}

/**
 * The process's logger: one JSON object per line (`LOG_FORMAT=json`), or a readable line for a
 * terminal (`pretty`), on stdout (batched per event-loop turn, see {@link batchedLines}) unless
 * told otherwise. Formatted on this thread: pretty output costs no worker thread.
 */
export function createLogger(
  config: Pick<AppConfig, 'logLevel' | 'logFormat'>,
  out?: DestinationStream,
): Logger {
  const destination = out ?? batchedStdout();
  // Colours only for a person at a terminal.
  const colorize = out === undefined && isColorSupported && process.stdout.isTTY === true;
  return pino(
    {
      level: PINO_LEVELS[config.logLevel],
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    config.logFormat === 'json' ? destination : prettyTo(destination, colorize),
  );
}

function prettyTo(out: DestinationStream, colorize: boolean): DestinationStream {
  const pretty = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    ignore: 'hostname,context,method,route,path,status,duration',
    messageFormat: prettyMessage,
  });
  return { write: (line: string) => out.write(pretty(line)) };
}

/** `GET /api/users/:id 200 3 ms` for a request, `[Context] message` for the rest. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const { method, route, path, status, duration, context } = log as Record<string, string | undefined>;
  const message = log[messageKey] as string | undefined;
  if (method !== undefined && status !== undefined)
    return `${method} ${route ?? path} ${status} ${duration} ms`;
  return context === undefined ? (message ?? '') : `[${context}] ${message ?? ''}`;
}
