import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServerProcess, startServer } from '../utils/server-process.js';

// Every secret the run below hands the server; none may reach its output.
const PASSWORD = 'first password of the admin';
const NEW_PASSWORD = 'second password of the admin';
const WRONG_PASSWORD = 'a guess that is wrong';
const OTHER_PASSWORD = 'password of the other user';
const BEARER = 'bearer-token-that-is-never-logged';
const QUERY_SECRET = 'query-value-that-is-never-logged';

type Line = Record<string, unknown>;

/** What a request was answered with, and what its log line must say. */
interface Sent {
  reqId: string;
  method: string;
  status: number;
  route?: string;
  path?: string;
  userId?: string;
}

/** The server's stdout and stderr, every line of which must be one JSON object. */
function parse(output: string): Line[] {
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

const requestLines = (lines: Line[]) => lines.filter((line) => 'status' in line && 'method' in line);

/** A client that keeps one session cookie and remembers every request it made. */
class Client {
  cookie?: string;
  readonly secrets: string[] = [];

  constructor(
    private readonly url: string,
    private readonly sent: Sent[],
  ) {}

  async send(
    method: string,
    path: string,
    expected: { route?: string; status: number; userId?: string },
    options: { body?: unknown; raw?: string; headers?: Record<string, string>; anonymous?: boolean } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (this.cookie && !options.anonymous) headers.cookie = this.cookie;
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, options.headers);
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await res.text();
    expect({ method, path, status: res.status }).toEqual({ method, path, status: expected.status });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sid='));
    if (cookie && !cookie.startsWith('sid=;')) this.keep(cookie.split(';')[0]);
    this.sent.push({
      reqId: res.headers.get('x-request-id')!,
      method,
      status: res.status,
      route: expected.route,
      path: expected.route ? undefined : path.split('?')[0],
      userId: expected.userId,
    });
    return res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
  }

  /** Keeps the cookie, and its signed value and session id as secrets to look for. */
  private keep(cookie: string): void {
    this.cookie = cookie;
    const value = cookie.slice('sid='.length);
    const signed = decodeURIComponent(value);
    const sessionId = /^s:([^.]+)\./.exec(signed)![1];
    this.secrets.push(value, signed, signed.slice(2), sessionId);
  }
}

