import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './http.mts';
import { pinned } from './load.mts';
import { memory, processTree, type Memory } from './proc.mts';

export type ServerKind = 'product' | 'limit' | 'typical';

export interface ServerSpec {
  kind: ServerKind;
  /** Product only: WORKERS (1 = one process, no supervisor). */
  workers?: number;
  /** Product only. */
  protocol?: 'http' | 'http2';
  /** `taskset -c` list, or undefined for no pinning. */
  cpus?: string;
  /** Extra options for Node, e.g. `--cpu-prof` (bench/profile.mts). */
  nodeArgs?: string[];
  /** Extra environment variables (bench/profile.mts). */
  env?: Record<string, string>;
}

/** What every server of a run shares: the code, the seeded database, the secret, the certificate. */
export interface BenchEnvironment {
  root: string;
  workDir: string;
  databaseFile: string;
  sessionSecret: string;
  tls: { cert: string; key: string };
}

/** A fresh work folder under the system's temp folder, with a new secret; the caller removes `workDir`. */
export function benchEnvironment(root: string, name: string): BenchEnvironment {
  const workDir = mkdtempSync(join(tmpdir(), `nest-users-${name}-`));
  return {
    root,
    workDir,
    databaseFile: join(workDir, 'app.db'),
    sessionSecret: randomBytes(32).toString('hex'),
    // Made by scripts/cert.sh when a scenario needs TLS.
    tls: { cert: join(workDir, 'certs', 'localhost.pem'), key: join(workDir, 'certs', 'localhost-key.pem') },
  };
}

export interface RunningServer {
  spec: ServerSpec;
  pid: number;
  /** Origin, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Milliseconds from spawn to the first 200 from /health/live (all workers ready, when clustered). */
  readyMs: number;
  /** The server process and its workers. */
  pids(): number[];
  /** Memory of each process: the first is the server process (the supervisor, when clustered). */
  memory(): Memory[];
  stop(): Promise<void>;
}

// Ports other work on this machine uses.
const RESERVED_PORTS = new Set([55432, 56379, 58080]);

async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    server.close();
    await once(server, 'close');
    if (!RESERVED_PORTS.has(port)) return port;
  }
}

function command(spec: ServerSpec, env: BenchEnvironment): string[] {
  if (spec.kind === 'product') return [join(env.root, 'dist', 'main.js')];
  if (spec.kind === 'limit') return [join(env.root, 'bench', '.build', 'limit.mjs')];
  return [join(env.root, 'bench', '.build', 'typical', 'main.js')];
}

/** `npm run build` in `root`, through the npm that runs this script when there is one. */
export function buildProduct(root: string): void {
  console.log('Building: npm run build');
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
  const built = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
}

/**
 * The Node options the product is started with (package.json `config.nodeOptions`, which
 * `npm start` and `npm run start:prod` pass): the bench runs it as it is deployed.
 */
export function productNodeOptions(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    config?: { nodeOptions?: string };
  };
  return (pkg.config?.nodeOptions ?? '').split(/\s+/).filter(Boolean);
}

function environment(spec: ServerSpec, env: BenchEnvironment, port: number): NodeJS.ProcessEnv {
  const common = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    SESSION_SECRET: env.sessionSecret,
  };
  if (spec.kind !== 'product') return { ...common, DATABASE_FILE: env.databaseFile };
  return {
    ...common,
    DATABASE_URL: `sqlite:${env.databaseFile}`,
    WORKERS: String(spec.workers ?? 1),
    // Off for the bench: scenarios 3 and 4 sign up and log in far faster than any one address may.
    RATE_LIMIT_LOGIN: 'off',
    RATE_LIMIT_SIGNUP: 'off',
    // Long enough that the bench's one login outlives the whole run, whichever server reads it.
    SESSION_IDLE_TIMEOUT: '12h',
    ...(spec.protocol === 'http2' && { PROTOCOL: 'http2', TLS_CERT: env.tls.cert, TLS_KEY: env.tls.key }),
  };
}

/** Starts a server with its output in a log file and waits until it answers (and every worker is ready). */
export async function startServer(
  spec: ServerSpec,
  env: BenchEnvironment,
  name: string,
): Promise<RunningServer> {
  const [script] = command(spec, env);
  // Another checkout's `npm run build` wipes dist/ for a few seconds: wait for it rather than fail.
  for (let waited = 0; !existsSync(script) && waited < 120; waited++) await sleep(1000);
  const port = await freePort();
  const logFile = join(env.workDir, `${name.replace(/\W+/g, '-')}-${port}.log`);
  const log = openSync(logFile, 'a');
  const options = [
    ...(spec.kind === 'product' ? productNodeOptions(env.root) : []),
    ...(spec.nodeArgs ?? []),
  ];
  const [file, args] = pinned(spec.cpus, process.execPath, [...options, script]);
  const started = performance.now();
  const child: ChildProcess = spawn(file, args, {
    cwd: env.root,
    env: { ...environment(spec, env, port), ...spec.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const scheme = spec.protocol === 'http2' ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  const workers = spec.kind === 'product' ? (spec.workers ?? 1) : 1;
  const output = () => readFileSync(logFile, 'utf8');
  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready:\n${output().slice(-2000)}`);
    }
    if (performance.now() - started > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within 30 s:\n${output().slice(-2000)}`);
    }
    const live = await request(`${url}/health/live`, { timeoutMs: 1000 }).catch(() => undefined);
    // The supervisor says when all its workers are listening; the first 200 may come from the first one.
    if (live?.status === 200 && (workers === 1 || output().includes(`${workers} workers ready`))) {
      readyMs = performance.now() - started;
    } else await sleep(10);
  }
  const pid = child.pid!;
  return {
    spec,
    pid,
    url,
    readyMs,
    pids: () => processTree(pid),
    memory: () => processTree(pid).map(memory),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      // One line per request adds up to hundreds of megabytes over a full run.
      rmSync(logFile, { force: true });
    },
  };
}
