import { Controller, Get, Header, Logger, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Public } from '../auth/public.decorator.js';
import { METRICS_ROUTE } from './http-metrics.js';
import { MetricsService } from './metrics.service.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

/**
 * `GET /metrics` on the app port, for Prometheus, behind METRICS_TOKEN. Left out of the OpenAPI
 * document: it is for the operator's scraper, not for API clients. Public for the session guard
 * (no cookie, no session lookup), not rate-limited, and not counted in its own metrics.
 */
@ApiExcludeController()
@Public()
@Controller(METRICS_ROUTE)
export class MetricsController {
  private readonly logger = new Logger('Metrics');

  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @UseGuards(MetricsTokenGuard)
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    try {
      return await this.metrics.text();
    } catch (error) {
      this.logger.warn(`metrics unavailable: ${(error as Error).message}`);
      throw new ServiceUnavailableException('Metrics are unavailable right now');
    }
  }
}
