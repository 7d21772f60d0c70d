import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds } from './proc.mts';
import { percentile } from './stats.mts';

/** What the load child runs (see load-child.mts): autocannon, or the steady-rate `paced` GETs. */
export interface LoadJob {
  url: string;
  path: string;
  connections: number;
  /** Seconds. */
  duration: number;
  headers: Record<string, string>;
  /**
   * `get`: one GET; `writes`: create then delete a user; `login`: logins round-robin over `names`
   * (all autocannon); `paced`: GETs at a steady `rate`, open loop.
   */
  kind: 'get' | 'writes' | 'login' | 'paced';
  /** Requests per second: autocannon's overallRate, or the paced rate. */
  rate?: number;
  names?: string[];
  password?: string;
}

/** HTTP/2 load from h2load: `clients` connections with `streams` concurrent streams each. */
export interface H2Job {
  /** The whole URL, path included. */
  url: string;
  clients: number;
  streams: number;
  duration: number;
  headers: Record<string, string>;
}

/** One measured load run, from the load generator's side. */
export interface LoadResult {
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  total: number;
  /** Non-2xx responses, connection errors and timeouts. */
  failed: number;
  /** What the failures were, e.g. `3× 409, 1 errors (1 timeouts)`. */
  failures: string;
  durationS: number;
  /** The load generator's own CPU use, percent of one core: near 100 means it, not the server, was the limit. */
  clientCpuPct: number;
}

/** Called when the load starts and when it has ended, to take the server's CPU readings at the same moments. */
export interface LoadHooks {
  started(): void;
  ended(): void;
}

const CHILD = join(import.meta.dirname, 'load-child.mts');

/** argv for a command, under `taskset -c cpus` when given. */
export function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [command, args] : ['taskset', ['-c', cpus, command, ...args]];
}

export function runLoadChild(job: LoadJob, cpus: string | undefined, hooks: LoadHooks): Promise<LoadResult> {
  const [command, args] = pinned(cpus, process.execPath, [CHILD, JSON.stringify(job)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let result: LoadResult | undefined;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    let newline: number;
    while ((newline = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, newline);
      stdout = stdout.slice(newline + 1);
      if (line === 'start') hooks.started();
      else if (line.startsWith('result ')) {
        hooks.ended();
        result = JSON.parse(line.slice('result '.length)) as LoadResult;
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`the load generator exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Where an executable is on PATH (h2load from Debian's nghttp2-client, taskset), if anywhere. */
export function findExecutable(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The numbers h2load prints at the end, and its per-request log (start µs, status, duration µs). */
export function parseH2load(stdout: string, log: string): Omit<LoadResult, 'clientCpuPct'> {
  const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(stdout);
  const requests = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded/.exec(stdout);
  const codes = /status codes: (\d+) 2xx/.exec(stdout);
  if (!finished || !requests || !codes) throw new Error(`unexpected h2load output:\n${stdout}`);
  const latencies = log
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Number(line.split('\t')[2]) / 1000);
  const total = Number(requests[1]);
  return {
    rps: Number(finished[2]),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    total,
    failed: total - Number(codes[1]),
    failures: total > Number(codes[1]) ? `${total - Number(codes[1])} not 2xx` : '',
    durationS: Number(finished[1]),
  };
}

export function runH2load(
  h2load: string,
  job: H2Job,
  cpus: string | undefined,
  hooks: LoadHooks,
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-h2load-'));
  const logFile = join(dir, 'requests.tsv');
  const headers = Object.entries(job.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const [command, args] = pinned(cpus, h2load, [
    `-c${job.clients}`,
    `-m${job.streams}`,
    `-D${job.duration}`,
    `--log-file=${logFile}`,
    ...headers,
    job.url,
  ]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  hooks.started();
  let stdout = '';
  let clientCpu = 0;
  // h2load's own CPU, read while it runs (a process that has exited has no /proc entry).
  const sample = setInterval(() => child.pid && (clientCpu = cpuSeconds(child.pid) || clientCpu), 200);
  const wallBefore = performance.now();
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise<LoadResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      hooks.ended();
      clearInterval(sample);
      const wall = (performance.now() - wallBefore) / 1000;
      try {
        if (code !== 0) throw new Error(`h2load exited with ${code}:\n${stdout}`);
        const parsed = parseH2load(stdout, readFileSync(logFile, 'utf8'));
        resolve({ ...parsed, clientCpuPct: (clientCpu / wall) * 100 });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
