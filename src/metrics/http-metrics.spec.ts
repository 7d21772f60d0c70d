import express from 'express';
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import request from 'supertest';
import { HttpMetrics, UNMATCHED_ROUTE } from './http-metrics.js';

type Labels = Record<string, string | number>;

async function value(registry: Registry, name: string, labels: Labels): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const found = metric?.values.find((v) =>
    Object.entries(labels).every(([key, wanted]) => v.labels[key] === wanted),
  );
  return found?.value;
}

describe(HttpMetrics.name, () => {
  let registry: Registry;
  let server: Server;
  let stop: () => void;

  beforeEach(() => {
    registry = new Registry();
    const app = express();
    // Nest mounts module middleware like this, as a route for all methods.
    app.all('/{*path}', (_req, _res, next) => next());
    app.get('/api/users/:id', (req, res) => {
      res.status(req.params.id === 'missing' ? 404 : 200).json({});
    });
    app.post('/api/users', (_req, res) => {
      res.status(201).json({});
    });
    app.get('/metrics', (_req, res) => {
      res.send('# metrics');
    });
    app.use('/assets', (_req, res) => {
      res.send('a file');
    });
    server = createServer(app);
    stop = new HttpMetrics(registry).attach(server);
  });

  afterEach(() => {
    stop();
  });

  it('counts responses by method, route pattern and status, never by raw URL', async () => {
    await request(server).get('/api/users/1').expect(200);
    await request(server).get('/api/users/2').expect(200);
    await request(server).get('/api/users/missing').expect(404);
    await request(server).post('/api/users').expect(201);

    const get = { method: 'GET', route: '/api/users/:id' };
    expect(await value(registry, 'http_requests_total', { ...get, status: '200' })).toBe(2);
    expect(await value(registry, 'http_requests_total', { ...get, status: '404' })).toBe(1);
    expect(
      await value(registry, 'http_requests_total', { method: 'POST', route: '/api/users', status: '201' }),
    ).toBe(1);
    const text = await registry.metrics();
    expect(text).not.toContain('/api/users/1');
    expect(text).not.toContain('missing');
  });

  it('times each response into a histogram whose count matches the counter', async () => {
    for (let i = 0; i < 3; i++) await request(server).get(`/api/users/${i}`).expect(200);

    const labels = { method: 'GET', route: '/api/users/:id', status: '200' };
    expect(await value(registry, 'http_request_duration_seconds', { ...labels, le: '+Inf' })).toBe(3);
    const text = await registry.metrics();
    expect(text).toContain(
      'http_request_duration_seconds_count{method="GET",route="/api/users/:id",status="200"} 3',
    );
    expect(text).toMatch(
      /http_request_duration_seconds_sum\{method="GET",route="\/api\/users\/:id",status="200"\} \d/,
    );
  });

  it('labels responses no route answered as unmatched, whatever their path', async () => {
    await request(server).get('/nothing/here/1').expect(404);
    await request(server).get('/nothing/else').expect(404);
    await request(server).get('/assets/app.js').expect(200);

    expect(
      await value(registry, 'http_requests_total', { method: 'GET', route: UNMATCHED_ROUTE, status: '404' }),
    ).toBe(2);
    expect(
      await value(registry, 'http_requests_total', { method: 'GET', route: UNMATCHED_ROUTE, status: '200' }),
    ).toBe(1);
  });

  it('gives methods outside the usual set one label value', async () => {
    await request(server).propfind('/api/users/1').expect(404);

    expect(
      await value(registry, 'http_requests_total', {
        method: 'OTHER',
        route: UNMATCHED_ROUTE,
        status: '404',
      }),
    ).toBe(1);
  });

  it('leaves the scrape itself out', async () => {
    await request(server).get('/metrics').expect(200);

    expect(await registry.metrics()).not.toContain('route="/metrics"');
  });

  it('stops counting once detached', async () => {
    stop();
    await request(server).get('/api/users/1').expect(200);

    expect(await value(registry, 'http_requests_total', { route: '/api/users/:id' })).toBeUndefined();
  });
});
