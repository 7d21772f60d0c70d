import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Protocol, ServerTimeouts } from '../config/configuration';
import type { TlsMaterial } from './tls';

export type AnyServer = HttpServer | Http2SecureServer;

/** Handles HTTP/1.x requests and, on the HTTP/2 server, HTTP/2 ones. */
export type AnyListener = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

const TLS: SecureContextOptions = { minVersion: 'TLSv1.2' };

/**
 * The one place a transport is chosen: plain HTTP, HTTPS, or HTTP/2 over TLS that also answers
 * HTTP/1.1 on the same port (ALPN). Timeouts are set on purpose rather than left to defaults.
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
  if (protocol === 'https') return withTimeouts(createHttpsServer({ ...TLS, ...tls }, http1), timeouts);
  const server = createSecureServer({ ...TLS, ...tls, allowHTTP1: true }, listener);
  // An HTTP/2 session with no open stream for this long is closed (GOAWAY); Node's other HTTP/2
  // limits (streams per session, header list size, rapid-reset protection) are safe as they are.
  server.setTimeout(timeouts.keepAliveMs);
  // Node reads the HTTP/1.x timeouts from this server too, for its HTTP/1.1 fallback connections.
  return withTimeouts(server, timeouts);
}

function withTimeouts<T extends AnyServer>(
  server: T,
  { headersMs, requestMs, keepAliveMs }: ServerTimeouts,
): T {
  return Object.assign(server, {
    headersTimeout: headersMs,
    requestTimeout: requestMs,
    keepAliveTimeout: keepAliveMs,
  });
}
