import { createTestApp, logIn, PASSWORD, signUp, type TestApp } from './utils/test-app.js';

function sessionCookie(setCookie: string[] | undefined): string {
  const cookie = setCookie?.find((c) => c.startsWith('sid='));
  if (!cookie) throw new Error(`no sid cookie in ${JSON.stringify(setCookie)}`);
  return cookie;
}

describe('Auth API (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await signUp(t.agent(), '홍길동');
  });

  afterAll(async () => {
    await t.close();
  });

  it('logs in with a signed, HttpOnly, SameSite=Lax session cookie and greets the user', async () => {
    const agent = t.agent();
    const res = await agent.post('/api/auth/login').send({ name: '홍길동', password: PASSWORD }).expect(200);
    expect(res.body).toMatchObject({ name: '홍길동', role: 'admin' });
    const cookie = sessionCookie(res.get('Set-Cookie'));
    expect(cookie).toMatch(/^sid=s%3A[\w-]{43}\.[\w/+%-]+;/);
    expect(cookie).toContain('; Path=/');
    expect(cookie).toContain('; HttpOnly');
    expect(cookie).toContain('; SameSite=Lax');
    expect(cookie).not.toContain('Secure');
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.name).toBe('홍길동');
  });

  it('matches names at login ignoring case and normalisation', async () => {
    await signUp(t.agent(), 'Zoë');
    await logIn(t.agent(), 'ZOE\u0308');
  });

  it('refuses a name with control characters with 400, before any database sees it', async () => {
    const res = await t
      .agent()
      .post('/api/auth/login')
      .send({ name: 'nul\u0000name', password: PASSWORD })
      .expect(400);
    expect(res.body.message).toEqual(['name must not contain control characters']);
  });

  it('gives the same 401 for an unknown name and a wrong password', async () => {
    const unknown = await t
      .agent()
      .post('/api/auth/login')
      .send({ name: 'nobody', password: PASSWORD })
      .expect(401);
    const wrong = await t
      .agent()
      .post('/api/auth/login')
      .send({ name: '홍길동', password: 'not the password' })
      .expect(401);
    expect(unknown.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Wrong name or password',
    });
    expect(wrong.text).toBe(unknown.text);
    expect(unknown.get('Set-Cookie')).toBeUndefined();
    expect(wrong.get('Set-Cookie')).toBeUndefined();
  });

  it('issues a new session id at every login and kills the one it replaces', async () => {
    const agent = t.agent();
    const first = sessionCookie(
      (await agent.post('/api/auth/login').send({ name: '홍길동', password: PASSWORD }).expect(200)).get(
        'Set-Cookie',
      ),
    );
    const second = sessionCookie(
      (await agent.post('/api/auth/login').send({ name: '홍길동', password: PASSWORD }).expect(200)).get(
        'Set-Cookie',
      ),
    );
    expect(second.split(';')[0]).not.toBe(first.split(';')[0]);
    await t.agent().get('/api/auth/me').set('Cookie', first.split(';')[0]).expect(401);
    await t.agent().get('/api/auth/me').set('Cookie', second.split(';')[0]).expect(200);
  });

  it('rejects a cookie whose signature has been tampered with', async () => {
    const res = await t
      .agent()
      .post('/api/auth/login')
      .send({ name: '홍길동', password: PASSWORD })
      .expect(200);
    const cookie = sessionCookie(res.get('Set-Cookie')).split(';')[0];
    const tampered = cookie.replace(/\.(.)/, (_, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    await t.agent().get('/api/auth/me').set('Cookie', tampered).expect(401);
    const forged = cookie.replace(/s%3A[\w-]+\./, 's%3Aforgedforgedforgedforgedforged1234.');
    await t.agent().get('/api/auth/me').set('Cookie', forged).expect(401);
  });

  it('logs out: destroys the session and clears the cookie', async () => {
    const agent = t.agent();
    const login = await agent
      .post('/api/auth/login')
      .send({ name: '홍길동', password: PASSWORD })
      .expect(200);
    const cookie = sessionCookie(login.get('Set-Cookie')).split(';')[0];
    const out = await agent.post('/api/auth/logout').expect(204);
    expect(sessionCookie(out.get('Set-Cookie'))).toMatch(/^sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
    await t.agent().get('/api/auth/me').set('Cookie', cookie).expect(401);
  });

  it('validates the login body', async () => {
    await t
      .agent()
      .post('/api/auth/login')
      .send({ name: '홍길동' })
      .expect(400, /password must be a string/);
    await t
      .agent()
      .post('/api/auth/login')
      .send({ name: '홍길동', password: PASSWORD, remember: true })
      .expect(400, /property remember should not exist/);
  });

  it('creates no session for anonymous requests', async () => {
    const res = await t.agent().get('/api/auth/me').expect(401);
    expect(res.get('Set-Cookie')).toBeUndefined();
    const signup = await t
      .agent()
      .post('/api/users')
      .send({ name: 'no-cookie', password: PASSWORD })
      .expect(201);
    expect(signup.get('Set-Cookie')).toBeUndefined();
  });

  it('puts X-Request-Id on every response, keeping a plain one from the caller', async () => {
    for (const res of [
      await t.agent().get('/api/auth/me'),
      await t.agent().get('/nowhere'),
      await t.agent().post('/api/auth/login').send({}),
      await t.agent().get('/docs-json'),
    ]) {
      expect(res.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const echoed = await t.agent().get('/api/auth/me').set('X-Request-Id', 'trace-123.abc');
    expect(echoed.get('X-Request-Id')).toBe('trace-123.abc');
    const odd = await t.agent().get('/api/auth/me').set('X-Request-Id', 'a b <script>');
    expect(odd.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
