import autocannon from 'autocannon';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { http2Client, makeCertificate } from '../utils/clients.js';
import { MAIN, readyPids, run, type ServerProcess, startServer, until } from '../utils/server-process.js';

const PASSWORD = 'a long enough password';
let ca: Buffer | undefined;

/**
 * One HTTP/1.1 request (over TLS for https URLs) on a fresh connection, so any worker may get
 * it. Returns the status, the body and the cookie it set.
 */
function send(
  url: string,
  options: { method?: string; body?: unknown; cookie?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string; cookie?: string }> {
  const tls = url.startsWith('https:');
  const json = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string | number> = {};
  if (options.cookie) headers.cookie = options.cookie;
  if (json)
    Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  const agent = tls
    ? new HttpsAgent({ keepAlive: false, ca, ALPNProtocols: ['http/1.1'] })
    : new Agent({ keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      url,
      { method: options.method ?? 'GET', agent, headers },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }),
        );
      },
    );
    req.on('error', reject);
    if (options.timeoutMs)
      req.setTimeout(options.timeoutMs, () =>
        req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      );
    req.end(json);
  });
}

const get = (url: string, cookie?: string) => send(url, { cookie });

/** A POST /api/users that sends half its body now and the rest on finish(). */
function slowPost(url: string, name: string): { finish(): void; status: Promise<number> } {
  const tls = url.startsWith('https:');
  const body = JSON.stringify({ name, password: PASSWORD });
  const req = (tls ? httpsRequest : httpRequest)(`${url}/api/users`, {
    method: 'POST',
    agent: tls
      ? new HttpsAgent({ keepAlive: false, ca, ALPNProtocols: ['http/1.1'] })
      : new Agent({ keepAlive: false }),
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, 10));
  return { finish: () => req.end(body.slice(10)), status };
}

async function servingPid(url: string): Promise<string> {
  return /id="pid">(\d+)</.exec((await get(`${url}/about`)).body)![1];
}

