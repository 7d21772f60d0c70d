import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/configuration.js';
import { createLogger } from './logger.js';

/** The process's pino logger, which `requestLogger` (mounted in app.setup.ts) writes with. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * nestjs-pino: Nest's `Logger` writes through pino, and within a request through that request's
 * child logger, so its lines carry the request id. The request lines themselves come from
 * `requestLogger`, mounted before the API's middleware so that requests refused there
 * (415, 413, bad JSON) get their line too.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const logger = createLogger(config);
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { logger },
          // req.log comes from requestLogger; nestjs-pino only makes it the logger of the request.
          useExisting: true,
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        }),
      ],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER],
    };
  }
}
