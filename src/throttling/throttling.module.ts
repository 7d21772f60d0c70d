import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { Kysely } from 'kysely';
import { AppConfig } from '../config/configuration.js';
import type { Database } from '../database/database.types.js';
import { DatabaseThrottlerStorage } from './database-throttler.storage.js';
import { LoginAttemptsRepository } from './login-attempts.repository.js';
import { LoginThrottle } from './login-throttle.js';
import { throttlerOptions } from './rate-limit.js';

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
