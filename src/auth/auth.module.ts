import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Store } from 'express-session';
import { AppConfig } from '../config/configuration';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DatabaseSessionStore } from './session/database-session.store';
import { createSessionMiddleware } from './session/session.middleware';
import { SessionGuard } from './session.guard';

@Module({
  imports: [UsersModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    { provide: Store, useClass: DatabaseSessionStore },
    { provide: APP_GUARD, useClass: SessionGuard },
  ],
})
export class AuthModule implements NestModule {
  constructor(
    private readonly config: AppConfig,
    private readonly store: Store,
  ) {}

  // Sessions only under /api: pages, assets, docs and health checks never pay for a store lookup.
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(createSessionMiddleware(this.config, this.store))
      .forRoutes({ path: 'api/*path', method: RequestMethod.ALL });
  }
}
