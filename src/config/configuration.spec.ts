import { availableParallelism } from 'node:os';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppConfig,
  ConfigError,
  DEFAULT_DATABASE_URL,
  loadConfig,
  parseDatabaseUrl,
} from './configuration.js';

const SECRET = 'a-development-secret-for-tests';
const PRODUCTION_SECRET = 'p'.repeat(32);
// 12 characters, 36 bytes in UTF-8.
const KOREAN_SECRET = '비밀'.repeat(6);

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe(loadConfig.name, () => {
  describe('defaults', () => {
    let config: AppConfig;

    beforeAll(() => {
      config = loadConfig({ SESSION_SECRET: SECRET });
    });

    it('returns an AppConfig', () => {
      expect(config).toBeInstanceOf(AppConfig);
    });

    it('listens on 0.0.0.0:3000 over plain http', () => {
      expect(config.port).toBe(3000);
      expect(config.host).toBe('0.0.0.0');
      expect(config.protocol).toBe('http');
      expect(config.secureCookies).toBe(false);
    });

    it('uses the SQLite file data/app.db, which DEFAULT_DATABASE_URL names', () => {
      expect(config.database).toEqual({ dialect: 'sqlite', file: 'data/app.db' });
      expect(DEFAULT_DATABASE_URL).toBe('sqlite:data/app.db');
      expect(parseDatabaseUrl(DEFAULT_DATABASE_URL)).toEqual(config.database);
    });

    it('leaves registration open', () => {
      expect(config.registration).toBe('open');
    });

    it('times sessions out after 30 minutes idle and 12 hours in all', () => {
      expect(config.sessionIdleTimeoutMs).toBe(1_800_000);
      expect(config.sessionAbsoluteTimeoutMs).toBe(43_200_000);
    });

    it('runs in development without Redis or a trusted proxy', () => {
      expect(config.nodeEnv).toBe('development');
      expect(config.production).toBe(false);
      expect(config.redis).toBeUndefined();
      expect(config.trustProxy).toBe(false);
      expect(config.logLevel).toBe('info');
    });

    it('is frozen', () => {
      expect(Object.isFrozen(config)).toBe(true);
    });
  });

  it('treats blank values as unset', () => {
    const config = loadConfig({ SESSION_SECRET: SECRET, PORT: '  ', HOST: '', PROTOCOL: ' ' });

    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.protocol).toBe('http');
  });

  it('reads explicit values', () => {
    const config = loadConfig({
      SESSION_SECRET: SECRET,
      PORT: '8443',
      HOST: '127.0.0.1',
      PROTOCOL: 'http',
      REGISTRATION: 'closed',
      SESSION_IDLE_TIMEOUT: '45s',
      SESSION_ABSOLUTE_TIMEOUT: '1h',
      REDIS_URL: 'redis://cache:6379',
      TRUST_PROXY: '2',
      LOG_LEVEL: 'debug',
    });

    expect(config).toMatchObject({
      port: 8443,
      host: '127.0.0.1',
      protocol: 'http',
      secureCookies: false,
      registration: 'closed',
      sessionIdleTimeoutMs: 45_000,
      sessionAbsoluteTimeoutMs: 3_600_000,
      redis: { url: 'redis://cache:6379', prefix: 'app:', commandTimeoutMs: 150 },
      trustProxy: 2,
      logLevel: 'debug',
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'ftp://x'],
    ['DATABASE_URL', 'sqlite:'],
    ['DATABASE_URL', 'sqlite://host/file.db'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'postgres:///app'],
    ['SESSION_IDLE_TIMEOUT', 'soon'],
    ['SESSION_IDLE_TIMEOUT', '10'],
    ['SESSION_IDLE_TIMEOUT', '500ms'],
    ['SESSION_ABSOLUTE_TIMEOUT', '12 fortnights'],
    ['PROTOCOL', 'gopher'],
    ['NODE_ENV', 'staging'],
    ['NODE_ENV', 'prod'],
    ['SESSION_IDLE_TIMEOUT', '366d'],
    ['SESSION_ABSOLUTE_TIMEOUT', '366d'],
    ['REGISTRATION', 'maybe'],
    ['REDIS_URL', 'http://x'],
    ['REDIS_URL', 'cache:6379'],
    ['TRUST_PROXY', 'yes please!'],
    ['LOG_LEVEL', 'loud'],
  ])('throws ConfigError naming %s when it is %j', (variable, raw) => {
    const error = configError({ SESSION_SECRET: SECRET, [variable]: raw });

    expect(error.message.startsWith(`${variable} `)).toBe(true);
  });

  describe('logs', () => {
    it.each([
      ['development', 'pretty'],
      ['test', 'pretty'],
      ['production', 'json'],
    ])('writes them %s as %s by default', (nodeEnv, format) => {
      const config = loadConfig({ SESSION_SECRET: PRODUCTION_SECRET, NODE_ENV: nodeEnv });

      expect(config.logFormat).toBe(format);
    });

    it('reads LOG_FORMAT whatever NODE_ENV says', () => {
      expect(loadConfig({ SESSION_SECRET: SECRET, LOG_FORMAT: 'json' }).logFormat).toBe('json');
      expect(
        loadConfig({ SESSION_SECRET: PRODUCTION_SECRET, NODE_ENV: 'production', LOG_FORMAT: 'pretty' })
          .logFormat,
      ).toBe('pretty');
    });

    it('refuses an unknown LOG_FORMAT, naming the allowed ones', () => {
      expect(configError({ SESSION_SECRET: SECRET, LOG_FORMAT: 'xml' }).message).toBe(
        'LOG_FORMAT must be one of json, pretty (got "xml")',
      );
    });
  });

  describe('rate limits', () => {
    const FORMAT = 'must be requests/duration from 1s to 365d, like 20/1m, or off';

    it('allows 20 logins a minute and 30 sign-ups an hour by default', () => {
      expect(loadConfig({ SESSION_SECRET: SECRET }).rateLimits).toEqual({
        login: { limit: 20, ttlMs: 60_000 },
        signup: { limit: 30, ttlMs: 3_600_000 },
      });
    });

    it('reads RATE_LIMIT_LOGIN and RATE_LIMIT_SIGNUP', () => {
      const config = loadConfig({
        SESSION_SECRET: SECRET,
        RATE_LIMIT_LOGIN: '5/30s',
        RATE_LIMIT_SIGNUP: ' 1/1d ',
      });

      expect(config.rateLimits).toEqual({
        login: { limit: 5, ttlMs: 30_000 },
        signup: { limit: 1, ttlMs: 86_400_000 },
      });
    });

    it('turns each limit off on its own', () => {
      expect(loadConfig({ SESSION_SECRET: SECRET, RATE_LIMIT_LOGIN: 'off' }).rateLimits).toEqual({
        login: undefined,
        signup: { limit: 30, ttlMs: 3_600_000 },
      });
      expect(loadConfig({ SESSION_SECRET: SECRET, RATE_LIMIT_SIGNUP: 'off' }).rateLimits).toEqual({
        login: { limit: 20, ttlMs: 60_000 },
        signup: undefined,
      });
    });

    it.each(['RATE_LIMIT_LOGIN', 'RATE_LIMIT_SIGNUP'])('treats a blank %s as unset', (variable) => {
      const config = loadConfig({ SESSION_SECRET: SECRET, [variable]: ' ' });

      expect(config.rateLimits).toEqual(loadConfig({ SESSION_SECRET: SECRET }).rateLimits);
    });

    const BAD = [
      ['20', FORMAT],
      ['0/1m', FORMAT],
      ['x/1m', FORMAT],
      ['-1/1m', FORMAT],
      ['20/', FORMAT],
      ['OFF', FORMAT],
      ['20/1', FORMAT],
      ['20/1m/2', FORMAT],
      ['20/500ms', FORMAT],
      ['20/366d', FORMAT],
    ];

    it.each(
      ['RATE_LIMIT_LOGIN', 'RATE_LIMIT_SIGNUP'].flatMap((variable) =>
        BAD.map(([raw, problem]) => [variable, raw, `${variable} ${problem} (got "${raw}")`]),
      ),
    )('throws ConfigError naming %s when it is %j', (variable, raw, message) => {
      expect(configError({ SESSION_SECRET: SECRET, [variable]: raw }).message).toBe(message);
    });
  });

  describe('BODY_LIMIT', () => {
    it('accepts 100 kB by default', () => {
      expect(loadConfig({ SESSION_SECRET: SECRET }).bodyLimitBytes).toBe(102_400);
    });

    it.each([
      ['1kb', 1024],
      ['512 KB', 524_288],
      ['2mb', 2_097_152],
      ['10mb', 10_485_760],
      ['4096b', 4096],
    ])('reads %s as %i bytes', (raw, bytes) => {
      expect(loadConfig({ SESSION_SECRET: SECRET, BODY_LIMIT: raw }).bodyLimitBytes).toBe(bytes);
    });

    it.each(['100', '1023b', '11mb', '1gb', '1.5mb', '-1kb', 'lots'])(
      'refuses %j naming BODY_LIMIT',
      (raw) => {
        expect(configError({ SESSION_SECRET: SECRET, BODY_LIMIT: raw }).message).toBe(
          `BODY_LIMIT must be a size from 1kb to 10mb, like 100kb or 1mb (got "${raw}")`,
        );
      },
    );
  });

  describe('metrics', () => {
    const TOKEN = 'a-metrics-token-0123456789';

    it('are off without METRICS_TOKEN or METRICS_PORT: never public by default', () => {
      expect(loadConfig({ SESSION_SECRET: SECRET }).metrics).toBeUndefined();
    });

    it('are on with METRICS_TOKEN, on the app port', () => {
      expect(loadConfig({ SESSION_SECRET: SECRET, METRICS_TOKEN: TOKEN }).metrics).toEqual({
        token: TOKEN,
        port: undefined,
        host: '0.0.0.0',
      });
    });

    it('are on with METRICS_PORT, on HOST unless METRICS_HOST says otherwise', () => {
      const env = { SESSION_SECRET: SECRET, HOST: '10.0.0.5', METRICS_PORT: '9464' };

      expect(loadConfig(env).metrics).toEqual({ token: undefined, port: 9464, host: '10.0.0.5' });
      expect(loadConfig({ ...env, METRICS_HOST: '127.0.0.1', METRICS_TOKEN: TOKEN }).metrics).toEqual({
        token: TOKEN,
        port: 9464,
        host: '127.0.0.1',
      });
    });

    it('are off with METRICS=off whatever else is set', () => {
      const config = loadConfig({ SESSION_SECRET: SECRET, METRICS: 'off', METRICS_TOKEN: TOKEN });

      expect(config.metrics).toBeUndefined();
    });

    it('accept METRICS=on with a token', () => {
      expect(
        loadConfig({ SESSION_SECRET: SECRET, METRICS: 'on', METRICS_TOKEN: TOKEN }).metrics,
      ).toBeDefined();
    });

    it.each([
      [
        { METRICS: 'on' },
        'METRICS is on but neither METRICS_TOKEN nor METRICS_PORT is set (metrics are never served publicly)',
      ],
      [{ METRICS: 'yes' }, 'METRICS must be one of on, off (got "yes")'],
      [
        { METRICS_TOKEN: 'short' },
        'METRICS_TOKEN must be 16-256 letters, digits or - . _ ~ + / (openssl rand -hex 32 makes one)',
      ],
      [
        { METRICS_TOKEN: 'has a space in the middle' },
        'METRICS_TOKEN must be 16-256 letters, digits or - . _ ~ + / (openssl rand -hex 32 makes one)',
      ],
      [{ METRICS_PORT: 'ninety' }, 'METRICS_PORT must be an integer from 0 to 65535 (got "ninety")'],
      [{ METRICS_PORT: '3000' }, 'METRICS_PORT must differ from PORT and HTTP_REDIRECT_PORT (got 3000)'],
      [{ METRICS_HOST: '127.0.0.1' }, 'METRICS_HOST needs METRICS_PORT'],
    ])('refuses %j', (env, message) => {
      expect(configError({ SESSION_SECRET: SECRET, ...env }).message).toBe(message);
    });

    it('refuses METRICS_PORT equal to HTTP_REDIRECT_PORT', () => {
      const env = { PROTOCOL: 'https', TLS_CERT: 'c.pem', TLS_KEY: 'k.pem', HTTP_REDIRECT_PORT: '8080' };

      expect(configError({ SESSION_SECRET: SECRET, ...env, METRICS_PORT: '8080' }).message).toBe(
        'METRICS_PORT must differ from PORT and HTTP_REDIRECT_PORT (got 8080)',
      );
    });

    it('allows PORT=0 and METRICS_PORT=0 together (both pick a free port)', () => {
      expect(loadConfig({ SESSION_SECRET: SECRET, PORT: '0', METRICS_PORT: '0' }).metrics?.port).toBe(0);
    });
  });

  describe('processes', () => {
    it('uses every core by default and stops within 10 s', () => {
      const config = loadConfig({ SESSION_SECRET: SECRET });

      expect(config.workers).toBe(availableParallelism());
      expect(config.shutdownTimeoutMs).toBe(10_000);
      expect(config.maxWorkerMemoryMb).toBeUndefined();
    });

    it.each([
      [{ WORKERS: '0' }, 'WORKERS must be a whole number from 1 to 256 (got "0")'],
      [{ WORKERS: 'all' }, 'WORKERS must be a whole number from 1 to 256 (got "all")'],
      [
        { MAX_WORKER_MEMORY_MB: '10' },
        'MAX_WORKER_MEMORY_MB must be a whole number from 64 to 1048576 (got "10")',
      ],
      [
        { SHUTDOWN_TIMEOUT: 'soon' },
        'SHUTDOWN_TIMEOUT must be a duration from 1s to 365d with a unit, like 45s, 30m or 12h (got "soon")',
      ],
    ])('refuses %j', (env, message) => {
      expect(configError({ SESSION_SECRET: SECRET, ...env }).message).toBe(message);
    });

    it('reads WORKERS, SHUTDOWN_TIMEOUT and MAX_WORKER_MEMORY_MB', () => {
      const config = loadConfig({
        SESSION_SECRET: SECRET,
        WORKERS: '3',
        SHUTDOWN_TIMEOUT: '2s',
        MAX_WORKER_MEMORY_MB: '512',
      });

      expect([config.workers, config.shutdownTimeoutMs, config.maxWorkerMemoryMb]).toEqual([3, 2_000, 512]);
    });
  });

  describe('transport', () => {
    const tls = { SESSION_SECRET: SECRET, TLS_CERT: 'c.pem', TLS_KEY: 'k.pem' };

    it.each(['https', 'http2'])('takes PROTOCOL=%s with its TLS files', (protocol) => {
      const config = loadConfig({ ...tls, PROTOCOL: protocol, TLS_CA: 'a.pem, b.pem' });

      expect(config.protocol).toBe(protocol);
      expect(config.tls).toEqual({ cert: 'c.pem', key: 'k.pem', ca: ['a.pem', 'b.pem'] });
      expect(config.secureCookies).toBe(true);
    });

    it.each([
      [
        { PROTOCOL: 'https', TLS_KEY: 'k.pem' },
        'TLS_CERT is required when PROTOCOL=https (npm run cert makes one)',
      ],
      [
        { PROTOCOL: 'http2', TLS_CERT: 'c.pem' },
        'TLS_KEY is required when PROTOCOL=http2 (npm run cert makes one)',
      ],
      [{ TLS_CERT: 'c.pem' }, 'TLS_CERT is set but PROTOCOL is http; set PROTOCOL=https or http2'],
      [
        { ...tls, PROTOCOL: 'https', TLS_CA: 'a.pem,,b.pem' },
        'TLS_CA has an empty entry in its comma-separated list',
      ],
      [{ HTTP_REDIRECT_PORT: '8080' }, 'HTTP_REDIRECT_PORT needs PROTOCOL=https or http2'],
      [
        { ...tls, PROTOCOL: 'https', HTTP_REDIRECT_PORT: 'eighty' },
        'HTTP_REDIRECT_PORT must be an integer from 0 to 65535 (got "eighty")',
      ],
      [
        { HEADERS_TIMEOUT: '2m', REQUEST_TIMEOUT: '1m' },
        'HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT',
      ],
      [
        { KEEP_ALIVE_TIMEOUT: '5' },
        'KEEP_ALIVE_TIMEOUT must be a duration from 1s to 365d with a unit, like 45s, 30m or 12h (got "5")',
      ],
    ])('refuses %j', (env, message) => {
      expect(configError({ SESSION_SECRET: SECRET, ...env }).message).toBe(message);
    });

    it('sets deliberate server timeouts and a year of HSTS by default', () => {
      const config = loadConfig({ SESSION_SECRET: SECRET });

      expect(config.timeouts).toEqual({ headersMs: 20_000, requestMs: 60_000, keepAliveMs: 5_000 });
      expect(config.hstsMaxAgeSeconds).toBe(31_536_000);
      expect(config.httpRedirectPort).toBeUndefined();
    });

    it.each([
      ['1d', 86_400],
      ['0', 0],
      ['off', 0],
    ])('reads HSTS_MAX_AGE=%s as %d seconds', (raw, seconds) => {
      expect(loadConfig({ SESSION_SECRET: SECRET, HSTS_MAX_AGE: raw }).hstsMaxAgeSeconds).toBe(seconds);
    });
  });

  it.each(['development', 'production', 'test'])('accepts NODE_ENV=%s', (nodeEnv) => {
    const config = loadConfig({ SESSION_SECRET: PRODUCTION_SECRET, NODE_ENV: nodeEnv });

    expect(config.nodeEnv).toBe(nodeEnv);
    expect(config.production).toBe(nodeEnv === 'production');
  });

  it('names the allowed NODE_ENV values when refusing one', () => {
    const error = configError({ SESSION_SECRET: SECRET, NODE_ENV: 'Production' });

    expect(error.message).toBe('NODE_ENV must be one of development, production, test (got "Production")');
  });

  it('refuses a duration over 365 days with the 1s–365d message', () => {
    const error = configError({ SESSION_SECRET: SECRET, SESSION_ABSOLUTE_TIMEOUT: '366d' });

    expect(error.message).toBe(
      'SESSION_ABSOLUTE_TIMEOUT must be a duration from 1s to 365d with a unit, like 45s, 30m or 12h (got "366d")',
    );
  });

  it('refuses a duration under a second with the 1s–365d message', () => {
    const error = configError({ SESSION_SECRET: SECRET, SESSION_IDLE_TIMEOUT: '999ms' });

    expect(error.message).toBe(
      'SESSION_IDLE_TIMEOUT must be a duration from 1s to 365d with a unit, like 45s, 30m or 12h (got "999ms")',
    );
  });

  it('accepts durations of exactly 1s and 365d', () => {
    const config = loadConfig({
      SESSION_SECRET: SECRET,
      SESSION_IDLE_TIMEOUT: '1s',
      SESSION_ABSOLUTE_TIMEOUT: '365d',
    });

    expect(config.sessionIdleTimeoutMs).toBe(1000);
    expect(config.sessionAbsoluteTimeoutMs).toBe(365 * 24 * 3_600_000);
  });

  it('throws ConfigError naming SESSION_ABSOLUTE_TIMEOUT when it is shorter than the idle timeout', () => {
    const error = configError({
      SESSION_SECRET: SECRET,
      SESSION_IDLE_TIMEOUT: '2h',
      SESSION_ABSOLUTE_TIMEOUT: '1h',
    });

    expect(error.message).toMatch(/^SESSION_ABSOLUTE_TIMEOUT .*SESSION_IDLE_TIMEOUT/);
  });

  it('accepts an absolute timeout equal to the idle timeout', () => {
    const config = loadConfig({
      SESSION_SECRET: SECRET,
      SESSION_IDLE_TIMEOUT: '1h',
      SESSION_ABSOLUTE_TIMEOUT: '60m',
    });

    expect(config.sessionAbsoluteTimeoutMs).toBe(config.sessionIdleTimeoutMs);
  });

  it('strips the extra slashes of an absolute sqlite:/// path', () => {
    const config = loadConfig({ SESSION_SECRET: SECRET, DATABASE_URL: 'sqlite:///var/lib/app.db' });

    expect(config.database).toEqual({ dialect: 'sqlite', file: '/var/lib/app.db' });
  });

  describe('PostgreSQL', () => {
    const url = 'postgres://app:hunter2@db.example:5432/app';

    it.each([url, 'postgresql://app@db.example/app'])('parses %s as dialect postgres', (databaseUrl) => {
      const config = loadConfig({ SESSION_SECRET: SECRET, DATABASE_URL: databaseUrl });

      expect(config.database).toEqual({
        dialect: 'postgres',
        url: databaseUrl,
        poolSize: 10,
        queryTimeoutMs: 500,
      });
    });

    it('requires SESSION_SECRET', () => {
      const error = configError({ DATABASE_URL: url });

      expect(error.message).toMatch(/^SESSION_SECRET .*PostgreSQL/);
    });

    // Each of these fails to parse as a URL, so the message quotes the raw value, redacted.
    it.each([
      ['a port out of range', 'postgres://app:hunter2@db.example:99999/app'],
      ['a space in the host', 'postgres://app:hunter2@db example/app'],
      ['an empty host after the credentials', 'postgres://app:hunter2@/app'],
      ['a slash in the password', 'postgres://app:hun/ter2@db.example/app'],
      ['a slash after the password', 'postgres://app:hunter2/@db example/app'],
    ])('never shows the password of a DATABASE_URL with %s', (_label, databaseUrl) => {
      const error = configError({ DATABASE_URL: databaseUrl });

      expect(error.message).toMatch(/^DATABASE_URL is not a valid URL \(got "postgres:\/\/\*\*\*@/);
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('ter2');
    });

    it('shows only the scheme of a URL for another database', () => {
      const error = configError({ DATABASE_URL: 'mysql://app:hunter2@db.example/app' });

      expect(error.message).toBe('DATABASE_URL must start with sqlite: or postgres:// (got "mysql:")');
    });

    it('does not repeat a valid URL in the error that follows it', () => {
      const error = configError({ DATABASE_URL: 'postgres://app:hunter2@db.example/app' });

      expect(error.message).toBe('SESSION_SECRET is required when DATABASE_URL points to PostgreSQL');
    });
  });

  describe('REDIS_URL', () => {
    it.each([
      ['not a redis URL', 'http://u:hunter2@x'],
      ['not a URL at all', 'redis://u:hunter2@cache host:6379'],
    ])('never shows the password of a REDIS_URL that is %s', (_label, redisUrl) => {
      const error = configError({ SESSION_SECRET: SECRET, REDIS_URL: redisUrl });

      expect(error.message).toMatch(
        /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL \(got "\w+:\/\/\*\*\*@/,
      );
      expect(error.message).not.toContain('hunter2');
    });

    it('accepts rediss://', () => {
      const config = loadConfig({ SESSION_SECRET: SECRET, REDIS_URL: 'rediss://:pw@cache:6380/0' });

      expect(config.redis).toEqual({
        url: 'rediss://:pw@cache:6380/0',
        prefix: 'app:',
        commandTimeoutMs: 150,
      });
    });

    it('takes a key prefix, checked for characters that could split a key', () => {
      const config = loadConfig({
        SESSION_SECRET: SECRET,
        REDIS_URL: 'redis://cache',
        REDIS_PREFIX: 'shop:',
      });

      expect(config.redis?.prefix).toBe('shop:');
      expect(configError({ REDIS_URL: 'redis://cache', REDIS_PREFIX: 'a b*' }).message).toBe(
        'REDIS_PREFIX must be 1-64 letters, digits or . _ : - (got "a b*")',
      );
    });
  });

  describe('DATABASE_POOL_SIZE', () => {
    it('sizes the PostgreSQL pool, 10 connections unless set', () => {
      const url = 'postgres://app@db/app';
      expect(loadConfig({ SESSION_SECRET: SECRET, DATABASE_URL: url }).database).toEqual({
        dialect: 'postgres',
        url,
        poolSize: 10,
        queryTimeoutMs: 500,
      });
      expect(
        loadConfig({ SESSION_SECRET: SECRET, DATABASE_URL: url, DATABASE_POOL_SIZE: '3' }).database,
      ).toMatchObject({ poolSize: 3 });
      expect(configError({ DATABASE_POOL_SIZE: '0' }).message).toMatch(/^DATABASE_POOL_SIZE /);
    });
  });

  describe('DATABASE_QUERY_TIMEOUT and REDIS_COMMAND_TIMEOUT', () => {
    const postgres = {
      SESSION_SECRET: SECRET,
      DATABASE_URL: 'postgres://app@db/app',
      REDIS_URL: 'redis://cache',
    };

    it('take short durations with a unit, for one wait of one request', () => {
      const config = loadConfig({ ...postgres, DATABASE_QUERY_TIMEOUT: '2s', REDIS_COMMAND_TIMEOUT: '40ms' });

      expect(config.database).toMatchObject({ queryTimeoutMs: 2000 });
      expect(config.redis).toMatchObject({ commandTimeoutMs: 40 });
    });

    it.each([
      ['DATABASE_QUERY_TIMEOUT', '5'],
      ['DATABASE_QUERY_TIMEOUT', '5ms'],
      ['DATABASE_QUERY_TIMEOUT', '2m'],
      ['REDIS_COMMAND_TIMEOUT', 'fast'],
      ['REDIS_COMMAND_TIMEOUT', '0ms'],
    ])('refuse %s=%j, saying what they take', (variable, raw) => {
      expect(configError({ ...postgres, [variable]: raw }).message).toBe(
        `${variable} must be a duration from 10ms to 60s with a unit, like 150ms or 2s (got "${raw}")`,
      );
    });
  });

  describe('SESSION_SECRET', () => {
    it('splits a comma-separated list, signing with the first', () => {
      const config = loadConfig({ SESSION_SECRET: 'new-secret, old-secret ,older-secret' });

      expect(config.sessionSecrets).toEqual(['new-secret', 'old-secret', 'older-secret']);
    });

    it.each(['new-secret,,old-secret', 'new-secret,', ',new-secret', ' , '])(
      'rejects the list %j with an empty entry',
      (secrets) => {
        const error = configError({ SESSION_SECRET: secrets });

        expect(error.message).toMatch(/^SESSION_SECRET .*empty/);
      },
    );

    it('is required when NODE_ENV=production', () => {
      const error = configError({ NODE_ENV: 'production', DATABASE_URL: 'sqlite:data/app.db' });

      expect(error.message).toMatch(/^SESSION_SECRET .*production/);
    });

    it('must be at least 32 bytes when NODE_ENV=production', () => {
      const error = configError({ NODE_ENV: 'production', SESSION_SECRET: 'p'.repeat(31) });

      expect(error.message).toMatch(/^SESSION_SECRET .*32 bytes/);
    });

    it('requires every rotation entry to be 32 bytes in production, not just the first', () => {
      const error = configError({ NODE_ENV: 'production', SESSION_SECRET: `${PRODUCTION_SECRET},short-old` });

      expect(error.message).toMatch(/^SESSION_SECRET .*32 bytes/);
    });

    it('counts bytes, not characters, against the production minimum', () => {
      const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: KOREAN_SECRET });

      expect(config.production).toBe(true);
      expect(config.sessionSecrets).toEqual([KOREAN_SECRET]);
    });

    it('accepts a 32-byte secret in production', () => {
      const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: PRODUCTION_SECRET });

      expect(config.production).toBe(true);
      expect(config.sessionSecrets).toEqual([PRODUCTION_SECRET]);
    });
  });

  describe('secret file beside the SQLite database', () => {
    let dir: string;
    let env: Record<string, string>;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'configuration-spec-'));
      env = { DATABASE_URL: `sqlite:${join(dir, 'nested', 'app.db')}` };
    });

    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates session-secret with mode 0600 and uses its content', () => {
      const config = loadConfig(env);
      const file = join(dir, 'nested', 'session-secret');

      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(config.sessionSecrets).toEqual([readFileSync(file, 'utf8').trim()]);
      expect(config.sessionSecrets[0].length).toBeGreaterThanOrEqual(32);
    });

    it('returns the same secret on the next load', () => {
      const first = loadConfig(env);
      const second = loadConfig(env);

      expect(second.sessionSecrets).toEqual(first.sessionSecrets);
    });

    it('leaves no temporary file behind', () => {
      loadConfig(env);

      expect(readdirSync(join(dir, 'nested'))).toEqual(['session-secret']);
    });

    it('throws ConfigError naming SESSION_SECRET when the existing file is too short', () => {
      loadConfig(env);
      writeFileSync(join(dir, 'nested', 'session-secret'), 'short');

      const error = configError(env);

      expect(error.message).toMatch(/^SESSION_SECRET .*too short/);
    });
  });
});
