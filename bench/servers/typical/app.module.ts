import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { databaseProvider } from './database';
import { HealthController } from './health.controller';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';

@Module({
  controllers: [UsersController, HealthController],
  providers: [databaseProvider, UsersRepository, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AppModule {}
