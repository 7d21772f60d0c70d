import type { Express } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AnyListener } from './create-server';

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

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
 * `Http2ServerRequest`/`Http2ServerResponse` with Express's methods copied in; `Host` is
 * filled from `:authority` (Express reads `Host`), and a body sent without Content-Length is
 * marked as one. Built against express 5.2.1, which
 * package.json pins: re-run the transport tests before changing that version.
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
    req.headers.host ??= req.authority;
    // HTTP/2 frames bodies itself, so a request may have one without Content-Length; body
    // parsers look for Content-Length or Transfer-Encoding to decide whether to read at all.
    if (req.headers['content-length'] === undefined && !req.stream.endAfterHeaders) {
      req.headers['transfer-encoding'] = 'chunked';
    }
    // `handle` is Express's own entry point (what `app(req, res)` calls); it is not in the typings.
    (http2App as unknown as { handle(req: AnyRequest, res: AnyResponse): void }).handle(req, res);
  };
}
