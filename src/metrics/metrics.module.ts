import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/configuration.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

/**
 * Prometheus metrics (global, so SessionModule can time its store). `/metrics` is on the app port
 * only with METRICS_TOKEN and without METRICS_PORT; the separate port is main.ts's listener.
 */
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const onAppPort = config.metrics !== undefined && config.metrics.port === undefined;
    return {
      module: MetricsModule,
      global: true,
      providers: [MetricsService, MetricsTokenGuard],
      controllers: onAppPort ? [MetricsController] : [],
      exports: [MetricsService],
    };
  }
}
