import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import type { AppConfig } from '../config/configuration.js';
import { listen, withTimeouts } from '../server/create-server.js';
import { METRICS_ROUTE } from './http-metrics.js';
import { BEARER_CHALLENGE, bearerTokenMatches } from './metrics-token.js';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * The METRICS_PORT listener: plain HTTP, `GET /metrics` and nothing else, behind METRICS_TOKEN
 * when it is set. Knows nothing of Nest, so the supervisor can serve it; `collect` gives the
 * text (the workers' sum, or the single process's own). Undefined when METRICS_PORT is not set.
 */
export async function listenMetrics(
  config: AppConfig,
  collect: () => Promise<string>,
): Promise<MetricsListener | undefined> {
  const { metrics } = config;
  if (metrics?.port === undefined) return undefined;
  const server = withTimeouts(
    createServer((req, res) => void answer(req, res, metrics.token, collect)),
    config.timeouts,
  );
  const { address, port } = await listen(server, metrics.port, metrics.host);
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}${METRICS_ROUTE}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Scrapers keep their connections alive; a scrape cut short is simply retried.
        server.closeAllConnections();
      }),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  token: string | undefined,
  collect: () => Promise<string>,
): Promise<void> {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.url?.split('?')[0] !== METRICS_ROUTE) return plain(res, 404, 'Not Found');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, 'Method Not Allowed');
  }
  if (token !== undefined && !bearerTokenMatches(req.headers.authorization, token)) {
    res.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
    return plain(res, 401, 'A valid metrics token is required');
  }
  let text: string;
  try {
    text = await collect();
  } catch (error) {
    console.error(`metrics unavailable: ${(error as Error).message}`);
    return plain(res, 503, 'Metrics are unavailable right now');
  }
  res.writeHead(200, { 'Content-Type': Registry.PROMETHEUS_CONTENT_TYPE });
  res.end(req.method === 'HEAD' ? undefined : text);
}

function plain(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}
