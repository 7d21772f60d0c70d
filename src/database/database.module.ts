import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { AppConfig } from '../config/configuration';
import { createDatabase } from './database.factory';
import type { Database } from './database.types';

/** Provides the one `Kysely<Database>` of the process; repositories inject it by class. */
@Global()
@Module({
  providers: [
    {
      provide: Kysely,
      useFactory: (config: AppConfig) => createDatabase(config.database),
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
