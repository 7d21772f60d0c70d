import { Kysely, sql } from 'kysely';
import { createTestApp, logIn, PASSWORD, signUp, type TestApp } from './utils/test-app.js';

describe('Bad input and errors (e2e)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp();
  });

  afterEach(async () => {
    await t.close();
  });

  const post = (body: string, type = 'application/json') =>
    t.agent().post('/api/users').set('Content-Type', type).send(body);

  it('answers malformed JSON with 400 and says so', async () => {
    const res = await post('{"name": "x", "password":').expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/^Request body is not valid JSON/),
    });
  });

  it.each([
    [
      'an unknown property',
      { name: 'a', password: PASSWORD, admin: true },
      'property admin should not exist',
    ],
    [
      'a 300-character name',
      { name: 'x'.repeat(300), password: PASSWORD },
      'name must be at most 64 characters long (got 300)',
    ],
    ['a missing password', { name: 'a' }, 'password must be a string'],
    ['a short password', { name: 'a', password: 'short' }, 'password must be 8 to 256 characters long'],
    [
      'a 257-character password',
      { name: 'a', password: 'p'.repeat(257) },
      'password must be 8 to 256 characters long',
    ],
    ['a blank name', { name: '   ', password: PASSWORD }, 'name must not be empty'],
    [
      'a name with a control character',
      { name: 'a\u0000b', password: PASSWORD },
      'name must not contain control characters',
    ],
    ['a number as name', { name: 42, password: PASSWORD }, 'name must be a string'],
    ['an unknown role', { name: 'a', password: PASSWORD, role: 'root' }, 'role must be one of: admin, user'],
  ])('answers %s with 400 and a clear message', async (_, body, message) => {
    const res = await t.agent().post('/api/users').send(body).expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.arrayContaining([message]),
    });
  });

  it.each([
    ['a JSON array', '[]'],
    ['a JSON string', '"hello"'],
    ['JSON null', 'null'],
  ])('answers %s as body with 400', async (_, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
  });

  it.each([
    ['name', { name: null }],
    ['password', { password: null, currentPassword: PASSWORD }],
    ['role', { role: null }],
    ['currentPassword', { password: 'another password', currentPassword: null }],
  ])('answers null for %s in a PATCH with 400, never 500', async (field, body) => {
    const agent = t.agent();
    const { id } = await signUp(agent, 'nullable');
    await logIn(agent, 'nullable');
    const res = await agent.patch(`/api/users/${id}`).send(body).expect(400);
    expect(res.body.message).toEqual([expect.stringMatching(new RegExp(`^${field} `))]);
  });

  it.each(['99999999999999999999', '1e300', '9223372036854775807'])(
    'answers offset=%s with 400, never 500',
    async (offset) => {
      const agent = t.agent();
      await signUp(agent, 'pager');
      await logIn(agent, 'pager');
      await agent.get(`/api/users?offset=${offset}`).expect(400, /offset must not be greater than/);
    },
  );

  it('keeps a conflict message about a name that mentions JSON as it is', async () => {
    await signUp(t.agent(), 'JSON token x');
    const res = await t
      .agent()
      .post('/api/users')
      .send({ name: 'JSON token x', password: PASSWORD })
      .expect(409);
    expect(res.body.message).toBe('The name "JSON token x" is already taken');
  });

  it('answers a body over 100 kB with 413', async () => {
    const res = await post(JSON.stringify({ name: 'a', password: 'x'.repeat(200_000) })).expect(413);
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body is too large',
    });
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await t.agent().get('/api/nothing-here').expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /api/nothing-here',
    });
  });

  it('hides internals when a query fails: a bare 500 without SQL or stack', async () => {
    const agent = t.agent();
    await signUp(agent, 'victim');
    await logIn(agent, 'victim');
    await sql`alter table users rename to users_gone`.execute(t.app.get(Kysely));
    try {
      const res = await agent.get('/api/users').expect(500);
      expect(res.body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'Something went wrong on our side',
      });
      expect(res.get('X-Request-Id')).toBeDefined();
    } finally {
      await sql`alter table users_gone rename to users`.execute(t.app.get(Kysely));
    }
  });

  it('answers 503 with Retry-After, not 500, when the database cannot be used at all', async () => {
    const agent = t.agent();
    await signUp(agent, 'late');
    await logIn(agent, 'late');
    await t.app.get(Kysely).destroy();
    const res = await agent.get('/api/users').expect(503);
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database is unavailable right now; try again shortly',
    });
    expect(res.get('Retry-After')).toBe('5');
    await t.agent().post('/api/auth/login').send({ name: 'late', password: PASSWORD }).expect(503);
  });
});
