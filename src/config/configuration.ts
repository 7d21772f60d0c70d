import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import ms from 'ms';

export type Protocol = 'http' | 'https' | 'http2';
export type Registration = 'open' | 'closed';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'verbose';
export type LogFormat = 'json' | 'pretty';

export type DatabaseConfig =
  | { dialect: 'sqlite'; file: string }
  | {
      dialect: 'postgres';
      url: string;
      poolSize: number;
      /** How long a request waits for a connection or for one query before its 503. */
      queryTimeoutMs: number;
    };

/** Where sessions live when `REDIS_URL` is set; every key starts with `prefix`. */
export interface RedisConfig {
  url: string;
  prefix: string;
  /** How long a command waits for its answer before the request gets 503. */
  commandTimeoutMs: number;
}

/** PEM file paths; read and checked when the server starts (src/server/tls.ts). */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string[];
}

export interface ServerTimeouts {
  /** Time to receive a request's headers (slow clients get 408). */
  headersMs: number;
  /** Time to receive a whole request. */
  requestMs: number;
  /** How long an idle keep-alive connection, or HTTP/2 session, stays open. */
  keepAliveMs: number;
}

/**
 * Where Prometheus scrapes `/metrics`: on the app port behind a bearer token, or on a separate
 * plain-HTTP port (served by the supervisor when clustered; the app port then has none).
 */
export interface MetricsConfig {
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token: string | undefined;
  port: number | undefined;
  /** Where the separate port listens (`METRICS_HOST`, else `HOST`). */
  host: string;
}

/** At most `limit` requests per `ttlMs` window from one address. */
export interface RateLimit {
  limit: number;
  ttlMs: number;
}

/** The validated configuration; the only place `process.env` is read. */
export class AppConfig {
  readonly nodeEnv!: string;
  readonly port!: number;
  readonly host!: string;
  readonly protocol!: Protocol;
  /** Set exactly when `protocol` is https or http2. */
  readonly tls!: TlsFiles | undefined;
  /** Strict-Transport-Security max-age under TLS; 0 sends none. */
  readonly hstsMaxAgeSeconds!: number;
  /** A plain-HTTP port that redirects everything to the TLS port. */
  readonly httpRedirectPort!: number | undefined;
  readonly timeouts!: ServerTimeouts;
  /** The largest request body accepted, in bytes, after decompression (413 beyond). */
  readonly bodyLimitBytes!: number;
  /** Processes serving requests; 1 means no cluster at all. */
  readonly workers!: number;
  /** How long in-flight requests may take to finish when stopping. */
  readonly shutdownTimeoutMs!: number;
  /** A worker using more than this much memory is replaced (rolling, like a reload). */
  readonly maxWorkerMemoryMb!: number | undefined;
  readonly database!: DatabaseConfig;
  /** Set when sessions live in Redis rather than in the database. */
  readonly redis!: RedisConfig | undefined;
  /** The first secret signs new cookies; all of them verify. */
  readonly sessionSecrets!: string[];
  readonly sessionIdleTimeoutMs!: number;
  readonly sessionAbsoluteTimeoutMs!: number;
  readonly registration!: Registration;
  /** Per-address limits on logins and sign-ups; undefined when turned off. */
  readonly rateLimits!: { login: RateLimit | undefined; signup: RateLimit | undefined };
  readonly trustProxy!: boolean | number | string;
  readonly logLevel!: LogLevel;
  /** `json`: one object per line, for machines; `pretty`: readable lines, for a terminal. */
  readonly logFormat!: LogFormat;
  /** Undefined when metrics are off: nothing is recorded and nothing served. */
  readonly metrics!: MetricsConfig | undefined;

  get production(): boolean {
    return this.nodeEnv === 'production';
  }

  get secureCookies(): boolean {
    return this.protocol !== 'http';
  }

  static from(values: Omit<AppConfig, 'production' | 'secureCookies'>): AppConfig {
    return Object.freeze(Object.assign(new AppConfig(), values));
  }
}

