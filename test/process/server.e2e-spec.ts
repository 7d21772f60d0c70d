import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrations } from '../../src/database/migrations/index.js';
import { MAIN, run, startServer } from '../utils/server-process.js';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

describe('The server process', () => {
  let cwd: string;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'users-process-'));
  });

  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it.each([
    ['PORT', 'abc', 'Configuration error: PORT must be an integer from 0 to 65535 (got "abc")'],
    [
      'DATABASE_URL',
      'ftp://x',
      'Configuration error: DATABASE_URL must start with sqlite: or postgres:// (got "ftp:")',
    ],
    [
      'PROTOCOL',
      'https',
      'Configuration error: TLS_CERT is required when PROTOCOL=https (npm run cert makes one)',
    ],
    [
      'NODE_ENV',
      'prod',
      'Configuration error: NODE_ENV must be one of development, production, test (got "prod")',
    ],
    [
      'SESSION_IDLE_TIMEOUT',
      'soon',
      'Configuration error: SESSION_IDLE_TIMEOUT must be a duration from 1s to 365d with a unit, like 45s, 30m or 12h (got "soon")',
    ],
  ])('stops with exit code 1 and one line when %s=%s', async (name, value, line) => {
    const result = await run(cwd, [MAIN], { [name]: value });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.stdout).toBe('');
  });

  it('stops with exit code 1 and one line when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await run(cwd, [MAIN], { PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`Cannot listen on 127.0.0.1:${port}: the port is already in use\n`);
    } finally {
      blocker.close();
    }
  });

  it('refuses to start on a Node older than 22.12 with one clear line', async () => {
    const oldNode = join(cwd, 'pretend-node-20.cjs');
    writeFileSync(oldNode, "Object.defineProperty(process.versions, 'node', { value: '20.19.0' });");
    const result = await run(cwd, ['--require', oldNode, MAIN]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^This server needs Node\.js 22\.12 or newer but found v\S+\. Start it through npm/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  // Whatever the dependencies deprecate is replaced, not silenced: Node prints a warning (a
  // DeprecationWarning, or anything else) on stderr, which the supervisor and the workers share.
  it('starts, serves and stops two workers without a warning from Node, deprecations included', async () => {
    const server = await startServer(cwd, {
      WORKERS: '2',
      // Also the deprecations Node only announces, for every process (the workers inherit it).
      NODE_OPTIONS: '--pending-deprecation',
    });
    try {
      const signUp = { name: 'warn-free', password: 'a long enough password' };
      const post = (path: string) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: JSON_HEADERS,
          body: JSON.stringify(signUp),
        });
      expect((await post('/api/users')).status).toBe(201);
      const login = await post('/api/auth/login');
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      for (const path of [
        '/',
        '/about',
        '/docs',
        '/docs-json',
        '/health/ready',
        '/api/auth/me',
        '/api/users',
      ]) {
        const res = await fetch(`${server.url}${path}`, { headers: { Cookie: cookie } });
        expect([path, res.status]).toEqual([path, 200]);
      }
    } finally {
      await server.stop();
    }
    expect(server.output()).toMatch(/2 workers ready/);
    expect(server.output()).not.toMatch(/Warning|deprecat/i);
  });

  it('keeps users, the session secret and logged-in sessions across a restart', async () => {
    // The embedded default, named so that the scale suite leaves this test on SQLite as well.
    const embedded = { DATABASE_URL: 'sqlite:data/app.db' };
    let server = await startServer(cwd, embedded);
    try {
      const created = await fetch(`${server.url}/api/users`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: '홍길동', password: 'a long enough password' }),
      });
      expect(created.status).toBe(201);
      const login = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: '홍길동', password: 'a long enough password' }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      await server.stop();

      expect(statSync(join(cwd, 'data', 'app.db')).mode & 0o777).toBe(0o600);
      expect(statSync(join(cwd, 'data', 'session-secret')).mode & 0o777).toBe(0o600);

      server = await startServer(cwd, embedded);
      const me = await fetch(`${server.url}/api/auth/me`, { headers: { Cookie: cookie } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { name: string }).name).toBe('홍길동');
    } finally {
      await server.stop();
    }
  });

  it('applies migrations with the migrate command, once, reading nothing but DATABASE_URL', async () => {
    const cli = join(MAIN, '..', 'database', 'migrate.cli.js');
    const first = await run(cwd, [cli], { PORT: 'not-read-here' });
    expect(first).toMatchObject({
      code: 0,
      stdout: `Applied migrations: ${Object.keys(migrations).join(', ')}\n`,
    });
    const second = await run(cwd, [cli]);
    expect(second).toMatchObject({ code: 0, stdout: 'Database is up to date\n' });
    expect(existsSync(join(cwd, 'data', 'session-secret'))).toBe(false);
  });
});
