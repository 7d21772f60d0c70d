import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { type Client, http1Client, http2Client, makeCertificate } from '../utils/clients.js';
import { type ServerProcess, startServer } from '../utils/server-process.js';

// Issue #7: a crowd of slow or abusive clients is cut off by the server's own limits, and
// everybody else is served meanwhile. Process-level: the built server (`npm run build` first).

const CROWD = 200;
const HEADERS_MS = 3000;
const KEEP_ALIVE_MS = 2000;
// Node checks header deadlines once a second (create-server.ts): a cut comes up to 1 s late.
const CHECK_SLACK_MS = 1500;
// Node 24 closes an idle keep-alive socket `keepAliveTimeoutBuffer` (1 s by default) after the
// advertised KEEP_ALIVE_TIMEOUT, so that a client trusting the advertised value never races the close.
const KEEP_ALIVE_BUFFER_MS = 1000;

interface Steady {
  replies: Array<{ path: string; status: number | string; at: number }>;
  stop(): Promise<void>;
}

// Stopped in afterAll too, so that a failed test cannot leave a client looping.
const steadies = new Set<Steady>();
const stopSteadies = () => Promise.all([...steadies].map((steady) => steady.stop()));

/**
 * A well-behaved client: GETs `paths` in turn, one request every `everyMs`, on one connection,
 * until stopped (or for 20 s at most). A request left unanswered for 5 s counts as a failure.
 */
function steadyClient(client: Client, paths: string[], everyMs: number): Steady {
  const replies: Steady['replies'] = [];
  let stopped = false;
  const until = performance.now() + 20_000;
  const loop = (async () => {
    for (let i = 0; !stopped && performance.now() < until; i++) {
      const path = paths[i % paths.length];
      const status = await Promise.race([
        client.request('GET', path).then(
          (reply) => reply.status,
          (error: Error) => error.message,
        ),
        sleep(5000, 'no answer within 5 s', { ref: false }),
      ]);
      replies.push({ path, status, at: performance.now() });
      await sleep(everyMs);
    }
  })();
  const steady: Steady = {
    replies,
    stop: async () => {
      stopped = true;
      await loop;
      client.close();
      steadies.delete(steady);
    },
  };
  steadies.add(steady);
  return steady;
}

/** Every reply that was not a 200 (an error is kept as its message). */
const failures = (steady: Steady) => steady.replies.filter((reply) => reply.status !== 200);

interface Ending {
  /** Everything the server sent on the connection. */
  answer: string;
  /** When the connection was opened (before connect(): never later than the server's own clock). */
  openedAt: number;
  /** When the server's answer was complete: the time an idle connection starts. */
  answeredAt?: number;
  closedAt: number;
}

function follow(socket: Socket, openedAt: number, onData?: (answer: string) => boolean): Promise<Ending> {
  return new Promise((resolve) => {
    const ending: Ending = { answer: '', openedAt, closedAt: NaN };
    socket.on('data', (chunk: Buffer) => {
      ending.answer += chunk.toString('latin1');
      if (onData?.(ending.answer)) ending.answeredAt ??= performance.now();
    });
    // Bytes still in flight when the server closes come back as a reset: that ends it too.
    socket.on('error', () => undefined);
    socket.once('close', () => resolve({ ...ending, closedAt: performance.now() }));
  });
}

/** Slowloris: a request line, then one header byte a second until the server answers or closes. */
function slowloris(port: number, sockets: Socket[]): Promise<Ending> {
  const openedAt = performance.now();
  const socket = connectTcp(port, '127.0.0.1');
  sockets.push(socket);
  const header = 'X-Slow: 1\r\n';
  let sent = 0;
  let trickle: NodeJS.Timeout | undefined;
  socket.once('connect', () => {
    socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    trickle = setInterval(() => socket.write(header[sent++ % header.length]), 1000);
  });
  const stop = () => {
    clearInterval(trickle);
    return false;
  };
  socket.once('close', stop);
  return follow(socket, openedAt, stop);
}

/** One complete keep-alive request, then silence until the server closes the connection. */
function idleKeepAlive(port: number, sockets: Socket[]): Promise<Ending> {
  const openedAt = performance.now();
  const socket = connectTcp(port, '127.0.0.1');
  sockets.push(socket);
  socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  return follow(socket, openedAt, (answer) => {
    const split = answer.indexOf('\r\n\r\n');
    const length = /\r\ncontent-length: (\d+)\r\n/i.exec(answer.slice(0, split + 2));
    return split >= 0 && length !== null && answer.length - split - 4 >= Number(length[1]);
  });
}