/** A bad environment value; its message is the one line printed before exiting. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'];
const MIN_PRODUCTION_SECRET_BYTES = 32;
const MAX_DURATION_MS = 365 * 24 * 3_600_000;
export const DEFAULT_DATABASE_URL = 'sqlite:data/app.db';

/**
 * Parses and validates the environment. Throws {@link ConfigError} naming the first bad variable.
 * In development without `SESSION_SECRET` it reads (or creates once) a secret file beside the
 * SQLite database, so sessions survive restarts.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const database = parseDatabaseUrl(
    value(env, 'DATABASE_URL') ?? DEFAULT_DATABASE_URL,
    parseCount(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    parseDuration(env, 'DATABASE_QUERY_TIMEOUT', '500ms', SHORT_WAIT),
  );
  const idle = parseDuration(env, 'SESSION_IDLE_TIMEOUT', '30m');
  const absolute = parseDuration(env, 'SESSION_ABSOLUTE_TIMEOUT', '12h');
  if (absolute < idle) {
    throw new ConfigError('SESSION_ABSOLUTE_TIMEOUT', 'must not be shorter than SESSION_IDLE_TIMEOUT');
  }
  const protocol = oneOf<Protocol>(env, 'PROTOCOL', ['http', 'https', 'http2'], 'http');
  const port = parsePort(env, 'PORT', '3000');
  const host = value(env, 'HOST') ?? '0.0.0.0';
  const httpRedirectPort = parseRedirectPort(env, protocol);
  return AppConfig.from({
    nodeEnv,
    port,
    host,
    protocol,
    tls: parseTlsFiles(env, protocol),
    hstsMaxAgeSeconds: parseHsts(env),
    httpRedirectPort,
    timeouts: parseTimeouts(env),
    bodyLimitBytes: parseSize(env, 'BODY_LIMIT', '100kb', 1024, 10 * 1024 * 1024),
    workers: parseCount(env, 'WORKERS', availableParallelism(), 1, 256),
    shutdownTimeoutMs: parseDuration(env, 'SHUTDOWN_TIMEOUT', '10s'),
    maxWorkerMemoryMb:
      value(env, 'MAX_WORKER_MEMORY_MB') === undefined
        ? undefined
        : parseCount(env, 'MAX_WORKER_MEMORY_MB', 0, 64, 1_048_576),
    database,
    redis: parseRedis(env),
    sessionSecrets: parseSecrets(value(env, 'SESSION_SECRET'), nodeEnv, database),
    sessionIdleTimeoutMs: idle,
    sessionAbsoluteTimeoutMs: absolute,
    registration: oneOf(env, 'REGISTRATION', ['open', 'closed'], 'open'),
    rateLimits: {
      login: parseRateLimit(env, 'RATE_LIMIT_LOGIN', '20/1m'),
      signup: parseRateLimit(env, 'RATE_LIMIT_SIGNUP', '30/1h'),
    },
    trustProxy: parseTrustProxy(value(env, 'TRUST_PROXY')),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf<LogFormat>(
      env,
      'LOG_FORMAT',
      ['json', 'pretty'],
      nodeEnv === 'production' ? 'json' : 'pretty',
    ),
    metrics: parseMetrics(env, host, [port, httpRedirectPort]),
  });
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === '' ? undefined : raw;
}

function show(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got ${show(raw)})`);
}

function parseTlsFiles(env: Env, protocol: Protocol): TlsFiles | undefined {
  const cert = value(env, 'TLS_CERT');
  const key = value(env, 'TLS_KEY');
  const ca = value(env, 'TLS_CA');
  if (protocol === 'http') {
    const stray = [
      ['TLS_CERT', cert],
      ['TLS_KEY', key],
      ['TLS_CA', ca],
    ].find(([, v]) => v !== undefined);
    // Set but unused would look like TLS while serving plain HTTP.
    if (stray) throw new ConfigError(stray[0]!, 'is set but PROTOCOL is http; set PROTOCOL=https or http2');
    return undefined;
  }
  if (!cert)
    throw new ConfigError('TLS_CERT', `is required when PROTOCOL=${protocol} (npm run cert makes one)`);
  if (!key)
    throw new ConfigError('TLS_KEY', `is required when PROTOCOL=${protocol} (npm run cert makes one)`);
  const caFiles = ca ? ca.split(',').map((f) => f.trim()) : [];
  if (caFiles.some((f) => f === ''))
    throw new ConfigError('TLS_CA', 'has an empty entry in its comma-separated list');
  return { cert, key, ca: caFiles };
}

function parseHsts(env: Env): number {
  const raw = value(env, 'HSTS_MAX_AGE');
  if (raw === '0' || raw === 'off') return 0;
  return Math.round(parseDuration(env, 'HSTS_MAX_AGE', '365d') / 1000);
}

function parseRedirectPort(env: Env, protocol: Protocol): number | undefined {
  if (value(env, 'HTTP_REDIRECT_PORT') === undefined) return undefined;
  if (protocol === 'http') throw new ConfigError('HTTP_REDIRECT_PORT', 'needs PROTOCOL=https or http2');
  return parsePort(env, 'HTTP_REDIRECT_PORT', '0');
}

function parseTimeouts(env: Env): ServerTimeouts {
  const timeouts = {
    headersMs: parseDuration(env, 'HEADERS_TIMEOUT', '20s'),
    requestMs: parseDuration(env, 'REQUEST_TIMEOUT', '60s'),
    keepAliveMs: parseDuration(env, 'KEEP_ALIVE_TIMEOUT', '5s'),
  };
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new ConfigError('HEADERS_TIMEOUT', 'must not be longer than REQUEST_TIMEOUT');
  }
  return timeouts;
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

function parseSize(env: Env, name: string, fallback: string, min: number, max: number): number {
  const raw = value(env, name) ?? fallback;
  const match = /^(\d{1,9})\s*(b|kb|mb)$/i.exec(raw);
  const size = match ? Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()] : NaN;
  if (!(size >= min && size <= max)) {
    throw new ConfigError(name, `must be a size from 1kb to 10mb, like 100kb or 1mb (got ${show(raw)})`);
  }
  return size;
}

function parseCount(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const count = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(count >= min && count <= max)) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got ${show(raw)})`);
  }
  return count;
}

function parsePort(env: Env, name: string, fallback: string): number {
  const raw = value(env, name) ?? fallback;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new ConfigError(name, `must be an integer from 0 to 65535 (got ${show(raw)})`);
  }
  return port;
}

/** Bounds and examples for a duration variable; the default is for timeouts of seconds and more. */
interface DurationRange {
  min: number;
  max: number;
  /** As the error message words them: "from 1s to 365d ..., like 45s, 30m or 12h". */
  words: string;
}