describe.each(['http', 'http2'])('The cluster (2 workers) over %s', (protocol) => {
  let cwd: string;
  let server: ServerProcess;

  beforeEach(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'users-cluster-'));
    const env: Record<string, string> = { WORKERS: '2', SHUTDOWN_TIMEOUT: '5s', PROTOCOL: protocol };
    if (protocol === 'http2') {
      const { cert, key } = makeCertificate(join(cwd, 'certs'));
      Object.assign(env, { TLS_CERT: cert, TLS_KEY: key });
      ca = readFileSync(cert);
    }
    server = await startServer(cwd, env);
    await until(() => readyPids(server).length === 2, 'two workers');
  });

  afterEach(async () => {
    await server.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('serves from both workers, and a session made on one is valid on the other', async () => {
    const body = { name: 'shared', password: PASSWORD };
    expect((await send(`${server.url}/api/users`, { method: 'POST', body })).status).toBe(201);
    const { cookie } = await send(`${server.url}/api/auth/login`, { method: 'POST', body });
    // Fresh connections take turns between the workers, so with two "me" calls between pid
    // probes, both workers answer "me" and both show up in the probes.
    const pids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      pids.add(await servingPid(server.url));
      expect((await get(`${server.url}/api/auth/me`, cookie)).status).toBe(200);
      expect((await get(`${server.url}/api/auth/me`, cookie)).status).toBe(200);
      pids.add(await servingPid(server.url));
    }
    expect([...pids].sort()).toEqual([...readyPids(server)].sort());
  });

  it('replaces a worker killed with SIGKILL under load; afterwards every request succeeds', async () => {
    const [victim] = readyPids(server);
    const load = autocannon({ url: `${server.url}/api/auth/status`, connections: 10, duration: 3 });
    await sleep(1000);
    process.kill(Number(victim), 'SIGKILL');
    const result = await load;
    await until(() => readyPids(server).length === 3, 'a replacement worker');
    expect(server.output()).toMatch(
      new RegExp(`worker ${victim} exited \\(code null, signal SIGKILL\\); replacing it in \\d+ ms`),
    );
    // Only requests on the killed worker's open connections may have failed.
    expect(result.non2xx).toBe(0);
    expect(result.errors).toBeLessThan(10);
    for (let i = 0; i < 30; i++) expect((await get(`${server.url}/api/auth/status`)).status).toBe(200);
  });

  it('reloads on SIGHUP under constant load with no failed request, replacing every worker', async () => {
    const before = readyPids(server);
    const load = autocannon({ url: `${server.url}/api/auth/status`, connections: 10, duration: 30 });
    await sleep(500);
    server.child.kill('SIGHUP');
    // The load lasts until every old worker has drained, however long that takes here.
    await until(() => server.output().includes('reload finished'), 'the reload', 25_000);
    await sleep(300);
    (load as unknown as { stop(): void }).stop(); // the instance has stop(); its typings omit it
    const result = await load;
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThan(100);
    const after = new Set<string>();
    for (let i = 0; i < 20; i++) after.add(await servingPid(server.url));
    expect(after.size).toBe(2);
    for (const pid of before) expect(after.has(pid)).toBe(false);
  });

  it('answers every connection opened while SIGHUP replaces the workers, reload after reload', async () => {
    // As an old worker exits, the supervisor may just have handed it a new connection; eight
    // clients opening connections back to back make each reload likely to meet that moment.
    // Over http2, half of them speak HTTP/2 (a session each), half HTTP/1.1 over TLS.
    const reloads = () => server.output().match(/reload finished/g)?.length ?? 0;
    const h2 = async (): Promise<number> => {
      const client = http2Client(server.url, ca!);
      client.session.on('error', () => undefined); // the request rejects with it
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 5000 ms')), 5_000);
      });
      try {
        return (await Promise.race([client.request('GET', '/health/live'), timeout])).status;
      } finally {
        clearTimeout(timer);
        client.session.destroy();
      }
    };
    const h1 = async () => (await send(`${server.url}/health/live`, { timeoutMs: 5_000 })).status;
    const failures: string[] = [];
    let answered = 0;
    for (let reload = 1; reload <= 4; reload++) {
      server.child.kill('SIGHUP');
      let reloading = true;
      const clients = Array.from({ length: 8 }, async (_, i) => {
        const ask = protocol === 'http2' && i % 2 === 1 ? h2 : h1;
        while (reloading) {
          try {
            const status = await ask();
            if (status === 200) answered++;
            else failures.push(`reload ${reload}: status ${status}`);
          } catch (error) {
            failures.push(`reload ${reload}: ${(error as Error).message}`);
            await sleep(100); // no busy loop against a server that is gone
          }
        }
      });
      try {
        await until(() => reloads() === reload, `reload ${reload}`, 15_000);
      } finally {
        reloading = false;
        await Promise.all(clients);
      }
    }
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(100);
  }, 90_000);

  it('lets requests in flight finish when SIGTERM arrives during a reload', async () => {
    const posts = ['during-a', 'during-b', 'during-c'].map((name) => slowPost(server.url, name));
    await sleep(300);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGHUP');
    await sleep(300);
    server.child.kill('SIGTERM');
    await sleep(300);
    for (const post of posts) post.finish();
    expect(await Promise.all(posts.map((p) => p.status))).toEqual([201, 201, 201]);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it('drains on SIGTERM: requests in flight finish, new connections are refused, exit code 0', async () => {
    const { port } = new URL(server.url);
    const post = slowPost(server.url, 'late');
    await sleep(300);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await sleep(500);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    post.finish();
    expect(await post.status).toBe(201);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it('drains once when the whole process group gets SIGINT, as from Ctrl-C or systemd', async () => {
    await server.stop();
    server = await startServer(cwd, { WORKERS: '2', SHUTDOWN_TIMEOUT: '5s' }, { detached: true });
    await until(() => readyPids(server).length === 2, 'two workers');
    const posts = ['group-a', 'group-b', 'group-c', 'group-d'].map((name) => slowPost(server.url, name));
    await sleep(300);
    const exited = once(server.child, 'exit');
    process.kill(-server.child.pid!, 'SIGINT');
    await sleep(300);
    for (const post of posts) post.finish();
    expect(await Promise.all(posts.map((p) => p.status))).toEqual([201, 201, 201, 201]);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});

describe('Workers in trouble', () => {
  let cwd: string;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'users-trouble-'));
  });

  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('logs an unhandled rejection and keeps serving; an uncaught exception is logged and the worker replaced', async () => {
    // Preloaded into every process (the supervisor too); only the first worker to claim the
    // marker file misbehaves.
    const trouble = join(cwd, 'trouble.cjs');
    writeFileSync(
      trouble,
      `const cluster = require('node:cluster'), fs = require('node:fs');
       let first = false;
       if (cluster.isWorker) try { fs.closeSync(fs.openSync(${JSON.stringify(join(cwd, 'marker'))}, 'wx')); first = true; } catch {}
       if (first) {
         setTimeout(() => Promise.reject(new Error('nobody caught me')), 1500);
         setTimeout(() => { throw new Error('boom'); }, 2500);
       }`,
    );
    const server = await startServer(cwd, { WORKERS: '2', NODE_OPTIONS: `--require ${trouble}` });
    try {
      await until(
        () => server.output().includes('unhandled promise rejection: Error: nobody caught me'),
        'the rejection log',
      );
      expect((await get(`${server.url}/api/auth/status`)).status).toBe(200);
      await until(
        () => /uncaught exception, exiting to be replaced: Error: boom/.test(server.output()),
        'the exception log',
      );
      await until(() => readyPids(server).length === 3, 'the replacement');
      expect(server.output()).toMatch(/worker \d+ exited \(code 1, signal null\); replacing it in 100 ms/);
      for (let i = 0; i < 10; i++) expect((await get(`${server.url}/api/auth/status`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('replaces a worker that grows over MAX_WORKER_MEMORY_MB through the rolling path', async () => {
    // The first worker grows by 300 MiB once it has been serving a while; its replacement does not.
    const grow = join(cwd, 'grow.cjs');
    writeFileSync(
      grow,
      `const cluster = require('node:cluster'), fs = require('node:fs');
       let first = false;
       if (cluster.isWorker) try { fs.closeSync(fs.openSync(${JSON.stringify(join(cwd, 'grown'))}, 'wx')); first = true; } catch {}
       if (first) {
         // Grow 6 s after reporting ready: after the first memory check, before the second.
         const send = process.send.bind(process);
         process.send = (message, ...rest) => {
           if (message && message.type === 'ready') setTimeout(() => { globalThis.ballast = Buffer.alloc(300 * 1048576, 1); }, 6000);
           return send(message, ...rest);
         };
       }`,
    );
    const server = await startServer(cwd, {
      WORKERS: '2',
      MAX_WORKER_MEMORY_MB: '320',
      NODE_OPTIONS: `--require ${grow}`,
    });
    try {
      await until(
        () => /uses \d+ MiB, over MAX_WORKER_MEMORY_MB: replacing it/.test(server.output()),
        'a memory replacement',
        45_000,
      );
      await until(() => readyPids(server).length === 3, 'the replacement');
      expect((await get(`${server.url}/api/auth/status`)).status).toBe(200);
      await sleep(6000);
      expect(readyPids(server)).toHaveLength(3);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('The supervisor', () => {
  let cwd: string;

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'users-supervisor-'));
  });

  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('backs off when workers keep dying, then stops with exit code 1 on a crash loop', async () => {
    const script = join(cwd, 'crashing.cjs');
    const supervisor = JSON.stringify(join(MAIN, '..', 'cluster', 'supervisor.js'));
    writeFileSync(
      script,
      `const cluster = require('node:cluster');
       if (cluster.isPrimary) {
         const { Supervisor } = require(${supervisor});
         new Supervisor({ workers: 1, shutdownTimeoutMs: 1000 }).start().then((code) => process.exit(code));
       } else {
         process.send({ type: 'ready', url: 'nowhere' });
         setTimeout(() => process.exit(3), 20);
       }`,
    );
    const result = await run(cwd, [script]);
    expect(result.code).toBe(1);
    const delays = [...result.stdout.matchAll(/replacing it in (\d+) ms/g)].map((m) => Number(m[1]));
    expect(delays).toEqual([100, 150, 225, 338, 506, 759, 1139, 1709, 2563]);
    expect(result.stdout).toMatch(/worker \d+ exited \(code 3, signal null\)/);
    expect(result.stderr).toMatch(/crash loop, 10 exits within 60 s; stopping/);
  }, 30_000);

  it('exits 1 with one line, without forking again, when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await run(cwd, [MAIN], { WORKERS: '2', PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`Cannot listen on 127.0.0.1:${port}: the port is already in use\n`);
      expect(result.stdout.match(/forked worker/g)).toHaveLength(2);
    } finally {
      blocker.close();
    }
  });
});
