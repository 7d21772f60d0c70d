import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import type { Agent as TestAgent } from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { setupApp } from '../../src/app.setup.js';
import { type AppConfig, loadConfig } from '../../src/config/configuration.js';
import { migrateToLatest } from '../../src/database/migrate.js';
import { TransportAdapter } from '../../src/server/transport.adapter.js';
import { type Backend, freshBackend, SCALE } from './backends.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** A supertest agent that keeps cookies, like a browser. */
  agent(): TestAgent;
  close(): Promise<void>;
}

/** Where a test app keeps its data: a SQLite folder, or under `npm run test:scale` a backend. */
export type TestStorage = string | Backend;

/** A fresh, empty database (and session store) that several test apps can share. */
export async function createStorage(): Promise<TestStorage> {
  return SCALE ? freshBackend() : mkdtempSync(join(tmpdir(), 'users-e2e-'));
}

/** Deletes a storage made by {@link createStorage}. */
export async function dropStorage(storage: TestStorage): Promise<void> {
  if (typeof storage === 'string') rmSync(storage, { recursive: true, force: true });
  else await storage.drop();
}

function storageEnv(storage: TestStorage): Record<string, string> {
  return typeof storage === 'string' ? { DATABASE_URL: `sqlite:${join(storage, 'app.db')}` } : storage.env;
}

/**
 * The real application, wired by the same `setupApp` as `main.ts`, on a fresh database: a
 * SQLite file in a temporary folder, or PostgreSQL and Redis under `npm run test:scale`. Given
 * `storage` (from {@link createStorage}), it opens that one instead and leaves it in place.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  storage?: TestStorage,
): Promise<TestApp> {
  // A test that names its own database (env.DATABASE_URL) gets no storage made for it.
  const own = storage ?? (env.DATABASE_URL ? undefined : await createStorage());
  const config = loadConfig({
    ...(own && storageEnv(own)),
    SESSION_SECRET: 'e2e-secret-that-is-long-enough-for-tests',
    LOG_LEVEL: 'error',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>(new TransportAdapter(config), {
    logger: ['fatal', 'error'],
    bodyParser: false,
  });
  await migrateToLatest(app.get(Kysely));
  setupApp(app, config);
  await app.init();
  return {
    app,
    config,
    agent: () => request.agent(app.getHttpServer()),
    close: async () => {
      await app.close();
      if (own && !storage) await dropStorage(own);
    },
  };
}

/** Makes the app listen on 127.0.0.1 (for raw sockets and a known Host); returns the port. */
export async function listen(t: TestApp): Promise<number> {
  await t.app.listen(0, '127.0.0.1');
  return (t.app.getHttpServer().address() as AddressInfo).port;
}

export const PASSWORD = 'correct horse battery';

/** Creates a user through the API and returns its body. */
export async function signUp(
  agent: TestAgent,
  name: string,
  password = PASSWORD,
): Promise<{ id: string; name: string; role: string }> {
  const res = await agent.post('/api/users').send({ name, password }).expect(201);
  return res.body as { id: string; name: string; role: string };
}

/** Logs `agent` in; its cookie jar then carries the session. */
export async function logIn(agent: TestAgent, name: string, password = PASSWORD): Promise<void> {
  await agent.post('/api/auth/login').send({ name, password }).expect(200);
}

type WithHeaders = { get(name: string): string[] | undefined };

/** The whole `Set-Cookie` line of the session cookie in a response, attributes included. */
export function sessionSetCookie(res: WithHeaders): string {
  const cookie = res.get('Set-Cookie')?.find((c) => c.startsWith('sid='));
  if (!cookie) throw new Error(`no sid cookie in ${JSON.stringify(res.get('Set-Cookie'))}`);
  return cookie;
}

/** The `sid=…` pair of the session cookie in a response, to send back by hand. */
export function sessionCookie(res: WithHeaders): string {
  return sessionSetCookie(res).split(';')[0];
}

/** The session id inside a signed `sid=s:<id>.<signature>` cookie pair. */
export function sessionId(cookie: string): string {
  const match = /^s:([^.]+)\./.exec(decodeURIComponent(cookie.slice('sid='.length)));
  if (!match) throw new Error(`not a signed session cookie: ${cookie}`);
  return match[1];
}
