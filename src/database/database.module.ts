import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { AppConfig } from '../config/configuration.js';
import { createDatabase } from './database.factory.js';
import type { Database } from './database.types.js';

/** Provides the one `Kysely<Database>` of the process; repositories inject it by class. */
@Global()
@Module({
  providers: [
    {
      provide: Kysely,
      useFactory: (config: AppConfig) => createDatabase(config.database, { guarded: true }),
      inject: [AppConfig],
    },
  ],
  exports: [Kysely],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(Kysely) private readonly db: Kysely<Database>) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
