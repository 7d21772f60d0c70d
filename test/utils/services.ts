import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Real servers a test starts, owns and stops itself (Redis, PostgreSQL, nginx from Debian's
 * packages): for restarts and outages, which must never touch the servers other tests share.
 */

const START_LIMIT_MS = 20_000;
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts `command` and resolves once `ready` says so; rejects with its output if it never does. */
async function launch(
  command: string,
  args: string[],
  ready: () => boolean | Promise<boolean>,
  user?: { uid: number; gid: number },
): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  running.add(child);
  child.once('exit', () => running.delete(child));
  const end = Date.now() + START_LIMIT_MS;
  while (Date.now() < end && child.exitCode === null) {
    if (await ready()) return child;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${command} did not start within ${START_LIMIT_MS} ms:\n${output}`);
}

/** True when `command` exits 0 (a readiness probe such as redis-cli ping or pg_isready). */
function succeeds(command: string, args: string[], expected?: string): boolean {
  try {
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return expected === undefined || out.trim() === expected;
  } catch {
    return false;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface Service {
  url: string;
  port: number;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it the way an operator would (SIGTERM: Redis saves, PostgreSQL shuts down fast). */
  stop(): Promise<void>;
  /**
   * Freezes it (SIGSTOP to every process of it): connections stay open and the kernel still
   * takes what clients send, but nothing answers, as in a long fsync, a paused VM or a stalled
   * network. {@link thaw} resumes it.
   */
  freeze(): void;
  thaw(): void;
}

/** `pid` and every process below it, parents first (from /proc: no ps on a minimal machine). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it exited meanwhile
    }
    // "pid (comm) state ppid ...", where comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]) ?? []));
  return tree;
}

/** SIGSTOP to `child` and everything it started (the parent first, so it forks nothing new). */
function freezeTree(child: ChildProcess | undefined): void {
  if (!child?.pid) throw new Error('not running');
  for (const pid of processTree(child.pid)) process.kill(pid, 'SIGSTOP');
}

/** SIGCONT to the same, children first, so the parent finds them running. */
function thawTree(child: ChildProcess | undefined): void {
  if (!child?.pid) throw new Error('not running');
  for (const pid of processTree(child.pid).reverse()) process.kill(pid, 'SIGCONT');
}

/** redis-server with append-only persistence in `dir`, so a restart keeps every session. */
export async function startRedis(dir: string): Promise<Service> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const service: Service = {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: async () => {
      child = await launch(
        'redis-server',
        [
          '--bind',
          '127.0.0.1',
          '--port',
          String(port),
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'always',
          '--save',
          '',
        ],
        () => succeeds('redis-cli', ['-p', String(port), 'ping'], 'PONG'),
      );
    },
    stop: () => stopChild(child),
    freeze: () => freezeTree(child),
    thaw: () => thawTree(child),
  };
  await service.start();
  return service;
}

const PG_BIN = (() => {
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    return versions.length > 0 ? `/usr/lib/postgresql/${versions[0]}/bin` : undefined;
  } catch {
    return undefined;
  }
})();

/** Who PostgreSQL runs as: the test's own user, or the postgres user when tests run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL cluster of its own (initdb, then postgres), trust auth on 127.0.0.1. `dir` must be
 * a new folder directly under the system's temporary folder, so the postgres user can reach it.
 */
export async function startPostgres(dir: string): Promise<Service> {
  if (!PG_BIN) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], {
    ...user,
    stdio: 'ignore',
  });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const service: Service = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => {
      child = await launch(
        join(PG_BIN, 'postgres'),
        ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
        () => succeeds(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]),
        user,
      );
    },
    // SIGINT is PostgreSQL's "fast" shutdown: open connections are ended, as in a restart.
    stop: () => stopChild(child, 'SIGINT'),
    // The postmaster and its backends, as `kill -STOP` on all of them would.
    freeze: () => freezeTree(child),
    thaw: () => thawTree(child),
  };
  await service.start();
  return service;
}

/** nginx in front of `upstreams` (ports), round-robin, configured as docs/scale-out.md shows. */
export async function startNginx(dir: string, upstreams: number[]): Promise<Service> {
  const port = await freePort();
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(dir, temp), { recursive: true });
  const config = `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 16;
    # Shorter than the app's KEEP_ALIVE_TIMEOUT (5s): nginx must never reuse a connection the app is closing.
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout http_502;
      add_header X-Served-By $upstream_addr always;
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), config);
  let child: ChildProcess | undefined;
  const service: Service = {
    url: `http://127.0.0.1:${port}`,
    port,
    start: async () => {
      child = await launch('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], () => canConnect(port));
    },
    stop: () => stopChild(child, 'SIGQUIT'),
    freeze: () => freezeTree(child),
    thaw: () => thawTree(child),
  };
  await service.start();
  return service;
}
