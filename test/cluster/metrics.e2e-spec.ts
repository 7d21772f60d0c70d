import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAIN, readyPids, run, type ServerProcess, startServer, until } from '../utils/server-process.js';

const TOKEN = 'cluster-metrics-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const N = 200;
const ABOUT = 'method="GET",route="/about",status="200"';

/** One GET on a fresh connection, so either worker may answer it; rejects if unanswered in 5 s. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: new Agent({ keepAlive: false }), headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${url}: no answer within 5000 ms`)));
    req.end();
  });
}

/** The value of one sample line, e.g. `http_requests_total{...}`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Requests `/about` n times on fresh connections; returns the pids that served them. */
async function visitAbout(url: string, n: number): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < n; i++) {
    const { status, body } = await get(`${url}/about`);
    expect(status).toBe(200);
    pids.add(/id="pid">(\d+)</.exec(body)![1]);
  }
  return pids;
}

/** Where the METRICS_PORT listener says it is (PORT=0 and METRICS_PORT=0 in these tests). */
function metricsUrl(server: ServerProcess): string {
  return /metrics on (http:\/\/\S+\/metrics)/i.exec(server.output())![1];
}

describe('Metrics', () => {
  let cwd: string;
  let server: ServerProcess | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'users-metrics-'));
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(cwd, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<ServerProcess> {
    server = await startServer(cwd, env);
    const workers = Number(env.WORKERS ?? '1');
    if (workers > 1) await until(() => readyPids(server!).length === workers, `${workers} workers`);
    if (env.METRICS_PORT) await until(() => /metrics on http/i.test(server!.output()), 'the metrics port');
    return server;
  }

  describe('on the app port of a 2-worker cluster, behind METRICS_TOKEN', () => {
    beforeEach(async () => {
      await start({ WORKERS: '2', METRICS_TOKEN: TOKEN });
    });

    it('asks for the token: 401 without it or with another', async () => {
      expect((await get(`${server!.url}/metrics`)).status).toBe(401);
      const wrong = { authorization: 'Bearer wrong-token-0123456789' };
      expect((await get(`${server!.url}/metrics`, wrong)).status).toBe(401);
      expect((await get(`${server!.url}/metrics`, AUTH)).status).toBe(200);
    });

    it(`sums both workers: ${N} requests spread over them, and every scrape, on either worker, says ${N}`, async () => {
      const pids = await visitAbout(server!.url, N);
      expect([...pids].sort()).toEqual(readyPids(server!).sort());

      // Fresh connections take turns between the workers, so these scrapes reach both.
      for (let i = 0; i < 4; i++) {
        const { status, body } = await get(`${server!.url}/metrics`, AUTH);
        expect(status).toBe(200);
        expect(sample(body, `http_requests_total{${ABOUT}}`)).toBe(N);
        expect(sample(body, `http_request_duration_seconds_count{${ABOUT}}`)).toBe(N);
        expect(sample(body, `http_request_duration_seconds_bucket{le="+Inf",${ABOUT}}`)).toBe(N);
        expect(body).not.toContain('route="/metrics"');
      }
    });

    it('answers scrapes throughout a rolling reload, without waiting on workers still starting', async () => {
      await visitAbout(server!.url, 10);
      server!.child.kill('SIGHUP');
      const took: number[] = [];
      const deadline = Date.now() + 20_000;
      while (!/reload (finished|stopped)/.test(server!.output()) && Date.now() < deadline) {
        const started = Date.now();
        const { status, body } = await get(`${server!.url}/metrics`, AUTH);
        took.push(Date.now() - started);
        expect(status).toBe(200);
        expect(body).toContain('# TYPE http_requests_total counter');
        await sleep(100);
      }
      expect(server!.output()).toContain('reload finished');
      expect(took.length).toBeGreaterThan(3);
      expect(Math.max(...took)).toBeLessThan(2_000);
    });
  });

  it('with METRICS_PORT, are served there by the supervisor and not on the app port', async () => {
    await start({ WORKERS: '2', METRICS_PORT: '0' });
    const pids = await visitAbout(server!.url, N);
    expect(pids.size).toBe(2);

    expect((await get(`${server!.url}/metrics`)).status).toBe(404);
    const { status, body } = await get(metricsUrl(server!));
    expect(status).toBe(200);
    expect(sample(body, `http_requests_total{${ABOUT}}`)).toBe(N);
    expect(sample(body, `http_request_duration_seconds_count{${ABOUT}}`)).toBe(N);
    // The 404 just above was a request like any other on the app port.
    expect(sample(body, 'http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(1);
  });

  it('with WORKERS=1, come from the process itself, on its METRICS_PORT behind the token', async () => {
    await start({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
    await visitAbout(server!.url, 20);

    expect((await get(`${server!.url}/metrics`, AUTH)).status).toBe(404);
    expect((await get(metricsUrl(server!))).status).toBe(401);
    const { status, body } = await get(metricsUrl(server!), AUTH);
    expect(status).toBe(200);
    expect(sample(body, `http_requests_total{${ABOUT}}`)).toBe(20);
    expect(body).toContain('process_resident_memory_bytes');
  });

  it('with WORKERS=1, come from the process itself on the app port behind the token', async () => {
    await start({ METRICS_TOKEN: TOKEN });
    await visitAbout(server!.url, 20);

    expect((await get(`${server!.url}/metrics`)).status).toBe(401);
    const { body } = await get(`${server!.url}/metrics`, AUTH);
    expect(sample(body, `http_requests_total{${ABOUT}}`)).toBe(20);
  });

  it('stop the start with one line, before any worker is forked, when METRICS_PORT is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await run(cwd, [MAIN], { WORKERS: '2', METRICS_PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`Cannot listen on 127.0.0.1:${port}: the port is already in use\n`);
      expect(result.stdout).not.toContain('forked worker');
    } finally {
      blocker.close();
    }
  });

  it('are nowhere by default', async () => {
    await start({ WORKERS: '2' });

    expect((await get(`${server!.url}/metrics`, AUTH)).status).toBe(404);
    expect(server!.output()).not.toMatch(/metrics on/i);
  });
});
