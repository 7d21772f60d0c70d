import { jest } from '@jest/globals';
import { loadConfig } from '../config/configuration.js';
import { listenMetrics, type MetricsListener } from './metrics-server.js';

const TOKEN = 'a-metrics-token-0123456789';
const TEXT = '# HELP up test\n# TYPE up gauge\nup 1\n';

function config(env: Record<string, string>) {
  return loadConfig({ SESSION_SECRET: 'a-development-secret-for-tests', METRICS_HOST: '127.0.0.1', ...env });
}

describe(listenMetrics.name, () => {
  let listener: MetricsListener | undefined;

  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it('listens only when METRICS_PORT is set', async () => {
    const withToken = loadConfig({ SESSION_SECRET: 'a-development-secret-for-tests', METRICS_TOKEN: TOKEN });

    expect(await listenMetrics(withToken, () => Promise.resolve(TEXT))).toBeUndefined();
  });

  it('serves GET /metrics in the Prometheus text format, never cached', async () => {
    listener = await listenMetrics(config({ METRICS_PORT: '0' }), () => Promise.resolve(TEXT));
    const res = await fetch(listener!.url);

    expect(listener!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe(TEXT);
  });

  it('answers nothing but /metrics, and only to GET and HEAD', async () => {
    listener = await listenMetrics(config({ METRICS_PORT: '0' }), () => Promise.resolve(TEXT));
    const base = listener!.url.replace(/\/metrics$/, '');

    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
    expect((await fetch(listener!.url, { method: 'HEAD' })).status).toBe(200);
    const post = await fetch(listener!.url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('asks for METRICS_TOKEN when it is set', async () => {
    listener = await listenMetrics(config({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN }), () =>
      Promise.resolve(TEXT),
    );

    const without = await fetch(listener!.url);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    const wrong = await fetch(listener!.url, { headers: { Authorization: 'Bearer wrong-token-0123456789' } });
    expect(wrong.status).toBe(401);
    const right = await fetch(listener!.url, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toBe(TEXT);
  });

  it('answers 503 when the metrics cannot be collected', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    listener = await listenMetrics(config({ METRICS_PORT: '0' }), () =>
      Promise.reject(new Error('worker 7 did not send its metrics within 5000 ms')),
    );

    expect((await fetch(listener!.url)).status).toBe(503);
    expect(error).toHaveBeenCalledWith(
      'metrics unavailable: worker 7 did not send its metrics within 5000 ms',
    );
    error.mockRestore();
  });
});