describe('Slow HTTP/1.1 clients (e2e)', () => {
  let dir: string;
  let server: ServerProcess;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'users-slow-clients-'));
    server = await startServer(dir, {
      PROTOCOL: 'http',
      HEADERS_TIMEOUT: `${HEADERS_MS}ms`,
      KEEP_ALIVE_TIMEOUT: `${KEEP_ALIVE_MS}ms`,
    });
    port = Number(new URL(server.url).port);
  }, 20_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await stopSteadies();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 35_000);

  it(`answers ${CROWD} slowloris clients 408 and closes them at HEADERS_TIMEOUT, while a keep-alive client keeps getting 200s`, async () => {
    const steady = steadyClient(http1Client(server.url), ['/health/live', '/api/auth/status'], 100);
    await sleep(300);
    const crowd = await Promise.all(Array.from({ length: CROWD }, () => slowloris(port, sockets)));
    await sleep(300);
    await steady.stop();

    const statusLines = crowd.map((c) => c.answer.split('\r\n')[0]);
    expect(statusLines).toEqual(Array<string>(CROWD).fill('HTTP/1.1 408 Request Timeout'));
    const heldFor = crowd.map((c) => c.closedAt - c.openedAt);
    expect(Math.min(...heldFor)).toBeGreaterThanOrEqual(HEADERS_MS);
    expect(Math.max(...heldFor)).toBeLessThan(HEADERS_MS + CHECK_SLACK_MS);

    expect(failures(steady)).toEqual([]);
    // Served while all of the crowd was connected and waiting, not only before or after it.
    const crowdIn = Math.max(...crowd.map((c) => c.openedAt));
    const firstCut = Math.min(...crowd.map((c) => c.closedAt));
    const duringCrowd = steady.replies.filter((r) => r.at > crowdIn && r.at < firstCut);
    expect(duringCrowd.length).toBeGreaterThan(0);
    expect(steady.replies.filter((r) => r.at > firstCut).length).toBeGreaterThan(0);
  }, 20_000);

  it(`closes ${CROWD} idle keep-alive connections once KEEP_ALIVE_TIMEOUT is up, not before`, async () => {
    const idle = await Promise.all(Array.from({ length: CROWD }, () => idleKeepAlive(port, sockets)));

    const statusLines = idle.map((c) => c.answer.split('\r\n')[0]);
    expect(statusLines).toEqual(Array<string>(CROWD).fill('HTTP/1.1 200 OK'));
    // One answer each: keep-alive, and what the client is told about the timeout.
    for (const { answer } of idle) {
      expect(answer.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
      expect(answer).toMatch(/\r\nConnection: keep-alive\r\n/i);
      expect(answer).toContain(`\r\nKeep-Alive: timeout=${KEEP_ALIVE_MS / 1000}\r\n`);
    }
    const idleFor = idle.map((c) => c.closedAt - c.answeredAt!);
    expect(Math.min(...idleFor)).toBeGreaterThanOrEqual(KEEP_ALIVE_MS);
    expect(Math.max(...idleFor)).toBeLessThan(KEEP_ALIVE_MS + KEEP_ALIVE_BUFFER_MS + CHECK_SLACK_MS);
  }, 20_000);
});

// HTTP/2 frames written by hand, as an attacker would. Node's own client, made to open and reset
// streams in a loop past the server's 128 concurrent streams, is dropped for a protocol error of
// its own (another case) and does not even notice the connection closing.
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** HPACK "literal without indexing" with a name from the static table (1 :authority, 4 :path). */
const literal = (nameIndex: number, value: string) =>
  Buffer.concat([Buffer.from([nameIndex, value.length]), Buffer.from(value)]);
// GET https://localhost/api/auth/status: a route that reads the session store and the database.
const GET_STATUS = Buffer.concat([
  Buffer.from([0x82, 0x87]), // :method GET, :scheme https
  literal(1, 'localhost'),
  literal(4, '/api/auth/status'),
]);

interface RapidReset {
  /** Streams opened and reset before the GOAWAY (or the limit) stopped the attacker. */
  opened: number;
  /** The server's GOAWAY: the last stream it took, and why it ended the connection. */
  goaway?: { lastStreamId: number; errorCode: number };
  /** The server closed the connection (rather than the test giving up on it). */
  closedByServer: boolean;
}

/**
 * CVE-2023-44487: on one connection, opens a stream (HEADERS with END_STREAM) and resets it
 * (RST_STREAM CANCEL) at once, `batch` pairs per write, until GOAWAY or `limit` pairs. Each write
 * ends with a PING whose answer paces the next one: an attacker on a slower link. Unpaced, the
 * server closes with our bytes still unread, the kernel turns its close into a reset, and the
 * GOAWAY it sent is lost now and then (a few connections in a hundred).
 */
