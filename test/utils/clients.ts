import { execFileSync } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
  /** The cookie pair ("name=value") the reply set, if any. */
  cookie?: string;
}

export interface RequestOptions {
  body?: unknown;
  cookie?: string;
  headers?: Record<string, string>;
}

/** One connection's worth of client: HTTP/1.1 (keep-alive) or one HTTP/2 session. */
export interface Client {
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  close(): void;
}

function reply(status: number, headers: Reply['headers'], body: Buffer): Reply {
  const setCookie = headers['set-cookie'];
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  return {
    status,
    headers,
    body,
    text: body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
    cookie: first?.split(';')[0],
  };
}

function requestHeaders(options: RequestOptions): Record<string, string> {
  return {
    ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(options.cookie ? { cookie: options.cookie } : {}),
    ...options.headers,
  };
}

/** HTTP/1.1 over plain TCP or TLS, trusting `ca` (the test's self-signed certificate). */
export function http1Client(baseUrl: string, ca?: Buffer): Client {
  const secure = baseUrl.startsWith('https:');
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, ca, ALPNProtocols: ['http/1.1'] })
    : new HttpAgent({ keepAlive: true });
  return {
    request: (method, path, options = {}) =>
      new Promise((resolve, reject) => {
        const body = options.body === undefined ? undefined : JSON.stringify(options.body);
        const send = secure ? httpsRequest : httpRequest;
        const { hostname, port } = new URL(baseUrl);
        // The path goes out exactly as given ("//evil.example/" stays a path, not another host).
        const target = { host: hostname, port, path, method, agent, headers: requestHeaders(options) };
        const req = send(target, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            expect(res.httpVersion).toBe('1.1');
            resolve(reply(res.statusCode!, res.headers, Buffer.concat(chunks)));
          });
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** One HTTP/2 session; every request is a stream on it. */
export function http2Client(baseUrl: string, ca: Buffer): Client & { session: ClientHttp2Session } {
  const session = connect(baseUrl, { ca });
  return {
    session,
    request: (method, path, options = {}) =>
      new Promise((resolve, reject) => {
        // Without a body, END_STREAM goes on the headers, as browsers and curl do.
        const stream = session.request(
          {
            [constants.HTTP2_HEADER_METHOD]: method,
            [constants.HTTP2_HEADER_PATH]: path,
            ...requestHeaders(options),
          },
          { endStream: options.body === undefined },
        );
        const chunks: Buffer[] = [];
        let headers: Reply['headers'] = {};
        stream.on('response', (h) => (headers = h as Reply['headers']));
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => resolve(reply(Number(headers[':status']), headers, Buffer.concat(chunks))));
        stream.on('error', reject);
        if (options.body !== undefined) stream.end(JSON.stringify(options.body));
      }),
    close: () => session.close(),
  };
}

interface RawRequestOptions {
  timeoutMs?: number;
  end?: boolean;
  encoding?: BufferEncoding;
}

/**
 * Writes raw bytes to 127.0.0.1:port (half-closing when `end`) and resolves with everything the
 * server sent once it closes the connection ('' if it closed without a word). Rejects after
 * `timeoutMs`: every request must be answered or dropped, never left hanging.
 */
export function rawRequest(
  port: number,
  bytes: string | Buffer | Array<string | Buffer>,
  { timeoutMs = 5000, end = false, encoding = 'utf8' }: RawRequestOptions = {},
): Promise<string> {
  const parts: Array<string | Buffer> = Array.isArray(bytes) ? bytes : [bytes];
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; received ${JSON.stringify(text)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset after the answer is a close too
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.write(
      Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(part, encoding)))),
    );
    if (end) socket.end();
  });
}

export interface RawReply {
  status: number;
  /** Every header line as sent, in order: [name in lower case, value]. */
  headers: Array<[string, string]>;
  /** What follows the head, as received. */
  body: string;
}

/** Parses one response as {@link rawRequest} returns it (the server closed after it). */
export function parseResponse(raw: string): RawReply {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`not an HTTP response: ${JSON.stringify(raw)}`);
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers = lines.map((l): [string, string] => [
    l.slice(0, l.indexOf(':')).toLowerCase(),
    l.slice(l.indexOf(':') + 1).trim(),
  ]);
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(split + 4) };
}

/** A self-signed certificate for localhost/127.0.0.1 made by `npm run cert`'s script. */
export function makeCertificate(dir: string): { cert: string; key: string } {
  execFileSync('bash', [join(import.meta.dirname, '..', '..', 'scripts', 'cert.sh'), dir], {
    stdio: 'ignore',
  });
  return { cert: join(dir, 'localhost.pem'), key: join(dir, 'localhost-key.pem') };
}
