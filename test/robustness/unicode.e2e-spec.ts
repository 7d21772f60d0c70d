import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import type { Agent as TestAgent } from 'supertest';
import { createTestApp, logIn, PASSWORD, sessionCookie, signUp, type TestApp } from '../utils/test-app.js';

/**
 * Issue #7, "Unicode everywhere". The rules these tests pin down (src/users/user-name.ts):
 * - a name is stored and returned NFC-normalised and trimmed (JS `trim`: Unicode white space
 *   and U+FEFF), never in the form sent;
 * - its length is counted in code points of that stored form: an astral emoji is 1, a ZWJ
 *   sequence is each of its code points, a combining mark with no precomposed form is 1 more;
 * - two names are the same name when `NFC(trim(name)).toLowerCase()` is equal: canonical
 *   equivalence and simple lower-casing; not full case folding (`ß` ≠ `SS`) nor compatibility
 *   forms (NFKC: full-width letters, ligatures).
 */

interface UserBody {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  name: string;
  nameKey: string;
  hex: string;
}

const stored = (sent: string) => sent.normalize('NFC').trim();
const utf8Hex = (value: string) => Buffer.from(value, 'utf8').toString('hex').toUpperCase();

/**
 * Rows as the database holds them, read beside the app through a connection of its own: SQLite
 * (better-sqlite3 on the file) or, under `npm run test:scale`, PostgreSQL.
 */
async function select<T>(t: TestApp, sqlite: string, postgres: string, param: string): Promise<T[]> {
  const database = t.config.database;
  if (database.dialect === 'sqlite') {
    const db = new BetterSqlite3(database.file, { readonly: true });
    try {
      return db.prepare(sqlite).all(param) as T[];
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(postgres, [param])).rows as T[];
  } finally {
    await client.end();
  }
}

/** The stored name, its key, and the name's bytes (UTF-8, upper-case hex). */
async function row(t: TestApp, id: string): Promise<Row | undefined> {
  const [found] = await select<Row>(
    t,
    'select name, name_key as nameKey, hex(name) as hex from users where id = ?',
    `select name, name_key as "nameKey", upper(encode(convert_to(name, 'UTF8'), 'hex')) as hex
       from users where id = $1`,
    id,
  );
  return found;
}

async function usersWithKey(t: TestApp, key: string): Promise<number> {
  const sql = (param: string) => `select id from users where name_key = ${param}`;
  return (await select(t, sql('?'), sql('$1'), key)).length;
}

const create = (t: TestApp, name: string) => t.agent().post('/api/users').send({ name, password: PASSWORD });

