import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { setupApp } from './app.setup.js';
import type { AppConfig } from './config/configuration.js';
import { MetricsService } from './metrics/metrics.service.js';
import { listen } from './server/create-server.js';
import type { TlsMaterial } from './server/tls.js';
import { TransportAdapter } from './server/transport.adapter.js';

export interface RunningServer {
  url: string;
  /** This process's metrics in Prometheus text (for the METRICS_PORT listener). */
  metrics(): Promise<string>;
  /** Stops accepting, lets requests in flight finish, then closes the database and store. */
  close(): Promise<void>;
}

/** Starts one server process: the Nest app on the configured transport, listening. */
export async function startServer(config: AppConfig, tls: TlsMaterial | undefined): Promise<RunningServer> {
  const adapter = new TransportAdapter(config, tls);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), adapter, {
    // Held until pino takes over below, so every line is in one format.
    bufferLogs: true,
    abortOnError: false,
    // setupApp adds the one body parser the API needs.
    bodyParser: false,
  });
  app.useLogger(app.get(PinoLogger));
  // app.listen() would flush the held lines; this server listens by itself.
  app.flushLogs();
  setupApp(app, config);
  await app.init();
  // Listening ourselves, not with app.listen(): Nest would log a listen error with its own line first.
  const { port } = await listen(app.getHttpServer(), config.port, config.host);

  const shown = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  const host = shown.includes(':') ? `[${shown}]` : shown;
  const scheme = config.protocol === 'http' ? 'http' : 'https';
  const url = `${scheme}://${host}:${port}`;
  const transport = config.protocol === 'http2' ? ' (HTTP/2, and HTTP/1.1 on the same port)' : '';
  const logger = new Logger('Server');
  logger.log(`Listening on ${url}${transport} (pid ${process.pid})`);
  const redirect = await adapter.listenRedirect();
  if (redirect) logger.log(`Redirecting http://${host}:${redirect.port} to ${url}`);
  const metrics = app.get(MetricsService);
  return {
    url,
    metrics: () => metrics.text(),
    close: () => app.close(),
  };
}
