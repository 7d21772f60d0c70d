import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import type { AppConfig, LogLevel } from '../config/configuration';

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
 * The process's logger: one JSON object per line (`LOG_FORMAT=json`), or a readable line for a
 * terminal (`pretty`), on stdout unless told otherwise. Written synchronously, so the last line
 * before an exit is not lost, and formatted on this thread: pretty output costs no worker thread.
 */
export function createLogger(
  config: Pick<AppConfig, 'logLevel' | 'logFormat'>,
  out?: DestinationStream,
): Logger {
  const destination = out ?? pino.destination({ dest: 1, sync: true });
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
