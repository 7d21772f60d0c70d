import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Protocol, ServerTimeouts } from '../config/configuration.js';
import type { TlsMaterial } from './tls.js';

export type AnyServer = HttpServer | Http2SecureServer;

/** Handles HTTP/1.x requests and, on the HTTP/2 server, HTTP/2 ones. */
export type AnyListener = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

/**
 * The one place a transport is chosen: plain HTTP, HTTPS, or HTTP/2 over TLS that also answers
 * HTTP/1.1 on the same port (ALPN). Timeouts and limits are set on purpose, not left to defaults.
 */
export function createServer(
  protocol: Protocol,
  tls: TlsMaterial | undefined,
  timeouts: ServerTimeouts,
  listener: AnyListener,
): AnyServer {
  const http1 = listener as RequestListener;
  if (protocol === 'http') return withTimeouts(createHttpServer(http1), timeouts);
  if (!tls) throw new Error(`${protocol} needs TLS material`);
  // A client stuck in the TLS handshake is dropped as soon as one stuck sending headers would be.
  const secure = {
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    minVersion: 'TLSv1.2',
    handshakeTimeout: timeouts.headersMs,
  } as const;
  if (protocol === 'https') return withTimeouts(createHttpsServer(secure, http1), timeouts);
  const server = createSecureServer(
    {
      ...secure,
      allowHTTP1: true,
      // Node allows unlimited concurrent streams per connection by default. The header-list size
      // is only advertised here; express-http2.ts enforces it.
      settings: { maxConcurrentStreams: 128, maxHeaderListSize: 16 * 1024 },
    },
    listener,
  );
  closeIdleSessions(server, timeouts.keepAliveMs);
  limitStreamTime(server, timeouts.requestMs);
  // Node reads the HTTP/1.x settings from this server too, for its HTTP/1.1 fallback connections.
  return withTimeouts(server, timeouts);
}

/**
 * HTTP/1.x timeouts. Node checks them on a timer, every 30 s by default, so a slow client would
 * get its 408 up to 30 s late; checking every second (or sooner) keeps the limits true.
 */
export function withTimeouts<T extends AnyServer>(server: T, timeouts: ServerTimeouts): T {
  return Object.assign(server, {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
  });
}

/**
 * Closes (GOAWAY) an HTTP/2 session once it has had no open stream for `idleMs`. Not
 * `server.setTimeout`: that counts inactivity, so it would also kill a slow upload or a quiet
 * event stream in the middle of a request.
 */
function closeIdleSessions(server: Http2SecureServer, idleMs: number): void {
  server.on('session', (session: Http2Session) => {
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      idle = setTimeout(() => session.close(), idleMs);
      idle.unref();
    };
    session.on('stream', (stream: ServerHttp2Stream) => {
      open++;
      clearTimeout(idle);
      stream.once('close', () => {
        if (--open === 0 && !session.closed) arm();
      });
    });
    session.once('close', () => clearTimeout(idle));
    arm();
  });
}

/**
 * REQUEST_TIMEOUT for HTTP/2 streams, which Node applies to HTTP/1.x only: a stream whose
 * client is still sending after `requestMs` is reset, as an HTTP/1.x request would get 408.
 */
function limitStreamTime(server: Http2SecureServer, requestMs: number): void {
  server.on('stream', (stream: ServerHttp2Stream) => {
    const timer = setTimeout(() => {
      if (stream.state.state === constants.NGHTTP2_STREAM_STATE_OPEN) stream.close(constants.NGHTTP2_CANCEL);
    }, requestMs);
    timer.unref();
    stream.once('close', () => clearTimeout(timer));
  });
}

/** Listens, turning a listen error (port in use, no permission) into a rejection. */
export function listen(server: AnyServer, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
