import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { AnyServer } from './create-server.js';

const drain = () => undefined;

/**
 * Follows a server's connections so that closing it finishes quickly and cleanly: HTTP/2
 * sessions get GOAWAY after `graceMs` (open streams finish first); HTTP/1.x keep-alive sockets
 * are closed after their current response (which says Connection: close), or after `graceMs` if
 * idle, each with a lingering close so a client mid-request sees an orderly end. Without this,
 * `server.close()` waits for idle clients.
 */
export function closeGracefully(server: AnyServer, graceMs: number): () => Promise<void> {
  const sessions = new Set<Http2Session>();
  const busy = new Map<Socket, number>();
  const sockets = new Set<Socket>();
  /** On a TLS server, the TCP connections under the TLS ones (and those still in the handshake). */
  const raw = new Set<Socket>();
  let closing = false;
  let serverClosed = false;
  let resolveClosed: (() => void) | undefined;
  // Done when the server has closed and every connection this follows has: not on net.Server's
  // own connection count alone, so the close never depends on how Node counts (connections a
  // cluster primary hands over, the TCP ones under TLS).
  const settle = () => {
    if (serverClosed && sockets.size === 0 && sessions.size === 0 && raw.size === 0) resolveClosed?.();
  };

  // A lingering close (as nginx does): end the HTTP conversation, send FIN, and drain whatever
  // the client still sends until it closes too. Destroying the socket at once would answer a
  // request the client had already sent with a TCP reset, which the client sees as an error;
  // after a FIN it simply reconnects. Node calls destroySoon after a `Connection: close`
  // response, so on a closing server that call lingers.
  const linger = (socket: Socket) => {
    if (socket.destroyed) return;
    // A 'data' listener makes Node stop feeding the socket to its HTTP parser natively; removing
    // every 'data' listener, Node's own included, then leaves nothing but the drain.
    socket.on('data', drain);
    socket.removeAllListeners('data');
    socket.on('data', drain);
    socket.end();
    socket.once('end', () => socket.destroy());
    setTimeout(() => socket.destroy(), graceMs).unref();
  };

  // HTTP/2 sessions get the same moment before their GOAWAY: a stream already on its way, or the
  // first request of a session opened just as the server began closing, is served rather than
  // refused (REFUSED_STREAM). There is no "open no more streams" notice to send first: Node's
  // goaway() stops accepting streams at once, whatever last stream id it names.
  const closeSoon = (session: Http2Session) => setTimeout(() => session.close(), graceMs).unref();

  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => {
      sessions.delete(session);
      settle();
    });
    if (closing) closeSoon(session);
  });
  const onSocket = (socket: Socket) => {
    if ((socket as { alpnProtocol?: string | false }).alpnProtocol === 'h2') return;
    sockets.add(socket);
    if (closing) {
      socket.destroySoon = () => linger(socket);
      setTimeout(() => busy.get(socket) || linger(socket), graceMs).unref();
    }
    socket.once('close', () => {
      sockets.delete(socket);
      busy.delete(socket);
      settle();
    });
  };
  // On a TLS server the requests ride the TLS socket; the raw TCP one under it must not be ended.
  const tls = server instanceof TlsServer;
  server.on(tls ? 'secureConnection' : 'connection', onSocket);
  // ... but a raw connection that never even began its handshake would hold close() up.
  if (tls) {
    server.on('connection', (socket: Socket) => {
      raw.add(socket);
      socket.once('close', () => {
        raw.delete(socket);
        settle();
      });
    });
  }
  // Before the app's own listener, which may answer at once (the redirect server does): the
  // header must be set before the response goes out.
  server.prependListener(
    'request',
    (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      if (req.httpVersionMajor === 2) return;
      const socket = req.socket;
      busy.set(socket, (busy.get(socket) ?? 0) + 1);
      if (closing) (res as ServerResponse).setHeader('Connection', 'close');
      res.once('close', () => {
        busy.set(socket, (busy.get(socket) ?? 1) - 1);
        // Next tick: a pipelined request Node is about to hand over keeps the socket busy.
        if (closing) setImmediate(() => busy.get(socket) || linger(socket));
      });
    },
  );

  return () =>
    new Promise<void>((resolve) => {
      closing = true;
      resolveClosed = resolve;
      for (const socket of sockets) socket.destroySoon = () => linger(socket);
      // net.Server's close, not http.Server's: that one first destroys idle keep-alive sockets
      // outright, resetting any whose next request is already on its way.
      NetServer.prototype.close.call(server, () => {
        serverClosed = true;
        settle();
      });
      for (const session of sessions) closeSoon(session);
      // Idle sockets get a moment first: a request already on its way is still answered (with
      // Connection: close), rather than crossing the FIN. So do raw connections that have not
      // sent a byte yet: one just handed over has its TLS hello on the way (destroying it now
      // would reset that client), while one still silent after the moment never will send it
      // and must not hold close() up.
      setTimeout(() => {
        for (const socket of sockets) if (!busy.get(socket)) linger(socket);
        for (const socket of raw) if (socket.bytesRead === 0) socket.destroy();
      }, graceMs).unref();
    });
}