describe('Logs of the server process', () => {
  let cwd: string;
  let server: ServerProcess | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'users-logs-'));
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(cwd, { recursive: true, force: true });
  });

  it('writes one JSON line per request with its id, route, status, duration, pid and user, and no secret', async () => {
    server = await startServer(cwd, { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' });
    const sent: Sent[] = [];
    const browser = new Client(server.url, sent);
    const other = new Client(server.url, sent);

    // Every auth and users endpoint, logged out and in, with the failures worth a line.
    await browser.send('GET', '/api/auth/status', { route: '/api/auth/status', status: 200 });
    const admin = (await browser.send(
      'POST',
      '/api/users',
      { route: '/api/users', status: 201 },
      { body: { name: 'admin', password: PASSWORD } },
    )) as { id: string };
    const as = { userId: admin.id };
    await browser.send(
      'POST',
      '/api/auth/login',
      { route: '/api/auth/login', status: 401 },
      { body: { name: 'admin', password: WRONG_PASSWORD } },
    );
    await browser.send(
      'POST',
      '/api/auth/login',
      // Refused by the JSON parser, before any route: logged with its path.
      { status: 400 },
      { raw: `{"name":"admin","password":"${PASSWORD}"` },
    );
    await browser.send('GET', '/api/auth/me', { route: '/api/auth/me', status: 401 });
    await browser.send(
      'POST',
      '/api/auth/login',
      { route: '/api/auth/login', status: 200, ...as },
      { body: { name: 'admin', password: PASSWORD } },
    );
    await other.send(
      'POST',
      '/api/auth/login',
      { route: '/api/auth/login', status: 200, ...as },
      { body: { name: 'admin', password: PASSWORD } },
    );
    await browser.send('GET', '/api/auth/me', { route: '/api/auth/me', status: 200, ...as });
    await browser.send('GET', `/api/users?limit=5&token=${QUERY_SECRET}`, {
      route: '/api/users',
      status: 400,
      ...as,
    });
    await browser.send('GET', '/api/users?limit=5', { route: '/api/users', status: 200, ...as });
    await browser.send('GET', `/api/users/${admin.id}`, { route: '/api/users/:id', status: 200, ...as });
    await browser.send('GET', `/api/users/${randomUUID()}`, { route: '/api/users/:id', status: 404, ...as });
    const second = (await browser.send(
      'POST',
      '/api/users',
      { route: '/api/users', status: 201, ...as },
      { body: { name: 'second', password: OTHER_PASSWORD } },
    )) as { id: string };
    await browser.send(
      'PUT',
      `/api/users/${second.id}`,
      { route: '/api/users/:id', status: 200, ...as },
      { body: { name: 'renamed' } },
    );
    const sessions = (await browser.send('GET', '/api/auth/sessions', {
      route: '/api/auth/sessions',
      status: 200,
      ...as,
    })) as {
      id: string;
      current: boolean;
    }[];
    const otherSession = sessions.find((s) => !s.current)!;
    await browser.send('DELETE', `/api/auth/sessions/${otherSession.id}`, {
      route: '/api/auth/sessions/:id',
      status: 204,
      ...as,
    });
    await browser.send(
      'PATCH',
      `/api/users/${admin.id}`,
      { route: '/api/users/:id', status: 200, ...as },
      { body: { password: NEW_PASSWORD, currentPassword: PASSWORD } },
    );
    await browser.send('DELETE', '/api/auth/sessions', { route: '/api/auth/sessions', status: 204, ...as });
    await browser.send('DELETE', `/api/users/${second.id}`, { route: '/api/users/:id', status: 204, ...as });
    await browser.send(
      'GET',
      '/api/no/such/thing?x=1',
      { status: 404 },
      { anonymous: true, headers: { authorization: `Bearer ${BEARER}` } },
    );
    await browser.send(
      'POST',
      '/api/users',
      { status: 415 },
      { anonymous: true, raw: PASSWORD, headers: { 'content-type': 'text/plain' } },
    );
    await browser.send('GET', '/health/live', { route: '/health/live', status: 200 });
    const lastCookie = browser.cookie;
    await browser.send('POST', '/api/auth/logout', { route: '/api/auth/logout', status: 204, ...as });
    browser.cookie = lastCookie;
    await browser.send('GET', '/api/auth/me', { route: '/api/auth/me', status: 401 });
    await server.stop();

    const output = server.output();
    const lines = parse(output);
    const logged = requestLines(lines);
    expect(logged).toHaveLength(sent.length);
    for (const request of sent) {
      const mine = logged.filter((line) => line.reqId === request.reqId);
      expect(mine).toHaveLength(1);
      const [line] = mine;
      expect(line).toEqual({
        level: request.route === '/health/live' ? 'debug' : 'info',
        time: expect.any(Number),
        pid: server.child.pid,
        hostname: expect.any(String),
        msg: 'request completed',
        ...request,
        duration: expect.any(Number),
      });
    }
    // Three sessions (two logins, one renewed at the password change), all secret.
    const secrets = [...browser.secrets, ...other.secrets];
    expect(secrets).toHaveLength(12);
    for (const secret of [
      PASSWORD,
      NEW_PASSWORD,
      WRONG_PASSWORD,
      OTHER_PASSWORD,
      BEARER,
      QUERY_SECRET,
      ...secrets,
    ])
      expect(output).not.toContain(secret);
    expect(output).toContain('"context":"Server","msg":"Listening on http://127.0.0.1:');
  }, 90_000);

  it('writes the supervisor’s events in the same JSON format as its workers’ lines', async () => {
    server = await startServer(cwd, { LOG_FORMAT: 'json', WORKERS: '2' });
    const supervisorPid = server.child.pid;
    const ready = () => parse(server!.output()).filter((line) => line.event === 'ready');
    while (ready().length < 2) await sleep(50);
    const victim = ready()[0].worker as number;
    process.kill(victim, 'SIGKILL');
    while (ready().length < 3) await sleep(50);
    const res = await fetch(`${server.url}/api/auth/status`);
    expect(res.status).toBe(200);
    await server.stop();

    const lines = parse(server.output());
    const base = { time: expect.any(Number), hostname: expect.any(String), msg: expect.any(String) };
    const events = lines.filter((line) => line.pid === supervisorPid && 'event' in line);
    expect(events.map((line) => line.event)).toEqual([
      'start',
      'fork',
      'fork',
      'ready',
      'ready',
      'exit',
      'fork',
      'ready',
      'stop',
      'stopped',
    ]);
    expect(events).toContainEqual({
      ...base,
      level: 'info',
      pid: supervisorPid,
      event: 'exit',
      worker: victim,
      code: null,
      signal: 'SIGKILL',
      msg: expect.stringMatching(
        new RegExp(`^worker ${victim} exited \\(code null, signal SIGKILL\\); replacing`),
      ),
    });
    const forked = events.filter((line) => line.event === 'fork').map((line) => line.worker);
    expect(forked).toContain(victim);
    const [request] = requestLines(lines);
    expect(request).toMatchObject({ ...base, level: 'info', reqId: res.headers.get('x-request-id') });
    expect(forked).toContain(request.pid);
    expect(request.pid).not.toBe(victim);
  }, 60_000);
});
