import BetterSqlite3 from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { parseDatabaseUrl } from '../../src/config/configuration.js';
import { createDatabase } from '../../src/database/database.factory.js';
import { migrateToLatest } from '../../src/database/migrate.js';
import { type Backend, freshBackend } from '../utils/backends.js';
import { type Exit, run } from '../utils/server-process.js';
import { createTestApp, logIn, PASSWORD, signUp, type TestApp } from '../utils/test-app.js';

/**
 * Issue #8: `npm run db:copy -- --from sqlite:data/app.db --to postgres://…` moves the users of
 * a SQLite deployment to PostgreSQL, faithfully: same ids, hashes, roles, timestamps and
 * session versions, so everyone logs in on the copy with the password they had.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'database', 'copy.cli.js');
const SECRET = 'pg-password-never-printed-7f3a';
const NEW_PASSWORD = 'a brand new passphrase';
const USAGE = 'Usage: npm run db:copy -- --from <DATABASE_URL> --to <DATABASE_URL>';
// Past one batch of 500 twice, so batch boundaries are crossed.
const BULK_USERS = 1100;
// No login or sign-up limits: this test makes many of both from one address.
const APP_ENV = { RATE_LIMIT_SIGNUP: 'off', RATE_LIMIT_LOGIN: 'off' };

type Row = Record<string, unknown>;

/** Every table the migrations make, in the order db:copy fills them (foreign keys first). */
const TABLES = ['login_attempts', 'rate_limits', 'users', 'sessions'];

function sqliteCount(file: string, table: string): number {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The same URL with a password, which PostgreSQL's trust authentication ignores. */
function withSecret(url: string): string {
  const parsed = new URL(url);
  parsed.password = SECRET;
  return parsed.toString();
}

/** Runs the built CLI; whatever it says, it never prints the password. */
async function copy(...args: string[]): Promise<Exit> {
  const exit = await run(ROOT, [CLI, ...args]);
  expect(exit.stdout + exit.stderr).not.toContain(SECRET);
  expect(exit.signal).toBeNull();
  return exit;
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** Every column of every user, exactly as SQLite holds them. */
function sqliteUsers(file: string): { columns: string[]; rows: Row[] } {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const columns = (db.prepare('pragma table_info(users)').all() as { name: string }[]).map((c) => c.name);
    const rows = db.prepare('select * from users order by id').all() as Row[];
    return { columns: columns.sort(), rows };
  } finally {
    db.close();
  }
}

async function onPostgres<T>(backend: Backend, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: backend.env.DATABASE_URL });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Every column of every user, as PostgreSQL holds them, written the way SQLite writes them
 * (uuid as text, timestamptz as `toISOString()` would), by PostgreSQL itself rather than by
 * the app's type parsers. Fails if a timestamp holds more than milliseconds.
 */
async function postgresUsers(backend: Backend): Promise<{ columns: string[]; rows: Row[] }> {
  return onPostgres(backend, async (client) => {
    const { rows: columns } = await client.query<{ name: string; type: string }>(
      `select column_name as name, data_type as type from information_schema.columns
       where table_schema = current_schema() and table_name = 'users'`,
    );
    const select = columns.map(({ name, type }) => {
      if (type === 'uuid') return `${name}::text as ${name}`;
      if (type === 'timestamp with time zone') {
        return `to_char(${name} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${name}`;
      }
      return name;
    });
    const { rows } = await client.query<Row>(`select ${select.join(', ')} from users order by id`);
    const timestamps = columns.filter((c) => c.type === 'timestamp with time zone').map((c) => c.name);
    const finer = await client.query<{ n: string }>(
      `select count(*) as n from users where ${timestamps
        .map((name) => `date_trunc('milliseconds', ${name}) <> ${name}`)
        .join(' or ')}`,
    );
    expect(finer.rows[0].n).toBe('0');
    return { columns: columns.map((c) => c.name).sort(), rows };
  });
}

async function hasUsersTable(backend: Backend): Promise<boolean> {
  return onPostgres(backend, async (client) => {
    const { rows } = await client.query<{ t: string | null }>(`select to_regclass('users')::text as t`);
    return rows[0].t !== null;
  });
}

