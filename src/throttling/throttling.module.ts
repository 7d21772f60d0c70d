import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { Kysely } from 'kysely';
import { AppConfig } from '../config/configuration';
import type { Database } from '../database/database.types';
import { DatabaseThrottlerStorage } from './database-throttler.storage';
import { LoginAttemptsRepository } from './login-attempts.repository';
import { LoginThrottle } from './login-throttle';
import { throttlerOptions } from './rate-limit';

/** Per-address rate limits (`@RateLimited`) and per-name login throttling, both kept in the database. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, Kysely],
      useFactory: (config: AppConfig, db: Kysely<Database>) =>
        throttlerOptions(config, new DatabaseThrottlerStorage(db)),
    }),
  ],
  providers: [LoginAttemptsRepository, LoginThrottle],
  exports: [LoginThrottle],
})
export class ThrottlingModule {}
