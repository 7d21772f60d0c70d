import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CamelCasePlugin,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
} from 'kysely';
import { Pool, type PoolClient, types } from 'pg';
import { DependencyCircuit } from '../common/circuit-breaker.js';
import { DependencyUnavailableError } from '../common/dependency-unavailable.error.js';
import type { DatabaseConfig } from '../config/configuration.js';
import type { Database } from './database.types.js';
import { withStatementCache } from './statement-cache.js';

const PG_INT8 = 20;
const PG_TIMESTAMPTZ = 1184;

/**
 * Opens the database `DATABASE_URL` names; every dialect difference stays in this folder.
 * `guarded`: the server's requests wait at most `DATABASE_QUERY_TIMEOUT` for PostgreSQL, and not
 * at all while it is known to be down (see {@link guardedPool}); migrations and copies do not.
 */
export function createDatabase(config: DatabaseConfig, { guarded = false } = {}): Kysely<Database> {
  const dialect = config.dialect === 'sqlite' ? sqliteDialect(config.file) : postgresDialect(config, guarded);
  return new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin()] });
}

function sqliteDialect(file: string): SqliteDialect {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Create the file ourselves so it is private; SQLite gives -wal/-shm the same mode.
    closeSync(openSync(file, 'a', 0o600));
  }
  const database = new BetterSqlite3(file, { timeout: 5000 });
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  return new SqliteDialect({ database: withStatementCache(database) });
}

function postgresDialect(
  { url, poolSize, queryTimeoutMs }: Extract<DatabaseConfig, { dialect: 'postgres' }>,
  guarded: boolean,
): PostgresDialect {
  const pool = new Pool({
    connectionString: url,
    max: poolSize,
    // A request waits at most this long for a connection (then 503), never forever.
    connectionTimeoutMillis: guarded ? queryTimeoutMs : UNGUARDED_CONNECT_TIMEOUT_MS,
    // And as long for each query's answer: a PostgreSQL that hangs (frozen, or a network that
    // drops packets) holds no request longer.
    ...(guarded && { query_timeout: queryTimeoutMs }),
    // Same shapes as SQLite: epoch numbers as numbers, timestamps as ISO strings.
    types: {
      getTypeParser: ((oid: number) => {
        if (oid === PG_INT8) return (value: string) => Number(value);
        if (oid === PG_TIMESTAMPTZ) return (value: string) => new Date(value).toISOString();
        return types.getTypeParser(oid) as (value: string) => unknown;
      }) as typeof types.getTypeParser,
    },
  });
  // An idle connection dropped by the server (a restart) is only logged by pg through this
  // event; unheard, it would crash the process. The pool opens a new connection when needed.
  pool.on('error', () => undefined);
  return new PostgresDialect({ pool: guarded ? guardedPool(pool) : pool });
}

const UNGUARDED_CONNECT_TIMEOUT_MS = 5000;

/**
 * The pool as the server's requests use it. While PostgreSQL is known to be down (queries in a
 * row that timed out or lost their connection), queries fail at once with a 503 instead of each
 * waiting out the timeout (a {@link DependencyCircuit}). The pool's connection is taken with the
 * first query, inside the circuit, so what the circuit counts is always a round trip to the
 * server (handing out an idle connection proves nothing). A connection whose query timed out is
 * closed, never handed out again: the query may still run once PostgreSQL answers, and a later
 * request must not find itself inside the transaction it began; closing the connection makes
 * PostgreSQL roll back whatever it left open.
 */
export function guardedPool(pool: Pool): PostgresPool {
  const circuit = new DependencyCircuit('database', isDatabaseUnavailable);
  return {
    options: pool.options,
    end: () => pool.end(),
    connect: () => Promise.resolve(guardedClient(pool, circuit)),
  };
}

function guardedClient(pool: Pool, circuit: DependencyCircuit): PostgresPoolClient {
  let client: PoolClient | undefined;
  let broken: unknown;
  return {
    query: ((sql: string, parameters: unknown[]) => {
      // After a timeout or a lost connection nothing more goes this way (Kysely's rollback
      // included, which would only wait behind the query that hangs): the request has its 503.
      if (broken !== undefined) return Promise.reject(new DependencyUnavailableError('database', broken));
      return circuit.run(async () => {
        client ??= await pool.connect();
        try {
          return await client.query(sql, parameters);
        } catch (error) {
          if (isDatabaseUnavailable(error)) broken = error;
          throw error;
        }
      });
    }) as unknown as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client?.release(destroy === true || broken !== undefined),
  };
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** True when `error` is a NOT NULL violation in either dialect. */
export function isNotNullViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'SQLITE_CONSTRAINT_NOTNULL' || code === '23502';
}

const UNAVAILABLE_CODES = new Set([
  // SQLite: another process holds the lock past the busy timeout, or the file cannot be used.
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  // PostgreSQL and the network: server shutting down, not accepting, or unreachable.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/**
 * True when `error` says the database cannot be reached or used right now (as opposed to a
 * bad query): the request may succeed later, so it deserves 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = errorCode(error);
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('SQLITE_IOERR'))
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  // pg reports a dropped or timed-out connection, and a query that timed out, without a code.
  return /^Connection terminated|timeout exceeded when trying to connect|^Query read timeout$|is not queryable|driver has already been destroyed/.test(
    message,
  );
}

/** True when `error` is a foreign-key violation in either dialect. */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/** True when `error` is a unique-constraint violation in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
