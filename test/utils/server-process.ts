import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Backend, freshBackend, SCALE } from './backends.js';

export const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'main.js');
const STOP_LIMIT_MS = 30_000;
const SCALE_SECRET = 'scale-suite-secret-that-is-long-enough-for-tests';

// A test that timed out never reaches its own stop(): whatever is still running when this test
// process exits is killed, and the servers' handles are unref'd so they cannot keep it alive.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<void>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  // Only what the test says, plus PATH and HOME: the developer's own settings must not leak in.
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NO_COLOR: '1',
    HOST: '127.0.0.1',
    // One process unless a test asks for the cluster: its pid is then the serving pid.
    WORKERS: '1',
    PORT: '0',
    ...env,
  };
}

/** Runs the built server (`npm run build` first) and resolves once it says where it listens. */
export async function startServer(
  cwd: string,
  env: Record<string, string> = {},
  options: {
    /** Its own process group, so a test can signal the whole group as a terminal or systemd would. */
    detached?: boolean;
    /** What Node runs instead of the built main.js (an npm script through npm's CLI, say). */
    args?: string[];
  } = {},
): Promise<ServerProcess> {
  // Under `npm run test:scale`, a server given no database of its own gets PostgreSQL and Redis.
  const backend: Backend | undefined = SCALE && !env.DATABASE_URL ? await freshBackend() : undefined;
  const child = spawn(process.execPath, options.args ?? [MAIN], {
    cwd,
    env: environment({ ...backend?.env, ...(backend && { SESSION_SECRET: SCALE_SECRET }), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  running.add(child);
  child.once('exit', () => {
    running.delete(child);
    backend?.drop().catch(() => undefined);
  });
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref(): void }).unref();
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 15 s:\n${output}`));
    }, 15_000);
    child.stdout.on('data', () => {
      const match = /Listening on (https?:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      // A drain takes SHUTDOWN_TIMEOUT at most; a server still there long after is a bug to show, not to wait on.
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
      const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      clearTimeout(timer);
      if (signal === 'SIGKILL') {
        const message = `server did not stop within ${STOP_LIMIT_MS} ms of SIGTERM; it printed:\n${output}`;
        console.error(message);
        throw new Error(message);
      }
    },
  };
}

/** Runs a script to completion (bounded by 20 s) and collects what it printed. */
export async function run(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Exit> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/** The pids of the workers a cluster's supervisor has reported ready so far. */
export function readyPids(server: ServerProcess): string[] {
  return [...server.output().matchAll(/worker (\d+) ready/g)].map((m) => m[1]);
}

/** Polls `condition` every 50 ms; rejects naming `what` after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
