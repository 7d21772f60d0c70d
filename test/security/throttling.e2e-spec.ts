import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { FREE_FAILURES } from '../../src/throttling/login-throttle.js';
import {
  createStorage,
  createTestApp,
  dropStorage,
  logIn,
  PASSWORD,
  signUp,
  type TestApp,
} from '../utils/test-app.js';

const WRONG = 'not the password';
const NAME_LOCKED = /^Too many failed password attempts: try again in (\d+) seconds?$/;
const ADDRESS_LIMITED = /^Too many requests from your address: try again in (\d+) seconds?$/;

function login(t: TestApp, name: string, password: string): Promise<Response> {
  return t.agent().post('/api/auth/login').send({ name, password });
}

/**
 * Asserts a 429 in Nest's error shape whose message matches, with a standard Retry-After of a
 * positive whole number of seconds, as the message says, and no throttler-named headers.
 */
function expectTooMany(res: Response, message: RegExp): number {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({
    statusCode: 429,
    error: 'Too Many Requests',
    message: expect.stringMatching(message),
  });
  expect(res.get('Retry-After')).toMatch(/^[1-9]\d*$/);
  expect(res.get('Retry-After')).toBe(message.exec(res.body.message as string)![1]);
  expect(Object.keys(res.headers).filter((name) => /^(retry-after-|x-ratelimit-)/.test(name))).toEqual([]);
  return Number(res.get('Retry-After'));
}

const expectNameLocked = (res: Response) => expectTooMany(res, NAME_LOCKED);

/** Two app instances on one database, as two servers behind a load balancer would be. */
async function twoInstances(
  env: Record<string, string>,
): Promise<{ a: TestApp; b: TestApp; close(): Promise<void> }> {
  const storage = await createStorage();
  const a = await createTestApp(env, storage);
  const b = await createTestApp(env, storage);
  return {
    a,
    b,
    close: async () => {
      await Promise.all([a.close(), b.close()]);
      await dropStorage(storage);
    },
  };
}

describe('Login throttling per name (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ a, b, close } = await twoInstances({ RATE_LIMIT_LOGIN: 'off' }));
    await signUp(a.agent(), 'kim');
    await signUp(a.agent(), 'lee');
  });

  afterAll(async () => {
    await close();
  });

  it('locks a name (in any case) after its free failures on every instance, lets it in once the lock passes, then counts afresh', async () => {
    const statuses: number[] = [];
    let locked: Response | undefined;
    for (let attempt = 0; attempt < 20 && !locked; attempt++) {
      const res = await login(attempt % 2 ? b : a, 'kim', WRONG);
      statuses.push(res.status);
      if (res.status === 429) locked = res;
    }
    expect(statuses).toEqual([...Array<number>(FREE_FAILURES + 1).fill(401), 429]);
    expectNameLocked(locked!);

    expectNameLocked(await login(a, 'kim', PASSWORD));
    expectNameLocked(await login(a, ' KIM ', PASSWORD));
    const last = await login(b, 'kim', PASSWORD);
    await sleep(expectNameLocked(last) * 1000);

    expect((await login(b, 'kim', PASSWORD)).status).toBe(200);
    const again: number[] = [];
    for (let attempt = 0; attempt <= FREE_FAILURES + 1; attempt++) {
      again.push((await login(attempt % 2 ? a : b, 'kim', WRONG)).status);
    }
    expect(again).toEqual([...Array<number>(FREE_FAILURES + 1).fill(401), 429]);
  });

  it('answers byte for byte the same for an existing and an unknown name, up to the same lock', async () => {
    const comparable = (res: Response) => {
      const { date: _date, 'x-request-id': _id, ...headers } = res.headers as Record<string, string>;
      return { status: res.status, text: res.text, headers };
    };
    const attempts = async (name: string) => {
      const answers: ReturnType<typeof comparable>[] = [];
      for (let attempt = 0; attempt <= FREE_FAILURES + 1; attempt++) {
        answers.push(comparable(await login(attempt % 2 ? b : a, name, WRONG)));
      }
      return answers;
    };
    const [existing, unknown] = await Promise.all([attempts('lee'), attempts('nobody-at-all')]);
    existing.forEach((answer, attempt) =>
      expect({ attempt, ...unknown[attempt] }).toEqual({ attempt, ...answer }),
    );
    expect(existing.map((r) => r.status)).toEqual([...Array<number>(FREE_FAILURES + 1).fill(401), 429]);
    expect(existing[0].headers['retry-after']).toBeUndefined();
    expect(existing[FREE_FAILURES + 1].headers['retry-after']).toBe('1');
  });
});

describe('Rate limits per address (e2e)', () => {
  it('refuses the login past RATE_LIMIT_LOGIN, even with the right password, counting across instances', async () => {
    const { a, b, close } = await twoInstances({ RATE_LIMIT_LOGIN: '3/1m' });
    try {
      await signUp(a.agent(), 'kim');
      expect((await login(a, 'kim', PASSWORD)).status).toBe(200);
      expect((await login(a, 'kim', WRONG)).status).toBe(401);
      expect((await login(b, 'kim', PASSWORD)).status).toBe(200);
      const fourth = await login(b, 'kim', PASSWORD);
      expect(expectTooMany(fourth, ADDRESS_LIMITED)).toBeGreaterThan(50);
      expectTooMany(await login(a, 'kim', PASSWORD), ADDRESS_LIMITED);
    } finally {
      await close();
    }
  });

  it('refuses the anonymous sign-up past RATE_LIMIT_SIGNUP, but never counts an admin adding users', async () => {
    const t = await createTestApp({ RATE_LIMIT_SIGNUP: '2/1h' });
    try {
      const admin = t.agent();
      await signUp(admin, 'admin');
      await signUp(t.agent(), 'kim');
      const third = await t.agent().post('/api/users').send({ name: 'lee', password: PASSWORD });
      expect(expectTooMany(third, ADDRESS_LIMITED)).toBeGreaterThan(3000);
      await logIn(admin, 'admin');
      for (const name of ['lee', 'park', 'choi']) {
        await admin.post('/api/users').send({ name, password: PASSWORD }).expect(201);
      }
      expectTooMany(
        await t.agent().post('/api/users').send({ name: 'jung', password: PASSWORD }),
        ADDRESS_LIMITED,
      );
    } finally {
      await t.close();
    }
  });

  it('never limits an address when RATE_LIMIT_LOGIN and RATE_LIMIT_SIGNUP are off, where the defaults would', async () => {
    const statusesOf = async (t: TestApp) => {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++)
        statuses.push((await t.agent().post('/api/users').send({ name: 'x' })).status);
      statuses.push((await t.agent().post('/api/users').send({ name: 'kim', password: PASSWORD })).status);
      for (let i = 0; i < 20; i++)
        statuses.push((await t.agent().post('/api/auth/login').send({ name: 'kim' })).status);
      for (let i = 0; i < 3; i++) statuses.push((await login(t, 'kim', PASSWORD)).status);
      return statuses;
    };
    const off = await createTestApp({ RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_SIGNUP: 'off' });
    const defaults = await createTestApp();
    try {
      const allowed = [...Array<number>(30).fill(400), 201, ...Array<number>(20).fill(400), 200, 200, 200];
      expect(await statusesOf(off)).toEqual(allowed);
      const limited = [...Array<number>(30).fill(400), 429, ...Array<number>(20).fill(400), 429, 429, 429];
      expect(await statusesOf(defaults)).toEqual(limited);
    } finally {
      await Promise.all([off.close(), defaults.close()]);
    }
  });
});
