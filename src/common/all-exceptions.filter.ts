import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { ErrorResponse } from './error.response.js';
import { DependencyUnavailableError } from './dependency-unavailable.error.js';
import { TooManyRequestsException } from './too-many-requests.exception.js';

/** Errors from Express middleware (body-parser, http-errors) that are safe to show. */
interface ExposedError {
  status: number;
  expose: true;
  message: string;
  type?: string;
}

// Machines read these; people browse everything else and get the HTML 404 page.
const API_PATH = /^\/(api|docs-json)(\/|$)/i;

const FRIENDLY: Record<string, string> = {
  'entity.too.large': 'Request body is too large',
  'entity.parse.failed': 'Request body is not valid JSON',
  'encoding.unsupported': 'Request body has an unsupported content encoding',
  'charset.unsupported': 'Request body has an unsupported charset',
  'request.aborted': 'Request body was cut off',
  'request.size.invalid': 'Request body does not match its Content-Length',
};

// zlib's own words ("incorrect header check") mean nothing to an API client.
const COMPRESSION_ERRORS = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR']);

/**
 * One place that turns anything thrown into Nest's error shape. 4xx messages are passed on;
 * anything else becomes a bare 500 whose details go to the log, never to the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(
    private readonly options: {
      /** Renders the HTML 404 page for paths outside the API. */
      notFoundPage?: (req: Request) => string;
      /**
       * Names the dependency that `error` says is down ("database"), for the errors its own
       * module recognises; {@link DependencyUnavailableError}s name theirs themselves.
       */
      unavailable?: (error: unknown) => string | undefined;
    } = {},
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const unavailable =
      exception instanceof DependencyUnavailableError
        ? exception.dependency
        : this.options.unavailable?.(exception);
    const body = unavailable ? unavailableBody(unavailable) : this.toBody(exception);
    if (unavailable || body.statusCode >= 500) {
      // The path without its query, which is the client's and may hold anything.
      const [path] = req.originalUrl.split('?', 1);
      const request = `${req.method} ${path} (request ${String(res.getHeader('x-request-id'))})`;
      // An outage is not a bug to trace: a dependency is down, and the client is told to come back.
      if (unavailable) this.logger.warn(`${request}: ${unavailable} unavailable (${describe(exception)})`);
      else
        this.logger.error(
          `${request} failed`,
          exception instanceof Error ? exception.stack : String(exception),
        );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { notFoundPage } = this.options;
    if (body.statusCode === 404 && notFoundPage && !API_PATH.test(req.path)) {
      // res.set, not chained setHeader calls: Node's HTTP/2 response does not return itself.
      res.status(404).type('html').set({ 'Cache-Control': 'no-cache', Vary: 'Accept-Language, Cookie' });
      res.send(notFoundPage(req));
      return;
    }
    if (exception instanceof TooManyRequestsException)
      res.set('Retry-After', String(exception.retryAfterSeconds));
    if (unavailable) res.set('Retry-After', String(RETRY_UNAVAILABLE_SECONDS));
    res.status(body.statusCode).json(body);
  }

  private toBody(thrown: unknown): ErrorResponse {
    const exception = unwrapMiddlewareError(thrown);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (status >= 500) return internal(status);
      if (typeof response === 'string')
        return { statusCode: status, error: reason(status), message: response };
      const { message, error } = response as Partial<ErrorResponse>;
      return {
        statusCode: status,
        error: error ?? reason(status),
        message: status === 400 ? explainJson(message ?? reason(status)) : (message ?? reason(status)),
      };
    }
    if (isExposed(exception)) {
      const type = exception.type;
      const compression = COMPRESSION_ERRORS.has(String((exception as { code?: unknown }).code));
      const message = compression
        ? 'Request body is not valid for its Content-Encoding'
        : type && Object.hasOwn(FRIENDLY, type)
          ? FRIENDLY[type]
          : exception.message;
      return { statusCode: exception.status, error: reason(exception.status), message };
    }
    return internal(500);
  }
}

const RETRY_UNAVAILABLE_SECONDS = 5;

function unavailableBody(dependency: string): ErrorResponse {
  return {
    statusCode: 503,
    error: 'Service Unavailable',
    message: `The ${dependency} is unavailable right now; try again shortly`,
  };
}

function describe(error: unknown): string {
  if (error instanceof DependencyUnavailableError) return describe(error.cause);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

// How V8's JSON.parse ends its messages; Nest passes them on when it maps body-parser's SyntaxError.
const JSON_PARSE_ERROR = / JSON at position \d+( \(line \d+ column \d+\))?$|JSON input$| is not valid JSON$/;

function explainJson(message: string | string[]): string | string[] {
  return typeof message === 'string' && JSON_PARSE_ERROR.test(message)
    ? `${FRIENDLY['entity.parse.failed']}: ${message}`
    : message;
}

/**
 * Nest 12's Express adapter wraps a 4xx http-error from middleware (body-parser's "request entity
 * too large", a bad Content-Encoding) in a plain HttpException with the error's own status and
 * message; the original, with its `type`, is the cause, and gets the friendly message. Only that
 * exact shape is unwrapped: an exception the app throws with a cause keeps its status and message,
 * and body-parser's SyntaxError (a BadRequestException) keeps JSON.parse's words for explainJson.
 */
function unwrapMiddlewareError(exception: unknown): unknown {
  if (!(exception instanceof HttpException) || exception.constructor !== HttpException) return exception;
  const cause = exception.cause;
  return isExposed(cause) &&
    cause.status === exception.getStatus() &&
    cause.message === exception.getResponse()
    ? cause
    : exception;
}

function isExposed(error: unknown): error is ExposedError {
  const e = error as Partial<ExposedError> | null;
  return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true;
}

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function internal(status: number): ErrorResponse {
  return { statusCode: status, error: reason(status), message: 'Something went wrong on our side' };
}
