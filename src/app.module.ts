import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { ConfigModule } from './config/config.module';
import type { AppConfig } from './config/configuration';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { PagesModule } from './pages/pages.module';
import { UsersModule } from './users/users.module';

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
