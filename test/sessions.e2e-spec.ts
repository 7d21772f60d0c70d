import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp, logIn, PASSWORD, sessionCookie, signUp, type TestApp } from './utils/test-app.js';

describe('Session lifetime (e2e)', () => {
  let t: TestApp;

  afterEach(async () => {
    await t.close();
  });

  // Generous margins: these run beside other suites on two cores, where a request can take a while.
  it('ends a session left idle longer than SESSION_IDLE_TIMEOUT, and activity keeps it alive', async () => {
    t = await createTestApp({ SESSION_IDLE_TIMEOUT: '2s', SESSION_ABSOLUTE_TIMEOUT: '1h' });
    const agent = t.agent();
    await signUp(agent, 'idler');
    await logIn(agent, 'idler');
    for (let i = 0; i < 4; i++) {
      await sleep(700);
      await agent.get('/api/auth/me').expect(200);
    }
    await sleep(2600);
    await agent.get('/api/auth/me').expect(401);
  });

  it('ends a session at SESSION_ABSOLUTE_TIMEOUT even under constant use, and a new login works', async () => {
    t = await createTestApp({ SESSION_IDLE_TIMEOUT: '3s', SESSION_ABSOLUTE_TIMEOUT: '3s' });
    const agent = t.agent();
    await signUp(agent, 'busy');
    const started = Date.now();
    const cookie = sessionCookie(
      await agent.post('/api/auth/login').send({ name: 'busy', password: PASSWORD }).expect(200),
    );
    while (Date.now() - started < 1500) {
      await agent.get('/api/auth/me').expect(200);
      await sleep(300);
    }
    await sleep(3500 - (Date.now() - started));
    // Sent by hand: the agent's jar, like a browser, drops the cookie once its own Max-Age passes,
    // and the server must refuse the session even when a client keeps sending it.
    await t.agent().get('/api/auth/me').set('Cookie', cookie).expect(401);
    await agent.get('/api/auth/me').expect(401);
    // The expired cookie is still sent: logging in over it must start a fresh session, not fail.
    await logIn(agent, 'busy');
    await agent.get('/api/auth/me').expect(200);
  });
});

describe('Sessions and password changes (e2e)', () => {
  let t: TestApp;
  let userId: string;

  beforeEach(async () => {
    t = await createTestApp();
    await signUp(t.agent(), 'admin');
    userId = (await signUp(t.agent(), 'kim')).id;
  });

  afterEach(async () => {
    await t.close();
  });

  async function loginCookie(name: string, password = PASSWORD): Promise<string> {
    return sessionCookie(await t.agent().post('/api/auth/login').send({ name, password }).expect(200));
  }

  it("gives the session a new id and ends the user's other sessions when they change their password", async () => {
    const mine = await loginCookie('kim');
    const laptop = await loginCookie('kim');
    const res = await t
      .agent()
      .patch(`/api/users/${userId}`)
      .set('Cookie', mine)
      .send({ password: 'a brand new password', currentPassword: PASSWORD })
      .expect(200);
    const renewed = sessionCookie(res);
    expect(renewed).not.toBe(mine);
    await t.agent().get('/api/auth/me').set('Cookie', renewed).expect(200);
    await t.agent().get('/api/auth/me').set('Cookie', mine).expect(401);
    await t.agent().get('/api/auth/me').set('Cookie', laptop).expect(401);
  });

  it("ends all of a user's sessions when an admin resets their password", async () => {
    const kim = await loginCookie('kim');
    const admin = await loginCookie('admin');
    await t
      .agent()
      .patch(`/api/users/${userId}`)
      .set('Cookie', admin)
      .send({ password: 'reset by admin' })
      .expect(200);
    await t.agent().get('/api/auth/me').set('Cookie', kim).expect(401);
    await t.agent().get('/api/auth/me').set('Cookie', admin).expect(200);
  });

  it('keeps sessions when only the name changes', async () => {
    const kim = await loginCookie('kim');
    const laptop = await loginCookie('kim');
    const res = await t
      .agent()
      .patch(`/api/users/${userId}`)
      .set('Cookie', kim)
      .send({ name: 'kim2' })
      .expect(200);
    expect(res.get('Set-Cookie')).toBeUndefined();
    await t.agent().get('/api/auth/me').set('Cookie', laptop).expect(200);
  });

  it.each([
    ['a JSON cookie', 'sid=j:{"a":1}'],
    ['a JSON array cookie', 'sid=j:[1,2]'],
    ['an unsigned id', 'sid=abcdef'],
    ['a badly encoded cookie', 'sid=%E0%A4%A'],
  ])('treats %s as no session, never a 500', async (_, cookie) => {
    await t.agent().get('/api/auth/me').set('Cookie', cookie).expect(401);
    await t
      .agent()
      .post('/api/auth/login')
      .set('Cookie', cookie)
      .send({ name: 'kim', password: PASSWORD })
      .expect(200);
  });
});
