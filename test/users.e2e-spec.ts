import { createTestApp, logIn, PASSWORD, signUp, type TestApp } from './utils/test-app.js';

describe('Users API (e2e)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  it('walks through the first-run story: admin, second user, permissions, self-delete, logout', async () => {
    const admin = t.agent();
    const created = await signUp(admin, 'admin');
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'admin',
      role: 'admin',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    await logIn(admin, 'admin');
    const list = await admin.get('/api/users').expect(200);
    expect(list.body).toMatchObject({ total: 1, limit: 20, offset: 0 });
    await admin
      .put(`/api/users/${created.id}`)
      .send({ name: 'root' })
      .expect(200, /"name":"root"/);

    const kim = t.agent();
    const second = await signUp(kim, 'kim');
    expect(second.role).toBe('user');
    await logIn(kim, 'kim');
    await kim.delete(`/api/users/${created.id}`).expect(403);
    await kim.delete(`/api/users/${second.id}`).expect(204);
    await kim.get('/api/auth/me').expect(401);

    const login = await admin.post('/api/auth/login').send({ name: 'root', password: PASSWORD }).expect(200);
    const oldCookie = login.get('Set-Cookie')![0].split(';')[0];
    await admin.post('/api/auth/logout').expect(204);
    await t.agent().get('/api/auth/me').set('Cookie', oldCookie).expect(401);
  });

  it('stores names as given, in any script, and round-trips Korean', async () => {
    const agent = t.agent();
    const user = await signUp(agent, '  홍길동 ');
    expect(user.name).toBe('홍길동');
    await logIn(agent, '홍길동');
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.name).toBe('홍길동');
    const got = await agent.get(`/api/users/${user.id}`).expect(200);
    expect(got.body.name).toBe('홍길동');
    await agent
      .put(`/api/users/${user.id}`)
      .send({ name: '김철수 🙂' })
      .expect(200, /김철수 🙂/);
  });

  it('answers 409 for a name that differs only by case or Unicode normalisation', async () => {
    const agent = t.agent();
    await signUp(agent, 'Émile');
    const res = await agent.post('/api/users').send({ name: 'E\u0301MILE', password: PASSWORD }).expect(409);
    expect(res.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'The name "ÉMILE" is already taken',
    });
  });

  it('never returns a password or hash in any response', async () => {
    const agent = t.agent();
    const user = await signUp(agent, 'secretive');
    await logIn(agent, 'secretive');
    const bodies = [
      (await agent.get('/api/users').expect(200)).text,
      (await agent.get(`/api/users/${user.id}`).expect(200)).text,
      (await agent.get('/api/auth/me').expect(200)).text,
      (await agent.patch(`/api/users/${user.id}`).send({ name: 'still-secretive' }).expect(200)).text,
    ];
    for (const body of bodies) expect(body).not.toMatch(/password|hash|scrypt/i);
  });

  it('pages with limit and offset, oldest first, and caps limit at 100', async () => {
    const agent = t.agent();
    for (const name of ['a', 'b', 'c', 'd', 'e']) await signUp(agent, name);
    await logIn(agent, 'a');
    const page = await agent.get('/api/users?limit=2&offset=1').expect(200);
    expect((page.body as { items: { name: string }[] }).items.map((u) => u.name)).toEqual(['b', 'c']);
    expect(page.body).toMatchObject({ total: 5, limit: 2, offset: 1 });
    const past = await agent.get('/api/users?offset=10').expect(200);
    expect(past.body.items).toEqual([]);
    const tooMany = await agent.get('/api/users?limit=101').expect(400);
    expect(tooMany.body.message).toEqual(['limit must not be greater than 100']);
    await agent.get('/api/users?limit=abc').expect(400, /limit must be a whole number/);
    await agent.get('/api/users?offset=-1').expect(400, /offset must not be less than 0/);
    await agent.get('/api/users?sort=name').expect(400, /property sort should not exist/);
  });

  it('returns 404 for a missing user and 400 for an id that is not a uuid', async () => {
    const agent = t.agent();
    await signUp(agent, 'finder');
    await logIn(agent, 'finder');
    const missing = '00000000-0000-4000-8000-000000000000';
    await agent.get(`/api/users/${missing}`).expect(404, {
      statusCode: 404,
      error: 'Not Found',
      message: `User ${missing} does not exist`,
    });
    await agent.put(`/api/users/${missing}`).send({ name: 'x' }).expect(404);
    await agent.patch(`/api/users/${missing}`).send({ name: 'x' }).expect(404);
    await agent.delete(`/api/users/${missing}`).expect(404);
    await agent.get('/api/users/not-a-uuid').expect(400, /uuid is expected/);
    const { id } = (await agent.get('/api/auth/me').expect(200)).body as { id: string };
    await agent.get(`/api/users/${id.toUpperCase()}`).expect(200, new RegExp(id));
  });

  describe('permissions', () => {
    let admin: ReturnType<TestApp['agent']>;
    let user: ReturnType<TestApp['agent']>;
    let adminId: string;
    let userId: string;

    beforeEach(async () => {
      admin = t.agent();
      user = t.agent();
      adminId = (await signUp(admin, 'boss')).id;
      userId = (await signUp(user, 'worker')).id;
      await logIn(admin, 'boss');
      await logIn(user, 'worker');
    });

    it('requires a login for everything but sign-up and login', async () => {
      const anonymous = t.agent();
      await anonymous.get('/api/users').expect(401);
      await anonymous.get(`/api/users/${userId}`).expect(401);
      await anonymous.put(`/api/users/${userId}`).send({ name: 'x' }).expect(401);
      await anonymous.patch(`/api/users/${userId}`).send({ name: 'x' }).expect(401);
      await anonymous.delete(`/api/users/${userId}`).expect(401);
      await anonymous.get('/api/auth/me').expect(401);
      await anonymous.post('/api/auth/logout').expect(401);
    });

    it('lets a user change only themselves', async () => {
      await user.put(`/api/users/${adminId}`).send({ name: 'hijacked' }).expect(403, {
        statusCode: 403,
        error: 'Forbidden',
        message: 'You can only change your own account',
      });
      await user.patch(`/api/users/${adminId}`).send({ password: 'new password 1' }).expect(403);
      await user.put(`/api/users/${userId}`).send({ name: 'worker2' }).expect(200);
    });

    it('lets only admins change roles and create admins', async () => {
      await user
        .patch(`/api/users/${userId}`)
        .send({ role: 'admin' })
        .expect(403, /Only an admin can change a role/);
      await user
        .post('/api/users')
        .send({ name: 'sneaky', password: PASSWORD, role: 'admin' })
        .expect(403, /Only an admin can create an admin/);
      await admin
        .post('/api/users')
        .send({ name: 'deputy', password: PASSWORD, role: 'admin' })
        .expect(201, /"role":"admin"/);
      await admin
        .patch(`/api/users/${userId}`)
        .send({ role: 'admin' })
        .expect(200, /"role":"admin"/);
      // A role change ends the sessions made under the old role; the next login has the new one.
      await user.get('/api/auth/me').expect(401);
      await logIn(user, 'worker');
      await user.patch(`/api/users/${adminId}`).send({ name: 'renamed-by-worker' }).expect(200);
    });

    it("lets an admin rename and delete anyone, and ends the deleted user's session", async () => {
      await admin
        .put(`/api/users/${userId}`)
        .send({ name: 'renamed' })
        .expect(200, /"name":"renamed"/);
      await admin.delete(`/api/users/${userId}`).expect(204);
      await user.get('/api/auth/me').expect(401);
      await logIn(t.agent(), 'boss');
    });

    it('refuses to delete or demote the last admin', async () => {
      await admin.delete(`/api/users/${adminId}`).expect(409, {
        statusCode: 409,
        error: 'Conflict',
        message: 'The last admin cannot be deleted',
      });
      await admin
        .patch(`/api/users/${adminId}`)
        .send({ role: 'user' })
        .expect(409, /last admin/);
      await admin.patch(`/api/users/${userId}`).send({ role: 'admin' }).expect(200);
      await admin
        .patch(`/api/users/${adminId}`)
        .send({ role: 'user' })
        .expect(200, /"role":"user"/);
    });

    it('needs the current password to change your own, but not for an admin resetting another', async () => {
      await user
        .patch(`/api/users/${userId}`)
        .send({ password: 'brand new secret' })
        .expect(400, /currentPassword is required/);
      await user
        .patch(`/api/users/${userId}`)
        .send({ password: 'brand new secret', currentPassword: 'wrong password' })
        .expect(403, /not your current password/);
      await user
        .patch(`/api/users/${userId}`)
        .send({ password: 'brand new secret', currentPassword: PASSWORD })
        .expect(200);
      await t.agent().post('/api/auth/login').send({ name: 'worker', password: PASSWORD }).expect(401);
      await logIn(t.agent(), 'worker', 'brand new secret');

      await admin.patch(`/api/users/${userId}`).send({ password: 'reset by admin' }).expect(200);
      await logIn(t.agent(), 'worker', 'reset by admin');
    });

    it('answers 409 when renaming onto a taken name', async () => {
      await user
        .put(`/api/users/${userId}`)
        .send({ name: 'BOSS' })
        .expect(409, /already taken/);
    });
  });

  describe('registration', () => {
    it('lets exactly one of several simultaneous first sign-ups in when closed', async () => {
      await t.close();
      t = await createTestApp({ REGISTRATION: 'closed' });
      const results = await Promise.all(
        ['founder', 'stranger1', 'stranger2', 'stranger3'].map((name) =>
          t.agent().post('/api/users').send({ name, password: PASSWORD }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 403, 403, 403]);
      const admin = t.agent();
      const winner = results.find((r) => r.status === 201)!.body as { name: string; role: string };
      expect(winner.role).toBe('admin');
      await logIn(admin, winner.name);
      expect((await admin.get('/api/users').expect(200)).body.total).toBe(1);
    });

    it('makes the first user admin even if they asked for role user', async () => {
      const first = await t
        .agent()
        .post('/api/users')
        .send({ name: 'modest', password: PASSWORD, role: 'user' });
      expect(first.status).toBe(201);
      expect(first.body.role).toBe('admin');
    });

    it('lets the first user in even when closed, then only admins create users', async () => {
      await t.close();
      t = await createTestApp({ REGISTRATION: 'closed' });
      const admin = t.agent();
      const first = await signUp(admin, 'founder');
      expect(first.role).toBe('admin');
      await t.agent().post('/api/users').send({ name: 'stranger', password: PASSWORD }).expect(403, {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Registration is closed: ask an admin to create your account',
      });
      await logIn(admin, 'founder');
      await admin
        .post('/api/users')
        .send({ name: 'invited', password: PASSWORD })
        .expect(201, /"role":"user"/);
    });
  });
});
