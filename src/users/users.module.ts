import { Module } from '@nestjs/common';
import { SessionModule } from '../auth/session/session.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { PasswordHasher } from './password.hasher';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [SessionModule, ThrottlingModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PasswordHasher],
  exports: [UsersService],
})
export class UsersModule {}