const LONG_WAIT: DurationRange = {
  min: 1000,
  max: MAX_DURATION_MS,
  words: 'from 1s to 365d with a unit, like 45s, 30m or 12h',
};
/** A wait on a dependency within one request: long enough for a busy server, short enough to fail fast. */
const SHORT_WAIT: DurationRange = {
  min: 10,
  max: 60_000,
  words: 'from 10ms to 60s with a unit, like 150ms or 2s',
};

function parseDuration(env: Env, name: string, fallback: string, range = LONG_WAIT): number {
  const raw = value(env, name) ?? fallback;
  // A bare number is ambiguous (seconds? milliseconds?), so a unit is required.
  const parsed = /^\d+(\.\d+)?\s*[a-z]+$/i.test(raw) ? ms(raw as ms.StringValue) : undefined;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < range.min || parsed > range.max) {
    throw new ConfigError(name, `must be a duration ${range.words} (got ${show(raw)})`);
  }
  return parsed;
}

export function parseDatabaseUrl(raw: string, poolSize = 10, queryTimeoutMs = 500): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '' || file.startsWith('//')) {
      throw new ConfigError('DATABASE_URL', `needs a file path, like sqlite:data/app.db (got ${show(raw)})`);
    }
    return { dialect: 'sqlite', file };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', `is not a valid URL (got ${show(redact(raw))})`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      'DATABASE_URL',
      `must start with sqlite: or postgres:// (got ${show(url.protocol)})`,
    );
  }
  if (!url.hostname)
    throw new ConfigError('DATABASE_URL', 'needs a host, like postgres://user:pass@host:5432/db');
  return { dialect: 'postgres', url: raw, poolSize, queryTimeoutMs };
}

function parseRedis(env: Env): RedisConfig | undefined {
  const url = parseRedisUrl(value(env, 'REDIS_URL'));
  const prefix = value(env, 'REDIS_PREFIX') ?? 'app:';
  if (!/^[\w.:-]{1,64}$/.test(prefix)) {
    throw new ConfigError('REDIS_PREFIX', `must be 1-64 letters, digits or . _ : - (got ${show(prefix)})`);
  }
  if (url === undefined) return undefined;
  return { url, prefix, commandTimeoutMs: parseDuration(env, 'REDIS_COMMAND_TIMEOUT', '150ms', SHORT_WAIT) };
}

function parseRedisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    throw new ConfigError('REDIS_URL', `must be a redis:// or rediss:// URL (got ${show(redact(raw))})`);
  }
  return raw;
}

