import './runtime-check';
import { type LogLevel, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Kysely } from 'kysely';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { setupApp } from './app.setup';
import { type AppConfig, ConfigError, loadConfig } from './config/configuration';
import { migrateToLatest } from './database/migrate';
import { listen } from './server/create-server';
import { TransportAdapter } from './server/transport.adapter';
import { loadTls } from './server/tls';

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
  const tls = config.tls && loadTls(config.tls);
  const adapter = new TransportAdapter(config, tls);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), adapter, {
    logger: NEST_LEVELS[config.logLevel],
    abortOnError: false,
  });
  await migrateToLatest(app.get(Kysely));
  setupApp(app, config);
  app.enableShutdownHooks();
  await app.init();
  // Listening ourselves, not with app.listen(): Nest would log a listen error with its own line first.
  await listen(app.getHttpServer(), config.port, config.host);

  const { port } = app.getHttpServer().address() as AddressInfo;
  const shown = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  const host = shown.includes(':') ? `[${shown}]` : shown;
  const scheme = config.protocol === 'http' ? 'http' : 'https';
  const transport = config.protocol === 'http2' ? ' (HTTP/2, and HTTP/1.1 on the same port)' : '';
  const logger = new Logger('Server');
  logger.log(`Listening on ${scheme}://${host}:${port}${transport} (pid ${process.pid})`);
  const redirect = await adapter.listenRedirect();
  if (redirect) logger.log(`Redirecting http://${host}:${redirect.port} to ${scheme}://${host}:${port}`);
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
