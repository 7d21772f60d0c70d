import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/configuration.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PagesModule } from './pages/pages.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  /** The whole application for one configuration; `main.ts` and the e2e tests both build it so. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule,
        UsersModule,
        AuthModule,
        PagesModule,
        HealthModule,
      ],
    };
  }
}
