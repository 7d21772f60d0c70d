// One load run in its own process, so it can be pinned to the load generator's core:
// `node load-child.mts '<LoadJob as JSON>'`. It prints `start` when the load begins and
// `result <LoadResult as JSON>` at the end.
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import type { LoadJob, LoadResult } from './load.mts';
import { percentile } from './stats.mts';

const job = JSON.parse(process.argv[2]) as LoadJob;
const json = { 'content-type': 'application/json' };

function requests(): autocannon.Request[] {
  if (job.kind === 'writes') {
    let created = 0;
    return [
      {
        method: 'POST',
        path: '/api/users',
        headers: { ...job.headers, ...json },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ name: `w${process.pid}-${++created}`, password: job.password }),
        }),
        onResponse: (status, body, context: { id?: string }) => {
          context.id = status === 201 ? (JSON.parse(body) as { id: string }).id : undefined;
        },
      },
      {
        method: 'DELETE',
        headers: job.headers,
        setupRequest: (req, context: { id?: string }) => ({ ...req, path: `/api/users/${context.id}` }),
      },
    ];
  }
  if (job.kind === 'login') {
    let next = 0;
    const names = job.names ?? [];
    return [
      {
        method: 'POST',
        path: '/api/auth/login',
        headers: { ...job.headers, ...json },
        // Round-robin over more names than connections: no name is ever near the password throttle.
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ name: names[next++ % names.length], password: job.password }),
        }),
      },
    ];
  }
  return [{ method: 'GET', path: job.path, headers: job.headers }];
}

async function runAutocannon(): Promise<Omit<LoadResult, 'clientCpuPct'>> {
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.duration,
    overallRate: job.rate,
    requests: requests(),
  });
  const failures = Object.entries(result.statusCodeStats ?? {})
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, { count }]) => `${count ?? 0}× ${status}`);
  if (result.errors > 0) failures.push(`${result.errors} errors (${result.timeouts} timeouts)`);
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: result.non2xx + result.errors,
    failures: failures.join(', '),
    durationS: result.duration,
  };
}

/**
 * GETs at a steady rate, one every 1/rate s whether or not earlier ones have been answered
 * (open loop), over at most `connections` keep-alive sockets. Latency counts from when a request
 * was due, so time spent queued behind a slow answer is included (no coordinated omission).
 */
function runPaced(): Promise<Omit<LoadResult, 'clientCpuPct'>> {
  const rate = job.rate ?? 1;
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const url = new URL(job.path, job.url);
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  let failed = 0;
  let sent = 0;
  let answered = 0;
  const start = performance.now();
  const end = start + job.duration * 1000;
  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      resolve({
        rps: latencies.length / job.duration,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        total: latencies.length,
        failed,
        failures: [...statuses].map(([status, count]) => `${count}× ${status}`).join(', '),
        durationS: job.duration,
      });
    };
    const settle = (due: number, status: string | undefined) => {
      answered++;
      if (status?.startsWith('2')) latencies.push(performance.now() - due);
      else {
        failed++;
        statuses.set(status ?? 'error', (statuses.get(status ?? 'error') ?? 0) + 1);
      }
      if (answered === sent && performance.now() >= end) finish();
    };
    const tick = () => {
      const now = Math.min(performance.now(), end);
      for (let due = start + sent * (1000 / rate); due <= now; due = start + sent * (1000 / rate)) {
        sent++;
        const req = request(url, { agent, headers: job.headers }, (res) => {
          res.resume();
          res.on('end', () => settle(due, String(res.statusCode)));
        });
        req.on('error', () => settle(due, undefined));
        req.end();
      }
      if (performance.now() < end) setTimeout(tick, 1);
      else if (answered === sent) finish();
    };
    tick();
  });
}

const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
process.stdout.write('start\n');
const result = job.kind === 'paced' ? await runPaced() : await runAutocannon();
const cpu = process.cpuUsage(cpuBefore);
const wall = (performance.now() - wallBefore) / 1000;
const output: LoadResult = { ...result, clientCpuPct: ((cpu.user + cpu.system) / 1e6 / wall) * 100 };
process.stdout.write(`result ${JSON.stringify(output)}\n`);
