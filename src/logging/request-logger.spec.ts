import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { requestId } from '../common/request-id.middleware.js';
import type { LogLevel } from '../config/configuration.js';
import type { User } from '../users/user.js';
import { createLogger } from './logger.js';
import { requestLogger } from './request-logger.js';

const USER = { id: '5f0c8a52-3b1e-4c8f-9a55-8f5e0f6c1b2d' } as User;

/** An Express app shaped like Nest's: module middleware as an all-methods route, then routes. */
function app(level: LogLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { logLevel: level, logFormat: 'json' },
    { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  const server = express();
  server.use(requestId);
  server.use(requestLogger(logger));
  server.all('/{*path}', (_req: Request, _res: Response, next: NextFunction) => next());
  server.get('/api/users/:id', (req, res) => {
    req.user = USER;
    res.json({ id: req.params.id });
  });
  server.post('/api/fail', (req, res) => {
    req.log.error('a bug');
    res.status(500).json({});
  });
  server.get('/api/down', (_req, res) => res.status(503).json({}));
  server.get('/health/live', (_req, res) => res.json({ status: 'ok' }));
  return { server, lines: () => lines.filter((line) => line.msg !== 'a bug'), all: lines };
}

describe(requestLogger.name, () => {
  it('writes one line with the request id, method, route, status, duration and user id', async () => {
    const { server, lines } = app();

    const res = await request(server)
      .get('/api/users/0b7f1d2c-52f4-4d59-b8a3-2f5b2cf6a0e1?secret=1')
      .set('Cookie', 'sid=s%3Aabc.def')
      .set('Authorization', 'Bearer token-of-someone')
      .expect(200);

    expect(lines()).toEqual([
      {
        level: 'info',
        time: expect.any(Number),
        pid: process.pid,
        hostname: expect.any(String),
        reqId: res.get('X-Request-Id'),
        method: 'GET',
        route: '/api/users/:id',
        status: 200,
        duration: expect.any(Number),
        userId: USER.id,
        msg: 'request completed',
      },
    ]);
  });

  it('logs no header, cookie, query or body', async () => {
    const { server, all } = app('verbose');

    await request(server)
      .post('/api/fail?token=query-secret')
      .set('Cookie', 'sid=s%3Acookie-secret.sig')
      .set('Authorization', 'Basic auth-secret')
      .send({ password: 'body-secret' });

    const output = JSON.stringify(all);
    for (const secret of ['query-secret', 'cookie-secret', 'auth-secret', 'body-secret'])
      expect(output).not.toContain(secret);
  });

  it('names the path, without its query, when no route answered, and leaves out the user', async () => {
    const { server, lines } = app();

    await request(server).get('/nowhere/at/all?name=x').expect(404);

    expect(lines()).toEqual([
      expect.objectContaining({ method: 'GET', path: '/nowhere/at/all', status: 404 }),
    ]);
    expect(lines()[0]).not.toHaveProperty('route');
    expect(lines()[0]).not.toHaveProperty('userId');
  });

  it('logs a 5xx at error level, and what the request logged carries its request id', async () => {
    const { server, all } = app();

    const res = await request(server).post('/api/fail').expect(500);

    const reqId = res.get('X-Request-Id');
    expect(all).toEqual([
      expect.objectContaining({ level: 'error', reqId, msg: 'a bug' }),
      expect.objectContaining({
        level: 'error',
        reqId,
        route: '/api/fail',
        status: 500,
        msg: 'request failed',
      }),
    ]);
  });

  it('logs a 503 (a dependency down, not a bug) at warn level', async () => {
    const { server, lines } = app();

    await request(server).get('/api/down').expect(503);

    expect(lines()).toEqual([expect.objectContaining({ level: 'warn', route: '/api/down', status: 503 })]);
  });

  it('logs health probes at debug level only', async () => {
    const quiet = app('info');
    const chatty = app('debug');

    await request(quiet.server).get('/health/live').expect(200);
    await request(chatty.server).get('/health/live').expect(200);

    expect(quiet.lines()).toEqual([]);
    expect(chatty.lines()).toEqual([expect.objectContaining({ level: 'debug', route: '/health/live' })]);
  });
});
