import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, ConfigError, loadConfig } from './configuration';

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

    it('uses the SQLite file data/app.db', () => {
      expect(config.database).toEqual({ dialect: 'sqlite', file: 'data/app.db' });
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
      expect(config.redisUrl).toBeUndefined();
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
      PROTOCOL: 'https',
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
      protocol: 'https',
      secureCookies: true,
      registration: 'closed',
      sessionIdleTimeoutMs: 45_000,
      sessionAbsoluteTimeoutMs: 3_600_000,
      redisUrl: 'redis://cache:6379',
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
    ['REGISTRATION', 'maybe'],
    ['REDIS_URL', 'http://x'],
    ['REDIS_URL', 'cache:6379'],
    ['TRUST_PROXY', 'yes please!'],
    ['LOG_LEVEL', 'loud'],
  ])('throws ConfigError naming %s when it is %j', (variable, raw) => {
    const error = configError({ SESSION_SECRET: SECRET, [variable]: raw });

    expect(error.message.startsWith(`${variable} `)).toBe(true);
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

      expect(config.database).toEqual({ dialect: 'postgres', url: databaseUrl });
    });

    it('requires SESSION_SECRET', () => {
      const error = configError({ DATABASE_URL: url });

      expect(error.message).toMatch(/^SESSION_SECRET .*PostgreSQL/);
    });

    it.each([
      'postgres://app:hunter2@db.example:99999/app',
      'postgres://app:hunter2@db example/app',
      'postgres://app:hunter2@/app',
      'mysql://app:hunter2@db.example/app',
      'postgres://app:hunter2@db.example/app',
      'postgres://app:hun/ter2@db.example/app',
      'postgres://app:hunter2/@db example/app',
    ])('never shows the password of %s in the error message', (databaseUrl) => {
      const error = configError({ DATABASE_URL: databaseUrl });

      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('ter2');
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
