import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import {
  type ClientHttp2Stream,
  connect as connectHttp2,
  createSecureServer,
  type Http2SecureServer,
} from 'node:http2';
import {
  type AddressInfo,
  connect as connectTcp,
  createServer as createNetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { closeGracefully } from './graceful-close.js';

// Long enough that "within the moment" below is never a race on a busy machine.
const GRACE_MS = 1_000;

describe(closeGracefully.name, () => {
  let dir: string;
  let ca: Buffer;
  let server: Http2SecureServer;
  let close: () => Promise<void>;
  let port: number;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'graceful-close-spec-'));
    execFileSync('bash', [join(import.meta.dirname, '..', '..', 'scripts', 'cert.sh'), dir], {
      stdio: 'ignore',
    });
    ca = readFileSync(join(dir, 'localhost.pem'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    const tls = { cert: ca, key: readFileSync(join(dir, 'localhost-key.pem')) };
    server = createSecureServer({ ...tls, allowHTTP1: true }, (_req, res) => res.end('served'));
    close = closeGracefully(server, GRACE_MS);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => {
    if (server.listening) server.close();
  });

  /** One GET over HTTP/1.1 on TLS over `socket`: what the server sent, once it closed. */
  function http1(socket: Socket): Promise<string> {
    const tls = connectTls({ socket, host: '127.0.0.1', ca, ALPNProtocols: ['http/1.1'] });
    tls.end('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    return receivedUntilClose(tls);
  }

  it('serves the first request of an HTTP/2 session opened just before the close, then sends GOAWAY', async () => {
    const session = connectHttp2(`https://127.0.0.1:${port}`, { ca });
    await once(session, 'connect');
    const closed = close();
    // The client writes its first request only now, after the server began closing.
    await sleep(50);
    const stream = session.request({ ':path': '/' });
    let body = '';
    stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
    const [[code, lastStreamId]] = await Promise.all([once(session, 'goaway'), once(stream, 'end')]);
    expect(body).toBe('served');
    expect(code).toBe(0); // NO_ERROR
    expect(lastStreamId).toBe(1);
    session.close();
    await closed;
  });

  it('serves a stream sent on an open HTTP/2 session after the close began, then sends GOAWAY', async () => {
    // What the server sends is held back, so the client cannot have seen the close when it sends
    // its second request.
    const relay = await holdingRelay(port);
    const session = connectHttp2(`https://127.0.0.1:${relay.port}`, { ca });
    session.on('error', () => undefined); // a refused stream fails on its own
    const body = (stream: ClientHttp2Stream) =>
      new Promise<string>((resolve, reject) => {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
    try {
      expect(await body(session.request({ ':path': '/' }))).toBe('served');
      relay.hold();
      let closed: Promise<void> | undefined;
      const closing = once(server, 'stream').then(() => {
        closed = close();
      });
      const first = body(session.request({ ':path': '/' }));
      await closing;
      const second = body(session.request({ ':path': '/' }));
      const goaway = once(session, 'goaway');
      await Promise.race([once(server, 'stream'), sleep(500)]);
      relay.release();
      expect(await Promise.all([first, second])).toEqual(['served', 'served']);
      const [code, lastStreamId] = (await goaway) as [number, number];
      expect(code).toBe(0); // NO_ERROR
      expect(lastStreamId).toBe(5); // the second of the two
      await closed;
    } finally {
      session.destroy();
      relay.close();
    }
  });

  it('serves a TLS client whose hello arrives just after the close began', async () => {
    const socket = connectTcp(port, '127.0.0.1');
    await once(socket, 'connect');
    // The server has accepted the connection, but no byte of it has arrived yet.
    await sleep(50);
    const closed = close();
    await sleep(50);
    expect(await http1(socket)).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\nserved$/);
    await closed;
  });

  it('does not wait for a connection that never sends a byte', async () => {
    const silent = connectTcp(port, '127.0.0.1');
    await once(silent, 'connect');
    await close();
    // The server dropped it: the client sees the end.
    if (!silent.readableEnded && !silent.destroyed) await once(silent, 'close');
    expect(silent.bytesRead).toBe(0);
  });
});

describe(`${closeGracefully.name} on a plain HTTP server that answers at once`, () => {
  it('answers a request on an idle keep-alive connection within the moment, saying Connection: close', async () => {
    const server = createHttpServer((_req, res) => res.end('served'));
    const close = closeGracefully(server, GRACE_MS);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connectTcp((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    const closed = close();
    await sleep(50);
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await receivedUntilClose(socket)).toMatch(
      /^HTTP\/1\.1 200 [^]*\r\nConnection: close\r\n[^]*\r\n\r\nserved$/,
    );
    await closed;
  });
});

/** What `socket` receives until the other side closes it; fails after 5 s without a close. */
async function receivedUntilClose(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.setTimeout(5_000, () =>
    socket.destroy(new Error(`no answer within 5 s; received ${JSON.stringify(text)}`)),
  );
  await once(socket, 'close');
  return text;
}

/** A TCP relay to `target` on 127.0.0.1 that can hold back what the server sends until released. */
async function holdingRelay(target: number) {
  let holding = false;
  const held: Array<() => void> = [];
  const pass = (send: () => void) => (holding ? held.push(send) : send());
  const relay = createNetServer((client) => {
    const upstream = connectTcp(target, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => pass(() => client.write(chunk)));
    upstream.on('end', () => pass(() => client.end()));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    port: (relay.address() as AddressInfo).port,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const send of held.splice(0)) send();
    },
    close: () => relay.close(),
  };
}
