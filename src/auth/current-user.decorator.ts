import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import './auth.types.js';

/** The logged-in user, or undefined on a `@Public()` route called anonymously. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<Request>().user,
);
