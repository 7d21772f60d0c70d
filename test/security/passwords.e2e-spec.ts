import { characterCount } from '../../src/common/safe-text.js';
import { createTestApp, logIn, PASSWORD, sessionCookie, signUp, type TestApp } from '../utils/test-app.js';

const TOO_SHORT_OR_LONG = ['password must be 8 to 256 characters long'];

/**
 * Korean, emoji (one alone, three in a ZWJ sequence), combining marks, Hebrew and Arabic. The
 * marks sit on letters with no precomposed form, so NFC (how lengths are counted) keeps them.
 */
const MIXED = '비밀번호 🔐👩‍💻 q\u0307x\u0302 שלום سلام ';

/** `MIXED` repeated, cut to `length` characters as the server counts them (code points), ending in 🔑. */
function mixedPassword(length: number): string {
  const points = Array.from(MIXED.repeat(Math.ceil(length / characterCount(MIXED))));
  return [...points.slice(0, length - 1), '🔑'].join('');
}

describe('Passwords (e2e)', () => {
  let t: TestApp;

  const login = (name: string, password: string) =>
    t.agent().post('/api/auth/login').send({ name, password });
  const create = (name: string, password: string) => t.agent().post('/api/users').send({ name, password });

  beforeAll(async () => {
    // These tests log in far more often than the per-address limit allows, which throttling.e2e-spec covers.
    t = await createTestApp({ RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_SIGNUP: 'off' });
    await signUp(t.agent(), 'admin');
  });

  afterAll(async () => {
    await t.close();
  });

  it('takes 256 characters of any script whole, and nothing is cut off at login', async () => {
    const password = mixedPassword(256);
    expect(password.normalize('NFC')).toBe(password);
    expect(characterCount(password)).toBe(256);
    expect(password.length).toBeGreaterThan(256);
    await signUp(t.agent(), 'long', password);
    expect((await login('long', password)).status).toBe(200);
    const withoutLast = Array.from(password).slice(0, -1).join('');
    expect((await login('long', withoutLast)).status).toBe(401);
    expect((await login('long', `${withoutLast}🔒`)).status).toBe(401);
  });

  it('refuses 257 characters and 7, counting an emoji as one character', async () => {
    for (const password of [mixedPassword(257), '🔐'.repeat(7)]) {
      const res = await create('too-long-or-short', password);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: TOO_SHORT_OR_LONG });
    }
    await signUp(t.agent(), 'eight', '🔐'.repeat(8));
    await logIn(t.agent(), 'eight', '🔐'.repeat(8));
  });

  it('keeps leading and trailing spaces as part of the password', async () => {
    await signUp(t.agent(), 'spaced', '  padded password  ');
    for (const typed of ['padded password', '  padded password', 'padded password  ']) {
      expect((await login('spaced', typed)).status).toBe(401);
    }
    expect((await login('spaced', '  padded password  ')).status).toBe(200);
  });

  it('accepts a password typed in NFD or NFC alike, but not without its accents nor in compatibility form', async () => {
    const nfd = 'Cafe\u0301 cre\u0300me ﬁne';
    const nfc = nfd.normalize('NFC');
    expect(nfc).not.toBe(nfd);
    await signUp(t.agent(), 'decomposed', nfd);
    await signUp(t.agent(), 'composed', nfc);
    for (const name of ['decomposed', 'composed']) {
      expect((await login(name, 'Cafe creme ﬁne')).status).toBe(401);
      expect((await login(name, nfd.normalize('NFKC'))).status).toBe(401);
      expect((await login(name, nfd)).status).toBe(200);
      expect((await login(name, nfc)).status).toBe(200);
    }
  });

  it('changes your own password only with currentPassword, renewing your cookie and ending the old one', async () => {
    const kim = t.agent();
    const { id } = await signUp(kim, 'kim');
    const firstSid = sessionCookie(await login('kim', PASSWORD).expect(200));
    const agentSid = sessionCookie(
      await kim.post('/api/auth/login').send({ name: 'kim', password: PASSWORD }),
    );
    const change = (body: object) => kim.patch(`/api/users/${id}`).send(body);

    expect((await change({ password: 'new password 1' })).body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'currentPassword is required to change your own password',
    });
    expect((await change({ password: 'new password 1', currentPassword: 'wrong guess' })).body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'currentPassword is not your current password',
    });
    expect((await login('kim', PASSWORD)).status).toBe(200);

    const changed = await change({ password: 'new password 1', currentPassword: PASSWORD }).expect(200);
    const newSid = sessionCookie(changed);
    expect(newSid).not.toBe(agentSid);
    await kim.get('/api/auth/me').expect(200);
    await t.agent().get('/api/auth/me').set('Cookie', agentSid).expect(401);
    await t.agent().get('/api/auth/me').set('Cookie', firstSid).expect(401);
    expect((await login('kim', PASSWORD)).status).toBe(401);
    expect((await login('kim', 'new password 1')).status).toBe(200);
  });

  it('counts its length as hashed (NFC), so a decomposed accent is one character', async () => {
    const decomposed = 'Cafe\u0301123';
    expect(Array.from(decomposed)).toHaveLength(8);
    const res = await create('nfd-short', decomposed);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: TOO_SHORT_OR_LONG });
  });

  it('locks guesses at currentPassword per user, so a stolen session cannot guess freely, even renaming', async () => {
    const choi = t.agent();
    const { id } = await signUp(choi, 'choi');
    await logIn(choi, 'choi');
    const guess = (n: number) =>
      choi.patch(`/api/users/${id}`).send({ password: 'new password 2', currentPassword: `guess ${n}` });
    const statuses = [];
    for (let n = 0; n < 5; n++) statuses.push((await guess(n)).status);
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
    await choi.put(`/api/users/${id}`).send({ name: 'choi renamed' }).expect(200);
    // Had the rename started a fresh count, four more guesses would pass; at most one can (the
    // fifth guess's 1 s lock may have run out on a slow machine), and then the lock holds.
    const after = [];
    for (let n = 5; n < 10 && after.at(-1)?.status !== 429; n++) after.push(await guess(n));
    expect(after.filter((res) => res.status === 403).length).toBeLessThanOrEqual(1);
    const locked = after.at(-1)!;
    expect(locked.status).toBe(429);
    expect(locked.body.message).toMatch(/^Too many failed password attempts: try again in \d+ seconds?$/);
    expect(locked.get('Retry-After')).toMatch(/^[1-9]\d*$/);
    // The owner's logins have their own count: guessing in a stolen session does not lock them out.
    expect((await login('choi renamed', PASSWORD)).status).toBe(200);
  });

  it("lets an admin reset another user's password without currentPassword, but not a user", async () => {
    const lee = t.agent();
    const { id } = await signUp(lee, 'lee');
    await logIn(lee, 'lee');
    const other = t.agent();
    await signUp(other, 'park');
    await logIn(other, 'park');
    await other
      .patch(`/api/users/${id}`)
      .send({ password: 'taken over!' })
      .expect(403, /You can only change your own account/);

    const admin = t.agent();
    await logIn(admin, 'admin');
    await admin.patch(`/api/users/${id}`).send({ password: 'reset by admin' }).expect(200);
    await lee.get('/api/auth/me').expect(401);
    expect((await login('lee', PASSWORD)).status).toBe(401);
    expect((await login('lee', 'taken over!')).status).toBe(401);
    expect((await login('lee', 'reset by admin')).status).toBe(200);
  });
});
