import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/configuration';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { MetricsTokenGuard } from './metrics-token.guard';

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
