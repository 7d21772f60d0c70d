import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ConfigError } from '../config/configuration.js';
import { loadTls } from './tls.js';

describe(loadTls.name, () => {
  let dir: string;
  let files: { cert: string; key: string; ca: string[] };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tls-spec-'));
    execFileSync('bash', [join(import.meta.dirname, '..', '..', 'scripts', 'cert.sh'), dir], {
      stdio: 'ignore',
    });
    files = { cert: join(dir, 'localhost.pem'), key: join(dir, 'localhost-key.pem'), ca: [] };
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the material and the names the certificate covers', () => {
    const tls = loadTls(files);

    expect(tls.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls.key.toString()).toContain('PRIVATE KEY');
    expect(tls.ca).toBeUndefined();
    expect(tls.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  it('refuses a certificate that has expired', () => {
    const later = new Date(Date.now() + 400 * 24 * 3_600_000);

    expect(() => loadTls(files, later)).toThrow(ConfigError);
    expect(() => loadTls(files, later)).toThrow(/^TLS_CERT file \S+localhost\.pem expired on \d{4}-/);
  });

  it('reads every CA file', () => {
    expect(loadTls({ ...files, ca: [files.cert, files.cert] }).ca).toHaveLength(2);
  });
});