async function rapidReset(port: number, ca: Buffer, limit: number, batch = 20): Promise<RapidReset> {
  const socket = connectTls({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['h2'] });
  let goaway: RapidReset['goaway'];
  let closed = false;
  let pong = () => {};
  let inbox = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    inbox = Buffer.concat([inbox, chunk]);
    while (inbox.length >= 9 && inbox.length >= 9 + inbox.readUIntBE(0, 3)) {
      const [type, flags] = [inbox[3], inbox[4]];
      const payload = inbox.subarray(9, 9 + inbox.readUIntBE(0, 3));
      if (type === SETTINGS && !(flags & ACK)) socket.write(frame(SETTINGS, ACK, 0));
      if (type === PING && flags & ACK) pong();
      if (type === GOAWAY) {
        goaway = { lastStreamId: payload.readUInt32BE(0) & 0x7fffffff, errorCode: payload.readUInt32BE(4) };
      }
      inbox = inbox.subarray(9 + payload.length);
    }
  });
  socket.on('error', () => undefined);
  // Not once(): a write refused (EPIPE) as the server closes is an 'error', and that is expected.
  const ended = new Promise<void>((resolve) => socket.once('close', resolve)).then(() => (closed = true));
  try {
    await once(socket, 'secureConnect');
    expect(socket.alpnProtocol).toBe('h2');
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
    let opened = 0;
    while (opened < limit && !goaway && !closed) {
      const frames: Buffer[] = [];
      for (let id = 2 * opened + 1; id < 2 * (opened + batch); id += 2) {
        frames.push(frame(HEADERS, END_STREAM | END_HEADERS, id, GET_STATUS));
        frames.push(frame(RST_STREAM, 0, id, uint32(constants.NGHTTP2_CANCEL)));
      }
      opened += batch;
      frames.push(frame(PING, 0, 0, Buffer.alloc(8)));
      const answered = new Promise<void>((resolve) => (pong = resolve));
      socket.write(Buffer.concat(frames));
      await Promise.race([answered, ended]);
    }
    const giveUp = new AbortController();
    await Promise.race([ended, sleep(3000, undefined, { signal: giveUp.signal }).catch(() => undefined)]);
    giveUp.abort();
    return { opened, goaway, closedByServer: closed };
  } finally {
    socket.destroy();
  }
}

describe('HTTP/2 rapid reset, CVE-2023-44487 (e2e)', () => {
  const LIMIT = 10_000;
  let dir: string;
  let ca: Buffer;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'users-rapid-reset-'));
    const { cert, key } = makeCertificate(join(dir, 'certs'));
    ca = readFileSync(cert);
    server = await startServer(dir, { PROTOCOL: 'http2', TLS_CERT: cert, TLS_KEY: key });
  }, 20_000);

  afterAll(async () => {
    await stopSteadies();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 35_000);

  it('sends GOAWAY to connections that open and reset streams in a tight loop, while other connections keep getting 200s', async () => {
    const port = Number(new URL(server.url).port);
    const h2 = steadyClient(http2Client(server.url, ca), ['/health/live', '/api/auth/status'], 20);
    const h1 = steadyClient(http1Client(server.url, ca), ['/health/live', '/api/auth/status'], 20);
    await sleep(300);

    // One attacking connection after another: each is cut on its own, the server stays up.
    const attackFrom = performance.now();
    const attacks: RapidReset[] = [];
    for (let i = 0; i < 5; i++) attacks.push(await rapidReset(port, ca, LIMIT));
    const attackTo = performance.now();
    await sleep(300);
    await Promise.all([h2.stop(), h1.stop()]);
    const fresh = http2Client(server.url, ca);
    const after = await fresh.request('GET', '/api/auth/status');
    fresh.close();

    for (const attack of attacks) {
      // Node 24's nghttp2 ends such a session with INTERNAL_ERROR (not ENHANCE_YOUR_CALM): its
      // RST_STREAM rate limit (a burst of 1000, then 33 a second) or Node's cap on streams it had
      // to refuse, whichever the timing reaches first. An idle close would be NO_ERROR.
      expect(attack.goaway?.errorCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
      expect(attack.goaway!.lastStreamId).toBeLessThanOrEqual(2 * attack.opened - 1);
      expect(attack.opened).toBeLessThan(LIMIT);
      expect(attack.closedByServer).toBe(true);
    }
    expect(failures(h2)).toEqual([]);
    expect(failures(h1)).toEqual([]);
    const during = [...h2.replies, ...h1.replies].filter((r) => r.at > attackFrom && r.at < attackTo);
    expect(during.length).toBeGreaterThan(0);
    expect(after.status).toBe(200);
  }, 30_000);
});
