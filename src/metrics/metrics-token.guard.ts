import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/configuration.js';
import { BEARER_CHALLENGE, bearerTokenMatches } from './metrics-token.js';

/** Lets a scrape through only with `Authorization: Bearer <METRICS_TOKEN>`. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const token = this.config.metrics?.token;
    const http = context.switchToHttp();
    if (token !== undefined && bearerTokenMatches(http.getRequest<Request>().get('authorization'), token))
      return true;
    http.getResponse<Response>().set('WWW-Authenticate', BEARER_CHALLENGE);
    throw new UnauthorizedException('A valid metrics token is required');
  }
}
