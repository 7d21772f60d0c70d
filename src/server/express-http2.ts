import type { Express } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AnyListener } from './create-server.js';

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

// Node's HTTP/1 limit; Node advertises an HTTP/2 header-list limit but does not enforce it.
const MAX_HEADER_BYTES = 16 * 1024;

function headerBytes(raw: string[]): number {
  return raw.reduce((sum, part) => sum + part.length, 0);
}

function prototypeWith(base: object, methods: object, app: Express): object {
  const proto = Object.create(base) as object;
  Object.defineProperties(proto, Object.getOwnPropertyDescriptors(methods));
  // `_implicitHeader` is an HTTP/1 internal that express-session calls before ending a response
  // (Node's HTTP/2 response already has the other one, `_header`).
  if (base === Http2ServerResponse.prototype) {
    Object.defineProperty(proto, '_implicitHeader', {
      value(this: Http2ServerResponse) {
        this.writeHead(this.statusCode);
      },
    });
  }
  return Object.create(proto, {
    app: { value: app, enumerable: true, configurable: true, writable: true },
  }) as object;
}

/**
 * A request listener that runs an Express 5 app for HTTP/1.x and for HTTP/2 requests alike.
 *
 * Express's `app.handle` swaps each request's and response's prototype for its own, which is
 * built on Node's HTTP/1 classes; an HTTP/2 compat request then loses its stream-backed getters
 * and the first HTTP/2 request crashes. For HTTP/2, Express is handed prototypes built on
 * `Http2ServerRequest`/`Http2ServerResponse` with Express's methods copied in; `Host` is taken
 * from `:authority`, a body sent without Content-Length is marked as one, and header blocks are
 * held to HTTP/1's 16 KiB.
 *
 * Built against express 5.3.0, which package.json pins: re-run the transport tests before
 * changing it. Mounted Express sub-apps (`app.use(path, express())`) would swap in their own
 * HTTP/1 prototypes again and are not supported over HTTP/2; Nest does not mount any.
 */
export function expressListener(app: Express): AnyListener {
  const request = Object.getPrototypeOf(app.request) as object;
  const response = Object.getPrototypeOf(app.response) as object;
  const http2App = Object.create(app, {
    request: { value: prototypeWith(Http2ServerRequest.prototype, request, app) },
    response: { value: prototypeWith(Http2ServerResponse.prototype, response, app) },
  }) as Express;

  return (req, res) => {
    if (!(req instanceof Http2ServerRequest)) {
      app(req, res as ServerResponse);
      return;
    }
    if (headerBytes(req.rawHeaders) > MAX_HEADER_BYTES) {
      (res as Http2ServerResponse).writeHead(431).end();
      return;
    }
    // RFC 9113 §8.3.1: :authority, when present, is the target host (a Host header must not differ).
    if (req.authority) req.headers.host = req.authority;
    // HTTP/2 frames bodies itself, so a request may have one without Content-Length; body
    // parsers look for Content-Length or Transfer-Encoding to decide whether to read at all.
    if (req.headers['content-length'] === undefined && !req.stream.endAfterHeaders) {
      req.headers['transfer-encoding'] = 'chunked';
    }
    // `handle` is Express's own entry point (what `app(req, res)` calls); it is not in the typings.
    (http2App as unknown as { handle(req: AnyRequest, res: AnyResponse): void }).handle(req, res);
  };
}
