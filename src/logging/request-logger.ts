import type { Request, RequestHandler, Response } from 'express';
import type { Level } from 'pino';
import { pinoHttp } from 'pino-http';
import '../auth/auth.types.js';
import { matchedRoute } from '../common/matched-route.js';
import type { Logger } from './logger.js';

/** The fields of the one line each request gets; `reqId` and the base fields come with the logger. */
interface RequestLine {
  method: string;
  /** The matched route pattern (`/api/users/:id`), so ids never make every line unique. */
  route?: string;
  /** Only when no route matched (404s, requests refused before routing): the path, no query. */
  path?: string;
  status: number;
  /** Milliseconds from the request reaching the logger to the response's end. */
  duration: number;
  /** The logged-in user the request acted as (the session guard's, or the one a login let in). */
  userId?: string;
  /** The client went away before the response was complete. */
  aborted?: true;
}

// Load balancers poll these every few seconds: shown at LOG_LEVEL=debug only.
const PROBES = /^\/health\//;
const MAX_PATH = 200;

/**
 * One line per request, when its response ends: request id (the `X-Request-Id` the response
 * carries), method, route, status, duration and user id. Nothing of headers, cookies, query
 * strings or bodies is logged. Its child logger (`req.log`, bound to the request id) is what Nest's
 * `Logger` writes to while the request runs.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp<Request, Response>({
    logger,
    // Set by the request-id middleware, which runs first.
    genReqId: (_req, res) => String(res.getHeader('x-request-id')),
    quietReqLogger: true,
    quietResLogger: true,
    // pino-http also binds the whole request to a child logger it keeps unused here: serialise
    // it to nothing rather than copy its headers on every request.
    wrapSerializers: false,
    serializers: { req: () => undefined },
    customLogLevel: (req, res) => levelOf(req, res.statusCode),
    customSuccessObject: (req, res, { responseTime }: { responseTime: number }) =>
      requestLine(req, res, responseTime),
    customErrorObject: (req, res, _error, { responseTime }: { responseTime: number }) =>
      requestLine(req, res, responseTime),
    customSuccessMessage: () => 'request completed',
    // The error itself, with its stack, is logged by the exception filter.
    customErrorMessage: () => 'request failed',
  });
}

/** A 503 is an outage the client is told to wait out (warn, as the exception filter does); other 5xx are bugs. */
function levelOf(req: Request, status: number): Level {
  if (status === 503) return 'warn';
  if (status >= 500) return 'error';
  return PROBES.test(req.originalUrl) ? 'debug' : 'info';
}

/** Undefined fields are left out of the line. */
function requestLine(req: Request, res: Response, duration: number): RequestLine {
  const route = matchedRoute(req);
  return {
    method: req.method,
    route,
    path: route === undefined ? pathOf(req.originalUrl) : undefined,
    status: res.statusCode,
    duration,
    userId: req.user?.id,
    aborted: res.writableEnded ? undefined : true,
  };
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}
