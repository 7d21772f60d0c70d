import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 with the wait a client must respect; the global filter sends it as `Retry-After`. */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}
