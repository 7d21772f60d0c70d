import { Module } from '@nestjs/common';
import { SessionModule } from '../sessions/session.module.js';
import { ThrottlingModule } from '../throttling/throttling.module.js';
import { PasswordHasher } from './password.hasher.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [SessionModule, ThrottlingModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PasswordHasher],
  exports: [UsersService],
})
export class UsersModule {}
