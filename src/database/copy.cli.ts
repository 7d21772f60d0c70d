import '../runtime-check.js';
import { existsSync } from 'node:fs';
import { type Kysely, sql, type Transaction } from 'kysely';
import { ConfigError, type DatabaseConfig, parseDatabaseUrl } from '../config/configuration.js';
import { createDatabase } from './database.factory.js';
import type { Database } from './database.types.js';
import { migrateToLatest } from './migrate.js';

/**
 * `npm run db:copy -- --from <DATABASE_URL> --to <DATABASE_URL>`: copies every table the
 * migrations made (users, sessions, rate limits, login attempts, and any module's own) from one
 * database into an empty one, typically SQLite to PostgreSQL, in foreign-key order. Every value
 * is kept exactly (ids, password hashes, timestamps, session versions), checked by reading it
 * back, so everyone logs in as before; sessions stay valid under the same SESSION_SECRET.
 *
 * Exit codes: 0 copied, 1 refused or failed (nothing is written to --to but its schema),
 * 2 bad arguments.
 */

const USAGE = 'Usage: npm run db:copy -- --from <DATABASE_URL> --to <DATABASE_URL>';
const BATCH_SIZE = 500;

/** What is never printed of a row, only that it differs. */
const SECRET_COLUMN = /pass|hash|secret|token|data/i;

type Row = Record<string, unknown>;
/** Any table, by its own name and columns: db:copy knows no table in advance. */
type AnyTables = Record<string, Row>;

/** A table as db:copy sees it: its columns and the one column that identifies a row. */
interface Table {
  name: string;
  columns: string[];
  key: string;
  /** Tables whose rows this one's foreign keys point to. */
  references: string[];
}

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
    const tables = await inCopyOrder(source, from.config.dialect);
    const copied = await copyTables(source, target, tables, to);
    const counts = tables.map(({ name }) => `${copied.get(name)} ${name}`).join(', ');
    console.log(`copied ${counts} from ${display(from.raw)} to ${display(to.raw)}`);
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
 * The tables the migrations made, each after the tables its foreign keys point to. Both sides
 * are migrated to the same schema first, so the source's tables are the target's.
 */
async function inCopyOrder(db: Kysely<Database>, dialect: DatabaseConfig['dialect']): Promise<Table[]> {
  const raw = db.withoutPlugins();
  const tables: Table[] = [];
  // PostgreSQL lists every schema's tables: only those of the schema the URL works in count.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(raw)).rows[0].schema
      : undefined;
  const found = (await raw.introspection.getTables()).filter((t) => !t.isView && t.schema === schema);
  for (const { name, columns } of found) {
    const keys = dialect === 'sqlite' ? await sqliteKeys(raw, name) : await postgresKeys(raw, name);
    if (keys.primary.length !== 1) {
      throw new Refusal(`table ${name} has no single-column primary key, which db:copy needs`);
    }
    tables.push({
      name,
      columns: columns.map((c) => c.name),
      key: keys.primary[0],
      references: keys.references.filter((t) => t !== name),
    });
  }
  const ordered: Table[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.filter((t) => !placed.has(t.name) && t.references.every((r) => placed.has(r)));
    if (ready.length === 0)
      throw new Refusal("the tables' foreign keys form a cycle; db:copy cannot order them");
    for (const table of ready.sort((a, b) => a.name.localeCompare(b.name))) {
      ordered.push(table);
      placed.add(table.name);
    }
  }
  return ordered;
}

interface Keys {
  primary: string[];
  references: string[];
}

