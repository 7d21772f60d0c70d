import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as connectHttp2, type ClientHttp2Stream } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeCertificate } from '../utils/clients.js';
import { type ServerProcess, startServer } from '../utils/server-process.js';

const BODY = JSON.stringify({ name: 'patient', password: 'a long enough password' });

interface Upload {
  finish(): void;
  reply: Promise<{ status: number; body: string }>;
}

/** Starts a POST /api/users, sends half its body and waits for finish() to send the rest. */
function halfUpload(server: ServerProcess, ca: Buffer, wire: 'h1' | 'h2'): Upload {
  const half = BODY.length >> 1;
  if (wire === 'h2') {
    const session = connectHttp2(server.url, { ca });
    const stream: ClientHttp2Stream = session.request({
      ':method': 'POST',
      ':path': '/api/users',
      'content-type': 'application/json',
    });
    stream.write(BODY.slice(0, half));
    const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
      let status = 0;
      let body = '';
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (c: Buffer) => (body += c.toString()));
      stream.on('end', () => {
        session.close();
        resolve({ status, body });
      });
      stream.on('error', reject);
    });
    return { finish: () => stream.end(BODY.slice(half)), reply };
  }
  let finish = () => {};
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(
      `${server.url}/api/users`,
      {
        method: 'POST',
        agent: new HttpsAgent({ ca, ALPNProtocols: ['http/1.1'] }),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.write(BODY.slice(0, half));
    finish = () => req.end(BODY.slice(half));
  });
  return { finish: () => finish(), reply };
}

describe('Connection lifecycle over TLS', () => {
  let dir: string;
  let tls: Record<string, string>;
  let ca: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'users-lifecycle-'));
    const { cert, key } = makeCertificate(join(dir, 'certs'));
    tls = { TLS_CERT: cert, TLS_KEY: key };
    ca = readFileSync(cert);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['https', 'h1'],
    ['http2', 'h1'],
    ['http2', 'h2'],
  ] as const)(
    'lets a request in flight over %s (%s) finish after SIGTERM, then exits',
    async (protocol, wire) => {
      const cwd = mkdtempSync(join(dir, 'run-'));
      const server = await startServer(cwd, { PROTOCOL: protocol, ...tls });
      const upload = halfUpload(server, ca, wire);
      await sleep(300);
      const exited = once(server.child, 'exit');
      server.child.kill('SIGTERM');
      await sleep(300);
      upload.finish();
      const reply = await upload.reply;
      expect(reply.status).toBe(201);
      expect(reply.body).toContain('"name":"patient"');
      await exited;
    },
  );

  it('keeps an HTTP/2 request alive through a pause longer than KEEP_ALIVE_TIMEOUT, then closes the idle session', async () => {
    const server = await startServer(mkdtempSync(join(dir, 'run-')), {
      PROTOCOL: 'http2',
      ...tls,
      KEEP_ALIVE_TIMEOUT: '1s',
    });
    try {
      const upload = halfUpload(server, ca, 'h2');
      await sleep(2000);
      upload.finish();
      expect((await upload.reply).status).toBe(201);

      const session = connectHttp2(server.url, { ca });
      const closed = once(session, 'close');
      const stream = session.request({ ':path': '/api/auth/status' });
      stream.resume();
      await once(stream, 'end');
      const idleFrom = Date.now();
      await closed;
      expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(900);
    } finally {
      await server.stop();
    }
  });

  it('resets an HTTP/2 stream whose body takes longer than REQUEST_TIMEOUT', async () => {
    const server = await startServer(mkdtempSync(join(dir, 'run-')), {
      PROTOCOL: 'http2',
      ...tls,
      HEADERS_TIMEOUT: '1s',
      REQUEST_TIMEOUT: '2s',
    });
    try {
      const session = connectHttp2(server.url, { ca });
      const stream = session.request({
        ':method': 'POST',
        ':path': '/api/users',
        'content-type': 'application/json',
      });
      stream.on('error', () => undefined);
      const trickle = setInterval(() => stream.write(' '), 500);
      await once(stream, 'close');
      clearInterval(trickle);
      expect(stream.rstCode).toBe(8);
      session.close();
    } finally {
      await server.stop();
    }
  });

  it('answers 408 to a client too slow sending its headers, within a second of HEADERS_TIMEOUT', async () => {
    const server = await startServer(mkdtempSync(join(dir, 'run-')), { HEADERS_TIMEOUT: '2s' });
    try {
      const { port } = new URL(server.url);
      const socket = connectTcp(Number(port), '127.0.0.1');
      let answer = '';
      const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 300);
      socket.on('data', (c: Buffer) => {
        answer += c.toString();
        clearInterval(trickle);
      });
      // Bytes still in flight when the server closes come back as a reset: that ends it too.
      const ended = new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.once('error', () => resolve());
      });
      socket.write('GET /api/auth/status HTTP/1.1\r\nHost: x\r\n');
      const started = Date.now();
      await ended;
      clearInterval(trickle);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(Date.now() - started).toBeLessThan(3500);
    } finally {
      await server.stop();
    }
  });

  it('refuses an HTTP/2 header block over 16 KiB with 431, as HTTP/1 does', async () => {
    const server = await startServer(mkdtempSync(join(dir, 'run-')), { PROTOCOL: 'http2', ...tls });
    try {
      const session = connectHttp2(server.url, { ca });
      session.on('error', () => undefined);
      const stream = session.request({ ':path': '/api/auth/status', cookie: `big=${'x'.repeat(60_000)}` });
      stream.on('error', () => undefined);
      let status = 0;
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.resume();
      await once(stream, 'close');
      expect(status).toBe(431);
      session.destroy();
    } finally {
      await server.stop();
    }
  });
});
