import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, run } from '../utils/server-process.js';
import {
  createStorage,
  createTestApp,
  dropStorage,
  PASSWORD,
  sessionCookie,
  sessionSetCookie,
  signUp,
  type TestApp,
  type TestStorage,
} from '../utils/test-app.js';

type Env = Record<string, string>;

const OLD_SECRET = 'old-session-secret-0123456789abcdefghij';
const NEW_SECRET = 'new-session-secret-0123456789abcdefghij';

/** Runs `use` on an app (on `dir`'s database when given) and closes it whatever happens. */
async function withApp(env: Env, use: (t: TestApp) => Promise<void>, dir?: TestStorage): Promise<void> {
  const t = await createTestApp(env, dir);
  try {
    await use(t);
  } finally {
    await t.close();
  }
}

function login(t: TestApp, headers: Env = {}) {
  return t.agent().post('/api/auth/login').set(headers).send({ name: 'admin', password: PASSWORD });
}

describe('Behind a proxy (e2e)', () => {
  it('without TRUST_PROXY, ignores X-Forwarded-Proto: the cookie is not Secure', async () => {
    await withApp({}, async (t) => {
      await signUp(t.agent(), 'admin');
      const res = await login(t, { 'X-Forwarded-Proto': 'https' }).expect(200);
      expect(sessionSetCookie(res)).not.toMatch(/;\s*Secure/i);
    });
  });

  it('with TRUST_PROXY=loopback, makes the cookie Secure when the proxy says https, and only then', async () => {
    await withApp({ TRUST_PROXY: 'loopback' }, async (t) => {
      await signUp(t.agent(), 'admin');
      const https = await login(t, { 'X-Forwarded-Proto': 'https' }).expect(200);
      expect(sessionSetCookie(https)).toMatch(/; Secure(;|$)/);
      const http = await login(t, { 'X-Forwarded-Proto': 'http' }).expect(200);
      expect(sessionSetCookie(http)).not.toMatch(/;\s*Secure/i);
    });
  });

  /** `count` logins as `admin` from one connection, each claiming another client in X-Forwarded-For. */
  async function loginsFromManyClaimedClients(t: TestApp, count: number) {
    const responses = [];
    for (let i = 1; i <= count; i++) responses.push(await login(t, { 'X-Forwarded-For': `203.0.113.${i}` }));
    return { statuses: responses.map((res) => res.status), last: responses[count - 1] };
  }

  it('without TRUST_PROXY, rate-limits logins by the connecting address whatever X-Forwarded-For says', async () => {
    await withApp({ RATE_LIMIT_LOGIN: '3/1m' }, async (t) => {
      await signUp(t.agent(), 'admin');
      const { statuses, last } = await loginsFromManyClaimedClients(t, 4);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(/^Too many requests from your address: try again in \d+ seconds?$/),
      });
      expect(last.get('Set-Cookie')).toBeUndefined();
    });
  });

  it('with TRUST_PROXY=loopback, rate-limits logins by the client the proxy reports', async () => {
    await withApp({ RATE_LIMIT_LOGIN: '3/1m', TRUST_PROXY: 'loopback' }, async (t) => {
      await signUp(t.agent(), 'admin');
      expect((await loginsFromManyClaimedClients(t, 4)).statuses).toEqual([200, 200, 200, 200]);
      const oneClient = [];
      for (let i = 0; i < 4; i++)
        oneClient.push((await login(t, { 'X-Forwarded-For': '198.51.100.7' })).status);
      expect(oneClient).toEqual([200, 200, 200, 429]);
    });
  });
});

describe('SESSION_SECRET rotation (e2e)', () => {
  let dir: TestStorage;

  beforeAll(async () => {
    dir = await createStorage();
  });

  afterAll(async () => {
    await dropStorage(dir);
  });

  const me = (t: TestApp, cookie: string) => t.agent().get('/api/auth/me').set('Cookie', cookie);

  it('keeps old cookies valid while the old secret is listed second, and signs new ones with the first', async () => {
    let oldCookie = '';
    let newCookie = '';
    await withApp(
      { SESSION_SECRET: OLD_SECRET },
      async (a) => {
        await signUp(a.agent(), 'admin');
        oldCookie = sessionCookie(await login(a).expect(200));
      },
      dir,
    );
    await withApp(
      { SESSION_SECRET: `${NEW_SECRET},${OLD_SECRET}` },
      async (b) => {
        expect((await me(b, oldCookie).expect(200)).body.name).toBe('admin');
        newCookie = sessionCookie(await login(b).expect(200));
        await me(b, newCookie).expect(200);
      },
      dir,
    );
    expect(newCookie).not.toBe(oldCookie);
    await withApp(
      { SESSION_SECRET: OLD_SECRET },
      async (c) => {
        await me(c, newCookie).expect(401);
      },
      dir,
    );
    await withApp(
      { SESSION_SECRET: NEW_SECRET },
      async (d) => {
        expect((await me(d, newCookie).expect(200)).body.name).toBe('admin');
        await me(d, oldCookie).expect(401);
      },
      dir,
    );
  });
});

describe('Production start-up without a strong SESSION_SECRET (process)', () => {
  let cwd: string;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'users-secrets-process-'));
  });

  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it.each<[string, Env, string]>([
    ['no SESSION_SECRET', {}, 'SESSION_SECRET is required when NODE_ENV=production'],
    [
      'a 31-byte SESSION_SECRET',
      { SESSION_SECRET: 's'.repeat(31) },
      'SESSION_SECRET must have entries of at least 32 bytes each when NODE_ENV=production',
    ],
    [
      'a short old secret after a strong one',
      { SESSION_SECRET: `${NEW_SECRET},short-old-secret` },
      'SESSION_SECRET must have entries of at least 32 bytes each when NODE_ENV=production',
    ],
  ])('stops with exit code 1 and one line naming SESSION_SECRET given %s', async (_, env, line) => {
    const result = await run(cwd, [MAIN], { NODE_ENV: 'production', ...env });
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: `Configuration error: ${line}\n` });
  });
});