async function sqliteKeys(db: Kysely<Database>, table: string): Promise<Keys> {
  const columns = await sql<{
    name: string;
    pk: number;
  }>`select name, pk from pragma_table_info(${table})`.execute(db);
  const foreign = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${table})`.execute(
    db,
  );
  return {
    primary: columns.rows.filter((c) => c.pk > 0).map((c) => c.name),
    references: foreign.rows.map((f) => f.table),
  };
}

async function postgresKeys(db: Kysely<Database>, table: string): Promise<Keys> {
  const primary = await sql<{ name: string }>`
    select a.attname as name from pg_index i
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = to_regclass(${table}) and i.indisprimary`.execute(db);
  const foreign = await sql<{ table: string }>`
    select confrelid::regclass::text as table from pg_constraint
    where conrelid = to_regclass(${table}) and contype = 'f'`.execute(db);
  return { primary: primary.rows.map((r) => r.name), references: foreign.rows.map((r) => r.table) };
}

/**
 * Copies every table in one transaction on the target, from one snapshot of the source; the
 * target must hold no rows. Each batch is read back and compared column by column, so a value
 * the target would store differently (an upper-case uuid, a timestamp not in ISO form) rolls the
 * whole copy back instead of being changed on the way. Column names are the tables' own (no
 * camel-casing), so a module's table needs no mapping here.
 */
async function copyTables(
  source: Kysely<Database>,
  target: Kysely<Database>,
  tables: Table[],
  to: Endpoint,
): Promise<Map<string, number>> {
  // Repeatable read gives PostgreSQL one snapshot; SQLite's transaction (WAL) is one already.
  return source
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((readerWithPlugins) =>
      target.transaction().execute(async (writerWithPlugins) => {
        const reader = readerWithPlugins.withoutPlugins() as unknown as Transaction<AnyTables>;
        const writer = writerWithPlugins.withoutPlugins() as unknown as Transaction<AnyTables>;
        if (to.config.dialect === 'postgres') {
          // Nobody else writes while we check for nothing and fill the tables; reads go on.
          // A server holding a table for long makes this fail clearly rather than wait forever.
          await sql`set local lock_timeout = '10s'`.execute(writer);
          for (const { name } of tables)
            await sql`lock table ${sql.table(name)} in exclusive mode`.execute(writer);
        }
        const existing: string[] = [];
        for (const { name } of tables) {
          const count = await countRows(writer, name);
          if (count > 0) existing.push(`${count} ${name}`);
        }
        if (existing.length > 0) {
          throw new Refusal(
            `--to ${display(to.raw)} already has ${existing.join(', ')}; db:copy only fills an empty database`,
          );
        }
        const copied = new Map<string, number>();
        for (const table of tables) copied.set(table.name, await copyTable(reader, writer, table));
        return copied;
      }),
    );
}

async function copyTable(
  reader: Transaction<AnyTables>,
  writer: Transaction<AnyTables>,
  table: Table,
): Promise<number> {
  const { name, key } = table;
  let copied = 0;
  let after: unknown;
  for (;;) {
    let query = reader.selectFrom(name).select(table.columns).orderBy(key).limit(BATCH_SIZE);
    if (after !== undefined) query = query.where(key, '>', after);
    const batch = (await query.execute()) as Row[];
    if (batch.length === 0) break;
    await writer.insertInto(name).values(batch).execute();
    await verify(writer, table, batch);
    copied += batch.length;
    after = batch[batch.length - 1][key];
  }
  const total = await countRows(reader, name);
  if (copied !== total) throw new Error(`read ${copied} ${name} but --from has ${total}`);
  return copied;
}

async function countRows(db: Transaction<AnyTables>, table: string): Promise<number> {
  const { rows } = await sql<{
    count: number | string | bigint;
  }>`select count(*) as count from ${sql.table(table)}`.execute(db);
  return Number(rows[0].count);
}

async function verify(writer: Transaction<AnyTables>, table: Table, batch: Row[]): Promise<void> {
  const { name, key, columns } = table;
  const rows = (await writer
    .selectFrom(sql.table(name).as('t'))
    .select(columns.map((c) => sql.ref(c).as(c)))
    .where(
      sql.ref(key),
      'in',
      batch.map((row) => row[key]),
    )
    .execute()) as Row[];
  const stored = new Map(rows.map((row) => [row[key], row]));
  for (const row of batch) {
    const readBack = stored.get(row[key]);
    if (!readBack)
      throw new Refusal(
        `${name} ${String(row[key])} would not be copied faithfully: its ${key} differs in --to`,
      );
    for (const column of columns) {
      if (readBack[column] !== row[column]) {
        // Never a password hash or session data on screen, only that it differs.
        const values = SECRET_COLUMN.test(column)
          ? ''
          : `: ${JSON.stringify(row[column])} in --from, ${JSON.stringify(readBack[column])} read back from --to`;
        throw new Refusal(
          `${name} ${String(row[key])} would not be copied faithfully: its ${column} differs${values}`,
        );
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
