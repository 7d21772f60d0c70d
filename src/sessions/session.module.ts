import {
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import cookieParser from 'cookie-parser';
import { Kysely } from 'kysely';
import type { Database } from '../database/database.types.js';
import { AppConfig } from '../config/configuration.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { createSessionMiddleware } from './session.middleware.js';
import { SessionService } from './session.service.js';
import { createSessionStore } from './session-store.factory.js';
import { SessionStore } from './session-store.js';
import { timeSessionStore } from './session-store.timing.js';

/** Session storage and the express-session middleware; imported by AuthModule and UsersModule. */
@Module({
  providers: [
    {
      provide: SessionStore,
      useFactory: async (config: AppConfig, db: Kysely<Database>, metrics: MetricsService) => {
        const store = await createSessionStore(config, db);
        const timings = metrics.sessionStoreTimings;
        return timings ? timeSessionStore(store, timings) : store;
      },
      inject: [AppConfig, Kysely, MetricsService],
    },
    SessionService,
  ],
  exports: [SessionService],
})
export class SessionModule implements NestModule, OnApplicationShutdown {
  constructor(
    private readonly config: AppConfig,
    private readonly store: SessionStore,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(
        createSessionMiddleware(this.config, this.store),
        // After the session, never before: express-session falls back to req.cookies when the
        // header's cookie is not validly signed, and cookie-parser turns "j:" cookies into objects.
        cookieParser(this.config.sessionSecrets),
      )
      // Only under /api: pages, assets, docs and health checks never pay for a store lookup.
      .forRoutes({ path: 'api/*path', method: RequestMethod.ALL });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