function parseRateLimit(env: Env, name: string, fallback: string): RateLimit | undefined {
  const raw = value(env, name) ?? fallback;
  if (raw === 'off') return undefined;
  const match = /^(\d{1,7})\/(\d+(\.\d+)?\s*[a-z]+)$/i.exec(raw);
  const limit = match ? Number(match[1]) : 0;
  const ttlMs = match ? ms(match[2] as ms.StringValue) : NaN;
  if (!match || limit < 1 || !(ttlMs >= 1000 && ttlMs <= MAX_DURATION_MS)) {
    throw new ConfigError(
      name,
      `must be requests/duration from 1s to 365d, like 20/1m, or off (got ${show(raw)})`,
    );
  }
  return { limit, ttlMs };
}

/**
 * Process metrics tell strangers too much (memory, versions, traffic), so they are served only
 * behind a token or on a port of their own: on when either is set, never public by default.
 */
function parseMetrics(env: Env, host: string, taken: Array<number | undefined>): MetricsConfig | undefined {
  // Unset: on exactly when there is a safe place to serve them.
  const switched =
    value(env, 'METRICS') === undefined ? undefined : oneOf(env, 'METRICS', ['on', 'off'], 'on');
  const token = value(env, 'METRICS_TOKEN');
  if (token !== undefined && !/^[\w.~+/-]{16,256}=*$/.test(token)) {
    throw new ConfigError(
      'METRICS_TOKEN',
      'must be 16-256 letters, digits or - . _ ~ + / (openssl rand -hex 32 makes one)',
    );
  }
  const port = value(env, 'METRICS_PORT') === undefined ? undefined : parsePort(env, 'METRICS_PORT', '0');
  if (port !== undefined && port !== 0 && taken.includes(port)) {
    throw new ConfigError('METRICS_PORT', `must differ from PORT and HTTP_REDIRECT_PORT (got ${port})`);
  }
  const metricsHost = value(env, 'METRICS_HOST');
  if (metricsHost !== undefined && port === undefined) {
    throw new ConfigError('METRICS_HOST', 'needs METRICS_PORT');
  }
  const exposed = token !== undefined || port !== undefined;
  if (switched === 'on' && !exposed) {
    throw new ConfigError(
      'METRICS',
      'is on but neither METRICS_TOKEN nor METRICS_PORT is set (metrics are never served publicly)',
    );
  }
  if (switched === 'off' || !exposed) return undefined;
  return { token, port, host: metricsHost ?? host };
}

function parseTrustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  // Express also accepts addresses, subnets and names such as loopback, comma-separated.
  if (/^[\w.:/, -]+$/.test(raw)) return raw;
  throw new ConfigError('TRUST_PROXY', `must be true, a hop count, or addresses/subnets (got ${show(raw)})`);
}

function parseSecrets(raw: string | undefined, nodeEnv: string, database: DatabaseConfig): string[] {
  if (raw !== undefined) {
    const secrets = raw.split(',').map((s) => s.trim());
    if (secrets.some((s) => s === '')) {
      throw new ConfigError('SESSION_SECRET', 'has an empty entry in its comma-separated list');
    }
    // Every entry verifies cookies, so a short old one is as forgeable as a short current one.
    if (nodeEnv === 'production' && secrets.some((s) => Buffer.byteLength(s) < MIN_PRODUCTION_SECRET_BYTES)) {
      throw new ConfigError(
        'SESSION_SECRET',
        `must have entries of at least ${MIN_PRODUCTION_SECRET_BYTES} bytes each when NODE_ENV=production`,
      );
    }
    return secrets;
  }
  if (nodeEnv === 'production') {
    throw new ConfigError('SESSION_SECRET', 'is required when NODE_ENV=production');
  }
  if (database.dialect !== 'sqlite') {
    // Every instance sharing a PostgreSQL database must sign cookies with the same secret.
    throw new ConfigError('SESSION_SECRET', 'is required when DATABASE_URL points to PostgreSQL');
  }
  return [readOrCreateSecret(join(dirname(database.file), 'session-secret'))];
}

function readOrCreateSecret(file: string): string {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Written aside, then linked into place: link fails if the file exists, so concurrent
    // first starts agree on one secret and nobody reads a half-written file.
    const pending = `${file}.${process.pid}.tmp`;
    writeFileSync(pending, randomBytes(32).toString('base64url'), { mode: 0o600 });
    try {
      linkSync(pending, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(pending);
    }
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 16) return secret;
    throw new Error('the file is empty or too short');
  } catch (error) {
    throw new ConfigError(
      'SESSION_SECRET',
      `is not set and ${file} cannot be used: ${(error as Error).message}`,
    );
  }
}

/** Hides everything between `scheme://` and the last `@`, even in a URL that does not parse. */
function redact(raw: string): string {
  return raw.replace(/^([a-z][\w+.-]*:\/\/)[^]*@/i, '$1***@');
}
