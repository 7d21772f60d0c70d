import type { Request } from 'express';
import type { EventEmitter } from 'node:events';
import { Counter, Histogram, type Registry } from 'prom-client';
import { matchedRoute } from '../common/matched-route.js';

/** The route label of responses no route answered: static files, 404s, middleware refusals. */
export const UNMATCHED_ROUTE = '(unmatched)';
/** The scrape itself is not counted. */
export const METRICS_ROUTE = '/metrics';

type Label = 'method' | 'route' | 'status';

// Anything else a client sends as a method shares one label value.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Counts and times every response of an HTTP server by method, route pattern and status:
 * `http_requests_total` and `http_request_duration_seconds`. The route is the pattern Express
 * matched (`/api/users/:id`), never the raw URL, so the number of series stays bounded.
 */
export class HttpMetrics {
  private readonly requests: Counter<Label>;
  private readonly duration: Histogram<Label>;

  constructor(registry: Registry) {
    const labelNames: Label[] = ['method', 'route', 'status'];
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP responses sent, by method, route pattern and status',
      labelNames,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response, by method, route pattern and status',
      labelNames,
      registers: [registry],
    });
  }

  /**
   * Listens on the server itself rather than as middleware, so responses that middleware ends
   * before any route (static files, 413, 415, 404) are counted and timed from the first byte too.
   * Returns what stops it.
   */
  attach(server: EventEmitter): () => void {
    const onRequest = (req: Request, res: EventEmitter & { statusCode: number }) => {
      const end = this.duration.startTimer();
      res.once('finish', () => {
        const route = matchedRoute(req) ?? UNMATCHED_ROUTE;
        if (route === METRICS_ROUTE) return;
        const method = METHODS.has(req.method) ? req.method : 'OTHER';
        const labels = { method, route, status: String(res.statusCode) };
        end(labels);
        this.requests.inc(labels);
      });
    };
    server.prependListener('request', onRequest);
    return () => server.off('request', onRequest);
  }
}
