import { applyDecorators } from '@nestjs/common';
import { ApiCookieAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponse } from './error.response.js';

/**
 * Documents a route that needs a login (every route not marked `@Public()`): the session cookie,
 * and the 401 without it. The session guard enforces it; this only tells the OpenAPI document.
 */
export const LoggedIn = () =>
  applyDecorators(
    ApiCookieAuth(),
    ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Not logged in' }),
  );
