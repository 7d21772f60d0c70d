import './runtime-check';
import { type LogLevel, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Kysely } from 'kysely';
import type { AddressInfo, Server } from 'node:net';
import { AppModule } from './app.module';
import { setupApp } from './app.setup';
import { type AppConfig, ConfigError, loadConfig } from './config/configuration';
import { migrateToLatest } from './database/migrate';

const NEST_LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: NEST_LEVELS[config.logLevel],
    abortOnError: false,
  });
  await migrateToLatest(app.get(Kysely));
  setupApp(app, config);
  app.enableShutdownHooks();
  await app.init();
  // Listening ourselves, not with app.listen(): Nest would log a listen error with its own line first.
  const server: Server = app.getHttpServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const host = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  new Logger('Server').log(`Listening on http://${host}:${port} (pid ${process.pid})`);
}

/** Start-up failures end in one line and exit code 1; stack traces are for bugs, not for setup. */
function describe(error: unknown): string {
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`;
  const { code, message, address, port } = error as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
  };
  if (code === 'EADDRINUSE') return `Cannot listen on ${address}:${port}: the port is already in use`;
  if (code === 'EACCES') return `Cannot listen on ${address}:${port}: permission denied`;
  return `Cannot start: ${message ?? String(error)}`;
}

bootstrap().catch((error: unknown) => {
  console.error(describe(error));
  process.exit(1);
});
