import '../runtime-check.js';
import { existsSync } from 'node:fs';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { ConfigError, type DatabaseConfig, parseDatabaseUrl } from '../config/configuration.js';
import { createDatabase } from './database.factory.js';
import type { Database, UsersTable } from './database.types.js';
import { migrateToLatest } from './migrate.js';

/**
 * `npm run db:copy -- --from <DATABASE_URL> --to <DATABASE_URL>`: copies every user from one
 * database into an empty one, typically SQLite to PostgreSQL. Ids, names, password hashes,
 * roles, timestamps and session versions are kept exactly, so everyone logs in as before.
 *
 * Sessions, rate limits and login attempts are not copied: everyone logs in again. Copying
 * sessions would be possible (their ids live in the browsers' cookies, signed with
 * SESSION_SECRET, so they would keep working under the same secret), but a scaled-out
 * deployment keeps its sessions in Redis, not in this table, where nothing would read them.
 * Rate limits and login attempts are counters that expire within minutes anyway.
 *
 * Exit codes: 0 copied, 1 refused or failed (nothing is written to --to but its schema),
 * 2 bad arguments.
 */

const USAGE = 'Usage: npm run db:copy -- --from <DATABASE_URL> --to <DATABASE_URL>';
const BATCH_SIZE = 500;

const COLUMNS = [
  'id',
  'name',
  'nameKey',
  'passwordHash',
  'role',
  'createdAt',
  'updatedAt',
  'sessionVersion',
] as const satisfies readonly (keyof UsersTable)[];

type UserRow = Selectable<UsersTable>;

/** Bad arguments: exit 2 with the usage line. */
class UsageError extends Error {}

/** A copy this tool will not make: exit 1. */
class Refusal extends Error {}

interface Endpoint {
  flag: '--from' | '--to';
  raw: string;
  config: DatabaseConfig;
}

/** Every string that must never be printed: the passwords of both URLs, raw and decoded. */
const secrets = new Set<string>();

function main(argv: string[]): Promise<number> | number {
  let from: Endpoint;
  let to: Endpoint;
  try {
    const args = parseArgs(argv);
    if (args === 'help') {
      console.log(USAGE);
      return 0;
    }
    from = endpoint('--from', args.from);
    to = endpoint('--to', args.to);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(redactUrls(`${error.message}. ${USAGE}`));
    return 2;
  }
  return copy(from, to);
}

function parseArgs(argv: string[]): { from: string; to: string } | 'help' {
  const values: { from?: string; to?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const match = /^--(from|to)(?:=([^]*))?$/.exec(arg);
    if (!match) {
      // Shown only through show(): it may be a URL with a password, typed without its flag.
      throw new UsageError(
        arg.startsWith('-') ? `unknown option ${show(arg)}` : `unexpected argument ${show(arg)}`,
      );
    }
    const name = match[1] as 'from' | 'to';
    const value = match[2] ?? (argv[i + 1]?.startsWith('-') ? undefined : argv[++i]);
    if (value === undefined || value.trim() === '') throw new UsageError(`--${name} needs a DATABASE_URL`);
    if (values[name] !== undefined) throw new UsageError(`--${name} is given twice`);
    remember(value.trim());
    values[name] = value.trim();
  }
  if (values.from === undefined) throw new UsageError('--from is missing');
  if (values.to === undefined) throw new UsageError('--to is missing');
  return { from: values.from, to: values.to };
}

function endpoint(flag: Endpoint['flag'], raw: string): Endpoint {
  let config: DatabaseConfig;
  try {
    // One connection for reading or writing, one for the migrator's lock.
    config = parseDatabaseUrl(raw, 2);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message.replace(/^DATABASE_URL/, flag));
    throw error;
  }
  if (config.dialect === 'sqlite' && config.file === ':memory:') {
    throw new UsageError(`${flag} must name a database file, not :memory:`);
  }
  return { flag, raw, config };
}

async function copy(from: Endpoint, to: Endpoint): Promise<number> {
  // A mistyped path would otherwise be created, migrated, and "copied" from: 0 users.
  if (from.config.dialect === 'sqlite' && !existsSync(from.config.file)) {
    console.error(`Copy refused: --from ${display(from.raw)} does not exist`);
    return 1;
  }
  const opened: Kysely<Database>[] = [];
  try {
    // The target is opened (for SQLite: created) only once the source has proved usable.
    const source = await open(from, opened);
    const target = await open(to, opened);
    const copied = await copyUsers(source, target, to);
    console.log(
      `copied ${copied} user${copied === 1 ? '' : 's'} from ${display(from.raw)} to ${display(to.raw)}`,
    );
    console.log('Sessions, rate limits and login attempts were not copied: everyone must log in again.');
    return 0;
  } catch (error) {
    console.error(
      error instanceof Refusal ? `Copy refused: ${error.message}` : `Copy failed: ${scrub(message(error))}`,
    );
    return 1;
  } finally {
    await Promise.allSettled(opened.map((db) => db.destroy()));
  }
}

