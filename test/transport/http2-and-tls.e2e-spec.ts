import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http1Client, http2Client, makeCertificate } from '../utils/clients.js';
import { MAIN, run, startServer } from '../utils/server-process.js';

const PASSWORD = 'a long enough password';

describe('HTTP/2 and TLS', () => {
  let dir: string;
  let cert: string;
  let key: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'users-h2-'));
    ({ cert, key } = makeCertificate(join(dir, 'certs')));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('never mixes up two users across 100 concurrent streams on one connection', async () => {
    const server = await startServer(dir, { PROTOCOL: 'http2', TLS_CERT: cert, TLS_KEY: key });
    const client = http2Client(server.url, readFileSync(cert));
    try {
      const cookies: Record<string, string> = {};
      for (const name of ['alice', 'bob']) {
        await client.request('POST', '/api/users', { body: { name, password: PASSWORD } });
        const login = await client.request('POST', '/api/auth/login', { body: { name, password: PASSWORD } });
        cookies[name] = login.cookie!;
      }
      const asked = Array.from({ length: 100 }, (_, i) => (i % 2 ? 'alice' : 'bob'));
      const replies = await Promise.all(
        asked.map((name) => client.request('GET', '/api/auth/me', { cookie: cookies[name] })),
      );
      expect(replies.map((r) => r.status)).toEqual(asked.map(() => 200));
      expect(replies.map((r) => r.json<{ name: string }>().name)).toEqual(asked);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('shuts down within a second with an idle HTTP/2 client and an idle HTTP/1.1 keep-alive client', async () => {
    const server = await startServer(dir, { PROTOCOL: 'http2', TLS_CERT: cert, TLS_KEY: key });
    const h2 = http2Client(server.url, readFileSync(cert));
    const h1 = http1Client(server.url, readFileSync(cert));
    try {
      expect((await h2.request('GET', '/api/auth/status')).status).toBe(200);
      expect((await h1.request('GET', '/api/auth/status')).status).toBe(200);
      const sessionClosed = once(h2.session, 'close');
      const started = Date.now();
      const exited = once(server.child, 'exit');
      server.child.kill('SIGTERM');
      await exited;
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(1000);
      // The server ended the idle HTTP/2 session itself (GOAWAY) rather than waiting for it.
      await sessionClosed;
    } finally {
      h2.close();
      h1.close();
    }
  });

  describe('bad TLS configuration stops start-up with one line and exit code 1', () => {
    let other: { cert: string; key: string };
    let notPem: string;
    let folder: string;

    beforeAll(() => {
      other = makeCertificate(join(dir, 'other'));
      notPem = join(dir, 'not.pem');
      writeFileSync(notPem, 'hello, I am not a certificate\n');
      folder = join(dir, 'a-folder');
      mkdirSync(folder, { recursive: true });
    });

    it.each([
      [
        'no TLS_CERT',
        () => ({ PROTOCOL: 'https' }),
        /^Configuration error: TLS_CERT is required when PROTOCOL=https/,
      ],
      [
        'a missing certificate file',
        () => ({ PROTOCOL: 'http2', TLS_CERT: join(dir, 'nope.pem'), TLS_KEY: key }),
        /^Configuration error: TLS_CERT file \S+nope\.pem does not exist$/,
      ],
      [
        'a folder as the key',
        () => ({ PROTOCOL: 'https', TLS_CERT: cert, TLS_KEY: folder }),
        /^Configuration error: TLS_KEY file \S+a-folder is a folder$/,
      ],
      [
        'a path through a file',
        () => ({ PROTOCOL: 'https', TLS_CERT: join(notPem, 'cert.pem'), TLS_KEY: key }),
        /^Configuration error: TLS_CERT file \S+not\.pem\/cert\.pem cannot be read \(ENOTDIR\)$/,
      ],
      [
        'a certificate that is not PEM',
        () => ({ PROTOCOL: 'https', TLS_CERT: notPem, TLS_KEY: key }),
        /^Configuration error: TLS_CERT file \S+not\.pem is not a PEM certificate$/,
      ],
      [
        'a key that is not PEM',
        () => ({ PROTOCOL: 'https', TLS_CERT: cert, TLS_KEY: notPem }),
        /^Configuration error: TLS_KEY file \S+not\.pem is not a PEM private key/,
      ],
      [
        'a key from another certificate',
        () => ({ PROTOCOL: 'http2', TLS_CERT: cert, TLS_KEY: other.key }),
        /^Configuration error: TLS_KEY file \S+other\/localhost-key\.pem does not match the certificate in \S+$/,
      ],
      [
        'a CA list with a bad entry',
        () => ({ PROTOCOL: 'https', TLS_CERT: cert, TLS_KEY: key, TLS_CA: `${cert},${notPem}` }),
        /^Configuration error: TLS_CA file \S+not\.pem is not a PEM certificate$/,
      ],
      [
        'TLS files with plain HTTP',
        () => ({ TLS_CERT: cert, TLS_KEY: key }),
        /^Configuration error: TLS_CERT is set but PROTOCOL is http/,
      ],
    ])('%s', async (_, env, line) => {
      const result = await run(dir, [MAIN], env());
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(line);
    });

    it('accepts several CA files', async () => {
      const server = await startServer(dir, {
        PROTOCOL: 'https',
        TLS_CERT: cert,
        TLS_KEY: key,
        TLS_CA: `${cert}, ${other.cert}`,
      });
      await server.stop();
      expect(server.url).toMatch(/^https:/);
    });
  });
});