describe('Unicode names (e2e)', () => {
  let t: TestApp;
  let admin: TestAgent;

  // One app (and database) per group below; the names within a group never collide by accident.
  function freshAppPerGroup(): void {
    beforeAll(async () => {
      t = await createTestApp({ RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_SIGNUP: 'off' });
      admin = t.agent();
      await signUp(admin, 'admin');
      await logIn(admin, 'admin');
    });

    afterAll(async () => {
      await t.close();
    });
  }

  describe('round trip through the API, the database and a login', () => {
    freshAppPerGroup();

    it.each([
      ['Korean', '홍길동'],
      ['Korean sent as conjoining jamo', '\u1112\u1161\u11AB\u1100\u1173\u11AF'],
      ['emoji with a ZWJ sequence', '👩‍💻 dev 🚀'],
      ['a combining mark, sent decomposed', 'Zoe\u0308'],
      ['Vietnamese with stacked marks, sent decomposed', 'Nguye\u0302\u0303n Va\u0306n A'],
      ['a combining mark with no precomposed form', 'q\u0307x\u0323'],
      ['Arabic', 'مرحبا'],
      ['Hebrew', 'שלום'],
      ['right-to-left and left-to-right mixed, with digits', 'Dana דנה سارة 2024'],
      ['surrounded by white space and a BOM', '\uFEFF\u3000 홍길동 👩‍💻 שלום \u00A0'],
    ])('%s', async (_label, sent) => {
      const name = stored(sent);
      const created = await create(t, sent).expect(201);
      const user = created.body as UserBody;
      expect(user.name).toBe(name);
      expect(created.get('Content-Type')).toBe('application/json; charset=utf-8');
      // The characters themselves, UTF-8 encoded, not \u escapes.
      expect(created.text).toContain(`"name":${JSON.stringify(name)}`);

      const got = await admin.get(`/api/users/${user.id}`).expect(200);
      expect(got.body).toEqual(user);
      expect(got.text).toBe(created.text);
      const list = await admin.get('/api/users?limit=100').expect(200);
      expect((list.body as { items: UserBody[] }).items.find((u) => u.id === user.id)).toEqual(user);

      expect(await row(t, user.id)).toEqual({ name, nameKey: name.toLowerCase(), hex: utf8Hex(name) });

      // As sent, and in the other normalisation form in capitals with white space around.
      const other = ` ${name.normalize(sent.normalize('NFC') === sent ? 'NFD' : 'NFC').toUpperCase()}\u00A0`;
      for (const typed of [sent, other]) {
        const agent = t.agent();
        const login = await agent
          .post('/api/auth/login')
          .send({ name: typed, password: PASSWORD })
          .expect(200);
        expect(login.body).toEqual(user);
        // The cookie carries a session id only: printable ASCII whatever the name.
        const cookie = sessionCookie(login);
        expect(cookie).toMatch(/^sid=[\x21-\x7e]+$/);
        expect((await t.agent().get('/api/auth/me').set('Cookie', cookie).expect(200)).body).toEqual(user);
        expect((await agent.get('/api/auth/status').expect(200)).body.user).toEqual(user);
      }
    });

    it('renames into any script and stores the NFC form', async () => {
      const user = await signUp(t.agent(), 'plain');
      const res = await admin.put(`/api/users/${user.id}`).send({ name: ' שלום 👩‍💻 Zoe\u0308 ' }).expect(200);
      expect(res.body.name).toBe('שלום 👩‍💻 Zoë');
      expect((await row(t, user.id))?.hex).toBe(utf8Hex('שלום 👩‍💻 Zoë'));
      await logIn(t.agent(), 'שלום 👩‍💻 ZOË');
    });
  });

  describe('length: 1 to 64 code points of the NFC form, after trimming', () => {
    freshAppPerGroup();

    it.each([
      ['64 astral emoji (128 UTF-16 units)', '😀'.repeat(64), 64],
      ['21 three-code-point ZWJ sequences and one emoji', `${'👩‍💻'.repeat(21)}🚀`, 64],
      ['64 accented letters sent decomposed (128 code points before NFC)', 'e\u0301'.repeat(64), 64],
      ['32 letters with a mark that has no precomposed form', 'q\u0307'.repeat(32), 64],
      ['64 Korean syllables sent as 192 conjoining jamo', '\u1112\u1161\u11AB'.repeat(64), 64],
      ['64 characters inside white space', `  ${'가'.repeat(64)}\u3000`, 64],
    ])('takes %s', async (_label, sent, count) => {
      const name = stored(sent);
      expect(Array.from(name)).toHaveLength(count);
      const created = (await create(t, sent).expect(201)).body as UserBody;
      expect(created.name).toBe(name);
      expect((await row(t, created.id))?.hex).toBe(utf8Hex(name));
      await logIn(t.agent(), sent);
    });

    it.each([
      ['65 astral emoji', '😀'.repeat(65), 65],
      ['21 ZWJ sequences and two emoji (23 graphemes)', `${'👩‍💻'.repeat(21)}🚀🚀`, 65],
      ['65 accented letters sent decomposed', 'e\u0301'.repeat(65), 65],
      ['33 letters with a mark that has no precomposed form (33 graphemes)', 'q\u0307'.repeat(33), 66],
    ])('refuses %s', async (_label, sent, count) => {
      const res = await create(t, sent).expect(400);
      expect(res.body.message).toEqual([`name must be at most 64 characters long (got ${count})`]);
    });

    it.each([
      ['white space only', ' \u3000\u00A0\t'],
      ['a BOM only', '\uFEFF'],
    ])('refuses a name of %s as empty', async (_label, sent) => {
      const res = await create(t, sent).expect(400);
      expect(res.body.message).toEqual(['name must not be empty']);
    });
  });

  describe('lone surrogates (not characters; UTF-8 storage would turn them into U+FFFD)', () => {
    freshAppPerGroup();

    it.each([
      ['a lone high surrogate', 'x\uD83Dy'],
      ['a lone low surrogate', 'x\uDE00y'],
    ])('refuses %s with 400 and stores nothing', async (_label, sent) => {
      const res = await create(t, sent).expect(400);
      expect(res.body.message).toEqual(['name must be valid Unicode (no lone surrogates)']);
      expect(await usersWithKey(t, 'x\uFFFDy')).toBe(0);
      const user = await signUp(t.agent(), `renamer ${_label}`);
      await admin.put(`/api/users/${user.id}`).send({ name: sent }).expect(400);
      await admin.patch(`/api/users/${user.id}`).send({ name: sent }).expect(400);
      expect((await row(t, user.id))?.name).toBe(`renamer ${_label}`);
    });

    it('still takes U+FFFD itself, a real character', async () => {
      const created = (await create(t, 'x\uFFFDy').expect(201)).body as UserBody;
      expect((await row(t, created.id))?.hex).toBe('78EFBFBD79');
    });
  });

  describe('names that differ only by normalisation or case are the same name', () => {
    freshAppPerGroup();

    it.each([
      ['NFC and NFD', 'Zoë', ['Zoe\u0308', 'ZOË', 'zoe\u0308']],
      ['a Hangul syllable and its conjoining jamo', '한', ['\u1112\u1161\u11AB']],
      ['ASCII case', 'Alice', ['alice', 'ALICE', ' aLiCe ']],
      ['Greek case and the Ohm sign (NFC: Ω)', 'Ω', ['ω', '\u2126']],
      ['Greek capitals and the final sigma', 'Νίκος', ['ΝΊΚΟΣ', 'νίκος']],
      ['the Kelvin sign (NFC: K)', 'kelvin', ['\u212Aelvin']],
      ['Cyrillic case and a decomposed Ё', 'Ёжик', ['ёжик', 'Е\u0308ЖИК']],
      ['the capital sharp s', 'Straße', ['STRAẞE']],
      ['Vietnamese in capitals, decomposed', 'Nguyễn', ['NGUYE\u0302\u0303N']],
    ])('%s: 409 on sign-up and on rename', async (_label, first, others) => {
      const taken = await signUp(t.agent(), first);
      const renamer = t.agent();
      const other = await signUp(renamer, `renamer of ${first}`);
      await logIn(renamer, `renamer of ${first}`);
      for (const name of others) {
        expect(await create(t, name).expect(409)).toHaveProperty('body', {
          statusCode: 409,
          error: 'Conflict',
          message: `The name "${stored(name)}" is already taken`,
        });
        await renamer.put(`/api/users/${other.id}`).send({ name }).expect(409);
        await renamer.patch(`/api/users/${other.id}`).send({ name }).expect(409);
        await admin.put(`/api/users/${other.id}`).send({ name }).expect(409);
        // Login with it reaches the one user there is.
        const login = await t.agent().post('/api/auth/login').send({ name, password: PASSWORD }).expect(200);
        expect(login.body.id).toBe(taken.id);
      }
      expect(await usersWithKey(t, stored(first).toLowerCase())).toBe(1);
      expect((await row(t, taken.id))?.name).toBe(first);
      expect((await row(t, other.id))?.name).toBe(`renamer of ${first}`);
    });

    it('lets the owner change only the case or form of their own name', async () => {
      const agent = t.agent();
      const user = await signUp(agent, 'Émile');
      await logIn(agent, 'Émile');
      const res = await agent.patch(`/api/users/${user.id}`).send({ name: 'E\u0301MILE' }).expect(200);
      expect(res.body.name).toBe('ÉMILE');
      expect(await row(t, user.id)).toMatchObject({ name: 'ÉMILE', nameKey: 'émile' });
    });
  });

  describe('names that are not the same name (by design: simple lower-casing, NFC not NFKC)', () => {
    freshAppPerGroup();

    it.each([
      ['ß and SS: lower-casing, not full case folding', 'Weiß', 'WEISS'],
      ['full-width letters: NFC, not NFKC', 'alice', 'ａｌｉｃｅ'],
      ['a ligature: NFC, not NFKC', 'fiona', 'ﬁona'],
      ['with and without an accent', 'Zoe', 'Zoë'],
      ['Hebrew with and without a vowel point', 'שלום', 'שָׁלוֹם'],
    ])('%s', async (_label, one, two) => {
      const first = await signUp(t.agent(), one);
      const second = await signUp(t.agent(), two);
      expect(second.id).not.toBe(first.id);
      const login = await t
        .agent()
        .post('/api/auth/login')
        .send({ name: two, password: PASSWORD })
        .expect(200);
      expect(login.body.id).toBe(second.id);
    });
  });
});