/** Opens one side and brings it to the latest schema: the source must be at it to be read. */
async function open(side: Endpoint, opened: Kysely<Database>[]): Promise<Kysely<Database>> {
  try {
    const db = createDatabase(side.config);
    opened.push(db);
    await migrateToLatest(db);
    return db;
  } catch (error) {
    throw new Error(`cannot open and migrate ${side.flag} ${display(side.raw)}: ${message(error)}`, {
      cause: error,
    });
  }
}

/**
 * Copies every user in one transaction on the target, from one snapshot of the source; the
 * target must have none. Each batch is read back and compared column by column, so a value the
 * target would store differently (an upper-case uuid, a timestamp not in ISO form) rolls the
 * whole copy back instead of being changed on the way.
 */
async function copyUsers(source: Kysely<Database>, target: Kysely<Database>, to: Endpoint): Promise<number> {
  // Repeatable read gives PostgreSQL one snapshot; SQLite's transaction (WAL) is one already.
  return source
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((reader) =>
      target.transaction().execute(async (writer) => {
        if (to.config.dialect === 'postgres') {
          // Nobody else adds users while we check for none and fill the table; reads go on.
          // A server holding the table for long makes this fail clearly rather than wait forever.
          await sql`set local lock_timeout = '10s'`.execute(writer);
          await sql`lock table users in exclusive mode`.execute(writer);
        }
        const existing = await countUsers(writer);
        if (existing > 0) {
          throw new Refusal(
            `--to ${display(to.raw)} already has ${existing} user${existing === 1 ? '' : 's'}; ` +
              'db:copy only fills a database with no users',
          );
        }
        let copied = 0;
        let after: string | undefined;
        for (;;) {
          let query = reader.selectFrom('users').select(COLUMNS).orderBy('id').limit(BATCH_SIZE);
          if (after !== undefined) query = query.where('id', '>', after);
          const batch = (await query.execute()) as UserRow[];
          if (batch.length === 0) break;
          await writer.insertInto('users').values(batch).execute();
          await verify(writer, batch);
          copied += batch.length;
          after = batch[batch.length - 1].id;
        }
        const total = await countUsers(reader);
        if (copied !== total) throw new Error(`read ${copied} users but --from has ${total}`);
        return copied;
      }),
    );
}

async function countUsers(db: Transaction<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

async function verify(writer: Transaction<Database>, batch: UserRow[]): Promise<void> {
  const stored = new Map(
    (
      (await writer
        .selectFrom('users')
        .select(COLUMNS)
        .where(
          'id',
          'in',
          batch.map((user) => user.id),
        )
        .execute()) as UserRow[]
    ).map((user) => [user.id, user]),
  );
  for (const user of batch) {
    const readBack = stored.get(user.id);
    if (!readBack)
      throw new Refusal(`user ${user.id} would not be copied faithfully: its id differs in --to`);
    for (const column of COLUMNS) {
      if (readBack[column] !== user[column]) {
        // Never a password hash on screen, only that it differs.
        const values =
          column === 'passwordHash'
            ? ''
            : `: ${JSON.stringify(user[column])} in --from, ${JSON.stringify(readBack[column])} read back from --to`;
        throw new Refusal(`user ${user.id} would not be copied faithfully: its ${column} differs${values}`);
      }
    }
  }
}

function remember(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return;
  }
  for (const value of [url.password, ...passwordParams(url).map(([, v]) => v)]) {
    if (value === '') continue;
    secrets.add(value);
    try {
      secrets.add(decodeURIComponent(value));
    } catch {
      // Not percent-encoded validly: the raw form is remembered already.
    }
  }
}

function passwordParams(url: URL): [string, string][] {
  return [...url.searchParams].filter(([key]) => /pass/i.test(key));
}

/** A database URL as it may be printed: any password replaced by ***. */
function display(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return redactUrls(raw);
  }
  if (url.protocol === 'sqlite:') return raw;
  if (url.password) url.password = '***';
  for (const [key] of passwordParams(url)) url.searchParams.set(key, '***');
  return url.toString();
}

/**
 * Text from elsewhere (a driver's error) as it may be printed: every known password removed,
 * even outside a URL, then any URL's user-info.
 */
function scrub(text: string): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join('***');
  }
  return redactUrls(result);
}

/**
 * As configuration.ts does: everything from `scheme://` to the last `@` before white space,
 * except a URL that display() has made safe already (`user:***@`).
 */
function redactUrls(text: string): string {
  return text.replace(/([a-z][\w+.-]*:\/\/)(?![^\s:/@]*:\*\*\*@)\S*@/gi, '$1***@');
}

/** An argument as it may be printed: URL user-info hidden first, then cut short. */
function show(arg: string): string {
  const safe = redactUrls(arg);
  return JSON.stringify(safe.length > 40 ? `${safe.slice(0, 40)}…` : safe);
}

/** An error's message on one line. */
function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}

Promise.resolve()
  .then(() => main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`Copy failed: ${scrub(message(error))}`);
      process.exitCode = 1;
    },
  );
