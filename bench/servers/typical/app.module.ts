import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard.js';
import { databaseProvider } from './database.js';
import { HealthController } from './health.controller.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';

@Module({
  controllers: [UsersController, HealthController],
  providers: [databaseProvider, UsersRepository, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AppModule {}
