import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { SessionModule } from '../sessions/session.module.js';
import { SessionGuard } from './session.guard.js';
import { ThrottlingModule } from '../throttling/throttling.module.js';

@Module({
  imports: [UsersModule, SessionModule, ThrottlingModule],
  controllers: [AuthController],
  providers: [AuthService, { provide: APP_GUARD, useClass: SessionGuard }],
})
export class AuthModule {}