describe('db:copy from SQLite to PostgreSQL (scale)', () => {
  let dir: string;
  let file: string;
  let backend: Backend;
  const backends: Backend[] = [];
  let original: Row[];
  let ids: Record<string, string>;

  async function newBackend(): Promise<Backend> {
    const made = await freshBackend();
    backends.push(made);
    return made;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'db-copy-'));
    file = join(dir, 'app.db');
    // A SQLite folder as storage: the app runs on SQLite even in the scale project.
    const t = await createTestApp(APP_ENV, dir);
    try {
      expect(t.config.database).toEqual({ dialect: 'sqlite', file });
      ids = {};
      const admin = t.agent();
      ids.admin = (await signUp(admin, '관리자')).id;
      await logIn(admin, '관리자');
      for (const name of ['김민준', '이서연 🌸', '👩‍💻 dev', 'Zoë Ångström', 'café ☕', 'plain user']) {
        ids[name] = (await signUp(t.agent(), name)).id;
      }
      // A second admin (a role change raises the session version).
      await admin.patch(`/api/users/${ids['plain user']}`).send({ role: 'admin' }).expect(200);
      // A user who changed their own password.
      const minjun = t.agent();
      await logIn(minjun, '김민준');
      await minjun
        .patch(`/api/users/${ids['김민준']}`)
        .send({ password: NEW_PASSWORD, currentPassword: PASSWORD })
        .expect(200);
      // Two password changes by the admin, and a rename (updated_at after created_at).
      for (const password of ['first reset password', NEW_PASSWORD]) {
        await admin.patch(`/api/users/${ids['이서연 🌸']}`).send({ password }).expect(200);
      }
      await admin.put(`/api/users/${ids['café ☕']}`).send({ name: 'Café ☕☕' }).expect(200);
    } finally {
      await t.close();
    }

    // Many more users, straight into the file, sharing a real hash of PASSWORD.
    const db = new BetterSqlite3(file);
    try {
      const { password_hash: hash } = db
        .prepare('select password_hash from users where id = ?')
        .get(ids.admin) as { password_hash: string };
      const insert = db.prepare(
        `insert into users (id, name, name_key, password_hash, role, created_at, updated_at, session_version)
         values (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      db.transaction(() => {
        for (let i = 0; i < BULK_USERS; i++) {
          const created = Date.UTC(2001, 0, 1) + i * 86_400_123;
          insert.run(
            randomUUID(),
            `사용자 ${i} 🚀`,
            `사용자 ${i} 🚀`,
            hash,
            i % 50 === 0 ? 'admin' : 'user',
            new Date(created).toISOString(),
            new Date(created + (i % 7) * 999).toISOString(),
            i % 13,
          );
        }
      })();
    } finally {
      db.close();
    }
    original = sqliteUsers(file).rows;
    backend = await newBackend();
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(backends.map((b) => b.drop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has users of every kind to copy', () => {
    expect(original).toHaveLength(7 + BULK_USERS);
    const byId = new Map(original.map((row) => [row.id, row]));
    expect(byId.get(ids.admin)).toMatchObject({ name: '관리자', role: 'admin', session_version: 0 });
    expect(byId.get(ids['plain user'])).toMatchObject({ role: 'admin', session_version: 1 });
    expect(byId.get(ids['김민준'])).toMatchObject({ role: 'user', session_version: 1 });
    expect(byId.get(ids['이서연 🌸'])).toMatchObject({ session_version: 2 });
    expect(byId.get(ids['café ☕'])).toMatchObject({ name: 'Café ☕☕', name_key: 'café ☕☕' });
  });

  it('copies every user, every column, exactly', async () => {
    const exit = await copy('--from', `sqlite:${file}`, '--to', withSecret(backend.env.DATABASE_URL));
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    const [copied, ...rest] = lines(exit.stdout);
    expect(rest).toEqual([]);
    const to = withSecret(backend.env.DATABASE_URL).replace(SECRET, '***');
    expect(copied).toBe(
      `copied ${TABLES.map((t) => `${sqliteCount(file, t)} ${t}`).join(', ')} from sqlite:${file} to ${to}`,
    );
    expect(copied).toContain(`, ${original.length} users, `);

    const source = sqliteUsers(file);
    const target = await postgresUsers(backend);
    expect(target.columns).toEqual(source.columns);
    expect(target.columns).toEqual(
      [
        'created_at',
        'id',
        'name',
        'name_key',
        'password_hash',
        'role',
        'session_version',
        'updated_at',
      ].sort(),
    );
    expect(target.rows).toHaveLength(source.rows.length);
    expect(target.rows).toEqual(source.rows);
  });

  it('copies every other table too, row for row: sessions, rate limits, login attempts', async () => {
    const sqlite = createDatabase(parseDatabaseUrl(`sqlite:${file}`)).withoutPlugins();
    const postgres = createDatabase(parseDatabaseUrl(backend.env.DATABASE_URL)).withoutPlugins();
    try {
      expect(sqliteCount(file, 'sessions')).toBeGreaterThan(0);
      for (const table of TABLES) {
        const [a, b] = await Promise.all(
          [sqlite, postgres].map(async (db) =>
            // Sorted here: the two databases collate text differently.
            (
              (await db
                .selectFrom(table as never)
                .selectAll()
                .execute()) as Row[]
            )
              .map((row) => JSON.stringify(row))
              .sort(),
          ),
        );
        expect({ table, rows: b }).toEqual({ table, rows: a });
      }
    } finally {
      await Promise.all([sqlite.destroy(), postgres.destroy()]);
    }
  });

  it('reads back through the app the same on both dialects', async () => {
    const sqlite = createDatabase(parseDatabaseUrl(`sqlite:${file}`));
    const postgres = createDatabase(parseDatabaseUrl(backend.env.DATABASE_URL));
    try {
      const [a, b] = await Promise.all(
        [sqlite, postgres].map((db) => db.selectFrom('users').selectAll().orderBy('id').execute()),
      );
      expect(b).toEqual(a);
    } finally {
      await Promise.all([sqlite.destroy(), postgres.destroy()]);
    }
  });

  it('lets everyone log in on PostgreSQL with the password they had', async () => {
    const t: TestApp = await createTestApp(APP_ENV, backend);
    try {
      expect(t.config.database.dialect).toBe('postgres');
      const admin = t.agent();
      const res = await admin
        .post('/api/auth/login')
        .send({ name: '관리자', password: PASSWORD })
        .expect(200);
      expect(res.body).toMatchObject({ id: ids.admin, name: '관리자', role: 'admin' });
      const list = await admin.get('/api/users?limit=1').expect(200);
      expect(list.body.total).toBe(original.length);

      await logIn(t.agent(), '김민준', NEW_PASSWORD);
      await t.agent().post('/api/auth/login').send({ name: '김민준', password: PASSWORD }).expect(401);
      await logIn(t.agent(), '이서연 🌸', NEW_PASSWORD);
      await logIn(t.agent(), '👩‍💻 dev');
      // Name keys came along: a name differing only in case is the same user.
      await logIn(t.agent(), 'zoë ångström');
      await logIn(t.agent(), 'PLAIN USER');
      await logIn(t.agent(), `사용자 ${BULK_USERS - 1} 🚀`);
      // And stay unique: the old names cannot be taken again.
      await t.agent().post('/api/users').send({ name: '김민준', password: PASSWORD }).expect(409);
    } finally {
      await t.close();
    }
  });

  it('refuses a second copy into the same database and changes nothing', async () => {
    const before = await postgresUsers(backend);
    // The source has moved on since: still nothing of it may reach the target.
    const db = new BetterSqlite3(file);
    try {
      const now = new Date().toISOString();
      db.prepare(
        `insert into users (id, name, name_key, password_hash, role, created_at, updated_at)
         values (?, 'late', 'late', 'x', 'user', ?, ?)`,
      ).run(randomUUID(), now, now);
    } finally {
      db.close();
    }
    const exit = await copy('--from', `sqlite:${file}`, '--to', withSecret(backend.env.DATABASE_URL));
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toEqual([
      expect.stringMatching(
        /^Copy refused: --to postgres:\/\/postgres:\*\*\*@\S+ already has .+; db:copy only fills an empty database$/,
      ),
    ]);
    expect(exit.stderr).toContain(`, ${original.length} users, `);
    expect(await postgresUsers(backend)).toEqual(before);
  });

  it('copies back from PostgreSQL to a new SQLite file, the same rows again', async () => {
    const back = join(dir, 'back', 'app.db');
    const exit = await copy('--from', withSecret(backend.env.DATABASE_URL), '--to', `sqlite:${back}`);
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(lines(exit.stdout)[0]).toMatch(
      new RegExp(`^copied .*, ${original.length} users, .* from postgres://`),
    );
    expect(sqliteUsers(back).rows).toEqual(original);
  });

  it.each([
    ['an upper-case id', { id: randomUUID().toUpperCase() }, /its id differs/],
    ['a timestamp not in ISO form', { created_at: '2024-01-02 03:04:05' }, /its created_at differs/],
  ])(
    'refuses a value PostgreSQL would store differently (%s), writing no user',
    async (_, change, reason) => {
      const source = join(dir, `odd-${randomUUID()}.db`);
      const db = createDatabase(parseDatabaseUrl(`sqlite:${source}`));
      try {
        await migrateToLatest(db);
        const now = new Date().toISOString();
        await db
          .insertInto('users')
          .values({
            id: randomUUID(),
            name: 'fine',
            nameKey: 'fine',
            passwordHash: 'x',
            role: 'admin',
            createdAt: now,
            updatedAt: now,
          })
          .execute();
        const odd = { id: randomUUID(), created_at: now, ...change };
        await db
          .insertInto('users')
          .values({
            id: odd.id,
            name: 'odd',
            nameKey: 'odd',
            passwordHash: 'x',
            role: 'user',
            createdAt: odd.created_at,
            updatedAt: now,
          })
          .execute();
      } finally {
        await db.destroy();
      }
      const target = await newBackend();
      const exit = await copy('--from', `sqlite:${source}`, '--to', withSecret(target.env.DATABASE_URL));
      expect(exit.code).toBe(1);
      expect(exit.stdout).toBe('');
      expect(lines(exit.stderr)).toHaveLength(1);
      expect(exit.stderr).toMatch(/^Copy refused: users \S+ would not be copied faithfully: /);
      expect(exit.stderr).toMatch(reason);
      expect((await postgresUsers(target)).rows).toEqual([]);
    },
  );

  it('refuses a --from file that does not exist, creating nothing', async () => {
    const target = await newBackend();
    const missing = join(dir, 'typo', 'ap.db');
    const exit = await copy('--from', `sqlite:${missing}`, '--to', withSecret(target.env.DATABASE_URL));
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toEqual([`Copy refused: --from sqlite:${missing} does not exist`]);
    expect(existsSync(missing)).toBe(false);
    expect(await hasUsersTable(target)).toBe(false);
  });

  it('fails in one line, without the password, when the target cannot be reached', async () => {
    const exit = await copy(
      '--from',
      `sqlite:${file}`,
      '--to',
      `postgres://postgres:${SECRET}@127.0.0.1:1/postgres`,
    );
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toEqual([
      'Copy failed: cannot open and migrate --to postgres://postgres:***@127.0.0.1:1/postgres: connect ECONNREFUSED 127.0.0.1:1',
    ]);
  });

  it('does not create a SQLite target when the source cannot be opened', async () => {
    const never = join(dir, 'never', 'app.db');
    const exit = await copy(
      '--from',
      `postgres://postgres:${SECRET}@127.0.0.1:1/postgres`,
      '--to',
      `sqlite:${never}`,
    );
    expect(exit.code).toBe(1);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toEqual([
      'Copy failed: cannot open and migrate --from postgres://postgres:***@127.0.0.1:1/postgres: connect ECONNREFUSED 127.0.0.1:1',
    ]);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it.each([
    ['no arguments', []],
    ['no --to', ['--from', 'sqlite:a.db']],
    ['no --from', ['--to', `postgres://postgres:${SECRET}@127.0.0.1/postgres`]],
    ['a flag without its value', ['--from', '--to', `postgres://postgres:${SECRET}@127.0.0.1/postgres`]],
    ['an unknown option', ['--form', 'sqlite:a.db', '--to', `postgres://u:${SECRET}@h/db`]],
    ['a URL without its flag', ['--from', 'sqlite:a.db', `postgres://u:${SECRET}@h/db`]],
    ['a flag given twice', ['--from', 'sqlite:a.db', '--from', 'sqlite:b.db', '--to', 'sqlite:c.db']],
    ['another database', ['--from', `mysql://u:${SECRET}@h/db`, '--to', 'sqlite:c.db']],
    ['a URL that does not parse', ['--from', 'sqlite:a.db', '--to', `postgres://u:${SECRET}@h:port/db`]],
    ['an in-memory database', ['--from', 'sqlite::memory:', '--to', 'sqlite:c.db']],
  ])('rejects %s with the usage line and exit 2', async (_, args) => {
    const exit = await copy(...args);
    expect(exit.code).toBe(2);
    expect(exit.stdout).toBe('');
    expect(lines(exit.stderr)).toHaveLength(1);
    expect(exit.stderr).toContain(USAGE);
    // Nothing was opened, so nothing was created.
    for (const name of ['a.db', 'b.db', 'c.db']) expect(existsSync(join(ROOT, name))).toBe(false);
  });
});
