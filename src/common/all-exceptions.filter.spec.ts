import { jest } from '@jest/globals';
import {
  type ArgumentsHost,
  BadRequestException,
  ConflictException,
  HttpException,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { isDatabaseUnavailable } from '../database/database.factory.js';
import { AllExceptionsFilter } from './all-exceptions.filter.js';
import { TooManyRequestsException } from './too-many-requests.exception.js';

const GENERIC = 'Something went wrong on our side';
// body-parser's error for a body over the limit.
const EXPOSED_413 = {
  status: 413,
  expose: true,
  type: 'entity.too.large',
  message: 'request entity too large',
};

function fakeHost(headersSent = false) {
  const res = {
    headersSent,
    status: jest.fn(),
    json: jest.fn(),
    set: jest.fn(),
    destroy: jest.fn(),
    getHeader: jest.fn((name: string) => (name === 'x-request-id' ? 'req-123' : undefined)),
  };
  res.status.mockReturnValue(res);
  const req = { method: 'POST', originalUrl: '/api/users?x=1' };
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }),
  } as unknown as ArgumentsHost;
  return { host, res };
}

describe(AllExceptionsFilter.name, () => {
  let filter: AllExceptionsFilter;
  let logError: jest.Spied<Logger['error']>;

  function respond(exception: unknown) {
    const { host, res } = fakeHost();
    filter.catch(exception, host);
    expect(res.status).toHaveBeenCalledTimes(1);
    expect(res.json).toHaveBeenCalledTimes(1);
    return {
      status: res.status.mock.calls[0][0] as number,
      body: res.json.mock.calls[0][0] as Record<string, unknown>,
    };
  }

  beforeEach(() => {
    filter = new AllExceptionsFilter({
      unavailable: (error) => (isDatabaseUnavailable(error) ? 'database' : undefined),
    });
    logError = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('HttpException', () => {
    it('keeps its status and message in Nest’s shape', () => {
      expect(respond(new NotFoundException('User 42 does not exist'))).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: 'User 42 does not exist' },
      });
      expect(logError).not.toHaveBeenCalled();
    });

    it('keeps a list of validation messages', () => {
      const messages = ['name must not be empty', 'password must be 8 to 256 characters long'];

      expect(respond(new BadRequestException(messages)).body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: messages,
      });
    });

    it('keeps a custom error label', () => {
      const exception = new HttpException({ message: 'Slow down', error: 'Rate Limited' }, 429);

      expect(respond(exception).body).toEqual({
        statusCode: 429,
        error: 'Rate Limited',
        message: 'Slow down',
      });
    });

    it('uses a string response as the message', () => {
      expect(respond(new HttpException('No coffee here', 418))).toEqual({
        status: 418,
        body: { statusCode: 418, error: "I'm a Teapot", message: 'No coffee here' },
      });
    });

    describe('JSON parse errors', () => {
      it.each([
        'Unexpected token } in JSON at position 10',
        "Expected property name or '}' in JSON at position 1 (line 1 column 2)",
        'Unexpected end of JSON input',
        'Bad control character in string literal in JSON at position 12',
      ])('explains the 400 for %j from the body parser', (message) => {
        expect(respond(new BadRequestException(message)).body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: `Request body is not valid JSON: ${message}`,
        });
      });

      it('passes a 409 through unchanged even when its message mentions a JSON token', () => {
        const exception = new ConflictException('The name "JSON token x" is already taken');

        expect(respond(exception).body).toEqual({
          statusCode: 409,
          error: 'Conflict',
          message: 'The name "JSON token x" is already taken',
        });
      });

      it("leaves a 400 alone when it is not in JSON.parse's wording", () => {
        expect(respond(new BadRequestException('JSON token in name')).body.message).toBe(
          'JSON token in name',
        );
      });

      it("leaves a 400 alone when JSON.parse's wording is not at the start", () => {
        const message = 'name "Unexpected token in JSON at position 3" has quotes';

        expect(respond(new BadRequestException(message)).body.message).toBe(message);
      });

      it("leaves a non-400 alone even in JSON.parse's wording", () => {
        const exception = new UnprocessableEntityException('Unexpected token } in JSON at position 10');

        expect(respond(exception).body.message).toBe('Unexpected token } in JSON at position 10');
      });
    });

    it('hides the message of a 5xx HttpException and logs it', () => {
      expect(respond(new ServiceUnavailableException('database at 10.0.0.5 is down'))).toEqual({
        status: 503,
        body: { statusCode: 503, error: 'Service Unavailable', message: GENERIC },
      });
      expect(logError).toHaveBeenCalledTimes(1);
    });
  });

  describe(TooManyRequestsException.name, () => {
    it('sends Retry-After with the seconds to wait, before the body', () => {
      const { host, res } = fakeHost();

      filter.catch(new TooManyRequestsException('Slow down: try again in 8 seconds', 8), host);

      expect(res.set).toHaveBeenCalledWith('Retry-After', '8');
      expect(res.set.mock.invocationCallOrder[0]).toBeLessThan(res.json.mock.invocationCallOrder[0]);
    });

    it('answers 429 in Nest’s shape', () => {
      expect(respond(new TooManyRequestsException('Slow down: try again in 1 second', 1))).toEqual({
        status: 429,
        body: { statusCode: 429, error: 'Too Many Requests', message: 'Slow down: try again in 1 second' },
      });
      expect(logError).not.toHaveBeenCalled();
    });

    it('sends no Retry-After for other errors, even a 429', () => {
      const { host, res } = fakeHost();

      filter.catch(new HttpException('Slow down', 429), host);

      expect(res.set).not.toHaveBeenCalled();
    });
  });

  describe('a database that cannot be used', () => {
    const UNAVAILABLE = {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database is unavailable right now; try again shortly',
    };

    it.each([
      [
        'SQLite busy past its timeout',
        Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
      ],
      ['SQLite I/O failing', Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' })],
      ['PostgreSQL shutting down', Object.assign(new Error('terminating connection'), { code: '57P01' })],
      ['PostgreSQL unreachable', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
      ['a dropped connection', new Error('Connection terminated unexpectedly')],
      ['a closed pool', new Error('driver has already been destroyed')],
    ])('answers 503 with Retry-After for %s, and logs no stack', (_, exception) => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { host, res } = fakeHost();

      filter.catch(exception, host);

      expect(res.status).toHaveBeenCalledWith(503);
      expect(res.json).toHaveBeenCalledWith(UNAVAILABLE);
      expect(res.set).toHaveBeenCalledWith('Retry-After', '5');
      expect(logError).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^POST \/api\/users \(request req-123\): /));
    });

    it('still answers a bad query (a bug, not an outage) with a bare 500', () => {
      const exception = Object.assign(new Error('no such table: users'), { code: 'SQLITE_ERROR' });

      expect(respond(exception)).toEqual({
        status: 500,
        body: { statusCode: 500, error: 'Internal Server Error', message: GENERIC },
      });
    });
  });

  describe('http-errors from Express middleware', () => {
    it('gives 413 with a friendly message for a body that is too large', () => {
      const exception = { status: 413, expose: true, type: 'entity.too.large', message: 'x' };

      expect(respond(exception)).toEqual({
        status: 413,
        body: { statusCode: 413, error: 'Payload Too Large', message: 'Request body is too large' },
      });
    });

    // What Nest 12's Express adapter hands the filter: the http-error as the cause of an
    // HttpException with its raw message.
    it('gives the friendly message when the adapter wrapped the error in an HttpException', () => {
      const exception = new HttpException(EXPOSED_413.message, 413, { cause: EXPOSED_413 });

      expect(respond(exception).body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'Request body is too large',
      });
    });

    it.each([
      ['its own class', new ConflictException('Taken', { cause: EXPOSED_413 }), 409, 'Taken'],
      [
        'another status',
        new HttpException(EXPOSED_413.message, 400, { cause: EXPOSED_413 }),
        400,
        EXPOSED_413.message,
      ],
      [
        'another message',
        new HttpException('Too big for us', 413, { cause: EXPOSED_413 }),
        413,
        'Too big for us',
      ],
    ])(
      'leaves an exception the app threw with such a cause alone: %s',
      (_label, exception, status, message) => {
        const reply = respond(exception);

        expect(reply.status).toBe(status);
        expect(reply.body.message).toBe(message);
      },
    );

    it('still answers 500 for a server error whose cause is an exposed 4xx', () => {
      const exception = new InternalServerErrorException('db down', { cause: EXPOSED_413 });

      expect(respond(exception)).toEqual({
        status: 500,
        body: { statusCode: 500, error: 'Internal Server Error', message: GENERIC },
      });
    });

    it("keeps JSON.parse's words for a SyntaxError the adapter wrapped", () => {
      const cause = Object.assign(new SyntaxError('Unexpected token } in JSON at position 10'), {
        status: 400,
        expose: true,
        type: 'entity.parse.failed',
      });
      const exception = new BadRequestException(cause.message, { cause });

      expect(respond(exception).body.message).toBe(
        'Request body is not valid JSON: Unexpected token } in JSON at position 10',
      );
    });

    it('keeps the message of an exposed error of an unknown type', () => {
      const exception = { status: 415, expose: true, type: 'something.else', message: 'Unsupported' };

      expect(respond(exception).body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: 'Unsupported',
      });
    });

    it('does not take inherited properties for friendly messages', () => {
      const exception = { status: 400, expose: true, type: 'constructor', message: 'Bad thing' };

      expect(respond(exception).body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'Bad thing',
      });
    });

    it.each([
      ['not exposed', { status: 400, expose: false, message: 'internal detail' }],
      ['a 5xx', { status: 502, expose: true, message: 'internal detail' }],
    ])('answers 500 for an error that is %s', (_label, exception) => {
      expect(respond(exception)).toEqual({
        status: 500,
        body: { statusCode: 500, error: 'Internal Server Error', message: GENERIC },
      });
    });
  });

  describe('anything else', () => {
    it('gives 500 without the stack or the original message, which go to the log', () => {
      const error = new Error('connection string postgres://app:hunter2@db/app');

      const { status, body } = respond(error);

      expect(status).toBe(500);
      expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: GENERIC });
      const serialized = JSON.stringify(body);
      expect(serialized).not.toContain('hunter2');
      expect(serialized).not.toContain(error.stack!.split('\n')[1].trim());
      expect(body).not.toHaveProperty('stack');
      expect(logError).toHaveBeenCalledWith(
        'POST /api/users (request req-123) failed',
        expect.stringContaining('hunter2'),
      );
    });

    it.each([
      ['a string', 'boom'],
      ['null', null],
      ['undefined', undefined],
    ])('gives 500 for a thrown %s', (_label, thrown) => {
      expect(respond(thrown)).toEqual({
        status: 500,
        body: { statusCode: 500, error: 'Internal Server Error', message: GENERIC },
      });
    });
  });

  it('destroys the connection instead of answering when headers were already sent', () => {
    const { host, res } = fakeHost(true);

    filter.catch(new Error('stream broke'), host);

    expect(res.destroy).toHaveBeenCalledTimes(1);
    expect(res.status).not.toHaveBeenCalled();
    expect(res.json).not.toHaveBeenCalled();
  });
});
